/* test-registry.c - the station core on real SQLite files: customers and meters, their lists, and the reports over them. */
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
    g_test_init(&argc, &argv, NULL);
    fx_add("/registry/validation-import-search", test_registry);
    fx_add("/registry/meter-and-card-lists", test_meter_and_card_lists);
    fx_add("/report/shift-daily-monthly-customer", test_reports);
    return g_test_run();
}
