/* test-signin-token.c - the sign-in page on a station whose master keys are
 * in a PKCS#11 token (SoftHSM2, its configuration and token folder in the
 * test's own folder): the shift page asks for the token's PIN, a wrong PIN
 * is refused as a wrong PIN and not counted against the supervisor, the
 * right one unlocks the keys and opens the shift (docs/keys.md, "Unlocking
 * and the PIN"). */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"

#define PIN "482613"

static KvGuiStation *station;

static gboolean label_not_empty(gpointer data)
{
    return *gtk_label_get_label(GTK_LABEL(data)) != '\0';
}

static gboolean in_mode_station(gpointer data)
{
    return g_strcmp0(kv_window_get_mode(data), "station") == 0;
}

/* The demo's key file moved into a new SoftHSM2 token by its admin. */
static void keys_into_token(void)
{
    g_autofree char *hsm = g_build_filename(station->dir, "hsm", NULL);
    g_autofree char *tokens = g_build_filename(hsm, "tokens", NULL);
    g_autofree char *conf = g_build_filename(hsm, "softhsm2.conf", NULL);
    g_autofree char *text = g_strdup_printf("directories.tokendir = %s\nobjectstore.backend = file\n"
                                            "log.level = ERROR\n", tokens);
    const char *init[] = { "softhsm2-util", "--init-token", "--free", "--label", "gui", "--pin",
                           PIN, "--so-pin", "87654321", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) ledger = NULL;
    int status = -1;

    g_assert_cmpint(g_mkdir_with_parents(tokens, 0700), ==, 0);
    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    g_setenv("SOFTHSM2_CONF", conf, TRUE);
    g_assert_true(g_spawn_sync(NULL, (char **)init, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, NULL, &status, &error));
    g_assert_no_error(error);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    ledger = kv_gui_test_station_open_ledger(station);
    g_assert_true(kv_station_unlock_keys(ledger, KV_DEMO_PASSPHRASE, NULL, NULL, &error));
    g_assert_no_error(error);
    g_assert_true(kv_station_keys_migrate(ledger, KV_DEMO_PASSPHRASE, g_getenv("KV_PKCS11_MODULE"),
                                          "gui", NULL, PIN, &error));
    g_assert_no_error(error);
    g_assert_true(kv_keystore_path_is_token(station->keys));
}

static void fill_shift(GtkWidget *root, const char *pin)
{
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Supervisor user name")),
                          KV_DEMO_SUPERVISOR);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Supervisor password")),
                          KV_DEMO_SUPERVISOR_PASSWORD);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Token PIN")), pin);
    g_assert_true(gtk_widget_activate_action(kv_gui_test_get(root, "Open Shift"),
                                             "signin.open-shift", NULL));
}

static void test_token_pin(void)
{
    KvWindow *window;
    GtkWidget *root, *shift_error, *pin;
    g_autoptr(KvStation) ledger = NULL;
    g_autofree char *placeholder = NULL;

    keys_into_token();
    window = kv_gui_test_window_new(station);
    root = GTK_WIDGET(window);
    shift_error = kv_gui_test_get(root, "Shift error");
    kv_gui_test_sign_in_only(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);

    /* The shift page asks for the token's PIN, not a key file passphrase. */
    pin = kv_gui_test_get(root, "Token PIN");
    g_object_get(pin, "placeholder-text", &placeholder, NULL);
    g_assert_cmpstr(placeholder, ==, "Token PIN");
    g_assert_null(kv_gui_test_find_by_label(root, "Key file passphrase"));

    /* Empty: said at once. */
    fill_shift(root, "");
    g_assert_cmpstr(kv_gui_test_text(shift_error), ==,
                    "Type the token's PIN: sales need the station's keys.");

    /* A wrong PIN: the token refuses it; the supervisor's account is not
     * charged with it. */
    gtk_label_set_label(GTK_LABEL(shift_error), "");
    fill_shift(root, "000000");
    g_assert_true(kv_gui_test_wait(label_not_empty, shift_error, 20000));
    g_test_message("refused: %s", kv_gui_test_text(shift_error));
    g_assert_nonnull(strstr(kv_gui_test_text(shift_error), "PIN"));
    g_assert_false(kv_session_get_keys_unlocked(station->session));
    g_assert_false(kv_session_get_shift_open(station->session));
    ledger = kv_gui_test_station_open_ledger(station);
    {
        g_autoptr(GPtrArray) users = kv_user_list(ledger, NULL);
        g_assert_nonnull(users);
        for (guint i = 0; i < users->len; i++) {
            const KvUser *u = users->pdata[i];
            if (strcmp(u->login, KV_DEMO_SUPERVISOR) == 0)
                g_assert_cmpint(u->failed_logins, ==, 0);
        }
    }

    /* The right PIN: keys unlocked from the token, the shift open. */
    fill_shift(root, PIN);
    g_assert_true(kv_gui_test_wait(in_mode_station, window, 20000));
    g_assert_true(kv_session_get_keys_unlocked(station->session));
    g_assert_true(kv_session_get_shift_open(station->session));
    kv_gui_test_screenshot(root, "signin-token-unlocked");
}

int main(int argc, char *argv[])
{
    static const KvGuiTestCase cases[] = {
        {"/signin/token-pin", test_token_pin},
        {NULL, NULL},
    };

    return kv_gui_test_main(&argc, &argv, &station, cases);
}
