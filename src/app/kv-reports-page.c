/* kv-reports-page.c - the shift (Z) report, the daily report by cashier,
 * sales over time, meter use.
 *
 * The figures are the core's reports (KvTable); this page lays them out as
 * tables (kv-report-view.h), charts them and exports them.  A year of
 * months is twelve reports: the worker runs them with progress, and Cancel
 * stops between two. */
#define G_LOG_DOMAIN "kv-reports-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-report-pdf.h"
#include "kv-progress-relay.h"
#include "kv-reports-page.h"
#include "kv-sales-chart.h"
#include "kv-widget-util.h"

struct _KvReportsPage {
    GtkWidget parent_instance;

    KvSession *session;
    GCancellable *cancel;
    char *report_title;
    GPtrArray *report_tables; /* KvTable *: the sales report, for the PDF */
    char *report_csv;
    KvTable *z_table;         /* the Z report shown, for its PDF */
    KvTable *daily_table;     /* the daily report shown, for its PDF */
    GtkWidget *z_view;
    GtkWidget *daily_view;

    /* Template children */
    GtkLabel *z_report_label;
    GtkBox *z_report_box;
    AdwEntryRow *daily_day_row;
    GtkLabel *daily_label;
    GtkBox *daily_box;
    KvHistoryPage *history;
    GtkDropDown *period_dropdown;
    KvSalesChart *chart;
    GtkProgressBar *report_progress;
    GtkButton *report_cancel_button;
    GtkLabel *sales_summary_label;
    AdwEntryRow *consumption_meter_row;
    GtkListBox *consumption_list;
};

G_DEFINE_FINAL_TYPE(KvReportsPage, kv_reports_page, GTK_TYPE_WIDGET)

/* ---- Z report ------------------------------------------------------------------ */

/* A report shown in box (replacing the last), or the error in label. */
static void show_table(KvReportsPage *self, GtkBox *box, GtkWidget **view, KvTable **keep,
                       GtkLabel *label, KvTable *t, const GError *error,
                       KvReportViewFlags flags)
{
    if (*view != NULL)
        gtk_box_remove(box, *view);
    *view = NULL;
    g_clear_pointer(keep, kv_table_free);
    gtk_widget_set_visible(GTK_WIDGET(label), t == NULL && error != NULL);
    if (t == NULL && error == NULL) {
        gtk_label_set_label(label, "");
    } else if (t == NULL) {
        g_autofree char *msg = kv_sentence(error->message);
        gtk_label_set_label(label, msg);
    } else {
        *view = kv_report_view_new(t, kv_session_get_currency(self->session), flags);
        gtk_box_append(box, *view);
        *keep = t;
    }
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "reports.export-z-pdf",
                                  self->z_table != NULL);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "reports.export-daily-pdf",
                                  self->daily_table != NULL);
}

static void on_z_report_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvReportsPage) self = user_data;
    g_autoptr(GError) error = NULL;
    KvTable *t = kv_session_run_finish(KV_SESSION(source), result, &error);

    show_table(self, self->z_report_box, &self->z_view, &self->z_table, self->z_report_label, t,
               error, KV_REPORT_VIEW_PLAIN);
}

static void kv_reports_page_z_report(GtkWidget *widget, const char *action_name,
                                     GVariant *param)
{
    KvReportsPage *self = KV_REPORTS_PAGE(widget);

    if (self->session != NULL)
        kv_report_run(self->session, KV_REPORT_Z, 0, on_z_report_cb, g_object_ref(self));
}

/* ---- the daily report by cashier ------------------------------------------------ */

static void on_daily_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvReportsPage) self = user_data;
    g_autoptr(GError) error = NULL;
    KvTable *t = kv_session_run_finish(KV_SESSION(source), result, &error);

    show_table(self, self->daily_box, &self->daily_view, &self->daily_table, self->daily_label,
               t, error, KV_REPORT_VIEW_TOTALS);
}

