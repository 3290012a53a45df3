/* kv-sell-page.c - the home screen.
 *
 * A card in the reader is read by itself (the watcher's signal starts a read
 * on the session's worker); the cashier types an amount, sees the breakdown
 * and any refusal before confirming (the core's quote, asked again as they
 * type), confirms with Enter, watches the card being written, and gets a
 * clear result and a receipt.  If the card or the reader goes away during
 * the write, the page says what state the card and the sale are in and
 * what to do, and finishes the story when the card comes back. */
#define G_LOG_DOMAIN "kv-sell-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-breakdown.h"
#include "kv-card-steps.h"
#include "kv-card-service.h"
#include "kv-receipt-print.h"
#include "kv-sell-page.h"
#include "kv-timing.h"
#include "kv-widget-util.h"

typedef enum {
    SALE_IDLE,     /* typing */
    SALE_SELLING,  /* the worker is writing the card */
    SALE_DONE,     /* completed: receipt */
    SALE_FAILED    /* failed or on hold: the result says what to do */
} SaleState;

struct _KvSellPage {
    GtkWidget parent_instance;

    KvSession *session;
    GSettings *settings;
    KvCardWatcher *watcher;

    KvCardInfo *info;          /* the card at the counter */
    KvSale *quote;             /* the current amount, priced */
    char *quoted_text;         /* the amount field's text the quote is for */
    gboolean quoted_kwh;       /* ... and its unit */
    gint64 room;               /* most energy the meter takes now, or -1 */
    char *refusal;             /* why the quote or the card cannot be sold */
    KvSale *sale;              /* the completed sale (receipt) */
    gint64 held_sale_id;       /* a sale left unresolved by a pulled card */
    guint32 held_meter;
    SaleState state;
    guint quote_source;
    guint pulse_source;
    GCancellable *read_cancel;
    GCancellable *quote_cancel;
    GCancellable *free_cancel;
    gint64 free_due;           /* the month's free allocation due to the card's customer */

    /* Template children */
    GtkStack *card_stack;
    AdwStatusPage *no_card_page;
    GtkSpinner *reading_spinner;
    GtkLabel *pending_warning;
    GtkLabel *customer_label;
    GtkLabel *account_label;
    GtkLabel *debt_label;
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
    GtkLabel *amount_unit;
    GtkLabel *amount_hint;
    GtkButton *max_button;
    GtkButton *free_button;
    GtkDropDown *payment_dropdown;
    GtkWidget *reference_box;
    GtkEntry *reference_entry;
    GtkLabel *payment_hint;
    GtkWidget *cash_box;
    GtkEntry *cash_entry;
    GtkLabel *change_label;
    GtkButton *next_button;
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

static void request_quote(KvSellPage *self);
static void focus_next_action(KvSellPage *self);
static void check_free_due(KvSellPage *self);
static void show_free_due(KvSellPage *self, gint64 energy);

/* ---- helpers -------------------------------------------------------------- */

static gboolean amount_in_kwh(KvSellPage *self)
{
    return gtk_toggle_button_get_active(self->kwh_toggle);
}

/* The quote on screen is for exactly what the amount field says now. */
static gboolean quote_matches(KvSellPage *self)
{
    return self->quote != NULL && self->quoted_kwh == amount_in_kwh(self) &&
           g_strcmp0(self->quoted_text,
                     gtk_editable_get_text(GTK_EDITABLE(self->amount_entry))) == 0;
}

static KvPaymentType payment_type(KvSellPage *self)
{
    guint i = gtk_drop_down_get_selected(self->payment_dropdown);

    return i < KV_PAYMENT_N_TYPES ? (KvPaymentType)i : KV_PAYMENT_CASH;
}

/* The payment's problem under its fields (NULL: none). */
static void show_payment_hint(KvSellPage *self, const char *text)
{
    gtk_label_set_label(self->payment_hint, text != NULL ? text : "");
    kv_widget_reveal(GTK_WIDGET(self->payment_hint), text != NULL);
    if (text != NULL)
        kv_widget_scroll_into_view(GTK_WIDGET(self->payment_hint));
}

/* The payment as the sale takes it: the type, and the reference typed
 * (NULL: none); FALSE with the reason shown and the reference field
 * focused when the type needs one and none (or a malformed one) is typed. */
static gboolean read_payment(KvSellPage *self, KvSaleRequest *req, char **reference)
{
    KvPaymentType type = payment_type(self);
    g_autofree char *ref =
        g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->reference_entry))));
    g_autoptr(GError) error = NULL;

    if (type == KV_PAYMENT_CASH || *ref == '\0')
        g_clear_pointer(&ref, g_free);
    if (ref == NULL && kv_payment_needs_reference(type)) {
        g_autofree char *text = g_strdup_printf(
            _("A %s payment needs its reference: type the reference the customer shows "
              "(the transaction number), then sell."),
            kv_payment_label(type));
        show_payment_hint(self, text);
    } else if (!kv_payment_check(type, ref, &error)) {
        g_autofree char *text = kv_sentence(error->message);
        show_payment_hint(self, text);
    } else {
        show_payment_hint(self, NULL);
        req->payment = type;
        *reference = g_steal_pointer(&ref);
        return TRUE;
    }
    gtk_widget_grab_focus(GTK_WIDGET(self->reference_entry));
    return FALSE;
}

/* The cash typed in minor units: 0 when the field is empty, -1 when it is
 * not an amount. */
static gint64 cash_received(KvSellPage *self)
{
    const char *text = gtk_editable_get_text(GTK_EDITABLE(self->cash_entry));
    gint64 value = 0;

    if (*text == '\0' || self->session == NULL || payment_type(self) != KV_PAYMENT_CASH)
        return 0;
    return kv_session_parse_money(self->session, text, &value, NULL) ? value : -1;
}

/* Cash tendered covers the price (or no cash was typed: paid exactly, or
 * by another means). */
static gboolean cash_covers(KvSellPage *self)
{
    gint64 cash = cash_received(self);

    return cash == 0 || (self->quote != NULL && cash >= self->quote->breakdown.amount);
}

static void set_entry_error(GtkWidget *entry, gboolean error)
{
    if (error)
        gtk_widget_add_css_class(entry, "error");
    else
        gtk_widget_remove_css_class(entry, "error");
}

/* The change due, or what is missing, under the cash field. */
static void update_change(KvSellPage *self)
{
    gint64 cash = cash_received(self);
    g_autofree char *text = NULL;

    set_entry_error(GTK_WIDGET(self->cash_entry), cash < 0 || !cash_covers(self));
    if (cash < 0) {
        text = g_strdup(_("Type the cash received, or leave it empty."));
    } else if (cash > 0 && self->quote != NULL) {
        gint64 due = self->quote->breakdown.amount;
        g_autofree char *diff = kv_session_format_money(self->session, ABS(cash - due));

        text = cash >= due ? g_strdup_printf(_("Change due: %s"), diff)
                           : g_strdup_printf(_("Not enough cash: %s short"), diff);
    }
    gtk_label_set_label(self->change_label, text != NULL ? text : "");
}

/* The Sell button says what it sells. */
static void update_sell_label(KvSellPage *self, gboolean can_sell)
{
    g_autofree char *text = NULL;

    if (can_sell) {
        g_autofree char *kwh = kv_session_format_energy(self->quote->breakdown.energy);
        g_autofree char *paid = kv_session_format_money(self->session,
                                                        self->quote->breakdown.amount);
        /* Translators: the Sell button, "Sell 12.50 kWh for 25.50 GHS" */
        text = g_strdup_printf(_("_Sell %s for %s"), kwh, paid);
    }
    gtk_button_set_label(self->sell_button, text != NULL ? text : _("_Sell"));
    /* The button's new label became its accessible name, mnemonic mark
     * included: the name is the label as read, "Sell" first. */
    {
        g_autofree char *name = g_strdup(gtk_button_get_label(self->sell_button));
        char *w = name;

        for (const char *r = name; *r != '\0'; r++)
            if (*r != '_')
                *w++ = *r;
        *w = '\0';
        gtk_accessible_update_property(GTK_ACCESSIBLE(self->sell_button),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       text != NULL ? name : _("Nothing to sell yet"), -1);
    }
}

