/* test-insiders.c - the station's insiders (docs/security-model.md, "Station
 * insiders"): guessing a supervisor's password or the key file passphrase
 * through the unlock path, and rewriting or cutting the audit log with
 * SQL on the ledger file (triggers dropped, as a cashier with a sqlite3
 * shell can). */
#include <string.h>

#include <sqlite3.h>

#include "core-fixture.h"
#include "kv-audit-private.h"

/* A cashier's station: carol added and signed in, the keys locked (as
 * before a supervisor opens the shift). */
static KvStation *cashier_station(Fx *f)
{
    g_autoptr(GError) e = NULL;
    KvStation *st;

    fx_add_user(f, "carol", KV_ROLE_CASHIER);
    st = kv_station_open(f->db, f->keys, &e);
    g_assert_no_error(e);
    g_assert_true(kv_station_login(st, "carol", "carol-password", &e));
    g_assert_no_error(e);
    return st;
}

/* One unlock attempt; returns the error's message (the code is AUTH). */
static char *unlock_fails(KvStation *st, const char *sup, const char *pw, const char *pass)
{
    g_autoptr(GError) e = NULL;
    gint64 t0 = g_get_monotonic_time();
    g_assert_false(kv_station_unlock_keys(st, pass, sup, pw, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_AUTH);
    g_assert_false(kv_station_keys_unlocked(st));
    g_test_message("%s / %s: %.0f ms: %s", pw, pass, (g_get_monotonic_time() - t0) / 1000.0,
                   e->message);
    return g_strdup(e->message);
}

/* Finding 4: a cashier guesses a supervisor's password (or the passphrase)
 * through the open-shift unlock.  A wrong password and a wrong passphrase
 * give the same answer, every failure is counted and audited, the fifth
 * locks the supervisor out, and then even the right password and
 * passphrase are refused. */
static void test_supervisor_guessing(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvStation) st = NULL;
    g_autofree char *wrong_pw = NULL, *wrong_pass = NULL, *locked = NULL;

    fx_add_user(f, "kofi", KV_ROLE_SUPERVISOR);
    fx_add_user(f, "efua", KV_ROLE_SUPERVISOR);
    st = cashier_station(f);

    /* Same answer: kofi's password wrong / efua's password right but the
     * passphrase wrong. */
    wrong_pw = unlock_fails(st, "kofi", "guess-0001", FX_PASSPHRASE);
    wrong_pass = unlock_fails(st, "efua", "efua-password", "guess passphrase");
    g_assert_cmpstr(wrong_pw, ==, wrong_pass);
    g_assert_nonnull(strstr(wrong_pw, "4 tries left"));
    /* An unknown supervisor: the same words, without a count. */
    {
        g_autofree char *nobody = unlock_fails(st, "nobody", "guess-0001", FX_PASSPHRASE);
        g_assert_true(g_str_has_prefix(wrong_pw, nobody));
    }
    /* Guessing on: the fifth failure locks kofi out. */
    for (int i = 2; i <= 5; i++) {
        g_autofree char *pw = g_strdup_printf("guess-%04d", i);
        g_autofree char *m = unlock_fails(st, "kofi", pw, i % 2 ? FX_PASSPHRASE : "x");
        if (i == 5)
            g_assert_nonnull(strstr(m, "now locked out"));
    }
    /* Locked: the right password and passphrase do not unlock. */
    locked = unlock_fails(st, "kofi", "kofi-password", FX_PASSPHRASE);
    g_assert_nonnull(strstr(locked, "locked out"));
    /* Nor does a sign-in as kofi: one counter. */
    {
        g_autoptr(KvStation) other = kv_station_open(f->db, NULL, &e);
        g_assert_false(kv_station_login(other, "kofi", "kofi-password", &e));
        g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_AUTH);
        g_clear_error(&e);
    }
    /* Audited: 4 failures and the lockout for kofi, 1 failure for efua,
     * each saying where it came from. */
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE object = 'user:kofi' AND "
                              "action = 'user.login-failed' AND detail LIKE "
                              "'%via=supervisor-unlock'"), ==, 4);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE object = 'user:kofi' AND "
                              "action = 'user.lockout' AND detail LIKE "
                              "'%via=supervisor-unlock'"), ==, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE object = 'user:efua' AND "
                              "action = 'user.login-failed'"), ==, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT failed_logins FROM users WHERE login = 'kofi'"), ==, 5);

    /* efua, with both right, unlocks; her count starts again. */
    g_assert_true(kv_station_unlock_keys(st, FX_PASSPHRASE, "efua", "efua-password", &e));
    g_assert_no_error(e);
    g_assert_cmpint(fx_raw_int(f, "SELECT failed_logins FROM users WHERE login = 'efua'"), ==, 0);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'keys.unlock' AND "
                              "detail LIKE 'by=efua %'"), ==, 1);
}

