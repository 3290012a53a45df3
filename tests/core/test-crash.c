/* test-crash.c - a sale killed (SIGKILL) at every step, through the real
 * kilovendctl process; then the next read of the card settles it.
 *
 * kilovendctl stops itself at a named point when KILOVEND_TEST_STOP says so
 * (the documented test hook); this test then kills it with SIGKILL, so what
 * is checked is exactly what a crash there leaves: database and card file. */
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core-fixture.h"

static const char *ctl_path;

static char **ctl_env(Fx *f, const char *stop)
{
    char **env = g_get_environ();
    env = g_environ_setenv(env, "KILOVEND_DB", f->db, TRUE);
    env = g_environ_setenv(env, "KILOVEND_KEYS", f->keys, TRUE);
    env = g_environ_setenv(env, "KILOVEND_USER", "admin", TRUE);
    env = g_environ_setenv(env, "KILOVEND_PASSWORD", FX_ADMIN_PW, TRUE);
    env = g_environ_setenv(env, "KILOVEND_PASSPHRASE", FX_PASSPHRASE, TRUE);
    if (stop)
        env = g_environ_setenv(env, "KILOVEND_TEST_STOP", stop, TRUE);
    else
        env = g_environ_unsetenv(env, "KILOVEND_TEST_STOP");
    return env;
}

/* Run kilovendctl; if stop is set, kill -9 it when it stops there.
 * Returns TRUE if it was killed at the point. */
static gboolean run_ctl(Fx *f, const char *stop, const char *card, const char *const *args,
                        int *exit_code)
{
    g_auto(GStrv) env = ctl_env(f, stop);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    GPid pid;
    int status;
    g_ptr_array_add(argv, (char *)ctl_path);
    g_ptr_array_add(argv, "--quiet");
    g_ptr_array_add(argv, "--card-file");
    g_ptr_array_add(argv, (char *)card);
    for (int i = 0; args[i]; i++)
        g_ptr_array_add(argv, (char *)args[i]);
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_async(NULL, (char **)argv->pdata, env, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                NULL, &pid, NULL));
    g_assert_cmpint(waitpid(pid, &status, WUNTRACED), ==, pid);
    if (WIFSTOPPED(status)) {
        kill(pid, SIGKILL);
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        return TRUE;
    }
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return FALSE;
}

/* The customer card of FX_M1 as a card file at path, issued once. */
static void issue_card_file(Fx *f, const char *path)
{
    static const guint8 factory[3] = { 0xFF, 0xFF, 0xFF };
    g_autoptr(KvCardLink) link = NULL;
    g_autoptr(KvCardRecord) r = NULL;
    g_autoptr(GError) e = NULL;
    if (g_file_test(path, G_FILE_TEST_EXISTS))
        return;
    g_assert_true(kv_card_link_file_create_blank(path, factory, &e));
    link = kv_card_link_file_open(path, &e);
    r = kv_card_issue(f->st, link, FX_M1, &e);
    g_assert_no_error(e);
}

