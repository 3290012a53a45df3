/* test-sell-page.c - the Sell screen through the real stack: a private
 * pcscd with the virtual card (run-in-pcsc-env.sh), the demo database.
 * The card is read by itself; the breakdown follows the amount; Enter
 * sells; the sale is in the ledger and on the card; a blocked card is
 * refused before any amount; kWh mode; the month's free allocation of the
 * customer's category on its own line and alone. */
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

#define sensitive kv_gui_test_is_sensitive
#define insensitive kv_gui_test_is_insensitive

static KvSale *last_sale(guint32 meter)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) st = kv_gui_test_station_open_ledger(station);
    KvSale *sale;

    sale = kv_sale_last_of_meter(st, meter, &error);
    g_assert_no_error(error);
    return sale;
}

static gboolean file_written(gpointer path)
{
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* The receipt as the printer gets it (GtkPrintOperation, exported to PDF
 * instead of a printer): the station's header, the core's lines. */
static void check_receipt(KvWindow *window)
{
    g_autofree char *pdf = g_build_filename(station->dir, "receipt.pdf", NULL);
    GSettings *settings = kv_application_get_settings(station->app);

    g_settings_set_string(settings, "receipt-header", "Accra office | 12 Ring Road");
    kv_sell_page_save_receipt_to(KV_SELL_PAGE(kv_gui_test_find_type(GTK_WIDGET(window), KV_TYPE_SELL_PAGE)), pdf);
    g_assert_true(kv_gui_test_wait(file_written, pdf, 20000));
    kv_gui_test_spin(300);
    KV_GUI_TEST_ASSERT_PDF_HAS(pdf, "Accra office", "12 Ring Road", "Ama Owusu", "25.50");
}

static void test_sell_flow(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvGuiSellScreen s;
    g_autoptr(KvSale) sale = NULL;
    guint32 meter_number;

    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    kv_gui_test_sell_screen(root, &s);

    /* The card goes in: read by itself. */
    insert_card(1);
    g_assert_true(kv_gui_test_wait_text(s.customer, "Ama Owusu", 30000));
    meter_number = (guint32)g_ascii_strtoull(kv_gui_test_text(s.meter), NULL, 10);
    g_assert_cmpuint(meter_number, ==, 100000017);
    g_test_message("sell button: sensitive %d, is_sensitive %d, amount [%s] refusal [%s] result [%s]",
                   gtk_widget_get_sensitive(s.sell), gtk_widget_is_sensitive(s.sell),
                   kv_gui_test_text(s.amount), kv_gui_test_text(s.refusal), kv_gui_test_text(s.result));
    g_assert_false(gtk_widget_get_sensitive(s.sell));

    /* Typing prices it: the breakdown and an enabled Sell button. */
    gtk_editable_set_text(GTK_EDITABLE(s.amount), "25,50");
    g_assert_true(kv_gui_test_wait(sensitive, s.sell, 20000));
    g_assert_true(gtk_widget_get_visible(s.breakdown));
    g_assert_nonnull(gtk_widget_get_first_child(s.breakdown));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "sell-quote");

    /* Enter in the amount field sells. */
    g_signal_emit_by_name(s.amount, "activate");
    g_assert_true(kv_gui_test_wait_text(s.result, "Sold", 60000));
    /* The result and its buttons are scrolled into view: on a small screen
     * they sit below the breakdown, out of sight. */
    g_assert_true(kv_gui_test_wait(in_view, gtk_widget_get_parent(s.result), 10000));
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
    g_assert_true(kv_gui_test_wait_text(s.refusal, "no sale", 30000));
    gtk_editable_set_text(GTK_EDITABLE(s.amount), "10");
    kv_gui_test_spin(800);
    g_assert_false(gtk_widget_get_sensitive(s.sell));
    kv_gui_test_screenshot(root, "sell-blocked-card");

    /* kWh mode on another customer's card. */
    insert_card(2);
    g_assert_true(kv_gui_test_wait_text(s.customer, "Yaw Mensah", 30000));
    gtk_widget_activate_action(s.amount, "sell.unit", "s", "kwh");
    gtk_editable_set_text(GTK_EDITABLE(s.amount), "12.5");
    g_assert_true(kv_gui_test_wait(sensitive, s.sell, 20000));
    gtk_widget_activate_action(s.sell, "sell.confirm", NULL);
    g_assert_true(kv_gui_test_wait_text(s.result, "Sold 12.50 kWh", 60000));
    g_clear_pointer(&sale, kv_sale_free);
    sale = last_sale(100000025);
    g_assert_nonnull(sale);
    g_assert_cmpint(sale->breakdown.energy, ==, 1250);

    /* More than the meter may hold (hoarding limit 400 kWh): refused before
     * confirming, with the core's reason, and Sell stays off. */
    gtk_widget_activate_action(s.amount, "sell.new-sale", NULL);
    /* Next customer reads the card again: the 12.50 kWh just sold are on it,
     * not yet in the meter, and the cashier is told. */
    g_assert_true(kv_gui_test_wait_text(s.warning, "12.50 kWh", 20000));
    /* The next customer starts in money: kWh is chosen again. */
    gtk_widget_activate_action(s.amount, "sell.unit", "s", "kwh");
    gtk_editable_set_text(GTK_EDITABLE(s.amount), "450");
    g_assert_true(kv_gui_test_wait_text(s.refusal, "would not load", 20000));
    g_test_message("%s", kv_gui_test_text(s.refusal));
    g_assert_false(gtk_widget_get_sensitive(s.sell));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "sell-hoarding-refused");

    gtk_window_destroy(GTK_WINDOW(window));
}