/* A cashier's password, right, still does not unlock (a supervisor's role
 * is needed), and a wrong one counts on the cashier's account. */
static void test_cashier_cannot_unlock(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvStation) st = NULL;
    st = cashier_station(f);
    g_assert_false(kv_station_unlock_keys(st, FX_PASSPHRASE, "carol", "carol-password", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    g_free(unlock_fails(st, "carol", "wrong-password", FX_PASSPHRASE));
    g_assert_cmpint(fx_raw_int(f, "SELECT failed_logins FROM users WHERE login = 'carol'"), ==, 1);
}

/* The signed-in supervisor's own unlock: the passphrase is counted on their
 * account too (five wrong ones lock it), audited via=key-unlock. */
static void test_passphrase_guessing(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    kv_station_lock_keys(f->st);
    for (int i = 1; i <= 5; i++) {
        g_assert_false(kv_station_unlock_keys(f->st, "guess", NULL, NULL, &e));
        g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_PASSPHRASE);
        if (i == 5)
            g_assert_nonnull(strstr(e->message, "now locked out"));
        g_clear_error(&e);
    }
    g_assert_false(kv_station_unlock_keys(f->st, FX_PASSPHRASE, NULL, NULL, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_AUTH);
    g_assert_nonnull(strstr(e->message, "locked out"));
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE object = 'user:admin' AND "
                              "action IN ('user.login-failed', 'user.lockout') AND detail LIKE "
                              "'%via=key-unlock'"), ==, 5);
}

/* A session left open is no way round the count either: the old password
 * asked when changing one's own is counted like a sign-in. */
static void test_old_password_guessing(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvStation) st = NULL;
    st = cashier_station(f);
    for (int i = 1; i <= 5; i++) {
        g_assert_false(kv_user_set_password(st, "carol", "guess-password", "new-password1", &e));
        g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_AUTH);
        g_clear_error(&e);
    }
    g_assert_false(kv_user_set_password(st, "carol", "carol-password", "new-password1", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_AUTH);
    g_assert_nonnull(strstr(e->message, "locked out"));
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE object = 'user:carol' AND "
                              "action IN ('user.login-failed', 'user.lockout')"), ==, 5);
}

/* ---- the audit log ---- */

