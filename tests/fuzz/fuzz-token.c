/* fuzz-token.c - libFuzzer target: the token open path of every card type.
 *
 * Input: byte 0 picks the card type, byte 1 is a mode.
 *   mode bit 0 clear: bytes 2..49 are a token slot as found on a card.  A
 *     slot that opens must re-seal to itself.
 *   mode bit 0 set: bytes 2..29 are the token's fields (fuzz_token.h),
 *     sealed with the fuzz keys for this card, of the kind the station puts
 *     on this card type or, with mode bit 1, of kind (mode >> 2); bytes 30
 *     and 31 name a byte of the sealed slot and a change to it.  A token
 *     that seals must open to a token that seals to the same slot, and the
 *     changed slot must not open (every byte the contract writes is
 *     authenticated).
 */
#include <string.h>

#include "fuzz_keys.h"
#include "fuzz_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kv_meter_keys keys;
    static int init;
    uint8_t in[2 + KV_SLOT_LEN], slot[KV_SLOT_LEN], again[KV_SLOT_LEN];
    kv_identity id = {KV_FORMAT_VERSION, KV_CARD_USER, FUZZ_UTILITY, 42, FUZZ_METER, 1};
    kv_token t, opened;
    kv_err err;

    if (!init) {
        fuzz_keys(&keys);
        init = 1;
    }
    memset(in, 0xFF, sizeof in);
    memcpy(in, data, size < sizeof in ? size : sizeof in);
    id.card_type = fuzz_card_type(in[0]);

    if (!(in[1] & 1)) {
        if (kv_token_open(&keys, &id, in + 2, &t) == KV_OK) {
            if (kv_token_seal(&keys, &id, &t, again) != KV_OK ||
                memcmp(again, in + 2, KV_TOKEN_USED) != 0)
                __builtin_trap();
        }
        return 0;
    }

    fuzz_token_fields(in + 2,
                      (in[1] & 2) ? (uint8_t)(in[1] >> 2)
                                  : (uint8_t)kv_card_token_kind((kv_card_type)id.card_type),
                      keys.key_version, &t);
    if (kv_token_seal(&keys, &id, &t, slot) != KV_OK)
        return 0;
    err = kv_token_open(&keys, &id, slot, &opened);
    if (err != KV_OK || opened.seq != t.seq ||
        kv_token_seal(&keys, &id, &opened, again) != KV_OK ||
        memcmp(again, slot, KV_SLOT_LEN) != 0)
        __builtin_trap();
    slot[in[2 + FUZZ_TOKEN_FIELDS] % KV_TOKEN_USED] ^= (uint8_t)(in[3 + FUZZ_TOKEN_FIELDS] | 1);
    if (kv_token_open(&keys, &id, slot, &opened) == KV_OK)
        __builtin_trap();
    return 0;
}
