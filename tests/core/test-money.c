/* test-money.c - the money side of the station core on real SQLite files
 * and card files: payment types and their references. */
#include <sqlite3.h>
#include <string.h>

#include "core-fixture.h"

#define ADD(path, fn) g_test_add(path, Fx, NULL, fx_setup, fn, fx_teardown)

static KvSale *sell_paid(Fx *f, KvCardLink *card, gint64 amount, KvPaymentType pay,
                         const char *ref, GError **error)
{
    KvSaleRequest req = { .amount = amount, .payment = pay, .reference = ref };
    return kv_sale_sell(f->st, card, FX_M1, &req, error);
}

static void has(const char *text, const char *part)
{
    if (!strstr(text, part))
        g_error("'%s' not in:\n%s", part, text);
}

/* Each type is stored, printed, reported; the drawer expects cash only. */
static void test_payment_types(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) cash = NULL, mobile = NULL, bank = NULL, transfer = NULL, got = NULL;
    g_autoptr(KvTable) z = NULL, day = NULL, cust = NULL;
    g_autoptr(KvShift) sh = NULL, closed = NULL;
    g_autoptr(GPtrArray) lines = NULL;
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
    has(zt, "amount taken: 100.00");
    has(zt, "paid cash: 10.00");
    has(zt, "paid mobile money: 20.00");
    has(zt, "paid bank card: 30.00");
    has(zt, "paid bank transfer: 40.00");
    has(zt, "expected cash: 10.00");
    zcsv = kv_table_to_csv(z);
    has(zcsv, "state,payment,sales,amount,energy kWh\r\n");
    has(zcsv, "completed,mobile-money,1,20.00,");
    has(zcsv, "completed,bank-transfer,1,40.00,");

    /* The daily report: a column per type. */
    day = kv_report_daily(f->st, kv_now(), &e);
    g_assert_no_error(e);
    dcsv = kv_table_to_csv(day);
    has(dcsv, ",cash,mobile money,bank card,bank transfer\r\n");
    has(dcsv, "admin,4,100.00,");
    has(dcsv, ",10.00,20.00,30.00,40.00\r\n");
    djson = kv_table_to_json(day);
    has(djson, "\"paid bank card\":\"30.00\"");

    /* The customer's history carries the type and the reference. */
    cust = kv_report_customer(f->st, 1, &e);
    ccsv = kv_table_to_csv(cust);
    has(ccsv, ",payment,reference\r\n");
    has(ccsv, ",admin,bank-transfer,TRF/2026/0042\r\n");
    has(ccsv, ",admin,cash,\r\n");

    /* The receipt names how it was paid. */
    lines = kv_receipt_lines(f->st, mobile->id, FALSE, &e);
    g_assert_no_error(e);
    g_ptr_array_add(lines, NULL);
    receipt = g_strjoinv("\n", (char **)lines->pdata);
    has(receipt, "Paid by");
    has(receipt, "mobile money");
    has(receipt, "MP240101.XK7");

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
    has(e->message, text);
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
    has(ar->problems->pdata[0], "sale 1 differs from its audit record");
    fx_raw_exec(f->db, "UPDATE sales SET payment = 0, payment_ref = NULL");
    ar2 = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_cmpuint(ar2->problems->len, ==, 1);
    has(ar2->problems->pdata[0], "sale 2 differs from its audit record");
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
};

int main(int argc, char **argv)
{
    g_setenv("TZ", "UTC", TRUE);
    g_test_init(&argc, &argv, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(tests); i++)
        ADD(tests[i].path, tests[i].fn);
    return g_test_run();
}
