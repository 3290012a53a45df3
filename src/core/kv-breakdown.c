/* kv-breakdown.c - a sale's price breakdown as lines to show (see
 * kv-breakdown.h): one table of components, one list of rows per
 * audience. */
#include "kv-breakdown.h"
#include "kv-i18n.h"

/* The components of a breakdown. */
typedef enum {
    ITEM_ENERGY,
    ITEM_BLOCKS,
    ITEM_NET,
    ITEM_FIXED,
    ITEM_DEBT,
    ITEM_VAT,
    ITEM_AMOUNT,
    ITEM_FREE,
} Item;

typedef struct {
    const char *key;
    KvBreakdownUnit unit;
    gsize offset; /* of the gint64 in KvBreakdown */
    guint flags;
} Component;

static const Component components[] = {
    [ITEM_ENERGY] = { "energy_kwh", KV_BREAKDOWN_ENERGY, G_STRUCT_OFFSET(KvBreakdown, energy),
                      KV_BREAKDOWN_LINE_TOTAL },
    [ITEM_BLOCKS] = { "block", KV_BREAKDOWN_MONEY, 0, KV_BREAKDOWN_LINE_BLOCK },
    [ITEM_NET] = { "energy_net", KV_BREAKDOWN_MONEY, G_STRUCT_OFFSET(KvBreakdown, energy_net), 0 },
    [ITEM_FIXED] = { "fixed_charge", KV_BREAKDOWN_MONEY,
                     G_STRUCT_OFFSET(KvBreakdown, fixed_charge), 0 },
    [ITEM_DEBT] = { "debt_recovered", KV_BREAKDOWN_MONEY,
                    G_STRUCT_OFFSET(KvBreakdown, debt_recovered), 0 },
    [ITEM_VAT] = { "vat", KV_BREAKDOWN_MONEY, G_STRUCT_OFFSET(KvBreakdown, vat), 0 },
    [ITEM_AMOUNT] = { "amount", KV_BREAKDOWN_MONEY, G_STRUCT_OFFSET(KvBreakdown, amount),
                      KV_BREAKDOWN_LINE_TOTAL },
    [ITEM_FREE] = { "free_kwh", KV_BREAKDOWN_ENERGY, G_STRUCT_OFFSET(KvBreakdown, free_energy),
                    KV_BREAKDOWN_LINE_TOTAL },
};

typedef enum {
    SHOWN,
    UNLESS_ZERO, /* a charge that does not apply is left out */
    IF_SEVERAL,  /* blocks: only when the sale spans more than one */
} Show;

/* The receipt and kilovendctl's text print the same lines in the same
 * order, each with its own label (msgids in context "receipt" and
 * "breakdown"); the receipt leaves out a charge that does not apply, the
 * text shows it as 0. */
typedef struct {
    Item item;
    const char *labels[2]; /* the receipt's, the text's */
    Show receipt_show;
} PrintedRow;

static const PrintedRow printed_rows[] = {
    { ITEM_BLOCKS, { NULL, NULL }, SHOWN },
    { ITEM_NET, { NC_("receipt", "Energy (net)"), NC_("breakdown", "energy net") }, SHOWN },
    { ITEM_FIXED, { NC_("receipt", "Monthly charge"), NC_("breakdown", "fixed") }, UNLESS_ZERO },
    { ITEM_VAT, { NC_("receipt", "VAT"), NC_("breakdown", "VAT") }, SHOWN },
    { ITEM_DEBT, { NC_("receipt", "Debt recovered"), NC_("breakdown", "debt") }, UNLESS_ZERO },
    { ITEM_AMOUNT, { NC_("receipt", "TOTAL PAID"), NC_("breakdown", "TOTAL") }, SHOWN },
    { ITEM_ENERGY, { NC_("receipt", "ENERGY"), NC_("breakdown", "ENERGY") }, SHOWN },
    { ITEM_FREE, { NC_("receipt", "FREE ENERGY"), NC_("breakdown", "FREE") }, UNLESS_ZERO },
};

/* The sell page: the energy first, as the cashier's answer; the label and
 * the note are msgids without context. */
typedef struct {
    Item item;
    const char *label;
    const char *note;
    Show show;
} ScreenRow;

