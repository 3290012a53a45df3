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

G_END_DECLS

#endif
