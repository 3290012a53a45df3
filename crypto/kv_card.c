/* kv_card.c - identity, keys, tokens and readback records of the card. */
#include "kv_card.h"

#include <string.h>

#include "kv_aes.h"
#include "kv_cmac.h"
#include "kv_util.h"

/* Token slot offsets */
#define T_KIND 0
#define T_KEYVER 1
#define T_SEQ 2
#define T_BODY 6
#define T_MAC (T_BODY + KV_TOKEN_BODY_LEN) /* 38 */
#define T_ISSUER (T_MAC + KV_MAC_LEN)      /* 46 */
#define T_NO_ISSUER 0xFFFFu                /* bytes 46..47 never written */

/* Readback slot offsets */
#define R_FORMAT 0
#define R_STATUS 1
#define R_KEYVER 2
#define R_COUNTER 3
#define R_REMAINING 7
#define R_CUMULATIVE 11
#define R_TOTAL 15
#define R_PHASES 19
#define R_LAST_SEQ 31
#define R_RESULT 35
#define R_EVENTS 36
#define R_MAC 40
#define R_FORMAT_V1 0x01
#define R_FORMAT_V2 0x02 /* clear-credit cards: cleared in the events' place */
#define R_FORMAT_V3 0x03 /* parameter cards: the emergency allowance there */

/* ---- Identity ---------------------------------------------------------- */

int kv_card_type_valid(unsigned type)
{
    switch (type) {
    case KV_CARD_USER:
    case KV_CARD_CHECK:
    case KV_CARD_PARAMETER:
    case KV_CARD_CLEAR_TAMPER:
    case KV_CARD_KEY_CHANGE:
    case KV_CARD_TEST:
    case KV_CARD_CLEAR_CREDIT:
        return 1;
    default:
        return 0;
    }
}

kv_token_kind kv_card_token_kind(kv_card_type type)
{
    switch (type) {
    case KV_CARD_USER: return KV_TOKEN_CREDIT;
    case KV_CARD_PARAMETER: return KV_TOKEN_PARAMETERS;
    case KV_CARD_CLEAR_TAMPER: return KV_TOKEN_CLEAR_TAMPER;
    case KV_CARD_KEY_CHANGE: return KV_TOKEN_KEY_CHANGE_T;
    case KV_CARD_TEST: return KV_TOKEN_TEST;
    case KV_CARD_CHECK: return KV_TOKEN_CHECK;
    case KV_CARD_CLEAR_CREDIT: return KV_TOKEN_CLEAR_CREDIT;
    default: return (kv_token_kind)0;
    }
}

int kv_card_kind_allowed(unsigned card_type, unsigned kind)
{
    if (card_type == KV_CARD_KEY_CHANGE && kind == KV_TOKEN_KEY_CHANGE)
        return 1; /* first revision: taken by meters without a transport key */
    return kind != 0 && kind == (unsigned)kv_card_token_kind((kv_card_type)card_type);
}

unsigned kv_meter_check_digit(uint32_t base)
{
    unsigned sum = 0;
    int dbl = 1; /* the rightmost digit of the base is doubled */
    for (int i = 0; i < 8; i++) {
        unsigned d = base % 10;
        base /= 10;
        if (dbl) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
        dbl = !dbl;
    }
    return (10 - sum % 10) % 10;
}

int kv_meter_number_valid(uint32_t n)
{
    if (n == 0 || n > 999999999u)
        return 0;
    return kv_meter_check_digit(n / 10) == n % 10;
}

static void identity_bytes(const kv_identity *id, uint8_t out[KV_ID_AUTH_LEN])
{
    out[0] = id->format_version;
    out[1] = id->card_type;
    kv_put_be32(out + 2, id->utility_code);
    kv_put_be32(out + 6, id->card_serial);
    kv_put_be32(out + 10, id->meter_number);
    out[14] = id->key_version;
}

