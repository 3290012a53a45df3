/* core-fixture.h - a station on a real SQLite file in a temporary folder,
 * cards as files of the SLE4442 model, and a meter's side of the card
 * contract (load a token, write a readback) for the core tests. */
#ifndef CORE_FIXTURE_H
#define CORE_FIXTURE_H

#include "kv-core.h"

#define FX_UTILITY 4711
#define FX_PASSPHRASE "correct horse battery"
#define FX_ADMIN_PW "adminpass1"
#define FX_M1 123456782u /* Luhn-valid meter numbers */
#define FX_M2 111111118u

typedef struct {
    char *dir;
    char *db;
    char *keys;
    KvStation *st;
} Fx;

/* A simulated meter: the state the firmware keeps. */
typedef struct {
    guint32 number;
    gint32 remaining;
    guint32 loaded;
    guint32 last_seq;
    guint32 counter;
    guint32 total;
    guint32 hoarding;
} FxMeter;

void fx_setup(Fx *f, gconstpointer data);
void fx_teardown(Fx *f, gconstpointer data);
/* A test on a fresh station (fx_setup before, fx_teardown after).  The
 * tests run with TZ=UTC (core_test_env in meson.build). */
void fx_add(const char *path, void (*test)(Fx *f, gconstpointer data));
char *fx_path(Fx *f, const char *name);
/* A card file's bytes now (an attacker's dump), and those bytes put back. */
GBytes *fx_card_dump(Fx *f, const char *name);
void fx_card_restore(Fx *f, const char *name, GBytes *dump);
KvCardLink *fx_blank_card(Fx *f, const char *name);
KvCardLink *fx_issued_card(Fx *f, guint32 meter, const char *name);
/* The card refreshed and read at the counter (kv_card_read; asserts it
 * succeeds); r->card_status is freed. */
void fx_card_read(Fx *f, KvCardLink *card, KvCardReadResult *r);
/* Decode the card with its meter's keys (asserts the identity is good). */
void fx_decode(Fx *f, KvCardLink *card, kv_card_view *view);
/* The meter reads the card: applies kv_credit_load, writes a readback.
 * Returns the load result. */
kv_err fx_meter_insert(Fx *f, FxMeter *m, KvCardLink *card);
/* A user (the admin adds it) and a login as that user. */
void fx_add_user(Fx *f, const char *login, KvRole role);
KvSale *fx_sell(Fx *f, KvCardLink *card, guint32 meter, gint64 amount, GError **error);
/* A sale that must be refused with this KV_CORE_ERROR code and, if text is
 * not NULL, a message that says text. */
void fx_sell_refused(Fx *f, KvCardLink *card, guint32 meter, gint64 amount, gint code,
                     const char *text);

/* Local time (the test's TZ) as unix seconds; the station's clock set to
 * t (KILOVEND_NOW, a test hook). */
gint64 fx_local(int y, int mo, int d, int h, int mi);
void fx_at(gint64 t);
/* text must contain part (the test fails with both printed). */
void fx_has(const char *text, const char *part);
/* A report's text must contain each of the parts (NULL-terminated). */
void fx_table_has(const KvTable *t, ...) G_GNUC_NULL_TERMINATED;
/* A sale's receipt as the printer gets it, its lines joined by newlines. */
char *fx_receipt_text(Fx *f, gint64 sale_id);
/* A one-block tariff code (price_e4 a kWh) from 1970, and a customer
 * category on a tariff code with its monthly free allocation (0.01 kWh). */
void fx_add_tariff(Fx *f, const char *code, gint64 price_e4);
void fx_set_category(Fx *f, const char *code, const char *tariff, gint64 free_energy);

/* The schema version before the migration `name` (db/NNN-x.sql): the
 * number of migrations named below it. */
guint fx_migrations_before(const char *name);

/* SQL that takes back what db/008-money.sql added besides the sales
 * table's columns (a migration test then runs it again). */
#define MONEY_008_UNDONE                                                                       \
    "DROP TRIGGER debt_only_by_movements; DROP TRIGGER sales_days_insert; "                     \
    "DROP TRIGGER sales_days_update; DROP TRIGGER sales_days_delete; DROP TABLE sales_days; "   \
    "DROP TABLE debt_movements; DROP TABLE debt_plans; DROP INDEX customers_in_debt; "          \
    "ALTER TABLE customers DROP COLUMN category; DROP TABLE customer_categories; "            \
    "DROP TRIGGER customers_last_purchase_insert; DROP TRIGGER customers_last_purchase_update; " \
    "DROP INDEX customers_last_purchase; ALTER TABLE customers DROP COLUMN last_purchase; "

/* SQL that takes back db/009-lifecycle.sql (its CHECK widening finds the
 * tables wide when it runs again). */
#define EMERGENCY_014_UNDONE "ALTER TABLE engineering_tokens DROP COLUMN emergency_kwh; "
#define LIFECYCLE_009_UNDONE "DROP TABLE refund_parts; DROP TABLE refunds; DROP TABLE credit_clears; "

/* SQL that takes back db/015-free-energy.sql: its table, triggers and
 * index, the sales table's checks narrowed back (the text it widened),
 * then its columns. */
