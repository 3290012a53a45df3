/* kv-signin-page.c - sign in, open a shift, close it.
 *
 * The checks (password hashes, lockout, roles, the key file) are the core's;
 * this page collects what they need, runs them off the main thread (scrypt
 * takes a noticeable moment) and says plainly what went wrong. */
#define G_LOG_DOMAIN "kv-signin-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-widget-util.h"

#include "kv-demo.h"
#include "kv-report-view.h"
#include "kv-signin-page.h"

struct _KvSigninPage {
    GtkWidget parent_instance;

    KvSession *session;
    GCancellable *cancellable;
    gboolean busy;

    /* Template children */
    GtkStack *stack;
    GtkEntry *username_entry;
    GtkPasswordEntry *password_entry;
    GtkLabel *error_label;
    GtkButton *signin_button;
    GtkEntry *supervisor_entry;
    GtkPasswordEntry *supervisor_password_entry;
    GtkPasswordEntry *passphrase_entry;
    GtkEntry *float_entry;
    GtkLabel *shift_error_label;
    GtkButton *open_shift_button;
    GtkButton *without_shift_button;
    GtkSpinner *spinner;
    GtkLabel *busy_label;
    GtkLabel *demo_label;
    AdwStatusPage *problem_page;
    AdwStatusPage *shift_status;
    gboolean problem;
};

G_DEFINE_FINAL_TYPE(KvSigninPage, kv_signin_page, GTK_TYPE_WIDGET)

static void update_actions(KvSigninPage *self)
{
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "signin.sign-in", !self->busy);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "signin.open-shift", !self->busy);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "signin.cancel", !self->busy);
}

static void set_busy(KvSigninPage *self, const char *what, const char *back_to)
{
    self->busy = what != NULL;
    gtk_spinner_set_spinning(self->spinner, self->busy);
    if (self->busy) {
        gtk_label_set_label(self->busy_label, what);
        gtk_stack_set_visible_child_name(self->stack, "busy");
    } else if (back_to != NULL) {
        gtk_stack_set_visible_child_name(self->stack, back_to);
    }
    update_actions(self);
}

static void show_error(GtkLabel *label, const char *text)
{
    gtk_label_set_label(label, text != NULL ? text : "");
    kv_widget_reveal(GTK_WIDGET(label), text != NULL);
}

/* Password entries keep their text in non-pageable memory; clear them as soon
 * as the value has been handed over. */
static void clear_secrets(KvSigninPage *self)
{
    gtk_editable_set_text(GTK_EDITABLE(self->password_entry), "");
    gtk_editable_set_text(GTK_EDITABLE(self->supervisor_password_entry), "");
    gtk_editable_set_text(GTK_EDITABLE(self->passphrase_entry), "");
}

static void on_sign_in_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvSigninPage) self = user_data;
    g_autoptr(GError) error = NULL;

    if (!kv_session_sign_in_finish(KV_SESSION(source), result, &error)) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        set_busy(self, NULL, "credentials");
        show_error(self->error_label, error->message);
        gtk_widget_grab_focus(GTK_WIDGET(self->password_entry));
        return;
    }
    /* The window follows the session (shift open or not). */
    set_busy(self, NULL, NULL);
    show_error(self->error_label, NULL);
}

static void kv_signin_page_sign_in(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvSigninPage *self = KV_SIGNIN_PAGE(widget);
    const char *user = gtk_editable_get_text(GTK_EDITABLE(self->username_entry));
    const char *password = gtk_editable_get_text(GTK_EDITABLE(self->password_entry));

    if (self->busy || self->problem || self->session == NULL)
        return;
    if (!kv_session_is_open(self->session)) {
        show_error(self->error_label, _("The station is still opening its database: try "
                                        "again in a moment."));
        return;
    }
    if (*user == '\0') {
        show_error(self->error_label, _("Type your user name."));
        gtk_widget_grab_focus(GTK_WIDGET(self->username_entry));
        return;
    }
    if (*password == '\0') {
        show_error(self->error_label, _("Type your password."));
        gtk_widget_grab_focus(GTK_WIDGET(self->password_entry));
        return;
    }
    set_busy(self, _("Checking the password…"), NULL);
    kv_session_sign_in_async(self->session, user, password, self->cancellable, on_sign_in_cb,
                             g_object_ref(self));
    gtk_editable_set_text(GTK_EDITABLE(self->password_entry), "");
}

