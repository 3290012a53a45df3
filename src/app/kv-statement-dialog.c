/* kv-statement-dialog.c - a customer's statement (see
 * kv-statement-dialog.h).  Made on the session's worker. */
#define G_LOG_DOMAIN "kv-statement-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-language.h"
#include "kv-report-pdf.h"
#include "kv-statement-dialog.h"
#include "kv-widget-util.h"

struct _KvStatementDialog {
    AdwWindow parent_instance;

    KvSession *session;
    gint64 customer_id;
    GCancellable *cancel;
    KvTable *table;         /* the statement shown */
    char *utility;          /* the utility's name, at the top of the PDF */
    char *language;         /* the statement's language (NULL: the station's) */
    GPtrArray *languages;   /* codes, after the station's own in the list */

    AdwComboRow *language_row;
    AdwEntryRow *from_row;
    AdwEntryRow *to_row;
    GtkWidget *message_label;
    GtkBox *view_box;
    GtkWidget *view;
};

G_DEFINE_FINAL_TYPE(KvStatementDialog, kv_statement_dialog, ADW_TYPE_WINDOW)

typedef struct {
    gint64 customer_id, from, to;
    char *language; /* NULL: the station's */
} Period;

static void period_free(Period *p)
{
    g_free(p->language);
    g_free(p);
}

typedef struct {
    KvTable *table;
    char *utility;
} Statement;

static void statement_free(Statement *s)
{
    g_clear_pointer(&s->table, kv_table_free);
    g_free(s->utility);
    g_free(s);
}

static void show_message(KvStatementDialog *self, const char *text, gboolean ok)
{
    kv_widget_show_message(self->message_label, text, ok);
}

/* Save as PDF, Save as CSV: enabled while a statement is shown. */
static const char *const save_actions[] = {"statement.save-pdf", "statement.save-csv"};

static void update_actions(KvStatementDialog *self)
{
    for (guint i = 0; i < G_N_ELEMENTS(save_actions); i++)
        gtk_widget_action_set_enabled(GTK_WIDGET(self), save_actions[i], self->table != NULL);
}

/* The statement shown in place of the last one (NULL: none). */
static void show_table(KvStatementDialog *self, KvTable *t)
{
    if (self->view != NULL)
        gtk_box_remove(self->view_box, self->view);
    self->view = NULL;
    g_clear_pointer(&self->table, kv_table_free);
    if (t != NULL) {
        gpointer saved = kv_language_push(self->language);

        self->table = t;
        self->view = kv_report_view_new(t, kv_session_get_currency(self->session),
                                        KV_REPORT_VIEW_PLAIN);
        kv_language_pop(saved);
        gtk_box_append(self->view_box, self->view);
    }
    update_actions(self);
}

static gpointer statement_in_worker(KvSession *session, KvStation *st, gpointer data,
                                    GCancellable *cancellable, GError **error)
{
    const Period *p = data;
    Statement *s;
    KvTable *t;
    gpointer saved;

    if (g_cancellable_set_error_if_cancelled(cancellable, error))
        return NULL;
    saved = kv_language_push(p->language);
    t = kv_report_statement(st, p->customer_id, p->from, p->to, error);
    kv_language_pop(saved);
    /* The refusal is for the cashier: in the station's language, asked
     * again (a statement made this time is not the one asked for). */
    if (t == NULL && saved != NULL) {
        g_clear_error(error);
        t = kv_report_statement(st, p->customer_id, p->from, p->to, error);
        if (t != NULL) {
            g_clear_pointer(&t, kv_table_free);
            g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                                _("The statement could not be made: try again."));
        }
    }
    if (t == NULL)
        return NULL;
    s = g_new0(Statement, 1);
    s->table = t;
    s->utility = g_strdup(kv_station_settings(st)->utility_name);
    return s;
}

static void on_statement_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvStatementDialog) self = user_data;
    g_autoptr(GError) error = NULL;
    Statement *s = kv_session_run_finish(KV_SESSION(source), result, &error);

    if (s == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_autofree char *text = kv_sentence(error->message);
            show_message(self, text, FALSE);
        }
        return;
    }
    show_message(self, NULL, TRUE);
    g_free(self->utility);
    self->utility = g_steal_pointer(&s->utility);
    show_table(self, g_steal_pointer(&s->table));
    statement_free(s);
}

/* The period typed: from the start of the first day to the end of the
 * last (local days), as the command line takes it. */
