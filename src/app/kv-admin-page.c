/* kv-admin-page.c - the station's administration.
 *
 * Receipt and printer settings are this station's GSettings.  Tariffs,
 * users, keys, backups and restores are the core's, run on the session's
 * worker; the core checks the role of whoever is signed in and its refusal
 * is shown as is. */
#define G_LOG_DOMAIN "kv-admin-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "kv-admin-page.h"
#include "kv-import-group.h"
#include "kv-settings-group.h"
#include "kv-progress-relay.h"
#include "kv-widget-util.h"
#include "kv-window.h"

struct _KvAdminPage {
    GtkWidget parent_instance;

    KvSession *session;
    GSettings *settings;
    GCancellable *backup_cancel;
    gboolean filling_readers;
    GPtrArray *users;         /* KvUser, as last listed */
    GPtrArray *tariff_codes;  /* KvTariffCode, as last listed */

    /* Template children */
    KvSettingsGroup *settings_group;
    KvImportGroup *import_group;
    GtkListBox *tariffs_list;
    GtkListBox *users_list;
    AdwComboRow *reader_row;
    GtkStringList *reader_model;
    GtkLabel *reader_status_label;
    AdwEntryRow *receipt_header_row;
    AdwEntryRow *receipt_footer_row;
    AdwEntryRow *printer_row;
    AdwActionRow *key_version_row;
    GtkSwitch *auto_print_switch;
    GtkSpinButton *copies_spin;
    GtkProgressBar *backup_progress;
    GtkButton *backup_cancel_button;
    GtkLabel *backup_status_label;
};

G_DEFINE_FINAL_TYPE(KvAdminPage, kv_admin_page, GTK_TYPE_WIDGET)

static GtkWindow *parent_window(KvAdminPage *self)
{
    return GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(self)));
}

static void show_message(KvAdminPage *self, const char *title, const char *body)
{
    GtkWidget *dialog = adw_message_dialog_new(parent_window(self), title, body);

    adw_message_dialog_add_response(ADW_MESSAGE_DIALOG(dialog), "close", _("_Close"));
    gtk_window_present(GTK_WINDOW(dialog));
}

/* A dialog with a column of labelled fields; "ok" runs the form. */
static GtkWidget *form_dialog_new(KvAdminPage *self, const char *title, const char *body,
                                  const char *ok_label, GtkWidget **fields,
                                  const char *const *labels, guint n)
{
    GtkWidget *dialog = adw_message_dialog_new(parent_window(self), title, body);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);

    for (guint i = 0; i < n; i++) {
        GtkWidget *label = gtk_label_new(labels[i]);

        gtk_label_set_xalign(GTK_LABEL(label), 0);
        gtk_widget_add_css_class(label, "caption-heading");
        gtk_box_append(GTK_BOX(box), label);
        gtk_box_append(GTK_BOX(box), fields[i]);
        gtk_accessible_update_property(GTK_ACCESSIBLE(fields[i]),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, labels[i], -1);
    }
    adw_message_dialog_set_extra_child(ADW_MESSAGE_DIALOG(dialog), box);
    adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "cancel", _("_Cancel"), "ok",
                                     ok_label, NULL);
    adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "ok",
                                               ADW_RESPONSE_SUGGESTED);
    adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "ok");
    adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
    return dialog;
}

static const char *field_text(GtkWidget *field)
{
    return gtk_editable_get_text(GTK_EDITABLE(field));
}

/* ---- lists: users and tariffs ---------------------------------------------------- */

typedef struct {
    GPtrArray *users;  /* KvUser, or NULL with users_error */
    char *users_error;
    GPtrArray *codes;  /* KvTariffCode, or NULL with tariffs_error */
    char *tariffs_error;
} Lists;

static void lists_free(Lists *l)
{
    g_clear_pointer(&l->users, g_ptr_array_unref);
    g_free(l->users_error);
    g_clear_pointer(&l->codes, g_ptr_array_unref);
    g_free(l->tariffs_error);
    g_free(l);
}

static gpointer lists_in_worker(KvSession *session, KvStation *st, gpointer data,
                                GCancellable *cancellable, GError **error)
{
    Lists *l = g_new0(Lists, 1);
    g_autoptr(GError) local = NULL;

    l->users = kv_user_list(st, &local);
    if (l->users == NULL)
        l->users_error = g_strdup(local->message);
    g_clear_error(&local);
    l->codes = kv_tariff_list(st, kv_now(), &local);
    if (l->codes == NULL)
        l->tariffs_error = g_strdup(local->message);
    return l;
}

/* A price per kWh (1/10000 of a minor unit): the currency's decimals, more
 * only when the price has them. */
static char *format_price_number(KvAdminPage *self, gint64 price_e4)
{
    guint digits = kv_session_get_currency_digits(self->session);
    char *number = kv_decimal_format(price_e4, digits + 4);
    char *end = number + strlen(number) - 1;
    guint trimmed = 0;

    while (trimmed < 4 && *end == '0') {
        *end-- = '\0';
        trimmed++;
    }
    if (*end == '.')
        *end = '\0';
    return number;
}

static char *format_price(KvAdminPage *self, gint64 price_e4)
{
    g_autofree char *number = format_price_number(self, price_e4);

    return g_strdup_printf("%s %s", number, kv_session_get_currency(self->session));
}

static char *percent_text(guint bp)
{
    return g_strdup_printf("%u.%02u %%", bp / 100, bp % 100);
}

static char *date_text(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);

    return dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M") : g_strdup("");
}

/* "up to 50.00 kWh: 1.2 GHS; above: 1.8 GHS" */
static char *blocks_text(KvAdminPage *self, const KvTariff *t)
{
    GString *blocks = g_string_new(NULL);

    for (guint i = 0; i < t->n_blocks; i++) {
        g_autofree char *price = format_price(self, t->blocks[i].price_e4);
        g_autofree char *upto = t->blocks[i].upto > 0 ? kv_energy_format(t->blocks[i].upto)
                                                      : NULL;
        if (upto != NULL)
            g_string_append_printf(blocks, _("%sup to %s kWh: %s"), i ? "; " : "", upto, price);
        else
            g_string_append_printf(blocks, _("%sabove: %s"), i ? "; " : "", price);
    }
    return g_string_free(blocks, FALSE);
}