#define FREE_015_UNDONE                                                                        \
    "DROP TRIGGER free_days_insert; DROP TRIGGER free_days_update; "                           \
    "DROP TRIGGER free_days_delete; DROP TABLE free_days; DROP INDEX sales_free_month; "       \
    "DROP INDEX sales_grants; "                                                                \
    "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(replace(replace(sql, " \
    "'CHECK (amount >= 0),', 'CHECK (amount > 0),'), "                                         \
    "'CHECK (energy >= 0 AND (energy > 0) = (amount > 0)),', 'CHECK (energy > 0),'), "         \
    "'CHECK (cumulative = base_cumulative + energy + free_energy AND energy + free_energy > 0 " \
    "AND (free_energy > 0) = (free_month IS NOT NULL) AND (free_month IS NULL OR customer_id " \
    "IS NOT NULL)),', 'CHECK (cumulative = base_cumulative + energy),') "                      \
    "WHERE type = 'table' AND name = 'sales'; PRAGMA writable_schema = RESET; "                \
    "ALTER TABLE sales DROP COLUMN free_month; ALTER TABLE sales DROP COLUMN free_energy; "    \
    "ALTER TABLE customer_categories DROP COLUMN free_energy; "
/* SQL that takes back db/019-month-blocks.sql. */
#define MONTH_BLOCKS_019_UNDONE "DROP TABLE month_blocks_remote; "
/* SQL that takes back db/021-push-backlog.sql. */
#define BACKLOG_021_UNDONE "DROP TABLE push_backlog; "
/* SQL that takes back db/020-compact-audit.sql: the audit table as 016 left
 * it, its rows read back through the view (identical logical rows), its
 * triggers, index and db/006's trigger as they were, the sales' index by
 * customer and time and the reconciliation's index.  The plain hash of each row cannot be recomputed in
 * SQL (SQLite has no SHA-256): the rows keep the hash kept for them (a
 * checkpoint's, the head's) and the others 32 zero bytes, which 020
 * drops again when it runs (it keeps only those two), so the ledger taken
 * back and migrated forward is the one it was, and verifies. */
#define COMPACT_AUDIT_020_UNDONE                                                                \
    "CREATE TEMP TABLE audit_undo AS SELECT id, at, user_id, action, object, detail, "          \
    "coalesce(hash, zeroblob(32)) AS hash, mac FROM audit ORDER BY id; "                        \
    "DROP VIEW audit; DROP TABLE audit_rows; "                    \
    "DROP TABLE audit_checkpoints; DROP TABLE audit_head; DROP TABLE audit_actions; "           \
    "DROP TABLE audit_kinds; DROP TRIGGER IF EXISTS sync_state_pushed_sale; "                   \
    "CREATE TABLE audit (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, user_id INTEGER, "       \
    "action TEXT NOT NULL, object TEXT NOT NULL, detail TEXT NOT NULL, "                        \
    "hash BLOB NOT NULL CHECK (length(hash) = 32), "                                            \
    "mac BLOB CHECK (mac IS NULL OR length(mac) = 32)) STRICT; "                                \
    "INSERT INTO audit SELECT * FROM temp.audit_undo ORDER BY id; DROP TABLE temp.audit_undo; " \
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN "                              \
    "SELECT RAISE(ABORT, 'the audit log is append-only'); END; "                                \
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN "                              \
    "SELECT RAISE(ABORT, 'the audit log is append-only'); END; "                                \
    "CREATE INDEX audit_clears ON audit(object) WHERE action IN ('meter.credit-cleared', "     \
    "'refund.cleared', 'meter.swap'); "                                                         \
    "CREATE TRIGGER sync_state_pushed_sale AFTER UPDATE OF pushed_audit ON sync_state "         \
    "WHEN NEW.pushed_audit > OLD.pushed_audit BEGIN UPDATE sync_state SET pushed_sale = "       \
    "max(pushed_sale, (SELECT coalesce(max(CAST(substr(object, 6) AS INTEGER)), 0) FROM audit " \
    "WHERE id > OLD.pushed_audit AND id <= NEW.pushed_audit AND object LIKE 'sale:%')) "        \
    "WHERE id = 1; END; "                                                                       \
    "DROP INDEX sales_customer; CREATE INDEX sales_customer ON sales(customer_id, created_at); " \
    "CREATE INDEX sales_reconcile ON sales(meter_number, seq, state, base_cumulative, cumulative); "
/* SQL that takes back db/016-compact-ledger.sql: the audit log's prev_hash
 * column back (empty: 016 drops it again) and the sales' index by meter
 * and time. */
#define COMPACT_016_UNDONE "ALTER TABLE audit ADD COLUMN prev_hash BLOB; "                     \
    "CREATE INDEX sales_meter ON sales(meter_number, created_at); "

/* SQL that takes back db/013-unloaded-swap.sql (its CHECK widening finds
 * refunds wide when it runs again). */
#define UNLOADED_013_UNDONE "DROP TABLE refund_tokens; DROP TABLE transfers; "

/* SQL that takes back db/011-sync-records.sql (before MONEY_008_UNDONE,
 * which drops debt_movements). */
#define SYNC_RECORDS_011_UNDONE "DROP TABLE push_cursors; ALTER TABLE debt_movements DROP COLUMN settlement; "

/* SQL that takes back db/010-debt-audit.sql (the debt ledger's opening
 * summary, once written, stays in the audit log: a second one is never
 * asked for). */
#define DEBT_AUDIT_010_UNDONE "DROP TABLE debt_ledger_start; DROP INDEX audit_clears; "

/* SQL straight on the database file, past the core (as an insider would). */
void fx_raw_exec(const char *db, const char *sql);
gint64 fx_raw_int(Fx *f, const char *sql); /* first column of the first row, -1 if none */
/* A ledger taken back, past the core, to the schema before `migration`
 * (db/NNN-x.sql): the station closed, the SQL undo (each statement ending
 * with "; ") run and user_version set, then the station opened again
 * (migrating the file forward) into f->st. */
void fx_migrate_back(Fx *f, const char *undo, const char *migration);

#endif