static void daily_report(KvReportsPage *self)
{
    gint64 day = 0;

    if (!kv_report_parse_day(gtk_editable_get_text(GTK_EDITABLE(self->daily_day_row)), &day)) {
        g_autoptr(GError) error = g_error_new_literal(
            G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            _("Type the day as year-month-day, for example 2026-03-31."));
        show_table(self, self->daily_box, &self->daily_view, &self->daily_table,
                   self->daily_label, NULL, error, KV_REPORT_VIEW_TOTALS);
        return;
    }
    kv_report_run(self->session, KV_REPORT_DAILY, day, on_daily_cb, g_object_ref(self));
}

static void on_daily_apply_cb(AdwEntryRow *row, KvReportsPage *self)
{
    daily_report(self);
}

static void kv_reports_page_daily(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvReportsPage *self = KV_REPORTS_PAGE(widget);

    if (self->session != NULL)
        daily_report(self);
}

/* ---- sales over time ---------------------------------------------------------- */

typedef struct {
    KvProgressRelay *progress;
    gboolean monthly;
    guint digits;
    GCancellable *cancellable;
} SeriesData;

typedef struct {
    GPtrArray *labels;   /* char * */
    GArray *values;      /* gint64, minor units */
    gint64 total;
    GPtrArray *tables;   /* KvTable *: the months, up to today */
    GString *csv;
} Series;

static void series_data_free(SeriesData *d)
{
    g_clear_pointer(&d->progress, kv_progress_relay_unref);
    g_clear_object(&d->cancellable);
    g_free(d);
}

static void series_free(Series *s)
{
    g_ptr_array_unref(s->labels);
    g_array_unref(s->values);
    g_ptr_array_unref(s->tables);
    g_string_free(s->csv, TRUE);
    g_free(s);
}

/* The "amount" column of a monthly report row (the core writes plain
 * decimals in the station's currency). */
static gint64 row_amount(const KvTable *t, char **cells, guint digits)
{
    gint64 v = 0;

    for (guint c = 0; t->keys[c] != NULL; c++)
        if (g_strcmp0(t->keys[c], "amount") == 0)
            return kv_decimal_parse(cells[c], digits, 0, &v, NULL) ? v : 0;
    return 0;
}

static gpointer series_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    SeriesData *d = data;
    Series *s = g_new0(Series, 1);
    g_autoptr(GDateTime) now = g_date_time_new_from_unix_local(kv_now());
    g_autoptr(GDateTime) month0 =
        g_date_time_new_local(g_date_time_get_year(now), g_date_time_get_month(now), 1, 0, 0, 0);
    g_autofree char *first_day = NULL;
    guint n_months = d->monthly ? 12 : 2;

    s->labels = g_ptr_array_new_with_free_func(g_free);
    s->values = g_array_new(FALSE, FALSE, sizeof(gint64));
    s->tables = g_ptr_array_new_with_free_func((GDestroyNotify)kv_table_free);
    s->csv = g_string_new(NULL);
    {
        /* The daily chart shows the 30 days up to today. */
        g_autoptr(GDateTime) start = g_date_time_add_days(now, -29);
        first_day = g_date_time_format(start, "%Y-%m-%d");
    }

    for (guint i = 0; i < n_months; i++) {
        g_autoptr(GDateTime) month = g_date_time_add_months(month0, -(int)(n_months - 1 - i));
        g_autoptr(KvTable) t = NULL;
        gint64 sum = 0;

        if (g_cancellable_set_error_if_cancelled(d->cancellable, error)) {
            series_free(s);
            return NULL;
        }
        t = kv_report_monthly(st, g_date_time_to_unix(month), error);
        if (t == NULL) {
            series_free(s);
            return NULL;
        }
        for (guint r = 0; r < t->rows->len; r++) {
            char **cells = g_ptr_array_index(t->rows, r);
            gint64 v = row_amount(t, cells, d->digits);

            sum += v;
            if (!d->monthly && g_strcmp0(cells[0], first_day) >= 0) {
                g_autoptr(GDateTime) today = g_date_time_new_from_unix_local(kv_now());
                g_autofree char *today_s = g_date_time_format(today, "%Y-%m-%d");

                if (g_strcmp0(cells[0], today_s) > 0)
                    continue;
                /* "MM-DD" under the bar. */
                g_ptr_array_add(s->labels, g_strdup(cells[0] + 5));
                g_array_append_val(s->values, v);
                s->total += v;
            }
        }
        if (d->monthly) {
            g_ptr_array_add(s->labels, g_date_time_format(month, "%Y-%m"));
            g_array_append_val(s->values, sum);
            s->total += sum;
        }
        {
            g_autofree char *csv = NULL;

            /* Days after today have no sales to list. */
            kv_report_drop_future_days(t, kv_now());
            csv = kv_table_to_csv(t);
            g_string_append(s->csv, csv);
            g_ptr_array_add(s->tables, g_steal_pointer(&t));
        }
        kv_progress_relay_post(d->progress, (double)(i + 1) / n_months, NULL);
    }
    /* Cancelled during the last month: what was asked for is not wanted. */
    if (g_cancellable_set_error_if_cancelled(d->cancellable, error)) {
        series_free(s);
        return NULL;
    }
    return s;
}

