/* fuzz-readback.c - libFuzzer target: one readback slot (and one token slot)
 * decoded with a meter's keys; a record that opens must re-seal to itself. */
#include <string.h>

#include "fuzz_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const kv_meter_keys *keys = fuzz_meter_keys();
    const kv_identity id = {KV_FORMAT_VERSION, KV_CARD_USER, FUZZ_UTILITY, 42, FUZZ_METER, 1};
    uint8_t slot[KV_SLOT_LEN], again[KV_SLOT_LEN];
    kv_readback rb;
    kv_token t;

    fuzz_input(slot, sizeof slot, 0xFF, data, size);
    if (kv_readback_open(keys, &id, slot, &rb) == KV_OK) {
        if (kv_readback_seal(keys, &id, &rb, again) != KV_OK ||
            memcmp(again, slot, KV_READBACK_USED) != 0)
            __builtin_trap();
    }
    if (kv_token_open(keys, &id, slot, &t) == KV_OK) {
        if (kv_token_seal(keys, &id, &t, again) != KV_OK ||
            memcmp(again, slot, KV_TOKEN_USED) != 0)
            __builtin_trap();
    }
    return 0;
}