/* "VAT 15.00 % · fixed 5.00 GHS a month · debt recovery 20.00 %" */
static char *charges_text(KvAdminPage *self, const KvTariff *t)
{
    g_autofree char *vat = percent_text(t->vat_bp);
    g_autofree char *debt = percent_text(t->debt_bp);
    g_autofree char *fixed = kv_session_format_money(self->session, t->fixed_monthly);

    return g_strdup_printf(_("VAT %s · fixed %s a month · debt recovery %s"), vat, fixed, debt);
}

/* One row per version in the code's history, newest first. */
static GtkWidget *version_row_new(KvAdminPage *self, const KvTariffCode *c, guint i)
{
    const KvTariffVersion *v = g_ptr_array_index(c->versions, i);
    g_autofree char *from = date_text(v->tariff.effective_from);
    g_autofree char *charges = charges_text(self, &v->tariff);
    g_autofree char *blocks = blocks_text(self, &v->tariff);
    g_autofree char *title = NULL;
    g_autofree char *label = g_strdup_printf(_("%s version from %s"), c->code, from);
    g_autofree char *sub = v->name[0] != '\0' ? g_strdup_printf("%s · %s", v->name, charges)
                                              : g_strdup(charges);
    GtkWidget *row;

    if ((gint)i == c->in_force)
        title = g_strdup_printf(_("From %s · in force"), from);
    else if ((gint)i < c->in_force || c->in_force < 0)
        title = g_strdup_printf(_("From %s · not yet in force"), from);
    else
        title = g_strdup_printf(_("From %s · replaced"), from);
    row = kv_value_row_new(title, sub, blocks);
    gtk_widget_set_name(row, "tariff-version");
    gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
    return row;
}

/* A code: its version in force in the header, the history inside. */
static GtkWidget *tariff_row_new(KvAdminPage *self, const KvTariffCode *c)
{
    const KvTariffVersion *v = kv_tariff_code_in_force(c);
    GtkWidget *row = adw_expander_row_new();
    GtkWidget *button = gtk_button_new_with_mnemonic(_("New _Version…"));
    g_autofree char *label = g_strdup_printf(_("Tariff %s"), c->code);
    g_autofree char *button_label = g_strdup_printf(_("New version of %s"), c->code);
    g_autofree char *sub = NULL;
    g_autofree char *title = NULL;

    if (v != NULL) {
        g_autofree char *charges = charges_text(self, &v->tariff);
        g_autofree char *from = date_text(v->tariff.effective_from);
        g_autofree char *blocks = blocks_text(self, &v->tariff);
        sub = g_strdup_printf(_("%s\n%s · since %s"), blocks, charges, from);
    } else {
        sub = g_strdup(_("No version is in force yet"));
    }
    title = v != NULL && v->name[0] != '\0' ? g_strdup_printf("%s — %s", c->code, v->name)
                                            : g_strdup(c->code);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
    adw_expander_row_set_subtitle(ADW_EXPANDER_ROW(row), sub);
    gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);

    gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
    gtk_actionable_set_action_name(GTK_ACTIONABLE(button), "admin.tariff-new-version");
    gtk_actionable_set_action_target(GTK_ACTIONABLE(button), "s", c->code);
    gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   button_label, -1);
    adw_expander_row_add_action(ADW_EXPANDER_ROW(row), button);

    for (guint i = 0; i < c->versions->len; i++)
        adw_expander_row_add_row(ADW_EXPANDER_ROW(row), version_row_new(self, c, i));
    return row;
}

/* The actions of a user: a menu, so the row stays readable.  Only what
 * applies is offered: nobody disables their own account. */
static GtkWidget *user_menu_new(KvAdminPage *self, const KvUser *u)
{
    g_autoptr(GMenu) menu = g_menu_new();
    GtkWidget *button = gtk_menu_button_new();
    g_autofree char *label = g_strdup_printf(_("Actions for %s"), u->login);
    gboolean self_row = g_strcmp0(u->login, kv_session_get_user_name(self->session)) == 0;
    const struct {
        const char *label;
        const char *action;
        gboolean shown;
    } items[] = {
        {_("Change _Role…"), "admin.user-role", TRUE},
        {_("_Disable"), "admin.user-disable", u->active && !self_row},
        {_("_Enable"), "admin.user-enable", !u->active},
        {_("_Unlock"), "admin.user-unlock", u->locked_until > kv_now()},
        {_("Reset _Password…"), "admin.user-password", TRUE},
    };

    for (guint i = 0; i < G_N_ELEMENTS(items); i++) {
        g_autoptr(GMenuItem) item = NULL;

        if (!items[i].shown)
            continue;
        item = g_menu_item_new(items[i].label, NULL);
        g_menu_item_set_action_and_target_value(item, items[i].action,
                                                g_variant_new_string(u->login));
        g_menu_append_item(menu, item);
    }
    gtk_menu_button_set_menu_model(GTK_MENU_BUTTON(button), G_MENU_MODEL(menu));
    gtk_menu_button_set_icon_name(GTK_MENU_BUTTON(button), "view-more-symbolic");
    gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class(button, "flat");
    gtk_widget_set_tooltip_text(button, label);
    gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                   -1);
    return button;
}

static void on_lists_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvAdminPage) self = user_data;
    g_autoptr(GError) error = NULL;
    Lists *l = kv_session_run_finish(KV_SESSION(source), result, &error);

    if (l == NULL)
        return;
    kv_list_box_remove_all(self->users_list);
    g_clear_pointer(&self->users, g_ptr_array_unref);
    if (l->users != NULL) {
        for (guint i = 0; i < l->users->len; i++) {
            KvUser *u = g_ptr_array_index(l->users, i);
            g_autofree char *sub = g_strdup_printf("%s%s%s", u->full_name,
                                                   u->active ? "" : _(" · disabled"),
                                                   u->locked_until > kv_now()
                                                       ? _(" · locked out")
                                                       : "");
            GtkWidget *row = kv_value_row_new(u->login, sub, kv_session_role_label(u->role));

            adw_action_row_add_suffix(ADW_ACTION_ROW(row), user_menu_new(self, u));
            gtk_list_box_append(self->users_list, row);
        }
        self->users = g_steal_pointer(&l->users);
    } else {
        gtk_list_box_append(self->users_list, kv_value_row_new(l->users_error, NULL, ""));
    }

    kv_list_box_remove_all(self->tariffs_list);
    g_clear_pointer(&self->tariff_codes, g_ptr_array_unref);
    if (l->codes != NULL) {
        for (guint i = 0; i < l->codes->len; i++)
            gtk_list_box_append(self->tariffs_list,
                                tariff_row_new(self, g_ptr_array_index(l->codes, i)));
        if (l->codes->len == 0)
            gtk_list_box_append(self->tariffs_list,
                                kv_value_row_new(_("No tariff yet: add one with New Tariff."),
                                                 NULL, ""));
        self->tariff_codes = g_steal_pointer(&l->codes);
    } else {
        gtk_list_box_append(self->tariffs_list, kv_value_row_new(l->tariffs_error, NULL, ""));
    }
    lists_free(l);
}

