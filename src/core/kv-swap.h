/* kv-swap.h - a meter replaced, its credit carried to the new meter
 * (layer: operations).  docs/station.md, "Meter swap".
 *
 * The credit carried is what the old meter still held and what was sold to
 * it that it never loaded:
 *   remaining  source KV_SWAP_CLEARED: the credit clear-credit cards emptied
 *              from it and their readbacks proved (credit_clears), not
 *              refunded; the meter's newest stored readback must be a
 *              clear-credit card's (nothing loaded after the clear).
 *              source KV_SWAP_ESTIMATE (a dead meter): the remaining of its
 *              newest stored (MAC-verified) readback, plus any cleared credit
 *              not refunded, chosen explicitly and audited as an estimate
 *   unloaded   cumulative sold - the cumulative loaded of that readback
 * It becomes the new meter's starting cumulative sold (a transfer, no
 * money: no shift, no cash, apart from sales in the reports), so the new
 * meter's first customer card (kv_card_issue) carries it in its token and
 * the new meter loads it once (the loading rule).  In the same transaction
 * the old meter is 'removed' (no sale, no refund of unloaded credit), all
 * its cards 'blocked' (the new meter refuses them as another meter's), its
 * cleared credit marked paid back (no refund of it afterwards), and the
 * new meter takes the old one's customer and tariff.  Supervisor, reason,
 * audited (meter.swap).  A new meter not registered yet is registered like
 * the old one (its customer, tariff, model and levels, the current keys;
 * t->registered) in the same transaction, so a swap refused at any step
 * leaves nothing behind: no transfer, no new meter, the head office
 * reservation ended (kv_sync_release_swap_reservation), and an audit row
 * meter.swap-refused saying why.  Each meter is swapped away once and receives once;
 * asking again for the same pair returns the recorded transfer (a swap
 * interrupted before its card was issued goes on from there). */
#ifndef KV_SWAP_H
#define KV_SWAP_H

#include "kv-station.h"

G_BEGIN_DECLS

typedef enum { KV_SWAP_CLEARED, KV_SWAP_ESTIMATE } KvSwapSource;

typedef struct {
    gint64 id;
    guint32 from_meter, to_meter;
    KvSwapSource source;
    gint64 remaining;  /* 0.01 kWh left in the old meter (cleared or estimated) */
    gint64 unloaded;   /* 0.01 kWh sold to it and never loaded */
    gint64 energy;     /* carried: remaining + unloaded */
    guint32 readback_counter;  /* the readback it stands on */
    gboolean resumed;  /* recorded before; returned again */
    gboolean registered; /* the new meter was registered by this swap */
} KvTransfer;

KvTransfer *kv_meter_swap(KvStation *st, guint32 old_meter, guint32 new_meter,
                          KvSwapSource source, const char *reason, GError **error);

/* Transfers recorded in [from, to): how many and the energy carried, for
 * the reports (no money). */
gboolean kv_transfers_sum(KvStation *st, gint64 from, gint64 to, gint64 *count, gint64 *energy,
                          GError **error);

G_END_DECLS

#endif
