/* kv-station.c - the station context: who is signed in, whether the keys
 * are unlocked, the settings in memory, money in the station's currency.
 * Opening, settings and backup are in kv-station-file.c, users and sign-in
 * in kv-users.c. */
#include "kv-i18n.h"

#include "kv-money.h"
#include "kv-station-private.h"

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

/* ---- lifetime ---- */

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
    if (st->reserve_destroy)
        st->reserve_destroy(st->reserve_data);
    station_close_db(st);
    kv_user_free(st->user);
    g_free(st->settings.utility_name);
    g_free(st->settings.currency);
    g_free(st->db_path);
    g_free(st->keys_path);
    g_free(st);
}

KvStation *kv_station_new(sqlite3 *db, const char *db_path, const char *keys_path)
{
    KvStation *st = g_new0(KvStation, 1);
    st->db = db;
    st->db_path = g_strdup(db_path);
    st->keys_path = g_strdup(keys_path);
    st->stmts = g_hash_table_new(g_direct_hash, g_direct_equal);
    return st;
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

char *kv_station_format_money_code(KvStation *st, gint64 minor)
{
    g_autofree char *number = kv_station_format_money(st, minor);

    return g_strdup_printf("%s %s", number, st->settings.currency ? st->settings.currency : "");
}

/* ---- the signed-in user ---- */

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


void kv_station_logout(KvStation *st)
{
    kv_user_free(st->user);
    st->user = NULL;
}

/* ---- keys ---- */


void kv_station_lock_keys(KvStation *st)
{
    kv_keystore_free(st->keys);
    st->keys = NULL;
}

gboolean kv_station_keys_unlocked(KvStation *st)
{
    return st->keys != NULL;
}

gboolean kv_station_require_keys(KvStation *st, GError **error)
{
    if (st->keys)
        return TRUE;
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                _("the keys are locked: a supervisor must unlock them first"));
    return FALSE;
}

guint kv_station_key_version(KvStation *st)
{
    return kv_keystore_current(st->keys);
}


