/* test-wire.c - the SLE4442 wire driver against the chip's wire-level
 * front end: reset and ATR, reads, writes, the PSC sequence, processing
 * lengths from 124 to 301 clocks, and the card pulled mid-command at every
 * clock of a write. */
#include <stdio.h>
#include <string.h>

#include "icc_sle4442.h"
#include "kvtest.h"
#include "sle4442.h"
#include "sle4442_wire.h"
#include "stackscan.h"

void kvtest_puts(const char *s)
{
    fputs(s, stdout);
}

static sle4442 chip;
static sle_wire wire;
static icc_sle4442 drv;
static unsigned power_ons;

static void g_power(void *ctx, int on)
{
    (void)ctx;
    if (on && wire.present) {
        sle_wire_insert(&wire);
        power_ons++;
    }
}
static void g_rst(void *ctx, int v) { (void)ctx; sle_wire_set_rst(&wire, v); }
static void g_clk(void *ctx, int v) { (void)ctx; sle_wire_set_clk(&wire, v); }
static void g_io(void *ctx, int v) { (void)ctx; sle_wire_set_io(&wire, v); }
static int g_io_read(void *ctx) { (void)ctx; return sle_wire_io(&wire); }
static int g_detect(void *ctx) { (void)ctx; return wire.present; }
static void g_delay(void *ctx, unsigned us) { (void)ctx; (void)us; }

static const uint8_t atr[4] = {0xA2, 0x13, 0x10, 0x91};
static const uint8_t psc[3] = {0x12, 0x34, 0x56};

static void fresh(unsigned proc)
{
    icc_sle4442_gpio g = {NULL, g_power, g_rst, g_clk, g_io, g_io_read, g_detect, g_delay};
    sle_init_blank(&chip, atr, psc);
    for (unsigned i = 4; i < 256; i++)
        chip.main[i] = (uint8_t)(i * 7 + 3);
    sle_wire_init(&wire, &chip, proc);
    sle_wire_insert(&wire);
    icc_sle4442_init(&drv, &g);
}

static void test_reset_and_reads(void)
{
    uint8_t buf[256], sec[4], prot[4];
    fresh(301);
    KV_CHECK(icc_sle4442_reset(&drv) == METER_CARD_OK);
    KV_CHECK(memcmp(drv.atr, atr, 4) == 0);
    KV_CHECK(icc_sle4442_read_main(&drv, 0, buf, 256) == METER_CARD_OK);
    KV_CHECK(memcmp(buf, chip.main, 256) == 0);
    /* a read from the middle, broken off after 5 bytes, then another */
    KV_CHECK(icc_sle4442_read_main(&drv, 0x80, buf, 5) == METER_CARD_OK);
    KV_CHECK(memcmp(buf, chip.main + 0x80, 5) == 0);
    KV_CHECK(icc_sle4442_read_main(&drv, 255, buf, 1) == METER_CARD_OK);
    KV_CHECK(buf[0] == chip.main[255]);
    KV_CHECK(icc_sle4442_read_security(&drv, sec) == METER_CARD_OK);
    KV_CHECK(sec[0] == 7 && sec[1] == 0 && sec[2] == 0 && sec[3] == 0); /* PSC hidden */
    KV_CHECK(icc_sle4442_read_protection(&drv, prot) == METER_CARD_OK);
    KV_CHECK(prot[0] == 0xFF && prot[3] == 0xFF);
    KV_CHECK(icc_sle4442_read_main(&drv, 0, buf, 4) == METER_CARD_OK);
    KV_CHECK(memcmp(buf, atr, 4) == 0);
    /* no card: no answer to reset */
    sle_wire_remove(&wire);
    KV_CHECK(icc_sle4442_reset(&drv) == METER_CARD_ABSENT);
}

static void test_psc_and_writes(void)
{
    const uint8_t wrong[3] = {0x12, 0x34, 0x57};
    uint8_t sec[4], b;
    unsigned tries = 0;
    fresh(301);
    KV_CHECK(icc_sle4442_reset(&drv) == METER_CARD_OK);
    /* before verification a write is refused: the read-back shows it */
    KV_CHECK(icc_sle4442_update_main(&drv, 0x40, 0x5A) == METER_CARD_WRITE);
    KV_CHECK(chip.main[0x40] == (uint8_t)(0x40 * 7 + 3));
    /* a wrong PSC spends a try */
    KV_CHECK(icc_sle4442_verify_psc(&drv, wrong, &tries) == METER_CARD_PSC);
    KV_CHECK(tries == 3);
    KV_CHECK(sle_tries_left(&chip) == 2);
    /* the right one gives it back and unlocks writes */
    KV_CHECK(icc_sle4442_verify_psc(&drv, psc, &tries) == METER_CARD_OK);
    KV_CHECK(tries == 2);
    KV_CHECK(sle_tries_left(&chip) == 3);
    KV_CHECK(icc_sle4442_read_security(&drv, sec) == METER_CARD_OK);
    KV_CHECK(sec[0] == 7 && sec[1] == 0x12 && sec[2] == 0x34 && sec[3] == 0x56);
    KV_CHECK(icc_sle4442_update_main(&drv, 0x40, 0x5A) == METER_CARD_OK);
    KV_CHECK(chip.main[0x40] == 0x5A);
    KV_CHECK(icc_sle4442_read_main(&drv, 0x40, &b, 1) == METER_CARD_OK && b == 0x5A);
    KV_CHECK(chip.writes[0x40] == 1);
    /* a protected byte: the update is refused, the read-back says so */
    sle_write_prot(&chip, 0x10, chip.main[0x10]);
    KV_CHECK(icc_sle4442_update_main(&drv, 0x10, 0x00) == METER_CARD_WRITE);
    /* three wrong tries lock the card for good */
    fresh(301);
    KV_CHECK(icc_sle4442_reset(&drv) == METER_CARD_OK);
    for (int i = 0; i < 3; i++)
        KV_CHECK(icc_sle4442_verify_psc(&drv, wrong, &tries) == METER_CARD_PSC);
    KV_CHECK(icc_sle4442_verify_psc(&drv, psc, &tries) == METER_CARD_LOCKED);
    KV_CHECK(tries == 0);
    /* power off loses the verification */
    fresh(301);
    KV_CHECK(icc_sle4442_reset(&drv) == METER_CARD_OK);
    KV_CHECK(icc_sle4442_verify_psc(&drv, psc, &tries) == METER_CARD_OK);
    icc_sle4442_power_off(&drv);
    KV_CHECK(icc_sle4442_reset(&drv) == METER_CARD_OK);
    KV_CHECK(icc_sle4442_update_main(&drv, 0x41, 0x00) == METER_CARD_WRITE);
}

