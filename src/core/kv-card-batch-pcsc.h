/* kv-card-batch-pcsc.h - batch issue at a PC/SC reader (layer: operations;
 * built with the card service, like kv-card-link-pcsc.h). */
#ifndef KV_CARD_BATCH_PCSC_H
#define KV_CARD_BATCH_PCSC_H

#include "kv-card-link-pcsc.h"
#include "kv-cards.h"

G_BEGIN_DECLS

/* Batch issue (kv_card_batch_full) at a PC/SC reader (NULL: the first).
 * For each row still to do: prompt(meter, index, total) - the front end
 * asks for the next blank card its own way -, wait for a card to be
 * inserted (kv_card_service_wait), issue it, result(row, TRUE) - the front
 * end reports the card and asks for it to be taken out -, wait for the
 * removal.  Rows that need no card are reported with result(row, FALSE).
 * Cancelling stops a wait at once (the rows done stay done; running the
 * same file again resumes).  Errors of the card service (no pcscd, reader
 * gone for good) stop the batch. */
typedef void (*KvBatchPromptFunc)(guint32 meter, guint index, guint total, gpointer user_data);
typedef void (*KvBatchResultFunc)(const KvBatchRow *row, gboolean take_out, gpointer user_data);
GPtrArray *kv_card_batch_pcsc(KvStation *st, const char *csv_path, const char *reader,
                              KvBatchPromptFunc prompt, KvBatchResultFunc result,
                              gpointer user_data, GCancellable *cancellable, GError **error);

G_END_DECLS

#endif