static void set_report_busy(KvReportsPage *self, gboolean busy)
{
    gtk_widget_set_visible(GTK_WIDGET(self->report_progress), busy);
    gtk_widget_set_visible(GTK_WIDGET(self->report_cancel_button), busy);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "reports.cancel", busy);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "reports.export-csv",
                                  !busy && self->report_csv != NULL);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "reports.export-pdf",
                                  !busy && self->report_tables != NULL);
}

static void on_series_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvReportsPage) self = user_data;
    g_autoptr(GError) error = NULL;
    Series *s = kv_session_run_finish(KV_SESSION(source), result, &error);
    gboolean monthly = gtk_drop_down_get_selected(self->period_dropdown) == 1;

    /* A run replaced by a newer one (the period changed): not shown. */
    if (g_task_get_cancellable(G_TASK(result)) != self->cancel) {
        g_clear_pointer(&s, series_free);
        return;
    }
    g_clear_object(&self->cancel);
    if (s == NULL) {
        set_report_busy(self, FALSE);
        gtk_label_set_label(self->sales_summary_label,
                            g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                                ? _("Report cancelled: nothing is shown. Choose the period "
                                    "again to make it.")
                                : error->message);
        return;
    }
    kv_sales_chart_set_data(self->chart, (const char *const *)s->labels->pdata,
                            (const gint64 *)(gpointer)s->values->data, s->values->len,
                            kv_session_get_currency_digits(self->session));
    {
        g_autofree char *total = kv_session_format_money(self->session, s->total);
        g_autofree char *text = g_strdup_printf(monthly ? _("%s taken in the last 12 months.")
                                                        : _("%s taken in the last 30 days."),
                                                total);
        gtk_label_set_label(self->sales_summary_label, text);
    }
    g_free(self->report_title);
    self->report_title = g_strdup(monthly ? _("Sales by month") : _("Sales by day"));
    g_clear_pointer(&self->report_tables, g_ptr_array_unref);
    self->report_tables = g_ptr_array_ref(s->tables);
    g_free(self->report_csv);
    self->report_csv = g_strdup(s->csv->str);
    series_free(s);
    set_report_busy(self, FALSE);
}

/* What this person's reports cover, said instead of an empty chart. */
static gboolean explain_cover(KvReportsPage *self)
{
    if (kv_session_get_role(self->session) >= KV_ROLE_SUPERVISOR)
        return FALSE;
    gtk_label_set_label(self->sales_summary_label,
                        _("Sales over time cover the whole station: a supervisor sees them. "
                          "Your own sales are in the shift report above (Z Report)."));
    return TRUE;
}

