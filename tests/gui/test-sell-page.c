/* test-sell-page.c - the Sell screen through the real stack: a private
 * pcscd with the virtual card (run-in-pcsc-env.sh), the demo database.
 * The card is read by itself; the breakdown follows the amount; Enter
 * sells; the sale is in the ledger and on the card; a blocked card is
 * refused before any amount; kWh mode. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"
#include "kv-sell-page.h"

static KvGuiStation *station;

/* The whole of a widget shows inside the scrolled window around it. */
static gboolean in_view(gpointer data)
{
    GtkWidget *widget = data;
    GtkWidget *scrolled = gtk_widget_get_ancestor(widget, GTK_TYPE_SCROLLED_WINDOW);
    graphene_rect_t b;

    g_assert_nonnull(scrolled);
    if (!gtk_widget_compute_bounds(widget, scrolled, &b))
        return FALSE;
    return b.origin.y >= 0 && b.size.height > 0 &&
           b.origin.y + b.size.height <= gtk_widget_get_height(scrolled) + 0.5;
}

static void insert_card(guint n)
{
    g_autofree char *path = kv_demo_card_path(station->dir, n);

    kv_gui_test_insert_card(station->session, path);
}

static gboolean sensitive(gpointer data)
{
    return gtk_widget_get_sensitive(data);
}

static KvSale *last_sale(guint32 meter)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) st = kv_gui_test_station_open_ledger(station);
    KvSale *sale;

    sale = kv_sale_last_of_meter(st, meter, &error);
    g_assert_no_error(error);
    return sale;
}

static KvSellPage *find_sell_page(GtkWidget *w)
{
    if (KV_IS_SELL_PAGE(w))
        return KV_SELL_PAGE(w);
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
        KvSellPage *p = find_sell_page(c);
        if (p != NULL)
            return p;
    }
    return NULL;
}

static gboolean file_written(gpointer path)
{
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* The receipt as the printer gets it (GtkPrintOperation, exported to PDF
 * instead of a printer): the station's header, the core's lines. */
static void check_receipt(KvWindow *window)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *pdf = g_build_filename(station->dir, "receipt.pdf", NULL);
    g_autofree char *text = NULL;
    const char *argv[] = {"pdftotext", "-layout", pdf, "-", NULL};
    GSettings *settings = kv_application_get_settings(station->app);

    g_settings_set_string(settings, "receipt-header", "Accra office | 12 Ring Road");
    kv_sell_page_save_receipt_to(find_sell_page(GTK_WIDGET(window)), pdf);
    g_assert_true(kv_gui_test_wait(file_written, pdf, 20000));
    kv_gui_test_spin(300);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &text, NULL, NULL, &error));
    g_test_message("%s", text);
    g_assert_nonnull(strstr(text, "Accra office"));
    g_assert_nonnull(strstr(text, "12 Ring Road"));
    g_assert_nonnull(strstr(text, "Ama Owusu"));
    g_assert_nonnull(strstr(text, "25.50"));
}