kv_err kv_identity_encode(const kv_identity *id, uint8_t out[KV_ID_LEN])
{
    if (!id || !out)
        return KV_E_ARG;
    if (id->format_version != KV_FORMAT_VERSION)
        return KV_E_FORMAT;
    if (!kv_card_type_valid(id->card_type))
        return KV_E_CARD_TYPE;
    if (id->utility_code == 0 || id->card_serial == 0 || id->card_serial == 0xFFFFFFFFu ||
        !kv_meter_number_valid(id->meter_number) || id->key_version == 0 ||
        id->key_version == 0xFF)
        return KV_E_FIELD;
    identity_bytes(id, out);
    kv_put_be16(out + KV_ID_AUTH_LEN, kv_crc16(out, KV_ID_AUTH_LEN));
    return KV_OK;
}

kv_err kv_identity_decode(const uint8_t in[KV_ID_LEN], kv_identity *id)
{
    unsigned ff = 0;
    if (!in || !id)
        return KV_E_ARG;
    memset(id, 0, sizeof *id);
    for (int i = 0; i < KV_ID_LEN; i++)
        ff += in[i] == 0xFF;
    if (ff == KV_ID_LEN)
        return KV_E_BLANK;
    if (kv_get_be16(in + KV_ID_AUTH_LEN) != kv_crc16(in, KV_ID_AUTH_LEN))
        return KV_E_CHECKSUM;
    if (in[0] != KV_FORMAT_VERSION)
        return KV_E_FORMAT;
    if (!kv_card_type_valid(in[1]))
        return KV_E_CARD_TYPE;
    id->format_version = in[0];
    id->card_type = in[1];
    id->utility_code = kv_get_be32(in + 2);
    id->card_serial = kv_get_be32(in + 6);
    id->meter_number = kv_get_be32(in + 10);
    id->key_version = in[14];
    if (id->utility_code == 0 || id->card_serial == 0 || id->card_serial == 0xFFFFFFFFu ||
        !kv_meter_number_valid(id->meter_number) || id->key_version == 0 ||
        id->key_version == 0xFF) {
        memset(id, 0, sizeof *id);
        return KV_E_FIELD;
    }
    return KV_OK;
}

kv_err kv_card_identity(const uint8_t image[KV_CARD_SIZE], kv_identity *id)
{
    if (!image)
        return KV_E_ARG;
    return kv_identity_decode(image + KV_ID_OFF, id);
}

/* ---- Keys --------------------------------------------------------------- */

static void meter_context(uint32_t utility, uint32_t meter, uint8_t version, uint8_t ctx[9])
{
    kv_put_be32(ctx, utility);
    kv_put_be32(ctx + 4, meter);
    ctx[8] = version;
}

void kv_derive_meter_key(const uint8_t master[16], uint32_t utility_code,
                         uint32_t meter_number, uint8_t key_version, uint8_t out[16])
{
    uint8_t ctx[9];
    meter_context(utility_code, meter_number, key_version, ctx);
    kv_kdf(master, "kilovend meter", ctx, sizeof ctx, out);
}

void kv_derive_psc_key(const uint8_t master[16], uint32_t utility_code,
                       uint32_t meter_number, uint8_t psc_key_version, uint8_t out[16])
{
    uint8_t ctx[9];
    meter_context(utility_code, meter_number, psc_key_version, ctx);
    kv_kdf(master, "kilovend psc", ctx, sizeof ctx, out);
}

void kv_derive_transport_key(const uint8_t master[16], uint32_t utility_code,
                             uint32_t meter_number, uint8_t version, uint8_t out[16])
{
    uint8_t ctx[9];
    meter_context(utility_code, meter_number, version, ctx);
    kv_kdf(master, "kilovend transport", ctx, sizeof ctx, out);
}

void kv_meter_keys_set_transport(kv_meter_keys *keys, const uint8_t k_transport[16])
{
    memmove(keys->k_transport, k_transport, 16);
    kv_kdf(keys->k_transport, "kilovend key change enc", NULL, 0, keys->k_tenc);
    kv_kdf(keys->k_transport, "kilovend key change mac", NULL, 0, keys->k_tmac);
    keys->has_transport = 1;
}