static KvAuditReport *verify(Fx *f, const char *head)
{
    g_autoptr(GError) e = NULL;
    KvAuditReport *r = kv_audit_verify(f->st, head, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    for (guint i = 0; i < r->problems->len; i++)
        g_test_message("problem: %s", (char *)r->problems->pdata[i]);
    return r;
}

static gboolean has_problem(KvAuditReport *r, const char *text)
{
    for (guint i = 0; i < r->problems->len; i++)
        if (strstr(r->problems->pdata[i], text))
            return TRUE;
    return FALSE;
}

/* What an insider with the file and the source can compute: the plain
 * chain, hash = SHA-256(prev_hash || "id|at|user|action|object|detail"),
 * prev_hash the row before's hash, over the logical rows (the view audit,
 * db/020), the hashes kept (checkpoints, head) rewritten from row `from`
 * to the end after an edit. */
static void recompute_plain_chain(Fx *f, gint64 from)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL, *u = NULL, *hd = NULL;
    guint8 prev[32] = { 0 };
    g_assert_cmpint(sqlite3_open(f->db, &h), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_prepare_v2(h, "SELECT id, at, coalesce(user_id, 0), action, object, "
                                          "detail FROM audit ORDER BY id", -1, &q, NULL),
                    ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_prepare_v2(h, "UPDATE audit_checkpoints SET hash = ? WHERE id = ?",
                                       -1, &u, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_prepare_v2(h, "UPDATE audit_head SET hash = ? WHERE id = ?",
                                       -1, &hd, NULL), ==, SQLITE_OK);
    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
    while (sqlite3_step(q) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(q, 0);
        guint8 hash[32];
        kv_audit_row_hash(prev, id, sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2),
                          (const char *)sqlite3_column_text(q, 3),
                          (const char *)sqlite3_column_text(q, 4),
                          (const char *)sqlite3_column_text(q, 5), hash);
        for (int i = 0; id >= from && i < 2; i++) {
            sqlite3_stmt *w = i ? hd : u;
            sqlite3_bind_blob(w, 1, hash, 32, SQLITE_TRANSIENT);
            sqlite3_bind_int64(w, 2, id);
            g_assert_cmpint(sqlite3_step(w), ==, SQLITE_DONE);
            sqlite3_reset(w);
        }
        memcpy(prev, hash, 32);
    }
    sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    sqlite3_finalize(q);
    sqlite3_finalize(u);
    sqlite3_finalize(hd);
    sqlite3_close(h);
}

/* The compact storage's guards (db/020), dropped as an insider would. */
#define DROP_TRIGGERS                                                                  \
    "DROP TRIGGER audit_rows_no_update; DROP TRIGGER audit_rows_no_delete; "           \
    "DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete; "

/* Finding 6: the newest rows deleted (triggers dropped).  The chain that is
 * left is whole, so verify alone cannot tell; the head exported before
 * (Z report, `audit head`) is no longer reached, and verify names the rows
 * that are gone. */
static void test_audit_tail_deleted(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = fx_sell(f, card, FX_M1, 10000, &e);
    g_autoptr(KvAuditReport) r0 = NULL, r1 = NULL, r2 = NULL, r3 = NULL;
    g_autofree char *head = NULL, *bare = NULL;
    gint64 last, keep;

    g_assert_no_error(e);
    g_assert_nonnull(s1);
    /* Three wrong passwords for carol: the rows the insider will hide. */
    fx_add_user(f, "carol", KV_ROLE_CASHIER);
    {
        g_autoptr(KvStation) other = kv_station_open(f->db, NULL, &e);
        for (int i = 0; i < 3; i++) {
            g_assert_false(kv_station_login(other, "carol", "guess-password", &e));
            g_clear_error(&e);
        }
    }
    r0 = verify(f, NULL);
    g_assert_cmpuint(r0->problems->len, ==, 0);
    g_assert_true(r0->keyed);
    head = kv_audit_head(f->st, &e);
    g_assert_cmpstr(head, ==, r0->head);
    last = fx_raw_int(f, "SELECT max(id) FROM audit");
    keep = last - 3;
    /* The insider deletes the last three rows. */
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE id > (SELECT max(id) - 3 FROM "
                              "audit) AND action = 'user.login-failed'"), ==, 3);
    /* ... and moves the head kept with the last row back to the row left
     * last (its hash is the plain chain's: anyone can compute it). */
    fx_raw_exec(f->db, DROP_TRIGGERS "DELETE FROM audit_rows WHERE id > (SELECT max(id) - 3 FROM "
                       "audit_rows); DELETE FROM audit_checkpoints WHERE id > (SELECT max(id) "
                       "FROM audit_rows); UPDATE audit_head SET id = (SELECT max(id) FROM "
                       "audit_rows)");
    recompute_plain_chain(f, keep);
    r1 = verify(f, NULL);
    g_assert_cmpuint(r1->problems->len, ==, 0); /* what the finding was about */
    r2 = verify(f, head);
    g_assert_cmpuint(r2->problems->len, ==, 1);
    {
        g_autofree char *want = g_strdup_printf("rows %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
                                                " were deleted", keep + 1, last);
        g_assert_true(has_problem(r2, want));
    }
    /* A head printed before the row number was part of it: still caught. */
    bare = g_strdup(strchr(head, '-') + 1);
    r3 = verify(f, bare);
    g_assert_true(has_problem(r3, "is not in the log"));
}

