/* nvv1.c - EEPROM images of the earlier firmware (see nvv1.h). */
#include "nvv1.h"

#include <string.h>

#include "kv_util.h"

static void seal(uint8_t *r, uint32_t len, char m1, uint32_t seq)
{
    r[0] = 'K';
    r[1] = (uint8_t)m1;
    r[2] = 1;
    kv_put_be32(r + 4, seq);
    kv_put_be32(r + len - 4, kv_crc32(r, len - 4));
}

void nvv1_config(meter_config *cfg, const fw_office *o, uint32_t alarm, uint32_t pretrip,
                 uint32_t hoard, uint16_t reconnect)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->utility_code = o->utility;
    cfg->meter_number = o->meter;
    cfg->key_version = o->key_version;
    memcpy(cfg->k_meter, o->k_meter, 16);
    cfg->alarm_level = alarm;
    cfg->pretrip_level = pretrip;
    cfg->hoarding_limit = hoard;
    cfg->reconnect_delay = reconnect;
}

void nvv1_image(uint8_t nv[METER_NV_SIZE], const meter_config *c, const meter_state *s,
                uint32_t state_seq, uint32_t mark_cum, uint32_t mark_last_seq)
{
    uint8_t *r = nv + NVREC_V1_CONFIG_BASE + NVREC_V1_CONFIG_STRIDE;
    memset(nv, 0xFF, METER_NV_SIZE);
    memset(r, 0, NVREC_V1_CONFIG_LEN);
    kv_put_be32(r + 8, c->utility_code);
    kv_put_be32(r + 12, c->meter_number);
    r[16] = c->key_version;
    memcpy(r + 17, c->k_meter, 16);
    kv_put_be32(r + 33, c->alarm_level);
    kv_put_be32(r + 37, c->pretrip_level);
    kv_put_be32(r + 41, c->hoarding_limit);
    kv_put_be32(r + 45, c->max_power);
    kv_put_be16(r + 49, c->reconnect_delay);
    kv_put_be32(r + 51, c->params_seq);
    kv_put_be32(r + 55, c->key_seq);
    seal(r, NVREC_V1_CONFIG_LEN, 'C', 1);
    if (state_seq) {
        r = nv + NVREC_STATE_BASE + (state_seq % NVREC_STATE_SLOTS) * NVREC_STATE_STRIDE;
        memset(r, 0, NVREC_V1_STATE_LEN);
        nvrec_state_put(s, c->meter_number, r);
        r[67] = 0; /* a version 1 record ends at byte 66, its CRC follows */
        seal(r, NVREC_V1_STATE_LEN, 'S', state_seq);
    }
    if (mark_cum) {
        r = nv + NVREC_V1_MARK_BASE + NVREC_V1_MARK_STRIDE;
        memset(r, 0, NVREC_V1_MARK_LEN);
        kv_put_be32(r + 8, c->meter_number);
        kv_put_be32(r + 12, mark_cum);
        kv_put_be32(r + 16, mark_last_seq);
        seal(r, NVREC_V1_MARK_LEN, 'L', 1);
    }
}

void nvv1_field_meter(fw_office *o, uint8_t prov[KV_PROVISION_LEN], uint8_t nv[METER_NV_SIZE])
{
    meter_config cfg;
    meter_state st;

    fw_office_init(o, 0x4B560001u, 12345678);
    fw_office_provision(o, 2000, 500, 100000, 0, 30, prov);
    nvv1_config(&cfg, o, 2000, 500, 100000, 30);
    memset(&st, 0, sizeof st);
    st.cumulative_loaded = 3000;
    st.phase_energy[0] = 700;
    st.remaining = 2300;
    st.last_seq = 1;
    st.readback_counter = 5;
    nvv1_image(nv, &cfg, &st, 9, 3000, 1);
}
