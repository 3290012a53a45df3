/* test-free.c - free basic electricity on real SQLite files and card files:
 * a monthly free allocation per customer category, granted once a calendar
 * month (local time) with the customer's first token of the month, on a
 * sale or alone (a zero-money token), never carried over; shown apart on
 * the receipt, the reports and the statement; reconciled and audited.
 *
 * The tests run in America/Bogota (UTC-5 all year, set below): a local
 * month ends five hours after the UTC one. */
#include <sqlite3.h>
#include <string.h>

#include "core-fixture.h"

#define FREE_LIF 2000 /* 20 kWh a month for the lifeline category */
#define FREE_SOC 3000 /* 30 kWh a month for the social category */

/* Tariffs LIF (5.00 a kWh) and COM (20.00 a kWh) from 2020, categories
 * lifeline (LIF, 20 kWh free), social (LIF, 30 kWh free) and commercial
 * (COM, none); customer 1 (meter FX_M1) in lifeline. */
static void setup_categories(Fx *f)
{
    g_autoptr(GError) e = NULL;
    fx_add_tariff(f, "LIF", 500 * 10000);
    fx_add_tariff(f, "COM", 2000 * 10000);
    fx_set_category(f, "lifeline", "LIF", FREE_LIF);
    fx_set_category(f, "social", "LIF", FREE_SOC);
    fx_set_category(f, "commercial", "COM", 0);
    g_assert_true(kv_customer_set_category(f->st, 1, "lifeline", &e));
    g_assert_no_error(e);
}

/* The counter of these tests: the categories, and the card of FX_M1. */
static KvCardLink *counter(Fx *f)
{
    setup_categories(f);
    return fx_issued_card(f, FX_M1, "c1.card");
}

static KvSale *sell(Fx *f, KvCardLink *card, gint64 amount)
{
    g_autoptr(GError) e = NULL;
    KvSale *x = fx_sell(f, card, FX_M1, amount, &e);
    g_assert_no_error(e);
    return x;
}

/* The free energy a sale of `amount` carries (and its token's credit is
 * what was bought plus it). */
static gint64 free_with(Fx *f, KvCardLink *card, gint64 amount)
{
    g_autoptr(KvSale) x = sell(f, card, amount);
    g_assert_cmpint(x->cumulative - x->base_cumulative, ==,
                    x->breakdown.energy + x->breakdown.free_energy);
    return x->breakdown.free_energy;
}

static gint64 free_alone(Fx *f, KvCardLink *card)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvSale) x = kv_sale_free_only(f->st, card, FX_M1, &e);
    g_assert_no_error(e);
    g_assert_cmpint(x->breakdown.amount, ==, 0);
    g_assert_cmpint(x->breakdown.energy, ==, 0);
    return x->breakdown.free_energy;
}

static void free_alone_refused(Fx *f, KvCardLink *card, const char *text)
{
    g_autoptr(GError) e = NULL;
    gint64 before = fx_raw_int(f, "SELECT count(*) FROM sales");
    g_assert_null(kv_sale_free_only(f->st, card, FX_M1, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_STATE);
    fx_has(e->message, text);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM sales"), ==, before);
}

static void ledger_clean(Fx *f)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvAuditReport) ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_autoptr(KvReconcileReport) rr = kv_reconcile(f->st, 0, &e);
    g_assert_no_error(e);
    for (guint i = 0; i < ar->problems->len; i++)
        g_printerr("audit: %s\n", (char *)ar->problems->pdata[i]);
    for (guint i = 0; i < rr->problems->len; i++)
        g_printerr("reconcile: %s\n", (char *)rr->problems->pdata[i]);
    g_assert_cmpuint(ar->problems->len, ==, 0);
    g_assert_cmpuint(rr->problems->len, ==, 0);
}

/* The reconciliation's money and credit: the tokens' credit is the energy
 * bought plus the free energy, grants counted; and the ledger clean. */
static void assert_credit(Fx *f, gint64 paid, gint64 free_energy, guint grants)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvReconcileReport) rr = kv_reconcile(f->st, 0, &e);

    g_assert_no_error(e);
    g_assert_cmpint(rr->credit, ==, paid + free_energy);
    g_assert_cmpint(rr->energy_paid, ==, paid);
    g_assert_cmpint(rr->energy_free, ==, free_energy);
    g_assert_cmpuint(rr->grants, ==, grants);
    ledger_clean(f);
}

/* The first sale of the month carries the allocation on its token, priced
 * at the category's tariff; the meter loads both; the second sale of the
 * month carries none; the receipt shows the free line apart; the grant has
 * its audit row; the reconciliation has its own free line, to the unit. */
