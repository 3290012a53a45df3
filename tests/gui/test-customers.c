/* test-customers.c - the Customers screen on the demo station: search as
 * you type (by name and by meter number), a customer with their meters and
 * history, edit and save (checked in the ledger), a new customer, and one
 * refused; meters added and edited through the meter dialog (a wrong check
 * digit, a number already registered and an unknown tariff refused with the
 * reason shown; Enter saves, Escape cancels); a meter's readbacks, imported
 * from the customer's card by the core, shown in its history. */
#include "config.h"

#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"
#include "kv-meter-dialog.h"

static KvGuiStation *station;
static KvWindow *window; /* signed in as the supervisor, shared by the tests */

static gboolean has_rows(gpointer data)
{
    return gtk_widget_get_first_child(data) != NULL;
}

static gboolean label_not_empty(gpointer data)
{
    return *gtk_label_get_label(GTK_LABEL(data)) != '\0';
}

static gboolean label_empty(gpointer data)
{
    return *gtk_label_get_label(GTK_LABEL(data)) == '\0';
}

/* The ledger, through the core, as another program on the station would
 * see it. */
static KvStation *ledger_open(void)
{
    return kv_gui_test_station_open_ledger(station);
}

static KvCustomer *ledger_customer(const char *account)
{
    g_autoptr(KvStation) st = ledger_open();

    return kv_customer_get_by_account(st, account, NULL);
}

static KvMeter *ledger_meter(guint32 number)
{
    g_autoptr(KvStation) st = ledger_open();

    return kv_meter_get(st, number, NULL);
}

static GtkWidget *page_root(void)
{
    if (window == NULL) {
        window = kv_gui_test_window_new(station);
        g_object_add_weak_pointer(G_OBJECT(window), (gpointer *)&window);
        kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    }
    gtk_widget_activate_action(GTK_WIDGET(window), "win.find-customer", NULL);
    g_assert_cmpstr(kv_window_get_visible_page(window), ==, "customers");
    return GTK_WIDGET(window);
}

static GtkWidget *entry_row(GtkWidget *root, const char *label)
{
    GtkWidget *row = kv_gui_test_find_typed(root, ADW_TYPE_ENTRY_ROW, label);

    g_assert_nonnull(row);
    return row;
}

/* The title or subtitle of some row of a list contains needle. */
static gboolean list_mentions(GtkWidget *list, const char *needle)
{
    for (GtkWidget *row = gtk_widget_get_first_child(list); row != NULL;
         row = gtk_widget_get_next_sibling(row)) {
        if (!ADW_IS_PREFERENCES_ROW(row))
            continue;
        if (strstr(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)), needle) != NULL)
            return TRUE;
        if (ADW_IS_ACTION_ROW(row) && adw_action_row_get_subtitle(ADW_ACTION_ROW(row)) != NULL &&
            strstr(adw_action_row_get_subtitle(ADW_ACTION_ROW(row)), needle) != NULL)
            return TRUE;
    }
    return FALSE;
}

static gboolean wait_list_mentions(GtkWidget *list, const char *needle)
{
    return kv_gui_test_wait_for(list_mentions, list, needle, 10000);
}

static KvMeterDialog *find_dialog(void)
{
    return (KvMeterDialog *)kv_gui_test_find_window(KV_TYPE_METER_DIALOG);
}

static gboolean dialog_open(gpointer data)
{
    return find_dialog() != NULL;
}

static gboolean dialog_closed(gpointer data)
{
    return find_dialog() == NULL;
}

static GtkWidget *open_dialog(GtkWidget *root, const char *action, GVariant *target)
{
    g_assert_true(gtk_widget_activate_action_variant(
        kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Meters of the customer"), action,
        target));
    g_assert_true(kv_gui_test_wait(dialog_open, NULL, 5000));
    gtk_test_widget_wait_for_draw(GTK_WIDGET(find_dialog()));
    return GTK_WIDGET(find_dialog());
}

#define find_text(widget) kv_gui_test_find_type(widget, GTK_TYPE_TEXT)

/* Enter in a field, as the keyboard gives it: the field's text widget is
 * activated, and the dialog's default button takes it. */
