/* kv-refunds.h - paying back credit a customer no longer has (layer:
 * operations).
 *
 * Refund of cleared credit: what clear-credit cards emptied from a meter
 * and their readbacks proved (kv-clears.h), not yet refunded, is paid back
 * at the price the customer paid for it.  The rule for several sales at
 * different prices (docs/station.md, "Refunds"): the credit a meter still
 * held is the newest credit sold to it (a meter spends its credit in the
 * order it was loaded), so the energy refunded is taken from the meter's
 * completed sales newest first, each up to the energy of that sale not
 * refunded before; a sale refunded in part pays back (energy part of the
 * sale: net energy + VAT) x energy / sale energy, rounded down to the minor
 * unit, and the part that completes a sale pays back exactly what is left
 * of that sale's energy part, so a sale refunded whole, in one go or in
 * several, pays back to the minor unit what it took for energy.  Fixed
 * charges and debt recovered are not refunded.  Energy beyond the sales
 * (credit that came without money) is not paid and stays unrefunded.
 *
 * Supervisor only, a reason required, from the supervisor's open shift
 * (the expected cash of that shift goes down), audited (refund.cleared). */
#ifndef KV_REFUNDS_H
#define KV_REFUNDS_H

#include "kv-card-link.h"
#include "kv-station.h"

G_BEGIN_DECLS

typedef struct {
    gint64 id;
    /* kv_refund_get fills everything; kv_refund_cleared too. */
    guint32 meter_number;
    gint64 shift_id;
    gint64 energy;  /* 0.01 kWh refunded */
    gint64 amount;  /* minor units paid back */
    guint sales;    /* sales it was taken from */
} KvRefund;

/* A refund as recorded, for its receipt: *reason and *by (the
 * supervisor's login) newly allocated. */
KvRefund *kv_refund_get(KvStation *st, gint64 id, gint64 *created_at, char **reason, char **by,
                        GError **error);

/* A past refund in a list: the refund, when, why, by whom (login). */
typedef struct {
    KvRefund refund;
    gint64 created_at;
    char *reason, *by;
} KvRefundEntry;
void kv_refund_entry_free(KvRefundEntry *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvRefundEntry, kv_refund_entry_free)
/* The newest refunds (KvRefundEntry *), newest first, at most limit, for
 * reprinting their receipts: supervisors. */
GPtrArray *kv_refund_list_recent(KvStation *st, guint limit, GError **error);

KvRefund *kv_refund_cleared(KvStation *st, guint32 meter, const char *reason, GError **error);

/* Refunds of a shift (shift_id > 0) or made in [from, to): how many, the
 * money paid back and the energy, for the reports. */
gboolean kv_refunds_sum(KvStation *st, gint64 shift_id, gint64 from, gint64 to, gint64 *count,
                        gint64 *amount, gint64 *energy, GError **error);

/* Refund of unloaded credit (kv-refund-unloaded.c, docs/station.md,
 * "Refunds of unloaded credit"): the meter's card at the counter carries
 * the meter's newest token and its readback (or the newest stored one)
 * shows the meter has not loaded all of it; energy (0.01 kWh; 0: all that
 * is unloaded) of that credit is refunded from the meter's completed
 * sales, newest first, priced by the rule above, and the card gets a
 * credit token (the next seq, amount 0) carrying the cumulative LOWERED by
 * the energy refunded.  The meter keeps the cumulative it loaded, so it
 * loads from that token at most what was not refunded, and a meter that
 * loaded more (a copy of the card) loads nothing until later sales pass
 * it.  Supervisor, reason, open shift, keys; the token's seq is on disk
 * before the card is touched; audited (refund.unloaded).  A card pulled or
 * a station killed leaves it pending: kv_refund_reconcile_card settles it
 * from the card (the token on the card: refunded; otherwise aborted, nothing
 * paid).  kv_card_read calls it. */
KvRefund *kv_refund_unloaded(KvStation *st, KvCardLink *card, guint32 meter, gint64 energy,
                             const char *reason, GError **error);
/* Settle the pending refund tokens of the card's meter from the card.
 * Returns how many were settled, -1 on error. */
gint kv_refund_reconcile_card(KvStation *st, KvCardLink *card, GError **error);
/* Refund id paid back unloaded credit (its receipt says so). */
gboolean kv_refund_is_unloaded(KvStation *st, gint64 id);

G_END_DECLS

#endif
