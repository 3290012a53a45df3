/* test-tariff.c - tariff arithmetic against values computed by hand
 * (the working is in the comments; rules in kv-tariff.h). */
#include <string.h>

#include "kv-core.h"

static KvTariff flat(gint64 price_e4, guint vat_bp, gint64 fixed, guint debt_bp)
{
    KvTariff t = { 0 };
    t.n_blocks = 1;
    t.blocks[0].price_e4 = price_e4;
    t.vat_bp = vat_bp;
    t.fixed_monthly = fixed;
    t.debt_bp = debt_bp;
    return t;
}

/* Up to 50 kWh a month at 10.00/kWh, then 25.00/kWh. */
static KvTariff two_blocks(guint vat_bp, gint64 fixed, guint debt_bp)
{
    KvTariff t = flat(0, vat_bp, fixed, debt_bp);
    t.n_blocks = 2;
    t.blocks[0] = (KvTariffBlock){ 5000, 10000000 };
    t.blocks[1] = (KvTariffBlock){ 0, 25000000 };
    return t;
}

static void test_flat_amount(void)
{
    /* 20.0000/kWh, no VAT: 100.00 buys 5.00 kWh exactly. */
    KvTariff t = flat(20000000, 0, 0, 0);
    KvBreakdown b;
    g_assert_true(kv_tariff_price_amount(&t, 10000, 0, TRUE, 0, &b, NULL));
    g_assert_cmpint(b.energy, ==, 500);
    g_assert_cmpint(b.energy_net, ==, 10000);
    g_assert_cmpint(b.vat, ==, 0);
}

static void test_vat_rounding(void)
{
    /* 16 % VAT, 10.00 paid: net = 1000 * 10000 / 11600 = 862.07 -> 862 (half
     * up), VAT 138.  At 14.5 minor per kWh (price_e4 145000) 0.01 kWh costs
     * 0.145 minor, so 862 minor buy floor(862 / 0.145) = 5944 -> 59.44 kWh
     * (59.44 kWh cost 861.88; the 0.12 left stay in energy_net). */
    KvTariff t = flat(145000, 1600, 0, 0);
    KvBreakdown b;
    g_assert_true(kv_tariff_price_amount(&t, 1000, 0, TRUE, 0, &b, NULL));
    g_assert_cmpint(b.energy_net, ==, 862);
    g_assert_cmpint(b.vat, ==, 138);
    g_assert_cmpint(b.energy, ==, 5944);
    g_assert_cmpint(b.amount, ==, b.energy_net + b.vat + b.fixed_charge + b.debt_recovered);

    /* Half-up: 1.16 VAT on 5 paid: 5 * 10000 / 11600 = 4.31 -> 4, VAT 1.
     * 58 paid: 50.0 exactly -> 50, VAT 8.  29 paid: 25.0 -> 25, VAT 4.
     * 3 paid: 2.586 -> 3 (VAT 0). */
    g_assert_true(kv_tariff_price_amount(&t, 58, 0, TRUE, 0, &b, NULL));
    g_assert_cmpint(b.vat, ==, 8);
    g_assert_true(kv_tariff_price_amount(&t, 3, 0, TRUE, 0, &b, NULL));
    g_assert_cmpint(b.energy_net, ==, 3);
    g_assert_cmpint(b.vat, ==, 0);
}

