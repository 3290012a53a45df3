/* kv-sales.c - the sale state machine, cancellation and reconciliation.
 * The steps and the reasons for their order are in kv-sales.h and
 * docs/station.md. */
#include <stdio.h>
#include <string.h>

#include "kv-i18n.h"
#include "kv-categories.h"
#include "kv-arrears-private.h"
#include "kv-card-link.h"
#include "kv-meter-keys.h"
#include "kv-money.h"
#include "kv-registry.h"
#include "kv-sales.h"
#include "kv-tariffs.h"
#include "kv_card.h"
#include "kv_util.h"
#include "kv-db.h"
#include "kv-audit-private.h"
#include "kv-test-point.h"
#include "kv-card-access.h"
#include "kv-readback.h"
#include "kv-anomalies-private.h"
#include "kv-sales-private.h"
#include "kv-registry-private.h"
#include "kv-shifts-private.h"
#include "kv-station-private.h"
#include "kv-sync-state.h"
#include "kv-time.h"

void kv_sale_free(KvSale *s)
{
    if (!s)
        return;
    g_free(s->customer_name);
    g_free(s->customer_account);
    g_free(s->tariff_code);
    g_free(s->cashier_login);
    g_free(s->fail_reason);
    g_free(s->cancel_reason);
    g_free(s->resolution);
    g_free(s->payment_ref);
    g_free(s->notes);
    g_free(s->base_source);
    g_free(s);
}

/* ---- reading sales ---- */

#define SALE_COLS                                                                            \
    "s.id, s.meter_number, coalesce(s.customer_id, 0), coalesce(c.name, ''), "                \
    "coalesce(c.account, ''), s.card_serial, s.tariff_id, t.code, s.cashier_id, u.login, "    \
    "s.shift_id, s.state, s.created_at, s.updated_at, s.amount, s.fixed_charge, "             \
    "s.debt_recovered, s.energy_net, s.vat, s.energy, s.office, s.seq, s.base_cumulative, "   \
    "s.cumulative, s.fail_reason, coalesce(s.cancel_seq, 0), s.cancel_reason, s.blocks, "    \
    "coalesce(s.card_write_at, 0), s.resolution, s.payment, s.payment_ref, s.free_energy, "  \
    "coalesce(s.free_month, 0)"
#define SALE_FROM                                                                            \
    " FROM sales s JOIN tariffs t ON t.id = s.tariff_id JOIN users u ON u.id = s.cashier_id " \
    "LEFT JOIN customers c ON c.id = s.customer_id "

/* The columns of SALE_COLS, in order. */
#define F(type, field) KV_FIELD(type, KvSale, field)
static const KvField sale_fields[] = {
    F(INT64, id), F(UINT32, meter_number), F(INT64, customer_id), F(TEXT, customer_name),
    F(TEXT, customer_account), F(UINT32, card_serial), F(INT64, tariff_id),
    F(TEXT, tariff_code), F(INT64, cashier_id), F(TEXT, cashier_login), F(INT64, shift_id),
    KV_FIELD_SKIPPED /* state */, F(INT64, created_at), F(INT64, updated_at),
    F(INT64, breakdown.amount), F(INT64, breakdown.fixed_charge),
    F(INT64, breakdown.debt_recovered), F(INT64, breakdown.energy_net), F(INT64, breakdown.vat),
    F(INT64, breakdown.energy), F(UINT16, office), F(UINT32, seq), F(UINT32, base_cumulative),
    F(UINT32, cumulative), F(TEXT_OR_NULL, fail_reason), F(UINT32, cancel_seq),
    F(TEXT_OR_NULL, cancel_reason), KV_FIELD_SKIPPED /* blocks */, F(INT64, card_write_at),
    F(TEXT_OR_NULL, resolution), F(INT, payment), F(TEXT_OR_NULL, payment_ref),
    F(INT64, breakdown.free_energy), F(INT, free_month),
};
#undef F

static KvSale *sale_from_row(KvStmt *s)
{
    KvSale *x = g_new0(KvSale, 1);
    kv_db_read_fields(s, x, sale_fields, G_N_ELEMENTS(sale_fields));
    x->state = kv_sale_state_from_name((const char *)sqlite3_column_text(s, 11));
    kv_breakdown_blocks_parse((const char *)sqlite3_column_text(s, 27), &x->breakdown);
    return x;
}

KvSale *kv_sale_get(KvStation *st, gint64 id, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT " SALE_COLS SALE_FROM "WHERE s.id = ?", error,
                                      KV_DB_VALUES(KV_INT(id)));
    int rc;
    if (!s)
        return NULL;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        return sale_from_row(s);
    if (rc == SQLITE_DONE)
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no sale %" PRId64), id);
    else
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading sales"));
    return NULL;
}

KvSale *kv_sale_last_of_meter(KvStation *st, guint32 meter, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT " SALE_COLS SALE_FROM
                                          "WHERE s.meter_number = ? AND s.state = ? "
                                          "ORDER BY s.seq DESC LIMIT 1", error,
                                      KV_DB_VALUES(KV_INT(meter), KV_STATE(KV_SALE_COMPLETED)));
    if (!s)
        return NULL;
    if (sqlite3_step(s) == SQLITE_ROW)
        return sale_from_row(s);
    return NULL;
}

static GPtrArray *rows_of(KvStmt *s)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_sale_free);
    while (sqlite3_step(s) == SQLITE_ROW)
        g_ptr_array_add(out, sale_from_row(s));
    return out;
}

/* The sales a query selects, its parameters bound (kv_db_query).  sql: a
 * literal. */
static GPtrArray *sales_where(KvStation *st, const char *sql, GError **error, gsize n,
                              const KvDbValue *values)
{
    g_autoptr(KvStmt) s = kv_db_query(st, sql, error, n, values);
    return s ? rows_of(s) : NULL;
}

/* The issued sales of a meter (0: all), oldest first. */
static GPtrArray *issued_of(KvStation *st, guint32 meter, GError **error)
{
    return sales_where(st, "SELECT " SALE_COLS SALE_FROM "WHERE s.state = ?2 "
                           "AND (?1 = 0 OR s.meter_number = ?1) ORDER BY s.id", error,
                       KV_DB_VALUES(KV_INT(meter), KV_STATE(KV_SALE_ISSUED)));
}

GPtrArray *kv_sale_list_issued(KvStation *st, GError **error)
{
    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return NULL;
    return issued_of(st, 0, error);
}

/* The sales of a meter (0: all) waiting for their card, oldest first. */
static GPtrArray *unresolved_of(KvStation *st, guint32 meter, GError **error)
{
    return sales_where(st, "SELECT " SALE_COLS SALE_FROM "WHERE s.state IN (?2, ?3, ?4) "
                           "AND (?1 = 0 OR s.meter_number = ?1) ORDER BY s.id", error,
                       KV_DB_VALUES(KV_INT(meter), KV_STATE(KV_SALE_PENDING),
                                    KV_STATE(KV_SALE_WRITTEN), KV_STATE(KV_SALE_CANCELLING)));
}

GPtrArray *kv_sale_list_recent(KvStation *st, guint limit, GError **error)
{
    gint64 only = 0;

    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return NULL;
    /* A cashier sees their own sales; a supervisor everybody's. */
    if (kv_station_user(st)->role < KV_ROLE_SUPERVISOR)
        only = kv_station_user_id(st);
    return sales_where(st, "SELECT " SALE_COLS SALE_FROM "WHERE (?1 = 0 OR s.cashier_id = ?1) "
                           "ORDER BY s.id DESC LIMIT ?2", error,
                       KV_DB_VALUES(KV_INT(only), KV_INT(limit)));
}

GPtrArray *kv_sale_list_unresolved(KvStation *st, GError **error)
{
    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return NULL;
    return unresolved_of(st, 0, error);
}

/* ---- state changes (each one transaction with its audit row) ---- */