/* Finding 6: a row rewritten and the plain chain recomputed from it to the
 * end.  Without keys nor head nothing shows; with the keys the first keyed
 * row from there fails its MAC (named); with the exported head the head's
 * row no longer matches (named). */
static void test_audit_rewrite_recomputed(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = fx_sell(f, card, FX_M1, 10000, &e);
    g_autoptr(KvAuditReport) plain = NULL, keyed = NULL, anchored = NULL;
    g_autofree char *head = kv_audit_head(f->st, &e);
    g_autofree char *want = NULL, *want_head = NULL;
    gint64 row = fx_raw_int(f, "SELECT min(id) FROM audit WHERE action = 'shift.open'");
    gint64 last = fx_raw_int(f, "SELECT max(id) FROM audit");

    g_assert_no_error(e);
    g_assert_nonnull(s1);
    /* The shift opened with a float of 1000.00 instead of 0: cash to take. */
    {
        g_autofree char *sql = g_strdup_printf(DROP_TRIGGERS "UPDATE audit_rows SET detail = "
                                               "'float=100000' WHERE id = %" G_GINT64_FORMAT, row);
        fx_raw_exec(f->db, sql);
    }
    recompute_plain_chain(f, row);
    kv_station_lock_keys(f->st);
    plain = verify(f, NULL);
    g_assert_false(plain->keyed);
    g_assert_cmpuint(plain->problems->len, ==, 0); /* the plain chain is fooled */
    g_assert_cmpint(plain->covered_to, ==, last);  /* the MACs are still there */
    g_assert_true(kv_station_unlock_keys(f->st, FX_PASSPHRASE, NULL, NULL, &e));
    g_assert_no_error(e);
    keyed = verify(f, NULL);
    g_assert_true(keyed->keyed);
    want = g_strdup_printf("audit row %" G_GINT64_FORMAT " (shift.open shift:1): its keyed MAC "
                           "does not match: the row was changed", row);
    g_assert_true(has_problem(keyed, want));
    g_assert_true(has_problem(keyed, "fail their MAC as well"));
    kv_station_lock_keys(f->st);
    anchored = verify(f, head);
    want_head = g_strdup_printf("audit row %" G_GINT64_FORMAT " is not the exported head", last);
    g_assert_true(has_problem(anchored, want_head));
}

/* The same, with the MACs from the rewritten row on removed as well, so
 * that the tail looks written while the keys were locked: a sale's first
 * row is never written so, and verify says its MAC was removed. */
static void test_audit_macs_stripped(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = fx_sell(f, card, FX_M1, 10000, &e);
    g_autoptr(KvAuditReport) r = NULL;
    gint64 row = fx_raw_int(f, "SELECT min(id) FROM audit WHERE action = 'shift.open'");
    g_autofree char *sql = g_strdup_printf(
        DROP_TRIGGERS "UPDATE audit_rows SET detail = 'float=100000' WHERE id = %" G_GINT64_FORMAT ";"
        "UPDATE audit_rows SET mac = NULL WHERE id >= %" G_GINT64_FORMAT, row, row);

    g_assert_no_error(e);
    g_assert_nonnull(s1);
    fx_raw_exec(f->db, sql);
    recompute_plain_chain(f, row);
    r = verify(f, NULL);
    g_assert_cmpint(r->covered_to, <, row);
    g_assert_true(has_problem(r, "(sale.pending sale:1) is always written with the keys "
                                 "unlocked but has no keyed MAC"));
}

