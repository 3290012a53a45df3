/* kv-key-rollout.c - the station's side of the master key's rotation
 * across stations (see kv-key-rollout.h). */
#include "kv-key-rollout.h"

#include <string.h>

#include "kv-audit-private.h"
#include "kv-db.h"
#include "kv-i18n.h"
#include "kv-station-keys.h"
#include "kv-time.h"

void kv_key_rollout_clear(KvKeyRollout *r)
{
    g_clear_pointer(&r->held_by_all, g_free);
}

char *kv_key_rollout_report(KvStation *st, GError **error)
{
    g_autofree char *me = kv_station_key_holder_name(st);
    g_autoptr(KvStmt) s = kv_db_query(st,
        "SELECT json_object('backend', min(backend), 'versions', json_group_array(key_version)) "
        "FROM (SELECT backend, key_version FROM key_holdings WHERE station = ? ORDER BY key_version) "
        "HAVING count(*) > 0", error, KV_DB_VALUES(KV_TEXT(me)));
    return s && sqlite3_step(s) == SQLITE_ROW ? kv_db_col_text(s, 0) : NULL;
}

static char *setting_text(KvStation *st, const char *key)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT value FROM settings WHERE key = ?", NULL,
                                      KV_DB_VALUES(KV_TEXT(key)));
    return s && sqlite3_step(s) == SQLITE_ROW ? kv_db_col_text(s, 0) : NULL;
}

gint64 kv_key_rollout_reported_at(KvStation *st, char **held_by_all)
{
    g_autofree char *at = setting_text(st, "keys_centre_at");
    if (held_by_all)
        *held_by_all = at ? setting_text(st, "keys_centre_all") : NULL;
    return at ? g_ascii_strtoll(at, NULL, 10) : 0;
}

/* Each takes ?1 the reply, ?2 now. */
static const char *const apply_steps[] = {
    "DELETE FROM key_holdings WHERE ?1 IS NOT NULL AND ?2 IS NOT NULL",
    "INSERT INTO key_holdings(station, key_version, backend, reported_at) "
    "SELECT 'station ' || json_extract(s.value, '$.station'), v.value, "
    "json_extract(s.value, '$.backend'), coalesce(json_extract(s.value, '$.reported_at'), ?2) "
    "FROM json_each(?1, '$.stations') s, json_each(s.value, '$.versions') v "
    "WHERE json_extract(s.value, '$.backend') IS NOT NULL",
    "INSERT INTO settings(key, value) VALUES ('keys_centre_at', CAST(?2 AS TEXT)), "
    "('keys_centre_all', (SELECT coalesce(group_concat(value, ','), '') FROM "
    "json_each(?1, '$.held_by_all'))) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    "DELETE FROM settings WHERE key = 'keys_centre_current' AND ?2 IS NOT NULL AND "
    "json_type(?1, '$.current') IS NOT 'integer'",
    "INSERT INTO settings(key, value) SELECT 'keys_centre_current', "
    "CAST(json_extract(?1, '$.current') AS TEXT) WHERE ?2 IS NOT NULL AND "
    "json_type(?1, '$.current') = 'integer' ON CONFLICT(key) DO UPDATE SET value = excluded.value",
};

gboolean kv_key_rollout_apply(KvStation *st, const char *reply, KvKeyRollout *out, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *before = NULL;
    gint64 cur;

    memset(out, 0, sizeof *out);
    {
        g_autoptr(KvStmt) s = kv_db_query(st,
            "SELECT json_valid(?1) AND json_type(?1, '$.stations') = 'array' AND "
            "json_type(?1, '$.held_by_all') = 'array', (SELECT count(*) FROM json_each(?1, "
            "'$.stations')), coalesce(json_extract(?1, '$.current'), 0), (SELECT coalesce("
            "group_concat(value, ','), '') FROM json_each(?1, '$.held_by_all')), "
            "CASE WHEN json_valid(?1) AND json_extract(?1, '$.status') = 'conflict' THEN "
            "json_extract(?1, '$.message') END", error,
            KV_DB_VALUES(KV_TEXT(reply)));
        if (s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 4) != SQLITE_NULL) {
            /* Head office stopped this station's sync: the next pull
             * brings the alarm. */
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                        _("head office refused this station's key holdings: %s"),
                        (const char *)sqlite3_column_text(s, 4));
            return FALSE;
        }
        if (!s || sqlite3_column_int(s, 0) == 0) {
            if (s)
                g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                            _("head office's key holdings reply is not a report of stations"));
            return FALSE;
        }
        out->stations = (guint)sqlite3_column_int(s, 1);
        out->current = (guint)sqlite3_column_int(s, 2);
        out->held_by_all = kv_db_col_text(s, 3);
    }
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    before = setting_text(st, "keys_centre_current");
    for (gsize i = 0; i < G_N_ELEMENTS(apply_steps); i++)
        if (!kv_db_run(st, apply_steps[i], _("applying head office's key holdings"), error,
                       KV_DB_VALUES(KV_TEXT(reply), KV_INT(kv_now()))))
            return FALSE;
    cur = before ? g_ascii_strtoll(before, NULL, 10) : 0;
    if (cur != (gint64)out->current) {
        g_autofree char *d = g_strdup_printf("head-office-current=%u held-by-all=%s", out->current,
                                             out->held_by_all);
        return kv_audit_commit(&txn, "keys.current", "keys", d, error);
    }
    return kv_txn_commit(&txn, error);
}
