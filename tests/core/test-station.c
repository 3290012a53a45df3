/* test-station.c - the station core on real SQLite files: the station file, users and keys, the audit chain, backup and restore. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core-fixture.h"
#include "kv_provision.h"

static void test_db_newer(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    KvStation *st;
    kv_station_free(f->st);
    f->st = NULL;
    fx_raw_exec(f->db, "PRAGMA user_version = 99");
    st = kv_station_open(f->db, NULL, &e);
    g_assert_null(st);
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_NEWER);
    g_assert_cmpint(fx_raw_int(f, "PRAGMA user_version"), ==, 99); /* untouched */
    {
        g_autofree char *back = g_strdup_printf("PRAGMA user_version = %u", kv_station_schema_version());
        fx_raw_exec(f->db, back);
    }
    f->st = kv_station_open(f->db, f->keys, NULL);
    g_assert_nonnull(f->st);
}

static void test_db_corrupt(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *backup = fx_path(f, "backup.db");
    g_autofree char *junk = fx_path(f, "junk.db");
    guint8 garbage[4096];
    int fd;

    g_assert_true(kv_station_backup(f->st, backup, NULL, NULL, NULL, &e));
    g_assert_no_error(e);
    kv_station_free(f->st);
    f->st = NULL;
    /* Overwrite page 2 onwards with garbage: the b-trees break. */
    memset(garbage, 0xA5, sizeof garbage);
    fd = open(f->db, O_WRONLY);
    g_assert_cmpint(fd, >=, 0);
    for (int p = 1; p < 6; p++)
        g_assert_cmpint(pwrite(fd, garbage, sizeof garbage, (off_t)p * 4096), ==, sizeof garbage);
    close(fd);
    g_assert_null(kv_station_open(f->db, NULL, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_CORRUPT);
    g_assert_nonnull(strstr(e->message, "restore"));
    g_clear_error(&e);
    /* The way out: restore the backup. */
    g_assert_true(kv_station_restore(f->db, backup, &e));
    g_assert_no_error(e);
    f->st = kv_station_open(f->db, f->keys, &e);
    g_assert_no_error(e);
    g_assert_true(kv_station_check(f->st, &e));
    /* Not a database at all. */
    g_assert_true(g_file_set_contents(junk, "this is not a database, it is a text file......",
                                      -1, NULL));
    g_assert_null(kv_station_open(junk, NULL, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_CORRUPT);
}

static void test_db_locked(Fx *f, gconstpointer d)
{
    int to_child[2], to_parent[2];
    char c;
    pid_t pid;
    KvCustomer cu = { 0, "B002", "Bob", "", "", 0 };
    g_autoptr(GError) e = NULL;
    g_assert_cmpint(pipe(to_child), ==, 0);
    g_assert_cmpint(pipe(to_parent), ==, 0);
    pid = fork();
    if (pid == 0) {
        /* Another process holds the write lock until told to stop. */
        sqlite3 *h;
        sqlite3_open(f->db, &h);
        sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
        if (write(to_parent[1], "L", 1) != 1 || read(to_child[0], &c, 1) != 1)
            _exit(1);
        sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(h);
        _exit(0);
    }
    g_assert_cmpint(read(to_parent[0], &c, 1), ==, 1);
    g_assert_cmpint(kv_customer_add(f->st, &cu, &e), ==, 0);
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_BUSY);
    g_assert_nonnull(strstr(e->message, "locked"));
    g_assert_cmpint(write(to_child[1], "U", 1), ==, 1);
    waitpid(pid, NULL, 0);
    g_clear_error(&e);
    g_assert_cmpint(kv_customer_add(f->st, &cu, &e), >, 0);
}

static void test_auth_wrong_password_lockout(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    fx_add_user(f, "carol", KV_ROLE_CASHIER);
    for (int i = 0; i < 5; i++) {
        g_assert_false(kv_station_login(f->st, "carol", "wrong-password", &e));
        g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_AUTH);
        g_clear_error(&e);
    }
    /* Locked now, even with the right password. */
    g_assert_false(kv_station_login(f->st, "carol", "carol-password", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_AUTH);
    g_assert_nonnull(strstr(e->message, "locked"));
    g_clear_error(&e);
    g_assert_true(kv_station_login(f->st, "admin", FX_ADMIN_PW, &e));
    g_assert_true(kv_user_unlock(f->st, "carol", &e));
    g_assert_true(kv_station_login(f->st, "carol", "carol-password", &e));
    g_assert_no_error(e);
    /* Unknown login: the same answer as a wrong password. */
    g_assert_false(kv_station_login(f->st, "nobody", "whatever1", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_AUTH);
}

static void test_auth_roles(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvCardLink) blank = fx_blank_card(f, "c2.card");
    g_autofree char *bk = fx_path(f, "b.db");
    g_autofree char *prov = fx_path(f, "p.bin");
    KvMeter m = { 0 };
    KvTariff t = { 0 };
    g_autoptr(KvSale) sale = NULL;
    KvCardRecord *rec;

    fx_add_user(f, "carol", KV_ROLE_CASHIER);
    fx_add_user(f, "sam", KV_ROLE_SUPERVISOR);
    g_assert_true(kv_station_login(f->st, "carol", "carol-password", &e));
    /* A cashier cannot unlock the keys alone... */
    g_assert_false(kv_station_unlock_keys(f->st, FX_PASSPHRASE, NULL, NULL, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    /* ...nor with another cashier as "supervisor"... */
    g_assert_false(kv_station_unlock_keys(f->st, FX_PASSPHRASE, "carol", "carol-password", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    /* ...but with a supervisor's password. */
    g_assert_true(kv_station_unlock_keys(f->st, FX_PASSPHRASE, "sam", "sam-password", &e));
    g_assert_no_error(e);
    m.number = 222222226;
    m.hoarding_limit = 100;
    g_assert_false(kv_meter_add(f->st, &m, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    g_strlcpy(t.code, "X", sizeof t.code);
    t.n_blocks = 1;
    t.blocks[0].price_e4 = 1;
    g_assert_cmpint(kv_tariff_add(f->st, &t, NULL, &e), ==, 0);
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    rec = kv_card_issue(f->st, blank, FX_M2, &e);
    g_assert_null(rec);
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    g_assert_false(kv_station_backup(f->st, bk, NULL, NULL, NULL, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    g_assert_false(kv_meter_provision(f->st, FX_M1, prov, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    g_assert_null(kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    g_assert_false(kv_user_set_role(f->st, "carol", KV_ROLE_ADMIN, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    /* What a cashier may do: sell, in an open shift. */
    g_assert_null(fx_sell(f, card, FX_M1, 10000, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_STATE); /* no shift yet */
    g_clear_error(&e);
    g_assert_cmpint(kv_shift_open(f->st, 0, &e), >, 0);
    sale = fx_sell(f, card, FX_M1, 10000, &e);
    g_assert_no_error(e);
    g_assert_cmpint(sale->state, ==, KV_SALE_COMPLETED);
    g_assert_cmpstr(sale->cashier_login, ==, "carol");
}

static void test_keys(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvKeyring) ring = NULL;
    g_autofree char *hex = fx_path(f, "imported.keys");
    guint v;
    GStatBuf sb;

    g_assert_cmpint(g_stat(f->keys, &sb), ==, 0);
    g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
    /* Wrong passphrase. */
    g_assert_false(kv_station_unlock_keys(f->st, "not the passphrase", NULL, NULL, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_PASSPHRASE);
    g_assert_false(kv_station_keys_unlocked(f->st)); /* the old keys are not kept either */
    g_clear_error(&e);
    /* Passphrase change keeps the key. */
    g_assert_nonnull(ring = kv_keyring_load(f->keys, FX_PASSPHRASE, &e));
    g_assert_true(kv_keyfile_passwd(f->keys, FX_PASSPHRASE, "a new passphrase", &e));
    {
        g_autoptr(KvKeyring) r2 = kv_keyring_load(f->keys, "a new passphrase", &e);
        g_assert_nonnull(r2);
        g_assert_cmpmem(kv_keyring_master(r2, 1), 16, kv_keyring_master(ring, 1), 16);
    }
    g_assert_null(kv_keyring_load(f->keys, FX_PASSPHRASE, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_PASSPHRASE);
    g_clear_error(&e);
    /* Rotation: version 2 added, version 1 kept. */
    v = kv_keyfile_rotate(f->keys, "a new passphrase", &e);
    g_assert_no_error(e);
    g_assert_cmpuint(v, ==, 2);
    {
        g_autoptr(KvKeyring) r3 = kv_keyring_load(f->keys, "a new passphrase", &e);
        g_assert_cmpuint(kv_keyring_current(r3), ==, 2);
        g_assert_cmpmem(kv_keyring_master(r3, 1), 16, kv_keyring_master(ring, 1), 16);
        g_assert_nonnull(kv_keyring_master(r3, 2));
    }
    /* Import: exactly 32 hex digits. */
    g_assert_false(kv_keyfile_import(hex, "00112233", "pass phrase", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    g_assert_true(kv_keyfile_import(hex, "000102030405060708090a0b0c0d0e0f", "pass phrase", &e));
    /* A changed byte in the file is detected (GCM tag). */
    {
        g_autofree char *data = NULL;
        gsize len;
        g_assert_true(g_file_get_contents(hex, &data, &len, NULL));
        data[len - 20] ^= 1;
        g_assert_true(g_file_set_contents(hex, data, (gssize)len, NULL));
        g_assert_null(kv_keyring_load(hex, "pass phrase", &e));
        g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_PASSPHRASE);
    }
}

static void test_audit_tamper(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = fx_sell(f, card, FX_M1, 10000, &e);
    g_autoptr(KvSale) s2 = fx_sell(f, card, FX_M1, 10000, &e);
    g_autoptr(KvAuditReport) r0 = NULL, r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL;
    g_autofree char *anchor = NULL;
    sqlite3 *h;

    r0 = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(r0->problems->len, ==, 0);
    anchor = g_strdup(r0->head_hex);
    /* The triggers refuse edits through SQL... */
    g_assert_cmpint(sqlite3_open(f->db, &h), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(h, "UPDATE audit SET detail = 'x' WHERE id = 3", NULL, NULL, NULL),
                    !=, SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(h, "DELETE FROM audit WHERE id = 3", NULL, NULL, NULL), !=, SQLITE_OK);
    /* (and on the compact storage under the view, db/020) */
    g_assert_cmpint(sqlite3_exec(h, "UPDATE audit_rows SET detail = 'x' WHERE id = 3", NULL, NULL,
                                 NULL), !=, SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(h, "DELETE FROM audit_rows WHERE id = 3", NULL, NULL, NULL), !=,
                    SQLITE_OK);
    /* ...so a forger edits a sale: caught by the cross-check. */
    g_assert_cmpint(sqlite3_exec(h, "UPDATE sales SET amount = amount - 5000, "
                                    "energy_net = energy_net - 5000 WHERE id = 1", NULL, NULL, NULL),
                    ==, SQLITE_OK);
    r1 = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_cmpuint(r1->problems->len, ==, 1);
    g_assert_nonnull(strstr(r1->problems->pdata[0], "sale 1 differs"));
    sqlite3_exec(h, "UPDATE sales SET amount = amount + 5000, energy_net = energy_net + 5000 "
                    "WHERE id = 1", NULL, NULL, NULL);
    /* Drops the triggers and edits an audit row: hash mismatch. */
    g_assert_cmpint(sqlite3_exec(h, "DROP TRIGGER audit_rows_no_update; DROP TRIGGER audit_rows_no_delete; "
                                    "UPDATE audit_rows SET detail = detail || ' ' WHERE id = 4",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
    r2 = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_cmpuint(r2->problems->len, >=, 1);
    g_assert_nonnull(strstr(r2->problems->pdata[0], "audit row 4"));
    /* Deletes a row in the middle. */
    sqlite3_exec(h, "UPDATE audit_rows SET detail = rtrim(detail) WHERE id = 4", NULL, NULL, NULL);
    g_assert_cmpint(sqlite3_exec(h, "DELETE FROM audit_rows WHERE id = 5", NULL, NULL, NULL), ==,
                    SQLITE_OK);
    r3 = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_cmpuint(r3->problems->len, >=, 1);
    g_assert_nonnull(strstr(r3->problems->pdata[0], "missing"));
    /* Rewrites the whole chain after deleting the last sale's rows: the
     * printed anchor is gone. */
    sqlite3_close(h);
    r4 = kv_audit_verify(f->st, anchor, NULL, NULL, NULL, &e);
    g_assert_cmpuint(r4->problems->len, >=, 1);
    (void)s1;
    (void)s2;
}

/* Cancel a restore from its first progress step. */
static void cancel_on_progress(guint64 done, guint64 total, const char *what, gpointer data)
{
    g_cancellable_cancel(data);
}

/* A restore cancelled mid-copy leaves the live ledger as it was (here: with
 * the sale made after the backup) and no temporary file. */
static void test_restore_cancelled(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autofree char *bk = fx_path(f, "backup.db");
    g_autofree char *tmp = g_strconcat(f->db, ".restoring", NULL);
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    g_autoptr(KvSale) s1 = NULL;

    g_assert_true(kv_station_backup(f->st, bk, NULL, NULL, NULL, &e));
    g_assert_no_error(e);
    s1 = fx_sell(f, card, FX_M1, 10000, &e);
    g_assert_nonnull(s1);
    kv_station_free(f->st);
    f->st = NULL;
    g_assert_false(kv_station_restore_full(f->db, bk, cancel_on_progress, cancel, cancel, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_CANCELLED);
    g_clear_error(&e);
    g_assert_true(g_cancellable_is_cancelled(cancel));
    g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM sales"), ==, 1);
    f->st = kv_station_open(f->db, f->keys, &e);
    g_assert_no_error(e);
}

static void test_backup_restore(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autofree char *bk = fx_path(f, "backup.db");
    g_autoptr(KvSale) s1 = fx_sell(f, card, FX_M1, 10000, &e);
    g_assert_nonnull(s1);
    g_autoptr(KvSale) s2 = NULL;
    g_assert_true(kv_station_backup(f->st, bk, NULL, NULL, NULL, &e));
    g_assert_no_error(e);
    g_assert_false(kv_station_backup(f->st, bk, NULL, NULL, NULL, &e)); /* never overwrites */
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS);
    g_clear_error(&e);
    s2 = fx_sell(f, card, FX_M1, 10000, &e);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM sales"), ==, 2);
    kv_station_free(f->st);
    f->st = NULL;
    g_assert_true(kv_station_restore(f->db, bk, &e));
    g_assert_no_error(e);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM sales"), ==, 1);
    f->st = kv_station_open(f->db, f->keys, &e);
    g_assert_no_error(e);
    g_assert_true(kv_station_login(f->st, "admin", FX_ADMIN_PW, &e));
    {
        g_autoptr(KvAuditReport) r = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
        g_assert_cmpuint(r->problems->len, ==, 0);
    }
    {
        g_autofree char *before = g_strconcat(f->db, ".before-restore", NULL);
        g_assert_true(g_file_test(before, G_FILE_TEST_EXISTS));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    fx_add("/db/newer-version", test_db_newer);
    fx_add("/db/corrupt-and-restore", test_db_corrupt);
    fx_add("/db/locked-by-another-process", test_db_locked);
    fx_add("/auth/wrong-password-lockout", test_auth_wrong_password_lockout);
    fx_add("/auth/roles", test_auth_roles);
    fx_add("/keys/passphrase-passwd-rotate-import", test_keys);
    fx_add("/audit/tamper", test_audit_tamper);
    fx_add("/backup/round-trip", test_backup_restore);
    fx_add("/backup/restore-cancelled", test_restore_cancelled);
    return g_test_run();
}
