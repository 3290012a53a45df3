/* fuzz-token.c - libFuzzer target: one token slot opened as each card type
 * would (check tokens, both key changes, issuer bytes), by keys with and
 * without a transport key.  Input: a selector byte (bits 0..2: card type,
 * bit 3: no transport key), then the 48 slot bytes (short input padded with
 * erased bytes).  A token that opens must seal back to the same bytes. */
#include <string.h>

#include "fuzz_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t types[8] = {KV_CARD_USER, KV_CARD_CHECK, KV_CARD_PARAMETER,
                                     KV_CARD_CLEAR_TAMPER, KV_CARD_KEY_CHANGE, KV_CARD_TEST,
                                     KV_CARD_KEY_CHANGE, 0x7E};
    static kv_meter_keys with, without;
    static int init;
    uint8_t slot[KV_SLOT_LEN], again[KV_SLOT_LEN], cb[16];
    kv_identity id = {KV_FORMAT_VERSION, KV_CARD_USER, FUZZ_UTILITY, 42, FUZZ_METER, 1};
    const kv_meter_keys *k;
    kv_token t;
    kv_err e;

    if (!init) {
        fuzz_keys(&with);
        fuzz_keys(&without);
        kv_meter_keys_init(&without, with.k_meter, 1, with.k_psc);
        init = 1;
    }
    if (size == 0)
        return 0;
    id.card_type = types[data[0] & 7];
    k = (data[0] & 8) ? &without : &with;
    memset(slot, 0xFF, sizeof slot);
    memcpy(slot, data + 1, size - 1 < sizeof slot ? size - 1 : sizeof slot);

    e = kv_token_open(k, &id, slot, &t);
    (void)kv_token_counter_block(&id, slot, cb);
    if (e == KV_OK) {
        if (!kv_card_kind_allowed(id.card_type, t.kind) || t.seq == 0 ||
            t.issuer > KV_ISSUER_MAX)
            __builtin_trap();
        if (kv_token_seal(k, &id, &t, again) != KV_OK ||
            memcmp(again, slot, KV_TOKEN_USED) != 0)
            __builtin_trap();
        if (t.kind == KV_TOKEN_KEY_CHANGE_T && !k->has_transport)
            __builtin_trap();
    }
    return 0;
}
