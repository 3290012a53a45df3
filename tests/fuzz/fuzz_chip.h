/* fuzz_chip.h - what no sequence of commands may do to an SLE4442 (the
 * datasheet's rules, checked on the chip model after every step of the
 * targets that drive it): a protected byte never changes and protection is
 * never lifted; without a verified PSC neither main memory nor the PSC
 * changes; the error counter never grows back except through a verified
 * PSC, and never holds more than three tries. */
#ifndef FUZZ_CHIP_H
#define FUZZ_CHIP_H

#include <string.h>

#include "sle4442.h"

static inline void fuzz_chip_check(const sle4442 *before, const sle4442 *after)
{
    int verified = before->verified || after->verified;
    for (unsigned a = 0; a < SLE_PROT_BYTES; a++)
        if (!((before->prot[a / 8] >> (a % 8)) & 1) && before->main[a] != after->main[a])
            __builtin_trap();
    for (unsigned i = 0; i < 4; i++)
        if (after->prot[i] & (uint8_t)~before->prot[i])
            __builtin_trap();
    if (!verified && (memcmp(before->main, after->main, SLE_MAIN_SIZE) != 0 ||
                      memcmp(before->sec + 1, after->sec + 1, 3) != 0 ||
                      (after->sec[0] & (uint8_t)~before->sec[0] & 7) != 0))
        __builtin_trap();
    if (after->sec[0] > 7)
        __builtin_trap();
}

#endif
