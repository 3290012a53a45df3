/* kv-reconcile.c - anomalies (stored, audited, listed) and the
 * reconciliation of each meter's cumulative sold with its completed sales. */
#include <string.h>

#include "kv-i18n.h"
#include "kv-money.h"
#include "kv-reconcile-private.h"
#include "kv-station-private.h"

void kv_anomaly_free(KvAnomaly *a)
{
    if (!a)
        return;
    g_free(a->kind);
    g_free(a->detail);
    g_free(a->ack_reason);
    g_free(a);
}

void kv_reconcile_report_free(KvReconcileReport *r)
{
    if (!r)
        return;
    g_ptr_array_unref(r->problems);
    g_ptr_array_unref(r->open_items);
    g_free(r);
}

/* ---- anomalies ---- */

char *kv_anomaly_describe(const KvAnomaly *a)
{
    g_autofree char *kwh = kv_energy_format(a->amount);
    GString *g = g_string_new(NULL);

    g_string_printf(g, _("anomaly %" PRId64 " (%s): meter %09u"), a->id, a->kind,
                    a->meter_number);
    if (a->card_serial)
        g_string_append_printf(g, _(", card %u"), a->card_serial);
    if (a->token_seq)
        g_string_append_printf(g, _(", token seq %u"), a->token_seq);
    if (a->token_sale_ref)
        g_string_append_printf(g, _(", sale ref %u"), a->token_sale_ref);
    if (a->amount)
        g_string_append_printf(g, _(", %s kWh at stake"), kwh);
    g_string_append_printf(g, ": %s", a->detail);
    if (a->ack_at)
        g_string_append_printf(g, _(" [acknowledged: %s]"), a->ack_reason ? a->ack_reason : "");
    return g_string_free(g, FALSE);
}

#define ANOMALY_COLS                                                                         \
    "id, at, kind, meter_number, card_serial, coalesce(sale_id, 0), coalesce(token_seq, 0), " \
    "coalesce(token_sale_ref, 0), amount, detail, coalesce(ack_at, 0), ack_reason"

static KvAnomaly *anomaly_from_row(KvStmt *s)
{
    KvAnomaly *a = g_new0(KvAnomaly, 1);
    a->id = sqlite3_column_int64(s, 0);
    a->at = sqlite3_column_int64(s, 1);
    a->kind = kv_db_col_text(s, 2);
    a->meter_number = (guint32)sqlite3_column_int64(s, 3);
    a->card_serial = (guint32)sqlite3_column_int64(s, 4);
    a->sale_id = sqlite3_column_int64(s, 5);
    a->token_seq = (guint32)sqlite3_column_int64(s, 6);
    a->token_sale_ref = (guint32)sqlite3_column_int64(s, 7);
    a->amount = sqlite3_column_int64(s, 8);
    a->detail = kv_db_col_text(s, 9);
    a->ack_at = sqlite3_column_int64(s, 10);
    if (sqlite3_column_type(s, 11) != SQLITE_NULL)
        a->ack_reason = kv_db_col_text(s, 11);
    return a;
}

static KvAnomaly *anomaly_get(KvStation *st, gint64 id, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT " ANOMALY_COLS " FROM anomalies WHERE id = ?",
                                     error);
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) == SQLITE_ROW)
        return anomaly_from_row(s);
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no anomaly %" PRId64), id);
    return NULL;
}

