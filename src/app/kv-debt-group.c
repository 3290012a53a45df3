/* kv-debt-group.c - a customer's debt and its adjustment (see
 * kv-debt-group.h).  Read and written on the session's worker. */
#define G_LOG_DOMAIN "kv-debt-group"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-debt-group.h"
#include "kv-widget-util.h"

/* The newest movements shown; the statement (Reports) has them all. */
#define SHOWN_MOVEMENTS 5

struct _KvDebtGroup {
    AdwPreferencesGroup parent_instance;

    KvSession *session;
    gint64 customer_id;
    gint64 balance;
    GCancellable *cancel;

    GtkListBox *list;
    GtkWidget *gate_label;
    GtkWidget *result_label;
    AdwEntryRow *amount_row;   /* in the dialog, while it is open */
    AdwEntryRow *reason_row;
};

G_DEFINE_FINAL_TYPE(KvDebtGroup, kv_debt_group, ADW_TYPE_PREFERENCES_GROUP)

typedef struct {
    gint64 balance;
    GPtrArray *movements;  /* KvDebtMovement, oldest first */
} DebtData;

static void debt_data_free(DebtData *d)
{
    g_clear_pointer(&d->movements, g_ptr_array_unref);
    g_free(d);
}

static void update_actions(KvDebtGroup *self)
{
    gboolean supervisor =
        self->session != NULL && kv_session_get_role(self->session) >= KV_ROLE_SUPERVISOR;

    gtk_widget_action_set_enabled(GTK_WIDGET(self), "debt.adjust",
                                  supervisor && self->customer_id > 0);
    gtk_widget_set_visible(self->gate_label, !supervisor);
}

static void show_result(KvDebtGroup *self, const char *text, gboolean ok)
{
    kv_widget_show_message(self->result_label, text, ok);
}

static gpointer load_in_worker(KvSession *session, KvStation *st, gpointer data,
                               GCancellable *cancellable, GError **error)
{
    gint64 id = *(gint64 *)data;
    DebtData *d = g_new0(DebtData, 1);
    g_autoptr(KvCustomer) c = kv_customer_get(st, id, error);

    if (c == NULL || (d->movements = kv_debt_movements(st, id, 0, 0, error)) == NULL) {
        debt_data_free(d);
        return NULL;
    }
    d->balance = c->debt;
    return d;
}

static char *signed_money(KvDebtGroup *self, gint64 amount)
{
    g_autofree char *money = kv_session_format_money(self->session, amount < 0 ? -amount : amount);

    return g_strdup_printf("%s%s", amount < 0 ? "−" : "+", money);
}

static void on_load_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvDebtGroup) self = user_data;
    g_autoptr(GError) error = NULL;
    DebtData *d = kv_session_run_finish(KV_SESSION(source), result, &error);
    g_autofree char *balance = NULL;

    if (d == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_autofree char *text = kv_sentence(error->message);
            show_result(self, text, FALSE);
        }
        return;
    }
    self->balance = d->balance;
    kv_list_box_remove_all(self->list);
    balance = d->balance > 0 ? kv_session_format_money(self->session, d->balance)
                             : g_strdup(_("None"));
    gtk_list_box_append(self->list, kv_value_row_new(_("Owed now"), NULL, balance));
    for (guint n = 0; n < d->movements->len && n < SHOWN_MOVEMENTS; n++) {
        const KvDebtMovement *m = g_ptr_array_index(d->movements, d->movements->len - 1 - n);
        g_autoptr(GDateTime) at = g_date_time_new_from_unix_local(m->at);
        g_autofree char *when = at ? g_date_time_format(at, "%Y-%m-%d %H:%M") : g_strdup("");
        g_autofree char *amount = signed_money(self, m->amount);
        g_autofree char *title = g_strdup_printf("%s · %s", kv_debt_kind_label(m->kind),
                                                 m->reason);
        g_autofree char *sub = m->user_login
                                   ? g_strdup_printf(_("%s · by %s"), when, m->user_login)
                                   : g_strdup(when);

        gtk_list_box_append(self->list, kv_value_row_new(title, sub, amount));
    }
    debt_data_free(d);
    update_actions(self);
}

