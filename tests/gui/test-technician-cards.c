/* test-technician-cards.c - the Technician screen at a reader (a private
 * pcscd with the virtual card, run-in-pcsc-env.sh; a blank card in the
 * reader): a check card is written for a meter on the blank card; a
 * customer card the meter wrote on is read: its meter, the meter's last
 * result and its events by name; the check card read back says the meter
 * has not written on it yet; the Sell screen shows the customer's debt. */
#include "config.h"

#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"

static KvGuiStation *station;

/* The value of the report's row with this title, or NULL. */
static const char *find_fact(GtkWidget *root, const char *title)
{
    GtkWidget *list = kv_gui_test_get_id(root, "report_list");

    for (GtkWidget *row = gtk_widget_get_first_child(list); row;
         row = gtk_widget_get_next_sibling(row)) {
        if (ADW_IS_PREFERENCES_ROW(row) &&
            g_strcmp0(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)), title) == 0)
            return gtk_label_get_label(GTK_LABEL(kv_gui_test_find_class(row, "numeric")));
    }
    return NULL;
}

static const char *fact(GtkWidget *root, const char *title)
{
    const char *value = find_fact(root, title);

    g_assert_nonnull(value);
    return value;
}

static gboolean report_for_meter(gpointer data)
{
    GtkWidget *list = kv_gui_test_get_id(data, "report_list");

    return gtk_widget_get_visible(list) && find_fact(data, "Card type") != NULL;
}

static void read_card(GtkWidget *root)
{
    GtkWidget *list = kv_gui_test_get_id(root, "report_list");

    gtk_widget_set_visible(list, FALSE);
    g_assert_true(gtk_widget_activate_action(list, "tech.read-card", NULL));
    g_assert_true(kv_gui_test_wait(report_for_meter, root, 60000));
}

static void test_technician_cards(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *result = kv_gui_test_get_id(root, "result_label");
    g_autofree char *blank = kv_demo_card_path(station->dir, 5);
    g_autofree char *yaw = kv_demo_card_path(station->dir, 2);
    g_autofree char *meter = NULL;

    kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    gtk_widget_activate_action(root, "win.page", "s", "technician");
    g_assert_cmpstr(kv_window_get_visible_page(window), ==, "technician");

    /* A check card for Yaw's meter on the blank card in the reader. */
    gtk_editable_set_text(
        GTK_EDITABLE(kv_gui_test_get(root, "Meter number of the engineering card")),
        "100000025");
    adw_combo_row_set_selected(ADW_COMBO_ROW(kv_gui_test_get_id(root, "type_row")), 0);
    g_assert_true(gtk_widget_activate_action(result, "tech.write-card", NULL));
    g_assert_true(kv_gui_test_wait_text(result, "Check card", 60000));
    g_assert_nonnull(strstr(kv_gui_test_text(result), "written for meter 100000025"));

    /* Read back: a card the meter never had. */
    read_card(root);
    g_assert_cmpstr(fact(root, "Meter"), ==, "100000025");
    g_assert_cmpstr(fact(root, "Card type"), ==, "Check card");
    g_assert_cmpstr(fact(root, "Meter’s last result"), ==,
                    "The meter has not written on this card yet");

    /* Yaw's card came back from his meter (the demo's meter firmware): the
     * result and the events by name. */
    kv_gui_test_insert_card(station->session, yaw);
    read_card(root);
    meter = g_strdup(fact(root, "Meter"));
    g_assert_cmpstr(meter, ==, "100000025");
    g_assert_cmpstr(fact(root, "Card type"), ==, "Customer card");
    g_assert_cmpstr(fact(root, "Meter’s last result"), ==, "Accepted");
    g_assert_nonnull(strstr(fact(root, "Events, newest first"), "load"));
    g_assert_null(strstr(fact(root, "Events, newest first"), "0x"));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, g_getenv("KV_SCREENSHOT_DARK") ? "technician-dark"
                                                                 : "technician-light");
    gtk_window_destroy(GTK_WINDOW(window));
    kv_gui_test_insert_card(station->session, blank);
}

