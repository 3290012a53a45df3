/* kv-sync-state.h - the station's link to the head office as the rest of
 * the station sees it: its state (for `kilovendctl sync status` and the
 * app's link display), and the rules that depend on it: the operations
 * that need the head office, and the offline limits (layer: registry).
 *
 * A station that never synced (a single office) is unaffected: every rule
 * here applies only once it has joined a head office (its first successful
 * contact).  docs/multi-office.md, "The station side". */
#ifndef KV_SYNC_STATE_H
#define KV_SYNC_STATE_H

#include "kv-station.h"

G_BEGIN_DECLS

typedef struct {
    gboolean joined;          /* the station syncs with a head office */
    guint16 station_no;
    gint64 pushed_audit;      /* last audit row the head office confirmed */
    gint64 audit_head;        /* the ledger's last audit row */
    gint64 waiting;           /* records waiting: audit rows, readings, engineering tokens, streams, backlog */
    gint64 last_success_at;   /* 0: never (seconds since 1970) */
    gint64 last_attempt_at;
    gint64 last_push_at;
    gint64 last_pull_at;
    gint64 offline_since;     /* 0: the last attempt succeeded */
    char *last_error;         /* NULL: none */
    char *conflict;           /* NULL: none; else sync is stopped (alarm) */
    char *recover;            /* NULL: none; else selling is refused until `sync recover` */
    char *centre_head;        /* "ROW-HASH" the head office holds, NULL before the first pull */
    gint64 offline_hours;     /* limits set by head office (0: none) */
    gint64 offline_money;
    gint64 sold_offline;      /* money of live sales head office does not hold yet */
} KvSyncStatus;
void kv_sync_status_free(KvSyncStatus *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvSyncStatus, kv_sync_status_free)

/* Any user (and no user: the sync process, the app's status line). */
KvSyncStatus *kv_sync_status(KvStation *st, GError **error);

/* The link counts as up: joined, the last attempt succeeded, and the last
 * success recent enough for an online-only operation (what
 * kv_sync_require_online asks). */
gboolean kv_sync_status_online(const KvSyncStatus *s, gint64 now);

/* The operations that need the head office: refused (KV_CORE_ERROR_STATE,
 * the message names what and why) on a station that joined one, since
 * master data flows down from it.  what: "creating a user", ... */
gboolean kv_sync_require_online(KvStation *st, const char *what, GError **error);
/* Head office reached on the core's behalf: a front end that links the
 * sync client (src/sync, libpq) passes in the call that reserves a meter's
 * card replacement there (kv_api.reserve_replacement; new_meter 0), or its
 * swap for new_meter (kv_api.reserve_swap): TRUE reserved, FALSE
 * with the refusal or the link's failure; release TRUE: the swap's
 * reservation ends (kv_api.release_swap: the swap was given up).  The core
 * itself has no network.  data is freed with destroy when the station is
 * freed or another call is set. */
typedef gboolean (*KvSyncReserveFunc)(KvStation *st, gboolean release, guint32 meter, guint32 new_meter,
                                      gpointer data, GError **error);
void kv_sync_set_reserver(KvStation *st, KvSyncReserveFunc fn, gpointer data, GDestroyNotify destroy);
/* Before a card replacement (kv_card_replace): nothing on a station that
 * never joined a head office; else online (kv_sync_require_online) and
 * reserved at head office through the front end's call, refused
 * (KV_CORE_ERROR_STATE) when the front end passed none. */
gboolean kv_sync_require_reservation(KvStation *st, guint32 meter, GError **error);
/* Before a meter swap (kv_meter_swap), as kv_sync_require_reservation: the
 * old meter swapped for new_meter reserved at head office, which refuses a
 * meter another office swapped or is replacing the card of. */
gboolean kv_sync_require_swap_reservation(KvStation *st, guint32 old_meter, guint32 new_meter, GError **error);
/* A swap reserved by kv_sync_require_swap_reservation and then refused
 * (kv_meter_swap): its reservation at head office ends now, so that another
 * office may act on the meters (not an hour later).  TRUE with nothing to
 * do on a station that never joined a head office or has no link; FALSE
 * when head office could not be told (the reservation then lapses within
 * the hour). */
gboolean kv_sync_release_swap_reservation(KvStation *st, guint32 old_meter, guint32 new_meter, GError **error);
/* After a restore from a backup: a ledger that syncs with a head office
 * may be behind the records head office holds (sales, card serials,
 * sequences made after the backup), so selling stops until `kilovendctl
 * sync recover` (inside the caller's transaction). */
gboolean kv_sync_mark_restored(KvStation *st, const char *backup, GError **error);

/* Refused (KV_CORE_ERROR_STATE) while the ledger must recover: issuing or
 * reading a card would reuse serials and reading ids head office already
 * holds, and make records after the fork that no program can merge. */
gboolean kv_sync_require_current(KvStation *st, const char *what, GError **error);

/* Master data (users, customers, meters, tariffs) is made at head office
 * and flows down: on a station that joined one, making or changing it here
 * is refused (KV_CORE_ERROR_STATE, online or not), since a local row would
 * never reach the other offices and could collide with head office's. */
gboolean kv_sync_require_no_head_office(KvStation *st, const char *what, GError **error);
/* Cancelling a sale head office already holds needs the head office
 * (another office may have sold on top of it); one not pushed yet may be
 * cancelled offline. */
gboolean kv_sync_may_cancel(KvStation *st, gint64 sale_id, GError **error);
/* Before a sale of `amount`: refused (KV_CORE_ERROR_STATE) when the ledger
 * must be recovered, when sync is stopped by a conflict, or past the
 * offline limits (hours since the last success, money sold since). */
gboolean kv_sync_may_sell(KvStation *st, gint64 amount, GError **error);

G_END_DECLS

#endif
