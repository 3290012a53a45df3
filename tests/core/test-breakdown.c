/* test-breakdown.c - the sale breakdown as lines (kv-breakdown.h): the
 * order, labels, units and rules each front end relies on; the JSON keys
 * scripts read. */
#include <string.h>

#include "kv-breakdown.h"

/* 3 blocks, no fixed charge this time, some debt recovered. */
static KvBreakdown sample(void)
{
    KvBreakdown b = { 0 };
    b.amount = 10000;
    b.fixed_charge = 0;
    b.debt_recovered = 1000;
    b.energy_net = 7759;
    b.vat = 1241;
    b.energy = 804;
    b.n_blocks = 3;
    b.blocks[0] = (KvBlockUse){ 500, 80000, 4000000000 };
    b.blocks[1] = (KvBlockUse){ 300, 100000, 3000000000 };
    b.blocks[2] = (KvBlockUse){ 4, 120000, 48000000 };
    return b;
}

/* The lines as "key:label=value" joined with "|" (blocks: "block:N=cost"). */
static char *summary(const KvBreakdown *b, KvBreakdownAudience who)
{
    g_autoptr(GArray) lines = kv_breakdown_lines(b, who);
    g_autoptr(GString) s = g_string_new(NULL);

    for (guint i = 0; i < lines->len; i++) {
        const KvBreakdownLine *l = &g_array_index(lines, KvBreakdownLine, i);
        if (i)
            g_string_append_c(s, '|');
        if (l->flags & KV_BREAKDOWN_LINE_BLOCK)
            g_string_append_printf(s, "block:%u=%" G_GINT64_FORMAT, l->block, l->value);
        else
            g_string_append_printf(s, "%s:%s=%" G_GINT64_FORMAT "%s%s", l->key,
                                   l->label ? l->label : "", l->value,
                                   l->unit == KV_BREAKDOWN_ENERGY ? "e" : "",
                                   l->flags & KV_BREAKDOWN_LINE_TOTAL ? "!" : "");
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static void test_receipt(void)
{
    KvBreakdown b = sample();
    g_autofree char *s = summary(&b, KV_BREAKDOWN_FOR_RECEIPT);
    /* No monthly charge line when none was collected. */
    g_assert_cmpstr(s, ==,
                    "block:1=4000|block:2=3000|block:3=48|energy_net:Energy (net)=7759|"
                    "vat:VAT=1241|debt_recovered:Debt recovered=1000|amount:TOTAL PAID=10000!|"
                    "energy_kwh:ENERGY=804e!");
}

static void test_text(void)
{
    KvBreakdown b = sample();
    g_autofree char *s = summary(&b, KV_BREAKDOWN_FOR_TEXT);
    /* kilovendctl shows every component, zero or not. */
    g_assert_cmpstr(s, ==,
                    "block:1=4000|block:2=3000|block:3=48|energy_net:energy net=7759|"
                    "fixed_charge:fixed=0|vat:VAT=1241|debt_recovered:debt=1000|"
                    "amount:TOTAL=10000!|energy_kwh:ENERGY=804e!");
}

static void test_screen(void)
{
    KvBreakdown b = sample();
    g_autofree char *s = summary(&b, KV_BREAKDOWN_FOR_SCREEN);
    g_autofree char *one = NULL;
    g_autoptr(GArray) lines = NULL;

    g_assert_cmpstr(s, ==,
                    "energy_kwh:Energy=804e!|block:1=4000|block:2=3000|block:3=48|"
                    "energy_net:Energy charge=7759|debt_recovered:Debt recovery=1000|"
                    "vat:VAT=1241|amount:Total to pay=10000!");
    /* A block line carries its energy and price; its label names it. */
    lines = kv_breakdown_lines(&b, KV_BREAKDOWN_FOR_SCREEN);
    g_assert_cmpstr(g_array_index(lines, KvBreakdownLine, 2).label, ==, "Block 2");
    g_assert_cmpint(g_array_index(lines, KvBreakdownLine, 2).energy, ==, 300);
    g_assert_cmpint(g_array_index(lines, KvBreakdownLine, 2).price_e4, ==, 100000);
    /* One block: no block lines; a fixed charge comes with its note. */
    b.n_blocks = 1;
    b.fixed_charge = 700;
    one = summary(&b, KV_BREAKDOWN_FOR_SCREEN);
    g_assert_cmpstr(one, ==,
                    "energy_kwh:Energy=804e!|energy_net:Energy charge=7759|"
                    "fixed_charge:Fixed monthly charge=700|debt_recovered:Debt recovery=1000|"
                    "vat:VAT=1241|amount:Total to pay=10000!");
    g_clear_pointer(&lines, g_array_unref);
    lines = kv_breakdown_lines(&b, KV_BREAKDOWN_FOR_SCREEN);
    g_assert_cmpstr(g_array_index(lines, KvBreakdownLine, 2).note, ==,
                    "First purchase of the month");
}

static void test_json(void)
{
    KvBreakdown b = sample();
    g_autofree char *s = summary(&b, KV_BREAKDOWN_FOR_JSON);
    /* The members and their order are what scripts have always read. */
    g_assert_cmpstr(s, ==,
                    "amount:=10000!|fixed_charge:=0|debt_recovered:=1000|energy_net:=7759|"
                    "vat:=1241|energy_kwh:=804e!");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/breakdown/receipt", test_receipt);
    g_test_add_func("/breakdown/text", test_text);
    g_test_add_func("/breakdown/screen", test_screen);
    g_test_add_func("/breakdown/json", test_json);
    return g_test_run();
}
