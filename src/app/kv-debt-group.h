/* kv-debt-group.h - a customer's debt on the Customers screen: the balance,
 * the latest movements with their reasons, and a supervisor's adjustment
 * (kv_debt_move, always with a reason).  Cashiers see it; the adjustment is
 * shown disabled with the reason. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_DEBT_GROUP (kv_debt_group_get_type())
G_DECLARE_FINAL_TYPE(KvDebtGroup, kv_debt_group, KV, DEBT_GROUP, AdwPreferencesGroup)

void kv_debt_group_set_session(KvDebtGroup *self, KvSession *session);
/* Show this customer's debt (0: none chosen, the group is emptied). */
void kv_debt_group_load(KvDebtGroup *self, gint64 customer_id);
/* The adjustment, as the dialog's Adjust button gives it: amount in minor
 * units (> 0 raises the debt), a reason. */
void kv_debt_group_adjust(KvDebtGroup *self, gint64 amount, const char *reason);
/* The balance last shown. */
gint64 kv_debt_group_get_balance(KvDebtGroup *self);

G_END_DECLS
