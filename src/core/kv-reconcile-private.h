/* kv-reconcile-private.h - raising anomalies from inside the core. */
#ifndef KV_RECONCILE_PRIVATE_H
#define KV_RECONCILE_PRIVATE_H

#include "kv-reconcile.h"
#include "kv-registry.h"
#include "kv_card.h"

G_BEGIN_DECLS

/* What an anomaly names. */
typedef struct {
    const char *kind;
    guint32 meter;
    guint32 card;
    gint64 sale_id;
    guint32 token_seq;
    guint32 token_sale_ref;
    gint64 amount;
    const char *detail;
} KvAnomalyFacts;

/* Inside the caller's transaction: store the anomaly (once: the same kind,
 * meter, card, token and detail seen again is not stored twice) and, if
 * audit_action is given, its audit row.  *id_out (optional) gets its id,
 * *raised (optional) whether this call stored it; notes (optional) gets a
 * line for the user either way. */
gboolean kv_anomaly_store(KvStation *st, const KvAnomalyFacts *a, const char *audit_action,
                          GString *notes, gint64 *id_out, gboolean *raised, GError **error);

/* Inside the import transaction: does this MAC-verified readback go
 * backwards (counter, cumulative loaded or total energy) against the last
 * readback stored for the meter?  A copy of a stored readback is not; nor
 * is, for the card's older slot (older_slot), a reading never imported
 * that fits between the stored ones.  If it does, a readback-backwards
 * anomaly is stored and audited and *backwards set. */
gboolean kv_readback_check_order(KvStation *st, guint32 meter, guint32 card,
                                 const kv_readback *rb, gboolean older_slot, gboolean *backwards,
                                 GString *notes, GError **error);

/* A credit token sealed by this office on the card (view) above what the
 * station sold and completed for the meter (m: its fresh record) raises an
 * own-token-above-sold anomaly (own transaction); *anomaly_id gets its id,
 * 0 if none.  kv-sales.c; run by a sale before it takes its base, and by
 * `card read`. */
gboolean kv_sale_check_own_token(KvStation *st, const KvMeter *m, const kv_card_view *v,
                                 GString *notes, gint64 *anomaly_id, GError **error);

G_END_DECLS

#endif
