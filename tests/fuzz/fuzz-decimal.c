/* fuzz-decimal.c - libFuzzer target: the amounts and energies a cashier
 * or an admin types (src/core/kv-money.c, kv_decimal_parse): the app's
 * sale and admin pages, kilovendctl's options, the tariff prices.
 *
 * Input: byte 0 gives the decimals (0..7, prices use up to 7), byte 1 the
 * maximum (none, 2^31 - 1 or 10000), the rest the text.
 *
 * Checks: a value that parses is never negative, never above the maximum,
 * and prints (kv_decimal_format) as text that parses to the same value;
 * UBSan sees any overflow on the way. */
#include <stdint.h>
#include <string.h>

#include "kv-money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const gint64 maxima[3] = {0, 0x7FFFFFFF, 10000};
    char text[64];
    guint digits;
    gint64 max, v = 0, again = 0;
    size_t n;

    if (size < 2)
        return 0;
    digits = data[0] % 8;
    max = maxima[data[1] % 3];
    n = size - 2 < sizeof text - 1 ? size - 2 : sizeof text - 1;
    memcpy(text, data + 2, n);
    text[n] = '\0';
    if (!kv_decimal_parse(text, digits, max, &v, NULL))
        return 0;
    if (v < 0 || (max > 0 && v > max))
        __builtin_trap();
    g_autofree char *s = kv_decimal_format(v, digits);
    if (!kv_decimal_parse(s, digits, max, &again, NULL) || again != v)
        __builtin_trap();
    return 0;
}
