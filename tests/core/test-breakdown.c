/* test-breakdown.c - the sale breakdown as lines (kv-breakdown.h): the
 * order, labels, units and rules each front end relies on; the JSON keys
 * scripts read. */
#include <string.h>

#include "kv-breakdown.h"

/* 3 blocks, no fixed charge this time, some debt recovered. */
static KvBreakdown sample(void)
{
    KvBreakdown b = {
        .amount = 10000, .fixed_charge = 0, .debt_recovered = 1000, .energy_net = 7759,
        .vat = 1241, .energy = 804, .n_blocks = 3,
        .blocks = { { 500, 80000, 4000000000 }, { 300, 100000, 3000000000 },
                    { 4, 120000, 48000000 } },
    };
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

static void expect(const KvBreakdown *b, KvBreakdownAudience who, const char *want)
{
    g_autofree char *got = summary(b, who);
    g_assert_cmpstr(got, ==, want);
}

/* The receipt leaves out a monthly charge that was not collected,
 * kilovendctl shows every component; the JSON members and their order are
 * what scripts have always read (the free allocation's member last). */
static void test_printed(void)
{
    KvBreakdown b = sample();
    KvBreakdown free_only = { .free_energy = 5000 };

    expect(&b, KV_BREAKDOWN_FOR_RECEIPT,
           "block:1=4000|block:2=3000|block:3=48|energy_net:Energy (net)=7759|"
           "vat:VAT=1241|debt_recovered:Debt recovered=1000|amount:TOTAL PAID=10000!|"
           "energy_kwh:ENERGY=804e!");
    expect(&b, KV_BREAKDOWN_FOR_TEXT,
           "block:1=4000|block:2=3000|block:3=48|energy_net:energy net=7759|"
           "fixed_charge:fixed=0|vat:VAT=1241|debt_recovered:debt=1000|"
           "amount:TOTAL=10000!|energy_kwh:ENERGY=804e!");
    expect(&b, KV_BREAKDOWN_FOR_JSON,
           "amount:=10000!|fixed_charge:=0|debt_recovered:=1000|energy_net:=7759|"
           "vat:=1241|energy_kwh:=804e!|free_kwh:=0e!");

    /* A month's free allocation on the token: its own line after the
     * energy bought, only where granted (always in JSON); alone, nothing
     * paid and the free line. */
    b.free_energy = 5000;
    expect(&b, KV_BREAKDOWN_FOR_RECEIPT,
           "block:1=4000|block:2=3000|block:3=48|energy_net:Energy (net)=7759|"
           "vat:VAT=1241|debt_recovered:Debt recovered=1000|amount:TOTAL PAID=10000!|"
           "energy_kwh:ENERGY=804e!|free_kwh:FREE ENERGY=5000e!");
    expect(&b, KV_BREAKDOWN_FOR_TEXT,
           "block:1=4000|block:2=3000|block:3=48|energy_net:energy net=7759|"
           "fixed_charge:fixed=0|vat:VAT=1241|debt_recovered:debt=1000|"
           "amount:TOTAL=10000!|energy_kwh:ENERGY=804e!|free_kwh:FREE=5000e!");
    expect(&b, KV_BREAKDOWN_FOR_JSON,
           "amount:=10000!|fixed_charge:=0|debt_recovered:=1000|energy_net:=7759|"
           "vat:=1241|energy_kwh:=804e!|free_kwh:=5000e!");
    expect(&free_only, KV_BREAKDOWN_FOR_RECEIPT,
           "energy_net:Energy (net)=0|vat:VAT=0|amount:TOTAL PAID=0!|energy_kwh:ENERGY=0e!|"
           "free_kwh:FREE ENERGY=5000e!");
}

static void test_screen(void)
{
    KvBreakdown b = sample();
    g_autoptr(GArray) lines = kv_breakdown_lines(&b, KV_BREAKDOWN_FOR_SCREEN);

    expect(&b, KV_BREAKDOWN_FOR_SCREEN,
           "energy_kwh:Energy=804e!|block:1=4000|block:2=3000|block:3=48|"
           "energy_net:Energy charge=7759|debt_recovered:Debt recovery=1000|"
           "vat:VAT=1241|amount:Total to pay=10000!");
    /* A block line carries its energy and price; its label names it. */
    g_assert_cmpstr(g_array_index(lines, KvBreakdownLine, 2).label, ==, "Block 2");
    g_assert_cmpint(g_array_index(lines, KvBreakdownLine, 2).energy, ==, 300);
    g_assert_cmpint(g_array_index(lines, KvBreakdownLine, 2).price_e4, ==, 100000);
    /* One block: no block lines; a fixed charge comes with its note. */
    b.n_blocks = 1;
    b.fixed_charge = 700;
    expect(&b, KV_BREAKDOWN_FOR_SCREEN,
           "energy_kwh:Energy=804e!|energy_net:Energy charge=7759|"
           "fixed_charge:Fixed monthly charge=700|debt_recovered:Debt recovery=1000|"
           "vat:VAT=1241|amount:Total to pay=10000!");
    g_clear_pointer(&lines, g_array_unref);
    lines = kv_breakdown_lines(&b, KV_BREAKDOWN_FOR_SCREEN);
    g_assert_cmpstr(g_array_index(lines, KvBreakdownLine, 2).note, ==,
                    "First purchase of the month");
    /* The month's free allocation: right after the energy bought. */
    b.free_energy = 5000;
    expect(&b, KV_BREAKDOWN_FOR_SCREEN,
           "energy_kwh:Energy=804e!|free_kwh:Free energy=5000e!|energy_net:Energy charge=7759|"
           "fixed_charge:Fixed monthly charge=700|debt_recovered:Debt recovery=1000|"
           "vat:VAT=1241|amount:Total to pay=10000!");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/breakdown/printed", test_printed);
    g_test_add_func("/breakdown/screen", test_screen);
    return g_test_run();
}