static gboolean focused(gpointer data)
{
    return kv_gui_test_has_focus(data);
}

/* The counter as a cashier drives it from the keyboard: the unit inside the
 * amount field and back to money for every customer, a Sell button naming
 * exactly what is typed and never a stale total, Tab straight to Sell, the
 * cash received and the change, Enter that sells, the focus on the next
 * action after each outcome, dates that cannot be misread, a refusal in the
 * cashier's words with the largest sale offered. */
static void test_counter_keyboard(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvGuiSellScreen s;
    g_autoptr(KvSale) sale = NULL;
    g_autoptr(GRegex) iso = g_regex_new("^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}$", 0, 0, NULL);
    const char *label;
    guint tabs;

    if (kv_session_get_signed_in(station->session))
        gtk_widget_activate_action(root, "win.sign-out", NULL);
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    kv_gui_test_sell_screen(root, &s);

    /* Legible: the destructive button is filled, not red-on-nothing flat. */
    g_assert_true(gtk_widget_has_css_class(s.cancel, "destructive-action"));
    g_assert_false(gtk_widget_has_css_class(s.cancel, "flat"));

    insert_card(1);
    g_assert_true(kv_gui_test_wait_text(s.customer, "Ama Owusu", 30000));
    g_assert_true(kv_gui_test_wait(focused, s.amount, 5000));
    /* The unit is inside the field; a new session starts in money. */
    g_assert_true(gtk_widget_is_visible(s.unit));
    g_assert_true(gtk_widget_is_ancestor(s.unit, gtk_widget_get_parent(s.amount)) ||
                  gtk_widget_get_parent(s.unit) == gtk_widget_get_parent(s.amount));
    g_assert_cmpstr(kv_gui_test_text(s.unit), ==, "GHS");
    /* An unambiguous date (never "12/02/26"). */
    g_test_message("readback time: %s", kv_gui_test_text(s.when));
    g_assert_true(g_regex_match(iso, kv_gui_test_text(s.when), 0, NULL) ||
                  g_strcmp0(kv_gui_test_text(s.when), "now") == 0);

    /* Ctrl+K switches to kWh, visibly in the field. */
    kv_gui_test_press_key(root, GDK_KEY_k, GDK_CONTROL_MASK);
    g_assert_cmpstr(kv_gui_test_text(s.unit), ==, "kWh");
    kv_gui_test_press_key(root, GDK_KEY_m, GDK_CONTROL_MASK);
    g_assert_cmpstr(kv_gui_test_text(s.unit), ==, "GHS");

    /* The Sell button names the sale; a new amount takes the old
     * breakdown and the Sell button away at once. */
    gtk_editable_set_text(GTK_EDITABLE(s.amount), "25,50");
    g_assert_true(kv_gui_test_wait(sensitive, s.sell, 20000));
    label = gtk_button_get_label(GTK_BUTTON(s.sell));
    g_test_message("sell button: %s", label);
    g_assert_nonnull(strstr(label, "kWh"));
    g_assert_nonnull(strstr(label, "25.50 GHS"));
    gtk_editable_set_text(GTK_EDITABLE(s.amount), "30");
    g_assert_false(gtk_widget_get_sensitive(s.sell));
    g_assert_false(gtk_widget_get_visible(s.breakdown));
    g_assert_null(strstr(gtk_button_get_label(GTK_BUTTON(s.sell)), "25.50"));
    g_assert_true(kv_gui_test_wait(sensitive, s.sell, 20000));
    g_assert_nonnull(strstr(gtk_button_get_label(GTK_BUTTON(s.sell)), "30.00 GHS"));

    /* Tab from the amount reaches the payment type, the cash field and
     * Sell, not every line of the breakdown. */
    gtk_widget_grab_focus(s.amount);
    for (tabs = 1; tabs <= 6; tabs++) {
        kv_gui_test_press_key(root, GDK_KEY_Tab, 0);
        if (kv_gui_test_has_focus(s.sell))
            break;
    }
    g_test_message("Tab presses from the s.amount to Sell: %u", tabs);
    g_assert_cmpuint(tabs, <=, 3);

    /* Cash received: not enough blocks the sale; enough gives the change. */
    gtk_editable_set_text(GTK_EDITABLE(s.cash), "20");
    g_assert_true(kv_gui_test_wait_text(s.change, "short", 5000));
    g_assert_false(gtk_widget_get_sensitive(s.sell));
    g_assert_true(gtk_widget_has_css_class(s.cash, "error"));
    gtk_editable_set_text(GTK_EDITABLE(s.cash), "50");
    g_assert_true(kv_gui_test_wait_text(s.change, "Change due: 20.00 GHS", 5000));
    g_assert_true(gtk_widget_get_sensitive(s.sell));

    /* Enter in the amount field sells; the focus goes to Next Customer. */
    gtk_widget_grab_focus(s.amount);
    kv_gui_test_press_key(root, GDK_KEY_Return, 0);
    g_assert_true(kv_gui_test_wait_text(s.result, "Sold", 60000));
    g_assert_nonnull(strstr(kv_gui_test_text(kv_gui_test_get_id(root, "result_detail")),
                            "Give 20.00 GHS change"));
    g_assert_true(kv_gui_test_wait(focused, s.next, 5000));
    sale = last_sale(100000017);
    g_assert_cmpint(sale->breakdown.amount, ==, 3000);

    /* Enter on Next Customer: the amount again, empty, in money. */
    gtk_widget_activate_action(s.amount, "sell.unit", "s", "kwh");
    kv_gui_test_press_key(root, GDK_KEY_Return, 0);
    g_assert_true(kv_gui_test_wait(focused, s.amount, 20000));
    g_assert_cmpstr(kv_gui_test_text(s.amount), ==, "");
    g_assert_cmpstr(kv_gui_test_text(s.cash), ==, "");

    /* kWh chosen for one customer never carries over to the next card. */
    gtk_widget_activate_action(s.amount, "sell.unit", "s", "kwh");
    g_assert_cmpstr(kv_gui_test_text(s.unit), ==, "kWh");
    insert_card(2);
    g_assert_true(kv_gui_test_wait_text(s.customer, "Yaw Mensah", 30000));
    g_assert_cmpstr(kv_gui_test_text(s.unit), ==, "GHS");

    /* More than the meter holds: the cashier's words (no "hoarding"),
     * the field in its error style, and the largest sale offered. */
    gtk_widget_activate_action(s.amount, "sell.unit", "s", "kwh");
    gtk_editable_set_text(GTK_EDITABLE(s.amount), "450");
    g_assert_true(kv_gui_test_wait_text(s.refusal, "at most", 20000));
    g_test_message("%s", kv_gui_test_text(s.refusal));
    g_assert_null(strstr(kv_gui_test_text(s.refusal), "hoarding"));
    g_assert_null(strstr(kv_gui_test_text(s.refusal), "core"));
    g_assert_true(g_unichar_isupper(g_utf8_get_char(kv_gui_test_text(s.refusal))));
    g_assert_true(gtk_widget_has_css_class(s.amount, "error"));
    g_assert_false(gtk_widget_get_sensitive(s.sell));
    g_assert_true(gtk_widget_get_child_visible(gtk_widget_get_parent(s.maximum)));
    g_assert_true(g_str_has_prefix(gtk_button_get_label(GTK_BUTTON(s.maximum)),
                                   "Sell the Maximum, "));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "sell-maximum-offered");
    gtk_widget_activate_action(s.maximum, "sell.sell-maximum", NULL);
    g_assert_true(kv_gui_test_wait(sensitive, s.sell, 20000));
    g_assert_false(gtk_widget_has_css_class(s.amount, "error"));
    g_assert_true(g_str_has_suffix(gtk_button_get_label(GTK_BUTTON(s.maximum)),
                                   kv_gui_test_text(s.amount) + 0) ||
                  strstr(gtk_button_get_label(GTK_BUTTON(s.maximum)),
                         kv_gui_test_text(s.amount)) != NULL);
    gtk_widget_activate_action(s.amount, "sell.clear", NULL);
    g_assert_true(kv_gui_test_wait(insensitive, s.sell, 5000));

    gtk_window_destroy(GTK_WINDOW(window));
}

