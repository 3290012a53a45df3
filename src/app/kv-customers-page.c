/* kv-customers-page.c - customers and meters.
 *
 * Search as you type (meter number, name, address, account: the core's
 * search), then the customer's details to edit, their meters with the last
 * readback, and the history of sales and readbacks. */
#define G_LOG_DOMAIN "kv-customers-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-customers-page.h"
#include "kv-debt-group.h"
#include "kv-meter-dialog.h"
#include "kv-statement-dialog.h"
#include "kv-widget-util.h"

typedef struct _Detail Detail;

struct _KvCustomersPage {
    GtkWidget parent_instance;

    KvSession *session;
    GCancellable *search_cancel;
    GCancellable *detail_cancel;
    GPtrArray *hits;          /* KvSearchHit, the rows of results_list */
    gint64 customer_id;       /* shown; 0 = a new customer being typed */
    gint64 customer_debt;
    gboolean editing;
    Detail *detail;           /* the customer shown, as last loaded */
    guint32 shown_meter;      /* whose history is shown; 0 = none */

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
    AdwPreferencesGroup *readings_group;
    GtkListBox *readings_list;
    AdwPreferencesGroup *sales_group;
    GtkListBox *sales_list;
    KvDebtGroup *debt_group;
    GtkWidget *head_office_label;
    KvLinkState *link;
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

/* Columns of the core's tables used here (src/core/kv-reports.c). */
enum { SALE_RECEIPT, SALE_TIME, SALE_METER, SALE_STATE, SALE_AMOUNT, SALE_ENERGY, SALE_DEBT,
       SALE_CASHIER, SALE_NCOLS };
enum { READ_TIME, READ_COUNTER, READ_TOTAL, READ_USED, READ_REMAINING, READ_LOADED,
       READ_STATUS = 9, READ_ANOMALY, READ_NCOLS };

typedef struct {
    KvMeter *meter;
    KvCardRecord *card; /* the newest user card, or NULL */
    KvTable *readings;  /* kv_report_meter */
} MeterInfo;

struct _Detail {
    KvCustomer *customer;
    GPtrArray *meters; /* MeterInfo */
    KvTable *sales;    /* kv_report_customer */
};

static void meter_info_free(MeterInfo *info)
{
    g_clear_pointer(&info->meter, kv_meter_free);
    g_clear_pointer(&info->card, kv_card_record_free);
    g_clear_pointer(&info->readings, kv_table_free);
    g_free(info);
}

static void detail_free(Detail *d)
{
    g_clear_pointer(&d->customer, kv_customer_free);
    g_clear_pointer(&d->meters, g_ptr_array_unref);
    g_clear_pointer(&d->sales, kv_table_free);
    g_free(d);
}

static gpointer detail_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    gint64 id = *(gint64 *)data;
    g_autoptr(GPtrArray) meters = NULL;
    Detail *d = g_new0(Detail, 1);

    d->meters = g_ptr_array_new_with_free_func((GDestroyNotify)meter_info_free);
    if ((d->customer = kv_customer_get(st, id, error)) == NULL ||
        (meters = kv_meter_list_for_customer(st, id, error)) == NULL)
        goto fail;
    while (meters->len > 0) {
        MeterInfo *info = g_new0(MeterInfo, 1);
        g_autoptr(GPtrArray) cards = NULL;

        info->meter = g_ptr_array_steal_index(meters, 0);
        g_ptr_array_add(d->meters, info);
        if ((cards = kv_card_list_for_meter(st, info->meter->number, error)) == NULL ||
            (info->readings = kv_report_meter(st, info->meter->number, error)) == NULL)
            goto fail;
        for (guint i = 0; i < cards->len && info->card == NULL; i++)
            if (((KvCardRecord *)g_ptr_array_index(cards, i))->type == KV_CARD_USER)
                info->card = g_ptr_array_steal_index(cards, i);
    }
    if ((d->sales = kv_report_customer(st, id, error)) == NULL)
        goto fail;
    return d;
fail:
    detail_free(d);
    return NULL;
}

static const MeterInfo *find_meter(KvCustomersPage *self, guint32 number)
{
    for (guint i = 0; self->detail != NULL && i < self->detail->meters->len; i++) {
        const MeterInfo *info = g_ptr_array_index(self->detail->meters, i);

        if (info->meter->number == number)
            return info;
    }
    return NULL;
}

