/* fwcards.c - issuing office for the firmware tests (see fwcards.h). */
#include "fwcards.h"

#include <string.h>

static const uint8_t atr[4] = {0xA2, 0x13, 0x10, 0x91};
static const uint8_t factory_psc[3] = {0xFF, 0xFF, 0xFF};

void fw_office_init(fw_office *o, uint32_t utility, uint32_t base)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < 16; i++)
        o->master[i] = (uint8_t)(0x30 + 7 * i);
    o->utility = utility;
    o->meter = base * 10 + kv_meter_check_digit(base);
    o->key_version = 1;
    o->psc_version = 1;
    o->block_version = KV_PROVISION_V2;
    kv_derive_meter_key(o->master, o->utility, o->meter, o->key_version, o->k_meter);
}

void fw_office_keys(const fw_office *o, kv_meter_keys *keys)
{
    uint8_t k_psc[16], k_transport[16];
    kv_derive_psc_key(o->master, o->utility, o->meter, o->psc_version, k_psc);
    kv_meter_keys_init(keys, o->k_meter, o->key_version, k_psc);
    kv_derive_transport_key(o->master, o->utility, o->meter, o->psc_version, k_transport);
    kv_meter_keys_set_transport(keys, k_transport);
}

void fw_office_provision(const fw_office *o, uint32_t alarm, uint32_t pretrip, uint32_t hoard,
                         uint32_t max_power, uint16_t reconnect, uint8_t out[KV_PROVISION_LEN])
{
    kv_provision p;
    memset(&p, 0, sizeof p);
    p.utility_code = o->utility;
    p.meter_number = o->meter;
    p.key_version = o->key_version;
    p.psc_key_version = o->psc_version;
    p.phases = 3;
    memcpy(p.k_meter, o->k_meter, 16);
    kv_derive_psc_key(o->master, o->utility, o->meter, o->psc_version, p.k_psc);
    p.block_version = o->block_version;
    if (p.block_version >= KV_PROVISION_V2)
        kv_derive_transport_key(o->master, o->utility, o->meter, o->psc_version,
                                p.k_transport);
    p.alarm_level = alarm;
    p.pretrip_level = pretrip;
    p.hoarding_limit = hoard;
    p.max_power = max_power;
    p.meter_constant = 1000;
    p.reconnect_delay = reconnect;
    kv_provision_encode(&p, out);
}

void fw_card_blank(sle4442 *c)
{
    sle_init_blank(c, atr, factory_psc);
}

void fw_card_issue(sle4442 *c, const fw_office *o, uint8_t type, uint32_t serial)
{
    kv_identity id = {KV_FORMAT_VERSION, type, o->utility, serial, o->meter, o->key_version};
    kv_meter_keys keys;
    uint8_t idb[KV_ID_LEN], psc[3];

    fw_card_blank(c);
    kv_identity_encode(&id, idb);
    sle_verify_psc(c, factory_psc);
    for (int i = 0; i < KV_ID_LEN; i++)
        sle_update_main(c, KV_ID_OFF + (unsigned)i, idb[i]);
    for (unsigned a = 0; a < KV_LOCK_END; a++)
        sle_write_prot(c, a, c->main[a]);
    fw_office_keys(o, &keys);
    kv_card_psc(&keys, serial, psc);
    for (unsigned i = 0; i < 3; i++)
        sle_update_sec(c, i + 1, psc[i]);
    sle_power_on(c);
}

static int write_token(sle4442 *c, const fw_office *o, const kv_token *t, int limit)
{
    kv_meter_keys keys;
    kv_card_view view;
    uint8_t slot[KV_SLOT_LEN], order[KV_SLOT_LEN], psc[3];
    unsigned off, n;
    kv_err err;

    fw_office_keys(o, &keys);
    if (kv_card_decode(&keys, c->main, &view) != KV_OK)
        return KV_E_ARG;
    err = kv_token_seal(&keys, &view.id, t, slot);
    if (err != KV_OK)
        return err;
    off = kv_card_next_token_offset(&view);
    n = kv_slot_write_plan(c->main + off, slot, KV_TOKEN_USED, order);
    if (limit >= 0 && (unsigned)limit < n)
        n = (unsigned)limit;
    kv_card_psc(&keys, view.id.card_serial, psc);
    sle_power_on(c);
    sle_verify_psc(c, psc);
    for (unsigned i = 0; i < n; i++)
        sle_update_main(c, off + order[i], slot[order[i]]);
    sle_power_on(c);
    return KV_OK;
}

int fw_card_sell(sle4442 *c, fw_office *o, uint32_t amount, int limit)
{
    kv_token t;
    memset(&t, 0, sizeof t);
    t.kind = KV_TOKEN_CREDIT;
    t.key_version = o->key_version;
    t.seq = ++o->seq;
    o->cumulative += amount;
    t.u.credit.cumulative = o->cumulative;
    t.u.credit.amount = amount;
    t.u.credit.issued_at = 1760000000u + o->seq;
    t.u.credit.sale_ref = o->seq;
    t.u.credit.office = 1;
    return write_token(c, o, &t, limit);
}

int fw_card_token(sle4442 *c, fw_office *o, kv_token *t, int limit)
{
    kv_identity id;
    kv_card_identity(c->main, &id);
    if (!t->kind)
        t->kind = (uint8_t)kv_card_token_kind((kv_card_type)id.card_type);
    t->key_version = o->key_version;
    t->seq = ++o->seq;
    return write_token(c, o, t, limit);
}

int fw_card_readback(const sle4442 *c, const fw_office *o, kv_readback *rb)
{
    kv_meter_keys keys;
    kv_card_view view;
    fw_office_keys(o, &keys);
    if (kv_card_decode(&keys, c->main, &view) != KV_OK)
        return KV_E_ARG;
    if (view.readback_err != KV_OK)
        return view.readback_err;
    *rb = view.readback;
    return KV_OK;
}