void kv_debt_group_load(KvDebtGroup *self, gint64 customer_id)
{
    gint64 *arg;

    g_return_if_fail(KV_IS_DEBT_GROUP(self));
    self->customer_id = customer_id;
    self->balance = 0;
    g_cancellable_cancel(self->cancel);
    g_clear_object(&self->cancel);
    kv_list_box_remove_all(self->list);
    show_result(self, NULL, TRUE);
    update_actions(self);
    if (customer_id <= 0 || self->session == NULL)
        return;
    self->cancel = g_cancellable_new();
    arg = g_new(gint64, 1);
    *arg = customer_id;
    kv_session_run_async(self->session, load_in_worker, arg, g_free,
                         (GDestroyNotify)debt_data_free, self->cancel, on_load_done_cb,
                         g_object_ref(self));
}

/* ---- the adjustment ------------------------------------------------------------- */

/* data: (customer, amount, reason) */
static gpointer adjust_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    gint64 customer_id = 0, amount = 0;
    const char *reason = NULL;

    g_variant_get(data, "(xx&s)", &customer_id, &amount, &reason);
    return kv_debt_move(st, customer_id, KV_DEBT_ADJUSTED, amount, reason, error)
               ? GINT_TO_POINTER(1)
               : NULL;
}

static void on_adjust_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvDebtGroup) self = user_data;
    g_autoptr(GError) error = NULL;
    gint64 id = self->customer_id;

    if (kv_session_run_finish(KV_SESSION(source), result, &error) == NULL) {
        g_autofree char *sentence = kv_sentence(error->message);
        g_autofree char *text = g_strdup_printf(_("The debt was not changed. %s"), sentence);
        show_result(self, text, FALSE);
        return;
    }
    kv_debt_group_load(self, id);
    show_result(self, _("Debt adjusted; the reason is in the audit log."), TRUE);
}

void kv_debt_group_adjust(KvDebtGroup *self, gint64 amount, const char *reason)
{
    GVariant *job;
    g_autofree char *clean = g_strstrip(g_strdup(reason != NULL ? reason : ""));

    g_return_if_fail(KV_IS_DEBT_GROUP(self));
    if (self->session == NULL || self->customer_id <= 0)
        return;
    if (*clean == '\0' || amount == 0) {
        show_result(self,
                    *clean == '\0' ? _("The debt was not changed. Give the reason for the change.")
                                   : _("The debt was not changed. Type a change other than zero."),
                    FALSE);
        return;
    }
    job = g_variant_ref_sink(g_variant_new("(xxs)", self->customer_id, amount, clean));
    kv_session_run_async(self->session, adjust_in_worker, job, (GDestroyNotify)g_variant_unref,
                         NULL, NULL, on_adjust_done_cb, g_object_ref(self));
}

/* "-20.00", "−20,00" or "+15": a signed amount in minor units. */
static gboolean parse_change(KvDebtGroup *self, const char *text, gint64 *out, GError **error)
{
    gboolean minus = FALSE;

    text += strspn(text, " ");
    if (g_str_has_prefix(text, "-") || g_str_has_prefix(text, "+")) {
        minus = *text == '-';
        text++;
    } else if (g_str_has_prefix(text, "−")) {
        minus = TRUE;
        text += strlen("−");
    }
    if (!kv_session_parse_money(self->session, text, out, error))
        return FALSE;
    if (minus)
        *out = -*out;
    return TRUE;
}

