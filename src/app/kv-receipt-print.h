/* kv-receipt-print.h - a receipt's lines on an 80 mm roll (GtkPrintOperation). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Print lines (char *) on the named printer (NULL or "": ask with the print
 * dialog), copies times; or, with export_pdf set, write that PDF through the
 * same drawing without a dialog (tests, "print to file"). */
GtkPrintOperationResult kv_receipt_print(GtkWindow *parent, GPtrArray *lines,
                                         const char *printer, int copies,
                                         const char *export_pdf, GError **error);

G_END_DECLS