static void on_open_shift_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvSigninPage) self = user_data;
    g_autoptr(GError) error = NULL;

    if (!kv_session_open_shift_finish(KV_SESSION(source), result, &error)) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        g_autofree char *sentence = kv_sentence(error->message);

        set_busy(self, NULL, "shift");
        show_error(self->shift_error_label, sentence);
        /* Type again where the mistake is likely: the passphrase when it
         * was asked, else the supervisor's password. */
        gtk_widget_grab_focus(GTK_WIDGET(gtk_widget_get_visible(GTK_WIDGET(self->passphrase_entry))
                                             ? self->passphrase_entry
                                             : self->supervisor_password_entry));
        return;
    }
    set_busy(self, NULL, NULL);
    show_error(self->shift_error_label, NULL);
    gtk_editable_set_text(GTK_EDITABLE(self->float_entry), "");
}

/* The station's keys are in a PKCS#11 token: the secret asked for is the
 * token's PIN (the same entry and core call as the key file passphrase). */
static gboolean keys_in_token(KvSigninPage *self)
{
    return self->session != NULL &&
           kv_keystore_path_is_token(kv_session_get_keys_path(self->session));
}

static void kv_signin_page_open_shift(GtkWidget *widget, const char *action_name,
                                      GVariant *param)
{
    KvSigninPage *self = KV_SIGNIN_PAGE(widget);
    const char *supervisor = gtk_editable_get_text(GTK_EDITABLE(self->supervisor_entry));
    const char *password = gtk_editable_get_text(GTK_EDITABLE(self->supervisor_password_entry));
    const char *passphrase = gtk_editable_get_text(GTK_EDITABLE(self->passphrase_entry));
    const char *float_text = gtk_editable_get_text(GTK_EDITABLE(self->float_entry));
    g_autoptr(GError) error = NULL;
    gint64 float_minor = 0;

    if (self->busy || self->session == NULL)
        return;
    if (*supervisor == '\0' || *password == '\0') {
        show_error(self->shift_error_label,
                   _("A supervisor must type their user name and password to open the shift."));
        return;
    }
    if (*passphrase == '\0' && !kv_session_get_keys_unlocked(self->session)) {
        show_error(self->shift_error_label,
                   keys_in_token(self) ? _("Type the token's PIN: sales need the station's keys.")
                                       : _("Type the key file passphrase: sales need the station's keys."));
        return;
    }
    if (*float_text != '\0' &&
        !kv_session_parse_money(self->session, float_text, &float_minor, &error)) {
        g_autofree char *msg = g_strdup_printf(_("Opening cash float: %s"), error->message);
        show_error(self->shift_error_label, msg);
        return;
    }
    set_busy(self, kv_session_get_keys_unlocked(self->session)
                       ? _("Checking the supervisor's password and opening the shift…")
                       : keys_in_token(self)
                       ? _("Checking the PIN, unlocking the keys and opening the shift…")
                       : _("Checking the passphrase, unlocking the keys and opening the "
                           "shift…"),
             NULL);
    kv_session_open_shift_async(self->session, supervisor, password, passphrase, float_minor,
                                self->cancellable, on_open_shift_cb, g_object_ref(self));
    gtk_editable_set_text(GTK_EDITABLE(self->supervisor_password_entry), "");
    gtk_editable_set_text(GTK_EDITABLE(self->passphrase_entry), "");
}

static void kv_signin_page_cancel(GtkWidget *widget, const char *action_name, GVariant *param)
{
    kv_signin_page_sign_out(KV_SIGNIN_PAGE(widget));
}

static void kv_signin_page_dispose(GObject *object)
{
    KvSigninPage *self = KV_SIGNIN_PAGE(object);

    g_cancellable_cancel(self->cancellable);
    kv_widget_dispose_children(GTK_WIDGET(self), KV_TYPE_SIGNIN_PAGE);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->session);
    G_OBJECT_CLASS(kv_signin_page_parent_class)->dispose(object);
}

static void kv_signin_page_class_init(KvSigninPageClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    kv_widget_class_set_template(widget_class, kv_signin_page_dispose, GTK_TYPE_BIN_LAYOUT,
                                 "kv-signin-page.ui");
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, stack);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, username_entry);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, password_entry);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, error_label);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, signin_button);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, supervisor_entry);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, supervisor_password_entry);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, passphrase_entry);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, float_entry);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, shift_error_label);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, open_shift_button);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, without_shift_button);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, spinner);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, busy_label);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, demo_label);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, problem_page);
    gtk_widget_class_bind_template_child(widget_class, KvSigninPage, shift_status);

    gtk_widget_class_install_action(widget_class, "signin.sign-in", NULL, kv_signin_page_sign_in);
    gtk_widget_class_install_action(widget_class, "signin.open-shift", NULL,
                                    kv_signin_page_open_shift);
    gtk_widget_class_install_action(widget_class, "signin.cancel", NULL, kv_signin_page_cancel);

    gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void on_entry_activate_cb(GtkWidget *entry, KvSigninPage *self)
{
    const char *page = gtk_stack_get_visible_child_name(self->stack);

    if (g_strcmp0(page, "credentials") == 0)
        gtk_widget_activate_action(GTK_WIDGET(self), "signin.sign-in", NULL);
    else if (g_strcmp0(page, "shift") == 0)
        gtk_widget_activate_action(GTK_WIDGET(self), "signin.open-shift", NULL);
}

