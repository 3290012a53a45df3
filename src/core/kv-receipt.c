/* kv-receipt.c - the customer's receipt: text lines, and an 80 mm PDF drawn
 * with cairo and Pango (no display needed). */
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "kv-breakdown.h"
#include "kv-db.h"
#include "kv-i18n.h"
#include "kv-money.h"
#include "kv-receipt.h"
#include "kv-refunds.h"
#include "kv-receipt-private.h"
#include "kv-registry.h"
#include "kv-sales.h"

#define MM_TO_PT(mm) ((mm) * 72.0 / 25.4)
#define PAPER_WIDTH_MM 80.0
#define MARGIN_MM 4.0

/* One receipt line: label padded to width characters (not bytes: a
 * translated label may have accents), then the value. */
static void add_labelled(GPtrArray *l, const char *label, glong width, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
static void add_labelled(GPtrArray *l, const char *label, glong width, const char *fmt, ...)
{
    glong n = g_utf8_strlen(label, -1);
    g_autofree char *value = NULL;
    va_list ap;

    va_start(ap, fmt);
    value = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(l, g_strdup_printf("%s%*s%s", label, (int)(n < width ? width - n : 1), "",
                                       value));
}

/* The tariff as the customer knows it: its name, with its code; the code
 * alone when it has no name. */
static char *tariff_text(KvStation *st, const KvSale *x)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT name FROM tariffs WHERE id = ?", NULL,
                                      KV_DB_VALUES(KV_INT(x->tariff_id)));
    const char *name = s && sqlite3_step(s) == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0)
                                                          : NULL;

    if (name == NULL || *name == '\0')
        return g_strdup(x->tariff_code);
    /* TRANSLATORS: a tariff's name and its code, "Residential (DEFAULT)" */
    return g_strdup_printf(C_("receipt", "%s (%s)"), name, x->tariff_code);
}

/* The receipt's text is in the station's language (the locale): labels in
 * context "receipt"; numbers, dates and money stay as the station writes
 * them. */
GPtrArray *kv_receipt_lines(KvStation *st, gint64 sale_id, gboolean reprint, GError **error)
{
    g_autoptr(KvSale) x = NULL;
    GPtrArray *l;
    g_autoptr(GDateTime) t = NULL;
    g_autofree char *time_text = NULL;
    const KvSettings *set = kv_station_settings(st);
    g_autoptr(GArray) lines = NULL;

    if (!kv_station_require(st, KV_ROLE_CASHIER, error) || !(x = kv_sale_get(st, sale_id, error)))
        return NULL;
    lines = kv_breakdown_lines(&x->breakdown, KV_BREAKDOWN_FOR_RECEIPT);
    t = g_date_time_new_from_unix_local(x->created_at);
    time_text = g_date_time_format(t, "%Y-%m-%d %H:%M:%S");
    l = g_ptr_array_new_with_free_func(g_free);
#define LINE(...) g_ptr_array_add(l, g_strdup_printf(__VA_ARGS__))
#define FIELD(label, ...) add_labelled(l, label, 14, __VA_ARGS__)
    LINE("%s", set->utility_name);
    LINE("%s", C_("receipt", "ELECTRICITY PREPAYMENT RECEIPT"));
    if (reprint)
        LINE("%s", C_("receipt", "*** REPRINT ***"));
    if (x->state == KV_SALE_CANCELLED || x->state == KV_SALE_CANCELLING)
        LINE("%s", C_("receipt", "*** CANCELLED - NOT VALID ***"));
    else if (x->state == KV_SALE_FAILED)
        LINE("%s", C_("receipt", "*** FAILED - NOTHING DUE ***"));
    else if (x->state == KV_SALE_VOID)
        LINE("%s", C_("receipt", "*** VOID - NOTHING DUE ***"));
    else if (x->state == KV_SALE_ISSUED)
        LINE("%s", C_("receipt", "*** ISSUED - NOT CONFIRMED, NOT SETTLED ***"));
    else if (x->state != KV_SALE_COMPLETED)
        LINE(C_("receipt", "*** NOT SETTLED (%s) ***"),
             C_("sale state", kv_sale_state_name(x->state)));
    FIELD(C_("receipt", "Receipt no."), "%" G_GINT64_FORMAT, x->id);
    FIELD(C_("receipt", "Date"), "%s", time_text);
    FIELD(C_("receipt", "Office"), "%u", x->office);
    FIELD(C_("receipt", "Cashier"), "%s", x->cashier_login);
    if (x->customer_id) {
        FIELD(C_("receipt", "Customer"), "%s", x->customer_name);
        FIELD(C_("receipt", "Account"), "%s", x->customer_account);
    }
    FIELD(C_("receipt", "Meter"), "%09u", x->meter_number);
    FIELD(C_("receipt", "Card"), "%u", x->card_serial);
    {
        g_autofree char *tariff = tariff_text(st, x);
        FIELD(C_("receipt", "Tariff"), "%s", tariff);
    }
    LINE("--------------------------------");
    for (guint i = 0; i < lines->len; i++) {
        const KvBreakdownLine *bl = &g_array_index(lines, KvBreakdownLine, i);
        g_autofree char *v = NULL;
        if (bl->flags & KV_BREAKDOWN_LINE_BLOCK) {
            g_autofree char *p = kv_decimal_format(bl->price_e4, set->minor_digits + 4);
            v = kv_energy_format(bl->energy);
            LINE("  %s kWh x %s", v, p);
        } else if (bl->unit == KV_BREAKDOWN_ENERGY) {
            v = kv_energy_format(bl->value);
            add_labelled(l, bl->label, 16, "%12s kWh", v);
        } else {
            v = kv_station_format_money(st, bl->value);
            add_labelled(l, bl->label, 16, "%12s %s", v, set->currency);
        }
    }
    FIELD(C_("receipt", "Paid by"), "%s", kv_payment_label(x->payment));
    if (x->payment_ref)
        FIELD(C_("receipt", "Reference"), "%s", x->payment_ref);
    LINE("--------------------------------");
    /* The token in the customer's words: which one it is, and the credit
     * the meter will have had from all purchases once it takes it. */
    {
        g_autofree char *all = kv_energy_format(x->cumulative);
        LINE(C_("receipt", "Token number %u for meter %09u."), x->seq, x->meter_number);
        LINE(C_("receipt", "All the credit bought for this meter: %s kWh."), all);
    }
    LINE("%s", C_("receipt", "Insert the card into your meter: it adds the new credit "
                             "and shows it."));
#undef FIELD
#undef LINE
    return l;
}