static void refresh_lists(KvAdminPage *self)
{
    if (self->session != NULL && kv_session_get_signed_in(self->session))
        kv_session_run_async(self->session, lists_in_worker, NULL, NULL,
                             (GDestroyNotify)lists_free, NULL, on_lists_cb, g_object_ref(self));
}

/* The result of an administrator's change: the core's refusal in a dialog,
 * success in a toast; the lists show the new state either way. */
static void on_admin_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvAdminPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *done = kv_session_run_finish(KV_SESSION(source), result, &error);
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));

    if (done == NULL)
        show_message(self, _("Not Done"), error->message);
    else if (KV_IS_WINDOW(root))
        kv_window_add_toast(KV_WINDOW(root), done);
    refresh_lists(self);
}

/* ---- users ------------------------------------------------------------------------- */

typedef enum {
    USER_ADD,
    USER_ROLE,
    USER_DISABLE,
    USER_ENABLE,
    USER_UNLOCK,
    USER_PASSWORD,
} UserOp;

typedef struct {
    UserOp op;
    char *login, *full_name, *password;
    KvRole role;
} UserJob;

static void user_job_free(UserJob *u)
{
    g_free(u->login);
    g_free(u->full_name);
    kv_wipe_string(u->password);
    g_free(u);
}

static gpointer user_job_in_worker(KvSession *session, KvStation *st, gpointer data,
                                   GCancellable *cancellable, GError **error)
{
    UserJob *u = data;

    switch (u->op) {
    case USER_ADD:
        if (!kv_user_add(st, u->login, u->full_name, u->role, u->password, error))
            return NULL;
        return g_strdup_printf(_("%s is added."), u->login);
    case USER_ROLE:
        if (!kv_user_set_role(st, u->login, u->role, error))
            return NULL;
        return g_strdup_printf(_("%s is now: %s."), u->login, kv_session_role_label(u->role));
    case USER_DISABLE:
    case USER_ENABLE:
        if (!kv_user_set_active(st, u->login, u->op == USER_ENABLE, error))
            return NULL;
        return g_strdup_printf(u->op == USER_ENABLE ? _("%s may sign in again.")
                                                    : _("%s is disabled."),
                               u->login);
    case USER_UNLOCK:
        if (!kv_user_unlock(st, u->login, error))
            return NULL;
        return g_strdup_printf(_("%s is unlocked."), u->login);
    case USER_PASSWORD:
    default:
        if (!kv_user_set_password(st, u->login, NULL, u->password, error))
            return NULL;
        return g_strdup_printf(_("The password of %s is changed."), u->login);
    }
}

static void run_user_job(KvAdminPage *self, UserJob *u)
{
    kv_session_run_async(self->session, user_job_in_worker, u, (GDestroyNotify)user_job_free,
                         g_free, NULL, on_admin_done_cb, g_object_ref(self));
}

static UserJob *user_job_new(UserOp op, const char *login)
{
    UserJob *u = g_new0(UserJob, 1);

    u->op = op;
    u->login = g_strdup(login);
    return u;
}

/* Two password fields that must agree: the password, wiped from the fields,
 * or NULL after telling the user. */
static char *take_password(KvAdminPage *self, GtkWidget *first, GtkWidget *again)
{
    char *password = NULL;

    if (g_strcmp0(field_text(first), field_text(again)) != 0)
        show_message(self, _("Not Done"), _("The two passwords differ: type them again."));
    else
        password = g_strdup(field_text(first));
    gtk_editable_set_text(GTK_EDITABLE(first), "");
    gtk_editable_set_text(GTK_EDITABLE(again), "");
    return password;
}

static GtkWidget *role_drop_down_new(KvRole role)
{
    static const char *roles[] = {N_("Cashier"), N_("Supervisor"), N_("Administrator"), NULL};
    const char *role_names[4];
    GtkWidget *drop_down;

    for (guint i = 0; i < 4; i++)
        role_names[i] = roles[i] != NULL ? _(roles[i]) : NULL;
    drop_down = gtk_drop_down_new_from_strings(role_names);
    gtk_drop_down_set_selected(GTK_DROP_DOWN(drop_down), (guint)(role - KV_ROLE_CASHIER));
    return drop_down;
}

static KvRole role_selected(GtkWidget *drop_down)
{
    return (KvRole)(gtk_drop_down_get_selected(GTK_DROP_DOWN(drop_down)) + KV_ROLE_CASHIER);
}

/* The user dialogs: add (login, name, role, password twice), role, password
 * twice.  The dialog's "op" and "login" say which. */
static void on_user_response_cb(AdwMessageDialog *dialog, const char *response,
                                KvAdminPage *self)
{
    GtkWidget **f = g_object_get_data(G_OBJECT(dialog), "fields");
    UserOp op = (UserOp)GPOINTER_TO_INT(g_object_get_data(G_OBJECT(dialog), "op"));
    UserJob *u;

    if (g_strcmp0(response, "ok") != 0)
        return;
    u = user_job_new(op, g_object_get_data(G_OBJECT(dialog), "login"));
    if (op == USER_ADD) {
        u->login = g_strdup(field_text(f[0]));
        u->full_name = g_strdup(field_text(f[1]));
        u->role = role_selected(f[2]);
        u->password = take_password(self, f[3], f[4]);
    } else if (op == USER_ROLE) {
        u->role = role_selected(f[0]);
    } else {
        u->password = take_password(self, f[0], f[1]);
    }
    if (op != USER_ROLE && u->password == NULL) {
        user_job_free(u);
        return;
    }
    run_user_job(self, u);
}

