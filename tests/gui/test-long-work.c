/* test-long-work.c - long work is cancelled, through the real stack (a
 * private pcscd with the virtual card, run-in-pcsc-env.sh; a real SQLite
 * station).
 *
 * Each job is started, cancelled while it is under way, and checked:
 * - the window's main loop ran while the job did (its progress reached
 *   the screen while the page said it was busy), and the cancel came from
 *   the screen, at a step it showed;
 * - the cancel is reported;
 * - nothing half-done stays: a cancelled backup leaves no file; a cancelled
 *   batch leaves the cards already issued recorded and the others not; a
 *   cancelled report leaves no chart or export of an earlier report.
 * "Under way" is a state, not a time: the page shows each step before the
 * job goes on to the next (kv-progress-relay), and the batch waits for the
 * next card. */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "kv-admin-page.h"
#include "kv-cards-page.h"
#include "kv-demo.h"
#include "kv-gui-test.h"
#include "kv-reports-page.h"

#define WAIT_MS 60000

static KvGuiStation *station;

#define find_type kv_gui_test_find_type

/* Cancel at the first step of the job the screen shows: from the progress
 * bar's own change, on the main loop, while the page is busy. */
typedef struct {
    GtkWidget *page;
    const char *cancel_action;
    gboolean (*busy)(GtkWidget *page);
    double cancelled_at;  /* the fraction shown when cancelled; -1: not yet */
    guint steps_seen;     /* progress shown while busy */
    GThread *thread;      /* the thread the steps were shown on */
} Canceller;

static void on_fraction_cb(GtkProgressBar *bar, GParamSpec *pspec, Canceller *c)
{
    double f = gtk_progress_bar_get_fraction(bar);

    if (f <= 0.0 || !c->busy(c->page))
        return;
    c->steps_seen++;
    c->thread = g_thread_self();
    if (c->cancelled_at < 0) {
        c->cancelled_at = f;
        g_assert_true(gtk_widget_activate_action(c->page, c->cancel_action, NULL));
    }
}

static gulong watch_progress(GtkWidget *bar, Canceller *c)
{
    c->cancelled_at = -1;
    c->steps_seen = 0;
    c->thread = NULL;
    return g_signal_connect(bar, "notify::fraction", G_CALLBACK(on_fraction_cb), c);
}

static void check_cancelled_mid_way(const Canceller *c, GThread *main_thread)
{
    g_assert_cmpuint(c->steps_seen, >=, 1);
    g_assert_true(c->thread == main_thread);
    g_assert_cmpfloat(c->cancelled_at, >, 0.0);
    g_assert_cmpfloat(c->cancelled_at, <, 1.0);
}

/* ---- reports ------------------------------------------------------------------- */

static gboolean reports_busy(GtkWidget *page)
{
    return kv_reports_page_is_busy(KV_REPORTS_PAGE(page));
}

static gboolean reports_idle(gpointer page)
{
    return !kv_reports_page_is_busy(page);
}

static void test_report_cancelled(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvReportsPage *page;
    GtkWidget *bar, *summary;
    g_autofree char *csv = g_build_filename(station->dir, "report.csv", NULL);
    g_autoptr(GError) error = NULL;
    Canceller c = {0};
    gulong handler;

    kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    gtk_widget_activate_action(root, "win.page", "s", "reports");
    page = KV_REPORTS_PAGE(kv_gui_test_find_type(root, KV_TYPE_REPORTS_PAGE));
    g_assert_nonnull(page);
    bar = kv_gui_test_get_id(root, "report_progress");
    summary = kv_gui_test_get_id(root, "sales_summary_label");

    /* A report made in full first: charted and exportable. */
    kv_reports_page_set_period(page, FALSE);
    g_assert_true(kv_gui_test_wait(reports_idle, page, WAIT_MS));
    g_assert_true(kv_gui_test_wait_text(summary, "last 30 days", WAIT_MS));
    g_assert_cmpuint(kv_sales_chart_get_n_bars(kv_reports_page_get_chart(page)), >, 0);
    g_assert_true(kv_reports_page_export_csv(page, csv, &error));
    g_assert_no_error(error);

    /* Twelve months, cancelled at the first month shown. */
    c.page = GTK_WIDGET(page);
    c.cancel_action = "reports.cancel";
    c.busy = reports_busy;
    handler = watch_progress(bar, &c);
    kv_reports_page_set_period(page, TRUE);
    g_assert_true(kv_reports_page_is_busy(page));
    g_assert_true(kv_gui_test_wait(reports_idle, page, WAIT_MS));
    g_signal_handler_disconnect(bar, handler);
    check_cancelled_mid_way(&c, g_thread_self());
    g_test_message("report cancelled at %.2f: %s", c.cancelled_at, kv_gui_test_text(summary));
    g_assert_nonnull(strstr(kv_gui_test_text(summary), "Report cancelled"));
    /* Nothing stale: no chart, nothing to export. */
    g_assert_cmpuint(kv_sales_chart_get_n_bars(kv_reports_page_get_chart(page)), ==, 0);
    g_assert_false(kv_reports_page_export_csv(page, csv, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
    g_clear_error(&error);
    g_assert_false(gtk_widget_get_visible(bar));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "reports-cancelled");

    /* Asked again, it is made in full. */
    kv_reports_page_set_period(page, TRUE);
    g_assert_true(kv_gui_test_wait(reports_idle, page, WAIT_MS));
    g_assert_true(kv_gui_test_wait_text(summary, "last 12 months", WAIT_MS));
    g_assert_cmpuint(kv_sales_chart_get_n_bars(kv_reports_page_get_chart(page)), ==, 12);

    gtk_window_destroy(GTK_WINDOW(window));
}

/* ---- backup -------------------------------------------------------------------- */

static gboolean admin_busy(GtkWidget *page)
{
    return gtk_widget_get_visible(kv_gui_test_get_id(page, "backup_progress"));
}

/* A station with some history: enough pages that a backup takes several
 * steps (the core copies 256 pages a step). */
static void grow_database(void)
{
    sqlite3 *db = NULL;
    char *msg = NULL;

    g_assert_cmpint(sqlite3_open(station->db, &db), ==, SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_exec(db,
                     "CREATE TABLE IF NOT EXISTS test_history(id INTEGER PRIMARY KEY, b BLOB);"
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                     "WHERE i < 1024) INSERT INTO test_history(b) SELECT randomblob(4096) "
                     "FROM n;",
                     NULL, NULL, &msg) != SQLITE_OK)
        g_error("growing the station: %s", msg);
    sqlite3_close(db);
}

static void assert_no_file(const char *path)
{
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};

    for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++) {
        g_autofree char *p = g_strconcat(path, suffixes[i], NULL);
        if (g_file_test(p, G_FILE_TEST_EXISTS))
            g_error("%s was left behind by a cancelled backup or restore", p);
    }
}

