/* kv-statement-dialog.h - a customer's statement for a period, from the
 * Customers screen: the core's statement (kv_report_statement) shown as a
 * table (kv-report-view.h) and saved as PDF (kv-report-pdf.h) and CSV.
 * The app computes nothing of it. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_STATEMENT_DIALOG (kv_statement_dialog_get_type())
G_DECLARE_FINAL_TYPE(KvStatementDialog, kv_statement_dialog, KV, STATEMENT_DIALOG, AdwWindow)

/* The statement of this customer (name: for the title), the last month
 * chosen and made at once. */
KvStatementDialog *kv_statement_dialog_new(GtkWindow *parent, KvSession *session,
                                           gint64 customer_id, const char *name);
/* The statement shown (NULL: none yet, or the period was refused). */
GtkWidget *kv_statement_dialog_get_view(KvStatementDialog *self);
/* The statement shown, as the Save buttons write it (tests; the buttons
 * ask for the file first). */
gboolean kv_statement_dialog_save_pdf(KvStatementDialog *self, const char *path,
                                      GError **error);
gboolean kv_statement_dialog_save_csv(KvStatementDialog *self, const char *path,
                                      GError **error);

G_END_DECLS