static gboolean read_period(KvStatementDialog *self, Period *p)
{
    gint64 from = 0, to = 0;
    g_autoptr(GDateTime) last = NULL, after = NULL;

    if (!kv_report_parse_day(gtk_editable_get_text(GTK_EDITABLE(self->from_row)), &from) ||
        !kv_report_parse_day(gtk_editable_get_text(GTK_EDITABLE(self->to_row)), &to)) {
        show_message(self, _("Type the days as year-month-day, for example 2026-03-31."), FALSE);
        return FALSE;
    }
    if (to < from) {
        show_message(self, _("The period ends before it starts: check the two days."), FALSE);
        return FALSE;
    }
    last = g_date_time_new_from_unix_local(kv_day_start(to));
    after = g_date_time_add_days(last, 1);
    p->customer_id = self->customer_id;
    {
        guint i = adw_combo_row_get_selected(self->language_row);

        /* 0: the station's language; then the list. */
        if (i > 0 && i <= self->languages->len)
            p->language = g_strdup(g_ptr_array_index(self->languages, i - 1));
    }
    p->from = kv_day_start(from);
    p->to = g_date_time_to_unix(after);
    return TRUE;
}

/* The statement being made is not wanted any more. */
static void stop_making(KvStatementDialog *self)
{
    g_cancellable_cancel(self->cancel);
    g_clear_object(&self->cancel);
}

static void make_statement(KvStatementDialog *self)
{
    Period *p = g_new0(Period, 1);

    stop_making(self);
    show_table(self, NULL);
    if (!read_period(self, p)) {
        period_free(p);
        return;
    }
    g_free(self->language);
    self->language = g_strdup(p->language);
    show_message(self, _("Making the statement…"), TRUE);
    self->cancel = g_cancellable_new();
    kv_session_run_async(self->session, statement_in_worker, p, (GDestroyNotify)period_free,
                         (GDestroyNotify)statement_free, self->cancel, on_statement_cb,
                         g_object_ref(self));
}

static void kv_statement_dialog_show(GtkWidget *widget, const char *action_name, GVariant *param)
{
    make_statement(KV_STATEMENT_DIALOG(widget));
}

/* ---- saving ----------------------------------------------------------------------- */

static void saved(KvStatementDialog *self, const char *path, gboolean ok, const GError *error)
{
    g_autofree char *sentence = ok ? NULL : kv_sentence(error->message);
    g_autofree char *text = ok ? g_strdup_printf(_("Statement saved to %s."), path)
                               : g_strdup_printf(_("The statement was not saved. %s"), sentence);

    show_message(self, text, ok);
}

static void on_pdf_chosen_cb(GtkWidget *widget, const char *path)
{
    g_autoptr(GError) error = NULL;
    KvStatementDialog *self = KV_STATEMENT_DIALOG(widget);

    saved(self, path, kv_statement_dialog_save_pdf(self, path, &error), error);
}

static void on_csv_chosen_cb(GtkWidget *widget, const char *path)
{
    g_autoptr(GError) error = NULL;
    KvStatementDialog *self = KV_STATEMENT_DIALOG(widget);

    saved(self, path, kv_statement_dialog_save_csv(self, path, &error), error);
}

static void kv_statement_dialog_save(GtkWidget *widget, const char *action_name, GVariant *param)
{
    gboolean csv = g_str_has_suffix(action_name, "csv");

    kv_choose_file(widget, csv ? _("Save the Statement as CSV") : _("Save the Statement as PDF"),
                   GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), csv,
                   csv ? on_csv_chosen_cb : on_pdf_chosen_cb);
}

gboolean kv_statement_dialog_save_pdf(KvStatementDialog *self, const char *path, GError **error)
{
    g_autoptr(GPtrArray) one = g_ptr_array_new();
    gpointer saved;
    gboolean ok;

    g_return_val_if_fail(KV_IS_STATEMENT_DIALOG(self), FALSE);
    if (self->table == NULL) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                            _("No statement to save yet."));
        return FALSE;
    }
    g_ptr_array_add(one, self->table);
    saved = kv_language_push(self->language);
    ok = kv_report_pdf_write(path, self->utility, NULL, one,
                             kv_session_get_currency(self->session), KV_REPORT_VIEW_PLAIN, error);
    kv_language_pop(saved);
    return ok;
}

