/* fwcards.h - a small issuing office for the firmware tests: provisioning
 * blocks and SLE4442 cards (identity, PSC, tokens) made with the contract
 * exactly as the station makes them.  Portable: runs on the host and in
 * QEMU. */
#ifndef FWCARDS_H
#define FWCARDS_H

#include <stdint.h>

#include "kv_card.h"
#include "kv_provision.h"
#include "sle4442.h"

typedef struct {
    uint8_t master[16];
    uint32_t utility;
    uint32_t meter;        /* with check digit */
    uint8_t key_version;   /* the meter's current key version */
    uint8_t psc_version;
    uint32_t seq;          /* last token sequence issued */
    uint32_t cumulative;   /* credit ever sold to this meter */
    uint8_t k_meter[16];   /* current meter key (changes with key-change cards) */
    uint8_t block_version; /* provisioning block version written (2; 1 = old meters) */
} fw_office;

/* An office for meter `base` (8 digits, check digit added). */
void fw_office_init(fw_office *o, uint32_t utility, uint32_t base);
/* The meter's keys as the office knows them. */
void fw_office_keys(const fw_office *o, kv_meter_keys *keys);
/* Provisioning block with these levels (0.01 kWh), max power W. */
void fw_office_provision(const fw_office *o, uint32_t alarm, uint32_t pretrip, uint32_t hoard,
                         uint32_t max_power, uint16_t reconnect, uint8_t out[KV_PROVISION_LEN]);

/* A factory-fresh card (PSC FF FF FF). */
void fw_card_blank(sle4442 *c);
/* Issue a card of `type` to the office's meter: identity, PSC, locked. */
void fw_card_issue(sle4442 *c, const fw_office *o, uint8_t type, uint32_t serial);
/* Sell credit: a credit token carrying the new cumulative, written into the
 * card's free token slot.  Writes only `limit` bytes of the plan when limit
 * is >= 0 (a torn write).  Returns the kv_err of sealing. */
int fw_card_sell(sle4442 *c, fw_office *o, uint32_t amount, int limit);
/* Write an engineering token with body *t: of kind t->kind, or the kind the
 * station seals on the card's type when t->kind is 0. */
int fw_card_token(sle4442 *c, fw_office *o, kv_token *t, int limit);
/* The newest readback on the card, opened with the office's keys. */
int fw_card_readback(const sle4442 *c, const fw_office *o, kv_readback *rb);

#endif
