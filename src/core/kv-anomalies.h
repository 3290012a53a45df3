/* kv-anomalies.h - anomalies: stored, listed, acknowledged (layer: registry).
 *
 * An anomaly is something the station saw that its own ledger cannot
 * explain: a token this office sealed coming back above what it sold, an
 * issued sale proven after the fact, a readback showing more loaded than
 * sold, a readback going backwards.  Each one is stored (table anomalies)
 * with its audit row and returned to the operation that saw it, so the
 * front ends tell the user at once; `kilovendctl check`, `audit verify`
 * and the reports list the ones not yet acknowledged.
 */
#ifndef KV_ANOMALIES_H
#define KV_ANOMALIES_H

#include "kv-station.h"

G_BEGIN_DECLS

typedef struct {
    gint64 id;
    gint64 at;
    char *kind;        /* own-token-above-sold, issued-proven, loaded-above-sold,
                        * readback-backwards */
    guint32 meter_number;
    guint32 card_serial;
    gint64 sale_id;    /* 0: none */
    guint32 token_seq;
    guint32 token_sale_ref;
    gint64 amount;     /* 0.01 kWh at stake */
    char *detail;
    gint64 ack_at;     /* 0: not acknowledged */
    char *ack_reason;
} KvAnomaly;
void kv_anomaly_free(KvAnomaly *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvAnomaly, kv_anomaly_free)

/* Anomalies, newest first; only those not acknowledged if open_only;
 * meter 0: all meters.  No role needed beyond an open ledger. */
GPtrArray *kv_anomaly_list(KvStation *st, gboolean open_only, guint32 meter, GError **error);
/* Supervisor: acknowledge an anomaly (it stays listed, marked); audited. */
gboolean kv_anomaly_ack(KvStation *st, gint64 id, const char *reason, GError **error);
/* One line for a user: what the anomaly is, card, token and amount. */
char *kv_anomaly_describe(const KvAnomaly *a);

G_END_DECLS

#endif
