/* kv-station.c - opening a station, its settings, users and sessions, keys,
 * backup and restore. */
#include "kv-i18n.h"
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv-money.h"
#include "kv-station-private.h"
#include "kv_card.h"

#define MAX_FAILED_LOGINS 5
#define LOCKOUT_SECONDS (15 * 60)
/* Files above this size skip the quick check at start (it reads every
 * page); `kilovendctl check` runs the full one. */
#define QUICK_CHECK_MAX_BYTES (64 * 1024 * 1024)

gint64 kv_now(void)
{
#if KV_TEST_HOOKS
    const char *fake = g_getenv("KILOVEND_NOW");
    if (fake && *fake)
        return g_ascii_strtoll(fake, NULL, 10);
#endif
    return g_get_real_time() / G_USEC_PER_SEC;
}

gboolean kv_test_hooks_enabled(void)
{
    return KV_TEST_HOOKS;
}

gint64 kv_day_start(gint64 t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);
    g_autoptr(GDateTime) s = g_date_time_new_local(g_date_time_get_year(d),
                                                   g_date_time_get_month(d),
                                                   g_date_time_get_day_of_month(d), 0, 0, 0);
    return g_date_time_to_unix(s);
}

gint64 kv_month_start(gint64 t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);
    g_autoptr(GDateTime) s = g_date_time_new_local(g_date_time_get_year(d),
                                                   g_date_time_get_month(d), 1, 0, 0, 0);
    return g_date_time_to_unix(s);
}

const char *kv_role_name(KvRole role)
{
    switch (role) {
    case KV_ROLE_CASHIER: return "cashier";
    case KV_ROLE_SUPERVISOR: return "supervisor";
    case KV_ROLE_ADMIN: return "admin";
    default: return "none";
    }
}

KvRole kv_role_from_name(const char *name)
{
    if (g_strcmp0(name, "cashier") == 0)
        return KV_ROLE_CASHIER;
    if (g_strcmp0(name, "supervisor") == 0)
        return KV_ROLE_SUPERVISOR;
    if (g_strcmp0(name, "admin") == 0)
        return KV_ROLE_ADMIN;
    return KV_ROLE_NONE;
}

void kv_user_free(KvUser *u)
{
    if (!u)
        return;
    g_free(u->login);
    g_free(u->full_name);
    g_free(u);
}

/* ---- opening ---- */

static void station_close_db(KvStation *st)
{
    if (st->stmts) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, st->stmts);
        while (g_hash_table_iter_next(&it, &k, &v))
            sqlite3_finalize(v);
        g_hash_table_destroy(st->stmts);
        st->stmts = NULL;
    }
    if (st->db)
        sqlite3_close(st->db);
    st->db = NULL;
}

void kv_station_free(KvStation *st)
{
    if (!st)
        return;
    kv_station_lock_keys(st);
    station_close_db(st);
    kv_user_free(st->user);
    g_free(st->settings.utility_name);
    g_free(st->settings.currency);
    g_free(st->db_path);
    g_free(st->keys_path);
    g_free(st);
}

static KvStation *station_new(sqlite3 *db, const char *db_path, const char *keys_path)
{
    KvStation *st = g_new0(KvStation, 1);
    st->db = db;
    st->db_path = g_strdup(db_path);
    st->keys_path = g_strdup(keys_path);
    st->stmts = g_hash_table_new(g_direct_hash, g_direct_equal);
    return st;
}

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

gboolean kv_station_load_settings(KvStation *st, GError **error)
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
    st = station_new(db, db_path, keys_path);
    if (!kv_station_load_settings(st, error)) {
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
    g_autoptr(KvStmt) s = kv_db_stmt(st,
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value", error);
    if (!s)
        return FALSE;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_TRANSIENT);
    return kv_db_step_done(st, s, _("saving a setting"), error);
}

static gboolean password_acceptable(const char *pw, GError **error)
{
    if (!pw || g_utf8_strlen(pw, -1) < 8) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a password needs at least 8 characters"));
        return FALSE;
    }
    return TRUE;
}

