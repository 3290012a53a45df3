/* kv-card-link.c - dispatch of the card interface. */
#include "kv-card-link.h"
#include "kv-card-link-private.h"

struct _KvCardLink {
    const KvCardLinkOps *ops;
    gpointer self;
};

KvCardLink *kv_card_link_new(const KvCardLinkOps *ops, gpointer self)
{
    KvCardLink *l = g_new0(KvCardLink, 1);
    l->ops = ops;
    l->self = self;
    return l;
}

void kv_card_link_free(KvCardLink *link)
{
    if (!link)
        return;
    if (link->ops->free)
        link->ops->free(link->self);
    g_free(link);
}

gpointer kv_card_link_self(KvCardLink *link) { return link->self; }

const guint8 *kv_card_link_image(KvCardLink *l) { return l->ops->image(l->self); }
gboolean kv_card_link_refresh(KvCardLink *l, GError **e) { return l->ops->refresh(l->self, e); }
guint kv_card_link_tries_left(KvCardLink *l) { return l->ops->tries_left(l->self); }
guint32 kv_card_link_protection(KvCardLink *l) { return l->ops->protection(l->self); }
const char *kv_card_link_name(KvCardLink *l) { return l->ops->name(l->self); }

gboolean kv_card_link_present_psc(KvCardLink *l, const guint8 psc[3], gboolean force, GError **e)
{
    return l->ops->present_psc(l->self, psc, force, e);
}

gboolean kv_card_link_change_psc(KvCardLink *l, const guint8 psc[3], GError **e)
{
    return l->ops->change_psc(l->self, psc, e);
}

gboolean kv_card_link_write(KvCardLink *l, guint offset, const guint8 *data, guint len, GError **e)
{
    return l->ops->write(l->self, offset, data, len, e);
}

gboolean kv_card_link_lock_identity(KvCardLink *l, GError **e)
{
    return l->ops->lock_identity(l->self, e);
}
