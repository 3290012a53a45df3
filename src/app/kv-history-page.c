/* kv-history-page.c - the station's history: past sales, unsettled sales,
 * past shifts.
 *
 * Past sales: the receipt of any of them reprinted (marked REPRINT), and a
 * completed sale cancelled with a reason while its card is in the reader
 * (the core's rules: kv_sale_cancel).  The Cancel button is there only
 * where the core would let this person cancel, and says why not otherwise.
 * Unsettled sales (pending, written, issued): settled from the card in the
 * reader.  A supervisor refunds credit the meter has not loaded from the
 * card in the reader (kv_refund_unloaded: one or several sales, newest
 * first) and credit clear-credit cards cleared (kv_refund_cleared), a
 * reason asked first, and prints its receipt marked REFUND.
 * Past refunds, each receipt reprinted (marked REFUND), and past shifts of
 * every cashier with their Z reports: supervisors. */
#define G_LOG_DOMAIN "kv-history-page"

#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "kv-card-steps.h"
#include "kv-reports-page.h"
#include "kv-receipt-print.h"
#include "kv-report-view.h"
#include "kv-widget-util.h"

#define HISTORY_SALES 50
#define HISTORY_SHIFTS 30
#define HISTORY_REFUNDS 30

/* The lists: sales (KvSale *, newest first), unsettled (KvSale *:
 * pending, written, cancelling, issued), shifts (KvShift *) and refunds
 * (KvRefundEntry *, newest first; these two NULL: not a supervisor). */
enum { LIST_SALES, LIST_UNSETTLED, LIST_SHIFTS, LIST_REFUNDS, N_LISTS };

struct _KvHistoryPage {
    GtkWidget parent_instance;

    KvSession *session;
    GtkListBox *lists[N_LISTS];
    GtkLabel *status_label, *shifts_label;
    GtkWidget *refunds_heading;
    GtkBox *shift_box;
    GtkWidget *shift_view; /* the Z report of a past shift, or NULL */
    GtkWidget *refund_buttons[2], *receipt_button; /* unloaded, cleared */
    guint refund_kind;     /* of the refund under way */
    gint64 last_refund;    /* the refund whose receipt the button prints */
    char *print_file;      /* receipts of the buttons to this PDF (NULL: printed) */
    guint busy;            /* tasks under way */
    GtkWidget *reconcile_button;
    GtkProgressBar *card_progress; /* the card job's steps */
    guint pulse_source;
    gboolean card_busy;    /* a cancel or a settling is at the card */
};

G_DEFINE_FINAL_TYPE(KvHistoryPage, kv_history_page, GTK_TYPE_WIDGET)

static void task_start(KvHistoryPage *self)
{
    self->busy++;
}

/* A task's callback ran. */
static void task_end(KvHistoryPage *self)
{
    self->busy--;
}

/* What the last task did, as a sentence. */
static void set_status(KvHistoryPage *self, const char *text)
{
    g_autofree char *sentence = kv_sentence(text);
    gtk_label_set_label(self->status_label, sentence);
}

/* ---- the lists -------------------------------------------------------------------- */

/* The lists, and this person's open shift (0: none). */
typedef struct {
    GPtrArray *list[N_LISTS];
    gint64 shift_id;
} Lists;

static void lists_free(Lists *l)
{
    for (guint i = 0; i < N_LISTS; i++)
        if (l->list[i] != NULL)
            g_ptr_array_unref(l->list[i]);
    g_free(l);
}

static gpointer lists_in_worker(KvSession *session, KvStation *st, gpointer data,
                                GCancellable *cancellable, GError **error)
{
    Lists *l = g_new0(Lists, 1);
    g_autoptr(GPtrArray) issued = NULL;
    g_autoptr(KvShift) shift = NULL;

    if (!(l->list[LIST_SALES] = kv_sale_list_recent(st, HISTORY_SALES, error)) ||
        !(l->list[LIST_UNSETTLED] = kv_sale_list_unresolved(st, error)) ||
        !(issued = kv_sale_list_issued(st, error))) {
        lists_free(l);
        return NULL;
    }
    g_ptr_array_extend_and_steal(l->list[LIST_UNSETTLED], g_steal_pointer(&issued));
    shift = kv_shift_current(st, NULL);
    l->shift_id = shift != NULL ? shift->id : 0;
    if (kv_station_user(st)->role >= KV_ROLE_SUPERVISOR &&
        (!(l->list[LIST_SHIFTS] = kv_shift_list(st, HISTORY_SHIFTS, error)) ||
         !(l->list[LIST_REFUNDS] = kv_refund_list_recent(st, HISTORY_REFUNDS, error)))) {
        lists_free(l);
        return NULL;
    }
    return l;
}

static char *when_text(gint64 t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);
    return g_date_time_format(d, "%Y-%m-%d %H:%M");
}

/* Why this person may not cancel the sale (NULL: they may).  The core's
 * rules (kv_sale_cancel): a completed sale, of the cashier's open shift or
 * by a supervisor; the card must then be in the reader. */
static const char *why_not_cancel(KvHistoryPage *self, const KvSale *s, gint64 shift_id)
{
    if (s->state != KV_SALE_COMPLETED)
        return _("Only a completed sale can be cancelled.");
    if (kv_session_get_role(self->session) >= KV_ROLE_SUPERVISOR)
        return NULL;
    if (shift_id == 0 || s->shift_id != shift_id)
        return _("A sale of another shift is cancelled by a supervisor.");
    return NULL;
}

