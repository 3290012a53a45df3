/* fuzz-identity.c - libFuzzer target: the card identity (17 bytes, what
 * any reader sees before it has a key) and the meter number's check digit.
 *
 * Input: byte 0 is a mode, then the identity.  Mode bit 0 re-seals the
 * CRC-16, so the fuzzer reaches the field checks behind it.
 *
 * Checks: an identity that decodes encodes to the same bytes, carries a
 * valid card type and meter number, and its card's PSC is never the
 * factory code nor zeros. */
#include <string.h>

#include "fuzz_keys.h"
#include "kv_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const kv_meter_keys *keys = fuzz_meter_keys();
    uint8_t in[KV_ID_LEN], again[KV_ID_LEN], psc[KV_PSC_LEN];
    kv_identity id;
    uint32_t n;

    if (size < 1)
        return 0;
    fuzz_input(in, sizeof in, 0xFF, data + 1, size - 1);
    if (data[0] & 1)
        kv_put_be16(in + KV_ID_AUTH_LEN, kv_crc16(in, KV_ID_AUTH_LEN));

    /* The meter number rule on any 32-bit value. */
    n = kv_get_be32(in + 10);
    if (kv_meter_number_valid(n) &&
        (n > 999999999u || kv_meter_check_digit(n / 10) != n % 10))
        __builtin_trap();

    if (kv_identity_decode(in, &id) != KV_OK)
        return 0;
    if (kv_identity_encode(&id, again) != KV_OK || memcmp(in, again, sizeof in) != 0)
        __builtin_trap();
    if (!kv_card_type_valid(id.card_type) || !kv_meter_number_valid(id.meter_number) ||
        (id.card_type != KV_CARD_CHECK && kv_card_token_kind((kv_card_type)id.card_type) == 0))
        __builtin_trap();
    if (kv_identity_check(&id, id.utility_code, id.meter_number) != KV_OK)
        __builtin_trap();
    kv_card_psc(keys, id.card_serial, psc);
    if ((psc[0] == 0xFF && psc[1] == 0xFF && psc[2] == 0xFF) ||
        (psc[0] == 0 && psc[1] == 0 && psc[2] == 0))
        __builtin_trap();
    return 0;
}
