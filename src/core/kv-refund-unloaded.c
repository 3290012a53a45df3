/* kv-refund-unloaded.c - refunds of credit the meter never loaded (see
 * kv-refunds.h and docs/station.md, "Refunds of unloaded credit").
 *
 * Steps, each a commit:
 *   pending   refund_tokens row with the token's seq and lowered cumulative,
 *             the meter's last_seq raised to it, BEFORE the card is touched
 *   card      the credit token (seq, lower cumulative, amount 0) written
 *   done      the card read back holds it: the refunds row and its parts,
 *             the meter's cumulative sold lowered, audited
 * A card pulled or a station killed leaves the row pending; the next read
 * of the card settles it: the token on the card and still the meter's
 * newest -> done; otherwise -> aborted (nothing paid, nothing lowered: a
 * later token of the meter carries at least the cumulative before). */
#include <string.h>

#include "kv-i18n.h"
#include "kv-audit-private.h"
#include "kv-card-access.h"
#include "kv-db.h"
#include "kv-money.h"
#include "kv-readback.h"
#include "kv-refunds-private.h"
#include "kv-registry-private.h"
#include "kv-sales-private.h"
#include "kv-shifts-private.h"
#include "kv-station-private.h"
#include "kv-test-point.h"
#include "kv-time.h"
#include "kv_util.h"

typedef struct {
    gint64 id;
    guint32 meter, card, seq, before, cumulative;
    gint64 shift_id;
    char *reason;
} RefundToken;

static void refund_token_clear(RefundToken *t)
{
    g_free(t->reason);
    memset(t, 0, sizeof *t);
}

/* The pending refund token of the meter, if any (t->id 0: none). */
static gboolean pending_of(KvStation *st, guint32 meter, RefundToken *t, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT id, card_serial, seq, cumulative_before, "
                                          "cumulative, shift_id, reason FROM refund_tokens "
                                          "WHERE meter_number = ? AND state = ? "
                                          "ORDER BY id LIMIT 1", error,
                                      KV_DB_VALUES(KV_INT(meter),
                                                   KV_REFUND_STATE(KV_REFUND_TOKEN_PENDING)));
    int rc;
    memset(t, 0, sizeof *t);
    if (!s)
        return FALSE;
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        return TRUE;
    if (rc != SQLITE_ROW) {
        kv_db_set_error(error, st->db, rc, _("reading the refunds"));
        return FALSE;
    }
    t->id = sqlite3_column_int64(s, 0);
    t->meter = meter;
    t->card = (guint32)sqlite3_column_int64(s, 1);
    t->seq = (guint32)sqlite3_column_int64(s, 2);
    t->before = (guint32)sqlite3_column_int64(s, 3);
    t->cumulative = (guint32)sqlite3_column_int64(s, 4);
    t->shift_id = sqlite3_column_int64(s, 5);
    t->reason = kv_db_col_text(s, 6);
    return TRUE;
}

static gboolean card_holds_refund(const kv_card_view *v, const RefundToken *t)
{
    return v->id.card_serial == t->card && v->token_err == KV_OK &&
           v->token.kind == KV_TOKEN_CREDIT && v->token.seq == t->seq &&
           v->token.u.credit.cumulative == t->cumulative && v->token.u.credit.amount == 0;
}

static char *meter_obj(guint32 meter)
{
    return g_strdup_printf("meter:%09u", meter);
}

/* pending -> aborted: the token is not on the card (or no longer the
 * meter's newest); nothing is paid, the cumulative sold stays. */
