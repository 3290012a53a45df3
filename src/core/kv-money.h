/* kv-money.h - money and energy as integers, parsed from and printed as text.
 *
 * Money is in minor units (cents) with the station's minor_digits (0..3);
 * energy in 0.01 kWh.  Parsing accepts "12", "12.5", "12.50" (never more
 * decimals than the unit has: "12.505" is an error, not a rounding).
 */
#ifndef KV_MONEY_H
#define KV_MONEY_H

#include <glib.h>

G_BEGIN_DECLS

/* Parse a non-negative decimal with at most `digits` decimals into
 * value * 10^digits.  Rejects signs, exponents, spaces, empty text and
 * values above max. */
gboolean kv_decimal_parse(const char *text, guint digits, gint64 max, gint64 *out,
                          GError **error);
/* value / 10^digits with exactly `digits` decimals ("-" for negatives). */
char *kv_decimal_format(gint64 value, guint digits);

/* Energy: 0.01 kWh. */
#define kv_energy_parse(text, max, out, error) kv_decimal_parse(text, 2, max, out, error)
#define kv_energy_format(v) kv_decimal_format(v, 2)

G_END_DECLS

#endif
