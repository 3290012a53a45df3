/* fuzz_token.h - a token with every field taken from fuzzer bytes, for the
 * targets that seal what they decode (the fuzzer cannot forge a MAC, so to
 * reach the code behind it a target seals the fields it was given with the
 * fuzz keys).  Reads FUZZ_TOKEN_FIELDS bytes: sequence (4), body fields
 * (23: a parameter token's emergency allowance is body byte 22), issuer
 * (2: any value, the contract takes 0..KV_ISSUER_MAX). */
#ifndef FUZZ_TOKEN_H
#define FUZZ_TOKEN_H

#include <string.h>

#include "kv_card.h"
#include "kv_util.h"

#define FUZZ_TOKEN_FIELDS 29
/* Where fuzz_token_fields reads a parameter token's emergency allowance. */
#define FUZZ_TOKEN_EMERGENCY (4 + 22)

static inline void fuzz_token_fields(const uint8_t p[FUZZ_TOKEN_FIELDS], uint8_t kind,
                                     uint8_t key_version, kv_token *t)
{
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->key_version = key_version;
    t->seq = kv_get_be32(p);
    t->issuer = kv_get_be16(p + 27);
    p += 4;
    switch (kind) {
    case KV_TOKEN_CREDIT:
        t->u.credit.cumulative = kv_get_be32(p);
        t->u.credit.amount = kv_get_be32(p + 4);
        t->u.credit.issued_at = kv_get_be32(p + 8);
        t->u.credit.sale_ref = kv_get_be32(p + 12);
        t->u.credit.office = kv_get_be16(p + 16);
        break;
    case KV_TOKEN_PARAMETERS:
        t->u.params.alarm_level = kv_get_be32(p);
        t->u.params.pretrip_level = kv_get_be32(p + 4);
        t->u.params.hoarding_limit = kv_get_be32(p + 8);
        t->u.params.max_power = kv_get_be32(p + 12);
        t->u.params.reconnect_delay = kv_get_be16(p + 16);
        t->u.params.issued_at = kv_get_be32(p + 18);
        t->u.params.emergency_kwh = p[22];
        break;
    case KV_TOKEN_KEY_CHANGE:
        t->u.key_change.new_key_version = p[0];
        memcpy(t->u.key_change.new_k_meter, p + 1, 16);
        t->u.key_change.issued_at = kv_get_be32(p + 17);
        break;
    default:
        t->u.issued_at = kv_get_be32(p);
        break;
    }
}

/* The six card types, chosen by any byte. */
static inline uint8_t fuzz_card_type(uint8_t b)
{
    static const uint8_t types[6] = {KV_CARD_USER, KV_CARD_CHECK, KV_CARD_PARAMETER,
                                     KV_CARD_CLEAR_TAMPER, KV_CARD_KEY_CHANGE, KV_CARD_TEST};
    return types[b % 6];
}

#endif