/* Rows written while the keys are locked have no MAC; the next unlock's
 * keys.unlock row covers them, so an edit made to one of them before that
 * unlock but after it was covered shows. */
static void test_audit_locked_rows_covered(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvAuditReport) r0 = NULL, r1 = NULL, r2 = NULL;
    gint64 user_row;

    kv_station_lock_keys(f->st);
    fx_add_user(f, "dora", KV_ROLE_CASHIER); /* written locked */
    user_row = fx_raw_int(f, "SELECT max(id) FROM audit");
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE mac IS NULL AND id = "
                              "(SELECT max(id) FROM audit)"), ==, 1);
    g_assert_true(kv_station_unlock_keys(f->st, FX_PASSPHRASE, NULL, NULL, &e));
    g_assert_no_error(e);
    r0 = verify(f, NULL);
    g_assert_cmpuint(r0->problems->len, ==, 0);
    g_assert_cmpint(r0->covered_to, ==, user_row + 1); /* the keys.unlock row */
    /* dora made an admin in the log, chain recomputed: the unlock row's MAC
     * no longer matches. */
    {
        g_autofree char *sql = g_strdup_printf(DROP_TRIGGERS "UPDATE audit_rows SET detail = "
                                               "'role=admin' WHERE id = %" G_GINT64_FORMAT,
                                               user_row);
        fx_raw_exec(f->db, sql);
    }
    recompute_plain_chain(f, user_row);
    r1 = verify(f, NULL);
    {
        g_autofree char *want = g_strdup_printf("audit row %" G_GINT64_FORMAT " (keys.unlock keys)"
                                                ": its keyed MAC does not match: a row from %"
                                                G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                                                " was changed", user_row + 1, user_row,
                                                user_row + 1);
        g_assert_true(has_problem(r1, want));
    }
    /* Another key file (another passphrase, its own master key) cannot
     * vouch for this log: every MAC fails. */
    {
        g_autofree char *other = fx_path(f, "other.keys");
        g_autoptr(KvStation) st = NULL;
        g_assert_true(kv_keyfile_generate(other, "another passphrase", &e));
        st = kv_station_open(f->db, other, &e);
        g_assert_true(kv_station_login(st, "admin", FX_ADMIN_PW, &e));
        g_assert_true(kv_station_unlock_keys(st, "another passphrase", NULL, NULL, &e));
        g_assert_no_error(e);
        r2 = kv_audit_verify(st, NULL, NULL, NULL, NULL, &e);
        g_assert_true(has_problem(r2, "its keyed MAC does not match"));
    }
}

/* A ledger from before the keyed chain (schema without audit.mac): opened,
 * migrated (004-audit-key.sql), its old rows verify, and the first unlock
 * covers them. */
static void test_audit_migration(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvAuditReport) r = NULL;
    guint v = kv_station_schema_version();

    /* Back to the schema before 004: no mac column, no MACs; and so before
     * the migrations after it (009-lifecycle.sql: its tables (its CHECK
     * widening finds them wide); 008-money.sql: its tables, triggers and the
     * customers' columns; 007-key-holdings.sql and 006-sync.sql: their
     * tables; 005-issued.sql: its tables and indexes; its rebuild of the
     * sales table runs again on the empty table, without the columns
     * 008-money.sql adds again with its tables). */
    fx_migrate_back(f, BACKLOG_021_UNDONE COMPACT_AUDIT_020_UNDONE MONTH_BLOCKS_019_UNDONE COMPACT_016_UNDONE FREE_015_UNDONE EMERGENCY_014_UNDONE UNLOADED_013_UNDONE SYNC_RECORDS_011_UNDONE DEBT_AUDIT_010_UNDONE LIFECYCLE_009_UNDONE MONEY_008_UNDONE "DROP TABLE key_holdings; DROP TABLE sync_state; "
                       "DROP TABLE meter_remote; ALTER TABLE audit DROP COLUMN mac; "
                       "DROP TABLE base_adoptions; DROP TABLE anomalies; "
                       "DROP INDEX sales_issued; DROP INDEX sales_reconcile; ",
                    "004-audit-key.sql");
    g_assert_cmpint(fx_raw_int(f, "PRAGMA user_version"), ==, v);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE mac IS NOT NULL"), ==, 0);
    g_assert_true(kv_station_login(f->st, "admin", FX_ADMIN_PW, &e));
    g_assert_true(kv_station_unlock_keys(f->st, FX_PASSPHRASE, NULL, NULL, &e));
    g_assert_no_error(e);
    r = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(r->problems->len, ==, 0);
    g_assert_cmpint(r->covered_to, ==, fx_raw_int(f, "SELECT max(id) FROM audit"));
    g_assert_cmpuint(r->rows_keyed, ==, 1);
}

