/* kv-report-pdf.h - a sales report as a PDF: title, chart, the table. */
#pragma once

#include "kv-sales-chart.h"

G_BEGIN_DECLS

/* A4 pages: the title, the chart (if any) and the report's text, in order.
 * Needs no display (a cairo PDF surface with Pango). */
gboolean kv_report_pdf_write(const char *path, const char *title, KvSalesChart *chart,
                             const char *text, GError **error);

G_END_DECLS
