/* kv-station-file.c - the station's database file: created with its first
 * settings and admin, opened and checked, settings changed, backed up and
 * restored. */
#include "kv-i18n.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv-audit-private.h"
#include "kv-db.h"
#include "kv-money.h"
#include "kv-station-file.h"
#include "kv-sync-state.h"
#include "kv-users.h"
#include "kv-users-private.h"
#include "kv_card.h"

/* Files above this size skip the quick check at start (it reads every
 * page); `kilovendctl check` runs the full one. */
#define QUICK_CHECK_MAX_BYTES (64 * 1024 * 1024)


static const char *setting(KvStation *st, const char *key)
{
    /* Returns a pointer into the statement: copy before the next call. */
    KvStmt *s = kv_db_stmt(st, "SELECT value FROM settings WHERE key = ?", NULL);
    if (!s)
        return NULL;
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        return (const char *)sqlite3_column_text(s, 0);
    return NULL;
}

static gboolean parse_psc(const char *hex, guint8 out[3])
{
    if (!hex || strlen(hex) != 6)
        return FALSE;
    for (int i = 0; i < 3; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return FALSE;
        out[i] = (guint8)(hi << 4 | lo);
    }
    return TRUE;
}

static gboolean load_settings(KvStation *st, GError **error)
{
    KvSettings *s = &st->settings;
    const char *v;
    g_free(s->utility_name);
    g_free(s->currency);
    s->utility_name = g_strdup(setting(st, "utility_name"));
    s->currency = g_strdup(setting(st, "currency"));
    v = setting(st, "utility_code");
    s->utility_code = v ? (guint32)g_ascii_strtoull(v, NULL, 10) : 0;
    v = setting(st, "minor_digits");
    s->minor_digits = v ? (guint)g_ascii_strtoull(v, NULL, 10) : 2;
    v = setting(st, "office_id");
    s->office_id = v ? (guint16)g_ascii_strtoull(v, NULL, 10) : 0;
    v = setting(st, "station_no");
    s->station_no = v ? (guint16)g_ascii_strtoull(v, NULL, 10) : s->office_id;
    v = setting(st, "token_issuer");
    s->token_issuer = v ? (guint16)g_ascii_strtoull(v, NULL, 10) : 0;
    v = setting(st, "max_sale_amount");
    s->max_sale_amount = v ? g_ascii_strtoll(v, NULL, 10) : 0;
    v = setting(st, "max_sale_energy");
    s->max_sale_energy = v ? g_ascii_strtoll(v, NULL, 10) : 0;
    if (!parse_psc(setting(st, "factory_psc"), s->factory_psc))
        memset(s->factory_psc, 0xFF, 3);
    sqlite3_reset(kv_db_stmt(st, "SELECT value FROM settings WHERE key = ?", NULL));
    if (!s->utility_name || !s->currency || s->utility_code == 0 || s->minor_digits > 3) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CORRUPT,
                    _("%s has no valid utility settings: is it a Kilovend database made with "
                    "`kilovendctl init`?"), st->db_path);
        return FALSE;
    }
    return TRUE;
}

KvStation *kv_station_open(const char *db_path, const char *keys_path, GError **error)
{
    sqlite3 *db = kv_db_open_file(db_path, FALSE, error);
    GStatBuf sb;
    KvStation *st;

    if (!db)
        return NULL;
    if (!kv_db_migrate(db, db_path, error) ||
        (g_stat(db_path, &sb) == 0 && sb.st_size <= QUICK_CHECK_MAX_BYTES &&
         !kv_db_integrity(db, db_path, TRUE, error))) {
        sqlite3_close(db);
        return NULL;
    }
    st = kv_station_new(db, db_path, keys_path);
    if (!load_settings(st, error) || !kv_audit_debt_start(st, error)) {
        kv_station_free(st);
        return NULL;
    }
    return st;
}

gboolean kv_station_check(KvStation *st, GError **error)
{
    return kv_db_integrity(st->db, st->db_path, FALSE, error);
}

static gboolean put_setting(KvStation *st, const char *key, const char *value, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st,
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value", error,
                                      KV_DB_VALUES(KV_TEXT(key), KV_TEXT(value)));
    if (!s)
        return FALSE;
    return kv_db_step_done(st, s, _("saving a setting"), error);
}

/* The first settings, the admin, the debt ledger's opening and the
 * station.init audit row: one transaction. */