static void on_reprint_clicked_cb(GtkButton *button, KvHistoryPage *self);
static void on_cancel_clicked_cb(GtkButton *button, KvHistoryPage *self);

static GtkWidget *suffix_button(GtkWidget *row, const char *label, const char *a11y,
                                gint64 sale_id, GCallback cb, KvHistoryPage *self)
{
    GtkWidget *b = gtk_button_new_with_mnemonic(label);

    gtk_widget_set_valign(b, GTK_ALIGN_CENTER);
    gtk_accessible_update_property(GTK_ACCESSIBLE(b), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
    g_object_set_data_full(G_OBJECT(b), "sale-id", g_memdup2(&sale_id, sizeof sale_id), g_free);
    g_signal_connect(b, "clicked", cb, self);
    adw_action_row_add_suffix(ADW_ACTION_ROW(row), b);
    return b;
}

static GtkWidget *sale_row(KvHistoryPage *self, const KvSale *s, gint64 shift_id,
                           gboolean with_cancel)
{
    GtkWidget *row = adw_action_row_new();
    g_autofree char *money = kv_session_format_money(self->session, s->breakdown.amount);
    g_autofree char *energy = kv_session_format_energy(s->breakdown.energy);
    g_autofree char *at = when_text(s->created_at);
    /* TRANSLATORS: a past sale: receipt number, money, energy */
    g_autofree char *title = g_strdup_printf(_("Receipt %" PRId64 ": %s, %s"), s->id,
                                             money, energy);
    /* TRANSLATORS: when, meter, cashier, state of a past sale */
    g_autofree char *subtitle = g_strdup_printf(
        _("%s · meter %09u · %s · %s"), at, s->meter_number, s->cashier_login,
        g_dpgettext2(GETTEXT_PACKAGE, "sale state", kv_sale_state_name(s->state)));
    g_autofree char *a11y_reprint = g_strdup_printf(_("Reprint receipt %" PRId64), s->id);
    g_autofree char *a11y_cancel = g_strdup_printf(_("Cancel sale %" PRId64), s->id);

    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
    suffix_button(row, _("_Reprint"), a11y_reprint, s->id, G_CALLBACK(on_reprint_clicked_cb),
                  self);
    if (with_cancel) {
        const char *why = why_not_cancel(self, s, shift_id);
        GtkWidget *b = suffix_button(row, _("_Cancel Sale…"), a11y_cancel, s->id,
                                     G_CALLBACK(on_cancel_clicked_cb), self);

        g_object_set_data(G_OBJECT(b), "cancel-button", GINT_TO_POINTER(1));
        gtk_widget_set_sensitive(b, why == NULL && !self->card_busy);
        if (why != NULL) {
            gtk_widget_set_tooltip_text(b, why);
            gtk_accessible_update_property(GTK_ACCESSIBLE(b),
                                           GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, why, -1);
        }
    }
    return row;
}

static void on_refund_reprint_clicked_cb(GtkButton *button, KvHistoryPage *self)
{
    kv_history_page_print_refund(self, *(gint64 *)g_object_get_data(G_OBJECT(button), "sale-id"),
                                 NULL);
}

static GtkWidget *refund_row(KvHistoryPage *self, const KvRefundEntry *e)
{
    GtkWidget *row = adw_action_row_new();
    g_autofree char *money = kv_session_format_money(self->session, e->refund.amount);
    g_autofree char *energy = kv_session_format_energy(e->refund.energy);
    g_autofree char *at = when_text(e->created_at);
    /* TRANSLATORS: a past refund: its number, money paid back, energy */
    g_autofree char *title = g_strdup_printf(_("Refund %" PRId64 ": %s, %s"), e->refund.id,
                                             money, energy);
    /* TRANSLATORS: when, meter, supervisor, reason of a past refund */
    g_autofree char *subtitle = g_strdup_printf(_("%s · meter %09u · %s · %s"), at,
                                                e->refund.meter_number, e->by, e->reason);
    g_autofree char *a11y = g_strdup_printf(_("Reprint refund receipt %" PRId64), e->refund.id);

    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
    suffix_button(row, _("_Reprint"), a11y, e->refund.id,
                  G_CALLBACK(on_refund_reprint_clicked_cb), self);
    return row;
}

static void on_shift_clicked_cb(GtkButton *button, KvHistoryPage *self)
{
    kv_history_page_show_shift(self, *(gint64 *)g_object_get_data(G_OBJECT(button), "sale-id"));
}

static GtkWidget *shift_row(KvHistoryPage *self, const KvShift *h)
{
    GtkWidget *row = adw_action_row_new();
    g_autofree char *opened = when_text(h->opened_at);
    g_autofree char *closed =
        h->closed_at ? when_text(h->closed_at) : g_strdup(C_("shift", "open"));
    g_autofree char *expected = kv_session_format_money(self->session, h->expected_cash);
    g_autofree char *title = g_strdup_printf(_("Shift %" PRId64 " of %s"), h->id,
                                             h->cashier_login);
    g_autofree char *subtitle = NULL;
    g_autofree char *a11y = g_strdup_printf(_("Z report of shift %" PRId64), h->id);

    if (h->counted_cash >= 0) {
        g_autofree char *diff = kv_session_format_money(self->session,
                                                        h->counted_cash - h->expected_cash);
        /* TRANSLATORS: a past shift: opened, closed, cash expected, difference */
        subtitle = g_strdup_printf(_("%s to %s · expected %s · difference %s"), opened, closed,
                                   expected, diff);
    } else {
        subtitle = g_strdup_printf(_("%s to %s · expected %s"), opened, closed, expected);
    }
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
    suffix_button(row, _("_Z Report"), a11y, h->id, G_CALLBACK(on_shift_clicked_cb), self);
    return row;
}

static void empty_row(GtkListBox *list, const char *text)
{
    gtk_list_box_append(list, kv_value_row_new(text, NULL, ""));
}

static void on_lists_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvHistoryPage) self = user_data;
    g_autoptr(GError) error = NULL;
    Lists *l = kv_session_run_finish(KV_SESSION(source), result, &error);

    task_end(self);
    for (guint i = 0; i < N_LISTS; i++)
        kv_list_box_remove_all(self->lists[i]);
    if (l == NULL) {
        set_status(self, error->message);
        return;
    }
    {
        GPtrArray *sales = l->list[LIST_SALES], *unsettled = l->list[LIST_UNSETTLED];

        for (guint i = 0; i < sales->len; i++)
            gtk_list_box_append(self->lists[LIST_SALES],
                                sale_row(self, sales->pdata[i], l->shift_id, TRUE));
        if (sales->len == 0)
            empty_row(self->lists[LIST_SALES], _("No sales yet"));
        for (guint i = 0; i < unsettled->len; i++)
            gtk_list_box_append(self->lists[LIST_UNSETTLED],
                                sale_row(self, unsettled->pdata[i], l->shift_id, FALSE));
        if (unsettled->len == 0)
            empty_row(self->lists[LIST_UNSETTLED], _("Every sale is settled"));
    }
    gtk_widget_set_visible(GTK_WIDGET(self->lists[LIST_SHIFTS]), l->list[LIST_SHIFTS] != NULL);
    gtk_label_set_label(self->shifts_label,
                        l->list[LIST_SHIFTS] != NULL
                            ? _("Every cashier's shifts, newest first.")
                            : _("Past shifts and other cashiers' Z reports are for a supervisor. "
                                "Your own shift is in the Z report above."));
    for (guint i = 0; l->list[LIST_SHIFTS] != NULL && i < l->list[LIST_SHIFTS]->len; i++)
        gtk_list_box_append(self->lists[LIST_SHIFTS],
                            shift_row(self, l->list[LIST_SHIFTS]->pdata[i]));
    gtk_widget_set_visible(self->refunds_heading, l->list[LIST_REFUNDS] != NULL);
    gtk_widget_set_visible(GTK_WIDGET(self->lists[LIST_REFUNDS]), l->list[LIST_REFUNDS] != NULL);
    for (guint i = 0; l->list[LIST_REFUNDS] != NULL && i < l->list[LIST_REFUNDS]->len; i++)
        gtk_list_box_append(self->lists[LIST_REFUNDS],
                            refund_row(self, l->list[LIST_REFUNDS]->pdata[i]));
    if (l->list[LIST_REFUNDS] != NULL && l->list[LIST_REFUNDS]->len == 0)
        empty_row(self->lists[LIST_REFUNDS], _("No refunds yet"));
    lists_free(l);
}

