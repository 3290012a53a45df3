/* kv-reports.h - reports as tables, printable as text, CSV or JSON.
 *
 * Every report is a KvTable (title, summary lines, columns, rows of text) so
 * that the GUI, kilovendctl and the CSV export share one implementation.
 */
#ifndef KV_REPORTS_H
#define KV_REPORTS_H

#include "kv-station.h"

G_BEGIN_DECLS

/* Title, summary labels and column titles are in the station's language
 * (the locale); keys stay the same in every language: the CSV header and
 * the JSON names are keys, for programs. */
typedef struct {
    char *title;
    GPtrArray *summary;  /* of char * "label: value", for people */
    GStrv columns;       /* column titles, for people */
    GPtrArray *rows;     /* of GStrv, same length as columns */
    GStrv keys;          /* column keys ("amount"), same length as columns */
    GPtrArray *summary_keys;   /* of char *: each summary line's key ("amount taken") */
    GPtrArray *summary_values; /* of char *: each summary line's value */
} KvTable;
void kv_table_free(KvTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvTable, kv_table_free)

char *kv_table_to_text(const KvTable *t);
char *kv_table_to_csv(const KvTable *t);   /* RFC 4180, rows only */
/* The summary as CSV: "summary,value", then a line per summary key and its
 * value (the opening and closing debt of a statement...). */
char *kv_table_summary_to_csv(const KvTable *t);
char *kv_table_to_json(const KvTable *t);

/* Supervisor for shift of others; a cashier may see their own shift.  The Z
 * report: counts and totals by state, breakdown sums, expected vs counted
 * cash, the audit head. */
KvTable *kv_report_shift(KvStation *st, gint64 shift_id, GError **error);
/* Day (local time) containing `day`; sales by cashier and totals. */
KvTable *kv_report_daily(KvStation *st, gint64 day, GError **error);
/* Month (local) containing `month`; one row per day. */
KvTable *kv_report_monthly(KvStation *st, gint64 month, GError **error);
KvTable *kv_report_customer(KvStation *st, gint64 customer_id, GError **error);
/* Readbacks of a meter, with the energy used between readings. */
KvTable *kv_report_meter(KvStation *st, guint32 meter, GError **error);

G_END_DECLS

#endif
