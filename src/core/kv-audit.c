/* kv-audit.c - append to and verify the hash-chained audit log. */
#include <string.h>

#include <openssl/evp.h>

#include "kv-i18n.h"
#include "kv-audit.h"
#include "kv-station-private.h"

static const guint8 genesis[32]; /* prev_hash of the first row: 32 zero bytes */

/* hash = SHA-256(prev_hash || "id|at|user|action|object|detail") */
static void row_hash(const guint8 prev[32], gint64 id, gint64 at, gint64 user,
                     const char *action, const char *object, const char *detail, guint8 out[32])
{
    g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT
                                            "|%" G_GINT64_FORMAT "|%s|%s|%s",
                                            id, at, user, action, object, detail);
    unsigned int len = 32;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, prev, 32);
    EVP_DigestUpdate(c, text, strlen(text));
    EVP_DigestFinal_ex(c, out, &len);
    EVP_MD_CTX_free(c);
}

char *kv_audit_sale_detail(const char *state, gint64 amount, gint64 energy, guint32 seq,
                           guint32 cumulative, guint32 card_serial)
{
    return g_strdup_printf("state=%s amount=%" G_GINT64_FORMAT " energy=%" G_GINT64_FORMAT
                           " seq=%u cumulative=%u card=%u",
                           state, amount, energy, seq, cumulative, card_serial);
}

gboolean kv_audit_append(KvStation *st, const char *action, const char *object,
                         const char *detail, GError **error)
{
    g_autoptr(KvStmt) last = kv_db_stmt(st, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
                                        error);
    g_autoptr(KvStmt) ins = NULL;
    guint8 prev[32], hash[32];
    gint64 id = 1, at = kv_now(), user = kv_station_user_id(st);
    int rc;

    if (!last)
        return FALSE;
    memcpy(prev, genesis, 32);
    rc = sqlite3_step(last);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(last, 0) + 1;
        if (sqlite3_column_bytes(last, 1) == 32)
            memcpy(prev, sqlite3_column_blob(last, 1), 32);
    } else if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("audit log"));
        return FALSE;
    }
    row_hash(prev, id, at, user, action, object, detail ? detail : "", hash);
    ins = kv_db_stmt(st, "INSERT INTO audit(id, at, user_id, action, object, detail, prev_hash, "
                         "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);
    if (!ins)
        return FALSE;
    sqlite3_bind_int64(ins, 1, id);
    sqlite3_bind_int64(ins, 2, at);
    if (user)
        sqlite3_bind_int64(ins, 3, user);
    sqlite3_bind_text(ins, 4, action, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 5, object, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 6, detail ? detail : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 7, prev, 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 8, hash, 32, SQLITE_TRANSIENT);
    return kv_db_step_done(st, ins, _("audit log"), error);
}

gboolean kv_audit_commit(KvStation *st, const char *action, const char *object,
                         const char *detail, GError **error)
{
    if (kv_audit_append(st, action, object, detail, error) && kv_db_commit(st, error))
        return TRUE;
    kv_db_rollback(st);
    return FALSE;
}

void kv_audit_report_free(KvAuditReport *r)
{
    if (!r)
        return;
    g_free(r->head_hex);
    if (r->problems)
        g_ptr_array_unref(r->problems);
    g_free(r);
}

static char *hex(const guint8 *p, gsize n)
{
    GString *s = g_string_sized_new(n * 2);
    for (gsize i = 0; i < n; i++)
        g_string_append_printf(s, "%02x", p[i]);
    return g_string_free(s, FALSE);
}

char *kv_audit_head(KvStation *st, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT hash FROM audit ORDER BY id DESC LIMIT 1", error);
    if (!s)
        return NULL;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32)
        return hex(sqlite3_column_blob(s, 0), 32);
    return hex(genesis, 32);
}

#define PROBLEM(...) g_ptr_array_add(r->problems, g_strdup_printf(__VA_ARGS__))

