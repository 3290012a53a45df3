/* kv-card-access.h - the core's card access: a card decoded with its
 * meter's keys, written, its record stepped (layer: card access; core-private). */
#ifndef KV_CARD_ACCESS_H
#define KV_CARD_ACCESS_H

#include "kv-card-link.h"
#include "kv-registry.h"
#include "kv-station.h"
#include "kv_card.h"

G_BEGIN_DECLS

/* Decode the card in the link with its meter's keys.  Errors a cashier can
 * act on: blank, damaged, other utility, other meter (expect_meter != 0),
 * unregistered meter.  *meter_out (optional) gets the meter record. */
gboolean kv_card_view_for(KvStation *st, KvCardLink *card, guint32 expect_meter,
                          kv_card_view *view, KvMeter **meter_out, GError **error);
/* Present the card's derived PSC (never the factory one). */
gboolean kv_card_present_own_psc(KvStation *st, KvCardLink *card, const KvMeter *m,
                                 guint32 serial, GError **error);
/* Write a reserved card (identity, token or none, lock, PSC change),
 * resumable from step "psc-changing". */
gboolean kv_card_personalise(KvStation *st, KvCardLink *card, const KvMeter *m, guint32 serial,
                           guint card_type, const kv_token *tok, const char *step,
                           GError **error);
/* Set a card's status and issue step, with an audit row if action is given;
 * own transaction. */
gboolean kv_card_step(KvStation *st, guint32 serial, KvCardStatus status, KvCardIssueStep step,
                      const char *action, const char *detail, GError **error);
/* The next card serial of this office (inside or outside a transaction). */
guint32 kv_card_next_serial(KvStation *st, GError **error);
/* The card's status in the registry ("active", ...), NULL if unknown. */
char *kv_card_status(KvStation *st, guint32 serial);

G_END_DECLS

#endif
