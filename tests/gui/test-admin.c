/* test-admin.c - the Administration screen on the demo station, as the
 * administrator: the users and the tariff from the core, receipt settings
 * kept in GSettings, a backup made off the main thread (checked by the
 * core) and restored (everybody signed out), a new user added. */
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

static KvAdminPage *find_admin_page(GtkWidget *w)
{
    if (KV_IS_ADMIN_PAGE(w))
        return KV_ADMIN_PAGE(w);
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
        KvAdminPage *p = find_admin_page(c);
        if (p != NULL)
            return p;
    }
    return NULL;
}

static void test_admin_flow(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvAdminPage *page;
    GtkWidget *users, *tariffs, *status, *header;
    g_autofree char *backup = g_build_filename(station->dir, "backup.db", NULL);
    g_autofree char *stored = NULL;
    GSettings *settings = kv_application_get_settings(station->app);

    kv_gui_test_sign_in(window, KV_DEMO_ADMIN, KV_DEMO_ADMIN_PASSWORD);
    page = find_admin_page(root);
    users = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Users");
    tariffs = kv_gui_test_find_typed(root, GTK_TYPE_LIST_BOX, "Tariffs");
    status = kv_gui_test_get(root, "Backup status");
    header = kv_gui_test_find_typed(root, ADW_TYPE_ENTRY_ROW, "Header lines");

    gtk_widget_activate_action(root, "win.page", "s", "admin");
    g_assert_true(kv_gui_test_wait(has_rows, users, 10000));
    g_assert_true(kv_gui_test_wait(has_rows, tariffs, 10000));
    g_assert_cmpuint(count_rows(users), ==, 3); /* admin, ama, kofi */
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

int main(int argc, char *argv[])
{
    int status;

    kv_gui_test_init(&argc, &argv);
    station = kv_gui_test_station_new();
    g_test_add_func("/admin/flow", test_admin_flow);
    status = g_test_run();
    kv_gui_test_station_free(station);
    return status;
}
