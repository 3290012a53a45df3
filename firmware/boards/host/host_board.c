/* host_board.c - the meter on a PC (see host_board.h). */
#include "host_board.h"

#include <string.h>

#include "kv_util.h"

/* ---- card slot: GPIO lines into the chip's wire front end --------------- */

static void g_power(void *ctx, int on)
{
    host_board *b = ctx;
    if (on && b->wire.present)
        sle_wire_insert(&b->wire); /* power-on reset of the chip */
}
static void g_rst(void *ctx, int v) { sle_wire_set_rst(&((host_board *)ctx)->wire, v); }
static void g_clk(void *ctx, int v) { sle_wire_set_clk(&((host_board *)ctx)->wire, v); }
static void g_io(void *ctx, int v) { sle_wire_set_io(&((host_board *)ctx)->wire, v); }
static int g_io_read(void *ctx) { return sle_wire_io(&((host_board *)ctx)->wire); }
static int g_detect(void *ctx) { return ((host_board *)ctx)->wire.present; }
static void g_delay(void *ctx, unsigned us) { ((host_board *)ctx)->card_wait_us += us; }

/* Budget check for a write; 1 if the power is (now) gone. */
static int spend(host_board *b)
{
    if (b->power_cut)
        return 1;
    if (b->budget < 0)
        return 0;
    if (b->budget == 0) {
        b->power_cut = 1;
        return 1;
    }
    b->budget--;
    return 0;
}

/* The meter's card interface: the real driver, with the power budget in
 * front of every byte it writes. */
static meter_card_result card_read(void *ctx, uint8_t image[256])
{
    host_board *b = ctx;
    if (b->power_cut)
        return METER_CARD_ABSENT;
    return b->icc_ops.read(b->icc_ops.ctx, image);
}

static meter_card_result card_verify(void *ctx, const uint8_t psc[3], unsigned *tries)
{
    host_board *b = ctx;
    if (b->power_cut)
        return METER_CARD_ABSENT;
    return b->icc_ops.verify(b->icc_ops.ctx, psc, tries);
}

static meter_card_result card_write(void *ctx, unsigned addr, uint8_t value)
{
    host_board *b = ctx;
    meter_card_result r;
    if (spend(b)) {
        sle_wire_remove(&b->wire); /* cut before the update */
        return METER_CARD_ABSENT;
    }
    if (spend(b)) {
        /* Cut in the second half of the processing: START, 24 bits and
         * STOP take 26 rising edges, then one per processing clock. */
        b->wire.pull_after = 26 + b->wire.proc_clocks / 2 + 2;
    }
    r = b->icc_ops.write_byte(b->icc_ops.ctx, addr, value);
    if (r == METER_CARD_OK)
        b->card_bytes_written++;
    return r;
}

static void card_release(void *ctx)
{
    host_board *b = ctx;
    b->icc_ops.release(b->icc_ops.ctx);
}

/* ---- non-volatile memory and internal flash ---------------------------- */

/* A read of one of the board's memories: nothing while the power is cut. */
static int mem_read(const host_board *b, const uint8_t *mem, size_t size, uint32_t addr,
                    void *buf, uint32_t len)
{
    if (b->power_cut || addr > size || len > size - addr)
        return -1;
    memcpy(buf, mem + addr, len);
    return 0;
}

/* Bytes written one at a time within the power budget; NOR flash (nor)
 * only clears bits.  *count counts the bytes written. */
static int mem_write(host_board *b, uint8_t *mem, uint32_t addr, const uint8_t *p,
                     uint32_t len, int nor, unsigned *count)
{
    for (uint32_t i = 0; i < len; i++) {
        if (spend(b))
            return -1;
        mem[addr + i] = nor ? (uint8_t)(mem[addr + i] & p[i]) : p[i];
        (*count)++;
    }
    return 0;
}

static int nv_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    host_board *b = ctx;
    return mem_read(b, b->nv, sizeof b->nv, addr, buf, len);
}

static int nv_write(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    host_board *b = ctx;
    if (b->nv_fail || addr > sizeof b->nv || len > sizeof b->nv - addr)
        return -1;
    return mem_write(b, b->nv, addr, buf, len, 0, &b->nv_bytes_written);
}

static int sec_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    host_board *b = ctx;
    return mem_read(b, b->sec, sizeof b->sec, addr, buf, len);
}

static int sec_write(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    host_board *b = ctx;
    if ((addr | len) & 1u || addr > sizeof b->sec || len > sizeof b->sec - addr)
        return -1;
    return mem_write(b, b->sec, addr, buf, len, 1, &b->sec_bytes_written);
}

static int sec_erase(void *ctx, uint32_t page_addr)
{
    host_board *b = ctx;
    if (page_addr % METER_SECURE_PAGE || page_addr >= sizeof b->sec)
        return -1;
    if (spend(b)) {
        /* cut part way: half the page erased, the rest as it was */
        memset(b->sec + page_addr, 0xFF, METER_SECURE_PAGE / 2);
        return -1;
    }
    memset(b->sec + page_addr, 0xFF, METER_SECURE_PAGE);
    b->sec_bytes_written++;
    return 0;
}

/* ---- outputs ------------------------------------------------------------ */

static void out_relay(void *ctx, int closed) { ((host_board *)ctx)->relay_cmd = closed; }
static int out_sense(void *ctx) { return host_board_relay_closed(ctx); }
static void out_lamps(void *ctx, unsigned mask) { ((host_board *)ctx)->lamps = mask; }
static void out_display(void *ctx, const char *text, unsigned icons)
{
    host_board *b = ctx;
    size_t n = strlen(text);
    if (n >= sizeof b->text)
        n = sizeof b->text - 1;
    memcpy(b->text, text, n);
    b->text[n] = '\0';
    b->icons = icons;
}