static void user_dialog(KvAdminPage *self, UserOp op, const KvUser *user)
{
    const char *labels[] = {_("User name"), _("Full name"), _("Role"), _("Password"),
                            _("Password again")};
    GtkWidget **f = g_new0(GtkWidget *, 5);
    GtkWidget *dialog;
    g_autofree char *title = NULL;

    if (op == USER_ADD) {
        f[0] = gtk_entry_new();
        f[1] = gtk_entry_new();
        f[2] = role_drop_down_new(KV_ROLE_CASHIER);
        f[3] = gtk_password_entry_new();
        f[4] = gtk_password_entry_new();
        dialog = form_dialog_new(self, _("Add a User"),
                                 _("The core checks that you are an administrator."), _("_Add"),
                                 f, labels, 5);
    } else if (op == USER_ROLE) {
        f[0] = role_drop_down_new(user->role);
        title = g_strdup_printf(_("Role of %s"), user->login);
        dialog = form_dialog_new(self, title,
                                 _("Nobody can take away their own administrator role."),
                                 _("_Change"), f, labels + 2, 1);
    } else {
        f[0] = gtk_password_entry_new();
        f[1] = gtk_password_entry_new();
        title = g_strdup_printf(_("New Password for %s"), user->login);
        dialog = form_dialog_new(self, title,
                                 _("Tell the user the new password in person; they can change "
                                   "it later."),
                                 _("_Set Password"), f, labels + 3, 2);
    }
    g_object_set_data_full(G_OBJECT(dialog), "fields", f, g_free);
    g_object_set_data(G_OBJECT(dialog), "op", GINT_TO_POINTER(op));
    g_object_set_data_full(G_OBJECT(dialog), "login", g_strdup(user ? user->login : NULL),
                           g_free);
    g_signal_connect_object(dialog, "response", G_CALLBACK(on_user_response_cb), self, 0);
    gtk_window_present(GTK_WINDOW(dialog));
}

static void kv_admin_page_user_add(GtkWidget *widget, const char *action_name, GVariant *param)
{
    user_dialog(KV_ADMIN_PAGE(widget), USER_ADD, NULL);
}

/* admin.user-role, -disable, -enable, -unlock, -password: the target is the
 * login. */
static void kv_admin_page_user_action(GtkWidget *widget, const char *action_name,
                                      GVariant *param)
{
    static const struct {
        const char *action;
        UserOp op;
    } ops[] = {
        {"admin.user-role", USER_ROLE},       {"admin.user-disable", USER_DISABLE},
        {"admin.user-enable", USER_ENABLE},   {"admin.user-unlock", USER_UNLOCK},
        {"admin.user-password", USER_PASSWORD},
    };
    KvAdminPage *self = KV_ADMIN_PAGE(widget);
    const char *login = g_variant_get_string(param, NULL);
    KvUser user = {.login = (char *)login, .role = KV_ROLE_CASHIER};
    guint i = 0;

    while (i < G_N_ELEMENTS(ops) && g_strcmp0(ops[i].action, action_name) != 0)
        i++;
    g_return_if_fail(i < G_N_ELEMENTS(ops));
    /* The role as last listed preselects the choice. */
    for (guint j = 0; self->users != NULL && j < self->users->len; j++) {
        KvUser *u = g_ptr_array_index(self->users, j);
        if (g_strcmp0(u->login, login) == 0)
            user.role = u->role;
    }
    if (ops[i].op == USER_ROLE || ops[i].op == USER_PASSWORD)
        user_dialog(self, ops[i].op, &user);
    else
        run_user_job(self, user_job_new(ops[i].op, login));
}

/* ---- tariffs: a new one, or a new version of a code ----------------------------------- */

typedef struct {
    KvTariff tariff;
    char *name;
} NewTariff;

static void new_tariff_free(NewTariff *t)
{
    g_free(t->name);
    g_free(t);
}

static gpointer add_tariff_in_worker(KvSession *session, KvStation *st, gpointer data,
                                     GCancellable *cancellable, GError **error)
{
    NewTariff *t = data;

    if (!kv_tariff_validate(&t->tariff, error) ||
        kv_tariff_add(st, &t->tariff, t->name, error) <= 0)
        return NULL;
    return g_strdup_printf(_("Tariff %s: the new version is in force."), t->tariff.code);
}

/* A percentage with up to two decimals, in basis points. */
static gboolean parse_percent(const char *text, guint *bp, GError **error)
{
    gint64 v = 0;

    if (!kv_decimal_parse(text, 2, 10000, &v, error))
        return FALSE;
    *bp = (guint)v;
    return TRUE;
}

/* "50:1.20, 1.80": the first 50 kWh of the month at 1.20 a kWh, then 1.80. */
static gboolean parse_blocks(KvAdminPage *self, const char *text, KvTariff *t, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);
    guint digits = kv_session_get_currency_digits(self->session);

    t->n_blocks = 0;
    for (guint i = 0; parts[i] != NULL; i++) {
        g_auto(GStrv) kv = g_strsplit(g_strstrip(parts[i]), ":", 2);
        const char *price = kv[1] != NULL ? kv[1] : kv[0];

        if (t->n_blocks == KV_TARIFF_MAX_BLOCKS) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("At most %d blocks."), KV_TARIFF_MAX_BLOCKS);
            return FALSE;
        }
        if (kv[1] != NULL && !kv_energy_parse(g_strstrip(kv[0]), 0,
                                              &t->blocks[t->n_blocks].upto, error))
            return FALSE;
        /* Prices in 1/10000 of a minor unit: four more decimals. */
        if (!kv_decimal_parse(g_strstrip((char *)price), digits + 4, 0,
                              &t->blocks[t->n_blocks].price_e4, error))
            return FALSE;
        t->n_blocks++;
    }
    return TRUE;
}

