/* kv-station-file.h - the station's database file: created, opened,
 * checked, its settings changed, backed up, restored (layer: registry). */
#ifndef KV_STATION_FILE_H
#define KV_STATION_FILE_H

#include "kv-station.h"

G_BEGIN_DECLS

typedef struct {
    const char *utility_name;
    guint32 utility_code;    /* non-zero, written on every card */
    const char *currency;    /* ISO 4217, e.g. "KES" */
    guint minor_digits;      /* 0..3 */
    guint16 office_id;       /* the office (a grouping) */
    const char *admin_login;
    const char *admin_password;
    guint16 station_no;      /* 1..4094, in card serials and tokens; 0: office_id */
} KvInitParams;

/* Create a new database (refuses an existing file) with its settings, the
 * first admin, the default tariff-less state.  The key file is separate:
 * kv_keyfile_generate / kv_keyfile_import. */
gboolean kv_station_init(const char *db_path, const KvInitParams *params, GError **error);

/* Open an existing database: WAL, synchronous=FULL, foreign keys, busy
 * timeout; applies pending migrations; refuses a newer database (NEWER) and
 * a damaged one (CORRUPT: run `kilovendctl restore` from a backup, or
 * `kilovendctl recover`).  keys_path may be NULL (no card operations). */
KvStation *kv_station_open(const char *db_path, const char *keys_path, GError **error);

/* Full check (PRAGMA integrity_check + foreign_key_check); CORRUPT on failure
 * with the first problems in the message. */
gboolean kv_station_check(KvStation *st, GError **error);

/* Admin only.  key: utility_name, currency, office_id, station_no (1..4094,
 * only while the ledger has no card and no sale), max_sale_amount (text
 * in money), max_sale_energy (kWh), factory_psc (6 hex digits),
 * token_issuer (0..32767). */
gboolean kv_station_set_setting(KvStation *st, const char *key, const char *value,
                                GError **error);

/* ---- backup ---- */
/* Online backup to a new file (refuses to overwrite), then integrity check
 * of the copy.  Supervisor. */
gboolean kv_station_backup(KvStation *st, const char *path, KvProgressFunc progress,
                           gpointer user_data, GCancellable *cancellable, GError **error);
/* Replace the database at db_path with a checked backup (no station open on
 * it; the old file is kept as db_path.before-restore).  Checks integrity and
 * version of the backup first. */
gboolean kv_station_restore(const char *db_path, const char *backup_path, GError **error);
/* The same with progress (pages copied) and a cancellable: cancelled before
 * the swap (KV_CORE_ERROR_CANCELLED), the database at db_path is untouched
 * and no temporary file is left. */
gboolean kv_station_restore_full(const char *db_path, const char *backup_path,
                                 KvProgressFunc progress, gpointer user_data,
                                 GCancellable *cancellable, GError **error);

/* Schema version this code writes (PRAGMA user_version). */
guint kv_station_schema_version(void);

G_END_DECLS

#endif