/* Compact audit chain: a sale's audit detail ends with its card serial; a
 * sale whose serial was cut short by an insider (1048577 now, 104857...
 * read as a prefix of what was audited) differs from its audit record. */
static void test_audit_sale_number_cut_short(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = fx_sell(f, card, FX_M1, 10000, &e);
    g_autoptr(KvAuditReport) r0 = NULL, r1 = NULL;
    g_autofree char *sql = NULL, *want = NULL;

    g_assert_no_error(e);
    g_assert_cmpuint(s1->card_serial, >=, 10);
    r0 = verify(f, NULL);
    g_assert_cmpuint(r0->problems->len, ==, 0);
    sql = g_strdup_printf("UPDATE sales SET card_serial = card_serial / 10 WHERE id = %"
                          G_GINT64_FORMAT, s1->id);
    fx_raw_exec(f->db, sql);
    r1 = verify(f, NULL);
    want = g_strdup_printf("sale %" G_GINT64_FORMAT " differs from its audit record", s1->id);
    g_assert_true(has_problem(r1, want));
}

/* Compact audit chain: the sale rows written before db/016 carry their
 * detail in the first form ("state=S amount=A ..."); such a sale still
 * verifies, and an insider's edit of it is still reported. */
static void test_audit_first_form_details(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = fx_sell(f, card, FX_M1, 10000, &e);
    g_autoptr(KvAuditReport) r0 = NULL, r1 = NULL;
    g_autofree char *obj = NULL, *old = NULL, *sql = NULL, *want = NULL;

    g_assert_no_error(e);
    g_assert_nonnull(s1);
    obj = g_strdup_printf("sale:%" G_GINT64_FORMAT, s1->id);
    old = g_strdup_printf("state=completed amount=%" G_GINT64_FORMAT " energy=%" G_GINT64_FORMAT
                          " seq=%u cumulative=%u card=%u", s1->breakdown.amount,
                          s1->breakdown.energy, s1->seq, s1->cumulative, s1->card_serial);
    /* the sale's last row as a station before db/016 wrote it */
    g_assert_true(kv_audit_record(f->st, "sale.completed", obj, old, &e));
    g_assert_no_error(e);
    r0 = verify(f, NULL);
    g_assert_cmpuint(r0->problems->len, ==, 0);
    sql = g_strdup_printf("UPDATE sales SET amount = amount + 500, energy_net = energy_net + 500 "
                          "WHERE id = %" G_GINT64_FORMAT, s1->id);
    fx_raw_exec(f->db, sql);
    r1 = verify(f, NULL);
    want = g_strdup_printf("audited '%s'", old);
    g_assert_true(has_problem(r1, want));
}

/* ---- Compact audit storage (db/020): attacks on what it stores ---- */

/* A log of more than one checkpoint block: a sale (its completed row's
 * detail read from its pending row's) and 70 rows of their own; verify
 * keyed finds nothing (every row read back is the text its MAC was made
 * over). */