void kv_history_page_refresh(KvHistoryPage *self)
{
    g_return_if_fail(KV_IS_HISTORY_PAGE(self));
    if (self->session == NULL || !kv_session_get_signed_in(self->session))
        return;
    task_start(self);
    kv_session_run_async(self->session, lists_in_worker, NULL, NULL, (GDestroyNotify)lists_free,
                         NULL, on_lists_cb, g_object_ref(self));
}

/* ---- reprint -------------------------------------------------------------------- */

typedef struct {
    KvHistoryPage *page;
    char *pdf;
    gint64 id;        /* the sale, or the refund */
    gboolean refund;
} Reprint;

static gpointer reprint_in_worker(KvSession *session, KvStation *st, gpointer data,
                                  GCancellable *cancellable, GError **error)
{
    const Reprint *r = data;

    return r->refund ? kv_refund_receipt_lines(st, r->id, error)
                     : kv_receipt_lines(st, r->id, TRUE, error);
}

static void on_reprint_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Reprint *r = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) lines = kv_session_run_finish(KV_SESSION(source), result, &error);
    GtkWindow *parent = GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(r->page)));

    if (lines == NULL ||
        kv_receipt_print(parent, lines, NULL, 1, r->pdf, &error) ==
            GTK_PRINT_OPERATION_RESULT_ERROR) {
        g_autofree char *msg = g_strdup_printf(_("The receipt was not reprinted: %s"),
                                               error->message);
        set_status(r->page, msg);
    } else if (r->refund) {
        set_status(r->page, r->pdf != NULL ? _("The refund receipt was saved, marked REFUND.")
                                           : _("The refund receipt was printed, marked REFUND."));
    } else {
        set_status(r->page, r->pdf != NULL ? _("The receipt was saved, marked as a reprint.")
                                           : _("The receipt was reprinted, marked as a reprint."));
    }
    task_end(r->page);
    g_object_unref(r->page);
    g_free(r->pdf);
    g_free(r);
}