static gboolean init_records(KvStation *st, const KvInitParams *p, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    char buf[32];
    gint64 max_amount = 1000000;

    if (!kv_txn_begin(&txn, st, error) ||
        !put_setting(st, "utility_name", p->utility_name, error))
        return FALSE;
    g_snprintf(buf, sizeof buf, "%u", p->utility_code);
    if (!put_setting(st, "utility_code", buf, error) ||
        !put_setting(st, "currency", p->currency, error))
        return FALSE;
    g_snprintf(buf, sizeof buf, "%u", p->minor_digits);
    if (!put_setting(st, "minor_digits", buf, error))
        return FALSE;
    g_snprintf(buf, sizeof buf, "%u", p->office_id);
    if (!put_setting(st, "office_id", buf, error))
        return FALSE;
    g_snprintf(buf, sizeof buf, "%u", p->station_no ? p->station_no : p->office_id);
    if (!put_setting(st, "station_no", buf, error))
        return FALSE;
    /* Defaults: 1 000 000 major units, 100 000 kWh per sale. */
    for (guint i = 0; i < p->minor_digits; i++)
        max_amount *= 10;
    g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, max_amount);
    if (!put_setting(st, "max_sale_amount", buf, error) ||
        !put_setting(st, "max_sale_energy", "10000000", error) ||
        !put_setting(st, "factory_psc", "FFFFFF", error) ||
        !put_setting(st, "key_version", "1", error) ||
        !kv_user_insert(st, p->admin_login ? p->admin_login : "admin", "Administrator",
                     KV_ROLE_ADMIN, p->admin_password, error) ||
        !kv_audit_debt_opening(st, error)) /* a new ledger's: no movement */
        return FALSE;
    return kv_audit_commit(&txn, "station.init", "station", p->utility_name, error);
}

gboolean kv_station_init(const char *db_path, const KvInitParams *p, GError **error)
{
    sqlite3 *db;
    KvStation *st;
    gboolean ok;

    if (g_file_test(db_path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS,
                    _("%s already exists: init never overwrites a database"), db_path);
        return FALSE;
    }
    if (!p->utility_name || !*p->utility_name || p->utility_code == 0 || !p->currency ||
        strlen(p->currency) != 3 || p->minor_digits > 3) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("init needs a utility name, a non-zero utility code, a 3-letter currency "
                    "code and 0..3 minor digits"));
        return FALSE;
    }
    if (!kv_user_password_acceptable(p->admin_password, error))
        return FALSE;
    if (!(db = kv_db_open_file(db_path, TRUE, error)))
        return FALSE;
    if (!kv_db_migrate(db, db_path, error)) {
        sqlite3_close(db);
        g_unlink(db_path);
        return FALSE;
    }
    st = kv_station_new(db, db_path, NULL);
    ok = init_records(st, p, error);
    kv_station_free(st);
    if (!ok) {
        g_autofree char *wal = g_strconcat(db_path, "-wal", NULL);
        g_autofree char *shm = g_strconcat(db_path, "-shm", NULL);
        g_unlink(db_path);
        g_unlink(wal);
        g_unlink(shm);
    }
    return ok;
}

/* The station number is in every card serial and token this ledger made:
 * it may change only while there is none. */
static gboolean station_no_changeable(KvStation *st, guint16 no, GError **error)
{
    if (no != st->settings.station_no &&
        kv_db_int(st, "SELECT (SELECT count(*) FROM cards) + (SELECT count(*) FROM sales)", 1) != 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("station number %u is on the cards and tokens this ledger issued: it cannot "
                    "become %u (a new station number needs a new ledger)"),
                    st->settings.station_no, no);
        return FALSE;
    }
    return TRUE;
}

/* With a head office, every station's issuer is its own number (unique in
 * the utility, so no two stations seal under one counter block). */
static gboolean issuer_is_station(KvStation *st, gint64 issuer, GError **error)
{
    g_autoptr(KvSyncStatus) s = kv_sync_status(st, error);
    if (!s)
        return FALSE;
    if (s->joined && issuer != 0 && issuer != st->settings.station_no) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("token_issuer of a station that syncs with a head office is its station "
                    "number, %u (or 0: none)"), st->settings.station_no);
        return FALSE;
    }
    return TRUE;
}

