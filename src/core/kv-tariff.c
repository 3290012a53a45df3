/* kv-tariff.c - the arithmetic of a sale (rules in kv-tariff.h and
 * docs/station.md).  Exact costs are kept in 10^-6 minor units: energy in
 * 0.01 kWh times price in 10^-4 minor per kWh. */
#include <stdio.h>
#include <string.h>
#include "kv-i18n.h"
#include "kv-core-error.h"
#include "kv-tariff.h"

#define E6 G_GINT64_CONSTANT(1000000)

static gint64 div_round_half_up(gint64 num, gint64 den)
{
    return (num + den / 2) / den; /* num, den >= 0 */
}

static gint64 div_ceil(gint64 num, gint64 den)
{
    return (num + den - 1) / den;
}

gboolean kv_tariff_validate(const KvTariff *t, GError **error)
{
    gint64 prev = 0;
    if (t->n_blocks == 0 || t->n_blocks > KV_TARIFF_MAX_BLOCKS) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a tariff has 1 to %d blocks"), KV_TARIFF_MAX_BLOCKS);
        return FALSE;
    }
    if (t->vat_bp > 10000 || t->debt_bp > 9000 || t->fixed_monthly < 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("VAT must be 0..100 %%, debt recovery 0..90 %%, the fixed charge >= 0"));
        return FALSE;
    }
    for (guint i = 0; i < t->n_blocks; i++) {
        const KvTariffBlock *b = &t->blocks[i];
        gboolean last = i + 1 == t->n_blocks;
        if (b->price_e4 <= 0 || b->price_e4 > G_GINT64_CONSTANT(1000000000)) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("block %u: the price must be positive and at most 100000 per kWh"), i + 1);
            return FALSE;
        }
        if (last ? b->upto != 0 : b->upto <= prev) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("block %u: bounds must increase and the last block must be open"), i + 1);
            return FALSE;
        }
        prev = b->upto;
    }
    return TRUE;
}

/* Room left in block i for a month already at `month` energy. */
static gint64 block_room(const KvTariff *t, guint i, gint64 month)
{
    gint64 lo = i ? t->blocks[i - 1].upto : 0;
    gint64 hi = t->blocks[i].upto;
    if (hi == 0)
        return G_MAXINT64;
    if (month >= hi)
        return 0;
    return hi - MAX(month, lo);
}

/* Energy (0.01 kWh) that money_e6 buys from month position `month`, rounded
 * down; fills the block uses. */
static gint64 energy_for_money(const KvTariff *t, gint64 money_e6, gint64 month, KvBreakdown *b)
{
    gint64 energy = 0;
    for (guint i = 0; i < t->n_blocks && money_e6 > 0; i++) {
        gint64 room = block_room(t, i, month + energy);
        gint64 p = t->blocks[i].price_e4;
        gint64 e;
        if (room == 0)
            continue;
        e = money_e6 / p;
        if (e > room)
            e = room;
        if (e > 0) {
            KvBlockUse *u = &b->blocks[b->n_blocks++];
            u->energy = e;
            u->price_e4 = p;
            u->cost_e6 = e * p;
            money_e6 -= e * p;
            energy += e;
        }
        if (e < room)
            break;
    }
    return energy;
}

static gint64 cost_of_energy(const KvTariff *t, gint64 energy, gint64 month, KvBreakdown *b)
{
    gint64 cost = 0, done = 0;
    for (guint i = 0; i < t->n_blocks && done < energy; i++) {
        gint64 room = block_room(t, i, month + done);
        gint64 e = MIN(room, energy - done);
        if (e <= 0)
            continue;
        KvBlockUse *u = &b->blocks[b->n_blocks++];
        u->energy = e;
        u->price_e4 = t->blocks[i].price_e4;
        u->cost_e6 = e * u->price_e4;
        cost += u->cost_e6;
        done += e;
    }
    return cost;
}

/* d raised to the rule's minimum, lowered to its maximum and the balance. */
static gint64 debt_clamp(const KvDebtRule *r, gint64 d)
{
    d = MAX(d, r->min);
    if (r->max > 0)
        d = MIN(d, r->max);
    return MAX(MIN(d, r->balance), 0);
}

static gboolean rule_valid(const KvDebtRule *r, GError **error)
{
    if (r->share_bp > 9000 || r->min < 0 || r->max < 0 || (r->max && r->max < r->min)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a debt recovery is 0..90 %% of a purchase, with 0 <= minimum <= maximum"));
        return FALSE;
    }
    return TRUE;
}

/* The tariff's own recovery: its share, no minimum or maximum. */
static KvDebtRule tariff_rule(const KvTariff *t, gint64 debt)
{
    return (KvDebtRule){ MAX(debt, 0), t->debt_bp, 0, 0 };
}

gboolean kv_tariff_price_amount(const KvTariff *t, gint64 amount, gint64 month_energy,
                                gboolean first_of_month, gint64 debt, KvBreakdown *out,
                                GError **error)
{
    KvDebtRule r = tariff_rule(t, debt);
    return kv_tariff_price_amount_rule(t, amount, month_energy, first_of_month, &r, out, error);
}

