/* kv_provision.c - the per-meter provisioning block (see kv_provision.h). */
#include "kv_provision.h"

#include <string.h>

#include "kv_card.h"
#include "kv_util.h"

#define P_CRC 92
#define P_TRANSPORT 68 /* version 2: K_transport, 16 bytes */
#define P_RESERVED_V1 68
#define P_RESERVED_V2 (P_TRANSPORT + 16)

static int all_zero16(const uint8_t k[16])
{
    uint8_t o = 0;
    for (int i = 0; i < 16; i++)
        o |= k[i];
    return o == 0;
}

static kv_err check(const kv_provision *p)
{
    if (p->utility_code == 0 || !kv_meter_number_valid(p->meter_number) ||
        p->key_version == 0 || p->key_version == 0xFF || p->psc_key_version == 0 ||
        p->psc_key_version == 0xFF || (p->phases != 1 && p->phases != 3) ||
        p->meter_constant == 0 || p->hoarding_limit == 0 || p->hoarding_limit > 0x7FFFFFFFu ||
        p->pretrip_level > p->alarm_level || p->alarm_level >= p->hoarding_limit)
        return KV_E_PROVISION;
    if (p->block_version == KV_PROVISION_V2 ? all_zero16(p->k_transport)
                                             : p->block_version != KV_PROVISION_V1)
        return KV_E_PROVISION;
    return KV_OK;
}

kv_err kv_provision_encode(const kv_provision *p, uint8_t out[KV_PROVISION_LEN])
{
    kv_provision q;
    kv_err err;
    if (!p || !out)
        return KV_E_ARG;
    q = *p;
    if (q.block_version == 0)
        q.block_version = KV_PROVISION_V1;
    err = check(&q);
    kv_provision_wipe(&q);
    if (err != KV_OK)
        return KV_E_PROVISION;
    memset(out, 0, KV_PROVISION_LEN);
    memcpy(out, KV_PROVISION_MAGIC, 4);
    out[4] = p->block_version ? p->block_version : KV_PROVISION_V1;
    out[5] = p->key_version;
    out[6] = p->psc_key_version;
    out[7] = p->phases;
    kv_put_be32(out + 8, p->utility_code);
    kv_put_be32(out + 12, p->meter_number);
    memcpy(out + 16, p->k_meter, 16);
    memcpy(out + 32, p->k_psc, 16);
    kv_put_be32(out + 48, p->alarm_level);
    kv_put_be32(out + 52, p->pretrip_level);
    kv_put_be32(out + 56, p->hoarding_limit);
    kv_put_be32(out + 60, p->max_power);
    kv_put_be16(out + 64, p->meter_constant);
    kv_put_be16(out + 66, p->reconnect_delay);
    if (out[4] == KV_PROVISION_V2)
        memcpy(out + P_TRANSPORT, p->k_transport, 16);
    kv_put_be32(out + P_CRC, kv_crc32(out, P_CRC));
    return KV_OK;
}

kv_err kv_provision_decode(const uint8_t in[KV_PROVISION_LEN], uint32_t expected_utility,
                           kv_provision *p)
{
    if (!in || !p)
        return KV_E_ARG;
    memset(p, 0, sizeof *p);
    if (memcmp(in, KV_PROVISION_MAGIC, 4) != 0 ||
        (in[4] != KV_PROVISION_V1 && in[4] != KV_PROVISION_V2) ||
        kv_get_be32(in + P_CRC) != kv_crc32(in, P_CRC))
        return KV_E_PROVISION;
    for (int i = in[4] == KV_PROVISION_V2 ? P_RESERVED_V2 : P_RESERVED_V1; i < P_CRC; i++)
        if (in[i] != 0)
            return KV_E_PROVISION;
    p->block_version = in[4];
    if (p->block_version == KV_PROVISION_V2)
        memcpy(p->k_transport, in + P_TRANSPORT, 16);
    p->key_version = in[5];
    p->psc_key_version = in[6];
    p->phases = in[7];
    p->utility_code = kv_get_be32(in + 8);
    p->meter_number = kv_get_be32(in + 12);
    memcpy(p->k_meter, in + 16, 16);
    memcpy(p->k_psc, in + 32, 16);
    p->alarm_level = kv_get_be32(in + 48);
    p->pretrip_level = kv_get_be32(in + 52);
    p->hoarding_limit = kv_get_be32(in + 56);
    p->max_power = kv_get_be32(in + 60);
    p->meter_constant = kv_get_be16(in + 64);
    p->reconnect_delay = kv_get_be16(in + 66);
    if (check(p) != KV_OK) {
        kv_provision_wipe(p);
        return KV_E_PROVISION;
    }
    if (expected_utility != 0 && p->utility_code != expected_utility) {
        kv_provision_wipe(p);
        return KV_E_UTILITY;
    }
    return KV_OK;
}

void kv_provision_wipe(kv_provision *p)
{
    kv_wipe(p, sizeof *p);
}
