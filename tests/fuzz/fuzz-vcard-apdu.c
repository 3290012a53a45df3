/* fuzz-vcard-apdu.c - libFuzzer target: the pseudo-APDUs kilovend-vcard
 * answers (src/vcard/vcard-reader.c), as pcscd passes them from any PC/SC
 * client, in sequences, on a card issued like a customer's.
 *
 * Input: byte 0 is a mode (bit 0: the older ACR38 answer shape; bits 1..7:
 * a tear after that many written bytes, 0 = none), then APDUs, each one
 * length byte and that many bytes.
 *
 * Checks: every answer fits the response buffer (ASan sees any overrun) and
 * ends with a status word, unless the card was torn out; the chip's rules
 * hold after every command (fuzz_chip.h); the ATR is the card's. */
#include <string.h>

#include "fuzz_chip.h"
#include "vcard-reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t atr[4] = {0xA2, 0x13, 0x10, 0x91};
    static const uint8_t psc[3] = {0x12, 0x34, 0x56};
    uint8_t resp[VCARD_RESP_MAX], a[6];
    vcard_reader r;
    sle4442 before;
    size_t i;

    if (size < 1)
        return 0;
    vcard_reader_init(&r, (data[0] & 1) ? VCARD_SHAPE_ACR38 : VCARD_SHAPE_ACR39);
    sle_init_blank(&r.chip, atr, psc);
    /* An issued card: identity bytes locked, as the station leaves it. */
    r.chip.verified = 1;
    for (unsigned b = 4; b < 0x20; b++)
        sle_update_main(&r.chip, b, (uint8_t)(b * 7));
    for (unsigned b = 0; b < 0x20; b++)
        sle_write_prot(&r.chip, b, r.chip.main[b]);
    if (data[0] >> 1)
        r.tear_after = data[0] >> 1;
    vcard_reader_power(&r);
    if (vcard_reader_atr(&r, a) != 6 || memcmp(a + 2, atr, 4) != 0)
        __builtin_trap();

    for (i = 1; i < size;) {
        size_t len = data[i++], n;
        if (len > size - i)
            len = size - i;
        before = r.chip;
        n = vcard_reader_apdu(&r, data + i, len, resp);
        i += len;
        if (n > VCARD_RESP_MAX || (n < 2 && !(n == 0 && r.torn)))
            __builtin_trap();
        fuzz_chip_check(&before, &r.chip);
        if (r.torn)
            vcard_reader_power(&r); /* the card goes back in */
    }
    return 0;
}
