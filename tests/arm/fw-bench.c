/* fw-bench.c - instruction counts and stack depth of the meter on
 * Cortex-M3 under QEMU -icount shift=0 (one instruction per ns; the CMSDK
 * timer at 25 MHz ticks once per 40 instructions).  Run by
 * tools/bench-firmware.sh. */
#include <string.h>

#include "fwcards.h"
#include "host_board.h"
#include "kvtest.h"
#include "semihost.h"

void kvtest_puts(const char *s)
{
    semihost_write0(s);
}

#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
#define PAINT 0xA5A5A5A5u
#define PAINT_WORDS 4096u

static host_board rig;
static fw_office office;
static sle4442 card, card_direct;
static uint8_t prov[KV_PROVISION_LEN];

static uint32_t now(void)
{
    __asm__ volatile("" ::: "memory");
    return TIMER0_VALUE;
}

static uint32_t instructions(uint32_t start)
{
    uint32_t end = now();
    return (start - end) * 40u;
}

/* Paint the stack below us; return the address we painted down to. */
static uint32_t *paint(void)
{
    uint32_t sp, *p;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    p = (uint32_t *)((sp - 256u) & ~3u);
    for (unsigned i = 0; i < PAINT_WORDS; i++)
        *(p - i) = PAINT;
    return p;
}

static unsigned depth(const uint32_t *top)
{
    unsigned i = PAINT_WORDS;
    while (i > 0 && *(top - (i - 1)) == PAINT)
        i--;
    return i * 4u + 256u;
}

/* Card ops straight on the chip model: the core's own cost, no wire. */
static meter_card_result d_read(void *ctx, uint8_t image[256])
{
    (void)ctx;
    sle_power_on(&card_direct);
    memcpy(image, card_direct.main, 256);
    return METER_CARD_OK;
}
static meter_card_result d_verify(void *ctx, const uint8_t psc[3], unsigned *tries)
{
    (void)ctx;
    *tries = sle_tries_left(&card_direct);
    return sle_verify_psc(&card_direct, psc) == SLE_OK ? METER_CARD_OK : METER_CARD_PSC;
}
static meter_card_result d_write(void *ctx, unsigned addr, uint8_t v)
{
    (void)ctx;
    return sle_update_main(&card_direct, addr, v) == SLE_OK ? METER_CARD_OK : METER_CARD_WRITE;
}
static void d_release(void *ctx) { (void)ctx; }

int main(void)
{
    uint32_t t, *top;
    meter_sample s;
    unsigned d;

    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1u;

    fw_office_init(&office, 0x4B560001u, 12345678);
    fw_office_provision(&office, 2000, 500, 100000, 0, 30, prov);
    host_board_init(&rig, 301);

    top = paint();
    t = now();
    host_board_boot(&rig, prov);
    kvtest_print_u32("boot instructions: ", instructions(t));
    kvtest_print_u32("boot stack bytes: ", depth(top));

    fw_card_issue(&card, &office, KV_CARD_USER, 1001);
    fw_card_sell(&card, &office, 5000, -1);
    card_direct = card;

    /* the whole load: wire driver bit-banging the chip model (the model's
     * own instructions are included) */
    top = paint();
    rig.card_wait_us = 0;
    rig.card_bytes_written = 0;
    t = now();
    KV_CHECK(host_board_insert(&rig, &card) == KV_OK);
    t = instructions(t);
    kvtest_print_u32("card load via wire model, instructions: ", t);
    d = depth(top);
    /* The insertion in time at the meter: the wire at the driver's clock
     * (SLE4442: 7..50 kHz; 12 us half periods, 42 kHz), processing of 301
     * clocks a byte (the longest a card takes), and the CPU at 72 MHz for
     * the instructions beyond the model's (the core's share, below). */
    kvtest_print_u32("card insertion, wire time at the meter (us): ", (uint32_t)rig.card_wait_us);
    kvtest_print_u32("  card bytes written: ", rig.card_bytes_written);
    kvtest_print_u32("  of which the card's own erase+write processing (us): ",
                     rig.card_bytes_written * 301u * 2u * ICC_SLE4442_HALF_PERIOD_US);
    kvtest_print_u32("card load stack bytes: ", d);
    host_board_remove(&rig, &card);

    /* the core's share: card ops straight on the chip */
    fw_card_sell(&card_direct, &office, 1000, -1);
    rig.card_ops = (meter_card_ops){NULL, d_read, d_verify, d_write, d_release};
    rig.m.card = rig.card_ops;
    top = paint();
    t = now();
    KV_CHECK(meter_card_inserted(&rig.m) == KV_OK);
    t = instructions(t);
    kvtest_print_u32("card load, core + crypto only, instructions: ", t);
    kvtest_print_u32("  at 72 MHz (us, about one instruction a cycle): ", t / 72u);
    kvtest_print_u32("card load core stack bytes: ", depth(top));

    /* metering ticks: 6 kW over three phases at EC 1000 (about 1.7
     * pulses per phase per second) */
    memset(&s, 0, sizeof s);
    s.ms = 1000;
    s.phase_ok = 7;
    s.power_w = 6000;
    top = paint();
    t = now();
    for (unsigned i = 0; i < 1000; i++) {
        s.pulses[0] = 1 + (i % 3 == 0);
        s.pulses[1] = 1 + (i % 2);
        s.pulses[2] = i % 2;
        meter_tick(&rig.m, &s);
    }
    kvtest_print_u32("metering tick, average instructions (incl. NV saves): ",
                     instructions(t) / 1000u);
    kvtest_print_u32("metering tick stack bytes: ", depth(top));
    return kvtest_failures ? 1 : 0;
}
