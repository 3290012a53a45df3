/* kv-sync-state.c - the link's state and the rules that depend on it (see
 * kv-sync-state.h). */
#include "kv-i18n.h"

#include "kv-db.h"
#include "kv-money.h"
#include "kv-station-private.h"
#include "kv-sync-state.h"

/* How recent the last successful sync must be for an online-only
 * operation: the sync process runs every minute by default. */
#define ONLINE_WINDOW_S (15 * 60)

void kv_sync_status_free(KvSyncStatus *s)
{
    if (!s)
        return;
    g_free(s->last_error);
    g_free(s->conflict);
    g_free(s->recover);
    g_free(s->centre_head);
    g_free(s);
}

/* A time for messages: "2026-12-03 10:00 UTC", or "never". */
static char *when_text(gint64 t)
{
    g_autoptr(GDateTime) d = t ? g_date_time_new_from_unix_utc(t) : NULL;
    return d ? g_date_time_format(d, "%Y-%m-%d %H:%M UTC") : g_strdup(_("never"));
}

/* The station syncs with a head office (one row's read). */
static gboolean joined(KvStation *st)
{
    return kv_db_int(st, "SELECT joined_at IS NOT NULL FROM sync_state", 0) != 0;
}

static char *col_or_null(KvStmt *s, int col)
{
    return sqlite3_column_type(s, col) == SQLITE_NULL ? NULL : kv_db_col_text(s, col);
}

KvSyncStatus *kv_sync_status(KvStation *st, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st,
        "SELECT joined_at IS NOT NULL, pushed_audit, (SELECT coalesce(max(id), 0) FROM audit_rows), "
        "(SELECT coalesce(max(id), 0) FROM audit_rows) - pushed_audit + "
        "(SELECT count(*) FROM meter_readings WHERE id > pushed_reading) + "
        "(SELECT count(*) FROM engineering_tokens WHERE id > pushed_engineering) + "
        "(SELECT count(*) FROM sales WHERE id > (SELECT pushed FROM push_cursors WHERE stream = 'payment')) + "
        "(SELECT count(*) FROM debt_movements WHERE id > (SELECT pushed FROM push_cursors WHERE stream = 'debt')) + "
        "(SELECT count(*) FROM refunds WHERE id > (SELECT pushed FROM push_cursors WHERE stream = 'refund')) + "
        "(SELECT count(*) FROM credit_clears WHERE id > (SELECT pushed FROM push_cursors WHERE stream = 'clear')) + "
        "(SELECT count(*) FROM push_backlog), "
        "coalesce(last_success_at, 0), coalesce(last_attempt_at, 0), coalesce(last_push_at, 0), "
        "coalesce(last_pull_at, 0), coalesce(offline_since, 0), last_error, conflict, recover, "
        "centre_head, offline_hours, offline_money, "
        "CASE WHEN joined_at IS NULL THEN 0 ELSE (SELECT coalesce(sum(amount), 0) FROM sales "
        "WHERE id > pushed_sale AND state NOT IN (?1, ?2, ?3)) END "
        "FROM sync_state WHERE id = 1", error,
        KV_DB_VALUES(KV_STATE(KV_SALE_FAILED), KV_STATE(KV_SALE_VOID), KV_STATE(KV_SALE_CANCELLED)));
    KvSyncStatus *r;

    if (!s)
        return NULL;
    if (sqlite3_step(s) != SQLITE_ROW) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading the sync state"));
        return NULL;
    }
    r = g_new0(KvSyncStatus, 1);
    r->joined = sqlite3_column_int(s, 0);
    r->station_no = st->settings.station_no;
    r->pushed_audit = sqlite3_column_int64(s, 1);
    r->audit_head = sqlite3_column_int64(s, 2);
    r->waiting = sqlite3_column_int64(s, 3);
    r->last_success_at = sqlite3_column_int64(s, 4);
    r->last_attempt_at = sqlite3_column_int64(s, 5);
    r->last_push_at = sqlite3_column_int64(s, 6);
    r->last_pull_at = sqlite3_column_int64(s, 7);
    r->offline_since = sqlite3_column_int64(s, 8);
    r->last_error = col_or_null(s, 9);
    r->conflict = col_or_null(s, 10);
    r->recover = col_or_null(s, 11);
    r->centre_head = col_or_null(s, 12);
    r->offline_hours = sqlite3_column_int64(s, 13);
    r->offline_money = sqlite3_column_int64(s, 14);
    r->sold_offline = sqlite3_column_int64(s, 15);
    return r;
}

/* Refused while sync is stopped or the ledger must be recovered. */
static gboolean link_usable(const KvSyncStatus *s, const char *what, GError **error)
{
    if (s->recover) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("%s is refused: this ledger is behind or forked from the head office's "
                    "copy (%s); run `kilovendctl sync recover`"), what, s->recover);
        return FALSE;
    }
    if (s->conflict) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("%s is refused: sync with the head office is stopped by a conflict (%s); "
                    "head office must resolve it"), what, s->conflict);
        return FALSE;
    }
    return TRUE;
}

/* The rules apply (out: the state) to a station that joined a head office
 * and whose link is usable; FALSE (error set) when it is not usable. */
static gboolean joined_link(KvStation *st, const char *what, KvSyncStatus **out, GError **error)
{
    KvSyncStatus *s;

    *out = NULL;
    /* A single office pays one row's read per sale, nothing more. */
    if (!joined(st))
        return TRUE;
    if (!(s = kv_sync_status(st, error)))
        return FALSE;
    if (s->joined && !link_usable(s, what, error)) {
        kv_sync_status_free(s);
        return FALSE;
    }
    if (s->joined)
        *out = s;
    else
        kv_sync_status_free(s);
    return TRUE;
}

