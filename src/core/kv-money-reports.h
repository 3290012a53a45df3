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

G_END_DECLS

#endif