gboolean kv_anomaly_store(KvStation *st, const KvAnomalyFacts *a, const char *audit_action,
                          GString *notes, gint64 *id_out, gboolean *raised, GError **error)
{
    g_autoptr(KvStmt) q = kv_db_stmt(st, "SELECT id FROM anomalies WHERE kind = ?1 AND "
                                         "meter_number = ?2 AND card_serial = ?3 AND "
                                         "coalesce(token_seq, 0) = ?4 AND detail = ?5", error);
    g_autoptr(KvAnomaly) stored = NULL;
    gint64 id = 0;

    if (raised)
        *raised = FALSE;
    if (!q)
        return FALSE;
    sqlite3_bind_text(q, 1, a->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, a->meter);
    sqlite3_bind_int64(q, 3, a->card);
    sqlite3_bind_int64(q, 4, a->token_seq);
    sqlite3_bind_text(q, 5, a->detail, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(q) == SQLITE_ROW)
        id = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    if (!id) {
        g_autoptr(KvStmt) s = kv_db_stmt(st, "INSERT INTO anomalies(at, kind, meter_number, "
                                             "card_serial, sale_id, token_seq, token_sale_ref, "
                                             "amount, detail) VALUES (?, ?, ?, ?, nullif(?, 0), "
                                             "nullif(?, 0), nullif(?, 0), ?, ?)", error);
        if (!s)
            return FALSE;
        sqlite3_bind_int64(s, 1, kv_now());
        sqlite3_bind_text(s, 2, a->kind, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, a->meter);
        sqlite3_bind_int64(s, 4, a->card);
        sqlite3_bind_int64(s, 5, a->sale_id);
        sqlite3_bind_int64(s, 6, a->token_seq);
        sqlite3_bind_int64(s, 7, a->token_sale_ref);
        sqlite3_bind_int64(s, 8, MAX(a->amount, 0));
        sqlite3_bind_text(s, 9, a->detail, -1, SQLITE_TRANSIENT);
        if (!kv_db_step_done(st, s, _("recording an anomaly"), error))
            return FALSE;
        id = sqlite3_last_insert_rowid(st->db);
        if (audit_action) {
            g_autofree char *obj = g_strdup_printf("meter:%09u", a->meter);
            g_autofree char *d = g_strdup_printf(
                "kind=%s anomaly=%" G_GINT64_FORMAT " card=%u sale=%" G_GINT64_FORMAT
                " token_seq=%u sale_ref=%u amount=%" G_GINT64_FORMAT " %s",
                a->kind, id, a->card, a->sale_id, a->token_seq, a->token_sale_ref, a->amount,
                a->detail);
            if (!kv_audit_append(st, audit_action, obj, d, error))
                return FALSE;
        }
        if (raised)
            *raised = TRUE;
    }
    if (id_out)
        *id_out = id;
    if (notes && (stored = anomaly_get(st, id, NULL))) {
        g_autofree char *line = kv_anomaly_describe(stored);
        if (notes->len)
            g_string_append_c(notes, '\n');
        g_string_append(notes, line);
    }
    return TRUE;
}

GPtrArray *kv_anomaly_list(KvStation *st, gboolean open_only, guint32 meter, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT " ANOMALY_COLS " FROM anomalies WHERE "
                                         "(?1 = 0 OR ack_at IS NULL) AND (?2 = 0 OR "
                                         "meter_number = ?2) ORDER BY id DESC", error);
    GPtrArray *out;
    int rc;

    if (!s)
        return NULL;
    sqlite3_bind_int(s, 1, open_only);
    sqlite3_bind_int64(s, 2, meter);
    out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_anomaly_free);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        g_ptr_array_add(out, anomaly_from_row(s));
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading anomalies"));
        g_ptr_array_unref(out);
        return NULL;
    }
    return out;
}

gboolean kv_anomaly_ack(KvStation *st, gint64 id, const char *reason, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvStmt) s = NULL;
    g_autofree char *obj = g_strdup_printf("anomaly:%" G_GINT64_FORMAT, id);
    g_autofree char *detail = NULL;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return FALSE;
    if (!reason || !*reason) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("give the reason for acknowledging the anomaly (--reason)"));
        return FALSE;
    }
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    s = kv_db_stmt(st, "UPDATE anomalies SET ack_at = ?, ack_by = ?, ack_reason = ? "
                       "WHERE id = ? AND ack_at IS NULL", error);
    if (!s)
        return FALSE;
    sqlite3_bind_int64(s, 1, kv_now());
    sqlite3_bind_int64(s, 2, kv_station_user_id(st));
    sqlite3_bind_text(s, 3, reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 4, id);
    if (!kv_db_step_done(st, s, _("acknowledging the anomaly"), error))
        return FALSE;
    if (sqlite3_changes(st->db) != 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("anomaly %" PRId64 " does not exist or is already acknowledged"), id);
        return FALSE;
    }
    detail = g_strdup_printf("reason=%s", reason);
    return kv_audit_commit(&txn, "anomaly.ack", obj, detail, error);
}

/* ---- readbacks going backwards ---- */

/* The stored reading of the meter nearest below (below) or above counter:
 * its loaded total and energy.  FALSE if there is none. */