static gboolean abort_refund(KvStation *st, const RefundToken *t, const char *why, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *obj = meter_obj(t->meter);
    g_autofree char *detail = g_strdup_printf("token=%" G_GINT64_FORMAT " seq=%u card=%u %s",
                                              t->id, t->seq, t->card, why);
    return kv_txn_begin(&txn, st, error) &&
           kv_db_run(st, "UPDATE refund_tokens SET state = ? WHERE id = ? AND state = ?",
                     _("recording the refund"), error,
                     KV_DB_VALUES(KV_REFUND_STATE(KV_REFUND_TOKEN_ABORTED), KV_INT(t->id),
                                  KV_REFUND_STATE(KV_REFUND_TOKEN_PENDING))) &&
           kv_audit_commit(&txn, "refund.unloaded-aborted", obj, detail, error);
}

/* pending -> done: the refunds row and its parts, the cumulative sold
 * lowered, in one transaction.  r (optional) gets the refund. */
static gboolean finish_refund(KvStation *st, const RefundToken *t, KvRefund *r, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *obj = meter_obj(t->meter), *detail = NULL;
    const char *what = _("recording the refund");
    KvRefund out = { 0 };
    gint64 changes;

    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    if (!kv_db_run(st, "INSERT INTO refunds(meter_number, shift_id, kind, energy, amount, reason, "
                       "created_by, created_at) SELECT meter_number, shift_id, 'unloaded', "
                       "cumulative_before - cumulative, 0, reason, created_by, ? FROM "
                       "refund_tokens WHERE id = ?", what, error,
                   KV_DB_VALUES(KV_INT(kv_now()), KV_INT(t->id))))
        return FALSE;
    out.id = sqlite3_last_insert_rowid(st->db);
    out.meter_number = t->meter;
    out.shift_id = t->shift_id;
    out.energy = (gint64)t->before - t->cumulative;
    if (!kv_refund_take_parts(st, t->meter, out.id, &out.energy, &out.amount, &out.sales, error))
        return FALSE;
    /* The parts were there when the token was made (checked then); a
     * refund of cleared credit in between may have taken some: the refund
     * pays what the parts give. */
    if (out.energy == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u: the unloaded credit came from no sale left to refund"),
                    t->meter);
        return FALSE;
    }
    if (!kv_db_run(st, "UPDATE refunds SET energy = ?, amount = ? WHERE id = ?", what, error,
                   KV_DB_VALUES(KV_INT(out.energy), KV_INT(out.amount), KV_INT(out.id))) ||
        !kv_db_run(st, "UPDATE refund_tokens SET state = ?, refund_id = ? WHERE id = ? AND "
                       "state = ?", what, error,
                   KV_DB_VALUES(KV_REFUND_STATE(KV_REFUND_TOKEN_DONE), KV_INT(out.id),
                                KV_INT(t->id), KV_REFUND_STATE(KV_REFUND_TOKEN_PENDING))) ||
        !kv_db_run(st, "UPDATE meters SET cumulative_sold = ? WHERE number = ? AND "
                       "cumulative_sold = ?", what, error,
                   KV_DB_VALUES(KV_INT(t->cumulative), KV_INT(t->meter), KV_INT(t->before))))
        return FALSE;
    changes = sqlite3_changes(st->db);
    if (changes != 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u: its cumulative sold moved while the refund was written"),
                    t->meter);
        return FALSE;
    }
    detail = g_strdup_printf("refund=%" G_GINT64_FORMAT " energy=%" G_GINT64_FORMAT
                             " amount=%" G_GINT64_FORMAT " sales=%u shift=%" G_GINT64_FORMAT
                             " seq=%u cumulative=%u->%u card=%u reason=%s", out.id, out.energy,
                             out.amount, out.sales, t->shift_id, t->seq, t->before,
                             t->cumulative, t->card, t->reason);
    if (!kv_audit_commit(&txn, "refund.unloaded", obj, detail, error))
        return FALSE;
    if (r)
        *r = out;
    return TRUE;
}

/* Settle t from the card's view: done if the card holds the token and it
 * is still the meter's newest; otherwise aborted. */
