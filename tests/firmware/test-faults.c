/* test-faults.c - every bounded hardware wait, with the device never
 * answering, and what the meter does about it.
 *
 *   EEPROM      no chip acknowledges (SDA pulled up), and the bus stuck low
 *               (no chip, no pull-up: what QEMU's unmodelled GPIO reads):
 *               reads and writes fail after a bounded number of clocks
 *   metering IC the SPI transfer never completes, and a chip that answers
 *               nothing but 00 or FF: a fault sample with no energy, the
 *               relay opens, and follows the credit again when it answers
 *   card        a card whose I/O never rises from processing, and one
 *               that never drives I/O: bounded clocks, Err 21
 *   clock       the board reports the crystal failed: event, counter,
 *               fault page; the relay follows the credit
 *   watchdog    a watchdog reset counts and logs, nothing else changes;
 *               the refresh gate opens only when every task progressed
 */
#include <stdio.h>
#include <string.h>

#include "att7022e.h"
#include "eeprom_at24.h"
#include "fwmeter.h"
#include "icc_sle4442.h"
#include "kvtest.h"
#include "wdog_gate.h"

void kvtest_puts(const char *s)
{
    fputs(s, stdout);
}

/* ---- an I2C bus with nothing answering ---------------------------------- */

static struct {
    int sda_level;    /* what SDA reads when released: 1 pull-up, 0 stuck */
    unsigned clocks;  /* SCL rising edges */
    int scl;
} bus;

static void b_scl(void *c, int v)
{
    (void)c;
    if (v && !bus.scl)
        bus.clocks++;
    bus.scl = v;
}
static void b_sda(void *c, int v) { (void)c; (void)v; }
static int b_sda_in(void *c) { (void)c; return bus.sda_level; }
static void b_delay(void *c, unsigned us) { (void)c; (void)us; }

static void eeprom_never_answers(void)
{
    static const i2c_gpio i2c = {NULL, b_scl, b_sda, b_sda_in, b_delay};
    eeprom_at24 e;
    uint8_t buf[16] = {0};
    eeprom_at24_init(&e, &i2c, 0x50, 32768);
    for (int level = 1; level >= 0; level--) {
        memset(&bus, 0, sizeof bus);
        bus.sda_level = level;
        KV_CHECK(eeprom_at24_read(&e, 0x80, buf, sizeof buf) == -1);
        KV_CHECK(eeprom_at24_write(&e, 0x80, buf, sizeof buf) == -1);
        /* no ACK: 100 polls of START, 9 clocks and STOP; stuck low: 9 clocks
         * of bus recovery, then nothing more */
        KV_CHECK(bus.clocks <= 2 * 100 * 12);
        if (level == 0)
            KV_CHECK(bus.clocks <= 2 * 10);
    }
}

/* ---- a metering IC that never answers ----------------------------------- */

static struct {
    int mode;   /* 0 healthy, 1 SPI never completes, 2 reads all zero, 3 all FF */
    uint32_t epa;
    uint8_t cmd;
    unsigned n;
    unsigned xfers;
} att_chip;

static void a_sel(void *c, int on)
{
    (void)c;
    (void)on;
    att_chip.n = 0;
}
static int a_xfer(void *c, uint8_t out)
{
    uint32_t v = 0;
    (void)c;
    att_chip.xfers++;
    if (att_chip.mode == 1)
        return -1;
    if (att_chip.mode == 2)
        return 0;
    if (att_chip.mode == 3)
        return 0xFF;
    if (att_chip.n++ == 0) {
        att_chip.cmd = out;
        return 0;
    }
    if (att_chip.cmd == ATT_R_DEVICE_ID)
        v = ATT_DEVICE_ID;
    else if (att_chip.cmd == ATT_R_EPA)
        v = att_chip.epa;
    return (uint8_t)(v >> (8 * (4 - att_chip.n)));
}
static void a_delay(void *c, unsigned us) { (void)c; (void)us; }

static void metering_ic_never_answers(void)
{
    att7022e_spi spi = {NULL, a_sel, a_xfer, a_delay};
    att7022e a;
    meter_sample s;
    memset(&att_chip, 0, sizeof att_chip);
    for (int mode = 1; mode <= 3; mode++) {
        att_chip.mode = mode;
        att_chip.xfers = 0;
        KV_CHECK(att7022e_init(&a, &spi, 0x120, 1000) == -1);
        memset(&s, 0, sizeof s);
        att7022e_sample(&a, &s);
        KV_CHECK(s.fault == METER_FAULT_METERING);
        KV_CHECK(s.pulses[0] == 0 && s.reverse[0] == 0 && s.power_w == 0);
        KV_CHECK(att_chip.xfers < 40); /* a fixed number of transfers, no retry loop */
    }
    /* it answers again: set up anew, the first sample is a reference only */
    att_chip.mode = 0;
    att_chip.epa = 500;
    att7022e_sample(&a, &s);
    KV_CHECK(s.fault == METER_FAULT_METERING); /* this one set it up */
    att7022e_sample(&a, &s);
    KV_CHECK(s.fault == 0 && s.pulses[0] == 0);
    att_chip.epa = 530;
    att7022e_sample(&a, &s);
    KV_CHECK(s.fault == 0 && s.pulses[0] == 30);
    /* and stops answering mid-run: no energy is made up of it */
    att_chip.mode = 2;
    att7022e_sample(&a, &s);
    KV_CHECK(s.fault == METER_FAULT_METERING && s.pulses[0] == 0);
}