static void update_actions(KvSellPage *self)
{
    gboolean can_sell = self->session != NULL && kv_session_get_shift_open(self->session) &&
                        self->info != NULL && self->info->meter != NULL &&
                        quote_matches(self) && self->refusal == NULL &&
                        cash_covers(self) && self->state == SALE_IDLE;
    gboolean have_sale = self->sale != NULL && self->state != SALE_SELLING;

    gtk_widget_action_set_enabled(GTK_WIDGET(self), "sell.confirm", can_sell);
    update_sell_label(self, can_sell);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "sell.sell-maximum",
                                  self->room > 0 && self->state == SALE_IDLE);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "sell.free-only",
                                  self->free_due > 0 && self->state == SALE_IDLE &&
                                      self->session != NULL &&
                                      kv_session_get_shift_open(self->session) &&
                                      self->info != NULL && self->info->meter != NULL);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "sell.print-receipt", have_sale);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "sell.save-receipt", have_sale);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "sell.preview-receipt", have_sale);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "sell.new-sale",
                                  self->state == SALE_DONE || self->state == SALE_FAILED);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "sell.cancel-sale",
                                  self->state == SALE_DONE && self->sale != NULL &&
                                      self->info != NULL);
    /* Not insensitive: the entry keeps the keyboard focus (GTK 4.8 warns
     * when a focused entry is made insensitive), it just takes no typing. */
    gtk_editable_set_editable(GTK_EDITABLE(self->amount_entry), self->state == SALE_IDLE);
    gtk_editable_set_editable(GTK_EDITABLE(self->cash_entry), self->state == SALE_IDLE);
    gtk_editable_set_editable(GTK_EDITABLE(self->reference_entry), self->state == SALE_IDLE);
    gtk_widget_set_sensitive(GTK_WIDGET(self->payment_dropdown), self->state == SALE_IDLE);
    gtk_widget_set_sensitive(GTK_WIDGET(self->money_toggle), self->state == SALE_IDLE);
    gtk_widget_set_sensitive(GTK_WIDGET(self->kwh_toggle), self->state == SALE_IDLE);
}

/* A refusal, with the largest sale the meter takes (room, 0.01 kWh) offered
 * when there is one (-1: none). */
static void set_refusal_with_room(KvSellPage *self, const char *text, gint64 room)
{
    g_free(self->refusal);
    self->refusal = g_strdup(text);
    self->room = text != NULL ? room : -1;
    gtk_label_set_label(self->refusal_label, text != NULL ? text : "");
    kv_widget_reveal(GTK_WIDGET(self->refusal_label), text != NULL);
    if (self->room > 0) {
        g_autofree char *kwh = kv_session_format_energy(self->room);
        g_autofree char *label = g_strdup_printf(_("Sell the Maximum, %s"), kwh);
        gtk_button_set_label(self->max_button, label);
    }
    kv_widget_reveal(GTK_WIDGET(self->max_button), self->room > 0);
    update_actions(self);
}

static void set_refusal(KvSellPage *self, const char *text)
{
    set_refusal_with_room(self, text, -1);
}

static void show_result(KvSellPage *self, const char *title, const char *detail, gboolean ok)
{
    gtk_label_set_label(self->result_title, title);
    gtk_label_set_label(self->result_detail, detail != NULL ? detail : "");
    kv_widget_reveal(GTK_WIDGET(self->result_box), TRUE);
    gtk_widget_set_visible(GTK_WIDGET(self->receipt_box), ok && self->sale != NULL);
    kv_widget_scroll_into_view(GTK_WIDGET(self->result_box));
    if (ok) {
        gtk_widget_add_css_class(GTK_WIDGET(self->result_title), "success");
        gtk_widget_remove_css_class(GTK_WIDGET(self->result_title), "error");
    } else {
        gtk_widget_add_css_class(GTK_WIDGET(self->result_title), "error");
        gtk_widget_remove_css_class(GTK_WIDGET(self->result_title), "success");
    }
}

static void clear_breakdown(KvSellPage *self)
{
    kv_list_box_remove_all(self->breakdown_list);
    gtk_widget_set_visible(GTK_WIDGET(self->breakdown_list), FALSE);
    g_clear_pointer(&self->quote, kv_sale_free);
    g_clear_pointer(&self->quoted_text, g_free);
    update_change(self);
}

/* Money or kWh, shown inside the amount field. */
static void set_unit(KvSellPage *self, gboolean kwh)
{
    gtk_toggle_button_set_active(kwh ? self->kwh_toggle : self->money_toggle, TRUE);
}

static void show_unit(KvSellPage *self)
{
    const char *currency = self->session != NULL ? kv_session_get_currency(self->session) : NULL;

    gtk_label_set_label(self->amount_unit, amount_in_kwh(self)
                                               ? _("kWh")
                                               : (currency != NULL ? currency : ""));
}

static void stop_pulse(KvSellPage *self)
{
    kv_card_steps_hide(self->sale_progress, &self->pulse_source);
}

/* Back to an empty sale form, keeping the card. */
static void reset_sale(KvSellPage *self)
{
    stop_pulse(self);
    self->state = SALE_IDLE;
    g_clear_pointer(&self->sale, kv_sale_free);
    kv_widget_reveal(GTK_WIDGET(self->result_box), FALSE);
    clear_breakdown(self);
    set_refusal(self, NULL);
    gtk_editable_set_text(GTK_EDITABLE(self->amount_entry), "");
    gtk_editable_set_text(GTK_EDITABLE(self->cash_entry), "");
    /* ... and pays cash, with no reference of the last one's. */
    gtk_drop_down_set_selected(self->payment_dropdown, KV_PAYMENT_CASH);
    gtk_editable_set_text(GTK_EDITABLE(self->reference_entry), "");
    show_payment_hint(self, NULL);
    /* Every customer starts in money: a unit never carries over. */
    set_unit(self, FALSE);
    update_actions(self);
}

static char *format_time(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);

    /* Unambiguous whatever the locale: 2026-12-02 14:05. */
    return dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M") : g_strdup("");
}

/* ---- showing the card ------------------------------------------------------ */

static void show_card_error(KvSellPage *self, const char *title, const char *description)
{
    adw_status_page_set_title(self->card_error_page, title);
    adw_status_page_set_description(self->card_error_page, description);
    gtk_stack_set_visible_child_name(self->card_stack, "error");
}

static void explain_card_error(KvSellPage *self, const GError *error)
{
    const char *title = _("The Card Cannot Be Read");
    g_autofree char *what = NULL;
    /* The core's message as a sentence for the cashier. */
    g_autofree char *sentence = kv_sentence(error->message);

    if (error->domain == KV_CARD_ERROR) {
        switch (error->code) {
        case KV_CARD_ERROR_BLANK:
            title = _("Blank Card");
            what = g_strdup(_("This card has never been issued. Issue it to a meter on the "
                              "Cards page, or take the customer's own card."));
            break;
        case KV_CARD_ERROR_OTHER_UTILITY:
            title = _("Card of Another Utility");
            what = g_strdup(_("This card was not issued by this utility: it cannot be sold "
                              "here. Give it back to the customer."));
            break;
        case KV_CARD_ERROR_NOT_SLE4442:
            title = _("Not a Prepayment Card");
            what = g_strdup(_("This is not an electricity card (a bank or SIM card?). Take "
                              "it out and insert the customer's meter card."));
            break;
        case KV_CARD_ERROR_DAMAGED:
            title = _("Damaged Card");
            what = g_strdup(_("The card's identity is damaged. A supervisor can replace it "
                              "on the Cards page; the new card carries the credit not yet "
                              "loaded."));
            break;
        case KV_CARD_ERROR_LOCKED:
            title = _("Locked Card");
            what = g_strdup(_("The card is locked after too many wrong codes and can only "
                              "be read. A supervisor replaces it on the Cards page."));
            break;
        case KV_CARD_ERROR_CARD_REMOVED:
        case KV_CARD_ERROR_NO_CARD:
            title = _("Card Removed");
            what = g_strdup(_("The card was taken out while it was being read. Insert it "
                              "again and leave it in."));
            break;
        default:
            what = g_strdup_printf(_("%s Take the card out and insert it again."), sentence);
            break;
        }
    } else if (g_error_matches(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS)) {
        title = _("Keys Locked");
        what = g_strdup_printf(_("%s A supervisor must unlock the keys: close and reopen "
                                 "the shift."),
                               sentence);
    } else {
        what = g_strdup(sentence);
    }
    show_card_error(self, title, what);
}

/* What the customer owes: part of each purchase goes to it (the
 * breakdown shows how much). */
static void show_debt(KvSellPage *self, gint64 debt)
{
    g_autofree char *money = debt > 0 ? kv_session_format_money(self->session, debt) : NULL;

    gtk_label_set_label(self->debt_label, money != NULL ? money : _("None"));
    if (debt > 0)
        gtk_widget_add_css_class(GTK_WIDGET(self->debt_label), "warning");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(self->debt_label), "warning");
}

