/* test-window.c - the station window: sign-in gate, screens, actions,
 * shortcuts window, accessible names on every control. */
#include "config.h"

#include <string.h>

#include "kv-application.h"
#include "kv-gui-test.h"
#include "kv-meter-dialog.h"
#include "kv-window.h"

typedef struct {
    KvApplication *app;
    KvSession *session;
    KvWindow *window;
} Fixture;

/* One station and application for the program, as in the app. */
static KvGuiStation *station;

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    f->app = station->app;
    f->session = station->session;
    f->window = kv_gui_test_window_new(station);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
    kv_session_clear(f->session);
    gtk_window_destroy(GTK_WINDOW(f->window));
    kv_gui_test_spin(50);
}

static void test_window_gate(Fixture *f, gconstpointer data)
{
    g_assert_cmpstr(kv_window_get_mode(f->window), ==, "signin");
    kv_gui_test_screenshot(GTK_WIDGET(f->window), "window-signin");

    /* Signed in but no shift: still the sign-in page (shift form). */
    kv_session_set_user(f->session, "ama", "Ama Boateng", KV_ROLE_CASHIER);
    g_assert_cmpstr(kv_window_get_mode(f->window), ==, "signin");

    kv_session_set_shift_open(f->session, TRUE);
    g_assert_cmpstr(kv_window_get_mode(f->window), ==, "station");
    g_assert_cmpstr(kv_window_get_visible_page(f->window), ==, "sell");

    kv_session_clear(f->session);
    g_assert_cmpstr(kv_window_get_mode(f->window), ==, "signin");
}

static void test_window_pages(Fixture *f, gconstpointer data)
{
    static const char *const pages[] = {"customers", "cards", "reports", "admin", "sell"};

    /* Screens cannot be reached before sign-in. */
    gtk_widget_activate_action(GTK_WIDGET(f->window), "win.page", "s", "cards");
    g_assert_cmpstr(kv_window_get_mode(f->window), ==, "signin");

    kv_session_set_user(f->session, "kofi", "Kofi Annan", KV_ROLE_SUPERVISOR);
    kv_session_set_shift_open(f->session, TRUE);
    for (guint i = 0; i < G_N_ELEMENTS(pages); i++) {
        g_autofree char *shot = g_strdup_printf("window-%s", pages[i]);

        gtk_widget_activate_action(GTK_WIDGET(f->window), "win.page", "s", pages[i]);
        g_assert_cmpstr(kv_window_get_visible_page(f->window), ==, pages[i]);
        gtk_test_widget_wait_for_draw(GTK_WIDGET(f->window));
        kv_gui_test_screenshot(GTK_WIDGET(f->window), shot);
    }
    gtk_widget_activate_action(GTK_WIDGET(f->window), "win.find-customer", NULL);
    g_assert_cmpstr(kv_window_get_visible_page(f->window), ==, "customers");

    gtk_widget_activate_action(GTK_WIDGET(f->window), "win.sign-out", NULL);
    g_assert_cmpstr(kv_window_get_mode(f->window), ==, "signin");
    g_assert_false(kv_session_get_signed_in(f->session));
}

static void test_window_shortcuts(Fixture *f, gconstpointer data)
{
    GtkShortcutsWindow *overlay =
        gtk_application_window_get_help_overlay(GTK_APPLICATION_WINDOW(f->window));
    g_autofree char **accels = NULL;

    /* Loaded from the resource by GtkApplication, with its action. */
    g_assert_nonnull(overlay);
    accels = gtk_application_get_accels_for_action(GTK_APPLICATION(f->app), "app.quit");
    g_assert_cmpstr(accels[0], ==, "<Control>q");
    g_strfreev(g_steal_pointer(&accels));
    accels = gtk_application_get_accels_for_action(GTK_APPLICATION(f->app),
                                                   "win.show-help-overlay");
    g_assert_nonnull(accels[0]);
    g_strfreev(g_steal_pointer(&accels));
}

