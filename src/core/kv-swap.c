/* kv-swap.c - a meter replaced, its credit carried over (see kv-swap.h). */
#include <string.h>

#include "kv-i18n.h"
#include "kv-audit-private.h"
#include "kv-clears.h"
#include "kv-db.h"
#include "kv-money.h"
#include "kv-refunds-private.h"
#include "kv-registry-private.h"
#include "kv-station-private.h"
#include "kv-swap.h"
#include "kv-sync-state.h"
#include "kv-test-point.h"
#include "kv-time.h"

static KvTransfer *transfer_of(KvStation *st, guint32 from, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT id, to_meter, source, remaining, unloaded, "
                                          "energy, readback_counter FROM transfers WHERE "
                                          "from_meter = ?", error, KV_DB_VALUES(KV_INT(from)));
    KvTransfer *t;
    if (!s || sqlite3_step(s) != SQLITE_ROW)
        return NULL;
    t = g_new0(KvTransfer, 1);
    t->id = sqlite3_column_int64(s, 0);
    t->from_meter = from;
    t->to_meter = (guint32)sqlite3_column_int64(s, 1);
    t->source = g_strcmp0((const char *)sqlite3_column_text(s, 2), "estimate") == 0
                    ? KV_SWAP_ESTIMATE
                    : KV_SWAP_CLEARED;
    t->remaining = sqlite3_column_int64(s, 3);
    t->unloaded = sqlite3_column_int64(s, 4);
    t->energy = sqlite3_column_int64(s, 5);
    t->readback_counter = (guint32)sqlite3_column_int64(s, 6);
    t->resumed = TRUE;
    return t;
}

/* The new meter is fresh: active, nothing sold, no card, no transfer in. */
static gboolean new_meter_fresh(KvStation *st, const KvMeter *n, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT (SELECT count(*) FROM cards WHERE "
                                          "meter_number = ?1) + (SELECT count(*) FROM sales "
                                          "WHERE meter_number = ?1) + (SELECT count(*) FROM "
                                          "transfers WHERE to_meter = ?1 OR from_meter = ?1)",
                                      error, KV_DB_VALUES(KV_INT(n->number)));
    if (!s || !kv_db_step_done(st, s, _("reading the meter"), error))
        return FALSE;
    if (g_strcmp0(n->status, kv_meter_status_name(KV_METER_STATUS_ACTIVE)) != 0 ||
        n->cumulative_sold || n->last_seq || sqlite3_column_int64(s, 0) > 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u is not a fresh meter (it has cards, sales, credit or a swap): "
                    "the credit is carried only to a new meter"), n->number);
        return FALSE;
    }
    return TRUE;
}

/* What the old meter's credit is, from its newest stored readback. */
static gboolean credit_left(KvStation *st, const KvMeter *o, KvSwapSource source, KvTransfer *t,
                            GError **error)
{
    gint64 cleared = 0, clear_counter;
    if (!o->has_readback) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u has no readback: its credit is not known (a clear-credit "
                    "card's readback, or a check card's, brings it)"), o->number);
        return FALSE;
    }
    if (kv_clears_total(st, o->number, &cleared, error) < 0)
        return FALSE;
    {
        g_autoptr(KvStmt) s = kv_db_query(st, "SELECT coalesce(max(readback_counter), -1) FROM "
                                              "credit_clears WHERE meter_number = ?", error,
                                          KV_DB_VALUES(KV_INT(o->number)));
        if (!s || !kv_db_step_done(st, s, _("reading the credit cleared"), error))
            return FALSE;
        clear_counter = sqlite3_column_int64(s, 0);
    }
    /* Cleared: the newest readback is the clear-credit card's, or shows
     * nothing left to clear. */
    if (source == KV_SWAP_CLEARED && clear_counter != (gint64)o->rb_counter &&
        o->rb_remaining > 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u: its newest readback (counter %u) is not a clear-credit "
                    "card's and shows credit left: clear its credit with a clear-credit card and read that card "
                    "(or, for a dead meter, carry an estimate explicitly)"), o->number,
                    o->rb_counter);
        return FALSE;
    }
    t->remaining = cleared;
    if (source == KV_SWAP_ESTIMATE && o->rb_remaining > 0 && clear_counter != (gint64)o->rb_counter)
        t->remaining += o->rb_remaining;
    t->unloaded = o->cumulative_sold > o->rb_cumulative_loaded
                      ? (gint64)o->cumulative_sold - o->rb_cumulative_loaded
                      : 0;
    t->energy = t->remaining + t->unloaded;
    t->readback_counter = o->rb_counter;
    return TRUE;
}