static void show_card(KvSellPage *self)
{
    KvCardInfo *info = self->info;
    const kv_card_view *view = &info->read.view;
    g_autofree char *meter = g_strdup_printf("%09u", view->id.meter_number);
    g_autofree char *card = NULL;
    const char *status = kv_session_status_label(info->read.card_status);

    card = g_strdup_printf(_("No. %u · %s"), view->id.card_serial, status);
    gtk_label_set_label(self->meter_label, meter);
    gtk_label_set_label(self->card_label, card);
    if (info->customer != NULL) {
        gtk_label_set_label(self->customer_label, info->customer->name);
        gtk_label_set_label(self->account_label, info->customer->account);
        show_debt(self, info->customer->debt);
    } else {
        gtk_label_set_label(self->customer_label,
                            info->meter != NULL ? _("No customer") : _("Unknown meter"));
        gtk_label_set_label(self->account_label, "—");
        gtk_label_set_label(self->debt_label, "—");
    }

    if (view->readback_err == KV_OK) {
        g_autofree char *remaining = kv_session_format_energy(view->readback.remaining);
        g_autofree char *energy = kv_session_format_energy(view->readback.total_energy);
        g_autofree char *state = kv_session_format_meter_state(view->readback.status);
        g_autofree char *when = info->meter != NULL && info->meter->rb_at > 0
                                    ? format_time(info->meter->rb_at)
                                    : g_strdup(_("now"));

        gtk_label_set_label(self->remaining_label, remaining);
        gtk_label_set_label(self->energy_label, energy);
        gtk_label_set_label(self->meter_state_label, state);
        gtk_label_set_label(self->readback_time_label, when);
    } else {
        gtk_label_set_label(self->remaining_label, "—");
        gtk_label_set_label(self->energy_label, "—");
        gtk_label_set_label(self->meter_state_label,
                            _("The meter has not written on this card yet"));
        gtk_label_set_label(self->readback_time_label, "—");
    }

    /* Credit sold but not yet loaded by the meter; anomalies this read
     * recorded (a readback going backwards, an issued sale proven late). */
    {
        g_autoptr(GString) text = g_string_new(NULL);
        if (info->read.credit_on_card > 0) {
            g_autofree char *kwh = kv_session_format_energy(info->read.credit_on_card);
            g_string_append_printf(
                text,
                _("This card still carries %s that the meter has not loaded. Ask the customer "
                  "to insert the card into the meter before buying more, or the meter may "
                  "refuse the new credit."),
                kwh);
        }
        if (info->read.anomalies_raised > 0) {
            if (text->len)
                g_string_append(text, "\n");
            g_string_append(text, _("WARNING: reading this card recorded an anomaly for this "
                                    "meter (see the reports; a supervisor must look at it)."));
        }
        if (text->len)
            gtk_label_set_label(self->pending_warning, text->str);
        kv_widget_reveal(GTK_WIDGET(self->pending_warning), text->len > 0);
    }
    gtk_stack_set_visible_child_name(self->card_stack, "card");
}

/* The sale refused before any amount is typed, from the card alone. */
static char *card_refusal(KvSellPage *self)
{
    KvCardInfo *info = self->info;

    if (info->meter == NULL)
        return g_strdup_printf(_("Meter %09u is not registered at this station: no sale. "
                                 "Check the customer's records on the Customers page."),
                               info->read.view.id.meter_number);
    if (!info->read.known_card)
        return g_strdup(_("This card is not in the station's records: no sale. A "
                          "supervisor can replace it on the Cards page."));
    if (g_strcmp0(info->read.card_status, kv_card_status_name(KV_CARD_STATUS_ACTIVE)) != 0)
        return g_strdup_printf(_("This card is %s: no sale. Keep the card and ask the "
                                 "customer for their current card."),
                               kv_session_status_label(info->read.card_status));
    if (g_strcmp0(info->meter->status, kv_meter_status_name(KV_METER_STATUS_ACTIVE)) != 0)
        return g_strdup_printf(_("Meter %09u is %s: no sale."), info->meter->number,
                               kv_session_status_label(info->meter->status));
    return NULL;
}

/* ---- a sale held by a pulled card, coming back ------------------------------ */

static gpointer get_sale_in_worker(KvSession *session, KvStation *st, gpointer data,
                                   GCancellable *cancellable, GError **error)
{
    return kv_sale_get(st, *(gint64 *)data, error);
}

static void on_held_sale_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvSellPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvSale) sale = kv_session_run_finish(KV_SESSION(source), result, &error);
    g_autofree char *detail = NULL;

    if (sale == NULL)
        return;
    if (sale->state == KV_SALE_COMPLETED) {
        g_autofree char *kwh = kv_session_format_energy(sale->breakdown.energy);
        g_autofree char *paid = kv_session_format_money(self->session, sale->breakdown.amount);

        self->held_sale_id = 0;
        g_clear_pointer(&self->sale, kv_sale_free);
        self->sale = g_steal_pointer(&sale);
        self->state = SALE_DONE;
        detail = g_strdup_printf(_("Receipt %lld: the interrupted sale is "
                                   "finished. %s is on the card. Take %s."),
                                 (long long)self->sale->id, kwh, paid);
        show_result(self, _("Sale Completed"), detail, TRUE);
    } else if (sale->state == KV_SALE_ISSUED || sale->state == KV_SALE_VOID) {
        self->held_sale_id = 0;
        self->state = SALE_FAILED;
        detail = g_strdup_printf(
            sale->state == KV_SALE_VOID
                ? _("Receipt %lld: a supervisor closed the sale without payment. No money is due.")
                : _("Receipt %lld: the card still does not show the credit. The sale stays "
                    "ISSUED, not confirmed: a supervisor must decide whether it was paid. "
                    "You can sell again; a sale of at least the same energy covers it."),
            (long long)sale->id);
        show_result(self, _("Sale Not Confirmed"), detail, FALSE);
    } else if (sale->state == KV_SALE_FAILED || sale->state == KV_SALE_CANCELLED) {
        self->held_sale_id = 0;
        self->state = SALE_FAILED;
        detail = g_strdup_printf(_("Receipt %lld: the interrupted sale did "
                                   "not reach the card and is cancelled. No money is due. "
                                   "You can sell again."),
                                 (long long)sale->id);
        show_result(self, _("Sale Cancelled"), detail, FALSE);
    } else {
        detail = g_strdup_printf(_("Sale %lld is still on hold: the station "
                                   "could not tell whether the card holds it. Leave the card "
                                   "in the reader and call a supervisor."),
                                 (long long)sale->id);
        self->state = SALE_FAILED;
        show_result(self, _("Sale Still on Hold"), detail, FALSE);
    }
    update_actions(self);
    focus_next_action(self);
}

/* ---- reading the card ------------------------------------------------------- */

static void on_card_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvSellPage) self = user_data;
    g_autoptr(GError) error = NULL;
    KvCardInfo *info = kv_session_read_card_finish(KV_SESSION(source), result, &error);
    g_autofree char *refusal = NULL;

    if (info == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            explain_card_error(self, error);
        return;
    }
    g_clear_pointer(&self->info, kv_card_info_free);
    self->info = info;
    show_card(self);
    kv_timing_mark("customer-shown");

    refusal = card_refusal(self);
    set_refusal(self, refusal);

    /* The card of a sale left on hold is back: the core resolved it. */
    if (self->held_sale_id != 0 && info->meter != NULL &&
        info->meter->number == self->held_meter) {
        gint64 *id = g_new(gint64, 1);

        *id = self->held_sale_id;
        kv_session_run_async(self->session, get_sale_in_worker, id, g_free,
                             (GDestroyNotify)kv_sale_free, NULL, on_held_sale_cb,
                             g_object_ref(self));
        return;
    }
    if (refusal == NULL) {
        request_quote(self);
        check_free_due(self);
    }
    gtk_widget_grab_focus(GTK_WIDGET(self->amount_entry));
}

static void on_card_inserted_cb(KvCardWatcher *watcher, const char *reader, KvSellPage *self)
{
    if (self->state == SALE_SELLING || self->session == NULL ||
        !kv_session_get_shift_open(self->session))
        return;
    if (self->state == SALE_DONE || self->state == SALE_FAILED || self->held_sale_id == 0)
        reset_sale(self);
    kv_timing_mark("card-inserted");
    g_clear_pointer(&self->info, kv_card_info_free);
    g_cancellable_cancel(self->read_cancel);
    g_clear_object(&self->read_cancel);
    self->read_cancel = g_cancellable_new();
    gtk_stack_set_visible_child_name(self->card_stack, "reading");
    kv_session_read_card_async(self->session, reader, self->read_cancel, on_card_read_cb,
                               g_object_ref(self));
}

static void on_card_removed_cb(KvCardWatcher *watcher, const char *reader, KvSellPage *self)
{
    if (self->state == SALE_SELLING)
        return; /* the sale's own error tells the story */
    g_cancellable_cancel(self->read_cancel);
    g_clear_pointer(&self->info, kv_card_info_free);
    if (self->session != NULL)
        kv_session_forget_card(self->session);
    if (self->state == SALE_IDLE) {
        clear_breakdown(self);
        set_refusal(self, NULL);
    }
    show_free_due(self, 0);
    gtk_stack_set_visible_child_name(self->card_stack, "none");
    update_actions(self);
}

static void on_watcher_state_cb(KvCardWatcher *watcher, GParamSpec *pspec, KvSellPage *self)
{
    adw_status_page_set_description(self->no_card_page, kv_card_watcher_get_message(watcher));
}

/* ---- pricing as the cashier types ------------------------------------------- */

typedef struct {
    guint32 meter;
    KvSaleRequest req;
    char *text;    /* the amount field when asked */
    gboolean kwh;
} QuoteData;

typedef struct {
    KvSale *sale;
    GError *error;
    gint64 room;   /* refused by the meter: the most it takes now; else -1 */
    char *text;    /* the amount field it is for */
    gboolean kwh;
} QuoteResult;

static void quote_data_free(QuoteData *q)
{
    g_free(q->text);
    g_free(q);
}

static void quote_result_free(QuoteResult *r)
{
    g_clear_pointer(&r->sale, kv_sale_free);
    g_clear_error(&r->error);
    g_free(r->text);
    g_free(r);
}