static void press_enter_in(GtkWidget *row)
{
    GtkWidget *text = find_text(row);

    g_assert_nonnull(text);
    g_signal_emit_by_name(text, "activate");
}

/* Escape, through the dialog's own key binding. */
static void press_escape_in(GtkWidget *dialog)
{
    g_autoptr(GListModel) controllers = gtk_widget_observe_controllers(dialog);
    gboolean done = FALSE;

    for (guint i = 0; i < g_list_model_get_n_items(controllers) && !done; i++) {
        g_autoptr(GObject) c = g_list_model_get_item(controllers, i);

        if (!GTK_IS_SHORTCUT_CONTROLLER(c))
            continue;
        for (guint j = 0; j < g_list_model_get_n_items(G_LIST_MODEL(c)) && !done; j++) {
            g_autoptr(GtkShortcut) sc = g_list_model_get_item(G_LIST_MODEL(c), j);
            GtkShortcutTrigger *t = gtk_shortcut_get_trigger(sc);

            if (GTK_IS_KEYVAL_TRIGGER(t) &&
                gtk_keyval_trigger_get_keyval(GTK_KEYVAL_TRIGGER(t)) == GDK_KEY_Escape &&
                gtk_keyval_trigger_get_modifiers(GTK_KEYVAL_TRIGGER(t)) == 0)
                done = gtk_shortcut_action_activate(gtk_shortcut_get_action(sc),
                                                    GTK_SHORTCUT_ACTION_EXCLUSIVE, dialog,
                                                    gtk_shortcut_get_arguments(sc));
        }
    }
    g_assert_true(done);
}

static void test_customers_flow(void)
{
    GtkWidget *root = page_root();
    GtkWidget *search, *results, *sales, *readings, *meters, *error, *name, *phone, *account;
    g_autoptr(KvCustomer) created = NULL;
    g_autoptr(KvCustomer) yaw = NULL;
    const char *new_phone = "+233 24 000 1111";

    search = kv_gui_test_get(root, "Search customers");
    results = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Customers found");
    sales = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Sales of the meter");
    readings = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Readbacks of the meter");
    meters = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Meters of the customer");
    error = kv_gui_test_get(root, "Customer error");
    name = entry_row(root, "Name");
    phone = entry_row(root, "Phone");
    account = entry_row(root, "Account number");

    /* By meter number: Yaw's meter, its card, and the demo's earlier sale. */
    kv_gui_test_open_customer(root, "10000002", "Yaw Mensah");
    g_assert_true(list_mentions(meters, "Meter 100000025"));
    g_assert_true(list_mentions(meters, "4 Market Street, Kumasi"));
    g_assert_true(list_mentions(meters, "tariff DEFAULT"));
    g_assert_true(list_mentions(meters, "card No. "));
    g_assert_true(list_mentions(sales, "Receipt 1"));
    g_assert_true(list_mentions(sales, "completed"));
    /* The amounts carry their currency. */
    g_assert_true(list_mentions(sales, "GHS · "));
    g_assert_true(has_rows(readings));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "customers-detail");

    /* Edit and save: the ledger has the new phone number. */
    gtk_editable_set_text(GTK_EDITABLE(phone), new_phone);
    gtk_widget_activate_action(phone, "customers.save", NULL);
    kv_gui_test_spin(1500);
    yaw = ledger_customer("ACC-1002");
    g_assert_nonnull(yaw);
    g_assert_cmpstr(yaw->phone, ==, new_phone);

    /* By name, part of it, any case. */
    gtk_editable_set_text(GTK_EDITABLE(search), "owus");
    g_assert_true(wait_list_mentions(results, "Ama Owusu"));

    /* A new customer without an account number is refused, with the reason;
     * no meter can be added before the customer is saved. */
    gtk_widget_activate_action(search, "customers.new", NULL);
    g_assert_false(gtk_widget_is_sensitive(kv_gui_test_find_typed(root, GTK_TYPE_BUTTON,
                                                                   "Add meter")));
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
}

/* Kwame's second meter, through the dialog: a wrong check digit, a number
 * already registered and a tariff nobody defined are refused with the
 * reason; then it is added with Enter, and the ledger has it. */
