/* kv-registry-private.h - meter rules shared by sales and cards. */
#ifndef KV_REGISTRY_PRIVATE_H
#define KV_REGISTRY_PRIVATE_H

#include "kv-registry.h"
#include "kv_card.h"

G_BEGIN_DECLS

/* The multi-office rule: the next token's seq and cumulative base are the
 * largest of what the card, this office's ledger and the newest readback
 * know. */
void kv_meter_next_token(const KvMeter *m, const kv_card_view *view, guint32 *next_seq,
                         guint32 *base_cumulative);

/* kv_meter_add inside the caller's transaction (a meter swap registers
 * its new meter with the transfer): the same checks (no head office) and
 * audit row (meter.add). */
gboolean kv_meter_add_in_txn(KvStation *st, const KvMeter *m, GError **error);

G_END_DECLS

#endif
