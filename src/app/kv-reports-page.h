/* kv-reports-page.h - Z report, daily report, sales chart, meter
 * consumption, exports; and inside it the history (kv-history-page.c):
 * past sales (reprint, cancel), unsettled sales (settled from the card),
 * past shifts with their Z reports. */
#pragma once

#include <adwaita.h>

#include "kv-sales-chart.h"
#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_HISTORY_PAGE (kv_history_page_get_type())
G_DECLARE_FINAL_TYPE(KvHistoryPage, kv_history_page, KV, HISTORY_PAGE, GtkWidget)

void kv_history_page_set_session(KvHistoryPage *self, KvSession *session);
/* Fetch the lists again (off the main thread). */
void kv_history_page_refresh(KvHistoryPage *self);
/* A refresh or a task is under way. */
gboolean kv_history_page_is_busy(KvHistoryPage *self);
/* The reprint of a past sale's receipt: printed (pdf NULL: the print
 * dialog), or written to that PDF through the same drawing. */
void kv_history_page_reprint(KvHistoryPage *self, gint64 sale_id, const char *pdf);
/* Print a refund's receipt (marked REFUND), or save it as that PDF. */
void kv_history_page_print_refund(KvHistoryPage *self, gint64 refund_id, const char *pdf);
/* Receipts printed from the page's buttons (a past sale's or a past
 * refund's Reprint) are written to that PDF instead of the print dialog
 * (NULL: the dialog again): a station without a printer, tests. */
void kv_history_page_set_print_file(KvHistoryPage *self, const char *pdf);
/* The refund the last refund of unloaded credit recorded here (0: none). */
gint64 kv_history_page_get_last_refund(KvHistoryPage *self);
/* The Z report of a past shift, shown under the list of shifts. */
void kv_history_page_show_shift(KvHistoryPage *self, gint64 shift_id);
/* The Z report shown (kv-report-view.h), or NULL. */
GtkWidget *kv_history_page_get_shift_view(KvHistoryPage *self);

#define KV_TYPE_REPORTS_PAGE (kv_reports_page_get_type())
G_DECLARE_FINAL_TYPE(KvReportsPage, kv_reports_page, KV, REPORTS_PAGE, GtkWidget)

void kv_reports_page_set_session(KvReportsPage *self, KvSession *session);
/* Chart the last 30 days (FALSE) or 12 months (TRUE), off the main thread. */
void kv_reports_page_set_period(KvReportsPage *self, gboolean monthly);
gboolean kv_reports_page_is_busy(KvReportsPage *self);
KvSalesChart *kv_reports_page_get_chart(KvReportsPage *self);
/* Write the report last charted. */
gboolean kv_reports_page_export_csv(KvReportsPage *self, const char *path, GError **error);
gboolean kv_reports_page_export_pdf(KvReportsPage *self, const char *path, GError **error);
/* The Z report and the daily report shown, as PDF (the audit head whole). */
gboolean kv_reports_page_export_z_pdf(KvReportsPage *self, const char *path, GError **error);
gboolean kv_reports_page_export_daily_pdf(KvReportsPage *self, const char *path, GError **error);
/* The reports shown as tables (kv-report-view.h), or NULL. */
GtkWidget *kv_reports_page_get_z_view(KvReportsPage *self);
GtkWidget *kv_reports_page_get_daily_view(KvReportsPage *self);
/* Past sales, unsettled sales and past shifts. */
KvHistoryPage *kv_reports_page_get_history(KvReportsPage *self);

G_END_DECLS
