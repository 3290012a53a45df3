/* test-money.c - the money side of the station core on real SQLite files
 * and card files: payment types and their references; arrears (debt
 * movements, recovery plans, the arrears report); the debt movements under
 * the audit log (each with its audit row, an insider's edits named by
 * verify, the opening summary of a ledger from before them). */
#include <sqlite3.h>
#include <string.h>

#include "core-fixture.h"
#include "kv-db-resources.h"

#define ADD(path, fn) g_test_add(path, Fx, NULL, fx_setup, fn, fx_teardown)

static KvSale *sell_paid(Fx *f, KvCardLink *card, gint64 amount, KvPaymentType pay,
                         const char *ref, GError **error)
{
    KvSaleRequest req = { .amount = amount, .payment = pay, .reference = ref };
    return kv_sale_sell(f->st, card, FX_M1, &req, error);
}

/* Each type is stored, printed, reported; the drawer expects cash only. */
static void test_payment_types(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) cash = NULL, mobile = NULL, bank = NULL, transfer = NULL, got = NULL;
    g_autoptr(KvTable) z = NULL, day = NULL, cust = NULL;
    g_autoptr(KvShift) sh = NULL, closed = NULL;
    g_autofree char *zt = NULL, *zcsv = NULL, *dcsv = NULL, *djson = NULL, *ccsv = NULL;
    g_autofree char *receipt = NULL;
    g_autoptr(KvAuditReport) ar = NULL;

    cash = sell_paid(f, card, 1000, KV_PAYMENT_CASH, NULL, &e);
    g_assert_no_error(e);
    mobile = sell_paid(f, card, 2000, KV_PAYMENT_MOBILE, "MP240101.XK7", &e);
    g_assert_no_error(e);
    bank = sell_paid(f, card, 3000, KV_PAYMENT_CARD, NULL, &e); /* approval code optional */
    g_assert_no_error(e);
    transfer = sell_paid(f, card, 4000, KV_PAYMENT_TRANSFER, "TRF/2026/0042", &e);
    g_assert_no_error(e);
    g_assert_cmpint(mobile->payment, ==, KV_PAYMENT_MOBILE);
    g_assert_cmpstr(mobile->payment_ref, ==, "MP240101.XK7");
    got = kv_sale_get(f->st, transfer->id, &e);
    g_assert_cmpint(got->payment, ==, KV_PAYMENT_TRANSFER);
    g_assert_cmpstr(got->payment_ref, ==, "TRF/2026/0042");
    g_assert_null(cash->payment_ref);

    /* The drawer: float 0 + the cash sale only. */
    sh = kv_shift_current(f->st, &e);
    g_assert_cmpint(sh->expected_cash, ==, 1000);

    /* The Z report: a row per state and type, the money per type. */
    z = kv_report_shift(f->st, cash->shift_id, &e);
    g_assert_no_error(e);
    zt = kv_table_to_text(z);
    fx_has(zt, "amount taken: 100.00");
    fx_has(zt, "paid cash: 10.00");
    fx_has(zt, "paid mobile money: 20.00");
    fx_has(zt, "paid bank card: 30.00");
    fx_has(zt, "paid bank transfer: 40.00");
    fx_has(zt, "expected cash: 10.00");
    zcsv = kv_table_to_csv(z);
    fx_has(zcsv, "state,payment,sales,amount,energy kWh\r\n");
    fx_has(zcsv, "completed,mobile-money,1,20.00,");
    fx_has(zcsv, "completed,bank-transfer,1,40.00,");

    /* The daily report: a column per type. */
    day = kv_report_daily(f->st, kv_now(), &e);
    g_assert_no_error(e);
    dcsv = kv_table_to_csv(day);
    fx_has(dcsv, ",cash,mobile money,bank card,bank transfer\r\n");
    fx_has(dcsv, "admin,4,100.00,");
    fx_has(dcsv, ",10.00,20.00,30.00,40.00\r\n");
    djson = kv_table_to_json(day);
    fx_has(djson, "\"paid bank card\":\"30.00\"");

    /* The customer's history carries the type and the reference. */
    cust = kv_report_customer(f->st, 1, &e);
    ccsv = kv_table_to_csv(cust);
    fx_has(ccsv, ",payment,reference\r\n");
    fx_has(ccsv, ",admin,bank-transfer,TRF/2026/0042\r\n");
    fx_has(ccsv, ",admin,cash,\r\n");

    /* The receipt names how it was paid. */
    receipt = fx_receipt_text(f, mobile->id);
    fx_has(receipt, "Paid by");
    fx_has(receipt, "mobile money");
    fx_has(receipt, "MP240101.XK7");

    ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(ar->problems->len, ==, 0);

    closed = kv_shift_close(f->st, 1000, &e);
    g_assert_no_error(e);
    g_assert_cmpint(closed->expected_cash, ==, 1000);
    g_assert_cmpint(closed->counted_cash - closed->expected_cash, ==, 0);
}

static void refused(Fx *f, KvCardLink *card, KvPaymentType pay, const char *ref, gint code,
                    const char *text)
{
    g_autoptr(GError) e = NULL;
    g_assert_null(sell_paid(f, card, 1000, pay, ref, &e));
    g_assert_error(e, KV_CORE_ERROR, code);
    fx_has(e->message, text);
}

/* A reference where the type needs one, none for cash, a clean word; bad
 * input writes nothing. */