/* The inverse of parse_blocks, to prefill a new version. */
static char *blocks_field_text(KvAdminPage *self, const KvTariff *t)
{
    GString *text = g_string_new(NULL);

    for (guint i = 0; i < t->n_blocks; i++) {
        g_autofree char *price = format_price_number(self, t->blocks[i].price_e4);
        g_autofree char *upto = kv_energy_format(t->blocks[i].upto);

        g_string_append_printf(text, "%s%s%s%s", i ? ", " : "", t->blocks[i].upto ? upto : "",
                               t->blocks[i].upto ? ":" : "", price);
    }
    return g_string_free(text, FALSE);
}

static void on_tariff_response_cb(AdwMessageDialog *dialog, const char *response,
                                  KvAdminPage *self)
{
    GtkWidget **f = g_object_get_data(G_OBJECT(dialog), "fields");
    g_autoptr(GError) error = NULL;
    NewTariff *t;

    if (g_strcmp0(response, "ok") != 0)
        return;
    t = g_new0(NewTariff, 1);
    g_strlcpy(t->tariff.code, field_text(f[0]), sizeof t->tariff.code);
    t->name = g_strdup(field_text(f[1]));
    t->tariff.effective_from = kv_now();
    if (!parse_percent(field_text(f[2]), &t->tariff.vat_bp, &error) ||
        !kv_session_parse_money(self->session, field_text(f[3]), &t->tariff.fixed_monthly,
                                &error) ||
        !parse_percent(field_text(f[4]), &t->tariff.debt_bp, &error) ||
        !parse_blocks(self, field_text(f[5]), &t->tariff, &error)) {
        show_message(self, _("Not Done"), error->message);
        new_tariff_free(t);
        return;
    }
    kv_session_run_async(self->session, add_tariff_in_worker, t,
                         (GDestroyNotify)new_tariff_free, g_free, NULL, on_admin_done_cb,
                         g_object_ref(self));
}

/* The tariff dialog, empty for a new code or filled from a version. */
static void tariff_dialog(KvAdminPage *self, const KvTariffVersion *from)
{
    const char *labels[] = {_("Code"), _("Name"), _("VAT (%)"), _("Fixed monthly charge"),
                            /* xgettext:no-c-format */
                            _("Debt recovery (% of each purchase)"),
                            _("Blocks: kWh of the month:price, …, last price")};
    GtkWidget **f = g_new0(GtkWidget *, 6);
    GtkWidget *dialog;
    g_autofree char *title = NULL;

    for (guint i = 0; i < 6; i++)
        f[i] = gtk_entry_new();
    gtk_entry_set_placeholder_text(GTK_ENTRY(f[5]), "50:1.20, 1.80");
    if (from == NULL) {
        const char *values[] = {"DEFAULT", "", "0", "0", "0", ""};
        for (guint i = 0; i < 6; i++)
            gtk_editable_set_text(GTK_EDITABLE(f[i]), values[i]);
        title = g_strdup(_("New Tariff Version"));
    } else {
        const KvTariff *t = &from->tariff;
        g_autofree char *vat = g_strdup_printf("%u.%02u", t->vat_bp / 100, t->vat_bp % 100);
        g_autofree char *fixed = kv_decimal_format(t->fixed_monthly,
                                                   kv_session_get_currency_digits(self->session));
        g_autofree char *debt = g_strdup_printf("%u.%02u", t->debt_bp / 100, t->debt_bp % 100);
        g_autofree char *blocks = blocks_field_text(self, t);
        const char *values[] = {t->code, from->name, vat, fixed, debt, blocks};
        for (guint i = 0; i < 6; i++)
            gtk_editable_set_text(GTK_EDITABLE(f[i]), values[i]);
        /* A version of this code, not a new code. */
        gtk_editable_set_editable(GTK_EDITABLE(f[0]), FALSE);
        title = g_strdup_printf(_("New Version of %s"), t->code);
    }
    dialog = form_dialog_new(self, title,
                             _("It takes effect now for every meter on this code; earlier sales "
                               "keep the prices they were sold at."),
                             _("_Create"), f, labels, 6);
    g_object_set_data_full(G_OBJECT(dialog), "fields", f, g_free);
    g_signal_connect_object(dialog, "response", G_CALLBACK(on_tariff_response_cb), self, 0);
    gtk_window_present(GTK_WINDOW(dialog));
}

static void kv_admin_page_tariff_new(GtkWidget *widget, const char *action_name,
                                     GVariant *param)
{
    tariff_dialog(KV_ADMIN_PAGE(widget), NULL);
}

/* admin.tariff-new-version: the target is the code; the dialog starts from
 * the version in force (the newest if none is yet). */
static void kv_admin_page_tariff_new_version(GtkWidget *widget, const char *action_name,
                                             GVariant *param)
{
    KvAdminPage *self = KV_ADMIN_PAGE(widget);
    const char *code = g_variant_get_string(param, NULL);

    for (guint i = 0; self->tariff_codes != NULL && i < self->tariff_codes->len; i++) {
        KvTariffCode *c = g_ptr_array_index(self->tariff_codes, i);
        const KvTariffVersion *v = kv_tariff_code_in_force(c);

        if (g_strcmp0(c->code, code) == 0) {
            tariff_dialog(self, v != NULL ? v : g_ptr_array_index(c->versions, 0));
            return;
        }
    }
}

/* ---- keys --------------------------------------------------------------------------------- */

typedef struct {
    char *path;
    char *old_pass;
    char *new_pass;
} KeyJob;

static void key_job_free(KeyJob *k)
{
    g_free(k->path);
    kv_wipe_string(k->old_pass);
    kv_wipe_string(k->new_pass);
    g_free(k);
}

