/* fuzz-card-image.c - libFuzzer target: a whole card image through the
 * station's and the meter's decoding path (identity, tokens, readback, slot
 * choice, write plan, loading rule).  Inputs of any length are accepted:
 * short ones are padded with erased bytes, as a partly read card would be. */
#include <string.h>

#include "fuzz_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const kv_meter_keys *keys = fuzz_meter_keys();
    uint8_t img[KV_CARD_SIZE], order[KV_SLOT_LEN];
    kv_card_view v;
    kv_identity id;

    fuzz_input(img, sizeof img, 0xFF, data, size);

    if (kv_card_identity(img, &id) != KV_OK)
        return 0;
    (void)kv_identity_check(&id, FUZZ_UTILITY, FUZZ_METER);
    if (kv_card_decode(keys, img, &v) != KV_OK)
        __builtin_trap(); /* identity decoded above: decode must not fail */
    unsigned t = kv_card_next_token_offset(&v);
    unsigned r = kv_card_next_readback_offset(&v);
    if ((t != KV_TOKEN_A && t != KV_TOKEN_B) || (r != KV_READBACK_A && r != KV_READBACK_B))
        __builtin_trap();
    if (v.token_err == KV_OK && v.token.kind == KV_TOKEN_CREDIT) {
        int32_t nr;
        uint32_t nc;
        if (kv_credit_load(&v.token.u.credit, 0, 0, 0x7FFFFFFFu, &nr, &nc) == KV_OK &&
            (nr < 0 || nc != v.token.u.credit.cumulative))
            __builtin_trap();
    }
    (void)kv_slot_write_plan(img + KV_TOKEN_A, img + KV_TOKEN_B, KV_TOKEN_USED, order);
    return 0;
}
