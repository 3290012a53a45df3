/* kv-tariff.h - pricing a sale: pure arithmetic in integers.
 *
 * The rounding rules (docs/station.md, "Rounding"):
 *  - prices are net of VAT in 1/10000 minor unit per kWh; energy is in
 *    0.01 kWh, so a block's exact cost is energy * price_e4 / 10^6 minor;
 *  - amount sale: debt = min(debt, floor(amount * debt_bp / 10000));
 *    net = round-half-up((amount - debt) * 10000 / (10000 + vat_bp));
 *    vat = amount - debt - net; the fixed charge comes out of net first and
 *    the rest buys energy through the blocks, rounded DOWN to 0.01 kWh (the
 *    value of the part of 0.01 kWh not delivered stays in energy_net);
 *  - energy sale: energy_net = ceil(exact block cost);
 *    vat = round-half-up((energy_net + fixed) * vat_bp / 10000);
 *    debt = min(debt, ceil(subtotal * debt_bp / (10000 - debt_bp)));
 *  - always amount = fixed_charge + debt_recovered + energy_net + vat.
 */
#ifndef KV_TARIFF_H
#define KV_TARIFF_H

#include <glib.h>

G_BEGIN_DECLS

#define KV_TARIFF_MAX_BLOCKS 8

typedef struct {
    gint64 upto;      /* month energy upper bound of this block, 0.01 kWh; 0 = no bound */
    gint64 price_e4;  /* net price, 1/10000 minor unit per kWh */
} KvTariffBlock;

typedef struct {
    gint64 id;
    char code[17];
    gint64 effective_from;
    guint vat_bp;            /* VAT in basis points (1600 = 16 %) */
    gint64 fixed_monthly;    /* net minor units, first purchase of the month */
    guint debt_bp;           /* share of each purchase kept against debt */
    guint n_blocks;
    KvTariffBlock blocks[KV_TARIFF_MAX_BLOCKS];
} KvTariff;

typedef struct {
    gint64 energy;   /* 0.01 kWh in this block */
    gint64 price_e4;
    gint64 cost_e6;  /* exact cost, 10^-6 minor units */
} KvBlockUse;

typedef struct {
    gint64 amount;          /* total paid, minor units */
    gint64 fixed_charge;
    gint64 debt_recovered;
    gint64 energy_net;
    gint64 vat;
    gint64 energy;          /* 0.01 kWh */
    guint n_blocks;
    KvBlockUse blocks[KV_TARIFF_MAX_BLOCKS];
    /* The month's free allocation carried by the same token, 0.01 kWh, not
     * paid and not priced (kv-categories.h); 0 from the pricing here. */
    gint64 free_energy;
} KvBreakdown;

/* What a sale recovers of the customer's debt (arrears, kv-arrears.h):
 *  - amount sale: d = floor(amount * share_bp / 10000), raised to min and
 *    lowered to max (0: no maximum), at most the balance and the amount;
 *  - energy sale: d = ceil(subtotal * share_bp / (10000 - share_bp)) (the
 *    share of the total), raised to min, lowered to max, at most the balance.
 * A fixed amount per purchase is share 0, min = max = the amount; the
 * tariff's own rule is share = debt_bp, min 0, no maximum. */
typedef struct {
    gint64 balance;   /* the customer's debt now, minor units */
    guint share_bp;   /* 0..9000 */
    gint64 min;       /* per purchase, minor units */
    gint64 max;       /* per purchase; 0: no maximum */
} KvDebtRule;

/* Check a tariff's own consistency (increasing bounds, last block open). */
gboolean kv_tariff_validate(const KvTariff *t, GError **error);

/* Price an amount of money.  month_energy: energy already bought for the
 * meter this month (block position); first_of_month: collect the fixed
 * charge; debt: the customer's outstanding debt.  Fails (INVALID) when the
 * amount does not buy at least 0.01 kWh. */
gboolean kv_tariff_price_amount(const KvTariff *t, gint64 amount, gint64 month_energy,
                                gboolean first_of_month, gint64 debt, KvBreakdown *out,
                                GError **error);
/* Price an amount of energy (0.01 kWh). */
gboolean kv_tariff_price_energy(const KvTariff *t, gint64 energy, gint64 month_energy,
                                gboolean first_of_month, gint64 debt, KvBreakdown *out,
                                GError **error);

/* The same with the debt recovered by a rule (a customer's recovery plan)
 * instead of the tariff's share. */
gboolean kv_tariff_price_amount_rule(const KvTariff *t, gint64 amount, gint64 month_energy,
                                     gboolean first_of_month, const KvDebtRule *debt,
                                     KvBreakdown *out, GError **error);
gboolean kv_tariff_price_energy_rule(const KvTariff *t, gint64 energy, gint64 month_energy,
                                     gboolean first_of_month, const KvDebtRule *debt,
                                     KvBreakdown *out, GError **error);

/* The breakdown's blocks as stored with the sale (db/016): "ENERGY:PRICE_E4"
 * per block, comma-separated (each block's cost_e6 is energy * price_e4). */
char *kv_breakdown_blocks_text(const KvBreakdown *b);
/* Back into b's blocks: that text, or the JSON array of sales stored
 * before it ([{"energy":E,"price_e4":P,"cost_e6":C},...]). */
void kv_breakdown_blocks_parse(const char *text, KvBreakdown *b);

G_END_DECLS

#endif
