/* test-signin.c - the sign-in page against a real station (demo database):
 * a wrong password is refused with the core's reason, a cashier signs in,
 * the shift needs a supervisor and the key file passphrase, sign out. */
#include "config.h"

#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"

static KvGuiStation *station;

static gboolean label_not_empty(gpointer data)
{
    return *gtk_label_get_label(GTK_LABEL(data)) != '\0';
}

static gboolean shift_closed(gpointer data)
{
    return !kv_session_get_shift_open(data);
}

typedef struct {
    const char *heading;
    AdwMessageDialog *found;
} DialogWait;

static gboolean dialog_shown(gpointer data)
{
    DialogWait *w = data;
    g_autoptr(GList) windows = gtk_window_list_toplevels();

    for (GList *l = windows; l != NULL; l = l->next)
        if (ADW_IS_MESSAGE_DIALOG(l->data) &&
            g_strcmp0(adw_message_dialog_get_heading(l->data), w->heading) == 0)
            w->found = l->data;
    return w->found != NULL;
}

static AdwMessageDialog *find_dialog(const char *heading)
{
    DialogWait w = {heading, NULL};

    g_assert_true(kv_gui_test_wait(dialog_shown, &w, 20000));
    return w.found;
}

static gboolean in_mode_station(gpointer data)
{
    return g_strcmp0(kv_window_get_mode(data), "station") == 0;
}

static gboolean signed_in(gpointer data)
{
    return kv_session_get_signed_in(data);
}

