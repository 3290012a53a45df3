/* icc_sle4442.c - SLE4442 native wire protocol (see icc_sle4442.h). */
#include "icc_sle4442.h"

#include <string.h>

#include "kv_util.h"

enum {
    CMD_READ_MAIN = 0x30,
    CMD_READ_SEC = 0x31,
    CMD_COMPARE = 0x33,
    CMD_READ_PROT = 0x34,
    CMD_UPDATE_MAIN = 0x38,
    CMD_UPDATE_SEC = 0x39
};

static void wait(icc_sle4442 *c)
{
    c->gpio.delay_us(c->gpio.ctx, c->half_us);
}

static void rst(icc_sle4442 *c, int v) { c->gpio.rst(c->gpio.ctx, v); }
static void clk(icc_sle4442 *c, int v) { c->gpio.clk(c->gpio.ctx, v); }
static void io(icc_sle4442 *c, int v) { c->gpio.io(c->gpio.ctx, v); }
static int io_in(icc_sle4442 *c) { return c->gpio.io_read(c->gpio.ctx) ? 1 : 0; }
static int present(icc_sle4442 *c) { return c->gpio.detect(c->gpio.ctx) ? 1 : 0; }

void icc_sle4442_init(icc_sle4442 *c, const icc_sle4442_gpio *gpio)
{
    memset(c, 0, sizeof *c);
    c->gpio = *gpio;
    c->half_us = ICC_SLE4442_HALF_PERIOD_US;
    c->proc_cap = ICC_SLE4442_PROC_CAP;
}

/* One bit from the card: it drives I/O on the falling edge, we sample with
 * CLK high. */
static int clock_in(icc_sle4442 *c)
{
    int b;
    clk(c, 0);
    wait(c);
    clk(c, 1);
    wait(c);
    b = io_in(c);
    return b;
}

static uint8_t byte_in(icc_sle4442 *c)
{
    uint8_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint8_t)(clock_in(c) << i);
    return v;
}

/* RST high and low without a clock: the card drops what it was doing. */
static void brk(icc_sle4442 *c)
{
    clk(c, 0);
    wait(c);
    rst(c, 1);
    wait(c);
    rst(c, 0);
    wait(c);
}

/* START, 24 bits LSB first per byte (I/O changed only while CLK is low),
 * STOP.  Leaves CLK high: the next falling edge starts the card's answer. */
static void send(icc_sle4442 *c, uint8_t ctrl, uint8_t addr, uint8_t data)
{
    uint8_t b[3] = {ctrl, addr, data};
    clk(c, 0);
    io(c, 1);
    wait(c);
    clk(c, 1);
    wait(c);
    io(c, 0); /* START */
    wait(c);
    for (int i = 0; i < 24; i++) {
        clk(c, 0);
        io(c, (b[i / 8] >> (i % 8)) & 1);
        wait(c);
        clk(c, 1);
        wait(c);
    }
    clk(c, 0);
    io(c, 0);
    wait(c);
    clk(c, 1);
    wait(c);
    io(c, 1); /* STOP */
    wait(c);
    kv_wipe(b, sizeof b); /* may hold a PSC byte; a plain store is optimised away */
}

/* Processing: the card holds I/O low while we clock; I/O high = done. */
static meter_card_result process(icc_sle4442 *c)
{
    unsigned n = 0;
    clk(c, 0);
    wait(c);
    if (io_in(c))
        return present(c) ? METER_CARD_IO : METER_CARD_ABSENT;
    while (n < c->proc_cap) {
        clk(c, 1);
        wait(c);
        clk(c, 0);
        wait(c);
        n++;
        if (io_in(c))
            break;
    }
    c->last_proc = n;
    if (!present(c))
        return METER_CARD_ABSENT;
    if (n >= c->proc_cap)
        return METER_CARD_IO;
    return METER_CARD_OK;
}

meter_card_result icc_sle4442_reset(icc_sle4442 *c)
{
    uint32_t ones = 0;
    if (!present(c))
        return METER_CARD_ABSENT;
    c->gpio.power(c->gpio.ctx, 1);
    io(c, 1);
    clk(c, 0);
    rst(c, 0);
    wait(c);
    rst(c, 1);
    wait(c);
    clk(c, 1);
    wait(c);
    clk(c, 0);
    wait(c);
    rst(c, 0);
    wait(c);
    /* bit 0 is on I/O once RST fell; the others follow each falling edge */
    for (int i = 0; i < 32; i++) {
        int b;
        clk(c, 1);
        wait(c);
        b = io_in(c);
        ones += (uint32_t)b;
        c->atr[i / 8] = (uint8_t)((c->atr[i / 8] & ~(1u << (i % 8))) | ((unsigned)b << (i % 8)));
        clk(c, 0);
        wait(c);
    }
    if (!present(c))
        return METER_CARD_ABSENT;
    if (ones == 0 || ones == 32)
        return METER_CARD_IO;
    return METER_CARD_OK;
}