static void on_dialog_response_cb(AdwMessageDialog *dialog, const char *response,
                                  KvDebtGroup *self)
{
    g_autoptr(GError) error = NULL;
    gint64 amount = 0;

    if (g_strcmp0(response, "adjust") == 0) {
        if (parse_change(self, gtk_editable_get_text(GTK_EDITABLE(self->amount_row)), &amount,
                         &error))
            kv_debt_group_adjust(self, amount,
                                 gtk_editable_get_text(GTK_EDITABLE(self->reason_row)));
        else {
            g_autofree char *sentence = kv_sentence(error->message);
            g_autofree char *text = g_strdup_printf(_("The debt was not changed. %s"), sentence);
            show_result(self, text, FALSE);
        }
    }
    self->amount_row = NULL;
    self->reason_row = NULL;
}

static GtkWidget *dialog_row(const char *title, AdwEntryRow **out)
{
    GtkWidget *row = adw_entry_row_new();

    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
    gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
    *out = ADW_ENTRY_ROW(row);
    return row;
}

static void kv_debt_group_open_adjust(GtkWidget *widget, const char *action_name,
                                      GVariant *param)
{
    KvDebtGroup *self = KV_DEBT_GROUP(widget);
    GtkRoot *root = gtk_widget_get_root(widget);
    GtkListBox *list = kv_boxed_list_new(_("Adjust the Debt"));
    AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(
        GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, _("Adjust the Debt"),
        _("Type the change: a minus sign lowers the debt. The reason is kept in the audit "
          "log.")));

    gtk_list_box_append(list, dialog_row(_("Change (for example −20.00)"), &self->amount_row));
    gtk_list_box_append(list, dialog_row(_("Reason"), &self->reason_row));
    adw_message_dialog_set_extra_child(dialog, GTK_WIDGET(list));
    adw_message_dialog_add_responses(dialog, "cancel", _("_Cancel"), "adjust", _("_Adjust"),
                                     NULL);
    adw_message_dialog_set_response_appearance(dialog, "adjust", ADW_RESPONSE_SUGGESTED);
    adw_message_dialog_set_default_response(dialog, "adjust");
    adw_message_dialog_set_close_response(dialog, "cancel");
    g_signal_connect_object(dialog, "response", G_CALLBACK(on_dialog_response_cb), self, 0);
    gtk_window_present(GTK_WINDOW(dialog));
}

/* ---- the widget ----------------------------------------------------------------- */

static void on_role_cb(GObject *object, GParamSpec *pspec, KvDebtGroup *self)
{
    update_actions(self);
}

static void kv_debt_group_dispose(GObject *object)
{
    KvDebtGroup *self = KV_DEBT_GROUP(object);

    g_cancellable_cancel(self->cancel);
    g_clear_object(&self->cancel);
    kv_widget_unfollow_session(self, &self->session);
    G_OBJECT_CLASS(kv_debt_group_parent_class)->dispose(object);
}

static void kv_debt_group_class_init(KvDebtGroupClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    G_OBJECT_CLASS(klass)->dispose = kv_debt_group_dispose;
    gtk_widget_class_install_action(widget_class, "debt.adjust", NULL, kv_debt_group_open_adjust);
}

static void kv_debt_group_init(KvDebtGroup *self)
{

    AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP(self);

    kv_group_set_header(group, _("Debt"),
                        _("What the customer owes. Part of each purchase pays it back."),
                        _("A_djust…"), _("Adjust debt"), "debt.adjust");
    self->list = kv_boxed_list_new(_("Debt movements"));
    adw_preferences_group_add(group, GTK_WIDGET(self->list));
    self->gate_label = kv_group_add_message(group, _("Why the debt cannot be adjusted"),
                                            "dim-label",
                                            _("A supervisor adjusts a debt, with the reason."));
    self->result_label = kv_group_add_message(group, _("Debt adjustment result"), NULL, NULL);
    update_actions(self);
}

void kv_debt_group_set_session(KvDebtGroup *self, KvSession *session)
{
    g_return_if_fail(KV_IS_DEBT_GROUP(self));

    kv_widget_follow_session(self, &self->session, session, G_CALLBACK(on_role_cb));
}

gint64 kv_debt_group_get_balance(KvDebtGroup *self)
{
    g_return_val_if_fail(KV_IS_DEBT_GROUP(self), 0);
    return self->balance;
}
