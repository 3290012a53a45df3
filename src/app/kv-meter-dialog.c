/* kv-meter-dialog.c - add a meter to a customer, or edit one.
 *
 * The meter number is checked as it is typed: its Luhn check digit at once
 * (kv_meter_number_parse, no database), then whether the station already
 * has it (kv_meter_get, on the session's worker).  The tariff code is
 * checked against the tariff in force (kv_tariff_get_effective): the core
 * has no list of codes to choose from.  Saving goes through kv_meter_add or
 * kv_meter_update, which enforce the roles (supervisor and admin).
 *
 * An installed meter's credit levels are not edited here: the meter keeps
 * its own copy, and the ledger follows it only when a parameter card comes
 * back with the readback that shows the meter took the new levels
 * (kv-engineering.h).  Changing them in the ledger alone would make the
 * station predict the meter's answers from levels the meter does not use. */
#define G_LOG_DOMAIN "kv-meter-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-meter-dialog.h"
#include "kv-widget-util.h"

struct _KvMeterDialog {
    AdwWindow parent_instance;

    KvSession *session;
    gint64 customer_id;
    KvMeter *meter;             /* the meter edited, as loaded; NULL when adding */
    GCancellable *number_cancel;
    GCancellable *tariff_cancel;
    GCancellable *save_cancel;
    gboolean saving;
    gboolean disposed;        /* closed while a save was on the worker */

    /* Template children */
    AdwWindowTitle *window_title;
    GtkButton *save_button;
    AdwEntryRow *number_row;
    GtkLabel *number_label;
    AdwEntryRow *model_row;
    AdwComboRow *phases_row;
    AdwEntryRow *address_row;
    AdwComboRow *status_row;
    GtkStringList *status_list;
    AdwEntryRow *tariff_row;
    GtkLabel *tariff_label;
    AdwPreferencesGroup *levels_group;
    AdwEntryRow *alarm_row;
    AdwEntryRow *pretrip_row;
    AdwEntryRow *hoarding_row;
    AdwEntryRow *max_power_row;
    GtkLabel *error_label;
};

G_DEFINE_FINAL_TYPE(KvMeterDialog, kv_meter_dialog, ADW_TYPE_WINDOW)

enum { SIGNAL_SAVED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* The statuses of meters (db/001-ledger.sql), in the order of status_row. */
static const KvMeterStatus meter_statuses[] = {KV_METER_STATUS_ACTIVE, KV_METER_STATUS_INACTIVE,
                                               KV_METER_STATUS_REMOVED};

static const char *row_text(AdwEntryRow *row)
{
    return gtk_editable_get_text(GTK_EDITABLE(row));
}

static void mark_row(AdwEntryRow *row, gboolean bad)
{
    if (bad)
        gtk_widget_add_css_class(GTK_WIDGET(row), "error");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(row), "error");
}

/* A message under a field: an error, or a neutral hint (NULL: none). */
static void set_message(GtkLabel *label, const char *text, gboolean is_error)
{
    gtk_label_set_label(label, text != NULL ? text : "");
    if (is_error) {
        gtk_widget_add_css_class(GTK_WIDGET(label), "error");
        gtk_widget_remove_css_class(GTK_WIDGET(label), "dim-label");
    } else {
        gtk_widget_remove_css_class(GTK_WIDGET(label), "error");
        gtk_widget_add_css_class(GTK_WIDGET(label), "dim-label");
    }
}

static void show_error(KvMeterDialog *self, const char *text, AdwEntryRow *row)
{
    set_message(self->error_label, text, TRUE);
    if (row != NULL) {
        mark_row(row, TRUE);
        gtk_widget_grab_focus(GTK_WIDGET(row));
    }
}

/* ---- the meter number ------------------------------------------------------ */

typedef enum { NUMBER_INCOMPLETE, NUMBER_BAD, NUMBER_OK } NumberState;

/* What the typed number is, and what to tell the supervisor.  The expected
 * check digit is not given: a wrong check digit usually means another digit
 * was mistyped, and "fixing" the last one would register the wrong meter. */