static gpointer key_job_in_worker(KvSession *session, KvStation *st, gpointer data,
                                  GCancellable *cancellable, GError **error)
{
    KeyJob *k = data;
    guint version;
    g_autoptr(GArray) needing = NULL;
    GString *text;

    /* Key file operations need a supervisor at least, as unlocking does. */
    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    if (k->new_pass != NULL)
        return kv_keyfile_passwd(k->path, k->old_pass, k->new_pass, error)
                   ? g_strdup(_("The key file passphrase is changed. Use the new one from the "
                                "next shift."))
                   : NULL;
    /* An administrator's: the new version becomes the station's current one
     * for new meters, and the meters on older versions are listed. */
    version = kv_station_rotate_key(st, k->path, k->old_pass, &needing, error);
    if (version == 0)
        return NULL;
    /* New cards and tokens use the new version once the keys are unlocked
     * again. */
    kv_station_lock_keys(st);
    text = g_string_new(NULL);
    g_string_append_printf(text,
                           _("Key version %u is now current: new meters and key-change cards "
                             "use it. The keys are locked: a supervisor unlocks them again "
                             "(close and reopen the shift)."),
                           version);
    if (needing->len == 0)
        g_string_append_printf(text, "\n\n%s", _("No meter uses an older key version."));
    else
        g_string_append_printf(text, "\n\n%s",
                               g_dngettext(NULL,
                                           "This meter still uses an older key version and "
                                           "needs a key-change card (Cards page):",
                                           "These meters still use older key versions and each "
                                           "needs a key-change card (Cards page):",
                                           needing->len));
    for (guint i = 0; i < needing->len; i++)
        g_string_append_printf(text, "\n%09u", g_array_index(needing, guint32, i));
    return g_string_free(text, FALSE);
}

static void on_key_job_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvAdminPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = kv_session_run_finish(KV_SESSION(source), result, &error);

    show_message(self, text != NULL ? _("Done") : _("Not Done"),
                 text != NULL ? text : error->message);
}

static void on_key_response_cb(AdwMessageDialog *dialog, const char *response,
                               KvAdminPage *self)
{
    GtkWidget **f = g_object_get_data(G_OBJECT(dialog), "fields");
    gboolean rotate = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(dialog), "rotate"));
    KeyJob *k;

    if (g_strcmp0(response, "ok") != 0)
        return;
    if (!rotate && g_strcmp0(field_text(f[1]), field_text(f[2])) != 0) {
        show_message(self, _("Not Done"), _("The two new passphrases differ: type them again."));
        return;
    }
    k = g_new0(KeyJob, 1);
    k->path = g_strdup(kv_session_get_keys_path(self->session));
    k->old_pass = g_strdup(field_text(f[0]));
    if (!rotate)
        k->new_pass = g_strdup(field_text(f[1]));
    for (guint i = 0; i < (rotate ? 1u : 3u); i++)
        gtk_editable_set_text(GTK_EDITABLE(f[i]), "");
    kv_session_run_async(self->session, key_job_in_worker, k, (GDestroyNotify)key_job_free,
                         g_free, NULL, on_key_job_cb, g_object_ref(self));
}

static void key_dialog(KvAdminPage *self, gboolean rotate)
{
    const char *labels[] = {_("Current passphrase"), _("New passphrase"),
                            _("New passphrase again")};
    guint n = rotate ? 1 : 3;
    GtkWidget **f = g_new0(GtkWidget *, 3);
    GtkWidget *dialog;

    for (guint i = 0; i < n; i++)
        f[i] = gtk_password_entry_new();
    dialog = form_dialog_new(
        self, rotate ? _("Rotate the Meter Key?") : _("Change the Key File Passphrase"),
        rotate ? _("A new master key version is made and becomes current. Meters move to it "
                   "with key-change cards.")
               : NULL,
        rotate ? _("_Rotate") : _("_Change"), f, labels, n);
    g_object_set_data_full(G_OBJECT(dialog), "fields", f, g_free);
    g_object_set_data(G_OBJECT(dialog), "rotate", GINT_TO_POINTER(rotate));
    g_signal_connect_object(dialog, "response", G_CALLBACK(on_key_response_cb), self, 0);
    gtk_window_present(GTK_WINDOW(dialog));
}

/* admin.key-passwd and admin.key-rotate. */
static void kv_admin_page_key_action(GtkWidget *widget, const char *action_name,
                                     GVariant *param)
{
    key_dialog(KV_ADMIN_PAGE(widget), g_strcmp0(action_name, "admin.key-rotate") == 0);
}

/* ---- reader -------------------------------------------------------------------------------- */

static gpointer readers_in_worker(KvSession *session, KvStation *st, gpointer data,
                                  GCancellable *cancellable, GError **error)
{
    KvCardService *svc = kv_session_worker_card_service(session, error);

    return svc != NULL ? kv_card_service_list_readers(svc, error) : NULL;
}

static void on_readers_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvAdminPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) readers = kv_session_run_finish(KV_SESSION(source), result, &error);
    g_autofree char *wanted = self->settings != NULL
                                  ? g_settings_get_string(self->settings, "reader-name")
                                  : g_strdup("");
    guint selected = 0;
    guint n;

    self->filling_readers = TRUE;
    n = g_list_model_get_n_items(G_LIST_MODEL(self->reader_model));
    gtk_string_list_splice(self->reader_model, 0, n, NULL);
    gtk_string_list_append(self->reader_model, _("The first reader found"));
    for (guint i = 0; readers != NULL && readers[i] != NULL; i++) {
        gtk_string_list_append(self->reader_model, readers[i]);
        if (g_strcmp0(readers[i], wanted) == 0)
            selected = i + 1;
    }
    adw_combo_row_set_selected(self->reader_row, selected);
    self->filling_readers = FALSE;
    if (readers == NULL)
        gtk_label_set_label(self->reader_status_label, error->message);
    else if (readers[0] == NULL)
        gtk_label_set_label(self->reader_status_label,
                            _("No reader is connected. Plug one in and press Refresh."));
    else
        gtk_label_set_label(self->reader_status_label,
                            kv_card_watcher_get_message(kv_session_get_watcher(self->session)));
}

static void kv_admin_page_readers_refresh(GtkWidget *widget, const char *action_name,
                                          GVariant *param)
{
    KvAdminPage *self = KV_ADMIN_PAGE(widget);

    if (self->session != NULL)
        kv_session_run_async(self->session, readers_in_worker, NULL, NULL,
                             (GDestroyNotify)g_strfreev, NULL, on_readers_cb,
                             g_object_ref(self));
}

static void on_reader_selected_cb(AdwComboRow *row, GParamSpec *pspec, KvAdminPage *self)
{
    guint i = adw_combo_row_get_selected(row);
    const char *name = i == 0 || i == GTK_INVALID_LIST_POSITION
                           ? ""
                           : gtk_string_list_get_string(self->reader_model, i);

    if (self->filling_readers || name == NULL)
        return;
    if (self->settings != NULL)
        g_settings_set_string(self->settings, "reader-name", name);
    if (self->session != NULL && kv_session_get_watcher(self->session) != NULL)
        kv_card_watcher_set_reader(kv_session_get_watcher(self->session), name);
}

