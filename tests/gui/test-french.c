/* test-french.c - the app in French: the compiled fr translation of the
 * build tree is loaded, the sign-in page and the menus speak French, and
 * a French cashier may type a decimal comma. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "kv-gui-test.h"
#include "kv-meter-dialog.h"

static KvGuiStation *station;

static void test_french_signin(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *button = kv_gui_test_find_typed(GTK_WIDGET(window), GTK_TYPE_BUTTON, "Connexion");
    gint64 v = 0;

    g_assert_nonnull(button);
    g_assert_cmpstr(gtk_button_get_label(GTK_BUTTON(button)), ==, "_Se connecter");
    g_assert_cmpstr(gtk_window_get_title(GTK_WINDOW(window)), ==, "Kilovend");
    g_assert_cmpstr(_("Sale on Hold"), ==, "Vente en attente");
    g_assert_true(kv_session_parse_money(station->session, "12,50", &v, NULL));
    g_assert_cmpint(v, ==, 1250);
    gtk_test_widget_wait_for_draw(GTK_WIDGET(window));
    kv_gui_test_screenshot(GTK_WIDGET(window), "window-signin-fr");
    gtk_window_destroy(GTK_WINDOW(window));
}

/* The meter window in French, every level with the decimal comma, as the
 * amounts of the rest of the app. */
static void test_french_meter_dialog(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    g_autoptr(KvStation) st = kv_gui_test_station_open_ledger(station);
    g_autoptr(KvMeter) meter = kv_meter_get(st, 100000025, NULL);
    g_autofree char *kwh = kv_session_format_energy(123456);
    g_autofree char *money = kv_session_format_money(station->session, 1250);
    KvMeterDialog *dialog;
    static const char *const levels[] = {"alarm_row", "pretrip_row", "hoarding_row"};

    g_assert_nonnull(meter);
    g_assert_cmpstr(kwh, ==, "1234,56 kWh");
    g_assert_nonnull(strstr(money, "12,50"));
    dialog = kv_meter_dialog_new(GTK_WINDOW(window), station->session, meter->customer_id, meter);
    gtk_window_present(GTK_WINDOW(dialog));
    gtk_test_widget_wait_for_draw(GTK_WIDGET(dialog));
    g_assert_cmpstr(gtk_window_get_title(GTK_WINDOW(dialog)), ==, "Compteur 100000025");
    for (guint i = 0; i < G_N_ELEMENTS(levels); i++) {
        const char *text = kv_gui_test_text(kv_gui_test_get_id(GTK_WIDGET(dialog), levels[i]));

        g_assert_nonnull(strchr(text, ','));
        g_assert_null(strchr(text, '.'));
    }
    g_assert_nonnull(strstr(adw_preferences_group_get_description(ADW_PREFERENCES_GROUP(
                                kv_gui_test_get_id(GTK_WIDGET(dialog), "levels_group"))),
                            "écran Technicien"));
    kv_gui_test_screenshot(GTK_WIDGET(dialog), "meter-dialog-fr");
    gtk_window_destroy(GTK_WINDOW(dialog));
    gtk_window_destroy(GTK_WINDOW(window));
}

int main(int argc, char *argv[])
{
    g_autofree char *locales = g_dir_make_tmp("kv-locale-XXXXXX", NULL);
    int status;

    /* A French locale of our own (the machine may have none generated), for
     * the whole program. */
    g_assert_true(kv_gui_test_use_locale(locales, "fr_FR"));
    bindtextdomain(GETTEXT_PACKAGE, g_getenv("KILOVEND_LOCALEDIR"));
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);
    kv_gui_test_init(&argc, &argv);
    station = kv_gui_test_station_new();
    g_test_add_func("/french/signin", test_french_signin);
    g_test_add_func("/french/meter-dialog", test_french_meter_dialog);
    status = g_test_run();
    kv_gui_test_station_free(station);
    kv_gui_test_remove_tree(locales); /* our own temporary locale folder */
    return status;
}
