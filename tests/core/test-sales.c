/* test-sales.c - the station core on real SQLite files: selling on card files: a sale, bad input, hoarding, tearing, the multi-office base, cancelling. */
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
    KvSaleRequest both = { .amount = 100, .energy = 100 };
    kv_card_view before, after;
    gint64 v;

    fx_decode(f, card, &before);
    fx_sell_refused(f, card, FX_M1, 0, KV_CORE_ERROR_INVALID, NULL);
    fx_sell_refused(f, card, FX_M1, -100, KV_CORE_ERROR_INVALID, NULL);
    g_assert_null(kv_sale_sell(f->st, card, FX_M1, &both, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    g_assert_false(kv_station_parse_money(f->st, "-5", &v, &e));
    g_clear_error(&e);
    g_assert_false(kv_station_parse_money(f->st, "1000000.01", &v, &e)); /* above the limit */
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    fx_sell_refused(f, card, FX_M1, 100000001, KV_CORE_ERROR_INVALID, NULL);
    /* Card of another meter. */
    fx_sell_refused(f, other, FX_M1, 1000, KV_CORE_ERROR_CARD, "card of meter 111111118");
    /* Blank card. */
    fx_sell_refused(f, blank, FX_M1, 1000, KV_CORE_ERROR_CARD, NULL);
    /* Above the hoarding limit (500 kWh = 5000.00 KES). */
    fx_sell_refused(f, card, FX_M1, 500100, KV_CORE_ERROR_REFUSED, "hoarding");
    /* Nothing of this reached the card or the ledger. */
    fx_decode(f, card, &after);
    g_assert_cmpuint(after.token.seq, ==, before.token.seq);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM sales"), ==, 0);
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
        id = fx_raw_int(f, "SELECT max(id) FROM sales");
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
        g_assert_cmpint(fx_raw_int(f, "SELECT coalesce(sum(energy), 0) FROM sales WHERE state = 'completed'"),
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
    g_assert_true(kv_meter_keys_derive(f->st, FX_M1, 0, &keys, &e));
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    fx_add("/sale/basic", test_sell_basic);
    fx_add("/sale/bad-input", test_sell_bad_input);
    fx_add("/sale/hoarding-from-readback", test_hoarding_from_readback);
    fx_add("/sale/tear-every-byte", test_tear_every_byte);
    fx_add("/sale/multi-office-base", test_multi_office_base);
    fx_add("/sale/cancel", test_cancel);
    return g_test_run();
}