static void test_payment_reference_rules(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    KvPaymentType t;

    refused(f, card, KV_PAYMENT_MOBILE, NULL, KV_CORE_ERROR_INVALID, "needs its reference");
    refused(f, card, KV_PAYMENT_TRANSFER, "", KV_CORE_ERROR_INVALID, "needs its reference");
    refused(f, card, KV_PAYMENT_CASH, "R1", KV_CORE_ERROR_INVALID, "takes no reference");
    refused(f, card, KV_PAYMENT_MOBILE, "MP 1", KV_CORE_ERROR_INVALID, "letters, digits");
    refused(f, card, KV_PAYMENT_MOBILE, "MP1 pay=cash", KV_CORE_ERROR_INVALID, "letters");
    refused(f, card, KV_PAYMENT_MOBILE,
            "AB123456789012345678901234567890123456789012345678901234567890123",
            KV_CORE_ERROR_INVALID, "1 to 64");
    refused(f, card, (KvPaymentType)7, NULL, KV_CORE_ERROR_INVALID, "unknown payment type");
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM sales"), ==, 0);

    g_assert_true(kv_payment_parse("mobile-money", &t, &e) && t == KV_PAYMENT_MOBILE);
    g_assert_true(kv_payment_parse("Transfer", &t, &e) && t == KV_PAYMENT_TRANSFER);
    g_assert_true(kv_payment_parse("bank-card", &t, &e) && t == KV_PAYMENT_CARD);
    g_assert_false(kv_payment_parse("cheque", &t, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
}

/* The attack: a cashier takes cash, books the sale as mobile money with the
 * reference of a payment already counted (the customer's earlier one), and
 * keeps the cash (the drawer no longer expects it).  Refused: a reference
 * pays one live sale of its type; a failed or cancelled sale frees it. */
static void test_payment_reference_reused(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) first = NULL, other_type = NULL;
    g_autoptr(KvShift) sh = NULL;

    first = sell_paid(f, card, 2000, KV_PAYMENT_MOBILE, "MP777", &e);
    g_assert_no_error(e);
    refused(f, card, KV_PAYMENT_MOBILE, "MP777", KV_CORE_ERROR_EXISTS, "already paid sale");
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM sales"), ==, 1);
    /* Another type's reference space is its own. */
    other_type = sell_paid(f, card, 1000, KV_PAYMENT_TRANSFER, "MP777", &e);
    g_assert_no_error(e);
    /* Past the core, the unique index refuses it too. */
    {
        sqlite3 *h;
        char *err = NULL;
        g_assert_cmpint(sqlite3_open(f->db, &h), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_exec(h, "UPDATE sales SET payment = 1, payment_ref = 'MP777' "
                                        "WHERE id = 2", NULL, NULL, &err), ==, SQLITE_CONSTRAINT);
        sqlite3_free(err);
        sqlite3_close(h);
    }
    sh = kv_shift_current(f->st, &e);
    g_assert_cmpint(sh->expected_cash, ==, 0);
}

/* The attack done in SQL behind the station: a cash sale relabelled as
 * mobile money (the drawer then expects less), or the other way.  The
 * audit chain holds each sale's type and reference: verify names it. */
static void test_payment_relabel_detected(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) cash = NULL, mobile = NULL;
    g_autoptr(KvAuditReport) ar = NULL, ar2 = NULL;

    cash = sell_paid(f, card, 2000, KV_PAYMENT_CASH, NULL, &e);
    g_assert_no_error(e);
    mobile = sell_paid(f, card, 1000, KV_PAYMENT_MOBILE, "MP1", &e);
    g_assert_no_error(e);
    fx_raw_exec(f->db, "UPDATE sales SET payment = 1, payment_ref = 'MP9' WHERE id = 1");
    ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(ar->problems->len, ==, 1);
    fx_has(ar->problems->pdata[0], "sale 1 differs from its audit record");
    fx_raw_exec(f->db, "UPDATE sales SET payment = 0, payment_ref = NULL");
    ar2 = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_cmpuint(ar2->problems->len, ==, 1);
    fx_has(ar2->problems->pdata[0], "sale 2 differs from its audit record");
}

/* ---- arrears ---- */

/* Local times in the test's zone (Africa/Nairobi, UTC+3, set in main). */
static gint64 debt_of(Fx *f, gint64 customer)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCustomer) c = kv_customer_get(f->st, customer, &e);
    g_assert_no_error(e);
    return c->debt;
}

/* The sum of the movements, past the core. */
static gint64 movements_sum(Fx *f, gint64 customer)
{
    g_autofree char *sql = g_strdup_printf("SELECT coalesce(sum(amount), 0) FROM debt_movements "
                                           "WHERE customer_id = %" G_GINT64_FORMAT, customer);
    return fx_raw_int(f, sql);
}

static gint64 recovered(Fx *f, KvCardLink *card, gint64 amount)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvSale) x = fx_sell(f, card, FX_M1, amount, &e);
    g_assert_no_error(e);
    g_assert_cmpint(x->state, ==, KV_SALE_COMPLETED);
    return x->breakdown.debt_recovered;
}

/* The same, sold at local time t. */
static gint64 recovered_at(Fx *f, KvCardLink *card, gint64 t, gint64 amount)
{
    fx_at(t);
    return recovered(f, card, amount);
}

static void set_plan(Fx *f, KvPlanKind kind, guint bp, gint64 min, gint64 max, gint64 amount,
                     gint64 ends)
{
    g_autoptr(GError) e = NULL;
    KvDebtPlan p = { .customer_id = 1, .kind = kind, .share_bp = bp, .min_amount = min,
                     .max_amount = max, .amount = amount, .ends_at = ends };
    g_assert_cmpint(kv_debt_plan_set(f->st, &p, &e), >, 0);
    g_assert_no_error(e);
}

/* SQL that must be refused, past the core. */
static void raw_refused(Fx *f, const char *sql, const char *why)
{
    sqlite3 *h;
    char *err = NULL;
    g_assert_cmpint(sqlite3_open(f->db, &h), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(h, sql, NULL, NULL, &err), !=, SQLITE_OK);
    fx_has(err, why);
    sqlite3_free(err);
    sqlite3_close(h);
}

/* The report of `audit verify` now (asserts it ran). */
static KvAuditReport *verify_now(Fx *f)
{
    g_autoptr(GError) e = NULL;
    KvAuditReport *r = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    g_assert_nonnull(r);
    return r;
}

/* One of the report's problems says text. */
static void reported(const KvAuditReport *r, const char *text)
{
    for (guint i = 0; i < r->problems->len; i++)
        if (strstr(r->problems->pdata[i], text))
            return;
    for (guint i = 0; i < r->problems->len; i++)
        g_printerr("problem: %s\n", (char *)r->problems->pdata[i]);
    g_error("no problem says '%s'", text);
}

/* The debt is its movements: added, recovered by sales under a share plan
 * (minimum and maximum per purchase), written off, adjusted, restored by a
 * cancellation; the balance is their sum and can change no other way. */