static gboolean audit_sale(KvStation *st, const KvSale *x, KvSaleState to, const char *extra,
                           GError **error)
{
    const char *state = kv_sale_state_name(to);
    g_autofree char *obj = g_strdup_printf("sale:%" G_GINT64_FORMAT, x->id);
    g_autofree char *d = kv_audit_sale_detail(state, x->breakdown.amount, x->breakdown.energy,
                                              x->seq, x->cumulative, x->card_serial, x->payment,
                                              x->payment_ref, x->breakdown.free_energy,
                                              x->free_month);
    g_autofree char *detail = extra ? g_strdup_printf("%s %s", d, extra) : g_strdup(d);
    g_autofree char *action = g_strdup_printf("sale.%s", state);
    return kv_audit_append(st, action, obj, detail, error);
}

static gboolean set_state(KvStation *st, gint64 id, KvSaleState from, KvSaleState to,
                          const char *reason, GError **error)
{
    if (!kv_db_run(st, "UPDATE sales SET state = ?, updated_at = ?, "
                       "fail_reason = coalesce(?, fail_reason) WHERE id = ? AND state = ?",
                   _("recording the sale"), error,
                   KV_DB_VALUES(KV_STATE(to), KV_INT(kv_now()), KV_TEXT(reason), KV_INT(id),
                                KV_STATE(from))))
        return FALSE;
    if (sqlite3_changes(st->db) != 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("sale %" PRId64 " is no longer %s"), id,
                    C_("sale state", kv_sale_state_name(from)));
        return FALSE;
    }
    return TRUE;
}

/* One UPDATE with two integer parameters, run to its end. */
/* The customer of x has debt recovered by it. */
static gboolean has_debt_recovered(const KvSale *x)
{
    return x->breakdown.debt_recovered && x->customer_id;
}

/* Record how an issued sale ended (supervisor, proof, covered). */
static gboolean set_resolution(KvStation *st, gint64 id, gint64 by, const char *text,
                               GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "UPDATE sales SET resolved_by = nullif(?, 0), "
                                          "resolution = ? WHERE id = ?", error,
                                      KV_DB_VALUES(KV_INT(by), KV_TEXT(text), KV_INT(id)));
    if (!s)
        return FALSE;
    return kv_db_step_done(st, s, _("recording the sale"), error);
}

/* Issued sales of x's meter that x covers: an older token whose cumulative
 * is not above x's can add nothing once x exists (the meter loads
 * cumulative minus what it loaded, and refuses what is not above it), so
 * they end void with nothing due.  Inside the caller's transaction. */
static gboolean void_covered(KvStation *st, const KvSale *x, GError **error)
{
    g_autoptr(GPtrArray) covered = sales_where(st, "SELECT " SALE_COLS SALE_FROM
                                                   "WHERE s.state = ? AND s.meter_number = ? AND "
                                                   "s.seq < ? AND s.cumulative <= ?", error,
                                               KV_DB_VALUES(KV_STATE(KV_SALE_ISSUED),
                                                            KV_INT(x->meter_number),
                                                            KV_INT(x->seq),
                                                            KV_INT(x->cumulative)));
    if (!covered)
        return FALSE;
    for (guint i = 0; i < covered->len; i++) {
        KvSale *o = covered->pdata[i];
        g_autofree char *why = g_strdup_printf("covered by sale %" G_GINT64_FORMAT
                                               " (seq %u, cumulative %u)", x->id, x->seq,
                                               x->cumulative);
        g_autofree char *extra = g_strdup_printf("covered_by=%" G_GINT64_FORMAT, x->id);
        if (!set_state(st, o->id, KV_SALE_ISSUED, KV_SALE_VOID, NULL, error) ||
            !set_resolution(st, o->id, 0, why, error) ||
            !audit_sale(st, o, KV_SALE_VOID, extra, error))
            return FALSE;
    }
    return TRUE;
}

/* pending|written|issued -> completed: the meter's cumulative sold and the
 * customer's debt follow; a base above what was sold is recorded as
 * adopted (the reconciliation counts it); anomaly (optional) is stored in
 * the same transaction; issued sales x covers end void. */
static gboolean complete_sale_full(KvStation *st, const KvSale *x, const char *extra,
                                   const char *resolution, gint64 resolved_by,
                                   const KvAnomalyFacts *anomaly, GString *notes, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    gint64 sold_before, anomaly_id = x->base_anomaly;
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    {
        g_autoptr(KvStmt) q = kv_db_query(st, "SELECT cumulative_sold FROM meters WHERE number = ?",
                                          error, KV_DB_VALUES(KV_INT(x->meter_number)));
        if (!q)
            return FALSE;
        sold_before = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    }
    if (anomaly && !kv_anomaly_store(st, anomaly, "meter.anomaly", notes, &anomaly_id, NULL, error))
        return FALSE;
    if (!set_state(st, x->id, x->state, KV_SALE_COMPLETED, NULL, error) ||
        !kv_db_run(st, "UPDATE meters SET cumulative_sold = max(cumulative_sold, ?) "
                       "WHERE number = ?", _("recording the sale"), error,
                   KV_DB_VALUES(KV_INT(x->cumulative), KV_INT(x->meter_number))) ||
        (has_debt_recovered(x) &&
         !kv_debt_insert(st, x->customer_id, KV_DEBT_RECOVERED, x->breakdown.debt_recovered,
                         x->id, NULL, error)))
        return FALSE;
    if ((gint64)x->base_cumulative > sold_before) {
        const char *source = x->base_source ? x->base_source : "card or readback when settled";
        if (!kv_db_run(st, "INSERT OR IGNORE INTO base_adoptions(sale_id, meter_number, "
                           "sold_before, base, source, anomaly_id) VALUES (?, ?, ?, ?, ?, "
                           "nullif(?, 0))", _("recording the sale"), error,
                       KV_DB_VALUES(KV_INT(x->id), KV_INT(x->meter_number), KV_INT(sold_before),
                                    KV_INT(x->base_cumulative), KV_TEXT(source),
                                    KV_INT(anomaly_id))))
            return FALSE;
    }
    if ((!resolution || set_resolution(st, x->id, resolved_by, resolution, error)) &&
        audit_sale(st, x, KV_SALE_COMPLETED, extra, error) && void_covered(st, x, error) &&
        kv_txn_commit(&txn, error))
        return TRUE;
    return FALSE;
}

static gboolean complete_sale(KvStation *st, const KvSale *x, GError **error)
{
    return complete_sale_full(st, x, NULL, NULL, 0, NULL, NULL, error);
}

/* pending|written -> to ("failed", or "issued": the write began and the
 * card does not show the token, so nothing is settled on its word), with
 * the reason and its audit row. */
static gboolean end_unproven(KvStation *st, const KvSale *x, KvSaleState to, const char *reason,
                             GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *extra = g_strdup_printf("reason=%s", reason);
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    if (!set_state(st, x->id, x->state, to, reason, error) ||
        !audit_sale(st, x, to, extra, error) || !kv_txn_commit(&txn, error))
        return FALSE;
    return TRUE;
}

static gboolean fail_sale(KvStation *st, const KvSale *x, const char *reason, GError **error)
{
    return end_unproven(st, x, KV_SALE_FAILED, reason, error);
}

static gboolean issue_sale(KvStation *st, const KvSale *x, const char *reason, GError **error)
{
    return end_unproven(st, x, KV_SALE_ISSUED, reason, error);
}

/* The card does not show the token of a pending/written sale: failed if
 * its write never began, issued otherwise. */
static gboolean settle_unproven(KvStation *st, KvSale *x, const char *reason, GError **error)
{
    if (!x->card_write_at) {
        if (!fail_sale(st, x, reason, error))
            return FALSE;
        x->state = KV_SALE_FAILED;
        return TRUE;
    }
    if (!issue_sale(st, x, reason, error))
        return FALSE;
    x->state = KV_SALE_ISSUED;
    return TRUE;
}

/* The issued sales x covered are open again once x is cancelled: the
 * cancel token carries x's base, which no longer covers them.  Inside the
 * caller's transaction. */
