/* kv-report-pdf.h - reports as a PDF: title, chart, the reports as tables. */
#pragma once

#include "kv-report-view.h"
#include "kv-sales-chart.h"

G_BEGIN_DECLS

/* A4 pages: the title (NULL: none), the chart (if any), then each report of tables
 * (KvTable *) laid out as kv-report-view.h says (money with currency,
 * numeric columns aligned, the audit head whole with KV_REPORT_VIEW_FULL_HEAD).
 * Needs no display (a cairo PDF surface with Pango). */
gboolean kv_report_pdf_write(const char *path, const char *title, KvSalesChart *chart,
                             GPtrArray *tables, const char *currency, KvReportViewFlags flags,
                             GError **error);

G_END_DECLS
