/* kv-amount.h - what a cashier types into an amount field, as integers.
 *
 * Money is counted in minor units (cents) and energy in 0.01 kWh, never in
 * floating point.  Both a point and a comma are accepted as the decimal
 * separator (cashiers in francophone countries type commas), spaces as
 * thousands separators. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KV_AMOUNT_ERROR (kv_amount_error_quark())
GQuark kv_amount_error_quark(void);

typedef enum {
    KV_AMOUNT_ERROR_EMPTY,
    KV_AMOUNT_ERROR_INVALID,
    KV_AMOUNT_ERROR_NEGATIVE,
    KV_AMOUNT_ERROR_PRECISION,
    KV_AMOUNT_ERROR_TOO_LARGE
} KvAmountError;

/* The largest amount accepted from a field: well inside every counter. */
#define KV_AMOUNT_MAX G_GINT64_CONSTANT(100000000000)

/* Parse text with up to digits decimals into *out (minor units). */
gboolean kv_amount_parse(const char *text, guint digits, gint64 *out, GError **error);

/* Format minor units with digits decimals and the locale's decimal mark. */
char *kv_amount_format(gint64 value, guint digits);

G_END_DECLS
