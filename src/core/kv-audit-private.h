/* kv-audit-private.h - writing the audit log from inside the core. */
#ifndef KV_AUDIT_PRIVATE_H
#define KV_AUDIT_PRIVATE_H

#include "kv-audit.h"
#include "kv-db.h"

G_BEGIN_DECLS

/* The one reader of the audit log's logical rows (db/020-compact-audit.sql:
 * the view audit over the compact storage), in id order, each with its
 * chain hash recomputed from the nearest checkpoint before it (the plain
 * hash is kept only at checkpoints and for the head).  The texts are never
 * NULL ("" where the storage cannot give them back) and last until the
 * next kv_audit_iter_next. */
typedef struct {
    gint64 id, at, user_id; /* user_id 0 when the row has none */
    gboolean has_user;
    const char *action, *object, *detail;
    const guint8 *mac;      /* NULL: written with the keys locked */
    const guint8 *kept;     /* the hash kept for it (checkpoint, head), or NULL */
    guint8 prev_hash[32], hash[32];
} KvAuditRow;
typedef struct KvAuditIter KvAuditIter;
/* Rows from..to (to 0: to the end). */
KvAuditIter *kv_audit_iter_new(KvStation *st, gint64 from, gint64 to, GError **error);
/* The next row, or NULL at the end or on an error (then *error is set). */
const KvAuditRow *kv_audit_iter_next(KvAuditIter *it, GError **error);
/* The chain goes on from this hash (a checkpoint's, after a break). */
void kv_audit_iter_resync(KvAuditIter *it, const guint8 hash[32]);
void kv_audit_iter_free(KvAuditIter *it);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvAuditIter, kv_audit_iter_free)
/* A hash in lower-case hexadecimal (64 digits). */
char *kv_audit_hex(const guint8 hash[32]);
/* Row id's chain hash (recomputed); FALSE without error when there is no
 * such row. */
gboolean kv_audit_hash_of(KvStation *st, gint64 id, guint8 hash[32], GError **error);

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
/* The audit row of each debt movement after id `after` (debt.movement,
 * object "debt:<id>", the movement's content as stored), in id order,
 * inside the caller's transaction. */
gboolean kv_audit_debt_movements_after(KvStation *st, gint64 after, GError **error);
/* Once: the audit row (debt.opening) summarising the movements recorded
 * before each had its own row, when db/010-debt-audit.sql asks for it
 * (table debt_ledger_start); kv_audit_debt_start in its own transaction
 * (nothing to do: no transaction). */
gboolean kv_audit_debt_opening(KvStation *st, GError **error);
gboolean kv_audit_debt_start(KvStation *st, GError **error);
/* Each row of credit_clears of meter (0: every meter) against its
 * meter.credit-cleared audit row (amount, card, readback), each such row
 * against its credit_clears row, and each meter's part refunded against
 * its refund.cleared rows; an audit row that does not prove itself (hash;
 * keyed MAC when the keys are unlocked) counts for nothing.  Each
 * disagreement is appended to problems (char *). */
gboolean kv_audit_check_clears(KvStation *st, guint32 meter, GPtrArray *problems, GError **error);

G_END_DECLS

#endif