static gboolean insert_user(KvStation *st, const char *login, const char *full_name,
                            KvRole role, const char *password, GError **error)
{
    g_autofree char *hash = NULL;
    g_autofree char *detail = NULL;
    g_autoptr(KvStmt) s = NULL;
    if (!login || !*login || strlen(login) > 64 || strpbrk(login, " \t\n")) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a login is 1 to 64 characters without spaces"));
        return FALSE;
    }
    if (role == KV_ROLE_NONE) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the role must be cashier, supervisor or admin"));
        return FALSE;
    }
    if (!password_acceptable(password, error) || !(hash = kv_password_hash(password, error)))
        return FALSE;
    s = kv_db_stmt(st, "INSERT INTO users(login, full_name, role, pw_hash, created_at) "
                       "VALUES (?, ?, ?, ?, ?)", error);
    if (!s)
        return FALSE;
    sqlite3_bind_text(s, 1, login, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, full_name ? full_name : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, kv_role_name(role), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, kv_now());
    if (!kv_db_step_done(st, s, _("adding the user"), error)) {
        if (g_error_matches(*error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS)) {
            g_clear_error(error);
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS,
                        _("a user with login '%s' already exists"), login);
        }
        return FALSE;
    }
    detail = g_strdup_printf("role=%s", kv_role_name(role));
    {
        g_autofree char *obj = g_strdup_printf("user:%s", login);
        return kv_audit_append(st, "user.add", obj, detail, error);
    }
}

/* The first settings, the admin and the station.init audit row: one
 * transaction. */
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
    /* Defaults: 1 000 000 major units, 100 000 kWh per sale. */
    for (guint i = 0; i < p->minor_digits; i++)
        max_amount *= 10;
    g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, max_amount);
    if (!put_setting(st, "max_sale_amount", buf, error) ||
        !put_setting(st, "max_sale_energy", "10000000", error) ||
        !put_setting(st, "factory_psc", "FFFFFF", error) ||
        !put_setting(st, "key_version", "1", error) ||
        !insert_user(st, p->admin_login ? p->admin_login : "admin", "Administrator",
                     KV_ROLE_ADMIN, p->admin_password, error))
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
    if (!password_acceptable(p->admin_password, error))
        return FALSE;
    if (!(db = kv_db_open_file(db_path, TRUE, error)))
        return FALSE;
    if (!kv_db_migrate(db, db_path, error)) {
        sqlite3_close(db);
        g_unlink(db_path);
        return FALSE;
    }
    st = station_new(db, db_path, NULL);
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

/* ---- settings ---- */

const KvSettings *kv_station_settings(KvStation *st)
{
    return &st->settings;
}

gboolean kv_station_parse_money(KvStation *st, const char *text, gint64 *out, GError **error)
{
    if (!kv_decimal_parse(text, st->settings.minor_digits, st->settings.max_sale_amount, out,
                          error)) {
        g_prefix_error(error, _("amount: "));
        return FALSE;
    }
    return TRUE;
}

char *kv_station_format_money(KvStation *st, gint64 minor)
{
    return kv_decimal_format(minor, st->settings.minor_digits);
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
    } else if (g_strcmp0(key, "token_issuer") == 0) {
        if (!kv_decimal_parse(value, 0, KV_ISSUER_MAX, &v, error))
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
                    "office_id, max_sale_amount, max_sale_energy, factory_psc, key_version, "
                    "token_issuer)"), key);
        return FALSE;
    }
    detail = g_strdup_printf("%s=%s", key, g_strcmp0(key, "factory_psc") == 0 ? "***" : stored);
    if (!kv_txn_begin(&txn, st, error) || !put_setting(st, key, stored, error) ||
        !kv_audit_commit(&txn, "setting.set", "settings", detail, error))
        return FALSE;
    return kv_station_load_settings(st, error);
}

/* ---- users ---- */

gint64 kv_station_user_id(KvStation *st)
{
    return st->user ? st->user->id : 0;
}