static const ScreenRow screen_rows[] = {
    { ITEM_ENERGY, N_("Energy"), NULL, SHOWN },
    { ITEM_FREE, N_("Free energy"), N_("Free allocation of the month, not paid"), UNLESS_ZERO },
    { ITEM_BLOCKS, NULL, NULL, IF_SEVERAL },
    { ITEM_NET, N_("Energy charge"), NULL, SHOWN },
    { ITEM_FIXED, N_("Fixed monthly charge"), N_("First purchase of the month"), UNLESS_ZERO },
    { ITEM_DEBT, N_("Debt recovery"), NULL, UNLESS_ZERO },
    { ITEM_VAT, N_("VAT"), NULL, SHOWN },
    { ITEM_AMOUNT, N_("Total to pay"), NULL, SHOWN },
};

/* The JSON members scripts read, in the order they have always come. */
static const Item json_order[] = { ITEM_AMOUNT, ITEM_FIXED, ITEM_DEBT, ITEM_NET, ITEM_VAT,
                                   ITEM_ENERGY, ITEM_FREE };

static void line_clear(gpointer p)
{
    KvBreakdownLine *l = p;
    g_free(l->label);
}

static char *translate(const char *context, const char *msgid)
{
    if (!msgid)
        return NULL;
    return g_strdup(context ? kv_i18n_pgettext(context, msgid) : kv_i18n_gettext(msgid));
}

static void add_blocks(GArray *lines, const KvBreakdown *b, Show show)
{
    if (show == IF_SEVERAL && b->n_blocks < 2)
        return;
    for (guint i = 0; i < b->n_blocks; i++) {
        KvBreakdownLine l = {
            .key = components[ITEM_BLOCKS].key,
            .label = g_strdup_printf(_("Block %u"), i + 1),
            .unit = KV_BREAKDOWN_MONEY,
            .value = b->blocks[i].cost_e6 / 1000000,
            .flags = components[ITEM_BLOCKS].flags,
            .block = i + 1,
            .energy = b->blocks[i].energy,
            .price_e4 = b->blocks[i].price_e4,
        };
        g_array_append_val(lines, l);
    }
}

/* One component's line (or a line a block), labelled with msgids in
 * context (NULL: none). */
static void add_item(GArray *lines, const KvBreakdown *b, Item item, const char *context,
                     const char *label, const char *note, Show show)
{
    const Component *c = &components[item];
    KvBreakdownLine l = { 0 };

    if (item == ITEM_BLOCKS) {
        add_blocks(lines, b, show);
        return;
    }
    l.value = *(const gint64 *)(const void *)((const guint8 *)b + c->offset);
    if (show == UNLESS_ZERO && l.value == 0)
        return;
    l.key = c->key;
    l.label = translate(context, label);
    l.note = note ? kv_i18n_gettext(note) : NULL;
    l.unit = c->unit;
    l.flags = c->flags;
    g_array_append_val(lines, l);
}

GArray *kv_breakdown_lines(const KvBreakdown *b, KvBreakdownAudience audience)
{
    GArray *lines = g_array_new(FALSE, TRUE, sizeof(KvBreakdownLine));

    g_array_set_clear_func(lines, line_clear);
    switch (audience) {
    case KV_BREAKDOWN_FOR_RECEIPT:
        for (gsize i = 0; i < G_N_ELEMENTS(printed_rows); i++)
            add_item(lines, b, printed_rows[i].item, "receipt", printed_rows[i].labels[0], NULL,
                     printed_rows[i].receipt_show);
        break;
    case KV_BREAKDOWN_FOR_TEXT:
        for (gsize i = 0; i < G_N_ELEMENTS(printed_rows); i++)
            add_item(lines, b, printed_rows[i].item, "breakdown", printed_rows[i].labels[1], NULL,
                     printed_rows[i].item == ITEM_FREE ? UNLESS_ZERO : SHOWN);
        break;
    case KV_BREAKDOWN_FOR_SCREEN:
        for (gsize i = 0; i < G_N_ELEMENTS(screen_rows); i++)
            add_item(lines, b, screen_rows[i].item, NULL, screen_rows[i].label,
                     screen_rows[i].note, screen_rows[i].show);
        break;
    case KV_BREAKDOWN_FOR_JSON:
        for (gsize i = 0; i < G_N_ELEMENTS(json_order); i++)
            add_item(lines, b, json_order[i], NULL, NULL, NULL, SHOWN);
        break;
    default:
        g_return_val_if_reached(lines);
    }
    return lines;
}
