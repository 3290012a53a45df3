/* kv-receipt-print.c - print a receipt's lines on an 80 mm roll.
 *
 * The core writes the receipt (its lines, and its own PDF for "save as");
 * printing draws those same lines so the printed and saved receipts agree.
 * The page is as long as the receipt: receipt printers cut the roll. */
#define G_LOG_DOMAIN "kv-receipt-print"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-receipt-print.h"

#define ROLL_WIDTH_MM 80.0
#define MARGIN_MM 4.0
#define FONT "Monospace 8"

static PangoLayout *receipt_layout(GtkPrintContext *context, GPtrArray *lines)
{
    PangoLayout *layout = gtk_print_context_create_pango_layout(context);
    PangoFontDescription *font = pango_font_description_from_string(FONT);
    g_autoptr(GString) text = g_string_new(NULL);
    double width = gtk_print_context_get_width(context);

    for (guint i = 0; i < lines->len; i++)
        g_string_append_printf(text, "%s\n", (const char *)g_ptr_array_index(lines, i));
    pango_layout_set_font_description(layout, font);
    /* Without a width and a wrap mode Pango would cut long lines silently. */
    pango_layout_set_width(layout, pango_units_from_double(width));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(layout, text->str, -1);
    pango_font_description_free(font);
    return layout;
}

static void on_draw_page_cb(GtkPrintOperation *op, GtkPrintContext *context, int page_nr,
                            GPtrArray *lines)
{
    g_autoptr(PangoLayout) layout = receipt_layout(context, lines);
    cairo_t *cr = gtk_print_context_get_cairo_context(context);

    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, 0, 0);
    pango_cairo_show_layout(cr, layout);
}

GtkPrintOperationResult kv_receipt_print(GtkWindow *parent, GPtrArray *lines,
                                         const char *printer, int copies,
                                         const char *export_pdf, GError **error)
{
    g_autoptr(GtkPrintOperation) op = gtk_print_operation_new();
    g_autoptr(GtkPageSetup) setup = gtk_page_setup_new();
    g_autoptr(GtkPrintSettings) settings = gtk_print_settings_new();
    g_autoptr(GtkPaperSize) paper = NULL;
    GtkPrintOperationAction action;
    /* Roughly 3.5 mm a line at 8 pt, plus the margins. */
    double height = MARGIN_MM * 2 + 3.6 * (lines->len + 2);

    paper = gtk_paper_size_new_custom("kilovend-receipt", _("Receipt roll 80 mm"),
                                      ROLL_WIDTH_MM, MAX(height, 60.0), GTK_UNIT_MM);
    gtk_page_setup_set_paper_size(setup, paper);
    gtk_page_setup_set_top_margin(setup, MARGIN_MM, GTK_UNIT_MM);
    gtk_page_setup_set_bottom_margin(setup, MARGIN_MM, GTK_UNIT_MM);
    gtk_page_setup_set_left_margin(setup, MARGIN_MM, GTK_UNIT_MM);
    gtk_page_setup_set_right_margin(setup, MARGIN_MM, GTK_UNIT_MM);
    gtk_print_operation_set_default_page_setup(op, setup);
    gtk_print_operation_set_n_pages(op, 1);
    gtk_print_operation_set_job_name(op, _("Kilovend receipt"));
    gtk_print_settings_set_n_copies(settings, MAX(copies, 1));

    if (export_pdf != NULL) {
        gtk_print_operation_set_export_filename(op, export_pdf);
        action = GTK_PRINT_OPERATION_ACTION_EXPORT;
    } else if (printer != NULL && *printer != '\0') {
        gtk_print_settings_set_printer(settings, printer);
        action = GTK_PRINT_OPERATION_ACTION_PRINT;
    } else {
        action = GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG;
    }
    gtk_print_operation_set_print_settings(op, settings);
    g_signal_connect(op, "draw-page", G_CALLBACK(on_draw_page_cb), lines);
    return gtk_print_operation_run(op, action, parent, error);
}