/* ---- the shortcuts window against the accelerators the app registers ---- */

/* Keys the app handles without a shortcut of its own: Enter in the Sell
 * screen's amount and cash fields (their "activate" sells) and Down from the
 * customer search into its results (a key controller).  They must be in
 * the shortcuts window too. */
static const char *const keys_without_shortcut[] = {"Return", "Down", NULL};

static void add_accel(GHashTable *set, guint keyval, GdkModifierType mods, const char *where)
{
    char *name = gtk_accelerator_name(keyval, mods);

    g_test_message("%s: %s", where, name);
    g_hash_table_add(set, name);
}

static void add_trigger(GHashTable *set, GtkShortcutTrigger *trigger, const char *where)
{
    if (GTK_IS_KEYVAL_TRIGGER(trigger)) {
        add_accel(set, gtk_keyval_trigger_get_keyval(GTK_KEYVAL_TRIGGER(trigger)),
                  gtk_keyval_trigger_get_modifiers(GTK_KEYVAL_TRIGGER(trigger)), where);
    } else if (GTK_IS_ALTERNATIVE_TRIGGER(trigger)) {
        add_trigger(set, gtk_alternative_trigger_get_first(GTK_ALTERNATIVE_TRIGGER(trigger)),
                    where);
        add_trigger(set, gtk_alternative_trigger_get_second(GTK_ALTERNATIVE_TRIGGER(trigger)),
                    where);
    }
}

/* "<Control>q <Control>w": each accelerator of a string, normalised. */
static void add_accel_string(GHashTable *set, const char *accels, const char *where)
{
    g_auto(GStrv) parts = g_strsplit(accels, " ", -1);

    for (guint i = 0; parts[i] != NULL; i++) {
        guint keyval = 0;
        GdkModifierType mods = 0;

        if (*parts[i] == '\0')
            continue;
        g_assert_true(gtk_accelerator_parse(parts[i], &keyval, &mods));
        add_accel(set, keyval, mods, where);
    }
}

/* The shortcuts the app's own widgets bind to their actions (class
 * shortcuts to named actions: GTK's own bindings are signals). */
static void add_widget_shortcuts(GHashTable *set, GtkWidget *widget)
{
    if (g_str_has_prefix(G_OBJECT_TYPE_NAME(widget), "Kv")) {
        g_autoptr(GListModel) controllers = gtk_widget_observe_controllers(widget);

        for (guint i = 0; i < g_list_model_get_n_items(controllers); i++) {
            g_autoptr(GObject) c = g_list_model_get_item(controllers, i);

            if (!GTK_IS_SHORTCUT_CONTROLLER(c))
                continue;
            for (guint j = 0; j < g_list_model_get_n_items(G_LIST_MODEL(c)); j++) {
                g_autoptr(GtkShortcut) sc = g_list_model_get_item(G_LIST_MODEL(c), j);
                GtkShortcutAction *action = gtk_shortcut_get_action(sc);

                if (GTK_IS_NAMED_ACTION(action))
                    add_trigger(set, gtk_shortcut_get_trigger(sc),
                                gtk_named_action_get_action_name(GTK_NAMED_ACTION(action)));
            }
        }
    }
    for (GtkWidget *c = gtk_widget_get_first_child(widget); c; c = gtk_widget_get_next_sibling(c))
        add_widget_shortcuts(set, c);
}

static void add_listed_shortcuts(GHashTable *set, GtkWidget *widget)
{
    if (GTK_IS_SHORTCUTS_SHORTCUT(widget)) {
        g_autofree char *accels = NULL;
        g_autofree char *title = NULL;

        g_object_get(widget, "accelerator", &accels, "title", &title, NULL);
        if (accels != NULL)
            add_accel_string(set, accels, title);
    }
    for (GtkWidget *c = gtk_widget_get_first_child(widget); c; c = gtk_widget_get_next_sibling(c))
        add_listed_shortcuts(set, c);
}