static void test_add_meter(void)
{
    GtkWidget *root = page_root();
    GtkWidget *meters = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Meters of the customer");
    GtkWidget *dialog, *number, *check, *tariff, *tariff_check, *error;
    g_autoptr(KvMeter) refused = NULL;
    g_autoptr(KvMeter) added = NULL;
    g_autoptr(KvCustomer) kwame = ledger_customer("ACC-1004");

    kv_gui_test_open_customer(root, "Kwame", "Kwame Asante");
    g_assert_false(list_mentions(meters, "200000016"));
    dialog = open_dialog(root, "customers.add-meter", NULL);
    number = entry_row(dialog, "Meter number");
    check = kv_gui_test_get_id(dialog, "number_label");
    tariff = entry_row(dialog, "Tariff code");
    tariff_check = kv_gui_test_get_id(dialog, "tariff_label");
    error = kv_gui_test_get_id(dialog, "error_label");
    g_assert_cmpstr(kv_gui_test_text(tariff), ==, "DEFAULT");
    gtk_editable_set_text(GTK_EDITABLE(entry_row(dialog, "Meter location")), "Pump house");
    gtk_editable_set_text(GTK_EDITABLE(entry_row(dialog, "Low-credit alarm level")), "10");
    gtk_editable_set_text(GTK_EDITABLE(entry_row(dialog, "Pre-trip level")), "3");
    gtk_editable_set_text(GTK_EDITABLE(entry_row(dialog, "Hoarding limit")), "400");

    /* As it is typed: incomplete, then a wrong check digit (...16 is
     * right), shown at once; Enter does not add it. */
    gtk_editable_set_text(GTK_EDITABLE(number), "2000");
    g_assert_nonnull(strstr(kv_gui_test_text(check), "4 of 9 digits"));
    gtk_editable_set_text(GTK_EDITABLE(number), "200000013");
    g_assert_nonnull(strstr(kv_gui_test_text(check), "Wrong check digit"));
    g_assert_true(gtk_widget_has_css_class(number, "error"));
    g_assert_true(gtk_widget_get_mapped(check));
    gtk_test_widget_wait_for_draw(dialog);
    kv_gui_test_screenshot(dialog, "meter-dialog-check-digit");
    press_enter_in(number);
    kv_gui_test_spin(500);
    g_assert_nonnull(find_dialog());
    g_assert_nonnull(strstr(kv_gui_test_text(error), "Wrong check digit"));
    refused = ledger_meter(200000013);
    g_assert_null(refused);

    /* Yaw's meter number: already registered, said as it is typed, and the
     * core refuses it if saved all the same. */
    gtk_editable_set_text(GTK_EDITABLE(number), "1000 0002-5");
    g_assert_true(kv_gui_test_wait_text(check, "already registered", 5000));
    g_assert_nonnull(strstr(kv_gui_test_text(check), "Yaw Mensah"));
    press_enter_in(number);
    g_assert_true(kv_gui_test_wait_text(error, "already registered", 5000));
    g_assert_nonnull(find_dialog());

    /* A tariff code with no tariff in force. */
    gtk_editable_set_text(GTK_EDITABLE(number), "200000016");
    g_assert_true(kv_gui_test_wait_text(check, "not registered yet", 5000));
    gtk_editable_set_text(GTK_EDITABLE(tariff), "NOPE");
    g_assert_true(kv_gui_test_wait_text(tariff_check, "No tariff “NOPE”", 5000));
    /* The codes that are in force are offered. */
    g_assert_nonnull(strstr(kv_gui_test_text(tariff_check), "Tariffs in force: DEFAULT"));
    press_enter_in(tariff);
    g_assert_true(kv_gui_test_wait_text(error, "Tariffs in force: DEFAULT", 5000));
    g_assert_nonnull(find_dialog());

    /* Right: Enter in the last field adds it and closes the dialog. */
    gtk_editable_set_text(GTK_EDITABLE(tariff), "DEFAULT");
    g_assert_true(kv_gui_test_wait(label_empty, tariff_check, 5000));
    press_enter_in(entry_row(dialog, "Hoarding limit"));
    g_assert_true(kv_gui_test_wait(dialog_closed, NULL, 10000));
    added = ledger_meter(200000016);
    g_assert_nonnull(added);
    g_assert_nonnull(kwame);
    g_assert_cmpint(added->customer_id, ==, kwame->id);
    g_assert_cmpstr(added->address, ==, "Pump house");
    g_assert_cmpstr(added->tariff_code, ==, "DEFAULT");
    g_assert_cmpstr(added->status, ==, "active");
    g_assert_cmpuint(added->phases, ==, 3);
    g_assert_cmpuint(added->alarm_level, ==, 1000);
    g_assert_cmpuint(added->pretrip_level, ==, 300);
    g_assert_cmpuint(added->hoarding_limit, ==, 40000);

    /* The page lists it, with no card yet, and shows its (empty) history. */
    g_assert_true(wait_list_mentions(meters, "Meter 200000016"));
    g_assert_true(list_mentions(meters, "no card issued"));
    g_assert_true(list_mentions(kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX,
                                                        "Readbacks of the meter"),
                                "No readback yet"));
}

