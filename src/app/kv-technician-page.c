/* kv-technician-page.c - engineering cards, a card's read report, a meter
 * swap and a meter's provisioning block (see kv-technician-page.h).
 *
 * Every card and ledger call is the core's (kv_card_engineering,
 * kv_card_read through the session, kv_meter_swap (registering the new meter),
 * kv_card_issue, kv_meter_provision) on the session's worker.  What the
 * signed-in person may not do is shown disabled with the reason before
 * anything is submitted: the core checks again. */
#define G_LOG_DOMAIN "kv-technician-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-technician-page.h"
#include "kv-widget-util.h"

struct _KvTechnicianPage {
    GtkWidget parent_instance;

    KvSession *session;
    KvLinkState *link;
    gboolean busy;

    /* Template children */
    AdwEntryRow *meter_row;
    AdwComboRow *type_row;
    GtkWidget *parameter_group;
    AdwEntryRow *alarm_row;
    AdwEntryRow *pretrip_row;
    AdwEntryRow *hoarding_row;
    AdwEntryRow *power_row;
    AdwEntryRow *delay_row;
    AdwEntryRow *emergency_row;
    GtkLabel *gate_label;
    GtkLabel *result_label;
    GtkLabel *anomaly_banner;
    GtkListBox *report_list;
    AdwEntryRow *provision_meter_row;
    GtkLabel *provision_label;
    AdwEntryRow *swap_old_row;
    AdwEntryRow *swap_new_row;
    AdwComboRow *swap_source_row;
    AdwEntryRow *swap_reason_row;
    GtkLabel *swap_gate_label;
    GtkLabel *swap_label;
};

G_DEFINE_FINAL_TYPE(KvTechnicianPage, kv_technician_page, GTK_TYPE_WIDGET)

/* The combo's items, in order. */
static const guint card_types[] = {KV_CARD_CHECK, KV_CARD_PARAMETER, KV_CARD_CLEAR_TAMPER,
                                   KV_CARD_KEY_CHANGE, KV_CARD_TEST, KV_CARD_CLEAR_CREDIT};

static guint selected_type(KvTechnicianPage *self)
{
    guint i = adw_combo_row_get_selected(self->type_row);

    return i < G_N_ELEMENTS(card_types) ? card_types[i] : KV_CARD_CHECK;
}

/* Why the signed-in person cannot do this now, or NULL. */
static char *card_gate(KvTechnicianPage *self, guint type)
{
    if (self->session == NULL || kv_session_get_role(self->session) < KV_ROLE_SUPERVISOR)
        return g_strdup(_("Engineering cards are issued by a supervisor or an admin."));
    if (!kv_session_get_keys_unlocked(self->session))
        return g_strdup(_("The keys are locked: open a shift (a supervisor unlocks them) to "
                          "write or read cards."));
    if (type == KV_CARD_KEY_CHANGE && kv_session_get_role(self->session) < KV_ROLE_ADMIN)
        return g_strdup(_("Only an admin issues key-change cards."));
    if (type == KV_CARD_KEY_CHANGE && self->link != NULL)
        return kv_link_state_refusal(self->link, _("A key-change card"));
    return NULL;
}

/* Why an action is off (NULL: it is on), in the warning under its form. */
static void show_gate(GtkLabel *label, const char *gate)
{
    gtk_label_set_label(label, gate ? gate : "");
    kv_widget_reveal(GTK_WIDGET(label), gate != NULL);
}

static void update_actions(KvTechnicianPage *self)
{
    guint type = selected_type(self);
    g_autofree char *gate = card_gate(self, type);
    g_autofree char *read_gate = card_gate(self, KV_CARD_CHECK);

    gtk_widget_action_set_enabled(GTK_WIDGET(self), "tech.write-card", !self->busy && !gate);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "tech.read-card",
                                  !self->busy && !read_gate);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "tech.provision", !self->busy && !read_gate);
    /* A swap issues the new meter's card: the same gate as a check card. */
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "tech.swap-meter", !self->busy && !read_gate);
    show_gate(self->gate_label, gate);
    show_gate(self->swap_gate_label, read_gate);
    gtk_widget_set_visible(self->parameter_group, type == KV_CARD_PARAMETER);
}

static void show_result(GtkLabel *label, const char *text, gboolean ok)
{
    kv_widget_show_message(GTK_WIDGET(label), text, ok);
}

static void show_error(GtkLabel *label, const char *prefix, const GError *error)
{
    g_autofree char *sentence = kv_sentence(error->message);
    g_autofree char *text = g_strdup_printf("%s %s", prefix, sentence);

    show_result(label, text, FALSE);
}

