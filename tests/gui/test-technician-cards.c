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

static gboolean is_numeric_label(GtkWidget *w, gconstpointer data)
{
    return GTK_IS_LABEL(w) && gtk_widget_has_css_class(w, "numeric");
}

#define find_numeric(w) kv_gui_test_find_widget(w, is_numeric_label, NULL)

/* The value of the report's row with this title, or NULL. */
static const char *find_fact(GtkWidget *root, const char *title)
{
    GtkWidget *list = kv_gui_test_get_id(root, "report_list");

    for (GtkWidget *row = gtk_widget_get_first_child(list); row;
         row = gtk_widget_get_next_sibling(row)) {
        if (ADW_IS_PREFERENCES_ROW(row) &&
            g_strcmp0(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)), title) == 0)
            return gtk_label_get_label(GTK_LABEL(find_numeric(row)));
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

KV_GUI_TEST_MAIN(station,
                 {"/technician/cards", test_technician_cards},
                 {"/counter/debt", test_counter_debt})