meter_card_result icc_sle4442_read_main(icc_sle4442 *c, unsigned addr, uint8_t *out, unsigned len)
{
    if (addr > 255 || len > 256 - addr)
        return METER_CARD_IO;
    send(c, CMD_READ_MAIN, (uint8_t)addr, 0);
    for (unsigned i = 0; i < len; i++)
        out[i] = byte_in(c);
    brk(c);
    return present(c) ? METER_CARD_OK : METER_CARD_ABSENT;
}

static meter_card_result read4(icc_sle4442 *c, uint8_t ctrl, uint8_t out[4])
{
    send(c, ctrl, 0, 0);
    for (int i = 0; i < 4; i++)
        out[i] = byte_in(c);
    clk(c, 0); /* the falling edge after the last bit releases I/O */
    wait(c);
    return present(c) ? METER_CARD_OK : METER_CARD_ABSENT;
}

meter_card_result icc_sle4442_read_security(icc_sle4442 *c, uint8_t sec[4])
{
    return read4(c, CMD_READ_SEC, sec);
}

meter_card_result icc_sle4442_read_protection(icc_sle4442 *c, uint8_t prot[4])
{
    return read4(c, CMD_READ_PROT, prot);
}

meter_card_result icc_sle4442_update_main(icc_sle4442 *c, unsigned addr, uint8_t value)
{
    uint8_t back;
    meter_card_result r;
    if (addr > 255)
        return METER_CARD_IO;
    send(c, CMD_UPDATE_MAIN, (uint8_t)addr, value);
    r = process(c);
    if (r != METER_CARD_OK)
        return r;
    r = icc_sle4442_read_main(c, addr, &back, 1);
    if (r != METER_CARD_OK)
        return r;
    return back == value ? METER_CARD_OK : METER_CARD_WRITE;
}

meter_card_result icc_sle4442_update_security(icc_sle4442 *c, unsigned addr, uint8_t value)
{
    send(c, CMD_UPDATE_SEC, (uint8_t)addr, value);
    return process(c);
}

meter_card_result icc_sle4442_compare(icc_sle4442 *c, unsigned addr, uint8_t value)
{
    meter_card_result r;
    send(c, CMD_COMPARE, (uint8_t)addr, value);
    r = process(c);
    return r;
}

static unsigned bits3(uint8_t ec)
{
    return (ec & 1u) + ((ec >> 1) & 1u) + ((ec >> 2) & 1u);
}

meter_card_result icc_sle4442_verify_psc(icc_sle4442 *c, const uint8_t psc[3],
                                         unsigned *tries_left)
{
    uint8_t sec[4];
    uint8_t ec, bit;
    meter_card_result r = icc_sle4442_read_security(c, sec);
    if (r != METER_CARD_OK)
        return r;
    ec = sec[0] & 7u;
    if (tries_left)
        *tries_left = bits3(ec);
    if (ec == 0)
        return METER_CARD_LOCKED;
    /* The order is mandatory: spend a try first, then compare; the card
     * only gives the try back if all three bytes matched. */
    bit = (uint8_t)(ec & (uint8_t)-ec);
    r = icc_sle4442_update_security(c, 0, (uint8_t)(ec & ~bit));
    for (unsigned i = 0; r == METER_CARD_OK && i < 3; i++)
        r = icc_sle4442_compare(c, i + 1, psc[i]);
    if (r == METER_CARD_OK)
        r = icc_sle4442_update_security(c, 0, 0xFF);
    if (r == METER_CARD_OK)
        r = icc_sle4442_read_security(c, sec);
    ec = sec[0] & 7u;
    /* Once accepted, the card reads its PSC back in sec[1..3]. */
    kv_wipe(sec, sizeof sec);
    if (r != METER_CARD_OK)
        return r;
    return ec == 7u ? METER_CARD_OK : METER_CARD_PSC;
}

void icc_sle4442_power_off(icc_sle4442 *c)
{
    clk(c, 0);
    rst(c, 0);
    io(c, 1);
    c->gpio.power(c->gpio.ctx, 0);
}

/* ---- meter_card_ops ----------------------------------------------------- */

static meter_card_result op_read(void *ctx, uint8_t image[256])
{
    icc_sle4442 *c = ctx;
    meter_card_result r = icc_sle4442_reset(c);
    if (r != METER_CARD_OK)
        return r;
    r = icc_sle4442_read_main(c, 0, image, 256);
    if (r != METER_CARD_OK)
        return r;
    /* The ATR is main memory 0..3: a mismatch means a bad contact. */
    return memcmp(image, c->atr, 4) == 0 ? METER_CARD_OK : METER_CARD_IO;
}

static meter_card_result op_verify(void *ctx, const uint8_t psc[3], unsigned *tries_left)
{
    return icc_sle4442_verify_psc(ctx, psc, tries_left);
}

static meter_card_result op_write(void *ctx, unsigned addr, uint8_t value)
{
    return icc_sle4442_update_main(ctx, addr, value);
}

static void op_release(void *ctx)
{
    icc_sle4442_power_off(ctx);
}

void icc_sle4442_card_ops(icc_sle4442 *c, meter_card_ops *ops)
{
    ops->ctx = c;
    ops->read = op_read;
    ops->verify = op_verify;
    ops->write_byte = op_write;
    ops->release = op_release;
}