gboolean kv_statement_dialog_save_csv(KvStatementDialog *self, const char *path, GError **error)
{
    g_autofree char *rows = NULL, *summary = NULL, *csv = NULL;

    g_return_val_if_fail(KV_IS_STATEMENT_DIALOG(self), FALSE);
    if (self->table == NULL) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                            _("No statement to save yet."));
        return FALSE;
    }
    rows = kv_table_to_csv(self->table);
    summary = kv_table_summary_to_csv(self->table);
    /* The rows, a blank line, then the balances and totals. */
    csv = g_strconcat(rows, "\r\n", summary, NULL);
    return g_file_set_contents(path, csv, -1, error);
}

/* ---- the period's days: typed, or picked on a calendar ------------------------------- */

static void on_day_selected_cb(GtkCalendar *calendar, AdwEntryRow *row)
{
    g_autoptr(GDateTime) day = gtk_calendar_get_date(calendar);
    g_autofree char *text = g_date_time_format(day, "%Y-%m-%d");
    GtkWidget *popover = gtk_widget_get_ancestor(GTK_WIDGET(calendar), GTK_TYPE_POPOVER);

    gtk_editable_set_text(GTK_EDITABLE(row), text);
    if (popover != NULL)
        gtk_popover_popdown(GTK_POPOVER(popover));
}

static void on_day_apply_cb(AdwEntryRow *row, KvStatementDialog *self)
{
    make_statement(self);
}

/* A day's row: the day typed (Enter makes the statement), or picked on the
 * calendar at its end. */
static AdwEntryRow *day_row_new(const char *title, const char *calendar_name, GDateTime *day)
{
    GtkWidget *row = adw_entry_row_new();
    GtkWidget *button = gtk_menu_button_new();
    GtkWidget *calendar = gtk_calendar_new();
    GtkWidget *popover = gtk_popover_new();
    g_autofree char *text = g_date_time_format(day, "%Y-%m-%d");

    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
    gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
    gtk_editable_set_text(GTK_EDITABLE(row), text);
    gtk_calendar_select_day(GTK_CALENDAR(calendar), day);
    g_signal_connect(calendar, "day-selected", G_CALLBACK(on_day_selected_cb), row);
    gtk_popover_set_child(GTK_POPOVER(popover), calendar);
    gtk_menu_button_set_popover(GTK_MENU_BUTTON(button), popover);
    gtk_menu_button_set_icon_name(GTK_MENU_BUTTON(button), "x-office-calendar-symbolic");
    gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class(button, "flat");
    gtk_widget_set_tooltip_text(button, calendar_name);
    gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   calendar_name, -1);
    adw_entry_row_add_suffix(ADW_ENTRY_ROW(row), button);
    adw_entry_row_set_show_apply_button(ADW_ENTRY_ROW(row), FALSE);
    return ADW_ENTRY_ROW(row);
}

static GtkWidget *button_new(const char *label, const char *accessible, const char *action)
{
    GtkWidget *button = gtk_button_new_with_mnemonic(label);

    gtk_actionable_set_action_name(GTK_ACTIONABLE(button), action);
    gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   accessible, -1);
    return button;
}

/* ---- GObject ------------------------------------------------------------------------ */

static void kv_statement_dialog_dispose(GObject *object)
{
    KvStatementDialog *self = KV_STATEMENT_DIALOG(object);

    stop_making(self);
    g_clear_pointer(&self->table, kv_table_free);
    g_clear_pointer(&self->utility, g_free);
    g_clear_pointer(&self->language, g_free);
    g_clear_pointer(&self->languages, g_ptr_array_unref);
    g_clear_object(&self->session);
    G_OBJECT_CLASS(kv_statement_dialog_parent_class)->dispose(object);
}