void kv_meter_keys_init(kv_meter_keys *keys, const uint8_t k_meter[16],
                        uint8_t key_version, const uint8_t k_psc[16])
{
    keys->has_transport = 0;
    kv_wipe(keys->k_transport, sizeof keys->k_transport);
    kv_wipe(keys->k_tenc, sizeof keys->k_tenc);
    kv_wipe(keys->k_tmac, sizeof keys->k_tmac);
    keys->key_version = key_version;
    memmove(keys->k_meter, k_meter, 16);
    memmove(keys->k_psc, k_psc, 16);
    kv_kdf(keys->k_meter, "kilovend token enc", NULL, 0, keys->k_enc);
    kv_kdf(keys->k_meter, "kilovend token mac", NULL, 0, keys->k_mac);
    kv_kdf(keys->k_meter, "kilovend readback mac", NULL, 0, keys->k_rb);
    kv_aes128_init(&keys->a_enc, keys->k_enc);
    kv_cmac_key_init(&keys->c_mac, keys->k_mac);
    kv_cmac_key_init(&keys->c_rb, keys->k_rb);
}

void kv_meter_keys_wipe(kv_meter_keys *keys)
{
    kv_wipe(keys, sizeof *keys);
}

void kv_card_psc(const kv_meter_keys *keys, uint32_t card_serial, uint8_t psc[KV_PSC_LEN])
{
    uint8_t ctx[4], out[16];
    int i;
    kv_put_be32(ctx, card_serial);
    kv_kdf(keys->k_psc, "kilovend card psc", ctx, sizeof ctx, out);
    for (i = 0; i < 15; i += 3) {
        int all_ff = out[i] == 0xFF && out[i + 1] == 0xFF && out[i + 2] == 0xFF;
        int all_00 = out[i] == 0 && out[i + 1] == 0 && out[i + 2] == 0;
        if (!all_ff && !all_00)
            break;
    }
    if (i == 15) { /* probability 2^-119: fixed, documented fallback */
        i = 0;
        out[0] = 0x5A;
    }
    memcpy(psc, out + i, KV_PSC_LEN);
    kv_wipe(out, sizeof out);
}

/* ---- Tokens ------------------------------------------------------------- */

static int all_ff(const uint8_t *p, unsigned n)
{
    uint8_t a = 0xFF;
    for (unsigned i = 0; i < n; i++)
        a &= p[i];
    return a == 0xFF;
}

static int all_zero(const uint8_t *p, unsigned n)
{
    uint8_t o = 0;
    for (unsigned i = 0; i < n; i++)
        o |= p[i];
    return o == 0;
}

/* The issuer in slot bytes 46..47: 0xFFFF (never written) is none; else
 * 1..KV_ISSUER_MAX.  -1 for anything else, which the station never writes. */
static long slot_issuer(const uint8_t *slot)
{
    uint16_t v = kv_get_be16(slot + T_ISSUER);
    if (v == T_NO_ISSUER)
        return 0;
    return v >= 1 && v <= KV_ISSUER_MAX ? (long)v : -1;
}

/* The counter block: the first revision's, with the issuer in bytes 14..15,
 * which were always 00 00 / 00 01 there (a two-block body). */
static void token_iv(const kv_identity *id, const uint8_t *slot, uint16_t issuer,
                     uint8_t iv[16])
{
    iv[0] = slot[T_KIND];
    iv[1] = slot[T_KEYVER];
    kv_put_be32(iv + 2, id->meter_number);
    kv_put_be32(iv + 6, id->card_serial);
    memcpy(iv + 10, slot + T_SEQ, 4);
    kv_put_be16(iv + 14, (uint16_t)(issuer << 1));
}

kv_err kv_token_counter_block(const kv_identity *id, const uint8_t slot[KV_SLOT_LEN],
                              uint8_t block[16])
{
    long issuer;
    if (!id || !slot || !block)
        return KV_E_ARG;
    issuer = slot_issuer(slot);
    if (issuer < 0)
        return KV_E_FIELD;
    token_iv(id, slot, (uint16_t)issuer, block);
    return KV_OK;
}

