/* contract_tests.c - the card contract's tests, portable: the same file runs
 * on the station (host) and on a Cortex-M3 under QEMU, which proves the
 * firmware's build of crypto/ computes what the station's does. */
#include <string.h>

#include "kv_aes.h"
#include "kv_card.h"
#include "kv_cmac.h"
#include "kv_provision.h"
#include "kv_util.h"
#include "kvtest.h"

/* ---- helpers ------------------------------------------------------------ */

static uint32_t rng_state = 0x2545F491u;

static uint32_t rnd(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static int hex_eq(const uint8_t *got, const char *hex, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = hex[2 * i + (unsigned)j];
            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        if (got[i] != v)
            return 0;
    }
    return 1;
}

static void from_hex(uint8_t *out, const char *hex, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = hex[2 * i + (unsigned)j];
            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        out[i] = (uint8_t)v;
    }
}

static const uint8_t master1[16] = {0x4b, 0x56, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                                    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e};
static const uint8_t master2[16] = {0x99, 0x56, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                                    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e};

#define UTILITY 4711u
#define METER_A 123456782u /* 12345678 + check digit */

static uint32_t meter_with_check(uint32_t base)
{
    return base * 10 + kv_meter_check_digit(base);
}

static void keys_for(kv_meter_keys *k, const uint8_t master[16], uint32_t utility,
                     uint32_t meter, uint8_t version)
{
    uint8_t km[16], kp[16];
    kv_derive_meter_key(master, utility, meter, version, km);
    kv_derive_psc_key(master, utility, meter, 1, kp);
    kv_meter_keys_init(k, km, version, kp);
    kv_wipe(km, sizeof km);
    kv_wipe(kp, sizeof kp);
}

static void blank_card(uint8_t img[KV_CARD_SIZE])
{
    memset(img, 0xFF, KV_CARD_SIZE);
    img[0] = 0xA2; img[1] = 0x13; img[2] = 0x10; img[3] = 0x91;
}

static void issue(uint8_t img[KV_CARD_SIZE], kv_identity *id, uint8_t type, uint32_t utility,
                  uint32_t serial, uint32_t meter)
{
    blank_card(img);
    memset(id, 0, sizeof *id);
    id->format_version = KV_FORMAT_VERSION;
    id->card_type = type;
    id->utility_code = utility;
    id->card_serial = serial;
    id->meter_number = meter;
    id->key_version = 1;
    KV_CHECK(kv_identity_encode(id, img + KV_ID_OFF) == KV_OK);
}

/* A token of this kind under key version 1, its fields zero. */
static kv_token token_of(uint8_t kind, uint32_t seq)
{
    kv_token t;
    memset(&t, 0, sizeof t);
    t.kind = kind;
    t.key_version = 1;
    t.seq = seq;
    return t;
}

/* A parameter token (sequence 9): alarm 20, pre-trip 10, hoarding 1000 kWh,
 * 11 kW, 60 s, no emergency allowance. */
static kv_token params_token(void)
{
    kv_token t = token_of(KV_TOKEN_PARAMETERS, 9);
    t.u.params.alarm_level = 2000;
    t.u.params.pretrip_level = 1000;
    t.u.params.hoarding_limit = 100000;
    t.u.params.max_power = 11000;
    t.u.params.reconnect_delay = 60;
    t.u.params.issued_at = 1764028800u;
    return t;
}

static kv_token credit_token(uint32_t seq, uint32_t cumulative, uint32_t amount)
{
    kv_token t = token_of(KV_TOKEN_CREDIT, seq);
    t.u.credit.cumulative = cumulative;
    t.u.credit.amount = amount;
    t.u.credit.issued_at = 1764028800u + seq;
    t.u.credit.sale_ref = 1000 + seq;
    t.u.credit.office = 3;
    return t;
}

/* A key change (kind: transport-sealed or not) to the meter key of
 * version `to`. */
static kv_token key_change_token(uint8_t kind, uint32_t seq, uint8_t to)
{
    kv_token t = token_of(kind, seq);
    t.u.key_change.new_key_version = to;
    kv_derive_meter_key(master1, UTILITY, METER_A, to, t.u.key_change.new_k_meter);
    t.u.key_change.issued_at = 1764028800u;
    return t;
}

/* What a station does for a sale: decode, seal into the free slot, write
 * (issuer 0: none). */
static unsigned sell_as(const kv_meter_keys *k, uint8_t img[KV_CARD_SIZE], uint32_t amount,
                        uint16_t issuer, uint8_t newslot[KV_SLOT_LEN])
{
    kv_card_view v;
    kv_token t;
    uint32_t seq = 1, cum = 0;
    KV_CHECK(kv_card_decode(k, img, &v) == KV_OK);
    if (v.token_err == KV_OK) {
        seq = v.token.seq + 1;
        cum = v.token.u.credit.cumulative;
    }
    t = credit_token(seq, cum + amount, amount);
    t.issuer = issuer;
    unsigned off = kv_card_next_token_offset(&v);
    KV_CHECK(kv_token_seal(k, &v.id, &t, newslot) == KV_OK);
    return off;
}

static unsigned sell(const kv_meter_keys *k, uint8_t img[KV_CARD_SIZE], uint32_t amount,
                     uint8_t newslot[KV_SLOT_LEN])
{
    return sell_as(k, img, amount, 0, newslot);
}

/* ---- primitives: published vectors ------------------------------------- */