static void set_busy(KvTechnicianPage *self, gboolean busy)
{
    self->busy = busy;
    update_actions(self);
}

/* A task of the page ended: its result, or NULL with why under its form
 * (label), after what failed. */
static gpointer task_finish(KvTechnicianPage *self, GAsyncResult *result, GtkLabel *label,
                            const char *failed)
{
    g_autoptr(GError) error = NULL;
    gpointer done = kv_session_run_finish(self->session, result, &error);

    set_busy(self, FALSE);
    if (done == NULL)
        show_error(label, failed, error);
    return done;
}

/* ---- engineering cards --------------------------------------------------------- */

typedef struct {
    guint32 meter;
    KvEngineeringRequest req;
} CardData;

static gpointer card_in_worker(KvSession *session, KvStation *st, gpointer data,
                               GCancellable *cancellable, GError **error)
{
    CardData *d = data;
    g_autoptr(KvCardLink) link = kv_session_worker_take_card(session, NULL, error);

    return link ? kv_card_engineering(st, link, d->meter, &d->req, error) : NULL;
}

static const char *type_label(guint type)
{
    switch (type) {
    case KV_CARD_PARAMETER:
        return _("Parameter card");
    case KV_CARD_CLEAR_TAMPER:
        return _("Clear-tamper card");
    case KV_CARD_KEY_CHANGE:
        return _("Key-change card");
    case KV_CARD_TEST:
        return _("Test card");
    case KV_CARD_CHECK:
        return _("Check card");
    case KV_CARD_CLEAR_CREDIT:
        return _("Clear-credit card");
    default:
        return _("Customer card");
    }
}

static void on_card_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvTechnicianPage) self = user_data;
    g_autofree KvEngineeringCard *c =
        task_finish(self, result, self->result_label, _("No card was written."));
    g_autofree char *text = NULL, *extra = NULL;

    if (c == NULL) {
        if (self->link != NULL)
            kv_link_state_refresh(self->link);
        return;
    }
    if (c->card_type == KV_CARD_CLEAR_CREDIT)
        extra = g_strdup(_(" The meter empties its credit once and writes how much it cleared on "
                           "the card: read the card here when it comes back."));
    else if (c->card_type == KV_CARD_PARAMETER && c->emergency_kwh > 0)
        /* Translators: the emergency allowance in whole kWh */
        extra = g_strdup_printf(_(" Emergency credit: %u kWh, taken by holding the meter's "
                                  "button at a cut-off."), c->emergency_kwh);
    else if (c->card_type == KV_CARD_PARAMETER)
        extra = g_strdup(_(" Emergency credit: none."));
    /* Translators: card type, card serial, meter number */
    text = g_strdup_printf(_("%s %u written for meter %09u (token %u, key version %u). The "
                             "meter acts on it when the card is inserted, and writes its "
                             "state back on it."),
                           type_label(c->card_type), c->serial, c->meter_number, c->seq,
                           c->key_version);
    if (extra != NULL) {
        char *both = g_strconcat(text, extra, NULL);
        g_free(text);
        text = both;
    }
    show_result(self->result_label, text, TRUE);
}

/* An optional level: empty keeps the meter's value (-1).  A whole number
 * (energy FALSE) is at most max. */
static gboolean parse_level(AdwEntryRow *row, gboolean energy, guint32 max, gint64 *out,
                            GError **error)
{
    const char *text = gtk_editable_get_text(GTK_EDITABLE(row));
    guint64 n;

    *out = -1;
    if (*text == '\0')
        return TRUE;
    if (energy)
        return kv_session_parse_energy(text, out, error);
    if (!g_ascii_string_to_unsigned(text, 10, 0, max, &n, NULL)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    _("“%s” is not a whole number from 0 to %u"), text, (guint)max);
        return FALSE;
    }
    *out = (gint64)n;
    return TRUE;
}