static void refresh_sales(KvReportsPage *self)
{
    SeriesData *d;

    if (self->session == NULL || !kv_session_get_signed_in(self->session))
        return;
    gtk_widget_set_sensitive(GTK_WIDGET(self->period_dropdown),
                             kv_session_get_role(self->session) >= KV_ROLE_SUPERVISOR);
    if (explain_cover(self))
        return;
    if (self->cancel != NULL)
        g_cancellable_cancel(self->cancel);
    g_clear_object(&self->cancel);
    self->cancel = g_cancellable_new();
    /* Nothing of the last report stays on screen or for export while the
     * new one is made (or if it is cancelled). */
    kv_sales_chart_set_data(self->chart, NULL, NULL, 0, kv_session_get_currency_digits(self->session));
    g_clear_pointer(&self->report_tables, g_ptr_array_unref);
    g_clear_pointer(&self->report_csv, g_free);
    gtk_label_set_label(self->sales_summary_label, _("Making the report…"));
    d = g_new0(SeriesData, 1);
    d->progress = kv_progress_relay_new(self->report_progress);
    d->monthly = gtk_drop_down_get_selected(self->period_dropdown) == 1;
    d->digits = kv_session_get_currency_digits(self->session);
    d->cancellable = g_object_ref(self->cancel);
    gtk_progress_bar_set_fraction(self->report_progress, 0);
    set_report_busy(self, TRUE);
    kv_session_run_async(self->session, series_in_worker, d, (GDestroyNotify)series_data_free,
                         (GDestroyNotify)series_free, self->cancel, on_series_cb,
                         g_object_ref(self));
}

static void on_period_changed_cb(GtkDropDown *dropdown, GParamSpec *pspec, KvReportsPage *self)
{
    refresh_sales(self);
}

static void kv_reports_page_cancel(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvReportsPage *self = KV_REPORTS_PAGE(widget);

    if (self->cancel != NULL)
        g_cancellable_cancel(self->cancel);
}

/* ---- exports ------------------------------------------------------------------- */

typedef enum { EXPORT_CSV, EXPORT_PDF, EXPORT_Z_PDF, EXPORT_DAILY_PDF } ExportKind;

static gboolean export_as(KvReportsPage *self, ExportKind kind, const char *path, GError **error)
{
    switch (kind) {
    case EXPORT_CSV:
        return kv_reports_page_export_csv(self, path, error);
    case EXPORT_PDF:
        return kv_reports_page_export_pdf(self, path, error);
    case EXPORT_Z_PDF:
        return kv_reports_page_export_z_pdf(self, path, error);
    default:
        return kv_reports_page_export_daily_pdf(self, path, error);
    }
}

static void on_export_response_cb(GtkNativeDialog *chooser, int response, KvReportsPage *self)
{
    ExportKind kind = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(chooser), "kind"));

    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(chooser));
        g_autoptr(GError) error = NULL;
        g_autofree char *path = file != NULL ? g_file_get_path(file) : NULL;

        if (path != NULL) {
            gboolean ok = export_as(self, kind, path, &error);
            g_autofree char *text = ok ? g_strdup_printf(_("Exported to %s."), path)
                                       : g_strdup_printf(_("Not exported: %s"), error->message);
            gtk_label_set_label(self->sales_summary_label, text);
        }
    }
    g_object_unref(chooser);
    g_object_unref(self);
}

static void choose_export(KvReportsPage *self, ExportKind kind)
{
    static const char *const names[] = {
        [EXPORT_CSV] = N_("sales-report.csv"), [EXPORT_PDF] = N_("sales-report.pdf"),
        [EXPORT_Z_PDF] = N_("z-report.pdf"), [EXPORT_DAILY_PDF] = N_("daily-report.pdf"),
    };
    GtkFileChooserNative *chooser = gtk_file_chooser_native_new(
        kind != EXPORT_CSV ? _("Export the Report as PDF") : _("Export the Report as CSV"),
        GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(self))), GTK_FILE_CHOOSER_ACTION_SAVE,
        _("_Export"), _("_Cancel"));

    gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(chooser), _(names[kind]));
    g_object_set_data(G_OBJECT(chooser), "kind", GINT_TO_POINTER(kind));
    g_signal_connect(chooser, "response", G_CALLBACK(on_export_response_cb), g_object_ref(self));
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(chooser));
}

