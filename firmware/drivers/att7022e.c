/* att7022e.c - ATT7022E / HT7038 metering IC (see att7022e.h). */
#include "att7022e.h"

#include <string.h>

#define MASK24 0xFFFFFFu
#define POWER_Q16_NUM 202500000u

/* One byte; a timed-out transfer reads as 0 and is remembered. */
static uint8_t xfer(att7022e *a, uint8_t out)
{
    int in = a->spi.xfer(a->spi.ctx, out);
    if (in < 0) {
        a->timeout = 1;
        return 0;
    }
    return (uint8_t)in;
}

uint32_t att7022e_read(att7022e *a, uint8_t reg)
{
    uint32_t v = 0;
    a->spi.select(a->spi.ctx, 1);
    xfer(a, reg & 0x7F);
    /* the chip needs a few microseconds to fetch the register */
    a->spi.delay_us(a->spi.ctx, 3);
    for (int i = 0; i < 3; i++)
        v = (v << 8) | xfer(a, 0);
    a->spi.select(a->spi.ctx, 0);
    return v;
}

void att7022e_write(att7022e *a, uint8_t reg, uint32_t value)
{
    a->spi.select(a->spi.ctx, 1);
    xfer(a, (uint8_t)(0x80 | reg));
    xfer(a, (uint8_t)(value >> 16));
    xfer(a, (uint8_t)(value >> 8));
    xfer(a, (uint8_t)value);
    a->spi.select(a->spi.ctx, 0);
}

/* The chip answers with its ID, and no transfer timed out. */
static int answers(att7022e *a)
{
    a->timeout = 0;
    return (att7022e_read(a, ATT_R_DEVICE_ID) & MASK24) == ATT_DEVICE_ID && !a->timeout;
}

int att7022e_init(att7022e *a, const att7022e_spi *spi, uint32_t hfconst,
                  uint16_t meter_constant)
{
    uint64_t den;
    memset(a, 0, sizeof *a);
    a->spi = *spi;
    a->hfconst = hfconst;
    a->meter_constant = meter_constant;
    /* Special commands are writes: write() adds bit 7 to the low bits. */
    att7022e_write(a, ATT_C_SOFT_RESET & 0x7F, 0);
    a->spi.delay_us(a->spi.ctx, 2000);
    if (!answers(a))
        return -1;
    /* Calibration writes are locked unless enabled with 0x5A. */
    att7022e_write(a, ATT_C_WRITE_ENABLE & 0x7F, 0x00005A);
    att7022e_write(a, ATT_W_HFCONST, hfconst & MASK24);
    att7022e_write(a, ATT_C_WRITE_ENABLE & 0x7F, 0x000000);
    /* Pt LSB in W: K = 2.592e10 / (HFConst * EC * 2^23), kept as 16.16:
     * K * 2^16 = 2.592e10 / (HFConst * EC * 2^7) = 202 500 000 / (HFConst
     * * EC), exactly; a 32-bit division (no 64-bit division routine in
     * the image). */
    den = (uint64_t)(hfconst ? hfconst : 1) * (meter_constant ? meter_constant : 1);
    a->power_q16 = den > POWER_Q16_NUM ? 0 : POWER_Q16_NUM / (uint32_t)den;
    a->ready = !a->timeout;
    return a->ready ? 0 : -1;
}

/* No energy, no power: what a sample says while the chip does not answer;
 * the chip is set up again for the next one (it may have reset). */
static void no_answer(att7022e *a, meter_sample *s)
{
    att7022e_spi spi = a->spi;
    memset(s->pulses, 0, sizeof s->pulses);
    memset(s->reverse, 0, sizeof s->reverse);
    s->power_w = 0;
    s->phase_ok = 0;
    s->fault = METER_FAULT_METERING;
    att7022e_init(a, &spi, a->hfconst, a->meter_constant);
}

void att7022e_sample(att7022e *a, meter_sample *s)
{
    uint32_t pflag, sflag, pt, e[3];
    if (!a->ready || !answers(a)) {
        no_answer(a, s);
        return;
    }
    pflag = att7022e_read(a, ATT_R_PFLAG);
    sflag = att7022e_read(a, ATT_R_SFLAG);
    pt = att7022e_read(a, ATT_R_PT) & MASK24;
    for (unsigned p = 0; p < 3; p++)
        e[p] = att7022e_read(a, (uint8_t)(ATT_R_EPA + p)) & MASK24;
    if (a->timeout) {
        no_answer(a, s);
        return;
    }
    s->fault = 0;
    for (unsigned p = 0; p < 3; p++) {
        uint32_t d = a->primed ? (e[p] - a->last[p]) & MASK24 : 0;
        a->last[p] = e[p];
        /* The energy registers count absolute energy; the direction flag
         * says which way it flowed. */
        s->pulses[p] = (pflag >> p) & 1 ? 0 : d;
        s->reverse[p] = (pflag >> p) & 1 ? d : 0;
    }
    a->primed = 1;
    if (pt & 0x800000u)
        pt = (~pt + 1) & MASK24; /* magnitude of a negative reading */
    s->power_w = (uint32_t)(((uint64_t)pt * a->power_q16) >> 16);
    s->phase_ok = (uint8_t)(~sflag & 7u);
}