static gboolean neighbour(KvStation *st, guint32 meter, guint32 counter, gboolean below,
                          gint64 *loaded, gint64 *total)
{
    g_autoptr(KvStmt) s = below ? kv_db_stmt(st, "SELECT cumulative_loaded, total_energy FROM "
                                                 "meter_readings WHERE meter_number = ? AND "
                                                 "counter < ? ORDER BY counter DESC LIMIT 1", NULL)
                                : kv_db_stmt(st, "SELECT cumulative_loaded, total_energy FROM "
                                                 "meter_readings WHERE meter_number = ? AND "
                                                 "counter > ? ORDER BY counter LIMIT 1", NULL);
    if (!s)
        return FALSE;
    sqlite3_bind_int64(s, 1, meter);
    sqlite3_bind_int64(s, 2, counter);
    if (sqlite3_step(s) != SQLITE_ROW)
        return FALSE;
    *loaded = sqlite3_column_int64(s, 0);
    *total = sqlite3_column_int64(s, 1);
    return TRUE;
}

/* A reading the station never saw, older than its last: it fits if it
 * lies between the stored readings around its counter. */
static gboolean fits_between(KvStation *st, guint32 meter, const kv_readback *rb)
{
    gint64 l, t;
    if (neighbour(st, meter, rb->counter, TRUE, &l, &t) &&
        ((gint64)rb->cumulative_loaded < l || (gint64)rb->total_energy < t))
        return FALSE;
    if (neighbour(st, meter, rb->counter, FALSE, &l, &t) &&
        ((gint64)rb->cumulative_loaded > l || (gint64)rb->total_energy > t))
        return FALSE;
    return TRUE;
}

gboolean kv_readback_check_order(KvStation *st, guint32 meter, guint32 card,
                                 const kv_readback *rb, gboolean older_slot, gboolean *backwards,
                                 GString *notes, GError **error)
{
    g_autoptr(KvStmt) last = kv_db_stmt(st, "SELECT counter, cumulative_loaded, total_energy "
                                            "FROM meter_readings WHERE meter_number = ? "
                                            "ORDER BY counter DESC LIMIT 1", error);
    g_autoptr(KvStmt) same = NULL;
    gint64 l_counter, l_loaded, l_total, n_same = 0, n_counter = 0;
    GString *why;
    g_autofree char *detail = NULL;
    KvAnomalyFacts a = { "readback-backwards", meter, card, 0, 0, 0, 0, NULL };

    *backwards = FALSE;
    if (!last)
        return FALSE;
    sqlite3_bind_int64(last, 1, meter);
    if (sqlite3_step(last) != SQLITE_ROW)
        return TRUE; /* the first readback of the meter */
    l_counter = sqlite3_column_int64(last, 0);
    l_loaded = sqlite3_column_int64(last, 1);
    l_total = sqlite3_column_int64(last, 2);
    sqlite3_reset(last);

    /* A copy of a readback already stored (an old card, a second read of
     * the same card) tells nothing new. */
    same = kv_db_stmt(st, "SELECT count(*), coalesce(sum(cumulative_loaded = ?3 AND "
                          "total_energy = ?4 AND remaining = ?5 AND last_seq = ?6), 0) FROM "
                          "meter_readings WHERE meter_number = ?1 AND counter = ?2", error);
    if (!same)
        return FALSE;
    sqlite3_bind_int64(same, 1, meter);
    sqlite3_bind_int64(same, 2, rb->counter);
    sqlite3_bind_int64(same, 3, rb->cumulative_loaded);
    sqlite3_bind_int64(same, 4, rb->total_energy);
    sqlite3_bind_int64(same, 5, rb->remaining);
    sqlite3_bind_int64(same, 6, rb->last_seq);
    if (sqlite3_step(same) == SQLITE_ROW) {
        n_counter = sqlite3_column_int64(same, 0);
        n_same = sqlite3_column_int64(same, 1);
    }
    sqlite3_reset(same);
    if (n_same > 0)
        return TRUE;
    /* The card's older slot holding a reading never imported (the meter
     * was visited twice between two reads at the office) is history, not
     * a meter going backwards, if it fits between the stored readings. */
    if (older_slot && n_counter == 0 && (gint64)rb->counter < l_counter &&
        fits_between(st, meter, rb))
        return TRUE;

    why = g_string_new(NULL);
    if ((gint64)rb->counter <= l_counter)
        g_string_append_printf(why, " counter %u<=%" G_GINT64_FORMAT, rb->counter, l_counter);
    if ((gint64)rb->cumulative_loaded < l_loaded)
        g_string_append_printf(why, " loaded %u<%" G_GINT64_FORMAT, rb->cumulative_loaded,
                               l_loaded);
    if ((gint64)rb->total_energy < l_total)
        g_string_append_printf(why, " total_energy %u<%" G_GINT64_FORMAT, rb->total_energy,
                               l_total);
    if (!why->len) {
        g_string_free(why, TRUE);
        return TRUE;
    }
    if (n_counter)
        g_string_append(why, " (the same counter was stored with other values)");
    detail = g_strdup_printf("readback went backwards:%s (counter=%u loaded=%u total=%u "
                             "last_seq=%u; last stored counter=%" G_GINT64_FORMAT " loaded=%"
                             G_GINT64_FORMAT " total=%" G_GINT64_FORMAT ")", why->str,
                             rb->counter, rb->cumulative_loaded, rb->total_energy, rb->last_seq,
                             l_counter, l_loaded, l_total);
    g_string_free(why, TRUE);
    a.token_seq = rb->last_seq;
    a.amount = MAX(0, l_loaded - (gint64)rb->cumulative_loaded);
    a.detail = detail;
    *backwards = TRUE;
    return kv_anomaly_store(st, &a, "meter.alarm", notes, NULL, NULL, error);
}