static void test_sell_flow(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *customer, *meter, *amount, *sell, *result, *refusal, *breakdown, *warning;
    g_autoptr(KvSale) sale = NULL;
    guint32 meter_number;

    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    customer = kv_gui_test_get(root, "Customer name");
    meter = kv_gui_test_get(root, "Meter number");
    amount = kv_gui_test_get(root, "Amount");
    /* The Sell button, not the Sell tab of the view switcher. */
    sell = kv_gui_test_find_typed(root, GTK_TYPE_BUTTON, "Sell");
    while (sell != NULL && GTK_IS_TOGGLE_BUTTON(sell))
        sell = NULL;
    if (sell == NULL)
        sell = kv_gui_test_find_typed(gtk_widget_get_parent(kv_gui_test_get(root, "Amount")),
                                      GTK_TYPE_BUTTON, "Sell");
    g_assert_nonnull(sell);
    result = kv_gui_test_get(root, "Sale result");
    refusal = kv_gui_test_get(root, "Sale refused");
    breakdown = kv_gui_test_get(root, "Breakdown of the sale");
    warning = kv_gui_test_get(root, "Card warning");

    /* The card goes in: read by itself. */
    insert_card(1);
    g_assert_true(kv_gui_test_wait_text(customer, "Ama Owusu", 30000));
    meter_number = (guint32)g_ascii_strtoull(kv_gui_test_text(meter), NULL, 10);
    g_assert_cmpuint(meter_number, ==, 100000017);
    g_test_message("sell button: sensitive %d, is_sensitive %d, amount [%s] refusal [%s] result [%s]",
                   gtk_widget_get_sensitive(sell), gtk_widget_is_sensitive(sell),
                   kv_gui_test_text(amount), kv_gui_test_text(refusal), kv_gui_test_text(result));
    g_assert_false(gtk_widget_get_sensitive(sell));

    /* Typing prices it: the breakdown and an enabled Sell button. */
    gtk_editable_set_text(GTK_EDITABLE(amount), "25,50");
    g_assert_true(kv_gui_test_wait(sensitive, sell, 20000));
    g_assert_true(gtk_widget_get_visible(breakdown));
    g_assert_nonnull(gtk_widget_get_first_child(breakdown));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "sell-quote");

    /* Enter in the amount field sells. */
    g_signal_emit_by_name(amount, "activate");
    g_assert_true(kv_gui_test_wait_text(result, "Sold", 60000));
    /* The result and its buttons are scrolled into view: on a small screen
     * they sit below the breakdown, out of sight. */
    g_assert_true(kv_gui_test_wait(in_view, gtk_widget_get_parent(result), 10000));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "sell-done");

    sale = last_sale(meter_number);
    g_assert_nonnull(sale);
    g_assert_cmpint(sale->state, ==, KV_SALE_COMPLETED);
    g_assert_cmpint(sale->breakdown.amount, ==, 2550);
    g_assert_cmpstr(sale->cashier_login, ==, KV_DEMO_CASHIER);
    check_receipt(window);

    /* A blocked card: refused before any amount, Sell stays off. */
    insert_card(3);
    g_assert_true(kv_gui_test_wait_text(refusal, "no sale", 30000));
    gtk_editable_set_text(GTK_EDITABLE(amount), "10");
    kv_gui_test_spin(800);
    g_assert_false(gtk_widget_get_sensitive(sell));
    kv_gui_test_screenshot(root, "sell-blocked-card");

    /* kWh mode on another customer's card. */
    insert_card(2);
    g_assert_true(kv_gui_test_wait_text(customer, "Yaw Mensah", 30000));
    gtk_widget_activate_action(amount, "sell.unit", "s", "kwh");
    gtk_editable_set_text(GTK_EDITABLE(amount), "12.5");
    g_assert_true(kv_gui_test_wait(sensitive, sell, 20000));
    gtk_widget_activate_action(sell, "sell.confirm", NULL);
    g_assert_true(kv_gui_test_wait_text(result, "Sold 12.50 kWh", 60000));
    g_clear_pointer(&sale, kv_sale_free);
    sale = last_sale(100000025);
    g_assert_nonnull(sale);
    g_assert_cmpint(sale->breakdown.energy, ==, 1250);

    /* More than the meter may hold (hoarding limit 400 kWh): refused before
     * confirming, with the core's reason, and Sell stays off. */
    gtk_widget_activate_action(amount, "sell.new-sale", NULL);
    /* Next customer reads the card again: the 12.50 kWh just sold are on it,
     * not yet in the meter, and the cashier is told. */
    g_assert_true(kv_gui_test_wait_text(warning, "12.50 kWh", 20000));
    gtk_editable_set_text(GTK_EDITABLE(amount), "450");
    g_assert_true(kv_gui_test_wait_text(refusal, "Refused", 20000));
    g_test_message("%s", kv_gui_test_text(refusal));
    g_assert_false(gtk_widget_get_sensitive(sell));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "sell-hoarding-refused");

    gtk_window_destroy(GTK_WINDOW(window));
}

int main(int argc, char *argv[])
{
    int status;

    kv_gui_test_init(&argc, &argv);
    station = kv_gui_test_station_new();
    g_test_add_func("/sell/flow", test_sell_flow);
    status = g_test_run();
    kv_gui_test_station_free(station);
    return status;
}