const KvUser *kv_station_user(KvStation *st)
{
    return st->user;
}

gboolean kv_station_require(KvStation *st, KvRole role, GError **error)
{
    if (!st->user) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED,
                    _("nobody is logged in: log in first (--user)"));
        return FALSE;
    }
    if (st->user->role < role) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED,
                    _("user '%s' is a %s; this needs a %s or above"), st->user->login,
                    C_("role", kv_role_name(st->user->role)), C_("role", kv_role_name(role)));
        return FALSE;
    }
    return TRUE;
}

static KvUser *user_from_row(KvStmt *s, char **hash)
{
    KvUser *u = g_new0(KvUser, 1);
    u->id = sqlite3_column_int64(s, 0);
    u->login = kv_db_col_text(s, 1);
    u->full_name = kv_db_col_text(s, 2);
    u->role = kv_role_from_name((const char *)sqlite3_column_text(s, 3));
    u->failed_logins = sqlite3_column_int(s, 5);
    u->locked_until = sqlite3_column_int64(s, 6);
    u->active = sqlite3_column_int(s, 7);
    if (hash)
        *hash = kv_db_col_text(s, 4);
    return u;
}

#define USER_COLS "id, login, full_name, role, pw_hash, failed_logins, locked_until, active"

static KvUser *user_get(KvStation *st, const char *login, char **hash, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT " USER_COLS " FROM users WHERE login = ?",
                                     error);
    int rc;
    if (!s)
        return NULL;
    sqlite3_bind_text(s, 1, login, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        return user_from_row(s, hash);
    if (rc == SQLITE_DONE)
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no user '%s'"), login);
    else
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading users"));
    return NULL;
}

static gboolean record_login_result(KvStation *st, gint64 id, gint failed, gint64 locked_until,
                                    const char *login, const char *via, gboolean ok,
                                    GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    g_autofree char *obj = g_strdup_printf("user:%s", login);
    g_autofree char *detail = g_strdup_printf("failed_logins=%d locked_until=%" G_GINT64_FORMAT
                                              " via=%s", failed, locked_until, via);
    g_auto(KvTxn) txn = KV_TXN_INIT;
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    s = kv_db_stmt(st, "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
                   error);
    if (!s || (sqlite3_bind_int(s, 1, failed), sqlite3_bind_int64(s, 2, locked_until),
               sqlite3_bind_int64(s, 3, id), !kv_db_step_done(st, s, _("login"), error)) ||
        (!ok && !kv_audit_append(st, locked_until ? "user.lockout" : "user.login-failed", obj,
                                 detail, error)))
        return FALSE;
    return kv_txn_commit(&txn, error);
}

/* Where a user's secrets are checked; each has its own words for a failure
 * (kept whole for the translators). */
typedef enum {
    AUTH_SIGN_IN,     /* login + password */
    AUTH_SUPERVISOR,  /* a named supervisor's password + the key file passphrase */
    AUTH_PASSPHRASE,  /* the signed-in user's key file passphrase */
} AuthVia;

static const char *auth_via_name(AuthVia via)
{
    switch (via) {
    case AUTH_SUPERVISOR: return "supervisor-unlock";
    case AUTH_PASSPHRASE: return "key-unlock";
    default: return "sign-in";
    }
}

static void set_auth_failure(GError **error, AuthVia via, const char *login, gint tries_left)
{
    if (via == AUTH_SIGN_IN) {
        if (tries_left < 0)
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_AUTH, _("wrong login or password"));
        else if (tries_left == 0)
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_AUTH,
                        _("wrong login or password; '%s' is now locked out for %d minutes"),
                        login, LOCKOUT_SECONDS / 60);
        else
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_AUTH,
                        _("wrong login or password (%d tries left before lockout)"), tries_left);
    } else if (via == AUTH_SUPERVISOR) {
        /* One answer whether the password or the passphrase was wrong. */
        if (tries_left < 0)
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_AUTH,
                        _("wrong supervisor login, password or key file passphrase"));
        else if (tries_left == 0)
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_AUTH,
                        _("wrong supervisor login, password or key file passphrase; '%s' is now "
                        "locked out for %d minutes"), login, LOCKOUT_SECONDS / 60);
        else
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_AUTH,
                        _("wrong supervisor login, password or key file passphrase (%d tries "
                        "left before lockout)"), tries_left);
    } else {
        if (tries_left == 0)
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_PASSPHRASE,
                        _("wrong key file passphrase; '%s' is now locked out for %d minutes"),
                        login, LOCKOUT_SECONDS / 60);
        else
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_PASSPHRASE,
                        _("wrong key file passphrase (%d tries left before lockout)"),
                        tries_left);
    }
}

