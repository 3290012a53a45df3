/* kv-card-link-pcsc.c - the card link over the card service (PC/SC). */
#include "kv-card-link-pcsc.h"

typedef struct {
    KvCardService *svc;
    KvCard *card;
    gboolean own_svc;
} PcscCard;

static const guint8 *pc_image(gpointer s) { return kv_card_image(((PcscCard *)s)->card); }
static gboolean pc_refresh(gpointer s, GError **e) { return kv_card_refresh(((PcscCard *)s)->card, e); }
static guint pc_tries_left(gpointer s) { return kv_card_tries_left(((PcscCard *)s)->card); }
static guint32 pc_protection(gpointer s) { return kv_card_protection(((PcscCard *)s)->card); }
static const char *pc_name(gpointer s) { return kv_card_reader_name(((PcscCard *)s)->card); }

static gboolean pc_present_psc(gpointer s, const guint8 psc[3], gboolean force, GError **e)
{
    return kv_card_present_psc(((PcscCard *)s)->card, psc, force, e);
}

static gboolean pc_change_psc(gpointer s, const guint8 psc[3], GError **e)
{
    return kv_card_change_psc(((PcscCard *)s)->card, psc, e);
}

static gboolean pc_write(gpointer s, guint offset, const guint8 *data, guint len, GError **e)
{
    return kv_card_write(((PcscCard *)s)->card, offset, data, len, e);
}

static gboolean pc_lock_identity(gpointer s, GError **e)
{
    return kv_card_lock_identity(((PcscCard *)s)->card, e);
}

static void pc_free(gpointer s)
{
    PcscCard *c = s;
    kv_card_free(c->card);
    if (c->own_svc)
        kv_card_service_free(c->svc);
    g_free(c);
}

static const KvCardLinkOps pcsc_ops = {
    pc_image, pc_refresh, pc_tries_left, pc_protection, pc_present_psc, pc_change_psc,
    pc_write, pc_lock_identity, pc_name, pc_free,
};

KvCardLink *kv_card_link_new_pcsc(KvCardService *svc, KvCard *card)
{
    PcscCard *c = g_new0(PcscCard, 1);
    c->svc = svc;
    c->card = card;
    c->own_svc = TRUE;
    return kv_card_link_new(&pcsc_ops, c);
}

KvCardLink *kv_card_link_new_pcsc_reader(const char *reader, GError **error)
{
    KvCardService *svc = kv_card_service_new(error);
    KvCard *card;
    if (!svc)
        return NULL;
    card = kv_card_connect(svc, reader, error);
    if (!card) {
        kv_card_service_free(svc);
        return NULL;
    }
    return kv_card_link_new_pcsc(svc, card);
}

/* ---- batch issue at a reader ---- */

typedef struct {
    KvCardService *svc;
    const char *reader;
    KvBatchPromptFunc prompt;
    KvBatchResultFunc result;
    gpointer user_data;
    gulong cancel_id;
} PcscBatch;

#define BATCH_POLL_MS 1000

/* Wait for an event on the reader; a vanished reader may come back. */
static gboolean wait_for(PcscBatch *b, KvCardEvent want, GCancellable *cancellable,
                         GError **error)
{
    for (;;) {
        g_autoptr(GError) local = NULL;
        KvCardEvent ev;
        if (g_cancellable_set_error_if_cancelled(cancellable, error))
            return FALSE;
        ev = kv_card_service_wait(b->svc, b->reader, BATCH_POLL_MS, NULL, &local);
        if (local) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        if (ev == want)
            return TRUE;
    }
}

static KvCardLink *batch_next(guint32 meter, guint index, guint total, gpointer data,
                              GCancellable *cancellable, GError **error)
{
    PcscBatch *b = data;
    PcscCard *c;
    KvCard *card;
    if (b->prompt)
        b->prompt(meter, index, total, b->user_data);
    if (!wait_for(b, KV_CARD_EVENT_INSERTED, cancellable, error))
        return NULL;
    if (!(card = kv_card_connect(b->svc, b->reader, error)))
        return NULL; /* the row fails; the card is still asked to be taken out */
    c = g_new0(PcscCard, 1);
    c->svc = b->svc;
    c->card = card;
    return kv_card_link_new(&pcsc_ops, c);
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
    return !inserted || wait_for(b, KV_CARD_EVENT_REMOVED, cancellable, error);
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
