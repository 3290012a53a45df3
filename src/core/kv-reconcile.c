/* kv-reconcile.c - the reconciliation of each meter's cumulative sold with
 * its completed sales (anomalies: kv-anomalies.c). */
#include <string.h>

#include "kv-i18n.h"
#include "kv-money.h"
#include "kv-db.h"
#include "kv-audit-private.h"
#include "kv-anomalies-private.h"
#include "kv-reconcile.h"
#include "kv-station-private.h"
#include "kv-time.h"

void kv_reconcile_report_free(KvReconcileReport *r)
{
    if (!r)
        return;
    g_ptr_array_unref(r->problems);
    g_ptr_array_unref(r->open_items);
    g_free(r);
}

/* ---- reconciliation ---- */

/* The credit a meter swap carried to the meter (0.01 kWh; 0: none). */
static gint64 carried_to(KvStation *st, guint32 meter)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT coalesce(sum(energy), 0) FROM transfers "
                                          "WHERE to_meter = ?", NULL, KV_DB_VALUES(KV_INT(meter)));
    return s && sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
}

/* One meter: fold its completed and cancelled sales and the tokens of its
 * refunds of unloaded credit in token order, from the credit a meter swap
 * carried to it (transfers; counted with the adopted bases).  Each
 * completed sale must stand on what was sold before it (or on a recorded
 * adopted base); a refund's token lowers what was sold to its cumulative;
 * the meter's cumulative sold must be where the fold ends. */
static gboolean reconcile_meter(KvStation *st, guint32 meter, gint64 sold, KvReconcileReport *r,
                                GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT s.id, s.state, s.seq, s.base_cumulative, "
                                          "s.cumulative, s.cumulative - s.base_cumulative, "
                                          "coalesce(a.base, -1), "
                                          "coalesce(a.source, ''), 0 FROM sales s LEFT JOIN "
                                          "base_adoptions a ON a.sale_id = s.id WHERE "
                                          "s.meter_number = ?1 AND s.state IN (?2, ?3, ?4) "
                                          "UNION ALL SELECT t.id, '', t.seq, t.cumulative, "
                                          "t.cumulative, t.cumulative - t.cumulative_before, -1, "
                                          "'', 1 FROM refund_tokens t WHERE t.meter_number = ?1 "
                                          "AND t.state = ?5 ORDER BY 3", error,
                                      KV_DB_VALUES(KV_INT(meter), KV_STATE(KV_SALE_COMPLETED),
                                                   KV_STATE(KV_SALE_CANCELLED),
                                                   KV_STATE(KV_SALE_CANCELLING),
                                                   KV_REFUND_STATE(KV_REFUND_TOKEN_DONE)));
    gint64 carried = carried_to(st, meter);
    gint64 reached = carried, energy = 0, adopted = carried;
    int rc;

    if (!s)
        return FALSE;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(s, 0);
        const char *state = (const char *)sqlite3_column_text(s, 1);
        gint64 base = sqlite3_column_int64(s, 3), cum = sqlite3_column_int64(s, 4);
        gint64 adopted_base = sqlite3_column_int64(s, 6);
        gboolean refund = sqlite3_column_int(s, 8) != 0;
        gboolean live = !refund && kv_sale_state_from_name(state) != KV_SALE_CANCELLED;

        if (refund) {
            energy += sqlite3_column_int64(s, 5);
            reached = cum;
            continue;
        }
        if (adopted_base > reached) {
            adopted += adopted_base - reached;
            reached = adopted_base;
        }
        if (live && base > reached) {
            g_autofree char *gap = kv_energy_format(base - reached);
            g_ptr_array_add(r->problems,
                            g_strdup_printf(_("meter %09u: sale %" PRId64 " stands on a base of "
                                            "%" PRId64 " (0.01 kWh) but only %" PRId64 " was sold "
                                            "before it and no adopted base is recorded: %s kWh "
                                            "came from nowhere"), meter, id, base, reached, gap));
            reached = base;
        }
        if (live) {
            energy += sqlite3_column_int64(s, 5);
            reached = MAX(reached, cum);
        }
        r->sales_checked++;
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading sales"));
        return FALSE;
    }
    if (reached != sold) {
        g_autofree char *a = kv_energy_format(sold), *b = kv_energy_format(reached);
        g_autofree char *e = kv_energy_format(energy), *d = kv_energy_format(adopted);
        g_ptr_array_add(r->problems,
                        g_strdup_printf(_("meter %09u: cumulative sold is %s kWh but its completed "
                                        "sales (%s kWh) and adopted bases (%s kWh) give %s kWh: "
                                        "the ledger was changed outside the station"), meter, a,
                                        e, d, b));
    }
    r->meters_checked++;
    return TRUE;
}