static void crash_at(Fx *f, const char *point, gboolean expect_on_card)
{
    g_autofree char *card = fx_path(f, "crash.card");
    g_autoptr(KvCardLink) link = NULL;
    g_autoptr(GError) e = NULL;
    static const char *const sell[] = { "sell", "--meter", "123456782", "--amount", "100", NULL };
    static const char *const read[] = { "card", "read", NULL };
    g_autoptr(GPtrArray) open = NULL;
    g_autoptr(KvSale) s = NULL, next = NULL;
    kv_card_view before, after;
    int rc = -1;

    issue_card_file(f, card);
    link = kv_card_link_file_open(card, &e);
    fx_decode(f, link, &before);
    g_clear_pointer(&link, kv_card_link_free);

    g_assert_true(run_ctl(f, point, card, sell, &rc));
    /* Nothing is settled yet: the sale is pending or written. */
    {
        g_autoptr(GPtrArray) un = kv_sale_list_unresolved(f->st, &e);
        g_assert_cmpuint(un->len, ==, g_str_equal(point, "sale-completed") ? 0 : 1);
    }
    /* The card is read again at the counter. */
    g_assert_false(run_ctl(f, NULL, card, read, &rc));
    g_assert_cmpint(rc, ==, 0);
    open = kv_sale_list_unresolved(f->st, &e);
    g_assert_cmpuint(open->len, ==, 0);
    link = kv_card_link_file_open(card, &e);
    fx_decode(f, link, &after);
    s = kv_sale_get(f->st, 1 + (gint64)0, &e);
    {
        sqlite3 *h;
        sqlite3_stmt *q;
        g_assert_cmpint(sqlite3_open(f->db, &h), ==, SQLITE_OK);
        sqlite3_prepare_v2(h, "SELECT max(id) FROM sales", -1, &q, NULL);
        sqlite3_step(q);
        g_clear_pointer(&s, kv_sale_free);
        s = kv_sale_get(f->st, sqlite3_column_int64(q, 0), &e);
        sqlite3_finalize(q);
        sqlite3_close(h);
    }
    g_assert_nonnull(s);
    if (expect_on_card) {
        g_assert_cmpint(s->state, ==, KV_SALE_COMPLETED);
        g_assert_cmpuint(after.token.seq, ==, s->seq);
    } else if (after.token.seq == s->seq) {
        /* card-byte points: depends on where the cut fell */
        g_assert_cmpint(s->state, ==, KV_SALE_COMPLETED);
    } else if (g_str_equal(point, "sale-pending")) {
        /* The write never began: the sale may fail. */
        g_assert_cmpint(s->state, ==, KV_SALE_FAILED);
        g_assert_cmpuint(after.token.seq, ==, before.token.seq);
    } else {
        /* Bytes of the token left the station: the card's word that it is
         * not there closes nothing (it was "failed, nothing due" before,
         * which let a card pulled after the last byte keep unpaid credit). */
        g_assert_cmpint(s->state, ==, KV_SALE_ISSUED);
        g_assert_cmpuint(after.token.seq, ==, before.token.seq);
    }
    /* Never doubled, never lost: the next sale continues from the card. */
    next = fx_sell(f, link, FX_M1, 1000, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(next->base_cumulative, ==, after.token.u.credit.cumulative);
    if (s->state == KV_SALE_ISSUED) {
        /* A new sale whose cumulative covers the issued token leaves it
         * nothing to add: it ends void; a smaller one leaves it issued. */
        g_autoptr(KvSale) again = kv_sale_get(f->st, s->id, &e);
        g_assert_cmpint(again->state, ==,
                        next->cumulative >= s->cumulative ? KV_SALE_VOID : KV_SALE_ISSUED);
    }
    g_assert_cmpint(g_ascii_strtoll("0", NULL, 10), ==, 0);
    {
        g_autoptr(KvMeter) m = kv_meter_get(f->st, FX_M1, &e);
        sqlite3 *h;
        sqlite3_stmt *q;
        g_assert_cmpint(sqlite3_open(f->db, &h), ==, SQLITE_OK);
        sqlite3_prepare_v2(h, "SELECT sum(energy) FROM sales WHERE state = 'completed'", -1, &q, NULL);
        sqlite3_step(q);
        g_assert_cmpint(sqlite3_column_int64(q, 0), ==, m->cumulative_sold);
        sqlite3_finalize(q);
        sqlite3_close(h);
    }
}

static void test_point(Fx *f, gconstpointer data)
{
    const char *point = data;
    crash_at(f, point, g_str_equal(point, "sale-card-written") || g_str_equal(point, "sale-written") ||
                           g_str_equal(point, "sale-completed"));
    {
        g_autoptr(GError) e = NULL;
        g_autoptr(KvAuditReport) r = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
        g_assert_cmpuint(r->problems->len, ==, 0);
    }
}

/* The month's free allocation alone (`sell --free-only`), killed at a
 * step: the grant and its token are one sale row, so after the card is
 * read again the month has exactly one live grant if the token reached
 * the card (completed; or issued, held until proven or resolved) and none
 * if it did not (failed): then the next visit grants it, once. */
static void test_free_grant(Fx *f, gconstpointer data)
{
    const char *point = data;
    g_autofree char *card = fx_path(f, "free.card");
    static const char *const free_only[] = { "sell", "--meter", "123456782", "--free-only", NULL };
    static const char *const read[] = { "card", "read", NULL };
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) link = NULL;
    g_autoptr(KvSale) s = NULL;
    g_autoptr(KvAuditReport) ar = NULL;
    KvCategory c = { "lifeline", "Lifeline", "DEFAULT", 2000 };
    kv_card_view after;
    int rc = -1;

    g_setenv("KILOVEND_NOW", "1806483600", TRUE); /* mid-March 2027 */
    g_assert_true(kv_category_set(f->st, &c, &e));
    g_assert_true(kv_customer_set_category(f->st, 1, "lifeline", &e));
    g_assert_no_error(e);
    issue_card_file(f, card);

    g_assert_true(run_ctl(f, point, card, free_only, &rc));
    g_assert_false(run_ctl(f, NULL, card, read, &rc));
    g_assert_cmpint(rc, ==, 0);
    s = kv_sale_get(f->st, 1, &e);
    g_assert_no_error(e);
    g_assert_cmpint(s->breakdown.free_energy, ==, 2000);
    link = kv_card_link_file_open(card, &e);
    fx_decode(f, link, &after);
    if (s->state == KV_SALE_COMPLETED || s->state == KV_SALE_ISSUED) {
        if (s->state == KV_SALE_COMPLETED)
            g_assert_cmpuint(after.token.u.credit.cumulative, ==, 2000);
        g_assert_false(run_ctl(f, NULL, card, free_only, &rc));
        g_assert_cmpint(rc, ==, 2 + KV_CORE_ERROR_STATE); /* refused: granted */
    } else {
        g_assert_cmpint(s->state, ==, KV_SALE_FAILED);
        g_assert_cmpuint(after.token.u.credit.cumulative, ==, 0);
        g_assert_false(run_ctl(f, NULL, card, free_only, &rc));
        g_assert_cmpint(rc, ==, 0); /* granted now, once */
        g_assert_false(run_ctl(f, NULL, card, free_only, &rc));
        g_assert_cmpint(rc, ==, 2 + KV_CORE_ERROR_STATE);
    }
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM sales WHERE free_month = 202703 AND "
                                  "state NOT IN ('failed', 'void', 'cancelled')"), ==, 1);
    ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_cmpuint(ar->problems->len, ==, 0);
    g_unsetenv("KILOVEND_NOW");
}

