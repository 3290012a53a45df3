/* kv-card-steps.c - a card link that says what the card is being asked to
 * do, step by step, on a progress bar.
 *
 * The core's sale and cancel take any KvCardLink; this one forwards every
 * operation to the reader's link and, before an operation that talks to
 * the card, posts its step to the progress bar through the relay.  The
 * core stays unaware of the window. */
#define G_LOG_DOMAIN "kv-card-steps"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-card-steps.h"
#include "kv-widget-util.h"

typedef struct {
    KvCardLink *card; /* borrowed */
    KvProgressRelay *relay;
    char *writing;
    gboolean written; /* a read after a write checks it */
} CardSteps;

static void say(CardSteps *s, const char *step)
{
    /* Negative: the fraction is left alone, the bar keeps pulsing. */
    kv_progress_relay_post(s->relay, -1.0, step);
}

static const guint8 *steps_image(gpointer self)
{
    return kv_card_link_image(((CardSteps *)self)->card);
}

static gboolean steps_refresh(gpointer self, GError **error)
{
    CardSteps *s = self;

    say(s, s->written ? _("Checking what was written on the card. Leave the card in the reader.")
                      : _("Reading the card. Leave the card in the reader."));
    return kv_card_link_refresh(s->card, error);
}

static guint steps_tries_left(gpointer self)
{
    return kv_card_link_tries_left(((CardSteps *)self)->card);
}

static guint32 steps_protection(gpointer self)
{
    return kv_card_link_protection(((CardSteps *)self)->card);
}

static gboolean steps_present_psc(gpointer self, const guint8 psc[3], gboolean force,
                                  GError **error)
{
    CardSteps *s = self;

    say(s, _("Unlocking the card with its code. Leave the card in the reader."));
    return kv_card_link_present_psc(s->card, psc, force, error);
}

static gboolean steps_change_psc(gpointer self, const guint8 psc[3], GError **error)
{
    CardSteps *s = self;

    say(s, _("Changing the card’s code. Leave the card in the reader."));
    return kv_card_link_change_psc(s->card, psc, error);
}

static gboolean steps_write(gpointer self, guint offset, const guint8 *data, guint len,
                            GError **error)
{
    CardSteps *s = self;

    say(s, s->writing);
    s->written = TRUE;
    return kv_card_link_write(s->card, offset, data, len, error);
}

static gboolean steps_lock_identity(gpointer self, GError **error)
{
    CardSteps *s = self;

    say(s, _("Locking the card’s identity. Leave the card in the reader."));
    return kv_card_link_lock_identity(s->card, error);
}

static const char *steps_name(gpointer self)
{
    return kv_card_link_name(((CardSteps *)self)->card);
}

static void steps_free(gpointer self)
{
    CardSteps *s = self;

    kv_progress_relay_unref(s->relay);
    g_free(s->writing);
    g_free(s);
}

static const KvCardLinkOps steps_ops = {
    .image = steps_image,
    .refresh = steps_refresh,
    .tries_left = steps_tries_left,
    .protection = steps_protection,
    .present_psc = steps_present_psc,
    .change_psc = steps_change_psc,
    .write = steps_write,
    .lock_identity = steps_lock_identity,
    .name = steps_name,
    .free = steps_free,
};

KvCardLink *kv_card_steps_new(KvCardLink *card, KvProgressRelay *relay, const char *writing)
{
    CardSteps *s = g_new0(CardSteps, 1);

    s->card = card;
    s->relay = kv_progress_relay_ref(relay);
    s->writing = g_strdup(writing);
    return kv_card_link_new(&steps_ops, s);
}

static gboolean on_pulse_cb(gpointer bar)
{
    gtk_progress_bar_pulse(bar);
    return G_SOURCE_CONTINUE;
}

KvProgressRelay *kv_card_steps_show(GtkProgressBar *bar, const char *first, guint *pulse_source)
{
    gtk_progress_bar_set_text(bar, first);
    kv_widget_reveal(GTK_WIDGET(bar), TRUE);
    if (*pulse_source == 0)
        *pulse_source = g_timeout_add(100, on_pulse_cb, bar);
    return kv_progress_relay_new(bar);
}

void kv_card_steps_hide(GtkProgressBar *bar, guint *pulse_source)
{
    g_clear_handle_id(pulse_source, g_source_remove);
    kv_widget_reveal(GTK_WIDGET(bar), FALSE);
}
