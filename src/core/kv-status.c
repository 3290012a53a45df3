/* kv-status.c - the words the ledger stores for card and meter statuses,
 * refund-token states and card issue steps (each one here only; the
 * statuses are marked for the catalogue, contexts "card status" and "meter
 * status"). */
#include "kv-i18n.h"
#include "kv-status.h"

static const char *const card_status_names[] = {
    NC_("card status", "issuing"),  NC_("card status", "active"),
    NC_("card status", "lost"),     NC_("card status", "replaced"),
    NC_("card status", "blocked"),  NC_("card status", "failed"),
};

static const char *const meter_status_names[] = {
    NC_("meter status", "active"),
    NC_("meter status", "inactive"),
    NC_("meter status", "removed"),
};

static const char *const refund_token_state_names[] = { "pending", "done", "aborted" };

static const char *const card_issue_step_names[] = { "reserved", "written", "psc-changing", "done" };

#define NAME_IN(table, i) ((guint)(i) < G_N_ELEMENTS(table) ? (table)[i] : "?")

const char *kv_card_status_name(KvCardStatus s)
{
    return NAME_IN(card_status_names, s);
}

const char *kv_meter_status_name(KvMeterStatus s)
{
    return NAME_IN(meter_status_names, s);
}

const char *kv_refund_token_state_name(KvRefundTokenState s)
{
    return NAME_IN(refund_token_state_names, s);
}

const char *kv_card_issue_step_name(KvCardIssueStep s)
{
    return NAME_IN(card_issue_step_names, s);
}
