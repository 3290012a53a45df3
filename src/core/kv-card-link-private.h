/* kv-card-link-private.h - what the card link implementations share. */
#ifndef KV_CARD_LINK_PRIVATE_H
#define KV_CARD_LINK_PRIVATE_H

#include "kv-card-link.h"

G_BEGIN_DECLS

/* The implementation behind a card link (kv-card-link.c). */
gpointer kv_card_link_self(KvCardLink *link);

G_END_DECLS

#endif
