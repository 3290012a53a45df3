/* kv-anomalies-private.h - raising anomalies from inside the core. */
#ifndef KV_ANOMALIES_PRIVATE_H
#define KV_ANOMALIES_PRIVATE_H

#include "kv-anomalies.h"

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

G_END_DECLS

#endif
