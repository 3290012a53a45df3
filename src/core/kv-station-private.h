/* kv-station-private.h - what the core's files share and front ends do not see. */
#ifndef KV_STATION_PRIVATE_H
#define KV_STATION_PRIVATE_H

#include <sqlite3.h>

#include "kv-card-link.h"
#include "kv-keyfile.h"
#include "kv-station.h"

G_BEGIN_DECLS

struct _KvStation {
    sqlite3 *db;
    char *db_path;
    char *keys_path;
    GHashTable *stmts;   /* SQL text -> sqlite3_stmt, prepared once */
    KvSettings settings;
    KvUser *user;
    KvKeyring *ring;
};

/* ---- SQLite helpers (kv-db.c) ---- */
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
gboolean kv_txn_commit(KvTxn *txn, GError **error);
/* Roll back now (does nothing if committed or never begun). */
void kv_txn_rollback(KvTxn *txn);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(KvTxn, kv_txn_rollback)
/* Open a file with the station's pragmas; create only if asked. */
sqlite3 *kv_db_open_file(const char *path, gboolean create, GError **error);
/* Apply migrations up to kv_station_schema_version(); NEWER if the file is newer. */
gboolean kv_db_migrate(sqlite3 *db, const char *path, GError **error);
/* integrity_check + foreign_key_check: CORRUPT with the first problems. */
gboolean kv_db_integrity(sqlite3 *db, const char *path, gboolean quick, GError **error);
gint64 kv_db_int(KvStation *st, const char *sql, gint64 dflt); /* first column or dflt */
char *kv_db_col_text(KvStmt *s, int col); /* g_strdup, "" for NULL */

/* ---- settings / users (kv-station.c) ---- */
gboolean kv_station_load_settings(KvStation *st, GError **error);
gint64 kv_station_user_id(KvStation *st); /* 0 if none */
/* KEYS "the keys are locked" unless a supervisor unlocked them. */
gboolean kv_station_require_keys(KvStation *st, GError **error);

/* ---- audit (kv-audit.c): inside the caller's transaction ---- */
/* The end of a change: its audit row, then the commit; on failure the
 * transaction is rolled back (nothing of the change stays). */
gboolean kv_audit_commit(KvTxn *txn, const char *action, const char *object,
                         const char *detail, GError **error);
/* An audit row alone, in its own transaction. */
gboolean kv_audit_record(KvStation *st, const char *action, const char *object,
                         const char *detail, GError **error);
gboolean kv_audit_append(KvStation *st, const char *action, const char *object,
                         const char *detail, GError **error);
/* Canonical sale detail, shared by the writer and the verifier. */
char *kv_audit_sale_detail(const char *state, gint64 amount, gint64 energy, guint32 seq,
                           guint32 cumulative, guint32 card_serial);

/* ---- shifts (kv-shifts.c) ---- */
/* The current user's open shift: *id gets it, 0 if none. */
gboolean kv_shift_current_id(KvStation *st, gint64 *id, GError **error);

/* ---- passwords (kv-password.c) ---- */
char *kv_password_hash(const char *password, GError **error);
gboolean kv_password_verify(const char *password, const char *encoded);
/* Spend the time of one verification (scrypt at the current cost), for a
 * login that does not exist: its failure takes as long as a wrong password. */
void kv_password_burn(const char *password);
/* scrypt into out (len bytes); N = 2^log2n, r = 8, p = 1. */
gboolean kv_scrypt(const char *pass, const guint8 *salt, gsize salt_len, guint log2n,
                   guint8 *out, gsize len, GError **error);

/* ---- card helpers shared by sales and cards (kv-cards.c) ---- */
#include "kv-registry.h"
#include "kv_card.h"
/* Decode the card in the link with its meter's keys.  Errors a cashier can
 * act on: blank, damaged, other utility, other meter (expect_meter != 0),
 * unregistered meter.  *meter_out (optional) gets the meter record. */
gboolean kv_card_view_for(KvStation *st, KvCardLink *card, guint32 expect_meter,
                          kv_card_view *view, KvMeter **meter_out, GError **error);
/* Store the card's MAC-verified readback if newer than the meter's, with
 * its effects (kv_readback_effects); own transaction.  A readback going
 * backwards (the chosen one, or the card's older slot when image is
 * given) is stored as an anomaly (*anomaly set, a line in notes). */
gboolean kv_readback_import(KvStation *st, const KvMeter *m, const kv_card_view *view,
                            const guint8 *image, gboolean *imported, gboolean *anomaly,
                            GString *notes, GError **error);
/* Present the card's derived PSC (never the factory one). */
gboolean kv_card_present_own_psc(KvStation *st, KvCardLink *card, const KvMeter *m,
                                 guint32 serial, GError **error);
/* Write a reserved card (identity, token or none, lock, PSC change),
 * resumable from step "psc-changing" (kv-cards.c). */
gboolean kv_card_write_new(KvStation *st, KvCardLink *card, const KvMeter *m, guint32 serial,
                           guint card_type, const kv_token *tok, const char *step,
                           GError **error);
/* Set a card's status and issue step, with an audit row if action is given;
 * own transaction. */
gboolean kv_card_step(KvStation *st, guint32 serial, const char *status, const char *step,
                      const char *action, const char *detail, GError **error);
/* The next card serial of this office (inside or outside a transaction). */
guint32 kv_card_next_serial(KvStation *st, GError **error);
/* Readback effects beyond storing it (kv-engineering.c), inside the import
 * transaction: a key change or parameters confirmed, a loaded total above
 * what was sold (anomaly, audited).  view: the card the readback came on. */
gboolean kv_readback_effects(KvStation *st, const KvMeter *m, const kv_card_view *view,
                             const kv_readback *rb, gboolean *anomaly, GError **error);
/* The card's status in the registry ("active", ...), NULL if unknown. */
char *kv_card_status(KvStation *st, guint32 serial);

/* The multi-office rule: the next token's seq and cumulative base are the
 * largest of what the card, this office's ledger and the newest readback
 * know. */
void kv_meter_next_token(const KvMeter *m, const kv_card_view *view, guint32 *next_seq,
                         guint32 *base_cumulative);

/* The implementation behind a card link (kv-card-link.c). */
#include "kv-card-link.h"
gpointer kv_card_link_self(KvCardLink *link);

/* ---- CSV (kv-csv.c) ---- */
typedef struct {
    guint line;     /* line number in the file (1-based) */
    char **fields;  /* trimmed */
} KvCsvRow;
void kv_csv_row_free(KvCsvRow *r);
/* All non-empty rows (lines starting with '#' skipped). */
GPtrArray *kv_csv_read(const char *path, GError **error);
gint kv_csv_column(KvCsvRow *header, const char *name); /* -1 if absent */
const char *kv_csv_field(KvCsvRow *row, gint col);     /* "" if absent */

/* Month boundaries (local time) around t. */
gint64 kv_month_start(gint64 t);
gint64 kv_day_start(gint64 t);

/* Documented test hook (docs/station.md, "Testing hooks"): in test builds
 * (meson option test_hooks), when the environment variable
 * KILOVEND_TEST_STOP=name[:n] names this point, the process stops itself
 * (SIGSTOP) at its n-th pass so a test can kill -9 it there.  Does nothing
 * otherwise, and nothing at all in shipped builds. */
void kv_test_point(const char *name);

G_END_DECLS

#endif