static void kv_statement_dialog_class_init(KvStatementDialogClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    G_OBJECT_CLASS(klass)->dispose = kv_statement_dialog_dispose;
    gtk_widget_class_install_action(widget_class, "statement.show", NULL,
                                    kv_statement_dialog_show);
    for (guint i = 0; i < G_N_ELEMENTS(save_actions); i++)
        gtk_widget_class_install_action(widget_class, save_actions[i], NULL,
                                        kv_statement_dialog_save);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void kv_statement_dialog_init(KvStatementDialog *self)
{
}

KvStatementDialog *kv_statement_dialog_new(GtkWindow *parent, KvSession *session,
                                           gint64 customer_id, const char *name)
{
    KvStatementDialog *self = g_object_new(KV_TYPE_STATEMENT_DIALOG, "modal", TRUE,
                                           "transient-for", parent, "default-width", 1150,
                                           "default-height", 640, NULL);
    g_autoptr(GDateTime) now = g_date_time_new_from_unix_local(kv_now());
    g_autoptr(GDateTime) month = g_date_time_new_local(g_date_time_get_year(now),
                                                       g_date_time_get_month(now), 1, 12, 0, 0);
    g_autoptr(GDateTime) first = g_date_time_add_months(month, -1);
    g_autoptr(GDateTime) last = g_date_time_add_days(month, -1);
    g_autofree char *title = g_strdup_printf(_("Statement of %s"), name);
    GtkWidget *content = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
    GtkWidget *toolbar = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    GtkWidget *scrolled = gtk_scrolled_window_new();
    GtkWidget *show = button_new(_("_Show"), _("Show the statement"), "statement.show");
    AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP(adw_preferences_group_new());

    self->session = g_object_ref(session);
    self->customer_id = customer_id;
    gtk_window_set_title(GTK_WINDOW(self), title);

    adw_preferences_group_set_title(group, _("Period"));
    adw_preferences_group_set_description(
        group, _("Purchases, refunds, free allocations and debt movements from the first day "
                 "to the last, both included; the debt before and after."));
    self->from_row = day_row_new(_("From (year-month-day)"), _("Choose the first day"), first);
    self->to_row = day_row_new(_("To (year-month-day)"), _("Choose the last day"), last);
    adw_preferences_group_add(group, GTK_WIDGET(self->from_row));
    adw_preferences_group_add(group, GTK_WIDGET(self->to_row));
    {
        g_autoptr(GtkStringList) names = gtk_string_list_new(NULL);

        gtk_string_list_append(names, _("The station's language"));
        self->languages = kv_language_list();
        for (guint i = 0; i < self->languages->len; i++)
            gtk_string_list_append(names, kv_language_name(g_ptr_array_index(self->languages, i)));
        self->language_row = ADW_COMBO_ROW(adw_combo_row_new());
        adw_combo_row_set_model(self->language_row, G_LIST_MODEL(names));
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->language_row),
                                      _("_Language"));
        adw_preferences_row_set_use_underline(ADW_PREFERENCES_ROW(self->language_row), TRUE);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(self->language_row),
                                    _("The customer's, where the station has it"));
        gtk_accessible_update_property(GTK_ACCESSIBLE(self->language_row),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       _("Language of the statement"), -1);
        adw_preferences_group_add(group, GTK_WIDGET(self->language_row));
    }
    g_signal_connect(self->from_row, "entry-activated", G_CALLBACK(on_day_apply_cb), self);
    g_signal_connect(self->to_row, "entry-activated", G_CALLBACK(on_day_apply_cb), self);

    gtk_widget_add_css_class(show, "suggested-action");
    gtk_box_append(GTK_BOX(buttons), show);
    gtk_box_append(GTK_BOX(buttons), button_new(_("Save as _PDF…"), _("Save the statement as PDF"),
                                                "statement.save-pdf"));
    gtk_box_append(GTK_BOX(buttons), button_new(_("Save as _CSV…"), _("Save the statement as CSV"),
                                                "statement.save-csv"));
    adw_preferences_group_add(group, buttons);
    gtk_widget_set_margin_top(buttons, 12);
    self->message_label = kv_group_add_message(group, _("Statement message"), NULL, NULL);

    self->view_box = GTK_BOX(gtk_box_new(GTK_ORIENTATION_VERTICAL, 0));
    gtk_box_append(GTK_BOX(content), GTK_WIDGET(group));
    gtk_box_append(GTK_BOX(content), GTK_WIDGET(self->view_box));
    g_object_set(content, "margin-top", 12, "margin-bottom", 12, "margin-start", 12,
                 "margin-end", 12, NULL);
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scrolled), content);
    gtk_widget_set_vexpand(scrolled, TRUE);
    gtk_box_append(GTK_BOX(toolbar), adw_header_bar_new());
    gtk_box_append(GTK_BOX(toolbar), scrolled);
    adw_window_set_content(ADW_WINDOW(self), toolbar);

    update_actions(self);
    make_statement(self);
    gtk_widget_grab_focus(GTK_WIDGET(self->from_row));
    return self;
}

GtkWidget *kv_statement_dialog_get_view(KvStatementDialog *self)
{
    g_return_val_if_fail(KV_IS_STATEMENT_DIALOG(self), NULL);
    return self->view;
}