static void print_receipt(KvHistoryPage *self, gint64 id, gboolean refund, const char *pdf)
{
    Reprint *r = g_new0(Reprint, 1);

    r->page = g_object_ref(self);
    r->pdf = g_strdup(pdf != NULL ? pdf : self->print_file);
    r->id = id;
    r->refund = refund;
    task_start(self);
    /* r outlives the worker: it is freed by on_reprint_cb. */
    kv_session_run_async(self->session, reprint_in_worker, r, NULL,
                         (GDestroyNotify)g_ptr_array_unref, NULL, on_reprint_cb, r);
}

void kv_history_page_reprint(KvHistoryPage *self, gint64 sale_id, const char *pdf)
{
    g_return_if_fail(KV_IS_HISTORY_PAGE(self));
    print_receipt(self, sale_id, FALSE, pdf);
}

void kv_history_page_print_refund(KvHistoryPage *self, gint64 refund_id, const char *pdf)
{
    g_return_if_fail(KV_IS_HISTORY_PAGE(self));
    print_receipt(self, refund_id, TRUE, pdf);
}

void kv_history_page_set_print_file(KvHistoryPage *self, const char *pdf)
{
    g_return_if_fail(KV_IS_HISTORY_PAGE(self));
    g_free(self->print_file);
    self->print_file = g_strdup(pdf);
}

gint64 kv_history_page_get_last_refund(KvHistoryPage *self)
{
    g_return_val_if_fail(KV_IS_HISTORY_PAGE(self), 0);
    return self->last_refund;
}

static void on_reprint_clicked_cb(GtkButton *button, KvHistoryPage *self)
{
    kv_history_page_reprint(self, *(gint64 *)g_object_get_data(G_OBJECT(button), "sale-id"),
                            NULL);
}

/* ---- cancel ---------------------------------------------------------------------- */

/* A task with the card in the reader: a sale id cancels that sale for the
 * reason; 0 settles the unsettled sales of the card's meter.  The card's
 * steps go to the page's bar through relay. */
typedef struct {
    KvProgressRelay *relay;
    gint64 sale_id;
    char *reason;
} CardJob;

static void card_job_free(CardJob *job)
{
    kv_progress_relay_unref(job->relay);
    g_free(job->reason);
    g_free(job);
}

/* Returns what to tell the cashier, success or not. */
static gpointer card_task_in_worker(KvSession *session, KvStation *st, gpointer data,
                                    GCancellable *cancellable, GError **error)
{
    CardJob *job = data;
    g_autoptr(GError) local = NULL;
    g_autoptr(KvCardLink) reader = kv_session_worker_take_card(session, NULL, &local);
    g_autoptr(KvCardLink) card = NULL;
    g_autoptr(KvSale) sale = NULL;
    gint n = -1;

    if (reader != NULL)
        card = kv_card_steps_new(reader, job->relay,
                                 job->sale_id != 0
                                     ? _("Taking the credit off the card. Leave the card in "
                                         "the reader.")
                                     : _("Settling on the card. Leave the card in the reader."));
    if (job->sale_id != 0) {
        if (card != NULL &&
            (sale = kv_sale_cancel(st, card, job->sale_id, job->reason, &local)) != NULL)
            return g_strdup_printf(_("Receipt %lld is cancelled: the card no "
                                     "longer carries its credit. Give the money back."),
                                   (long long)sale->id);
        return g_strdup_printf(_("The sale stands: %s"), local->message);
    }
    if (card != NULL && (n = kv_sale_reconcile_card(st, card, &local)) >= 0)
        return g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "%d sale settled from the card.",
                                           "%d sales settled from the card.", (gulong)n),
                               n);
    return g_strdup_printf(_("Nothing was settled: %s"), local->message);
}

/* Every Cancel Sale button under w made insensitive. */
static void disable_cancel_buttons(GtkWidget *w)
{
    if (g_object_get_data(G_OBJECT(w), "cancel-button") != NULL)
        gtk_widget_set_sensitive(w, FALSE);
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
        disable_cancel_buttons(c);
}

/* The Cancel Sale and Settle From the Card buttons follow the card job. */
static void set_card_busy(KvHistoryPage *self, gboolean busy)
{
    self->card_busy = busy;
    gtk_widget_set_sensitive(self->reconcile_button, !busy);
    if (!busy) {
        kv_card_steps_hide(self->card_progress, &self->pulse_source);
        return; /* the lists are read again: each Cancel Sale says if it may */
    }
    disable_cancel_buttons(GTK_WIDGET(self->lists[LIST_SALES]));
}

static void on_card_task_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvHistoryPage) self = user_data;
    g_autofree char *said = kv_session_run_finish(KV_SESSION(source), result, NULL);

    task_end(self);
    set_card_busy(self, FALSE);
    set_status(self, said != NULL ? said : "");
    kv_history_page_refresh(self);
}

/* One card job at a time: while it runs, its bar shows the card's steps
 * and no Cancel Sale or Settle From the Card can start another. */
static void card_task(KvHistoryPage *self, gint64 sale_id, const char *reason,
                      const char *waiting)
{
    CardJob *job = g_new0(CardJob, 1);

    job->sale_id = sale_id;
    job->reason = g_strdup(reason);
    set_status(self, waiting);
    set_card_busy(self, TRUE);
    job->relay = kv_card_steps_show(self->card_progress, waiting, &self->pulse_source);
    task_start(self);
    kv_session_run_async(self->session, card_task_in_worker, job,
                         (GDestroyNotify)card_job_free, g_free, NULL, on_card_task_cb,
                         g_object_ref(self));
}

