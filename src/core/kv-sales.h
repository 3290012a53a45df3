/* kv-sales.h - selling credit, cancelling it, and reconciling interrupted sales.
 *
 * A sale, step by step (each step a commit, see docs/station.md):
 *   quote      tariff breakdown and the meter's predicted answer (hoarding,
 *              from the last readback and kv_credit_load); nothing written
 *   pending    the sale row with its token seq/cumulative, committed BEFORE
 *              the card is touched
 *   card       the token written into kv_card_next_token_offset, changed
 *              bytes only, MAC last (the contract's tearing rule)
 *   written    the card service reported the write done and verified
 *   completed  the card read again and decoded: it holds exactly this token
 * A crash or pulled card leaves a pending/written row; the next read of that
 * card (any card operation, or kv_sale_reconcile) decides: the token is on
 * the card -> completed; otherwise -> failed if the write never began
 * (card_write_at unset), or -> issued: the token may have reached a card
 * (an emulator answering reads with the old content, a card pulled after
 * the last byte), so the card's word alone never closes it as "nothing
 * due".  An issued sale ends only by proof (its token on the card, a
 * MAC-verified readback showing the meter loaded it) -> completed, by a
 * later completed sale of the meter whose cumulative covers it -> void (its
 * token can no longer add credit), or by a supervisor (kv_sale_resolve,
 * audited).  While a sale of a meter is pending/written/cancelling no other
 * sale of that meter starts (UNRESOLVED); an issued one does not block the
 * next sale but stays listed, and its shift cannot close until it ends.
 */
#ifndef KV_SALES_H
#define KV_SALES_H

#include "kv-card-link.h"
#include "kv-payments.h"
#include "kv-sale-state.h"
#include "kv-shifts.h"
#include "kv-station.h"
#include "kv-tariff.h"

G_BEGIN_DECLS


typedef struct {
    gint64 amount;   /* money tendered, minor units; or 0 */
    gint64 energy;   /* 0.01 kWh wanted; or 0 (exactly one of the two) */
    KvPaymentType payment;  /* how it is paid (0: cash) */
    const char *reference;  /* the payment's reference (kv-payments.h), or NULL */
    /* The month's free allocation alone, nothing bought (amount and energy
     * 0): a zero-money token (docs/station.md, "Free basic electricity"). */
    gboolean free_only;
} KvSaleRequest;

typedef struct {
    gint64 id;                 /* receipt number, token sale_ref */
    guint32 meter_number;
    gint64 customer_id;
    char *customer_name;
    char *customer_account;
    guint32 card_serial;
    gint64 tariff_id;
    char *tariff_code;
    gint64 cashier_id;
    char *cashier_login;
    gint64 shift_id;
    KvSaleState state;
    gint64 created_at;
    gint64 updated_at;
    KvBreakdown breakdown;
    guint16 office;
    guint32 seq;
    guint32 base_cumulative;
    guint32 cumulative;
    char *fail_reason;
    guint32 cancel_seq;
    char *cancel_reason;
    gint64 card_write_at;      /* 0: the token's write never began */
    char *resolution;          /* how an issued sale ended (supervisor, proof, covered) */
    KvPaymentType payment;
    char *payment_ref;         /* NULL: none (cash) */
    /* The free grant the token carries (breakdown.free_energy, 0.01 kWh):
     * the month it is for (kv_month_key), 0: none. */
    gint free_month;
    /* For the user, filled by kv_sale_sell: anomalies raised while selling,
     * issued sales of the meter still open (NULL: nothing to say). */
    char *notes;
    /* Where the sale's base cumulative came from when above what was sold
     * (in memory, while selling), and the anomaly it raised. */
    char *base_source;
    gint64 base_anomaly;
    /* the meter's predicted state after loading (from the last readback) */
    gint32 predicted_remaining;
    guint32 hoarding_limit;
} KvSale;
void kv_sale_free(KvSale *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvSale, kv_sale_free)

/* Price and check a sale without a card and without writing anything (the
 * card, if given, adds its token to the cumulative base).  The month's free
 * allocation of the customer's category, when it is due (no live grant in
 * the month), rides on the sale: breakdown.free_energy, free_month; the
 * token's credit is the energy bought plus it.  REFUSED with the
 * reason when the meter would refuse the credit; INVALID for bad amounts. */
KvSale *kv_sale_quote(KvStation *st, guint32 meter, const KvSaleRequest *req,
                      KvCardLink *card, GError **error);

/* The most energy (0.01 kWh) the meter would accept now, from the same
 * prediction as the quote: its hoarding limit less the credit it holds,
 * the credit on the card not yet loaded and the month's free allocation
 * when it is due (never below 0). */
gboolean kv_sale_room(KvStation *st, guint32 meter, KvCardLink *card, gint64 *room,
                      GError **error);

/* The whole sale on the card at the counter.  Cashier with an open shift and
 * unlocked keys.  Returns the completed sale.  On a card error after the
 * pending commit the sale is resolved at once if the card can be read,
 * otherwise it stays pending (error UNRESOLVED or the card error). */
KvSale *kv_sale_sell(KvStation *st, KvCardLink *card, guint32 meter, const KvSaleRequest *req,
                     GError **error);
/* The month's free allocation alone on the card (a zero-money token,
 * req.free_only): STATE when none is due (granted already this month, no
 * category or none in it).  The grant and the sale are one row: a crash
 * leaves it pending like any sale, and it is free again only if the sale
 * fails (its token never reached the card). */
KvSale *kv_sale_free_only(KvStation *st, KvCardLink *card, guint32 meter, GError **error);

/* Cancel the meter's last sale while its card is at the counter: only if the
 * sale is completed, in the current user's open shift (or by a supervisor),
 * the card's newest token is that sale's and the card's readback shows the
 * meter has not loaded it.  Writes a new token, seq + 1, carrying the
 * previous cumulative (the meter then loads nothing of the cancelled
 * credit).  See docs/station.md, "Cancelling". */
KvSale *kv_sale_cancel(KvStation *st, KvCardLink *card, gint64 sale_id, const char *reason,
                       GError **error);

/* Resolve the pending/written sales of the card's meter from what the card
 * holds.  Returns how many were resolved (-1 on error).  Called by every
 * card operation; call it when a card is read. */
gint kv_sale_reconcile_card(KvStation *st, KvCardLink *card, GError **error);
/* The newest sales, at most limit (newest first): a cashier's own, or every
 * cashier's for a supervisor (history: reprint, cancel). */
GPtrArray *kv_sale_list_recent(KvStation *st, guint limit, GError **error);
/* Unresolved sales (pending/written) waiting for their card. */
GPtrArray *kv_sale_list_unresolved(KvStation *st, GError **error);
/* Issued sales (the token may be on a card) not yet proven or resolved. */
GPtrArray *kv_sale_list_issued(KvStation *st, GError **error);
/* Supervisor: end an issued sale.  paid: the customer paid -> completed
 * (the meter's cumulative sold and the shift's cash count it); otherwise
 * void: nothing is due, and its token turning up later raises an anomaly.
 * reason is required; both are audited. */
KvSale *kv_sale_resolve(KvStation *st, gint64 sale_id, gboolean paid, const char *reason,
                        GError **error);
KvSale *kv_sale_get(KvStation *st, gint64 id, GError **error);
/* The newest sale of a meter that is completed (for cancel), or NULL. */
KvSale *kv_sale_last_of_meter(KvStation *st, guint32 meter, GError **error);


G_END_DECLS

#endif