static gpointer quote_in_worker(KvSession *session, KvStation *st, gpointer data,
                                GCancellable *cancellable, GError **error)
{
    QuoteData *q = data;
    QuoteResult *r;
    KvCardLink *card = kv_session_worker_card(session);

    if (g_cancellable_set_error_if_cancelled(cancellable, error))
        return NULL;
    r = g_new0(QuoteResult, 1);
    r->room = -1;
    r->text = g_strdup(q->text);
    r->kwh = q->kwh;
    r->sale = kv_sale_quote(st, q->meter, &q->req, card, &r->error);
    if (r->sale == NULL && g_error_matches(r->error, KV_CORE_ERROR, KV_CORE_ERROR_REFUSED) &&
        !kv_sale_room(st, q->meter, card, &r->room, NULL))
        r->room = -1;
    return r;
}

static void add_breakdown_row(KvSellPage *self, const char *title, const char *subtitle,
                              const char *value, gboolean total)
{
    GtkWidget *row = kv_value_row_new(title, subtitle, value);

    if (total)
        gtk_widget_add_css_class(row, "breakdown-total");
    gtk_list_box_append(self->breakdown_list, row);
}

static void show_quote(KvSellPage *self)
{
    g_autoptr(GArray) lines = kv_breakdown_lines(&self->quote->breakdown, KV_BREAKDOWN_FOR_SCREEN);

    kv_list_box_remove_all(self->breakdown_list);
    for (guint i = 0; i < lines->len; i++) {
        const KvBreakdownLine *l = &g_array_index(lines, KvBreakdownLine, i);
        g_autofree char *value = l->unit == KV_BREAKDOWN_ENERGY
                                     ? kv_session_format_energy(l->value)
                                     : kv_session_format_money(self->session, l->value);
        g_autofree char *block_energy =
            l->flags & KV_BREAKDOWN_LINE_BLOCK ? kv_session_format_energy(l->energy) : NULL;

        add_breakdown_row(self, l->label, block_energy ? block_energy : l->note, value,
                          (l->flags & KV_BREAKDOWN_LINE_TOTAL) != 0);
    }
    if (self->quote->hoarding_limit > 0) {
        g_autofree char *after = kv_session_format_energy(self->quote->predicted_remaining);
        g_autofree char *limit = kv_session_format_energy(self->quote->hoarding_limit);
        g_autofree char *sub = g_strdup_printf(_("The meter holds at most %s"), limit);
        add_breakdown_row(self, _("Meter credit after loading"), sub, after, FALSE);
    }
    gtk_widget_set_visible(GTK_WIDGET(self->breakdown_list), TRUE);
}

/* Why the meter or the station will not take this sale, in the cashier's
 * words: what the meter would do, and what to do instead. */
static char *explain_refusal(KvSellPage *self, const GError *error, gint64 room)
{
    g_autofree char *sentence = kv_sentence(error->message);

    if (room >= 0 && self->info != NULL && self->info->meter != NULL) {
        g_autofree char *limit = kv_session_format_energy(self->info->meter->hoarding_limit);
        g_autofree char *most = kv_session_format_energy(room);

        if (room == 0)
            return g_strdup_printf(_("The meter would not load this credit: it can hold at "
                                     "most %s and it is full with what it has and what the "
                                     "card still carries. Ask the customer to use some "
                                     "credit first."),
                                   limit);
        return g_strdup_printf(_("The meter would not load this credit: it can hold at most "
                                 "%s, so at most %s can be sold now. Sell less, or sell the "
                                 "maximum."),
                               limit, most);
    }
    if (g_error_matches(error, KV_CORE_ERROR, KV_CORE_ERROR_REFUSED))
        return g_strdup_printf(_("The meter would not load this credit. %s"), sentence);
    if (g_error_matches(error, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED))
        return g_strdup_printf(_("A sale of this meter is on hold. %s"), sentence);
    return g_steal_pointer(&sentence);
}

static void on_quote_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvSellPage) self = user_data;
    g_autoptr(GError) error = NULL;
    QuoteResult *r = kv_session_run_finish(KV_SESSION(source), result, &error);
    const char *text = r != NULL ? r->text : NULL;

    if (r == NULL)
        return; /* cancelled: a newer quote is coming */
    /* A quote for an amount no longer typed is dropped: the breakdown and
     * the Sell button are only ever for what the field says. */
    if (self->state != SALE_IDLE || r->kwh != amount_in_kwh(self) ||
        g_strcmp0(text, gtk_editable_get_text(GTK_EDITABLE(self->amount_entry))) != 0) {
        quote_result_free(r);
        return;
    }
    clear_breakdown(self);
    if (r->sale == NULL) {
        g_autofree char *why = explain_refusal(self, r->error, r->room);

        set_entry_error(GTK_WIDGET(self->amount_entry), TRUE);
        set_refusal_with_room(self, why, r->room);
        quote_result_free(r);
        return;
    }
    self->quote = g_steal_pointer(&r->sale);
    self->quoted_text = g_strdup(text);
    self->quoted_kwh = r->kwh;
    quote_result_free(r);
    set_entry_error(GTK_WIDGET(self->amount_entry), FALSE);
    set_refusal(self, NULL);
    show_quote(self);
    update_change(self);
    update_actions(self);
}

/* The amount field as a request; FALSE with the reason in the hint. */
static gboolean read_amount(KvSellPage *self, KvSaleRequest *req)
{
    const char *text = gtk_editable_get_text(GTK_EDITABLE(self->amount_entry));
    g_autoptr(GError) error = NULL;
    gint64 value = 0;
    gboolean ok;

    memset(req, 0, sizeof *req);
    set_entry_error(GTK_WIDGET(self->amount_entry), FALSE);
    if (*text == '\0') {
        gtk_label_set_label(self->amount_hint, amount_in_kwh(self)
                                                   ? _("Type the energy to sell, in kWh.")
                                                   : _("Type the amount paid."));
        return FALSE;
    }
    if (amount_in_kwh(self))
        ok = kv_session_parse_energy(text, &value, &error);
    else
        ok = kv_session_parse_money(self->session, text, &value, &error);
    if (ok && value == 0) {
        set_entry_error(GTK_WIDGET(self->amount_entry), TRUE);
        gtk_label_set_label(self->amount_hint, _("The amount must be more than zero."));
        return FALSE;
    }
    if (!ok) {
        g_autofree char *sentence = kv_sentence(error->message);

        set_entry_error(GTK_WIDGET(self->amount_entry), TRUE);
        gtk_label_set_label(self->amount_hint, sentence);
        return FALSE;
    }
    gtk_label_set_label(self->amount_hint, "");
    if (amount_in_kwh(self))
        req->energy = value;
    else
        req->amount = value;
    return TRUE;
}

static gboolean on_quote_timeout_cb(gpointer user_data)
{
    KvSellPage *self = user_data;
    QuoteData *q;

    self->quote_source = 0;
    g_cancellable_cancel(self->quote_cancel);
    g_clear_object(&self->quote_cancel);
    clear_breakdown(self);
    if (self->info == NULL || self->info->meter == NULL || self->state != SALE_IDLE) {
        update_actions(self);
        return G_SOURCE_REMOVE;
    }
    q = g_new0(QuoteData, 1);
    q->meter = self->info->meter->number;
    q->text = g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->amount_entry)));
    q->kwh = amount_in_kwh(self);
    if (!read_amount(self, &q->req)) {
        quote_data_free(q);
        /* Card refusals stay; amount problems are in the hint. */
        {
            g_autofree char *refusal = card_refusal(self);
            set_refusal(self, refusal);
        }
        return G_SOURCE_REMOVE;
    }
    {
        g_autofree char *refusal = card_refusal(self);
        if (refusal != NULL) {
            quote_data_free(q);
            set_refusal(self, refusal);
            return G_SOURCE_REMOVE;
        }
    }
    self->quote_cancel = g_cancellable_new();
    kv_session_run_async(self->session, quote_in_worker, q, (GDestroyNotify)quote_data_free,
                         (GDestroyNotify)quote_result_free, self->quote_cancel, on_quote_cb,
                         g_object_ref(self));
    return G_SOURCE_REMOVE;
}

static void request_quote(KvSellPage *self)
{
    g_clear_handle_id(&self->quote_source, g_source_remove);
    /* The breakdown of what was typed before goes at once: never a stale
     * total beside a new amount. */
    clear_breakdown(self);
    if (self->info != NULL) {
        g_autofree char *refusal = card_refusal(self);

        set_refusal(self, refusal);
    }
    update_actions(self);
    /* Wait for a pause in the typing, but not long: the breakdown follows. */
    self->quote_source = g_timeout_add(120, on_quote_timeout_cb, self);
}

static void on_amount_changed_cb(GtkEditable *editable, KvSellPage *self)
{
    KvSaleRequest req;

    if (self->state != SALE_IDLE)
        return;
    read_amount(self, &req);
    request_quote(self);
}

static void on_unit_toggled_cb(GtkToggleButton *button, KvSellPage *self)
{
    if (!gtk_toggle_button_get_active(button))
        return;
    show_unit(self);
    on_amount_changed_cb(GTK_EDITABLE(self->amount_entry), self);
    gtk_widget_grab_focus(GTK_WIDGET(self->amount_entry));
}

