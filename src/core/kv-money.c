/* kv-money.c - decimal text to integer units and back, exactly. */
#include "kv-i18n.h"
#include "kv-core-error.h"
#include "kv-money.h"

static gboolean too_large(const char *text, GError **error)
{
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("'%s' is too large"), text);
    return FALSE;
}

gboolean kv_decimal_parse(const char *text, guint digits, gint64 max, gint64 *out,
                          GError **error)
{
    gint64 whole = 0, frac = 0, scale = 1;
    guint nfrac = 0;
    const char *p = text;
    gboolean any = FALSE;

    g_return_val_if_fail(digits <= 18, FALSE);
    for (guint i = 0; i < digits; i++)
        scale *= 10;
    if (!p || !*p) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("empty value"));
        return FALSE;
    }
    if (*p == '-') {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("'%s' is negative: give a positive value"), text);
        return FALSE;
    }
    for (; g_ascii_isdigit(*p); p++) {
        int d = *p - '0';
        any = TRUE;
        if (whole > (G_MAXINT64 - d) / 10)
            return too_large(text, error);
        whole = whole * 10 + d;
    }
    if (*p == '.') {
        for (p++; g_ascii_isdigit(*p); p++) {
            any = TRUE;
            if (++nfrac > digits) {
                g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                            _("'%s' has more than %u decimals"), text, digits);
                return FALSE;
            }
            frac = frac * 10 + (*p - '0');
        }
    }
    if (*p || !any) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("'%s' is not a number (use digits and an optional '.')"), text);
        return FALSE;
    }
    for (; nfrac < digits; nfrac++)
        frac *= 10;
    /* whole * scale + frac must fit in 63 bits: an overflow here once
     * wrapped a huge amount to a negative one, which passed the max check. */
    if (whole > (G_MAXINT64 - frac) / scale)
        return too_large(text, error);
    *out = whole * scale + frac;
    if (max > 0 && *out > max) {
        g_autofree char *m = kv_decimal_format(max, digits);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("'%s' is too large (at most %s)"), text, m);
        return FALSE;
    }
    return TRUE;
}

char *kv_decimal_format(gint64 value, guint digits)
{
    gint64 scale = 1;
    guint64 v = value < 0 ? (guint64)0 - (guint64)value : (guint64)value;
    for (guint i = 0; i < digits; i++)
        scale *= 10;
    if (digits == 0)
        return g_strdup_printf("%s%" G_GUINT64_FORMAT, value < 0 ? "-" : "", v);
    return g_strdup_printf("%s%" G_GUINT64_FORMAT ".%0*" G_GUINT64_FORMAT, value < 0 ? "-" : "",
                           v / (guint64)scale, (int)digits, v % (guint64)scale);
}
