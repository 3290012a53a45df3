/* kv-card-steps.h - a card link that says what the card is being asked to
 * do, step by step, on a progress bar. */
#pragma once

#include "kv-core.h"
#include "kv-progress-relay.h"

G_BEGIN_DECLS

/* Worker thread: a link over card (borrowed: it must outlive the new one)
 * that posts to relay, before each step, what the card is doing: reading,
 * unlocking, `writing` (the operation's own words for its write), checking
 * what was written, locking.  The bar keeps pulsing: a slow card (a real
 * SLE4442 takes milliseconds a byte) shows which step it is slow at. */
KvCardLink *kv_card_steps_new(KvCardLink *card, KvProgressRelay *relay, const char *writing);

/* Main thread: the bar (the child of a GtkRevealer) revealed with the first
 * step and pulsing (*pulse_source, cleared by kv_card_steps_hide or by the
 * bar's owner before the bar goes); the relay for kv_card_steps_new. */
KvProgressRelay *kv_card_steps_show(GtkProgressBar *bar, const char *first, guint *pulse_source);
/* Main thread: the pulse stopped and the bar hidden. */
void kv_card_steps_hide(GtkProgressBar *bar, guint *pulse_source);

G_END_DECLS