static gboolean settle(KvStation *st, const RefundToken *t, const kv_card_view *v, KvRefund *r,
                       gboolean *done, GError **error)
{
    g_autoptr(KvMeter) m = kv_meter_get(st, t->meter, error);
    *done = FALSE;
    if (!m)
        return FALSE;
    if (card_holds_refund(v, t) && m->last_seq == t->seq && m->cumulative_sold == t->before) {
        if (!finish_refund(st, t, r, error))
            return FALSE;
        *done = TRUE;
        return TRUE;
    }
    return abort_refund(st, t, card_holds_refund(v, t) ? "later-token" : "not-on-card", error);
}

gint kv_refund_reconcile_card(KvStation *st, KvCardLink *card, GError **error)
{
    kv_card_view v;
    RefundToken t;
    gboolean done;
    gint n = 0;

    if (!kv_card_view_for(st, card, 0, &v, NULL, error))
        return -1;
    for (;;) {
        if (!pending_of(st, v.id.meter_number, &t, error))
            break;
        if (!t.id || t.card != v.id.card_serial) {
            refund_token_clear(&t);
            kv_wipe(&v, sizeof v);
            return n;
        }
        if (!settle(st, &t, &v, NULL, &done, error))
            break;
        refund_token_clear(&t);
        n++;
    }
    refund_token_clear(&t);
    kv_wipe(&v, sizeof v);
    return -1;
}

/* Energy of the meter's completed sales no refund has taken yet. */
static gboolean refundable(KvStation *st, guint32 meter, gint64 *energy, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT coalesce(sum(s.energy), 0) - (SELECT "
                                          "coalesce(sum(p.energy), 0) FROM refund_parts p JOIN "
                                          "sales x ON x.id = p.sale_id WHERE x.meter_number = ?1 "
                                          "AND x.state = ?2) FROM sales s WHERE "
                                          "s.meter_number = ?1 AND s.state = ?2", error,
                                      KV_DB_VALUES(KV_INT(meter), KV_STATE(KV_SALE_COMPLETED)));
    if (!s || !kv_db_step_done(st, s, _("reading the refunds"), error))
        return FALSE;
    *energy = sqlite3_column_int64(s, 0);
    return TRUE;
}

static gboolean sales_settled(KvStation *st, guint32 meter, GError **error);

gboolean kv_refund_meter_settled(KvStation *st, guint32 meter, GError **error)
{
    RefundToken t;
    if (!pending_of(st, meter, &t, error))
        return FALSE;
    if (t.id) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED,
                    _("a refund of meter %09u waits for card %u: read that card to settle it"),
                    meter, t.card);
        refund_token_clear(&t);
        return FALSE;
    }
    return sales_settled(st, meter, error);
}

/* No sale of the meter is unsettled (pending, written, cancelling,
 * issued): its credit is not known to the unit. */
static gboolean sales_settled(KvStation *st, guint32 meter, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT id FROM sales WHERE meter_number = ? AND "
                                          "state NOT IN (?, ?, ?, ?) ORDER BY id LIMIT 1", error,
                                      KV_DB_VALUES(KV_INT(meter), KV_STATE(KV_SALE_COMPLETED),
                                                   KV_STATE(KV_SALE_CANCELLED),
                                                   KV_STATE(KV_SALE_FAILED),
                                                   KV_STATE(KV_SALE_VOID)));
    int rc;
    if (!s)
        return FALSE;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED,
                    _("sale %" PRId64 " of meter %09u is not settled: settle or resolve it "
                    "before a refund"), (gint64)sqlite3_column_int64(s, 0), meter);
        return FALSE;
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, rc, _("reading sales"));
        return FALSE;
    }
    return TRUE;
}

/* The card at the counter is the meter's active customer card and carries
 * the meter's newest token with everything sold; *unloaded gets what the
 * meter has not loaded of it (the card's readback or the newest stored). */