static void test_first_sale(Fx *f, gconstpointer d)
{
    FxMeter meter = { .number = FX_M1, .hoarding = 50000 };
    g_autoptr(KvCardLink) card = counter(f);
    g_autoptr(KvSale) first = NULL, second = NULL;
    g_autofree char *receipt = NULL;
    kv_card_view v;

    fx_at(fx_local(2027, 5, 3, 10, 0));
    first = sell(f, card, 1000); /* 10.00 at 5.00 a kWh: 2 kWh */
    g_assert_cmpint(first->breakdown.energy, ==, 200);
    g_assert_cmpint(first->breakdown.free_energy, ==, FREE_LIF);
    g_assert_cmpint(first->free_month, ==, 202705);
    g_assert_cmpuint(first->cumulative, ==, first->base_cumulative + 200 + FREE_LIF);
    fx_decode(f, card, &v);
    g_assert_cmpuint(v.token.u.credit.cumulative, ==, first->cumulative);
    g_assert_cmpuint(v.token.u.credit.amount, ==, 200 + FREE_LIF);
    g_assert_cmpint(fx_meter_insert(f, &meter, card), ==, KV_OK);
    g_assert_cmpuint(meter.loaded, ==, 200 + FREE_LIF);

    second = sell(f, card, 1000);
    g_assert_cmpint(second->breakdown.free_energy, ==, 0);
    g_assert_cmpint(second->free_month, ==, 0);

    receipt = fx_receipt_text(f, first->id);
    fx_has(receipt, "FREE ENERGY");
    fx_has(receipt, "20.00 kWh");
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'free.grant' AND "
                                  "object = 'customer:1' AND detail LIKE 'month=202705 "
                                  "energy=2000 sale=1 %'"), ==, 1);
    assert_credit(f, 400, FREE_LIF, 1);
}

/* A customer who buys nothing takes the allocation alone: a token with no
 * money; shown apart in the Z, daily and monthly reports and on the
 * customer's statement; the drawer expects no money for it. */
static void test_zero_money_token(Fx *f, gconstpointer d)
{
    g_autoptr(KvCardLink) card = counter(f);
    g_autoptr(GError) e = NULL;
    g_autoptr(KvSale) x = NULL;
    g_autoptr(KvTable) z = NULL, day = NULL, month = NULL, stmt = NULL;
    g_autoptr(KvShift) sh = NULL;
    g_autofree char *scsv = NULL;
    kv_card_view v;
    gint64 t0 = fx_local(2027, 6, 10, 9, 0);

    fx_at(t0);
    g_assert_cmpint(free_alone(f, card), ==, FREE_LIF);
    fx_decode(f, card, &v);
    g_assert_cmpuint(v.token.u.credit.cumulative, ==, FREE_LIF);
    x = kv_sale_get(f->st, 1, &e);
    g_assert_cmpint(x->state, ==, KV_SALE_COMPLETED);
    g_assert_cmpint(x->breakdown.amount, ==, 0);
    sh = kv_shift_current(f->st, &e);
    g_assert_cmpint(sh->expected_cash, ==, 0);
    fx_at(t0 + 3600);
    g_assert_cmpint(free_with(f, card, 1000), ==, 0);

    z = kv_report_shift(f->st, x->shift_id, &e);
    g_assert_no_error(e);
    fx_table_has(z, "free allocations: 1", "free energy kWh: 20.00", "energy sold kWh: 2.00",
                 "credit on tokens kWh: 22.00 = 2.00 bought + 20.00 free", NULL);
    day = kv_report_daily(f->st, t0, &e);
    fx_table_has(day, "free allocations: 1", "free energy kWh: 20.00", NULL);
    month = kv_report_monthly(f->st, t0, &e);
    fx_table_has(month, "free allocations: 1", "free energy kWh: 20.00", "energy sold kWh: 2.00",
                 NULL);
    stmt = kv_report_statement(f->st, 1, fx_local(2027, 6, 1, 0, 0), fx_local(2027, 7, 1, 0, 0), &e);
    fx_table_has(stmt, "free allocations: 1 (20.00 kWh)", "purchases: 1 (", NULL);
    scsv = kv_table_to_csv(stmt);
    fx_has(scsv, ",free allocation,1,123456782,,,20.00,");
    fx_has(scsv, ",purchase,2,123456782,");
    ledger_clean(f);
}

/* Calendar months in local time: 23:30 on 31 January in Bogota is 04:30
 * on 1 February in UTC, and still January's grant; 00:30 local on
 * 1 February is February's.  The monthly report puts each grant in its
 * local month. */