/* A table the backups made before do not have. */
static void mark_live_database(void)
{
    sqlite3 *db = NULL;

    g_assert_cmpint(sqlite3_open(station->db, &db), ==, SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    g_assert_cmpint(sqlite3_exec(db, "CREATE TABLE test_after_backup(x)", NULL, NULL, NULL), ==,
                    SQLITE_OK);
    sqlite3_close(db);
}

static gboolean live_database_marked(void)
{
    sqlite3 *db = NULL;
    gboolean marked;

    g_assert_cmpint(sqlite3_open(station->db, &db), ==, SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    marked = sqlite3_exec(db, "SELECT count(*) FROM test_after_backup", NULL, NULL, NULL) ==
             SQLITE_OK;
    sqlite3_close(db);
    return marked;
}

static void test_backup_cancelled(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *page, *bar, *status;
    g_autofree char *backup = g_build_filename(station->dir, "cancelled-backup.db", NULL);
    Canceller c = {0};
    gulong handler;

    grow_database();
    kv_gui_test_sign_in(window, KV_DEMO_ADMIN, KV_DEMO_ADMIN_PASSWORD);
    gtk_widget_activate_action(root, "win.page", "s", "admin");
    page = kv_gui_test_find_type(root, KV_TYPE_ADMIN_PAGE);
    g_assert_nonnull(page);
    bar = kv_gui_test_get_id(root, "backup_progress");
    status = kv_gui_test_get(root, "Backup status");

    c.page = page;
    c.cancel_action = "admin.backup-cancel";
    c.busy = admin_busy;
    handler = watch_progress(bar, &c);
    kv_admin_page_backup(KV_ADMIN_PAGE(page), backup);
    g_assert_true(kv_gui_test_wait_text(status, "Backup cancelled", WAIT_MS));
    g_signal_handler_disconnect(bar, handler);
    check_cancelled_mid_way(&c, g_thread_self());
    g_test_message("backup cancelled at %.2f: %s", c.cancelled_at, kv_gui_test_text(status));
    assert_no_file(backup);
    g_assert_false(gtk_widget_get_visible(bar));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "backup-cancelled");

    /* Nothing in the way of the next backup to the same place. */
    kv_admin_page_backup(KV_ADMIN_PAGE(page), backup);
    g_assert_true(kv_gui_test_wait_text(status, "Backed up", WAIT_MS));
    g_assert_true(g_file_test(backup, G_FILE_TEST_IS_REGULAR));

    /* A restore of that backup, cancelled mid-way: the live database (which
     * now has a table the backup lacks) stays and nothing temporary is left. */
    mark_live_database();
    handler = watch_progress(bar, &c);
    kv_admin_page_restore(KV_ADMIN_PAGE(page), backup);
    g_assert_true(kv_gui_test_wait_text(status, "Restore cancelled", WAIT_MS));
    g_signal_handler_disconnect(bar, handler);
    check_cancelled_mid_way(&c, g_thread_self());
    g_test_message("restore cancelled at %.2f: %s", c.cancelled_at, kv_gui_test_text(status));
    g_assert_true(live_database_marked());
    {
        g_autofree char *tmp = g_strconcat(station->db, ".restoring", NULL);
        assert_no_file(tmp);
    }
    /* The station was closed for the restore and opened again: the app
     * signs out rather than run on a station nobody is signed in to. */
    g_assert_false(kv_session_get_signed_in(kv_window_get_session(window)));
    g_assert_false(gtk_widget_get_visible(bar));

    gtk_window_destroy(GTK_WINDOW(window));
}

/* ---- batch issue ------------------------------------------------------------------ */

#define new_meter kv_gui_test_add_meter

/* Active customer cards of a meter, as the ledger has them. */
static guint active_cards(guint32 meter)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    guint n;

    g_assert_cmpint(sqlite3_open_v2(station->db, &db, SQLITE_OPEN_READONLY, NULL), ==,
                    SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    g_assert_cmpint(sqlite3_prepare_v2(db,
                                       "SELECT count(*) FROM cards WHERE meter_number = ? "
                                       "AND type = 1 AND status = 'active'",
                                       -1, &q, NULL),
                    ==, SQLITE_OK);
    sqlite3_bind_int64(q, 1, meter);
    g_assert_cmpint(sqlite3_step(q), ==, SQLITE_ROW);
    n = (guint)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

static KvStation *open_station(void)
{
    return kv_gui_test_station_open_ledger(station);
}

static void test_batch_cancelled(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvCardsPage *page;
    GtkWidget *prompt;
    g_autofree char *csv = g_build_filename(station->dir, "cancel-batch.csv", NULL);
    g_autofree char *contents = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) st = open_station();
    guint32 meters[3];
    char *blanks[2];
    static const guint8 factory_psc[3] = {0xFF, 0xFF, 0xFF};

    for (guint i = 0; i < 3; i++)
        meters[i] = new_meter(st, 20000010 + i);
    g_clear_pointer(&st, kv_station_free);
    contents = g_strdup_printf("meter\n%09u\n%09u\n%09u\n", meters[0], meters[1], meters[2]);
    g_assert_true(g_file_set_contents(csv, contents, -1, &error));
    for (guint i = 0; i < 2; i++) {
        g_autofree char *name = g_strdup_printf("batch-blank-%u.card", i);
        blanks[i] = g_build_filename(station->dir, name, NULL);
        g_assert_true(kv_card_link_file_create_blank(blanks[i], factory_psc, &error));
        g_assert_no_error(error);
    }

    kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    gtk_widget_activate_action(root, "win.page", "s", "cards");
    page = KV_CARDS_PAGE(kv_gui_test_find_type(root, KV_TYPE_CARDS_PAGE));
    g_assert_nonnull(page);
    prompt = kv_gui_test_get_id(root, "batch_prompt_label");

    /* A blank card in the reader: the batch takes it for the first meter. */
    kv_gui_test_insert_card(station->session, blanks[0]);
    g_assert_true(kv_gui_test_wait_reader(station->session, KV_READER_STATE_CARD, WAIT_MS));
    kv_cards_page_set_batch_file(page, csv);
    g_assert_true(gtk_widget_activate_action(prompt, "cards.batch-start", NULL));
    /* Issued; the batch now waits for it to be taken out. */
    g_assert_true(kv_gui_test_wait_text(prompt, "Take the card out", WAIT_MS));
    kv_gui_test_vcard("remove");
    g_assert_true(kv_gui_test_wait_text(prompt, "(card 2 of 3)", WAIT_MS));

    /* The operator stops the batch while it waits for the second card. */
    g_assert_true(gtk_widget_activate_action(prompt, "cards.batch-cancel", NULL));
    g_assert_true(kv_gui_test_wait_text(prompt, "Batch cancelled", WAIT_MS));
    g_test_message("%s", kv_gui_test_text(prompt));
    g_assert_nonnull(strstr(kv_gui_test_text(prompt), "Rows done: 1;"));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "cards-batch-cancelled");

    /* The card issued stays issued; the rest are not. */
    g_assert_cmpuint(active_cards(meters[0]), ==, 1);
    g_assert_cmpuint(active_cards(meters[1]), ==, 0);
    g_assert_cmpuint(active_cards(meters[2]), ==, 0);
    /* A card put in now is left alone. */
    kv_gui_test_vcard("insert %s", blanks[1]);
    g_assert_true(kv_gui_test_wait_reader(station->session, KV_READER_STATE_CARD, WAIT_MS));
    g_assert_cmpuint(active_cards(meters[1]), ==, 0);

    for (guint i = 0; i < 2; i++)
        g_free(blanks[i]);
    gtk_window_destroy(GTK_WINDOW(window));
}

KV_GUI_TEST_MAIN(station,
                 {"/long-work/report-cancelled", test_report_cancelled},
                 {"/long-work/backup-cancelled", test_backup_cancelled},
                 {"/long-work/batch-cancelled", test_batch_cancelled})
