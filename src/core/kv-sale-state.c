/* kv-sale-state.c - the words the ledger stores for the states of a sale
 * (each one here only; marked for the catalogue, context "sale state"). */
#include "kv-i18n.h"
#include "kv-sale-state.h"

static const char *const state_names[] = {
    NC_("sale state", "pending"),    NC_("sale state", "written"),
    NC_("sale state", "completed"),  NC_("sale state", "failed"),
    NC_("sale state", "cancelling"), NC_("sale state", "cancelled"),
    NC_("sale state", "issued"),     NC_("sale state", "void"),
};

const char *kv_sale_state_name(KvSaleState s)
{
    return (guint)s < G_N_ELEMENTS(state_names) ? state_names[s] : "?";
}

KvSaleState kv_sale_state_from_name(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(state_names); i++)
        if (g_strcmp0(name, state_names[i]) == 0)
            return (KvSaleState)i;
    return KV_SALE_FAILED;
}