static void test_month_boundary(Fx *f, gconstpointer d)
{
    g_autoptr(KvCardLink) card = counter(f);
    g_autoptr(GError) e = NULL;
    g_autoptr(KvSale) jan = NULL, feb = NULL;
    g_autoptr(KvTable) jr = NULL, fr = NULL;
    g_autoptr(GDateTime) utc = NULL;

    g_assert_cmpstr(g_getenv("TZ"), ==, "America/Bogota");
    fx_at(fx_local(2027, 1, 31, 23, 30));
    utc = g_date_time_new_from_unix_utc(fx_local(2027, 1, 31, 23, 30));
    g_assert_cmpint(g_date_time_get_month(utc), ==, 2); /* February in UTC */
    g_assert_cmpint(free_alone(f, card), ==, FREE_LIF);
    jan = kv_sale_get(f->st, 1, &e);
    g_assert_cmpint(jan->free_month, ==, 202701);
    fx_at(fx_local(2027, 1, 31, 23, 59));
    free_alone_refused(f, card, "already granted");
    fx_at(fx_local(2027, 2, 1, 0, 30));
    g_assert_cmpint(free_with(f, card, 1000), ==, FREE_LIF);
    feb = kv_sale_get(f->st, 2, &e);
    g_assert_cmpint(feb->free_month, ==, 202702);
    fx_at(fx_local(2027, 2, 28, 23, 59));
    g_assert_cmpint(free_with(f, card, 1000), ==, 0);
    fx_at(fx_local(2027, 3, 1, 0, 0));
    g_assert_cmpint(free_with(f, card, 1000), ==, FREE_LIF);
    g_unsetenv("KILOVEND_NOW");

    jr = kv_report_monthly(f->st, fx_local(2027, 1, 15, 12, 0), &e);
    fx_table_has(jr, "free allocations: 1", "free energy kWh: 20.00", NULL);
    fr = kv_report_monthly(f->st, fx_local(2027, 2, 15, 12, 0), &e);
    fx_table_has(fr, "free allocations: 1", "energy sold kWh: 4.00", NULL);
    ledger_clean(f);
}

/* Never carried over: a customer who came in January but not in February
 * or March gets April's allocation alone in April, not three months'; and
 * what they did not take is not granted later. */
static void test_no_carry_over(Fx *f, gconstpointer d)
{
    g_autoptr(KvCardLink) card = counter(f);

    fx_at(fx_local(2027, 1, 5, 9, 0));
    g_assert_cmpint(free_with(f, card, 1000), ==, FREE_LIF);
    fx_at(fx_local(2027, 4, 20, 9, 0));
    g_assert_cmpint(free_with(f, card, 1000), ==, FREE_LIF);
    g_assert_cmpint(free_with(f, card, 1000), ==, 0);
    fx_at(fx_local(2027, 5, 1, 0, 0));
    g_assert_cmpint(free_alone(f, card), ==, FREE_LIF);
    g_unsetenv("KILOVEND_NOW");
    g_assert_cmpint(fx_raw_int(f, "SELECT sum(free_energy) FROM sales"), ==, 3 * FREE_LIF);
    g_assert_cmpint(fx_raw_int(f, "SELECT max(free_energy) FROM sales"), ==, FREE_LIF);
    ledger_clean(f);
}

/* A category change in the middle of the month: the next sale is priced at
 * the new category's tariff; the month's grant, once given, is not given
 * again by a category with a larger allocation (once a customer and
 * month), and next month's comes from the new category; a customer who
 * joins a category mid-month gets its allocation at the next visit; one
 * who leaves it gets none. */