static gboolean reopen_covered(KvStation *st, const KvSale *x, GError **error)
{
    g_autofree char *pattern = g_strdup_printf("covered by sale %" G_GINT64_FORMAT " (%%", x->id);
    g_autofree char *extra = g_strdup_printf("reason=covering sale %" G_GINT64_FORMAT
                                             " cancelled", x->id);
    g_autoptr(GPtrArray) covered = sales_where(st, "SELECT " SALE_COLS SALE_FROM
                                                   "WHERE s.state = ? AND s.meter_number = ? AND "
                                                   "s.resolution LIKE ?", error,
                                               KV_DB_VALUES(KV_STATE(KV_SALE_VOID),
                                                            KV_INT(x->meter_number),
                                                            KV_TEXT(pattern)));
    if (!covered)
        return FALSE;
    for (guint i = 0; i < covered->len; i++) {
        KvSale *o = covered->pdata[i];
        if (!set_state(st, o->id, KV_SALE_VOID, KV_SALE_ISSUED, NULL, error) ||
            !set_resolution(st, o->id, 0, "open again: its covering sale was cancelled", error) ||
            !audit_sale(st, o, KV_SALE_ISSUED, extra, error))
            return FALSE;
    }
    return TRUE;
}

/* A cancelled sale's recovery goes back on the customer: what its
 * "recovered" movement took (at most the balance then). */
static gboolean restore_debt(KvStation *st, const KvSale *x, GError **error)
{
    g_autoptr(KvStmt) q = kv_db_query(st, "SELECT coalesce(-sum(amount), 0) FROM debt_movements "
                                          "WHERE sale_id = ? AND kind = 'recovered'", error,
                                      KV_DB_VALUES(KV_INT(x->id)));
    if (!q)
        return FALSE;
    return sqlite3_step(q) == SQLITE_ROW &&
           kv_debt_insert(st, x->customer_id, KV_DEBT_RESTORED, sqlite3_column_int64(q, 0), x->id,
                          NULL, error);
}

/* cancelling -> cancelled: the cancelled credit leaves the meter's
 * cumulative and the recovered debt goes back on the customer; the issued
 * sales it covered are open again. */
static gboolean finish_cancel(KvStation *st, const KvSale *x, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *extra = g_strdup_printf("cancel_seq=%u", x->cancel_seq);

    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    if (set_state(st, x->id, KV_SALE_CANCELLING, KV_SALE_CANCELLED, NULL, error) &&
        kv_db_run(st, "UPDATE meters SET cumulative_sold = ? WHERE number = ?",
                  _("recording the cancellation"), error,
                  KV_DB_VALUES(KV_INT(x->base_cumulative), KV_INT(x->meter_number))) &&
        (!has_debt_recovered(x) || restore_debt(st, x, error)) &&
        reopen_covered(st, x, error) && audit_sale(st, x, KV_SALE_CANCELLED, extra, error) &&
        kv_txn_commit(&txn, error))
        return TRUE;
    return FALSE;
}

/* cancelling -> completed: the cancel token never reached the card. */
static gboolean abort_cancel(KvStation *st, const KvSale *x, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    if (!kv_db_run(st, "UPDATE sales SET state = ?, cancel_seq = NULL, cancel_reason = NULL, "
                       "cancelled_by = NULL, updated_at = ? WHERE id = ? AND state = ?",
                   _("recording the sale"), error,
                   KV_DB_VALUES(KV_STATE(KV_SALE_COMPLETED), KV_INT(kv_now()), KV_INT(x->id),
                                KV_STATE(KV_SALE_CANCELLING))) ||
        !audit_sale(st, x, KV_SALE_COMPLETED, "cancel=not-written", error) ||
        !kv_txn_commit(&txn, error))
        return FALSE;
    return TRUE;
}

/* ---- what the card says ---- */

static gboolean card_holds_credit(const kv_card_view *v, guint32 seq, guint32 cumulative,
                                  gint64 sale_ref, guint16 office)
{
    /* The meter already loaded it (or a later token that included it). */
    if (v->readback_err == KV_OK && v->readback.last_seq >= seq &&
        v->readback.cumulative_loaded >= cumulative)
        return TRUE;
    if (v->token_err != KV_OK)
        return FALSE;
    if (v->token.seq == seq)
        return v->token.u.credit.cumulative == cumulative &&
               v->token.u.credit.sale_ref == (guint32)sale_ref && v->token.u.credit.office == office;
    if (v->token.seq > seq) /* a later token (another office) built on top of it? */
        return v->token.u.credit.cumulative - v->token.u.credit.amount >= cumulative;
    return FALSE;
}

static gboolean card_holds_cancel(const kv_card_view *v, const KvSale *x)
{
    return v->token_err == KV_OK && v->token.seq == x->cancel_seq &&
           v->token.u.credit.cumulative == x->base_cumulative && v->token.u.credit.amount == 0;
}

/* The meter's newest stored readback shows it loaded x (MAC-verified). */
static gboolean readback_proves(const KvMeter *m, const KvSale *x)
{
    return m && m->has_readback && m->rb_last_seq >= x->seq &&
           m->rb_cumulative_loaded >= x->cumulative;
}

/* Resolve one unresolved or issued sale from a decoded view of its card
 * (m: the meter's record, for its stored readback; may be NULL).  notes
 * (optional) gets a line for each anomaly. */
static gboolean resolve_sale(KvStation *st, KvSale *x, const kv_card_view *v, const KvMeter *m,
                             GString *notes, GError **error)
{
    if (x->state == KV_SALE_CANCELLING) {
        if (card_holds_cancel(v, x))
            return finish_cancel(st, x, error);
        return abort_cancel(st, x, error);
    }
    if (x->state == KV_SALE_ISSUED) {
        /* Proven after the cashier was told it was not: the money is due
         * now, and the supervisor sees it (an emulator, or a card that
         * held the token after all). */
        g_autofree char *detail = NULL;
        KvAnomalyFacts a = { "issued-proven", x->meter_number, v->id.card_serial, x->id,
                             x->seq, (guint32)x->id, x->breakdown.energy, NULL };
        gboolean on_card = card_holds_credit(v, x->seq, x->cumulative, x->id, x->office);
        if (!on_card && !readback_proves(m, x))
            return TRUE; /* still open: only proof or a supervisor ends it */
        detail = g_strdup_printf("issued sale %" G_GINT64_FORMAT " proven by %s after it was "
                                 "reported unconfirmed: its money is due",
                                 x->id, on_card ? "the card" : "a readback");
        a.detail = detail;
        if (!complete_sale_full(st, x, on_card ? "proof=card" : "proof=readback", detail, 0, &a,
                                notes, error))
            return FALSE;
        x->state = KV_SALE_COMPLETED;
        return TRUE;
    }
    if (card_holds_credit(v, x->seq, x->cumulative, x->id, x->office)) {
        if (!complete_sale(st, x, error))
            return FALSE;
        x->state = KV_SALE_COMPLETED;
        return TRUE;
    }
    return settle_unproven(st, x, "the token is not on the card (write interrupted or card pulled)",
                           error);
}

/* kv_sale_reconcile_card, with the anomalies it raised in notes. */
static gint reconcile_card(KvStation *st, KvCardLink *card, GString *notes, GError **error)
{
    kv_card_view view;
    g_autoptr(KvMeter) m = NULL;
    g_autoptr(GPtrArray) open = NULL, issued = NULL;
    gint n = 0;
    if (!kv_card_view_for(st, card, 0, &view, &m, error))
        return -1;
    if (!(open = unresolved_of(st, view.id.meter_number, error)) ||
        !(issued = issued_of(st, view.id.meter_number, error))) {
        kv_wipe(&view, sizeof view);
        return -1;
    }
    g_ptr_array_extend_and_steal(open, g_steal_pointer(&issued));
    for (guint i = 0; i < open->len; i++) {
        KvSale *x = open->pdata[i];
        KvSaleState before = x->state;
        if (x->card_serial != view.id.card_serial)
            continue;
        if (!resolve_sale(st, x, &view, m, notes, error)) {
            kv_wipe(&view, sizeof view);
            return -1;
        }
        if (x->state != before)
            n++;
    }
    kv_wipe(&view, sizeof view);
    return n;
}

gint kv_sale_reconcile_card(KvStation *st, KvCardLink *card, GError **error)
{
    return reconcile_card(st, card, NULL, error);
}

/* ---- quoting ---- */