/* The free allocation button is shown and enabled. */
static gboolean free_offered(gpointer data)
{
    GtkWidget *button = data;

    return gtk_widget_get_child_visible(button) && gtk_widget_is_sensitive(button) &&
           g_str_has_prefix(gtk_button_get_label(GTK_BUTTON(button)), "Free Allocation Only");
}

static gboolean free_withdrawn(gpointer data)
{
    return !gtk_widget_get_child_visible(data) || !gtk_widget_is_sensitive(data);
}

/* The value label of a breakdown row (its "numeric" suffix), or NULL. */
static GtkWidget *numeric_label(GtkWidget *w)
{
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
        GtkWidget *found;

        if (GTK_IS_LABEL(c) && gtk_widget_has_css_class(c, "numeric"))
            return c;
        if ((found = numeric_label(c)) != NULL)
            return found;
    }
    return NULL;
}

/* The breakdown's value for the line with this title, or NULL. */
static const char *breakdown_value(KvGuiSellScreen *s, const char *title)
{
    for (GtkWidget *row = gtk_widget_get_first_child(s->breakdown); row;
         row = gtk_widget_get_next_sibling(row)) {
        GtkWidget *value;

        if (!ADW_IS_PREFERENCES_ROW(row) ||
            g_strcmp0(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)), title) != 0)
            continue;
        value = numeric_label(row);
        return value != NULL ? gtk_label_get_label(GTK_LABEL(value)) : NULL;
    }
    return NULL;
}