gboolean kv_tariff_price_energy(const KvTariff *t, gint64 energy, gint64 month_energy,
                                gboolean first_of_month, gint64 debt, KvBreakdown *out,
                                GError **error)
{
    KvDebtRule r = tariff_rule(t, debt);
    return kv_tariff_price_energy_rule(t, energy, month_energy, first_of_month, &r, out, error);
}

gboolean kv_tariff_price_amount_rule(const KvTariff *t, gint64 amount, gint64 month_energy,
                                     gboolean first_of_month, const KvDebtRule *debt,
                                     KvBreakdown *out, GError **error)
{
    gint64 rest, net;
    *out = (KvBreakdown){ 0 };
    if (!kv_tariff_validate(t, error) || !rule_valid(debt, error))
        return FALSE;
    if (amount <= 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the amount must be more than zero"));
        return FALSE;
    }
    out->amount = amount;
    out->debt_recovered = MIN(debt_clamp(debt, amount * (gint64)debt->share_bp / 10000), amount);
    rest = amount - out->debt_recovered;
    if (rest <= 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the whole amount would go to the debt recovery; nothing would be left "
                    "for energy"));
        return FALSE;
    }
    net = div_round_half_up(rest * 10000, 10000 + (gint64)t->vat_bp);
    out->vat = rest - net;
    out->fixed_charge = first_of_month ? t->fixed_monthly : 0;
    if (net <= out->fixed_charge) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the amount does not cover this month's fixed charge; nothing would be "
                    "left for energy"));
        return FALSE;
    }
    out->energy_net = net - out->fixed_charge;
    out->energy = energy_for_money(t, out->energy_net * E6, month_energy, out);
    if (out->energy <= 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the amount is too small to buy 0.01 kWh"));
        return FALSE;
    }
    return TRUE;
}

gboolean kv_tariff_price_energy_rule(const KvTariff *t, gint64 energy, gint64 month_energy,
                                     gboolean first_of_month, const KvDebtRule *debt,
                                     KvBreakdown *out, GError **error)
{
    gint64 subtotal;
    *out = (KvBreakdown){ 0 };
    if (!kv_tariff_validate(t, error) || !rule_valid(debt, error))
        return FALSE;
    if (energy <= 0 || energy > 0x7FFFFFFF) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the energy must be more than zero (and below 21 474 836 kWh)"));
        return FALSE;
    }
    out->energy = energy;
    out->energy_net = div_ceil(cost_of_energy(t, energy, month_energy, out), E6);
    out->fixed_charge = first_of_month ? t->fixed_monthly : 0;
    out->vat = div_round_half_up((out->energy_net + out->fixed_charge) * (gint64)t->vat_bp, 10000);
    subtotal = out->energy_net + out->fixed_charge + out->vat;
    out->debt_recovered = debt_clamp(debt, debt->share_bp
                                               ? div_ceil(subtotal * (gint64)debt->share_bp,
                                                          10000 - (gint64)debt->share_bp)
                                               : 0);
    out->amount = subtotal + out->debt_recovered;
    return TRUE;
}

char *kv_breakdown_blocks_text(const KvBreakdown *b)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < b->n_blocks; i++)
        g_string_append_printf(s, "%s%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, i ? "," : "",
                               b->blocks[i].energy, b->blocks[i].price_e4);
    return g_string_free(s, FALSE);
}

void kv_breakdown_blocks_parse(const char *text, KvBreakdown *b)
{
    const char *p = text;
    b->n_blocks = 0;
    if (p && *p == '[') { /* the JSON of sales stored before db/016 */
        while ((p = strstr(p, "{\"energy\":")) && b->n_blocks < KV_TARIFF_MAX_BLOCKS) {
            KvBlockUse *u = &b->blocks[b->n_blocks];
            if (sscanf(p, "{\"energy\":%" G_GINT64_FORMAT ",\"price_e4\":%" G_GINT64_FORMAT
                       ",\"cost_e6\":%" G_GINT64_FORMAT "}", &u->energy, &u->price_e4,
                       &u->cost_e6) != 3)
                break;
            b->n_blocks++;
            p++;
        }
        return;
    }
    while (p && *p && b->n_blocks < KV_TARIFF_MAX_BLOCKS) {
        KvBlockUse *u = &b->blocks[b->n_blocks];
        char *end = NULL;
        u->energy = g_ascii_strtoll(p, &end, 10);
        if (end == p || *end != ':')
            break;
        p = end + 1;
        u->price_e4 = g_ascii_strtoll(p, &end, 10);
        if (end == p || (*end != ',' && *end != '\0'))
            break;
        u->cost_e6 = u->energy * u->price_e4; /* exact, as kv_tariff_price_* makes it */
        b->n_blocks++;
        p = *end ? end + 1 : end;
    }
}
