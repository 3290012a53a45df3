/* kv-refunds-private.h - what the refund files share (kv-refunds.c,
 * kv-refund-unloaded.c). */
#ifndef KV_REFUNDS_PRIVATE_H
#define KV_REFUNDS_PRIVATE_H

#include "kv-refunds.h"

G_BEGIN_DECLS

/* Inside the caller's transaction: take up to *energy from the meter's
 * completed sales, newest first, each up to what no refund took before, as
 * refund_parts of refund refund_id, priced by the rule of kv-refunds.h;
 * *energy, *amount and *sales become what was taken, paid and from how
 * many sales. */
gboolean kv_refund_take_parts(KvStation *st, guint32 meter, gint64 refund_id, gint64 *energy,
                              gint64 *amount, guint *sales, GError **error);

/* No sale of the meter is unsettled (pending, written, cancelling, issued)
 * and no refund token of it waits for its card: UNRESOLVED naming it. */
gboolean kv_refund_meter_settled(KvStation *st, guint32 meter, GError **error);

/* The meter was not swapped away: a swapped meter's credit, cleared or
 * not (an estimate carried what a later clear reports), went to the new
 * meter; STATE otherwise. */
gboolean kv_refund_not_swapped(KvStation *st, guint32 meter, GError **error);

G_END_DECLS

#endif
