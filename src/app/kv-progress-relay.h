/* kv-progress-relay.h - progress of a worker job, shown on a progress bar. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct _KvProgressRelay KvProgressRelay;

/* Main thread: a relay to this bar (held weakly: the bar may go first). */
KvProgressRelay *kv_progress_relay_new(GtkProgressBar *bar);
KvProgressRelay *kv_progress_relay_ref(KvProgressRelay *relay);
/* Any thread. */
void kv_progress_relay_unref(KvProgressRelay *relay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvProgressRelay, kv_progress_relay_unref)

/* Worker thread: show fraction (0..1; negative: unchanged, a pulsing bar
 * keeps pulsing) and text (NULL: unchanged) on the bar.  Returns once the previous update has been shown by the main loop,
 * so the job is never more than one update ahead of the window. */
void kv_progress_relay_post(KvProgressRelay *relay, double fraction, const char *text);

G_END_DECLS