/* reports.export-csv, -pdf, -z-pdf, -daily-pdf: each enabled when there
 * is that report to export. */
static const char *const export_actions[] = {
    [EXPORT_CSV] = "reports.export-csv", [EXPORT_PDF] = "reports.export-pdf",
    [EXPORT_Z_PDF] = "reports.export-z-pdf", [EXPORT_DAILY_PDF] = "reports.export-daily-pdf",
};

static void kv_reports_page_export(GtkWidget *widget, const char *action_name, GVariant *param)
{
    for (guint k = 0; k < G_N_ELEMENTS(export_actions); k++)
        if (g_strcmp0(action_name, export_actions[k]) == 0)
            choose_export(KV_REPORTS_PAGE(widget), (ExportKind)k);
}

/* ---- meter consumption ------------------------------------------------------------ */

static void on_meter_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvReportsPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvTable) t = kv_session_run_finish(KV_SESSION(source), result, &error);

    kv_list_box_remove_all(self->consumption_list);
    if (t == NULL) {
        gtk_list_box_append(self->consumption_list,
                            kv_value_row_new(error->message, NULL, ""));
        return;
    }
    for (guint r = 0; r < t->rows->len; r++) {
        char **cells = g_ptr_array_index(t->rows, r);
        g_autoptr(GString) sub = g_string_new(NULL);
        guint n = g_strv_length(t->columns);

        for (guint c = 1; c + 1 < n; c++)
            g_string_append_printf(sub, "%s%s: %s", c > 1 ? " · " : "", t->columns[c], cells[c]);
        gtk_list_box_append(self->consumption_list,
                            kv_value_row_new(cells[0], sub->str, n > 1 ? cells[n - 1] : ""));
    }
    if (t->rows->len == 0)
        gtk_list_box_append(self->consumption_list,
                            kv_value_row_new(_("No readback from this meter yet"), NULL, ""));
}

static void on_meter_apply_cb(AdwEntryRow *row, KvReportsPage *self)
{
    g_autoptr(GError) error = NULL;
    guint32 meter = 0;

    if (!kv_meter_number_parse(gtk_editable_get_text(GTK_EDITABLE(row)), &meter, &error)) {
        kv_list_box_remove_all(self->consumption_list);
        gtk_list_box_append(self->consumption_list, kv_value_row_new(error->message, NULL, ""));
        return;
    }
    kv_report_run(self->session, KV_REPORT_METER, meter, on_meter_cb, g_object_ref(self));
}

/* ---- GObject --------------------------------------------------------------------- */

/* The daily report covers every cashier: a supervisor's.  Others see it
 * off, with the reason, rather than refused once asked for. */
static void daily_for_role(KvReportsPage *self)
{
    gboolean may = self->session != NULL &&
                   kv_session_get_role(self->session) >= KV_ROLE_SUPERVISOR;

    gtk_widget_set_sensitive(GTK_WIDGET(self->daily_day_row), may);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "reports.daily", may);
    if (!may && self->daily_view == NULL) {
        gtk_label_set_label(self->daily_label,
                            _("The daily report covers every cashier: a supervisor makes it."));
        gtk_widget_set_visible(GTK_WIDGET(self->daily_label), TRUE);
    }
}

static void on_map_cb(GtkWidget *widget, KvReportsPage *self)
{
    /* Figures change with every sale: fetch them when the page is shown. */
    if (self->cancel == NULL)
        refresh_sales(self);
    daily_for_role(self);
}

