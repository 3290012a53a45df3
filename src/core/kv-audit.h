/* kv-audit.h - the append-only, hash-chained, keyed audit log.
 *
 * Each row's hash is SHA-256 over the previous row's hash and the row's
 * canonical text; with the keys unlocked each row also gets a MAC of its
 * hash under the audit key (kv_keyring_audit_key), which covers every row
 * before it.  Triggers refuse UPDATE and DELETE.  kv_audit_verify recomputes
 * the chain, checks the MACs when the keys are unlocked, and cross-checks
 * every sale against its audit rows, so an edited or deleted row (audit or
 * sale) is reported; the same for each debt movement (and each customer's
 * balance against the sum of their movements) and each row of credit
 * cleared (and the part of it refunded).  The head (kv_audit_head, "ROW-HASH") printed on each
 * Z report is an outside anchor: verify given one proves the log still
 * reaches it (rows deleted from the end, or a rewrite, are reported).
 */
#ifndef KV_AUDIT_H
#define KV_AUDIT_H

#include "kv-station.h"

G_BEGIN_DECLS

typedef struct {
    guint64 rows;
    guint64 sales_checked;
    char *head_hex;     /* hash of the last row */
    char *head;         /* "ROW-HASH", as kv_audit_head prints it */
    gboolean keyed;     /* the keys were unlocked: every MAC was checked */
    guint64 rows_keyed; /* rows that carry a MAC */
    gint64 covered_to;  /* last row with a MAC: rows 1..covered_to are covered by
                         * it; rows after it were written with the keys locked */
    GPtrArray *problems; /* of char *, empty when all is well */
    guint64 movements_checked; /* debt movements compared with their audit rows */
} KvAuditReport;
void kv_audit_report_free(KvAuditReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvAuditReport, kv_audit_report_free)

/* Supervisor.  Returns a report (NULL only on I/O errors and an anchor that
 * is no head: INVALID); problems lists each break.  anchor_hex (optional): a
 * head exported earlier ("ROW-HASH", or the bare hash), which the log must
 * still reach.  MACs are checked when the station's keys are unlocked. */
KvAuditReport *kv_audit_verify(KvStation *st, const char *anchor_hex, KvProgressFunc progress,
                               gpointer user_data, GCancellable *cancellable, GError **error);
/* A row's hash, the documented chain formula:
 * SHA-256(prev_hash || "id|at|user|action|object|detail"). */
void kv_audit_row_hash(const guint8 prev[32], gint64 id, gint64 at, gint64 user,
                       const char *action, const char *object, const char *detail, guint8 out[32]);
/* Current head, "ROW-HASH" (row number, 64 hex digits), for reports and
 * `kilovendctl audit head`; "0-000..." for an empty log. */
char *kv_audit_head(KvStation *st, GError **error);

G_END_DECLS

#endif