static void kv_technician_page_write_card(GtkWidget *widget, const char *action_name,
                                          GVariant *param)
{
    KvTechnicianPage *self = KV_TECHNICIAN_PAGE(widget);
    g_autoptr(GError) error = NULL;
    CardData *d = g_new0(CardData, 1);
    guint type = selected_type(self);

    kv_engineering_request_init(&d->req, type);
    if (!kv_meter_number_parse(gtk_editable_get_text(GTK_EDITABLE(self->meter_row)), &d->meter,
                               &error) ||
        (type == KV_CARD_PARAMETER &&
         (!parse_level(self->alarm_row, TRUE, 0, &d->req.alarm_level, &error) ||
          !parse_level(self->pretrip_row, TRUE, 0, &d->req.pretrip_level, &error) ||
          !parse_level(self->hoarding_row, TRUE, 0, &d->req.hoarding_limit, &error) ||
          !parse_level(self->power_row, FALSE, G_MAXUINT32, &d->req.max_power, &error) ||
          !parse_level(self->delay_row, FALSE, G_MAXUINT32, &d->req.reconnect_delay, &error) ||
          !parse_level(self->emergency_row, FALSE, 255, &d->req.emergency_kwh, &error)))) {
        g_free(d);
        show_error(self->result_label, _("No card was written."), error);
        return;
    }
    set_busy(self, TRUE);
    show_result(self->result_label, _("Writing the card. Leave it in the reader."), TRUE);
    kv_session_run_async(self->session, card_in_worker, d, g_free, g_free, NULL,
                         on_card_done_cb, g_object_ref(self));
}

/* ---- the card read report ------------------------------------------------------- */

static void hide_report(KvTechnicianPage *self)
{
    kv_list_box_remove_all(self->report_list);
    gtk_widget_set_visible(GTK_WIDGET(self->report_list), FALSE);
    kv_widget_reveal(GTK_WIDGET(self->anomaly_banner), FALSE);
}

static void add_fact(KvTechnicianPage *self, const char *title, const char *value)
{
    gtk_list_box_append(self->report_list, kv_value_row_new(title, NULL, value));
}

static char *last_result_text(guint8 result)
{
    if (result == 0)
        return g_strdup(_("Accepted"));
    /* Translators: the meter's display code and the card layer's reason */
    return g_strdup_printf(_("Refused: Err %u (%s)"), result, kv_strerror(result));
}

static void show_report(KvTechnicianPage *self, const KvCardInfo *info)
{
    const kv_card_view *v = &info->read.view;
    g_autofree char *meter = g_strdup_printf("%09u", v->id.meter_number);
    g_autofree char *serial = g_strdup_printf("%u", v->id.card_serial);

    kv_list_box_remove_all(self->report_list);
    gtk_widget_set_visible(GTK_WIDGET(self->report_list), TRUE);
    add_fact(self, _("Meter"), meter);
    add_fact(self, _("Card"), serial);
    add_fact(self, _("Card type"), type_label(v->id.card_type));
    if (v->readback_err == KV_OK) {
        const kv_readback *rb = &v->readback;
        g_autofree char *result = last_result_text(rb->result);
        g_autofree char *state = kv_session_format_meter_state(rb->status);
        g_autofree char *remaining = kv_session_format_energy(rb->remaining);
        g_autofree char *total = kv_session_format_energy(rb->total_energy);
        g_autofree char *events = kv_events_text(rb->events, G_N_ELEMENTS(rb->events));
        g_autofree char *keyv = g_strdup_printf("%u", rb->key_version);

        add_fact(self, _("Meter’s last result"), result);
        add_fact(self, _("Meter state"), state);
        add_fact(self, _("Credit in the meter"), remaining);
        add_fact(self, _("Energy used in all"), total);
        add_fact(self, _("Meter key version"), keyv);
        if (rb->format == 2) {
            g_autofree char *cleared = kv_session_format_energy(rb->cleared);
            add_fact(self, _("Credit cleared by the meter (all clear-credit cards)"), cleared);
        } else if (rb->format == 3) {
            g_autofree char *allowance = kv_session_format_energy(rb->emergency);
            add_fact(self, _("Emergency credit allowance"),
                     rb->emergency ? allowance : _("None"));
        } else {
            add_fact(self, _("Events, newest first"), *events ? events : _("None"));
        }
    } else {
        add_fact(self, _("Meter’s last result"), _("The meter has not written on this card yet"));
    }
    if (info->read.anomaly_excess > 0 || info->read.anomalies_raised > 0) {
        g_autofree char *kwh = kv_session_format_energy(info->read.anomaly_excess);
        g_autofree char *text =
            info->read.anomaly_excess > 0
                ? g_strdup_printf(_("Anomaly: meter %09u loaded %s more than this station sold "
                                    "to it. A supervisor must look at it (Reports, anomalies)."),
                                  v->id.meter_number, kwh)
                : g_strdup_printf(_("Anomaly: reading this card recorded an anomaly for meter "
                                    "%09u. A supervisor must look at it (Reports, anomalies)."),
                                  v->id.meter_number);
        gtk_label_set_label(self->anomaly_banner, text);
        kv_widget_reveal(GTK_WIDGET(self->anomaly_banner), TRUE);
    } else {
        kv_widget_reveal(GTK_WIDGET(self->anomaly_banner), FALSE);
    }
}