KvAuditReport *kv_audit_verify(KvStation *st, const char *anchor_hex, KvProgressFunc progress,
                               gpointer user_data, GCancellable *cancellable, GError **error)
{
    g_autoptr(KvAuditReport) r = NULL;
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(GHashTable) sale_last = NULL; /* "sale:<id>" -> detail of its last row */
    guint8 prev[32];
    gint64 expect_id = 1;
    gint64 total;
    gboolean anchor_found = anchor_hex == NULL;
    int rc;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    r = g_new0(KvAuditReport, 1);
    r->problems = g_ptr_array_new_with_free_func(g_free);
    sale_last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    total = kv_db_int(st, "SELECT count(*) FROM audit", 0);
    memcpy(prev, genesis, 32);

    s = kv_db_stmt(st, "SELECT id, at, coalesce(user_id, 0), action, object, detail, prev_hash, "
                       "hash FROM audit ORDER BY id", error);
    if (!s)
        return NULL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(s, 0);
        const char *action = (const char *)sqlite3_column_text(s, 3);
        const char *object = (const char *)sqlite3_column_text(s, 4);
        const char *detail = (const char *)sqlite3_column_text(s, 5);
        guint8 want[32];
        if (id != expect_id)
            PROBLEM(_("audit rows %" PRId64 "..%" PRId64 " are missing (deleted)"),
                    expect_id, id - 1);
        if (sqlite3_column_bytes(s, 6) != 32 || memcmp(sqlite3_column_blob(s, 6), prev, 32) != 0)
            PROBLEM(_("audit row %" PRId64 ": does not follow the previous row "
                    "(a row before it was deleted or changed)"), id);
        row_hash(sqlite3_column_bytes(s, 6) == 32 ? sqlite3_column_blob(s, 6) : genesis, id,
                 sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2), action ? action : "",
                 object ? object : "", detail ? detail : "", want);
        if (sqlite3_column_bytes(s, 7) != 32 || memcmp(sqlite3_column_blob(s, 7), want, 32) != 0)
            PROBLEM(_("audit row %" PRId64 " (%s %s): its content was changed"), id,
                    action ? action : "?", object ? object : "?");
        if (sqlite3_column_bytes(s, 7) == 32)
            memcpy(prev, sqlite3_column_blob(s, 7), 32);
        if (anchor_hex && !anchor_found) {
            g_autofree char *h = hex(prev, 32);
            anchor_found = g_ascii_strcasecmp(h, anchor_hex) == 0;
        }
        if (object && g_str_has_prefix(object, "sale:") && action &&
            g_str_has_prefix(action, "sale."))
            g_hash_table_replace(sale_last, g_strdup(object), g_strdup(detail ? detail : ""));
        expect_id = id + 1;
        r->rows++;
        if (progress && r->rows % 65536 == 0)
            progress(r->rows, (guint64)total, N_("audit rows"), user_data);
        if (g_cancellable_set_error_if_cancelled(cancellable, error))
            return NULL;
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading the audit log"));
        return NULL;
    }
    r->head_hex = hex(prev, 32);
    if (!anchor_found)
        PROBLEM(_("the anchor %s (a head printed earlier) is not in the chain: the log was "
                "rewritten after it"), anchor_hex);

    /* Each sale's current row must be what its last audit row says. */
    {
        g_autoptr(KvStmt) q = kv_db_stmt(st, "SELECT id, state, amount, energy, seq, cumulative, "
                                             "card_serial, cancel_seq FROM sales ORDER BY id",
                                         error);
        if (!q)
            return NULL;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            gint64 id = sqlite3_column_int64(q, 0);
            const char *state = (const char *)sqlite3_column_text(q, 1);
            g_autofree char *key = g_strdup_printf("sale:%" G_GINT64_FORMAT, id);
            const char *logged = g_hash_table_lookup(sale_last, key);
            g_autofree char *now = NULL;
            /* 'written' is an intermediate step not audited: it must match the
             * pending row. */
            const char *st_for_audit = g_strcmp0(state, "written") == 0 ? "pending" : state;
            now = kv_audit_sale_detail(st_for_audit, sqlite3_column_int64(q, 2),
                                       sqlite3_column_int64(q, 3),
                                       (guint32)sqlite3_column_int64(q, 4),
                                       (guint32)sqlite3_column_int64(q, 5),
                                       (guint32)sqlite3_column_int64(q, 6));
            if (!logged)
                PROBLEM(_("sale %" PRId64 " has no audit row (audit rows deleted, or the "
                        "sale was inserted behind the station's back)"), id);
            else if (!g_str_has_prefix(logged, now))
                PROBLEM(_("sale %" PRId64 " differs from its audit record: now '%s', "
                        "audited '%s'"), id, now, logged);
            g_hash_table_remove(sale_last, key);
            r->sales_checked++;
            if (g_cancellable_set_error_if_cancelled(cancellable, error))
                return NULL;
        }
        if (rc != SQLITE_DONE) {
            kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading sales"));
            return NULL;
        }
        {
            GHashTableIter it;
            gpointer k;
            g_hash_table_iter_init(&it, sale_last);
            while (g_hash_table_iter_next(&it, &k, NULL))
                PROBLEM(_("%s is in the audit log but not in the sales table (deleted)"),
                        (char *)k);
        }
    }
    return g_steal_pointer(&r);
}