/* Ama's meter moves to another tariff: the dialog comes prefilled, the
 * number cannot change, Enter saves; Escape leaves without saving. */
static void test_edit_meter(void)
{
    GtkWidget *root = page_root();
    GtkWidget *meters = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Meters of the customer");
    GtkWidget *dialog, *number, *tariff, *address;
    g_autoptr(KvMeter) before = ledger_meter(100000017);
    g_autoptr(KvMeter) after = NULL;
    g_autoptr(KvMeter) unchanged = NULL;
    KvTariff social = {.code = "SOCIAL", .n_blocks = 1, .blocks = {{0, 600000}}};

    {
        g_autoptr(KvStation) st = ledger_open();
        g_autoptr(GError) e = NULL;

        g_assert_cmpint(kv_tariff_add(st, &social, "Lifeline", &e), >, 0);
        g_assert_no_error(e);
    }
    g_assert_nonnull(before);
    g_assert_cmpstr(before->tariff_code, ==, "DEFAULT");
    kv_gui_test_open_customer(root, "ACC-1001", "Ama Owusu");
    g_assert_nonnull(kv_gui_test_find_typed(meters, GTK_TYPE_BUTTON, "Edit meter 100000017"));
    dialog = open_dialog(root, "customers.edit-meter", g_variant_new_uint32(100000017));
    number = entry_row(dialog, "Meter number");
    tariff = entry_row(dialog, "Tariff code");
    g_assert_cmpstr(kv_gui_test_text(number), ==, "100000017");
    g_assert_false(gtk_editable_get_editable(GTK_EDITABLE(number)));
    g_assert_false(gtk_editable_get_editable(GTK_EDITABLE(entry_row(dialog, "Hoarding limit"))));
    g_assert_cmpstr(kv_gui_test_text(entry_row(dialog, "Hoarding limit")), ==, "400.00");
    g_assert_cmpstr(kv_gui_test_text(entry_row(dialog, "Meter location")), ==,
                    "12 Independence Avenue, Accra");
    g_assert_cmpstr(kv_gui_test_text(tariff), ==, "DEFAULT");

    gtk_editable_set_text(GTK_EDITABLE(tariff), "SOCIAL");
    press_enter_in(tariff);
    g_assert_true(kv_gui_test_wait(dialog_closed, NULL, 10000));
    after = ledger_meter(100000017);
    g_assert_cmpstr(after->tariff_code, ==, "SOCIAL");
    g_assert_cmpuint(after->customer_id, ==, before->customer_id);
    g_assert_cmpuint(after->hoarding_limit, ==, before->hoarding_limit);
    g_assert_cmpuint(after->key_version, ==, before->key_version);
    g_assert_cmpstr(after->address, ==, before->address);
    g_assert_true(wait_list_mentions(meters, "tariff SOCIAL"));

    /* Escape: nothing saved. */
    dialog = open_dialog(root, "customers.edit-meter", g_variant_new_uint32(100000017));
    address = entry_row(dialog, "Meter location");
    gtk_editable_set_text(GTK_EDITABLE(address), "Somewhere else");
    press_escape_in(dialog);
    g_assert_true(kv_gui_test_wait(dialog_closed, NULL, 5000));
    kv_gui_test_spin(300);
    unchanged = ledger_meter(100000017);
    g_assert_cmpstr(unchanged->address, ==, "12 Independence Avenue, Accra");
}