static void test_blocks(void)
{
    /* Blocks on the month's energy: up to 50 kWh at 10.00, then 25.00.
     * The meter already bought 40 kWh this month.  1000.00 paid, no VAT:
     * 10 kWh at 10.00 = 100.00, the remaining 900.00 buys 36 kWh at 25.00. */
    KvTariff t = two_blocks(0, 0, 0);
    KvBreakdown b;
    g_assert_true(kv_tariff_price_amount(&t, 100000, 4000, FALSE, 0, &b, NULL));
    g_assert_cmpint(b.n_blocks, ==, 2);
    g_assert_cmpint(b.blocks[0].energy, ==, 1000);
    g_assert_cmpint(b.blocks[1].energy, ==, 3600);
    g_assert_cmpint(b.energy, ==, 4600);

    /* The same 46 kWh by energy costs 100.00 + 900.00 = 1000.00 exactly. */
    g_assert_true(kv_tariff_price_energy(&t, 4600, 4000, FALSE, 0, &b, NULL));
    g_assert_cmpint(b.energy_net, ==, 100000);
    g_assert_cmpint(b.amount, ==, 100000);

    /* Above the first block already: everything at 25.00. */
    g_assert_true(kv_tariff_price_amount(&t, 2500, 9000, FALSE, 0, &b, NULL));
    g_assert_cmpint(b.energy, ==, 100);
    g_assert_cmpint(b.n_blocks, ==, 1);
}

static void test_fixed_and_debt(void)
{
    /* 1000.00 paid, 10 % debt recovery (debt 500.00): debt 100.00; rest
     * 900.00 with 16 % VAT: net round(900 / 1.16) = 775.86, VAT 124.14;
     * fixed 100.00 first of month: energy net 675.86.  Blocks 50 kWh at
     * 10.00 (500.00) then 25.00: 175.86 / 25 = 7.0344 -> 7.03 kWh.
     * Total 57.03 kWh. */
    KvTariff t = two_blocks(1600, 10000, 1000);
    KvBreakdown b;
    g_assert_true(kv_tariff_price_amount(&t, 100000, 0, TRUE, 50000, &b, NULL));
    g_assert_cmpint(b.debt_recovered, ==, 10000);
    g_assert_cmpint(b.vat, ==, 12414);
    g_assert_cmpint(b.fixed_charge, ==, 10000);
    g_assert_cmpint(b.energy_net, ==, 67586);
    g_assert_cmpint(b.energy, ==, 5703);

    /* Debt smaller than the share: only the debt is taken (30.00). */
    g_assert_true(kv_tariff_price_amount(&t, 100000, 0, FALSE, 3000, &b, NULL));
    g_assert_cmpint(b.debt_recovered, ==, 3000);
    g_assert_cmpint(b.fixed_charge, ==, 0);

    /* Energy sale of 10 kWh, first of month: energy 100.00 + fixed 100.00 =
     * 200.00, VAT 32.00, subtotal 232.00; debt share ceil(232 * 1000 / 9000)
     * = ceil(25.777..) = 25.78; total 257.78. */
    g_assert_true(kv_tariff_price_energy(&t, 1000, 0, TRUE, 50000, &b, NULL));
    g_assert_cmpint(b.energy_net, ==, 10000);
    g_assert_cmpint(b.vat, ==, 3200);
    g_assert_cmpint(b.debt_recovered, ==, 2578);
    g_assert_cmpint(b.amount, ==, 25778);

    /* Fixed charge not covered: refused. */
    g_assert_false(kv_tariff_price_amount(&t, 5000, 0, TRUE, 0, &b, NULL));
}

static void test_energy_rounding_up(void)
{
    /* 0.01 kWh at 14.5000 costs 0.145 minor -> charged 1 (ceil).  1.00 kWh
     * costs 14.5 -> 15. */
    KvTariff t = flat(145000, 0, 0, 0);
    KvBreakdown b;
    g_assert_true(kv_tariff_price_energy(&t, 1, 0, FALSE, 0, &b, NULL));
    g_assert_cmpint(b.amount, ==, 1);
    g_assert_true(kv_tariff_price_energy(&t, 100, 0, FALSE, 0, &b, NULL));
    g_assert_cmpint(b.amount, ==, 15);
}

