/* test-sales-chart.c - the sales chart: a readable axis maximum, one bar a
 * period, the figures for screen readers, and drawn without warnings. */
#include "config.h"

#include "kv-gui-test.h"
#include "kv-sales-chart.h"

static void test_chart_axis(void)
{
    GtkWidget *chart = kv_sales_chart_new();
    static const char *const labels[] = {"01", "02", "03", "04"};
    static const gint64 values[] = {0, 1234, 9999, 250};

    g_object_ref_sink(chart);
    g_assert_cmpuint(kv_sales_chart_get_n_bars(KV_SALES_CHART(chart)), ==, 0);
    kv_sales_chart_set_data(KV_SALES_CHART(chart), labels, values, 4, 2);
    g_assert_cmpuint(kv_sales_chart_get_n_bars(KV_SALES_CHART(chart)), ==, 4);
    /* 99.99 rounds up to 100.00, not to some odd value. */
    g_assert_cmpint(kv_sales_chart_get_max(KV_SALES_CHART(chart)), ==, 10000);
    gtk_test_accessible_assert_property(GTK_ACCESSIBLE(chart), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                        "01: 0.00; 02: 12.34; 03: 99.99; 04: 2.50");
    g_object_unref(chart);
}

static void test_chart_draw(void)
{
    GtkWidget *window = gtk_window_new();
    GtkWidget *chart = kv_sales_chart_new();
    static const char *const labels[] = {"2026-01", "2026-02", "2026-03"};
    static const gint64 values[] = {150000, 320000, 90000};

    gtk_window_set_child(GTK_WINDOW(window), chart);
    gtk_window_set_default_size(GTK_WINDOW(window), 500, 260);
    kv_sales_chart_set_data(KV_SALES_CHART(chart), labels, values, 3, 2);
    gtk_window_present(GTK_WINDOW(window));
    gtk_test_widget_wait_for_draw(window);
    kv_gui_test_screenshot(chart, "sales-chart");
    kv_sales_chart_set_data(KV_SALES_CHART(chart), NULL, NULL, 0, 2);
    gtk_test_widget_wait_for_draw(window);
    gtk_window_destroy(GTK_WINDOW(window));
}

int main(int argc, char *argv[])
{
    kv_gui_test_init(&argc, &argv);
    g_test_add_func("/chart/axis", test_chart_axis);
    g_test_add_func("/chart/draw", test_chart_draw);
    return g_test_run();
}
