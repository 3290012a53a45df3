/* kv-audit-private.h - writing the audit log from inside the core. */
#ifndef KV_AUDIT_PRIVATE_H
#define KV_AUDIT_PRIVATE_H

#include "kv-audit.h"
#include "kv-db.h"

G_BEGIN_DECLS

/* Inside the caller's transaction unless said otherwise. */
/* The end of a change: its audit row, then the commit; on failure the
 * transaction is rolled back (nothing of the change stays). */
gboolean kv_audit_commit(KvTxn *txn, const char *action, const char *object,
                         const char *detail, GError **error);
/* An audit row alone, in its own transaction. */
gboolean kv_audit_record(KvStation *st, const char *action, const char *object,
                         const char *detail, GError **error);
gboolean kv_audit_append(KvStation *st, const char *action, const char *object,
                         const char *detail, GError **error);
/* Canonical sale detail, shared by the writer and the verifier.  A sale
 * not paid in cash adds " pay=KEY" and its " ref=REFERENCE" (cash adds
 * nothing: the rows audited before payment types read the same); a sale
 * carrying a free grant adds " free=ENERGY month=YYYYMM" last. */
char *kv_audit_sale_detail(const char *state, gint64 amount, gint64 energy, guint32 seq,
                           guint32 cumulative, guint32 card_serial, int payment,
                           const char *payment_ref, gint64 free_energy, gint free_month);

G_END_DECLS

#endif
