/* kv-card-link-pcsc.c - the card link over the card service (PC/SC):
 * kv_card_link_pcsc_*, a KvCardLink whose writes are kv_card_write. */
#include "kv-card-link-pcsc.h"

typedef struct {
    KvCardService *svc;
    KvCard *card;
    gboolean own_svc;
} KvCardLinkPcsc;

static KvCard *card_of(gpointer s)
{
    return ((KvCardLinkPcsc *)s)->card;
}

static const guint8 *pc_image(gpointer s) { return kv_card_image(card_of(s)); }
static gboolean pc_refresh(gpointer s, GError **e) { return kv_card_refresh(card_of(s), e); }
static guint pc_tries_left(gpointer s) { return kv_card_tries_left(card_of(s)); }
static guint32 pc_protection(gpointer s) { return kv_card_protection(card_of(s)); }
static const char *pc_name(gpointer s) { return kv_card_reader_name(card_of(s)); }

static gboolean pc_present_psc(gpointer s, const guint8 psc[3], gboolean force, GError **e)
{
    return kv_card_present_psc(card_of(s), psc, force, e);
}

static gboolean pc_change_psc(gpointer s, const guint8 psc[3], GError **e)
{
    return kv_card_change_psc(card_of(s), psc, e);
}

static gboolean pc_write(gpointer s, guint offset, const guint8 *data, guint len, GError **e)
{
    return kv_card_write(card_of(s), offset, data, len, e);
}

static gboolean pc_lock_identity(gpointer s, GError **e)
{
    return kv_card_lock_identity(card_of(s), e);
}

static void pc_free(gpointer s)
{
    KvCardLinkPcsc *c = s;
    kv_card_free(c->card);
    if (c->own_svc)
        kv_card_service_free(c->svc);
    g_free(c);
}

static const KvCardLinkOps pcsc_ops = {
    pc_image, pc_refresh, pc_tries_left, pc_protection, pc_present_psc, pc_change_psc,
    pc_write, pc_lock_identity, pc_name, pc_free,
};

KvCardLink *kv_card_link_pcsc_new(KvCardService *svc, KvCard *card)
{
    KvCardLinkPcsc *c = g_new0(KvCardLinkPcsc, 1);
    c->svc = svc;
    c->card = card;
    c->own_svc = TRUE;
    return kv_card_link_new(&pcsc_ops, c);
}

KvCardLink *kv_card_link_pcsc_open(const char *reader, GError **error)
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
    return kv_card_link_pcsc_new(svc, card);
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

static KvCardLink *batch_next(guint32 meter, guint index, guint total, gpointer data,
                              GCancellable *cancellable, GError **error)
{
    PcscBatch *b = data;
    KvCardLinkPcsc *c;
    KvCard *card;
    if (b->prompt)
        b->prompt(meter, index, total, b->user_data);
    if (!kv_card_service_wait_for(b->svc, b->reader, KV_CARD_EVENT_INSERTED, FALSE, cancellable,
                                  error))
        return NULL;
    if (!(card = kv_card_connect(b->svc, b->reader, error)))
        return NULL; /* the row fails; the card is still asked to be taken out */
    c = g_new0(KvCardLinkPcsc, 1);
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
    return !inserted || kv_card_service_wait_for(b->svc, b->reader, KV_CARD_EVENT_REMOVED,
                                                   FALSE, cancellable, error);
}

static void batch_cancelled(GCancellable *cancellable, gpointer data)
{
    kv_card_service_cancel(((PcscBatch *)data)->svc);
}

GPtrArray *kv_card_link_pcsc_batch(KvStation *st, const char *csv_path, const char *reader,
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