static void compact_log(Fx *f)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = fx_sell(f, card, FX_M1, 10000, &e);
    g_autoptr(KvAuditReport) r = NULL;
    g_assert_no_error(e);
    g_assert_nonnull(s1);
    for (int i = 0; i < 70; i++) {
        g_autofree char *obj = g_strdup_printf("meter:%09d", i);
        g_assert_true(kv_audit_record(f->st, "meter.reading", obj, "n=1", &e));
    }
    g_assert_no_error(e);
    r = verify(f, NULL);
    g_assert_cmpuint(r->problems->len, ==, 0);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit_checkpoints"), >=, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit_rows WHERE typeof(detail) = "
                              "'integer'"), >=, 1);
}

/* Every logical row is the text written: the rows read back through the
 * view hash (keyed MACs) as they were written, of each form: a sale's
 * row read from the row before it, a sale's row whose state is not its
 * action's (kept as text), objects with leading zeros and without a
 * number; kv_audit_iter (what head office receives) reads them all. */
static void test_compact_rows_identical(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvAuditIter) it = NULL;
    const KvAuditRow *row;
    gint64 n = 0;
    compact_log(f);
    g_assert_true(kv_audit_record(f->st, "note", "meter:000000999", "x", &e));
    g_assert_true(kv_audit_record(f->st, "note", "sale:0042", "state=odd", &e));
    g_assert_true(kv_audit_record(f->st, "note", "a%d:5", "", &e));
    g_assert_true(kv_audit_record(f->st, "sale.odd", "sale:1", "even 1 2", &e));
    g_assert_true(kv_audit_record(f->st, "sale.even", "sale:1", "even 1 2", &e));
    g_assert_true(kv_audit_record(f->st, "sale.even", "sale:1", "even 1 3", &e));
    g_assert_true(kv_audit_record(f->st, "sale.x", "sale:1", "x", &e));
    g_assert_no_error(e);
    it = kv_audit_iter_new(f->st, 1, 0, &e);
    while ((row = kv_audit_iter_next(it, &e)))
        n++;
    g_assert_no_error(e);
    g_assert_cmpint(n, ==, fx_raw_int(f, "SELECT max(id) FROM audit_rows"));
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE object IN "
                              "('meter:000000999', 'sale:0042', 'a%d:5')"), ==, 3);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit_rows WHERE typeof(object) = 'text'"),
                    >=, 2);
    /* "even 1 2" after "even 1 2" is read from it; the others are text */
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'sale.even' AND "
                              "detail = 'even 1 2'"), ==, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT detail FROM audit_rows WHERE id = (SELECT max(id) - 2 "
                              "FROM audit_rows)"), ==, 1);
    {
        /* every MAC holds; only sale 1's last row ("x") is not the sale */
        g_autoptr(KvAuditReport) r = verify(f, NULL);
        g_assert_true(r->keyed);
        g_assert_cmpuint(r->problems->len, ==, 1);
        g_assert_true(has_problem(r, "audited 'x'"));
    }
}

/* The guards of the compact storage dropped, `sql` run on it: verify keyed
 * and verify without keys both report it (want: in the keyed report). */
static void compact_attack(Fx *f, const char *sql, const char *want)
{
    g_autoptr(KvAuditReport) keyed = NULL, plain = NULL;
    g_autofree char *all = g_strconcat(DROP_TRIGGERS, sql, NULL);
    compact_log(f);
    fx_raw_exec(f->db, all);
    keyed = verify(f, NULL);
    g_assert_true(keyed->keyed);
    g_assert_true(has_problem(keyed, want));
    kv_station_lock_keys(f->st);
    plain = verify(f, NULL);
    g_assert_false(plain->keyed);
    g_assert_cmpuint(plain->problems->len, >=, 1);
}

/* An insider turns a sale's pending row into a completed one by its
 * stored action number. */
static void test_compact_action_id_edited(Fx *f, gconstpointer d)
{
    compact_attack(f, "UPDATE audit_rows SET action = (SELECT id FROM audit_actions WHERE "
                      "name = 'sale.completed') WHERE action = (SELECT id FROM audit_actions "
                      "WHERE name = 'sale.pending')", "keyed MAC");
}