static void assert_subset(GHashTable *part, GHashTable *whole, const char *what)
{
    GHashTableIter iter;
    gpointer key;
    guint missing = 0;

    g_hash_table_iter_init(&iter, part);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        if (!g_hash_table_contains(whole, key)) {
            g_test_message("%s: %s", what, (const char *)key);
            missing++;
        }
    g_assert_cmpuint(missing, ==, 0);
}

/* Every accelerator the app has (the application's, the window's and its
 * screens' class shortcuts, the meter dialog's) is in the shortcuts window,
 * and the window lists none the app does not have: they cannot drift. */
static void test_window_shortcuts_complete(Fixture *f, gconstpointer data)
{
    g_autoptr(GHashTable) registered = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) actions = gtk_application_list_action_descriptions(GTK_APPLICATION(f->app));
    KvMeterDialog *dialog = kv_meter_dialog_new(NULL, f->session, 1, NULL);
    GtkShortcutsWindow *overlay =
        gtk_application_window_get_help_overlay(GTK_APPLICATION_WINDOW(f->window));

    for (guint i = 0; actions[i] != NULL; i++) {
        g_auto(GStrv) accels = gtk_application_get_accels_for_action(GTK_APPLICATION(f->app),
                                                                      actions[i]);
        for (guint j = 0; accels[j] != NULL; j++)
            add_accel_string(registered, accels[j], actions[i]);
    }
    add_widget_shortcuts(registered, GTK_WIDGET(f->window));
    add_widget_shortcuts(registered, GTK_WIDGET(dialog));
    gtk_window_destroy(GTK_WINDOW(dialog));
    for (guint i = 0; keys_without_shortcut[i] != NULL; i++)
        add_accel_string(registered, keys_without_shortcut[i], "a key handled by a widget");
    /* What the test walked: the screens' and the dialog's, not just the
     * window's own. */
    g_assert_true(g_hash_table_contains(registered, "<Alt>6"));
    g_assert_true(g_hash_table_contains(registered, "<Control>m"));
    g_assert_true(g_hash_table_contains(registered, "<Control>s"));

    add_listed_shortcuts(listed, GTK_WIDGET(overlay));
    assert_subset(registered, listed, "not in the shortcuts window");
    assert_subset(listed, registered, "in the shortcuts window, not in the app");
}

/* Widgets that are one control to a screen reader: their insides are theirs. */
static gboolean is_composite_control(GtkWidget *w)
{
    static GType types[11];

    if (types[0] == 0) {
        types[0] = GTK_TYPE_PASSWORD_ENTRY;
        types[1] = GTK_TYPE_SEARCH_ENTRY;
        types[2] = GTK_TYPE_SPIN_BUTTON;
        types[3] = GTK_TYPE_DROP_DOWN;
        types[4] = GTK_TYPE_MENU_BUTTON;
        types[5] = GTK_TYPE_COLUMN_VIEW;
        types[6] = ADW_TYPE_ENTRY_ROW;
        types[7] = ADW_TYPE_COMBO_ROW;
        types[8] = ADW_TYPE_HEADER_BAR;
        types[9] = GTK_TYPE_ENTRY;
        types[10] = ADW_TYPE_VIEW_SWITCHER_BAR;
    }
    for (guint i = 0; i < G_N_ELEMENTS(types); i++)
        if (G_TYPE_CHECK_INSTANCE_TYPE(w, types[i]))
            return TRUE;
    return FALSE;
}

static gboolean is_control(GtkWidget *w)
{
    return GTK_IS_BUTTON(w) || GTK_IS_ENTRY(w) || GTK_IS_PASSWORD_ENTRY(w) ||
           GTK_IS_SEARCH_ENTRY(w) || GTK_IS_SWITCH(w) || GTK_IS_SPIN_BUTTON(w) ||
           GTK_IS_DROP_DOWN(w) || GTK_IS_PROGRESS_BAR(w) || GTK_IS_LIST_BOX(w) ||
           GTK_IS_COLUMN_VIEW(w) || GTK_IS_SPINNER(w);
}