static void test_aes_vectors(void)
{
    kv_aes128_ctx c;
    uint8_t key[16], pt[16], ct[16];
    /* FIPS-197 appendix C.1 */
    from_hex(key, "000102030405060708090a0b0c0d0e0f", 16);
    from_hex(pt, "00112233445566778899aabbccddeeff", 16);
    kv_aes128_init(&c, key);
    kv_aes128_encrypt(&c, pt, ct);
    KV_CHECK(hex_eq(ct, "69c4e0d86a7b0430d8cdb78070b4c55a", 16));
    /* FIPS-197 appendix B */
    from_hex(key, "2b7e151628aed2a6abf7158809cf4f3c", 16);
    from_hex(pt, "3243f6a8885a308d313198a2e0370734", 16);
    kv_aes128_init(&c, key);
    kv_aes128_encrypt(&c, pt, ct);
    KV_CHECK(hex_eq(ct, "3925841d02dc09fbdc118597196a0b32", 16));
    /* SP 800-38A F.1.1 ECB-AES128 block 1 */
    from_hex(pt, "6bc1bee22e409f96e93d7e117393172a", 16);
    kv_aes128_encrypt(&c, pt, ct);
    KV_CHECK(hex_eq(ct, "3ad77bb40d7a3660a89ecaf32466ef97", 16));
    /* SP 800-38A F.5.1 CTR-AES128, two blocks */
    {
        uint8_t iv[16], in[32], out[32];
        from_hex(iv, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", 16);
        from_hex(in, "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", 32);
        kv_aes128_ctr(&c, iv, in, out, 32);
        KV_CHECK(hex_eq(out, "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff", 32));
        kv_aes128_ctr(&c, iv, out, out, 32); /* in place, back again */
        KV_CHECK(memcmp(out, in, 32) == 0);
    }
    kv_aes128_wipe(&c);
    {
        static const uint8_t zero[176];
        KV_CHECK(memcmp(c.rk, zero, sizeof zero) == 0);
    }
}

static void test_cmac_vectors(void)
{
    uint8_t key[16], msg[64], tag[16];
    from_hex(key, "2b7e151628aed2a6abf7158809cf4f3c", 16);
    from_hex(msg,
             "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
             "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710", 64);
    /* RFC 4493 section 4, examples 1-4 */
    kv_cmac(key, msg, 0, tag);
    KV_CHECK(hex_eq(tag, "bb1d6929e95937287fa37d129b756746", 16));
    kv_cmac(key, msg, 16, tag);
    KV_CHECK(hex_eq(tag, "070a16b46b4d4144f79bdd9dd04a287c", 16));
    kv_cmac(key, msg, 40, tag);
    KV_CHECK(hex_eq(tag, "dfa66747de9ae63030ca32611497c827", 16));
    kv_cmac(key, msg, 64, tag);
    KV_CHECK(hex_eq(tag, "51f0bebf7e3b9d92fc49741779363cfe", 16));
    /* Streaming in odd pieces gives the same tag. */
    {
        kv_cmac_ctx c;
        kv_cmac_init(&c, key);
        kv_cmac_update(&c, msg, 7);
        kv_cmac_update(&c, msg + 7, 9);
        kv_cmac_update(&c, msg + 16, 0);
        kv_cmac_update(&c, msg + 16, 17);
        kv_cmac_update(&c, msg + 33, 31);
        kv_cmac_final(&c, tag);
        KV_CHECK(hex_eq(tag, "51f0bebf7e3b9d92fc49741779363cfe", 16));
    }
}

static void test_kdf(void)
{
    uint8_t a[16], b[16], c[16], ctx[4] = {1, 2, 3, 4};
    kv_kdf(master1, "kilovend meter", ctx, 4, a);
    kv_kdf(master1, "kilovend meter", ctx, 4, b);
    KV_CHECK(memcmp(a, b, 16) == 0);
    kv_kdf(master1, "kilovend psc", ctx, 4, c);
    KV_CHECK(memcmp(a, c, 16) != 0); /* labels separate domains */
    ctx[3] = 5;
    kv_kdf(master1, "kilovend meter", ctx, 4, c);
    KV_CHECK(memcmp(a, c, 16) != 0);
    /* The KDF is CMAC over its documented input: check the framing. */
    {
        uint8_t in[1 + 14 + 1 + 4 + 2], t[16];
        in[0] = 1;
        memcpy(in + 1, "kilovend meter", 14);
        in[15] = 0;
        in[16] = 1; in[17] = 2; in[18] = 3; in[19] = 4;
        in[20] = 0; in[21] = 0x80;
        kv_cmac(master1, in, sizeof in, t);
        KV_CHECK(memcmp(t, a, 16) == 0);
    }
}

static void test_util(void)
{
    /* CRC catalogue check values for "123456789" */
    const uint8_t s[9] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    KV_CHECK(kv_crc16(s, 9) == 0x29B1);
    KV_CHECK(kv_crc32(s, 9) == 0xCBF43926u);
    KV_CHECK(kv_meter_check_digit(12345678) == 2);
    KV_CHECK(kv_meter_number_valid(METER_A));
    KV_CHECK(!kv_meter_number_valid(123456781u));
    KV_CHECK(!kv_meter_number_valid(0));
    KV_CHECK(!kv_meter_number_valid(1000000000u));
    /* Luhn catches every single-digit error and adjacent transposition */
    for (uint32_t i = 0; i < 9; i++) {
        uint32_t p = 1;
        for (uint32_t j = 0; j < i; j++)
            p *= 10;
        uint32_t d = (METER_A / p) % 10;
        uint32_t bad = METER_A - d * p + ((d + 1) % 10) * p;
        KV_CHECK(!kv_meter_number_valid(bad));
    }
}

/* ---- identity ------------------------------------------------------------ */

static void test_identity(void)
{
    static const uint8_t types[] = {KV_CARD_USER, KV_CARD_CHECK, KV_CARD_PARAMETER,
                                    KV_CARD_CLEAR_TAMPER, KV_CARD_KEY_CHANGE, KV_CARD_TEST};
    uint8_t img[KV_CARD_SIZE];
    kv_identity id, back;
    for (unsigned t = 0; t < sizeof types; t++) {
        issue(img, &id, types[t], UTILITY, 77 + t, METER_A);
        KV_CHECK(kv_card_identity(img, &back) == KV_OK);
        KV_CHECK(memcmp(&id, &back, sizeof id) == 0);
    }
    blank_card(img);
    KV_CHECK(kv_card_identity(img, &back) == KV_E_BLANK);
    /* Every single bit flip in the identity is caught. */
    issue(img, &id, KV_CARD_USER, UTILITY, 77, METER_A);
    for (unsigned i = 0; i < KV_ID_LEN * 8; i++) {
        img[KV_ID_OFF + i / 8] ^= (uint8_t)(1u << (i % 8));
        KV_CHECK(kv_card_identity(img, &back) != KV_OK);
        img[KV_ID_OFF + i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    KV_CHECK(kv_identity_check(&id, UTILITY, METER_A) == KV_OK);
    KV_CHECK(kv_identity_check(&id, UTILITY + 1, METER_A) == KV_E_UTILITY);
    KV_CHECK(kv_identity_check(&id, UTILITY, meter_with_check(12345679)) == KV_E_METER);
    /* Bad fields refused on encode */
    id.card_type = 0x55;
    KV_CHECK(kv_identity_encode(&id, img + KV_ID_OFF) == KV_E_CARD_TYPE);
    id.card_type = KV_CARD_USER;
    id.meter_number = 123456781u;
    KV_CHECK(kv_identity_encode(&id, img + KV_ID_OFF) == KV_E_FIELD);
    id.meter_number = METER_A;
    id.format_version = 2;
    KV_CHECK(kv_identity_encode(&id, img + KV_ID_OFF) == KV_E_FORMAT);
}

/* ---- tokens ------------------------------------------------------------- */

static void test_token_round_trips(void)
{
    kv_meter_keys k;
    kv_identity id;
    uint8_t img[KV_CARD_SIZE], slot[KV_SLOT_LEN];
    kv_token t, back;
    keys_for(&k, master1, UTILITY, METER_A, 1);

    issue(img, &id, KV_CARD_USER, UTILITY, 100, METER_A);
    t = credit_token(5, 123456, 2000);
    KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_OK);
    KV_CHECK(slot[46] == 0xFF && slot[47] == 0xFF);
    KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_OK);
    KV_CHECK(memcmp(&t, &back, sizeof t) == 0);
    /* The body is encrypted: the cumulative is not visible in clear. */
    {
        uint8_t be[4];
        kv_put_be32(be, 123456);
        int seen = 0;
        for (int i = 0; i + 4 <= KV_SLOT_LEN; i++)
            seen |= memcmp(slot + i, be, 4) == 0;
        KV_CHECK(!seen);
    }

    issue(img, &id, KV_CARD_PARAMETER, UTILITY, 101, METER_A);
    t = params_token();
    KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_OK);
    KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_OK);
    KV_CHECK(memcmp(&t, &back, sizeof t) == 0);
    t.u.params.pretrip_level = 3000; /* above alarm: refused */
    KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_E_FIELD);

    issue(img, &id, KV_CARD_KEY_CHANGE, UTILITY, 102, METER_A);
    t = key_change_token(KV_TOKEN_KEY_CHANGE, 10, 2);
    KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_OK);
    KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_OK);
    KV_CHECK(memcmp(&t, &back, sizeof t) == 0);
    /* the new key does not appear in clear */
    {
        int seen = 0;
        for (int i = 0; i + 16 <= KV_SLOT_LEN; i++)
            seen |= memcmp(slot + i, t.u.key_change.new_k_meter, 16) == 0;
        KV_CHECK(!seen);
    }

    static const uint8_t simple[][2] = {{KV_CARD_CLEAR_TAMPER, KV_TOKEN_CLEAR_TAMPER},
                                        {KV_CARD_TEST, KV_TOKEN_TEST}};
    for (int i = 0; i < 2; i++) {
        issue(img, &id, simple[i][0], UTILITY, 103 + (uint32_t)i, METER_A);
        t = token_of(simple[i][1], 11);
        t.u.issued_at = 1764028801u;
        KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_OK);
        KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_OK);
        KV_CHECK(memcmp(&t, &back, sizeof t) == 0);
    }

    /* A check card carries no token; a credit token never goes on it. */
    issue(img, &id, KV_CARD_CHECK, UTILITY, 105, METER_A);
    t = credit_token(5, 100, 100);
    KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_E_KIND);
    kv_meter_keys_wipe(&k);
}

/* Token sealed by the utility with crafted plaintext: proves the decoder
 * checks authentic fields too (a bug in a station must not load garbage). */
static void seal_raw(const kv_meter_keys *k, const kv_identity *id, uint8_t kind, uint32_t seq,
                     const uint8_t body[32], uint8_t slot[KV_SLOT_LEN])
{
    uint8_t iv[16], idb[15], tag[16], d = 'T';
    kv_aes128_ctx a;
    kv_cmac_ctx c;
    slot[0] = kind;
    slot[1] = k->key_version;
    kv_put_be32(slot + 2, seq);
    iv[0] = kind; iv[1] = k->key_version;
    kv_put_be32(iv + 2, id->meter_number);
    kv_put_be32(iv + 6, id->card_serial);
    kv_put_be32(iv + 10, seq);
    iv[14] = iv[15] = 0;
    kv_aes128_init(&a, k->k_enc);
    kv_aes128_ctr(&a, iv, body, slot + 6, 32);
    idb[0] = id->format_version; idb[1] = id->card_type;
    kv_put_be32(idb + 2, id->utility_code);
    kv_put_be32(idb + 6, id->card_serial);
    kv_put_be32(idb + 10, id->meter_number);
    idb[14] = id->key_version;
    kv_cmac_init(&c, k->k_mac);
    kv_cmac_update(&c, &d, 1);
    kv_cmac_update(&c, idb, 15);
    kv_cmac_update(&c, slot, 38);
    kv_cmac_final(&c, tag);
    memcpy(slot + 38, tag, 8);
    slot[46] = slot[47] = 0xFF;
}