/* The counter shows what the customer owes, from the card alone. */
static void test_counter_debt(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    g_autofree char *esi = kv_demo_card_path(station->dir, 4);
    g_autofree char *yaw = kv_demo_card_path(station->dir, 2);
    GtkWidget *debt = kv_gui_test_get_id(root, "debt_label");
    GtkWidget *customer = kv_gui_test_get_id(root, "customer_label");

    if (!kv_session_get_signed_in(station->session))
        kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    gtk_widget_activate_action(root, "win.page", "s", "sell");
    kv_gui_test_insert_card(station->session, esi);
    g_assert_true(kv_gui_test_wait_text(customer, "Esi Addo", 60000));
    g_assert_true(kv_gui_test_wait_text(debt, "500.00", 10000));
    kv_gui_test_insert_card(station->session, yaw);
    g_assert_true(kv_gui_test_wait_text(customer, "Yaw Mensah", 60000));
    g_assert_cmpstr(kv_gui_test_text(debt), ==, "None");
    gtk_window_destroy(GTK_WINDOW(window));
}

/* A real anomaly: a sale cancelled at the counter, the card's copy from
 * before the cancel put back (a restored dump) and loaded by the meter (the
 * firmware's host build): the meter has loaded more than was sold.  The
 * card read at the Technician screen shows the banner, naming the meter;
 * the ledger holds the anomaly. */
static gboolean revealed(gpointer widget)
{
    return gtk_revealer_get_child_revealed(GTK_REVEALER(gtk_widget_get_parent(widget)));
}

static void test_technician_anomaly(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    g_autofree char *yaw = kv_demo_card_path(station->dir, 2);
    g_autofree char *blank = kv_demo_card_path(station->dir, 5);
    g_autofree char *dump = NULL, *named = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) ledger = NULL;
    g_autoptr(GPtrArray) anomalies = NULL;
    GtkWidget *banner = kv_gui_test_get_id(root, "anomaly_banner");
    GtkWidget *title = kv_gui_test_get_id(root, "result_title");
    AdwMessageDialog *ask;
    gboolean loaded_above_sold = FALSE;
    gsize dump_len = 0;
    guint32 meter;

    if (!kv_session_get_signed_in(station->session))
        kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    meter = kv_gui_test_sell_on_card(window, yaw, "Yaw Mensah", "10");
    /* The card with the credit, copied; then the sale cancelled on it. */
    g_assert_true(g_file_get_contents(yaw, &dump, &dump_len, &error));
    g_assert_true(gtk_widget_activate_action(title, "sell.cancel-sale", NULL));
    ask = kv_gui_test_wait_dialog("Cancel This Sale?");
    gtk_editable_set_text(GTK_EDITABLE(adw_message_dialog_get_extra_child(ask)),
                          "the customer changed their mind");
    kv_gui_test_respond(ask, "cancel-sale");
    g_assert_true(kv_gui_test_wait_text(title, "Sale Cancelled", 60000));

    /* Out of the reader, the copy put back, into the meter: it loads the
     * cancelled credit. */
    kv_gui_test_insert_card(station->session, blank);
    g_assert_true(g_file_set_contents(yaw, dump, (gssize)dump_len, &error));
    if (!kv_demo_meter_insert(station->dir, meter, yaw, &error)) {
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
        g_test_skip(error->message);
        gtk_window_destroy(GTK_WINDOW(window));
        return;
    }

    /* Back at the office, read at the Technician screen. */
    gtk_widget_activate_action(root, "win.page", "s", "technician");
    kv_gui_test_insert_card(station->session, yaw);
    read_card(root);
    g_assert_true(kv_gui_test_wait(revealed, banner, 10000));
    g_test_message("%s", kv_gui_test_text(banner));
    named = g_strdup_printf("meter %09u", meter);
    g_assert_nonnull(strstr(kv_gui_test_text(banner), named));
    g_assert_nonnull(strstr(kv_gui_test_text(banner), "loaded"));
    g_assert_nonnull(strstr(kv_gui_test_text(banner), "more than this station sold"));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "technician-anomaly");

    /* The ledger: the meter's anomaly, loaded above sold. */
    ledger = kv_gui_test_station_open_ledger(station);
    anomalies = kv_anomaly_list(ledger, TRUE, meter, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < anomalies->len; i++) {
        KvAnomaly *a = g_ptr_array_index(anomalies, i);
        loaded_above_sold |= g_strcmp0(a->kind, "loaded-above-sold") == 0;
    }
    g_assert_true(loaded_above_sold);

    kv_gui_test_insert_card(station->session, blank);
    gtk_window_destroy(GTK_WINDOW(window));
}

KV_GUI_TEST_MAIN(station,
                 {"/technician/cards", test_technician_cards},
                 {"/counter/debt", test_counter_debt},
                 {"/technician/anomaly", test_technician_anomaly})