static NumberState check_number(const char *text, guint32 *number, char **message)
{
    guint digits = 0;

    for (const char *p = text; *p != '\0'; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (!g_ascii_isdigit(*p)) {
            *message = g_strdup(_("A meter number has digits only (spaces and dashes are "
                                  "ignored)."));
            return NUMBER_BAD;
        }
        digits++;
    }
    if (digits == 0) {
        *message = g_strdup(_("Type the 9 digits printed on the meter."));
        return NUMBER_INCOMPLETE;
    }
    if (digits < 9) {
        *message = g_strdup_printf(_("%u of 9 digits typed."), digits);
        return NUMBER_INCOMPLETE;
    }
    if (digits > 9) {
        *message = g_strdup(_("Too many digits: a meter number has 9 (8 digits and a check "
                              "digit)."));
        return NUMBER_BAD;
    }
    if (!kv_meter_number_parse(text, number, NULL)) {
        *message = g_strdup(_("Wrong check digit: this is not a valid meter number. A digit "
                              "is mistyped or two are swapped: check the number on the meter."));
        return NUMBER_BAD;
    }
    *message = NULL;
    return NUMBER_OK;
}

/* On the worker: who has this number already (NULL: nobody). */
static gpointer number_owner_in_worker(KvSession *session, KvStation *st, gpointer data,
                                       GCancellable *cancellable, GError **error)
{
    guint32 number = GPOINTER_TO_UINT(data);
    g_autoptr(GError) local = NULL;
    g_autoptr(KvMeter) m = kv_meter_get(st, number, &local);
    g_autoptr(KvCustomer) c = NULL;

    if (m == NULL) {
        if (g_error_matches(local, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND))
            return g_strdup("");
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    if (m->customer_id != 0 && (c = kv_customer_get(st, m->customer_id, NULL)) != NULL)
        return g_strdup_printf(_("Meter %09u is already registered, to %s (account %s)."),
                               number, c->name, c->account);
    return g_strdup_printf(_("Meter %09u is already registered."), number);
}

static void on_number_owner_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvMeterDialog) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *owner = kv_session_run_finish(KV_SESSION(source), result, &error);

    if (self->disposed)
        return;
    if (owner == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            set_message(self->number_label, error->message, TRUE);
        return;
    }
    if (*owner != '\0') {
        set_message(self->number_label, owner, TRUE);
        mark_row(self->number_row, TRUE);
    } else {
        set_message(self->number_label, _("Valid meter number, not registered yet."), FALSE);
    }
}

static void on_number_changed_cb(GtkEditable *editable, KvMeterDialog *self)
{
    g_autofree char *message = NULL;
    guint32 number = 0;
    NumberState state;

    if (self->meter != NULL)
        return;
    g_cancellable_cancel(self->number_cancel);
    g_clear_object(&self->number_cancel);
    state = check_number(gtk_editable_get_text(editable), &number, &message);
    mark_row(self->number_row, state == NUMBER_BAD);
    if (state != NUMBER_OK) {
        set_message(self->number_label, message, state == NUMBER_BAD);
        return;
    }
    set_message(self->number_label, _("Valid check digit. Looking the meter up…"), FALSE);
    self->number_cancel = g_cancellable_new();
    kv_session_run_async(self->session, number_owner_in_worker, GUINT_TO_POINTER(number), NULL,
                         g_free, self->number_cancel, on_number_owner_cb, g_object_ref(self));
}

/* ---- the tariff code ------------------------------------------------------- */

/* Saving refused for the tariff (not a core error: the core stores any code).
 * A TARIFF_ERROR's message is the list of the codes in force, to offer them. */
#define TARIFF_ERROR (g_quark_from_static_string("kv-meter-dialog-tariff"))

/* Check that a tariff is in force for `code`; when none is, the error lists
 * the codes that are (on the worker). */
