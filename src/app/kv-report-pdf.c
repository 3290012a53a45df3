/* kv-report-pdf.c - a sales report as a PDF.
 *
 * The core gives the report as text (kv_table_to_text); this file lays it
 * out on A4 pages under the chart the screen shows, with Pango so that
 * long lines wrap instead of being cut. */
#define G_LOG_DOMAIN "kv-report-pdf"

#include "config.h"

#include <cairo-pdf.h>
#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "kv-report-pdf.h"

#define PAGE_W 595.0 /* A4 in points */
#define PAGE_H 842.0
#define MARGIN 48.0
#define CHART_H 220.0

gboolean kv_report_pdf_write(const char *path, const char *title, KvSalesChart *chart,
                             const char *text, GError **error)
{
    cairo_surface_t *surface = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
    cairo_t *cr = cairo_create(surface);
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *font;
    const GdkRGBA black = {0, 0, 0, 1};
    double y = MARGIN;
    int w, h;
    cairo_status_t status;
    g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);

    pango_layout_set_width(layout, pango_units_from_double(PAGE_W - 2 * MARGIN));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);

    font = pango_font_description_from_string("Sans Bold 14");
    pango_layout_set_font_description(layout, font);
    pango_font_description_free(font);
    pango_layout_set_text(layout, title, -1);
    cairo_move_to(cr, MARGIN, y);
    pango_cairo_show_layout(cr, layout);
    pango_layout_get_pixel_size(layout, &w, &h);
    y += h + 12;

    if (chart != NULL && kv_sales_chart_get_n_bars(chart) > 0) {
        PangoLayout *axis = pango_cairo_create_layout(cr);

        font = pango_font_description_from_string("Sans 7");
        pango_layout_set_font_description(axis, font);
        pango_font_description_free(font);
        cairo_save(cr);
        cairo_translate(cr, MARGIN, y);
        kv_sales_chart_render(chart, cr, axis, PAGE_W - 2 * MARGIN, CHART_H, &black);
        cairo_restore(cr);
        g_object_unref(axis);
        y += CHART_H + 16;
    }

    font = pango_font_description_from_string("Monospace 8");
    pango_layout_set_font_description(layout, font);
    pango_font_description_free(font);
    for (guint i = 0; lines[i] != NULL; i++) {
        pango_layout_set_text(layout, *lines[i] != '\0' ? lines[i] : " ", -1);
        pango_layout_get_pixel_size(layout, &w, &h);
        if (y + h > PAGE_H - MARGIN) {
            cairo_show_page(cr);
            y = MARGIN;
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, MARGIN, y);
        pango_cairo_show_layout(cr, layout);
        y += h;
    }
    cairo_show_page(cr);
    g_object_unref(layout);
    cairo_destroy(cr);
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