/* A refund of unloaded credit killed at point: the next read of the card
 * settles it, refunded (its token on the card) or not at all. */
static void test_refund_point(Fx *f, gconstpointer data)
{
    const char *point = data;
    static const char *const args[] = { "refund", "unloaded", "--meter", "123456782",
                                        "--reason", "crash", NULL };
    static const char *const read[] = { "card", "read", NULL };
    g_autofree char *path = fx_path(f, "c1.card");
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s = fx_sell(f, card, FX_M1, 10000, NULL);
    g_autoptr(KvMeter) m = NULL;
    g_autoptr(KvReconcileReport) r = NULL;
    g_autoptr(GError) e = NULL;
    gboolean must_refund = g_str_equal(point, "refund-card-written") ||
                           g_str_equal(point, "refund-done");
    kv_card_view v;
    int rc = -1;

    g_assert_nonnull(s);
    g_clear_pointer(&card, kv_card_link_free);
    g_assert_true(run_ctl(f, point, path, args, &rc));
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM refund_tokens WHERE state = 'pending'"),
                    ==, g_str_equal(point, "refund-done") ? 0 : 1);
    g_assert_false(run_ctl(f, NULL, path, read, &rc));
    g_assert_cmpint(rc, ==, 0);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM refund_tokens WHERE state = 'pending'"),
                    ==, 0);
    card = kv_card_link_file_open(path, &e);
    fx_decode(f, card, &v);
    m = kv_meter_get(f->st, FX_M1, &e);
    /* the card carries exactly what is sold; paid back exactly if lowered */
    g_assert_cmpuint(v.token.u.credit.cumulative, ==, m->cumulative_sold);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM refunds"), ==, m->cumulative_sold ? 0 : 1);
    if (must_refund)
        g_assert_cmpuint(m->cumulative_sold, ==, 0);
    if (g_str_equal(point, "refund-pending"))
        g_assert_cmpuint(m->cumulative_sold, ==, 1000);
    r = kv_reconcile(f->st, 0, &e);
    g_assert_cmpuint(r->problems->len, ==, 0);
    {
        g_autoptr(KvAuditReport) ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
        g_assert_cmpuint(ar->problems->len, ==, 0);
    }
}

