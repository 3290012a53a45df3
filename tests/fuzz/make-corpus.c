/* make-corpus.c - writes the fuzzers' seed corpus (valid records made with
 * the fuzz keys): make-corpus DIR.  The output is kept in tests/fuzz/corpus. */
#include <stdio.h>
#include <string.h>

#include "fuzz_keys.h"
#include "kv_provision.h"

static int save(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        perror(path);
        return 1;
    }
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    kv_meter_keys k;
    kv_identity id = {KV_FORMAT_VERSION, KV_CARD_USER, FUZZ_UTILITY, 42, FUZZ_METER, 1};
    uint8_t img[KV_CARD_SIZE], slot[KV_SLOT_LEN];
    char d[400];
    int err = 0;
    if (argc != 2)
        return 2;
    fuzz_keys(&k);

    memset(img, 0xFF, sizeof img);
    memcpy(img, "\xA2\x13\x10\x91", 4);
    snprintf(d, sizeof d, "%s/card-image", argv[1]);
    err |= save(d, "blank", img, sizeof img);
    kv_identity_encode(&id, img + KV_ID_OFF);
    err |= save(d, "issued", img, sizeof img);
    for (uint32_t s = 1; s <= 2; s++) {
        kv_token t = {.kind = KV_TOKEN_CREDIT, .key_version = 1, .seq = s};
        t.u.credit.cumulative = 5000 * s;
        t.u.credit.amount = 5000;
        kv_token_seal(&k, &id, &t, img + (s == 1 ? KV_TOKEN_A : KV_TOKEN_B));
    }
    kv_readback rb = {.key_version = 1, .counter = 1, .remaining = 4000,
                      .cumulative_loaded = 5000, .total_energy = 1000, .last_seq = 1};
    kv_readback_seal(&k, &id, &rb, img + KV_READBACK_A);
    err |= save(d, "two-sales-one-readback", img, sizeof img);

    snprintf(d, sizeof d, "%s/readback", argv[1]);
    kv_readback_seal(&k, &id, &rb, slot);
    err |= save(d, "readback", slot, sizeof slot);
    memcpy(slot, img + KV_TOKEN_B, sizeof slot);
    err |= save(d, "token", slot, sizeof slot);

    snprintf(d, sizeof d, "%s/provision", argv[1]);
    kv_provision p = {.utility_code = FUZZ_UTILITY, .meter_number = FUZZ_METER,
                      .key_version = 1, .psc_key_version = 1, .phases = 3,
                      .alarm_level = 2000, .pretrip_level = 1000, .hoarding_limit = 100000,
                      .max_power = 13800, .meter_constant = 1000, .reconnect_delay = 60};
    memcpy(p.k_meter, k.k_meter, 16);
    memcpy(p.k_psc, k.k_psc, 16);
    uint8_t blk[KV_PROVISION_LEN];
    kv_provision_encode(&p, blk);
    err |= save(d, "valid", blk, sizeof blk);
    p.block_version = KV_PROVISION_V2;
    memcpy(p.k_transport, k.k_transport, 16);
    kv_provision_encode(&p, blk);
    err |= save(d, "valid-v2", blk, sizeof blk);

    /* fuzz-token: a selector byte (card type index, bit 3 = no transport
     * key) and a slot */
    snprintf(d, sizeof d, "%s/token", argv[1]);
    {
        static const struct {
            const char *name;
            uint8_t sel, type, kind;
            uint16_t issuer;
        } seeds[] = {
            {"credit", 0, KV_CARD_USER, KV_TOKEN_CREDIT, 0},
            {"credit-issuer", 0, KV_CARD_USER, KV_TOKEN_CREDIT, 3},
            {"check", 1, KV_CARD_CHECK, KV_TOKEN_CHECK, 0},
            {"key-change-transport", 4, KV_CARD_KEY_CHANGE, KV_TOKEN_KEY_CHANGE_T, 0},
            {"key-change-transport-no-key", 12, KV_CARD_KEY_CHANGE, KV_TOKEN_KEY_CHANGE_T, 5},
            {"key-change-first-revision", 4, KV_CARD_KEY_CHANGE, KV_TOKEN_KEY_CHANGE, 0},
        };
        for (unsigned i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
            uint8_t in[1 + KV_SLOT_LEN];
            kv_identity tid = id;
            kv_token t = {.kind = seeds[i].kind, .key_version = 1, .seq = 9 + i,
                          .issuer = seeds[i].issuer};
            tid.card_type = seeds[i].type;
            if (t.kind == KV_TOKEN_CREDIT) {
                t.u.credit.cumulative = 7000;
                t.u.credit.amount = 2000;
            } else if (t.kind == KV_TOKEN_KEY_CHANGE || t.kind == KV_TOKEN_KEY_CHANGE_T) {
                t.u.key_change.new_key_version = 2;
                memcpy(t.u.key_change.new_k_meter, k.k_rb, 16);
            } else {
                t.u.issued_at = 1764028800u;
            }
            in[0] = seeds[i].sel;
            kv_token_seal(&k, &tid, &t, in + 1);
            err |= save(d, seeds[i].name, in, sizeof in);
        }
    }
    kv_meter_keys_wipe(&k);
    return err;
}