/* ... points a row at another meter by its stored object number. */
static void test_compact_object_number_edited(Fx *f, gconstpointer d)
{
    compact_attack(f, "UPDATE audit_rows SET object = object + 1 WHERE id = (SELECT max(id) - 20 "
                      "FROM audit_rows)", "keyed MAC");
}

/* ... renames an action for every row at once. */
static void test_compact_action_name_edited(Fx *f, gconstpointer d)
{
    compact_attack(f, "DROP TRIGGER audit_actions_no_update; UPDATE audit_actions SET name = "
                      "'meter.unread' WHERE name = 'meter.reading'", "its keyed MAC does not match");
}

/* ... replaces a checkpoint's kept hash (the walk recomputes it). */
static void test_compact_checkpoint_edited(Fx *f, gconstpointer d)
{
    compact_attack(f, "UPDATE audit_checkpoints SET hash = zeroblob(32) WHERE id = 64",
                   "audit row 64 (");
}

/* ... deletes a row in the middle, its checkpoint and head as they were. */
static void test_compact_row_deleted(Fx *f, gconstpointer d)
{
    compact_attack(f, "DELETE FROM audit_rows WHERE id = 30", "audit rows 30..30 are missing");
}

/* ... deletes the newest rows and leaves the head kept with the last. */
static void test_compact_tail_deleted_head_kept(Fx *f, gconstpointer d)
{
    compact_attack(f, "DELETE FROM audit_rows WHERE id > (SELECT max(id) - 2 FROM audit_rows)",
                   "were deleted");
}

/* ... edits the pending row's detail, from which the completed row's is
 * read: both rows change, the sale differs from both. */
static void test_compact_derived_sale_edited(Fx *f, gconstpointer d)
{
    compact_attack(f, "UPDATE audit_rows SET detail = replace(detail, ' ', '  ') WHERE id = "
                      "(SELECT id - detail FROM audit_rows WHERE typeof(detail) = 'integer' "
                      "LIMIT 1)", "sale 1 differs from its audit record");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    fx_add("/insiders/unlock/supervisor-guessing", test_supervisor_guessing);
    fx_add("/insiders/unlock/cashier-cannot", test_cashier_cannot_unlock);
    fx_add("/insiders/unlock/passphrase-guessing", test_passphrase_guessing);
    fx_add("/insiders/unlock/old-password-guessing", test_old_password_guessing);
    fx_add("/insiders/audit/tail-deleted", test_audit_tail_deleted);
    fx_add("/insiders/audit/rewrite-recomputed", test_audit_rewrite_recomputed);
    fx_add("/insiders/audit/macs-stripped", test_audit_macs_stripped);
    fx_add("/insiders/audit/locked-rows-covered", test_audit_locked_rows_covered);
    fx_add("/insiders/audit/migration", test_audit_migration);
    fx_add("/insiders/audit/sale-number-cut-short", test_audit_sale_number_cut_short);
    fx_add("/insiders/audit/first-form-details", test_audit_first_form_details);
    fx_add("/insiders/audit/compact-rows-identical", test_compact_rows_identical);
    fx_add("/insiders/audit/compact-action-id-edited", test_compact_action_id_edited);
    fx_add("/insiders/audit/compact-object-number-edited", test_compact_object_number_edited);
    fx_add("/insiders/audit/compact-action-name-edited", test_compact_action_name_edited);
    fx_add("/insiders/audit/compact-checkpoint-edited", test_compact_checkpoint_edited);
    fx_add("/insiders/audit/compact-row-deleted", test_compact_row_deleted);
    fx_add("/insiders/audit/compact-tail-deleted-head-kept", test_compact_tail_deleted_head_kept);
    fx_add("/insiders/audit/compact-derived-sale-edited", test_compact_derived_sale_edited);
    return g_test_run();
}