/* ---- the meter on the host board ---------------------------------------- */

static host_board board;
static fw_office office;
static uint8_t prov[KV_PROVISION_LEN];

static void fresh_meter(uint32_t credit)
{
    sle4442 card;
    fw_meter_loaded(&board, &office, prov, &card, credit);
    KV_CHECK(board.m.st.cumulative_loaded == credit);
    meter_button(&board.m); /* clears the card message */
}

static void show_faults(void)
{
    for (unsigned i = 0; i < 9; i++)
        meter_button(&board.m);
}

static void metering_fault_opens_relay(void)
{
    meter_sample s;
    int32_t before;
    fresh_meter(5000);
    KV_CHECK(board.relay_cmd == 1);
    memset(&s, 0, sizeof s);
    s.ms = 1000;
    s.fault = METER_FAULT_METERING;
    meter_tick(&board.m, &s);
    KV_CHECK(board.relay_cmd == 0); /* no unmetered energy */
    KV_CHECK(board.m.st.events[0] == METER_EV_METERING_FAULT);
    before = board.m.st.remaining;
    for (int i = 0; i < 5; i++)
        meter_tick(&board.m, &s);
    KV_CHECK(board.m.st.events[1] != METER_EV_METERING_FAULT); /* logged once */
    KV_CHECK(board.m.st.remaining == before);                  /* nothing charged */
    show_faults();
    KV_CHECK(strcmp(board.text, "FLt --n-") == 0);
    /* answers again: the credit decides once it has answered a while */
    s.fault = 0;
    for (int i = 1; i < METER_METERING_SETTLE; i++) {
        meter_tick(&board.m, &s);
        KV_CHECK(board.relay_cmd == 0);
    }
    meter_tick(&board.m, &s);
    KV_CHECK(board.relay_cmd == 1);
    KV_CHECK(strcmp(board.text, "FLt ----") == 0);
    /* comes and goes: the relay stays open (no chatter), logged and saved
     * once per power-up, not each time */
    {
        unsigned writes = board.nv_bytes_written;
        uint8_t ev0 = board.m.st.events[0];
        for (int i = 0; i < 40; i++) {
            s.fault = (uint8_t)(i % 3 ? 0 : METER_FAULT_METERING);
            meter_tick(&board.m, &s);
            KV_CHECK(board.relay_cmd == 0);
        }
        KV_CHECK(board.m.st.events[0] == ev0);
        KV_CHECK(board.nv_bytes_written == writes);
    }
}

static void clock_fault_keeps_supply(void)
{
    fresh_meter(5000);
    meter_fault(&board.m, METER_FAULT_CLOCK);
    KV_CHECK(board.m.st.events[0] == METER_EV_CLOCK_FAULT);
    KV_CHECK(board.m.st.clock_faults == 1);
    KV_CHECK(board.relay_cmd == 1);
    show_faults();
    KV_CHECK(strcmp(board.text, "FLt C---") == 0);
    /* counted once per power-up, kept across power cuts */
    meter_fault(&board.m, METER_FAULT_CLOCK);
    KV_CHECK(board.m.st.clock_faults == 1);
    host_board_boot(&board, prov);
    KV_CHECK(board.m.st.clock_faults == 1);
    KV_CHECK(board.m.run.faults == 0);
    meter_fault(&board.m, METER_FAULT_CLOCK);
    KV_CHECK(board.m.st.clock_faults == 2);
}

static void eeprom_dead_keeps_supply(void)
{
    meter_sample s;
    fresh_meter(5000);
    board.nv_fail = 1;
    memset(&s, 0, sizeof s);
    s.ms = 1000;
    s.pulses[0] = 200; /* 0.2 kWh at EC 1000: a save is due */
    meter_tick(&board.m, &s);
    KV_CHECK(board.m.run.faults & METER_FAULT_NV);
    KV_CHECK(board.m.run.save_pending);
    KV_CHECK(board.relay_cmd == 1); /* the credit in RAM decides */
    board.nv_fail = 0;
    s.pulses[0] = 0;
    meter_tick(&board.m, &s);
    KV_CHECK(!board.m.run.save_pending); /* retried and saved, event included */
    host_board_boot(&board, prov);
    KV_CHECK(board.m.st.events[1] == METER_EV_NV_FAULT);
}