static gboolean tariff_check(KvStation *st, const char *code, GError **error)
{
    KvTariff t;
    g_autoptr(GError) local = NULL;
    g_autoptr(GPtrArray) codes = NULL;
    g_autoptr(GString) list = g_string_new(NULL);

    if (kv_tariff_get_effective(st, code, kv_now(), &t, &local))
        return TRUE;
    if (!g_error_matches(local, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    codes = kv_tariff_list(st, kv_now(), NULL);
    for (guint i = 0; codes != NULL && i < codes->len; i++) {
        const KvTariffCode *c = g_ptr_array_index(codes, i);

        if (kv_tariff_code_in_force(c) == NULL)
            continue;
        if (list->len > 0)
            g_string_append(list, ", ");
        g_string_append(list, c->code);
    }
    g_set_error_literal(error, TARIFF_ERROR, KV_CORE_ERROR_NOT_FOUND, list->str);
    return FALSE;
}

static gpointer tariff_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    if (g_cancellable_set_error_if_cancelled(cancellable, error) ||
        !tariff_check(st, data, error))
        return NULL;
    return GINT_TO_POINTER(1);
}

static char *tariff_problem(const char *code, const GError *error)
{
    if (error->domain == TARIFF_ERROR && error->code == KV_CORE_ERROR_NOT_FOUND &&
        error->message[0] != '\0')
        /* TRANSLATORS: the second %s is a list of tariff codes, "COM, DEFAULT". */
        return g_strdup_printf(_("No tariff “%s” is in force. Tariffs in force: %s."), code,
                               error->message);
    if ((error->domain == KV_CORE_ERROR || error->domain == TARIFF_ERROR) &&
        error->code == KV_CORE_ERROR_NOT_FOUND)
        return g_strdup_printf(_("No tariff “%s” is in force. Type the code of an existing "
                                 "tariff (an admin adds tariffs on the Administration page)."),
                               code);
    return g_strdup(error->message);
}

static void on_tariff_checked_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvMeterDialog) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *problem = NULL;
    gboolean ok = kv_session_run_finish(KV_SESSION(source), result, &error) != NULL;

    if (self->disposed)
        return;
    if (ok) {
        mark_row(self->tariff_row, FALSE);
        gtk_label_set_label(self->tariff_label, "");
        return;
    }
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    problem = tariff_problem(row_text(self->tariff_row), error);
    mark_row(self->tariff_row, TRUE);
    gtk_label_set_label(self->tariff_label, problem);
}

static void on_tariff_changed_cb(GtkEditable *editable, KvMeterDialog *self)
{
    g_autofree char *code = g_strstrip(g_strdup(gtk_editable_get_text(editable)));

    g_cancellable_cancel(self->tariff_cancel);
    g_clear_object(&self->tariff_cancel);
    if (*code == '\0') {
        mark_row(self->tariff_row, TRUE);
        gtk_label_set_label(self->tariff_label, _("A meter needs a tariff code."));
        return;
    }
    self->tariff_cancel = g_cancellable_new();
    kv_session_run_async(self->session, tariff_in_worker, g_steal_pointer(&code), g_free, NULL,
                         self->tariff_cancel, on_tariff_checked_cb, g_object_ref(self));
}

/* ---- saving ---------------------------------------------------------------- */

typedef struct {
    KvMeter m;        /* what the dialog says (strings owned) */
    gboolean adding;
} SaveRequest;

static void save_request_free(SaveRequest *r)
{
    g_free(r->m.model);
    g_free(r->m.address);
    g_free(r->m.tariff_code);
    g_free(r->m.status);
    g_free(r);
}

static gpointer save_in_worker(KvSession *session, KvStation *st, gpointer data,
                               GCancellable *cancellable, GError **error)
{
    SaveRequest *r = data;
    g_autoptr(KvMeter) now = NULL;

    /* The core stores any code; a meter on a code with no tariff in force
     * could not be sold to. */
    if (!tariff_check(st, r->m.tariff_code, error))
        return NULL;
    if (r->adding)
        return kv_meter_add(st, &r->m, error) ? GUINT_TO_POINTER(r->m.number) : NULL;

    /* kv_meter_update writes every column: start from the meter as it is
     * now (its key versions move with readbacks while the dialog is open)
     * and change only what the dialog edits. */
    now = kv_meter_get(st, r->m.number, error);
    if (now == NULL)
        return NULL;
    g_free(now->model);
    now->model = g_strdup(r->m.model);
    g_free(now->address);
    now->address = g_strdup(r->m.address);
    g_free(now->tariff_code);
    now->tariff_code = g_strdup(r->m.tariff_code);
    g_free(now->status);
    now->status = g_strdup(r->m.status);
    now->phases = r->m.phases;
    return kv_meter_update(st, now, error) ? GUINT_TO_POINTER(r->m.number) : NULL;
}

