/* fuzz-card-file.c - libFuzzer target: the card file (docs/card-file.md),
 * as the station's file link (src/core/kv-card-link-file.c) and
 * kilovend-vcard's store read it, then the chip commands on what it loaded.
 *
 * Input: byte 0 is a mode, then the 1300-byte file (padded with zeros),
 * then commands of 3 bytes (command, address, data).  Mode bit 0 re-seals
 * the file's CRC, so the fuzzer reaches the fields behind it (a file edited
 * by hand, or by someone who wants a card with more tries).
 *
 * Checks: a file that loads saves to the same bytes; every command keeps
 * the chip's rules (fuzz_chip.h); a saved card loads again unchanged. */
#include <string.h>

#include "fuzz_chip.h"
#include "kv_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t file[SLE_FILE_SIZE], again[SLE_FILE_SIZE], out[SLE_MAIN_SIZE];
    sle4442 chip, before, back;
    size_t n, i;

    if (size < 1)
        return 0;
    n = size - 1 < sizeof file ? size - 1 : sizeof file;
    memset(file, 0, sizeof file);
    memcpy(file, data + 1, n);
    if (data[0] & 1) {
        memcpy(file, SLE_FILE_MAGIC, 8);
        kv_put_be32(file + 1296, kv_crc32(file, 1296));
    }
    if (sle_load(&chip, file) != 0)
        return 0;
    sle_save(&chip, again);
    if (memcmp(file, again, sizeof file) != 0)
        __builtin_trap();
    if (chip.verified || sle_tries_left(&chip) > 3)
        __builtin_trap();

    for (i = 1 + sizeof file; i + 3 <= size; i += 3) {
        unsigned addr = data[i + 1];
        uint8_t v = data[i + 2];
        before = chip;
        switch (data[i] % 9) {
        case 0:
            (void)sle_read_main(&chip, addr, out, (size_t)(v % 64));
            break;
        case 1: (void)sle_update_main(&chip, addr, v); break;
        case 2: (void)sle_update_main_torn(&chip, addr); break;
        case 3: (void)sle_write_prot(&chip, addr % 40, v); break;
        case 4: (void)sle_update_sec(&chip, addr % 5, v); break;
        case 5: (void)sle_compare(&chip, addr % 5, v); break;
        case 6: {
            const uint8_t psc[3] = {(uint8_t)addr, v, data[i]};
            (void)sle_verify_psc(&chip, psc);
            break;
        }
        case 7: sle_power_on(&chip); break;
        default:
            sle_read_sec(&chip, out);
            if (!chip.verified && (out[1] | out[2] | out[3]) != 0)
                __builtin_trap(); /* the PSC reads as zeros until verified */
            break;
        }
        fuzz_chip_check(&before, &chip);
    }

    sle_save(&chip, again);
    if (sle_load(&back, again) != 0 || memcmp(back.main, chip.main, sizeof back.main) != 0 ||
        memcmp(back.prot, chip.prot, 4) != 0 || memcmp(back.sec, chip.sec, 4) != 0 ||
        memcmp(back.writes, chip.writes, sizeof back.writes) != 0)
        __builtin_trap();
    return 0;
}
