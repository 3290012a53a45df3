/* test-reports.c - the Reports screen on the demo station (one sale in its
 * history): the Z report of the open shift, sales by day and by month
 * charted off the main thread, exports to CSV and PDF (read back), meter
 * consumption, and a cashier refused the sales report by the core; the
 * reports laid out as tables (currency on every amount, totals, the audit
 * head's fingerprint, only days up to today in the PDF); the history
 * (reprint, cancel with a reason, past shifts for supervisors); closing a
 * shift with less cash than expected. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"
#include "kv-report-view.h"
#include "kv-reports-page.h"
#include "kv-widget-util.h"

static KvGuiStation *station;

static gboolean report_done(gpointer data)
{
    return !kv_reports_page_is_busy(data);
}

static gboolean has_z_view(gpointer data)
{
    return kv_reports_page_get_z_view(data) != NULL;
}

static gboolean has_daily_view(gpointer data)
{
    return kv_reports_page_get_daily_view(data) != NULL;
}

static gboolean history_done(gpointer data)
{
    return !kv_history_page_is_busy(data);
}

static gboolean shift_closed(gpointer data)
{
    return !kv_session_get_shift_open(data);
}

static gboolean shift_open(gpointer data)
{
    return kv_session_get_shift_open(data);
}

static void assert_ends_with(const char *text, const char *suffix)
{
    g_test_message("“%s”", text);
    g_assert_true(g_str_has_suffix(text, suffix));
}

/* The report view's title (its first label). */
static const char *kv_report_view_title(GtkWidget *view)
{
    return gtk_label_get_label(GTK_LABEL(gtk_widget_get_first_child(view)));
}

#define find_reports_page(w) KV_REPORTS_PAGE(kv_gui_test_find_type(w, KV_TYPE_REPORTS_PAGE))

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
    g_assert_true(kv_gui_test_wait(has_z_view, page, 10000));
    g_assert_nonnull(strstr(kv_report_view_title(kv_reports_page_get_z_view(page)),
                            "Shift report"));

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

/* A new window, signed in with a shift, on the Reports page once its chart
 * is made. */
static KvWindow *reports_window(const char *user, const char *password, KvReportsPage **page)
{
    KvWindow *window = kv_gui_test_window_new(station);

    kv_gui_test_sign_in(window, user, password);
    *page = find_reports_page(GTK_WIDGET(window));
    gtk_widget_activate_action(GTK_WIDGET(window), "win.page", "s", "reports");
    g_assert_true(kv_gui_test_wait(report_done, *page, 20000));
    return window;
}

/* The Z, daily and monthly reports as tables: every amount with the
 * currency, numbers aligned, a Total row, the audit head as a fingerprint on
 * screen and whole in the PDF, and a month's PDF without the days to come. */