static void test_token_attacks(void)
{
    kv_meter_keys k, kb, k2, kother;
    kv_identity id, idb;
    uint8_t img[KV_CARD_SIZE], imgb[KV_CARD_SIZE], slot[KV_SLOT_LEN], body[32];
    kv_token t, back;
    uint32_t meter_b = meter_with_check(12345679);

    keys_for(&k, master1, UTILITY, METER_A, 1);
    keys_for(&kb, master1, UTILITY, meter_b, 1);
    keys_for(&k2, master1, UTILITY, METER_A, 2);
    keys_for(&kother, master2, UTILITY, METER_A, 1);
    issue(img, &id, KV_CARD_USER, UTILITY, 200, METER_A);
    t = credit_token(3, 50000, 50000);
    KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_OK);

    /* attack: wrong meter (token moved to a card of meter B, opened there) */
    issue(imgb, &idb, KV_CARD_USER, UTILITY, 201, meter_b);
    KV_CHECK(kv_token_open(&kb, &idb, slot, &back) == KV_E_MAC);
    /* attack: the right card read by meter B's keys */
    KV_CHECK(kv_token_open(&kb, &id, slot, &back) == KV_E_MAC);
    /* attack: same meter number, another utility's master key */
    KV_CHECK(kv_token_open(&kother, &id, slot, &back) == KV_E_MAC);
    /* attack: token moved to another card of the same meter */
    {
        kv_identity id2 = id;
        id2.card_serial = 202;
        KV_CHECK(kv_token_open(&k, &id2, slot, &back) == KV_E_MAC);
    }
    /* attack: wrong key version */
    KV_CHECK(kv_token_open(&k2, &id, slot, &back) == KV_E_KEY_VERSION);
    t.key_version = 1;
    KV_CHECK(kv_token_seal(&k2, &id, &t, slot) == KV_E_KEY_VERSION);
    KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_OK);
    /* attack: a bit flipped in every bit of every byte the token uses */
    for (unsigned i = 0; i < KV_TOKEN_USED * 8; i++) {
        slot[i / 8] ^= (uint8_t)(1u << (i % 8));
        kv_err e = kv_token_open(&k, &id, slot, &back);
        KV_CHECK(e == KV_E_MAC || (i / 8 == 1 && e == KV_E_KEY_VERSION));
        KV_CHECK(back.seq == 0 && back.u.credit.cumulative == 0);
        slot[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    /* attack: a guessed MAC (all zeros) and a truncated record (tail erased) */
    {
        uint8_t f[KV_SLOT_LEN];
        memcpy(f, slot, sizeof f);
        memset(f + 38, 0, 8);
        KV_CHECK(kv_token_open(&k, &id, f, &back) == KV_E_MAC);
        memcpy(f, slot, sizeof f);
        memset(f + 30, 0xFF, 16);
        KV_CHECK(kv_token_open(&k, &id, f, &back) == KV_E_MAC);
    }
    /* attack: identity of the card edited (serial) keeps the token MAC bound */
    KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_OK);

    /* authentic but malformed bodies are refused with KV_E_FIELD */
    memset(body, 0, sizeof body);
    kv_put_be32(body, 100);
    kv_put_be32(body + 4, 200); /* amount above cumulative */
    seal_raw(&k, &id, KV_TOKEN_CREDIT, 4, body, slot);
    KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_E_FIELD);
    memset(body, 0, sizeof body);
    kv_put_be32(body, 0x80000000u); /* oversized cumulative */
    seal_raw(&k, &id, KV_TOKEN_CREDIT, 4, body, slot);
    KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_E_FIELD);
    memset(body, 0, sizeof body);
    kv_put_be32(body, 100);
    body[31] = 1; /* reserved byte set */
    seal_raw(&k, &id, KV_TOKEN_CREDIT, 4, body, slot);
    KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_E_FIELD);
    memset(body, 0, sizeof body);
    seal_raw(&k, &id, KV_TOKEN_CREDIT, 0, body, slot); /* seq 0 */
    KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_E_FIELD);
    /* crafted bodies of every engineering kind, on the card type they
     * belong to: each range rule and each reserved byte */
    {
        kv_identity ide;
        uint8_t imge[KV_CARD_SIZE];
        issue(imge, &ide, KV_CARD_PARAMETER, UTILITY, 210, METER_A);
        memset(body, 0, sizeof body);
        kv_put_be32(body, 2000);      /* alarm */
        kv_put_be32(body + 4, 500);   /* pre-trip */
        kv_put_be32(body + 8, 10000); /* hoarding limit */
        seal_raw(&k, &ide, KV_TOKEN_PARAMETERS, 4, body, slot);
        KV_CHECK(kv_token_open(&k, &ide, slot, &back) == KV_OK);
        kv_put_be32(body + 4, 2001); /* pre-trip above alarm */
        seal_raw(&k, &ide, KV_TOKEN_PARAMETERS, 4, body, slot);
        KV_CHECK(kv_token_open(&k, &ide, slot, &back) == KV_E_FIELD);
        kv_put_be32(body + 4, 500);
        kv_put_be32(body + 8, 2000); /* alarm not below the hoarding limit */
        seal_raw(&k, &ide, KV_TOKEN_PARAMETERS, 4, body, slot);
        KV_CHECK(kv_token_open(&k, &ide, slot, &back) == KV_E_FIELD);
        kv_put_be32(body + 8, 0x80000000u); /* hoarding limit too large */
        seal_raw(&k, &ide, KV_TOKEN_PARAMETERS, 4, body, slot);
        KV_CHECK(kv_token_open(&k, &ide, slot, &back) == KV_E_FIELD);
        kv_put_be32(body + 8, 10000);
        body[23] = 1; /* first reserved byte (22 is the emergency allowance) */
        seal_raw(&k, &ide, KV_TOKEN_PARAMETERS, 4, body, slot);
        KV_CHECK(kv_token_open(&k, &ide, slot, &back) == KV_E_FIELD);

        issue(imge, &ide, KV_CARD_KEY_CHANGE, UTILITY, 211, METER_A);
        memset(body, 0, sizeof body);
        body[0] = 2;
        memset(body + 1, 0x5A, 16);
        seal_raw(&k, &ide, KV_TOKEN_KEY_CHANGE, 4, body, slot);
        KV_CHECK(kv_token_open(&k, &ide, slot, &back) == KV_OK);
        KV_CHECK(back.u.key_change.new_key_version == 2);
        body[0] = 0; /* version 0 */
        seal_raw(&k, &ide, KV_TOKEN_KEY_CHANGE, 4, body, slot);
        KV_CHECK(kv_token_open(&k, &ide, slot, &back) == KV_E_FIELD);
        body[0] = 0xFF; /* version 255 */
        seal_raw(&k, &ide, KV_TOKEN_KEY_CHANGE, 4, body, slot);
        KV_CHECK(kv_token_open(&k, &ide, slot, &back) == KV_E_FIELD);
        KV_CHECK(back.u.key_change.new_k_meter[0] == 0); /* nothing handed out */
        body[0] = 2;
        body[21] = 1; /* first reserved byte */
        seal_raw(&k, &ide, KV_TOKEN_KEY_CHANGE, 4, body, slot);
        KV_CHECK(kv_token_open(&k, &ide, slot, &back) == KV_E_FIELD);
        KV_CHECK(back.u.key_change.new_k_meter[0] == 0);

        for (int c = 0; c < 2; c++) {
            uint8_t type = c ? KV_CARD_TEST : KV_CARD_CLEAR_TAMPER;
            uint8_t kind = c ? KV_TOKEN_TEST : KV_TOKEN_CLEAR_TAMPER;
            issue(imge, &ide, type, UTILITY, 212 + (uint32_t)c, METER_A);
            memset(body, 0, sizeof body);
            kv_put_be32(body, 1764028800u);
            seal_raw(&k, &ide, kind, 4, body, slot);
            KV_CHECK(kv_token_open(&k, &ide, slot, &back) == KV_OK);
            body[4] = 1; /* first reserved byte */
            seal_raw(&k, &ide, kind, 4, body, slot);
            KV_CHECK(kv_token_open(&k, &ide, slot, &back) == KV_E_FIELD);
        }
    }
    memset(body, 0, sizeof body);
    seal_raw(&k, &id, KV_TOKEN_PARAMETERS, 4, body, slot); /* kind for another card */
    KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_E_KIND);
    seal_raw(&k, &id, 0x77, 4, body, slot);
    KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_E_KIND);

    kv_meter_keys_wipe(&k);
    kv_meter_keys_wipe(&kb);
    kv_meter_keys_wipe(&k2);
    kv_meter_keys_wipe(&kother);
}

/* What a reader reports for empty, torn and foreign-version slots. */
static void test_slot_states(void)
{
    kv_meter_keys k, k2;
    kv_identity id;
    kv_card_view v;
    uint8_t card[KV_CARD_SIZE], slot[KV_SLOT_LEN];
    unsigned off;
    keys_for(&k, master1, UTILITY, METER_A, 1);
    keys_for(&k2, master1, UTILITY, METER_A, 2);
    issue(card, &id, KV_CARD_USER, UTILITY, 250, METER_A);
    /* a freshly issued card: nothing in either area */
    KV_CHECK(kv_card_decode(&k, card, &v) == KV_OK);
    KV_CHECK(v.token_err == KV_E_EMPTY && v.readback_err == KV_E_EMPTY);
    KV_CHECK(!v.token_torn && !v.readback_torn);
    KV_CHECK(kv_token_open(&k, &id, card + KV_TOKEN_A, &v.token) == KV_E_EMPTY);
    KV_CHECK(kv_card_next_token_offset(&v) == KV_TOKEN_A);
    /* one token: valid, the empty slot is not reported as torn */
    off = sell(&k, card, 1000, slot);
    memcpy(card + off, slot, KV_SLOT_LEN);
    KV_CHECK(kv_card_decode(&k, card, &v) == KV_OK);
    KV_CHECK(v.token_err == KV_OK && v.token_slot == 0 && !v.token_torn);
    KV_CHECK(kv_card_next_token_offset(&v) == KV_TOKEN_B);
    /* the next sale cut half way: old token, the other slot reported torn */
    off = sell(&k, card, 500, slot);
    KV_CHECK(off == KV_TOKEN_B);
    memcpy(card + off, slot, 20);
    KV_CHECK(kv_card_decode(&k, card, &v) == KV_OK);
    KV_CHECK(v.token_err == KV_OK && v.token_slot == 0 && v.token_torn);
    KV_CHECK(v.token.u.credit.cumulative == 1000);
    KV_CHECK(kv_card_next_token_offset(&v) == KV_TOKEN_B);
    /* read with the next key version: a token of the old version in one
     * slot and a damaged record claiming the new version in the other:
     * the reader reports the version (the telling reason), in either order */
    KV_CHECK(kv_card_decode(&k2, card, &v) == KV_OK);
    KV_CHECK(v.token_err == KV_E_KEY_VERSION);
    memcpy(card + KV_TOKEN_B, card + KV_TOKEN_A, KV_SLOT_LEN);
    card[KV_TOKEN_A + 1] = 2;
    KV_CHECK(kv_token_open(&k2, &id, card + KV_TOKEN_A, &v.token) == KV_E_MAC);
    KV_CHECK(kv_card_decode(&k2, card, &v) == KV_OK);
    KV_CHECK(v.token_err == KV_E_KEY_VERSION);
    card[KV_TOKEN_A + 1] = 1;
    card[KV_TOKEN_B + 1] = 2;
    KV_CHECK(kv_card_decode(&k2, card, &v) == KV_OK);
    KV_CHECK(v.token_err == KV_E_KEY_VERSION);
    kv_meter_keys_wipe(&k);
    kv_meter_keys_wipe(&k2);
}

