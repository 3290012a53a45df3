/* kv-card-link-pcsc.h - the card link over the PC/SC card service. */
#ifndef KV_CARD_LINK_PCSC_H
#define KV_CARD_LINK_PCSC_H

#include "kv-card-link.h"
#include "kv-card-service.h"

G_BEGIN_DECLS

/* Connect to pcscd and to the card in the named reader (NULL: the first
 * reader with a card).  Errors in KV_CARD_ERROR. */
KvCardLink *kv_card_link_new_pcsc_reader(const char *reader, GError **error);
/* Wrap a connected card (the link owns card and svc). */
KvCardLink *kv_card_link_new_pcsc(KvCardService *svc, KvCard *card);

G_END_DECLS

#endif