static void test_category_change(Fx *f, gconstpointer d)
{
    g_autoptr(KvCardLink) card = counter(f);
    g_autoptr(GError) e = NULL;
    g_autoptr(KvSale) a = NULL, b = NULL, c = NULL;

    g_assert_true(kv_customer_set_category(f->st, 1, NULL, &e));
    fx_at(fx_local(2027, 5, 3, 10, 0));
    a = sell(f, card, 1000); /* no category: the meter's DEFAULT, 10.00 a kWh */
    g_assert_cmpint(a->breakdown.energy, ==, 100);
    g_assert_cmpint(a->breakdown.free_energy, ==, 0);
    fx_at(fx_local(2027, 5, 10, 10, 0));
    g_assert_true(kv_customer_set_category(f->st, 1, "lifeline", &e));
    b = sell(f, card, 1000); /* lifeline: 5.00 a kWh, and May's allocation */
    g_assert_cmpint(b->breakdown.energy, ==, 200);
    g_assert_cmpint(b->breakdown.free_energy, ==, FREE_LIF);
    fx_at(fx_local(2027, 5, 16, 10, 0));
    g_assert_true(kv_customer_set_category(f->st, 1, "social", &e));
    g_assert_cmpint(free_with(f, card, 1000), ==, 0); /* May's is given */
    free_alone_refused(f, card, "already granted");
    g_assert_true(kv_customer_set_category(f->st, 1, "commercial", &e));
    c = sell(f, card, 1000); /* 20.00 a kWh */
    g_assert_cmpint(c->breakdown.energy, ==, 50);
    g_assert_cmpint(c->breakdown.free_energy, ==, 0);
    fx_at(fx_local(2027, 6, 1, 8, 0));
    free_alone_refused(f, card, "has no free allocation");
    g_assert_true(kv_customer_set_category(f->st, 1, "social", &e));
    g_assert_cmpint(free_alone(f, card), ==, FREE_SOC);
    g_unsetenv("KILOVEND_NOW");
    ledger_clean(f);
}

/* A cashier trying twice: the second grant of the month is refused (alone)
 * or zero (on a sale); and past the station, the database refuses a second
 * live grant of the month itself. */
static void test_twice_refused(Fx *f, gconstpointer d)
{
    g_autoptr(KvCardLink) card = counter(f);
    sqlite3 *db;
    char *msg = NULL;

    fx_at(fx_local(2027, 8, 2, 9, 0));
    g_assert_cmpint(free_alone(f, card), ==, FREE_LIF);
    free_alone_refused(f, card, "already granted to A001 with sale 1");
    g_assert_cmpint(free_with(f, card, 1000), ==, 0);
    free_alone_refused(f, card, "already granted");
    g_unsetenv("KILOVEND_NOW");
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM sales WHERE free_month = 202708"), ==, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'free.grant'"), ==,
                    1);
    /* An insider copies the grant onto the second sale. */
    g_assert_cmpint(sqlite3_open(f->db, &db), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(db, "UPDATE sales SET free_energy = 2000, free_month = 202708, "
                                     "cumulative = cumulative + 2000 WHERE id = 2", NULL, NULL,
                                 &msg), ==, SQLITE_CONSTRAINT);
    fx_has(msg, "UNIQUE");
    sqlite3_free(msg);
    sqlite3_close(db);
    assert_credit(f, 200, FREE_LIF, 1);
}

/* The grant lives and dies with its sale: a cancelled sale takes its free
 * energy back (the cancel token carries the base before it) and the grant
 * is due again; the statement shows it taken back. */
static void test_cancel_frees_grant(Fx *f, gconstpointer d)
{
    g_autoptr(KvCardLink) card = counter(f);
    g_autoptr(GError) e = NULL;
    g_autoptr(KvSale) x = NULL, cancelled = NULL;
    g_autoptr(KvTable) stmt = NULL;
    g_autofree char *scsv = NULL;
    kv_card_view v;

    fx_at(fx_local(2027, 9, 2, 9, 0));
    x = sell(f, card, 1000);
    g_assert_cmpint(x->breakdown.free_energy, ==, FREE_LIF);
    fx_at(fx_local(2027, 9, 2, 9, 5));
    cancelled = kv_sale_cancel(f->st, card, x->id, "wrong amount", &e);
    g_assert_no_error(e);
    fx_decode(f, card, &v);
    g_assert_cmpuint(v.token.u.credit.cumulative, ==, x->base_cumulative);
    fx_at(fx_local(2027, 9, 2, 9, 10));
    g_assert_cmpint(free_with(f, card, 2000), ==, FREE_LIF);
    stmt = kv_report_statement(f->st, 1, fx_local(2027, 9, 1, 0, 0), fx_local(2027, 10, 1, 0, 0), &e);
    scsv = kv_table_to_csv(stmt);
    fx_has(scsv, ",free allocation taken back,1,123456782,,,-20.00,");
    g_unsetenv("KILOVEND_NOW");
    ledger_clean(f);
}

/* Insiders past the station: free energy added to a sale's token in the
 * file (checks off) is a reconciliation problem, and the sale no longer
 * reads as audited; a grant removed from its sale is seen by the audit. */
