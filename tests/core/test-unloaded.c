/* test-unloaded.c - refunds of unloaded credit and meter swaps on card files:
 * the card pulled after every byte of the refund's token and of the new
 * meter's card; the attacks (refund twice, refund of loaded credit, a
 * restored card, a transfer inserted into another meter, carried credit
 * loaded twice); money and credit reconciled after each. */
#include <string.h>

#include "core-fixture.h"

/* The ledger's invariants after any interruption: nothing pending, the
 * meter's cumulative sold = its completed sales - refund tokens + carried,
 * the refunds' parts = the refunds, the reconciliation clean, and (card
 * given) the card carries exactly what is sold. */
static void assert_balanced(Fx *f, guint32 meter, KvCardLink *card)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvMeter) m = kv_meter_get(f->st, meter, &e);
    g_autoptr(KvReconcileReport) r = kv_reconcile(f->st, 0, &e);
    g_autofree char *sql = g_strdup_printf(
        "SELECT (SELECT coalesce(sum(energy), 0) FROM sales WHERE meter_number = %u AND "
        "state = 'completed') - (SELECT coalesce(sum(cumulative_before - cumulative), 0) FROM "
        "refund_tokens WHERE meter_number = %u AND state = 'done') + (SELECT "
        "coalesce(sum(energy), 0) FROM transfers WHERE to_meter = %u)", meter, meter, meter);

    g_assert_no_error(e);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM refund_tokens WHERE state = 'pending'"),
                    ==, 0);
    g_assert_cmpint(fx_raw_int(f, sql), ==, m->cumulative_sold);
    g_assert_cmpint(fx_raw_int(f, "SELECT coalesce(sum(amount), 0) FROM refund_parts"), ==,
                    fx_raw_int(f, "SELECT coalesce(sum(amount), 0) FROM refunds"));
    g_assert_cmpuint(r->problems->len, ==, 0);
    if (card) {
        kv_card_view v;
        fx_decode(f, card, &v);
        g_assert_cmpint(v.token_err, ==, KV_OK);
        g_assert_cmpuint(v.token.u.credit.cumulative, ==, m->cumulative_sold);
    }
}

/* The shift's drawer: sales paid in cash less the refunds. */
static gint64 expected_cash(Fx *f)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvShift) sh = kv_shift_current(f->st, &e);
    g_assert_no_error(e);
    return sh->expected_cash;
}

static KvRefund *refund(Fx *f, KvCardLink *card, gint64 energy, GError **e)
{
    return kv_refund_unloaded(f->st, card, FX_M1, energy, "test", e);
}

/* refund_unloaded_torn: the card pulled after each byte of the refund's
 * token; the next read settles it: refunded (the token on the card) or
 * nothing (not there); never paid without the lower cumulative on the
 * card, never the lower cumulative without the refund. */
static void test_torn(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    FxMeter m = { FX_M1, 0, 0, 0, 0, 0, 50000 };
    guint refunded = 0, aborted = 0;
    gint64 sold_cash = 0, refunds_cash = 0;

    for (guint n = 1;; n++) {
        g_autoptr(KvSale) s = fx_sell(f, card, FX_M1, 1000, &e); /* 1 kWh */
        g_autofree KvRefund *r = NULL;
        KvCardReadResult rr;
        gint64 before = fx_raw_int(f, "SELECT count(*) FROM refunds");
        g_assert_no_error(e);
        sold_cash += s->breakdown.amount;
        kv_card_link_file_tear_after(card, n);
        r = refund(f, card, 0, &e);
        if (r) { /* the whole token went through before byte n */
            g_assert_cmpint(r->energy, ==, 100 * (gint64)aborted + 100);
            refunds_cash += r->amount;
            refunded++;
            assert_balanced(f, FX_M1, card);
            break;
        }
        g_clear_error(&e);
        fx_card_read(f, card, &rr);
        if (fx_raw_int(f, "SELECT count(*) FROM refunds") > before) {
            refunded++;
            refunds_cash += fx_raw_int(f, "SELECT amount FROM refunds ORDER BY id DESC LIMIT 1");
        } else {
            aborted++;
        }
        assert_balanced(f, FX_M1, card);
        g_assert_cmpint(expected_cash(f), ==, sold_cash - refunds_cash);
        g_assert_cmpuint(n, <, 64);
    }
    g_assert_cmpuint(aborted, >, 0);
    g_assert_cmpuint(refunded, >, 0);
    /* The meter loads exactly what was sold and not refunded (a sale on
     * top of the refunds). */
    {
        g_autoptr(KvSale) last = fx_sell(f, card, FX_M1, 1000, &e);
        g_assert_no_error(e);
        sold_cash += last->breakdown.amount;
    }
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK);
    {
        g_autoptr(KvMeter) mm = kv_meter_get(f->st, FX_M1, &e);
        g_assert_cmpuint(m.loaded, ==, mm->cumulative_sold);
    }
    g_assert_cmpint(expected_cash(f), ==, sold_cash - refunds_cash);
}

