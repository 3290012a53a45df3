/* test-admin.c - the Administration screen on the demo station, as the
 * administrator: tariff codes with their versions and a new version made
 * from the one in force; users' roles changed, disabled and enabled again,
 * unlocked after a lockout, given a new password, and an admin kept from
 * demoting themselves; receipt settings kept in GSettings, a backup made off
 * the main thread (checked by the core) and restored (everybody signed out).
 * Every effect is checked in the database through the core. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kv-admin-page.h"
#include "kv-demo.h"
#include "kv-gui-test.h"

static KvGuiStation *station;

static gboolean has_rows(gpointer data)
{
    return gtk_widget_get_first_child(data) != NULL;
}

static guint count_rows(GtkWidget *list)
{
    guint n = 0;

    for (GtkWidget *c = gtk_widget_get_first_child(list); c; c = gtk_widget_get_next_sibling(c))
        n++;
    return n;
}

static gboolean signed_out(gpointer data)
{
    return !kv_session_get_signed_in(data);
}

#define find_admin_page(w) KV_ADMIN_PAGE(kv_gui_test_find_type(w, KV_TYPE_ADMIN_PAGE))

/* The station's database through the core, as a second office would see
 * it: set up what the screen lists, check what the screen did. */
static KvStation *core;
static KvWindow *window;

static gint64 local_time(int year, int month, int day)
{
    g_autoptr(GDateTime) dt = g_date_time_new_local(year, month, day, 0, 0, 0);

    return g_date_time_to_unix(dt);
}

static void add_tariff(const char *code, const char *name, gint64 from, guint vat_bp)
{
    g_autoptr(GError) error = NULL;
    KvTariff t = {
        .effective_from = from,
        .vat_bp = vat_bp,
        .fixed_monthly = 700,
        .debt_bp = 1250,
        .n_blocks = 2,
        /* 1.30 a kWh for the first 100 kWh of the month, then 2.00. */
        .blocks = {{10000, 1300000}, {0, 2000000}},
    };

    g_strlcpy(t.code, code, sizeof t.code);
    g_assert_cmpint(kv_tariff_add(core, &t, name, &error), >, 0);
    g_assert_no_error(error);
}

static KvUser *core_user(const char *login)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) users = kv_user_list(core, &error);

    g_assert_no_error(error);
    for (guint i = 0; i < users->len; i++) {
        KvUser *u = g_ptr_array_index(users, i);
        if (g_strcmp0(u->login, login) == 0)
            return g_ptr_array_steal_index(users, i);
    }
    g_error("no user %s", login);
    return NULL;
}

/* Sign in on another station handle: TRUE if the core lets the user in. */
static gboolean can_sign_in(const char *login, const char *password, GError **error)
{
    g_autoptr(KvStation) other = kv_station_open(station->db, NULL, error);

    return other != NULL && kv_station_login(other, login, password, error);
}

static guint count_named(GtkWidget *w, const char *name)
{
    guint n = g_strcmp0(gtk_widget_get_name(w), name) == 0;

    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
        n += count_named(c, name);
    return n;
}

static guint count_typed(GtkWidget *list, GType type)
{
    guint n = 0;

    for (GtkWidget *c = gtk_widget_get_first_child(list); c; c = gtk_widget_get_next_sibling(c))
        n += G_TYPE_CHECK_INSTANCE_TYPE(c, type);
    return n;
}

#define find_dialog kv_gui_test_find_dialog
#define wait_dialog kv_gui_test_wait_dialog

static GtkWidget *dialog_field(AdwMessageDialog *dialog, GType type, const char *label)
{
    GtkWidget *w = kv_gui_test_find_typed(GTK_WIDGET(dialog), type, label);

    g_assert_nonnull(w);
    return w;
}

static GtkDropDown *role_field(AdwMessageDialog *dialog)
{
    return GTK_DROP_DOWN(dialog_field(dialog, GTK_TYPE_DROP_DOWN, "Role"));
}

static const char *field(AdwMessageDialog *dialog, const char *label)
{
    return gtk_editable_get_text(GTK_EDITABLE(dialog_field(dialog, GTK_TYPE_EDITABLE, label)));
}

static void set_field(AdwMessageDialog *dialog, const char *label, const char *text)
{
    gtk_editable_set_text(GTK_EDITABLE(dialog_field(dialog, GTK_TYPE_EDITABLE, label)), text);
}

/* The user's row menu (a menu button labelled "Actions for LOGIN"): does
 * it offer this action for that user? */