static gboolean record(KvStation *st, const KvMeter *o, const KvTransfer *t, const char *reason,
                       GError **error)
{
    const char *what = _("recording the meter swap");
    return kv_db_run(st, "INSERT INTO transfers(from_meter, to_meter, source, remaining, "
                         "unloaded, energy, readback_counter, reason, created_by, created_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", what, error,
                     KV_DB_VALUES(KV_INT(t->from_meter), KV_INT(t->to_meter),
                                  KV_TEXT(t->source == KV_SWAP_ESTIMATE ? "estimate" : "cleared"),
                                  KV_INT(t->remaining), KV_INT(t->unloaded), KV_INT(t->energy),
                                  KV_INT(t->readback_counter), KV_TEXT(reason),
                                  KV_INT(kv_station_user_id(st)), KV_INT(kv_now()))) &&
           kv_db_run(st, "UPDATE meters SET cumulative_sold = ?, customer_id = ?, "
                         "tariff_code = ? WHERE number = ?", what, error,
                     KV_DB_VALUES(KV_INT(t->energy), KV_INT_OR_NULL(o->customer_id),
                                  KV_TEXT(o->tariff_code), KV_INT(t->to_meter))) &&
           kv_db_run(st, "UPDATE meters SET status = ? WHERE number = ?", what, error,
                     KV_DB_VALUES(KV_METER_STATUS(KV_METER_STATUS_REMOVED),
                                  KV_INT(t->from_meter))) &&
           kv_db_run(st, "UPDATE cards SET status = ?, status_reason = 'meter swapped' "
                         "WHERE meter_number = ? AND status IN (?, ?)", what, error,
                     KV_DB_VALUES(KV_CARD_STATUS(KV_CARD_STATUS_BLOCKED), KV_INT(t->from_meter),
                                  KV_CARD_STATUS(KV_CARD_STATUS_ISSUING),
                                  KV_CARD_STATUS(KV_CARD_STATUS_ACTIVE))) &&
           kv_db_run(st, "UPDATE credit_clears SET refunded = amount WHERE meter_number = ?",
                     what, error, KV_DB_VALUES(KV_INT(t->from_meter)));
}

/* The new meter registered like the old one (its customer, tariff, model
 * and levels, the current keys), inside the swap's transaction. */
static KvMeter *register_like(KvStation *st, const KvMeter *old, guint32 new_meter, GError **error)
{
    KvMeter m = *old;
    m.number = new_meter;
    m.status = NULL;
    m.key_version = m.psc_key_version = m.key_version_target = 0; /* the current keys */
    return kv_meter_add_in_txn(st, &m, error) ? kv_meter_get(st, new_meter, error) : NULL;
}

