/* kv-db.c - SQLite access: opening with the ledger's pragmas, migrations,
 * integrity checks, cached statements, transactions, error mapping. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "kv-i18n.h"
#include "kv-db-resources.h"
#include "kv-db.h"

#define KV_BUSY_TIMEOUT_MS 3000

void kv_stmt_release(KvStmt *s)
{
    if (s) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
}

void kv_db_set_error(GError **error, sqlite3 *db, int rc, const char *what)
{
    int primary = rc & 0xFF;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    KvCoreError code;

    switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_BUSY,
                    _("%s: the database is locked by another program (%s); "
                    "close the other program or retry"), what, msg);
        return;
    case SQLITE_FULL:
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DB,
                    _("%s: the disk is full (%s); nothing was recorded: free space and retry"),
                    what, msg);
        return;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CORRUPT,
                    _("%s: the database is damaged (%s); restore the last backup with "
                    "`kilovendctl restore BACKUP`"), what, msg);
        return;
    case SQLITE_CONSTRAINT:
        code = (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                   ? KV_CORE_ERROR_EXISTS
                   : KV_CORE_ERROR_INVALID;
        g_set_error(error, KV_CORE_ERROR, code, _("%s: %s"), what, msg);
        return;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DB, _("%s: %s"), what, msg);
        return;
    default:
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED, _("%s: %s"), what, msg);
    }
}

gboolean kv_db_exec(sqlite3 *db, const char *sql, GError **error)
{
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        kv_db_set_error(error, db, sqlite3_extended_errcode(db), _("database"));
        sqlite3_free(err);
        return FALSE;
    }
    return TRUE;
}

KvStmt *kv_db_stmt(KvStation *st, const char *sql, GError **error)
{
    sqlite3_stmt *s = g_hash_table_lookup(st->stmts, sql);
    if (s)
        return s;
    int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
    if (rc != SQLITE_OK) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("preparing a query"));
        return NULL;
    }
    g_hash_table_insert(st->stmts, (gpointer)sql, s);
    return s;
}

gboolean kv_db_step_done(KvStation *st, KvStmt *s, const char *what, GError **error)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return TRUE;
    kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), what);
    return FALSE;
}

gboolean kv_db_when_exists(GError **error, gint code, const char *fmt, ...)
{
    va_list ap;
    if (!error || !g_error_matches(*error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS))
        return FALSE;
    g_clear_error(error);
    va_start(ap, fmt);
    *error = g_error_new_valist(KV_CORE_ERROR, code, fmt, ap);
    va_end(ap);
    return FALSE;
}

KvStmt *kv_db_query(KvStation *st, const char *sql, GError **error, gsize n,
                    const KvDbValue *values)
{
    KvStmt *s = kv_db_stmt(st, sql, error);
    if (!s)
        return NULL;
    g_return_val_if_fail(n == (gsize)sqlite3_bind_parameter_count(s), NULL);
    for (gsize i = 0; i < n; i++) {
        const KvDbValue *v = &values[i];
        if (v->type == KV_DB_VALUE_INT)
            sqlite3_bind_int64(s, (int)i + 1, v->i);
        else if (v->type == KV_DB_VALUE_TEXT && v->p)
            sqlite3_bind_text(s, (int)i + 1, v->p, -1, SQLITE_TRANSIENT);
        else if (v->type == KV_DB_VALUE_BLOB && v->p)
            sqlite3_bind_blob64(s, (int)i + 1, v->p, (sqlite3_uint64)v->i, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(s, (int)i + 1);
    }
    return s;
}

gboolean kv_db_run(KvStation *st, const char *sql, const char *what, GError **error, gsize n,
                   const KvDbValue *values)
{
    g_autoptr(KvStmt) s = kv_db_query(st, sql, error, n, values);
    return s && kv_db_step_done(st, s, what, error);
}

/* The stored word of a state or status spelt as the n letters at p, or
 * NULL (a word of two tables, "failed", is the same text in both). */
static const char *stored_word(const char *p, gsize n)
{
    const char *words[KV_SALE_N_STATES + KV_CARD_STATUS_FAILED + 1 + KV_METER_STATUS_REMOVED + 1 +
                      KV_REFUND_TOKEN_ABORTED + 1 + KV_CARD_STEP_DONE + 1];
    guint k = 0;

    for (int i = 0; i < KV_SALE_N_STATES; i++)
        words[k++] = kv_sale_state_name((KvSaleState)i);
    for (int i = 0; i <= KV_CARD_STATUS_FAILED; i++)
        words[k++] = kv_card_status_name((KvCardStatus)i);
    for (int i = 0; i <= KV_METER_STATUS_REMOVED; i++)
        words[k++] = kv_meter_status_name((KvMeterStatus)i);
    for (int i = 0; i <= KV_REFUND_TOKEN_ABORTED; i++)
        words[k++] = kv_refund_token_state_name((KvRefundTokenState)i);
    for (int i = 0; i <= KV_CARD_STEP_DONE; i++)
        words[k++] = kv_card_issue_step_name((KvCardIssueStep)i);
    for (guint i = 0; n && i < k; i++)
        if (strlen(words[i]) == n && strncmp(p, words[i], n) == 0)
            return words[i];
    return NULL;
}