/* ---- loading rule: replay, clone, dump restore, hoarding, over-zero ---- */

static void test_load_rules(void)
{
    kv_meter_keys k;
    kv_identity id;
    kv_card_view v;
    uint8_t card[KV_CARD_SIZE], dump[KV_CARD_SIZE], clone[KV_CARD_SIZE], slot[KV_SLOT_LEN];
    int32_t rem = 0, nr;
    uint32_t cum = 0, nc;
    const uint32_t hoard = 100000; /* 1000.00 kWh */
    unsigned off;

    keys_for(&k, master1, UTILITY, METER_A, 1);
    issue(card, &id, KV_CARD_USER, UTILITY, 300, METER_A);

    off = sell(&k, card, 20000, slot);
    memcpy(card + off, slot, KV_SLOT_LEN);
    memcpy(dump, card, sizeof dump);   /* attacker keeps a dump */
    memcpy(clone, card, sizeof clone); /* and a clone on a blank card */

    KV_CHECK(kv_card_decode(&k, card, &v) == KV_OK && v.token_err == KV_OK);
    KV_CHECK(kv_credit_load(&v.token.u.credit, rem, cum, hoard, &nr, &nc) == KV_OK);
    KV_CHECK(nr == 20000 && nc == 20000);
    rem = nr;
    cum = nc;
    /* attack: replay (same card inserted again) loads nothing */
    KV_CHECK(kv_credit_load(&v.token.u.credit, rem, cum, hoard, &nr, &nc) == KV_E_REPLAY);
    /* attack: clone loads nothing */
    KV_CHECK(kv_card_decode(&k, clone, &v) == KV_OK && v.token_err == KV_OK);
    KV_CHECK(kv_credit_load(&v.token.u.credit, rem, cum, hoard, &nr, &nc) == KV_E_REPLAY);

    /* two purchases before the card visits the meter: both load */
    off = sell(&k, card, 10000, slot);
    memcpy(card + off, slot, KV_SLOT_LEN);
    off = sell(&k, card, 5000, slot);
    memcpy(card + off, slot, KV_SLOT_LEN);
    KV_CHECK(kv_card_decode(&k, card, &v) == KV_OK && v.token_err == KV_OK);
    KV_CHECK(v.token.u.credit.cumulative == 35000);
    KV_CHECK(kv_credit_load(&v.token.u.credit, rem, cum, hoard, &nr, &nc) == KV_OK);
    KV_CHECK(nr == 35000 && nc == 35000);
    rem = nr;
    cum = nc;
    /* attack: dump restored to the card loads nothing */
    KV_CHECK(kv_card_decode(&k, dump, &v) == KV_OK && v.token_err == KV_OK);
    KV_CHECK(kv_credit_load(&v.token.u.credit, rem, cum, hoard, &nr, &nc) == KV_E_REPLAY);

    /* hoarding: refused whole, stays on the card, loads after consumption */
    off = sell(&k, card, 70000, slot);
    memcpy(card + off, slot, KV_SLOT_LEN);
    KV_CHECK(kv_card_decode(&k, card, &v) == KV_OK);
    KV_CHECK(kv_credit_load(&v.token.u.credit, rem, cum, hoard, &nr, &nc) == KV_E_HOARD);
    rem -= 5001; /* 50.01 kWh used: 29999 + 70000 = 99999 <= 100000 */
    KV_CHECK(kv_credit_load(&v.token.u.credit, rem, cum, hoard, &nr, &nc) == KV_OK);
    KV_CHECK(nr == 99999);
    /* exactly at the limit is allowed, one above is not */
    {
        kv_credit c = {.cumulative = 1000, .amount = 1000};
        KV_CHECK(kv_credit_load(&c, 99000, 0, hoard, &nr, &nc) == KV_OK && nr == 100000);
        KV_CHECK(kv_credit_load(&c, 99001, 0, hoard, &nr, &nc) == KV_E_HOARD);
        /* over-zero: a negative remaining is offset by the load */
        KV_CHECK(kv_credit_load(&c, -250, 0, hoard, &nr, &nc) == KV_OK && nr == 750);
        /* large negative balance and large credit: no overflow */
        c.cumulative = 0x7FFFFFFFu;
        KV_CHECK(kv_credit_load(&c, INT32_MIN, 0, 0x7FFFFFFFu, &nr, &nc) == KV_OK && nr == -1);
        KV_CHECK(kv_credit_load(&c, 1, 0, 0xFFFFFFFFu, &nr, &nc) == KV_E_OVERFLOW);
    }
    kv_meter_keys_wipe(&k);
}

/* ---- readback ----------------------------------------------------------- */

