/* kv-reconcile.h - anomalies and the reconciliation of the ledger.
 *
 * An anomaly is something the station saw that its own ledger cannot
 * explain: a token this office sealed coming back above what it sold, an
 * issued sale proven after the fact, a readback showing more loaded than
 * sold, a readback going backwards.  Each one is stored (table anomalies)
 * with its audit row and returned to the operation that saw it, so the
 * front ends tell the user at once; `kilovendctl check`, `audit verify`
 * and the reports list the ones not yet acknowledged.
 *
 * The reconciliation recomputes each meter's cumulative sold from its
 * completed sales (and the bases they adopted, table base_adoptions) and
 * compares it with the meters table: an edit of cumulative_sold in the
 * SQLite file, or a base taken from nowhere, shows as a problem.
 * See docs/station.md, "Issued sales", "Anomalies" and "Reconciliation".
 */
#ifndef KV_RECONCILE_H
#define KV_RECONCILE_H

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

typedef struct {
    guint meters_checked;
    guint sales_checked;
    guint issued_open;        /* issued sales waiting for proof or a supervisor */
    guint anomalies_open;     /* anomalies not acknowledged */
    /* Each meter whose cumulative sold does not follow from its completed
     * sales and adopted bases, each base taken from nowhere (char *). */
    GPtrArray *problems;
    /* The open issued sales and anomalies as lines for a user (char *);
     * they are open questions, not broken ledger. */
    GPtrArray *open_items;
} KvReconcileReport;
void kv_reconcile_report_free(KvReconcileReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvReconcileReport, kv_reconcile_report_free)

/* Reconcile every meter (meter 0) or one.  Read only; no role needed
 * beyond an open ledger (it runs with `check`).  NULL only on I/O errors. */
KvReconcileReport *kv_reconcile(KvStation *st, guint32 meter, GError **error);
/* The same for the meters sold to in a shift (what its Z report shows);
 * the issued sales and anomalies listed are the whole station's. */
KvReconcileReport *kv_reconcile_shift(KvStation *st, gint64 shift_id, GError **error);

G_END_DECLS

#endif