static gboolean card_unloaded(KvStation *st, const KvMeter *m, const kv_card_view *v,
                              guint32 *unloaded, GError **error)
{
    g_autofree char *status = NULL;
    guint32 loaded = 0, t;
    if (v->id.card_type != KV_CARD_USER) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this is not a customer card (type 0x%02X)"), v->id.card_type);
        return FALSE;
    }
    status = kv_card_status(st, v->id.card_serial);
    if (g_strcmp0(status, kv_card_status_name(KV_CARD_STATUS_ACTIVE)) != 0 ||
        g_strcmp0(m->status, kv_meter_status_name(KV_METER_STATUS_ACTIVE)) != 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("card %u of meter %09u is not active: no refund on it"),
                    v->id.card_serial, m->number);
        return FALSE;
    }
    if (v->token_err != KV_OK || v->token.kind != KV_TOKEN_CREDIT ||
        v->token.seq != m->last_seq || v->token.u.credit.cumulative != m->cumulative_sold) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("card %u does not carry the newest token of meter %09u (all its credit "
                    "sold): only that card's unloaded credit can be refunded"),
                    v->id.card_serial, m->number);
        return FALSE;
    }
    t = v->token.u.credit.cumulative;
    if (v->readback_err == KV_OK)
        loaded = v->readback.cumulative_loaded;
    if (m->has_readback)
        loaded = MAX(loaded, m->rb_cumulative_loaded);
    *unloaded = loaded < t ? t - loaded : 0;
    if (*unloaded == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u has loaded all the credit sold to it (readback): nothing "
                    "unloaded to refund (a clear-credit card empties loaded credit)"), m->number);
        return FALSE;
    }
    return TRUE;
}

/* Checks before a refund: role, reason, shift, keys. */
static gboolean may_refund(KvStation *st, const char *reason, gint64 *shift_id, GError **error)
{
    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) || !kv_station_require_keys(st, error))
        return FALSE;
    if (!reason || !*reason) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("a refund needs a reason"));
        return FALSE;
    }
    if (!kv_shift_current_id(st, shift_id, error))
        return FALSE;
    if (!*shift_id) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("'%s' has no open shift: the refund is paid from a shift's cash"),
                    st->user->login);
        return FALSE;
    }
    return TRUE;
}

/* The refund token reserved: its row pending and its seq taken. */
static gboolean mark_pending(KvStation *st, RefundToken *t, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    const char *what = _("recording the refund");
    if (!kv_txn_begin(&txn, st, error) ||
        !kv_db_run(st, "INSERT INTO refund_tokens(meter_number, card_serial, seq, "
                       "cumulative_before, cumulative, state, shift_id, reason, created_by, "
                       "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", what, error,
                   KV_DB_VALUES(KV_INT(t->meter), KV_INT(t->card), KV_INT(t->seq),
                                KV_INT(t->before), KV_INT(t->cumulative),
                                KV_REFUND_STATE(KV_REFUND_TOKEN_PENDING), KV_INT(t->shift_id),
                                KV_TEXT(t->reason), KV_INT(kv_station_user_id(st)),
                                KV_INT(kv_now()))))
        return FALSE;
    t->id = sqlite3_last_insert_rowid(st->db);
    return kv_db_run(st, "UPDATE meters SET last_seq = max(last_seq, ?) WHERE number = ?", what,
                     error, KV_DB_VALUES(KV_INT(t->seq), KV_INT(t->meter))) &&
           kv_txn_commit(&txn, error);
}

/* The refund planned from the card at the counter (view, m fresh). */
static gboolean plan(KvStation *st, const KvMeter *m, const kv_card_view *view, gint64 energy,
                     RefundToken *t, GError **error)
{
    guint32 unloaded, base;
    gint64 paid;
    if (!card_unloaded(st, m, view, &unloaded, error) || !refundable(st, m->number, &paid, error))
        return FALSE;
    if (energy < 0 || energy > unloaded) {
        g_autofree char *kwh = kv_energy_format(unloaded);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("meter %09u: only %s kWh on the card is not loaded"), m->number, kwh);
        return FALSE;
    }
    if (energy == 0)
        energy = unloaded;
    energy = MIN(energy, paid);
    if (energy == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u: the unloaded credit came from no sale left to refund (carried "
                    "or already refunded)"), m->number);
        return FALSE;
    }
    kv_meter_next_token(m, view, &t->seq, &base);
    t->meter = m->number;
    t->card = view->id.card_serial;
    t->before = view->token.u.credit.cumulative;
    t->cumulative = t->before - (guint32)energy;
    return TRUE;
}