/* One meter's money and credit: its live sales' credit is the energy
 * bought plus the free energy, to the unit; no money without energy
 * bought, no energy bought without money. */
static gboolean reconcile_credit(KvStation *st, guint32 meter, KvReconcileReport *r,
                                 GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT coalesce(sum(cumulative - base_cumulative), 0), "
                                          "coalesce(sum(energy), 0), coalesce(sum(free_energy), 0), "
                                          "count(free_month), coalesce(sum((energy > 0) <> "
                                          "(amount > 0)), 0) FROM sales WHERE meter_number = ? AND "
                                          "state IN (?, ?)", error,
                                      KV_DB_VALUES(KV_INT(meter), KV_STATE(KV_SALE_COMPLETED),
                                                   KV_STATE(KV_SALE_CANCELLING)));
    gint64 credit, paid, free_e, unpaid;
    /* an aggregate: always one row */
    if (!s || !kv_db_step_done(st, s, _("reading sales"), error))
        return FALSE;
    credit = sqlite3_column_int64(s, 0);
    paid = sqlite3_column_int64(s, 1);
    free_e = sqlite3_column_int64(s, 2);
    unpaid = sqlite3_column_int64(s, 4);
    r->credit += credit;
    r->energy_paid += paid;
    r->energy_free += free_e;
    r->grants += (guint)sqlite3_column_int64(s, 3);
    if (credit != paid + free_e) {
        g_autofree char *c = kv_energy_format(credit), *p = kv_energy_format(paid);
        g_autofree char *f = kv_energy_format(free_e);
        g_ptr_array_add(r->problems,
                        g_strdup_printf(_("meter %09u: its tokens carry %s kWh but its sales "
                                        "bought %s kWh and were granted %s kWh free: the "
                                        "difference is accounted for by nothing"), meter, c, p, f));
    }
    if (unpaid)
        g_ptr_array_add(r->problems,
                        g_strdup_printf(_("meter %09u: %" PRId64 " sale(s) with money and no "
                                        "energy bought, or energy bought and no money"),
                                        meter, unpaid));
    return TRUE;
}

/* More than one live free grant of a customer in a month (of the meters
 * listed, or all: meter 0). */
static gboolean reconcile_grants(KvStation *st, KvReconcileReport *r, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT customer_id, free_month, count(*) FROM sales "
                                          "WHERE free_month IS NOT NULL AND state NOT IN "
                                          "(?, ?, ?) GROUP BY customer_id, free_month "
                                          "HAVING count(*) > 1", error,
                                      KV_DB_VALUES(KV_STATE(KV_SALE_FAILED),
                                                   KV_STATE(KV_SALE_VOID),
                                                   KV_STATE(KV_SALE_CANCELLED)));
    if (!s)
        return FALSE;
    while (sqlite3_step(s) == SQLITE_ROW)
        g_ptr_array_add(r->problems,
                        g_strdup_printf(_("customer %" PRId64 " was granted the free allocation "
                                        "of %d %" PRId64 " times (once a month)"),
                                        (gint64)sqlite3_column_int64(s, 0),
                                        sqlite3_column_int(s, 1),
                                        (gint64)sqlite3_column_int64(s, 2)));
    return TRUE;
}

/* Reconcile the meters listed by sql (one integer parameter p), each with
 * its cumulative sold; credit: their money and credit too (reads the sale
 * rows, not only the covering index) and the month's grants. */
