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

static AdwMessageDialog *find_dialog(const char *heading)
{
    return kv_gui_test_wait_dialog(heading);
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
    kv_gui_test_fill_shift(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD,
                           "not the passphrase");
    g_assert_true(kv_gui_test_wait(label_not_empty, shift_error, 20000));
    g_test_message("refused: %s", kv_gui_test_text(shift_error));
    g_assert_false(kv_session_get_shift_open(station->session));
    g_assert_false(kv_session_get_keys_unlocked(station->session));
    /* The focus is where to type again. */
    g_assert_true(kv_gui_test_has_focus(kv_gui_test_get(root, "Key file passphrase")));
    g_assert_true(g_unichar_isupper(g_utf8_get_char(kv_gui_test_text(shift_error))));
    kv_gui_test_screenshot(root, "signin-open-shift-refused");

    /* The passphrase right, the supervisor's password wrong: the same
     * answer (the core's kv_station_unlock_keys), one try fewer left. */
    {
        g_autofree char *wrong_pass = g_strdup(kv_gui_test_text(shift_error));
        char *n = strstr(wrong_pass, "(4 tries left");
        g_assert_nonnull(n);
        gtk_label_set_label(GTK_LABEL(shift_error), "");
        kv_gui_test_fill_shift(window, KV_DEMO_SUPERVISOR, "not the password",
                               KV_DEMO_PASSPHRASE);
        g_assert_true(kv_gui_test_wait(label_not_empty, shift_error, 20000));
        n[1] = '3';
        g_assert_cmpstr(kv_gui_test_text(shift_error), ==, wrong_pass);
        g_assert_false(kv_session_get_keys_unlocked(station->session));
    }

    /* The cashier cannot open their own shift: a supervisor must sign. */
    gtk_label_set_label(GTK_LABEL(shift_error), "");
    kv_gui_test_fill_shift(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD,
                           KV_DEMO_PASSPHRASE);
    g_assert_true(kv_gui_test_wait(label_not_empty, shift_error, 20000));
    g_test_message("refused: %s", kv_gui_test_text(shift_error));
    g_assert_false(kv_session_get_shift_open(station->session));

    /* The supervisor, with the right passphrase. */
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Opening cash float")), "150,50");
    kv_gui_test_fill_shift(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD,
                           KV_DEMO_PASSPHRASE);
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

/* Close the shift from the window with the cash counted. */
static void close_shift(KvWindow *window, const char *counted)
{
    AdwMessageDialog *ask, *done;

    gtk_widget_activate_action(GTK_WIDGET(window), "win.close-shift", NULL);
    ask = find_dialog("Close the Shift?");
    gtk_editable_set_text(GTK_EDITABLE(adw_message_dialog_get_extra_child(ask)), counted);
    kv_gui_test_respond(ask, "close-shift");
    g_assert_true(kv_gui_test_wait(shift_closed, station->session, 20000));
    done = find_dialog("Shift Closed");
    gtk_window_destroy(GTK_WINDOW(done));
}

static gboolean on_shift_page(gpointer data)
{
    return g_strcmp0(kv_window_get_mode(data), "signin") == 0 &&
           kv_session_get_signed_in(kv_window_get_session(data));
}

/* A window with the keys unlocked once a day (the station's setting). */
static KvWindow *window_with_keys_policy(const char *policy)
{
    g_settings_set_string(kv_application_get_settings(station->app), "keys-unlock", policy);
    if (kv_session_get_signed_in(station->session))
        kv_session_sign_out(station->session);
    return kv_gui_test_window_new(station);
}

/* That window, signed in up to the shift page. */
static KvWindow *shift_page_for(const char *policy, const char *user, const char *password)
{
    KvWindow *window = window_with_keys_policy(policy);

    kv_gui_test_sign_in_only(window, user, password);
    g_assert_true(kv_gui_test_wait(on_shift_page, window, 5000));
    return window;
}

/* Keys unlocked for the day: a cashier's break (sign out, another person
 * signs in and out) locks nothing; the shift closed, the keys stay and the
 * next shift needs a supervisor's password, not the passphrase: the page
 * says so.  The attack: with the keys open, a wrong supervisor password or
 * a cashier's own credentials do not open a shift (before, any name and
 * password did, the unlock being skipped). */
static void test_keys_per_day(void)
{
    KvWindow *window = shift_page_for("day", KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *shift_error = kv_gui_test_get(root, "Shift error");
    GtkWidget *passphrase = kv_gui_test_get(root, "Key file passphrase");
    GtkWidget *status = kv_gui_test_get_id(root, "shift_status");

    if (!kv_session_get_keys_unlocked(station->session)) {
        g_assert_true(gtk_widget_get_visible(passphrase));
        g_assert_nonnull(strstr(adw_status_page_get_description(ADW_STATUS_PAGE(status)),
                                "for the rest of the day"));
        kv_gui_test_fill_shift(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD,
                               KV_DEMO_PASSPHRASE);
        g_assert_true(kv_gui_test_wait(in_mode_station, window, 20000));
    }
    g_assert_true(kv_session_get_keys_unlocked(station->session));

    /* A break: the supervisor signs in meanwhile, and out. */
    gtk_widget_activate_action(root, "win.sign-out", NULL);
    kv_gui_test_sign_in_only(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    gtk_widget_activate_action(root, "win.sign-out", NULL);
    /* The cashier is back: straight to the station, the keys still open. */
    kv_gui_test_sign_in_only(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    g_assert_true(kv_gui_test_wait(in_mode_station, window, 20000));
    g_assert_true(kv_session_get_keys_unlocked(station->session));

    /* The shift closed: the keys stay unlocked for the day. */
    close_shift(window, "150,50");
    g_assert_true(kv_session_get_keys_unlocked(station->session));
    g_assert_true(kv_gui_test_wait(on_shift_page, window, 5000));
    g_assert_false(gtk_widget_get_visible(passphrase));
    g_test_message("%s", adw_status_page_get_description(ADW_STATUS_PAGE(status)));
    g_assert_nonnull(strstr(adw_status_page_get_description(ADW_STATUS_PAGE(status)),
                            "no passphrase is needed"));

    /* The attack: a wrong supervisor password, then a cashier's own. */
    kv_gui_test_fill_shift(window, KV_DEMO_SUPERVISOR, "not the password", NULL);
    g_assert_true(kv_gui_test_wait(label_not_empty, shift_error, 20000));
    g_test_message("refused: %s", kv_gui_test_text(shift_error));
    g_assert_false(kv_session_get_shift_open(station->session));
    g_assert_true(kv_gui_test_has_focus(kv_gui_test_get(root, "Supervisor password")));
    gtk_label_set_label(GTK_LABEL(shift_error), "");
    kv_gui_test_fill_shift(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD, NULL);
    g_assert_true(kv_gui_test_wait(label_not_empty, shift_error, 20000));
    g_test_message("refused: %s", kv_gui_test_text(shift_error));
    g_assert_nonnull(strstr(kv_gui_test_text(shift_error), "supervisor"));
    g_assert_false(kv_session_get_shift_open(station->session));

    /* The supervisor's password alone opens the next shift. */
    kv_gui_test_fill_shift(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD, NULL);
    g_assert_true(kv_gui_test_wait(in_mode_station, window, 20000));
    close_shift(window, "0");
    gtk_window_destroy(GTK_WINDOW(window));
}

/* Per shift (the default): the keys lock when the shift closes. */
static void test_keys_per_shift(void)
{
    KvWindow *window = window_with_keys_policy("shift");
    GtkWidget *status = kv_gui_test_get_id(GTK_WIDGET(window), "shift_status");

    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    close_shift(window, "0");
    g_assert_false(kv_session_get_keys_unlocked(station->session));
    g_assert_true(kv_gui_test_wait(on_shift_page, window, 5000));
    g_assert_true(gtk_widget_get_visible(kv_gui_test_get(GTK_WIDGET(window),
                                                         "Key file passphrase")));
    g_assert_nonnull(strstr(adw_status_page_get_description(ADW_STATUS_PAGE(status)),
                            "for this shift only"));
    gtk_window_destroy(GTK_WINDOW(window));
}

static gboolean page_shown(KvWindow *window, const char *name)
{
    AdwViewStack *stack = ADW_VIEW_STACK(kv_gui_test_get_id(GTK_WIDGET(window), "view_stack"));

    return adw_view_stack_page_get_visible(
        adw_view_stack_get_page(stack, adw_view_stack_get_child_by_name(stack, name)));
}

/* An admin reaches Reports and Administration without a cash shift; the
 * screens they may not use then (Sell, Cards) are not there.  A cashier is
 * not offered that way and never sees Administration. */
static void test_admin_without_shift(void)
{
    KvWindow *window = shift_page_for("shift", KV_DEMO_ADMIN, KV_DEMO_ADMIN_PASSWORD);
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *without = kv_gui_test_get(root, "Continue without a shift");

    g_assert_true(gtk_widget_get_visible(without));
    gtk_widget_activate_action(without, "win.without-shift", NULL);
    g_assert_cmpstr(kv_window_get_mode(window), ==, "station");
    g_assert_cmpstr(kv_window_get_visible_page(window), ==, "reports");
    g_assert_false(page_shown(window, "sell"));
    g_assert_false(page_shown(window, "cards"));
    g_assert_true(page_shown(window, "admin"));
    g_assert_true(page_shown(window, "reports"));
    kv_window_show_page(window, "admin");
    g_assert_cmpstr(kv_window_get_visible_page(window), ==, "admin");
    /* Alt+1 (Sell) does not open a screen that is not there. */
    gtk_widget_activate_action(root, "win.page", "s", "sell");
    g_assert_cmpstr(kv_window_get_visible_page(window), ==, "admin");
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "admin-without-shift");

    /* The next person, a cashier: no such way, no Administration. */
    gtk_widget_activate_action(root, "win.sign-out", NULL);
    kv_gui_test_sign_in_only(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    g_assert_true(kv_gui_test_wait(on_shift_page, window, 5000));
    g_assert_false(gtk_widget_get_visible(without));
    gtk_widget_activate_action(root, "win.without-shift", NULL);
    g_assert_cmpstr(kv_window_get_mode(window), ==, "signin");
    kv_gui_test_fill_shift(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD,
                           KV_DEMO_PASSPHRASE);
    g_assert_true(kv_gui_test_wait(in_mode_station, window, 20000));
    g_assert_true(page_shown(window, "sell"));
    g_assert_false(page_shown(window, "admin"));
    gtk_widget_activate_action(root, "win.page", "s", "admin");
    g_assert_cmpstr(kv_window_get_visible_page(window), ==, "sell");
    close_shift(window, "0");
    gtk_window_destroy(GTK_WINDOW(window));
}

/* Nothing of the last person stays for the next: the supervisor's Z
 * report answer and shift error are gone when the cashier signs in; the
 * cashier's report view says what it covers. */
static void test_next_user_sees_nothing(void)
{
    KvWindow *window =
        shift_page_for("shift", KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *z = kv_gui_test_get_id(root, "z_report_label");
    GtkWidget *summary = kv_gui_test_get_id(root, "sales_summary_label");
    GtkWidget *shift_error = kv_gui_test_get(root, "Shift error");

    kv_gui_test_fill_shift(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD, "wrong");
    g_assert_true(kv_gui_test_wait(label_not_empty, shift_error, 20000));
    gtk_widget_activate_action(root, "win.without-shift", NULL);
    gtk_widget_activate_action(z, "reports.z-report", NULL);
    g_assert_true(kv_gui_test_wait(label_not_empty, z, 20000));
    g_assert_true(gtk_widget_get_visible(z));

    gtk_widget_activate_action(root, "win.sign-out", NULL);
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    g_assert_cmpstr(kv_gui_test_text(z), ==, "");
    g_assert_false(gtk_widget_get_visible(z));
    g_assert_cmpstr(kv_gui_test_text(shift_error), ==, "");
    kv_window_show_page(window, "reports");
    g_assert_true(kv_gui_test_wait_text(summary, "a supervisor sees them", 5000));
    close_shift(window, "0");
    gtk_window_destroy(GTK_WINDOW(window));
}

static gboolean window_gone(gpointer data)
{
    return *(gpointer *)data == NULL;
}

/* Quitting with a shift open asks first; Stay keeps the window. */
static void test_quit_asks(void)
{
    KvWindow *window = window_with_keys_policy("shift");
    gpointer alive = window;
    AdwMessageDialog *ask;

    g_object_add_weak_pointer(G_OBJECT(window), &alive);
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    gtk_window_close(GTK_WINDOW(window));
    ask = find_dialog("Quit With the Shift Open?");
    kv_gui_test_respond(ask, "stay");
    kv_gui_test_spin(100);
    g_assert_nonnull(alive);
    g_assert_true(gtk_widget_get_visible(GTK_WIDGET(window)));

    gtk_window_close(GTK_WINDOW(window));
    ask = find_dialog("Quit With the Shift Open?");
    adw_message_dialog_response(ask, "quit");
    g_assert_true(kv_gui_test_wait(window_gone, &alive, 5000));
    /* The shift stays open: quitting is not closing it. */
    g_assert_true(kv_session_get_shift_open(station->session));
}

int main(int argc, char *argv[])
{
    static const KvGuiTestCase cases[] = {
        {"/signin/flow", test_signin_flow},
        {"/signin/keys-per-day", test_keys_per_day},
        {"/signin/keys-per-shift", test_keys_per_shift},
        {"/signin/admin-without-shift", test_admin_without_shift},
        {"/signin/next-user-sees-nothing", test_next_user_sees_nothing},
        {"/signin/quit-asks-with-shift-open", test_quit_asks},
        {NULL, NULL},
    };

    return kv_gui_test_main(&argc, &argv, &station, cases);
}