/* Where the meter is, its tariff, phases, status and card, on one line. */
static char *meter_summary(const MeterInfo *info)
{
    const KvMeter *m = info->meter;
    g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);

    if (m->address != NULL && *m->address != '\0')
        g_ptr_array_add(parts, g_strdup(m->address));
    g_ptr_array_add(parts, g_strdup_printf(_("tariff %s"), m->tariff_code));
    g_ptr_array_add(parts, g_strdup(m->phases == 1 ? _("single phase") : _("three phases")));
    g_ptr_array_add(parts, g_strdup_printf(_("status: %s"), kv_session_status_label(m->status)));
    if (info->card != NULL)
        g_ptr_array_add(parts, g_strdup_printf(_("card No. %u: %s"), info->card->serial,
                                               kv_session_status_label(info->card->status)));
    else
        g_ptr_array_add(parts, g_strdup(_("no card issued")));
    g_ptr_array_add(parts, NULL);
    return g_strjoinv(" · ", (char **)parts->pdata);
}

static GtkWidget *meter_row_new(const MeterInfo *info)
{
    GtkWidget *row = adw_action_row_new();
    GtkWidget *edit = gtk_button_new_from_icon_name("document-edit-symbolic");
    g_autofree char *title = g_strdup_printf(_("Meter %09u"), info->meter->number);
    g_autofree char *edit_label = g_strdup_printf(_("Edit meter %09u"), info->meter->number);
    g_autofree char *summary = meter_summary(info);

    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row), summary);
    gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
    gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
    g_object_set_data(G_OBJECT(row), "kv-meter", GUINT_TO_POINTER(info->meter->number));

    gtk_widget_set_valign(edit, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class(edit, "flat");
    gtk_widget_set_tooltip_text(edit, _("Edit meter"));
    gtk_accessible_update_property(GTK_ACCESSIBLE(edit), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   edit_label, -1);
    gtk_actionable_set_action_name(GTK_ACTIONABLE(edit), "customers.edit-meter");
    gtk_actionable_set_action_target_value(GTK_ACTIONABLE(edit),
                                           g_variant_new_uint32(info->meter->number));
    adw_action_row_add_suffix(ADW_ACTION_ROW(row), edit);
    return row;
}

static void add_message_row(GtkListBox *list, const char *text)
{
    GtkWidget *row = kv_value_row_new(text, NULL, "");

    gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), FALSE);
    gtk_list_box_row_set_selectable(GTK_LIST_BOX_ROW(row), FALSE);
    gtk_list_box_append(list, row);
}

static GtkWidget *history_row_new(const char *title, const char *subtitle)
{
    GtkWidget *row = adw_action_row_new();

    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
    return row;
}

static const char *sale_state_label(const char *state)
{
    static const struct {
        const char *state;
        const char *label;
    } labels[] = {
        {"pending", N_("pending")},       {"written", N_("written, not yet checked")},
        {"completed", N_("completed")},   {"failed", N_("failed, nothing due")},
        {"cancelling", N_("cancelling")}, {"cancelled", N_("cancelled")},
        {"issued", N_("issued, not confirmed")}, {"void", N_("void, nothing due")},
    };

    for (guint i = 0; i < G_N_ELEMENTS(labels); i++)
        if (g_strcmp0(labels[i].state, state) == 0)
            return _(labels[i].label);
    return state;
}

/* The history of one meter (0: the customer has none): its readbacks and
 * the customer's sales to it, newest first. */
