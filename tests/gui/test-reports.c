/* test-reports.c - the Reports screen on the demo station (one sale in its
 * history): the Z report of the open shift, sales by day and by month
 * charted off the main thread, exports to CSV and PDF (read back), meter
 * consumption, and a cashier refused the sales report by the core. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"
#include "kv-reports-page.h"

static KvGuiStation *station;

static gboolean report_done(gpointer data)
{
    return !kv_reports_page_is_busy(data);
}

static gboolean label_not_empty(gpointer data)
{
    return *gtk_label_get_label(GTK_LABEL(data)) != '\0';
}

static KvReportsPage *find_reports_page(GtkWidget *w)
{
    if (KV_IS_REPORTS_PAGE(w))
        return KV_REPORTS_PAGE(w);
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
        KvReportsPage *p = find_reports_page(c);
        if (p != NULL)
            return p;
    }
    return NULL;
}

static void test_reports_flow(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvReportsPage *page;
    KvSalesChart *chart;
    GtkWidget *z, *summary;
    g_autofree char *dir = g_dir_make_tmp("kv-reports-XXXXXX", NULL);
    g_autofree char *csv = g_build_filename(dir, "sales.csv", NULL);
    g_autofree char *pdf = g_build_filename(dir, "sales.pdf", NULL);
    g_autofree char *csv_text = NULL;
    g_autofree char *pdf_text = NULL;
    g_autoptr(GError) error = NULL;
    const char *argv[] = {"pdftotext", pdf, "-", NULL};

    kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    page = find_reports_page(root);
    g_assert_nonnull(page);
    chart = kv_reports_page_get_chart(page);
    z = kv_gui_test_get(root, "Z report");
    summary = kv_gui_test_get(root, "Sales summary");

    /* Showing the page charts the last 30 days. */
    gtk_widget_activate_action(root, "win.page", "s", "reports");
    g_assert_true(kv_gui_test_wait(report_done, page, 20000));
    g_assert_cmpuint(kv_sales_chart_get_n_bars(chart), >=, 28);
    g_assert_cmpint(kv_sales_chart_get_max(chart), >=, 2000); /* the demo's 20.00 sale */
    g_assert_nonnull(strstr(kv_gui_test_text(summary), "20.00"));

    /* By month: twelve bars, off the main thread, then the same total. */
    kv_reports_page_set_period(page, TRUE);
    g_assert_true(kv_reports_page_is_busy(page));
    g_assert_true(kv_gui_test_wait(report_done, page, 30000));
    g_assert_cmpuint(kv_sales_chart_get_n_bars(chart), ==, 12);
    g_assert_nonnull(strstr(kv_gui_test_text(summary), "20.00"));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "reports-monthly");

    /* Exports: the core's CSV, and a PDF with the figures in it. */
    g_assert_true(kv_reports_page_export_csv(page, csv, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(csv, &csv_text, NULL, &error));
    g_assert_nonnull(strstr(csv_text, "20.00"));
    g_assert_true(kv_reports_page_export_pdf(page, pdf, &error));
    g_assert_no_error(error);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &pdf_text, NULL, NULL, &error));
    g_assert_nonnull(strstr(pdf_text, "Sales by month"));
    g_assert_nonnull(strstr(pdf_text, "20.00"));

    /* The Z report of the supervisor's own open shift. */
    gtk_widget_activate_action(z, "reports.z-report", NULL);
    g_assert_true(kv_gui_test_wait(label_not_empty, z, 10000));
    g_assert_nonnull(strstr(kv_gui_test_text(z), "Shift report"));

    /* A cashier may not see the sales report: the core says so. */
    gtk_widget_activate_action(root, "win.sign-out", NULL);
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    kv_reports_page_set_period(page, FALSE);
    g_assert_true(kv_gui_test_wait(report_done, page, 20000));
    g_assert_nonnull(strstr(kv_gui_test_text(summary), "supervisor"));

    g_remove(csv);
    g_remove(pdf);
    g_rmdir(dir);
    gtk_window_destroy(GTK_WINDOW(window));
}

int main(int argc, char *argv[])
{
    static const KvGuiTestCase cases[] = {
        {"/reports/flow", test_reports_flow},
        {NULL, NULL},
    };

    return kv_gui_test_main(&argc, &argv, &station, cases);
}