static void on_read_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvTechnicianPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvCardInfo) info = kv_session_read_card_finish(KV_SESSION(source), result, &error);

    set_busy(self, FALSE);
    if (info == NULL) {
        hide_report(self);
        show_error(self->result_label, _("The card could not be read."), error);
        return;
    }
    kv_widget_reveal(GTK_WIDGET(self->result_label), FALSE);
    show_report(self, info);
}

static void kv_technician_page_read_card(GtkWidget *widget, const char *action_name,
                                         GVariant *param)
{
    KvTechnicianPage *self = KV_TECHNICIAN_PAGE(widget);

    set_busy(self, TRUE);
    kv_session_read_card_async(self->session, NULL, NULL, on_read_done_cb, g_object_ref(self));
}

/* ---- provisioning ---------------------------------------------------------------- */

/* data: (meter, path) */
static gpointer provision_in_worker(KvSession *session, KvStation *st, gpointer data,
                                    GCancellable *cancellable, GError **error)
{
    guint32 meter = 0;
    const char *path = NULL;

    g_variant_get(data, "(u&s)", &meter, &path);
    return kv_meter_provision(st, meter, path, error) ? g_strdup(path) : NULL;
}

static void on_provision_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvTechnicianPage) self = user_data;
    g_autofree char *path =
        task_finish(self, result, self->provision_label, _("No provisioning block was written."));
    g_autofree char *text = NULL;

    if (path == NULL)
        return;
    text = g_strdup_printf(_("Provisioning block written to %s. It holds the meter’s keys: load "
                             "it into the meter, then delete it."),
                           path);
    show_result(self->provision_label, text, TRUE);
}

void kv_technician_page_provision_to(KvTechnicianPage *self, const char *path)
{
    g_autoptr(GError) error = NULL;
    guint32 meter = 0;

    g_return_if_fail(KV_IS_TECHNICIAN_PAGE(self));
    if (self->busy || self->session == NULL)
        return;
    if (!kv_meter_number_parse(gtk_editable_get_text(GTK_EDITABLE(self->provision_meter_row)),
                               &meter, &error)) {
        show_error(self->provision_label, _("No provisioning block was written."), error);
        return;
    }
    set_busy(self, TRUE);
    kv_session_run_async(self->session, provision_in_worker,
                         g_variant_ref_sink(g_variant_new("(us)", meter, path)),
                         (GDestroyNotify)g_variant_unref, g_free, NULL, on_provision_done_cb,
                         g_object_ref(self));
}

static void on_block_chosen(GtkWidget *widget, const char *path)
{
    kv_technician_page_provision_to(KV_TECHNICIAN_PAGE(widget), path);
}

static void kv_technician_page_provision(GtkWidget *widget, const char *action_name,
                                         GVariant *param)
{
    kv_choose_file(widget, _("Save the Provisioning Block"), GTK_FILE_CHOOSER_ACTION_SAVE,
                   _("_Save"), FALSE, on_block_chosen);
}

/* ---- meter swap ------------------------------------------------------------------ */

/* A swap recorded (a plain block: freed with g_free). */
typedef struct {
    KvTransfer transfer;
    gboolean registered;  /* the new meter was registered now */
    guint32 serial;       /* the new meter's card, 0: not issued */
    char card_error[512]; /* why the card was not issued */
} SwapResult;

/* The new meter registered like the old one, the credit carried, then the
 * new meter's card issued on the card in the reader.  The swap stands
 * without its card: the same swap asked again goes on with the card.
 * data: (old meter, new meter, estimate, reason). */
static gpointer swap_in_worker(KvSession *session, KvStation *st, gpointer data,
                               GCancellable *cancellable, GError **error)
{
    g_autofree SwapResult *r = g_new0(SwapResult, 1);
    g_autofree KvTransfer *t = NULL;
    g_autoptr(KvCardLink) link = NULL;
    g_autoptr(KvCardRecord) card = NULL;
    g_autoptr(GError) card_error = NULL;
    guint32 from = 0, to = 0;
    gboolean estimate = FALSE;
    const char *reason = NULL;

    g_variant_get(data, "(uub&s)", &from, &to, &estimate, &reason);
    if (!(t = kv_meter_swap(st, from, to, estimate ? KV_SWAP_ESTIMATE : KV_SWAP_CLEARED, reason,
                            error)))
        return NULL;
    r->transfer = *t;
    r->registered = t->registered;
    if ((link = kv_session_worker_take_card(session, NULL, &card_error)) != NULL &&
        (card = kv_card_issue(st, link, to, &card_error)) != NULL)
        r->serial = card->serial;
    else
        g_strlcpy(r->card_error, card_error->message, sizeof r->card_error);
    return g_steal_pointer(&r);
}