GPtrArray *kv_refund_receipt_lines(KvStation *st, gint64 refund_id, GError **error)
{
    g_autofree KvRefund *r = NULL;
    g_autofree char *reason = NULL, *by = NULL, *time_text = NULL, *e = NULL, *a = NULL;
    g_autoptr(GDateTime) t = NULL;
    const KvSettings *set = kv_station_settings(st);
    gint64 at = 0;
    GPtrArray *l;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) ||
        !(r = kv_refund_get(st, refund_id, &at, &reason, &by, error)))
        return NULL;
    t = g_date_time_new_from_unix_local(at);
    time_text = g_date_time_format(t, "%Y-%m-%d %H:%M:%S");
    e = kv_energy_format(r->energy);
    a = kv_station_format_money(st, r->amount);
    l = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(l, g_strdup(set->utility_name));
    g_ptr_array_add(l, g_strdup(C_("receipt", "*** REFUND - MONEY PAID BACK ***")));
    add_labelled(l, C_("receipt", "Refund no."), 14, "%" G_GINT64_FORMAT, r->id);
    add_labelled(l, C_("receipt", "Date"), 14, "%s", time_text);
    add_labelled(l, C_("receipt", "Supervisor"), 14, "%s", by);
    add_labelled(l, C_("receipt", "Meter"), 14, "%09u", r->meter_number);
    add_labelled(l, C_("receipt", "Reason"), 14, "%s", reason);
    g_ptr_array_add(l, g_strdup("--------------------------------"));
    add_labelled(l, kv_refund_is_unloaded(st, refund_id) ? C_("receipt", "Credit not loaded")
                                                          : C_("receipt", "Credit cleared"),
                 16, "%12s kWh", e);
    add_labelled(l, C_("receipt", "Paid back"), 16, "%12s %s", a, set->currency);
    return l;
}

/* The lines as an 80 mm PDF, as long as its text (roll paper). */
static gboolean write_pdf(GPtrArray *lines, const char *path, GError **error)
{
    g_autoptr(GString) text = g_string_new(NULL);

    if (!lines)
        return FALSE;
    for (guint i = 0; i < lines->len; i++)
        g_string_append_printf(text, "%s\n", (char *)lines->pdata[i]);
    return kv_receipt_text_pdf(text->str, PAPER_WIDTH_MM, path, error);
}

gboolean kv_receipt_text_pdf(const char *text, double paper_mm, const char *path,
                             GError **error)
{
    double width = MM_TO_PT(paper_mm), margin = MM_TO_PT(MARGIN_MM), height;
    cairo_surface_t *probe, *pdf;
    cairo_t *cr;
    PangoLayout *layout;
    PangoFontDescription *font;
    int lw, lh;
    cairo_status_t status;

    /* Measure first: the receipt is as long as its text (roll paper). */
    probe = cairo_pdf_surface_create(NULL, width, 100);
    cr = cairo_create(probe);
    layout = pango_cairo_create_layout(cr);
    font = pango_font_description_from_string("Monospace 6.5");
    pango_layout_set_font_description(layout, font);
    pango_layout_set_width(layout, (int)((width - 2 * margin) * PANGO_SCALE));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(layout, text, -1);
    pango_layout_get_size(layout, &lw, &lh);
    height = (double)lh / PANGO_SCALE + 2 * margin;
    g_object_unref(layout);
    cairo_destroy(cr);
    cairo_surface_destroy(probe);

    pdf = cairo_pdf_surface_create(path, width, height);
    cr = cairo_create(pdf);
    layout = pango_cairo_create_layout(cr);
    pango_layout_set_font_description(layout, font);
    pango_layout_set_width(layout, (int)((width - 2 * margin) * PANGO_SCALE));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(layout, text, -1);
    cairo_move_to(cr, margin, margin);
    pango_cairo_show_layout(cr, layout);
    cairo_show_page(cr);
    g_object_unref(layout);
    pango_font_description_free(font);
    cairo_destroy(cr);
    cairo_surface_finish(pdf);
    status = cairo_surface_status(pdf);
    cairo_surface_destroy(pdf);
    if (status != CAIRO_STATUS_SUCCESS) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED, _("writing %s: %s"), path,
                    cairo_status_to_string(status));
        return FALSE;
    }
    return TRUE;
}

gboolean kv_receipt_write_pdf(KvStation *st, gint64 sale_id, gboolean reprint, const char *path,
                              GError **error)
{
    g_autoptr(GPtrArray) lines = kv_receipt_lines(st, sale_id, reprint, error);
    return lines && write_pdf(lines, path, error);
}

gboolean kv_refund_receipt_write_pdf(KvStation *st, gint64 refund_id, const char *path,
                                     GError **error)
{
    g_autoptr(GPtrArray) lines = kv_refund_receipt_lines(st, refund_id, error);
    return lines && write_pdf(lines, path, error);
}