/* CMAC(key, domain || identity bytes || rec[0..len) || tail[0..tail_len)),
 * under the key made ready (ready), else the raw key. */
static void record_mac_tail(const kv_cmac_key *ready, const uint8_t *key, uint8_t domain,
                            const kv_identity *id, const uint8_t *rec, unsigned len,
                            const uint8_t *tail, unsigned tail_len, uint8_t mac[KV_MAC_LEN])
{
    uint8_t idb[KV_ID_AUTH_LEN], tag[16];
    kv_cmac_ctx c;
    identity_bytes(id, idb);
    if (ready)
        kv_cmac_start(&c, ready);
    else
        kv_cmac_init(&c, key);
    kv_cmac_update(&c, &domain, 1);
    kv_cmac_update(&c, idb, sizeof idb);
    kv_cmac_update(&c, rec, len);
    kv_cmac_update(&c, tail, tail_len);
    kv_cmac_final(&c, tag);
    memcpy(mac, tag, KV_MAC_LEN);
    kv_wipe(tag, sizeof tag);
}

static void record_mac(const kv_cmac_key *key, uint8_t domain, const kv_identity *id,
                       const uint8_t *rec, unsigned len, uint8_t mac[KV_MAC_LEN])
{
    record_mac_tail(key, NULL, domain, id, rec, len, NULL, 0, mac);
}

/* A transport-sealed key change is sealed under the transport keys (raw:
 * rare, their schedules are made when used), everything else under the
 * meter keys made ready at kv_meter_keys_init. */
static int transport(uint8_t kind)
{
    return kind == KV_TOKEN_KEY_CHANGE_T;
}

/* The token MAC: over bytes 0..37, and the issuer bytes when there is an
 * issuer (without one the input is the first revision's). */
static void token_mac(const kv_meter_keys *keys, const kv_identity *id, const uint8_t *slot,
                      uint8_t mac[KV_MAC_LEN])
{
    int tail = kv_get_be16(slot + T_ISSUER) != T_NO_ISSUER, t = transport(slot[T_KIND]);
    record_mac_tail(t ? NULL : &keys->c_mac, keys->k_tmac, 'T', id, slot, T_MAC,
                    slot + T_ISSUER, tail ? 2u : 0u, mac);
}

/* AES-CTR over a token body, under the encryption key of its kind. */
static void token_crypt(const kv_meter_keys *keys, uint8_t kind, const uint8_t iv[16],
                        const uint8_t *in, uint8_t *out)
{
    kv_aes128_ctx aes;
    if (!transport(kind)) {
        kv_aes128_ctr(&keys->a_enc, iv, in, out, KV_TOKEN_BODY_LEN);
        return;
    }
    kv_aes128_init(&aes, keys->k_tenc);
    kv_aes128_ctr(&aes, iv, in, out, KV_TOKEN_BODY_LEN);
    kv_aes128_wipe(&aes);
}

static kv_err params_check(const kv_parameters *p)
{
    if (p->hoarding_limit == 0 || p->hoarding_limit > 0x7FFFFFFFu ||
        p->pretrip_level > p->alarm_level || p->alarm_level >= p->hoarding_limit)
        return KV_E_FIELD;
    return KV_OK;
}