static void test_bad_input(void)
{
    KvTariff t = flat(145000, 0, 0, 0);
    KvBreakdown b;
    g_autoptr(GError) e = NULL;
    g_assert_false(kv_tariff_price_amount(&t, 0, 0, FALSE, 0, &b, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    g_assert_false(kv_tariff_price_amount(&t, -5, 0, FALSE, 0, &b, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    /* Too small to buy 0.01 kWh (0.145 minor each): 0 kWh is refused. */
    t = flat(2000000, 0, 0, 0);
    g_assert_false(kv_tariff_price_amount(&t, 1, 0, FALSE, 0, &b, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    /* Non-increasing blocks. */
    t.n_blocks = 2;
    t.blocks[0] = (KvTariffBlock){ 0, 100 };
    t.blocks[1] = (KvTariffBlock){ 0, 100 };
    g_assert_false(kv_tariff_validate(&t, &e));
}

static void test_money_parse(void)
{
    gint64 v;
    g_autoptr(GError) e = NULL;
    g_assert_true(kv_decimal_parse("12.5", 2, 0, &v, NULL));
    g_assert_cmpint(v, ==, 1250);
    g_assert_true(kv_decimal_parse("0.07", 2, 0, &v, NULL));
    g_assert_cmpint(v, ==, 7);
    g_assert_false(kv_decimal_parse("12.505", 2, 0, &v, &e));
    g_clear_error(&e);
    g_assert_false(kv_decimal_parse("-1", 2, 0, &v, &e));
    g_assert_nonnull(strstr(e->message, "negative"));
    g_clear_error(&e);
    g_assert_false(kv_decimal_parse("1e3", 2, 0, &v, &e));
    g_clear_error(&e);
    g_assert_false(kv_decimal_parse("100000000000000000000", 2, 0, &v, &e));
    g_clear_error(&e);
    g_assert_false(kv_decimal_parse("1000.01", 2, 100000, &v, &e));
    g_autofree char *s = kv_decimal_format(1250, 2);
    g_assert_cmpstr(s, ==, "12.50");
}

/* A value just past what 63 bits hold once scaled: it wrapped to a
 * negative amount that passed the max check (an energy of
 * "92233720368547759.99" kWh for `kilovendctl sale --kwh`).  Every such
 * value is refused as too large, for every number of decimals; the
 * largest that fits still parses. */
static void test_money_overflow(void)
{
    static const struct {
        const char *text;
        guint digits;
    } over[] = {
        {"92233720368547759.99", 2}, {"92233720368547758.08", 2},
        {"9223372036854779.999", 3}, {"922337203685.4775808", 7},
        {"9223372036854775808", 0},  {"99999999999999999999.99", 2},
    };
    gint64 v;
    for (guint i = 0; i < G_N_ELEMENTS(over); i++) {
        g_autoptr(GError) e = NULL;
        v = 1;
        g_assert_false(kv_decimal_parse(over[i].text, over[i].digits, 0x7FFFFFFF, &v, &e));
        g_assert_nonnull(strstr(e->message, "too large"));
        g_assert_cmpint(v, ==, 1);
        g_clear_error(&e);
        g_assert_false(kv_decimal_parse(over[i].text, over[i].digits, 0, &v, &e));
    }
    g_assert_true(kv_decimal_parse("92233720368547758.07", 2, 0, &v, NULL));
    g_assert_cmpint(v, ==, G_MAXINT64);
    g_assert_true(kv_decimal_parse("9223372036854775807", 0, 0, &v, NULL));
    g_assert_cmpint(v, ==, G_MAXINT64);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tariff/flat-amount", test_flat_amount);
    g_test_add_func("/tariff/vat-rounding", test_vat_rounding);
    g_test_add_func("/tariff/blocks", test_blocks);
    g_test_add_func("/tariff/fixed-and-debt", test_fixed_and_debt);
    g_test_add_func("/tariff/energy-rounding-up", test_energy_rounding_up);
    g_test_add_func("/tariff/bad-input", test_bad_input);
    g_test_add_func("/money/parse", test_money_parse);
    g_test_add_func("/money/overflow", test_money_overflow);
    return g_test_run();
}
