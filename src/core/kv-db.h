/* kv-db.h - SQLite access for the core: cached statements, the
 * transaction guard, error mapping (layer: database; core-private). */
#ifndef KV_DB_H
#define KV_DB_H

#include <sqlite3.h>
#include "kv-sale-state.h"
#include "kv-status.h"
#include "kv-station-private.h"

G_BEGIN_DECLS

typedef sqlite3_stmt KvStmt;
void kv_stmt_release(KvStmt *s); /* reset + clear bindings */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvStmt, kv_stmt_release)

/* Set error from an SQLite result code: BUSY, DB (full, I/O), CORRUPT, EXISTS
 * (unique constraint), INVALID (other constraints), FAILED. */
void kv_db_set_error(GError **error, sqlite3 *db, int rc, const char *what);
/* Cached prepared statement (SQLITE_PREPARE_PERSISTENT); sql must be a
 * string literal (its address is the cache key). */
KvStmt *kv_db_stmt(KvStation *st, const char *sql, GError **error);
gboolean kv_db_exec(sqlite3 *db, const char *sql, GError **error);
/* Step a statement expected to finish (INSERT/UPDATE). */
gboolean kv_db_step_done(KvStation *st, KvStmt *s, const char *what, GError **error);
/* After a failed write: an EXISTS error (a unique constraint) becomes code
 * with the message fmt; any other error stays as it is.  Returns FALSE. */
gboolean kv_db_when_exists(GError **error, gint code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* A value for a statement's parameter: KV_INT(v), KV_TEXT(s) (NULL binds
 * NULL), KV_BLOB(p, len), KV_NULL.  Text and blobs are copied. */
typedef struct {
    enum { KV_DB_VALUE_NULL, KV_DB_VALUE_INT, KV_DB_VALUE_TEXT, KV_DB_VALUE_BLOB } type;
    gint64 i; /* the integer, or the blob's length */
    const void *p;
} KvDbValue;
#define KV_INT(v) ((KvDbValue){ KV_DB_VALUE_INT, (gint64)(v), NULL })
#define KV_TEXT(v) ((KvDbValue){ KV_DB_VALUE_TEXT, 0, (const char *)(v) })
#define KV_BLOB(v, len) ((KvDbValue){ KV_DB_VALUE_BLOB, (gint64)(len), (v) })
#define KV_NULL ((KvDbValue){ KV_DB_VALUE_NULL, 0, NULL })
#define KV_INT_OR_NULL(v) ((v) ? KV_INT(v) : KV_NULL) /* 0 binds NULL */
#define KV_STATE(s) KV_TEXT(kv_sale_state_name(s)) /* a sale state (KV_SALE_...) */
#define KV_CARD_STATUS(s) KV_TEXT(kv_card_status_name(s))   /* KV_CARD_STATUS_... */
#define KV_METER_STATUS(s) KV_TEXT(kv_meter_status_name(s)) /* KV_METER_STATUS_... */
#define KV_REFUND_STATE(s) KV_TEXT(kv_refund_token_state_name(s)) /* KV_REFUND_TOKEN_... */
#define KV_CARD_STEP(s) KV_TEXT(kv_card_issue_step_name(s)) /* KV_CARD_STEP_... */
/* SQL run with numbered parameters in a loop over texts (where a named
 * parameter would share a number's slot) names sale states :pending,
 * :completed, ..., card and meter statuses :issuing, :active, ... and
 * refund-token states and card issue steps :done, :reserved, ...: the text
 * with each written as its stored word (kv_sale_state_name, kv-status.h),
 * quoted.  Free it. */
char *kv_db_sql_states(const char *sql);
/* The same for the text of a cached statement (kv_db_stmt keeps statements
 * by their text's address): made once and kept for the program's life,
 * the same address for the same sql.  Any thread may call it. */
const char *kv_db_sql_states_kept(const char *sql);
#define KV_DB_VALUES(...) \
    (sizeof((const KvDbValue[]){ __VA_ARGS__ }) / sizeof(KvDbValue)), \
        ((const KvDbValue[]){ __VA_ARGS__ })