/* The meter's energy bought this month and whether its fixed charge was
 * paid: this station's completed sales, and the other stations' as head
 * office last gave them (month_blocks_remote, docs/multi-office.md "The
 * month's blocks across offices"), so that blocks are priced on the
 * month's total at every office. */
static gint64 month_energy(KvStation *st, guint32 meter, gint64 now, gboolean *fixed_paid)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT coalesce(sum(energy), 0) + (SELECT coalesce(sum(r.energy), 0) "
                                          "FROM month_blocks_remote r WHERE r.meter_number = ?1 AND r.month = ?4 "
                                          "AND r.station_no <> ?5), coalesce(max(fixed_charge > 0), 0) OR EXISTS "
                                          "(SELECT 1 FROM month_blocks_remote r WHERE r.meter_number = ?1 "
                                          "AND r.month = ?4 AND r.station_no <> ?5 AND r.fixed_paid > 0) "
                                          "FROM sales WHERE meter_number = ?1 AND created_at >= ?2 AND state = ?3",
                                      NULL,
                                      KV_DB_VALUES(KV_INT(meter), KV_INT(kv_month_start(now)),
                                                   KV_STATE(KV_SALE_COMPLETED), KV_INT(kv_month_key(now)),
                                                   KV_INT(st->settings.station_no)));
    if (!s)
        return 0;
    if (sqlite3_step(s) != SQLITE_ROW)
        return 0;
    *fixed_paid = sqlite3_column_int(s, 1) != 0;
    return sqlite3_column_int64(s, 0);
}

static char *kwh(gint64 v)
{
    return kv_energy_format(v);
}

/* Price the sale and predict the meter's answer.  view may be NULL (no card). */
/* The request itself: money or energy, within the station's limits, for
 * an active meter. */
static gboolean check_request(KvStation *st, const KvMeter *m, const KvSaleRequest *req,
                              GError **error)
{
    if (req->free_only && (req->amount || req->energy || req->payment != KV_PAYMENT_CASH ||
                           (req->reference && *req->reference))) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the free allocation alone is neither bought nor paid: no amount, energy "
                    "or payment goes with it"));
        return FALSE;
    }
    if (!req->free_only && (req->amount > 0) == (req->energy > 0)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    req->amount < 0 || req->energy < 0
                        ? _("the amount must be more than zero")
                        : _("give either an amount of money or an amount of energy (more than zero)"));
        return FALSE;
    }
    if (req->amount > st->settings.max_sale_amount) {
        g_autofree char *mx = kv_station_format_money(st, st->settings.max_sale_amount);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the amount is above the station's limit of %s per sale"), mx);
        return FALSE;
    }
    if (req->energy > st->settings.max_sale_energy) {
        g_autofree char *mx = kwh(st->settings.max_sale_energy);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the energy is above the station's limit of %s kWh per sale"), mx);
        return FALSE;
    }
    if (!kv_payment_check(req->payment, req->reference, error))
        return FALSE;
    if (g_strcmp0(m->status, kv_meter_status_name(KV_METER_STATUS_ACTIVE)) != 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u is %s: no sales to it"), m->number,
                    C_("meter status", m->status));
        return FALSE;
    }
    return TRUE;
}

/* The month's free allocation due to the meter's customer (x's customer
 * is set), on x; a request for it alone is refused when none is due. */
static gboolean free_due(KvStation *st, const KvMeter *m, const KvSaleRequest *req, gint64 now,
                         KvSale *x, GError **error)
{
    gint64 granted_by = 0;
    if (x->customer_id &&
        !kv_free_allocation_due(st, x->customer_id, now, &x->breakdown.free_energy,
                                &x->free_month, &granted_by, error))
        return FALSE;
    if (!req->free_only || x->breakdown.free_energy > 0)
        return TRUE;
    if (granted_by)
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("the free allocation of this month was already granted to %s with "
                    "sale %" PRId64 "; the next one is due next month"),
                    x->customer_account, granted_by);
    else if (x->customer_id)
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("customer %s has no free allocation (their category grants none, or "
                    "they have no category)"), x->customer_account);
    else
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u has no customer: a free allocation goes to a customer"),
                    m->number);
    return FALSE;
}

/* The price: the tariff in force (the customer's category's, or the
 * meter's), the customer's debt and plan, the month's energy
 * so far (blocks, the fixed charge once a month); within the limit. */
static gboolean price(KvStation *st, const KvMeter *m, const KvSaleRequest *req, gint64 now,
                      KvTariff *tariff, KvSale *x, GError **error)
{
    KvTariff t;
    KvDebtRule debt = { 0 };
    gint64 menergy;
    gboolean fixed_paid = FALSE, in_category = FALSE;
    char code[17];

    /* The customer's category names the tariff, else the meter does. */
    if (m->customer_id && !kv_category_tariff_of(st, m->customer_id, code, &in_category, error))
        return FALSE;
    if (!kv_tariff_get_effective(st, in_category ? code : m->tariff_code, now, &t, error))
        return FALSE;
    if (m->customer_id) {
        g_autoptr(KvCustomer) c = kv_customer_get(st, m->customer_id, error);
        if (!c || !kv_debt_rule_for_sale(st, c->id, now, t.debt_bp, &debt, error))
            return FALSE;
        x->customer_id = c->id;
        x->customer_name = g_strdup(c->name);
        x->customer_account = g_strdup(c->account);
    }
    menergy = month_energy(st, m->number, now, &fixed_paid);
    if (req->free_only) {
        /* nothing priced: the breakdown is the free energy alone */
    } else if (req->amount > 0) {
        if (!kv_tariff_price_amount_rule(&t, req->amount, menergy, !fixed_paid, &debt,
                                         &x->breakdown, error))
            return FALSE;
    } else if (!kv_tariff_price_energy_rule(&t, req->energy, menergy, !fixed_paid, &debt,
                                            &x->breakdown, error)) {
        return FALSE;
    }
    if (x->breakdown.amount > st->settings.max_sale_amount) {
        g_autofree char *mx = kv_station_format_money(st, st->settings.max_sale_amount);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the price is above the station's limit of %s per sale"), mx);
        return FALSE;
    }
    /* after the pricing, which starts from an empty breakdown */
    if (!free_due(st, m, req, now, x, error))
        return FALSE;
    *tariff = t;
    return TRUE;
}

/* The meter's answer, predicted with its own rule from the newest readback
 * known.  The real remaining can only be lower (consumption), so an
 * accepted prediction is safe; with no readback yet, an empty meter (0, 0)
 * is the worst case.  REFUSED if the meter would refuse the credit. */
/* The meter's newest known credit and cumulative loaded: the card's
 * readback if it is not older than the ledger's, else the ledger's. */
static void meter_start(const KvMeter *m, const kv_card_view *view, gint32 *remaining,
                        guint32 *loaded)
{
    *remaining = 0;
    *loaded = 0;
    if (view && view->readback_err == KV_OK &&
        (!m->has_readback || view->readback.counter >= m->rb_counter)) {
        *remaining = view->readback.remaining;
        *loaded = view->readback.cumulative_loaded;
    } else if (m->has_readback) {
        *remaining = m->rb_remaining;
        *loaded = m->rb_cumulative_loaded;
    }
}

static gboolean predict_load(const KvMeter *m, const kv_card_view *view, KvSale *x,
                             GError **error)
{
    gint32 remaining, new_remaining;
    guint32 loaded, new_loaded, base = x->base_cumulative;
    kv_credit credit = { 0 };
    kv_err e;

    meter_start(m, view, &remaining, &loaded);
    credit.cumulative = x->cumulative;
    credit.amount = (guint32)(x->breakdown.energy + x->breakdown.free_energy);
    e = kv_credit_load(&credit, remaining, loaded, m->hoarding_limit, &new_remaining, &new_loaded);
    if (e == KV_E_HOARD) {
        gint64 room = (gint64)m->hoarding_limit - remaining - ((gint64)base - loaded);
        g_autofree char *h = kwh(m->hoarding_limit), *r = kwh(remaining);
        g_autofree char *u = kwh((gint64)base - loaded);
        g_autofree char *w = kwh(x->breakdown.energy + x->breakdown.free_energy);
        g_autofree char *rm = kwh(MAX(room, 0));
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_REFUSED,
                    _("the meter would refuse this credit (hoarding limit %s kWh): it holds %s kWh, "
                    "%s kWh are on the card not yet loaded, and this sale adds %s kWh; at most "
                    "%s kWh can be sold now"), h, r, u, w, rm);
        return FALSE;
    }
    if (e != KV_OK) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_REFUSED,
                    _("the meter would refuse this credit: %s"), kv_strerror(e));
        return FALSE;
    }
    x->predicted_remaining = new_remaining;
    return TRUE;
}

