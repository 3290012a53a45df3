/* kv-card-watcher.h - notices cards and readers coming and going.
 *
 * A thread of its own waits on the card service (its own PC/SC context, so
 * a sale on the session's thread never waits for it) and reports each change
 * on the main thread as a signal. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
    KV_READER_STATE_STARTING,   /* not yet asked */
    KV_READER_STATE_NO_SERVICE, /* pcscd is not running */
    KV_READER_STATE_NO_READER,  /* no reader (or not the chosen one) */
    KV_READER_STATE_EMPTY,      /* reader ready, no card */
    KV_READER_STATE_CARD        /* a card is in the reader */
} KvReaderState;

#define KV_TYPE_CARD_WATCHER (kv_card_watcher_get_type())
G_DECLARE_FINAL_TYPE(KvCardWatcher, kv_card_watcher, KV, CARD_WATCHER, GObject)

/* reader: the reader to watch, NULL or "" for the first one. */
KvCardWatcher *kv_card_watcher_new(const char *reader);
void kv_card_watcher_start(KvCardWatcher *self);
/* Stop the thread (also done on dispose). */
void kv_card_watcher_stop(KvCardWatcher *self);
void kv_card_watcher_set_reader(KvCardWatcher *self, const char *reader);

KvReaderState kv_card_watcher_get_state(KvCardWatcher *self);
/* Name of the reader in use, or NULL. */
const char *kv_card_watcher_get_reader_name(KvCardWatcher *self);
/* A sentence for the cashier about the reader's state. */
const char *kv_card_watcher_get_message(KvCardWatcher *self);

G_END_DECLS