/* kv_db_stmt with its parameters ?1, ?2, ... bound from the values, in
 * order:
 *     s = kv_db_query(st, "SELECT ... WHERE meter = ? AND seq > ?", error,
 *                     KV_DB_VALUES(KV_INT(meter), KV_INT(seq)));
 */
KvStmt *kv_db_query(KvStation *st, const char *sql, GError **error, gsize n,
                    const KvDbValue *values);
/* A statement that changes rows (INSERT, UPDATE, DELETE) run once:
 * kv_db_query, then kv_db_step_done (what names the step in an error). */
gboolean kv_db_run(KvStation *st, const char *sql, const char *what, GError **error, gsize n,
                   const KvDbValue *values);
/* A struct filled from a row: its columns, in order, each into a field
 * (KV_FIELD(type, Struct, field)) of the type that says how to read it;
 * one entry a column (a statement with more or fewer is refused). */
typedef enum {
    KV_FIELD_INT64,        /* gint64 */
    KV_FIELD_UINT32,       /* guint32 (meter numbers, serials, sequences) */
    KV_FIELD_UINT16,       /* guint16 */
    KV_FIELD_INT,          /* int, guint, gboolean or an enum */
    KV_FIELD_TEXT,         /* char *, a copy ("" for NULL) */
    KV_FIELD_TEXT_OR_NULL, /* char *, a copy; left alone for NULL */
    KV_FIELD_SKIP          /* the caller reads it */
} KvFieldType;
typedef struct {
    KvFieldType type;
    gsize offset;
} KvField;
#define KV_FIELD(type, T, field) { KV_FIELD_##type, G_STRUCT_OFFSET(T, field) }
#define KV_FIELD_SKIPPED { KV_FIELD_SKIP, 0 }
void kv_db_read_fields(KvStmt *s, gpointer out, const KvField *fields, gsize n);
/* A write transaction (BEGIN IMMEDIATE) that rolls back unless committed:
 *
 *     g_auto(KvTxn) txn = KV_TXN_INIT;
 *     if (!kv_txn_begin(&txn, st, error))
 *         return FALSE;
 *     ... every failure simply returns ...
 *     return kv_txn_commit(&txn, error);   (or kv_audit_commit(&txn, ...))
 *
 * Leaving the scope without a commit rolls back; so does a failed commit. */
typedef struct {
    KvStation *st; /* NULL when no transaction is open */
} KvTxn;
#define KV_TXN_INIT { NULL }
gboolean kv_txn_begin(KvTxn *txn, KvStation *st, GError **error);
/* A read transaction (BEGIN): the rows of one moment for several
 * statements; it writes nothing, so kv_txn_rollback ends it. */
gboolean kv_txn_begin_read(KvTxn *txn, KvStation *st, GError **error);
gboolean kv_txn_commit(KvTxn *txn, GError **error);
/* Roll back now (does nothing if committed or never begun). */
void kv_txn_rollback(KvTxn *txn);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(KvTxn, kv_txn_rollback)
/* Open a file with the station's pragmas; create only if asked. */
sqlite3 *kv_db_open_file(const char *path, gboolean create, GError **error);
/* Schema version this code writes: the number of migrations. */
guint kv_db_schema_version(void);
/* PRAGMA user_version of a database file, -1 if unreadable. */
gint64 kv_db_user_version(sqlite3 *db);
/* Apply migrations up to kv_db_schema_version(); NEWER if the file is newer. */
gboolean kv_db_migrate(sqlite3 *db, const char *path, GError **error);
/* integrity_check + foreign_key_check: CORRUPT with the first problems. */
gboolean kv_db_integrity(sqlite3 *db, const char *path, gboolean quick, GError **error);
gint64 kv_db_int(KvStation *st, const char *sql, gint64 dflt); /* first column or dflt */
char *kv_db_col_text(KvStmt *s, int col); /* g_strdup, "" for NULL */

G_END_DECLS

#endif