char *kv_db_sql_states(const char *sql)
{
    GString *out = g_string_new(NULL);

    for (const char *p = sql; *p; p++) {
        gsize n = 0;
        const char *word;

        if (*p == ':')
            while (g_ascii_isalpha(p[1 + n]))
                n++;
        if (!(word = stored_word(p + 1, n))) {
            g_string_append_c(out, *p);
            continue;
        }
        g_string_append_printf(out, "'%s'", word);
        p += n;
    }
    return g_string_free(out, FALSE);
}

const char *kv_db_sql_states_kept(const char *sql)
{
    static GMutex lock;
    static GHashTable *kept; /* sql -> its text with the words, never freed */
    const char *text;

    g_mutex_lock(&lock);
    if (kept == NULL)
        kept = g_hash_table_new(g_str_hash, g_str_equal);
    if ((text = g_hash_table_lookup(kept, sql)) == NULL) {
        text = kv_db_sql_states(sql);
        g_hash_table_insert(kept, g_strdup(sql), (gpointer)text);
    }
    g_mutex_unlock(&lock);
    return text;
}

static gboolean txn_begin(KvTxn *txn, KvStation *st, const char *begin, GError **error)
{
    g_return_val_if_fail(txn->st == NULL, FALSE);
    if (!kv_db_exec(st->db, begin, error))
        return FALSE;
    txn->st = st;
    return TRUE;
}

gboolean kv_txn_begin(KvTxn *txn, KvStation *st, GError **error)
{
    return txn_begin(txn, st, "BEGIN IMMEDIATE", error);
}

gboolean kv_txn_begin_read(KvTxn *txn, KvStation *st, GError **error)
{
    return txn_begin(txn, st, "BEGIN", error);
}

gboolean kv_txn_commit(KvTxn *txn, GError **error)
{
    g_return_val_if_fail(txn->st != NULL, FALSE);
    if (!kv_db_exec(txn->st->db, "COMMIT", error)) {
        kv_txn_rollback(txn);
        return FALSE;
    }
    txn->st = NULL;
    return TRUE;
}

void kv_txn_rollback(KvTxn *txn)
{
    KvStation *st = txn->st;
    txn->st = NULL;
    if (st && !sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

gint64 kv_db_int(KvStation *st, const char *sql, gint64 dflt)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, sql, NULL);
    if (s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        return sqlite3_column_int64(s, 0);
    return dflt;
}

char *kv_db_col_text(KvStmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return g_strdup(t ? (const char *)t : "");
}

void kv_db_read_fields(KvStmt *s, gpointer out, const KvField *fields, gsize n)
{
    g_return_if_fail(sqlite3_column_count(s) == (int)n); /* the table and the SQL in step */
    for (int c = 0; c < (int)n; c++) {
        char *p = (char *)out + fields[c].offset;

        switch (fields[c].type) {
        case KV_FIELD_INT64:
            *(gint64 *)p = sqlite3_column_int64(s, c);
            break;
        case KV_FIELD_UINT32:
            *(guint32 *)p = (guint32)sqlite3_column_int64(s, c);
            break;
        case KV_FIELD_UINT16:
            *(guint16 *)p = (guint16)sqlite3_column_int(s, c);
            break;
        case KV_FIELD_INT:
            *(int *)p = sqlite3_column_int(s, c);
            break;
        case KV_FIELD_TEXT_OR_NULL:
            if (sqlite3_column_type(s, c) != SQLITE_NULL)
                *(char **)p = kv_db_col_text(s, c);
            break;
        case KV_FIELD_TEXT:
            *(char **)p = kv_db_col_text(s, c);
            break;
        case KV_FIELD_SKIP:
            break;
        }
    }
}

/* ---- migrations ---- */

static int compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static GPtrArray *migration_names(void)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    char **children = g_resource_enumerate_children(kv_db_get_resource(), "/org/kilovend/db",
                                                    0, NULL);
    for (char **c = children; c && *c; c++)
        if (g_str_has_suffix(*c, ".sql"))
            g_ptr_array_add(names, g_strdup(*c));
    g_strfreev(children);
    g_ptr_array_sort(names, compare_names);
    return names;
}

guint kv_db_schema_version(void)
{
    g_autoptr(GPtrArray) names = migration_names();
    return names->len;
}

