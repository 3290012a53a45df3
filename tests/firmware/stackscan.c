/* stackscan.c - search the dead stack for a secret (see stackscan.h). */
#include "stackscan.h"

#define SCAN_BYTES 65536

/* A pointer the compiler cannot see through: the scan reads what earlier
 * frames left in this memory, which it must not assume anything about. */
static volatile uint8_t *opaque(uint8_t *p)
{
    __asm__ volatile("" : "+r"(p));
    return p;
}

__attribute__((noinline)) void stackscan_fill(void)
{
    uint8_t area[SCAN_BYTES];
    volatile uint8_t *probe = opaque(area);
    for (unsigned long i = 0; i < SCAN_BYTES; i++)
        probe[i] = 0xA5;
}

__attribute__((noinline)) long stackscan_find(const uint8_t *pat, unsigned n)
{
    uint8_t area[SCAN_BYTES];
    volatile uint8_t *probe = opaque(area);
    for (unsigned long i = 0; i + n <= SCAN_BYTES; i++) {
        unsigned j = 0;
        while (j < n && probe[i + j] == pat[j])
            j++;
        if (j == n)
            return (long)i;
    }
    return -1;
}
