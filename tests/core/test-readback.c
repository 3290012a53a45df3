/* test-readback.c - readbacks at the station: only one newer than the last
 * stored for its meter is imported (docs/card-format.md, "Replay an old
 * readback" in docs/security-model.md).  Real SQLite file, cards as SLE4442
 * model files. */

#include "core-fixture.h"

/* The customer copies the card after a visit to the meter (readback 2, not
 * yet seen by the station), visits the meter again (readback 3), the station
 * imports 3; then the copy is written back to the card.  Its readback 2 is
 * older than the stored one: ignored - not recorded, not audited, the
 * meter's newest reading unchanged - and the sale that follows predicts the
 * meter's answer from readback 3. */
static void test_old_dump_ignored(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    FxMeter m = { FX_M1, 0, 0, 0, 0, 0, 50000 };
    g_autoptr(KvSale) s1 = NULL, s2 = NULL, s3 = NULL;
    g_autoptr(KvMeter) after = NULL;
    g_autoptr(GBytes) dump = NULL;
    KvCardReadResult r;

    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_E_REPLAY); /* readback 1 */
    fx_card_read(f, card, &r);
    g_assert_true(r.readback_imported);
    s1 = fx_sell(f, card, FX_M1, 300000, &e); /* 300 kWh */
    g_assert_no_error(e);
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK); /* readback 2: 300 kWh */
    g_assert_cmpint(m.remaining, ==, 30000);
    dump = fx_card_dump(f, "c1.card");

    m.remaining -= 20000; /* 200 kWh used */
    m.total += 20000;
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_E_REPLAY); /* readback 3: 100 kWh */
    fx_card_read(f, card, &r);
    g_assert_true(r.readback_imported);
    g_assert_cmpuint(r.view.readback.counter, ==, 3);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM meter_readings"), ==, 2);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'meter.reading'"), ==,
                    2);

    /* The old copy back on the card. */
    fx_card_restore(f, "c1.card", dump);
    fx_card_read(f, card, &r);
    g_assert_cmpuint(r.view.readback.counter, ==, 2);
    g_assert_false(r.readback_imported);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM meter_readings"), ==, 2);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM meter_readings WHERE counter = 2"), ==, 0);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'meter.reading'"), ==,
                    2);
    after = kv_meter_get(f->st, FX_M1, &e);
    g_assert_no_error(e);
    g_assert_true(after->has_readback);
    g_assert_cmpuint(after->rb_counter, ==, 3);
    g_assert_cmpint(after->rb_remaining, ==, 10000);
    g_assert_cmpint(fx_raw_int(f, "SELECT rb_remaining FROM meters WHERE number = 123456782"), ==,
                    10000);

    /* The sale predicts from readback 3 (100 kWh in the meter), not from the
     * copy's 300 kWh: 400 kWh more fits under the 500 kWh limit, 401 not. */
    s2 = fx_sell(f, card, FX_M1, 401000, &e);
    g_assert_null(s2);
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_REFUSED);
    g_clear_error(&e);
    s3 = fx_sell(f, card, FX_M1, 400000, &e);
    g_assert_no_error(e);
    g_assert_cmpint(s3->state, ==, KV_SALE_COMPLETED);
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK);
    g_assert_cmpint(m.remaining, ==, 50000);

    /* The same readback twice is imported once. */
    fx_card_read(f, card, &r);
    g_assert_true(r.readback_imported);
    fx_card_read(f, card, &r);
    g_assert_false(r.readback_imported);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM meter_readings"), ==, 3);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    fx_add("/readback/old-dump-ignored", test_old_dump_ignored);
    return g_test_run();
}