static void on_reason_changed_cb(GtkEditable *entry, AdwMessageDialog *dialog)
{
    g_autofree char *reason = g_strstrip(g_strdup(gtk_editable_get_text(entry)));
    adw_message_dialog_set_response_enabled(dialog, "cancel-sale", *reason != '\0');
}

static void on_cancel_response_cb(AdwMessageDialog *dialog, const char *response,
                                  KvHistoryPage *self)
{
    GtkEditable *entry = g_object_get_data(G_OBJECT(dialog), "reason-entry");
    g_autofree char *reason = NULL;

    if (g_strcmp0(response, "cancel-sale") != 0)
        return;
    reason = g_strstrip(g_strdup(gtk_editable_get_text(entry)));
    if (self->card_busy)
        return;
    card_task(self, *(gint64 *)g_object_get_data(G_OBJECT(dialog), "sale-id"), reason,
              _("Cancelling: keep the customer's card in the reader…"));
}

static void on_cancel_clicked_cb(GtkButton *button, KvHistoryPage *self)
{
    if (self->card_busy)
        return;
    gint64 id = *(gint64 *)g_object_get_data(G_OBJECT(button), "sale-id");
    g_autofree char *heading = g_strdup_printf(_("Cancel Receipt %" PRId64 "?"), id);
    GtkWidget *entry = NULL;
    AdwMessageDialog *dialog = kv_entry_dialog_new(
        GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(self))), heading,
        _("Put the customer's card in the reader. The credit is taken off the card, if the "
          "meter has not loaded it yet, and the money is given back. Say why."),
        _("Reason for cancelling"), "keep", _("_Keep the Sale"), "cancel-sale",
        _("Cancel the _Sale"), ADW_RESPONSE_DESTRUCTIVE, &entry);

    gtk_entry_set_placeholder_text(GTK_ENTRY(entry), _("Reason"));
    adw_message_dialog_set_response_enabled(dialog, "cancel-sale", FALSE);
    adw_message_dialog_set_default_response(dialog, "keep");
    g_object_set_data(G_OBJECT(dialog), "reason-entry", entry);
    g_object_set_data_full(G_OBJECT(dialog), "sale-id", g_memdup2(&id, sizeof id), g_free);
    g_signal_connect(entry, "changed", G_CALLBACK(on_reason_changed_cb), dialog);
    g_signal_connect_object(dialog, "response", G_CALLBACK(on_cancel_response_cb), self, 0);
    gtk_window_present(GTK_WINDOW(dialog));
}

/* ---- refunds: unloaded credit, cleared credit ---------------------------------------- */

/* The two refunds: unloaded credit (the card in the reader, kv_refund_unloaded)
 * and credit clear-credit cards cleared (kv_refund_cleared, no card). */
enum { REFUND_UNLOADED, REFUND_CLEARED, N_REFUNDS };

/* data: (kind, meter, energy (0.01 kWh, 0: all that is not loaded), reason) */
static gpointer refund_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    g_autoptr(KvCardLink) card = NULL;
    const char *reason = NULL;
    guint32 kind = 0, meter = 0;
    gint64 energy = 0;

    g_variant_get(data, "(uux&s)", &kind, &meter, &energy, &reason);
    if (kind == REFUND_CLEARED)
        return kv_refund_cleared(st, meter, reason, error);
    card = kv_session_worker_take_card(session, NULL, error);
    return card ? kv_refund_unloaded(st, card, meter, energy, reason, error) : NULL;
}

/* What to do about a refund the core refused, beyond its message: by the
 * core's error code (the card service's errors: the card itself). */
static const char *refund_advice(const GError *error)
{
    static const struct {
        gint code;
        const char *advice;
    } advice[] = {
        {KV_CORE_ERROR_CARD, N_("Put the customer's card of that meter in the reader, then try "
                                "again.")},
        {KV_CORE_ERROR_UNRESOLVED, N_("Settle the card first (Settle From the Card), then try "
                                      "again.")},
        {KV_CORE_ERROR_DENIED, N_("A supervisor signs in to refund.")},
        {KV_CORE_ERROR_KEYS, N_("Open a shift: the supervisor's passphrase unlocks the keys.")},
        {KV_CORE_ERROR_INVALID, N_("Correct the meter number, the energy or the reason, then "
                                   "try again.")},
    };

    if (error->domain != KV_CORE_ERROR)
        return _("Check that the customer's card is in the reader, then try again.");
    for (guint i = 0; i < G_N_ELEMENTS(advice); i++)
        if (advice[i].code == error->code)
            return _(advice[i].advice);
    return _("Nothing was refunded and the card is unchanged.");
}

static void show_refund_error(KvHistoryPage *self, const GError *error)
{
    g_autofree char *why = kv_sentence(error->message);
    g_autofree char *text = g_strdup_printf(_("No refund: %s %s"), why, refund_advice(error));

    set_status(self, text);
}

static void on_refund_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvHistoryPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree KvRefund *r = kv_session_run_finish(KV_SESSION(source), result, &error);
    g_autofree char *money = NULL, *energy = NULL, *text = NULL;

    task_end(self);
    if (r == NULL) {
        show_refund_error(self, error);
        return;
    }
    money = kv_session_format_money(self->session, r->amount);
    energy = kv_session_format_energy(r->energy);
    self->last_refund = r->id;
    /* Translators: refund number, energy, meter, number of sales, money */
    text = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
                                       "Refund %lld: %s of meter %09u, from %u sale. Pay back %s "
                                       "and print its receipt, marked REFUND.%s",
                                       "Refund %lld: %s of meter %09u, from %u sales. Pay back %s "
                                       "and print its receipt, marked REFUND.%s",
                                       r->sales),
                           (long long)r->id, energy, r->meter_number, r->sales, money,
                           self->refund_kind == REFUND_UNLOADED
                               ? _(" The card in the reader no longer carries this credit.")
                               : "");
    kv_widget_reveal(self->receipt_button, TRUE);
    set_status(self, text);
    kv_history_page_refresh(self);
}

