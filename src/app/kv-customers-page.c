/* kv-customers-page.c - customers and meters.
 *
 * Search as you type (meter number, name, address, account: the core's
 * search), then the customer's details to edit, their meters with the last
 * readback, and the history of sales and readbacks. */
#define G_LOG_DOMAIN "kv-customers-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-customers-page.h"
#include "kv-widget-util.h"

struct _KvCustomersPage {
    GtkWidget parent_instance;

    KvSession *session;
    GCancellable *search_cancel;
    GCancellable *detail_cancel;
    GPtrArray *hits;          /* KvSearchHit, the rows of results_list */
    gint64 customer_id;       /* shown; 0 = a new customer being typed */
    gint64 customer_debt;
    gboolean editing;

    /* Template children */
    GtkSearchEntry *search_entry;
    GtkListBox *results_list;
    GtkStack *detail_stack;
    AdwStatusPage *empty_page;
    AdwEntryRow *name_row;
    AdwEntryRow *address_row;
    AdwEntryRow *phone_row;
    AdwEntryRow *account_row;
    GtkLabel *detail_error_label;
    GtkListBox *meters_list;
    GtkListBox *history_list;
};

G_DEFINE_FINAL_TYPE(KvCustomersPage, kv_customers_page, GTK_TYPE_WIDGET)

static void show_detail_error(KvCustomersPage *self, const char *text)
{
    gtk_label_set_label(self->detail_error_label, text != NULL ? text : "");
    gtk_widget_set_visible(GTK_WIDGET(self->detail_error_label), text != NULL);
}

/* ---- search ----------------------------------------------------------------- */

static gpointer search_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    if (g_cancellable_set_error_if_cancelled(cancellable, error))
        return NULL;
    return kv_registry_search(st, data, 50, error);
}

static void on_search_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvCustomersPage) self = user_data;
    g_autoptr(GError) error = NULL;
    GPtrArray *hits = kv_session_run_finish(KV_SESSION(source), result, &error);

    if (hits == NULL) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        kv_list_box_remove_all(self->results_list);
        adw_status_page_set_description(self->empty_page, error->message);
        gtk_stack_set_visible_child_name(self->detail_stack, "empty");
        return;
    }
    g_clear_pointer(&self->hits, g_ptr_array_unref);
    self->hits = hits;
    kv_list_box_remove_all(self->results_list);
    for (guint i = 0; i < hits->len; i++) {
        KvSearchHit *h = g_ptr_array_index(hits, i);
        GtkWidget *row = adw_action_row_new();
        g_autofree char *sub = NULL;

        if (h->meter_number != 0)
            sub = g_strdup_printf(_("Meter %09u · %s · %s"), h->meter_number, h->account,
                                  h->address);
        else
            sub = g_strdup_printf(_("No meter · %s · %s"), h->account, h->address);
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), h->name);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), sub);
        gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
        gtk_list_box_append(self->results_list, row);
    }
    if (hits->len == 0) {
        adw_status_page_set_description(self->empty_page,
                                        _("No customer matches. Check the spelling, or create "
                                          "the customer with New Customer."));
        if (!self->editing)
            gtk_stack_set_visible_child_name(self->detail_stack, "empty");
    }
}

static void on_search_changed_cb(GtkSearchEntry *entry, KvCustomersPage *self)
{
    const char *text = gtk_editable_get_text(GTK_EDITABLE(entry));

    g_cancellable_cancel(self->search_cancel);
    g_clear_object(&self->search_cancel);
    if (self->session == NULL || !kv_session_is_open(self->session))
        return;
    if (*text == '\0') {
        kv_list_box_remove_all(self->results_list);
        return;
    }
    self->search_cancel = g_cancellable_new();
    kv_session_run_async(self->session, search_in_worker, g_strdup(text), g_free,
                         (GDestroyNotify)g_ptr_array_unref, self->search_cancel,
                         on_search_done_cb, g_object_ref(self));
}