/* A meter registered by another program is found by its number as the
 * cashier types it, part of it first. */
static void test_search_by_meter(void)
{
    GtkWidget *root = page_root();
    GtkWidget *search = kv_gui_test_get(root, "Search customers");
    GtkWidget *results = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Customers found");
    g_autoptr(KvCustomer) esi = ledger_customer("ACC-1003");
    KvMeter m = {0};

    m.number = 300000031;
    m.customer_id = esi->id;
    m.address = (char *)"Shop, Harbour Road";
    m.tariff_code = (char *)"DEFAULT";
    m.alarm_level = 500;
    m.pretrip_level = 100;
    m.hoarding_limit = 20000;
    {
        g_autoptr(KvStation) st = ledger_open();
        g_autoptr(GError) e = NULL;

        g_assert_true(kv_meter_add(st, &m, &e));
        g_assert_no_error(e);
    }
    gtk_editable_set_text(GTK_EDITABLE(search), "3000000");
    g_assert_true(wait_list_mentions(results, "Meter 300000031"));
    g_assert_true(list_mentions(results, "Esi Addo"));
    g_assert_false(list_mentions(results, "Yaw Mensah"));
    kv_gui_test_open_customer(root, "300000031", "Esi Addo");
    g_assert_true(wait_list_mentions(
        kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Meters of the customer"),
        "Shop, Harbour Road"));
}

/* Yaw's card comes back from his meter with its readback; the core reads
 * the card and imports it (kv_card_read, as at the counter), and the
 * meter's history shows it: credit left, energy used, meter state, when. */
static void test_readback_history(void)
{
    GtkWidget *root = page_root();
    GtkWidget *readings = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Readbacks of the meter");
    g_autofree char *card_path = kv_demo_card_path(station->dir, 2);
    g_autofree char *left = NULL, *total = NULL, *counter = NULL;
    g_autofree char *left_kwh = NULL, *total_kwh = NULL;
    g_autoptr(KvMeter) yaw = NULL;
    KvCardReadResult read = {0};

    {
        g_autoptr(KvStation) st = ledger_open();
        g_autoptr(KvCardLink) card = NULL;
        g_autoptr(GError) e = NULL;

        g_assert_true(kv_station_unlock_keys(st, KV_DEMO_PASSPHRASE, NULL, NULL, &e));
        g_assert_no_error(e);
        card = kv_card_link_file_open(card_path, &e);
        g_assert_no_error(e);
        g_assert_true(kv_card_read(st, card, &read, &e));
        g_assert_no_error(e);
        g_free(read.card_status);
        kv_station_lock_keys(st);
    }
    /* The demo's meter (the firmware's host build) wrote it on the card. */
    g_assert_cmpint(read.view.readback_err, ==, KV_OK);
    g_assert_true(read.readback_imported);
    yaw = ledger_meter(100000025);
    g_assert_true(yaw->has_readback);

    kv_gui_test_open_customer(root, "ACC-1002", "Yaw Mensah");
    left_kwh = kv_energy_format(yaw->rb_remaining);
    total_kwh = kv_energy_format(read.view.readback.total_energy);
    left = g_strdup_printf("%s kWh left", left_kwh);
    total = g_strdup_printf("%s kWh used in all", total_kwh);
    counter = g_strdup_printf("Readback %u", yaw->rb_counter);
    g_assert_true(wait_list_mentions(readings, counter));
    g_assert_true(list_mentions(readings, left));
    g_assert_true(list_mentions(readings, total));
    g_assert_true(list_mentions(readings, (read.view.readback.status & KV_RB_RELAY_CLOSED)
                                              ? "supply on"
                                              : "supply off"));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "customers-readbacks");
}

/* A cashier sees meters but cannot add or edit them (the core refuses it
 * too: kv_meter_add and kv_meter_update want a supervisor). */
