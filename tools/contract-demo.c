/* contract-demo.c - walks one card through the contract and prints it:
 * issue, two sales, the meter loading them, a copied card refused.
 * Uses a fixed demonstration master key (never a real utility's). */
#include <stdio.h>
#include <string.h>

#include "kv_card.h"
#include "kv_util.h"

static void dump(const char *title, const uint8_t img[KV_CARD_SIZE])
{
    printf("%s\n", title);
    for (int row = 0; row < KV_CARD_SIZE; row += 16) {
        const char *what = row < 0x20 ? "identity" : row < 0x50 ? "token A" : row < 0x80 ? "token B"
                         : row < 0xB0 ? "readback A" : row < 0xE0 ? "readback B" : "reserved";
        printf("  %02X:", row);
        for (int i = 0; i < 16; i++)
            printf(" %02X", img[row + i]);
        printf("  %s\n", what);
    }
}

int main(void)
{
    static const uint8_t master[16] = "kilovend-demo!!";
    const uint32_t utility = 4711, meter = 123456782u, hoarding = 100000;
    uint8_t card[KV_CARD_SIZE], slot[KV_SLOT_LEN], km[16], kp[16];
    kv_meter_keys keys;
    kv_identity id = {KV_FORMAT_VERSION, KV_CARD_USER, utility, 1001, meter, 1};
    kv_card_view view;
    int32_t remaining = 0;
    uint32_t loaded = 0, cumulative = 0, seq = 0;

    kv_derive_meter_key(master, utility, meter, 1, km);
    kv_derive_psc_key(master, utility, meter, 1, kp);
    kv_meter_keys_init(&keys, km, 1, kp);
    kv_wipe(km, sizeof km);
    kv_wipe(kp, sizeof kp);

    memset(card, 0xFF, sizeof card);
    memcpy(card, "\xA2\x13\x10\x91", 4);
    if (kv_identity_encode(&id, card + KV_ID_OFF) != KV_OK)
        return 1;
    printf("Card %u issued for meter %09u of utility %u\n", id.card_serial, meter, utility);

    static const uint32_t sales[] = {5000, 2500}; /* 50.00 kWh, then 25.00 kWh */
    for (unsigned i = 0; i < 2; i++) {
        kv_token t = {.kind = KV_TOKEN_CREDIT, .key_version = 1, .seq = ++seq};
        kv_card_decode(&keys, card, &view);
        cumulative += sales[i];
        t.u.credit.cumulative = cumulative;
        t.u.credit.amount = sales[i];
        t.u.credit.sale_ref = i + 1;
        unsigned off = kv_card_next_token_offset(&view);
        if (kv_token_seal(&keys, &id, &t, slot) != KV_OK)
            return 1;
        memcpy(card + off, slot, KV_SLOT_LEN);
        printf("Sale %u: %u.%02u kWh written to token slot %c\n", i + 1, sales[i] / 100,
               sales[i] % 100, off == KV_TOKEN_A ? 'A' : 'B');
    }
    dump("Card image:", card);

    uint8_t copy[KV_CARD_SIZE];
    memcpy(copy, card, sizeof copy);
    for (int pass = 0; pass < 2; pass++) {
        int32_t nr;
        uint32_t nc;
        kv_card_decode(&keys, pass ? copy : card, &view);
        kv_err e = kv_credit_load(&view.token.u.credit, remaining, loaded, hoarding, &nr, &nc);
        if (e == KV_OK) {
            printf("Meter loads %u.%02u kWh: remaining %d.%02d kWh\n", (nc - loaded) / 100,
                   (nc - loaded) % 100, nr / 100, nr % 100);
            remaining = nr;
            loaded = nc;
        } else {
            printf("Meter refuses the %s: %s\n", pass ? "copied card" : "card", kv_strerror(e));
        }
    }
    kv_meter_keys_wipe(&keys);
    return 0;
}
