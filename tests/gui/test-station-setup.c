/* test-station-setup.c - Administration's CSV import and station settings,
 * in-process: customers and meters imported from CSV files (the lines
 * refused listed with the reason, the others in the ledger); the settings
 * are an admin's (shown disabled with the reason to a supervisor) and an
 * admin's change reaches the ledger. */
#include "config.h"

#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"
#include "kv-import-group.h"

static KvGuiStation *station;

static GtkWidget *import_group(GtkWidget *root)
{
    GtkWidget *w = kv_gui_test_find_type(root, KV_TYPE_IMPORT_GROUP);

    g_assert_nonnull(w);
    return w;
}

static void test_import_and_settings(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *save = kv_gui_test_find_typed(root, GTK_TYPE_BUTTON, "Save station settings");
    GtkWidget *import = kv_gui_test_find_typed(root, GTK_TYPE_BUTTON, "Import a CSV file");
    g_autofree char *customers = g_build_filename(station->dir, "customers.csv", NULL);
    g_autofree char *meters = g_build_filename(station->dir, "meters.csv", NULL);
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvCustomer) kofi = NULL;
    g_autoptr(KvMeter) meter = NULL;

    g_assert_nonnull(save);
    g_assert_nonnull(import);
    g_assert_true(g_file_set_contents(customers,
                                      "account,name,address,phone\n"
                                      "ACC-2001,Kojo Boateng,3 Lake Road,+233 20 000 0001\n"
                                      "ACC-1001,Ama Again,somewhere,\n"
                                      "ACC-2002,Efua Mensah,9 Hill Street,\n",
                                      -1, NULL));
    g_assert_true(g_file_set_contents(meters,
                                      "number,account,hoarding,alarm,pretrip,address\n"
                                      "222222226,ACC-2001,400,10,5,3 Lake Road\n"
                                      "222222227,ACC-2001,400,10,5,bad check digit\n",
                                      -1, NULL));

    /* A supervisor imports; the settings are shown disabled with the reason. */
    kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    gtk_widget_activate_action(root, "win.page", "s", "admin");
    g_assert_false(gtk_widget_get_sensitive(save));
    g_assert_true(gtk_widget_get_visible(
        kv_gui_test_find_label_with(root, "Only an admin changes the station’s settings")));
    g_assert_true(gtk_widget_get_sensitive(import));

    kv_import_group_import(KV_IMPORT_GROUP(import_group(root)), FALSE, customers);
    g_assert_true(kv_gui_test_wait_label_with(root, "2 of 3 lines imported", 20000));
    g_assert_nonnull(kv_gui_test_find_label_with(import_group(root), "already"));
    kv_import_group_import(KV_IMPORT_GROUP(import_group(root)), TRUE, meters);
    g_assert_true(kv_gui_test_wait_label_with(root, "1 of 2 lines imported", 20000));
    g_assert_nonnull(kv_gui_test_find_label_with(import_group(root), "check digit"));

    st = kv_gui_test_station_open_ledger(station);
    kofi = kv_customer_get_by_account(st, "ACC-2001", NULL);
    g_assert_nonnull(kofi);
    g_assert_cmpstr(kofi->name, ==, "Kojo Boateng");
    meter = kv_meter_get(st, 222222226, NULL);
    g_assert_nonnull(meter);
    g_assert_cmpint(meter->customer_id, ==, kofi->id);
    gtk_widget_activate_action(root, "win.sign-out", NULL);

    /* An admin changes the utility's name and the largest sale. */
    kv_gui_test_sign_in(window, KV_DEMO_ADMIN, KV_DEMO_ADMIN_PASSWORD);
    gtk_widget_activate_action(root, "win.page", "s", "admin");
    g_assert_true(gtk_widget_get_sensitive(save));
    g_assert_true(kv_gui_test_wait_text(kv_gui_test_get(root, "Largest sale (kWh)"), ".", 10000));
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Utility name")), "Volta Power");
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Largest sale (kWh)")), "750,5");
    gtk_widget_activate_action(save, "settings.save", NULL);
    g_assert_true(kv_gui_test_wait_label_with(root, "Settings saved", 20000));
    g_clear_pointer(&st, kv_station_free);
    st = kv_gui_test_station_open_ledger(station);
    g_assert_cmpstr(kv_station_settings(st)->utility_name, ==, "Volta Power");
    g_assert_cmpint(kv_station_settings(st)->max_sale_energy, ==, 75050);

    gtk_window_destroy(GTK_WINDOW(window));
}

KV_GUI_TEST_MAIN(station,
                 {"/station-setup/import-and-settings", test_import_and_settings})