static KvSale *quote(KvStation *st, const KvMeter *m, const KvSaleRequest *req,
                     const kv_card_view *view, GError **error)
{
    g_autoptr(KvSale) x = g_new0(KvSale, 1);
    KvTariff t;
    gint64 now = kv_now();
    guint32 seq, base;

    if (!check_request(st, m, req, error) || !price(st, m, req, now, &t, x, error))
        return NULL;
    kv_meter_next_token(m, view, &seq, &base);
    if ((gint64)base + x->breakdown.energy + x->breakdown.free_energy > 0x7FFFFFFF ||
        seq >= 0xFFFFFFFEu) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the meter's counters would overflow with this sale"));
        return NULL;
    }
    x->meter_number = m->number;
    x->tariff_id = t.id;
    x->tariff_code = g_strdup(t.code);
    x->seq = seq;
    x->base_cumulative = base;
    x->cumulative = base + (guint32)(x->breakdown.energy + x->breakdown.free_energy);
    x->office = st->settings.station_no;
    x->hoarding_limit = m->hoarding_limit;
    x->created_at = now;
    x->payment = req->payment;
    x->payment_ref = req->reference && *req->reference ? g_strdup(req->reference) : NULL;

    if (!predict_load(m, view, x, error))
        return NULL;
    return g_steal_pointer(&x);
}

/* A cashier's look at a meter before a sale: its record, and the card's
 * view when the card is at the counter. */
static gboolean meter_for_sale(KvStation *st, guint32 meter, KvCardLink *card,
                               kv_card_view *view, KvMeter **m, GError **error)
{
    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return FALSE;
    if (card)
        return kv_card_view_for(st, card, meter, view, m, error);
    return (*m = kv_meter_get(st, meter, error)) != NULL;
}

KvSale *kv_sale_quote(KvStation *st, guint32 meter, const KvSaleRequest *req, KvCardLink *card,
                      GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    kv_card_view view;
    KvSale *x;
    if (!meter_for_sale(st, meter, card, &view, &m, error))
        return NULL;
    x = quote(st, m, req, card ? &view : NULL, error);
    if (card)
        kv_wipe(&view, sizeof view);
    return x;
}

gboolean kv_sale_room(KvStation *st, guint32 meter, KvCardLink *card, gint64 *room,
                      GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    kv_card_view view;
    gint32 remaining;
    guint32 loaded, seq, base;
    gint64 free_energy = 0, granted_by;
    gint free_month;

    if (!meter_for_sale(st, meter, card, &view, &m, error))
        return FALSE;
    meter_start(m, card ? &view : NULL, &remaining, &loaded);
    kv_meter_next_token(m, card ? &view : NULL, &seq, &base);
    /* The month's free allocation, when due, rides on the sale and takes
     * its share of the room. */
    if (m->customer_id &&
        !kv_free_allocation_due(st, m->customer_id, kv_now(), &free_energy, &free_month,
                                &granted_by, error)) {
        if (card)
            kv_wipe(&view, sizeof view);
        return FALSE;
    }
    *room = MAX((gint64)m->hoarding_limit - remaining - ((gint64)base - loaded) - free_energy, 0);
    if (card)
        kv_wipe(&view, sizeof view);
    return TRUE;
}

/* ---- selling ---- */

/* A payment reference is taken by one live sale of its type: a second sale
 * with it is refused (a cash sale booked as mobile money against a payment
 * already counted).  Inside the caller's transaction; the unique index
 * sales_payment_ref is the last word. */
static gboolean payment_ref_free(KvStation *st, const KvSale *x, GError **error)
{
    g_autoptr(KvStmt) q = NULL;
    if (!x->payment_ref)
        return TRUE;
    if (!(q = kv_db_query(st, "SELECT id FROM sales WHERE payment = ? AND payment_ref = ? AND "
                              "state NOT IN (?, ?, ?)", error,
                          KV_DB_VALUES(KV_INT(x->payment), KV_TEXT(x->payment_ref),
                                       KV_STATE(KV_SALE_FAILED), KV_STATE(KV_SALE_VOID),
                                       KV_STATE(KV_SALE_CANCELLED)))))
        return FALSE;
    if (sqlite3_step(q) != SQLITE_ROW)
        return TRUE;
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS,
                _("the %s reference %s already paid sale %" PRId64 ": a payment is "
                "counted once"), kv_payment_label(x->payment), x->payment_ref,
                (gint64)sqlite3_column_int64(q, 0));
    return FALSE;
}

/* A free grant's own audit row, with its sale (inside its transaction). */
static gboolean audit_grant(KvStation *st, const KvSale *x, GError **error)
{
    g_autofree char *obj = NULL, *detail = NULL;
    if (!x->free_month)
        return TRUE;
    obj = g_strdup_printf("customer:%" G_GINT64_FORMAT, x->customer_id);
    detail = g_strdup_printf("month=%d energy=%" G_GINT64_FORMAT " sale=%" G_GINT64_FORMAT
                             " meter=%09u", x->free_month, x->breakdown.free_energy, x->id,
                             x->meter_number);
    return kv_audit_append(st, "free.grant", obj, detail, error);
}

static gboolean insert_pending(KvStation *st, KvSale *x, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvStmt) m = NULL;
    g_autofree char *blocks = kv_breakdown_blocks_text(&x->breakdown);
    if (!kv_txn_begin(&txn, st, error) || !payment_ref_free(st, x, error))
        return FALSE;
    if (!kv_db_run(st, "INSERT INTO sales(meter_number, customer_id, card_serial, tariff_id, "
                       "cashier_id, shift_id, state, created_at, updated_at, amount, fixed_charge, "
                       "debt_recovered, energy_net, vat, energy, blocks, office, seq, "
                       "base_cumulative, cumulative, payment, payment_ref, free_energy, "
                       "free_month) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?21, ?7, ?7, ?8, ?9, ?10, "
                       "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?22, nullif(?23, 0))",
                   _("recording the sale"), error,
                   KV_DB_VALUES(KV_INT(x->meter_number), KV_INT_OR_NULL(x->customer_id),
                                KV_INT(x->card_serial), KV_INT(x->tariff_id),
                                KV_INT(x->cashier_id), KV_INT(x->shift_id), KV_INT(x->created_at),
                                KV_INT(x->breakdown.amount), KV_INT(x->breakdown.fixed_charge),
                                KV_INT(x->breakdown.debt_recovered),
                                KV_INT(x->breakdown.energy_net), KV_INT(x->breakdown.vat),
                                KV_INT(x->breakdown.energy), KV_TEXT(blocks), KV_INT(x->office),
                                KV_INT(x->seq), KV_INT(x->base_cumulative),
                                KV_INT(x->cumulative), KV_INT(x->payment),
                                KV_TEXT(x->payment_ref), KV_STATE(KV_SALE_PENDING),
                                KV_INT(x->breakdown.free_energy), KV_INT(x->free_month)))) {
        /* Another grant of the month got in first (a second station
         * process): the unique index refused this one. */
        if (x->free_month && g_error_matches(*error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS)) {
            g_clear_error(error);
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                        _("the free allocation of this month was already granted to %s"),
                        x->customer_account);
        }
        return FALSE;
    }
    x->id = sqlite3_last_insert_rowid(st->db);
    m = kv_db_query(st, "UPDATE meters SET last_seq = max(last_seq, ?) WHERE number = ?", error,
                    KV_DB_VALUES(KV_INT(x->seq), KV_INT(x->meter_number)));
    if (!m)
        return FALSE;
    if (!kv_db_step_done(st, m, _("recording the sale"), error) ||
        !audit_sale(st, x, KV_SALE_PENDING, NULL, error) || !audit_grant(st, x, error) ||
        !kv_txn_commit(&txn, error))
        return FALSE;
    x->state = KV_SALE_PENDING;
    return TRUE;
}