/* ---- the month's free allocation ------------------------------------------------- */

/* The button that writes the free allocation alone, with its energy; hidden
 * when none is due (0). */
static void show_free_due(KvSellPage *self, gint64 energy)
{
    self->free_due = energy;
    if (energy > 0) {
        g_autofree char *kwh = kv_session_format_energy(energy);
        /* Translators: a button, "Free Allocation Only, 20.00 kWh" */
        g_autofree char *label = g_strdup_printf(_("Free Allocation Only, %s"), kwh);
        gtk_button_set_label(self->free_button, label);
    }
    kv_widget_reveal(GTK_WIDGET(self->free_button), energy > 0);
    update_actions(self);
}

static void on_free_due_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvSellPage) self = user_data;
    g_autoptr(GError) error = NULL;
    QuoteResult *r = kv_session_run_finish(KV_SESSION(source), result, &error);

    if (r == NULL)
        return; /* cancelled: another card */
    show_free_due(self, r->sale != NULL ? r->sale->breakdown.free_energy : 0);
    quote_result_free(r);
}

/* Is the month's free allocation due to the customer of the card at the
 * counter?  Asked of the core as a quote of the allocation alone: the
 * answer is the button's, and the sale's breakdown shows it too. */
static void check_free_due(KvSellPage *self)
{
    QuoteData *q;

    g_cancellable_cancel(self->free_cancel);
    g_clear_object(&self->free_cancel);
    show_free_due(self, 0);
    if (self->info == NULL || self->info->meter == NULL || self->info->customer == NULL ||
        self->state != SALE_IDLE)
        return;
    q = g_new0(QuoteData, 1);
    q->meter = self->info->meter->number;
    q->req.free_only = TRUE;
    self->free_cancel = g_cancellable_new();
    kv_session_run_async(self->session, quote_in_worker, q, (GDestroyNotify)quote_data_free,
                         (GDestroyNotify)quote_result_free, self->free_cancel, on_free_due_cb,
                         g_object_ref(self));
}

/* ---- selling ----------------------------------------------------------------- */

typedef struct {
    guint32 meter;
    KvSaleRequest req;
    KvProgressRelay *relay; /* the steps of the card, on the sale's progress bar */
    char *reference;        /* req.reference points here */
} SellData;

static void sell_data_free(SellData *d)
{
    g_clear_pointer(&d->relay, kv_progress_relay_unref);
    g_free(d->reference);
    g_free(d);
}

typedef struct {
    KvSale *sale;
    GError *error;
    gint64 held_id;   /* an unresolved sale of this meter after the error */
    gint64 issued_id; /* the sale became issued: the token may be on the card */
    gboolean reader_lost; /* the reader (or pcscd) was gone after the error */
} SellResult;

static void sell_result_free(SellResult *r)
{
    g_clear_pointer(&r->sale, kv_sale_free);
    g_clear_error(&r->error);
    g_free(r);
}

/* After a failed write: is the card's reader still known to pcscd?  The
 * core reports a write cut short as an unresolved sale whatever the cause;
 * the cashier must be told whether to reinsert the card or reconnect the
 * reader. */
static gboolean reader_still_there(KvSession *session, KvCardLink *card)
{
    KvCardService *svc = kv_session_worker_card_service(session, NULL);

    return svc != NULL && kv_card_service_has_reader(svc, kv_card_link_name(card));
}

static gpointer sell_in_worker(KvSession *session, KvStation *st, gpointer data,
                               GCancellable *cancellable, GError **error)
{
    SellData *d = data;
    SellResult *r = g_new0(SellResult, 1);
    KvCardLink *card = kv_session_worker_card(session);
    g_autoptr(KvCardLink) steps = NULL;

    if (card == NULL) {
        r->error = g_error_new_literal(KV_CARD_ERROR, KV_CARD_ERROR_NO_CARD,
                                       _("The card is no longer connected."));
        return r;
    }
    steps = kv_card_steps_new(card, d->relay,
                              _("Writing the credit to the card. Leave the card in the reader."));
    r->sale = kv_sale_sell(st, steps, d->meter, &d->req, &r->error);
    if (r->sale == NULL) {
        g_autoptr(GPtrArray) held = kv_sale_list_unresolved(st, NULL);
        g_autoptr(GPtrArray) issued = kv_sale_list_issued(st, NULL);

        for (guint i = 0; held != NULL && i < held->len; i++) {
            KvSale *s = g_ptr_array_index(held, i);
            if (s->meter_number == d->meter)
                r->held_id = MAX(r->held_id, s->id);
        }
        for (guint i = 0; issued != NULL && i < issued->len; i++) {
            KvSale *s = g_ptr_array_index(issued, i);
            if (s->meter_number == d->meter)
                r->issued_id = MAX(r->issued_id, s->id);
        }
        if (g_error_matches(r->error, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED) ||
            r->error->domain == KV_CARD_ERROR)
            r->reader_lost = !reader_still_there(session, card);
    }
    return r;
}

static void print_receipt(KvSellPage *self, gboolean with_dialog);

static void explain_sale_error(KvSellPage *self, SellResult *r)
{
    const GError *error = r->error;
    g_autofree char *detail = NULL;
    g_autofree char *sentence = kv_sentence(error->message);
    /* The core reports a write cut short as UNRESOLVED (its message has the
     * technical detail); for the cashier it is the card that went away. */
    gboolean card_gone = kv_card_error_is_card_lost(error) ||
                         g_error_matches(error, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED);
    gboolean reader_gone = r->reader_lost || kv_card_error_is_reader_lost(error);

    self->state = SALE_FAILED;
    if (r->held_id == 0 && r->issued_id != 0) {
        /* Bytes of the credit left the station and the card does not show
         * it: the sale is issued, settled only by proof or a supervisor. */
        self->held_sale_id = r->issued_id;
        self->held_meter = self->info != NULL && self->info->meter != NULL
                               ? self->info->meter->number
                               : 0;
        detail = g_strdup_printf(
            _("The credit was sent to the card but the card does not show it. Sale %lld is "
              "ISSUED, not confirmed: the credit may be on the card. Put the same card back in "
              "the reader: if it shows the credit, the sale completes and its money is due. "
              "Otherwise call a supervisor, who decides whether it was paid; the shift cannot "
              "close until then."),
            (long long)r->issued_id);
        show_result(self, _("Sale Not Confirmed"), detail, FALSE);
        return;
    }
    if (r->held_id != 0) {
        /* The sale was recorded before the card was touched; whether the
         * credit reached the card is known only when it is read again. */
        self->held_sale_id = r->held_id;
        self->held_meter = self->info != NULL && self->info->meter != NULL
                               ? self->info->meter->number
                               : 0;
        if (reader_gone)
            detail = g_strdup_printf(
                _("The card reader was lost while the credit was being written. Sale %lld is on "
                  "hold: do not take the money yet. Reconnect the reader and insert the "
                  "same card: the station finishes or cancels the sale by itself."),
                (long long)r->held_id);
        else if (card_gone)
            detail = g_strdup_printf(
                _("The card was removed or stopped answering while the credit was being written. "
                  "Sale %lld is on hold: do not take the money yet. Put the same card back in the "
                  "reader: the station checks it and finishes or cancels the sale by itself."),
                (long long)r->held_id);
        else
            detail = g_strdup_printf(
                _("%s Sale %lld is on hold: do not take the money yet. Insert "
                  "the same card again: the station finishes or cancels the sale by itself."),
                sentence, (long long)r->held_id);
        show_result(self, _("Sale on Hold"), detail, FALSE);
        return;
    }
    if (reader_gone)
        detail = g_strdup(_("The card reader was lost before the credit was written. Nothing "
                            "is on the card and no money is due. Reconnect the reader and "
                            "sell again."));
    else if (card_gone)
        detail = g_strdup(_("The card was removed before the credit was written. Nothing is "
                            "on the card and no money is due. Insert the card and sell again."));
    else
        detail = g_strdup_printf(_("%s No credit was written and no money is due."), sentence);
    show_result(self, _("Sale Not Made"), detail, FALSE);
}