static void test_arrears_ledger(Fx *f, gconstpointer d)
{
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    KvDebtMovement *m;
    g_autoptr(GPtrArray) moves = NULL;
    g_autoptr(GError) e = NULL;
    g_autoptr(KvSale) last = NULL, cancelled = NULL;

    g_assert_true(kv_debt_move(f->st, 1, KV_DEBT_ADDED, 10000, "unpaid bill 2026-10", &e));
    g_assert_no_error(e);
    g_assert_cmpint(debt_of(f, 1), ==, 10000);
    /* No plan: the tariff's share (0 here) applies. */
    g_assert_cmpint(recovered(f, card, 1000), ==, 0);
    set_plan(f, KV_PLAN_SHARE, 2500, 500, 2000, 0, 0);
    g_assert_cmpint(recovered(f, card, 4000), ==, 1000);  /* 25 % of 40.00 */
    g_assert_cmpint(recovered(f, card, 1000), ==, 500);   /* 2.50, raised to the minimum */
    g_assert_cmpint(recovered(f, card, 10000), ==, 2000); /* 25.00, lowered to the maximum */
    g_assert_cmpint(debt_of(f, 1), ==, 6500);
    g_assert_true(kv_debt_move(f->st, 1, KV_DEBT_WRITTEN_OFF, 1500, "hardship", &e));
    g_assert_true(kv_debt_move(f->st, 1, KV_DEBT_ADJUSTED, -1000, "meter misread", &e));
    g_assert_no_error(e);
    g_assert_cmpint(debt_of(f, 1), ==, 4000);
    /* Below zero, no reason, a wrong sign: refused, nothing written. */
    g_assert_false(kv_debt_move(f->st, 1, KV_DEBT_ADJUSTED, -4001, "too much", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    fx_has(e->message, "below zero");
    g_clear_error(&e);
    g_assert_false(kv_debt_move(f->st, 1, KV_DEBT_WRITTEN_OFF, 100, "", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    g_assert_false(kv_debt_move(f->st, 1, KV_DEBT_ADDED, -100, "negative add", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    g_assert_false(kv_debt_move(f->st, 99, KV_DEBT_ADDED, 100, "nobody", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND);
    g_clear_error(&e);
    /* A cancelled sale puts its recovery back. */
    last = fx_sell(f, card, FX_M1, 2000, &e); /* 5.00: the minimum */
    g_assert_no_error(e);
    g_assert_cmpint(last->breakdown.debt_recovered, ==, 500);
    g_assert_cmpint(debt_of(f, 1), ==, 3500);
    cancelled = kv_sale_cancel(f->st, card, last->id, "wrong meter", &e);
    g_assert_no_error(e);
    g_assert_cmpint(debt_of(f, 1), ==, 4000);

    moves = kv_debt_movements(f->st, 1, 0, 0, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(moves->len, ==, 8);
    m = moves->pdata[0];
    g_assert_cmpint(m->kind, ==, KV_DEBT_ADDED);
    g_assert_cmpstr(m->reason, ==, "unpaid bill 2026-10");
    g_assert_cmpstr(m->user_login, ==, "admin");
    m = moves->pdata[1];
    g_assert_cmpint(m->kind, ==, KV_DEBT_RECOVERED);
    g_assert_cmpint(m->amount, ==, -1000);
    g_assert_cmpint(m->sale_id, >, 0);
    m = moves->pdata[4];
    g_assert_cmpint(m->kind, ==, KV_DEBT_WRITTEN_OFF);
    g_assert_cmpint(m->amount, ==, -1500);
    m = moves->pdata[7];
    g_assert_cmpint(m->kind, ==, KV_DEBT_RESTORED);
    g_assert_cmpint(m->amount, ==, 500);
    g_assert_cmpint(m->sale_id, ==, last->id);
    g_assert_cmpint(movements_sum(f, 1), ==, debt_of(f, 1));

    /* Behind the station's back: the number alone, or the movements. */
    raw_refused(f, "UPDATE customers SET debt = 0 WHERE id = 1", "only through its movements");
    raw_refused(f, "UPDATE debt_movements SET amount = -9999 WHERE id = 1", "append-only");
    raw_refused(f, "DELETE FROM debt_movements", "append-only");
    g_assert_cmpint(debt_of(f, 1), ==, 4000);
    /* Every movement above has its audit row: verify finds them all. */
    {
        g_autoptr(KvAuditReport) r = verify_now(f);
        g_assert_cmpuint(r->problems->len, ==, 0);
        g_assert_cmpuint(r->movements_checked, ==, 8);
    }
}

/* Rounding to the minor unit: an amount sale's share is rounded down, an
 * energy sale's up (so that it is at least the share of the total); the
 * minimum never takes more than the amount. */
static void test_arrears_rounding(void)
{
    g_autoptr(GError) e = NULL;
    KvTariff t = { .n_blocks = 1, .vat_bp = 1600 };
    KvBreakdown b;
    KvDebtRule third = { 100000, 3333, 0, 0 }, fifth = { 100000, 2000, 0, 0 };
    KvDebtRule fixed = { 100000, 0, 300, 300 }, small = { 250, 0, 300, 300 };

    t.blocks[0].price_e4 = 1000 * 10000; /* 10.00 a kWh */
    g_assert_true(kv_tariff_price_amount_rule(&t, 1005, 0, FALSE, &third, &b, &e));
    g_assert_cmpint(b.debt_recovered, ==, 334); /* 334.9665 down */
    g_assert_cmpint(b.amount, ==, b.fixed_charge + b.debt_recovered + b.energy_net + b.vat);
    /* 1.01 kWh = 10.10 net, VAT 16 % = 1.616 -> 1.62: subtotal 11.72;
     * 20 % of the total: 11.72 x 2000 / 8000 = 2.93 exactly; 1.02 kWh:
     * 10.20 + 1.632 -> 1.63 = 11.83 / 4 = 2.9575 -> 2.96 (up). */
    g_assert_true(kv_tariff_price_energy_rule(&t, 101, 0, FALSE, &fifth, &b, &e));
    g_assert_cmpint(b.debt_recovered, ==, 293);
    g_assert_true(kv_tariff_price_energy_rule(&t, 102, 0, FALSE, &fifth, &b, &e));
    g_assert_cmpint(b.vat, ==, 163);
    g_assert_cmpint(b.debt_recovered, ==, 296);
    g_assert_cmpint(b.debt_recovered * 10000, >=, b.amount * 2000);
    /* A fixed amount per purchase, at most the balance. */
    g_assert_true(kv_tariff_price_amount_rule(&t, 1000, 0, FALSE, &fixed, &b, &e));
    g_assert_cmpint(b.debt_recovered, ==, 300);
    g_assert_true(kv_tariff_price_energy_rule(&t, 100, 0, FALSE, &small, &b, &e));
    g_assert_cmpint(b.debt_recovered, ==, 250);
    g_assert_cmpint(b.amount, ==, 1160 + 250);
    /* The whole amount to the debt: refused with the reason. */
    g_assert_false(kv_tariff_price_amount_rule(&t, 300, 0, FALSE, &fixed, &b, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    fx_has(e->message, "debt recovery");
}

/* A fixed amount per purchase; then per month, counted by calendar month
 * in local time (the boundary is 21:00 UTC here); the plan ends on its
 * date, and the tariff's share applies again. */
static void test_arrears_plans(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvDebtPlan) none = NULL;

    fx_at(fx_local(2027, 1, 10, 9, 0));
    g_assert_true(kv_debt_move(f->st, 1, KV_DEBT_ADDED, 50000, "old account", &e));
    set_plan(f, KV_PLAN_FIXED, 0, 0, 0, 300, 0);
    g_assert_cmpint(recovered(f, card, 1000), ==, 300);
    g_assert_cmpint(recovered(f, card, 5000), ==, 300);

    fx_at(fx_local(2027, 1, 20, 9, 0));
    set_plan(f, KV_PLAN_MONTHLY, 0, 0, 0, 500, fx_local(2027, 3, 10, 0, 0));
    /* January: the fixed plan's recoveries before this plan do not count. */
    g_assert_cmpint(recovered(f, card, 1000), ==, 500);
    g_assert_cmpint(recovered_at(f, card, fx_local(2027, 1, 25, 9, 0), 1000), ==, 0);
    /* 23:59 local on the 31st is 20:59 UTC: still January. */
    g_assert_cmpint(recovered_at(f, card, fx_local(2027, 1, 31, 23, 59), 1000), ==, 0);
    /* 00:01 local on 1 February is 21:01 UTC on 31 January: a new month. */
    g_assert_cmpint(recovered_at(f, card, fx_local(2027, 2, 1, 0, 1), 600), ==, 500);
    g_assert_cmpint(recovered(f, card, 1000), ==, 0);
    /* The plan ends on 10 March: from then, the tariff's share (0 here). */
    fx_at(fx_local(2027, 3, 9, 23, 0));
    g_assert_cmpint(recovered(f, card, 1000), ==, 500);
    fx_at(fx_local(2027, 3, 10, 0, 30));
    none = kv_debt_plan_current(f->st, 1, kv_now(), &e);
    g_assert_no_error(e);
    g_assert_null(none);
    g_assert_cmpint(recovered(f, card, 1000), ==, 0);
    g_assert_false(kv_debt_plan_end(f->st, 1, "nothing in force", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND);
    g_clear_error(&e);
    /* Ended by hand: a share plan, then its end. */
    set_plan(f, KV_PLAN_SHARE, 5000, 0, 0, 0, 0);
    g_assert_cmpint(recovered(f, card, 1000), ==, 500);
    g_assert_true(kv_debt_plan_end(f->st, 1, "paid by the social fund", &e));
    g_assert_no_error(e);
    g_assert_cmpint(recovered(f, card, 1000), ==, 0);
    g_assert_cmpint(debt_of(f, 1), ==, 50000 - 300 - 300 - 500 - 500 - 500 - 500);
    g_assert_cmpint(movements_sum(f, 1), ==, debt_of(f, 1));
    {
        g_autoptr(KvAuditReport) r = verify_now(f);
        g_assert_cmpuint(r->problems->len, ==, 0);
        g_assert_cmpuint(r->movements_checked, ==, 7);
    }
    /* Bad plans are refused. */
    {
        KvDebtPlan bad = { .customer_id = 1, .kind = KV_PLAN_SHARE, .share_bp = 9500 };
        KvDebtPlan past = { .customer_id = 1, .kind = KV_PLAN_FIXED, .amount = 100,
                            .ends_at = fx_local(2027, 1, 1, 0, 0) };
        g_assert_cmpint(kv_debt_plan_set(f->st, &bad, &e), ==, 0);
        g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
        g_clear_error(&e);
        g_assert_cmpint(kv_debt_plan_set(f->st, &past, &e), ==, 0);
        g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    }
    g_unsetenv("KILOVEND_NOW");
}

static gint64 add_customer(Fx *f, const char *account, const char *name, gint64 debt)
{
    g_autoptr(GError) e = NULL;
    KvCustomer c = { .account = (char *)account, .name = (char *)name, .debt = debt };
    gint64 id = kv_customer_add(f->st, &c, &e);
    g_assert_no_error(e);
    return id;
}

/* The arrears report ages each debt from its last recovery (or, never
 * recovered, from its first movement); customers with no purchase in N
 * days are listed, those who never bought too. */
static void test_arrears_report(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvTable) ar = NULL, dormant = NULL;
    g_autofree char *csv = NULL, *text = NULL, *dcsv = NULL;
    gint64 now = fx_local(2027, 6, 1, 12, 0);

    fx_at(now - 100 * 86400);
    add_customer(f, "B100", "Kofi Old", 3000);          /* 100 days, never recovered */
    fx_at(now - 45 * 86400);
    add_customer(f, "C045", "Ama Middle", 2000);        /* 45 days */
    g_assert_true(kv_debt_move(f->st, 1, KV_DEBT_ADDED, 9000, "bill", &e));
    set_plan(f, KV_PLAN_FIXED, 0, 0, 0, 1000, 0);
    fx_at(now - 10 * 86400);
    g_assert_cmpint(recovered(f, card, 2000), ==, 1000); /* Jane: 10 days */
    fx_at(now);
    add_customer(f, "D000", "Esi Paid", 0);             /* no debt: not listed */
    ar = kv_report_arrears(f->st, now, &e);
    g_assert_no_error(e);
    csv = kv_table_to_csv(ar);
    fx_has(csv, "account,name,debt,plan,last recovery,days,age\r\n");
    fx_has(csv, "A001,Jane Doe,80.00,fixed 10.00,");
    fx_has(csv, ",10,0-30\r\n");
    fx_has(csv, "B100,Kofi Old,30.00,tariff,never,100,90+\r\n");
    fx_has(csv, "C045,Ama Middle,20.00,tariff,never,45,31-90\r\n");
    g_assert_null(strstr(csv, "D000"));
    text = kv_table_to_text(ar);
    fx_has(text, "customers in debt: 3");
    fx_has(text, "total debt: 130.00");
    fx_has(text, "0-30 days: 80.00 (1)");
    fx_has(text, "31-90 days: 20.00 (1)");
    fx_has(text, "over 90 days: 30.00 (1)");

    dormant = kv_report_dormant(f->st, now, 30, &e);
    g_assert_no_error(e);
    dcsv = kv_table_to_csv(dormant);
    fx_has(dcsv, "B100,Kofi Old,never,,30.00\r\n");
    fx_has(dcsv, "D000,Esi Paid,never,,0.00\r\n");
    g_assert_null(strstr(dcsv, "A001")); /* bought 10 days ago */
    g_clear_pointer(&dormant, kv_table_free);
    g_free(dcsv);
    dormant = kv_report_dormant(f->st, now, 5, &e);
    dcsv = kv_table_to_csv(dormant);
    fx_has(dcsv, "A001,Jane Doe,");
    fx_has(dcsv, ",10,80.00\r\n");
    g_unsetenv("KILOVEND_NOW");
    /* Cashiers see neither. */
    fx_add_user(f, "carol", KV_ROLE_CASHIER);
    g_assert_true(kv_station_login(f->st, "carol", "carol-password", &e));
    g_assert_null(kv_report_arrears(f->st, now, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    /* ...nor change a debt or a plan. */
    g_assert_false(kv_debt_move(f->st, 1, KV_DEBT_WRITTEN_OFF, 8000, "mine now", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    g_assert_false(kv_debt_plan_end(f->st, 1, "no more", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_assert_cmpint(debt_of(f, 1), ==, 8000);
}

/* A ledger from before the money side: its customers' debts become their
 * opening movements and nothing else changes. */
static void test_arrears_migration(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) moves = NULL;

    fx_migrate_back(f, BACKLOG_021_UNDONE COMPACT_AUDIT_020_UNDONE MONTH_BLOCKS_019_UNDONE COMPACT_016_UNDONE FREE_015_UNDONE EMERGENCY_014_UNDONE UNLOADED_013_UNDONE SYNC_RECORDS_011_UNDONE DEBT_AUDIT_010_UNDONE LIFECYCLE_009_UNDONE MONEY_008_UNDONE "DROP INDEX sales_payment_ref; "
                       "ALTER TABLE sales DROP COLUMN payment; "
                       "ALTER TABLE sales DROP COLUMN payment_ref; "
                       "UPDATE customers SET debt = 1234 WHERE id = 1; ",
                    "008-money.sql");
    g_assert_true(kv_station_login(f->st, "admin", FX_ADMIN_PW, &e));
    g_assert_cmpint(debt_of(f, 1), ==, 1234);
    moves = kv_debt_movements(f->st, 1, 0, 0, &e);
    g_assert_cmpuint(moves->len, ==, 1);
    g_assert_cmpint(((KvDebtMovement *)moves->pdata[0])->kind, ==, KV_DEBT_OPENING);
    g_assert_cmpint(((KvDebtMovement *)moves->pdata[0])->amount, ==, 1234);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM debt_movements"), ==, 1);
}

/* ---- debt movements under the audit log ---- */

/* Every way the station writes a movement writes its audit row, with the
 * movement's content, in the movement's transaction: a customer registered
 * with a debt, a debt added and written off, a sale's recovery and its
 * cancellation. */
static void test_debt_audit_rows(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) x = NULL, cancelled = NULL;
    g_autoptr(KvAuditReport) r = NULL;
    g_autofree char *detail = NULL;
    gint64 bob = add_customer(f, "B002", "Bob", 2500);

    g_assert_true(kv_debt_move(f->st, 1, KV_DEBT_ADDED, 10000, "unpaid bill", &e));
    g_assert_true(kv_debt_move(f->st, bob, KV_DEBT_WRITTEN_OFF, 500, "hardship", &e));
    g_assert_no_error(e);
    set_plan(f, KV_PLAN_FIXED, 0, 0, 0, 300, 0);
    x = fx_sell(f, card, FX_M1, 1000, &e);
    g_assert_no_error(e);
    g_assert_cmpint(x->breakdown.debt_recovered, ==, 300);
    cancelled = kv_sale_cancel(f->st, card, x->id, "wrong meter", &e);
    g_assert_no_error(e);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM debt_movements"), ==, 5);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'debt.movement'"),
                    ==, 5);
    /* The recovery's row carries its customer and its amount. */
    {
        sqlite3 *h;
        sqlite3_stmt *s;
        g_assert_cmpint(sqlite3_open(f->db, &h), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_prepare_v2(h, "SELECT a.detail FROM audit a JOIN debt_movements d "
                                              "ON a.object = 'debt:' || d.id WHERE d.kind = "
                                              "'recovered'", -1, &s, NULL), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_step(s), ==, SQLITE_ROW);
        detail = g_strdup((const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        sqlite3_close(h);
    }
    g_assert_true(g_str_has_prefix(detail, "customer=1 kind=recovered amount=-300 sale="));
    r = verify_now(f);
    g_assert_cmpuint(r->problems->len, ==, 0);
    g_assert_cmpuint(r->movements_checked, ==, 5);
    g_assert_cmpint(debt_of(f, 1), ==, 10000);
    g_assert_cmpint(debt_of(f, bob), ==, 2000);
}

/* An insider's SQL past the core: `audit verify` then reports n problems,
 * among them one saying `said` and one saying `also` (when given); `undo`
 * (when given) puts the ledger back. */
static void attack(Fx *f, const char *sql, guint n, const char *said, const char *also,
                   const char *undo)
{
    g_autoptr(KvAuditReport) r = NULL;
    fx_raw_exec(f->db, sql);
    r = verify_now(f);
    g_assert_cmpuint(r->problems->len, ==, n);
    if (said)
        reported(r, said);
    if (also)
        reported(r, also);
    if (undo)
        fx_raw_exec(f->db, undo);
}

/* The triggers only keep honest SQL honest: with them dropped, an insider
 * alters, inserts and deletes movements and sets a balance.  `audit
 * verify` names each change. */
static void test_debt_insider_edits(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");

    g_assert_true(kv_debt_move(f->st, 1, KV_DEBT_ADDED, 10000, "unpaid bill", &e));
    g_assert_no_error(e);
    set_plan(f, KV_PLAN_FIXED, 0, 0, 0, 300, 0);
    g_assert_cmpint(recovered(f, card, 1000), ==, 300);
    attack(f, "DROP TRIGGER debt_movements_no_update; DROP TRIGGER debt_movements_no_delete; "
              "DROP TRIGGER debt_only_by_movements; DROP TRIGGER debt_movement_applies",
           0, NULL, NULL, NULL);
    /* 1. The debt added, made smaller, the balance kept in step with it. */
    attack(f, "UPDATE debt_movements SET amount = 1000 WHERE id = 1; "
              "UPDATE customers SET debt = debt - 9000 WHERE id = 1", 1,
           "debt movement 1 differs from its audit record: now 'customer=1 kind=added "
           "amount=1000 ", NULL,
           "UPDATE debt_movements SET amount = 10000 WHERE id = 1; "
           "UPDATE customers SET debt = debt + 9000 WHERE id = 1");
    /* 2. A write-off inserted, the balance with it. */
    attack(f, "INSERT INTO debt_movements(customer_id, at, kind, amount, reason) "
              "VALUES (1, 1, 'written-off', -9700, 'hardship'); "
              "UPDATE customers SET debt = 0 WHERE id = 1", 1,
           "debt movement 3 (customer=1 kind=written-off amount=-9700 sale=0 at=1 user=0 "
           "reason=hardship) has no audit row", NULL,
           "DELETE FROM debt_movements WHERE id = 3; UPDATE customers SET debt = 9700 WHERE id = 1");
    /* 3. The debt added, deleted (the recovery left alone takes the debt
     * below zero). */
    attack(f, "CREATE TABLE kept AS SELECT * FROM debt_movements WHERE id = 1; "
              "DELETE FROM debt_movements WHERE id = 1; UPDATE customers SET debt = 0 WHERE id = 1",
           2, "debt:1 is in the audit log but not in the debt movements (deleted)",
           "customer 1 owes 0.00 but their debt movements add up to -3.00",
           "INSERT INTO debt_movements SELECT * FROM kept; DROP TABLE kept; "
           "UPDATE customers SET debt = 9700 WHERE id = 1");
    /* 4. Put back, it verifies; then the balance alone. */
    attack(f, "SELECT 1", 0, NULL, NULL, NULL);
    attack(f, "UPDATE customers SET debt = 0 WHERE id = 1", 1,
           "customer 1 owes 0.00 but their debt movements add up to 97.00", NULL, NULL);
}

/* SQL on a database file, asserting it runs. */
static void exec_on(sqlite3 *h, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
        g_error("%s: %s", sql, err);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A ledger written before db/010-debt-audit.sql (the migrations before it,
 * the fixture's settings and users, two customers' movements with no audit
 * rows), opened: the station summarises those movements once in a
 * debt.opening audit row, which the next keyed row seals; later movements
 * have their own rows; a change to a movement before the cut-over breaks
 * the summary; migrating again writes no second one. */
static void test_debt_audit_migration(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *old = fx_path(f, "old.db");
    g_autofree char *attach = g_strdup_printf("ATTACH '%s' AS fx", f->db);
    g_autofree char *version = g_strdup_printf("PRAGMA user_version = %u",
                                               fx_migrations_before("010-debt-audit.sql"));
    g_auto(GStrv) names = g_resource_enumerate_children(kv_db_get_resource(), "/org/kilovend/db",
                                                        0, NULL);
    g_autoptr(KvAuditReport) r0 = NULL, r1 = NULL, r2 = NULL, r3 = NULL;
    sqlite3 *h;

    g_assert_cmpint(sqlite3_open(old, &h), ==, SQLITE_OK);
    qsort(names, g_strv_length(names), sizeof *names, by_name);
    for (guint i = 0; names[i] && strcmp(names[i], "010-debt-audit.sql") < 0; i++) {
        g_autofree char *res = g_strconcat("/org/kilovend/db/", names[i], NULL);
        g_autoptr(GBytes) sql = g_resource_lookup_data(kv_db_get_resource(), res, 0, &e);
        g_autofree char *text = g_strndup(g_bytes_get_data(sql, NULL), g_bytes_get_size(sql));
        exec_on(h, text);
    }
    exec_on(h, version);
    exec_on(h, attach);
    exec_on(h, "INSERT OR REPLACE INTO settings SELECT * FROM fx.settings; "
               "INSERT INTO users SELECT * FROM fx.users; "
               "INSERT INTO key_holdings SELECT * FROM fx.key_holdings; DETACH fx; "
               "INSERT INTO customers(id, account, name, debt, created_at) VALUES "
               "(1, 'A001', 'Jane Doe', 0, 1), (2, 'B002', 'Bob', 0, 1); "
               "INSERT INTO debt_movements(customer_id, at, kind, amount, reason) VALUES "
               "(1, 100, 'opening', 5000, 'balance before the debt ledger'), "
               "(1, 200, 'added', 2000, 'bill'), (2, 300, 'opening', 700, 'registered')");
    sqlite3_close(h);

    kv_station_free(f->st);
    f->st = kv_station_open(old, f->keys, &e);
    g_assert_no_error(e);
    g_free(f->db);
    f->db = g_strdup(old);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'debt.opening' AND "
                                  "detail LIKE 'movements=3 last=3 total=7700 sha256=%'"), ==, 1);
    g_assert_true(kv_station_login(f->st, "admin", FX_ADMIN_PW, &e));
    g_assert_true(kv_station_unlock_keys(f->st, FX_PASSPHRASE, NULL, NULL, &e));
    g_assert_no_error(e);
    r0 = verify_now(f);
    g_assert_cmpuint(r0->problems->len, ==, 0);
    g_assert_cmpuint(r0->movements_checked, ==, 3);
    g_assert_true(r0->keyed);
    g_assert_cmpint(r0->covered_to, ==, fx_raw_int(f, "SELECT max(id) FROM audit"));

    /* After the cut-over: each movement with its own row. */
    g_assert_true(kv_debt_move(f->st, 2, KV_DEBT_WRITTEN_OFF, 700, "moved away", &e));
    g_assert_no_error(e);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'debt.movement' "
                                  "AND object = 'debt:4'"), ==, 1);
    r1 = verify_now(f);
    g_assert_cmpuint(r1->problems->len, ==, 0);
    g_assert_cmpuint(r1->movements_checked, ==, 4);

    /* Taken back before 010 and migrated again: no second summary. */
    fx_migrate_back(f, BACKLOG_021_UNDONE COMPACT_AUDIT_020_UNDONE MONTH_BLOCKS_019_UNDONE COMPACT_016_UNDONE FREE_015_UNDONE EMERGENCY_014_UNDONE UNLOADED_013_UNDONE SYNC_RECORDS_011_UNDONE DEBT_AUDIT_010_UNDONE,
                    "010-debt-audit.sql");
    g_assert_true(kv_station_login(f->st, "admin", FX_ADMIN_PW, &e));
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'debt.opening'"),
                    ==, 1);
    r2 = verify_now(f);
    g_assert_cmpuint(r2->problems->len, ==, 0);

    /* A movement from before the cut-over, changed with its balance. */
    fx_raw_exec(f->db, "DROP TRIGGER debt_movements_no_update; DROP TRIGGER debt_only_by_movements; "
                       "UPDATE debt_movements SET amount = 200 WHERE id = 2; "
                       "UPDATE customers SET debt = 5200 WHERE id = 1");
    r3 = verify_now(f);
    g_assert_cmpuint(r3->problems->len, ==, 1);
    reported(r3, "the debt movements up to 3, recorded before each had its own audit row, are "
                 "not those audit row");
    reported(r3, "(3 movements totalling 7700 then, 3 totalling 5900 now");
}

/* ---- customer statement ---- */

/* A month's statement: the purchases, a refund, the debt movements with the
 * balance after each; what happened before and after the period is left
 * out, and the closing balance is the opening one plus the rows. */
static void test_statement(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) refunded = NULL, cancel = NULL;
    g_autoptr(KvTable) t = NULL;
    g_autofree char *csv = NULL, *text = NULL, *pdf = fx_path(f, "statement.pdf");
    g_autofree char *bytes = NULL;
    gint64 closing;

    fx_at(fx_local(2027, 1, 5, 10, 0));
    g_assert_true(kv_debt_move(f->st, 1, KV_DEBT_ADDED, 10000, "old bill", &e));
    fx_at(fx_local(2027, 1, 20, 10, 0));
    g_assert_cmpint(recovered(f, card, 1000), ==, 0); /* before the period */
    fx_at(fx_local(2027, 2, 3, 10, 0));
    set_plan(f, KV_PLAN_FIXED, 0, 0, 0, 200, 0);
    g_assert_cmpint(recovered(f, card, 1000), ==, 200);
    fx_at(fx_local(2027, 2, 10, 10, 0));
    refunded = sell_paid(f, card, 500, KV_PAYMENT_MOBILE, "MP-55", &e);
    g_assert_no_error(e);
    cancel = kv_sale_cancel(f->st, card, refunded->id, "wrong amount", &e);
    g_assert_no_error(e);
    /* The cancelled sale is no purchase: the last one is 3 February's. */
    g_assert_cmpint(fx_raw_int(f, "SELECT last_purchase FROM customers WHERE id = 1"), ==,
                    fx_local(2027, 2, 3, 10, 0));
    fx_at(fx_local(2027, 2, 15, 10, 0));
    g_assert_true(kv_debt_move(f->st, 1, KV_DEBT_WRITTEN_OFF, 1000, "hardship", &e));
    fx_at(fx_local(2027, 3, 2, 10, 0));
    g_assert_cmpint(recovered(f, card, 1000), ==, 200); /* after the period */
    g_unsetenv("KILOVEND_NOW");

    t = kv_report_statement(f->st, 1, fx_local(2027, 2, 1, 0, 0), fx_local(2027, 3, 1, 0, 0), &e);
    g_assert_no_error(e);
    csv = kv_table_to_csv(t);
    fx_has(csv, "time,entry,receipt,meter,paid,payment,energy kWh,debt,debt balance\r\n");
    fx_has(csv, "2027-02-03 10:00:00,purchase,2,123456782,10.00,cash,0.80,-2.00,98.00\r\n");
    fx_has(csv, "2027-02-10 10:00:00,purchase,3,123456782,5.00,mobile-money,0.30,-2.00,96.00\r\n");
    fx_has(csv, "2027-02-10 10:00:00,refund,3,123456782,-5.00,mobile-money,-0.30,2.00,98.00\r\n");
    fx_has(csv, "2027-02-15 10:00:00,written off (hardship),,,,,,-10.00,88.00\r\n");
    g_assert_cmpuint(t->rows->len, ==, 4);
    text = kv_table_to_text(t);
    fx_has(text, "opening debt: 100.00");
    fx_has(text, "purchases: 2 (15.00)");
    fx_has(text, "refunds: 1 (5.00)");
    fx_has(text, "debt recovered: 2.00");
    fx_has(text, "closing debt: 88.00");
    g_assert_true(kv_debt_balance_at(f->st, 1, fx_local(2027, 3, 1, 0, 0), &closing, &e));
    g_assert_cmpint(closing, ==, 8800);

    g_assert_true(kv_statement_write_pdf(f->st, 1, fx_local(2027, 2, 1, 0, 0),
                                         fx_local(2027, 3, 1, 0, 0), pdf, &e));
    g_assert_no_error(e);
    g_assert_true(g_file_get_contents(pdf, &bytes, NULL, NULL));
    g_assert_true(g_str_has_prefix(bytes, "%PDF"));
    g_assert_null(kv_report_statement(f->st, 42, 0, 1, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND);
}

/* ---- revenue protection ---- */

/* A stored readback (as kv_readback_import keeps it). */
static void reading(Fx *f, guint32 meter, guint counter, gint64 at, guint status,
                    gint64 remaining, gint64 loaded, gint64 total, gint64 sold_then,
                    const char *events_hex)
{
    g_autofree char *sql = g_strdup_printf(
        "INSERT INTO meter_readings(meter_number, card_serial, read_at, counter, status, "
        "key_version, remaining, cumulative_loaded, total_energy, energy_l1, energy_l2, "
        "energy_l3, last_seq, result, events, sold_then) VALUES (%u, 1, %" G_GINT64_FORMAT
        ", %u, %u, 1, %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
        ", 0, 0, 0, 1, 0, x'%s', %" G_GINT64_FORMAT ")", meter, at, counter, status, remaining,
        loaded, total, events_hex, sold_then);
    fx_raw_exec(f->db, sql);
}

/* Each finding from readbacks, with the events by name; a meter that
 * behaves raises none. */
static void test_revenue_report(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvTable) t = NULL, hist = NULL;
    g_autofree char *csv = NULL, *text = NULL, *hcsv = NULL;
    g_autofree char *ev = NULL, *refused = NULL, *unknown = NULL, *status = NULL;
    gint64 now = fx_local(2027, 6, 1, 12, 0);
    KvRevenueParams p = { 30, 50 };

    fx_at(now - 120 * 86400);
    g_assert_cmpint(recovered(f, card, 1000), ==, 0);
    g_unsetenv("KILOVEND_NOW");
    reading(f, FX_M1, 1, now - 100 * 86400, 0x01, 5000, 5000, 0, 5000, "00000000");
    reading(f, FX_M1, 2, now - 70 * 86400, 0x01, 2000, 5000, 3000, 5000, "03010000");
    /* 30 days for 3.00 kWh after 30 days for 30.00: a 90 % drop; the cover
     * opened, the tamper bit set, below zero, and 10 kWh loaded unsold. */
    reading(f, FX_M1, 3, now - 40 * 86400, 0x21, -150, 6000, 3300, 5000, "0b010000");
    reading(f, FX_M2, 1, now - 20 * 86400, 0x01, 100, 100, 10, 100, "01000000");
    reading(f, FX_M2, 2, now - 10 * 86400, 0x01, 50, 100, 60, 100, "4d030000");
    reading(f, FX_M2, 3, now - 5 * 86400, 0x01, 20, 100, 90, 100, "00000000");

    t = kv_report_revenue(f->st, now, &p, &e);
    g_assert_no_error(e);
    csv = kv_table_to_csv(t);
    fx_has(csv, "meter,account,finding,detail,seen\r\n");
    fx_has(csv, "123456782,A001,card-absent,no readback for 40 days,");
    fx_has(csv, "123456782,A001,tamper,\"status: relay closed, tamper; events: cover opened, "
             "power on\",");
    fx_has(csv, "123456782,A001,loaded-above-sold,loaded 10.00 kWh more than sold,");
    fx_has(csv, "123456782,A001,over-zero,remaining -1.50 kWh,");
    fx_has(csv, "123456782,A001,consumption-drop,\"1.00 kWh a day, then 0.10 kWh a day\",");
    g_assert_null(strstr(csv, "111111118")); /* meter 2 behaves */
    g_assert_cmpuint(t->rows->len, ==, 5);
    text = kv_table_to_text(t);
    fx_has(text, "tamper: 1");
    fx_has(text, "card-absent: 1");
    /* The meter's history names the events too. */
    hist = kv_report_meter(f->st, FX_M2, &e);
    g_assert_no_error(e);
    hcsv = kv_table_to_csv(hist);
    fx_has(hcsv, ",\"card refused (error 13), load\"\r\n");

    ev = kv_event_describe(0x0C);
    g_assert_cmpstr(ev, ==, "reverse energy");
    refused = kv_event_describe(0x4D);
    g_assert_cmpstr(refused, ==, "card refused (error 13)");
    unknown = kv_event_describe(0x3F);
    g_assert_cmpstr(unknown, ==, "event 0x3f");
    status = kv_status_text(0x21);
    g_assert_cmpstr(status, ==, "relay closed, tamper");
    g_assert_true(kv_event_is_tamper(0x16));
    g_assert_false(kv_event_is_tamper(0x03));
}

/* ---- customer categories ---- */

static gint64 energy_for(Fx *f, KvCardLink *card, gint64 amount)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvSale) x = fx_sell(f, card, FX_M1, amount, &e);
    g_assert_no_error(e);
    return x->breakdown.energy;
}

/* A customer buys at their category's tariff; a change of category in the
 * middle of the month prices the next sale at the new one; without a
 * category, the meter's tariff. */
static void test_category_tariff(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(KvAuditReport) ar = NULL;
    KvCategory bad = { "X", "x", "NOPE", 0 };

    fx_add_tariff(f, "LIF", 500 * 10000);   /* 5.00 a kWh */
    fx_add_tariff(f, "COM", 2000 * 10000);  /* 20.00 a kWh */
    fx_set_category(f, "lifeline", "LIF", 0);
    fx_set_category(f, "commercial", "COM", 0);
    g_assert_false(kv_category_set(f->st, &bad, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND);
    g_clear_error(&e);
    list = kv_category_list(f->st, &e);
    g_assert_cmpuint(list->len, ==, 2);
    g_assert_cmpstr(((KvCategory *)list->pdata[0])->code, ==, "commercial");

    fx_at(fx_local(2027, 5, 3, 10, 0));
    g_assert_cmpint(energy_for(f, card, 1000), ==, 100); /* the meter's DEFAULT: 10.00 */
    g_assert_true(kv_customer_set_category(f->st, 1, "lifeline", &e));
    g_assert_cmpint(energy_for(f, card, 1000), ==, 200);
    fx_at(fx_local(2027, 5, 16, 10, 0));
    g_assert_true(kv_customer_set_category(f->st, 1, "commercial", &e));
    g_assert_no_error(e);
    g_assert_cmpint(energy_for(f, card, 1000), ==, 50);
    g_assert_true(kv_customer_set_category(f->st, 1, NULL, &e));
    g_assert_cmpint(energy_for(f, card, 1000), ==, 100);
    g_unsetenv("KILOVEND_NOW");
    g_assert_false(kv_customer_set_category(f->st, 1, "industrial", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND);
    g_clear_error(&e);
    ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(ar->problems->len, ==, 0);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = "
                                  "'customer.category'"), ==, 3);
    fx_add_user(f, "carol", KV_ROLE_CASHIER);
    g_assert_true(kv_station_login(f->st, "carol", "carol-password", &e));
    g_assert_false(kv_customer_set_category(f->st, 1, "lifeline", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
}

/* ---- the ledger at scale ---- */

/* The monthly report reads the per-day summary that the sale's own
 * transaction keeps: local days (a sale at 00:30 local on 1 February is
 * February's, though it is 31 January in UTC), a cancelled sale leaving its
 * day, and an edit made in SQL followed too. */
static void test_month_summary(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) last = NULL, cancel = NULL;
    g_autoptr(KvTable) jan = NULL, feb = NULL, feb2 = NULL;
    g_autofree char *jcsv = NULL, *fcsv = NULL, *f2csv = NULL, *ftext = NULL;

    g_assert_cmpint(recovered_at(f, card, fx_local(2027, 1, 31, 23, 30), 1000), ==, 0);
    g_assert_cmpint(recovered_at(f, card, fx_local(2027, 2, 1, 0, 30), 2000), ==, 0);
    g_assert_cmpint(recovered_at(f, card, fx_local(2027, 2, 1, 9, 0), 500), ==, 0);
    last = fx_sell(f, card, FX_M1, 700, &e);
    g_assert_no_error(e);
    cancel = kv_sale_cancel(f->st, card, last->id, "wrong meter", &e);
    g_assert_no_error(e);
    g_unsetenv("KILOVEND_NOW");

    jan = kv_report_monthly(f->st, fx_local(2027, 1, 15, 12, 0), &e);
    g_assert_no_error(e);
    jcsv = kv_table_to_csv(jan);
    fx_has(jcsv, "2027-01-31,1,10.00,0.00,1.00\r\n");
    fx_has(jcsv, "2027-01-30,0,0.00,0.00,0.00\r\n");
    feb = kv_report_monthly(f->st, fx_local(2027, 2, 15, 12, 0), &e);
    fcsv = kv_table_to_csv(feb);
    fx_has(fcsv, "2027-02-01,2,25.00,0.00,2.50\r\n"); /* the cancelled 7.00 left */
    fx_has(fcsv, "2027-02-28,0,");
    g_assert_cmpuint(feb->rows->len, ==, 28);
    ftext = kv_table_to_text(feb);
    fx_has(ftext, "completed sales: 2");
    /* The summary is the sales' sum, whatever writes them. */
    fx_raw_exec(f->db, "UPDATE sales SET amount = amount + 100, energy_net = energy_net + 100 "
                       "WHERE id = 2");
    g_assert_cmpint(fx_raw_int(f, "SELECT sum(amount) FROM sales_days"), ==,
                    fx_raw_int(f, "SELECT sum(amount) FROM sales WHERE state = 'completed'"));
    feb2 = kv_report_monthly(f->st, fx_local(2027, 2, 15, 12, 0), &e);
    f2csv = kv_table_to_csv(feb2);
    fx_has(f2csv, "2027-02-01,2,26.00,");
}

/* The tests, by path. */
static const struct {
    const char *path;
    void (*fn)(Fx *, gconstpointer);
} tests[] = {
    { "/money/payment/types", test_payment_types },
    { "/money/payment/reference-rules", test_payment_reference_rules },
    { "/money/payment/reference-reused", test_payment_reference_reused },
    { "/money/payment/relabel-detected", test_payment_relabel_detected },
    { "/money/arrears/ledger", test_arrears_ledger },
    { "/money/arrears/plans-month-boundary-end", test_arrears_plans },
    { "/money/arrears/report-ageing-dormant", test_arrears_report },
    { "/money/arrears/migration", test_arrears_migration },
    { "/money/debt-audit/rows-written", test_debt_audit_rows },
    { "/money/debt-audit/insider-edits", test_debt_insider_edits },
    { "/money/debt-audit/migration", test_debt_audit_migration },
    { "/money/statement/period", test_statement },
    { "/money/revenue/findings", test_revenue_report },
    { "/money/scale/month-summary", test_month_summary },
    { "/money/category/tariff-and-change", test_category_tariff },
};

int main(int argc, char **argv)
{
    /* UTC+3 all year: calendar months begin at 21:00 UTC. */
    g_setenv("TZ", "Africa/Nairobi", TRUE);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/money/arrears/rounding", test_arrears_rounding);
    for (guint i = 0; i < G_N_ELEMENTS(tests); i++)
        ADD(tests[i].path, tests[i].fn);
    return g_test_run();
}
