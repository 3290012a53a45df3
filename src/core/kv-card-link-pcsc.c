/* kv-card-link-pcsc.c - the card link over the card service (PC/SC). */
#include "kv-card-link-pcsc.h"

typedef struct {
    KvCardService *svc;
    KvCard *card;
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