static void kv_reports_page_dispose(GObject *object)
{
    KvReportsPage *self = KV_REPORTS_PAGE(object);

    if (self->cancel != NULL)
        g_cancellable_cancel(self->cancel);
    g_clear_object(&self->cancel);
    if (self->session != NULL)
        g_signal_handlers_disconnect_by_data(self->session, self);
    kv_widget_dispose_children(GTK_WIDGET(self), KV_TYPE_REPORTS_PAGE);
    g_clear_object(&self->session);
    g_clear_pointer(&self->report_title, g_free);
    g_clear_pointer(&self->report_tables, g_ptr_array_unref);
    g_clear_pointer(&self->report_csv, g_free);
    g_clear_pointer(&self->z_table, kv_table_free);
    g_clear_pointer(&self->daily_table, kv_table_free);
    G_OBJECT_CLASS(kv_reports_page_parent_class)->dispose(object);
}

static void kv_reports_page_class_init(KvReportsPageClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    kv_widget_class_set_template(widget_class, kv_reports_page_dispose, GTK_TYPE_BIN_LAYOUT,
                                 "kv-reports-page.ui");
    g_type_ensure(KV_TYPE_SALES_CHART);
    g_type_ensure(KV_TYPE_HISTORY_PAGE);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, z_report_label);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, z_report_box);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, daily_day_row);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, daily_label);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, daily_box);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, history);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, period_dropdown);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, chart);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, report_progress);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, report_cancel_button);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, sales_summary_label);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, consumption_meter_row);
    gtk_widget_class_bind_template_child(widget_class, KvReportsPage, consumption_list);

    gtk_widget_class_install_action(widget_class, "reports.z-report", NULL,
                                    kv_reports_page_z_report);
    for (guint k = 0; k < G_N_ELEMENTS(export_actions); k++)
        gtk_widget_class_install_action(widget_class, export_actions[k], NULL,
                                        kv_reports_page_export);
    gtk_widget_class_install_action(widget_class, "reports.cancel", NULL,
                                    kv_reports_page_cancel);
    gtk_widget_class_install_action(widget_class, "reports.daily", NULL, kv_reports_page_daily);

}

static void kv_reports_page_init(KvReportsPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    gtk_widget_set_visible(GTK_WIDGET(self->z_report_label), FALSE);
    g_signal_connect(self->period_dropdown, "notify::selected", G_CALLBACK(on_period_changed_cb),
                     self);
    g_signal_connect(self->consumption_meter_row, "apply", G_CALLBACK(on_meter_apply_cb), self);
    g_signal_connect(self->daily_day_row, "apply", G_CALLBACK(on_daily_apply_cb), self);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "reports.export-z-pdf", FALSE);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "reports.export-daily-pdf", FALSE);
    g_signal_connect(self, "map", G_CALLBACK(on_map_cb), self);
    set_report_busy(self, FALSE);
}

/* Another person signed in (or nobody): nothing of the last one's reports
 * stays on screen or for export. */
static void on_user_changed_cb(KvSession *session, GParamSpec *pspec, KvReportsPage *self)
{
    if (self->cancel != NULL)
        g_cancellable_cancel(self->cancel);
    g_clear_object(&self->cancel);
    show_table(self, self->z_report_box, &self->z_view, &self->z_table, self->z_report_label,
               NULL, NULL, 0);
    show_table(self, self->daily_box, &self->daily_view, &self->daily_table, self->daily_label,
               NULL, NULL, 0);
    gtk_editable_set_text(GTK_EDITABLE(self->daily_day_row), "");
    kv_sales_chart_set_data(self->chart, NULL, NULL, 0,
                            kv_session_get_currency_digits(self->session));
    g_clear_pointer(&self->report_tables, g_ptr_array_unref);
    g_clear_pointer(&self->report_csv, g_free);
    gtk_label_set_label(self->sales_summary_label, "");
    gtk_editable_set_text(GTK_EDITABLE(self->consumption_meter_row), "");
    kv_list_box_remove_all(self->consumption_list);
    set_report_busy(self, FALSE);
    daily_for_role(self);
    if (gtk_widget_get_mapped(GTK_WIDGET(self)))
        refresh_sales(self);
}