static kv_err body_encode(const kv_token *t, uint8_t b[KV_TOKEN_BODY_LEN])
{
    memset(b, 0, KV_TOKEN_BODY_LEN);
    switch (t->kind) {
    case KV_TOKEN_CREDIT:
        if (t->u.credit.amount > t->u.credit.cumulative ||
            t->u.credit.cumulative > 0x7FFFFFFFu)
            return KV_E_FIELD;
        kv_put_be32(b, t->u.credit.cumulative);
        kv_put_be32(b + 4, t->u.credit.amount);
        kv_put_be32(b + 8, t->u.credit.issued_at);
        kv_put_be32(b + 12, t->u.credit.sale_ref);
        kv_put_be16(b + 16, t->u.credit.office);
        return KV_OK;
    case KV_TOKEN_PARAMETERS:
        if (params_check(&t->u.params) != KV_OK)
            return KV_E_FIELD;
        kv_put_be32(b, t->u.params.alarm_level);
        kv_put_be32(b + 4, t->u.params.pretrip_level);
        kv_put_be32(b + 8, t->u.params.hoarding_limit);
        kv_put_be32(b + 12, t->u.params.max_power);
        kv_put_be16(b + 16, t->u.params.reconnect_delay);
        kv_put_be32(b + 18, t->u.params.issued_at);
        b[22] = t->u.params.emergency_kwh;
        return KV_OK;
    case KV_TOKEN_KEY_CHANGE:
    case KV_TOKEN_KEY_CHANGE_T:
        if (t->u.key_change.new_key_version == 0 || t->u.key_change.new_key_version == 0xFF)
            return KV_E_FIELD;
        b[0] = t->u.key_change.new_key_version;
        memcpy(b + 1, t->u.key_change.new_k_meter, 16);
        kv_put_be32(b + 17, t->u.key_change.issued_at);
        return KV_OK;
    case KV_TOKEN_CLEAR_TAMPER:
    case KV_TOKEN_TEST:
    case KV_TOKEN_CHECK:
    case KV_TOKEN_CLEAR_CREDIT:
        kv_put_be32(b, t->u.issued_at);
        return KV_OK;
    default:
        return KV_E_KIND;
    }
}

static kv_err body_decode(uint8_t kind, const uint8_t b[KV_TOKEN_BODY_LEN], kv_token *t)
{
    switch (kind) {
    case KV_TOKEN_CREDIT:
        if (!all_zero(b + 18, KV_TOKEN_BODY_LEN - 18))
            return KV_E_FIELD;
        t->u.credit.cumulative = kv_get_be32(b);
        t->u.credit.amount = kv_get_be32(b + 4);
        t->u.credit.issued_at = kv_get_be32(b + 8);
        t->u.credit.sale_ref = kv_get_be32(b + 12);
        t->u.credit.office = kv_get_be16(b + 16);
        if (t->u.credit.amount > t->u.credit.cumulative ||
            t->u.credit.cumulative > 0x7FFFFFFFu)
            return KV_E_FIELD;
        return KV_OK;
    case KV_TOKEN_PARAMETERS:
        if (!all_zero(b + 23, KV_TOKEN_BODY_LEN - 23))
            return KV_E_FIELD;
        t->u.params.emergency_kwh = b[22]; /* 0 in every earlier token */
        t->u.params.alarm_level = kv_get_be32(b);
        t->u.params.pretrip_level = kv_get_be32(b + 4);
        t->u.params.hoarding_limit = kv_get_be32(b + 8);
        t->u.params.max_power = kv_get_be32(b + 12);
        t->u.params.reconnect_delay = kv_get_be16(b + 16);
        t->u.params.issued_at = kv_get_be32(b + 18);
        return params_check(&t->u.params);
    case KV_TOKEN_KEY_CHANGE:
    case KV_TOKEN_KEY_CHANGE_T:
        if (!all_zero(b + 21, KV_TOKEN_BODY_LEN - 21) || b[0] == 0 || b[0] == 0xFF)
            return KV_E_FIELD;
        t->u.key_change.new_key_version = b[0];
        memcpy(t->u.key_change.new_k_meter, b + 1, 16);
        t->u.key_change.issued_at = kv_get_be32(b + 17);
        return KV_OK;
    case KV_TOKEN_CLEAR_TAMPER:
    case KV_TOKEN_TEST:
    case KV_TOKEN_CHECK:
    case KV_TOKEN_CLEAR_CREDIT:
        if (!all_zero(b + 4, KV_TOKEN_BODY_LEN - 4))
            return KV_E_FIELD;
        t->u.issued_at = kv_get_be32(b);
        return KV_OK;
    default:
        return KV_E_KIND;
    }
}

