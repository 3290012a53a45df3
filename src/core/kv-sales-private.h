/* kv-sales-private.h - what the cards module asks of sales. */
#ifndef KV_SALES_PRIVATE_H
#define KV_SALES_PRIVATE_H

#include "kv-sales.h"
#include "kv-registry.h"
#include "kv_card.h"

G_BEGIN_DECLS

/* A credit token sealed by this office on the card (view) above what the
 * station sold and completed for the meter (m: its fresh record) raises an
 * own-token-above-sold anomaly (own transaction); *anomaly_id gets its id,
 * 0 if none. run by a sale before it takes its base, and by
 * `card read`. */
gboolean kv_sale_check_own_token(KvStation *st, const KvMeter *m, const kv_card_view *v,
                                 GString *notes, gint64 *anomaly_id, GError **error);

/* Seal a credit token (seq, cumulative, amount, sale_ref) for the card
 * (view: decoded, m: its meter) and write it into the free token slot,
 * changed bytes only, MAC last.  For tokens that are not a sale's (a refund
 * of unloaded credit): the caller records the seq as taken before. */
gboolean kv_sale_write_token(KvStation *st, KvCardLink *card, const KvMeter *m,
                             const kv_card_view *view, guint32 seq, guint32 cumulative,
                             guint32 amount, gint64 sale_ref, GError **error);

G_END_DECLS

#endif
