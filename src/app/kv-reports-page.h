/* kv-reports-page.h - Z report, sales chart, meter consumption, exports. */
#pragma once

#include <adwaita.h>

#include "kv-sales-chart.h"
#include "kv-session.h"

G_BEGIN_DECLS

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

G_END_DECLS