kv_err kv_token_seal(const kv_meter_keys *keys, const kv_identity *id,
                     const kv_token *token, uint8_t slot[KV_SLOT_LEN])
{
    uint8_t body[KV_TOKEN_BODY_LEN], iv[16];
    kv_err err;

    if (!keys || !id || !token || !slot)
        return KV_E_ARG;
    if (!kv_card_kind_allowed(id->card_type, token->kind))
        return KV_E_KIND;
    if (token->key_version != keys->key_version)
        return KV_E_KEY_VERSION;
    if (token->kind == KV_TOKEN_KEY_CHANGE_T && !keys->has_transport)
        return KV_E_TRANSPORT;
    if (token->seq == 0 || token->seq == 0xFFFFFFFFu || token->issuer > KV_ISSUER_MAX)
        return KV_E_FIELD;
    err = body_encode(token, body);
    if (err != KV_OK) {
        kv_wipe(body, sizeof body);
        return err;
    }
    slot[T_KIND] = token->kind;
    slot[T_KEYVER] = token->key_version;
    kv_put_be32(slot + T_SEQ, token->seq);
    kv_put_be16(slot + T_ISSUER, token->issuer ? token->issuer : T_NO_ISSUER);
    token_iv(id, slot, token->issuer, iv);
    token_crypt(keys, token->kind, iv, body, slot + T_BODY);
    kv_wipe(body, sizeof body);
    token_mac(keys, id, slot, slot + T_MAC);
    return KV_OK;
}

kv_err kv_token_open(const kv_meter_keys *keys, const kv_identity *id,
                     const uint8_t slot[KV_SLOT_LEN], kv_token *token)
{
    uint8_t mac[KV_MAC_LEN], body[KV_TOKEN_BODY_LEN], iv[16];
    kv_err err;
    long issuer;

    if (!keys || !id || !slot || !token)
        return KV_E_ARG;
    memset(token, 0, sizeof *token);
    if (all_ff(slot, KV_TOKEN_USED))
        return KV_E_EMPTY;
    if (slot[T_KEYVER] != keys->key_version)
        return KV_E_KEY_VERSION;
    if (slot[T_KIND] == KV_TOKEN_KEY_CHANGE_T && !keys->has_transport)
        return KV_E_TRANSPORT;
    issuer = slot_issuer(slot);
    if (issuer < 0)
        return KV_E_MAC; /* bytes no station writes: not authentic */
    token_mac(keys, id, slot, mac);
    if (!kv_ct_equal(mac, slot + T_MAC, KV_MAC_LEN))
        return KV_E_MAC;
    /* Authentic from here on: what follows only rejects well-formed tokens
     * that do not belong on this card. */
    if (!kv_card_kind_allowed(id->card_type, slot[T_KIND]))
        return KV_E_KIND;
    token->kind = slot[T_KIND];
    token->key_version = slot[T_KEYVER];
    token->seq = kv_get_be32(slot + T_SEQ);
    token->issuer = (uint16_t)issuer;
    token_iv(id, slot, token->issuer, iv);
    token_crypt(keys, token->kind, iv, slot + T_BODY, body);
    err = body_decode(token->kind, body, token);
    kv_wipe(body, sizeof body);
    if (err == KV_OK && (token->seq == 0 || token->seq == 0xFFFFFFFFu))
        err = KV_E_FIELD;
    if (err != KV_OK)
        kv_wipe(token, sizeof *token);
    return err;
}

/* ---- Readback ----------------------------------------------------------- */

/* A clear-credit card's readback reports the credit ever cleared where the
 * others carry the events (format 2), a parameter card's the emergency
 * allowance (format 3); every other card keeps format 1. */
static uint8_t readback_format(const kv_identity *id)
{
    switch (id->card_type) {
    case KV_CARD_CLEAR_CREDIT: return R_FORMAT_V2;
    case KV_CARD_PARAMETER: return R_FORMAT_V3;
    default: return R_FORMAT_V1;
    }
}

