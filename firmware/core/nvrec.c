/* nvrec.c - power-fail-safe records (see nvrec.h). */
#include "nvrec.h"

#include <string.h>

#include "kv_util.h"

#define C_MAGIC0 'K'
#define C_MAGIC1 'C'
#define S_MAGIC0 'K'
#define S_MAGIC1 'S'
#define L_MAGIC0 'K'
#define L_MAGIC1 'L'
#define REC_VERSION 1

/* Body first, CRC last: the CRC is the commit mark of the slot. */
static int write_record(const meter_nv_ops *nv, uint32_t addr, uint8_t *rec, uint32_t len)
{
    uint32_t body = len - 4;
    kv_put_be32(rec + body, kv_crc32(rec, body));
    if (nv->write(nv->ctx, addr, rec, body) != 0)
        return -1;
    return nv->write(nv->ctx, addr + body, rec + body, 4);
}

/* Reads slot i; returns its sequence if magic and CRC hold, else 0. */
static uint32_t read_slot(const meter_nv_ops *nv, uint32_t addr, uint8_t *rec, uint32_t len,
                          char m0, char m1)
{
    uint32_t body = len - 4;
    if (nv->read(nv->ctx, addr, rec, len) != 0)
        return 0;
    if (rec[0] != (uint8_t)m0 || rec[1] != (uint8_t)m1 || rec[2] != REC_VERSION)
        return 0;
    if (kv_get_be32(rec + body) != kv_crc32(rec, body))
        return 0;
    return kv_get_be32(rec + 4);
}

/* ---- config ---------------------------------------------------------- */

static void config_encode(const meter_config *c, uint32_t seq, uint8_t r[NVREC_CONFIG_LEN])
{
    memset(r, 0, NVREC_CONFIG_LEN);
    r[0] = C_MAGIC0;
    r[1] = C_MAGIC1;
    r[2] = REC_VERSION;
    kv_put_be32(r + 4, seq);
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
}

static void config_decode(const uint8_t r[NVREC_CONFIG_LEN], meter_config *c)
{
    c->utility_code = kv_get_be32(r + 8);
    c->meter_number = kv_get_be32(r + 12);
    c->key_version = r[16];
    memcpy(c->k_meter, r + 17, 16);
    c->alarm_level = kv_get_be32(r + 33);
    c->pretrip_level = kv_get_be32(r + 37);
    c->hoarding_limit = kv_get_be32(r + 41);
    c->max_power = kv_get_be32(r + 45);
    c->reconnect_delay = kv_get_be16(r + 49);
    c->params_seq = kv_get_be32(r + 51);
    c->key_seq = kv_get_be32(r + 55);
}

uint32_t nvrec_load_config(const meter_nv_ops *nv, meter_config *cfg)
{
    uint8_t rec[NVREC_CONFIG_LEN];
    uint32_t best = 0;
    for (uint32_t i = 0; i < NVREC_CONFIG_SLOTS; i++) {
        uint32_t seq = read_slot(nv, NVREC_CONFIG_BASE + i * NVREC_CONFIG_STRIDE, rec,
                                 NVREC_CONFIG_LEN, C_MAGIC0, C_MAGIC1);
        if (seq > best) {
            best = seq;
            config_decode(rec, cfg);
        }
    }
    kv_wipe(rec, sizeof rec);
    return best;
}

int nvrec_save_config(const meter_nv_ops *nv, const meter_config *cfg, uint32_t seq)
{
    uint8_t rec[NVREC_CONFIG_LEN];
    int rc;
    config_encode(cfg, seq, rec);
    rc = write_record(nv, NVREC_CONFIG_BASE + (seq % NVREC_CONFIG_SLOTS) * NVREC_CONFIG_STRIDE,
                      rec, NVREC_CONFIG_LEN);
    kv_wipe(rec, sizeof rec);
    return rc;
}

/* ---- state ------------------------------------------------------------- */

