/* kv-sell-page.c - the home screen.
 *
 * A card in the reader is read by itself; the cashier types an amount,
 * sees the breakdown and any refusal before confirming, confirms with
 * Enter, and gets a clear result and a receipt. */
#define G_LOG_DOMAIN "kv-sell-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-widget-util.h"

#include "kv-amount.h"
#include "kv-sell-page.h"

struct _KvSellPage {
    GtkWidget parent_instance;

    KvSession *session;

    /* Template children */
    GtkStack *card_stack;
    AdwStatusPage *no_card_page;
    GtkSpinner *reading_spinner;
    GtkLabel *pending_warning;
    GtkLabel *customer_label;
    GtkLabel *account_label;
    GtkLabel *meter_label;
    GtkLabel *card_label;
    GtkLabel *remaining_label;
    GtkLabel *energy_label;
    GtkLabel *meter_state_label;
    GtkLabel *readback_time_label;
    AdwStatusPage *card_error_page;
    GtkToggleButton *money_toggle;
    GtkToggleButton *kwh_toggle;
    GtkEntry *amount_entry;
    GtkLabel *amount_hint;
    GtkListBox *breakdown_list;
    GtkLabel *refusal_label;
    GtkButton *sell_button;
    GtkProgressBar *sale_progress;
    GtkBox *result_box;
    GtkLabel *result_title;
    GtkLabel *result_detail;
    GtkBox *receipt_box;
};

G_DEFINE_FINAL_TYPE(KvSellPage, kv_sell_page, GTK_TYPE_WIDGET)

static gboolean amount_in_kwh(KvSellPage *self)
{
    return gtk_toggle_button_get_active(self->kwh_toggle);
}

static guint amount_digits(KvSellPage *self)
{
    if (amount_in_kwh(self) || self->session == NULL)
        return 2;
    return kv_session_get_currency_digits(self->session);
}

static void update_hint(KvSellPage *self)
{
    const char *text = gtk_editable_get_text(GTK_EDITABLE(self->amount_entry));
    g_autoptr(GError) error = NULL;
    gint64 value = 0;

    if (*text == '\0') {
        gtk_label_set_label(self->amount_hint, amount_in_kwh(self)
                                                   ? _("Type the energy to sell, in kWh.")
                                                   : _("Type the amount paid."));
        return;
    }
    if (!kv_amount_parse(text, amount_digits(self), &value, &error))
        gtk_label_set_label(self->amount_hint, error->message);
    else
        gtk_label_set_label(self->amount_hint, "");
}

static void on_amount_changed_cb(GtkEditable *editable, KvSellPage *self)
{
    update_hint(self);
}

static void on_unit_toggled_cb(GtkToggleButton *button, KvSellPage *self)
{
    if (!gtk_toggle_button_get_active(button))
        return;
    update_hint(self);
    gtk_widget_grab_focus(GTK_WIDGET(self->amount_entry));
}

static void kv_sell_page_unit(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvSellPage *self = KV_SELL_PAGE(widget);
    gboolean kwh = g_strcmp0(g_variant_get_string(param, NULL), "kwh") == 0;

    gtk_toggle_button_set_active(kwh ? self->kwh_toggle : self->money_toggle, TRUE);
}

static void kv_sell_page_clear(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvSellPage *self = KV_SELL_PAGE(widget);

    gtk_editable_set_text(GTK_EDITABLE(self->amount_entry), "");
    gtk_widget_grab_focus(GTK_WIDGET(self->amount_entry));
}

static void kv_sell_page_dispose(GObject *object)
{
    KvSellPage *self = KV_SELL_PAGE(object);

    gtk_widget_dispose_template(GTK_WIDGET(self), KV_TYPE_SELL_PAGE);
    kv_widget_unparent_children(GTK_WIDGET(self));
    g_clear_object(&self->session);
    G_OBJECT_CLASS(kv_sell_page_parent_class)->dispose(object);
}

static void kv_sell_page_class_init(KvSellPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = kv_sell_page_dispose;

    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/kilovend/Station/kv-sell-page.ui");
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, card_stack);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, no_card_page);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, reading_spinner);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, pending_warning);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, customer_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, account_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, meter_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, card_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, remaining_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, energy_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, meter_state_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, readback_time_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, card_error_page);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, money_toggle);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, kwh_toggle);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, amount_entry);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, amount_hint);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, breakdown_list);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, refusal_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, sell_button);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, sale_progress);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, result_box);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, result_title);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, result_detail);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, receipt_box);

    gtk_widget_class_install_action(widget_class, "sell.unit", "s", kv_sell_page_unit);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "sell.unit",
                                        "s", "money");
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_k, GDK_CONTROL_MASK, "sell.unit",
                                        "s", "kwh");
    gtk_widget_class_install_action(widget_class, "sell.clear", NULL, kv_sell_page_clear);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "sell.clear", NULL);
}

static void kv_sell_page_init(KvSellPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    g_signal_connect(self->amount_entry, "changed", G_CALLBACK(on_amount_changed_cb), self);
    g_signal_connect(self->money_toggle, "toggled", G_CALLBACK(on_unit_toggled_cb), self);
    g_signal_connect(self->kwh_toggle, "toggled", G_CALLBACK(on_unit_toggled_cb), self);
    update_hint(self);
}

void kv_sell_page_set_session(KvSellPage *self, KvSession *session)
{
    g_return_if_fail(KV_IS_SELL_PAGE(self));
    g_set_object(&self->session, session);
}

void kv_sell_page_focus_amount(KvSellPage *self)
{
    g_return_if_fail(KV_IS_SELL_PAGE(self));
    gtk_widget_grab_focus(GTK_WIDGET(self->amount_entry));
}
