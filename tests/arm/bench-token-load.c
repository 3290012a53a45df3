/* bench-token-load.c - instructions a Cortex-M3 spends to validate and load
 * one credit token: kv_card_decode (identity, both token slots, both
 * readback slots) plus kv_credit_load.  Run under QEMU with -icount shift=0
 * (one instruction per ns); the CMSDK timer ticks at 25 MHz, so one tick is
 * 40 instructions.  Prints the count through semihosting. */
#include <stdint.h>
#include <string.h>

#include "kv_card.h"
#include "kv_cmac.h"
#include "kv_util.h"
#include "semihost.h"

#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)

static void put_dec(uint32_t v)
{
    char buf[12];
    int i = 11;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    semihost_write0(buf + i);
}

static void timer_start(void)
{
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1;
    __asm__ volatile("" ::: "memory");
}

static uint32_t timer_read(void)
{
    uint32_t v;
    __asm__ volatile("" ::: "memory");
    v = TIMER0_VALUE;
    __asm__ volatile("" ::: "memory");
    return v;
}

static void report(const char *what, uint32_t t0, uint32_t t1)
{
    semihost_write0(what);
    put_dec((t0 - t1) * 40u);
    semihost_write0("\n");
}

/* What the parts cost: one block, one key schedule, one CMAC of 64 bytes,
 * a wipe of 256 bytes (x10 each, in tens of instructions per call). */
static void parts(void)
{
    static uint8_t buf[256], key[16] = {1};
    kv_aes128_ctx a;
    uint32_t t0;
    kv_aes128_init(&a, key);
    timer_start();
    t0 = timer_read();
    for (int i = 0; i < 10; i++)
        kv_aes128_encrypt(&a, buf, buf);
    report("  x10 AES-128 block: ", t0, timer_read());
    t0 = timer_read();
    for (int i = 0; i < 10; i++)
        kv_aes128_init(&a, buf);
    report("  x10 AES-128 key schedule: ", t0, timer_read());
    t0 = timer_read();
    for (int i = 0; i < 10; i++)
        kv_cmac(key, buf, 64, buf);
    report("  x10 CMAC of 64 bytes (key schedule included): ", t0, timer_read());
    t0 = timer_read();
    for (int i = 0; i < 10; i++)
        kv_wipe(buf, sizeof buf);
    report("  x10 wipe of 256 bytes: ", t0, timer_read());
    kv_aes128_wipe(&a);
}

/* The budget of a token validate+load on the meter (the test
 * token-load-budget-arm fails above it). */
#define TOKEN_LOAD_BUDGET 20000u

static int loaded; /* the measured load went through, and loaded */

static uint32_t measure(kv_meter_keys *k, const uint8_t *img, int with_load)
{
    kv_card_view v;
    int32_t nr = 0;
    uint32_t nc = 0, t0, t1;
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1;
    __asm__ volatile("" ::: "memory");
    t0 = TIMER0_VALUE;
    __asm__ volatile("" ::: "memory");
    if (with_load) {
        loaded = kv_card_decode(k, img, &v) == KV_OK && v.token_err == KV_OK &&
                 kv_credit_load(&v.token.u.credit, 100, 0, 100000, &nr, &nc) == KV_OK &&
                 nc == 10000;
    }
    __asm__ volatile("" ::: "memory");
    t1 = TIMER0_VALUE;
    __asm__ volatile("" ::: "memory");
    return (t0 - t1) * 40u;
}

int main(void)
{
    static const uint8_t master[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    kv_identity id = {KV_FORMAT_VERSION, KV_CARD_USER, 4711, 42, 123456782u, 1};
    kv_meter_keys k;
    uint8_t km[16], kp[16], img[KV_CARD_SIZE];
    kv_derive_meter_key(master, 4711, 123456782u, 1, km);
    kv_derive_psc_key(master, 4711, 123456782u, 1, kp);
    kv_meter_keys_init(&k, km, 1, kp);
    memset(img, 0xFF, sizeof img);
    kv_identity_encode(&id, img + KV_ID_OFF);
    for (uint32_t s = 1; s <= 2; s++) {
        kv_token t = {.kind = KV_TOKEN_CREDIT, .key_version = 1, .seq = s};
        t.u.credit.cumulative = 5000 * s;
        t.u.credit.amount = 5000;
        kv_token_seal(&k, &id, &t, img + (s == 1 ? KV_TOKEN_A : KV_TOKEN_B));
    }
    kv_readback rb = {.key_version = 1, .counter = 1, .remaining = 100, .cumulative_loaded = 0};
    kv_readback_seal(&k, &id, &rb, img + KV_READBACK_A);

    uint32_t empty = measure(&k, img, 0);
    uint32_t full = measure(&k, img, 1);
    semihost_write0("instructions to validate and load one token (Cortex-M3): ");
    put_dec(full - empty);
    semihost_write0("\n");
    parts();
    kv_meter_keys_wipe(&k);
    if (!loaded) {
        semihost_write0("FAIL: the token did not load\n");
        return 2;
    }
    if (full - empty > TOKEN_LOAD_BUDGET) {
        semihost_write0("FAIL: over the budget of 20000 instructions\n");
        return 1;
    }
    return 0;
}