kv_err kv_readback_seal(const kv_meter_keys *keys, const kv_identity *id,
                        const kv_readback *rb, uint8_t slot[KV_SLOT_LEN])
{
    if (!keys || !id || !rb || !slot)
        return KV_E_ARG;
    if (rb->key_version != keys->key_version)
        return KV_E_KEY_VERSION;
    if (rb->counter == 0xFFFFFFFFu)
        return KV_E_OVERFLOW;
    slot[R_FORMAT] = readback_format(id);
    slot[R_STATUS] = rb->status;
    slot[R_KEYVER] = rb->key_version;
    kv_put_be32(slot + R_COUNTER, rb->counter);
    kv_put_be32(slot + R_REMAINING, (uint32_t)rb->remaining);
    kv_put_be32(slot + R_CUMULATIVE, rb->cumulative_loaded);
    kv_put_be32(slot + R_TOTAL, rb->total_energy);
    for (int i = 0; i < 3; i++)
        kv_put_be32(slot + R_PHASES + 4 * i, rb->phase_energy[i]);
    kv_put_be32(slot + R_LAST_SEQ, rb->last_seq);
    slot[R_RESULT] = rb->result;
    if (slot[R_FORMAT] == R_FORMAT_V1)
        memcpy(slot + R_EVENTS, rb->events, KV_READBACK_EVENTS);
    else
        kv_put_be32(slot + R_EVENTS,
                    slot[R_FORMAT] == R_FORMAT_V2 ? rb->cleared : rb->emergency);
    record_mac(&keys->c_rb, 'R', id, slot, R_MAC, slot + R_MAC);
    return KV_OK;
}

kv_err kv_readback_open(const kv_meter_keys *keys, const kv_identity *id,
                        const uint8_t slot[KV_SLOT_LEN], kv_readback *rb)
{
    uint8_t mac[KV_MAC_LEN];
    if (!keys || !id || !slot || !rb)
        return KV_E_ARG;
    memset(rb, 0, sizeof *rb);
    if (all_ff(slot, KV_READBACK_USED))
        return KV_E_EMPTY;
    if (slot[R_KEYVER] != keys->key_version)
        return KV_E_KEY_VERSION;
    record_mac(&keys->c_rb, 'R', id, slot, R_MAC, mac);
    if (!kv_ct_equal(mac, slot + R_MAC, KV_MAC_LEN))
        return KV_E_MAC;
    /* Parameter cards carry format 1 from meters older than format 3. */
    rb->format = slot[R_FORMAT];
    if (rb->format != readback_format(id) &&
        (rb->format != R_FORMAT_V1 || id->card_type != KV_CARD_PARAMETER))
        return KV_E_FORMAT;
    rb->status = slot[R_STATUS];
    rb->key_version = slot[R_KEYVER];
    rb->counter = kv_get_be32(slot + R_COUNTER);
    rb->remaining = (int32_t)kv_get_be32(slot + R_REMAINING);
    rb->cumulative_loaded = kv_get_be32(slot + R_CUMULATIVE);
    rb->total_energy = kv_get_be32(slot + R_TOTAL);
    for (int i = 0; i < 3; i++)
        rb->phase_energy[i] = kv_get_be32(slot + R_PHASES + 4 * i);
    rb->last_seq = kv_get_be32(slot + R_LAST_SEQ);
    rb->result = slot[R_RESULT];
    if (rb->format == R_FORMAT_V1)
        memcpy(rb->events, slot + R_EVENTS, KV_READBACK_EVENTS);
    else if (rb->format == R_FORMAT_V2)
        rb->cleared = kv_get_be32(slot + R_EVENTS);
    else
        rb->emergency = kv_get_be32(slot + R_EVENTS);
    return KV_OK;
}

/* ---- Whole card --------------------------------------------------------- */

/* Of two slot results, pick the newest valid one.  Returns the index (0/1)
 * or -1, and sets *err to the error to report when none is valid. */
static int pick(kv_err ea, uint32_t na, kv_err eb, uint32_t nb, kv_err *err, uint8_t *torn)
{
    *torn = 0;
    if (ea == KV_OK && eb == KV_OK) {
        *err = KV_OK;
        return nb > na ? 1 : 0;
    }
    if (ea == KV_OK || eb == KV_OK) {
        kv_err other = ea == KV_OK ? eb : ea;
        *torn = other != KV_E_EMPTY;
        *err = KV_OK;
        return ea == KV_OK ? 0 : 1;
    }
    /* Nothing valid: report the most telling reason. */
    if (ea == KV_E_KEY_VERSION || eb == KV_E_KEY_VERSION)
        *err = KV_E_KEY_VERSION;
    else if (ea != KV_E_EMPTY)
        *err = ea;
    else
        *err = eb;
    return -1;
}

