/* kv-users.c - users, sign-in with its lockout, the supervisor who unlocks
 * the keys. */
#include "kv-i18n.h"

#include "kv-audit-private.h"
#include "kv-db.h"
#include "kv-keystore.h"
#include "kv-password.h"
#include "kv-sync-state.h"
#include "kv-users.h"
#include "kv-users-private.h"

#define MAX_FAILED_LOGINS 5
#define LOCKOUT_SECONDS (15 * 60)
#define USER_COLS "id, login, full_name, role, pw_hash, failed_logins, locked_until, active"

/* Where a user's secrets are checked; each has its own words for a failure
 * (kept whole for the translators). */
typedef enum {
    AUTH_SIGN_IN,     /* login + password */
    AUTH_SUPERVISOR,  /* a named supervisor's password + the key file passphrase */
    AUTH_PASSPHRASE,  /* the signed-in user's key file passphrase */
} AuthVia;


gboolean kv_user_password_acceptable(const char *pw, GError **error)
{
    if (!pw || g_utf8_strlen(pw, -1) < 8) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a password needs at least 8 characters"));
        return FALSE;
    }
    return TRUE;
}

gboolean kv_user_insert(KvStation *st, const char *login, const char *full_name,
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
    if (!kv_user_password_acceptable(password, error) || !(hash = kv_password_hash(password, error)))
        return FALSE;
    s = kv_db_query(st, "INSERT INTO users(login, full_name, role, pw_hash, created_at) "
                        "VALUES (?, ?, ?, ?, ?)", error,
                    KV_DB_VALUES(KV_TEXT(login), KV_TEXT(full_name ? full_name : ""),
                                 KV_TEXT(kv_role_name(role)), KV_TEXT(hash), KV_INT(kv_now())));
    if (!s)
        return FALSE;
    if (!kv_db_step_done(st, s, _("adding the user"), error)) {
        return kv_db_when_exists(error, KV_CORE_ERROR_EXISTS,
                                 _("a user with login '%s' already exists"), login);
    }
    detail = g_strdup_printf("role=%s", kv_role_name(role));
    {
        g_autofree char *obj = g_strdup_printf("user:%s", login);
        return kv_audit_append(st, "user.add", obj, detail, error);
    }
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

static KvUser *user_get(KvStation *st, const char *login, char **hash, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT " USER_COLS " FROM users WHERE login = ?", error,
                                      KV_DB_VALUES(KV_TEXT(login)));
    int rc;
    if (!s)
        return NULL;
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
    g_autofree char *obj = g_strdup_printf("user:%s", login);
    g_autofree char *detail = g_strdup_printf("failed_logins=%d locked_until=%" G_GINT64_FORMAT
                                              " via=%s", failed, locked_until, via);
    g_auto(KvTxn) txn = KV_TXN_INIT;
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    if (!kv_db_run(st, "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
                   _("login"), error,
                   KV_DB_VALUES(KV_INT(failed), KV_INT(locked_until), KV_INT(id))) ||
        (!ok && !kv_audit_append(st, locked_until ? "user.lockout" : "user.login-failed", obj,
                                 detail, error)))
        return FALSE;
    return kv_txn_commit(&txn, error);
}

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
                            const char *passphrase, KvKeystore **ring, GError **error)
{
    g_autofree char *hash = NULL;
    g_autoptr(KvUser) u = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(KvKeystore) opened = NULL;
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
        /* A token's wrong PIN (AUTH) is the token's to count, not ours. */
        opened = kv_keystore_open(st->keys_path, passphrase, &local);
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

gboolean kv_user_add(KvStation *st, const char *login, const char *full_name, KvRole role,
                     const char *password, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    if (!kv_station_require(st, KV_ROLE_ADMIN, error) ||
        !kv_sync_require_no_head_office(st, _("adding a user"), error) || !kv_txn_begin(&txn, st, error) ||
        !kv_user_insert(st, login, full_name, role, password, error))
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
    if (!kv_user_password_acceptable(new_password, error) ||
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

gboolean kv_station_unlock_keys(KvStation *st, const char *passphrase, const char *sup_login,
                                const char *sup_password, GError **error)
{
    g_autoptr(KvKeystore) ring = NULL;
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
    st->keys = g_steal_pointer(&ring);
    /* Keyed from here on: this row's MAC also covers the rows written while
     * the keys were locked (kv-audit.c). */
    detail = g_strdup_printf("by=%s version=%u backend=%s", by->login,
                             kv_keystore_current(st->keys), kv_keystore_backend(st->keys));
    if (!kv_audit_record(st, "keys.unlock", "keys", detail, error)) {
        kv_station_lock_keys(st);
        return FALSE;
    }
    return TRUE;
}

gboolean kv_station_approve(KvStation *st, const char *sup_login, const char *sup_password,
                            const char *action, GError **error)
{
    g_autoptr(KvUser) by = authenticate(st, AUTH_SIGN_IN, sup_login, sup_password, NULL, NULL,
                                        error);
    g_autofree char *detail = NULL;

    if (by && by->role >= KV_ROLE_SUPERVISOR) {
        detail = g_strdup_printf("by=%s for=%s", by->login, st->user ? st->user->login : "");
        return kv_audit_record(st, action, "users", detail, error);
    }
    if (by)
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED,
                    _("this needs a supervisor; '%s' is a %s"), by->login,
                    C_("role", kv_role_name(by->role)));
    return FALSE;
}