static void show_history(KvCustomersPage *self, guint32 number)
{
    const MeterInfo *info = find_meter(self, number);
    g_autofree char *meter = g_strdup_printf("%09u", number);
    const char *currency;
    guint shown = 0;

    self->shown_meter = info != NULL ? number : 0;
    kv_list_box_remove_all(self->readings_list);
    kv_list_box_remove_all(self->sales_list);
    if (info == NULL) {
        adw_preferences_group_set_title(self->readings_group, _("Readbacks"));
        adw_preferences_group_set_title(self->sales_group, _("Sales"));
        add_message_row(self->readings_list, _("No meter chosen"));
        add_message_row(self->sales_list, _("No meter chosen"));
        return;
    }
    {
        g_autofree char *readings = g_strdup_printf(_("Readbacks of Meter %09u"), number);
        g_autofree char *sales = g_strdup_printf(_("Sales to Meter %09u"), number);

        adw_preferences_group_set_title(self->readings_group, readings);
        adw_preferences_group_set_title(self->sales_group, sales);
    }

    /* kv_report_meter lists the readbacks oldest first. */
    if (info->readings != NULL && g_strv_length(info->readings->columns) >= READ_NCOLS) {
        for (guint r = info->readings->rows->len; r > 0 && shown < 50; r--, shown++) {
            char **cells = g_ptr_array_index(info->readings->rows, r - 1);
            guint8 status = (guint8)g_ascii_strtoull(cells[READ_STATUS], NULL, 16);
            g_autofree char *state = kv_session_format_meter_state(status);
            g_autofree char *title = g_strdup_printf(_("Readback %s · %s"), cells[READ_COUNTER],
                                                     cells[READ_TIME]);
            g_autoptr(GString) sub = g_string_new(NULL);

            g_string_printf(sub, _("%s kWh left · %s kWh used in all · %s"),
                            cells[READ_REMAINING], cells[READ_TOTAL], state);
            if (*cells[READ_ANOMALY] != '\0') {
                g_string_append(sub, " · ");
                g_string_append_printf(sub, _("ANOMALY: %s"), cells[READ_ANOMALY]);
            }
            gtk_list_box_append(self->readings_list, history_row_new(title, sub->str));
        }
    }
    if (shown == 0)
        add_message_row(self->readings_list,
                        _("No readback yet: the meter writes one on the customer's card, and "
                          "the station imports it when the card is next read at the "
                          "counter."));

    shown = 0;
    currency = kv_session_get_currency(self->session);
    if (self->detail->sales != NULL && g_strv_length(self->detail->sales->columns) >= SALE_NCOLS) {
        for (guint r = 0; r < self->detail->sales->rows->len && shown < 50; r++) {
            char **cells = g_ptr_array_index(self->detail->sales->rows, r);
            g_autofree char *title = NULL, *sub = NULL;

            if (g_strcmp0(cells[SALE_METER], meter) != 0)
                continue;
            title = g_strdup_printf(_("Receipt %s · %s"), cells[SALE_RECEIPT], cells[SALE_TIME]);
            /* Every amount with its currency. */
            sub = g_strdup_printf(_("%s · %s %s · %s kWh · debt recovered %s %s · cashier %s"),
                                  sale_state_label(cells[SALE_STATE]), cells[SALE_AMOUNT],
                                  currency, cells[SALE_ENERGY], cells[SALE_DEBT], currency,
                                  cells[SALE_CASHIER]);
            gtk_list_box_append(self->sales_list, history_row_new(title, sub));
            shown++;
        }
    }
    if (shown == 0)
        add_message_row(self->sales_list, _("No sale to this meter yet"));
}

static void on_meter_selected_cb(GtkListBox *box, GtkListBoxRow *row, KvCustomersPage *self)
{
    if (row != NULL && g_object_get_data(G_OBJECT(row), "kv-meter") != NULL)
        show_history(self, GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(row), "kv-meter")));
}

static void update_meter_actions(KvCustomersPage *self)
{
    gboolean head_office = self->link != NULL && kv_link_state_get_mode(self->link) != KV_LINK_NONE;
    gboolean may = self->session != NULL && kv_session_get_role(self->session) >= KV_ROLE_SUPERVISOR &&
                   !head_office;

    gtk_widget_action_set_enabled(GTK_WIDGET(self), "customers.new", !head_office);
    gtk_widget_set_visible(self->head_office_label, head_office);

    /* The core refuses the others anyway (kv_meter_add, kv_meter_update). */
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "customers.add-meter",
                                  may && self->editing && self->customer_id > 0);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "customers.edit-meter", may);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "customers.statement",
                                  self->session != NULL && self->editing &&
                                      self->customer_id > 0 && self->detail != NULL);
}