static void kv_signin_page_init(KvSigninPage *self)
{
    GtkWidget *entries[6];

    gtk_widget_init_template(GTK_WIDGET(self));
    self->cancellable = g_cancellable_new();

    /* Enter in any field submits its form. */
    entries[0] = GTK_WIDGET(self->username_entry);
    entries[1] = GTK_WIDGET(self->password_entry);
    entries[2] = GTK_WIDGET(self->supervisor_entry);
    entries[3] = GTK_WIDGET(self->supervisor_password_entry);
    entries[4] = GTK_WIDGET(self->passphrase_entry);
    entries[5] = GTK_WIDGET(self->float_entry);
    for (guint i = 0; i < G_N_ELEMENTS(entries); i++)
        g_signal_connect(entries[i], "activate", G_CALLBACK(on_entry_activate_cb), self);
}

void kv_signin_page_set_session(KvSigninPage *self, KvSession *session)
{
    g_return_if_fail(KV_IS_SIGNIN_PAGE(self));
    g_set_object(&self->session, session);
}

void kv_signin_page_show_problem(KvSigninPage *self, const char *message)
{
    g_autofree char *text = NULL;

    g_return_if_fail(KV_IS_SIGNIN_PAGE(self));

    self->problem = TRUE;
    text = g_strdup_printf(_("%s\n\nCheck the database and key file paths (--db, --keys, or "
                             "the settings), restore a backup with “kilovendctl restore”, or "
                             "create a station with “kilovendctl init”."),
                           message);
    adw_status_page_set_description(self->problem_page, text);
    set_busy(self, NULL, "problem");
}

void kv_signin_page_set_demo(KvSigninPage *self, gboolean demo)
{
    g_autofree char *text = NULL;

    g_return_if_fail(KV_IS_SIGNIN_PAGE(self));

    text = g_strdup_printf(_("Demonstration station. Cashier: %s / %s. Supervisor (opens the "
                             "shift): %s / %s. Key file passphrase: %s. Administrator: %s / %s."),
                           KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD, KV_DEMO_SUPERVISOR,
                           KV_DEMO_SUPERVISOR_PASSWORD, KV_DEMO_PASSPHRASE, KV_DEMO_ADMIN,
                           KV_DEMO_ADMIN_PASSWORD);
    gtk_label_set_label(self->demo_label, text);
    gtk_widget_set_visible(GTK_WIDGET(self->demo_label), demo);
}

void kv_signin_page_show_credentials(KvSigninPage *self)
{
    g_return_if_fail(KV_IS_SIGNIN_PAGE(self));

    if (self->problem)
        return;
    set_busy(self, NULL, "credentials");
    clear_secrets(self);
    gtk_widget_grab_focus(GTK_WIDGET(*gtk_editable_get_text(GTK_EDITABLE(self->username_entry))
                                         ? (GtkWidget *)self->password_entry
                                         : (GtkWidget *)self->username_entry));
}

