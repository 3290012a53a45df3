/* kv-arrears.c - debt movements and recovery plans (rules in kv-arrears.h,
 * the schema in db/008-money.sql). */
#include <string.h>

#include "kv-i18n.h"
#include "kv-arrears.h"
#include "kv-db.h"
#include "kv-audit-private.h"
#include "kv-arrears-private.h"
#include "kv-sale-state.h"
#include "kv-station-private.h"
#include "kv-time.h"

static const char *const kind_keys[] = { "opening",  "added",    "recovered",
                                         "restored", "adjusted", "written-off" };
static const char *const kind_labels[] = {
    NC_("debt movement", "opening balance"), NC_("debt movement", "debt added"),
    NC_("debt movement", "recovered by a sale"), NC_("debt movement", "restored by a cancellation"),
    NC_("debt movement", "adjusted"), NC_("debt movement", "written off"),
};
static const char *const plan_keys[] = { "share", "fixed", "monthly" };

const char *kv_debt_kind_key(KvDebtKind k)
{
    return (guint)k < G_N_ELEMENTS(kind_keys) ? kind_keys[k] : "?";
}

const char *kv_debt_kind_label(KvDebtKind k)
{
    return (guint)k < G_N_ELEMENTS(kind_labels) ? C_("debt movement", kind_labels[k]) : "?";
}

const char *kv_plan_kind_key(KvPlanKind k)
{
    return (guint)k < G_N_ELEMENTS(plan_keys) ? plan_keys[k] : "?";
}

/* The index of text in keys (n of them), or -1. */
static int key_index(const char *const *keys, guint n, const char *text)
{
    for (guint i = 0; text && i < n; i++)
        if (g_strcmp0(keys[i], text) == 0)
            return (int)i;
    return -1;
}

/* ---- movements ---- */

gboolean kv_debt_insert(KvStation *st, gint64 customer_id, KvDebtKind kind, gint64 amount,
                        gint64 sale_id, const char *reason, GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    if (amount == 0)
        return TRUE;
    /* A recovery takes at most the balance: a supervisor may have written
     * the debt down between the sale's price and its completion. */
    if (!(s = kv_db_query(st, "INSERT INTO debt_movements(customer_id, at, kind, amount, "
                              "sale_id, user_id, reason) SELECT id, ?2, ?3, CASE WHEN ?3 = "
                              "'recovered' THEN -min(?4, debt) ELSE ?4 END, nullif(?5, 0), "
                              "nullif(?6, 0), ?7 FROM customers WHERE id = ?1 AND (?3 <> "
                              "'recovered' OR min(?4, debt) > 0)", error,
                          KV_DB_VALUES(KV_INT(customer_id), KV_INT(kv_now()),
                                       KV_TEXT(kv_debt_kind_key(kind)), KV_INT(amount),
                                       KV_INT(sale_id), KV_INT(kv_station_user_id(st)),
                                       KV_TEXT(reason ? reason : "")))))
        return FALSE;
    if (!kv_db_step_done(st, s, _("recording the debt"), error)) {
        if (g_error_matches(*error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID)) {
            g_clear_error(error);
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("the debt cannot go below zero"));
        }
        return FALSE;
    }
    if (sqlite3_changes(st->db) == 0) {
        if (kind == KV_DEBT_RECOVERED)
            return TRUE; /* nothing left to recover */
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no customer %" PRId64),
                    customer_id);
        return FALSE;
    }
    /* its audit row, with its content, in the same transaction */
    return kv_audit_debt_movements_after(st, sqlite3_last_insert_rowid(st->db) - 1, error);
}

/* A supervisor's change to a customer's debt or plan, with its reason. */
static gboolean supervisor_with_reason(KvStation *st, const char *reason, GError **error)
{
    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return FALSE;
    if (reason && *reason)
        return TRUE;
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("give the reason (--reason)"));
    return FALSE;
}

