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

static KvCardLink *wrap(KvCardService *svc, KvCard *card, gboolean own_svc)
{
    KvCardLinkPcsc *c = g_new0(KvCardLinkPcsc, 1);
    c->svc = svc;
    c->card = card;
    c->own_svc = own_svc;
    return kv_card_link_new(&pcsc_ops, c);
}

KvCardLink *kv_card_link_pcsc_new(KvCardService *svc, KvCard *card)
{
    return wrap(svc, card, TRUE);
}

KvCardLink *kv_card_link_pcsc_borrow(KvCardService *svc, KvCard *card)
{
    return wrap(svc, card, FALSE);
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