kv_err kv_card_decode(const kv_meter_keys *keys, const uint8_t image[KV_CARD_SIZE],
                      kv_card_view *view)
{
    kv_token ta, tb;
    kv_readback ra, rb;
    kv_err ea, eb, err;
    int w;

    if (!keys || !image || !view)
        return KV_E_ARG;
    memset(view, 0, sizeof *view);
    err = kv_card_identity(image, &view->id);
    if (err != KV_OK)
        return err;

    /* Check cards carry a check token since the second revision; those of
     * the first carry none and show KV_E_EMPTY here. */
    ea = kv_token_open(keys, &view->id, image + KV_TOKEN_A, &ta);
    eb = kv_token_open(keys, &view->id, image + KV_TOKEN_B, &tb);
    w = pick(ea, ta.seq, eb, tb.seq, &view->token_err, &view->token_torn);
    if (w >= 0) {
        view->token = w ? tb : ta;
        view->token_slot = (uint8_t)w;
    }
    kv_wipe(&ta, sizeof ta);
    kv_wipe(&tb, sizeof tb);

    ea = kv_readback_open(keys, &view->id, image + KV_READBACK_A, &ra);
    eb = kv_readback_open(keys, &view->id, image + KV_READBACK_B, &rb);
    w = pick(ea, ra.counter, eb, rb.counter, &view->readback_err, &view->readback_torn);
    if (w >= 0) {
        view->readback = w ? rb : ra;
        view->readback_slot = (uint8_t)w;
    }
    return KV_OK;
}

unsigned kv_card_next_token_offset(const kv_card_view *view)
{
    if (view->token_err == KV_OK && view->token_slot == 0)
        return KV_TOKEN_B;
    return KV_TOKEN_A;
}

unsigned kv_card_next_readback_offset(const kv_card_view *view)
{
    if (view->readback_err == KV_OK && view->readback_slot == 0)
        return KV_READBACK_B;
    return KV_READBACK_A;
}

unsigned kv_slot_write_plan(const uint8_t old_slot[KV_SLOT_LEN],
                            const uint8_t new_slot[KV_SLOT_LEN], unsigned used,
                            uint8_t order[KV_SLOT_LEN])
{
    unsigned n = 0;
    if (used > KV_SLOT_LEN)
        used = KV_SLOT_LEN;
    for (unsigned i = 0; i < used; i++)
        if (old_slot[i] != new_slot[i])
            order[n++] = (uint8_t)i;
    return n;
}

/* ---- Rules -------------------------------------------------------------- */

kv_err kv_identity_check(const kv_identity *id, uint32_t utility_code, uint32_t meter_number)
{
    if (!id)
        return KV_E_ARG;
    if (id->utility_code != utility_code)
        return KV_E_UTILITY;
    if (id->meter_number != meter_number)
        return KV_E_METER;
    return KV_OK;
}

kv_err kv_credit_load(const kv_credit *credit, int32_t remaining, uint32_t cumulative_loaded,
                      uint32_t hoarding_limit, int32_t *new_remaining,
                      uint32_t *new_cumulative)
{
    int64_t after;
    if (!credit || !new_remaining || !new_cumulative)
        return KV_E_ARG;
    if (credit->cumulative <= cumulative_loaded)
        return KV_E_REPLAY;
    after = (int64_t)remaining + (int64_t)(credit->cumulative - cumulative_loaded);
    if (after > (int64_t)hoarding_limit)
        return KV_E_HOARD;
    if (after > INT32_MAX)
        return KV_E_OVERFLOW;
    *new_remaining = (int32_t)after;
    *new_cumulative = credit->cumulative;
    return KV_OK;
}
