/* kv-report-view.h - a core report (KvTable) laid out as a table: on screen
 * (a grid of labels) and the cell texts the PDF draws, so both agree. */
#pragma once

#include <gtk/gtk.h>

#include "kv-core.h"
#include "kv-session.h"

G_BEGIN_DECLS

/* How a report is shown. */
typedef enum {
    KV_REPORT_VIEW_PLAIN = 0,
    KV_REPORT_VIEW_TOTALS = 1 << 0,     /* a Total row under the rows (daily, monthly) */
    KV_REPORT_VIEW_FULL_HEAD = 1 << 1,  /* the audit head in full (PDF), not its fingerprint */
} KvReportViewFlags;

/* The key (summary or column) is an amount of money: shown with the currency. */
gboolean kv_report_key_is_money(const char *key);
/* The audit head's short fingerprint for the screen: "3fa9 1c2e 7b0d…". */
char *kv_report_fingerprint(const char *head);
/* A summary value as shown (currency added to money, fingerprint of the head). */
char *kv_report_summary_text(const KvTable *t, guint i, const char *currency,
                             KvReportViewFlags flags);
/* The label of summary line i, in the station's language. */
const char *kv_report_summary_label(const KvTable *t, guint i);
/* A cell or value is a number ("-12.50", "3"). */
gboolean kv_report_is_number(const char *s);
/* Every cell of column c is a number: aligned to the right. */
gboolean kv_report_column_is_numeric(const KvTable *t, guint c);
/* Cell (row r, column c) as shown; r == t->rows->len: the Total row. */
char *kv_report_cell_text(const KvTable *t, guint r, guint c, const char *currency,
                          KvReportViewFlags flags);
/* Emphasis of a summary line: -1 the cash is short, +1 over, 0 none. */
int kv_report_summary_sign(const KvTable *t, guint i);

/* The report as widgets: title, the summary as label and value, the rows as
 * a grid with aligned numeric columns. */
GtkWidget *kv_report_view_new(const KvTable *t, const char *currency, KvReportViewFlags flags);
/* The label showing summary `key` ("difference", "audit head"), or NULL. */
GtkLabel *kv_report_view_get_value(GtkWidget *view, const char *key);
/* The label of cell (r, c) of the grid (r == rows: the Total row), or NULL. */
GtkLabel *kv_report_view_get_cell(GtkWidget *view, guint r, guint c);

/* A report's rows whose first column (a "YYYY-MM-DD" day) is after today
 * are taken out: a month's report lists only days up to today. */
void kv_report_drop_future_days(KvTable *t, gint64 now);

/* A core report made off the main thread (kv_session_run_async): the
 * callback's kv_session_run_finish() gives the KvTable.  arg: the shift
 * (KV_REPORT_SHIFT), a time in the day (KV_REPORT_DAILY), the meter
 * (KV_REPORT_METER); KV_REPORT_Z: the open shift of who is signed in. */
typedef enum { KV_REPORT_Z, KV_REPORT_SHIFT, KV_REPORT_DAILY, KV_REPORT_METER } KvReportKind;
void kv_report_run(KvSession *session, KvReportKind kind, gint64 arg,
                   GAsyncReadyCallback callback, gpointer user_data);

/* The day typed (YYYY-MM-DD; empty: today) at noon local time; FALSE when
 * it is not a day. */
gboolean kv_report_parse_day(const char *text, gint64 *day);

G_END_DECLS