static void test_cashier_cannot_edit_meters(void)
{
    GtkWidget *root = page_root();
    GtkWidget *meters = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Meters of the customer");
    GtkWidget *add = kv_gui_test_find_typed(root, GTK_TYPE_BUTTON, "Add meter");
    KvSession *session = kv_window_get_session(window);
    GtkWidget *edit;

    kv_gui_test_open_customer(root, "ACC-1004", "Kwame Asante");
    edit = kv_gui_test_find_typed(meters, GTK_TYPE_BUTTON, "Edit meter 100000041");
    g_assert_nonnull(add);
    g_assert_nonnull(edit);
    g_assert_true(gtk_widget_is_sensitive(add));
    g_assert_true(gtk_widget_is_sensitive(edit));
    kv_session_set_user(session, KV_DEMO_CASHIER, "Ama Boateng", KV_ROLE_CASHIER);
    g_assert_false(gtk_widget_is_sensitive(add));
    g_assert_false(gtk_widget_is_sensitive(edit));
    gtk_widget_activate_action(meters, "customers.add-meter", NULL);
    gtk_widget_activate_action(meters, "customers.edit-meter", "u", 100000041);
    kv_gui_test_spin(300);
    g_assert_null(find_dialog());
    kv_session_set_user(session, KV_DEMO_SUPERVISOR, "Kofi Annan", KV_ROLE_SUPERVISOR);
    g_assert_true(gtk_widget_is_sensitive(edit));
    gtk_widget_activate(edit);
    g_assert_true(kv_gui_test_wait(dialog_open, NULL, 5000));
    gtk_window_destroy(GTK_WINDOW(find_dialog()));
}

static gboolean focus_in_results(gpointer data)
{
    GtkWidget *focus = kv_gui_test_focus(data);

    return focus != NULL && GTK_IS_LIST_BOX_ROW(focus) &&
           gtk_widget_is_ancestor(focus, data);
}

/* From the keyboard alone: Down from the search field reaches the results,
 * Down again the next one, Enter opens the one that has the focus. */
static void test_search_keyboard(void)
{
    GtkWidget *root = page_root();
    GtkWidget *search = kv_gui_test_get(root, "Search customers");
    GtkWidget *results = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Customers found");
    GtkWidget *focus;

    gtk_editable_set_text(GTK_EDITABLE(search), "");
    gtk_editable_set_text(GTK_EDITABLE(search), "ACC-100");
    g_assert_true(kv_gui_test_wait(has_rows, results, 10000));
    g_assert_nonnull(gtk_list_box_get_row_at_index(GTK_LIST_BOX(results), 1));
    gtk_widget_grab_focus(search);
    kv_gui_test_press_key(root, GDK_KEY_Down, 0);
    g_assert_true(kv_gui_test_wait(focus_in_results, results, 5000));
    focus = kv_gui_test_focus(root);
    g_assert_cmpint(gtk_list_box_row_get_index(GTK_LIST_BOX_ROW(focus)), ==, 0);
    kv_gui_test_press_key(root, GDK_KEY_Down, 0);
    focus = kv_gui_test_focus(root);
    g_assert_cmpint(gtk_list_box_row_get_index(GTK_LIST_BOX_ROW(focus)), ==, 1);
    kv_gui_test_press_key(root, GDK_KEY_Return, 0);
    g_assert_true(kv_gui_test_wait_text(
        entry_row(root, "Name"),
        adw_preferences_row_get_title(ADW_PREFERENCES_ROW(focus)), 10000));
}

/* The credit levels are the meter's: no edit of the record changes them
 * (kilovendctl meter edit --hoarding did), only a parameter card whose
 * readback comes back. */
static void test_levels_only_by_card(void)
{
    g_autoptr(KvStation) st = ledger_open();
    g_autoptr(GError) error = NULL;
    g_autoptr(KvMeter) m = kv_meter_get(st, 100000025, &error);
    g_autoptr(KvMeter) after = NULL;
    guint32 hoarding;

    g_assert_no_error(error);
    hoarding = m->hoarding_limit;
    m->hoarding_limit = hoarding + 10000;
    g_assert_false(kv_meter_update(st, m, &error));
    g_assert_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "parameter card"));
    g_clear_error(&error);
    after = kv_meter_get(st, 100000025, &error);
    g_assert_cmpuint(after->hoarding_limit, ==, hoarding);
    /* The rest of the record still changes. */
    m->hoarding_limit = hoarding;
    g_free(after->address);
    after->address = g_strdup("4 Market Street, Kumasi (rear)");
    g_assert_true(kv_meter_update(st, after, &error));
    g_assert_no_error(error);
}

