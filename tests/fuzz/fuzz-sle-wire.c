/* fuzz-sle-wire.c - libFuzzer target: the SLE4442 wire protocol as the
 * chip model decodes it at its contacts (src/sle4442/sle4442_wire.c):
 * any sequence of RST, CLK and I/O levels, insertions and pulls, as a
 * faulty or hostile reader could drive them.
 *
 * Input: byte 0 is a mode (bit 0: the card's PSC is unlocked from the
 * start, as after a verification; bits 1..7 scale the processing length),
 * then one event per byte: bits 0..1 the line (RST, CLK, I/O, card), bit 2
 * the level, bits 3..7 how many times to repeat a CLK pulse.
 *
 * Checks: I/O reads 0 or 1; the chip's rules hold after every event
 * (fuzz_chip.h): no sequence of line levels writes a protected byte, or
 * any byte without the PSC. */
#include <string.h>

#include "fuzz_chip.h"
#include "sle4442_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t atr[4] = {0xA2, 0x13, 0x10, 0x91};
    static const uint8_t psc[3] = {0x12, 0x34, 0x56};
    sle4442 chip, before;
    sle_wire w;

    if (size < 1)
        return 0;
    sle_init_blank(&chip, atr, psc);
    chip.verified = 1;
    for (unsigned a = 4; a < 0x20; a++)
        sle_update_main(&chip, a, (uint8_t)(a * 7));
    for (unsigned a = 0; a < 0x10; a++)
        sle_write_prot(&chip, a, chip.main[a]);
    sle_wire_init(&w, &chip, SLE_WIRE_PROC_MIN + (data[0] >> 1));
    sle_wire_insert(&w);
    chip.verified = data[0] & 1;

    for (size_t i = 1; i < size; i++) {
        int level = (data[i] >> 2) & 1;
        before = chip;
        switch (data[i] & 3) {
        case 0: sle_wire_set_rst(&w, level); break;
        case 1:
            for (unsigned n = 0; n <= (unsigned)(data[i] >> 3); n++) {
                sle_wire_set_clk(&w, 1);
                sle_wire_set_clk(&w, 0);
            }
            sle_wire_set_clk(&w, level);
            break;
        case 2: sle_wire_set_io(&w, level); break;
        default:
            if (level)
                sle_wire_insert(&w);
            else
                sle_wire_remove(&w);
            break;
        }
        if ((unsigned)sle_wire_io(&w) > 1)
            __builtin_trap();
        fuzz_chip_check(&before, &chip);
    }
    return 0;
}