gboolean kv_sync_require_current(KvStation *st, const char *what, GError **error)
{
    g_autoptr(KvSyncStatus) s = NULL;
    if (!joined(st))
        return TRUE;
    if (!(s = kv_sync_status(st, error)))
        return FALSE;
    return !s->recover || link_usable(s, what, error);
}

gboolean kv_sync_require_no_head_office(KvStation *st, const char *what, GError **error)
{
    if (!joined(st))
        return TRUE;
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                _("%s is done at head office for a station that syncs with it: the change "
                "reaches this station with the next sync"), what);
    return FALSE;
}

gboolean kv_sync_require_online(KvStation *st, const char *what, GError **error)
{
    g_autoptr(KvSyncStatus) s = NULL;

    if (!joined_link(st, what, &s, error))
        return FALSE;
    if (s && !kv_sync_status_online(s, kv_now())) {
        g_autofree char *when = when_text(s->last_success_at);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("%s needs the head office, and this station is offline (last sync %s): "
                    "try again once `kilovendctl sync status` shows it online"), what, when);
        return FALSE;
    }
    return TRUE;
}

void kv_sync_set_reserver(KvStation *st, KvSyncReserveFunc fn, gpointer data, GDestroyNotify destroy)
{
    if (st->reserve_destroy)
        st->reserve_destroy(st->reserve_data);
    st->reserve_fn = fn;
    st->reserve_data = data;
    st->reserve_destroy = destroy;
}

/* Online, then reserved through the front end's call (no_link: the
 * refusal when it passed none). */
static gboolean require_reserved(KvStation *st, const char *what, const char *no_link, guint32 meter,
                                 guint32 new_meter, GError **error)
{
    if (!kv_sync_require_online(st, what, error))
        return FALSE;
    if (!joined(st))
        return TRUE; /* one office: nothing to reserve */
    if (!st->reserve_fn) {
        g_set_error_literal(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE, no_link);
        return FALSE;
    }
    return st->reserve_fn(st, FALSE, meter, new_meter, st->reserve_data, error);
}

gboolean kv_sync_require_reservation(KvStation *st, guint32 meter, GError **error)
{
    return require_reserved(st, _("replacing a card"),
                            _("replacing a card is reserved at the head office first, and this program "
                            "has no link to it: replace the card with `kilovendctl card replace` on a "
                            "station whose sync configuration reaches the head office"), meter, 0, error);
}

gboolean kv_sync_require_swap_reservation(KvStation *st, guint32 old_meter, guint32 new_meter, GError **error)
{
    return require_reserved(st, _("swapping a meter"),
                            _("swapping a meter is reserved at the head office first, and this program "
                            "has no link to it: swap the meter with `kilovendctl meter swap` on a "
                            "station whose sync configuration reaches the head office"), old_meter, new_meter,
                            error);
}

gboolean kv_sync_release_swap_reservation(KvStation *st, guint32 old_meter, guint32 new_meter, GError **error)
{
    if (!joined(st) || !st->reserve_fn)
        return TRUE;
    return st->reserve_fn(st, TRUE, old_meter, new_meter, st->reserve_data, error);
}

gboolean kv_sync_may_sell(KvStation *st, gint64 amount, GError **error)
{
    g_autoptr(KvSyncStatus) s = NULL;
    gint64 now = kv_now();

    if (!joined_link(st, _("selling"), &s, error))
        return FALSE;
    if (!s)
        return TRUE;
    if (s->offline_hours && now - s->last_success_at > s->offline_hours * 3600) {
        g_autofree char *when = when_text(s->last_success_at);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("selling is stopped: this station has not synced with the head office "
                    "since %s, longer than its offline limit of %" PRId64
                    " hours; restore the link and sync"), when, s->offline_hours);
        return FALSE;
    }
    if (s->offline_money && s->sold_offline + amount > s->offline_money) {
        g_autofree char *sold = kv_station_format_money(st, s->sold_offline);
        g_autofree char *limit = kv_station_format_money(st, s->offline_money);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("selling is stopped: %s sold since the last sync with the head office, "
                    "and this sale would pass the offline limit of %s; restore the link and "
                    "sync"), sold, limit);
        return FALSE;
    }
    return TRUE;
}

gboolean kv_sync_may_cancel(KvStation *st, gint64 sale_id, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT EXISTS (SELECT 1 FROM audit a, sync_state y "
                                         "WHERE a.object = 'sale:' || ?1 AND a.id <= y.pushed_audit)",
                                     error);
    gboolean pushed;
    /* A single office pays nothing for this (the query scans the log). */
    if (!joined(st))
        return TRUE;
    if (!s)
        return FALSE;
    sqlite3_bind_int64(s, 1, sale_id);
    pushed = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    return !pushed || kv_sync_require_online(st, _("cancelling a sale head office already holds"), error);
}

gboolean kv_sync_mark_restored(KvStation *st, const char *backup, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "UPDATE sync_state SET recover = 'restored from the backup ' || ? "
                                         "WHERE joined_at IS NOT NULL", error);
    if (!s)
        return FALSE;
    sqlite3_bind_text(s, 1, backup, -1, SQLITE_TRANSIENT);
    return kv_db_step_done(st, s, _("recording the sync state"), error);
}

gboolean kv_sync_status_online(const KvSyncStatus *s, gint64 now)
{
    return s->joined && !s->offline_since && now - s->last_success_at <= ONLINE_WINDOW_S;
}