void kv_signin_page_show_shift(KvSigninPage *self)
{
    gboolean has_shift, unlocked, per_day;
    const char *what, *secret;
    g_autofree char *title = NULL;

    g_return_if_fail(KV_IS_SIGNIN_PAGE(self));

    if (self->problem)
        return;
    /* A shift left open (the station restarted) only needs the keys. */
    has_shift = self->session != NULL && kv_session_get_has_shift(self->session);
    unlocked = self->session != NULL && kv_session_get_keys_unlocked(self->session);
    per_day = self->session != NULL &&
              kv_session_get_keys_policy(self->session) == KV_KEYS_PER_DAY;
    gtk_widget_set_visible(GTK_WIDGET(self->float_entry), !has_shift);
    /* Keys unlocked already (for the day): a supervisor approves the shift,
     * the passphrase is not asked again. */
    gtk_widget_set_visible(GTK_WIDGET(self->passphrase_entry), !unlocked);
    title = g_strdup_printf(has_shift ? _("Unlock the Keys, %s") : _("Open a Shift, %s"),
                            self->session != NULL ? kv_session_get_full_name(self->session)
                                                  : "");
    adw_status_page_set_title(self->shift_status, title);
    secret = keys_in_token(self) ? _("Token PIN") : _("Key file passphrase");
    g_object_set(self->passphrase_entry, "placeholder-text", secret, NULL);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->passphrase_entry),
                                   GTK_ACCESSIBLE_PROPERTY_LABEL, secret, -1);
    if (keys_in_token(self) && !unlocked)
        what = has_shift ? _("Your shift is open but the station's keys are locked. A supervisor "
                             "unlocks them with the PIN of the station's key token.")
                         : _("No shift is open. A supervisor opens it and unlocks the station's "
                             "keys with the PIN of the station's key token.");
    else if (has_shift)
        what = per_day ? _("Your shift is open but the station's keys are locked. A supervisor "
                           "unlocks them with the key file passphrase, for the rest of the "
                           "day.")
                       : _("Your shift is open but the station's keys are locked. A supervisor "
                           "unlocks them with the key file passphrase, until your shift "
                           "closes.");
    else if (unlocked)
        what = _("No shift is open. A supervisor approves it with their password. The "
                 "station's keys are unlocked for the rest of the day: no passphrase is "
                 "needed.");
    else
        what = per_day ? _("No shift is open. A supervisor opens it and unlocks the station's "
                           "keys with the key file passphrase, for the rest of the day: the "
                           "next cashiers' shifts today only need a supervisor's approval.")
                       : _("No shift is open. A supervisor opens it and unlocks the station's "
                           "keys with the key file passphrase, for this shift only: they lock "
                           "again when it closes.");
    adw_status_page_set_description(self->shift_status, what);
    gtk_widget_set_visible(GTK_WIDGET(self->without_shift_button),
                           self->session != NULL &&
                               kv_session_get_role(self->session) >= KV_ROLE_SUPERVISOR);
    set_busy(self, NULL, "shift");
    clear_secrets(self);
    show_error(self->shift_error_label, NULL);
    gtk_widget_grab_focus(GTK_WIDGET(self->supervisor_entry));
}

void kv_signin_page_sign_out(KvSigninPage *self)
{
    g_return_if_fail(KV_IS_SIGNIN_PAGE(self));

    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    self->cancellable = g_cancellable_new();
    show_error(self->error_label, NULL);
    show_error(self->shift_error_label, NULL);
    gtk_editable_set_text(GTK_EDITABLE(self->username_entry), "");
    if (self->session != NULL)
        kv_session_sign_out(self->session);
    kv_signin_page_show_credentials(self);
}

/* Closing a shift ------------------------------------------------------- */

typedef struct {
    KvSigninPage *page;
    GtkWindow *parent;
    GtkEntry *counted_entry;
    gint64 counted;
} CloseShiftData;

static void close_shift_data_free(CloseShiftData *data)
{
    g_clear_object(&data->page);
    g_clear_object(&data->parent);
    g_free(data);
}

static void on_close_shift_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    CloseShiftData *data = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvTable) report = kv_session_close_shift_finish(KV_SESSION(source), result,
                                                              &error);
    AdwMessageDialog *dialog;

    if (report == NULL) {
        dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(
            data->parent, _("The Shift Is Still Open"), error->message));
    } else {
        /* The Z report as a table, the difference marked, the audit head
         * whole (it is the head kept off the station); its gist in words. */
        const char *currency = kv_session_get_currency(data->page->session);
        g_autofree char *counted = kv_session_format_money(data->page->session, data->counted);
        g_autofree char *body = g_strdup_printf(_("%s: %s counted."), report->title, counted);
        GtkWidget *scroll = gtk_scrolled_window_new();

        dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(data->parent, _("Shift Closed"), body));
        gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll),
                                      kv_report_view_new(report, currency,
                                                         KV_REPORT_VIEW_FULL_HEAD));
        gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(scroll), 360);
        gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER,
                                       GTK_POLICY_AUTOMATIC);
        adw_message_dialog_set_extra_child(dialog, scroll);
    }
    adw_message_dialog_add_response(dialog, "close", _("_Close"));
    gtk_window_present(GTK_WINDOW(dialog));
    close_shift_data_free(data);
}

/* The cash the current shift's drawer should hold, for the check below. */
static gpointer expected_cash_in_worker(KvSession *session, KvStation *st, gpointer data,
                                        GCancellable *cancellable, GError **error)
{
    g_autoptr(KvShift) shift = kv_shift_current(st, error);

    return shift != NULL ? g_memdup2(&shift->expected_cash, sizeof(gint64)) : NULL;
}