/* The one check of a user's secrets: sign-in, the supervisor who unlocks the
 * keys for a cashier, the signed-in user who unlocks them.  Each failure is
 * counted on the account and audited (user.login-failed, user.lockout with
 * via=...); MAX_FAILED_LOGINS failures lock it for LOCKOUT_SECONDS, during
 * which nothing is checked at all.
 *
 * password: checked against the user's hash (NULL for AUTH_PASSPHRASE: the
 * user signed in already).  passphrase (AUTH_SUPERVISOR, AUTH_PASSPHRASE):
 * the key file is opened with it into *ring; a wrong passphrase is a failure
 * like a wrong password, with the same answer, and both are always computed
 * so that neither the answer nor the time tells which one was wrong.  A key
 * file that is missing or damaged (KEYS) is reported as such, whatever the
 * password: it says nothing about it, and counts nothing. */
static KvUser *authenticate(KvStation *st, AuthVia via, const char *login, const char *password,
                            const char *passphrase, KvKeyring **ring, GError **error)
{
    g_autofree char *hash = NULL;
    g_autoptr(KvUser) u = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(KvKeyring) opened = NULL;
    gboolean pw_ok, pass_ok = TRUE;
    gint64 now = kv_now();

    u = user_get(st, login ? login : "", &hash, &local);
    if (!u && !g_error_matches(local, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    if (u && !u->active) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_AUTH,
                    _("user '%s' is disabled: ask an admin"), login);
        return NULL;
    }
    if (u && u->locked_until > now) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_AUTH,
                    _("user '%s' is locked out after %d wrong passwords for %" PRId64
                    " more minutes, or until an admin unlocks it"), login, u->failed_logins,
                    (u->locked_until - now + 59) / 60);
        return NULL;
    }
    /* An unknown login costs the same scrypt as a known one. */
    pw_ok = via == AUTH_PASSPHRASE ||
            (u ? kv_password_verify(password ? password : "", hash)
               : (kv_password_burn(password ? password : ""), FALSE));
    if (via != AUTH_SIGN_IN) {
        g_clear_error(&local);
        if (!st->keys_path) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                        _("no key file given (--keys PATH)"));
            return NULL;
        }
        opened = kv_keyring_load(st->keys_path, passphrase, &local);
        if (!opened && !g_error_matches(local, KV_CORE_ERROR, KV_CORE_ERROR_PASSPHRASE)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return NULL;
        }
        pass_ok = opened != NULL;
    }
    if (!u) {
        set_auth_failure(error, via, login, -1);
        return NULL;
    }
    if (!pw_ok || !pass_ok) {
        gint failed = u->failed_logins + 1;
        gint64 until = failed >= MAX_FAILED_LOGINS ? now + LOCKOUT_SECONDS : 0;
        if (!record_login_result(st, u->id, failed, until, login, auth_via_name(via), FALSE,
                                 error))
            return NULL;
        set_auth_failure(error, via, login, until ? 0 : MAX_FAILED_LOGINS - failed);
        return NULL;
    }
    if ((u->failed_logins || u->locked_until) &&
        !record_login_result(st, u->id, 0, 0, login, auth_via_name(via), TRUE, error))
        return NULL;
    u->failed_logins = 0;
    u->locked_until = 0;
    if (ring)
        *ring = g_steal_pointer(&opened);
    return g_steal_pointer(&u);
}