/* ---- one customer -------------------------------------------------------------- */

typedef struct {
    KvCustomer *customer;
    GPtrArray *meters;   /* KvMeter */
    KvTable *sales;      /* kv_report_customer */
    GPtrArray *readings; /* KvTable per meter, kv_report_meter */
} Detail;

static void detail_free(Detail *d)
{
    g_clear_pointer(&d->customer, kv_customer_free);
    g_clear_pointer(&d->meters, g_ptr_array_unref);
    g_clear_pointer(&d->sales, kv_table_free);
    g_clear_pointer(&d->readings, g_ptr_array_unref);
    g_free(d);
}

static gpointer detail_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    gint64 id = *(gint64 *)data;
    Detail *d = g_new0(Detail, 1);
    g_autoptr(GPtrArray) hits = NULL;

    d->customer = kv_customer_get(st, id, error);
    if (d->customer == NULL) {
        detail_free(d);
        return NULL;
    }
    d->meters = g_ptr_array_new_with_free_func((GDestroyNotify)kv_meter_free);
    d->readings = g_ptr_array_new_with_free_func((GDestroyNotify)kv_table_free);
    /* The customer's meters: the search by account lists each of them. */
    hits = kv_registry_search(st, d->customer->account, 100, NULL);
    for (guint i = 0; hits != NULL && i < hits->len; i++) {
        KvSearchHit *h = g_ptr_array_index(hits, i);
        KvMeter *m;

        if (h->customer_id != id || h->meter_number == 0)
            continue;
        m = kv_meter_get(st, h->meter_number, NULL);
        if (m != NULL) {
            KvTable *t = kv_report_meter(st, m->number, NULL);
            g_ptr_array_add(d->meters, m);
            if (t != NULL)
                g_ptr_array_add(d->readings, t);
        }
    }
    d->sales = kv_report_customer(st, id, NULL);
    return d;
}

static void add_table_rows(GtkListBox *list, const KvTable *t, guint max_rows)
{
    guint ncol = g_strv_length(t->columns);

    for (guint r = 0; r < t->rows->len && r < max_rows; r++) {
        char **cells = g_ptr_array_index(t->rows, r);
        g_autoptr(GString) sub = g_string_new(NULL);
        GtkWidget *row = adw_action_row_new();

        /* Title: the first two cells; the rest as "column: value". */
        for (guint c = 2; c < ncol; c++)
            g_string_append_printf(sub, "%s%s: %s", c > 2 ? " · " : "", t->columns[c], cells[c]);
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        {
            g_autofree char *title = g_strdup_printf("%s · %s", cells[0], ncol > 1 ? cells[1] : "");
            adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        }
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), sub->str);
        gtk_list_box_append(list, row);
    }
}

