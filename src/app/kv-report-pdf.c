/* kv-report-pdf.c - reports as a PDF.
 *
 * Each report (KvTable) is laid out as on the screen (kv-report-view.h):
 * its summary as label and value, money with its currency, then its rows as
 * a table whose numeric columns are aligned on the right, a Total row, and
 * the header repeated on each new page.  A4 pages, under the chart the
 * screen shows; Pango measures every cell, and a table wider than the page
 * is drawn smaller rather than cut. */
#define G_LOG_DOMAIN "kv-report-pdf"

#include "config.h"

#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "kv-report-pdf.h"
/* _() and C_() in the core's domain: a statement's language (kv-language.h) too. */
#include "kv-i18n.h"

#define PAGE_W 595.0 /* A4 in points */
#define PAGE_H 842.0
#define MARGIN 48.0
#define CHART_H 220.0
#define COL_GAP 10.0
#define LABEL_W 190.0
#define MONEY_RIGHT (MARGIN + 330.0)

typedef struct {
    cairo_surface_t *surface;
    cairo_t *cr;
    PangoLayout *layout;
    double y;
    double w, h; /* the page: A4 upright, or across for a wide table */
} Pdf;

static void set_font(Pdf *p, const char *desc)
{
    PangoFontDescription *font = pango_font_description_from_string(desc);

    pango_layout_set_font_description(p->layout, font);
    pango_font_description_free(font);
}

/* Room for h more points, or a new page. */
static gboolean need(Pdf *p, double h)
{
    if (p->y + h <= p->h - MARGIN)
        return FALSE;
    cairo_show_page(p->cr);
    p->y = MARGIN;
    return TRUE;
}

static double text_width(Pdf *p, const char *text)
{
    int w, h;

    pango_layout_set_width(p->layout, -1);
    pango_layout_set_text(p->layout, text, -1);
    pango_layout_get_pixel_size(p->layout, &w, &h);
    return w;
}

/* Text at x (align 0: its left edge, 1: its right edge), wrapped at width
 * (<= 0: one line); the height it took. */