/* Commit that the first byte of x's token is about to leave: from here
 * the token may reach a card, and the sale can no longer simply fail. */
static gboolean mark_write_started(KvStation *st, KvSale *x, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    gint64 now = kv_now();
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    if (!kv_db_run(st, "UPDATE sales SET card_write_at = ? WHERE id = ? AND state = ?",
                   _("recording the sale"), error,
                   KV_DB_VALUES(KV_INT(now), KV_INT(x->id), KV_STATE(KV_SALE_PENDING))) ||
        !kv_txn_commit(&txn, error))
        return FALSE;
    x->card_write_at = now;
    return TRUE;
}

/* Seal a credit token for the card and write it into the free slot.  For
 * a sale (mark), its write is recorded as started before the first byte. */
static gboolean write_credit(KvStation *st, KvCardLink *card, const KvMeter *m,
                             const kv_card_view *view, guint32 seq, guint32 cumulative,
                             guint32 amount, gint64 sale_ref, KvSale *mark, GError **error)
{
    kv_meter_keys keys;
    kv_token tok = { 0 };
    guint8 slot[KV_SLOT_LEN];
    unsigned off = kv_card_next_token_offset(view);
    kv_err e;
    gboolean ok;

    if (!kv_meter_keys_derive(st, m->number, m->key_version, &keys, error))
        return FALSE;
    tok.kind = KV_TOKEN_CREDIT;
    tok.key_version = (guint8)m->key_version;
    tok.seq = seq;
    tok.u.credit.cumulative = cumulative;
    tok.u.credit.amount = amount;
    tok.u.credit.issued_at = (guint32)kv_now();
    tok.u.credit.sale_ref = (guint32)sale_ref;
    tok.u.credit.office = st->settings.station_no;
    e = kv_meter_keys_seal(st, &keys, &view->id, &tok, slot);
    kv_meter_keys_wipe(&keys);
    kv_wipe(&tok, sizeof tok);
    if (e != KV_OK) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED, _("sealing the token: %s"),
                    kv_strerror(e));
        return FALSE;
    }
    ok = kv_card_present_own_psc(st, card, m, view->id.card_serial, error) &&
         (!mark || mark_write_started(st, mark, error)) &&
         kv_card_link_write(card, off, slot, KV_TOKEN_USED, error);
    kv_wipe(slot, sizeof slot);
    return ok;
}

gboolean kv_sale_write_token(KvStation *st, KvCardLink *card, const KvMeter *m,
                             const kv_card_view *view, guint32 seq, guint32 cumulative,
                             guint32 amount, gint64 sale_ref, GError **error)
{
    return write_credit(st, card, m, view, seq, cumulative, amount, sale_ref, NULL, error);
}

/* The error for a sale left issued: what happened, what is (not) due, how
 * it ends. */
static void set_issued_error(GError **error, const KvSale *x, const char *what)
{
    g_clear_error(error);
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED,
                _("sale %" PRId64 " is ISSUED, not confirmed: %s. The token may have reached a "
                "card, so the sale is not closed: insert the card of meter %09u again (its token "
                "on the card completes the sale), sell again (a sale of at least the same energy "
                "covers it), or have a supervisor resolve it (`kilovendctl sale resolve %" PRId64
                " --paid|--void --reason T`); the shift cannot close until then"),
                x->id, what, x->meter_number, x->id);
}

/* After a card error: settle the sale now if the card can still be read.
 * *error holds the card error; it is rewritten to say what became of the
 * sale, or cleared if the token did reach the card. */
static void settle_after_card_error(KvStation *st, KvCardLink *card, KvSale *x, GString *notes,
                                    GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *card_msg = g_strdup(*error ? (*error)->message : _("card error"));
    kv_card_view v;
    if (!kv_card_link_refresh(card, &local) || !kv_card_view_for(st, card, 0, &v, NULL, &local)) {
        g_clear_error(error);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED,
                    _("sale %" PRId64 " is pending: %s; insert the card of meter %09u "
                    "again to settle it (no money is due until then)"), x->id, card_msg,
                    x->meter_number);
        return;
    }
    if (resolve_sale(st, x, &v, NULL, notes, &local)) {
        if (x->state == KV_SALE_COMPLETED) {
            /* The token did reach the card: the sale is done after all. */
            g_clear_error(error);
        } else if (x->state == KV_SALE_ISSUED) {
            g_autofree char *what = g_strdup_printf(_("the write began and then failed (%s), and "
                                                    "the card does not show the new credit"),
                                                    card_msg);
            set_issued_error(error, x, what);
        } else {
            g_prefix_error(error, _("sale %" PRId64 " failed before its token was written, "
                           "nothing is due: "), x->id);
        }
    } else {
        g_clear_error(error);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED,
                    _("sale %" PRId64 " is pending: %s (%s); read the card again to settle it"),
                    x->id, card_msg, local ? local->message : "?");
    }
    kv_wipe(&v, sizeof v);
}

/* A token this office sealed whose cumulative is above what the station
 * sold and completed for the meter is never taken as a base silently: its
 * credit was not paid for here (the token of a cancelled, void or failed
 * sale: a restored dump, an emulator, a card pulled after the last byte).
 * An own-token-above-sold anomaly names the card, the token and the
 * amount.  Tokens of other offices follow the multi-office rules (taken
 * as they are until those exist; docs/station.md).  m: fresh record. */
gboolean kv_sale_check_own_token(KvStation *st, const KvMeter *m, const kv_card_view *v,
                                 GString *notes, gint64 *anomaly_id, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    const kv_token *t = &v->token;
    g_autoptr(KvSale) ref = NULL;
    g_autofree char *detail = NULL;
    KvAnomalyFacts a = { "own-token-above-sold", m->number, v->id.card_serial, 0, t->seq,
                         t->u.credit.sale_ref, 0, NULL };

    *anomaly_id = 0;
    if (v->id.card_type != KV_CARD_USER || v->token_err != KV_OK ||
        t->kind != KV_TOKEN_CREDIT || t->u.credit.office != st->settings.station_no ||
        t->u.credit.cumulative <= m->cumulative_sold)
        return TRUE;
    if (t->u.credit.sale_ref)
        ref = kv_sale_get(st, t->u.credit.sale_ref, NULL);
    if (ref && ref->meter_number == m->number) {
        a.sale_id = ref->id;
        detail = g_strdup_printf("token cumulative %u above sold %u by %u: the token of sale %"
                                 G_GINT64_FORMAT " (%s, seq %u) is on card %u", t->u.credit.cumulative,
                                 m->cumulative_sold, t->u.credit.cumulative - m->cumulative_sold,
                                 ref->id, kv_sale_state_name(ref->state), ref->seq,
                                 v->id.card_serial);
    } else {
        detail = g_strdup_printf("token cumulative %u above sold %u by %u: sale ref %u is no sale "
                                 "of this meter here", t->u.credit.cumulative, m->cumulative_sold,
                                 t->u.credit.cumulative - m->cumulative_sold,
                                 t->u.credit.sale_ref);
    }
    a.amount = (gint64)t->u.credit.cumulative - m->cumulative_sold;
    a.detail = detail;
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    if (!kv_anomaly_store(st, &a, "meter.anomaly", notes, anomaly_id, NULL, error) ||
        !kv_txn_commit(&txn, error))
        return FALSE;
    return TRUE;
}

/* Where x's base came from when it is above what was sold. */
static char *base_source_of(const KvMeter *m, const kv_card_view *v, const KvSale *x)
{
    if (x->base_cumulative <= m->cumulative_sold)
        return NULL;
    if (v->token_err == KV_OK && v->token.u.credit.cumulative == x->base_cumulative)
        return g_strdup_printf("card %u token seq %u office %u sale ref %u", v->id.card_serial,
                               v->token.seq, v->token.u.credit.office, v->token.u.credit.sale_ref);
    if (v->readback_err == KV_OK && v->readback.cumulative_loaded == x->base_cumulative)
        return g_strdup_printf("card %u readback counter %u", v->id.card_serial,
                               v->readback.counter);
    return g_strdup_printf("stored readback counter %u", m->rb_counter);
}

