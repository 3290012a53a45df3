/* kv-breakdown.h - a sale's price breakdown as lines to show: the one
 * place that knows which components a breakdown has, their order, their
 * labels and when each is shown.
 *
 * The receipt, kilovendctl (text and JSON) and the sell page render these
 * lines; none of them reads the KvBreakdown fields itself.  A new tariff
 * component is a field of KvBreakdown (kv-tariff.h), priced in kv-tariff.c,
 * and in kv-breakdown.c a component, a row of the printed lines (receipt
 * and text), of the screen's, and a place among the JSON members.
 */
#ifndef KV_BREAKDOWN_H
#define KV_BREAKDOWN_H

#include <glib.h>

#include "kv-tariff.h"

G_BEGIN_DECLS

/* Who reads the lines: each has its own order, labels and rules for
 * components that are zero. */
typedef enum {
    KV_BREAKDOWN_FOR_RECEIPT, /* the printed receipt, in context "receipt" */
    KV_BREAKDOWN_FOR_SCREEN,  /* the sell page's breakdown list */
    KV_BREAKDOWN_FOR_TEXT,    /* kilovendctl's text output */
    KV_BREAKDOWN_FOR_JSON,    /* kilovendctl's JSON members (keys only, no blocks) */
} KvBreakdownAudience;

typedef enum {
    KV_BREAKDOWN_MONEY,  /* value in minor units */
    KV_BREAKDOWN_ENERGY, /* value in 0.01 kWh */
} KvBreakdownUnit;

typedef enum {
    KV_BREAKDOWN_LINE_TOTAL = 1 << 0, /* a result (total paid, energy bought) */
    KV_BREAKDOWN_LINE_BLOCK = 1 << 1, /* one tariff block: block, energy, price_e4 set */
} KvBreakdownLineFlags;

typedef struct {
    const char *key;   /* stable name, the JSON member: "amount", "vat", "block"... */
    char *label;       /* translated for the audience (NULL for JSON); "Block 2" for a block */
    const char *note;  /* translated second line, or NULL */
    KvBreakdownUnit unit;
    gint64 value;      /* minor units or 0.01 kWh (a block: its cost, minor units, truncated) */
    guint flags;       /* KvBreakdownLineFlags */
    guint block;       /* block lines: 1-based block number */
    gint64 energy;     /* block lines: 0.01 kWh in the block */
    gint64 price_e4;   /* block lines: net price, 1/10000 minor unit per kWh */
} KvBreakdownLine;

/* The breakdown's lines for an audience, in the order it shows them
 * (an array of KvBreakdownLine that frees its labels). */
GArray *kv_breakdown_lines(const KvBreakdown *b, KvBreakdownAudience audience);

G_END_DECLS

#endif
