/* kv-money-reports.h - the money a utility manages around its sales:
 * arrears with their ageing, customers who stopped buying, a customer's
 * statement (docs/station.md, "Arrears", "Customer statement"). */
#ifndef KV_MONEY_REPORTS_H
#define KV_MONEY_REPORTS_H

#include "kv-reports.h"

G_BEGIN_DECLS

/* Supervisor: every customer in debt at time now, largest first, with
 * their plan, the last recovery and its age: 0-30, 31-90 or over 90 days
 * since the last recovery (or, never recovered, since the debt's first
 * movement); the totals by age in the summary. */
KvTable *kv_report_arrears(KvStation *st, gint64 now, GError **error);
/* Supervisor: the customers with no completed purchase in the `days` days
 * before now (those who never bought included), longest first. */
KvTable *kv_report_dormant(KvStation *st, gint64 now, guint days, GError **error);

/* Cashier: a customer's debt movements, oldest first, each with the
 * balance after it; the balance and the plan in force in the summary. */
KvTable *kv_report_debt(KvStation *st, gint64 customer_id, GError **error);

/* Cashier: a customer's statement from `from` to before `to`: each
 * purchase (completed or later cancelled) on its day, each refund (a
 * cancellation) on its day, each debt movement (attached to its sale's row
 * when it has one), with the debt balance after each row; the opening and
 * closing debt, the purchases, refunds and recoveries in the summary.  The
 * closing balance is the opening one plus the movements listed. */
KvTable *kv_report_statement(KvStation *st, gint64 customer_id, gint64 from, gint64 to,
                             GError **error);
/* The statement as a PDF page in the receipt's look (A4 wide). */
gboolean kv_statement_write_pdf(KvStation *st, gint64 customer_id, gint64 from, gint64 to,
                                const char *path, GError **error);

G_END_DECLS

#endif
