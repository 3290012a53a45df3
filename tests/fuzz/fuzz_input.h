/* fuzz_input.h - a fuzzer's input in a fixed-size buffer. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* buf (len bytes) holds the input's first bytes; the rest of it, when the
 * input is shorter, is pad (0xFF: erased bytes, as a partly read card). */
static inline void fuzz_input(uint8_t *buf, size_t len, uint8_t pad, const uint8_t *data,
                              size_t size)
{
    memset(buf, pad, len);
    memcpy(buf, data, size < len ? size : len);
}

#endif