static void on_detail_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvCustomersPage) self = user_data;
    g_autoptr(GError) error = NULL;
    Detail *d = kv_session_run_finish(KV_SESSION(source), result, &error);

    if (d == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            adw_status_page_set_description(self->empty_page, error->message);
            gtk_stack_set_visible_child_name(self->detail_stack, "empty");
        }
        return;
    }
    self->editing = TRUE;
    self->customer_id = d->customer->id;
    self->customer_debt = d->customer->debt;
    gtk_editable_set_text(GTK_EDITABLE(self->name_row), d->customer->name);
    gtk_editable_set_text(GTK_EDITABLE(self->address_row), d->customer->address);
    gtk_editable_set_text(GTK_EDITABLE(self->phone_row), d->customer->phone);
    gtk_editable_set_text(GTK_EDITABLE(self->account_row), d->customer->account);
    show_detail_error(self, NULL);

    kv_list_box_remove_all(self->meters_list);
    for (guint i = 0; i < d->meters->len; i++) {
        KvMeter *m = g_ptr_array_index(d->meters, i);
        g_autofree char *title = g_strdup_printf(_("Meter %09u"), m->number);
        g_autofree char *sub = NULL;

        if (m->has_readback) {
            g_autofree char *remaining = kv_session_format_energy(m->rb_remaining);
            g_autofree char *sold = kv_session_format_energy(m->cumulative_sold);
            sub = g_strdup_printf(_("%s · %s phase · tariff %s · %s left at the last readback · "
                                    "%s sold in all"),
                                  kv_session_status_label(m->status),
                                  m->phases == 1 ? "1" : "3", m->tariff_code, remaining, sold);
        } else {
            g_autofree char *sold = kv_session_format_energy(m->cumulative_sold);
            sub = g_strdup_printf(_("%s · %s phase · tariff %s · no readback yet · %s sold "
                                    "in all"),
                                  kv_session_status_label(m->status),
                                  m->phases == 1 ? "1" : "3", m->tariff_code, sold);
        }
        gtk_list_box_append(self->meters_list, kv_value_row_new(title, sub, m->address));
    }
    if (d->meters->len == 0)
        gtk_list_box_append(self->meters_list,
                            kv_value_row_new(_("No meter"), NULL, ""));

    kv_list_box_remove_all(self->history_list);
    if (d->sales != NULL)
        add_table_rows(self->history_list, d->sales, 50);
    for (guint i = 0; i < d->readings->len; i++)
        add_table_rows(self->history_list, g_ptr_array_index(d->readings, i), 20);
    if (gtk_widget_get_first_child(GTK_WIDGET(self->history_list)) == NULL)
        gtk_list_box_append(self->history_list,
                            kv_value_row_new(_("No sales or readbacks yet"), NULL, ""));
    gtk_stack_set_visible_child_name(self->detail_stack, "detail");
    detail_free(d);
}

static void load_customer(KvCustomersPage *self, gint64 id)
{
    gint64 *arg = g_new(gint64, 1);

    *arg = id;
    g_cancellable_cancel(self->detail_cancel);
    g_clear_object(&self->detail_cancel);
    self->detail_cancel = g_cancellable_new();
    kv_session_run_async(self->session, detail_in_worker, arg, g_free,
                         (GDestroyNotify)detail_free, self->detail_cancel, on_detail_done_cb,
                         g_object_ref(self));
}

static void on_row_activated_cb(GtkListBox *box, GtkListBoxRow *row, KvCustomersPage *self)
{
    int i = gtk_list_box_row_get_index(row);

    if (self->hits != NULL && i >= 0 && (guint)i < self->hits->len)
        load_customer(self, ((KvSearchHit *)g_ptr_array_index(self->hits, i))->customer_id);
}

static void on_search_activate_cb(GtkSearchEntry *entry, KvCustomersPage *self)
{
    GtkListBoxRow *first = gtk_list_box_get_row_at_index(self->results_list, 0);

    /* Enter opens the first customer found. */
    if (first != NULL)
        on_row_activated_cb(self->results_list, first, self);
}

/* ---- create and save -------------------------------------------------------------- */

static gpointer save_in_worker(KvSession *session, KvStation *st, gpointer data,
                               GCancellable *cancellable, GError **error)
{
    KvCustomer *c = data;
    gint64 *id = g_new(gint64, 1);

    if (c->id == 0)
        *id = kv_customer_add(st, c, error);
    else
        *id = kv_customer_update(st, c, error) ? c->id : 0;
    if (*id <= 0) {
        g_free(id);
        return NULL;
    }
    return id;
}

static void on_save_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvCustomersPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree gint64 *id = kv_session_run_finish(KV_SESSION(source), result, &error);

    if (id == NULL) {
        show_detail_error(self, error->message);
        return;
    }
    load_customer(self, *id);
    on_search_changed_cb(self->search_entry, self);
}