static void on_sell_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvSellPage) self = user_data;
    g_autoptr(GError) error = NULL;
    SellResult *r = kv_session_run_finish(KV_SESSION(source), result, &error);

    stop_pulse(self);
    if (r == NULL) {
        /* The worker always answers; this is a failure to run at all. */
        self->state = SALE_FAILED;
        show_result(self, _("Sale Not Made"), error->message, FALSE);
        update_actions(self);
        return;
    }
    if (r->sale != NULL) {
        const KvBreakdown *b = &r->sale->breakdown;
        g_autofree char *kwh = kv_session_format_energy(b->energy);
        g_autofree char *paid = kv_session_format_money(self->session, b->amount);
        g_autofree char *free_kwh = kv_session_format_energy(b->free_energy);
        g_autofree char *title = b->amount == 0 ? g_strdup_printf(_("Free Allocation %s"), free_kwh)
                                 : b->free_energy > 0
                                     /* Translators: "Sold 2.00 kWh + 20.00 kWh free" */
                                     ? g_strdup_printf(_("Sold %s + %s free"), kwh, free_kwh)
                                     : g_strdup_printf(_("Sold %s"), kwh);
        gint64 cash = cash_received(self);
        g_autofree char *change = cash > r->sale->breakdown.amount
                                      ? kv_session_format_money(
                                            self->session, cash - r->sale->breakdown.amount)
                                      : NULL;
        g_autofree char *done =
            b->amount == 0
                ? g_strdup_printf(_("Receipt %lld: nothing to pay. The month's free allocation "
                                    "is written and checked on the card; the customer can take "
                                    "it."),
                                  (long long)r->sale->id)
            : change != NULL
                ? g_strdup_printf(_("Receipt %lld: %s paid. Give %s change. The credit is "
                                    "written and checked on the card; the customer can take "
                                    "it."),
                                  (long long)r->sale->id, paid, change)
                : g_strdup_printf(_("Receipt %lld: %s paid. The credit is written and "
                                    "checked on the card; the customer can take it."),
                                  (long long)r->sale->id, paid);
        /* Anomalies seen while selling, issued sales still open: the
         * cashier is told, the supervisor sees them in the reports. */
        g_autofree char *detail = r->sale->notes != NULL
                                      ? g_strdup_printf(_("%s\n\nWARNING: %s"), done,
                                                        r->sale->notes)
                                      : g_strdup(done);

        self->state = SALE_DONE;
        if (b->free_energy > 0)
            show_free_due(self, 0); /* granted: once a month */
        g_clear_pointer(&self->sale, kv_sale_free);
        self->sale = g_steal_pointer(&r->sale);
        show_result(self, title, detail, TRUE);
        if (self->settings != NULL && g_settings_get_boolean(self->settings, "receipt-auto-print"))
            print_receipt(self, FALSE);
    } else {
        explain_sale_error(self, r);
        /* A card or reader that went away during the write was ignored
         * then (the sale's own error tells the story): show it now. */
        if (self->watcher != NULL &&
            kv_card_watcher_get_state(self->watcher) != KV_READER_STATE_CARD)
            on_card_removed_cb(self->watcher, NULL, self);
    }
    sell_result_free(r);
    update_actions(self);
    focus_next_action(self);
}

/* After an outcome the keyboard is where the next action is: the next
 * customer after a sale or a failure, the amount while typing. */
static void focus_next_action(KvSellPage *self)
{
    if (self->state == SALE_DONE || self->state == SALE_FAILED)
        gtk_widget_grab_focus(GTK_WIDGET(self->next_button));
    else if (self->state == SALE_IDLE)
        gtk_widget_grab_focus(GTK_WIDGET(self->amount_entry));
}

static void start_sale(KvSellPage *self, SellData *d);

static void kv_sell_page_confirm(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvSellPage *self = KV_SELL_PAGE(widget);
    SellData *d;

    /* Only what the Sell button says: the quote of exactly what is typed. */
    if (self->state != SALE_IDLE || !quote_matches(self) || self->refusal != NULL ||
        !cash_covers(self) || self->info == NULL || self->info->meter == NULL)
        return;
    d = g_new0(SellData, 1);
    d->meter = self->info->meter->number;
    if (!read_amount(self, &d->req) || !read_payment(self, &d->req, &d->reference)) {
        sell_data_free(d);
        return;
    }
    d->req.reference = d->reference;
    start_sale(self, d);
}

/* The month's free allocation alone: a token with no money. */
static void kv_sell_page_free_only(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvSellPage *self = KV_SELL_PAGE(widget);
    SellData *d;

    if (self->state != SALE_IDLE || self->free_due <= 0 || self->info == NULL ||
        self->info->meter == NULL)
        return;
    d = g_new0(SellData, 1);
    d->meter = self->info->meter->number;
    d->req.free_only = TRUE;
    start_sale(self, d);
}

/* The card is about to be written: nothing can be sold or cancelled until
 * it is done, the bar pulses with the first step (the card's link names the
 * next ones, kv-card-steps.c).  The relay for the worker. */
static KvProgressRelay *start_card_step(KvSellPage *self, const char *first)
{
    KvProgressRelay *relay;

    self->state = SALE_SELLING;
    kv_widget_reveal(GTK_WIDGET(self->result_box), FALSE);
    relay = kv_card_steps_show(self->sale_progress, first, &self->pulse_source);
    update_actions(self);
    return relay;
}

/* The card is written in the worker (d is its request; freed there). */
static void start_sale(KvSellPage *self, SellData *d)
{
    d->relay = start_card_step(self, _("Starting the sale. Leave the card in the reader."));
    kv_session_run_async(self->session, sell_in_worker, d, (GDestroyNotify)sell_data_free,
                         (GDestroyNotify)sell_result_free, NULL, on_sell_cb, g_object_ref(self));
}

/* ---- cancelling the sale at the counter ----------------------------------------- */

typedef struct {
    gint64 sale_id;
    char *reason;
    KvProgressRelay *relay;
} CancelData;

static void cancel_data_free(CancelData *d)
{
    g_free(d->reason);
    g_clear_pointer(&d->relay, kv_progress_relay_unref);
    g_free(d);
}

static gpointer cancel_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    CancelData *d = data;
    KvCardLink *card = kv_session_worker_card(session);
    g_autoptr(KvCardLink) steps =
        card != NULL ? kv_card_steps_new(card, d->relay,
                                         _("Taking the credit off the card. Leave the card in "
                                           "the reader."))
                     : NULL;

    return kv_sale_cancel(st, steps, d->sale_id, d->reason, error);
}

static void on_cancel_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvSellPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvSale) sale = kv_session_run_finish(KV_SESSION(source), result, &error);
    g_autofree char *detail = NULL;

    stop_pulse(self);
    if (sale == NULL) {
        self->state = SALE_DONE;
        detail = g_strdup_printf(_("The sale stands: %s"), error->message);
        show_result(self, _("Not Cancelled"), detail, TRUE);
    } else {
        self->state = SALE_FAILED;
        g_clear_pointer(&self->sale, kv_sale_free);
        detail = g_strdup_printf(_("Receipt %lld is cancelled: the card no "
                                   "longer carries its credit. Give the money back."),
                                 (long long)sale->id);
        show_result(self, _("Sale Cancelled"), detail, FALSE);
    }
    update_actions(self);
    focus_next_action(self);
}

static void on_cancel_response_cb(AdwMessageDialog *dialog, const char *response,
                                  KvSellPage *self)
{
    GtkEntry *entry = g_object_get_data(G_OBJECT(dialog), "reason-entry");
    CancelData *d;

    if (g_strcmp0(response, "cancel-sale") != 0 || self->sale == NULL)
        return;
    d = g_new0(CancelData, 1);
    d->sale_id = self->sale->id;
    d->reason = g_strdup(gtk_editable_get_text(GTK_EDITABLE(entry)));
    d->relay = start_card_step(self, _("Cancelling on the card. Leave the card in the reader."));
    kv_session_run_async(self->session, cancel_in_worker, d, (GDestroyNotify)cancel_data_free,
                         (GDestroyNotify)kv_sale_free, NULL, on_cancel_done_cb,
                         g_object_ref(self));
}

static void kv_sell_page_cancel_sale(GtkWidget *widget, const char *action_name,
                                     GVariant *param)
{
    KvSellPage *self = KV_SELL_PAGE(widget);
    GtkWidget *dialog, *entry;

    if (self->sale == NULL)
        return;
    dialog = adw_message_dialog_new(GTK_WINDOW(gtk_widget_get_root(widget)),
                                    _("Cancel This Sale?"),
                                    _("The credit is taken off the card while it is still in "
                                      "the reader, and the money is given back."));
    entry = gtk_entry_new();
    gtk_entry_set_placeholder_text(GTK_ENTRY(entry), _("Reason"));
    gtk_accessible_update_property(GTK_ACCESSIBLE(entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("Reason for cancelling"), -1);
    adw_message_dialog_set_extra_child(ADW_MESSAGE_DIALOG(dialog), entry);
    g_object_set_data(G_OBJECT(dialog), "reason-entry", entry);
    adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "keep", _("_Keep the Sale"),
                                     "cancel-sale", _("_Cancel the Sale"), NULL);
    adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "cancel-sale",
                                               ADW_RESPONSE_DESTRUCTIVE);
    adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "keep");
    g_signal_connect_object(dialog, "response", G_CALLBACK(on_cancel_response_cb), self, 0);
    gtk_window_present(GTK_WINDOW(dialog));
}

/* ---- receipts ------------------------------------------------------------------ */

static gpointer receipt_lines_in_worker(KvSession *session, KvStation *st, gpointer data,
                                        GCancellable *cancellable, GError **error)
{
    return kv_receipt_lines(st, *(gint64 *)data, FALSE, error);
}

typedef enum {
    RECEIPT_PRINT,        /* on the configured printer (or the dialog if none) */
    RECEIPT_PRINT_DIALOG, /* the print dialog */
    RECEIPT_PREVIEW,      /* on screen */
    RECEIPT_SAVE          /* as PDF at path */
} ReceiptMode;