KvRefund *kv_refund_unloaded(KvStation *st, KvCardLink *card, guint32 meter, gint64 energy,
                             const char *reason, GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    g_autofree KvRefund *r = g_new0(KvRefund, 1);
    kv_card_view view = { 0 };
    RefundToken t = { 0 };
    gboolean done = FALSE;

    if (!may_refund(st, reason, &t.shift_id, error))
        return NULL;
    /* What an interruption left on this card is settled first. */
    if (kv_sale_reconcile_card(st, card, error) < 0 || kv_refund_reconcile_card(st, card, error) < 0)
        return NULL;
    if (!kv_card_view_for(st, card, meter, &view, &m, error))
        return NULL;
    if (!kv_refund_meter_settled(st, meter, error))
        goto fail;
    if (view.readback_err == KV_OK &&
        !kv_readback_import(st, m, &view, kv_card_link_image(card), NULL, NULL, NULL, error))
        goto fail;
    g_clear_pointer(&m, kv_meter_free);
    if (!(m = kv_meter_get(st, meter, error)) || !plan(st, m, &view, energy, &t, error))
        goto fail;
    t.reason = g_strdup(reason);

    /* 1. pending, on disk before the card is touched */
    if (!mark_pending(st, &t, error))
        goto fail;
    kv_test_point("refund-pending");

    /* 2. the card: the next seq, the lower cumulative, amount 0 */
    if (!kv_sale_write_token(st, card, m, &view, t.seq, t.cumulative, 0, 0, error)) {
        g_autoptr(GError) local = NULL;
        g_prefix_error(error, _("the refund's token was not written (the refund is pending "
                       "until the card is read again): "));
        if (kv_card_link_refresh(card, &local) && kv_refund_reconcile_card(st, card, &local) > 0)
            g_prefix_error(error, _("settled from the card: "));
        goto fail;
    }
    kv_test_point("refund-card-written");

    /* 3. read back and settle */
    kv_wipe(&view, sizeof view);
    if (!kv_card_link_refresh(card, error) || !kv_card_view_for(st, card, meter, &view, NULL, error)) {
        g_prefix_error(error, _("the refund's token is not verified (read the card again to "
                       "settle it): "));
        goto fail;
    }
    if (!settle(st, &t, &view, r, &done, error))
        goto fail;
    if (!done) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("the card does not hold the refund's token after the write: nothing "
                    "refunded"));
        goto fail;
    }
    kv_test_point("refund-done");
    kv_wipe(&view, sizeof view);
    refund_token_clear(&t);
    return g_steal_pointer(&r);
fail:
    kv_wipe(&view, sizeof view);
    refund_token_clear(&t);
    return NULL;
}

gboolean kv_refund_is_unloaded(KvStation *st, gint64 id)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT count(*) FROM refunds WHERE id = ? AND "
                                          "kind = 'unloaded'", NULL, KV_DB_VALUES(KV_INT(id)));
    return s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) > 0;
}

gboolean kv_refund_not_swapped(KvStation *st, guint32 meter, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT count(*) FROM transfers WHERE from_meter = ?",
                                      error, KV_DB_VALUES(KV_INT(meter)));
    if (!s || !kv_db_step_done(st, s, _("reading the transfers"), error))
        return FALSE;
    if (sqlite3_column_int64(s, 0) > 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u was swapped: its credit went to the new meter (no refund of "
                    "it)"), meter);
        return FALSE;
    }
    return TRUE;
}