static gboolean reconcile_listed(KvStation *st, const char *sql, gint64 p, gboolean credit,
                                 KvReconcileReport *r, GError **error)
{
    g_autoptr(KvStmt) m = kv_db_stmt(st, sql, error);
    g_autoptr(GArray) list = g_array_new(FALSE, FALSE, sizeof(gint64));
    int rc;

    if (!m)
        return FALSE;
    sqlite3_bind_int64(m, 1, p);
    while ((rc = sqlite3_step(m)) == SQLITE_ROW) {
        gint64 pair[2] = { sqlite3_column_int64(m, 0), sqlite3_column_int64(m, 1) };
        g_array_append_vals(list, pair, 2);
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading meters"));
        return FALSE;
    }
    sqlite3_reset(m);
    for (guint i = 0; i + 1 < list->len; i += 2)
        if (!reconcile_meter(st, (guint32)g_array_index(list, gint64, i),
                             g_array_index(list, gint64, i + 1), r, error) ||
            (credit && !reconcile_credit(st, (guint32)g_array_index(list, gint64, i), r, error)))
            return FALSE;
    return !credit || reconcile_grants(st, r, error);
}

/* The open questions: issued sales and anomalies not acknowledged, of
 * meter (0: all). */
static gboolean add_open_items(KvStation *st, guint32 meter, KvReconcileReport *r, GError **error)
{
    g_autoptr(GPtrArray) anomalies = NULL;
    g_autoptr(KvStmt) q = kv_db_query(st, "SELECT id, meter_number, card_serial, seq, energy "
                                          "FROM sales WHERE state = ?2 AND "
                                          "(?1 = 0 OR meter_number = ?1) ORDER BY id", error,
                                      KV_DB_VALUES(KV_INT(meter), KV_STATE(KV_SALE_ISSUED)));
    if (!q)
        return FALSE;
    while (sqlite3_step(q) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(q, 0);
        g_autofree char *kwh = kv_energy_format(sqlite3_column_int64(q, 4));
        g_ptr_array_add(r->open_items,
                        g_strdup_printf(_("sale %" PRId64 " is issued, not proven: meter "
                                        "%09u, card %u, token seq %u, %s kWh (resolve it: "
                                        "`kilovendctl sale resolve %" PRId64
                                        " --paid|--void --reason T`)"),
                                        id, (guint32)sqlite3_column_int64(q, 1),
                                        (guint32)sqlite3_column_int64(q, 2),
                                        (guint32)sqlite3_column_int64(q, 3), kwh, id));
        r->issued_open++;
    }
    if (!(anomalies = kv_anomaly_list(st, TRUE, meter, error)))
        return FALSE;
    for (guint i = 0; i < anomalies->len; i++) {
        g_ptr_array_add(r->open_items, kv_anomaly_describe(anomalies->pdata[i]));
        r->anomalies_open++;
    }
    return TRUE;
}

static KvReconcileReport *report_new(void)
{
    KvReconcileReport *r = g_new0(KvReconcileReport, 1);
    r->problems = g_ptr_array_new_with_free_func(g_free);
    r->open_items = g_ptr_array_new_with_free_func(g_free);
    return r;
}

KvReconcileReport *kv_reconcile(KvStation *st, guint32 meter, GError **error)
{
    g_autoptr(KvReconcileReport) r = report_new();
    if (!reconcile_listed(st, "SELECT number, cumulative_sold FROM meters WHERE ?1 = 0 OR "
                              "number = ?1 ORDER BY number", meter, TRUE, r, error) ||
        !kv_audit_check_clears(st, meter, r->problems, error) ||
        !add_open_items(st, meter, r, error))
        return NULL;
    return g_steal_pointer(&r);
}

KvReconcileReport *kv_reconcile_shift(KvStation *st, gint64 shift_id, GError **error)
{
    g_autoptr(KvReconcileReport) r = report_new();
    if (!reconcile_listed(st, "SELECT number, cumulative_sold FROM meters WHERE number IN "
                              "(SELECT meter_number FROM sales WHERE shift_id = ?1) "
                              "ORDER BY number", shift_id, FALSE, r, error) ||
        !add_open_items(st, 0, r, error))
        return NULL;
    return g_steal_pointer(&r);
}