typedef struct {
    KvSellPage *page;
    ReceiptMode mode;
    char *path;
} ReceiptJob;

/* The core's receipt lines between this station's header and footer lines
 * (settings; "|" separates lines).  Printed, previewed and saved alike. */
static GPtrArray *frame_receipt(KvSellPage *self, GPtrArray *lines)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    static const char *const keys[] = {"receipt-header", "receipt-footer"};

    for (guint k = 0; k < 2; k++) {
        g_autofree char *text =
            self->settings != NULL ? g_settings_get_string(self->settings, keys[k]) : NULL;
        g_auto(GStrv) parts = text != NULL && *text != '\0' ? g_strsplit(text, "|", -1) : NULL;

        if (k == 1)
            for (guint i = 0; i < lines->len; i++)
                g_ptr_array_add(out, g_strdup(g_ptr_array_index(lines, i)));
        for (guint i = 0; parts != NULL && parts[i] != NULL; i++)
            g_ptr_array_add(out, g_strdup(g_strstrip(parts[i])));
    }
    return out;
}

static void on_receipt_lines_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    ReceiptJob *job = user_data;
    KvSellPage *self = job->page;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) core_lines = kv_session_run_finish(KV_SESSION(source), result, &error);
    g_autoptr(GPtrArray) lines = NULL;
    GtkWindow *parent = GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(self)));

    if (core_lines == NULL) {
        g_autofree char *msg = g_strdup_printf(_("The receipt is not available: %s"),
                                               error->message);
        gtk_label_set_label(self->result_detail, msg);
        goto out;
    }
    lines = frame_receipt(self, core_lines);
    if (job->mode == RECEIPT_PREVIEW) {
        g_autoptr(GString) text = g_string_new(NULL);
        GtkWidget *dialog, *label;

        for (guint i = 0; i < lines->len; i++)
            g_string_append_printf(text, "%s\n", (char *)g_ptr_array_index(lines, i));
        dialog = adw_message_dialog_new(parent, _("Receipt"), NULL);
        label = gtk_label_new(text->str);
        gtk_label_set_selectable(GTK_LABEL(label), TRUE);
        gtk_widget_add_css_class(label, "monospace");
        gtk_accessible_update_property(GTK_ACCESSIBLE(label), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       _("Receipt text"), -1);
        adw_message_dialog_set_extra_child(ADW_MESSAGE_DIALOG(dialog), label);
        adw_message_dialog_add_response(ADW_MESSAGE_DIALOG(dialog), "close", _("_Close"));
        gtk_window_present(GTK_WINDOW(dialog));
    } else if (job->mode == RECEIPT_SAVE) {
        g_autofree char *msg = NULL;

        if (kv_receipt_print(parent, lines, NULL, 1, job->path, &error) ==
            GTK_PRINT_OPERATION_RESULT_ERROR)
            msg = g_strdup_printf(_("The receipt was not saved: %s"), error->message);
        else
            msg = g_strdup_printf(_("Receipt saved as %s."), job->path);
        gtk_label_set_label(self->result_detail, msg);
    } else {
        g_autofree char *printer = self->settings != NULL
                                       ? g_settings_get_string(self->settings, "printer-name")
                                       : NULL;
        int copies = self->settings != NULL ? g_settings_get_int(self->settings,
                                                                 "receipt-copies")
                                            : 1;

        if (job->mode == RECEIPT_PRINT_DIALOG)
            g_clear_pointer(&printer, g_free);
        if (kv_receipt_print(parent, lines, printer, copies, NULL, &error) ==
            GTK_PRINT_OPERATION_RESULT_ERROR) {
            g_autofree char *msg = g_strdup_printf(
                _("The receipt was not printed: %s. Save it as PDF instead."), error->message);
            gtk_label_set_label(self->result_detail, msg);
        }
    }
out:
    g_object_unref(job->page);
    g_free(job->path);
    g_free(job);
}

static void fetch_receipt(KvSellPage *self, ReceiptMode mode, const char *path)
{
    ReceiptJob *job;
    gint64 *id;

    if (self->sale == NULL)
        return;
    job = g_new0(ReceiptJob, 1);
    id = g_new(gint64, 1);
    *id = self->sale->id;
    job->page = g_object_ref(self);
    job->mode = mode;
    job->path = g_strdup(path);
    kv_session_run_async(self->session, receipt_lines_in_worker, id, g_free,
                         (GDestroyNotify)g_ptr_array_unref, NULL, on_receipt_lines_cb, job);
}

static void print_receipt(KvSellPage *self, gboolean with_dialog)
{
    fetch_receipt(self, with_dialog ? RECEIPT_PRINT_DIALOG : RECEIPT_PRINT, NULL);
}

static void kv_sell_page_print_receipt(GtkWidget *widget, const char *action_name,
                                       GVariant *param)
{
    print_receipt(KV_SELL_PAGE(widget), TRUE);
}

static void kv_sell_page_preview_receipt(GtkWidget *widget, const char *action_name,
                                         GVariant *param)
{
    fetch_receipt(KV_SELL_PAGE(widget), RECEIPT_PREVIEW, NULL);
}

static void on_save_response_cb(GtkNativeDialog *chooser, int response, KvSellPage *self)
{
    g_autoptr(GFile) file = NULL;

    if (response == GTK_RESPONSE_ACCEPT && self->sale != NULL)
        file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(chooser));
    if (file != NULL)
        fetch_receipt(self, RECEIPT_SAVE, g_file_peek_path(file));
    g_object_unref(chooser);
    g_object_unref(self);
}

static void kv_sell_page_save_receipt(GtkWidget *widget, const char *action_name,
                                      GVariant *param)
{
    KvSellPage *self = KV_SELL_PAGE(widget);
    GtkFileChooserNative *chooser;
    g_autofree char *name = NULL;
    g_autofree char *dir = NULL;

    if (self->sale == NULL)
        return;
    chooser = gtk_file_chooser_native_new(_("Save Receipt as PDF"),
                                          GTK_WINDOW(gtk_widget_get_root(widget)),
                                          GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
    name = g_strdup_printf(_("receipt-%lld.pdf"), (long long)self->sale->id);
    gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(chooser), name);
    if (self->settings != NULL)
        dir = g_settings_get_string(self->settings, "receipt-directory");
    if (dir != NULL && *dir != '\0') {
        g_autoptr(GFile) folder = g_file_new_for_path(dir);
        gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(chooser), folder, NULL);
    }
    g_signal_connect(chooser, "response", G_CALLBACK(on_save_response_cb), g_object_ref(self));
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(chooser));
}

/* ---- simple actions ---------------------------------------------------------------- */

static void kv_sell_page_new_sale(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvSellPage *self = KV_SELL_PAGE(widget);

    reset_sale(self);
    /* The card in the reader now carries the sale just made: read it again
     * (its credit not yet loaded, the meter's last readback). */
    if (self->info != NULL && self->watcher != NULL &&
        kv_card_watcher_get_state(self->watcher) == KV_READER_STATE_CARD)
        kv_sell_page_refresh_card(self);
    gtk_widget_grab_focus(GTK_WIDGET(self->amount_entry));
}

static void kv_sell_page_unit(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvSellPage *self = KV_SELL_PAGE(widget);
    gboolean kwh = g_strcmp0(g_variant_get_string(param, NULL), "kwh") == 0;

    if (self->state == SALE_IDLE)
        gtk_toggle_button_set_active(kwh ? self->kwh_toggle : self->money_toggle, TRUE);
}

static void kv_sell_page_clear(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvSellPage *self = KV_SELL_PAGE(widget);

    if (self->state != SALE_IDLE)
        return;
    gtk_editable_set_text(GTK_EDITABLE(self->amount_entry), "");
    gtk_widget_grab_focus(GTK_WIDGET(self->amount_entry));
}

/* The largest sale the meter takes, in kWh: switched to kWh visibly. */
static void kv_sell_page_sell_maximum(GtkWidget *widget, const char *action_name,
                                      GVariant *param)
{
    KvSellPage *self = KV_SELL_PAGE(widget);
    g_autofree char *text = NULL;

    if (self->state != SALE_IDLE || self->room <= 0)
        return;
    text = kv_session_format_decimal(self->room, 2);
    set_unit(self, TRUE);
    gtk_editable_set_text(GTK_EDITABLE(self->amount_entry), text);
    gtk_widget_grab_focus(GTK_WIDGET(self->amount_entry));
    gtk_editable_set_position(GTK_EDITABLE(self->amount_entry), -1);
}

static void on_amount_activate_cb(GtkEntry *entry, KvSellPage *self)
{
    /* Enter sells what the Sell button says, and only that: before the
     * breakdown of what is typed is on screen, it asks for it now and
     * sells nothing (press Enter again once the button names the sale). */
    if (self->quote_source != 0) {
        g_clear_handle_id(&self->quote_source, g_source_remove);
        on_quote_timeout_cb(self);
        return;
    }
    gtk_widget_activate_action(GTK_WIDGET(self), "sell.confirm", NULL);
}

static void on_cash_changed_cb(GtkEditable *editable, KvSellPage *self)
{
    update_change(self);
    update_actions(self);
}

