/* kv-arrears.h - a customer's debt as a ledger of movements, and the plans
 * that recover it from purchases (docs/station.md, "Arrears").
 *
 * The balance (KvCustomer.debt) is the sum of the movements: the schema
 * keeps it in step in the movement's own transaction and refuses any other
 * change (db/008-money.sql).  Sales add "recovered" movements when they
 * complete and "restored" ones when cancelled (kv-sales.c); a supervisor
 * adds, adjusts and writes off, each with its reason and audit row.
 */
#ifndef KV_ARREARS_H
#define KV_ARREARS_H

#include "kv-station.h"
#include "kv-tariff.h"

G_BEGIN_DECLS

typedef enum {
    KV_DEBT_OPENING,
    KV_DEBT_ADDED,
    KV_DEBT_RECOVERED,
    KV_DEBT_RESTORED,
    KV_DEBT_ADJUSTED,
    KV_DEBT_WRITTEN_OFF,
} KvDebtKind;
/* The stored key ("written-off"), and the name for people. */
const char *kv_debt_kind_key(KvDebtKind k);
const char *kv_debt_kind_label(KvDebtKind k);

typedef struct {
    gint64 id;
    gint64 customer_id;
    gint64 at;
    KvDebtKind kind;
    gint64 amount;    /* minor units; > 0 raises the debt */
    gint64 sale_id;   /* 0: none */
    char *user_login; /* NULL: none */
    char *reason;
} KvDebtMovement;
/* One allocation, strings included: g_free frees a movement. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvDebtMovement, g_free)

/* Supervisor: a movement of kind ADDED (amount > 0), ADJUSTED (either
 * sign) or WRITTEN_OFF (amount > 0: the sum given up), with its reason
 * (required).  INVALID if the debt would go below zero; audited as
 * customer.debt. */
gboolean kv_debt_move(KvStation *st, gint64 customer_id, KvDebtKind kind, gint64 amount,
                      const char *reason, GError **error);
/* Movements of a customer from `from` to before `to` (0: no bound), oldest
 * first (KvDebtMovement, freed with g_free). */
GPtrArray *kv_debt_movements(KvStation *st, gint64 customer_id, gint64 from, gint64 to,
                             GError **error);
/* The balance at time t (the sum of the movements before t). */
gboolean kv_debt_balance_at(KvStation *st, gint64 customer_id, gint64 t, gint64 *out,
                            GError **error);

typedef enum {
    KV_PLAN_SHARE,    /* share_bp of each purchase, min..max per purchase */
    KV_PLAN_FIXED,    /* amount per purchase */
    KV_PLAN_MONTHLY,  /* amount per calendar month (local time) */
} KvPlanKind;
const char *kv_plan_kind_key(KvPlanKind k);

typedef struct {
    gint64 id;
    gint64 customer_id;
    KvPlanKind kind;
    guint share_bp;
    gint64 min_amount;
    gint64 max_amount;  /* 0: no maximum */
    gint64 amount;      /* fixed: per purchase; monthly: per month */
    gint64 starts_at;
    gint64 ends_at;     /* 0: open */
} KvDebtPlan;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvDebtPlan, g_free)

/* Supervisor: a new plan for the customer from now (ends_at: 0 or a later
 * time), ending the plan in force.  Returns its id (0 on error). */
gint64 kv_debt_plan_set(KvStation *st, const KvDebtPlan *p, GError **error);
/* Supervisor: end the customer's plan in force now (reason required):
 * the tariff's share applies again.  NOT_FOUND when none is in force. */
gboolean kv_debt_plan_end(KvStation *st, gint64 customer_id, const char *reason,
                          GError **error);
/* The plan in force at time t, or NULL (and no error) when none is. */
KvDebtPlan *kv_debt_plan_current(KvStation *st, gint64 customer_id, gint64 t, GError **error);

/* How a sale at time `now` recovers the customer's debt: the plan in force
 * (a monthly plan: what is left of this month's amount after the month's
 * completed sales), otherwise the tariff's share (tariff_bp). */
gboolean kv_debt_rule_for_sale(KvStation *st, gint64 customer_id, gint64 now, guint tariff_bp,
                               KvDebtRule *out, GError **error);

G_END_DECLS

#endif