static GtkWidget *message_dialog_row(AdwMessageDialog *dialog, const char *label)
{
    GtkWidget *row = kv_gui_test_find_typed(adw_message_dialog_get_extra_child(dialog),
                                            ADW_TYPE_ENTRY_ROW, label);

    g_assert_nonnull(row);
    return row;
}

/* A customer's debt shows with its movements; a cashier sees the
 * adjustment disabled with the reason; a supervisor's adjustment needs a
 * reason, then changes the ledger and shows with its reason. */
static void test_debt(void)
{
    GtkWidget *root = page_root();
    GtkWidget *list = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Debt movements");
    GtkWidget *adjust = kv_gui_test_find_typed(root, GTK_TYPE_BUTTON, "Adjust debt");
    GtkWidget *gate = kv_gui_test_find_label_with(root, "A supervisor adjusts a debt");
    KvSession *session = kv_window_get_session(window);
    AdwMessageDialog *dialog;
    g_autoptr(KvCustomer) after = NULL;

    g_assert_nonnull(list);
    g_assert_nonnull(adjust);
    g_assert_nonnull(gate);
    kv_gui_test_open_customer(root, "ACC-1003", "Esi Addo");
    g_assert_true(wait_list_mentions(list, "Owed now"));
    g_assert_true(wait_list_mentions(list, "opening balance"));
    g_assert_true(gtk_widget_is_sensitive(adjust));
    g_assert_false(gtk_widget_get_visible(gate));

    kv_session_set_user(session, KV_DEMO_CASHIER, "Ama Boateng", KV_ROLE_CASHIER);
    g_assert_false(gtk_widget_is_sensitive(adjust));
    g_assert_true(gtk_widget_get_visible(gate));
    kv_session_set_user(session, KV_DEMO_SUPERVISOR, "Kofi Annan", KV_ROLE_SUPERVISOR);

    /* No reason: refused on the screen, the ledger untouched. */
    gtk_widget_activate_action(list, "debt.adjust", NULL);
    dialog = kv_gui_test_wait_dialog("Adjust the Debt");
    gtk_editable_set_text(GTK_EDITABLE(message_dialog_row(dialog, "Change (for example −20.00)")),
                          "-20.00");
    kv_gui_test_respond(dialog, "adjust");
    g_assert_true(kv_gui_test_wait_label_with(root, "Give the reason", 10000));

    /* With a reason: 20.00 off, in the ledger and on the screen. */
    gtk_widget_activate_action(list, "debt.adjust", NULL);
    dialog = kv_gui_test_wait_dialog("Adjust the Debt");
    gtk_editable_set_text(GTK_EDITABLE(message_dialog_row(dialog, "Change (for example −20.00)")),
                          "-20.00");
    gtk_editable_set_text(GTK_EDITABLE(message_dialog_row(dialog, "Reason")),
                          "meter misread in May");
    kv_gui_test_respond(dialog, "adjust");
    g_assert_true(kv_gui_test_wait_label_with(root, "Debt adjusted", 10000));
    g_assert_true(wait_list_mentions(list, "meter misread in May"));
    after = ledger_customer("ACC-1003");
    g_assert_cmpint(after->debt, ==, 50000 - 2000);
}

int main(int argc, char *argv[])
{
    int status;

    kv_gui_test_init(&argc, &argv);
    station = kv_gui_test_station_new();
    g_test_add_func("/customers/flow", test_customers_flow);
    g_test_add_func("/customers/add-meter", test_add_meter);
    g_test_add_func("/customers/edit-meter", test_edit_meter);
    g_test_add_func("/customers/search-by-meter-number", test_search_by_meter);
    g_test_add_func("/customers/readback-history", test_readback_history);
    g_test_add_func("/customers/cashier-cannot-edit-meters", test_cashier_cannot_edit_meters);
    g_test_add_func("/customers/search-keyboard", test_search_keyboard);
    g_test_add_func("/customers/levels-only-by-parameter-card", test_levels_only_by_card);
    g_test_add_func("/customers/debt", test_debt);
    status = g_test_run();
    if (window != NULL)
        gtk_window_destroy(GTK_WINDOW(window));
    kv_gui_test_station_free(station);
    return status;
}