/* Several sales, part of them loaded: the refund takes the newest credit,
 * the meter then loads only the rest; refunds twice, of loaded credit,
 * through an older copy of the card: refused. */
static void test_attacks(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = NULL, s2 = NULL, s3 = NULL;
    g_autofree KvRefund *r = NULL;
    g_autoptr(GBytes) old = NULL;
    FxMeter m = { FX_M1, 0, 0, 0, 0, 0, 50000 };

    s1 = fx_sell(f, card, FX_M1, 10000, &e); /* 10 kWh, loaded */
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK);
    s2 = fx_sell(f, card, FX_M1, 20000, &e); /* 20 kWh */
    s3 = fx_sell(f, card, FX_M1, 5000, &e);  /* 5 kWh */
    g_assert_no_error(e);
    old = fx_card_dump(f, "c1.card");
    /* More than is unloaded: refused, nothing written. */
    g_assert_null(refund(f, card, 2600, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);
    /* 22 kWh of the 25 not loaded: the 5 kWh sale whole, 17 of the 20. */
    r = refund(f, card, 2200, &e);
    g_assert_no_error(e);
    g_assert_cmpint(r->energy, ==, 2200);
    g_assert_cmpint(r->amount, ==, 5000 + 20000 * 1700 / 2000);
    g_assert_cmpuint(r->sales, ==, 2);
    assert_balanced(f, FX_M1, card);
    g_assert_cmpint(expected_cash(f), ==, 35000 - r->amount);
    /* refund_unloaded_meter_loads_rest */
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK);
    g_assert_cmpint(m.remaining, ==, 1300);
    /* refund_unloaded_loaded_refused: the readback shows it all loaded */
    g_clear_pointer(&r, g_free);
    g_assert_null(refund(f, card, 0, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_STATE);
    g_clear_error(&e);
    /* refund_unloaded_twice_refused: the card as it was before the refund */
    fx_card_restore(f, "c1.card", old);
    g_assert_true(kv_card_link_refresh(card, &e));
    g_assert_null(refund(f, card, 0, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_STATE);
    g_clear_error(&e);
    /* The cashier may not. */
    fx_add_user(f, "cash", KV_ROLE_CASHIER);
    g_assert_true(kv_station_login(f->st, "cash", "cash-password", &e));
    g_assert_null(refund(f, card, 0, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    g_assert_true(kv_station_login(f->st, "admin", FX_ADMIN_PW, &e));
    {
        g_autoptr(KvAuditReport) ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
        g_assert_cmpuint(ar->problems->len, ==, 0);
        g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = "
                                      "'refund.unloaded'"), ==, 1);
    }
}

/* The meter dies with credit in it: its newest readback's remaining and
 * the credit sold and never loaded carried to a new meter (an estimate,
 * audited as one); the new card pulled after each byte of its issue and
 * resumed; the new meter loads exactly the credit carried, once; the old
 * card and a transfer card in another meter are refused. */
static void test_swap(Fx *f, gconstpointer d)
{
    const guint32 m3 = 222222226u;
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvCardLink) fresh = fx_blank_card(f, "new.card");
    g_autoptr(KvCardRecord) issued = NULL;
    g_autofree KvTransfer *t = NULL, *again = NULL;
    g_autoptr(KvSale) s1 = NULL, s2 = NULL;
    FxMeter old = { FX_M1, 0, 0, 0, 0, 0, 50000 };
    FxMeter nm = { m3, 0, 0, 0, 0, 0, 50000 };
    KvCardReadResult rr;
    KvMeter add = { 0 };

    s1 = fx_sell(f, card, FX_M1, 10000, &e);
    g_assert_cmpint(fx_meter_insert(f, &old, card), ==, KV_OK);
    old.remaining -= 350; /* used before it died */
    old.total += 350;
    s2 = fx_sell(f, card, FX_M1, 4000, &e);
    g_assert_cmpint(fx_meter_insert(f, &old, card), ==, KV_OK);
    /* The readback brought back; then the meter dies. */
    fx_card_read(f, card, &rr);
    add.number = m3;
    add.customer_id = 1;
    add.hoarding_limit = 50000;
    add.alarm_level = 1000;
    add.pretrip_level = 500;
    g_assert_true(kv_meter_add(f->st, &add, &e));
    /* A clear-credit source needs a clear's readback: refused. */
    g_assert_null(kv_meter_swap(f->st, FX_M1, m3, KV_SWAP_CLEARED, "dead", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_STATE);
    g_clear_error(&e);
    t = kv_meter_swap(f->st, FX_M1, m3, KV_SWAP_ESTIMATE, "dead meter", &e);
    g_assert_no_error(e);
    g_assert_cmpint(t->remaining, ==, 1400 - 350);
    g_assert_cmpint(t->unloaded, ==, 0);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'meter.swap' AND "
                                  "detail LIKE '%ESTIMATE%'"), ==, 1);
    /* swap_twice_refused: swapped away once; the same pair goes on */
    g_assert_null(kv_meter_swap(f->st, FX_M1, FX_M2, KV_SWAP_ESTIMATE, "again", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS);
    g_clear_error(&e);
    again = kv_meter_swap(f->st, FX_M1, m3, KV_SWAP_ESTIMATE, "again", &e);
    g_assert_true(again->resumed && again->id == t->id);
    /* swap_issue_torn: the new card pulled after each byte, resumed */
    for (guint n = 1; !issued; n++) {
        kv_card_link_file_tear_after(fresh, n);
        issued = kv_card_issue(f->st, fresh, m3, &e);
        g_clear_error(&e);
        g_assert_true(kv_card_link_refresh(fresh, &e));
        g_assert_cmpuint(n, <, 400);
    }
    assert_balanced(f, m3, fresh);
    /* swap_new_meter_loads_carried, swap_carried_loaded_once */
    g_assert_cmpint(fx_meter_insert(f, &nm, fresh), ==, KV_OK);
    g_assert_cmpint(nm.remaining, ==, t->energy);
    g_assert_cmpint(fx_meter_insert(f, &nm, fresh), ==, KV_E_REPLAY);
    g_assert_cmpint(nm.remaining, ==, t->energy);
    /* swap_old_card_no_sale */
    fx_sell_refused(f, card, FX_M1, 1000, KV_CORE_ERROR_CARD, NULL);
    /* swap_transfer_other_meter_refused: another meter refuses the card by
     * its identity, and its keys do not open the transfer's token */
    {
        kv_card_view v, w;
        kv_meter_keys keys;
        fx_decode(f, fresh, &v);
        g_assert_cmpint(kv_identity_check(&v.id, FX_UTILITY, FX_M2), ==, KV_E_METER);
        g_assert_true(kv_meter_keys_derive(f->st, FX_M2, 0, &keys, &e));
        g_assert_cmpint(kv_card_decode(&keys, kv_card_link_image(fresh), &w), ==, KV_OK);
        g_assert_cmpint(w.token_err, ==, KV_E_MAC);
        kv_meter_keys_wipe(&keys);
    }
    /* The transfer is no money: no refund of it. */
    g_assert_null(kv_refund_unloaded(f->st, fresh, m3, 0, "x", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_STATE);
    g_clear_error(&e);
    {
        g_autoptr(KvAuditReport) ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
        g_assert_cmpuint(ar->problems->len, ==, 0);
    }
    assert_balanced(f, FX_M1, NULL);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *path;
        void (*run)(Fx *f, gconstpointer data);
    } cases[] = { { "/unloaded/torn", test_torn },
                  { "/unloaded/attacks", test_attacks },
                  { "/unloaded/swap", test_swap } };
    g_test_init(&argc, &argv, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
        fx_add(cases[i].path, cases[i].run);
    return g_test_run();
}
