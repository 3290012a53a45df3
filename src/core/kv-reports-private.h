/* kv-reports-private.h - building report tables, for the core's other
 * report modules (the money reports, revenue protection). */
#ifndef KV_REPORTS_PRIVATE_H
#define KV_REPORTS_PRIVATE_H

#include "kv-reports.h"

G_BEGIN_DECLS

/* A table with its title and the columns' keys, marked
 * NC_("report column", ...): the titles are their translations. */
KvTable *kv_report_table_new(const char *title, const char *const *cols);
/* A row: cells (char *, as many as the columns), taken. */
void kv_report_add_row(KvTable *t, GPtrArray *cells);
/* A summary line: key marked NC_("report summary", ...), stable in JSON. */
void kv_report_summary(KvTable *t, const char *key, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* A time as the reports print it (local time). */
char *kv_report_when(gint64 t);

G_END_DECLS

#endif