/* The dialog's entries: the meter, [the energy,] the reason; NULL-ended. */
static const char *entry_text(AdwMessageDialog *dialog, guint i)
{
    GtkWidget **entries = g_object_get_data(G_OBJECT(dialog), "entries");

    return gtk_editable_get_text(GTK_EDITABLE(entries[i]));
}

static guint reason_index(AdwMessageDialog *dialog)
{
    return GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(dialog), "kind")) == REFUND_CLEARED ? 1
                                                                                          : 2;
}

static void on_refund_response_cb(AdwMessageDialog *dialog, const char *response,
                                  KvHistoryPage *self)
{
    guint kind = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(dialog), "kind"));
    g_autoptr(GError) error = NULL;
    g_autofree char *reason = NULL;
    const char *kwh = kind == REFUND_UNLOADED ? entry_text(dialog, 1) : "";
    guint32 meter = 0;
    gint64 energy = 0;

    if (g_strcmp0(response, "refund") != 0)
        return;
    reason = g_strstrip(g_strdup(entry_text(dialog, reason_index(dialog))));
    if (!kv_meter_number_parse(entry_text(dialog, 0), &meter, &error) ||
        (*kwh != '\0' && !kv_session_parse_energy(kwh, &energy, &error))) {
        show_refund_error(self, error);
        return;
    }
    self->refund_kind = kind;
    set_status(self, kind == REFUND_UNLOADED
                         ? _("Refunding: keep the customer's card in the reader…")
                         : _("Refunding the cleared credit…"));
    task_start(self);
    kv_session_run_async(self->session, refund_in_worker,
                         g_variant_ref_sink(g_variant_new("(uuxs)", kind, meter, energy, reason)),
                         (GDestroyNotify)g_variant_unref, g_free, NULL, on_refund_done_cb,
                         g_object_ref(self));
}

static void on_refund_fields_changed_cb(GtkEditable *entry, AdwMessageDialog *dialog)
{
    g_autofree char *reason = g_strstrip(g_strdup(entry_text(dialog, reason_index(dialog))));

    adw_message_dialog_set_response_enabled(dialog, "refund",
                                            *reason != '\0' && *entry_text(dialog, 0) != '\0');
}

static void on_refund_clicked_cb(GtkButton *button, KvHistoryPage *self)
{
    static const char *fields[N_REFUNDS][4] = {
        {N_("Meter number"), N_("Energy to refund, kWh (empty: all not loaded)"),
         N_("Reason for the refund"), NULL},
        {N_("Meter number"), N_("Reason for the refund"), NULL, NULL},
    };
    guint kind = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(button), "kind"));
    const char *shown[4] = {NULL};
    GtkWidget **entries = g_new0(GtkWidget *, 4);
    AdwMessageDialog *dialog;

    for (guint i = 0; fields[kind][i] != NULL; i++)
        shown[i] = _(fields[kind][i]);
    dialog = kv_form_dialog_new(
        GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(self))),
        kind == REFUND_UNLOADED ? _("Refund Unloaded Credit?") : _("Refund Cleared Credit?"),
        kind == REFUND_UNLOADED
            ? _("Put the customer's card in the reader. The credit its meter has not loaded yet "
                "is taken off the card, newest sales first, and paid back from your shift's cash "
                "at the price paid. Say why.")
            : _("The credit clear-credit cards emptied from the meter, proved by their readbacks "
                "and not yet refunded, is paid back from your shift's cash at the price paid. "
                "No card is needed. Say why."),
        shown, "keep", _("_Keep the Credit"), "refund", _("_Refund"), ADW_RESPONSE_DESTRUCTIVE,
        entries);
    adw_message_dialog_set_response_enabled(dialog, "refund", FALSE);
    adw_message_dialog_set_default_response(dialog, "keep");
    g_object_set_data_full(G_OBJECT(dialog), "entries", entries, g_free);
    g_object_set_data(G_OBJECT(dialog), "kind", GUINT_TO_POINTER(kind));
    for (guint i = 0; entries[i] != NULL; i++)
        g_signal_connect(entries[i], "changed", G_CALLBACK(on_refund_fields_changed_cb), dialog);
    g_signal_connect_object(dialog, "response", G_CALLBACK(on_refund_response_cb), self, 0);
    gtk_window_present(GTK_WINDOW(dialog));
}

static void on_refund_receipt_clicked_cb(GtkButton *button, KvHistoryPage *self)
{
    if (self->last_refund != 0)
        kv_history_page_print_refund(self, self->last_refund, NULL);
}

/* Refunds are a supervisor's: the buttons say why not to anyone else. */
static void update_refund_button(KvHistoryPage *self)
{
    gboolean may = self->session != NULL &&
                   kv_session_get_role(self->session) >= KV_ROLE_SUPERVISOR;
    const char *why = may ? NULL : _("Refunds are made by a supervisor.");

    for (guint i = 0; i < N_REFUNDS; i++) {
        gtk_widget_set_sensitive(self->refund_buttons[i], may);
        gtk_widget_set_tooltip_text(self->refund_buttons[i], why);
        gtk_accessible_update_property(GTK_ACCESSIBLE(self->refund_buttons[i]),
                                       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, why ? why : "", -1);
    }
}