/* ---- backup and restore ---------------------------------------------------------------------- */

typedef struct {
    KvProgressRelay *progress;
    char *path;
    GCancellable *cancellable;
} BackupData;

static void backup_data_free(BackupData *b)
{
    g_clear_pointer(&b->progress, kv_progress_relay_unref);
    g_clear_object(&b->cancellable);
    g_free(b->path);
    g_free(b);
}

static void on_backup_progress(guint64 done, guint64 total, const char *what, gpointer data)
{
    BackupData *b = data;

    kv_progress_relay_post(b->progress, total > 0 ? (double)done / (double)total : 0.0, NULL);
}

static gpointer backup_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    BackupData *b = data;

    return kv_station_backup(st, b->path, on_backup_progress, b, b->cancellable, error)
               ? g_strdup(b->path)
               : NULL;
}

static void set_backup_busy(KvAdminPage *self, gboolean busy)
{
    gtk_widget_set_visible(GTK_WIDGET(self->backup_progress), busy);
    gtk_widget_set_visible(GTK_WIDGET(self->backup_cancel_button), busy);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "admin.backup", !busy);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "admin.restore", !busy);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "admin.backup-cancel", busy);
}

static void on_backup_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvAdminPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *path = kv_session_run_finish(KV_SESSION(source), result, &error);
    g_autofree char *text = NULL;

    g_clear_object(&self->backup_cancel);
    set_backup_busy(self, FALSE);
    if (path != NULL)
        text = g_strdup_printf(_("Backed up to %s and checked."), path);
    else if (g_error_matches(error, KV_CORE_ERROR, KV_CORE_ERROR_CANCELLED) ||
             g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        text = g_strdup(_("Backup cancelled: no backup file was left behind."));
    else
        text = g_strdup_printf(_("No backup was made: %s"), error->message);
    gtk_label_set_label(self->backup_status_label, text);
}

static void on_restore_progress(guint64 done, guint64 total, const char *what, gpointer data)
{
    kv_progress_relay_post(data, total > 0 ? (double)done / (double)total : 0.0, NULL);
}

static void on_restore_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvAdminPage) self = user_data;
    g_autoptr(GError) error = NULL;
    GtkRoot *root;

    g_clear_object(&self->backup_cancel);
    set_backup_busy(self, FALSE);
    if (kv_session_restore_finish(KV_SESSION(source), result, &error))
        return;
    if (g_error_matches(error, KV_CORE_ERROR, KV_CORE_ERROR_CANCELLED) ||
        g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        gtk_label_set_label(self->backup_status_label,
                            _("Restore cancelled: the station's database is unchanged. "
                              "Sign in again to go on."));
    } else {
        g_autofree char *text = g_strdup_printf(_("Nothing was restored: %s"), error->message);
        gtk_label_set_label(self->backup_status_label, text);
    }
    /* The app signed out if the station was reopened: say it in a toast,
     * which shows over the sign-in page too (a toast's title is markup). */
    root = gtk_widget_get_root(GTK_WIDGET(self));
    if (KV_IS_WINDOW(root) && !kv_session_get_signed_in(self->session)) {
        g_autofree char *markup =
            g_markup_escape_text(gtk_label_get_label(self->backup_status_label), -1);
        kv_window_add_toast(KV_WINDOW(root), markup);
    }
}

static void on_file_response_cb(GtkNativeDialog *chooser, int response, KvAdminPage *self)
{
    gboolean restore = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(chooser), "restore"));
    g_autoptr(GFile) file = response == GTK_RESPONSE_ACCEPT
                                ? gtk_file_chooser_get_file(GTK_FILE_CHOOSER(chooser))
                                : NULL;

    if (file != NULL) {
        if (restore)
            kv_admin_page_restore(self, g_file_peek_path(file));
        else
            kv_admin_page_backup(self, g_file_peek_path(file));
    }
    g_object_unref(chooser);
    g_object_unref(self);
}

static void choose_backup_file(KvAdminPage *self, gboolean restore)
{
    GtkFileChooserNative *chooser = gtk_file_chooser_native_new(
        restore ? _("Restore a Backup") : _("Back Up the Station"), parent_window(self),
        restore ? GTK_FILE_CHOOSER_ACTION_OPEN : GTK_FILE_CHOOSER_ACTION_SAVE,
        restore ? _("_Restore") : _("_Back Up"), _("_Cancel"));

    if (!restore) {
        g_autoptr(GDateTime) now = g_date_time_new_now_local();
        g_autofree char *name = g_date_time_format(now, "kilovend-%Y%m%d-%H%M.db");
        gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(chooser), name);
    }
    g_object_set_data(G_OBJECT(chooser), "restore", GINT_TO_POINTER(restore));
    g_signal_connect(chooser, "response", G_CALLBACK(on_file_response_cb), g_object_ref(self));
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(chooser));
}

/* admin.backup and admin.restore: a file first. */
static void kv_admin_page_file_action(GtkWidget *widget, const char *action_name,
                                      GVariant *param)
{
    choose_backup_file(KV_ADMIN_PAGE(widget), g_strcmp0(action_name, "admin.restore") == 0);
}

