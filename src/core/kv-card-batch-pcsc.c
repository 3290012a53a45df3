/* kv-card-batch-pcsc.c - batch issue at a PC/SC reader: kv_card_batch_full
 * with the next card waited for in the reader, and its removal. */
#include "kv-card-batch-pcsc.h"

typedef struct {
    KvCardService *svc;
    const char *reader;
    KvBatchPromptFunc prompt;
    KvBatchResultFunc result;
    gpointer user_data;
    gulong cancel_id;
} PcscBatch;

static KvCardLink *batch_next(guint32 meter, guint index, guint total, gpointer data,
                              GCancellable *cancellable, GError **error)
{
    PcscBatch *b = data;
    KvCard *card;
    if (b->prompt)
        b->prompt(meter, index, total, b->user_data);
    if (!kv_card_service_wait_for(b->svc, b->reader, KV_CARD_EVENT_INSERTED, FALSE, cancellable,
                                  error))
        return NULL;
    if (!(card = kv_card_connect(b->svc, b->reader, error)))
        return NULL; /* the row fails; the card is still asked to be taken out */
    return kv_card_link_pcsc_borrow(b->svc, card);
}

static gboolean batch_done(const KvBatchRow *row, KvCardLink *link, gpointer data,
                           GCancellable *cancellable, GError **error)
{
    PcscBatch *b = data;
    /* A card was inserted for this row (issued or not): it must come out
     * before the next one goes in. */
    gboolean inserted = link || (!row->ok && !row->skipped && row->meter &&
                                 !g_cancellable_is_cancelled(cancellable));
    if (b->result)
        b->result(row, inserted, b->user_data);
    return !inserted || kv_card_service_wait_for(b->svc, b->reader, KV_CARD_EVENT_REMOVED,
                                                   FALSE, cancellable, error);
}

static void batch_cancelled(GCancellable *cancellable, gpointer data)
{
    kv_card_service_cancel(((PcscBatch *)data)->svc);
}

GPtrArray *kv_card_batch_pcsc(KvStation *st, const char *csv_path, const char *reader,
                              KvBatchPromptFunc prompt, KvBatchResultFunc result,
                              gpointer user_data, GCancellable *cancellable, GError **error)
{
    PcscBatch b = { NULL, reader, prompt, result, user_data, 0 };
    GPtrArray *rows;
    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) ||
        !(b.svc = kv_card_service_new(error)))
        return NULL;
    if (cancellable)
        b.cancel_id = g_cancellable_connect(cancellable, G_CALLBACK(batch_cancelled), &b, NULL);
    rows = kv_card_batch_full(st, csv_path, batch_next, batch_done, &b, NULL, NULL, cancellable,
                              error);
    if (cancellable)
        g_cancellable_disconnect(cancellable, b.cancel_id);
    kv_card_service_free(b.svc);
    return rows;
}