static void set_saving(KvMeterDialog *self, gboolean saving)
{
    self->saving = saving;
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "meter.save", !saving);
}

static void on_saved_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvMeterDialog) self = user_data;
    g_autoptr(GError) error = NULL;
    gpointer number = kv_session_run_finish(KV_SESSION(source), result, &error);

    if (self->disposed) {
        /* Closed meanwhile: the page still learns of a meter saved. */
        if (number != NULL)
            g_signal_emit(self, signals[SIGNAL_SAVED], 0, GPOINTER_TO_UINT(number));
        return;
    }
    set_saving(self, FALSE);
    if (number == NULL) {
        g_autofree char *text = NULL;

        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        if (g_error_matches(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS)) {
            text = g_strdup_printf(_("Meter %s is already registered: it cannot be added "
                                     "twice. Search for it to see whose it is."),
                                   row_text(self->number_row));
            show_error(self, text, self->number_row);
        } else if (g_error_matches(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED)) {
            show_error(self, _("Only a supervisor or an admin adds and edits meters. Ask one "
                               "to sign in."), NULL);
        } else if (error->domain == TARIFF_ERROR) {
            text = tariff_problem(row_text(self->tariff_row), error);
            show_error(self, text, self->tariff_row);
        } else {
            show_error(self, error->message, NULL);
        }
        return;
    }
    g_signal_emit(self, signals[SIGNAL_SAVED], 0, GPOINTER_TO_UINT(number));
    gtk_window_destroy(GTK_WINDOW(self));
}

/* A level in kWh from its row (0.01 kWh), or FALSE with the reason shown. */
static gboolean read_level(KvMeterDialog *self, AdwEntryRow *row, const char *name,
                           guint32 *out)
{
    gint64 v = 0;

    if (!kv_session_parse_energy(row_text(row), &v, NULL)) {
        g_autofree char *text = g_strdup_printf(_("%s: type a number of kWh, such as 400 or "
                                                  "12.5."),
                                                name);
        show_error(self, text, row);
        return FALSE;
    }
    *out = (guint32)v;
    return TRUE;
}

static void kv_meter_dialog_save(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvMeterDialog *self = KV_METER_DIALOG(widget);
    SaveRequest *r;
    g_autofree char *tariff = NULL;
    g_autofree char *power = g_strstrip(g_strdup(row_text(self->max_power_row)));
    guint64 max_power = 0;
    guint status;

    if (self->saving)
        return;
    set_message(self->error_label, NULL, TRUE);
    r = g_new0(SaveRequest, 1);
    r->adding = self->meter == NULL;
    if (r->adding) {
        g_autofree char *message = NULL;

        if (check_number(row_text(self->number_row), &r->m.number, &message) != NUMBER_OK) {
            show_error(self, message, self->number_row);
            save_request_free(r);
            return;
        }
        r->m.customer_id = self->customer_id;
    } else {
        r->m.number = self->meter->number;
        r->m.customer_id = self->meter->customer_id;
    }
    r->m.model = g_strstrip(g_strdup(row_text(self->model_row)));
    r->m.address = g_strstrip(g_strdup(row_text(self->address_row)));
    r->m.phases = adw_combo_row_get_selected(self->phases_row) == 1 ? 1 : 3;
    status = adw_combo_row_get_selected(self->status_row);
    r->m.status = g_strdup(kv_meter_status_name(r->adding || status >= G_N_ELEMENTS(meter_statuses)
                                                    ? KV_METER_STATUS_ACTIVE
                                                    : meter_statuses[status]));
    tariff = g_strstrip(g_strdup(row_text(self->tariff_row)));
    if (*tariff == '\0') {
        show_error(self, _("A meter needs a tariff code."), self->tariff_row);
        save_request_free(r);
        return;
    }
    r->m.tariff_code = g_steal_pointer(&tariff);

    if (r->adding) {
        if (!read_level(self, self->alarm_row, _("Low-credit alarm"), &r->m.alarm_level) ||
            !read_level(self, self->pretrip_row, _("Pre-trip level"), &r->m.pretrip_level) ||
            !read_level(self, self->hoarding_row, _("Hoarding limit"), &r->m.hoarding_limit)) {
            save_request_free(r);
            return;
        }
        if (r->m.hoarding_limit == 0) {
            show_error(self, _("The hoarding limit must be above zero."), self->hoarding_row);
            save_request_free(r);
            return;
        }
        if (r->m.alarm_level >= r->m.hoarding_limit) {
            show_error(self, _("The low-credit alarm must be below the hoarding limit."),
                       self->alarm_row);
            save_request_free(r);
            return;
        }
        if (r->m.pretrip_level > r->m.alarm_level) {
            show_error(self, _("The pre-trip level cannot be above the low-credit alarm."),
                       self->pretrip_row);
            save_request_free(r);
            return;
        }
        if (*power != '\0' &&
            !g_ascii_string_to_unsigned(power, 10, 0, G_MAXINT32, &max_power, NULL)) {
            show_error(self, _("Maximum power: type a whole number of watts, or 0 for none."),
                       self->max_power_row);
            save_request_free(r);
            return;
        }
        r->m.max_power = (guint32)max_power;
    }

    set_saving(self, TRUE);
    g_clear_object(&self->save_cancel);
    self->save_cancel = g_cancellable_new();
    kv_session_run_async(self->session, save_in_worker, r, (GDestroyNotify)save_request_free,
                         NULL, self->save_cancel, on_saved_cb, g_object_ref(self));
}