gboolean kv_station_login(KvStation *st, const char *login, const char *password,
                          GError **error)
{
    kv_station_logout(st);
    st->user = authenticate(st, AUTH_SIGN_IN, login, password, NULL, NULL, error);
    return st->user != NULL;
}

void kv_station_logout(KvStation *st)
{
    kv_user_free(st->user);
    st->user = NULL;
}

gboolean kv_user_add(KvStation *st, const char *login, const char *full_name, KvRole role,
                     const char *password, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    if (!kv_station_require(st, KV_ROLE_ADMIN, error) || !kv_txn_begin(&txn, st, error) ||
        !insert_user(st, login, full_name, role, password, error))
        return FALSE;
    return kv_txn_commit(&txn, error);
}

/* One UPDATE of a user row plus its audit row, in one transaction. */
static gboolean user_update(KvStation *st, const char *login, const char *sql,
                            const char *text_value, gint64 int_value, const char *action,
                            const char *detail, GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    g_autofree char *obj = g_strdup_printf("user:%s", login);
    g_auto(KvTxn) txn = KV_TXN_INIT;
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    s = kv_db_stmt(st, sql, error);
    if (!s)
        return FALSE;
    if (text_value)
        sqlite3_bind_text(s, 1, text_value, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(s, 1, int_value);
    sqlite3_bind_text(s, 2, login, -1, SQLITE_TRANSIENT);
    if (!kv_db_step_done(st, s, action, error))
        return FALSE;
    if (sqlite3_changes(st->db) == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no user '%s'"), login);
        return FALSE;
    }
    /* Checked after the change, in its transaction: without an active
     * admin nobody could manage users, tariffs or keys any more. */
    if ((g_str_equal(action, "user.role") || g_str_equal(action, "user.disable")) &&
        kv_db_int(st, "SELECT count(*) FROM users WHERE role = 'admin' AND active = 1", 0) == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED,
                    "'%s' is the last active admin: make another user an admin first", login);
        return FALSE;
    }
    return kv_audit_commit(&txn, action, obj, detail, error);
}

/* An admin does not take their own rights away: another admin must. */
static gboolean not_self(KvStation *st, const char *login, const char *what, GError **error)
{
    if (g_strcmp0(st->user->login, login) != 0)
        return TRUE;
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED,
                "you cannot %s your own account: another admin must do it", what);
    return FALSE;
}

gboolean kv_user_set_role(KvStation *st, const char *login, KvRole role, GError **error)
{
    g_autofree char *detail = g_strdup_printf("role=%s", kv_role_name(role));
    if (!kv_station_require(st, KV_ROLE_ADMIN, error))
        return FALSE;
    if (role != KV_ROLE_ADMIN && !not_self(st, login, "demote", error))
        return FALSE;
    if (role == KV_ROLE_NONE) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the role must be cashier, supervisor or admin"));
        return FALSE;
    }
    return user_update(st, login, "UPDATE users SET role = ? WHERE login = ?",
                       kv_role_name(role), 0, "user.role", detail, error);
}

gboolean kv_user_set_active(KvStation *st, const char *login, gboolean active, GError **error)
{
    if (!kv_station_require(st, KV_ROLE_ADMIN, error) ||
        (!active && !not_self(st, login, "disable", error)))
        return FALSE;
    return user_update(st, login, "UPDATE users SET active = ? WHERE login = ?", NULL,
                       active ? 1 : 0, active ? "user.enable" : "user.disable", "", error);
}

gboolean kv_user_unlock(KvStation *st, const char *login, GError **error)
{
    if (!kv_station_require(st, KV_ROLE_ADMIN, error))
        return FALSE;
    return user_update(st, login,
                       "UPDATE users SET locked_until = ?, failed_logins = 0 WHERE login = ?",
                       NULL, 0, "user.unlock", "", error);
}

