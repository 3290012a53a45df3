/* kv-progress-relay.c - progress of a worker job, shown on a progress bar.
 *
 * The worker posts, the main loop shows.  Before posting an update the
 * worker waits until the main loop has shown the one before: a fast job
 * does not flood the main loop with updates it cannot draw, and what the
 * operator sees is at most one step behind the job, so a Cancel pressed on
 * seeing a step is honoured at the next one.  The wait is bounded: a main
 * loop that has stopped (the window closing) never holds a job for long. */
#include "config.h"

#include "kv-progress-relay.h"

#define MAX_WAIT_US (5 * G_TIME_SPAN_SECOND)

struct _KvProgressRelay {
    gint refs;
    GWeakRef bar;
    GMutex lock;
    GCond shown_cond;
    gboolean in_flight; /* an update posted, not yet shown */
};

typedef struct {
    KvProgressRelay *relay;
    double fraction;
    char *text;
} Update;

KvProgressRelay *kv_progress_relay_new(GtkProgressBar *bar)
{
    KvProgressRelay *relay = g_new0(KvProgressRelay, 1);

    relay->refs = 1;
    g_weak_ref_init(&relay->bar, bar);
    g_mutex_init(&relay->lock);
    g_cond_init(&relay->shown_cond);
    return relay;
}

KvProgressRelay *kv_progress_relay_ref(KvProgressRelay *relay)
{
    g_atomic_int_inc(&relay->refs);
    return relay;
}

void kv_progress_relay_unref(KvProgressRelay *relay)
{
    if (!g_atomic_int_dec_and_test(&relay->refs))
        return;
    g_weak_ref_clear(&relay->bar);
    g_mutex_clear(&relay->lock);
    g_cond_clear(&relay->shown_cond);
    g_free(relay);
}

static gboolean show_update(gpointer data)
{
    Update *u = data;
    KvProgressRelay *relay = u->relay;
    GtkProgressBar *bar = g_weak_ref_get(&relay->bar);

    if (bar != NULL) {
        if (u->fraction >= 0.0)
            gtk_progress_bar_set_fraction(bar, u->fraction);
        if (u->text != NULL)
            gtk_progress_bar_set_text(bar, u->text);
        g_object_unref(bar);
    }
    g_mutex_lock(&relay->lock);
    relay->in_flight = FALSE;
    g_cond_signal(&relay->shown_cond);
    g_mutex_unlock(&relay->lock);
    kv_progress_relay_unref(relay);
    g_free(u->text);
    g_free(u);
    return G_SOURCE_REMOVE;
}

void kv_progress_relay_post(KvProgressRelay *relay, double fraction, const char *text)
{
    Update *u = g_new0(Update, 1);
    gint64 end = g_get_monotonic_time() + MAX_WAIT_US;

    g_mutex_lock(&relay->lock);
    while (relay->in_flight)
        if (!g_cond_wait_until(&relay->shown_cond, &relay->lock, end))
            break;
    relay->in_flight = TRUE;
    g_mutex_unlock(&relay->lock);

    u->relay = kv_progress_relay_ref(relay);
    u->fraction = fraction < 0.0 ? -1.0 : MIN(fraction, 1.0);
    u->text = g_strdup(text);
    /* Default priority: shown before the result of the job, which comes
     * after it. */
    g_idle_add_full(G_PRIORITY_DEFAULT, show_update, u, NULL);
}