static void test_reports_tables(void)
{
    KvReportsPage *page = NULL;
    KvWindow *window = reports_window(KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD, &page);
    const char *cur = kv_session_get_currency(station->session);
    GtkWidget *view;
    GtkLabel *head;
    g_autofree char *full = NULL, *short_hex = NULL, *text = NULL;
    g_autofree char *dir = g_dir_make_tmp("kv-tables-XXXXXX", NULL);
    g_autofree char *pdf = g_build_filename(dir, "report.pdf", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autoptr(GDateTime) tomorrow = g_date_time_add_days(now, 1);
    g_autofree char *today_s = g_date_time_format(now, "%Y-%m-%d");
    g_autofree char *tomorrow_s = g_date_time_format(tomorrow, "%Y-%m-%d");

    g_assert_nonnull(cur);
    g_assert_cmpstr(cur, !=, "");

    /* Z report: money with its currency, the difference and the head. */
    gtk_widget_activate_action(GTK_WIDGET(page), "reports.z-report", NULL);
    g_assert_true(kv_gui_test_wait(has_z_view, page, 10000));
    view = kv_reports_page_get_z_view(page);
    assert_ends_with(gtk_label_get_label(kv_report_view_get_value(view, "amount taken")), cur);
    assert_ends_with(gtk_label_get_label(kv_report_view_get_value(view, "expected cash")), cur);
    assert_ends_with(gtk_label_get_label(kv_report_view_get_value(view, "paid cash")), cur);
    /* The refunds line is a sentence: its amount names the currency too. */
    {
        g_autofree char *paid_back = g_strdup_printf("paying back 0.00 %s for", cur);
        const char *refunds = gtk_label_get_label(kv_report_view_get_value(view, "refunds"));

        g_test_message("refunds: “%s”", refunds);
        g_assert_nonnull(strstr(refunds, paid_back));
    }
    head = kv_report_view_get_value(view, "audit head");
    full = g_strdup(gtk_widget_get_tooltip_text(GTK_WIDGET(head)));
    g_test_message("head %s shown as %s", full, gtk_label_get_label(head));
    g_assert_cmpuint(strlen(full), >=, 32);
    g_assert_cmpuint(g_utf8_strlen(gtk_label_get_label(head), -1), <=, 20);
    short_hex = g_strndup(full, strcspn(full, "-") + 5);
    g_assert_true(g_str_has_prefix(gtk_label_get_label(head), short_hex));

    /* Its PDF: the head whole, the table, the currency. */
    g_assert_true(kv_reports_page_export_z_pdf(page, pdf, &error));
    g_assert_no_error(error);
    text = kv_gui_test_pdf_text(pdf);
    g_assert_nonnull(strstr(text, "Shift report"));
    g_assert_nonnull(strstr(text, full));
    g_assert_nonnull(strstr(text, cur));
    g_clear_pointer(&text, g_free);

    /* The daily report by cashier: the demo's sale under admin, a Total row
     * summing the columns, amounts with the currency. */
    gtk_widget_activate_action(GTK_WIDGET(page), "reports.daily", NULL);
    g_assert_true(kv_gui_test_wait(has_daily_view, page, 10000));
    view = kv_reports_page_get_daily_view(page);
    g_assert_cmpstr(gtk_label_get_label(kv_report_view_get_cell(view, 0, 0)), ==, KV_DEMO_ADMIN);
    g_assert_cmpstr(gtk_label_get_label(kv_report_view_get_cell(view, 1, 0)), ==, "Total");
    assert_ends_with(gtk_label_get_label(kv_report_view_get_cell(view, 1, 2)), cur);
    g_assert_nonnull(strstr(gtk_label_get_label(kv_report_view_get_cell(view, 1, 2)), "20.00"));
    g_assert_cmpstr(gtk_label_get_label(kv_report_view_get_cell(view, 1, 1)), ==, "1");
    g_assert_true(kv_reports_page_export_daily_pdf(page, pdf, &error));
    g_assert_no_error(error);
    text = kv_gui_test_pdf_text(pdf);
    g_assert_nonnull(strstr(text, "Total"));
    g_assert_nonnull(strstr(text, KV_DEMO_ADMIN));
    g_clear_pointer(&text, g_free);

    /* The months' PDF: today's row, none after today. */
    kv_reports_page_set_period(page, TRUE);
    g_assert_true(kv_gui_test_wait(report_done, page, 30000));
    g_assert_true(kv_reports_page_export_pdf(page, pdf, &error));
    g_assert_no_error(error);
    text = kv_gui_test_pdf_text(pdf);
    g_assert_nonnull(strstr(text, today_s));
    g_assert_null(strstr(text, tomorrow_s));
    g_assert_nonnull(strstr(text, "Total"));

    g_remove(pdf);
    g_rmdir(dir);
    gtk_window_destroy(GTK_WINDOW(window));
}

/* The history: a past sale's receipt reprinted (the tariff's name, the
 * token in words), a sale cancelled only with a reason (no card in the
 * reader here: the sale stands, and says why), past shifts and another
 * cashier's Z report for a supervisor, and not for a cashier. */
static void test_reports_history(void)
{
    KvReportsPage *page = NULL;
    KvWindow *window = reports_window(KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD, &page);
    GtkWidget *root = GTK_WIDGET(window);
    KvHistoryPage *history = kv_reports_page_get_history(page);
    GtkWidget *cancel, *entry, *status, *view;
    AdwMessageDialog *ask;
    g_autofree char *dir = g_dir_make_tmp("kv-history-XXXXXX", NULL);
    g_autofree char *pdf = g_build_filename(dir, "receipt.pdf", NULL);

    kv_history_page_refresh(history);
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));
    status = kv_gui_test_get(root, "History status");

    /* Reprint the demo's sale (receipt 1, made by admin). */
    g_assert_nonnull(kv_gui_test_get(root, "Reprint receipt 1"));
    kv_history_page_reprint(history, 1, pdf);
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));
    g_test_message("%s", kv_gui_test_text(status));
    KV_GUI_TEST_ASSERT_PDF_HAS(pdf, "REPRINT", "Residential (DEFAULT)", "Token number",
                               "All the credit bought for this meter");

    /* Cancel: a supervisor may; the reason is asked before anything. */
    cancel = kv_gui_test_get(root, "Cancel sale 1");
    g_assert_true(gtk_widget_get_sensitive(cancel));
    g_signal_emit_by_name(cancel, "clicked");
    ask = kv_gui_test_wait_dialog("Cancel Receipt 1?");
    g_assert_false(adw_message_dialog_get_response_enabled(ask, "cancel-sale"));
    entry = adw_message_dialog_get_extra_child(ask);
    gtk_editable_set_text(GTK_EDITABLE(entry), "customer changed their mind");
    g_assert_true(adw_message_dialog_get_response_enabled(ask, "cancel-sale"));
    kv_gui_test_respond(ask, "cancel-sale");
    g_assert_true(kv_gui_test_wait_text(status, "The sale stands", 30000));
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));

    /* Past shifts: admin's closed shift 1 and its Z report. */
    g_assert_nonnull(kv_gui_test_get(root, "Z report of shift 1"));
    kv_history_page_show_shift(history, 1);
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));
    view = kv_history_page_get_shift_view(history);
    g_assert_nonnull(view);
    g_assert_nonnull(strstr(kv_report_view_title(view), "shift 1"));
    g_assert_cmpstr(gtk_label_get_label(kv_report_view_get_value(view, "cashier")), ==,
                    KV_DEMO_ADMIN);
    g_assert_true(gtk_widget_has_css_class(
        GTK_WIDGET(kv_report_view_get_value(view, "difference")), "success"));
    /* The screenshot of docs/: a closed shift's Z report as a table. */
    kv_widget_scroll_into_view(view);
    kv_gui_test_spin(500);
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "z-report");
    /* Its rows: the amount column with its currency, aligned on the right. */
    assert_ends_with(gtk_label_get_label(kv_report_view_get_cell(view, 0, 3)),
                     kv_session_get_currency(station->session));
    g_assert_cmpfloat(gtk_label_get_xalign(kv_report_view_get_cell(view, 0, 3)), ==, 1.0);

    /* A cashier: their own sales only, no shifts of others. */
    gtk_widget_activate_action(root, "win.sign-out", NULL);
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    gtk_widget_activate_action(root, "win.page", "s", "reports");
    kv_history_page_refresh(history);
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));
    g_assert_null(kv_history_page_get_shift_view(history));
    g_assert_null(kv_gui_test_find_by_label(root, "Z report of shift 1"));
    g_assert_null(kv_gui_test_find_by_label(root, "Cancel sale 1"));
    /* Nor the daily report of every cashier: shown off, with the reason. */
    g_assert_false(gtk_widget_get_sensitive(kv_gui_test_get(root, "Day of the daily report")));
    g_assert_nonnull(strstr(kv_gui_test_text(kv_gui_test_get_id(root, "daily_label")),
                            "supervisor"));

    g_remove(pdf);
    g_rmdir(dir);
    gtk_window_destroy(GTK_WINDOW(window));
}