static void test_signin_flow(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *user = kv_gui_test_get(root, "User name");
    GtkWidget *password = kv_gui_test_get(root, "Password");
    GtkWidget *error = kv_gui_test_get(root, "Sign-in error");
    GtkWidget *shift_error = kv_gui_test_get(root, "Shift error");

    /* Empty fields: said at once, nothing asked of the core. */
    gtk_widget_activate_action(kv_gui_test_get(root, "Sign In"), "signin.sign-in", NULL);
    g_assert_cmpstr(kv_gui_test_text(error), ==, "Type your user name.");

    /* Wrong password: the core's refusal, with the tries left. */
    gtk_editable_set_text(GTK_EDITABLE(user), KV_DEMO_CASHIER);
    gtk_editable_set_text(GTK_EDITABLE(password), "wrong");
    gtk_widget_activate_action(kv_gui_test_get(root, "Sign In"), "signin.sign-in", NULL);
    g_assert_true(kv_gui_test_wait_text(error, "tries left", 20000));
    g_assert_false(kv_session_get_signed_in(station->session));
    /* The password is not kept in the field after a try. */
    g_assert_cmpstr(kv_gui_test_text(password), ==, "");
    kv_gui_test_screenshot(root, "signin-wrong-password");

    /* Right password: signed in, but no shift yet. */
    gtk_editable_set_text(GTK_EDITABLE(password), KV_DEMO_CASHIER_PASSWORD);
    gtk_widget_activate_action(kv_gui_test_get(root, "Sign In"), "signin.sign-in", NULL);
    g_assert_true(kv_gui_test_wait(signed_in, station->session, 20000));
    g_assert_cmpstr(kv_window_get_mode(window), ==, "signin");
    g_assert_cmpint(kv_session_get_role(station->session), ==, KV_ROLE_CASHIER);

    /* A supervisor with the wrong passphrase: refused, still no shift. */
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Supervisor user name")),
                          KV_DEMO_SUPERVISOR);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Supervisor password")),
                          KV_DEMO_SUPERVISOR_PASSWORD);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Key file passphrase")),
                          "not the passphrase");
    gtk_widget_activate_action(kv_gui_test_get(root, "Open Shift"), "signin.open-shift", NULL);
    g_assert_true(kv_gui_test_wait(label_not_empty, shift_error, 20000));
    g_test_message("refused: %s", kv_gui_test_text(shift_error));
    g_assert_false(kv_session_get_shift_open(station->session));
    g_assert_false(kv_session_get_keys_unlocked(station->session));
    kv_gui_test_screenshot(root, "signin-open-shift-refused");

    /* The passphrase right, the supervisor's password wrong: the same
     * answer (the core's kv_station_unlock_keys), one try fewer left. */
    {
        g_autofree char *wrong_pass = g_strdup(kv_gui_test_text(shift_error));
        char *n = strstr(wrong_pass, "(4 tries left");
        g_assert_nonnull(n);
        gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Supervisor password")),
                              "not the password");
        gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Key file passphrase")),
                              KV_DEMO_PASSPHRASE);
        gtk_label_set_label(GTK_LABEL(shift_error), "");
        gtk_widget_activate_action(kv_gui_test_get(root, "Open Shift"), "signin.open-shift",
                                   NULL);
        g_assert_true(kv_gui_test_wait(label_not_empty, shift_error, 20000));
        n[1] = '3';
        g_assert_cmpstr(kv_gui_test_text(shift_error), ==, wrong_pass);
        g_assert_false(kv_session_get_keys_unlocked(station->session));
    }

    /* The cashier cannot open their own shift: a supervisor must sign. */
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Supervisor user name")),
                          KV_DEMO_CASHIER);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Supervisor password")),
                          KV_DEMO_CASHIER_PASSWORD);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Key file passphrase")),
                          KV_DEMO_PASSPHRASE);
    gtk_label_set_label(GTK_LABEL(shift_error), "");
    gtk_widget_activate_action(kv_gui_test_get(root, "Open Shift"), "signin.open-shift", NULL);
    g_assert_true(kv_gui_test_wait(label_not_empty, shift_error, 20000));
    g_test_message("refused: %s", kv_gui_test_text(shift_error));
    g_assert_false(kv_session_get_shift_open(station->session));

    /* The supervisor, with the right passphrase. */
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Supervisor user name")),
                          KV_DEMO_SUPERVISOR);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Supervisor password")),
                          KV_DEMO_SUPERVISOR_PASSWORD);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Key file passphrase")),
                          KV_DEMO_PASSPHRASE);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Opening cash float")), "150,50");
    gtk_widget_activate_action(kv_gui_test_get(root, "Open Shift"), "signin.open-shift", NULL);
    g_assert_true(kv_gui_test_wait(in_mode_station, window, 20000));
    g_assert_true(kv_session_get_keys_unlocked(station->session));
    g_assert_cmpstr(kv_window_get_visible_page(window), ==, "sell");
    kv_gui_test_screenshot(root, "sell-no-card");

    /* Sign out: back to the credentials, the shift stays open. */
    gtk_widget_activate_action(root, "win.sign-out", NULL);
    g_assert_cmpstr(kv_window_get_mode(window), ==, "signin");
    g_assert_false(kv_session_get_signed_in(station->session));

    /* Signing in again goes straight to the station. */
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    g_assert_cmpstr(kv_window_get_mode(window), ==, "station");

    /* Close the shift: the cash counted, then the Z report; the keys are
     * locked again and the next sign-in needs a supervisor. */
    gtk_widget_activate_action(root, "win.close-shift", NULL);
    {
        AdwMessageDialog *ask = find_dialog("Close the Shift?");
        GtkWidget *counted = adw_message_dialog_get_extra_child(ask);
        AdwMessageDialog *done;

        gtk_editable_set_text(GTK_EDITABLE(counted), "150,50");
        adw_message_dialog_response(ask, "close-shift");
        g_assert_true(kv_gui_test_wait(shift_closed, station->session, 20000));
        done = find_dialog("Shift Closed");
        g_test_message("%s", adw_message_dialog_get_body(done));
        g_assert_nonnull(strstr(adw_message_dialog_get_body(done), "Shift report"));
        g_assert_nonnull(strstr(adw_message_dialog_get_body(done), "150.50"));
        gtk_window_destroy(GTK_WINDOW(done));
    }
    g_assert_false(kv_session_get_keys_unlocked(station->session));
    g_assert_cmpstr(kv_window_get_mode(window), ==, "signin");
    gtk_window_destroy(GTK_WINDOW(window));
}

int main(int argc, char *argv[])
{
    int status;

    kv_gui_test_init(&argc, &argv);
    station = kv_gui_test_station_new();
    g_test_add_func("/signin/flow", test_signin_flow);
    status = g_test_run();
    kv_gui_test_station_free(station);
    return status;
}
