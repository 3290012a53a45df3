/* kv-breakdown.c - a sale's price breakdown as lines to show (see
 * kv-breakdown.h): one table of components, one list of rows per
 * audience. */
#include "kv-breakdown.h"
#include "kv-i18n.h"

/* The components of a breakdown. */
typedef enum {
    ITEM_ENERGY,
    ITEM_BLOCKS,
    ITEM_ENERGY_NET,
    ITEM_FIXED_CHARGE,
    ITEM_DEBT_RECOVERED,
    ITEM_VAT,
    ITEM_AMOUNT,
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
    [ITEM_ENERGY_NET] = { "energy_net", KV_BREAKDOWN_MONEY,
                          G_STRUCT_OFFSET(KvBreakdown, energy_net), 0 },
    [ITEM_FIXED_CHARGE] = { "fixed_charge", KV_BREAKDOWN_MONEY,
                            G_STRUCT_OFFSET(KvBreakdown, fixed_charge), 0 },
    [ITEM_DEBT_RECOVERED] = { "debt_recovered", KV_BREAKDOWN_MONEY,
                              G_STRUCT_OFFSET(KvBreakdown, debt_recovered), 0 },
    [ITEM_VAT] = { "vat", KV_BREAKDOWN_MONEY, G_STRUCT_OFFSET(KvBreakdown, vat), 0 },
    [ITEM_AMOUNT] = { "amount", KV_BREAKDOWN_MONEY, G_STRUCT_OFFSET(KvBreakdown, amount),
                      KV_BREAKDOWN_LINE_TOTAL },
};

typedef enum {
    SHOW_ALWAYS,
    SHOW_NONZERO,  /* a charge that does not apply is left out */
    SHOW_SEVERAL,  /* blocks: only when the sale spans more than one */
} Show;

/* One line of an audience: the label's msgid (in context, when given)
 * and the note's, translated when the lines are made. */
typedef struct {
    Item item;
    const char *context;
    const char *label;
    const char *note;
    Show show;
} Row;

static const Row receipt_rows[] = {
    { ITEM_BLOCKS, NULL, NULL, NULL, SHOW_ALWAYS },
    { ITEM_ENERGY_NET, "receipt", NC_("receipt", "Energy (net)"), NULL, SHOW_ALWAYS },
    { ITEM_FIXED_CHARGE, "receipt", NC_("receipt", "Monthly charge"), NULL, SHOW_NONZERO },
    { ITEM_VAT, "receipt", NC_("receipt", "VAT"), NULL, SHOW_ALWAYS },
    { ITEM_DEBT_RECOVERED, "receipt", NC_("receipt", "Debt recovered"), NULL, SHOW_NONZERO },
    { ITEM_AMOUNT, "receipt", NC_("receipt", "TOTAL PAID"), NULL, SHOW_ALWAYS },
    { ITEM_ENERGY, "receipt", NC_("receipt", "ENERGY"), NULL, SHOW_ALWAYS },
};

static const Row screen_rows[] = {
    { ITEM_ENERGY, NULL, N_("Energy"), NULL, SHOW_ALWAYS },
    { ITEM_BLOCKS, NULL, NULL, NULL, SHOW_SEVERAL },
    { ITEM_ENERGY_NET, NULL, N_("Energy charge"), NULL, SHOW_ALWAYS },
    { ITEM_FIXED_CHARGE, NULL, N_("Fixed monthly charge"), N_("First purchase of the month"),
      SHOW_NONZERO },
    { ITEM_DEBT_RECOVERED, NULL, N_("Debt recovery"), NULL, SHOW_NONZERO },
    { ITEM_VAT, NULL, N_("VAT"), NULL, SHOW_ALWAYS },
    { ITEM_AMOUNT, NULL, N_("Total to pay"), NULL, SHOW_ALWAYS },
};

static const Row text_rows[] = {
    { ITEM_BLOCKS, NULL, NULL, NULL, SHOW_ALWAYS },
    { ITEM_ENERGY_NET, "sale breakdown", NC_("sale breakdown", "energy net"), NULL, SHOW_ALWAYS },
    { ITEM_FIXED_CHARGE, "sale breakdown", NC_("sale breakdown", "fixed"), NULL, SHOW_ALWAYS },
    { ITEM_VAT, "sale breakdown", NC_("sale breakdown", "VAT"), NULL, SHOW_ALWAYS },
    { ITEM_DEBT_RECOVERED, "sale breakdown", NC_("sale breakdown", "debt"), NULL, SHOW_ALWAYS },
    { ITEM_AMOUNT, "sale breakdown", NC_("sale breakdown", "TOTAL"), NULL, SHOW_ALWAYS },
    { ITEM_ENERGY, "sale breakdown", NC_("sale breakdown", "ENERGY"), NULL, SHOW_ALWAYS },
};

/* The members scripts read, in the order they have always come. */
static const Row json_rows[] = {
    { ITEM_AMOUNT, NULL, NULL, NULL, SHOW_ALWAYS },
    { ITEM_FIXED_CHARGE, NULL, NULL, NULL, SHOW_ALWAYS },
    { ITEM_DEBT_RECOVERED, NULL, NULL, NULL, SHOW_ALWAYS },
    { ITEM_ENERGY_NET, NULL, NULL, NULL, SHOW_ALWAYS },
    { ITEM_VAT, NULL, NULL, NULL, SHOW_ALWAYS },
    { ITEM_ENERGY, NULL, NULL, NULL, SHOW_ALWAYS },
};

static const struct {
    const Row *rows;
    gsize n_rows;
} audiences[] = {
    [KV_BREAKDOWN_FOR_RECEIPT] = { receipt_rows, G_N_ELEMENTS(receipt_rows) },
    [KV_BREAKDOWN_FOR_SCREEN] = { screen_rows, G_N_ELEMENTS(screen_rows) },
    [KV_BREAKDOWN_FOR_TEXT] = { text_rows, G_N_ELEMENTS(text_rows) },
    [KV_BREAKDOWN_FOR_JSON] = { json_rows, G_N_ELEMENTS(json_rows) },
};

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
    if (show == SHOW_SEVERAL && b->n_blocks < 2)
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

GArray *kv_breakdown_lines(const KvBreakdown *b, KvBreakdownAudience audience)
{
    GArray *lines = g_array_new(FALSE, TRUE, sizeof(KvBreakdownLine));

    g_array_set_clear_func(lines, line_clear);
    g_return_val_if_fail((guint)audience < G_N_ELEMENTS(audiences), lines);
    for (gsize i = 0; i < audiences[audience].n_rows; i++) {
        const Row *r = &audiences[audience].rows[i];
        const Component *c = &components[r->item];
        KvBreakdownLine l = { 0 };

        if (r->item == ITEM_BLOCKS) {
            add_blocks(lines, b, r->show);
            continue;
        }
        l.value = *(const gint64 *)(const void *)((const guint8 *)b + c->offset);
        if (r->show == SHOW_NONZERO && l.value == 0)
            continue;
        l.key = c->key;
        l.label = translate(r->context, r->label);
        l.note = r->note ? kv_i18n_gettext(r->note) : NULL;
        l.unit = c->unit;
        l.flags = c->flags;
        g_array_append_val(lines, l);
    }
    return lines;
}