/* The swap recorded, in one transaction (after the reservation). */
static KvTransfer *swap_recorded(KvStation *st, guint32 old_meter, guint32 new_meter, KvSwapSource source,
                                 const char *reason, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvMeter) o = NULL, n = NULL;
    g_autofree KvTransfer *t = NULL;
    g_autofree char *obj = NULL, *detail = NULL;
    g_autoptr(GError) local = NULL;
    gboolean registered = FALSE;

    if (!kv_txn_begin(&txn, st, error))
        return NULL;
    if ((t = transfer_of(st, old_meter, &local))) {
        if (t->to_meter == new_meter)
            return g_steal_pointer(&t);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS,
                    _("meter %09u was already swapped for meter %09u"), old_meter, t->to_meter);
        return NULL;
    }
    if (local) {
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    if (!(o = kv_meter_get(st, old_meter, error)))
        return NULL;
    /* A new meter not registered yet is registered here, in this
     * transaction: a swap refused below leaves no meter behind. */
    if (!(n = kv_meter_get(st, new_meter, &local))) {
        if (!g_error_matches(local, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return NULL;
        }
        g_clear_error(&local);
        if (!(n = register_like(st, o, new_meter, error)))
            return NULL;
        registered = TRUE;
    }
    if (old_meter == new_meter ||
        g_strcmp0(o->status, kv_meter_status_name(KV_METER_STATUS_ACTIVE)) != 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u is not an active meter that can be swapped"), old_meter);
        return NULL;
    }
    if (!kv_refund_meter_settled(st, old_meter, error) || !new_meter_fresh(st, n, error))
        return NULL;
    t = g_new0(KvTransfer, 1);
    t->registered = registered;
    t->from_meter = old_meter;
    t->to_meter = new_meter;
    t->source = source;
    if (!credit_left(st, o, source, t, error))
        return NULL;
    if (t->energy > n->hoarding_limit) {
        g_autofree char *e = kv_energy_format(t->energy), *h = kv_energy_format(n->hoarding_limit);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_REFUSED,
                    _("the credit carried (%s kWh) is above the new meter's hoarding limit "
                    "(%s kWh): it would never load; raise the limit first"), e, h);
        return NULL;
    }
    if (!record(st, o, t, reason, error))
        return NULL;
    t->id = sqlite3_last_insert_rowid(st->db);
    obj = g_strdup_printf("meter:%09u", old_meter);
    detail = g_strdup_printf("to=%09u source=%s remaining=%" G_GINT64_FORMAT
                             " unloaded=%" G_GINT64_FORMAT " carried=%" G_GINT64_FORMAT
                             " readback=%u readback_at=%" G_GINT64_FORMAT "%s reason=%s",
                             new_meter, source == KV_SWAP_ESTIMATE ? "estimate" : "cleared",
                             t->remaining, t->unloaded, t->energy, t->readback_counter,
                             o->rb_at, source == KV_SWAP_ESTIMATE ? " ESTIMATE" : "", reason);
    if (!kv_audit_commit(&txn, "meter.swap", obj, detail, error))
        return NULL;
    kv_test_point("swap-recorded");
    return g_steal_pointer(&t);
}

KvTransfer *kv_meter_swap(KvStation *st, guint32 old_meter, guint32 new_meter,
                          KvSwapSource source, const char *reason, GError **error)
{
    KvTransfer *t;
    g_autoptr(GError) local = NULL;
    g_autofree char *obj = NULL, *detail = NULL;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    if (!reason || !*reason) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("a meter swap needs a reason"));
        return NULL;
    }
    /* A swap retires the old meter everywhere: head office records it
     * first, so that another office online cannot swap it or replace its
     * card meanwhile (the network call outside the transaction). */
    if (kv_sync_require_swap_reservation(st, old_meter, new_meter, &local)) {
        if ((t = swap_recorded(st, old_meter, new_meter, source, reason, &local)))
            return t;
        /* Refused after the reservation: it ends now (not an hour later),
         * so another office may act on the meters; a link failure here
         * only leaves it to lapse. */
        kv_sync_release_swap_reservation(st, old_meter, new_meter, NULL);
    }
    /* Nothing of the swap stayed (the new meter's registration neither);
     * the refusal is audited. */
    obj = g_strdup_printf("meter:%09u", old_meter);
    detail = g_strdup_printf("to=%09u source=%s refused: %s; reason=%s", new_meter,
                             source == KV_SWAP_ESTIMATE ? "estimate" : "cleared", local ? local->message : "", reason);
    kv_audit_record(st, "meter.swap-refused", obj, detail, NULL);
    g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
}

gboolean kv_transfers_sum(KvStation *st, gint64 from, gint64 to, gint64 *count, gint64 *energy,
                          GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT count(*), coalesce(sum(energy), 0) FROM "
                                          "transfers WHERE created_at >= ? AND created_at < ?",
                                      error, KV_DB_VALUES(KV_INT(from), KV_INT(to)));
    if (!s || !kv_db_step_done(st, s, _("reading the transfers"), error))
        return FALSE;
    *count = sqlite3_column_int64(s, 0);
    *energy = sqlite3_column_int64(s, 1);
    return TRUE;
}