/* A meter swap killed at point: the same command again finishes it; the
 * new card carries the credit carried, recorded once. */
static void test_swap_point(Fx *f, gconstpointer data)
{
    const char *point = data;
    static const char *const args[] = { "meter", "swap", "--meter", "123456782", "--new",
                                        "222222226", "--source", "estimate", "--reason", "crash",
                                        "--issue", NULL };
    g_autofree char *fresh = fx_path(f, "new.card");
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvCardLink) blank = fx_blank_card(f, "new.card");
    g_autoptr(KvSale) s = fx_sell(f, card, FX_M1, 10000, NULL);
    g_autoptr(KvSale) s2 = NULL;
    g_autoptr(GError) e = NULL;
    FxMeter old = { FX_M1, 0, 0, 0, 0, 0, 50000 };
    KvCardReadResult rr;
    kv_card_view v;
    int rc = -1;

    g_assert_nonnull(s);
    g_assert_cmpint(fx_meter_insert(f, &old, card), ==, KV_OK);
    s2 = fx_sell(f, card, FX_M1, 3000, NULL); /* 3 kWh never loaded */
    g_assert_nonnull(s2);
    fx_card_read(f, card, &rr);
    g_clear_pointer(&blank, kv_card_link_free);
    g_assert_true(run_ctl(f, point, fresh, args, &rc));
    g_assert_false(run_ctl(f, NULL, fresh, args, &rc));
    g_assert_cmpint(rc, ==, 0);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) || energy FROM transfers"), ==, 11300);
    blank = kv_card_link_file_open(fresh, &e);
    g_assert_no_error(e);
    fx_decode(f, blank, &v);
    g_assert_cmpint(v.token_err, ==, KV_OK);
    g_assert_cmpuint(v.token.u.credit.cumulative, ==, 1300);
    {
        g_autoptr(KvAuditReport) ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
        g_autoptr(KvReconcileReport) r = kv_reconcile(f->st, 0, &e);
        g_assert_cmpuint(ar->problems->len, ==, 0);
        g_assert_cmpuint(r->problems->len, ==, 0);
    }
}

/* One test of fn per stop point: PREFIX/POINT. */
static void add_killed_at(const char *prefix, const char *const *points, gsize n,
                          void (*fn)(Fx *, gconstpointer))
{
    for (gsize i = 0; i < n; i++) {
        g_autofree char *name = g_strdup_printf("%s/%s", prefix, points[i]);
        g_test_add(name, Fx, points[i], fx_setup, fn, fx_teardown);
    }
}

int main(int argc, char **argv)
{
    static const char *const refund_points[] = { "refund-pending", "card-byte:1", "card-byte:20",
                                                 "card-byte:38", "refund-card-written",
                                                 "refund-done" };
    static const char *const swap_points[] = { "swap-recorded", "issue-reserved",
                                               "card-byte:10" };
    static const char *const points[] = { "sale-pending", "card-byte:1", "card-byte:2",
                                          "card-byte:20", "card-byte:37", "card-byte:38",
                                          "card-byte:45", "sale-card-written", "sale-written",
                                          "sale-completed" };
    static const char *const free_points[] = { "sale-pending", "card-byte:20", "sale-card-written",
                                               "sale-completed" };
    g_test_init(&argc, &argv, NULL);
    ctl_path = g_getenv("KILOVENDCTL");
    g_assert_nonnull(ctl_path);
    add_killed_at("/crash/kill-at", points, G_N_ELEMENTS(points), test_point);
    /* before the card, inside the token, after it, after the commit */
    add_killed_at("/crash/free-grant-killed-at", free_points, G_N_ELEMENTS(free_points), test_free_grant);
    add_killed_at("/crash/refund-unloaded", refund_points, G_N_ELEMENTS(refund_points), test_refund_point);
    add_killed_at("/crash/meter-swap", swap_points, G_N_ELEMENTS(swap_points), test_swap_point);
    return g_test_run();
}