static gboolean free_line_shown(gpointer data)
{
    return g_strcmp0(breakdown_value(data, "Free energy"), "20.00 kWh") == 0;
}

/* Free basic electricity at the counter: the customer's category grants
 * 20 kWh a month.  The card read offers the allocation alone; an amount
 * typed is priced with the free energy on its own line of the breakdown;
 * "Free Allocation Only" writes it with nothing to pay; then it is no
 * longer offered, and the next sale's breakdown has no free line. */
static void test_free_allocation(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvGuiSellScreen s;
    GtkWidget *free_button;
    g_autoptr(KvSale) sale = NULL;

    {
        g_autoptr(KvStation) st = kv_gui_test_station_open_ledger(station);
        g_autoptr(GError) error = NULL;
        g_autoptr(KvMeter) m = kv_meter_get(st, 100000017, &error);
        KvCategory c = {"lifeline", "Lifeline", "DEFAULT", 2000};

        g_assert_no_error(error);
        g_assert_true(kv_category_set(st, &c, &error));
        g_assert_true(kv_customer_set_category(st, m->customer_id, "lifeline", &error));
        g_assert_no_error(error);
    }
    if (kv_session_get_signed_in(station->session))
        gtk_widget_activate_action(root, "win.sign-out", NULL);
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    kv_gui_test_sell_screen(root, &s);
    free_button = kv_gui_test_get_id(root, "free_button");

    insert_card(1);
    g_assert_true(kv_gui_test_wait_text(s.customer, "Ama Owusu", 30000));
    g_assert_true(kv_gui_test_wait(free_offered, free_button, 20000));
    g_assert_cmpstr(gtk_button_get_label(GTK_BUTTON(free_button)), ==,
                    "Free Allocation Only, 20.00 kWh");

    /* An amount typed: the free energy on its own line, apart from the
     * energy bought and the money. */
    gtk_editable_set_text(GTK_EDITABLE(s.amount), "10");
    g_assert_true(kv_gui_test_wait(sensitive, s.sell, 20000));
    g_test_message("breakdown: energy [%s] free [%s] sell [%s]", breakdown_value(&s, "Energy"),
                   breakdown_value(&s, "Free energy"), gtk_button_get_label(GTK_BUTTON(s.sell)));
    g_assert_true(kv_gui_test_wait(free_line_shown, &s, 5000));
    g_assert_nonnull(breakdown_value(&s, "Energy"));
    g_assert_cmpstr(breakdown_value(&s, "Total to pay"), ==, "10.00 GHS");
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "sell-free-energy");

    /* The customer buys nothing: the allocation alone. */
    gtk_widget_activate_action(s.amount, "sell.clear", NULL);
    gtk_widget_activate_action(free_button, "sell.free-only", NULL);
    g_assert_true(kv_gui_test_wait_text(s.result, "Free Allocation 20.00 kWh", 60000));
    g_assert_true(kv_gui_test_wait_text(s.detail, "nothing to pay", 5000));
    g_assert_true(free_withdrawn(free_button));
    sale = last_sale(100000017);
    g_assert_nonnull(sale);
    g_assert_cmpint(sale->state, ==, KV_SALE_COMPLETED);
    g_assert_cmpint(sale->breakdown.amount, ==, 0);
    g_assert_cmpint(sale->breakdown.free_energy, ==, 2000);

    /* Next customer, same card: granted this month, no longer offered. */
    gtk_widget_activate_action(s.amount, "sell.new-sale", NULL);
    gtk_editable_set_text(GTK_EDITABLE(s.amount), "10");
    g_assert_true(kv_gui_test_wait(sensitive, s.sell, 20000));
    g_assert_null(breakdown_value(&s, "Free energy"));
    g_assert_true(free_withdrawn(free_button));

    gtk_window_destroy(GTK_WINDOW(window));
}

KV_GUI_TEST_MAIN(station,
                 {"/sell/flow", test_sell_flow},
                 {"/sell/counter-keyboard", test_counter_keyboard},
                 /* free basic electricity: offered, on its own line, written alone */
                 {"/sell/free-allocation", test_free_allocation})