typedef struct {
    const char *login;
    const char *action;
} MenuItem;

static GtkWidget *user_menu(const char *login)
{
    g_autofree char *label = g_strdup_printf("Actions for %s", login);

    return kv_gui_test_find_typed(GTK_WIDGET(window), GTK_TYPE_MENU_BUTTON, label);
}

static gboolean menu_offers(gpointer data)
{
    MenuItem *m = data;
    GtkWidget *button = user_menu(m->login);
    GMenuModel *model = button != NULL ? gtk_menu_button_get_menu_model(GTK_MENU_BUTTON(button))
                                       : NULL;

    for (int i = 0; model != NULL && i < g_menu_model_get_n_items(model); i++) {
        g_autofree char *action = NULL;
        g_autofree char *target = NULL;

        if (g_menu_model_get_item_attribute(model, i, G_MENU_ATTRIBUTE_ACTION, "s", &action) &&
            g_menu_model_get_item_attribute(model, i, G_MENU_ATTRIBUTE_TARGET, "s", &target) &&
            g_strcmp0(action, m->action) == 0 && g_strcmp0(target, m->login) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Choose the item in the user's menu, as the popover does. */
static void menu_choose(const char *login, const char *action)
{
    MenuItem m = {login, action};

    g_assert_true(kv_gui_test_wait(menu_offers, &m, 10000));
    g_assert_true(gtk_widget_activate_action(user_menu(login), action, "s", login));
}

typedef struct {
    const char *login;
    gboolean (*check)(const KvUser *u);
} UserWait;

static gboolean user_matches(gpointer data)
{
    UserWait *w = data;
    g_autoptr(KvUser) u = core_user(w->login);

    return w->check(u);
}

static gboolean is_supervisor(const KvUser *u)
{
    return u->role == KV_ROLE_SUPERVISOR;
}

static gboolean is_disabled(const KvUser *u)
{
    return !u->active;
}

static gboolean is_enabled(const KvUser *u)
{
    return u->active;
}

static gboolean is_unlocked(const KvUser *u)
{
    return u->locked_until == 0 && u->failed_logins == 0;
}

static void wait_user(const char *login, gboolean (*check)(const KvUser *u))
{
    UserWait w = {login, check};

    g_assert_true(kv_gui_test_wait(user_matches, &w, 20000));
}

static gboolean default_has_new_version(gpointer data)
{
    KvTariff t;

    return kv_tariff_get_effective(core, "DEFAULT", kv_now(), &t, NULL) && t.vat_bp == 1800;
}

static gboolean rows_named(gpointer data)
{
    return count_named(data, "tariff-version") == 3;
}

static void test_admin_tariffs(void)
{
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *tariffs = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Tariffs");
    GtkWidget *def, *row, *button;
    AdwMessageDialog *dialog;
    KvTariff before, after;
    g_autoptr(GError) error = NULL;

    g_assert_true(kv_gui_test_wait(has_rows, tariffs, 10000));
    /* Two codes; DEFAULT with the demo's first version and the one of 2020. */
    g_assert_cmpuint(count_typed(tariffs, ADW_TYPE_EXPANDER_ROW), ==, 2);
    def = kv_gui_test_find_typed(tariffs, ADW_TYPE_EXPANDER_ROW, "Tariff DEFAULT");
    g_assert_nonnull(def);
    g_assert_nonnull(kv_gui_test_find_typed(tariffs, ADW_TYPE_EXPANDER_ROW, "Tariff COM"));
    g_assert_cmpstr(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(def)), ==,
                    "DEFAULT — Residential 2020");
    /* The version in force in the header: blocks, VAT, fixed, debt, date. */
    g_assert_cmpstr(adw_expander_row_get_subtitle(ADW_EXPANDER_ROW(def)), ==,
                    "up to 100.00 kWh: 1.30 GHS; above: 2.00 GHS\n"
                    "VAT 16.00 % · fixed 7.00 GHS a month · debt recovery 12.50 % · since "
                    "2020-01-01 00:00");

    /* The history: newest first, the one in force and the one it replaced. */
    adw_expander_row_set_expanded(ADW_EXPANDER_ROW(def), TRUE);
    g_assert_cmpuint(count_named(def, "tariff-version"), ==, 2);
    row = kv_gui_test_find_typed(def, ADW_TYPE_ACTION_ROW,
                                 "DEFAULT version from 2020-01-01 00:00");
    g_assert_nonnull(row);
    g_assert_cmpstr(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)), ==,
                    "From 2020-01-01 00:00 · in force");
    row = kv_gui_test_find_typed(def, ADW_TYPE_ACTION_ROW,
                                 "DEFAULT version from 1970-01-01 00:00");
    g_assert_nonnull(row);
    g_assert_true(g_str_has_suffix(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)),
                                   "· replaced"));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "admin-tariffs");

    /* A new version, prefilled from the one in force; only the VAT changes. */
    button = kv_gui_test_find_typed(def, GTK_TYPE_BUTTON, "New version of DEFAULT");
    g_assert_nonnull(button);
    g_assert_true(gtk_widget_get_focusable(button));
    gtk_widget_activate(button);
    dialog = wait_dialog("New Version of DEFAULT");
    g_assert_cmpstr(field(dialog, "Code"), ==, "DEFAULT");
    g_assert_cmpstr(field(dialog, "Name"), ==, "Residential 2020");
    g_assert_cmpstr(field(dialog, "VAT (%)"), ==, "16.00");
    g_assert_cmpstr(field(dialog, "Fixed monthly charge"), ==, "7.00");
    g_assert_cmpstr(field(dialog, "Debt recovery (% of each purchase)"), ==, "12.50");
    g_assert_cmpstr(field(dialog, "Blocks: kWh of the month:price, …, last price"), ==,
                    "100.00:1.30, 2.00");
    set_field(dialog, "VAT (%)", "18");
    adw_message_dialog_response(dialog, "ok");
    g_assert_true(kv_gui_test_wait(default_has_new_version, NULL, 20000));

    g_assert_true(kv_tariff_get_effective(core, "DEFAULT", local_time(2020, 6, 1), &before,
                                          &error));
    g_assert_true(kv_tariff_get_effective(core, "DEFAULT", kv_now(), &after, &error));
    g_assert_no_error(error);
    g_assert_cmpint(after.id, !=, before.id);
    g_assert_cmpint(after.effective_from, >, before.effective_from);
    g_assert_cmpint(after.fixed_monthly, ==, before.fixed_monthly);
    g_assert_cmpuint(after.debt_bp, ==, before.debt_bp);
    g_assert_cmpuint(after.n_blocks, ==, before.n_blocks);
    g_assert_cmpmem(after.blocks, sizeof after.blocks, before.blocks, sizeof before.blocks);

    /* The screen lists it: three versions of DEFAULT now. */
    def = NULL;
    g_assert_true(kv_gui_test_wait(rows_named, tariffs, 10000));
}