/* Once the card accepted the PSC, reading its security memory returns the
 * PSC itself: the driver must not leave that copy on its stack. */
static void test_psc_not_left_behind(void)
{
    unsigned tries = 0;
    fresh(200);
    KV_CHECK(icc_sle4442_reset(&drv) == METER_CARD_OK);
    stackscan_fill();
    KV_CHECK(icc_sle4442_verify_psc(&drv, psc, &tries) == METER_CARD_OK);
    KV_CHECK(stackscan_find(psc, 3) < 0);
}

static void test_processing_lengths(void)
{
    unsigned tries;
    for (unsigned proc = SLE_WIRE_PROC_MIN; proc <= SLE_WIRE_PROC_MAX; proc++) {
        fresh(proc);
        KV_CHECK(icc_sle4442_reset(&drv) == METER_CARD_OK);
        KV_CHECK(icc_sle4442_verify_psc(&drv, psc, &tries) == METER_CARD_OK);
        KV_CHECK(drv.last_proc == proc); /* the compare/EC erase */
        KV_CHECK(icc_sle4442_update_main(&drv, 0x90, (uint8_t)proc) == METER_CARD_OK);
        KV_CHECK(drv.last_proc == proc);
        KV_CHECK(chip.main[0x90] == (uint8_t)proc);
    }
    /* a card that never ends processing hits the cap */
    fresh(301);
    KV_CHECK(icc_sle4442_reset(&drv) == METER_CARD_OK);
    KV_CHECK(icc_sle4442_verify_psc(&drv, psc, &tries) == METER_CARD_OK);
    drv.proc_cap = 100;
    KV_CHECK(icc_sle4442_update_main(&drv, 0x91, 0x11) == METER_CARD_IO);
}

static void test_pulled(void)
{
    /* Pull the card at every clock of a verified update: the driver must
     * report it, and the byte is old, erased or new, nothing else. */
    unsigned tries, seen_old = 0, seen_ff = 0, seen_new = 0, n;
    const uint8_t old = (uint8_t)(0xA0 * 7 + 3), val = 0x42;
    for (n = 1; n < 26 + 301 + 20; n++) {
        meter_card_result r;
        fresh(301);
        KV_CHECK(icc_sle4442_reset(&drv) == METER_CARD_OK);
        KV_CHECK(icc_sle4442_verify_psc(&drv, psc, &tries) == METER_CARD_OK);
        wire.pull_after = n;
        r = icc_sle4442_update_main(&drv, 0xA0, val);
        if (chip.main[0xA0] == old)
            seen_old++;
        else if (chip.main[0xA0] == 0xFF)
            seen_ff++;
        else if (chip.main[0xA0] == val)
            seen_new++;
        else
            KV_CHECK(!"byte neither old, erased nor new");
        if (wire.present) {
            KV_CHECK(r == METER_CARD_OK); /* the pull came after the read-back */
        } else {
            KV_CHECK(r == METER_CARD_ABSENT);
            KV_CHECK(r == METER_CARD_ABSENT || chip.main[0xA0] == val);
        }
    }
    KV_CHECK(seen_old > 0 && seen_ff > 0 && seen_new > 0);
    /* pulled in the middle of the ATR and of a read */
    for (n = 1; n <= 33; n++) { /* the reset clock and the 32 ATR clocks */
        fresh(301);
        sle_wire_remove(&wire);
        sle_wire_insert(&wire);
        wire.pull_after = n;
        KV_CHECK(icc_sle4442_reset(&drv) != METER_CARD_OK);
    }
    {
        uint8_t buf[256];
        fresh(301);
        KV_CHECK(icc_sle4442_reset(&drv) == METER_CARD_OK);
        wire.pull_after = 500;
        KV_CHECK(icc_sle4442_read_main(&drv, 0, buf, 256) == METER_CARD_ABSENT);
    }
    /* pulled during the PSC sequence: a try may be spent, never gained */
    for (n = 1; n < 6 * 330; n += 7) {
        meter_card_result r;
        fresh(301);
        KV_CHECK(icc_sle4442_reset(&drv) == METER_CARD_OK);
        wire.pull_after = n;
        r = icc_sle4442_verify_psc(&drv, psc, &tries);
        KV_CHECK(r == METER_CARD_ABSENT || r == METER_CARD_OK);
        KV_CHECK(sle_tries_left(&chip) >= 2);
    }
}

int main(void)
{
    test_reset_and_reads();
    test_psc_and_writes();
    test_psc_not_left_behind();
    test_processing_lengths();
    test_pulled();
    printf("wire driver: %u checks, %u failed\n", kvtest_checks, kvtest_failures);
    return kvtest_failures ? 1 : 0;
}