/* Another payment type: the reference field where the type takes one, the
 * cash received only for cash. */
static void on_payment_changed_cb(GtkDropDown *dropdown, GParamSpec *pspec, KvSellPage *self)
{
    KvPaymentType type = payment_type(self);

    kv_widget_reveal(self->reference_box, type != KV_PAYMENT_CASH);
    gtk_entry_set_placeholder_text(self->reference_entry,
                                   kv_payment_needs_reference(type)
                                       ? _("Needed: the transaction number")
                                       : _("Optional: the approval code"));
    if (type != KV_PAYMENT_CASH)
        gtk_editable_set_text(GTK_EDITABLE(self->cash_entry), "");
    gtk_widget_set_sensitive(self->cash_box, type == KV_PAYMENT_CASH);
    show_payment_hint(self, NULL);
    update_change(self);
    update_actions(self);
}

static void on_reference_changed_cb(GtkEditable *editable, KvSellPage *self)
{
    show_payment_hint(self, NULL);
}

/* ---- GObject ------------------------------------------------------------------------- */

static void kv_sell_page_dispose(GObject *object)
{
    KvSellPage *self = KV_SELL_PAGE(object);

    g_clear_handle_id(&self->quote_source, g_source_remove);
    g_clear_handle_id(&self->pulse_source, g_source_remove);
    if (self->read_cancel != NULL)
        g_cancellable_cancel(self->read_cancel);
    if (self->quote_cancel != NULL)
        g_cancellable_cancel(self->quote_cancel);
    if (self->free_cancel != NULL)
        g_cancellable_cancel(self->free_cancel);
    g_clear_object(&self->free_cancel);
    g_clear_object(&self->read_cancel);
    g_clear_object(&self->quote_cancel);
    if (self->watcher != NULL)
        g_signal_handlers_disconnect_by_data(self->watcher, self);
    if (self->session != NULL)
        g_signal_handlers_disconnect_by_data(self->session, self);
    kv_widget_dispose_children(GTK_WIDGET(self), KV_TYPE_SELL_PAGE);
    g_clear_object(&self->watcher);
    g_clear_object(&self->session);
    g_clear_object(&self->settings);
    g_clear_pointer(&self->info, kv_card_info_free);
    g_clear_pointer(&self->quote, kv_sale_free);
    g_clear_pointer(&self->sale, kv_sale_free);
    g_clear_pointer(&self->refusal, g_free);
    g_clear_pointer(&self->quoted_text, g_free);
    G_OBJECT_CLASS(kv_sell_page_parent_class)->dispose(object);
}

static void kv_sell_page_class_init(KvSellPageClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    kv_widget_class_set_template(widget_class, kv_sell_page_dispose, GTK_TYPE_BIN_LAYOUT,
                                 "kv-sell-page.ui");
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, card_stack);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, no_card_page);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, reading_spinner);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, pending_warning);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, customer_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, account_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, debt_label);
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
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, amount_unit);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, max_button);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, free_button);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, payment_dropdown);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, reference_box);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, reference_entry);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, payment_hint);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, cash_box);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, cash_entry);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, change_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, next_button);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, breakdown_list);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, refusal_label);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, sell_button);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, sale_progress);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, result_box);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, result_title);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, result_detail);
    gtk_widget_class_bind_template_child(widget_class, KvSellPage, receipt_box);

    gtk_widget_class_install_action(widget_class, "sell.confirm", NULL, kv_sell_page_confirm);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                        "sell.confirm", NULL);
    gtk_widget_class_install_action(widget_class, "sell.new-sale", NULL, kv_sell_page_new_sale);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                        "sell.new-sale", NULL);
    gtk_widget_class_install_action(widget_class, "sell.cancel-sale", NULL,
                                    kv_sell_page_cancel_sale);
    gtk_widget_class_install_action(widget_class, "sell.print-receipt", NULL,
                                    kv_sell_page_print_receipt);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_p, GDK_CONTROL_MASK,
                                        "sell.print-receipt", NULL);
    gtk_widget_class_install_action(widget_class, "sell.save-receipt", NULL,
                                    kv_sell_page_save_receipt);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_s,
                                        GDK_CONTROL_MASK | GDK_SHIFT_MASK, "sell.save-receipt",
                                        NULL);
    gtk_widget_class_install_action(widget_class, "sell.preview-receipt", NULL,
                                    kv_sell_page_preview_receipt);
    gtk_widget_class_install_action(widget_class, "sell.unit", "s", kv_sell_page_unit);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "sell.unit",
                                        "s", "money");
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_k, GDK_CONTROL_MASK, "sell.unit",
                                        "s", "kwh");
    gtk_widget_class_install_action(widget_class, "sell.clear", NULL, kv_sell_page_clear);
    gtk_widget_class_install_action(widget_class, "sell.free-only", NULL,
                                    kv_sell_page_free_only);
    gtk_widget_class_install_action(widget_class, "sell.sell-maximum", NULL,
                                    kv_sell_page_sell_maximum);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "sell.clear", NULL);
}

static void kv_sell_page_init(KvSellPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    g_signal_connect(self->amount_entry, "changed", G_CALLBACK(on_amount_changed_cb), self);
    g_signal_connect(self->amount_entry, "activate", G_CALLBACK(on_amount_activate_cb), self);
    g_signal_connect(self->cash_entry, "changed", G_CALLBACK(on_cash_changed_cb), self);
    g_signal_connect(self->cash_entry, "activate", G_CALLBACK(on_amount_activate_cb), self);
    {
        g_autoptr(GtkStringList) types = gtk_string_list_new(NULL);

        for (guint i = 0; i < KV_PAYMENT_N_TYPES; i++) {
            g_autofree char *label = kv_capitalized(kv_payment_label((KvPaymentType)i));
            gtk_string_list_append(types, label);
        }
        gtk_drop_down_set_model(self->payment_dropdown, G_LIST_MODEL(types));
    }
    g_signal_connect(self->payment_dropdown, "notify::selected",
                     G_CALLBACK(on_payment_changed_cb), self);
    g_signal_connect(self->reference_entry, "changed", G_CALLBACK(on_reference_changed_cb),
                     self);
    g_signal_connect(self->reference_entry, "activate", G_CALLBACK(on_amount_activate_cb), self);
    on_payment_changed_cb(self->payment_dropdown, NULL, self);
    self->room = -1;
    g_signal_connect(self->money_toggle, "toggled", G_CALLBACK(on_unit_toggled_cb), self);
    g_signal_connect(self->kwh_toggle, "toggled", G_CALLBACK(on_unit_toggled_cb), self);
    gtk_widget_set_visible(GTK_WIDGET(self->breakdown_list), FALSE);
    gtk_label_set_label(self->amount_hint, _("Type the amount paid."));
    update_actions(self);
}

static void on_shift_changed_cb(KvSession *session, GParamSpec *pspec, KvSellPage *self)
{
    show_unit(self);
    update_actions(self);
}

/* Another cashier: nothing of the last one's sale stays, money mode. */
static void on_user_changed_cb(KvSession *session, GParamSpec *pspec, KvSellPage *self)
{
    if (self->state != SALE_SELLING)
        reset_sale(self);
}

void kv_sell_page_set_session(KvSellPage *self, KvSession *session, GSettings *settings)
{
    KvCardWatcher *watcher;

    g_return_if_fail(KV_IS_SELL_PAGE(self));

    g_set_object(&self->session, session);
    g_set_object(&self->settings, settings);
    /* A new session starts in money whatever the last one used. */
    set_unit(self, FALSE);
    show_unit(self);
    g_signal_connect(session, "notify::shift-open", G_CALLBACK(on_shift_changed_cb), self);
    g_signal_connect(session, "notify::user-name", G_CALLBACK(on_user_changed_cb), self);

    watcher = kv_session_get_watcher(session);
    if (watcher != NULL && g_set_object(&self->watcher, watcher)) {
        g_signal_connect(watcher, "card-inserted", G_CALLBACK(on_card_inserted_cb), self);
        g_signal_connect(watcher, "card-removed", G_CALLBACK(on_card_removed_cb), self);
        g_signal_connect(watcher, "notify::state", G_CALLBACK(on_watcher_state_cb), self);
        on_watcher_state_cb(watcher, NULL, self);
    }
    update_actions(self);
}

void kv_sell_page_focus_amount(KvSellPage *self)
{
    g_return_if_fail(KV_IS_SELL_PAGE(self));
    gtk_widget_grab_focus(GTK_WIDGET(self->amount_entry));
}

/* A card already in the reader when the shift opens is read at once. */
void kv_sell_page_refresh_card(KvSellPage *self)
{
    g_return_if_fail(KV_IS_SELL_PAGE(self));

    if (self->watcher != NULL && kv_card_watcher_get_state(self->watcher) == KV_READER_STATE_CARD)
        on_card_inserted_cb(self->watcher, kv_card_watcher_get_reader_name(self->watcher), self);
}

void kv_sell_page_save_receipt_to(KvSellPage *self, const char *path)
{
    g_return_if_fail(KV_IS_SELL_PAGE(self));
    fetch_receipt(self, RECEIPT_SAVE, path);
}