/* Closing a shift with less cash than its sales say: the shortfall is shown
 * in figures and the shift closes only once confirmed. */
static void test_reports_shortfall(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    AdwMessageDialog *ask, *done;
    GtkWidget *figure;

    /* Ama's shift of the first case (no float, no sales) closes at once. */
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    gtk_widget_activate_action(root, "win.close-shift", NULL);
    ask = kv_gui_test_wait_dialog("Close the Shift?");
    gtk_editable_set_text(GTK_EDITABLE(adw_message_dialog_get_extra_child(ask)), "0");
    kv_gui_test_respond(ask, "close-shift");
    g_assert_true(kv_gui_test_wait(shift_closed, station->session, 20000));
    gtk_window_destroy(GTK_WINDOW(kv_gui_test_wait_dialog("Shift Closed")));

    /* A new shift with a float of 100.00. */
    if (kv_session_get_signed_in(station->session))
        kv_session_sign_out(station->session);
    kv_gui_test_sign_in_only(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Opening cash float")), "100");
    kv_gui_test_fill_shift(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD,
                           KV_DEMO_PASSPHRASE);
    g_assert_true(kv_gui_test_wait(shift_open, station->session, 20000));

    /* 60.00 counted: 40.00 short, asked; Count Again keeps the shift. */
    gtk_widget_activate_action(root, "win.close-shift", NULL);
    ask = kv_gui_test_wait_dialog("Close the Shift?");
    gtk_editable_set_text(GTK_EDITABLE(adw_message_dialog_get_extra_child(ask)), "60");
    kv_gui_test_respond(ask, "close-shift");
    ask = kv_gui_test_wait_dialog("The Cash Is Short");
    figure = adw_message_dialog_get_extra_child(ask);
    g_test_message("%s", gtk_label_get_label(GTK_LABEL(figure)));
    g_assert_nonnull(strstr(gtk_label_get_label(GTK_LABEL(figure)), "40.00"));
    g_assert_true(gtk_widget_has_css_class(figure, "error"));
    kv_gui_test_respond(ask, "count-again");
    kv_gui_test_spin(300);
    g_assert_true(kv_session_get_shift_open(station->session));

    /* Confirmed: closed, the difference in the Z report. */
    gtk_widget_activate_action(root, "win.close-shift", NULL);
    ask = kv_gui_test_wait_dialog("Close the Shift?");
    gtk_editable_set_text(GTK_EDITABLE(adw_message_dialog_get_extra_child(ask)), "60");
    kv_gui_test_respond(ask, "close-shift");
    kv_gui_test_respond(kv_gui_test_wait_dialog("The Cash Is Short"), "close-short");
    g_assert_true(kv_gui_test_wait(shift_closed, station->session, 20000));
    done = kv_gui_test_wait_dialog("Shift Closed");
    g_assert_nonnull(strstr(adw_message_dialog_get_body(done), "60.00"));
    /* Its Z report as a table: the difference in red, said in words. */
    figure = adw_message_dialog_get_extra_child(done);
    figure = gtk_viewport_get_child(
        GTK_VIEWPORT(gtk_scrolled_window_get_child(GTK_SCROLLED_WINDOW(figure))));
    figure = GTK_WIDGET(kv_report_view_get_value(figure, "difference"));
    g_test_message("%s", gtk_label_get_label(GTK_LABEL(figure)));
    g_assert_nonnull(strstr(gtk_label_get_label(GTK_LABEL(figure)), "-40.00"));
    g_assert_nonnull(strstr(gtk_label_get_label(GTK_LABEL(figure)), "cash short"));
    g_assert_true(gtk_widget_has_css_class(figure, "error"));
    gtk_window_destroy(GTK_WINDOW(done));
    gtk_window_destroy(GTK_WINDOW(window));
}

KV_GUI_TEST_MAIN(station,
                 {"/reports/flow", test_reports_flow},
                 {"/reports/tables", test_reports_tables},
                 {"/reports/history", test_reports_history},
                 {"/reports/shortfall", test_reports_shortfall})