static char *swap_text(const SwapResult *r)
{
    const KvTransfer *t = &r->transfer;
    g_autofree char *carried = kv_session_format_energy(t->energy);
    g_autofree char *remaining = kv_session_format_energy(t->remaining);
    g_autofree char *unloaded = kv_session_format_energy(t->unloaded);
    g_autofree char *left = t->source == KV_SWAP_ESTIMATE
                                /* Translators: energy left in a dead meter, estimated */
                                ? g_strdup_printf(_("ESTIMATE: %s left in the dead meter, from "
                                                    "its newest readback"), remaining)
                                : g_strdup_printf(_("%s cleared from the old meter by a "
                                                    "clear-credit card"), remaining);
    g_autofree char *why = NULL;
    GString *text = g_string_new(NULL);

    if (r->registered)
        g_string_append_printf(text, _("Meter %09u registered like meter %09u. "), t->to_meter,
                               t->from_meter);
    /* Translators: old meter, new meter, energy carried, where it came from,
     * energy sold and never loaded */
    g_string_append_printf(text, _("Meter %09u swapped for meter %09u%s: %s carried (%s; %s sold "
                                   "and never loaded). The old meter and its cards are "
                                   "retired."),
                           t->from_meter, t->to_meter,
                           t->resumed ? _(" (recorded before)") : "", carried, left, unloaded);
    if (r->serial != 0) {
        g_string_append_printf(text, _(" Card %u issued for meter %09u: it carries the %s to "
                                       "the new meter. Provision the new meter (below) before "
                                       "the card goes in."),
                               r->serial, t->to_meter, carried);
    } else {
        why = kv_sentence(r->card_error);
        g_string_append_printf(text, _(" No card was issued: %s Put a blank card in the reader "
                                       "and swap again: it goes on from here."), why);
    }
    return g_string_free(text, FALSE);
}

static void on_swap_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvTechnicianPage) self = user_data;
    g_autofree SwapResult *r =
        task_finish(self, result, self->swap_label, _("The meter was not swapped."));
    g_autofree char *text = r != NULL ? swap_text(r) : NULL;

    if (text != NULL)
        show_result(self->swap_label, text, r->serial != 0);
}

static void kv_technician_page_swap_meter(GtkWidget *widget, const char *action_name,
                                          GVariant *param)
{
    KvTechnicianPage *self = KV_TECHNICIAN_PAGE(widget);
    g_autoptr(GError) error = NULL;
    g_autofree char *reason =
        g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->swap_reason_row))));
    /* The estimate is the second choice, never the default. */
    gboolean estimate = adw_combo_row_get_selected(self->swap_source_row) == 1;
    guint32 from = 0, to = 0;

    if (!kv_meter_number_parse(gtk_editable_get_text(GTK_EDITABLE(self->swap_old_row)), &from,
                               &error) ||
        !kv_meter_number_parse(gtk_editable_get_text(GTK_EDITABLE(self->swap_new_row)), &to,
                               &error)) {
        show_error(self->swap_label, _("The meter was not swapped."), error);
        return;
    }
    if (*reason == '\0') {
        show_result(self->swap_label, _("The meter was not swapped. Say why in Reason."), FALSE);
        return;
    }
    set_busy(self, TRUE);
    show_result(self->swap_label,
                _("Swapping the meter. Leave the blank card for the new meter in the reader."),
                TRUE);
    kv_session_run_async(self->session, swap_in_worker,
                         g_variant_ref_sink(g_variant_new("(uubs)", from, to, estimate, reason)),
                         (GDestroyNotify)g_variant_unref, g_free, NULL,
                         on_swap_done_cb, g_object_ref(self));
}

/* ---- the widget ----------------------------------------------------------------- */

static void on_changed_cb(GObject *object, GParamSpec *pspec, KvTechnicianPage *self)
{
    update_actions(self);
}

