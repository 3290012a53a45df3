/* kv-card-link-pcsc.h - the card link over the PC/SC card service. */
#ifndef KV_CARD_LINK_PCSC_H
#define KV_CARD_LINK_PCSC_H

#include "kv-card-link.h"
#include "kv-card.h"

G_BEGIN_DECLS

/* Connect to pcscd and to the card in the named reader (NULL: the first
 * reader with a card).  Errors in KV_CARD_ERROR. */
KvCardLink *kv_card_link_pcsc_open(const char *reader, GError **error);
/* Wrap a connected card (the link owns card and svc). */
KvCardLink *kv_card_link_pcsc_new(KvCardService *svc, KvCard *card);
/* The same for one card of a service the caller keeps (the link owns card). */
KvCardLink *kv_card_link_pcsc_borrow(KvCardService *svc, KvCard *card);

G_END_DECLS

#endif