gboolean kv_user_set_password(KvStation *st, const char *login, const char *old_password,
                              const char *new_password, GError **error)
{
    g_autofree char *hash = NULL;
    gboolean self = st->user && g_strcmp0(st->user->login, login) == 0;
    if (!self && !kv_station_require(st, KV_ROLE_ADMIN, error))
        return FALSE;
    if (self && st->user->role < KV_ROLE_ADMIN) {
        /* Counted like a sign-in: an unattended session is no way to guess
         * the password without limit. */
        g_autoptr(KvUser) u = authenticate(st, AUTH_SIGN_IN, login, old_password, NULL, NULL,
                                           error);
        if (!u) {
            g_prefix_error(error, _("the old password: "));
            return FALSE;
        }
    }
    if (!password_acceptable(new_password, error) ||
        !(hash = kv_password_hash(new_password, error)))
        return FALSE;
    return user_update(st, login, "UPDATE users SET pw_hash = ? WHERE login = ?", hash, 0,
                       "user.password", "", error);
}

GPtrArray *kv_user_list(KvStation *st, GError **error)
{
    GPtrArray *out;
    g_autoptr(KvStmt) s = NULL;
    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    s = kv_db_stmt(st, "SELECT " USER_COLS " FROM users ORDER BY login", error);
    if (!s)
        return NULL;
    out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_user_free);
    while (sqlite3_step(s) == SQLITE_ROW)
        g_ptr_array_add(out, user_from_row(s, NULL));
    return out;
}

/* ---- keys ---- */

gboolean kv_station_unlock_keys(KvStation *st, const char *passphrase, const char *sup_login,
                                const char *sup_password, GError **error)
{
    g_autoptr(KvKeyring) ring = NULL;
    g_autoptr(KvUser) by = NULL;
    g_autofree char *detail = NULL;

    if (!sup_login && !kv_station_require(st, KV_ROLE_SUPERVISOR, error)) {
        g_prefix_error(error, _("unlocking the keys: "));
        return FALSE;
    }
    /* A failed unlock leaves the keys locked, not the previous ones open. */
    kv_station_lock_keys(st);
    by = sup_login ? authenticate(st, AUTH_SUPERVISOR, sup_login, sup_password, passphrase,
                                  &ring, error)
                   : authenticate(st, AUTH_PASSPHRASE, st->user->login, NULL, passphrase, &ring,
                                  error);
    if (!by)
        return FALSE;
    if (by->role < KV_ROLE_SUPERVISOR) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED,
                    _("unlocking the keys needs a supervisor; '%s' is a %s"), by->login,
                    C_("role", kv_role_name(by->role)));
        return FALSE;
    }
    st->ring = g_steal_pointer(&ring);
    /* Keyed from here on: this row's MAC also covers the rows written while
     * the keys were locked (kv-audit.c). */
    detail = g_strdup_printf("by=%s version=%u", by->login, kv_keyring_current(st->ring));
    if (!kv_audit_record(st, "keys.unlock", "keys", detail, error)) {
        kv_station_lock_keys(st);
        return FALSE;
    }
    return TRUE;
}

void kv_station_lock_keys(KvStation *st)
{
    kv_keyring_free(st->ring);
    st->ring = NULL;
}

gboolean kv_station_keys_unlocked(KvStation *st)
{
    return st->ring != NULL;
}

gboolean kv_station_require_keys(KvStation *st, GError **error)
{
    if (st->ring)
        return TRUE;
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                _("the keys are locked: a supervisor must unlock them first"));
    return FALSE;
}

guint kv_station_key_version(KvStation *st)
{
    return kv_keyring_current(st->ring);
}

/* ---- backup and restore ---- */

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
        sqlite3_stmt *s = NULL;
        gint64 v = -1;
        if (sqlite3_prepare_v2(from, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
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
    /* Record the restore in the restored ledger's own audit log. */
    {
        KvStation *st = kv_station_open(db_path, NULL, error);
        g_autofree char *detail = g_strdup_printf("from=%s", backup_path);
        if (!st)
            return FALSE;
        ok = kv_audit_record(st, "station.restore", "station", detail, error);
        kv_station_free(st);
    }
    return ok;
}
