/* kv-station.h - a vending station: its database, its user, its keys.
 *
 * A KvStation is one open ledger (SQLite file) and, optionally, one key file.
 * It is not thread-safe: the GUI may use it from a worker thread, one
 * operation at a time.  Long operations take a KvProgressFunc and a
 * GCancellable.
 *
 * Roles are enforced here, not in the front ends: each operation checks the
 * logged-in user's role (kv_station_login) and fails with
 * KV_CORE_ERROR_DENIED otherwise.
 */
#ifndef KV_STATION_H
#define KV_STATION_H

#include <gio/gio.h>

#include "kv-core-error.h"
#include "kv-time.h"

G_BEGIN_DECLS

typedef struct _KvStation KvStation;

typedef enum {
    KV_ROLE_NONE = 0,
    KV_ROLE_CASHIER = 1,
    KV_ROLE_SUPERVISOR = 2,
    KV_ROLE_ADMIN = 3
} KvRole;

const char *kv_role_name(KvRole role);
KvRole kv_role_from_name(const char *name); /* KV_ROLE_NONE if unknown */

/* Progress of a long operation: done of total (total 0 = unknown).
 * Called on the operation's thread. */
typedef void (*KvProgressFunc)(guint64 done, guint64 total, const char *what,
                               gpointer user_data);

typedef struct {
    const char *utility_name;
    guint32 utility_code;    /* non-zero, written on every card */
    const char *currency;    /* ISO 4217, e.g. "KES" */
    guint minor_digits;      /* 0..3 */
    guint16 office_id;       /* this office, written in tokens */
    const char *admin_login;
    const char *admin_password;
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
void kv_station_free(KvStation *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvStation, kv_station_free)

/* Full check (PRAGMA integrity_check + foreign_key_check); CORRUPT on failure
 * with the first problems in the message. */
gboolean kv_station_check(KvStation *st, GError **error);

/* ---- users and sessions ---- */
typedef struct {
    gint64 id;
    char *login;
    char *full_name;
    KvRole role;
    gboolean active;
    gint failed_logins;
    gint64 locked_until;
} KvUser;
void kv_user_free(KvUser *u);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvUser, kv_user_free)

/* Check a password (scrypt) and make the user the station's current user.
 * AUTH on a wrong password (the message says how many tries are left) or
 * when locked out (5 failures lock the account for 15 minutes). */
gboolean kv_station_login(KvStation *st, const char *login, const char *password,
                          GError **error);
void kv_station_logout(KvStation *st);
const KvUser *kv_station_user(KvStation *st); /* NULL if nobody logged in */
/* DENIED unless the current user has at least `role`. */
gboolean kv_station_require(KvStation *st, KvRole role, GError **error);

/* Admin only.  An admin cannot disable or demote their own account, and no
 * change may leave the station without an active admin (DENIED). */
gboolean kv_user_add(KvStation *st, const char *login, const char *full_name, KvRole role,
                     const char *password, GError **error);
gboolean kv_user_set_role(KvStation *st, const char *login, KvRole role, GError **error);
gboolean kv_user_set_active(KvStation *st, const char *login, gboolean active, GError **error);
/* Admin, or the user for their own password (old_password then required). */
gboolean kv_user_set_password(KvStation *st, const char *login, const char *old_password,
                              const char *new_password, GError **error);
gboolean kv_user_unlock(KvStation *st, const char *login, GError **error);
GPtrArray *kv_user_list(KvStation *st, GError **error); /* of KvUser */

/* ---- keys ---- */
/* Decrypt the key file into memory.  Needs a supervisor: either the current
 * user (sup_login NULL) or the named supervisor with their password. */
gboolean kv_station_unlock_keys(KvStation *st, const char *passphrase, const char *sup_login,
                                const char *sup_password, GError **error);
void kv_station_lock_keys(KvStation *st); /* wipes the keys */
gboolean kv_station_keys_unlocked(KvStation *st);
/* Current key version (new meters get it), 0 if locked. */
guint kv_station_key_version(KvStation *st);

/* ---- settings ---- */
typedef struct {
    char *utility_name;
    guint32 utility_code;
    char *currency;
    guint minor_digits;
    guint16 office_id;
    gint64 max_sale_amount;   /* minor units */
    gint64 max_sale_energy;   /* 0.01 kWh */
    guint8 factory_psc[3];    /* PSC of blank cards as delivered */
    /* The issuer number sealed into every token's counter block, unique to
     * this issuing point (1..32767); 0 (the default): none, the tokens
     * meters of the first firmware revision read.  Set it once no meter of
     * the utility runs that firmware (docs/card-format.md, "Issuer"). */
    guint16 token_issuer;
} KvSettings;
const KvSettings *kv_station_settings(KvStation *st);
/* Admin only.  key: utility_name, currency, office_id, max_sale_amount (text
 * in money), max_sale_energy (kWh), factory_psc (6 hex digits),
 * token_issuer (0..32767). */
gboolean kv_station_set_setting(KvStation *st, const char *key, const char *value,
                                GError **error);

/* Money in the station's currency. */
gboolean kv_station_parse_money(KvStation *st, const char *text, gint64 *out, GError **error);
char *kv_station_format_money(KvStation *st, gint64 minor);

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