static void test_admin_users(void)
{
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *users = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Users");
    AdwMessageDialog *dialog;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvUser) admin = NULL;
    MenuItem unlock_kofi = {KV_DEMO_SUPERVISOR, "admin.user-unlock"};
    MenuItem disable_admin = {KV_DEMO_ADMIN, "admin.user-disable"};

    g_assert_true(kv_gui_test_wait(has_rows, users, 10000));
    g_assert_cmpuint(count_rows(users), ==, 3); /* admin, ama, kofi */
    /* Keyboard reachable: the menu button's own button takes the focus. */
    g_assert_true(GTK_IS_BUTTON(gtk_widget_get_first_child(user_menu(KV_DEMO_CASHIER))));
    g_assert_true(gtk_widget_get_focusable(gtk_widget_get_first_child(user_menu(KV_DEMO_CASHIER))));

    /* A role: ama becomes a supervisor. */
    menu_choose(KV_DEMO_CASHIER, "admin.user-role");
    dialog = wait_dialog("Role of ama");
    g_assert_cmpuint(gtk_drop_down_get_selected(role_field(dialog)), ==, 0);
    gtk_drop_down_set_selected(role_field(dialog), 1);
    adw_message_dialog_response(dialog, "ok");
    wait_user(KV_DEMO_CASHIER, is_supervisor);

    /* Disabled, kofi cannot sign in; enabled again, kofi can. */
    menu_choose(KV_DEMO_SUPERVISOR, "admin.user-disable");
    wait_user(KV_DEMO_SUPERVISOR, is_disabled);
    g_assert_false(can_sign_in(KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD, &error));
    g_assert_error(error, KV_CORE_ERROR, KV_CORE_ERROR_AUTH);
    g_clear_error(&error);
    menu_choose(KV_DEMO_SUPERVISOR, "admin.user-enable");
    wait_user(KV_DEMO_SUPERVISOR, is_enabled);
    g_assert_true(can_sign_in(KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD, &error));
    g_assert_no_error(error);

    /* ama was locked out by wrong passwords: only her row offers Unlock. */
    g_assert_false(menu_offers(&unlock_kofi));
    g_assert_false(can_sign_in(KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD, &error));
    g_assert_nonnull(strstr(error->message, "locked out"));
    g_clear_error(&error);
    menu_choose(KV_DEMO_CASHIER, "admin.user-unlock");
    wait_user(KV_DEMO_CASHIER, is_unlocked);
    g_assert_true(can_sign_in(KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD, &error));
    g_assert_no_error(error);

    /* A new password set by the admin. */
    menu_choose(KV_DEMO_CASHIER, "admin.user-password");
    dialog = wait_dialog("New Password for ama");
    set_field(dialog, "Password", "ama-new-password");
    set_field(dialog, "Password again", "ama-new-password");
    adw_message_dialog_response(dialog, "ok");
    for (guint i = 0; i < 100 && !can_sign_in(KV_DEMO_CASHIER, "ama-new-password", NULL); i++)
        kv_gui_test_spin(200);
    g_assert_true(can_sign_in(KV_DEMO_CASHIER, "ama-new-password", &error));
    g_assert_no_error(error);

    /* The admin's own row offers no Disable, and the core refuses a
     * demotion of oneself: the reason is shown, nothing changes. */
    g_assert_false(menu_offers(&disable_admin));
    menu_choose(KV_DEMO_ADMIN, "admin.user-role");
    dialog = wait_dialog("Role of admin");
    g_assert_cmpuint(gtk_drop_down_get_selected(role_field(dialog)), ==, 2);
    gtk_drop_down_set_selected(role_field(dialog), 0);
    adw_message_dialog_response(dialog, "ok");
    dialog = wait_dialog("Not Done");
    g_assert_nonnull(strstr(adw_message_dialog_get_body(dialog), "your own account"));
    adw_message_dialog_response(dialog, "close");
    admin = core_user(KV_DEMO_ADMIN);
    g_assert_cmpint(admin->role, ==, KV_ROLE_ADMIN);
    g_assert_true(admin->active);
    kv_gui_test_screenshot(root, "admin-users");
}

