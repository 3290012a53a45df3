/* make-corpus.c - writes the fuzzers' seed corpus (valid records made with
 * the fuzz keys): make-corpus DIR.  The output is kept in tests/fuzz/corpus. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_keys.h"
#include "fuzz_token.h"
#include "kv_provision.h"
#include "kv_util.h"
#include "sle4442.h"

static int save(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mkdir(dir, 0755);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        perror(path);
        return 1;
    }
    return fclose(f) != 0;
}

/* Token fields as fuzz_token.h reads them: sequence, then the body. */
static void credit_fields(uint8_t f[FUZZ_TOKEN_FIELDS], uint32_t seq, uint32_t cumulative,
                          uint32_t amount)
{
    memset(f, 0, FUZZ_TOKEN_FIELDS);
    kv_put_be32(f, seq);
    kv_put_be32(f + 4, cumulative);
    kv_put_be32(f + 8, amount);
}

/* Seeds of the targets added with the campaign (tools/fuzz-campaign.sh). */
static int seeds_v2(const char *top, const kv_identity *user,
                    const uint8_t *user_card)
{
    static const uint8_t atr[4] = {0xA2, 0x13, 0x10, 0x91};
    uint8_t buf[2048];
    char d[400];
    int err = 0;

    /* identity: mode, 17 bytes */
    snprintf(d, sizeof d, "%s/identity", top);
    buf[0] = 0;
    kv_identity_encode(user, buf + 1);
    err |= save(d, "user", buf, 1 + KV_ID_LEN);

    /* token-seal: card type, kind, fields, tampered byte */
    snprintf(d, sizeof d, "%s/token-seal", top);
    memset(buf, 0, 4 + FUZZ_TOKEN_FIELDS);
    credit_fields(buf + 2, 3, 12000, 2000);
    buf[2 + FUZZ_TOKEN_FIELDS] = 45;
    buf[3 + FUZZ_TOKEN_FIELDS] = 1;
    err |= save(d, "credit", buf, 4 + FUZZ_TOKEN_FIELDS);
    buf[0] = 2; /* parameter card */
    credit_fields(buf + 2, 4, 3000, 1000);
    kv_put_be32(buf + 2 + 12, 50000);
    err |= save(d, "parameters", buf, 4 + FUZZ_TOKEN_FIELDS);
    buf[2 + FUZZ_TOKEN_EMERGENCY] = 5; /* emergency allowance 5 kWh */
    err |= save(d, "parameters-emergency", buf, 4 + FUZZ_TOKEN_FIELDS);

    /* card-file: mode, the file of an issued card with two tokens, then
     * commands (verify with the wrong code, read the security memory) */
    snprintf(d, sizeof d, "%s/card-file", top);
    {
        static const uint8_t psc[3] = {0x11, 0x22, 0x33};
        sle4442 chip;
        sle_init_blank(&chip, atr, psc);
        memcpy(chip.main, user_card, SLE_MAIN_SIZE);
        buf[0] = 0;
        sle_save(&chip, buf + 1);
        memcpy(buf + 1 + SLE_FILE_SIZE, "\x06\x11\x22\x08\x00\x00\x01\x30\x55", 9);
        err |= save(d, "issued-two-tokens", buf, 1 + SLE_FILE_SIZE + 9);
    }

    /* vcard-apdu: mode, then select, present PSC, write, read, as the
     * station's card service sends them */
    snprintf(d, sizeof d, "%s/vcard-apdu", top);
    {
        static const uint8_t seq[] = {
            6, 0xFF, 0xA4, 0x00, 0x00, 0x01, 0x06,
            5, 0xFF, 0xB1, 0x00, 0x00, 0x04,
            8, 0xFF, 0x20, 0x00, 0x00, 0x03, 0x12, 0x34, 0x56,
            8, 0xFF, 0xD0, 0x00, 0x20, 0x03, 0x01, 0x02, 0x03,
            5, 0xFF, 0xB0, 0x00, 0x00, 0x00,
            5, 0xFF, 0xB2, 0x00, 0x00, 0x04,
            8, 0xFF, 0xD2, 0x00, 0x01, 0x03, 0x65, 0x43, 0x21,
        };
        buf[0] = 0;
        memcpy(buf + 1, seq, sizeof seq);
        err |= save(d, "sale", buf, 1 + sizeof seq);
        buf[0] = 1 | (2 << 1); /* ACR38 answers, torn after 2 bytes */
        err |= save(d, "sale-acr38-torn", buf, 1 + sizeof seq);
    }

    /* sle-wire: mode, then a reset with its clock pulse and the ATR out */
    snprintf(d, sizeof d, "%s/sle-wire", top);
    {
        static const uint8_t ev[] = {0x04, 0x05 | 0x00, 0x00, 0xF9, 0x06, 0x01, 0x02, 0x0D};
        buf[0] = 1;
        memcpy(buf + 1, ev, sizeof ev);
        err |= save(d, "reset", buf, 1 + sizeof ev);
    }

    /* icc-driver: write address, value, PSC, then a card answering 01010101 */
    snprintf(d, sizeof d, "%s/icc-driver", top);
    memset(buf, 0x55, 1024);
    buf[0] = 0x20;
    buf[1] = 0x42;
    err |= save(d, "alternating", buf, 1024);

    /* meter-card: issued user card (mode bit 0), credit sealed into slot A
     * (bit 1); a parameter card; a key-change card (new key version 2) */
    snprintf(d, sizeof d, "%s/meter-card", top);
    {
        enum { MAIN = 1, TOKENS = 1 + SLE_MAIN_SIZE + 4, LEN = TOKENS + 2 * FUZZ_TOKEN_FIELDS };
        memset(buf, 0xFF, LEN);
        buf[0] = 1 | 2;
        buf[MAIN + 5] = 0;                    /* type selector: user */
        kv_put_be32(buf + MAIN + 10, 1001);   /* serial */
        credit_fields(buf + TOKENS, 1, 5000, 5000);
        err |= save(d, "user-credit", buf, LEN);
        buf[MAIN + 5] = 2;                    /* parameter card */
        credit_fields(buf + TOKENS, 2, 3000, 1000); /* alarm, pre-trip */
        kv_put_be32(buf + TOKENS + 12, 50000);      /* hoarding limit */
        err |= save(d, "parameter", buf, LEN);
        buf[TOKENS + FUZZ_TOKEN_EMERGENCY] = 3;     /* emergency allowance */
        err |= save(d, "parameter-emergency", buf, LEN);
        buf[MAIN + 5] = 4;                    /* key-change card */
        memset(buf + TOKENS, 0, FUZZ_TOKEN_FIELDS);
        kv_put_be32(buf + TOKENS, 3);
        buf[TOKENS + 4] = 2;
        err |= save(d, "key-change", buf, LEN);
    }
    return err;
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
    uint8_t blk[1 + KV_PROVISION_LEN];
    blk[0] = 0; /* mode: the block as it is */
    kv_provision_encode(&p, blk + 1);
    err |= save(d, "valid", blk, sizeof blk);
    p.block_version = KV_PROVISION_V2;
    memcpy(p.k_transport, k.k_transport, 16);
    kv_provision_encode(&p, blk + 1);
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

    err |= seeds_v2(argv[1], &id, img);
    kv_meter_keys_wipe(&k);
    return err;
}
