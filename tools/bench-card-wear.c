/* bench-card-wear.c - what the contract writes on a card over its life:
 * bytes written per sale (only bytes that differ), how many of them change at
 * every sale, and the most-written byte after 20 years of weekly sales and of
 * daily meter readbacks, against the SLE4442's 10^4 erase/write cycles. */
#include <stdio.h>
#include <string.h>

#include "kv_card.h"

int main(void)
{
    static const uint8_t master[16] = "bench-card-wear";
    const uint32_t utility = 4711, meter = 123456782u;
    kv_identity id = {KV_FORMAT_VERSION, KV_CARD_USER, utility, 7, meter, 1};
    kv_meter_keys k;
    uint8_t km[16], kp[16], card[KV_CARD_SIZE], slot[KV_SLOT_LEN], order[KV_SLOT_LEN];
    unsigned writes[KV_CARD_SIZE] = {0};
    unsigned sales = 52 * 20, readbacks = 365 * 20, total = 0, max_sale = 0, min_sale = 999;
    kv_card_view v;

    kv_derive_meter_key(master, utility, meter, 1, km);
    kv_derive_psc_key(master, utility, meter, 1, kp);
    kv_meter_keys_init(&k, km, 1, kp);
    memset(card, 0xFF, sizeof card);
    kv_identity_encode(&id, card + KV_ID_OFF);

    for (unsigned s = 1; s <= sales; s++) {
        kv_card_decode(&k, card, &v);
        kv_token t = {.kind = KV_TOKEN_CREDIT, .key_version = 1, .seq = s};
        t.u.credit.cumulative = 2000 * s;
        t.u.credit.amount = 2000;
        t.u.credit.issued_at = 1764028800u + 604800u * s;
        t.u.credit.sale_ref = s;
        unsigned off = kv_card_next_token_offset(&v);
        kv_token_seal(&k, &id, &t, slot);
        unsigned n = kv_slot_write_plan(card + off, slot, KV_TOKEN_USED, order);
        if (s > 2) { /* steady state: both slots used */
            total += n;
            if (n > max_sale) max_sale = n;
            if (n < min_sale) min_sale = n;
        }
        for (unsigned j = 0; j < n; j++)
            writes[off + order[j]]++;
        memcpy(card + off, slot, KV_SLOT_LEN);
    }

    unsigned rb_total = 0;
    for (unsigned c = 1; c <= readbacks; c++) {
        kv_card_decode(&k, card, &v);
        kv_readback rb = {.key_version = 1, .counter = c, .remaining = (int32_t)(c * 37 % 5000),
                          .cumulative_loaded = 2000 * sales, .total_energy = c * 550};
        unsigned off = kv_card_next_readback_offset(&v);
        kv_readback_seal(&k, &id, &rb, slot);
        unsigned n = kv_slot_write_plan(card + off, slot, KV_READBACK_USED, order);
        rb_total += n;
        for (unsigned j = 0; j < n; j++)
            writes[off + order[j]]++;
        memcpy(card + off, slot, KV_SLOT_LEN);
    }
    unsigned max_tok = 0, max_rb = 0;
    for (unsigned i = KV_TOKEN_A; i < KV_READBACK_A; i++)
        if (writes[i] > max_tok) max_tok = writes[i];
    for (unsigned i = KV_READBACK_A; i < KV_READBACK_B + KV_SLOT_LEN; i++)
        if (writes[i] > max_rb) max_rb = writes[i];

    printf("card writes per sale (token, only changed bytes): avg %.1f, min %u, max %u of %u\n",
           (double)total / (sales - 2), min_sale, max_sale, KV_TOKEN_USED);
    printf("readback bytes written per insertion: avg %.1f of %u\n",
           (double)rb_total / readbacks, KV_READBACK_USED);
    printf("20 years, %u weekly sales: most-written token byte %u cycles (%.1f%% of 10^4)\n",
           sales, max_tok, max_tok / 100.0);
    printf("20 years, %u daily insertions: most-written readback byte %u cycles (%.1f%% of 10^4)\n",
           readbacks, max_rb, max_rb / 100.0);
    kv_meter_keys_wipe(&k);
    return 0;
}