gboolean kv_debt_move(KvStation *st, gint64 customer_id, KvDebtKind kind, gint64 amount,
                      const char *reason, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *obj = g_strdup_printf("customer:%" G_GINT64_FORMAT, customer_id);
    g_autofree char *detail = NULL;
    gint64 delta = kind == KV_DEBT_WRITTEN_OFF ? -amount : amount;

    if (!supervisor_with_reason(st, reason, error))
        return FALSE;
    if ((kind != KV_DEBT_ADDED && kind != KV_DEBT_ADJUSTED && kind != KV_DEBT_WRITTEN_OFF) ||
        amount == 0 || (kind != KV_DEBT_ADJUSTED && amount < 0)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a debt is added or written off by a sum above zero, or adjusted by a "
                    "sum other than zero"));
        return FALSE;
    }
    detail = g_strdup_printf("kind=%s delta=%" G_GINT64_FORMAT " reason=%s",
                             kv_debt_kind_key(kind), delta, reason);
    if (!kv_txn_begin(&txn, st, error) ||
        !kv_debt_insert(st, customer_id, kind, delta, 0, reason, error))
        return FALSE;
    return kv_audit_commit(&txn, "customer.debt", obj, detail, error);
}

GPtrArray *kv_debt_movements(KvStation *st, gint64 customer_id, gint64 from, gint64 to,
                             GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    GPtrArray *out;
    if (!kv_station_require(st, KV_ROLE_CASHIER, error) ||
        !(s = kv_db_query(st, "SELECT d.id, d.at, d.kind, d.amount, coalesce(d.sale_id, 0), "
                             "u.login, d.reason FROM debt_movements d LEFT JOIN users u ON "
                             "u.id = d.user_id WHERE d.customer_id = ?1 AND d.at >= ?2 AND "
                             "(?3 = 0 OR d.at < ?3) ORDER BY d.at, d.id", error,
                          KV_DB_VALUES(KV_INT(customer_id), KV_INT(from), KV_INT(to)))))
        return NULL;
    out = g_ptr_array_new_with_free_func(g_free);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *login = (const char *)sqlite3_column_text(s, 5);
        const char *reason = (const char *)sqlite3_column_text(s, 6);
        gsize nl = login ? strlen(login) + 1 : 0, nr = strlen(reason) + 1;
        KvDebtMovement *m = g_malloc0(sizeof *m + nl + nr);
        m->reason = memcpy((char *)(m + 1), reason, nr);
        m->user_login = login ? memcpy(m->reason + nr, login, nl) : NULL;
        m->id = sqlite3_column_int64(s, 0);
        m->customer_id = customer_id;
        m->at = sqlite3_column_int64(s, 1);
        m->kind = (KvDebtKind)MAX(key_index(kind_keys, G_N_ELEMENTS(kind_keys),
                                            (const char *)sqlite3_column_text(s, 2)), 0);
        m->amount = sqlite3_column_int64(s, 3);
        m->sale_id = sqlite3_column_int64(s, 4);
        g_ptr_array_add(out, m);
    }
    return out;
}

/* The first column of a sum's one row (the statement from kv_db_query). */
static gboolean customer_sum(KvStation *st, KvStmt *s, gint64 *out, GError **error)
{
    if (!s)
        return FALSE;
    if (sqlite3_step(s) != SQLITE_ROW) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading the debt"));
        return FALSE;
    }
    *out = sqlite3_column_int64(s, 0);
    return TRUE;
}

gboolean kv_debt_balance_at(KvStation *st, gint64 customer_id, gint64 t, gint64 *out,
                            GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT coalesce(sum(amount), 0) FROM debt_movements "
                                          "WHERE customer_id = ? AND at < ?", error,
                                      KV_DB_VALUES(KV_INT(customer_id), KV_INT(t)));
    return customer_sum(st, s, out, error);
}

/* ---- plans ---- */