static void test_admin_flow(void)
{
    GtkWidget *root = GTK_WIDGET(window);
    KvAdminPage *page;
    GtkWidget *users, *tariffs, *status, *header;
    g_autofree char *backup = g_build_filename(station->dir, "backup.db", NULL);
    g_autofree char *stored = NULL;
    GSettings *settings = kv_application_get_settings(station->app);

    /* The restore replaces the database under any handle left open. */
    g_clear_pointer(&core, kv_station_free);

    page = find_admin_page(root);
    users = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Users");
    tariffs = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Tariffs");
    status = kv_gui_test_get(root, "Backup status");
    header = kv_gui_test_find_typed(root, ADW_TYPE_ENTRY_ROW, "Header lines");

    g_assert_true(kv_gui_test_wait(has_rows, users, 10000));
    g_assert_true(kv_gui_test_wait(has_rows, tariffs, 10000));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "admin");

    /* Receipt settings are this station's GSettings. */
    gtk_editable_set_text(GTK_EDITABLE(header), "Accra office, 12 Ring Road");
    stored = g_settings_get_string(settings, "receipt-header");
    g_assert_cmpstr(stored, ==, "Accra office, 12 Ring Road");

    /* Backup: off the main thread, checked by the core. */
    kv_admin_page_backup(page, backup);
    g_assert_true(kv_gui_test_wait_text(status, "Backed up", 30000));
    g_assert_true(g_file_test(backup, G_FILE_TEST_EXISTS));

    /* A second backup to the same file is refused: never overwritten. */
    kv_admin_page_backup(page, backup);
    g_assert_true(kv_gui_test_wait_text(status, "No backup was made", 30000));

    /* Restore: the station reopens on the backup, everybody signs in again. */
    kv_admin_page_restore(page, backup);
    g_assert_true(kv_gui_test_wait(signed_out, station->session, 30000));
    g_assert_cmpstr(kv_window_get_mode(window), ==, "signin");
    kv_gui_test_sign_in(window, KV_DEMO_ADMIN, KV_DEMO_ADMIN_PASSWORD);
    g_assert_cmpstr(kv_window_get_mode(window), ==, "station");
    gtk_window_destroy(GTK_WINDOW(window));
}