static double show(Pdf *p, const char *text, double x, double align, double width)
{
    int w, h;

    pango_layout_set_width(p->layout, width > 0 ? pango_units_from_double(width) : -1);
    pango_layout_set_wrap(p->layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(p->layout, *text != '\0' ? text : " ", -1);
    pango_layout_get_pixel_size(p->layout, &w, &h);
    cairo_set_source_rgb(p->cr, 0, 0, 0);
    cairo_move_to(p->cr, x - align * w, p->y);
    pango_cairo_show_layout(p->cr, p->layout);
    return h;
}

static void draw_summary(Pdf *p, const KvTable *t, const char *currency, KvReportViewFlags flags)
{
    for (guint i = 0; i < t->summary_keys->len; i++) {
        g_autofree char *value = kv_report_summary_text(t, i, currency, flags);
        int sign = kv_report_summary_sign(t, i);
        gboolean money = kv_report_key_is_money(t->summary_keys->pdata[i]) ||
                         kv_report_is_number(t->summary_values->pdata[i]);
        double h, label_h;

        set_font(p, "Sans 8");
        need(p, 12);
        label_h = show(p, kv_report_summary_label(t, i), MARGIN, 0, LABEL_W - COL_GAP);
        /* The cash difference stands out: bold, and said in words. */
        set_font(p, sign != 0 ? "Sans Bold 9" : money ? "Monospace 8" : "Monospace 7");
        if (sign < 0) {
            g_autofree char *s = g_strdup_printf(_("%s (cash short)"), value);
            h = show(p, s, MONEY_RIGHT, 1, 0);
        } else if (money) {
            h = show(p, value, MONEY_RIGHT, 1, 0);
        } else if (text_width(p, value) <= PAGE_W - 2 * MARGIN - LABEL_W) {
            h = show(p, value, MARGIN + LABEL_W, 0, PAGE_W - 2 * MARGIN - LABEL_W);
        } else {
            /* Too long beside its label (the audit head): whole, on its own line. */
            p->y += label_h;
            h = show(p, value, MARGIN + 12, 0, p->w - 2 * MARGIN - 12);
        }
        p->y += MAX(MAX(h, label_h), 11) + 1;
    }
}

static void draw_row(Pdf *p, const KvTable *t, guint r, const double *w, const gboolean *numeric,
                     const char *currency, KvReportViewFlags flags)
{
    guint ncol = g_strv_length(t->columns);
    double x = MARGIN;
    int h = 0;

    for (guint c = 0; c < ncol; c++) {
        g_autofree char *text = r == G_MAXUINT ? g_strdup(t->columns[c])
                                               : kv_report_cell_text(t, r, c, currency, flags);
        double used = show(p, text, numeric[c] ? x + w[c] : x, numeric[c] ? 1 : 0, 0);

        h = MAX(h, (int)used);
        x += w[c] + COL_GAP;
    }
    p->y += h + 2;
}

/* A thin line under the header, over the Total. */
static void rule(Pdf *p, double width)
{
    cairo_move_to(p->cr, MARGIN, p->y);
    cairo_line_to(p->cr, MARGIN + width, p->y);
    cairo_set_line_width(p->cr, 0.5);
    cairo_stroke(p->cr);
    p->y += 2;
}

/* Wider than the page: the whole table smaller, nothing cut. */
static void begin_scaled(Pdf *p, double anchor, double scale)
{
    cairo_save(p->cr);
    cairo_translate(p->cr, MARGIN * (1 - scale), anchor * (1 - scale));
    cairo_scale(p->cr, scale, scale);
}

/* The columns' widths (w) and alignment (numeric); the table's width. */
static double measure_rows(Pdf *p, const KvTable *t, const char *currency,
                           KvReportViewFlags flags, double *w, gboolean *numeric)
{
    guint ncol = g_strv_length(t->columns);
    guint nrows = t->rows->len + ((flags & KV_REPORT_VIEW_TOTALS) ? 1 : 0);
    double total = 0;

    set_font(p, "Sans Bold 8");
    for (guint c = 0; c < ncol; c++) {
        numeric[c] = kv_report_column_is_numeric(t, c);
        w[c] = text_width(p, t->columns[c]);
    }
    set_font(p, "Sans 8");
    for (guint r = 0; r < nrows; r++)
        for (guint c = 0; c < ncol; c++) {
            g_autofree char *text = kv_report_cell_text(t, r, c, currency, flags);
            w[c] = MAX(w[c], text_width(p, text));
        }
    for (guint c = 0; c < ncol; c++)
        total += w[c] + (c > 0 ? COL_GAP : 0);
    return total;
}

static void draw_rows(Pdf *p, const KvTable *t, const char *currency, KvReportViewFlags flags)
{
    guint ncol = g_strv_length(t->columns);
    guint nrows = t->rows->len + ((flags & KV_REPORT_VIEW_TOTALS) ? 1 : 0);
    g_autofree double *w = g_new0(double, ncol);
    g_autofree gboolean *numeric = g_new0(gboolean, ncol);
    double total, scale = 1, anchor;

    if (t->rows->len == 0)
        return;
    total = measure_rows(p, t, currency, flags, w, numeric);
    if (total > p->w - 2 * MARGIN)
        scale = (p->w - 2 * MARGIN) / total;

    p->y += 6;
    anchor = p->y;
    begin_scaled(p, anchor, scale);
    for (guint r = 0; r <= nrows; r++) {
        gboolean header = r == 0, totals = r == nrows && (flags & KV_REPORT_VIEW_TOTALS);

        /* Drawn at device y = anchor (1 - scale) + scale y. */
        if (!header && anchor * (1 - scale) + scale * (p->y + 12) > p->h - MARGIN) {
            /* A new page: the columns' titles again. */
            cairo_restore(p->cr);
            cairo_show_page(p->cr);
            p->y = anchor = MARGIN;
            begin_scaled(p, anchor, scale);
            set_font(p, "Sans Bold 8");
            draw_row(p, t, G_MAXUINT, w, numeric, currency, flags);
        }
        set_font(p, header || totals ? "Sans Bold 8" : "Sans 8");
        if (totals)
            rule(p, total);
        draw_row(p, t, header ? G_MAXUINT : r - 1, w, numeric, currency, flags);
        if (header)
            rule(p, total);
    }
    cairo_restore(p->cr);
    /* Back in page units: what the table took, scaled. */
    p->y = anchor * (1 - scale) + scale * p->y;
}

/* A table wider than an upright page (the daily report's fourteen
 * columns) starts a page turned across, and the pages after it stay so. */
static void across_if_wide(Pdf *p, const KvTable *t, const char *currency,
                           KvReportViewFlags flags)
{
    guint ncol = g_strv_length(t->columns);
    g_autofree double *w = g_new0(double, ncol);
    g_autofree gboolean *numeric = g_new0(gboolean, ncol);

    if (p->w > p->h || t->rows->len == 0 ||
        measure_rows(p, t, currency, flags, w, numeric) <= PAGE_W - 2 * MARGIN)
        return;
    if (p->y > MARGIN)
        cairo_show_page(p->cr);
    p->w = PAGE_H;
    p->h = PAGE_W;
    p->y = MARGIN;
    cairo_pdf_surface_set_size(p->surface, p->w, p->h);
}

gboolean kv_report_pdf_write(const char *path, const char *title, KvSalesChart *chart,
                             GPtrArray *tables, const char *currency, KvReportViewFlags flags,
                             GError **error)
{
    cairo_surface_t *surface = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
    Pdf p = { .surface = surface, .cr = cairo_create(surface), .y = MARGIN, .w = PAGE_W,
              .h = PAGE_H };
    const GdkRGBA black = {0, 0, 0, 1};
    cairo_status_t status;

    p.layout = pango_cairo_create_layout(p.cr);
    if (title != NULL) {
        set_font(&p, "Sans Bold 14");
        p.y += show(&p, title, MARGIN, 0, PAGE_W - 2 * MARGIN) + 12;
    }

    if (chart != NULL && kv_sales_chart_get_n_bars(chart) > 0) {
        PangoLayout *axis = pango_cairo_create_layout(p.cr);
        PangoFontDescription *font = pango_font_description_from_string("Sans 7");

        pango_layout_set_font_description(axis, font);
        pango_font_description_free(font);
        cairo_save(p.cr);
        cairo_translate(p.cr, MARGIN, p.y);
        kv_sales_chart_render(chart, p.cr, axis, PAGE_W - 2 * MARGIN, CHART_H, &black);
        cairo_restore(p.cr);
        g_object_unref(axis);
        p.y += CHART_H + 16;
    }

    for (guint i = 0; tables != NULL && i < tables->len; i++) {
        const KvTable *t = g_ptr_array_index(tables, i);

        across_if_wide(&p, t, currency, flags);
        set_font(&p, "Sans Bold 11");
        need(&p, 60);
        p.y += show(&p, t->title, MARGIN, 0, p.w - 2 * MARGIN) + 4;
        draw_summary(&p, t, currency, flags);
        draw_rows(&p, t, currency, flags);
        p.y += 18;
    }
    cairo_show_page(p.cr);
    g_object_unref(p.layout);
    cairo_destroy(p.cr);
    cairo_surface_finish(surface);
    status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot write %s: %s"), path,
                    cairo_status_to_string(status));
        return FALSE;
    }
    return TRUE;
}