static void on_row_changed_cb(GtkEditable *editable, KvMeterDialog *self)
{
    mark_row(ADW_ENTRY_ROW(editable), FALSE);
}

/* ---- GObject ----------------------------------------------------------------- */

static void kv_meter_dialog_dispose(GObject *object)
{
    KvMeterDialog *self = KV_METER_DIALOG(object);

    self->disposed = TRUE;
    /* A save already on the worker still completes: the core commits or
     * not as a whole; the page reloads the customer either way. */
    g_cancellable_cancel(self->number_cancel);
    g_cancellable_cancel(self->tariff_cancel);
    g_clear_object(&self->number_cancel);
    g_clear_object(&self->tariff_cancel);
    g_clear_object(&self->save_cancel);
    g_clear_object(&self->session);
    g_clear_pointer(&self->meter, kv_meter_free);
    gtk_widget_dispose_template(GTK_WIDGET(self), KV_TYPE_METER_DIALOG);
    G_OBJECT_CLASS(kv_meter_dialog_parent_class)->dispose(object);
}

static void kv_meter_dialog_class_init(KvMeterDialogClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    kv_widget_class_set_template(widget_class, kv_meter_dialog_dispose, G_TYPE_INVALID,
                                 "kv-meter-dialog.ui");
    signals[SIGNAL_SAVED] = g_signal_new("saved", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);

    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, window_title);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, save_button);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, number_row);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, number_label);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, model_row);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, phases_row);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, address_row);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, status_row);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, status_list);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, tariff_row);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, tariff_label);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, levels_group);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, alarm_row);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, pretrip_row);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, hoarding_row);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, max_power_row);
    gtk_widget_class_bind_template_child(widget_class, KvMeterDialog, error_label);

    gtk_widget_class_install_action(widget_class, "meter.save", NULL, kv_meter_dialog_save);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void kv_meter_dialog_init(KvMeterDialog *self)
{
    AdwEntryRow *rows[6];

    gtk_widget_init_template(GTK_WIDGET(self));
    rows[0] = self->model_row;
    rows[1] = self->address_row;
    rows[2] = self->alarm_row;
    rows[3] = self->pretrip_row;
    rows[4] = self->hoarding_row;
    rows[5] = self->max_power_row;
    for (guint i = 0; i < G_N_ELEMENTS(meter_statuses); i++)
        gtk_string_list_append(self->status_list, kv_session_status_label(kv_meter_status_name(meter_statuses[i])));
    for (guint i = 0; i < G_N_ELEMENTS(rows); i++)
        g_signal_connect(rows[i], "changed", G_CALLBACK(on_row_changed_cb), self);
    g_signal_connect(self->number_row, "changed", G_CALLBACK(on_number_changed_cb), self);
    g_signal_connect(self->tariff_row, "changed", G_CALLBACK(on_tariff_changed_cb), self);
}