gboolean kv_station_set_setting(KvStation *st, const char *key, const char *value,
                                GError **error)
{
    g_autofree char *stored = NULL;
    g_autofree char *detail = NULL;
    g_auto(KvTxn) txn = KV_TXN_INIT;
    gint64 v;
    guint8 psc[3];

    if (!kv_station_require(st, KV_ROLE_ADMIN, error))
        return FALSE;
    if (g_strcmp0(key, "utility_name") == 0 && value && *value) {
        stored = g_strdup(value);
    } else if (g_strcmp0(key, "currency") == 0 && value && strlen(value) == 3) {
        stored = g_ascii_strup(value, -1);
    } else if (g_strcmp0(key, "office_id") == 0) {
        if (!kv_decimal_parse(value, 0, 65535, &v, error))
            return FALSE;
        stored = g_strdup_printf("%" G_GINT64_FORMAT, v);
    } else if (g_strcmp0(key, "station_no") == 0) {
        if (!kv_decimal_parse(value, 1, KV_STATION_NO_MAX, &v, error) ||
            !station_no_changeable(st, (guint16)v, error))
            return FALSE;
        stored = g_strdup_printf("%" G_GINT64_FORMAT, v);
    } else if (g_strcmp0(key, "token_issuer") == 0) {
        if (!kv_decimal_parse(value, 0, KV_ISSUER_MAX, &v, error) ||
            !issuer_is_station(st, v, error))
            return FALSE;
        stored = g_strdup_printf("%" G_GINT64_FORMAT, v);
    } else if (g_strcmp0(key, "max_sale_amount") == 0) {
        if (!kv_decimal_parse(value, st->settings.minor_digits, G_MAXINT64 / 100000, &v, error))
            return FALSE;
        stored = g_strdup_printf("%" G_GINT64_FORMAT, v);
    } else if (g_strcmp0(key, "max_sale_energy") == 0) {
        if (!kv_decimal_parse(value, 2, 0x7FFFFFFF, &v, error))
            return FALSE;
        stored = g_strdup_printf("%" G_GINT64_FORMAT, v);
    } else if (g_strcmp0(key, "key_version") == 0) {
        if (!kv_decimal_parse(value, 0, 254, &v, error) || v == 0) {
            g_clear_error(error);
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("key_version is 1..254"));
            return FALSE;
        }
        stored = g_strdup_printf("%" G_GINT64_FORMAT, v);
    } else if (g_strcmp0(key, "factory_psc") == 0 && parse_psc(value, psc)) {
        stored = g_ascii_strup(value, -1);
    } else {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("unknown setting or bad value for '%s' (settings: utility_name, currency, "
                    "office_id, station_no, max_sale_amount, max_sale_energy, factory_psc, "
                    "key_version, token_issuer)"), key);
        return FALSE;
    }
    detail = g_strdup_printf("%s=%s", key, g_strcmp0(key, "factory_psc") == 0 ? "***" : stored);
    if (!kv_txn_begin(&txn, st, error) || !put_setting(st, key, stored, error) ||
        !kv_audit_commit(&txn, "setting.set", "settings", detail, error))
        return FALSE;
    return load_settings(st, error);
}

static gboolean copy_database(sqlite3 *from, sqlite3 *to, KvProgressFunc progress,
                              gpointer user_data, GCancellable *cancellable, GError **error)
{
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    int rc;
    if (!b) {
        kv_db_set_error(error, to, sqlite3_extended_errcode(to), _("backup"));
        return FALSE;
    }
    do {
        rc = sqlite3_backup_step(b, 256);
        if (progress)
            progress((guint64)(sqlite3_backup_pagecount(b) - sqlite3_backup_remaining(b)),
                     (guint64)sqlite3_backup_pagecount(b), "pages", user_data);
        if (g_cancellable_is_cancelled(cancellable)) {
            sqlite3_backup_finish(b);
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CANCELLED, _("backup cancelled"));
            return FALSE;
        }
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(20);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, to, rc, _("backup"));
        return FALSE;
    }
    return TRUE;
}

static void remove_db_files(const char *path)
{
    g_autofree char *wal = g_strconcat(path, "-wal", NULL);
    g_autofree char *shm = g_strconcat(path, "-shm", NULL);
    g_unlink(path);
    g_unlink(wal);
    g_unlink(shm);
}

gboolean kv_station_backup(KvStation *st, const char *path, KvProgressFunc progress,
                           gpointer user_data, GCancellable *cancellable, GError **error)
{
    sqlite3 *to = NULL;
    gboolean ok;
    g_autofree char *detail = NULL;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return FALSE;
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS,
                    _("%s already exists: a backup never overwrites a file"), path);
        return FALSE;
    }
    if (sqlite3_open_v2(path, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        kv_db_set_error(error, to, to ? sqlite3_extended_errcode(to) : SQLITE_CANTOPEN, path);
        sqlite3_close(to);
        return FALSE;
    }
    /* The audit row goes in first so the backup contains it. */
    detail = g_strdup_printf("file=%s", path);
    ok = kv_audit_record(st, "station.backup", "station", detail, error);
    ok = ok && copy_database(st->db, to, progress, user_data, cancellable, error);
    /* A backup is a single file: leave it in rollback-journal mode. */
    ok = ok && kv_db_exec(to, "PRAGMA journal_mode=DELETE", error);
    ok = ok && kv_db_integrity(to, path, FALSE, error);
    sqlite3_close(to);
    if (!ok)
        remove_db_files(path);
    return ok;
}