static void kv_customers_page_save(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvCustomersPage *self = KV_CUSTOMERS_PAGE(widget);
    KvCustomer *c;

    if (self->session == NULL || !self->editing)
        return;
    c = g_new0(KvCustomer, 1);
    c->id = self->customer_id;
    c->debt = self->customer_debt;
    c->name = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->name_row))));
    c->address = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->address_row))));
    c->phone = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->phone_row))));
    c->account = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->account_row))));
    if (*c->name == '\0' || *c->account == '\0') {
        show_detail_error(self, _("A customer needs a name and an account number."));
        kv_customer_free(c);
        return;
    }
    kv_session_run_async(self->session, save_in_worker, c, (GDestroyNotify)kv_customer_free,
                         g_free, NULL, on_save_done_cb, g_object_ref(self));
}

static void kv_customers_page_new(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvCustomersPage *self = KV_CUSTOMERS_PAGE(widget);

    self->editing = TRUE;
    self->customer_id = 0;
    self->customer_debt = 0;
    gtk_editable_set_text(GTK_EDITABLE(self->name_row), "");
    gtk_editable_set_text(GTK_EDITABLE(self->address_row), "");
    gtk_editable_set_text(GTK_EDITABLE(self->phone_row), "");
    gtk_editable_set_text(GTK_EDITABLE(self->account_row), "");
    show_detail_error(self, NULL);
    kv_list_box_remove_all(self->meters_list);
    kv_list_box_remove_all(self->history_list);
    gtk_list_box_unselect_all(self->results_list);
    gtk_stack_set_visible_child_name(self->detail_stack, "detail");
    gtk_widget_grab_focus(GTK_WIDGET(self->name_row));
}

/* ---- GObject ----------------------------------------------------------------------- */

static void kv_customers_page_dispose(GObject *object)
{
    KvCustomersPage *self = KV_CUSTOMERS_PAGE(object);

    if (self->search_cancel != NULL)
        g_cancellable_cancel(self->search_cancel);
    if (self->detail_cancel != NULL)
        g_cancellable_cancel(self->detail_cancel);
    g_clear_object(&self->search_cancel);
    g_clear_object(&self->detail_cancel);
    gtk_widget_dispose_template(GTK_WIDGET(self), KV_TYPE_CUSTOMERS_PAGE);
    kv_widget_unparent_children(GTK_WIDGET(self));
    g_clear_object(&self->session);
    g_clear_pointer(&self->hits, g_ptr_array_unref);
    G_OBJECT_CLASS(kv_customers_page_parent_class)->dispose(object);
}

static void kv_customers_page_class_init(KvCustomersPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = kv_customers_page_dispose;

    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/kilovend/Station/kv-customers-page.ui");
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, search_entry);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, results_list);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, detail_stack);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, empty_page);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, name_row);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, address_row);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, phone_row);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, account_row);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, detail_error_label);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, meters_list);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, history_list);

    gtk_widget_class_install_action(widget_class, "customers.new", NULL, kv_customers_page_new);
    gtk_widget_class_install_action(widget_class, "customers.save", NULL,
                                    kv_customers_page_save);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_s, GDK_CONTROL_MASK,
                                        "customers.save", NULL);
}

static void kv_customers_page_init(KvCustomersPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    g_signal_connect(self->search_entry, "search-changed", G_CALLBACK(on_search_changed_cb),
                     self);
    g_signal_connect(self->search_entry, "activate", G_CALLBACK(on_search_activate_cb), self);
    g_signal_connect(self->results_list, "row-activated", G_CALLBACK(on_row_activated_cb),
                     self);
}

void kv_customers_page_set_session(KvCustomersPage *self, KvSession *session)
{
    g_return_if_fail(KV_IS_CUSTOMERS_PAGE(self));
    g_set_object(&self->session, session);
}

void kv_customers_page_focus_search(KvCustomersPage *self)
{
    g_return_if_fail(KV_IS_CUSTOMERS_PAGE(self));
    gtk_widget_grab_focus(GTK_WIDGET(self->search_entry));
}
