/* fuzz-token-seal.c - libFuzzer target: tokens of every kind on every card
 * type, sealed from fields the fuzzer chooses, then opened and tampered
 * with (the token target opens slots as found on cards; the fuzzer cannot
 * forge a MAC, so this one seals with the fuzz keys to reach what follows
 * it).
 *
 * Input: byte 0 picks the card type; byte 1 the kind (bit 0 set: kind
 * byte 1 >> 1, else the kind the station seals on this card type); bytes
 * 2..30 the token's fields (fuzz_token.h); bytes 31 and 32 name a byte of
 * the sealed slot and a change to it.
 *
 * Checks: a token that seals opens, to a token that seals to the same
 * slot, with the same emergency allowance (a parameter token's body byte
 * 22); the changed slot does not open (every byte the contract writes is
 * authenticated). */
#include <string.h>

#include "fuzz_keys.h"
#include "fuzz_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const kv_meter_keys *keys = fuzz_meter_keys();
    uint8_t in[4 + FUZZ_TOKEN_FIELDS], slot[KV_SLOT_LEN], again[KV_SLOT_LEN];
    kv_identity id = {KV_FORMAT_VERSION, KV_CARD_USER, FUZZ_UTILITY, 42, FUZZ_METER, 1};
    const uint8_t *tamper = in + 2 + FUZZ_TOKEN_FIELDS;
    kv_token t, opened;
    uint8_t kind;

    fuzz_input(in, sizeof in, 0, data, size);
    id.card_type = fuzz_card_type(in[0]);
    kind = (in[1] & 1) ? (uint8_t)(in[1] >> 1)
                       : (uint8_t)kv_card_token_kind((kv_card_type)id.card_type);

    fuzz_token_fields(in + 2, kind, keys->key_version, &t);
    if (kv_token_seal(keys, &id, &t, slot) != KV_OK)
        return 0;
    if (kv_token_open(keys, &id, slot, &opened) != KV_OK || opened.seq != t.seq ||
        opened.kind != t.kind ||
        (t.kind == KV_TOKEN_PARAMETERS &&
         opened.u.params.emergency_kwh != t.u.params.emergency_kwh) ||
        kv_token_seal(keys, &id, &opened, again) != KV_OK ||
        memcmp(again, slot, KV_SLOT_LEN) != 0)
        __builtin_trap();
    slot[tamper[0] % KV_TOKEN_USED] ^= (uint8_t)(tamper[1] | 1);
    if (kv_token_open(keys, &id, slot, &opened) == KV_OK)
        __builtin_trap();
    return 0;
}