/* Issued sales of the meter still open, as notes for the user. */
static void note_issued(KvStation *st, guint32 meter, GString *notes)
{
    g_autoptr(GPtrArray) issued = issued_of(st, meter, NULL);
    for (guint i = 0; issued && i < issued->len; i++) {
        KvSale *o = issued->pdata[i];
        g_autofree char *kwh = kv_energy_format(o->breakdown.energy);
        if (notes->len)
            g_string_append_c(notes, '\n');
        g_string_append_printf(notes, _("sale %" PRId64 " of this meter (card %u, %s kWh) is "
                               "still issued, not confirmed: a supervisor must resolve it"),
                               o->id, o->card_serial, kwh);
    }
}

/* The card at the counter takes a sale: a customer card, active at this
 * office; its readback imported; no earlier sale of the meter waits for its
 * card. */
static gboolean card_ready_for_sale(KvStation *st, KvCardLink *card, guint32 meter,
                                    const KvMeter *m, const kv_card_view *view, GString *notes,
                                    GError **error)
{
    g_autofree char *status = NULL;
    g_autoptr(GPtrArray) open = NULL;
    if (view->id.card_type != KV_CARD_USER) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this is not a customer card (type 0x%02X)"), view->id.card_type);
        return FALSE;
    }
    status = kv_card_status(st, view->id.card_serial);
    if (g_strcmp0(status, kv_card_status_name(KV_CARD_STATUS_ACTIVE)) != 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    status ? _("card %u is %s: no sales on it (issue a replacement card)")
                           : _("card %u is not registered at this office%s"),
                    view->id.card_serial, status ? C_("card status", status) : "");
        return FALSE;
    }
    if (view->readback_err == KV_OK &&
        !kv_readback_import(st, m, view, kv_card_link_image(card), NULL, NULL, notes, error))
        return FALSE;
    if (!(open = unresolved_of(st, meter, error)))
        return FALSE;
    if (open->len) {
        KvSale *o = open->pdata[0];
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED,
                    _("sale %" PRId64 " of meter %09u was interrupted and waits for its "
                    "card (serial %u): insert that card to settle it first"), o->id, meter,
                    o->card_serial);
        return FALSE;
    }
    return TRUE;
}

/* pending -> written: the card holds the token. */
static gboolean mark_written(KvStation *st, const KvSale *x, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    return kv_txn_begin(&txn, st, error) &&
           set_state(st, x->id, KV_SALE_PENDING, KV_SALE_WRITTEN, NULL, error) &&
           kv_txn_commit(&txn, error);
}

/* The seller may sell now: a cashier with an open shift (*shift_id), the
 * keys loaded, the sync not stopped, the meter's keys held. */
static gboolean sell_allowed(KvStation *st, guint32 meter, gint64 *shift_id, GError **error)
{
    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return FALSE;
    if (!kv_shift_current_id(st, shift_id, error))
        return FALSE;
    if (!*shift_id) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("no open shift for '%s': open one first (`kilovendctl shift open`)"),
                    st->user->login);
        return FALSE;
    }
    /* A ledger that must recover, or whose sync is stopped, touches no
     * card (the amount is checked against the offline limit in sell_quote). */
    return kv_station_require_keys(st, error) && kv_sync_may_sell(st, 0, error) &&
           kv_meter_keys_held(st, meter, error);
}

/* The sale priced for the card at the counter, nothing stored yet: an
 * earlier interrupted sale on this very card settled first, the card
 * checked and read into *view, *m the meter as registered. */
static KvSale *sell_quote(KvStation *st, KvCardLink *card, guint32 meter, const KvSaleRequest *req,
                          gint64 shift_id, kv_card_view *view, KvMeter **m, GString *notes,
                          GError **error)
{
    g_autoptr(KvSale) x = NULL;
    gint64 anomaly_id = 0;

    if (reconcile_card(st, card, notes, error) < 0)
        return NULL;
    if (!kv_card_view_for(st, card, meter, view, m, error) ||
        !card_ready_for_sale(st, card, meter, *m, view, notes, error))
        return NULL;
    g_clear_pointer(m, kv_meter_free);
    if (!(*m = kv_meter_get(st, meter, error)) ||
        !kv_sale_check_own_token(st, *m, view, notes, &anomaly_id, error))
        return NULL;
    if (!(x = quote(st, *m, req, view, error)) ||
        !kv_sync_may_sell(st, x->breakdown.amount, error))
        return NULL;
    x->card_serial = view->id.card_serial;
    x->cashier_id = kv_station_user_id(st);
    x->cashier_login = g_strdup(st->user->login);
    x->shift_id = shift_id;
    x->base_source = base_source_of(*m, view, x);
    if (x->base_source && anomaly_id) {
        char *s = g_strdup_printf("%s (anomaly %" G_GINT64_FORMAT ")", x->base_source, anomaly_id);
        g_free(x->base_source);
        x->base_source = s;
        x->base_anomaly = anomaly_id;
    }
    return g_steal_pointer(&x);
}

/* After the card took the token: 3. written; 4. read back, decode,
 * compare, completed.  *view is read again from the card. */
static gboolean sell_confirm(KvStation *st, KvCardLink *card, guint32 meter, kv_card_view *view,
                             KvSale *x, GError **error)
{
    if (!mark_written(st, x, error)) {
        g_prefix_error(error, _("sale %" PRId64 ": the card holds the credit but the "
                       "record could not be updated; it completes when the card is read again: "),
                       x->id);
        return FALSE;
    }
    x->state = KV_SALE_WRITTEN;
    kv_test_point("sale-written");

    kv_wipe(view, sizeof *view);
    if (!kv_card_link_refresh(card, error) || !kv_card_view_for(st, card, meter, view, NULL, error)) {
        g_prefix_error(error, _("sale %" PRId64 " is written but not verified (read the "
                       "card again to complete it): "), x->id);
        return FALSE;
    }
    if (!card_holds_credit(view, x->seq, x->cumulative, x->id, x->office)) {
        /* The whole token was sent: the card's word that it is not there
         * (an emulator answering with the old content) closes nothing. */
        if (issue_sale(st, x, "the card does not show the token after the write", error))
            set_issued_error(error, x, _("the whole token was written but the card read back "
                                         "does not show the new credit"));
        return FALSE;
    }
    if (!complete_sale(st, x, error)) {
        g_prefix_error(error, _("sale %" PRId64 ": the card holds the credit but the record "
                       "could not be completed; it completes when the card is read again: "), x->id);
        return FALSE;
    }
    kv_test_point("sale-completed");
    return TRUE;
}

/* The sale as stored, with the notes gathered on the way and those of the
 * meter's sales still issued. */
static KvSale *sold(KvStation *st, gint64 id, guint32 meter, GString *notes, GError **error)
{
    KvSale *done = kv_sale_get(st, id, error);
    if (done) {
        note_issued(st, meter, notes);
        if (notes->len)
            done->notes = g_strdup(notes->str);
    }
    return done;
}

KvSale *kv_sale_sell(KvStation *st, KvCardLink *card, guint32 meter, const KvSaleRequest *req,
                     GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    g_autoptr(KvSale) x = NULL;
    g_autoptr(GString) notes = g_string_new(NULL);
    kv_card_view view;
    gint64 shift_id;
    gboolean ok;

    if (!sell_allowed(st, meter, &shift_id, error))
        return NULL;
    if (!(x = sell_quote(st, card, meter, req, shift_id, &view, &m, notes, error)))
        goto fail;

    /* 1. pending, on disk before the card is touched */
    if (!insert_pending(st, x, error))
        goto fail;
    kv_test_point("sale-pending");

    /* 2. the card (the write recorded as started before its first byte) */
    if (!write_credit(st, card, m, &view, x->seq, x->cumulative,
                      (guint32)(x->breakdown.energy + x->breakdown.free_energy), x->id, x, error)) {
        settle_after_card_error(st, card, x, notes, error);
        kv_wipe(&view, sizeof view);
        return x->state == KV_SALE_COMPLETED ? sold(st, x->id, meter, notes, error) : NULL;
    }
    kv_test_point("sale-card-written");

    /* 3 and 4 */
    ok = sell_confirm(st, card, meter, &view, x, error);
    kv_wipe(&view, sizeof view);
    return ok ? sold(st, x->id, meter, notes, error) : NULL;
fail:
    kv_wipe(&view, sizeof view);
    return NULL;
}