static gboolean plan_check(const KvDebtPlan *p, gint64 now, GError **error)
{
    gboolean ok;
    switch (p->kind) {
    case KV_PLAN_SHARE:
        ok = p->share_bp > 0 && p->share_bp <= 9000 && p->min_amount >= 0 &&
             (p->max_amount == 0 || p->max_amount >= p->min_amount);
        break;
    case KV_PLAN_FIXED:
    case KV_PLAN_MONTHLY:
        ok = p->amount > 0;
        break;
    default:
        ok = FALSE;
    }
    if (!ok) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a recovery plan is a share of each purchase (above 0, at most 90 %%, "
                    "minimum <= maximum), or an amount above zero per purchase or per month"));
        return FALSE;
    }
    if (p->ends_at && p->ends_at <= now) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a recovery plan must end after it starts"));
        return FALSE;
    }
    return TRUE;
}

/* End the plan of customer_id in force at now (inside the caller's
 * transaction); *ended: whether there was one. */
static gboolean end_current(KvStation *st, gint64 customer_id, gint64 now, const char *reason,
                            gboolean *ended, GError **error)
{
    if (!kv_db_run(st, "UPDATE debt_plans SET ends_at = ?2, end_reason = ?3 "
                       "WHERE customer_id = ?1 AND starts_at <= ?2 AND "
                       "(ends_at IS NULL OR ends_at > ?2)", _("ending the recovery plan"), error,
                   KV_DB_VALUES(KV_INT(customer_id), KV_INT(now), KV_TEXT(reason))))
        return FALSE;
    *ended = sqlite3_changes(st->db) > 0;
    return TRUE;
}

gint64 kv_debt_plan_set(KvStation *st, const KvDebtPlan *p, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *obj = g_strdup_printf("customer:%" G_GINT64_FORMAT, p->customer_id);
    g_autofree char *detail = NULL;
    gint64 now = kv_now(), id;
    gboolean ended;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) || !plan_check(p, now, error) ||
        !kv_txn_begin(&txn, st, error) ||
        !end_current(st, p->customer_id, now, "replaced by a new plan", &ended, error))
        return 0;
    if (!kv_db_run(st, "INSERT INTO debt_plans(customer_id, kind, share_bp, min_amount, "
                       "max_amount, amount, starts_at, ends_at, created_by) VALUES (?, ?, "
                       "?, ?, nullif(?, 0), ?, ?, nullif(?, 0), ?)",
                   _("recording the recovery plan"), error,
                   KV_DB_VALUES(KV_INT(p->customer_id), KV_TEXT(kv_plan_kind_key(p->kind)),
                                KV_INT(p->kind == KV_PLAN_SHARE ? p->share_bp : 0),
                                KV_INT(p->kind == KV_PLAN_SHARE ? p->min_amount : 0),
                                KV_INT(p->kind == KV_PLAN_SHARE ? p->max_amount : 0),
                                KV_INT(p->kind == KV_PLAN_SHARE ? 0 : p->amount), KV_INT(now),
                                KV_INT(p->ends_at), KV_INT(kv_station_user_id(st)))))
        return 0;
    id = sqlite3_last_insert_rowid(st->db);
    detail = g_strdup_printf("plan=%" G_GINT64_FORMAT " kind=%s share_bp=%u min=%" G_GINT64_FORMAT
                             " max=%" G_GINT64_FORMAT " amount=%" G_GINT64_FORMAT
                             " ends=%" G_GINT64_FORMAT, id, kv_plan_kind_key(p->kind),
                             p->share_bp, p->min_amount, p->max_amount, p->amount, p->ends_at);
    return kv_audit_commit(&txn, "customer.plan", obj, detail, error) ? id : 0;
}

gboolean kv_debt_plan_end(KvStation *st, gint64 customer_id, const char *reason,
                          GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *obj = g_strdup_printf("customer:%" G_GINT64_FORMAT, customer_id);
    g_autofree char *detail = NULL;
    gboolean ended;

    if (!supervisor_with_reason(st, reason, error) || !kv_txn_begin(&txn, st, error) ||
        !end_current(st, customer_id, kv_now(), reason, &ended, error))
        return FALSE;
    if (!ended) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND,
                    _("customer %" PRId64 " has no recovery plan in force"), customer_id);
        return FALSE;
    }
    detail = g_strdup_printf("ended reason=%s", reason);
    return kv_audit_commit(&txn, "customer.plan", obj, detail, error);
}

