/* kv-readback.h - readbacks brought back on cards: stored, ordered,
 * their effects (layer: readback; core-private). */
#ifndef KV_READBACK_H
#define KV_READBACK_H

#include "kv-registry.h"
#include "kv-station.h"
#include "kv_card.h"

G_BEGIN_DECLS

/* Store the card's MAC-verified readback if newer than the meter's, with
 * its effects (kv_readback_effects); own transaction.  A readback going
 * backwards (the chosen one, or the card's older slot when image is
 * given) is stored as an anomaly (*anomaly set, a line in notes). */
gboolean kv_readback_import(KvStation *st, const KvMeter *m, const kv_card_view *view,
                            const guint8 *image, gboolean *imported, gboolean *anomaly,
                            GString *notes, GError **error);

/* Readback effects beyond storing it inside the import
 * transaction: a key change or parameters confirmed, a loaded total above
 * what was sold (anomaly, audited).  view: the card the readback came on. */
gboolean kv_readback_effects(KvStation *st, const KvMeter *m, const kv_card_view *view,
                             const kv_readback *rb, gboolean *anomaly, GError **error);

/* Inside the import transaction: does this MAC-verified readback go
 * backwards (counter, cumulative loaded or total energy) against the last
 * readback stored for the meter?  A copy of a stored readback is not; nor
 * is, for the card's older slot (older_slot), a reading never imported
 * that fits between the stored ones.  If it does, a readback-backwards
 * anomaly is stored and audited and *backwards set. */
gboolean kv_readback_check_order(KvStation *st, guint32 meter, guint32 card,
                                 const kv_readback *rb, gboolean older_slot, gboolean *backwards,
                                 GString *notes, GError **error);

G_END_DECLS

#endif
