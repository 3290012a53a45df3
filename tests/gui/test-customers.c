/* test-customers.c - the Customers screen on the demo station: search as
 * you type, a customer with their meter and history, edit and save
 * (checked in the ledger), a new customer, and one refused. */
#include "config.h"

#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"

static KvGuiStation *station;

static gboolean has_rows(gpointer data)
{
    return gtk_widget_get_first_child(data) != NULL;
}

static gboolean label_not_empty(gpointer data)
{
    return *gtk_label_get_label(GTK_LABEL(data)) != '\0';
}

static KvCustomer *ledger_customer(const char *account)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) st = kv_station_open(station->db, station->keys, &error);
    KvCustomer *c;

    g_assert_no_error(error);
    g_assert_true(kv_station_login(st, KV_DEMO_ADMIN, KV_DEMO_ADMIN_PASSWORD, &error));
    c = kv_customer_get_by_account(st, account, &error);
    return c;
}

typedef struct {
    GtkWidget *widget;
    const char *account;
    const char *phone;
} PhoneWait;

static gboolean phone_saved(gpointer data)
{
    PhoneWait *w = data;
    g_autoptr(KvCustomer) c = ledger_customer(w->account);

    return c != NULL && g_strcmp0(c->phone, w->phone) == 0;
}

static void test_customers_flow(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *search, *results, *history, *meters, *error, *name, *phone, *account;
    PhoneWait pw = {NULL, "ACC-1002", "+233 24 000 1111"};
    g_autoptr(KvCustomer) created = NULL;

    kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    gtk_widget_activate_action(root, "win.find-customer", NULL);
    g_assert_cmpstr(kv_window_get_visible_page(window), ==, "customers");
    search = kv_gui_test_get(root, "Search customers");
    results = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Customers found");
    history = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "History of sales and readbacks");
    meters = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Meters of the customer");
    error = kv_gui_test_get(root, "Customer error");
    name = kv_gui_test_find_typed(root, ADW_TYPE_ENTRY_ROW, "Name");
    phone = kv_gui_test_find_typed(root, ADW_TYPE_ENTRY_ROW, "Phone");
    account = kv_gui_test_find_typed(root, ADW_TYPE_ENTRY_ROW, "Account number");
    g_assert_nonnull(name);
    g_assert_nonnull(phone);
    g_assert_nonnull(account);

    /* By meter number: Yaw's meter, with the demo's earlier sale. */
    gtk_editable_set_text(GTK_EDITABLE(search), "10000002");
    g_assert_true(kv_gui_test_wait(has_rows, results, 10000));
    g_signal_emit_by_name(search, "activate");
    g_assert_true(kv_gui_test_wait_text(name, "Yaw Mensah", 10000));
    g_assert_true(has_rows(meters));
    g_assert_true(has_rows(history));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "customers-detail");

    /* Edit and save: the ledger has the new phone number. */
    gtk_editable_set_text(GTK_EDITABLE(phone), pw.phone);
    gtk_widget_activate_action(phone, "customers.save", NULL);
    g_assert_true(kv_gui_test_wait(phone_saved, &pw, 10000));

    /* By name, part of it, any case. */
    gtk_editable_set_text(GTK_EDITABLE(search), "owus");
    kv_gui_test_spin(600);
    g_assert_true(kv_gui_test_wait(has_rows, results, 10000));

    /* A new customer without an account number is refused, with the reason. */
    gtk_widget_activate_action(root, "customers.new", NULL);
    gtk_widget_activate_action(search, "customers.new", NULL);
    gtk_editable_set_text(GTK_EDITABLE(name), "Abena Osei");
    gtk_widget_activate_action(name, "customers.save", NULL);
    g_assert_true(kv_gui_test_wait(label_not_empty, error, 5000));
    g_assert_nonnull(strstr(kv_gui_test_text(error), "account"));

    /* With one, it is created. */
    gtk_editable_set_text(GTK_EDITABLE(account), "ACC-2001");
    gtk_widget_activate_action(name, "customers.save", NULL);
    kv_gui_test_spin(1500);
    created = ledger_customer("ACC-2001");
    g_assert_nonnull(created);
    g_assert_cmpstr(created->name, ==, "Abena Osei");
    gtk_window_destroy(GTK_WINDOW(window));
}

int main(int argc, char *argv[])
{
    int status;

    kv_gui_test_init(&argc, &argv);
    station = kv_gui_test_station_new();
    g_test_add_func("/customers/flow", test_customers_flow);
    status = g_test_run();
    kv_gui_test_station_free(station);
    return status;
}