static void kv_admin_page_backup_cancel(GtkWidget *widget, const char *action_name,
                                        GVariant *param)
{
    KvAdminPage *self = KV_ADMIN_PAGE(widget);

    if (self->backup_cancel != NULL)
        g_cancellable_cancel(self->backup_cancel);
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void on_map_cb(GtkWidget *widget, KvAdminPage *self)
{
    refresh_lists(self);
    kv_admin_page_readers_refresh(widget, NULL, NULL);
}

static void kv_admin_page_dispose(GObject *object)
{
    KvAdminPage *self = KV_ADMIN_PAGE(object);

    if (self->backup_cancel != NULL)
        g_cancellable_cancel(self->backup_cancel);
    g_clear_object(&self->backup_cancel);
    if (self->session != NULL)
        g_signal_handlers_disconnect_by_data(self->session, self);
    kv_widget_dispose_children(GTK_WIDGET(self), KV_TYPE_ADMIN_PAGE);
    g_clear_object(&self->session);
    g_clear_object(&self->settings);
    g_clear_pointer(&self->users, g_ptr_array_unref);
    g_clear_pointer(&self->tariff_codes, g_ptr_array_unref);
    G_OBJECT_CLASS(kv_admin_page_parent_class)->dispose(object);
}

static void kv_admin_page_class_init(KvAdminPageClass *klass)
{
    static const char *const user_actions[] = {"admin.user-role", "admin.user-disable",
                                               "admin.user-enable", "admin.user-unlock",
                                               "admin.user-password"};
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    kv_widget_class_set_template(widget_class, kv_admin_page_dispose, GTK_TYPE_BIN_LAYOUT,
                                 "kv-admin-page.ui");
    g_type_ensure(KV_TYPE_SETTINGS_GROUP);
    g_type_ensure(KV_TYPE_IMPORT_GROUP);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, settings_group);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, import_group);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, tariffs_list);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, users_list);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, reader_row);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, reader_model);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, reader_status_label);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, receipt_header_row);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, receipt_footer_row);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, printer_row);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, auto_print_switch);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, copies_spin);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, backup_progress);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, backup_cancel_button);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, backup_status_label);

    gtk_widget_class_install_action(widget_class, "admin.user-add", NULL, kv_admin_page_user_add);
    for (guint i = 0; i < G_N_ELEMENTS(user_actions); i++)
        gtk_widget_class_install_action(widget_class, user_actions[i], "s",
                                        kv_admin_page_user_action);
    gtk_widget_class_install_action(widget_class, "admin.tariff-new", NULL,
                                    kv_admin_page_tariff_new);
    gtk_widget_class_install_action(widget_class, "admin.tariff-new-version", "s",
                                    kv_admin_page_tariff_new_version);
    gtk_widget_class_install_action(widget_class, "admin.key-passwd", NULL,
                                    kv_admin_page_key_action);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, key_version_row);
    gtk_widget_class_install_action(widget_class, "admin.key-rotate", NULL,
                                    kv_admin_page_key_action);
    gtk_widget_class_install_action(widget_class, "admin.readers-refresh", NULL,
                                    kv_admin_page_readers_refresh);
    gtk_widget_class_install_action(widget_class, "admin.backup", NULL,
                                    kv_admin_page_file_action);
    gtk_widget_class_install_action(widget_class, "admin.restore", NULL,
                                    kv_admin_page_file_action);
    gtk_widget_class_install_action(widget_class, "admin.backup-cancel", NULL,
                                    kv_admin_page_backup_cancel);
}

static void kv_admin_page_init(KvAdminPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    g_signal_connect(self->reader_row, "notify::selected", G_CALLBACK(on_reader_selected_cb),
                     self);
    g_signal_connect(self, "map", G_CALLBACK(on_map_cb), self);
    set_backup_busy(self, FALSE);
}

/* Actions an administrator alone may take are off for the others, and the
 * page says why before anything is typed. */
static void on_role_cb(KvSession *session, GParamSpec *pspec, KvAdminPage *self)
{
    gboolean admin = kv_session_get_role(session) >= KV_ROLE_ADMIN;

    gtk_widget_action_set_enabled(GTK_WIDGET(self), "admin.key-rotate", admin);
    adw_action_row_set_subtitle(self->key_version_row,
                                admin ? _("Move new meters and cards to a new meter key version")
                                      : _("Only an administrator rotates the meter key."));
}

void kv_admin_page_set_session(KvAdminPage *self, KvSession *session, GSettings *settings)
{
    g_return_if_fail(KV_IS_ADMIN_PAGE(self));

    if (self->session != NULL)
        g_signal_handlers_disconnect_by_data(self->session, self);
    g_set_object(&self->session, session);
    if (session != NULL) {
        g_signal_connect(session, "notify::role", G_CALLBACK(on_role_cb), self);
        on_role_cb(session, NULL, self);
        kv_settings_group_set_session(self->settings_group, session);
        kv_import_group_set_session(self->import_group, session);
    }
    if (!g_set_object(&self->settings, settings) || settings == NULL)
        return;
    g_settings_bind(settings, "receipt-header", self->receipt_header_row, "text",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "receipt-footer", self->receipt_footer_row, "text",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "printer-name", self->printer_row, "text",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "receipt-auto-print", self->auto_print_switch, "active",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "receipt-copies", self->copies_spin, "value",
                    G_SETTINGS_BIND_DEFAULT);
}

void kv_admin_page_backup(KvAdminPage *self, const char *path)
{
    BackupData *b;

    g_return_if_fail(KV_IS_ADMIN_PAGE(self));

    if (self->session == NULL || self->backup_cancel != NULL)
        return;
    self->backup_cancel = g_cancellable_new();
    b = g_new0(BackupData, 1);
    b->progress = kv_progress_relay_new(self->backup_progress);
    b->path = g_strdup(path);
    b->cancellable = g_object_ref(self->backup_cancel);
    gtk_progress_bar_set_fraction(self->backup_progress, 0);
    gtk_label_set_label(self->backup_status_label, _("Backing up…"));
    set_backup_busy(self, TRUE);
    kv_session_run_async(self->session, backup_in_worker, b, (GDestroyNotify)backup_data_free,
                         g_free, NULL, on_backup_cb, g_object_ref(self));
}

void kv_admin_page_restore(KvAdminPage *self, const char *path)
{
    g_return_if_fail(KV_IS_ADMIN_PAGE(self));

    if (self->session == NULL || self->backup_cancel != NULL)
        return;
    self->backup_cancel = g_cancellable_new();
    gtk_progress_bar_set_fraction(self->backup_progress, 0);
    gtk_label_set_label(self->backup_status_label, _("Restoring…"));
    set_backup_busy(self, TRUE);
    kv_session_restore_full_async(self->session, path, on_restore_progress,
                                  kv_progress_relay_new(self->backup_progress),
                                  (GDestroyNotify)kv_progress_relay_unref, self->backup_cancel,
                                  on_restore_cb, g_object_ref(self));
}

const char *kv_admin_page_get_backup_status(KvAdminPage *self)
{
    g_return_val_if_fail(KV_IS_ADMIN_PAGE(self), NULL);
    return gtk_label_get_label(self->backup_status_label);
}
