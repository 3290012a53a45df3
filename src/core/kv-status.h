/* kv-status.h - the statuses of cards and meters and the states of refund
 * tokens, the steps of a card's issue, and the words the ledger stores for them (layer: base).  SQL takes
 * one as a bound parameter (KV_CARD_STATUS(KV_CARD_STATUS_ACTIVE), kv-db.h),
 * never as a word written in its text; the sale states: kv-sale-state.h. */
#ifndef KV_STATUS_H
#define KV_STATUS_H

#include <glib.h>

G_BEGIN_DECLS

/* A card in the registry (the cards table). */
typedef enum {
    KV_CARD_STATUS_ISSUING, /* reserved, being written */
    KV_CARD_STATUS_ACTIVE,
    KV_CARD_STATUS_LOST,
    KV_CARD_STATUS_REPLACED,
    KV_CARD_STATUS_BLOCKED,
    KV_CARD_STATUS_FAILED
} KvCardStatus;

/* A meter in the registry (the meters table). */
typedef enum {
    KV_METER_STATUS_ACTIVE,
    KV_METER_STATUS_INACTIVE,
    KV_METER_STATUS_REMOVED
} KvMeterStatus;

/* A refund token of an unloaded swap (the refund_tokens table). */
typedef enum {
    KV_REFUND_TOKEN_PENDING,
    KV_REFUND_TOKEN_DONE,
    KV_REFUND_TOKEN_ABORTED
} KvRefundTokenState;

/* How far a card record's issue went (the cards table's issue_step): an
 * interrupted issue resumes from it. */
typedef enum {
    KV_CARD_STEP_RESERVED,     /* the record made, nothing on the card yet */
    KV_CARD_STEP_WRITTEN,
    KV_CARD_STEP_PSC_CHANGING, /* identity and token written, PSC being changed */
    KV_CARD_STEP_DONE
} KvCardIssueStep;

/* The stored words ("active", ...); shown translated with
 * C_("card status", word) and C_("meter status", word). */
const char *kv_card_status_name(KvCardStatus s);
const char *kv_meter_status_name(KvMeterStatus s);
const char *kv_refund_token_state_name(KvRefundTokenState s);
const char *kv_card_issue_step_name(KvCardIssueStep s);

G_END_DECLS

#endif
