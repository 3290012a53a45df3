/* kv-amount.c - amounts typed by a cashier, parsed into integers. */
#define G_LOG_DOMAIN "kv-amount"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "kv-amount.h"

G_DEFINE_QUARK(kv-amount-error-quark, kv_amount_error)

gboolean kv_amount_parse(const char *text, guint digits, gint64 *out, GError **error)
{
    gint64 whole = 0, frac = 0;
    guint nfrac = 0, nwhole = 0;
    gboolean seen_mark = FALSE;
    const char *p;

    g_return_val_if_fail(text != NULL, FALSE);
    g_return_val_if_fail(out != NULL, FALSE);
    g_return_val_if_fail(digits <= 4, FALSE);

    while (g_ascii_isspace(*text))
        text++;
    if (*text == '\0') {
        g_set_error_literal(error, KV_AMOUNT_ERROR, KV_AMOUNT_ERROR_EMPTY,
                            _("Type an amount."));
        return FALSE;
    }
    if (*text == '-') {
        g_set_error_literal(error, KV_AMOUNT_ERROR, KV_AMOUNT_ERROR_NEGATIVE,
                            _("The amount cannot be negative."));
        return FALSE;
    }

    for (p = text; *p != '\0'; p++) {
        if (g_ascii_isdigit(*p)) {
            if (seen_mark) {
                if (++nfrac > digits) {
                    if (digits == 0)
                        g_set_error_literal(error, KV_AMOUNT_ERROR, KV_AMOUNT_ERROR_PRECISION,
                                            _("This currency has no decimals."));
                    else
                        g_set_error(error, KV_AMOUNT_ERROR, KV_AMOUNT_ERROR_PRECISION,
                                    ngettext("Use at most %u decimal.",
                                             "Use at most %u decimals.", digits),
                                    digits);
                    return FALSE;
                }
                frac = frac * 10 + (*p - '0');
            } else {
                whole = whole * 10 + (*p - '0');
                nwhole++;
                if (whole > KV_AMOUNT_MAX)
                    goto too_large;
            }
        } else if ((*p == '.' || *p == ',') && !seen_mark) {
            seen_mark = TRUE;
        } else if (*p == ' ' && !seen_mark && nwhole > 0) {
            /* thousands separator */
        } else if (g_ascii_isspace(*p) && p[strspn(p, " \t\n")] == '\0') {
            break; /* trailing blanks */
        } else {
            g_set_error(error, KV_AMOUNT_ERROR, KV_AMOUNT_ERROR_INVALID,
                        _("“%s” is not an amount: use digits and one decimal mark."), text);
            return FALSE;
        }
    }
    if (nwhole == 0 && nfrac == 0) {
        g_set_error(error, KV_AMOUNT_ERROR, KV_AMOUNT_ERROR_INVALID,
                    _("“%s” is not an amount: use digits and one decimal mark."), text);
        return FALSE;
    }
    for (guint i = nfrac; i < digits; i++)
        frac *= 10;
    for (guint i = 0; i < digits; i++) {
        whole *= 10;
        if (whole > KV_AMOUNT_MAX)
            goto too_large;
    }
    if (whole + frac > KV_AMOUNT_MAX)
        goto too_large;
    *out = whole + frac;
    return TRUE;

too_large:
    g_set_error_literal(error, KV_AMOUNT_ERROR, KV_AMOUNT_ERROR_TOO_LARGE,
                        _("The amount is too large."));
    return FALSE;
}

char *kv_amount_format(gint64 value, guint digits)
{
    const char *mark = localeconv()->decimal_point;
    gboolean negative = value < 0;
    guint64 v = negative ? (guint64)(-(value + 1)) + 1 : (guint64)value;
    guint64 scale = 1;

    g_return_val_if_fail(digits <= 4, NULL);

    if (mark == NULL || *mark == '\0')
        mark = ".";
    for (guint i = 0; i < digits; i++)
        scale *= 10;
    if (digits == 0)
        return g_strdup_printf("%s%" G_GUINT64_FORMAT, negative ? "-" : "", v);
    return g_strdup_printf("%s%" G_GUINT64_FORMAT "%s%0*" G_GUINT64_FORMAT, negative ? "-" : "",
                           v / scale, mark, (int)digits, v % scale);
}