static void test_tamper_detected(Fx *f, gconstpointer d)
{
    g_autoptr(KvCardLink) card = counter(f);
    g_autoptr(GError) e = NULL;
    g_autoptr(KvReconcileReport) rr = NULL;
    g_autoptr(KvAuditReport) ar = NULL;
    g_autofree char *all = NULL;

    fx_at(fx_local(2027, 10, 2, 9, 0));
    g_assert_cmpint(free_alone(f, card), ==, FREE_LIF);
    g_assert_cmpint(free_with(f, card, 1000), ==, 0);
    g_unsetenv("KILOVEND_NOW");
    ledger_clean(f);
    fx_raw_exec(f->db, "PRAGMA ignore_check_constraints = ON; "
                       "UPDATE sales SET cumulative = cumulative + 5000 WHERE id = 2; "
                       "UPDATE meters SET cumulative_sold = cumulative_sold + 5000; "
                       "UPDATE sales SET free_energy = 0, free_month = NULL WHERE id = 1; ");
    rr = kv_reconcile(f->st, 0, &e);
    g_assert_no_error(e);
    g_ptr_array_add(rr->problems, NULL);
    all = g_strjoinv("\n", (char **)rr->problems->pdata);
    fx_has(all, "its tokens carry 72.00 kWh but its sales bought 2.00 kWh and were granted "
             "0.00 kWh free");
    ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(ar->problems->len, >=, 2);
    {
        g_autofree char *a = NULL;
        g_ptr_array_add(ar->problems, NULL);
        a = g_strjoinv("\n", (char **)ar->problems->pdata);
        fx_has(a, "sale 1 differs from its audit record");
        fx_has(a, "sale 2 differs from its audit record");
    }
}

/* The meter's room (the most a sale may add, its hoarding limit) leaves
 * space for the month's free allocation that rides on the sale: the
 * largest sale offered is accepted with it, one more 0.01 kWh refused;
 * once granted, the room is the meter's whole again. */
static void test_room_for_free(Fx *f, gconstpointer d)
{
    g_autoptr(KvCardLink) card = counter(f);
    g_autoptr(GError) e = NULL;
    g_autoptr(KvSale) most = NULL, over = NULL;
    KvSaleRequest req = { 0 };
    gint64 room = -1;

    g_assert_true(kv_sale_room(f->st, FX_M1, card, &room, &e));
    g_assert_cmpint(room, ==, 50000 - FREE_LIF); /* empty meter, 500 kWh limit */
    req.energy = room + 1;
    over = kv_sale_quote(f->st, FX_M1, &req, card, &e);
    g_assert_null(over);
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_REFUSED);
    g_clear_error(&e);
    req.energy = room;
    most = kv_sale_sell(f->st, card, FX_M1, &req, &e);
    g_assert_no_error(e);
    g_assert_cmpint(most->breakdown.free_energy, ==, FREE_LIF);
    g_assert_cmpuint(most->cumulative, ==, 50000);
    g_assert_true(kv_sale_room(f->st, FX_M1, card, &room, &e));
    g_assert_cmpint(room, ==, 0);
}

/* The category's allocation is set by an admin, audited, listed; a
 * negative one is refused. */
static void test_category_allocation(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) list = NULL;
    KvCategory bad = { .free_energy = -1 };

    setup_categories(f);
    list = kv_category_list(f->st, &e);
    g_assert_cmpuint(list->len, ==, 3);
    g_assert_cmpstr(((KvCategory *)list->pdata[1])->code, ==, "lifeline");
    g_assert_cmpint(((KvCategory *)list->pdata[1])->free_energy, ==, FREE_LIF);
    g_strlcpy(bad.code, "x", sizeof bad.code);
    g_strlcpy(bad.tariff_code, "LIF", sizeof bad.tariff_code);
    g_assert_false(kv_category_set(f->st, &bad, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'category.set' AND "
                                  "detail LIKE 'tariff=LIF free=2000 %'"), ==, 1);
}

int main(int argc, char **argv)
{
    /* UTC-5 all year: local months end at 05:00 UTC. */
    g_setenv("TZ", "America/Bogota", TRUE);
    g_test_init(&argc, &argv, NULL);
    fx_add("/free/first-sale-of-the-month", test_first_sale);
    fx_add("/free/zero-money-token-and-reports", test_zero_money_token);
    fx_add("/free/month-boundary-local-time", test_month_boundary);
    fx_add("/free/no-carry-over", test_no_carry_over);
    fx_add("/free/category-change-mid-month", test_category_change);
    fx_add("/free/twice-refused", test_twice_refused);
    fx_add("/free/cancel-frees-grant", test_cancel_frees_grant);
    fx_add("/free/tamper-detected", test_tamper_detected);
    fx_add("/free/category-allocation", test_category_allocation);
    fx_add("/free/room-for-the-allocation", test_room_for_free);
    return g_test_run();
}
