/* stackscan.h - search the dead stack for a secret left behind.
 *
 * stackscan_fill() overwrites the stack below the caller with a known byte;
 * after the code under test has run (called from the same frame),
 * stackscan_find() looks for a byte pattern in what its frames left there.
 * This reads indeterminate memory on purpose and relies on how the host's
 * C compiler lays out frames; under AddressSanitizer the frames of
 * instrumented functions may live elsewhere and nothing is found, so the
 * property is proven by the plain build.  Link with -z now: lazy binding
 * saves the vector registers (holding whatever memcpy last moved) on the
 * stack, outside the code under test.
 */
#ifndef STACKSCAN_H
#define STACKSCAN_H

#include <stdint.h>

void stackscan_fill(void);
/* Offset of the first copy of pat[0..n-1] below the caller, or -1. */
long stackscan_find(const uint8_t *pat, unsigned n);

#endif