/* ---- reconcile ------------------------------------------------------------------- */

static void on_reconcile_clicked_cb(GtkButton *button, KvHistoryPage *self)
{
    if (self->card_busy)
        return;
    card_task(self, 0, NULL, _("Reading the card in the reader…"));
}

/* ---- a past shift's Z report ------------------------------------------------------- */

static void on_shift_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvHistoryPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvTable) t = kv_session_run_finish(KV_SESSION(source), result, &error);

    task_end(self);
    if (self->shift_view != NULL)
        gtk_box_remove(self->shift_box, self->shift_view);
    self->shift_view = NULL;
    if (t == NULL) {
        set_status(self, error->message);
        return;
    }
    self->shift_view = kv_report_view_new(t, kv_session_get_currency(self->session),
                                          KV_REPORT_VIEW_PLAIN);
    gtk_box_append(self->shift_box, self->shift_view);
}

void kv_history_page_show_shift(KvHistoryPage *self, gint64 shift_id)
{
    g_return_if_fail(KV_IS_HISTORY_PAGE(self));
    task_start(self);
    kv_report_run(self->session, KV_REPORT_SHIFT, shift_id, on_shift_cb, g_object_ref(self));
}

GtkWidget *kv_history_page_get_shift_view(KvHistoryPage *self)
{
    g_return_val_if_fail(KV_IS_HISTORY_PAGE(self), NULL);
    return self->shift_view;
}

gboolean kv_history_page_is_busy(KvHistoryPage *self)
{
    g_return_val_if_fail(KV_IS_HISTORY_PAGE(self), FALSE);
    return self->busy > 0;
}

/* ---- GObject --------------------------------------------------------------------- */

static GtkWidget *heading(const char *text)
{
    GtkWidget *l = gtk_label_new(text);

    gtk_label_set_xalign(GTK_LABEL(l), 0);
    gtk_widget_add_css_class(l, "heading");
    gtk_widget_set_margin_top(l, 12);
    return l;
}

