/* test-cards.c - the station core on real SQLite files: customer cards: replace, batch issue, an issue resumed, a cloned card after a cancel; the provisioning block. */
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
    fx_sell_refused(f, old, FX_M1, 1000, KV_CORE_ERROR_CARD, "lost");
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
    g_autoptr(GBytes) dump = NULL;
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
    dump = fx_card_dump(f, "c1.card");
    c = kv_sale_cancel(f->st, card, s1->id, "refund", &e);
    g_assert_no_error(e);
    kv_card_link_free(g_steal_pointer(&card));
    fx_card_restore(f, "c1.card", dump);
    restored = kv_card_link_file_open(path, &e);
    g_assert_no_error(e);
    g_assert_cmpint(fx_meter_insert(f, &m, restored), ==, KV_OK);
    g_assert_cmpint(m.loaded, ==, 1000); /* the cancelled 10 kWh reached the meter */
    fx_card_read(f, restored, &r);
    g_assert_true(r.readback_imported);
    g_assert_cmpuint(r.anomaly_excess, ==, 1000);
    g_assert_true(r.anomaly_recorded);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'meter.anomaly' AND "
                               "detail LIKE 'loaded=1000 sold=0 excess=1000 %'"), ==, 1);
    /* Read again: shown, not recorded twice. */
    g_assert_true(kv_card_read(f->st, restored, &r, &e));
    g_assert_cmpuint(r.anomaly_excess, ==, 1000);
    g_assert_false(r.anomaly_recorded);
    g_free(r.card_status);
    /* (The restored token itself, a cancelled sale's, is the other anomaly
     * the read records: own-token-above-sold, once.) */
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'meter.anomaly' AND "
                               "detail LIKE 'loaded=%'"), ==, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'meter.anomaly' AND "
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
        kv_card_link_file_create_blank(path, factory, NULL);
    return kv_card_link_file_open(path, error);
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
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM cards WHERE status = 'active'"), ==, 2);
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
    g_assert_true(kv_meter_keys_derive(f->st, FX_M1, 0, &keys, &e));
    g_assert_cmpmem(p.k_meter, 16, keys.k_meter, 16);
    g_assert_cmpmem(p.k_psc, 16, keys.k_psc, 16);
    g_assert_false(kv_meter_provision(f->st, FX_M1, path, &e)); /* never overwrites */
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    fx_add("/card/replace", test_replace);
    fx_add("/card/batch-resume", test_batch_resume);
    fx_add("/card/anomaly-cloned-cancel", test_anomaly_cloned_cancel);
    fx_add("/card/issue-resume", test_issue_resume);
    fx_add("/meter/provision", test_provision);
    return g_test_run();
}