gboolean kv_station_restore(const char *db_path, const char *backup_path, GError **error)
{
    return kv_station_restore_full(db_path, backup_path, NULL, NULL, NULL, error);
}

gboolean kv_station_restore_full(const char *db_path, const char *backup_path,
                                 KvProgressFunc progress, gpointer user_data,
                                 GCancellable *cancellable, GError **error)
{
    sqlite3 *from = NULL, *to = NULL;
    g_autofree char *keep = g_strconcat(db_path, ".before-restore", NULL);
    g_autofree char *tmp = g_strconcat(db_path, ".restoring", NULL);
    gboolean ok;

    if (!g_file_test(backup_path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no backup file %s"),
                    backup_path);
        return FALSE;
    }
    if (sqlite3_open_v2(backup_path, &from, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW,
                        NULL) != SQLITE_OK) {
        kv_db_set_error(error, from, sqlite3_extended_errcode(from), backup_path);
        sqlite3_close(from);
        return FALSE;
    }
    sqlite3_extended_result_codes(from, 1);
    ok = kv_db_integrity(from, backup_path, FALSE, error);
    if (ok) {
        gint64 v = kv_db_user_version(from);
        if (v < 1 || v > (gint64)kv_station_schema_version()) {
            g_set_error(error, KV_CORE_ERROR, v < 1 ? KV_CORE_ERROR_INVALID : KV_CORE_ERROR_NEWER,
                        _("%s is not a Kilovend backup this version can restore (schema %"
                        PRId64 ")"), backup_path, v);
            ok = FALSE;
        }
    }
    /* Copy into a temporary file first, then swap: the live database is only
     * replaced by a complete, checked copy. */
    remove_db_files(tmp);
    if (ok && !(to = kv_db_open_file(tmp, TRUE, error)))
        ok = FALSE;
    ok = ok && copy_database(from, to, progress, user_data, cancellable, error);
    ok = ok && kv_db_exec(to, "PRAGMA wal_checkpoint(TRUNCATE)", error);
    ok = ok && kv_db_integrity(to, tmp, FALSE, error);
    sqlite3_close(to);
    sqlite3_close(from);
    /* The last moment to give up: after this the live file is swapped. */
    if (ok && g_cancellable_is_cancelled(cancellable)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CANCELLED, "cancelled");
        ok = FALSE;
    }
    if (!ok) {
        remove_db_files(tmp);
        if (error != NULL && *error != NULL &&
            g_error_matches(*error, KV_CORE_ERROR, KV_CORE_ERROR_CANCELLED)) {
            g_clear_error(error);
            g_set_error_literal(error, KV_CORE_ERROR, KV_CORE_ERROR_CANCELLED,
                                _("restore cancelled: the station's database is unchanged"));
        }
        return FALSE;
    }
    if (g_file_test(db_path, G_FILE_TEST_EXISTS)) {
        g_autofree char *wal = g_strconcat(db_path, "-wal", NULL);
        g_autofree char *keep_wal = g_strconcat(keep, "-wal", NULL);
        g_autofree char *shm = g_strconcat(db_path, "-shm", NULL);
        remove_db_files(keep);
        if (g_rename(db_path, keep) != 0) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DB, _("cannot move %s aside: %s"),
                        db_path, g_strerror(errno));
            remove_db_files(tmp);
            return FALSE;
        }
        g_rename(wal, keep_wal);
        g_unlink(shm);
    }
    {
        g_autofree char *tmp_wal = g_strconcat(tmp, "-wal", NULL);
        g_autofree char *tmp_shm = g_strconcat(tmp, "-shm", NULL);
        g_unlink(tmp_wal);
        g_unlink(tmp_shm);
    }
    if (g_rename(tmp, db_path) != 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DB, _("cannot put the restored file at %s: %s"),
                    db_path, g_strerror(errno));
        return FALSE;
    }
    /* Record the restore in the restored ledger's own audit log; a ledger
     * that syncs with a head office must recover before it sells. */
    {
        KvStation *st = kv_station_open(db_path, NULL, error);
        g_autofree char *detail = g_strdup_printf("from=%s", backup_path);
        g_auto(KvTxn) txn = KV_TXN_INIT;
        if (!st)
            return FALSE;
        ok = kv_txn_begin(&txn, st, error) && kv_sync_mark_restored(st, backup_path, error) &&
             kv_audit_commit(&txn, "station.restore", "station", detail, error);
        kv_txn_rollback(&txn);
        kv_station_free(st);
    }
    return ok;
}

guint kv_station_schema_version(void)
{
    return kv_db_schema_version();
}