static void on_detail_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvCustomersPage) self = user_data;
    g_autoptr(GError) error = NULL;
    Detail *d = kv_session_run_finish(KV_SESSION(source), result, &error);
    guint32 keep;
    GtkListBoxRow *select = NULL;

    if (d == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            adw_status_page_set_description(self->empty_page, error->message);
            gtk_stack_set_visible_child_name(self->detail_stack, "empty");
        }
        return;
    }
    /* The meter shown stays shown when its customer is reloaded. */
    keep = self->detail != NULL && self->detail->customer->id == d->customer->id
               ? self->shown_meter
               : 0;
    g_clear_pointer(&self->detail, detail_free);
    self->detail = d;
    self->editing = TRUE;
    self->customer_id = d->customer->id;
    self->customer_debt = d->customer->debt;
    kv_debt_group_load(self->debt_group, d->customer->id);
    gtk_editable_set_text(GTK_EDITABLE(self->name_row), d->customer->name);
    gtk_editable_set_text(GTK_EDITABLE(self->address_row), d->customer->address);
    gtk_editable_set_text(GTK_EDITABLE(self->phone_row), d->customer->phone);
    gtk_editable_set_text(GTK_EDITABLE(self->account_row), d->customer->account);
    show_detail_error(self, NULL);

    kv_list_box_remove_all(self->meters_list);
    for (guint i = 0; i < d->meters->len; i++) {
        const MeterInfo *info = g_ptr_array_index(d->meters, i);
        GtkWidget *row = meter_row_new(info);

        gtk_list_box_append(self->meters_list, row);
        if (select == NULL || info->meter->number == keep)
            select = GTK_LIST_BOX_ROW(row);
    }
    if (d->meters->len == 0)
        add_message_row(self->meters_list, _("No meter"));
    self->shown_meter = 0;
    if (select != NULL)
        gtk_list_box_select_row(self->meters_list, select);
    else
        show_history(self, 0);
    update_meter_actions(self);
    gtk_stack_set_visible_child_name(self->detail_stack, "detail");
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

/* Down in the search field goes to the results, Enter there opens one. */
static gboolean on_search_key_cb(GtkEventControllerKey *controller, guint keyval,
                                 guint keycode, GdkModifierType state, KvCustomersPage *self)
{
    GtkListBoxRow *first;

    if ((keyval != GDK_KEY_Down && keyval != GDK_KEY_KP_Down) ||
        (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK)) != 0)
        return FALSE;
    first = gtk_list_box_get_row_at_index(self->results_list, 0);
    if (first == NULL)
        return FALSE;
    gtk_widget_grab_focus(GTK_WIDGET(first));
    return TRUE;
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
    kv_debt_group_load(self->debt_group, 0);
    gtk_editable_set_text(GTK_EDITABLE(self->name_row), "");
    gtk_editable_set_text(GTK_EDITABLE(self->address_row), "");
    gtk_editable_set_text(GTK_EDITABLE(self->phone_row), "");
    gtk_editable_set_text(GTK_EDITABLE(self->account_row), "");
    show_detail_error(self, NULL);
    g_cancellable_cancel(self->detail_cancel);
    g_clear_pointer(&self->detail, detail_free);
    kv_list_box_remove_all(self->meters_list);
    add_message_row(self->meters_list, _("Save the customer first, then add their meters."));
    show_history(self, 0);
    update_meter_actions(self);
    gtk_list_box_unselect_all(self->results_list);
    gtk_stack_set_visible_child_name(self->detail_stack, "detail");
    gtk_widget_grab_focus(GTK_WIDGET(self->name_row));
}

/* ---- meters ------------------------------------------------------------------------ */

static void on_meter_saved_cb(KvMeterDialog *dialog, guint number, KvCustomersPage *self)
{
    /* Show the meter just saved, and find it by its number from now on. */
    self->shown_meter = number;
    load_customer(self, self->customer_id);
    on_search_changed_cb(self->search_entry, self);
}

static void open_meter_dialog(KvCustomersPage *self, const KvMeter *meter)
{
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    KvMeterDialog *dialog = kv_meter_dialog_new(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
                                                self->session, self->customer_id, meter);

    g_signal_connect_object(dialog, "saved", G_CALLBACK(on_meter_saved_cb), self, 0);
    gtk_window_present(GTK_WINDOW(dialog));
}

static void kv_customers_page_add_meter(GtkWidget *widget, const char *action_name,
                                        GVariant *param)
{
    KvCustomersPage *self = KV_CUSTOMERS_PAGE(widget);

    if (self->session != NULL && self->customer_id > 0)
        open_meter_dialog(self, NULL);
}

static void kv_customers_page_edit_meter(GtkWidget *widget, const char *action_name,
                                         GVariant *param)
{
    KvCustomersPage *self = KV_CUSTOMERS_PAGE(widget);
    const MeterInfo *info = find_meter(self, g_variant_get_uint32(param));

    if (self->session != NULL && info != NULL)
        open_meter_dialog(self, info->meter);
}

/* ---- the statement ------------------------------------------------------------------ */

