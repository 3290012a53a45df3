/* kv-station-private.h - the station context the whole core shares: the
 * open database handle, the user, the keys, the settings (layer: context).
 * Front ends do not see it. */
#ifndef KV_STATION_PRIVATE_H
#define KV_STATION_PRIVATE_H

#include <sqlite3.h>

#include "kv-keystore.h"
#include "kv-station.h"
#include "kv-time.h"

G_BEGIN_DECLS

struct _KvStation {
    sqlite3 *db;
    char *db_path;
    char *keys_path;
    GHashTable *stmts;   /* SQL text -> sqlite3_stmt, prepared once */
    KvSettings settings;
    KvUser *user;
    KvKeystore *keys; /* the key backend, NULL while locked */
    /* Reaching head office, passed in by a front end that links the sync
     * client (kv_sync_set_reserver): the core has no network. */
    gboolean (*reserve_fn)(KvStation *st, gboolean release, guint32 meter, guint32 new_meter, gpointer data,
                           GError **error);
    gpointer reserve_data;
    GDestroyNotify reserve_destroy;
};

/* A station around an open database (kv_station_free closes it). */
KvStation *kv_station_new(sqlite3 *db, const char *db_path, const char *keys_path);
gint64 kv_station_user_id(KvStation *st); /* 0 if none */
/* KEYS "the keys are locked" unless a supervisor unlocked them. */
gboolean kv_station_require_keys(KvStation *st, GError **error);

G_END_DECLS

#endif