gint64 kv_db_user_version(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    gint64 v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

gboolean kv_db_migrate(sqlite3 *db, const char *path, GError **error)
{
    g_autoptr(GPtrArray) names = migration_names();
    gint64 have = kv_db_user_version(db);

    if (have < 0) {
        kv_db_set_error(error, db, sqlite3_extended_errcode(db), path);
        return FALSE;
    }
    if (have > (gint64)names->len) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NEWER,
                    _("%s has schema version %" PRId64
                    " but this Kilovend knows only up to %u: it was written by a newer "
                    "version; install that version (the file was not changed)"),
                    path, have, names->len);
        return FALSE;
    }
    for (guint i = (guint)have; i < names->len; i++) {
        g_autofree char *res = g_strconcat("/org/kilovend/db/", names->pdata[i], NULL);
        g_autoptr(GBytes) sql = g_resource_lookup_data(kv_db_get_resource(), res, 0, error);
        g_autofree char *text = NULL;
        g_autofree char *set_version = NULL;
        if (!sql)
            return FALSE;
        text = g_strndup(g_bytes_get_data(sql, NULL), g_bytes_get_size(sql));
        set_version = g_strdup_printf("PRAGMA user_version = %u", i + 1);
        /* One transaction per step: a crash leaves the previous version. */
        if (!kv_db_exec(db, "BEGIN IMMEDIATE", error))
            return FALSE;
        if (kv_db_user_version(db) != (gint64)i) { /* another process migrated meanwhile */
            kv_db_exec(db, "ROLLBACK", NULL);
            return kv_db_migrate(db, path, error);
        }
        if (!kv_db_exec(db, text, error) || !kv_db_exec(db, set_version, error) ||
            !kv_db_exec(db, "COMMIT", error)) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            g_prefix_error(error, _("migration %s: "), (char *)names->pdata[i]);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean kv_db_integrity(sqlite3 *db, const char *path, gboolean quick, GError **error)
{
    const char *checks[] = { quick ? "PRAGMA quick_check(5)" : "PRAGMA integrity_check(5)",
                             "PRAGMA foreign_key_check" };
    for (guint i = 0; i < G_N_ELEMENTS(checks); i++) {
        sqlite3_stmt *s = NULL;
        g_autoptr(GString) problems = g_string_new(NULL);
        int rc = sqlite3_prepare_v2(db, checks[i], -1, &s, NULL);
        while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(s, 0);
            if (i == 0 && t && strcmp(t, "ok") == 0)
                continue;
            if (problems->len)
                g_string_append(problems, "; ");
            if (i == 0)
                g_string_append(problems, t ? t : "?");
            else
                g_string_append_printf(problems, _("row %lld of %s points to a missing %s"),
                                       (long long)sqlite3_column_int64(s, 1), t,
                                       sqlite3_column_text(s, 2));
        }
        if (rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK) {
            int ext = sqlite3_extended_errcode(db);
            sqlite3_finalize(s);
            if ((ext & 0xFF) == SQLITE_CORRUPT || (ext & 0xFF) == SQLITE_NOTADB ||
                (ext & 0xFF) == SQLITE_ERROR)
                g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CORRUPT,
                            _("%s is damaged (%s); restore the last backup with "
                            "`kilovendctl restore BACKUP`"), path, sqlite3_errmsg(db));
            else
                kv_db_set_error(error, db, ext, path);
            return FALSE;
        }
        sqlite3_finalize(s);
        if (problems->len) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CORRUPT,
                        _("%s fails its integrity check (%s); restore the last backup with "
                        "`kilovendctl restore BACKUP`"), path, problems->str);
            return FALSE;
        }
    }
    return TRUE;
}

sqlite3 *kv_db_open_file(const char *path, gboolean create, GError **error)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX;
    int rc;

    if (create)
        flags |= SQLITE_OPEN_CREATE;
    else if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND,
                    _("no database at %s: create one with `kilovendctl init` or give --db"),
                    path);
        return NULL;
    }
    rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        kv_db_set_error(error, db, db ? sqlite3_extended_errcode(db) : rc, path);
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, KV_BUSY_TIMEOUT_MS);
    /* WAL: readers (reports) never block the cashier; FULL: a commit is on
     * disk before the card is touched; foreign keys are off by default. */
    if (!kv_db_exec(db, "PRAGMA journal_mode=WAL", error) ||
        !kv_db_exec(db, "PRAGMA synchronous=FULL", error) ||
        !kv_db_exec(db, "PRAGMA foreign_keys=ON", error)) {
        g_prefix_error(error, _("%s: "), path);
        if (error && *error && (*error)->code == KV_CORE_ERROR_FAILED)
            (*error)->code = KV_CORE_ERROR_CORRUPT;
        sqlite3_close(db);
        return NULL;
    }
    return db;
}