/* The columns of a plan, in order (its kind by its key). */
#define F(type, field) KV_FIELD(type, KvDebtPlan, field)
static const KvField plan_fields[] = {
    F(INT64, id), KV_FIELD_SKIPPED /* kind */, F(INT, share_bp), F(INT64, min_amount),
    F(INT64, max_amount), F(INT64, amount), F(INT64, starts_at), F(INT64, ends_at),
};
#undef F

KvDebtPlan *kv_debt_plan_current(KvStation *st, gint64 customer_id, gint64 t, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT id, kind, share_bp, min_amount, "
                                         "coalesce(max_amount, 0), amount, starts_at, "
                                         "coalesce(ends_at, 0) FROM debt_plans "
                                         "WHERE customer_id = ?1 AND starts_at <= ?2 AND "
                                         "(ends_at IS NULL OR ends_at > ?2) "
                                         "ORDER BY starts_at DESC, id DESC LIMIT 1", error,
                                      KV_DB_VALUES(KV_INT(customer_id), KV_INT(t)));
    KvDebtPlan *p;
    if (!s)
        return NULL;
    if (sqlite3_step(s) != SQLITE_ROW)
        return NULL;
    p = g_new0(KvDebtPlan, 1);
    kv_db_read_fields(s, p, plan_fields, G_N_ELEMENTS(plan_fields));
    p->customer_id = customer_id;
    p->kind = (KvPlanKind)MAX(key_index(plan_keys, G_N_ELEMENTS(plan_keys),
                                        (const char *)sqlite3_column_text(s, 1)), 0);
    return p;
}

/* What the customer's completed sales recovered since `from`. */
static gboolean recovered_since(KvStation *st, gint64 customer_id, gint64 from, gint64 *out,
                                GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT coalesce(sum(debt_recovered), 0) FROM sales "
                                          "WHERE customer_id = ? AND created_at >= ? AND state = ?",
                                      error, KV_DB_VALUES(KV_INT(customer_id), KV_INT(from),
                                                          KV_STATE(KV_SALE_COMPLETED)));
    return customer_sum(st, s, out, error);
}

gboolean kv_debt_rule_for_sale(KvStation *st, gint64 customer_id, gint64 now, guint tariff_bp,
                               KvDebtRule *out, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(KvDebtPlan) p = NULL;
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT debt FROM customers WHERE id = ?", error,
                                      KV_DB_VALUES(KV_INT(customer_id)));
    gint64 done;

    *out = (KvDebtRule){ 0, tariff_bp, 0, 0 };
    if (!s)
        return FALSE;
    if (sqlite3_step(s) == SQLITE_ROW)
        out->balance = sqlite3_column_int64(s, 0);
    if (!(p = kv_debt_plan_current(st, customer_id, now, &local))) {
        if (local) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        return TRUE;
    }
    switch (p->kind) {
    case KV_PLAN_SHARE:
        out->share_bp = p->share_bp;
        out->min = p->min_amount;
        out->max = p->max_amount;
        break;
    case KV_PLAN_FIXED:
        *out = (KvDebtRule){ out->balance, 0, p->amount, p->amount };
        break;
    case KV_PLAN_MONTHLY:
        if (!recovered_since(st, customer_id, MAX(kv_month_start(now), p->starts_at), &done,
                             error))
            return FALSE;
        /* Nothing left this month: min = max = 0 would mean "no maximum". */
        *out = (KvDebtRule){ done >= p->amount ? 0 : out->balance, 0, MAX(p->amount - done, 0),
                             MAX(p->amount - done, 0) };
        break;
    }
    return TRUE;
}