int host_board_relay_closed(const host_board *b)
{
    return b->relay_cmd || b->p.relay_stuck;
}

/* ---- board -------------------------------------------------------------- */

void host_board_init(host_board *b, unsigned proc_clocks)
{
    icc_sle4442_gpio g = {b, g_power, g_rst, g_clk, g_io, g_io_read, g_detect, g_delay};
    memset(b, 0, sizeof *b);
    memset(b->nv, 0xFF, sizeof b->nv);
    memset(b->sec, 0xFF, sizeof b->sec);
    b->budget = -1;
    sle_wire_init(&b->wire, &b->chip, proc_clocks);
    icc_sle4442_init(&b->icc, &g);
    icc_sle4442_card_ops(&b->icc, &b->icc_ops);
    b->card_ops = (meter_card_ops){b, card_read, card_verify, card_write, card_release};
    b->nv_ops = (meter_nv_ops){b, nv_read, nv_write};
    b->sec_ops = (meter_secure_ops){b, sec_read, sec_write, sec_erase};
    b->out_ops = (meter_out_ops){b, out_relay, out_sense, out_lamps, out_display};
}

int host_board_provision(host_board *b, const uint8_t *provision)
{
    uint8_t now[KV_PROVISION_LEN], want[KV_PROVISION_LEN];
    const meter_secure_ops *s = &b->sec_ops;
    long budget = b->budget;
    int cut = b->power_cut, rc = 0;

    if (provision)
        memcpy(want, provision, sizeof want);
    else
        memset(want, 0xFF, sizeof want);
    b->budget = -1;
    b->power_cut = 0;
    if (s->read(s->ctx, METER_SECURE_PROVISION, now, sizeof now) != 0 ||
        memcmp(now, want, sizeof now) != 0) {
        rc = s->erase(s->ctx, METER_SECURE_PROVISION);
        if (rc == 0 && provision)
            rc = s->write(s->ctx, METER_SECURE_PROVISION, want, sizeof want);
    }
    b->budget = budget;
    b->power_cut = cut;
    kv_wipe(now, sizeof now);
    kv_wipe(want, sizeof want);
    return rc;
}

int host_board_boot(host_board *b, const uint8_t *provision)
{
    return host_board_boot_reset(b, provision, METER_RESET_POWER);
}

int host_board_boot_reset(host_board *b, const uint8_t *provision, unsigned reset)
{
    int rc;
    host_board_provision(b, provision);
    rc = meter_init_reset(&b->m, &b->card_ops, &b->nv_ops, &b->sec_ops, &b->out_ops, reset);
    cf_pulse_init(&b->p.cf, b->m.meter_constant);
    return rc;
}

int host_board_resume(host_board *b, const uint8_t *provision)
{
    host_board_provision(b, provision);
    return meter_resume(&b->m, &b->card_ops, &b->nv_ops, &b->sec_ops, &b->out_ops, &b->p.run,
                        &b->p.st);
}

int host_board_insert(host_board *b, const sle4442 *card)
{
    int rc;
    b->chip = *card;
    sle_wire_insert(&b->wire);
    rc = meter_card_inserted(&b->m);
    b->p.run = b->m.run;
    return rc;
}

void host_board_remove(host_board *b, sle4442 *card)
{
    if (card)
        *card = b->chip;
    sle_wire_remove(&b->wire);
}

void host_board_power_budget(host_board *b, long bytes)
{
    b->budget = bytes;
    b->power_cut = 0;
}

/* One pulse is 3.6e9 / EC W x ms; with the energy counted as W x ms x EC
 * the threshold is a constant and nothing is rounded. */
#define PULSE_WMS_EC 3600000000ull

void host_board_run(host_board *b, const int32_t watts[3], uint8_t phase_ok, uint32_t seconds)
{
    uint64_t ec = b->m.meter_constant ? b->m.meter_constant : 1;
    for (uint32_t s = 0; s < seconds; s++) {
        meter_sample smp;
        int closed = host_board_relay_closed(b);
        memset(&smp, 0, sizeof smp);
        for (unsigned p = 0; p < 3; p++) {
            int32_t w = watts[p];
            uint64_t aw = (uint64_t)(w < 0 ? -(int64_t)w : w);
            if (!closed || !(phase_ok & (1u << p)) || aw == 0)
                continue;
            /* Pulses land at their exact millisecond within this second. */
            uint64_t step = aw * ec, acc = b->p.acc[p];
            uint32_t t = 0;
            for (;;) {
                uint64_t need = (PULSE_WMS_EC - acc + step - 1) / step;
                if (t + need > 1000)
                    break;
                t += (uint32_t)need;
                acc = acc + need * step - PULSE_WMS_EC;
                cf_pulse_edge(&b->p.cf, p, w < 0, b->p.now_ms + t);
            }
            b->p.acc[p] = acc + (uint64_t)(1000 - t) * step;
        }
        b->p.now_ms += 1000;
        cf_pulse_sample(&b->p.cf, b->p.now_ms, &smp);
        smp.ms = 1000;
        smp.phase_ok = phase_ok;
        smp.cover_open = b->p.cover_open;
        meter_tick(&b->m, &smp);
    }
    b->p.run = b->m.run;
}