static void on_shortfall_response_cb(AdwMessageDialog *dialog, const char *response,
                                     CloseShiftData *data)
{
    if (g_strcmp0(response, "close-short") != 0) {
        close_shift_data_free(data);
        return;
    }
    kv_session_close_shift_async(data->page->session, data->counted, NULL,
                                 on_close_shift_done_cb, data);
}

/* Less cash than the sales say: the difference in large red figures, and
 * the shift closes only when the cashier confirms it. */
static void on_expected_cash_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    CloseShiftData *data = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree gint64 *expected = kv_session_run_finish(KV_SESSION(source), result, &error);
    g_autofree char *short_by = NULL, *counted = NULL, *want = NULL, *body = NULL;
    AdwMessageDialog *dialog;
    GtkWidget *figure;

    if (expected == NULL || data->counted >= *expected) {
        kv_session_close_shift_async(data->page->session, data->counted, NULL,
                                     on_close_shift_done_cb, data);
        return;
    }
    short_by = kv_session_format_money(data->page->session, *expected - data->counted);
    counted = kv_session_format_money(data->page->session, data->counted);
    want = kv_session_format_money(data->page->session, *expected);
    body = g_strdup_printf(_("The drawer holds %s, but the sales of the shift say %s. Count "
                             "again, or close the shift with the shortfall in its Z report."),
                           counted, want);
    dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(data->parent, _("The Cash Is Short"), body));
    {
        g_autofree char *text = g_strdup_printf(_("Short by %s"), short_by);
        figure = gtk_label_new(text);
    }
    gtk_widget_add_css_class(figure, "title-2");
    gtk_widget_add_css_class(figure, "error");
    gtk_accessible_update_property(GTK_ACCESSIBLE(figure), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("Cash difference"), -1);
    adw_message_dialog_set_extra_child(dialog, figure);
    adw_message_dialog_add_responses(dialog, "count-again", _("Count _Again"), "close-short",
                                     _("Close _With the Shortfall"), NULL);
    adw_message_dialog_set_response_appearance(dialog, "close-short", ADW_RESPONSE_DESTRUCTIVE);
    adw_message_dialog_set_default_response(dialog, "count-again");
    adw_message_dialog_set_close_response(dialog, "count-again");
    g_signal_connect(dialog, "response", G_CALLBACK(on_shortfall_response_cb), data);
    gtk_window_present(GTK_WINDOW(dialog));
}

static void on_close_shift_response_cb(AdwMessageDialog *dialog, const char *response,
                                       CloseShiftData *data)
{
    g_autoptr(GError) error = NULL;
    gint64 counted = 0;
    const char *text;

    if (g_strcmp0(response, "close-shift") != 0) {
        close_shift_data_free(data);
        return;
    }
    text = gtk_editable_get_text(GTK_EDITABLE(data->counted_entry));
    if (!kv_session_parse_money(data->page->session, text, &counted, &error)) {
        AdwMessageDialog *again = ADW_MESSAGE_DIALOG(adw_message_dialog_new(
            data->parent, _("The Shift Is Still Open"), NULL));
        adw_message_dialog_format_body(again, _("Cash counted: %s"), error->message);
        adw_message_dialog_add_response(again, "close", _("_Close"));
        gtk_window_present(GTK_WINDOW(again));
        close_shift_data_free(data);
        return;
    }
    data->counted = counted;
    kv_session_run_async(data->page->session, expected_cash_in_worker, NULL, NULL, g_free, NULL,
                         on_expected_cash_cb, data);
}

void kv_signin_page_close_shift(KvSigninPage *self, GtkWindow *parent)
{
    CloseShiftData *data;
    GtkWidget *dialog, *entry;

    g_return_if_fail(KV_IS_SIGNIN_PAGE(self));
    if (self->session == NULL || !kv_session_get_shift_open(self->session))
        return;

    dialog = GTK_WIDGET(kv_entry_dialog_new(
        parent, _("Close the Shift?"),
        _("Count the cash in the drawer and type the total. The station compares it with the "
          "sales of the shift and prints the Z report."),
        _("Cash counted"), "cancel", _("_Cancel"), "close-shift", _("Close _Shift"),
        ADW_RESPONSE_SUGGESTED, &entry));
    gtk_entry_set_input_purpose(GTK_ENTRY(entry), GTK_INPUT_PURPOSE_NUMBER);

    data = g_new0(CloseShiftData, 1);
    data->page = g_object_ref(self);
    data->parent = parent != NULL ? g_object_ref(parent) : NULL;
    data->counted_entry = GTK_ENTRY(entry);
    g_signal_connect(dialog, "response", G_CALLBACK(on_close_shift_response_cb), data);
    gtk_window_present(GTK_WINDOW(dialog));
}