static void kv_customers_page_statement(GtkWidget *widget, const char *action_name,
                                        GVariant *param)
{
    KvCustomersPage *self = KV_CUSTOMERS_PAGE(widget);
    GtkRoot *root = gtk_widget_get_root(widget);

    if (self->session == NULL || self->customer_id <= 0 || self->detail == NULL)
        return;
    gtk_window_present(GTK_WINDOW(kv_statement_dialog_new(
        GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, self->session, self->customer_id,
        self->detail->customer->name)));
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
    g_clear_object(&self->link);
    kv_widget_dispose_children(GTK_WIDGET(self), KV_TYPE_CUSTOMERS_PAGE);
    if (self->session != NULL)
        g_signal_handlers_disconnect_by_data(self->session, self);
    g_clear_object(&self->session);
    g_clear_pointer(&self->hits, g_ptr_array_unref);
    g_clear_pointer(&self->detail, detail_free);
    G_OBJECT_CLASS(kv_customers_page_parent_class)->dispose(object);
}

static void kv_customers_page_class_init(KvCustomersPageClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    kv_widget_class_set_template(widget_class, kv_customers_page_dispose, GTK_TYPE_BIN_LAYOUT,
                                 "kv-customers-page.ui");
    g_type_ensure(KV_TYPE_DEBT_GROUP);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, search_entry);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, debt_group);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, head_office_label);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, results_list);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, detail_stack);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, empty_page);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, name_row);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, address_row);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, phone_row);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, account_row);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, detail_error_label);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, meters_list);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, readings_group);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, readings_list);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, sales_group);
    gtk_widget_class_bind_template_child(widget_class, KvCustomersPage, sales_list);

    gtk_widget_class_install_action(widget_class, "customers.new", NULL, kv_customers_page_new);
    gtk_widget_class_install_action(widget_class, "customers.save", NULL,
                                    kv_customers_page_save);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_s, GDK_CONTROL_MASK,
                                        "customers.save", NULL);
    gtk_widget_class_install_action(widget_class, "customers.statement", NULL,
                                    kv_customers_page_statement);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_t, GDK_CONTROL_MASK,
                                        "customers.statement", NULL);
    gtk_widget_class_install_action(widget_class, "customers.add-meter", NULL,
                                    kv_customers_page_add_meter);
    gtk_widget_class_install_action(widget_class, "customers.edit-meter", "u",
                                    kv_customers_page_edit_meter);
}

static void kv_customers_page_init(KvCustomersPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    g_signal_connect(self->search_entry, "search-changed", G_CALLBACK(on_search_changed_cb),
                     self);
    g_signal_connect(self->search_entry, "activate", G_CALLBACK(on_search_activate_cb), self);
    {
        GtkEventController *keys = gtk_event_controller_key_new();

        gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
        g_signal_connect(keys, "key-pressed", G_CALLBACK(on_search_key_cb), self);
        gtk_widget_add_controller(GTK_WIDGET(self->search_entry), keys);
    }
    g_signal_connect(self->results_list, "row-activated", G_CALLBACK(on_row_activated_cb),
                     self);
    g_signal_connect(self->meters_list, "row-selected", G_CALLBACK(on_meter_selected_cb), self);
    update_meter_actions(self);
}

void kv_customers_page_set_session(KvCustomersPage *self, KvSession *session)
{
    g_return_if_fail(KV_IS_CUSTOMERS_PAGE(self));
    if (self->session != NULL)
        g_signal_handlers_disconnect_by_data(self->session, self);
    g_set_object(&self->session, session);
    if (session != NULL)
        kv_debt_group_set_session(self->debt_group, session);
    if (session != NULL)
        g_signal_connect_swapped(session, "notify::role", G_CALLBACK(update_meter_actions),
                                 self);
    update_meter_actions(self);
}

void kv_customers_page_focus_search(KvCustomersPage *self)
{
    g_return_if_fail(KV_IS_CUSTOMERS_PAGE(self));
    gtk_widget_grab_focus(GTK_WIDGET(self->search_entry));
}

void kv_customers_page_set_link(KvCustomersPage *self, KvLinkState *link)
{
    g_return_if_fail(KV_IS_CUSTOMERS_PAGE(self));

    g_set_object(&self->link, link);
    g_signal_connect_object(link, "notify::mode", G_CALLBACK(update_meter_actions), self,
                            G_CONNECT_SWAPPED);
    update_meter_actions(self);
}