/* ---- reconciliation ---- */

/* One meter: fold its completed and cancelled sales in token order.  Each
 * completed sale must stand on what was sold before it (or on a recorded
 * adopted base); the meter's cumulative sold must be where the fold ends. */
static gboolean reconcile_meter(KvStation *st, guint32 meter, gint64 sold, KvReconcileReport *r,
                                GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT s.id, s.state, s.seq, s.base_cumulative, "
                                         "s.cumulative, s.cumulative - s.base_cumulative, "
                                         "coalesce(a.base, -1), "
                                         "coalesce(a.source, '') FROM sales s LEFT JOIN "
                                         "base_adoptions a ON a.sale_id = s.id WHERE "
                                         "s.meter_number = ? AND s.state IN ('completed', "
                                         "'cancelled', 'cancelling') ORDER BY s.seq", error);
    gint64 reached = 0, energy = 0, adopted = 0;
    int rc;

    if (!s)
        return FALSE;
    sqlite3_bind_int64(s, 1, meter);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(s, 0);
        const char *state = (const char *)sqlite3_column_text(s, 1);
        gint64 base = sqlite3_column_int64(s, 3), cum = sqlite3_column_int64(s, 4);
        gint64 adopted_base = sqlite3_column_int64(s, 6);
        gboolean live = g_strcmp0(state, "cancelled") != 0;

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

/* Reconcile the meters listed by sql (one integer parameter p), each with
 * its cumulative sold. */
static gboolean reconcile_listed(KvStation *st, const char *sql, gint64 p, KvReconcileReport *r,
                                 GError **error)
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
                             g_array_index(list, gint64, i + 1), r, error))
            return FALSE;
    return TRUE;
}

/* The open questions: issued sales and anomalies not acknowledged, of
 * meter (0: all). */
static gboolean add_open_items(KvStation *st, guint32 meter, KvReconcileReport *r, GError **error)
{
    g_autoptr(GPtrArray) anomalies = NULL;
    g_autoptr(KvStmt) q = kv_db_stmt(st, "SELECT id, meter_number, card_serial, seq, energy "
                                         "FROM sales WHERE state = 'issued' AND "
                                         "(?1 = 0 OR meter_number = ?1) ORDER BY id", error);
    if (!q)
        return FALSE;
    sqlite3_bind_int64(q, 1, meter);
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
                              "number = ?1 ORDER BY number", meter, r, error) ||
        !add_open_items(st, meter, r, error))
        return NULL;
    return g_steal_pointer(&r);
}

KvReconcileReport *kv_reconcile_shift(KvStation *st, gint64 shift_id, GError **error)
{
    g_autoptr(KvReconcileReport) r = report_new();
    if (!reconcile_listed(st, "SELECT number, cumulative_sold FROM meters WHERE number IN "
                              "(SELECT meter_number FROM sales WHERE shift_id = ?1) "
                              "ORDER BY number", shift_id, r, error) ||
        !add_open_items(st, 0, r, error))
        return NULL;
    return g_steal_pointer(&r);
}