static void test_readback(void)
{
    kv_meter_keys k, kb;
    kv_identity id;
    uint8_t img[KV_CARD_SIZE], slot[KV_SLOT_LEN];
    kv_readback rb, back;
    keys_for(&k, master1, UTILITY, METER_A, 1);
    keys_for(&kb, master1, UTILITY, meter_with_check(12345679), 1);
    issue(img, &id, KV_CARD_USER, UTILITY, 400, METER_A);
    memset(&rb, 0, sizeof rb);
    rb.status = KV_RB_RELAY_CLOSED | KV_RB_RED;
    rb.key_version = 1;
    rb.counter = 17;
    rb.remaining = -1234;
    rb.cumulative_loaded = 35000;
    rb.total_energy = 987654;
    rb.phase_energy[0] = 329218;
    rb.phase_energy[1] = 329218;
    rb.phase_energy[2] = 329218;
    rb.last_seq = 4;
    rb.result = KV_E_HOARD;
    rb.events[0] = 3;
    rb.events[1] = 1;
    KV_CHECK(kv_readback_seal(&k, &id, &rb, slot) == KV_OK);
    KV_CHECK(kv_readback_open(&k, &id, slot, &back) == KV_OK);
    rb.format = 1; /* what open reports */
    KV_CHECK(memcmp(&rb, &back, sizeof rb) == 0);
    /* attack: a bit flipped anywhere */
    for (unsigned i = 0; i < KV_READBACK_USED * 8; i++) {
        slot[i / 8] ^= (uint8_t)(1u << (i % 8));
        kv_err e = kv_readback_open(&k, &id, slot, &back);
        KV_CHECK(e == KV_E_MAC || (i / 8 == 2 && e == KV_E_KEY_VERSION));
        slot[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    /* a readback of another key version is reported as such */
    {
        kv_meter_keys k2;
        keys_for(&k2, master1, UTILITY, METER_A, 2);
        KV_CHECK(kv_readback_open(&k2, &id, slot, &back) == KV_E_KEY_VERSION);
        kv_meter_keys_wipe(&k2);
    }
    /* an authentic record of an unknown readback format is refused */
    {
        uint8_t idb[15], tag[16], d = 'R';
        kv_cmac_ctx c;
        uint8_t f[KV_SLOT_LEN];
        memcpy(f, slot, sizeof f);
        f[0] = 0x02;
        idb[0] = id.format_version; idb[1] = id.card_type;
        kv_put_be32(idb + 2, id.utility_code);
        kv_put_be32(idb + 6, id.card_serial);
        kv_put_be32(idb + 10, id.meter_number);
        idb[14] = id.key_version;
        kv_cmac_init(&c, k.k_rb);
        kv_cmac_update(&c, &d, 1);
        kv_cmac_update(&c, idb, 15);
        kv_cmac_update(&c, f, 40);
        kv_cmac_final(&c, tag);
        memcpy(f + 40, tag, 8);
        KV_CHECK(kv_readback_open(&k, &id, f, &back) == KV_E_FORMAT);
        f[0] = 0x01;
        KV_CHECK(kv_readback_open(&k, &id, f, &back) == KV_E_MAC);
    }
    /* the counter cannot wrap */
    {
        kv_readback r2 = rb;
        uint8_t f[KV_SLOT_LEN];
        r2.counter = 0xFFFFFFFFu;
        KV_CHECK(kv_readback_seal(&k, &id, &r2, f) == KV_E_OVERFLOW);
    }
    /* attack: forged readback, sealed with another meter's key */
    KV_CHECK(kv_readback_seal(&kb, &id, &rb, slot) == KV_OK);
    KV_CHECK(kv_readback_open(&k, &id, slot, &back) == KV_E_MAC);
    /* attack: a token-MAC'd record cannot pass as a readback (domain) */
    {
        kv_token t = credit_token(3, 100, 100);
        KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_OK);
        KV_CHECK(kv_readback_open(&k, &id, slot, &back) != KV_OK);
    }
    kv_meter_keys_wipe(&k);
    kv_meter_keys_wipe(&kb);
}

/* ---- tearing ----------------------------------------------------------- */

/* Cut a slot write after every byte k, and mid-byte (erased byte or a
 * partially programmed one), and check the card decodes to old or new. */
static void tear_sweep(const kv_meter_keys *k, uint8_t card[KV_CARD_SIZE], unsigned off,
                       const uint8_t newslot[KV_SLOT_LEN], unsigned used, int is_token,
                       uint32_t old_mark, uint32_t new_mark)
{
    uint8_t order[KV_SLOT_LEN], torn[KV_CARD_SIZE];
    unsigned n = kv_slot_write_plan(card + off, newslot, used, order);
    KV_CHECK(n > 0);
    for (unsigned cut = 0; cut <= n; cut++) {
        for (int mid = 0; mid < 3; mid++) {
            kv_card_view v;
            memcpy(torn, card, KV_CARD_SIZE);
            for (unsigned j = 0; j < cut; j++)
                torn[off + order[j]] = newslot[order[j]];
            if (cut < n && mid == 1)
                torn[off + order[cut]] = 0xFF; /* erased, not yet written */
            if (cut < n && mid == 2)
                torn[off + order[cut]] = (uint8_t)(0xF0 | newslot[order[cut]]);
            if (mid && cut == n)
                continue;
            /* a byte cut mid-write that already holds its final value is a
             * finished byte: that case is the next cut */
            if (cut < n && mid && torn[off + order[cut]] == newslot[order[cut]])
                continue;
            KV_CHECK(kv_card_decode(k, torn, &v) == KV_OK);
            if (is_token) {
                uint32_t want = cut == n ? new_mark : old_mark;
                KV_CHECK(v.token_err == KV_OK || (old_mark == 0 && cut < n));
                if (v.token_err == KV_OK)
                    KV_CHECK(v.token.u.credit.cumulative == want);
            } else {
                uint32_t want = cut == n ? new_mark : old_mark;
                KV_CHECK(v.readback_err == KV_OK || (old_mark == 0 && cut < n));
                if (v.readback_err == KV_OK)
                    KV_CHECK(v.readback.counter == want);
            }
        }
    }
    memcpy(card + off, newslot, KV_SLOT_LEN);
}

static void test_tearing(void)
{
    kv_meter_keys k;
    kv_identity id;
    uint8_t card[KV_CARD_SIZE], slot[KV_SLOT_LEN];
    uint32_t cum = 0;
    keys_for(&k, master1, UTILITY, METER_A, 1);
    issue(card, &id, KV_CARD_USER, UTILITY, 500, METER_A);
    /* six sales: the first on an empty token area, then alternating slots */
    for (int s = 0; s < 6; s++) {
        uint32_t amount = 1000u * (uint32_t)(s + 1);
        unsigned off = sell(&k, card, amount, slot);
        KV_CHECK(off == (s % 2 ? KV_TOKEN_B : KV_TOKEN_A));
        tear_sweep(&k, card, off, slot, KV_TOKEN_USED, 1, cum, cum + amount);
        cum += amount;
    }
    /* sales with an issuer, whose bytes 46..47 are written after the MAC,
     * and back to none (FF FF written after the MAC): still old or new */
    {
        static const uint16_t issuers[] = {3, 4, 0, 0, 7};
        for (unsigned s = 0; s < sizeof issuers / sizeof issuers[0]; s++) {
            unsigned off = sell_as(&k, card, 700, issuers[s], slot);
            tear_sweep(&k, card, off, slot, KV_TOKEN_USED, 1, cum, cum + 700);
            cum += 700;
        }
    }
    /* readback written by the meter: same rule */
    for (uint32_t c = 1; c <= 4; c++) {
        kv_card_view v;
        kv_readback rb;
        memset(&rb, 0, sizeof rb);
        rb.key_version = 1;
        rb.counter = c;
        rb.remaining = (int32_t)(1000 * c);
        rb.cumulative_loaded = cum;
        KV_CHECK(kv_card_decode(&k, card, &v) == KV_OK);
        unsigned off = kv_card_next_readback_offset(&v);
        KV_CHECK(kv_readback_seal(&k, &id, &rb, slot) == KV_OK);
        tear_sweep(&k, card, off, slot, KV_READBACK_USED, 0, c - 1, c);
    }
    kv_meter_keys_wipe(&k);
}

/* ---- PSC and provisioning ---------------------------------------------- */

static void test_psc(void)
{
    kv_meter_keys k, kb;
    uint8_t p1[3], p2[3];
    unsigned same = 0;
    keys_for(&k, master1, UTILITY, METER_A, 1);
    keys_for(&kb, master1, UTILITY, meter_with_check(12345679), 1);
    kv_card_psc(&k, 1, p1);
    kv_card_psc(&k, 1, p2);
    KV_CHECK(memcmp(p1, p2, 3) == 0);
    for (uint32_t s = 1; s < 300; s++) {
        kv_card_psc(&k, s, p1);
        kv_card_psc(&k, s + 1, p2);
        same += memcmp(p1, p2, 3) == 0;
        KV_CHECK(!(p1[0] == 0xFF && p1[1] == 0xFF && p1[2] == 0xFF));
        KV_CHECK(!(p1[0] == 0 && p1[1] == 0 && p1[2] == 0));
        kv_card_psc(&kb, s, p2); /* same serial, other meter */
        same += memcmp(p1, p2, 3) == 0;
    }
    KV_CHECK(same == 0); /* one sniffed PSC opens one card only */
    /* the selection rule, on two serials found by search whose first group
     * is the factory code FF FF FF, resp. 00 00 00: the second group is
     * the PSC */
    {
        static const uint32_t serial[2] = {12713308u, 8413185u};
        static const uint8_t first[2] = {0xFF, 0x00};
        for (int i = 0; i < 2; i++) {
            uint8_t ctx[4], out[16];
            kv_put_be32(ctx, serial[i]);
            kv_kdf(k.k_psc, "kilovend card psc", ctx, 4, out);
            KV_CHECK(out[0] == first[i] && out[1] == first[i] && out[2] == first[i]);
            kv_card_psc(&k, serial[i], p1);
            KV_CHECK(memcmp(p1, out + 3, 3) == 0);
            kv_wipe(out, sizeof out);
        }
    }
    /* the PSC key does not rotate with the token key */
    {
        kv_meter_keys k2;
        keys_for(&k2, master1, UTILITY, METER_A, 2);
        kv_card_psc(&k, 5, p1);
        kv_card_psc(&k2, 5, p2);
        KV_CHECK(memcmp(p1, p2, 3) == 0);
        kv_meter_keys_wipe(&k2);
    }
    kv_meter_keys_wipe(&k);
    kv_meter_keys_wipe(&kb);
}

/* A provisioning block's fields for METER_A of UTILITY under master1 (PSC
 * key version 1, levels 20/10/1000 kWh); no limits of power or time. */
static void provision_fields(kv_provision *p, uint8_t block_version, uint8_t key_version,
                             uint8_t phases, uint16_t meter_constant)
{
    memset(p, 0, sizeof *p);
    p->block_version = block_version;
    p->utility_code = UTILITY;
    p->meter_number = METER_A;
    p->key_version = key_version;
    p->psc_key_version = 1;
    p->phases = phases;
    kv_derive_meter_key(master1, UTILITY, METER_A, key_version, p->k_meter);
    kv_derive_psc_key(master1, UTILITY, METER_A, 1, p->k_psc);
    p->alarm_level = 2000;
    p->pretrip_level = 1000;
    p->hoarding_limit = 100000;
    p->meter_constant = meter_constant;
}

static void test_provision(void)
{
    kv_provision p, back;
    uint8_t blk[KV_PROVISION_LEN];
    provision_fields(&p, KV_PROVISION_V1, 1, 3, 1000);
    p.max_power = 13800;
    p.reconnect_delay = 60;
    KV_CHECK(kv_provision_encode(&p, blk) == KV_OK);
    KV_CHECK(kv_provision_decode(blk, UTILITY, &back) == KV_OK);
    KV_CHECK(memcmp(&p, &back, sizeof p) == 0);
    KV_CHECK(kv_provision_decode(blk, 0, &back) == KV_OK);
    KV_CHECK(kv_provision_decode(blk, UTILITY + 1, &back) == KV_E_UTILITY);
    for (unsigned i = 0; i < KV_PROVISION_LEN * 8; i += 3) {
        blk[i / 8] ^= (uint8_t)(1u << (i % 8));
        KV_CHECK(kv_provision_decode(blk, UTILITY, &back) == KV_E_PROVISION);
        blk[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    /* a block with a correct CRC but a reserved byte set, or no meter
     * constant, is refused */
    KV_CHECK(kv_provision_encode(&p, blk) == KV_OK);
    blk[80] = 1;
    kv_put_be32(blk + 92, kv_crc32(blk, 92));
    KV_CHECK(kv_provision_decode(blk, UTILITY, &back) == KV_E_PROVISION);
    KV_CHECK(back.k_meter[0] == 0 && back.k_psc[0] == 0); /* no key handed out */
    KV_CHECK(kv_provision_encode(&p, blk) == KV_OK);
    kv_put_be16(blk + 64, 0);
    kv_put_be32(blk + 92, kv_crc32(blk, 92));
    KV_CHECK(kv_provision_decode(blk, UTILITY, &back) == KV_E_PROVISION);
    p.alarm_level = 200000; /* above hoarding */
    KV_CHECK(kv_provision_encode(&p, blk) == KV_E_PROVISION);
    kv_provision_wipe(&p);
}


/* ---- second revision: transport key, check tokens, issuer --------------- */

/* Slots and a block made by the first revision's code (kept verbatim): the
 * second revision must open them exactly as before. */
static const char old_credit_slot[] =
    "01010000000759e42cf1c1df449db403ce0841cb316a497d3f323d708707159792692d7d67868f7a492824aa6ed9ffff";
static const char old_key_change_slot[] =
    "0401000000096db8a7284d1d4e2dad4b91b8a014e1832fc9eaab8357c5d2581c3fd5f27918172a5c2947d549044bffff";
static const char old_provision_block[] =
    "4b5650310101010300001267075bcd0eaab639040e972e95e4582a95cbac661bf8002ce1f4d29d94bb631011aad08023"
    "000007d0000003e8000186a0000035e803e8003c00000000000000000000000000000000000000000000000042b97b8d";

/* Station keys: meter key of `version`, with the transport key. */
static void station_keys(kv_meter_keys *k, uint8_t version)
{
    uint8_t kt[16];
    keys_for(k, master1, UTILITY, METER_A, version);
    kv_derive_transport_key(master1, UTILITY, METER_A, 1, kt);
    kv_meter_keys_set_transport(k, kt);
    kv_wipe(kt, sizeof kt);
}

/* Does the 16-byte key appear anywhere in the buffer? */
static int contains_key(const uint8_t *buf, unsigned len, const uint8_t key[16])
{
    for (unsigned i = 0; i + 16 <= len; i++)
        if (memcmp(buf + i, key, 16) == 0)
            return 1;
    return 0;
}

/* Tokens, a key change and a provisioning block written before the second
 * revision open unchanged: an old token is the new format with no issuer. */
static void test_old_format_still_opens(void)
{
    kv_meter_keys k, ks;
    kv_identity id;
    kv_token t, want;
    kv_provision p;
    uint8_t img[KV_CARD_SIZE], slot[KV_SLOT_LEN], blk[KV_PROVISION_LEN], cb[16];

    keys_for(&k, master1, UTILITY, METER_A, 1); /* a meter of the first revision */
    station_keys(&ks, 1);                       /* the station, and new meters */
    issue(img, &id, KV_CARD_USER, UTILITY, 1001, METER_A);
    from_hex(slot, old_credit_slot, KV_SLOT_LEN);
    want = credit_token(7, 123456, 5000);
    want.u.credit.issued_at = 1764028800u;
    want.u.credit.sale_ref = 42;
    KV_CHECK(kv_token_open(&k, &id, slot, &t) == KV_OK);
    KV_CHECK(memcmp(&t, &want, sizeof t) == 0 && t.issuer == 0);
    KV_CHECK(kv_token_open(&ks, &id, slot, &t) == KV_OK);
    KV_CHECK(memcmp(&t, &want, sizeof t) == 0);
    /* the counter block is the first revision's: ... seq || 00 00 */
    KV_CHECK(kv_token_counter_block(&id, slot, cb) == KV_OK);
    KV_CHECK(cb[0] == KV_TOKEN_CREDIT && cb[1] == 1 && kv_get_be32(cb + 2) == METER_A &&
             kv_get_be32(cb + 6) == 1001 && kv_get_be32(cb + 10) == 7 && cb[14] == 0 &&
             cb[15] == 0);
    /* sealing the same token today gives the same bytes */
    {
        uint8_t again[KV_SLOT_LEN];
        KV_CHECK(kv_token_seal(&ks, &id, &want, again) == KV_OK);
        KV_CHECK(memcmp(again, slot, KV_SLOT_LEN) == 0);
    }

    /* a key change of the first revision opens on meters without a
     * transport key (and on the station, which reads what it wrote) */
    issue(img, &id, KV_CARD_KEY_CHANGE, UTILITY, 8001, METER_A);
    from_hex(slot, old_key_change_slot, KV_SLOT_LEN);
    want = key_change_token(KV_TOKEN_KEY_CHANGE, 9, 2);
    KV_CHECK(kv_token_open(&k, &id, slot, &t) == KV_OK);
    KV_CHECK(memcmp(&t, &want, sizeof t) == 0);
    KV_CHECK(kv_token_open(&ks, &id, slot, &t) == KV_OK);

    /* a version 1 provisioning block decodes, with no transport key */
    from_hex(blk, old_provision_block, KV_PROVISION_LEN);
    KV_CHECK(kv_provision_decode(blk, UTILITY, &p) == KV_OK);
    KV_CHECK(p.block_version == KV_PROVISION_V1 && p.key_version == 1 &&
             memcmp(p.k_meter, k.k_meter, 16) == 0 && memcmp(p.k_psc, k.k_psc, 16) == 0);
    {
        static const uint8_t zero[16];
        KV_CHECK(memcmp(p.k_transport, zero, 16) == 0);
    }
    kv_provision_wipe(&p);
    kv_meter_keys_wipe(&k);
    kv_meter_keys_wipe(&ks);
}

/* The holder of the old meter key (read from a meter's memory, or the
 * meter's key of a stolen master version) reads every key-change card.  Under
 * the first revision that card tells them the new key; under the second it
 * tells them nothing, and they cannot make one the meter takes. */
static void test_key_change_locks_out_old_key_holder(void)
{
    kv_meter_keys station, old_holder;
    kv_identity id;
    kv_token t, back;
    uint8_t img[KV_CARD_SIZE], slot[KV_SLOT_LEN], cb[16], plain[KV_TOKEN_BODY_LEN];
    uint8_t new_key[16];
    kv_aes128_ctx aes;

    station_keys(&station, 1);
    keys_for(&old_holder, master1, UTILITY, METER_A, 1); /* K_meter v1 and all it derives */
    kv_derive_meter_key(master1, UTILITY, METER_A, 2, new_key);
    issue(img, &id, KV_CARD_KEY_CHANGE, UTILITY, 8001, METER_A);

    /* The attack works on the first revision: decrypt with K_enc of the old
     * key, the new key is in the clear (the test can fail). */
    t = key_change_token(KV_TOKEN_KEY_CHANGE, 9, 2);
    KV_CHECK(kv_token_seal(&station, &id, &t, slot) == KV_OK);
    KV_CHECK(kv_token_counter_block(&id, slot, cb) == KV_OK);
    kv_aes128_init(&aes, old_holder.k_enc);
    kv_aes128_ctr(&aes, cb, slot + 6, plain, KV_TOKEN_BODY_LEN);
    KV_CHECK(contains_key(plain, sizeof plain, new_key));

    /* The second revision: sealed under the transport key. */
    t = key_change_token(KV_TOKEN_KEY_CHANGE_T, 10, 2);
    KV_CHECK(kv_token_seal(&station, &id, &t, slot) == KV_OK);
    KV_CHECK(!contains_key(slot, KV_SLOT_LEN, new_key));
    /* the old key's token opener refuses it: it has no transport key */
    KV_CHECK(kv_token_open(&old_holder, &id, slot, &back) == KV_E_TRANSPORT);
    /* decrypting by hand with every key the old meter key yields finds
     * nothing: the body is not under any of them */
    KV_CHECK(kv_token_counter_block(&id, slot, cb) == KV_OK);
    {
        const uint8_t *tries[4] = {old_holder.k_enc, old_holder.k_mac, old_holder.k_rb,
                                   old_holder.k_meter};
        for (unsigned i = 0; i < 4; i++) {
            kv_aes128_init(&aes, tries[i]);
            kv_aes128_ctr(&aes, cb, slot + 6, plain, KV_TOKEN_BODY_LEN);
            KV_CHECK(!contains_key(plain, sizeof plain, new_key));
        }
    }
    /* ... nor does a transport key guessed from the old meter key */
    {
        kv_meter_keys guess = old_holder;
        kv_meter_keys_set_transport(&guess, old_holder.k_meter);
        KV_CHECK(kv_token_open(&guess, &id, slot, &back) == KV_E_MAC);
        /* and what the holder seals that way, the meter refuses */
        {
            kv_meter_keys meter;
            uint8_t forged[KV_SLOT_LEN];
            kv_token f = key_change_token(KV_TOKEN_KEY_CHANGE_T, 11, 3);
            station_keys(&meter, 1);
            KV_CHECK(kv_token_seal(&guess, &id, &f, forged) == KV_OK);
            KV_CHECK(kv_token_open(&meter, &id, forged, &back) == KV_E_MAC);
            kv_meter_keys_wipe(&meter);
        }
        kv_meter_keys_wipe(&guess);
    }
    /* the meter, which holds the transport key, opens it */
    KV_CHECK(kv_token_open(&station, &id, slot, &back) == KV_OK);
    KV_CHECK(back.kind == KV_TOKEN_KEY_CHANGE_T && back.u.key_change.new_key_version == 2 &&
             memcmp(back.u.key_change.new_k_meter, new_key, 16) == 0);
    /* the transport key does not derive from the meter key: it stays the
     * same across a rotation, and differs per meter */
    {
        uint8_t a[16], b[16];
        kv_derive_transport_key(master1, UTILITY, METER_A, 1, a);
        kv_derive_transport_key(master1, UTILITY, meter_with_check(12345679), 1, b);
        KV_CHECK(memcmp(a, b, 16) != 0 && memcmp(a, station.k_meter, 16) != 0 &&
                 memcmp(a, station.k_psc, 16) != 0);
    }
    /* flipping the kind byte between the two key changes fails the MAC */
    slot[0] = KV_TOKEN_KEY_CHANGE;
    KV_CHECK(kv_token_open(&station, &id, slot, &back) == KV_E_MAC);
    /* a transport key change stands only on a key-change card */
    issue(img, &id, KV_CARD_PARAMETER, UTILITY, 8002, METER_A);
    KV_CHECK(kv_token_seal(&station, &id, &t, slot) == KV_E_KIND);
    /* and is never sealed without a transport key */
    issue(img, &id, KV_CARD_KEY_CHANGE, UTILITY, 8001, METER_A);
    KV_CHECK(kv_token_seal(&old_holder, &id, &t, slot) == KV_E_TRANSPORT);
    kv_aes128_wipe(&aes);
    kv_wipe(plain, sizeof plain);
    kv_meter_keys_wipe(&station);
    kv_meter_keys_wipe(&old_holder);
}

/* A check card proves itself with a check token; the identity alone (a CRC
 * anyone computes) proves nothing. */
static void test_check_card_forged(void)
{
    kv_meter_keys k;
    kv_identity id, other;
    kv_card_view v;
    kv_token t, back;
    uint8_t img[KV_CARD_SIZE], img2[KV_CARD_SIZE], slot[KV_SLOT_LEN];

    station_keys(&k, 1);
    /* home-made: identity and CRC only */
    issue(img, &id, KV_CARD_CHECK, UTILITY, 7002, METER_A);
    KV_CHECK(kv_card_decode(&k, img, &v) == KV_OK);
    KV_CHECK(v.token_err == KV_E_EMPTY);
    /* the station's check token */
    t = token_of(KV_TOKEN_CHECK, 12);
    t.u.issued_at = 1764028800u;
    KV_CHECK(kv_card_token_kind(KV_CARD_CHECK) == KV_TOKEN_CHECK);
    KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_OK);
    memcpy(img + KV_TOKEN_A, slot, KV_SLOT_LEN);
    KV_CHECK(kv_card_decode(&k, img, &v) == KV_OK);
    KV_CHECK(v.token_err == KV_OK && v.token.kind == KV_TOKEN_CHECK && v.token.seq == 12);
    /* a guessed MAC, any flipped bit: refused */
    for (unsigned i = 0; i < KV_TOKEN_USED * 8; i++) {
        slot[i / 8] ^= (uint8_t)(1u << (i % 8));
        KV_CHECK(kv_token_open(&k, &id, slot, &back) != KV_OK);
        slot[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    /* copied onto a check card of another serial (to have the meter present
     * that card's PSC): the MAC covers the serial */
    issue(img2, &other, KV_CARD_CHECK, UTILITY, 7003, METER_A);
    KV_CHECK(kv_token_open(&k, &other, slot, &back) == KV_E_MAC);
    /* a test token (same body) passed off as a check token */
    issue(img2, &other, KV_CARD_TEST, UTILITY, 7002, METER_A);
    t.kind = KV_TOKEN_TEST;
    KV_CHECK(kv_token_seal(&k, &other, &t, slot) == KV_OK);
    KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_E_MAC);
    /* a check token on a user card */
    t.kind = KV_TOKEN_CHECK;
    issue(img2, &other, KV_CARD_USER, UTILITY, 7004, METER_A);
    KV_CHECK(kv_token_seal(&k, &other, &t, slot) == KV_E_KIND);
    kv_meter_keys_wipe(&k);
}

/* The clear-credit card (third revision): kind 0x08 on card type 0x15,
 * bound to one meter and one card; its readback (format 2) carries the
 * credit ever cleared in the events' place, and no other card's readback
 * can pass for one, nor the reverse. */
static void test_clear_credit_card(void)
{
    kv_meter_keys k, kb;
    kv_identity id, other;
    kv_token t, back;
    kv_readback rb, rback;
    uint8_t img[KV_CARD_SIZE], img2[KV_CARD_SIZE], slot[KV_SLOT_LEN], rslot[KV_SLOT_LEN];

    KV_CHECK(KV_TOKEN_CLEAR_CREDIT == 0x08 && KV_CARD_CLEAR_CREDIT == 0x15);
    KV_CHECK(kv_card_token_kind(KV_CARD_CLEAR_CREDIT) == KV_TOKEN_CLEAR_CREDIT);
    keys_for(&k, master1, UTILITY, METER_A, 1);
    keys_for(&kb, master1, UTILITY, meter_with_check(12345679), 1);
    issue(img, &id, KV_CARD_CLEAR_CREDIT, UTILITY, 8001, METER_A);
    memset(&t, 0, sizeof t);
    t.kind = KV_TOKEN_CLEAR_CREDIT;
    t.key_version = 1;
    t.seq = 40;
    t.u.issued_at = 1764028800u;
    KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_OK);
    KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_OK);
    KV_CHECK(back.kind == KV_TOKEN_CLEAR_CREDIT && back.seq == 40 &&
             back.u.issued_at == 1764028800u);
    /* another meter's keys: not authentic */
    KV_CHECK(kv_token_open(&kb, &id, slot, &back) == KV_E_MAC);
    /* copied onto another clear-credit card of the same meter: the MAC
     * covers the card */
    issue(img2, &other, KV_CARD_CLEAR_CREDIT, UTILITY, 8002, METER_A);
    KV_CHECK(kv_token_open(&k, &other, slot, &back) == KV_E_MAC);
    /* not on a user card, and a test token does not pass for it */
    issue(img2, &other, KV_CARD_USER, UTILITY, 8003, METER_A);
    KV_CHECK(kv_token_seal(&k, &other, &t, slot) == KV_E_KIND);
    t.kind = KV_TOKEN_TEST;
    KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_E_KIND);

    /* the readback reports the credit cleared */
    memset(&rb, 0, sizeof rb);
    rb.key_version = 1;
    rb.counter = 9;
    rb.cumulative_loaded = 5000;
    rb.last_seq = 40;
    rb.cleared = 4990;
    KV_CHECK(kv_readback_seal(&k, &id, &rb, rslot) == KV_OK);
    KV_CHECK(rslot[0] == 0x02);
    KV_CHECK(kv_readback_open(&k, &id, rslot, &rback) == KV_OK);
    rb.format = 2;
    KV_CHECK(memcmp(&rb, &rback, sizeof rb) == 0);
    rb.format = 0;
    /* every bit: refused */
    for (unsigned i = 0; i < KV_READBACK_USED * 8; i++) {
        rslot[i / 8] ^= (uint8_t)(1u << (i % 8));
        KV_CHECK(kv_readback_open(&k, &id, rslot, &rback) != KV_OK);
        rslot[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    /* a user card's readback (format 1, events) is no clear-credit report,
     * and the report is not a user card's readback (the MAC covers the
     * card type, and the format differs) */
    issue(img2, &other, KV_CARD_USER, UTILITY, 8001, METER_A);
    rb.cleared = 0;
    rb.events[0] = 3;
    KV_CHECK(kv_readback_seal(&k, &other, &rb, rslot) == KV_OK);
    KV_CHECK(rslot[0] == 0x01);
    KV_CHECK(kv_readback_open(&k, &id, rslot, &rback) == KV_E_MAC);
    KV_CHECK(kv_readback_seal(&k, &id, &rb, rslot) == KV_OK);
    KV_CHECK(kv_readback_open(&k, &other, rslot, &rback) == KV_E_MAC);
    kv_meter_keys_wipe(&k);
    kv_meter_keys_wipe(&kb);
}

/* A parameter token sealed before the emergency allowance existed (the
 * code of the third revision, kept verbatim): params_token() on card 101
 * of meter A. */
static const char old_parameter_slot[] =
    "02010000000926b0f0fee96d5e132e9db9f9b80d0f93587702b0b3215810e10d8eac1c85d72e8c203e3855fa4bd9ffff";

/* The emergency allowance (fourth revision) is body byte 22 of the
 * parameter token, zero in every token sealed before: those open as
 * before with no allowance, and a token without one is sealed byte for
 * byte as before, so meters in the field take it.  Its readback (format
 * 3) reports the meter's allowance in the events' place; a parameter
 * card's readback of format 1 (a meter older than it) still opens. */
static const char old_parameter_readback[] =
    "0100010000000500000000000000000000000000000000000000000000000000000009000f0000001e0039b12c3022e5";

static void test_parameter_emergency_allowance(void)
{
    kv_meter_keys k, kb;
    kv_identity id, other;
    kv_token want, t;
    kv_readback rb, back;
    uint8_t img[KV_CARD_SIZE], slot[KV_SLOT_LEN], again[KV_SLOT_LEN];

    keys_for(&k, master1, UTILITY, METER_A, 1);
    keys_for(&kb, master1, UTILITY, meter_with_check(12345679), 1);
    issue(img, &id, KV_CARD_PARAMETER, UTILITY, 101, METER_A);
    want = params_token();
    /* old token: unchanged meaning, no allowance */
    from_hex(slot, old_parameter_slot, KV_SLOT_LEN);
    KV_CHECK(kv_token_open(&k, &id, slot, &t) == KV_OK);
    KV_CHECK(memcmp(&t, &want, sizeof t) == 0 && t.u.params.emergency_kwh == 0);
    KV_CHECK(kv_token_seal(&k, &id, &want, again) == KV_OK);
    KV_CHECK(memcmp(again, slot, KV_SLOT_LEN) == 0);
    /* with an allowance: it round-trips, changes the sealed bytes, and
     * stays bound to the meter and the card */
    want.u.params.emergency_kwh = 255;
    KV_CHECK(kv_token_seal(&k, &id, &want, again) == KV_OK);
    KV_CHECK(memcmp(again, slot, KV_SLOT_LEN) != 0);
    KV_CHECK(kv_token_open(&k, &id, again, &t) == KV_OK);
    KV_CHECK(memcmp(&t, &want, sizeof t) == 0);
    KV_CHECK(kv_token_open(&kb, &id, again, &t) == KV_E_MAC);
    issue(img, &other, KV_CARD_PARAMETER, UTILITY, 102, METER_A);
    KV_CHECK(kv_token_open(&k, &other, again, &t) == KV_E_MAC);
    /* a forged allowance: the MAC */
    for (unsigned i = 6; i < 38; i++) {
        again[i] ^= 0x01;
        KV_CHECK(kv_token_open(&k, &id, again, &t) == KV_E_MAC);
        again[i] ^= 0x01;
    }

    /* the readback of a parameter card: format 3 with the allowance */
    memset(&rb, 0, sizeof rb);
    rb.key_version = 1;
    rb.counter = 5;
    rb.last_seq = 9;
    rb.emergency = 500;
    rb.events[0] = 0x0F; /* not carried: the allowance takes their place */
    KV_CHECK(kv_readback_seal(&k, &id, &rb, slot) == KV_OK);
    KV_CHECK(slot[0] == 0x03 && kv_get_be32(slot + 36) == 500);
    KV_CHECK(kv_readback_open(&k, &id, slot, &back) == KV_OK);
    KV_CHECK(back.format == 3 && back.emergency == 500 && back.events[0] == 0 &&
             back.counter == 5 && back.last_seq == 9);
    /* not another card's, not changed */
    KV_CHECK(kv_readback_open(&k, &other, slot, &back) == KV_E_MAC);
    slot[39] ^= 0x01;
    KV_CHECK(kv_readback_open(&k, &id, slot, &back) == KV_E_MAC);
    /* a format 1 readback on a parameter card, written by a meter older
     * than format 3 (sealed by that code, kept verbatim): it opens, with
     * its events and no allowance */
    from_hex(slot, old_parameter_readback, KV_SLOT_LEN);
    KV_CHECK(kv_readback_open(&k, &id, slot, &back) == KV_OK);
    KV_CHECK(back.format == 1 && back.emergency == 0 && back.events[0] == 0x0F &&
             back.counter == 5);
    /* the allowance bytes of a format 3 readback on a user card: the MAC
     * covers the card type, so no readback passes for another card's */
    issue(img, &other, KV_CARD_USER, UTILITY, 101, METER_A);
    KV_CHECK(kv_readback_open(&k, &other, slot, &back) == KV_E_MAC);
    kv_meter_keys_wipe(&k);
    kv_meter_keys_wipe(&kb);
}

/* Two offices selling offline to copies of one card (a dump restored)
 * seal the same (meter, card, sequence, kind): with the issuer in the
 * counter block their keystreams differ. */
static void test_counter_block_issuer(void)
{
    kv_meter_keys k;
    kv_identity id;
    kv_token a, b, back;
    uint8_t img[KV_CARD_SIZE], sa[KV_SLOT_LEN], sb[KV_SLOT_LEN], cba[16], cbb[16];
    uint8_t pa[KV_TOKEN_BODY_LEN], pb[KV_TOKEN_BODY_LEN];
    int same_stream;

    keys_for(&k, master1, UTILITY, METER_A, 1);
    issue(img, &id, KV_CARD_USER, UTILITY, 1001, METER_A);
    a = credit_token(8, 20000, 5000);
    b = credit_token(8, 16000, 1000);
    b.u.credit.office = 4;

    /* first revision (no issuer): the same counter block, so the XOR of the
     * ciphertexts is the XOR of the bodies (the test can fail) */
    KV_CHECK(kv_token_seal(&k, &id, &a, sa) == KV_OK);
    KV_CHECK(kv_token_seal(&k, &id, &b, sb) == KV_OK);
    KV_CHECK(kv_token_counter_block(&id, sa, cba) == KV_OK);
    KV_CHECK(kv_token_counter_block(&id, sb, cbb) == KV_OK);
    KV_CHECK(memcmp(cba, cbb, 16) == 0);

    /* with the issuing office */
    a.issuer = 3;
    b.issuer = 4;
    KV_CHECK(kv_token_seal(&k, &id, &a, sa) == KV_OK);
    KV_CHECK(kv_token_seal(&k, &id, &b, sb) == KV_OK);
    KV_CHECK(kv_token_counter_block(&id, sa, cba) == KV_OK);
    KV_CHECK(kv_token_counter_block(&id, sb, cbb) == KV_OK);
    KV_CHECK(memcmp(cba, cbb, 16) != 0);
    KV_CHECK(memcmp(cba, cbb, 14) == 0); /* same meter, card, sequence, kind */
    KV_CHECK(kv_get_be16(cba + 14) == 3 << 1 && kv_get_be16(cbb + 14) == 4 << 1);
    {
        /* and the bodies' XOR is not the ciphertexts' */
        uint8_t x[KV_TOKEN_BODY_LEN];
        kv_put_be32(pa, a.u.credit.cumulative);
        kv_put_be32(pb, b.u.credit.cumulative);
        for (unsigned i = 0; i < 4; i++)
            x[i] = (uint8_t)(sa[6 + i] ^ sb[6 + i]);
        same_stream = (x[0] == (pa[0] ^ pb[0]) && x[1] == (pa[1] ^ pb[1]) &&
                       x[2] == (pa[2] ^ pb[2]) && x[3] == (pa[3] ^ pb[3]));
        KV_CHECK(!same_stream);
    }
    /* both open, each with its issuer */
    KV_CHECK(kv_token_open(&k, &id, sa, &back) == KV_OK && back.issuer == 3 &&
             back.u.credit.cumulative == 20000);
    KV_CHECK(kv_token_open(&k, &id, sb, &back) == KV_OK && back.issuer == 4);
    KV_CHECK(sa[46] == 0 && sa[47] == 3);
    /* the issuer is authenticated: changed, erased back to FF FF (passing
     * it off as a first-revision token), or swapped: refused */
    sa[47] = 4;
    KV_CHECK(kv_token_open(&k, &id, sa, &back) == KV_E_MAC);
    sa[46] = 0xFF;
    sa[47] = 0xFF;
    KV_CHECK(kv_token_open(&k, &id, sa, &back) == KV_E_MAC);
    sa[46] = 0x80; /* not an issuer number */
    sa[47] = 0x03;
    KV_CHECK(kv_token_open(&k, &id, sa, &back) == KV_E_MAC);
    /* the last issuer number still leaves the block counter room */
    a.issuer = KV_ISSUER_MAX;
    KV_CHECK(kv_token_seal(&k, &id, &a, sa) == KV_OK);
    KV_CHECK(kv_token_open(&k, &id, sa, &back) == KV_OK && back.issuer == KV_ISSUER_MAX);
    a.issuer = KV_ISSUER_MAX + 1;
    KV_CHECK(kv_token_seal(&k, &id, &a, sa) == KV_E_FIELD);
    kv_meter_keys_wipe(&k);
}

/* Provisioning block version 2 carries the transport key; version 1 stays
 * decodable; a version 2 block without a transport key is refused. */
static void test_provision_v2(void)
{
    kv_provision p, back;
    uint8_t blk[KV_PROVISION_LEN];
    provision_fields(&p, KV_PROVISION_V2, 3, 1, 1600);
    kv_derive_transport_key(master1, UTILITY, METER_A, 1, p.k_transport);
    KV_CHECK(kv_provision_encode(&p, blk) == KV_OK);
    KV_CHECK(blk[4] == 2 && memcmp(blk + 68, p.k_transport, 16) == 0);
    KV_CHECK(kv_provision_decode(blk, UTILITY, &back) == KV_OK);
    KV_CHECK(memcmp(&p, &back, sizeof p) == 0);
    for (unsigned i = 0; i < KV_PROVISION_LEN * 8; i += 5) {
        blk[i / 8] ^= (uint8_t)(1u << (i % 8));
        KV_CHECK(kv_provision_decode(blk, UTILITY, &back) == KV_E_PROVISION);
        blk[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    /* a reserved byte after the transport key, with a good CRC */
    blk[84] = 1;
    kv_put_be32(blk + 92, kv_crc32(blk, 92));
    KV_CHECK(kv_provision_decode(blk, UTILITY, &back) == KV_E_PROVISION);
    /* version 3 (unknown) */
    KV_CHECK(kv_provision_encode(&p, blk) == KV_OK);
    blk[4] = 3;
    kv_put_be32(blk + 92, kv_crc32(blk, 92));
    KV_CHECK(kv_provision_decode(blk, UTILITY, &back) == KV_E_PROVISION);
    /* a version 1 block with bytes where version 2 keeps the key */
    KV_CHECK(kv_provision_encode(&p, blk) == KV_OK);
    blk[4] = 1;
    kv_put_be32(blk + 92, kv_crc32(blk, 92));
    KV_CHECK(kv_provision_decode(blk, UTILITY, &back) == KV_E_PROVISION);
    /* no transport key in a version 2 block */
    memset(p.k_transport, 0, 16);
    KV_CHECK(kv_provision_encode(&p, blk) == KV_E_PROVISION);
    kv_provision_wipe(&p);
}

/* ---- random round trips ------------------------------------------------- */

static void test_random_round_trips(unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t master[16], img[KV_CARD_SIZE], slot[KV_SLOT_LEN];
        kv_meter_keys k;
        kv_identity id;
        kv_token t, back;
        for (int j = 0; j < 16; j++)
            master[j] = (uint8_t)rnd();
        uint32_t meter = meter_with_check(rnd() % 100000000u);
        if (meter == 0)
            meter = METER_A;
        keys_for(&k, master, 1 + rnd() % 0xFFFFFFFEu, meter, 1);
        issue(img, &id, KV_CARD_USER, 1 + rnd() % 1000, 1 + rnd() % 0xFFFFFFFEu, meter);
        uint32_t cum = rnd() & 0x7FFFFFFFu;
        t = credit_token(1 + rnd() % 0xFFFFFFFEu, cum, cum ? rnd() % cum : 0);
        KV_CHECK(kv_token_seal(&k, &id, &t, slot) == KV_OK);
        KV_CHECK(kv_token_open(&k, &id, slot, &back) == KV_OK);
        KV_CHECK(memcmp(&t, &back, sizeof t) == 0);
        kv_meter_keys_wipe(&k);
    }
}

unsigned kv_contract_tests(void)
{
    kvtest_failures = 0;
    test_aes_vectors();
    test_cmac_vectors();
    test_kdf();
    test_util();
    test_identity();
    test_token_round_trips();
    test_token_attacks();
    test_slot_states();
    test_load_rules();
    test_readback();
    test_tearing();
    test_psc();
    test_provision();
    test_old_format_still_opens();
    test_key_change_locks_out_old_key_holder();
    test_check_card_forged();
    test_clear_credit_card();
    test_parameter_emergency_allowance();
    test_counter_block_issuer();
    test_provision_v2();
    test_random_round_trips(200);
    kvtest_print_u32("checks: ", kvtest_checks);
    kvtest_print_u32("failures: ", kvtest_failures);
    return kvtest_failures;
}