static void state_encode(const meter_state *s, uint32_t meter_number, uint32_t seq,
                         uint8_t r[NVREC_STATE_LEN])
{
    memset(r, 0, NVREC_STATE_LEN);
    r[0] = S_MAGIC0;
    r[1] = S_MAGIC1;
    r[2] = REC_VERSION;
    kv_put_be32(r + 4, seq);
    kv_put_be32(r + 8, meter_number);
    kv_put_be32(r + 12, (uint32_t)s->remaining);
    kv_put_be32(r + 16, s->cumulative_loaded);
    for (int i = 0; i < 3; i++) {
        kv_put_be32(r + 20 + 4 * i, s->phase_energy[i]);
        kv_put_be16(r + 32 + 2 * i, s->phase_frac[i]);
    }
    kv_put_be32(r + 38, s->last_seq);
    kv_put_be32(r + 42, s->tamper_seq);
    kv_put_be32(r + 46, s->readback_counter);
    kv_put_be32(r + 50, s->lockout_left);
    r[54] = s->supply;
    r[55] = s->tamper;
    r[56] = s->bad_cards;
    r[57] = s->lockout_level;
    memcpy(r + 58, s->events, METER_EVENTS);
    /* Byte 66 was zero in records written before it had a meaning. */
    r[66] = s->overpower;
}

static void state_decode(const uint8_t r[NVREC_STATE_LEN], meter_state *s)
{
    s->remaining = (int32_t)kv_get_be32(r + 12);
    s->cumulative_loaded = kv_get_be32(r + 16);
    for (int i = 0; i < 3; i++) {
        s->phase_energy[i] = kv_get_be32(r + 20 + 4 * i);
        s->phase_frac[i] = kv_get_be16(r + 32 + 2 * i);
    }
    s->last_seq = kv_get_be32(r + 38);
    s->tamper_seq = kv_get_be32(r + 42);
    s->readback_counter = kv_get_be32(r + 46);
    s->lockout_left = kv_get_be32(r + 50);
    s->supply = r[54];
    s->tamper = r[55];
    s->bad_cards = r[56];
    s->lockout_level = r[57];
    memcpy(s->events, r + 58, METER_EVENTS);
    s->overpower = r[66] ? 1 : 0;
}

uint32_t nvrec_load_state(const meter_nv_ops *nv, uint32_t meter_number, meter_state *st)
{
    uint8_t rec[NVREC_STATE_LEN];
    uint32_t best = 0;
    for (uint32_t i = 0; i < NVREC_STATE_SLOTS; i++) {
        uint32_t seq = read_slot(nv, NVREC_STATE_BASE + i * NVREC_STATE_STRIDE, rec,
                                 NVREC_STATE_LEN, S_MAGIC0, S_MAGIC1);
        if (seq > best && kv_get_be32(rec + 8) == meter_number) {
            best = seq;
            state_decode(rec, st);
        }
    }
    return best;
}

int nvrec_save_state(const meter_nv_ops *nv, uint32_t meter_number, const meter_state *st,
                     uint32_t seq)
{
    uint8_t rec[NVREC_STATE_LEN];
    state_encode(st, meter_number, seq, rec);
    return write_record(nv, NVREC_STATE_BASE + (seq % NVREC_STATE_SLOTS) * NVREC_STATE_STRIDE,
                        rec, NVREC_STATE_LEN);
}

/* ---- load mark ---------------------------------------------------------- */

uint32_t nvrec_load_mark(const meter_nv_ops *nv, uint32_t meter_number, nvrec_mark *mk)
{
    uint8_t rec[NVREC_MARK_LEN];
    uint32_t best = 0;
    for (uint32_t i = 0; i < NVREC_MARK_SLOTS; i++) {
        uint32_t seq = read_slot(nv, NVREC_MARK_BASE + i * NVREC_MARK_STRIDE, rec,
                                 NVREC_MARK_LEN, L_MAGIC0, L_MAGIC1);
        if (seq > best && kv_get_be32(rec + 8) == meter_number) {
            best = seq;
            mk->cumulative_loaded = kv_get_be32(rec + 12);
            mk->last_seq = kv_get_be32(rec + 16);
        }
    }
    return best;
}

int nvrec_save_mark(const meter_nv_ops *nv, uint32_t meter_number, const nvrec_mark *mk,
                    uint32_t seq)
{
    uint8_t rec[NVREC_MARK_LEN];
    memset(rec, 0, sizeof rec);
    rec[0] = L_MAGIC0;
    rec[1] = L_MAGIC1;
    rec[2] = REC_VERSION;
    kv_put_be32(rec + 4, seq);
    kv_put_be32(rec + 8, meter_number);
    kv_put_be32(rec + 12, mk->cumulative_loaded);
    kv_put_be32(rec + 16, mk->last_seq);
    return write_record(nv, NVREC_MARK_BASE + (seq % NVREC_MARK_SLOTS) * NVREC_MARK_STRIDE, rec,
                        NVREC_MARK_LEN);
}
