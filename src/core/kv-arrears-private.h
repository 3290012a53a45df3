/* kv-arrears-private.h - the movements that other core modules write in
 * their own transactions. */
#ifndef KV_ARREARS_PRIVATE_H
#define KV_ARREARS_PRIVATE_H

#include "kv-arrears.h"

G_BEGIN_DECLS

/* Insert a movement inside the caller's transaction, with its own audit
 * row (debt.movement: the movement's content, which `audit verify`
 * compares with the table).  A RECOVERED
 * movement takes at most the balance (amount: the positive sum the sale
 * took); nothing is written for a sum of 0. */
gboolean kv_debt_insert(KvStation *st, gint64 customer_id, KvDebtKind kind, gint64 amount,
                        gint64 sale_id, const char *reason, GError **error);

G_END_DECLS

#endif