/* Nothing of the previous person stays on the screen for the next. */
static void clear_page(KvTechnicianPage *self)
{
    GtkEditable *fields[] = {
        GTK_EDITABLE(self->meter_row),   GTK_EDITABLE(self->alarm_row),
        GTK_EDITABLE(self->pretrip_row), GTK_EDITABLE(self->hoarding_row),
        GTK_EDITABLE(self->power_row),   GTK_EDITABLE(self->delay_row),
        GTK_EDITABLE(self->emergency_row), GTK_EDITABLE(self->provision_meter_row),
        GTK_EDITABLE(self->swap_old_row), GTK_EDITABLE(self->swap_new_row),
        GTK_EDITABLE(self->swap_reason_row),
    };

    for (guint i = 0; i < G_N_ELEMENTS(fields); i++)
        gtk_editable_set_text(fields[i], "");
    hide_report(self);
    kv_widget_reveal(GTK_WIDGET(self->result_label), FALSE);
    kv_widget_reveal(GTK_WIDGET(self->provision_label), FALSE);
    kv_widget_reveal(GTK_WIDGET(self->swap_label), FALSE);
    adw_combo_row_set_selected(self->swap_source_row, 0);
}

static void on_signed_in_cb(GObject *object, GParamSpec *pspec, KvTechnicianPage *self)
{
    clear_page(self);
    update_actions(self);
}

static void kv_technician_page_dispose(GObject *object)
{
    KvTechnicianPage *self = KV_TECHNICIAN_PAGE(object);

    kv_widget_unfollow_session(self, &self->session);
    if (self->link != NULL)
        g_signal_handlers_disconnect_by_data(self->link, self);
    g_clear_object(&self->link);
    kv_widget_unparent_children(GTK_WIDGET(self));
    G_OBJECT_CLASS(kv_technician_page_parent_class)->dispose(object);
}

/* The template's children, bound by name to the fields. */
#define CHILD(name) {#name, G_STRUCT_OFFSET(KvTechnicianPage, name)}
static const struct {
    const char *name;
    gssize offset;
} children[] = {
    CHILD(meter_row),   CHILD(type_row),       CHILD(parameter_group),     CHILD(alarm_row),
    CHILD(pretrip_row), CHILD(hoarding_row),   CHILD(power_row),           CHILD(delay_row),
    CHILD(gate_label),  CHILD(result_label),   CHILD(anomaly_banner),      CHILD(report_list),
    CHILD(provision_meter_row), CHILD(provision_label), CHILD(emergency_row),
    CHILD(swap_old_row), CHILD(swap_new_row), CHILD(swap_source_row), CHILD(swap_reason_row),
    CHILD(swap_gate_label), CHILD(swap_label),
};
#undef CHILD

static void kv_technician_page_class_init(KvTechnicianPageClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    kv_widget_class_set_template(widget_class, kv_technician_page_dispose, GTK_TYPE_BIN_LAYOUT,
                                 "kv-technician-page.ui");
    for (guint i = 0; i < G_N_ELEMENTS(children); i++)
        gtk_widget_class_bind_template_child_full(widget_class, children[i].name, FALSE,
                                                  children[i].offset);
    gtk_widget_class_install_action(widget_class, "tech.write-card", NULL,
                                    kv_technician_page_write_card);
    gtk_widget_class_install_action(widget_class, "tech.read-card", NULL,
                                    kv_technician_page_read_card);
    gtk_widget_class_install_action(widget_class, "tech.provision", NULL,
                                    kv_technician_page_provision);
    gtk_widget_class_install_action(widget_class, "tech.swap-meter", NULL,
                                    kv_technician_page_swap_meter);
}

static void kv_technician_page_init(KvTechnicianPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    gtk_widget_set_visible(GTK_WIDGET(self->report_list), FALSE);
    g_signal_connect(self->type_row, "notify::selected", G_CALLBACK(on_changed_cb), self);
    update_actions(self);
}

void kv_technician_page_set_session(KvTechnicianPage *self, KvSession *session,
                                    KvLinkState *link)
{
    g_return_if_fail(KV_IS_TECHNICIAN_PAGE(self));

    g_set_object(&self->link, link);
    /* Sign-in and role: the page starts afresh for the next person. */
    kv_widget_follow_session(self, &self->session, session, G_CALLBACK(on_signed_in_cb));
    g_signal_connect(session, "notify::keys-unlocked", G_CALLBACK(on_changed_cb), self);
    if (link != NULL)
        g_signal_connect(link, "notify::mode", G_CALLBACK(on_changed_cb), self);
}
