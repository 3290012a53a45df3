/* kv-audit.h - the append-only, hash-chained audit log.
 *
 * Each row's hash is SHA-256 over the previous row's hash and the row's
 * canonical text; triggers refuse UPDATE and DELETE.  kv_audit_verify
 * recomputes the chain and cross-checks every sale against its audit rows,
 * so an edited or deleted row (audit or sale) is reported.  The chain head
 * printed on each Z report is an outside anchor: verify can be given one to
 * prove the chain was not rewritten since.
 */
#ifndef KV_AUDIT_H
#define KV_AUDIT_H

#include "kv-station.h"

G_BEGIN_DECLS

typedef struct {
    guint64 rows;
    guint64 sales_checked;
    char *head_hex;     /* hash of the last row */
    GPtrArray *problems; /* of char *, empty when all is well */
} KvAuditReport;
void kv_audit_report_free(KvAuditReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvAuditReport, kv_audit_report_free)

/* Supervisor.  Returns a report (NULL only on I/O errors); problems lists
 * each break.  anchor_hex (optional): a head printed earlier must still be
 * in the chain. */
KvAuditReport *kv_audit_verify(KvStation *st, const char *anchor_hex, KvProgressFunc progress,
                               gpointer user_data, GCancellable *cancellable, GError **error);
/* Current head (hex), for reports. */
char *kv_audit_head(KvStation *st, GError **error);

G_END_DECLS

#endif