/* A card in the slot that never drives I/O (io reads `level` whatever
 * happens): the driver gives up after a fixed number of clocks. */
static struct {
    int level;
    unsigned clocks;
} dead;

static void d_power(void *c, int on) { (void)c; (void)on; }
static void d_line(void *c, int v) { (void)c; (void)v; }
static void d_clk(void *c, int v) { (void)c; dead.clocks += (unsigned)(v != 0); }
static int d_io(void *c) { (void)c; return dead.level; }
static int d_detect(void *c) { (void)c; return 1; }
static void d_delay(void *c, unsigned us) { (void)c; (void)us; }

static void card_never_answers(void)
{
    icc_sle4442_gpio g = {NULL, d_power, d_line, d_clk, d_line, d_io, d_detect, d_delay};
    icc_sle4442 drv;
    meter_card_ops ops;
    uint8_t image[256];
    unsigned tries;
    static const uint8_t psc[3] = {1, 2, 3};
    icc_sle4442_init(&drv, &g);
    icc_sle4442_card_ops(&drv, &ops);
    for (int level = 1; level >= 0; level--) {
        dead.level = level;
        dead.clocks = 0;
        /* no answer to reset: all ones, or all zeros */
        KV_CHECK(ops.read(ops.ctx, image) == METER_CARD_IO);
        /* processing that never ends (I/O held low), or never starts */
        KV_CHECK(ops.write_byte(ops.ctx, 0x40, 0x12) == METER_CARD_IO);
        KV_CHECK(ops.verify(ops.ctx, psc, &tries) != METER_CARD_OK);
        KV_CHECK(dead.clocks <= 3 * (ICC_SLE4442_PROC_CAP + 64));
    }
}

/* A card stuck in processing: I/O held low for ever.  The driver stops
 * after its cap of clocks. */
static void card_processing_never_ends(void)
{
    sle4442 card;
    fresh_meter(5000);
    fw_card_issue(&card, &office, KV_CARD_USER, 1001);
    fw_card_sell(&card, &office, 1000, -1);
    board.wire.proc_clocks = 100000; /* far beyond the driver's cap */
    KV_CHECK(host_board_insert(&board, &card) == METER_E_CARD_IO);
    KV_CHECK(board.icc.last_proc == ICC_SLE4442_PROC_CAP);
    KV_CHECK(board.m.run.faults & METER_FAULT_CARD);
    host_board_remove(&board, NULL);
}

static void watchdog_reset_counted(void)
{
    int32_t rem;
    fresh_meter(5000);
    rem = board.m.st.remaining;
    meter_init_reset(&board.m, &board.card_ops, &board.nv_ops, &board.sec_ops, &board.out_ops,
                     METER_RESET_WATCHDOG);
    KV_CHECK(board.m.st.wdog_resets == 1);
    KV_CHECK(board.m.st.events[0] == METER_EV_POWER_ON);
    KV_CHECK(board.m.st.events[1] == METER_EV_WATCHDOG);
    KV_CHECK(board.m.st.remaining == rem);
    host_board_boot(&board, prov);
    KV_CHECK(board.m.st.wdog_resets == 1); /* saved with the state */
}

static void watchdog_gate(void)
{
    wdog_gate g;
    wdog_gate_init(&g, 3);
    KV_CHECK(!wdog_gate_due(&g));
    wdog_gate_progress(&g, 1);
    KV_CHECK(!wdog_gate_due(&g)); /* one task alone keeps nothing alive */
    wdog_gate_progress(&g, 1);
    KV_CHECK(!wdog_gate_due(&g));
    wdog_gate_progress(&g, 2);
    KV_CHECK(wdog_gate_due(&g));
    KV_CHECK(!wdog_gate_due(&g)); /* shut again until both progress again */
    KV_CHECK(g.refreshes == 1);
}

int main(void)
{
    static void (*const tests[])(void) = {
        eeprom_never_answers, metering_ic_never_answers, metering_fault_opens_relay,
        clock_fault_keeps_supply, eeprom_dead_keeps_supply, card_never_answers,
        card_processing_never_ends, watchdog_reset_counted, watchdog_gate,
    };
    for (unsigned i = 0; i < sizeof tests / sizeof tests[0]; i++)
        tests[i]();
    printf("faults: %u checks, %u failed\n", kvtest_checks, kvtest_failures);
    return kvtest_failures ? 1 : 0;
}