KvSale *kv_sale_free_only(KvStation *st, KvCardLink *card, guint32 meter, GError **error)
{
    KvSaleRequest req = { .free_only = TRUE };
    return kv_sale_sell(st, card, meter, &req, error);
}

/* ---- cancelling ---- */

/* Who may cancel what: a completed sale; a cashier only in their own open
 * shift. */
static gboolean may_cancel(KvStation *st, const KvSale *x, GError **error)
{
    gint64 open_shift;
    if (x->state != KV_SALE_COMPLETED) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("sale %" PRId64 " is %s: only a completed sale can be cancelled"),
                    x->id, C_("sale state", kv_sale_state_name(x->state)));
        return FALSE;
    }
    if (st->user->role >= KV_ROLE_SUPERVISOR)
        return TRUE;
    if (!kv_shift_current_id(st, &open_shift, error))
        return FALSE;
    if (open_shift != x->shift_id) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED,
                    _("a cashier can cancel only sales of their own open shift; ask a "
                    "supervisor"));
        return FALSE;
    }
    return TRUE;
}

/* The card at the counter (view) is the sale's, holds the sale's token as
 * its last one, and its readback does not show the meter took it. */
static gboolean card_allows_cancel(const KvSale *x, const KvMeter *m, const kv_card_view *view,
                                   GError **error)
{
    if (view->id.card_serial != x->card_serial) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this is card %u; sale %" PRId64 " was written on card %u"),
                    view->id.card_serial, x->id, x->card_serial);
        return FALSE;
    }
    if (m->last_seq != x->seq || view->token_err != KV_OK || view->token.seq != x->seq ||
        view->token.u.credit.cumulative != x->cumulative) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("sale %" PRId64 " is not the last token on the card: only the last "
                    "sale can be cancelled, while its card is at the counter"), x->id);
        return FALSE;
    }
    if (view->readback_err == KV_OK && (view->readback.last_seq >= x->seq ||
                                        view->readback.cumulative_loaded > x->base_cumulative)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("the meter has already loaded sale %" PRId64
                    " (the card's readback shows it): it cannot be cancelled"), x->id);
        return FALSE;
    }
    return TRUE;
}

/* completed -> cancelling with the cancel token's seq taken for the meter;
 * on disk before the card is touched. */
static gboolean mark_cancelling(KvStation *st, const KvSale *x, guint32 cancel_seq,
                                const char *reason, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    if (!kv_db_run(st, "UPDATE sales SET state = ?, cancel_seq = ?, cancel_reason = ?, "
                       "cancelled_by = ?, updated_at = ? WHERE id = ? AND state = ?",
                   _("recording the cancellation"), error,
                   KV_DB_VALUES(KV_STATE(KV_SALE_CANCELLING), KV_INT(cancel_seq),
                                KV_TEXT(reason ? reason : ""), KV_INT(kv_station_user_id(st)),
                                KV_INT(kv_now()), KV_INT(x->id), KV_STATE(KV_SALE_COMPLETED))))
        return FALSE;
    if (!kv_db_run(st, "UPDATE meters SET last_seq = max(last_seq, ?) WHERE number = ?",
                       _("recording the cancellation"), error,
                       KV_DB_VALUES(KV_INT(cancel_seq), KV_INT(x->meter_number))))
        return FALSE;
    return kv_txn_commit(&txn, error);
}

KvSale *kv_sale_cancel(KvStation *st, KvCardLink *card, gint64 sale_id, const char *reason,
                       GError **error)
{
    g_autoptr(KvSale) x = NULL;
    g_autoptr(KvMeter) m = NULL;
    kv_card_view view;
    guint32 cancel_seq;

    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return NULL;
    if (!kv_station_require_keys(st, error))
        return NULL;
    if (kv_sale_reconcile_card(st, card, error) < 0)
        return NULL;
    if (!(x = kv_sale_get(st, sale_id, error)))
        return NULL;
    if (!may_cancel(st, x, error) || !kv_sync_may_cancel(st, sale_id, error))
        return NULL;
    if (!kv_card_view_for(st, card, x->meter_number, &view, &m, error))
        return NULL;
    if (!card_allows_cancel(x, m, &view, error))
        goto fail;
    cancel_seq = x->seq + 1;

    /* 1. cancelling, on disk before the card is touched */
    if (!mark_cancelling(st, x, cancel_seq, reason, error))
        goto fail;
    x->state = KV_SALE_CANCELLING;
    x->cancel_seq = cancel_seq;
    kv_test_point("cancel-pending");

    /* 2. the card: seq + 1, the cumulative before the sale, amount 0 */
    if (!write_credit(st, card, m, &view, cancel_seq, x->base_cumulative, 0, x->id, NULL,
                      error)) {
        g_autoptr(GError) local = NULL;
        kv_card_view v2;
        if (kv_card_link_refresh(card, &local) &&
            kv_card_view_for(st, card, 0, &v2, NULL, &local)) {
            resolve_sale(st, x, &v2, NULL, NULL, &local);
            kv_wipe(&v2, sizeof v2);
        }
        g_prefix_error(error, _("cancelling sale %" PRId64 ": "), sale_id);
        goto fail;
    }
    kv_test_point("cancel-card-written");

    /* 3. read back and settle */
    kv_wipe(&view, sizeof view);
    if (!kv_card_link_refresh(card, error) || !kv_card_view_for(st, card, 0, &view, NULL, error)) {
        g_prefix_error(error, _("cancellation of sale %" PRId64 " not verified (read the "
                       "card again): "), sale_id);
        goto fail;
    }
    if (!card_holds_cancel(&view, x)) {
        abort_cancel(st, x, NULL);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("the card does not hold the cancellation after the write: sale %"
                    PRId64 " stays completed"), sale_id);
        goto fail;
    }
    if (!finish_cancel(st, x, error))
        goto fail;
    kv_wipe(&view, sizeof view);
    return kv_sale_get(st, sale_id, error);
fail:
    kv_wipe(&view, sizeof view);
    return NULL;
}

/* ---- issued sales: the supervisor's decision ---- */

KvSale *kv_sale_resolve(KvStation *st, gint64 sale_id, gboolean paid, const char *reason,
                        GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvSale) x = NULL;
    g_autofree char *text = NULL, *extra = NULL;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    if (!reason || !*reason) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("give the reason for the decision (--reason)"));
        return NULL;
    }
    if (!(x = kv_sale_get(st, sale_id, error)))
        return NULL;
    if (x->state != KV_SALE_ISSUED) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("sale %" PRId64 " is %s: only an issued sale is resolved by a supervisor"),
                    sale_id, C_("sale state", kv_sale_state_name(x->state)));
        return NULL;
    }
    text = g_strdup_printf("%s by %s: %s", paid ? "paid" : "void", st->user->login, reason);
    extra = g_strdup_printf("resolved=%s by=%s reason=%s", paid ? "paid" : "void",
                            st->user->login, reason);
    if (paid) {
        if (!complete_sale_full(st, x, extra, text, kv_station_user_id(st), NULL, NULL, error))
            return NULL;
    } else {
        if (!kv_txn_begin(&txn, st, error))
            return NULL;
        if (!set_state(st, x->id, KV_SALE_ISSUED, KV_SALE_VOID, NULL, error) ||
            !set_resolution(st, x->id, kv_station_user_id(st), text, error) ||
            !audit_sale(st, x, KV_SALE_VOID, extra, error) || !kv_txn_commit(&txn, error))
            return NULL;
    }
    return kv_sale_get(st, sale_id, error);
}
