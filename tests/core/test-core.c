/* test-core.c - the station core on real SQLite files: database lifecycle,
 * users and roles, keys, registry, selling, tearing, cancelling, replacing,
 * batch issue, audit tampering, backup and restore. */
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

#define ADD(path, fn) g_test_add(path, Fx, NULL, fx_setup, fn, fx_teardown)

static void raw_exec(const char *db, const char *sql)
{
    sqlite3 *h;
    char *err = NULL;
    g_assert_cmpint(sqlite3_open(db, &h), ==, SQLITE_OK);
    if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
        g_error("%s: %s", sql, err);
    sqlite3_close(h);
}

static gint64 raw_int(Fx *f, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *s;
    gint64 v = -1;
    g_assert_cmpint(sqlite3_open(f->db, &h), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_prepare_v2(h, sql, -1, &s, NULL), ==, SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return v;
}

/* ---- database ---- */

static void test_db_newer(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    KvStation *st;
    kv_station_free(f->st);
    f->st = NULL;
    raw_exec(f->db, "PRAGMA user_version = 99");
    st = kv_station_open(f->db, NULL, &e);
    g_assert_null(st);
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_NEWER);
    g_assert_cmpint(raw_int(f, "PRAGMA user_version"), ==, 99); /* untouched */
    {
        g_autofree char *back = g_strdup_printf("PRAGMA user_version = %u", kv_station_schema_version());
        raw_exec(f->db, back);
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

/* ---- users, roles, keys ---- */

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

/* ---- registry ---- */

static void test_registry(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    KvMeter m = { 0 };
    KvCustomer c = { 0, "A001", "Dup", "", "", 0 };
    guint32 n;
    g_autofree char *csv = fx_path(f, "meters.csv");
    g_autoptr(GPtrArray) rows = NULL, hits = NULL;

    g_assert_false(kv_meter_number_parse("123456789", &n, &e)); /* check digit should be 2 */
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_assert_nonnull(strstr(e->message, "should be 2"));
    g_clear_error(&e);
    g_assert_false(kv_meter_number_parse("12345678", &n, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    g_assert_false(kv_meter_number_parse("12345678a", &n, &e));
    g_clear_error(&e);
    g_assert_true(kv_meter_number_parse("1234 5678-2", &n, &e));
    g_assert_cmpuint(n, ==, FX_M1);
    m.number = 123456789; /* bad check digit through the API too */
    m.hoarding_limit = 100;
    g_assert_false(kv_meter_add(f->st, &m, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    m.number = FX_M1; /* duplicate */
    g_assert_false(kv_meter_add(f->st, &m, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS);
    g_clear_error(&e);
    g_assert_cmpint(kv_customer_add(f->st, &c, &e), ==, 0);
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS);
    g_clear_error(&e);
    /* Thresholds inconsistent. */
    m.number = 222222226;
    m.alarm_level = 200;
    g_assert_false(kv_meter_add(f->st, &m, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);

    /* CSV: one good row, a bad check digit, a duplicate, an unknown account. */
    g_assert_true(g_file_set_contents(csv,
        "number,account,hoarding,alarm,pretrip,address\n"
        "222222226,A001,400,10,5,\"2 Hill St, Town\"\n"
        "222222227,A001,400,10,5,x\n"
        "123456782,,400,10,5,dup\n"
        "333333334,ZZZ,400,10,5,y\n", -1, NULL));
    rows = kv_registry_import_csv(f->st, "meters", csv, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(rows->len, ==, 4);
    g_assert_true(((KvImportRow *)rows->pdata[0])->ok);
    g_assert_false(((KvImportRow *)rows->pdata[1])->ok);
    g_assert_nonnull(strstr(((KvImportRow *)rows->pdata[1])->message, "check digit"));
    g_assert_false(((KvImportRow *)rows->pdata[2])->ok);
    g_assert_nonnull(strstr(((KvImportRow *)rows->pdata[2])->message, "already"));
    g_assert_false(((KvImportRow *)rows->pdata[3])->ok);
    g_assert_cmpuint(((KvImportRow *)rows->pdata[3])->line, ==, 5);

    hits = kv_registry_search(f->st, "hill", 10, &e);
    g_assert_cmpuint(hits->len, ==, 1);
    g_assert_cmpuint(((KvSearchHit *)hits->pdata[0])->meter_number, ==, 222222226);
    g_ptr_array_unref(hits);
    hits = kv_registry_search(f->st, "1234", 10, &e);
    g_assert_cmpuint(hits->len, ==, 1);
    g_assert_cmpstr(((KvSearchHit *)hits->pdata[0])->name, ==, "Jane Doe");
}

/* A customer's meters and a meter's cards, as the Customers screen lists
 * them: by number, newest card first, for every role (a cashier too). */
static void test_meter_and_card_lists(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) old = fx_issued_card(f, FX_M1, "old.card");
    g_autoptr(KvCardLink) fresh = fx_blank_card(f, "new.card");
    g_autoptr(KvCardRecord) rec = NULL;
    g_autoptr(GPtrArray) meters = NULL, cards = NULL;
    KvCustomer c = { 0, "A002", "John Roe", "", "", 0 };
    KvMeter m = { 0 };
    gint64 other;

    (void)old; /* issued so that the replacement below has a card to block */
    /* A second meter for Jane (number below FX_M1: listed first). */
    m.number = 100000009;
    m.customer_id = 1;
    m.hoarding_limit = 40000;
    m.alarm_level = 1000;
    m.pretrip_level = 300;
    m.address = "1 Lake Road, shop";
    g_assert_true(kv_meter_add(f->st, &m, &e));
    g_assert_no_error(e);
    other = kv_customer_add(f->st, &c, &e);
    g_assert_cmpint(other, >, 0);
    rec = kv_card_replace(f->st, fresh, FX_M1, "lost", &e);
    g_assert_no_error(e);

    fx_add_user(f, "carol", KV_ROLE_CASHIER);
    g_assert_true(kv_station_login(f->st, "carol", "carol-password", &e));
    meters = kv_meter_list_for_customer(f->st, 1, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(meters->len, ==, 2);
    g_assert_cmpuint(((KvMeter *)meters->pdata[0])->number, ==, 100000009);
    g_assert_cmpstr(((KvMeter *)meters->pdata[0])->address, ==, "1 Lake Road, shop");
    g_assert_cmpuint(((KvMeter *)meters->pdata[1])->number, ==, FX_M1);
    g_ptr_array_unref(meters);
    meters = kv_meter_list_for_customer(f->st, other, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(meters->len, ==, 0);

    cards = kv_card_list_for_meter(f->st, FX_M1, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(cards->len, ==, 2);
    g_assert_cmpuint(((KvCardRecord *)cards->pdata[0])->serial, ==, rec->serial);
    g_assert_cmpstr(((KvCardRecord *)cards->pdata[0])->status, ==, "active");
    g_assert_cmpuint(((KvCardRecord *)cards->pdata[1])->serial, ==, rec->replaces);
    g_assert_cmpstr(((KvCardRecord *)cards->pdata[1])->status, ==, "lost");
    g_ptr_array_unref(cards);
    cards = kv_card_list_for_meter(f->st, FX_M2, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(cards->len, ==, 0);

    /* Signed out: refused. */
    kv_station_logout(f->st);
    g_assert_null(kv_meter_list_for_customer(f->st, 1, &e));
    g_assert_nonnull(e);
    g_clear_error(&e);
    g_assert_null(kv_card_list_for_meter(f->st, FX_M1, &e));
    g_assert_nonnull(e);
}

/* ---- selling ---- */

static void test_sell_basic(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = NULL, s2 = NULL;
    g_autoptr(GPtrArray) lines = NULL;
    g_autoptr(KvAuditReport) ar = NULL;
    g_autofree char *pdf = fx_path(f, "r.pdf");
    kv_card_view v;

    s1 = fx_sell(f, card, FX_M1, 10000, &e); /* 100.00 KES = 10.00 kWh */
    g_assert_no_error(e);
    g_assert_cmpint(s1->state, ==, KV_SALE_COMPLETED);
    g_assert_cmpint(s1->breakdown.energy, ==, 1000);
    g_assert_cmpuint(s1->cumulative, ==, 1000);
    fx_decode(f, card, &v);
    g_assert_cmpuint(v.token.seq, ==, s1->seq);
    g_assert_cmpuint(v.token.u.credit.cumulative, ==, 1000);
    g_assert_cmpuint(v.token.u.credit.sale_ref, ==, (guint32)s1->id);
    g_assert_cmpuint(v.token.u.credit.office, ==, 3);
    /* The second sale builds on the first (cumulative). */
    s2 = fx_sell(f, card, FX_M1, 5000, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(s2->cumulative, ==, 1500);
    g_assert_cmpuint(s2->seq, ==, s1->seq + 1);
    lines = kv_receipt_lines(f->st, s2->id, TRUE, &e);
    g_assert_no_error(e);
    {
        g_auto(GStrv) strv = NULL;
        g_autofree char *all = NULL;
        g_ptr_array_add(lines, NULL);
        strv = (GStrv)g_ptr_array_steal(lines, NULL);
        all = g_strjoinv("\n", strv);
        g_assert_nonnull(strstr(all, "REPRINT"));
        g_assert_nonnull(strstr(all, "123456782"));
        g_assert_nonnull(strstr(all, "Jane Doe"));
        g_assert_nonnull(strstr(all, "50.00 KES"));
        g_assert_nonnull(strstr(all, "5.00 kWh"));
    }
    g_assert_true(kv_receipt_write_pdf(f->st, s2->id, FALSE, pdf, &e));
    g_assert_true(g_file_test(pdf, G_FILE_TEST_IS_REGULAR));
    ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_cmpuint(ar->problems->len, ==, 0);
    g_assert_cmpuint(ar->sales_checked, ==, 2);
}

static void test_sell_bad_input(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvCardLink) other = fx_issued_card(f, FX_M2, "c2.card");
    g_autoptr(KvCardLink) blank = fx_blank_card(f, "c3.card");
    KvSaleRequest both = { 100, 100 };
    kv_card_view before, after;
    gint64 v;

    fx_decode(f, card, &before);
    g_assert_null(fx_sell(f, card, FX_M1, 0, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    g_assert_null(fx_sell(f, card, FX_M1, -100, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    g_assert_null(kv_sale_sell(f->st, card, FX_M1, &both, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    g_assert_false(kv_station_parse_money(f->st, "-5", &v, &e));
    g_clear_error(&e);
    g_assert_false(kv_station_parse_money(f->st, "1000000.01", &v, &e)); /* above the limit */
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    g_assert_null(fx_sell(f, card, FX_M1, 100000001, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    /* Card of another meter. */
    g_assert_null(fx_sell(f, other, FX_M1, 1000, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_CARD);
    g_assert_nonnull(strstr(e->message, "card of meter 111111118"));
    g_clear_error(&e);
    /* Blank card. */
    g_assert_null(fx_sell(f, blank, FX_M1, 1000, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_CARD);
    g_clear_error(&e);
    /* Above the hoarding limit (500 kWh = 5000.00 KES). */
    g_assert_null(fx_sell(f, card, FX_M1, 500100, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_REFUSED);
    g_assert_nonnull(strstr(e->message, "hoarding"));
    g_clear_error(&e);
    /* Nothing of this reached the card or the ledger. */
    fx_decode(f, card, &after);
    g_assert_cmpuint(after.token.seq, ==, before.token.seq);
    g_assert_cmpint(raw_int(f, "SELECT count(*) FROM sales"), ==, 0);
    /* A duplicate card issue for the same meter. */
    {
        g_autoptr(KvCardLink) b2 = fx_blank_card(f, "c4.card");
        g_assert_null(kv_card_issue(f->st, b2, FX_M1, &e));
        g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS);
        g_clear_error(&e);
        /* ...and issuing on a card that is already issued. */
        g_assert_null(kv_card_issue(f->st, other, 222222226, &e));
        g_assert_nonnull(e);
    }
}

static void test_hoarding_from_readback(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    FxMeter m = { FX_M1, 0, 0, 0, 0, 0, 50000 };
    g_autoptr(KvSale) s1 = NULL, s2 = NULL, s3 = NULL;
    KvCardReadResult r;

    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_E_REPLAY); /* initial token: nothing */
    s1 = fx_sell(f, card, FX_M1, 300000, &e); /* 300 kWh */
    g_assert_no_error(e);
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK);
    g_assert_cmpint(m.remaining, ==, 30000);
    m.remaining -= 5000; /* 50 kWh used */
    m.total += 5000;
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_E_REPLAY);
    g_assert_true(kv_card_read(f->st, card, &r, &e));
    g_assert_true(r.readback_imported);
    g_assert_cmpuint(r.credit_on_card, ==, 0);
    g_free(r.card_status);
    /* The meter holds 250 kWh: 251 kWh would exceed 500 kWh. */
    s2 = fx_sell(f, card, FX_M1, 251000, &e);
    g_assert_null(s2);
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_REFUSED);
    g_assert_nonnull(strstr(e->message, "250.00 kWh can be sold"));
    g_clear_error(&e);
    s3 = fx_sell(f, card, FX_M1, 250000, &e);
    g_assert_no_error(e);
    /* And the meter agrees. */
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK);
    g_assert_cmpint(m.remaining, ==, 50000);
}

/* Pull the card after every byte of a sale's write: the ledger ends
 * completed exactly when the card holds the token, issued (not "failed,
 * nothing due": bytes left the station) otherwise; the next sale continues
 * from what the card holds and covers the issued one - never doubled,
 * never lost. */
static void test_tear_every_byte(Fx *f, gconstpointer d)
{
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    guint completed = 0, failed = 0;
    gint64 issued_before = 0;
    for (guint n = 1; n <= KV_TOKEN_USED + 1; n++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(KvSale) s = NULL;
        g_autoptr(GPtrArray) open = NULL;
        g_autoptr(KvMeter) m = NULL;
        kv_card_view before, after;
        gint64 id;

        fx_decode(f, card, &before);
        kv_card_link_file_tear_after(card, n);
        s = fx_sell(f, card, FX_M1, 1000, &e);
        id = raw_int(f, "SELECT max(id) FROM sales");
        if (s) {
            /* The write needed fewer than n bytes. */
            g_assert_no_error(e);
            g_assert_cmpint(s->state, ==, KV_SALE_COMPLETED);
        } else {
            g_assert_nonnull(e);
        }
        /* The card back in the reader: the next read settles the sale. */
        g_assert_true(kv_card_link_refresh(card, NULL));
        g_assert_cmpint(kv_sale_reconcile_card(f->st, card, NULL), >=, 0);
        open = kv_sale_list_unresolved(f->st, NULL);
        g_assert_cmpuint(open->len, ==, 0);
        fx_decode(f, card, &after);
        g_clear_pointer(&s, kv_sale_free);
        s = kv_sale_get(f->st, id, NULL);
        m = kv_meter_get(f->st, FX_M1, NULL);
        if (issued_before) {
            /* The previous torn sale: this one covers it (or it is still
             * issued if this one was torn too). */
            g_autoptr(KvSale) prev = kv_sale_get(f->st, issued_before, NULL);
            g_assert_cmpint(prev->state, ==,
                            s->state == KV_SALE_COMPLETED ? KV_SALE_VOID : KV_SALE_ISSUED);
            if (s->state == KV_SALE_COMPLETED)
                issued_before = 0;
        }
        if (after.token.seq == s->seq) {
            g_assert_cmpint(s->state, ==, KV_SALE_COMPLETED);
            g_assert_cmpuint(after.token.u.credit.cumulative, ==, before.token.u.credit.cumulative + 100);
            completed++;
        } else {
            g_assert_cmpint(s->state, ==, KV_SALE_ISSUED);
            issued_before = id;
            g_assert_cmpuint(after.token.seq, ==, before.token.seq);
            g_assert_cmpuint(after.token.u.credit.cumulative, ==, before.token.u.credit.cumulative);
            failed++;
        }
        /* The ledger's cumulative sold is what the card carries. */
        g_assert_cmpuint(m->cumulative_sold, ==, after.token.u.credit.cumulative);
        g_assert_cmpint(raw_int(f, "SELECT coalesce(sum(energy), 0) FROM sales WHERE state = 'completed'"),
                        ==, after.token.u.credit.cumulative);
    }
    g_assert_cmpuint(failed, >, 0);
    g_assert_cmpuint(completed, >, 0);
}

static void test_cancel(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = NULL, s2 = NULL, c = NULL, s3 = NULL;
    FxMeter m = { FX_M1, 0, 0, 0, 0, 0, 50000 };
    kv_card_view v;

    s1 = fx_sell(f, card, FX_M1, 10000, &e); /* 10 kWh */
    s2 = fx_sell(f, card, FX_M1, 20000, &e); /* 20 kWh, cumulative 30 */
    g_assert_no_error(e);
    /* Only the last sale. */
    g_assert_null(kv_sale_cancel(f->st, card, s1->id, "test", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_STATE);
    g_clear_error(&e);
    c = kv_sale_cancel(f->st, card, s2->id, "customer changed mind", &e);
    g_assert_no_error(e);
    g_assert_cmpint(c->state, ==, KV_SALE_CANCELLED);
    fx_decode(f, card, &v);
    g_assert_cmpuint(v.token.seq, ==, s2->seq + 1);
    g_assert_cmpuint(v.token.u.credit.cumulative, ==, 1000);
    /* Twice: no. */
    g_assert_null(kv_sale_cancel(f->st, card, s2->id, "again", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_STATE);
    g_clear_error(&e);
    /* The meter loads only the first 10 kWh. */
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK);
    g_assert_cmpint(m.remaining, ==, 1000);
    /* Once the meter loaded a sale, it cannot be cancelled. */
    s3 = fx_sell(f, card, FX_M1, 5000, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(s3->cumulative, ==, 1500);
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK);
    g_assert_null(kv_sale_cancel(f->st, card, s3->id, "late", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_STATE);
    g_assert_nonnull(strstr(e->message, "already loaded"));
    g_clear_error(&e);
    /* The shift's cash excludes the cancelled sale. */
    {
        g_autoptr(KvShift) sh = kv_shift_current(f->st, &e);
        g_assert_cmpint(sh->expected_cash, ==, 10000 + 5000);
    }
    {
        g_autoptr(KvAuditReport) ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
        g_assert_cmpuint(ar->problems->len, ==, 0);
    }
}

static void test_replace(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) old = fx_issued_card(f, FX_M1, "old.card");
    g_autoptr(KvCardLink) fresh = fx_blank_card(f, "new.card");
    g_autoptr(KvSale) s1 = NULL, s2 = NULL, s3 = NULL;
    g_autoptr(KvCardRecord) rec = NULL;
    FxMeter m = { FX_M1, 0, 0, 0, 0, 0, 50000 };
    kv_card_view v;

    s1 = fx_sell(f, old, FX_M1, 10000, &e); /* 10 kWh, loaded */
    g_assert_cmpint(fx_meter_insert(f, &m, old), ==, KV_OK);
    s2 = fx_sell(f, old, FX_M1, 20000, &e); /* 20 kWh, never reaches the meter */
    g_assert_no_error(e);
    /* The card is lost. */
    rec = kv_card_replace(f->st, fresh, FX_M1, "lost", &e);
    g_assert_no_error(e);
    g_assert_cmpuint(rec->replaces, !=, 0);
    fx_decode(f, fresh, &v);
    g_assert_cmpuint(v.token.u.credit.cumulative, ==, 3000);
    /* The meter gets exactly the 20 kWh it never had. */
    g_assert_cmpint(fx_meter_insert(f, &m, fresh), ==, KV_OK);
    g_assert_cmpint(m.remaining, ==, 3000);
    /* The old card, found again, loads nothing... */
    g_assert_cmpint(fx_meter_insert(f, &m, old), ==, KV_E_REPLAY);
    g_assert_cmpint(m.remaining, ==, 3000);
    /* ...and the station refuses to sell on it. */
    g_assert_true(kv_card_link_refresh(old, NULL));
    g_assert_null(fx_sell(f, old, FX_M1, 1000, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_CARD);
    g_assert_nonnull(strstr(e->message, "lost"));
    g_clear_error(&e);
    s3 = fx_sell(f, fresh, FX_M1, 1000, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(s3->cumulative, ==, 3100);
}

/* A cloned cancel: the card dumped before a cancel and restored after it
 * loads the cancelled credit; the readback then shows the meter loaded
 * more than the station sold.  The read reports it, the audit log and the
 * per-meter report keep it. */
static void test_anomaly_cloned_cancel(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *path = fx_path(f, "c1.card");
    g_autofree char *dump = NULL;
    gsize dump_len = 0;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvCardLink) restored = NULL;
    g_autoptr(KvSale) s1 = NULL, c = NULL;
    g_autoptr(KvTable) t = NULL;
    FxMeter m = { FX_M1, 0, 0, 0, 0, 0, 50000 };
    KvCardReadResult r;
    gboolean flagged = FALSE;

    s1 = fx_sell(f, card, FX_M1, 10000, &e); /* 10 kWh */
    g_assert_no_error(e);
    /* An honest read first: no anomaly. */
    g_assert_true(kv_card_read(f->st, card, &r, &e));
    g_assert_cmpuint(r.anomaly_excess, ==, 0);
    g_free(r.card_status);
    g_assert_true(g_file_get_contents(path, &dump, &dump_len, NULL));
    c = kv_sale_cancel(f->st, card, s1->id, "refund", &e);
    g_assert_no_error(e);
    kv_card_link_free(g_steal_pointer(&card));
    g_assert_true(g_file_set_contents(path, dump, (gssize)dump_len, NULL));
    restored = kv_card_link_open_file(path, &e);
    g_assert_no_error(e);
    g_assert_cmpint(fx_meter_insert(f, &m, restored), ==, KV_OK);
    g_assert_cmpint(m.loaded, ==, 1000); /* the cancelled 10 kWh reached the meter */
    g_assert_true(kv_card_link_refresh(restored, NULL));
    g_assert_true(kv_card_read(f->st, restored, &r, &e));
    g_assert_no_error(e);
    g_assert_true(r.readback_imported);
    g_assert_cmpuint(r.anomaly_excess, ==, 1000);
    g_assert_true(r.anomaly_recorded);
    g_free(r.card_status);
    g_assert_cmpint(raw_int(f, "SELECT count(*) FROM audit WHERE action = 'meter.anomaly' AND "
                               "detail LIKE 'loaded=1000 sold=0 excess=1000 %'"), ==, 1);
    /* Read again: shown, not recorded twice. */
    g_assert_true(kv_card_read(f->st, restored, &r, &e));
    g_assert_cmpuint(r.anomaly_excess, ==, 1000);
    g_assert_false(r.anomaly_recorded);
    g_free(r.card_status);
    /* (The restored token itself, a cancelled sale's, is the other anomaly
     * the read records: own-token-above-sold, once.) */
    g_assert_cmpint(raw_int(f, "SELECT count(*) FROM audit WHERE action = 'meter.anomaly' AND "
                               "detail LIKE 'loaded=%'"), ==, 1);
    g_assert_cmpint(raw_int(f, "SELECT count(*) FROM audit WHERE action = 'meter.anomaly' AND "
                               "detail LIKE 'kind=own-token-above-sold %'"), ==, 1);
    t = kv_report_meter(f->st, FX_M1, &e);
    g_assert_no_error(e);
    for (guint i = 0; i < t->rows->len; i++)
        if (strstr(((char **)t->rows->pdata[i])[10], "loaded 10.00 kWh more than sold"))
            flagged = TRUE;
    g_assert_true(flagged);
    {
        g_autofree char *text = kv_table_to_text(t);
        g_assert_nonnull(strstr(text, "readings that loaded more than was sold: 1 (ANOMALY"));
    }
    {
        g_autoptr(KvAuditReport) ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
        g_assert_no_error(e);
        g_assert_cmpuint(ar->problems->len, ==, 0);
    }
}

static KvCardLink *batch_next(guint32 meter, guint index, guint total, gpointer data,
                              GCancellable *cancellable, GError **error)
{
    Fx *f = ((gpointer *)data)[0];
    guint *stop_at = ((gpointer *)data)[1];
    g_autofree char *name = g_strdup_printf("batch-%09u.card", meter);
    g_autofree char *path = fx_path(f, name);
    static const guint8 factory[3] = { 0xFF, 0xFF, 0xFF };
    if (*stop_at && index + 1 == *stop_at) {
        /* The operator stops the batch here (interruption). */
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped by the operator");
        return NULL;
    }
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        kv_card_file_create_blank(path, factory, NULL);
    return kv_card_link_open_file(path, error);
}

static void test_batch_resume(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *csv = fx_path(f, "batch.csv");
    guint stop_at = 2;
    gpointer data[2] = { f, &stop_at };
    g_autoptr(GPtrArray) r1 = NULL, r2 = NULL;
    KvMeter m = { 0 };
    m.hoarding_limit = 50000;
    m.number = 222222226;
    g_assert_true(kv_meter_add(f->st, &m, &e));
    m.number = 333333334;
    g_assert_true(kv_meter_add(f->st, &m, &e));
    g_assert_true(g_file_set_contents(csv, "meter\n222222226\n333333334\n123456789\n", -1, NULL));
    r1 = kv_card_batch(f->st, csv, batch_next, data, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    g_assert_true(((KvBatchRow *)r1->pdata[0])->ok);
    g_assert_false(((KvBatchRow *)r1->pdata[1])->ok);
    g_assert_cmpuint(r1->len, ==, 2); /* stopped */
    stop_at = 0;
    r2 = kv_card_batch(f->st, csv, batch_next, data, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(r2->len, ==, 3);
    g_assert_true(((KvBatchRow *)r2->pdata[0])->skipped);
    g_assert_true(((KvBatchRow *)r2->pdata[1])->ok);
    g_assert_false(((KvBatchRow *)r2->pdata[1])->skipped);
    g_assert_false(((KvBatchRow *)r2->pdata[2])->ok); /* bad check digit */
    g_assert_nonnull(strstr(((KvBatchRow *)r2->pdata[2])->message, "check digit"));
    g_assert_cmpint(raw_int(f, "SELECT count(*) FROM cards WHERE status = 'active'"), ==, 2);
}

/* Issue interrupted after the PSC change but before the ledger knew it:
 * resuming on the same card finishes it without burning it. */
static void test_issue_resume(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_blank_card(f, "c.card");
    g_autoptr(KvCardRecord) rec = NULL;
    /* Tear during the identity write. */
    kv_card_link_file_tear_after(card, 5);
    g_assert_null(kv_card_issue(f->st, card, FX_M1, &e));
    g_clear_error(&e);
    g_assert_true(kv_card_link_refresh(card, NULL));
    rec = kv_card_issue(f->st, card, FX_M1, &e);
    g_assert_no_error(e);
    g_assert_cmpstr(rec->status, ==, "active");
    g_assert_cmpuint(kv_card_link_tries_left(card), ==, 3);
    {
        kv_card_view v;
        fx_decode(f, card, &v);
        g_assert_cmpuint(v.id.card_serial, ==, rec->serial);
        g_assert_cmpint(v.token_err, ==, KV_OK);
        g_assert_cmpuint(kv_card_link_protection(card), ==, 0); /* identity locked */
    }
}

/* ---- audit ---- */

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
    g_assert_cmpint(sqlite3_exec(h, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; "
                                    "UPDATE audit SET detail = detail || ' ' WHERE id = 4",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
    r2 = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_cmpuint(r2->problems->len, >=, 1);
    g_assert_nonnull(strstr(r2->problems->pdata[0], "audit row 4"));
    /* Deletes a row in the middle. */
    sqlite3_exec(h, "UPDATE audit SET detail = rtrim(detail) WHERE id = 4", NULL, NULL, NULL);
    g_assert_cmpint(sqlite3_exec(h, "DELETE FROM audit WHERE id = 5", NULL, NULL, NULL), ==, SQLITE_OK);
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

/* ---- backup ---- */

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
    g_assert_cmpint(raw_int(f, "SELECT count(*) FROM sales"), ==, 1);
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
    g_assert_cmpint(raw_int(f, "SELECT count(*) FROM sales"), ==, 2);
    kv_station_free(f->st);
    f->st = NULL;
    g_assert_true(kv_station_restore(f->db, bk, &e));
    g_assert_no_error(e);
    g_assert_cmpint(raw_int(f, "SELECT count(*) FROM sales"), ==, 1);
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

static void test_provision(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *path = fx_path(f, "m1.kvp");
    g_autofree guint8 *data = NULL;
    gsize len;
    kv_provision p;
    kv_meter_keys keys;
    GStatBuf sb;
    g_assert_true(kv_meter_provision(f->st, FX_M1, path, &e));
    g_assert_no_error(e);
    g_assert_cmpint(g_stat(path, &sb), ==, 0);
    g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
    g_assert_true(g_file_get_contents(path, (char **)&data, &len, NULL));
    g_assert_cmpuint(len, ==, KV_PROVISION_LEN);
    g_assert_cmpint(kv_provision_decode(data, FX_UTILITY, &p), ==, KV_OK);
    g_assert_cmpuint(p.meter_number, ==, FX_M1);
    g_assert_cmpuint(p.hoarding_limit, ==, 50000);
    g_assert_true(kv_station_meter_keys(f->st, FX_M1, 0, &keys, &e));
    g_assert_cmpmem(p.k_meter, 16, keys.k_meter, 16);
    g_assert_cmpmem(p.k_psc, 16, keys.k_psc, 16);
    g_assert_false(kv_meter_provision(f->st, FX_M1, path, &e)); /* never overwrites */
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS);
}

static void test_multi_office_base(Fx *f, gconstpointer d)
{
    /* Another office sold on this card (its token has a higher cumulative
     * than this ledger knows): the next sale builds on the card. */
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s = NULL;
    kv_card_view v;
    kv_meter_keys keys;
    kv_token t = { 0 };
    guint8 slot[KV_SLOT_LEN], psc[3];
    fx_decode(f, card, &v);
    g_assert_true(kv_station_meter_keys(f->st, FX_M1, 0, &keys, &e));
    t.kind = KV_TOKEN_CREDIT;
    t.key_version = keys.key_version;
    t.seq = v.token.seq + 5;
    t.u.credit.cumulative = 7000;
    t.u.credit.amount = 7000;
    t.u.credit.office = 9;
    g_assert_cmpint(kv_token_seal(&keys, &v.id, &t, slot), ==, KV_OK);
    kv_card_psc(&keys, v.id.card_serial, psc);
    g_assert_true(kv_card_link_present_psc(card, psc, FALSE, &e));
    g_assert_true(kv_card_link_write(card, kv_card_next_token_offset(&v), slot, KV_TOKEN_USED, &e));
    s = fx_sell(f, card, FX_M1, 1000, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(s->base_cumulative, ==, 7000);
    g_assert_cmpuint(s->cumulative, ==, 7100);
    g_assert_cmpuint(s->seq, ==, t.seq + 1);
}

static void test_reports(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = fx_sell(f, card, FX_M1, 10000, &e);
    g_autoptr(KvSale) s2 = fx_sell(f, card, FX_M1, 2550, &e);
    g_assert_nonnull(s2);
    g_autoptr(KvTable) z = NULL, day = NULL, mon = NULL, cust = NULL;
    g_autofree char *zt = NULL, *csv = NULL, *json = NULL;
    g_autoptr(KvShift) closed = NULL;
    z = kv_report_shift(f->st, s1->shift_id, &e);
    g_assert_no_error(e);
    zt = kv_table_to_text(z);
    g_assert_nonnull(strstr(zt, "amount taken: 125.50"));
    g_assert_nonnull(strstr(zt, "audit head: "));
    day = kv_report_daily(f->st, kv_now(), &e);
    csv = kv_table_to_csv(day);
    g_assert_nonnull(strstr(csv, "admin,2,125.50,"));
    mon = kv_report_monthly(f->st, kv_now(), &e);
    g_assert_cmpuint(mon->rows->len, >=, 28);
    cust = kv_report_customer(f->st, 1, &e);
    json = kv_table_to_json(cust);
    g_assert_nonnull(strstr(json, "\"amount\":\"25.50\""));
    closed = kv_shift_close(f->st, 12000, &e);
    g_assert_no_error(e);
    g_assert_cmpint(closed->expected_cash, ==, 12550);
    g_assert_cmpint(closed->counted_cash, ==, 12000);
}

int main(int argc, char **argv)
{
    g_setenv("TZ", "UTC", TRUE);
    g_test_init(&argc, &argv, NULL);
    ADD("/db/newer-version", test_db_newer);
    ADD("/db/corrupt-and-restore", test_db_corrupt);
    ADD("/db/locked-by-another-process", test_db_locked);
    ADD("/auth/wrong-password-lockout", test_auth_wrong_password_lockout);
    ADD("/auth/roles", test_auth_roles);
    ADD("/keys/passphrase-passwd-rotate-import", test_keys);
    ADD("/registry/validation-import-search", test_registry);
    ADD("/registry/meter-and-card-lists", test_meter_and_card_lists);
    ADD("/sale/basic", test_sell_basic);
    ADD("/sale/bad-input", test_sell_bad_input);
    ADD("/sale/hoarding-from-readback", test_hoarding_from_readback);
    ADD("/sale/tear-every-byte", test_tear_every_byte);
    ADD("/sale/multi-office-base", test_multi_office_base);
    ADD("/sale/cancel", test_cancel);
    ADD("/card/replace", test_replace);
    ADD("/card/batch-resume", test_batch_resume);
    ADD("/card/anomaly-cloned-cancel", test_anomaly_cloned_cancel);
    ADD("/card/issue-resume", test_issue_resume);
    ADD("/audit/tamper", test_audit_tamper);
    ADD("/backup/round-trip", test_backup_restore);
    ADD("/backup/restore-cancelled", test_restore_cancelled);
    ADD("/meter/provision", test_provision);
    ADD("/report/shift-daily-monthly-customer", test_reports);
    return g_test_run();
}