static void check_labels(GtkWidget *root, guint *checked)
{
    for (GtkWidget *child = gtk_widget_get_first_child(root); child != NULL;
         child = gtk_widget_get_next_sibling(child)) {
        if (is_control(child)) {
            gboolean named =
                gtk_test_accessible_has_property(GTK_ACCESSIBLE(child),
                                                 GTK_ACCESSIBLE_PROPERTY_LABEL) ||
                gtk_test_accessible_has_relation(GTK_ACCESSIBLE(child),
                                                 GTK_ACCESSIBLE_RELATION_LABELLED_BY);
            if (!named)
                g_test_message("no accessible label: %s in %s", G_OBJECT_TYPE_NAME(child),
                               G_OBJECT_TYPE_NAME(root));
            g_assert_true(named);
            (*checked)++;
        }
        if (!is_composite_control(child) && !GTK_IS_BUTTON(child))
            check_labels(child, checked);
    }
}

static void test_window_accessible_labels(Fixture *f, gconstpointer data)
{
    guint checked = 0;
    GtkWidget *content = adw_application_window_get_content(ADW_APPLICATION_WINDOW(f->window));

    check_labels(content, &checked);
    g_test_message("%u controls checked", checked);
    /* The screens have many more controls than this: the walk saw them. */
    g_assert_cmpuint(checked, >, 40);
}

/* The meter state as the Sell and Customers screens show it: with both
 * lamps on, both are named (the pre-trip warning hid behind the alarm). */
static void test_meter_state_both_lamps(void)
{
    static const struct {
        guint8 status;
        gboolean alarm, pretrip;
    } cases[] = {
        {KV_RB_RELAY_CLOSED | KV_RB_RED | KV_RB_YELLOW, TRUE, TRUE},
        {KV_RB_RELAY_CLOSED | KV_RB_RED, TRUE, FALSE},
        {KV_RB_YELLOW, FALSE, TRUE},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = kv_session_format_meter_state(cases[i].status);

        g_test_message("%#x: %s", cases[i].status, text);
        g_assert_true((strstr(text, "low-credit alarm") != NULL) == cases[i].alarm);
        g_assert_true((strstr(text, "pre-trip warning") != NULL) == cases[i].pretrip);
    }
}

/* The batch issue says which CSV it takes: the core wants a header line
 * with a "meter" column, and a file without one is refused. */
static void test_batch_names_header(Fixture *f, gconstpointer data)
{
    GtkWidget *group = kv_gui_test_get_id(GTK_WIDGET(f->window), "batch_group");
    const char *text = adw_preferences_group_get_description(ADW_PREFERENCES_GROUP(group));

    g_assert_nonnull(strstr(text, "header"));
    g_assert_nonnull(strstr(text, "“meter”"));
}

int main(int argc, char *argv[])
{
    int status;

    kv_gui_test_init(&argc, &argv);
    station = kv_gui_test_station_new();

    g_test_add("/window/gate", Fixture, NULL, fixture_set_up, test_window_gate,
               fixture_tear_down);
    g_test_add("/window/pages", Fixture, NULL, fixture_set_up, test_window_pages,
               fixture_tear_down);
    g_test_add("/window/shortcuts", Fixture, NULL, fixture_set_up, test_window_shortcuts,
               fixture_tear_down);
    g_test_add("/window/shortcuts-complete", Fixture, NULL, fixture_set_up,
               test_window_shortcuts_complete, fixture_tear_down);
    g_test_add("/window/accessible-labels", Fixture, NULL, fixture_set_up,
               test_window_accessible_labels, fixture_tear_down);
    g_test_add_func("/window/meter-state-both-lamps", test_meter_state_both_lamps);
    g_test_add("/window/batch-names-csv-header", Fixture, NULL, fixture_set_up,
               test_batch_names_header, fixture_tear_down);
    status = g_test_run();
    kv_gui_test_station_free(station);
    return status;
}