void kv_reports_page_set_session(KvReportsPage *self, KvSession *session)
{
    g_return_if_fail(KV_IS_REPORTS_PAGE(self));
    kv_widget_follow(self, &self->session, session, "notify::user-name",
                     G_CALLBACK(on_user_changed_cb));
    kv_history_page_set_session(self->history, session);
}

void kv_reports_page_set_period(KvReportsPage *self, gboolean monthly)
{
    g_return_if_fail(KV_IS_REPORTS_PAGE(self));

    if ((gtk_drop_down_get_selected(self->period_dropdown) == 1) == monthly)
        refresh_sales(self);
    else
        gtk_drop_down_set_selected(self->period_dropdown, monthly ? 1 : 0);
}

gboolean kv_reports_page_is_busy(KvReportsPage *self)
{
    g_return_val_if_fail(KV_IS_REPORTS_PAGE(self), FALSE);
    return self->cancel != NULL;
}

KvSalesChart *kv_reports_page_get_chart(KvReportsPage *self)
{
    g_return_val_if_fail(KV_IS_REPORTS_PAGE(self), NULL);
    return self->chart;
}

gboolean kv_reports_page_export_csv(KvReportsPage *self, const char *path, GError **error)
{
    g_return_val_if_fail(KV_IS_REPORTS_PAGE(self), FALSE);

    if (self->report_csv == NULL) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                            _("No report to export yet."));
        return FALSE;
    }
    return g_file_set_contents(path, self->report_csv, -1, error);
}

gboolean kv_reports_page_export_pdf(KvReportsPage *self, const char *path, GError **error)
{
    g_return_val_if_fail(KV_IS_REPORTS_PAGE(self), FALSE);

    if (self->report_tables == NULL) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                            _("No report to export yet."));
        return FALSE;
    }
    return kv_report_pdf_write(path, self->report_title, self->chart, self->report_tables,
                               kv_session_get_currency(self->session),
                               KV_REPORT_VIEW_TOTALS | KV_REPORT_VIEW_FULL_HEAD, error);
}

/* One report as a PDF of its own (the Z report, the daily report). */
static gboolean export_table_pdf(KvReportsPage *self, KvTable *t, const char *path,
                                 KvReportViewFlags flags, GError **error)
{
    g_autoptr(GPtrArray) one = g_ptr_array_new();

    if (t == NULL) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                            _("No report to export yet."));
        return FALSE;
    }
    g_ptr_array_add(one, t);
    return kv_report_pdf_write(path, NULL, NULL, one, kv_session_get_currency(self->session),
                               flags | KV_REPORT_VIEW_FULL_HEAD, error);
}

gboolean kv_reports_page_export_z_pdf(KvReportsPage *self, const char *path, GError **error)
{
    g_return_val_if_fail(KV_IS_REPORTS_PAGE(self), FALSE);
    return export_table_pdf(self, self->z_table, path, KV_REPORT_VIEW_PLAIN, error);
}

gboolean kv_reports_page_export_daily_pdf(KvReportsPage *self, const char *path, GError **error)
{
    g_return_val_if_fail(KV_IS_REPORTS_PAGE(self), FALSE);
    return export_table_pdf(self, self->daily_table, path, KV_REPORT_VIEW_TOTALS, error);
}

GtkWidget *kv_reports_page_get_z_view(KvReportsPage *self)
{
    g_return_val_if_fail(KV_IS_REPORTS_PAGE(self), NULL);
    return self->z_view;
}

GtkWidget *kv_reports_page_get_daily_view(KvReportsPage *self)
{
    g_return_val_if_fail(KV_IS_REPORTS_PAGE(self), NULL);
    return self->daily_view;
}

KvHistoryPage *kv_reports_page_get_history(KvReportsPage *self)
{
    g_return_val_if_fail(KV_IS_REPORTS_PAGE(self), NULL);
    return self->history;
}
