/* kv-sale-state.h - the states of a sale and the words the ledger stores
 * for them (layer: base).  SQL takes a state as a bound parameter,
 * kv_sale_state_name(KV_SALE_...), never as a word written in its text. */
#ifndef KV_SALE_STATE_H
#define KV_SALE_STATE_H

#include <glib.h>

G_BEGIN_DECLS

/* The steps and the reasons for their order are in kv-sales.h. */
typedef enum {
    KV_SALE_PENDING,
    KV_SALE_WRITTEN,
    KV_SALE_COMPLETED,
    KV_SALE_FAILED,
    KV_SALE_CANCELLING,
    KV_SALE_CANCELLED,
    KV_SALE_ISSUED,   /* the token may be on a card; not settled (see kv-sales.h) */
    KV_SALE_VOID      /* an issued sale closed without payment */
} KvSaleState;
#define KV_SALE_N_STATES (KV_SALE_VOID + 1)
/* The stored word ("pending", ...); shown translated with
 * C_("sale state", word). */
const char *kv_sale_state_name(KvSaleState s);
/* The state of a stored word; KV_SALE_FAILED for an unknown one. */
KvSaleState kv_sale_state_from_name(const char *name);

G_END_DECLS

#endif
