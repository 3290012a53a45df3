/* kv-reconcile.h - the reconciliation of the ledger (anomalies: kv-anomalies.h).
 *
 * The reconciliation recomputes each meter's cumulative sold from its
 * completed sales (and the bases they adopted, table base_adoptions) and
 * compares it with the meters table: an edit of cumulative_sold in the
 * SQLite file, or a base taken from nowhere, shows as a problem; so does
 * credit cleared (credit_clears) that its audit rows do not record
 * (kv_audit_check_clears).  The
 * credit of the sales' tokens must be the energy bought plus the free
 * allocations (docs/station.md, "Free basic electricity"), money must come
 * with energy bought and energy bought with money, and a customer has one
 * free grant a month.
 * See docs/station.md, "Issued sales", "Anomalies" and "Reconciliation".
 */
#ifndef KV_RECONCILE_H
#define KV_RECONCILE_H

#include "kv-anomalies.h"
#include "kv-station.h"

G_BEGIN_DECLS


typedef struct {
    guint meters_checked;
    guint sales_checked;
    guint issued_open;        /* issued sales waiting for proof or a supervisor */
    guint anomalies_open;     /* anomalies not acknowledged */
    /* Money and credit: the credit on the tokens of the live sales
     * (completed, cancelling: cumulative - base, 0.01 kWh) is the energy
     * bought plus the free allocations, each its own line, to the unit;
     * grants: the free allocations among them. */
    gint64 credit;
    gint64 energy_paid;
    gint64 energy_free;
    guint grants;
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
 * the issued sales and anomalies listed are the whole station's.  The
 * money and credit check (credit, energy_paid, energy_free, grants) is the
 * full reconciliation's: it reads every sale row, the shift's stays on the
 * covering index (the Z report prints its own sales' credit line). */
KvReconcileReport *kv_reconcile_shift(KvStation *st, gint64 shift_id, GError **error);

G_END_DECLS

#endif