/* Rotating the meter key is an administrator's (as in kilovendctl): a
 * supervisor finds it off, with the reason on the page.  The new version
 * becomes current for new meters and the meters on the old one are
 * listed, each needing a key-change card. */
static void test_admin_key_rotation(void)
{
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *row = kv_gui_test_get_id(root, "key_version_row");
    KvSession *session = station->session;
    AdwMessageDialog *ask, *done;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) st = NULL;
    g_autoptr(GArray) old = NULL;
    g_autoptr(KvMeter) added = NULL;

    kv_session_set_user(session, KV_DEMO_SUPERVISOR, "Kofi Annan", KV_ROLE_SUPERVISOR);
    g_assert_nonnull(strstr(adw_action_row_get_subtitle(ADW_ACTION_ROW(row)),
                            "Only an administrator"));
    gtk_widget_activate_action(row, "admin.key-rotate", NULL);
    kv_gui_test_spin(300);
    g_assert_null(find_dialog("Rotate the Meter Key?"));
    kv_session_set_user(session, KV_DEMO_ADMIN, "Administrator", KV_ROLE_ADMIN);

    gtk_widget_activate_action(row, "admin.key-rotate", NULL);
    ask = wait_dialog("Rotate the Meter Key?");
    gtk_editable_set_text(GTK_EDITABLE(dialog_field(ask, GTK_TYPE_EDITABLE,
                                                    "Current passphrase")),
                          KV_DEMO_PASSPHRASE);
    adw_message_dialog_response(ask, "ok");
    done = wait_dialog("Done");
    g_test_message("%s", adw_message_dialog_get_body(done));
    g_assert_nonnull(strstr(adw_message_dialog_get_body(done), "Key version 2 is now current"));
    g_assert_nonnull(strstr(adw_message_dialog_get_body(done), "key-change card"));
    g_assert_nonnull(strstr(adw_message_dialog_get_body(done), "100000017"));
    gtk_window_destroy(GTK_WINDOW(done));

    /* The core agrees: version 2 current, the old meters listed, a new
     * meter registered on version 2. */
    st = kv_station_open(station->db, station->keys, &error);
    g_assert_no_error(error);
    g_assert_true(kv_station_login(st, KV_DEMO_ADMIN, KV_DEMO_ADMIN_PASSWORD, &error));
    g_assert_true(kv_station_unlock_keys(st, KV_DEMO_PASSPHRASE, NULL, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(kv_station_key_version(st), ==, 2);
    old = kv_meters_needing_key_change(st, 0, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(old->len, >, 0);
    g_assert_cmpuint(g_array_index(old, guint32, 0), ==, 100000017);
    added = kv_meter_get(st, kv_gui_test_add_meter(st, 40000001), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(added->key_version, ==, 2);
}

/* The core's side first (a second tariff code and version, a user locked
 * out), then the screen, signed in as the administrator. */
static void setup(void)
{
    g_autoptr(GError) error = NULL;

    core = kv_station_open(station->db, NULL, &error);
    g_assert_no_error(error);
    for (int i = 0; i < 5; i++) {
        g_assert_false(kv_station_login(core, KV_DEMO_CASHIER, "wrong-password", &error));
        g_clear_error(&error);
    }
    g_assert_true(kv_station_login(core, KV_DEMO_ADMIN, KV_DEMO_ADMIN_PASSWORD, &error));
    g_assert_no_error(error);
    add_tariff("DEFAULT", "Residential 2020", local_time(2020, 1, 1), 1600);
    add_tariff("COM", "Shops", local_time(2021, 1, 1), 1500);

    window = kv_gui_test_window_new(station);
    kv_gui_test_sign_in(window, KV_DEMO_ADMIN, KV_DEMO_ADMIN_PASSWORD);
    gtk_widget_activate_action(GTK_WIDGET(window), "win.page", "s", "admin");
}

int main(int argc, char *argv[])
{
    int status;

    kv_gui_test_init(&argc, &argv);
    station = kv_gui_test_station_new();
    setup();
    g_test_add_func("/admin/tariffs", test_admin_tariffs);
    g_test_add_func("/admin/users", test_admin_users);
    g_test_add_func("/admin/key-rotation", test_admin_key_rotation);
    /* Last: the restore replaces the database under the core's handle. */
    g_test_add_func("/admin/flow", test_admin_flow);
    status = g_test_run();
    g_clear_pointer(&core, kv_station_free);
    kv_gui_test_station_free(station);
    return status;
}
