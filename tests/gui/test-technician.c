/* test-technician.c - the Technician screen's gates and the link to the
 * head office, in-process: a cashier has no Technician screen; a supervisor
 * has one, with the key-change card disabled with the reason (an admin's);
 * the provisioning block is written; a ledger whose sync state says offline
 * shows "Offline since HH:MM" and records waiting in the header bar, and
 * the admin's key-change card is disabled with the link's reason before
 * anything is submitted, as is a new customer (made at head office). */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "kv-demo.h"
#include "kv-gui-test.h"
#include "kv-link-state.h"
#include "kv-technician-page.h"

static KvGuiStation *station;

static void select_card(GtkWidget *root, guint index)
{
    adw_combo_row_set_selected(ADW_COMBO_ROW(kv_gui_test_get_id(root, "type_row")), index);
}

static GtkWidget *write_button(GtkWidget *root)
{
    return kv_gui_test_find_typed(root, GTK_TYPE_BUTTON, "Write engineering card");
}

static void sign_out(KvWindow *window)
{
    gtk_widget_activate_action(GTK_WIDGET(window), "win.sign-out", NULL);
    kv_gui_test_spin(200);
    g_assert_cmpstr(kv_window_get_mode(window), ==, "signin");
}

/* The ledger's sync state as the sync process leaves it after an hour
 * without the head office: joined, the last success and the first failure
 * an hour ago. */
static gint64 make_offline(void)
{
    sqlite3 *db = NULL;
    gint64 since = g_get_real_time() / G_USEC_PER_SEC - 3600;
    g_autofree char *sql = g_strdup_printf(
        "UPDATE sync_state SET joined_at = %" G_GINT64_FORMAT " - 86400, "
        "last_success_at = %" G_GINT64_FORMAT ", offline_since = %" G_GINT64_FORMAT ", "
        "last_attempt_at = %" G_GINT64_FORMAT " + 3500, last_error = 'connection refused'",
        since, since, since, since);

    g_assert_cmpint(sqlite3_open(station->db, &db), ==, SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close(db);
    return since;
}

static gboolean link_offline(gpointer data)
{
    return kv_link_state_get_mode(data) == KV_LINK_OFFLINE;
}

static void test_technician_gates(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvLinkState *link = KV_LINK_STATE(kv_gui_test_find_type(root, KV_TYPE_LINK_STATE));
    KvTechnicianPage *page = KV_TECHNICIAN_PAGE(kv_gui_test_find_type(root, KV_TYPE_TECHNICIAN_PAGE));
    GtkWidget *gate = kv_gui_test_get_id(root, "gate_label");
    GtkWidget *provision = kv_gui_test_get_id(root, "provision_label");
    g_autofree char *block = g_build_filename(station->dir, "meter.kvp", NULL);
    g_autofree char *at = NULL;
    g_autoptr(GDateTime) since = NULL;
    GStatBuf sb;

    /* A cashier: no Technician screen, not even by its shortcut. */
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    gtk_widget_activate_action(root, "win.page", "s", "technician");
    g_assert_cmpstr(kv_window_get_visible_page(window), !=, "technician");
    /* A single office: the link indicator says nothing. */
    kv_gui_test_spin(300);
    g_assert_cmpint(kv_link_state_get_mode(link), ==, KV_LINK_NONE);
    g_assert_false(gtk_widget_get_visible(GTK_WIDGET(link)));
    sign_out(window);

    /* A supervisor: the screen is there; the key-change card is an admin's,
     * said before anything is submitted. */
    kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    gtk_widget_activate_action(root, "win.page", "s", "technician");
    g_assert_cmpstr(kv_window_get_visible_page(window), ==, "technician");
    select_card(root, 0);
    g_assert_true(gtk_widget_get_sensitive(write_button(root)));
    select_card(root, 3);
    g_assert_false(gtk_widget_get_sensitive(write_button(root)));
    g_assert_nonnull(strstr(kv_gui_test_text(gate), "Only an admin issues key-change cards"));

    /* Provisioning: the block is written, readable by this account only. */
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Meter number to provision")),
                          "100000017");
    kv_technician_page_provision_to(page, block);
    g_assert_true(kv_gui_test_wait_text(provision, "Provisioning block written", 20000));
    g_assert_cmpint(g_stat(block, &sb), ==, 0);
    g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
    /* Never overwritten. */
    kv_technician_page_provision_to(page, block);
    g_assert_true(kv_gui_test_wait_text(provision, "No provisioning block was written", 20000));
    sign_out(window);

    /* The ledger says offline: the indicator says since when and what
     * waits, and an admin's key-change card is refused with that reason. */
    since = g_date_time_new_from_unix_local(make_offline());
    at = g_date_time_format(since, "%H:%M");
    kv_gui_test_sign_in(window, KV_DEMO_ADMIN, KV_DEMO_ADMIN_PASSWORD);
    kv_link_state_refresh(link);
    g_assert_true(kv_gui_test_wait(link_offline, link, 20000));
    g_assert_true(gtk_widget_get_visible(GTK_WIDGET(link)));
    if (g_date_time_get_day_of_year(since) ==
        g_date_time_get_day_of_year(g_date_time_new_now_local()))
        g_assert_nonnull(strstr(kv_link_state_get_text(link), at));
    g_assert_true(g_str_has_prefix(kv_link_state_get_text(link), "Offline since "));
    g_assert_nonnull(strstr(kv_link_state_get_text(link), "records waiting"));
    g_assert_nonnull(strstr(kv_link_state_get_details(link), "key-change cards"));
    gtk_widget_activate_action(root, "win.page", "s", "technician");
    select_card(root, 0);
    g_assert_true(gtk_widget_get_sensitive(write_button(root)));
    select_card(root, 3);
    g_assert_false(gtk_widget_get_sensitive(write_button(root)));
    g_assert_nonnull(strstr(kv_gui_test_text(gate),
                            "A key-change card needs the head office, and this station is "
                            "offline since"));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "link-offline");

    /* A station with a head office makes no customer or meter of its own:
     * said on the Customers screen, before anything is typed. */
    gtk_widget_activate_action(root, "win.page", "s", "customers");
    g_assert_false(gtk_widget_get_sensitive(
        kv_gui_test_find_typed(root, GTK_TYPE_BUTTON, "New Customer")));
    g_assert_true(gtk_widget_get_visible(
        kv_gui_test_find_label_with(root, "new customers and meters are made there")));
    gtk_window_destroy(GTK_WINDOW(window));
}

KV_GUI_TEST_MAIN(station,
                 {"/technician/gates", test_technician_gates})