static GtkListBox *boxed_list(const char *a11y)
{
    GtkWidget *list = gtk_list_box_new();

    gtk_list_box_set_selection_mode(GTK_LIST_BOX(list), GTK_SELECTION_NONE);
    gtk_widget_add_css_class(list, "boxed-list");
    gtk_accessible_update_property(GTK_ACCESSIBLE(list), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
    return GTK_LIST_BOX(list);
}

static void on_map_cb(GtkWidget *widget, KvHistoryPage *self)
{
    kv_history_page_refresh(self);
}

static void on_user_changed_cb(KvSession *session, GParamSpec *pspec, KvHistoryPage *self)
{
    /* Nothing of the last person's history stays on screen. */
    for (guint i = 0; i < N_LISTS; i++)
        kv_list_box_remove_all(self->lists[i]);
    if (self->shift_view != NULL)
        gtk_box_remove(self->shift_box, self->shift_view);
    self->shift_view = NULL;
    gtk_label_set_label(self->status_label, "");
    self->last_refund = 0;
    kv_widget_reveal(self->receipt_button, FALSE);
    update_refund_button(self);
    if (gtk_widget_get_mapped(GTK_WIDGET(self)))
        kv_history_page_refresh(self);
}

static void kv_history_page_dispose(GObject *object)
{
    KvHistoryPage *self = KV_HISTORY_PAGE(object);

    g_clear_handle_id(&self->pulse_source, g_source_remove);
    if (self->session != NULL)
        g_signal_handlers_disconnect_by_data(self->session, self);
    g_clear_object(&self->session);
    g_clear_pointer(&self->print_file, g_free);
    kv_widget_unparent_children(GTK_WIDGET(self));
    G_OBJECT_CLASS(kv_history_page_parent_class)->dispose(object);
}

static void kv_history_page_class_init(KvHistoryPageClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = kv_history_page_dispose;
    gtk_widget_class_set_layout_manager_type(GTK_WIDGET_CLASS(klass), GTK_TYPE_BIN_LAYOUT);
}

static void kv_history_page_init(KvHistoryPage *self)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    GtkWidget *top = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    GtkWidget *refresh = gtk_button_new_with_mnemonic(_("Re_fresh"));
    GtkWidget *reconcile = gtk_button_new_with_mnemonic(_("Settle From the _Card"));

    self->reconcile_button = reconcile;
    GtkWidget *past = heading(_("Past Sales"));

    gtk_widget_set_parent(box, GTK_WIDGET(self));
    self->status_label = GTK_LABEL(gtk_label_new(""));
    gtk_label_set_wrap(GTK_LABEL(self->status_label), TRUE);
    gtk_label_set_xalign(self->status_label, 0);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->status_label),
                                   GTK_ACCESSIBLE_PROPERTY_LABEL, _("History status"), -1);
    gtk_widget_set_hexpand(past, TRUE);
    gtk_box_append(GTK_BOX(top), past);
    self->refund_buttons[REFUND_UNLOADED] =
        gtk_button_new_with_mnemonic(_("Refund _Unloaded Credit…"));
    self->refund_buttons[REFUND_CLEARED] =
        gtk_button_new_with_mnemonic(_("Refund C_leared Credit…"));
    self->receipt_button = gtk_button_new_with_mnemonic(_("Print Refund Recei_pt"));
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->refund_buttons[REFUND_UNLOADED]),
                                   GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("Refund unloaded credit from the card in the reader"), -1);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->refund_buttons[REFUND_CLEARED]),
                                   GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("Refund credit cleared by a clear-credit card"), -1);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->receipt_button),
                                   GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("Print the refund receipt"), -1);
    for (guint i = 0; i < N_REFUNDS; i++) {
        g_object_set_data(G_OBJECT(self->refund_buttons[i]), "kind", GUINT_TO_POINTER(i));
        g_signal_connect(self->refund_buttons[i], "clicked", G_CALLBACK(on_refund_clicked_cb),
                         self);
        gtk_box_append(GTK_BOX(top), self->refund_buttons[i]);
    }
    {
        GtkWidget *revealer = gtk_revealer_new();

        gtk_revealer_set_transition_type(GTK_REVEALER(revealer),
                                         GTK_REVEALER_TRANSITION_TYPE_CROSSFADE);
        gtk_revealer_set_child(GTK_REVEALER(revealer), self->receipt_button);
        gtk_box_append(GTK_BOX(top), revealer);
    }
    gtk_box_append(GTK_BOX(top), refresh);
    gtk_box_append(GTK_BOX(box), top);
    gtk_box_append(GTK_BOX(box), GTK_WIDGET(self->status_label));
    {
        GtkWidget *revealer = gtk_revealer_new();

        self->card_progress = GTK_PROGRESS_BAR(gtk_progress_bar_new());
        gtk_progress_bar_set_show_text(self->card_progress, TRUE);
        gtk_accessible_update_property(GTK_ACCESSIBLE(self->card_progress),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, _("Card progress"), -1);
        gtk_revealer_set_transition_type(GTK_REVEALER(revealer),
                                         GTK_REVEALER_TRANSITION_TYPE_NONE);
        gtk_revealer_set_child(GTK_REVEALER(revealer), GTK_WIDGET(self->card_progress));
        gtk_box_append(GTK_BOX(box), revealer);
    }
    self->lists[LIST_SALES] = boxed_list(_("Past sales"));
    gtk_box_append(GTK_BOX(box), GTK_WIDGET(self->lists[LIST_SALES]));

    top = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    past = heading(_("Unsettled Sales"));
    gtk_widget_set_hexpand(past, TRUE);
    gtk_box_append(GTK_BOX(top), past);
    gtk_box_append(GTK_BOX(top), reconcile);
    gtk_box_append(GTK_BOX(box), top);
    self->lists[LIST_UNSETTLED] = boxed_list(_("Unsettled sales"));
    gtk_box_append(GTK_BOX(box), GTK_WIDGET(self->lists[LIST_UNSETTLED]));

    self->refunds_heading = heading(_("Past Refunds"));
    gtk_widget_set_visible(self->refunds_heading, FALSE);
    gtk_box_append(GTK_BOX(box), self->refunds_heading);
    self->lists[LIST_REFUNDS] = boxed_list(_("Past refunds"));
    gtk_widget_set_visible(GTK_WIDGET(self->lists[LIST_REFUNDS]), FALSE);
    gtk_box_append(GTK_BOX(box), GTK_WIDGET(self->lists[LIST_REFUNDS]));

    gtk_box_append(GTK_BOX(box), heading(_("Past Shifts")));
    self->shifts_label = GTK_LABEL(gtk_label_new(""));
    gtk_label_set_wrap(self->shifts_label, TRUE);
    gtk_label_set_xalign(self->shifts_label, 0);
    gtk_widget_add_css_class(GTK_WIDGET(self->shifts_label), "dim-label");
    gtk_box_append(GTK_BOX(box), GTK_WIDGET(self->shifts_label));
    self->lists[LIST_SHIFTS] = boxed_list(_("Past shifts"));
    gtk_box_append(GTK_BOX(box), GTK_WIDGET(self->lists[LIST_SHIFTS]));
    self->shift_box = GTK_BOX(gtk_box_new(GTK_ORIENTATION_VERTICAL, 6));
    gtk_widget_set_margin_top(GTK_WIDGET(self->shift_box), 12);
    gtk_box_append(GTK_BOX(box), GTK_WIDGET(self->shift_box));

    gtk_accessible_update_property(GTK_ACCESSIBLE(refresh), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("Refresh the history"), -1);
    gtk_accessible_update_property(GTK_ACCESSIBLE(reconcile), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("Settle sales from the card in the reader"), -1);
    g_signal_connect_swapped(refresh, "clicked", G_CALLBACK(kv_history_page_refresh), self);
    g_signal_connect(reconcile, "clicked", G_CALLBACK(on_reconcile_clicked_cb), self);
    g_signal_connect(self->receipt_button, "clicked", G_CALLBACK(on_refund_receipt_clicked_cb),
                     self);
    update_refund_button(self);
    g_signal_connect(self, "map", G_CALLBACK(on_map_cb), self);
}

void kv_history_page_set_session(KvHistoryPage *self, KvSession *session)
{
    g_return_if_fail(KV_IS_HISTORY_PAGE(self));
    kv_widget_follow(self, &self->session, session, "notify::user-name",
                     G_CALLBACK(on_user_changed_cb));
    update_refund_button(self);
}