static KvMeter *meter_copy(const KvMeter *m)
{
    KvMeter *c = g_new(KvMeter, 1);

    *c = *m;
    c->model = g_strdup(m->model);
    c->address = g_strdup(m->address);
    c->tariff_code = g_strdup(m->tariff_code);
    c->status = g_strdup(m->status);
    return c;
}

static void set_level(AdwEntryRow *row, guint32 centi_kwh)
{
    g_autofree char *text = kv_session_format_decimal(centi_kwh, 2);

    gtk_editable_set_text(GTK_EDITABLE(row), text);
    gtk_editable_set_editable(GTK_EDITABLE(row), FALSE);
}

KvMeterDialog *kv_meter_dialog_new(GtkWindow *parent, KvSession *session, gint64 customer_id,
                                   const KvMeter *meter)
{
    KvMeterDialog *self;

    g_return_val_if_fail(KV_IS_SESSION(session), NULL);
    self = g_object_new(KV_TYPE_METER_DIALOG, "transient-for", parent, NULL);
    self->session = g_object_ref(session);
    self->customer_id = customer_id;
    if (meter == NULL) {
        gtk_window_set_title(GTK_WINDOW(self), _("Add Meter"));
        adw_window_title_set_title(self->window_title, _("Add Meter"));
        gtk_button_set_label(self->save_button, _("_Add"));
        gtk_editable_set_text(GTK_EDITABLE(self->tariff_row), "DEFAULT");
        set_message(self->number_label, _("Type the 9 digits printed on the meter."), FALSE);
        gtk_widget_grab_focus(GTK_WIDGET(self->number_row));
        return self;
    }

    self->meter = meter_copy(meter);
    {
        g_autofree char *title = g_strdup_printf(_("Meter %09u"), meter->number);
        g_autofree char *number = g_strdup_printf("%09u", meter->number);
        g_autofree char *power = g_strdup_printf("%u", meter->max_power);

        gtk_window_set_title(GTK_WINDOW(self), title);
        adw_window_title_set_title(self->window_title, _("Edit Meter"));
        adw_window_title_set_subtitle(self->window_title, title);
        gtk_editable_set_text(GTK_EDITABLE(self->number_row), number);
        gtk_editable_set_text(GTK_EDITABLE(self->max_power_row), power);
        gtk_editable_set_editable(GTK_EDITABLE(self->max_power_row), FALSE);
    }
    gtk_editable_set_editable(GTK_EDITABLE(self->number_row), FALSE);
    set_message(self->number_label, _("The number of an installed meter does not change."),
                FALSE);
    gtk_button_set_label(self->save_button, _("_Save"));
    gtk_editable_set_text(GTK_EDITABLE(self->model_row), meter->model);
    gtk_editable_set_text(GTK_EDITABLE(self->address_row), meter->address);
    gtk_editable_set_text(GTK_EDITABLE(self->tariff_row), meter->tariff_code);
    adw_combo_row_set_selected(self->phases_row, meter->phases == 1 ? 1 : 0);
    gtk_widget_set_visible(GTK_WIDGET(self->status_row), TRUE);
    for (guint i = 0; i < G_N_ELEMENTS(meter_statuses); i++)
        if (g_strcmp0(meter->status, kv_meter_status_name(meter_statuses[i])) == 0)
            adw_combo_row_set_selected(self->status_row, i);
    set_level(self->alarm_row, meter->alarm_level);
    set_level(self->pretrip_row, meter->pretrip_level);
    set_level(self->hoarding_row, meter->hoarding_limit);
    adw_preferences_group_set_description(
        self->levels_group,
        _("The meter keeps these levels itself: they change with a parameter card (Technician "
          "screen), and the station takes the new levels when the meter’s readback shows it "
          "applied them."));
    gtk_widget_grab_focus(GTK_WIDGET(self->tariff_row));
    return self;
}
