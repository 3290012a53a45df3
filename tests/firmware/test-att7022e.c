/* test-att7022e.c - the ATT7022E driver against a register-level model of
 * the chip on its SPI bus: ID check, calibration write enable, energy
 * deltas across the 24-bit wrap, reverse energy, voltage loss, power. */
#include <stdio.h>
#include <string.h>

#include "att7022e.h"
#include "kvtest.h"

void kvtest_puts(const char *s)
{
    fputs(s, stdout);
}

static struct {
    uint32_t meas[0x80];   /* measurement registers */
    uint32_t calib[0x80];  /* calibration registers */
    int write_enabled;
    int selected;
    unsigned n;
    uint8_t cmd;
    uint32_t data;
    unsigned writes_refused;
} chip;

static void sel(void *ctx, int on)
{
    (void)ctx;
    if (chip.selected && !on && (chip.cmd & 0x80) && chip.n == 4) {
        uint8_t reg = chip.cmd & 0x7F;
        if (chip.cmd == 0xC9)
            chip.write_enabled = chip.data == 0x5A;
        else if (chip.cmd == 0xD3)
            chip.write_enabled = 0;
        else if (chip.write_enabled)
            chip.calib[reg] = chip.data;
        else
            chip.writes_refused++;
    }
    chip.selected = on;
    chip.n = 0;
    chip.data = 0;
}

static int xfer(void *ctx, uint8_t out)
{
    uint8_t in = 0;
    (void)ctx;
    if (!chip.selected)
        return 0xFF;
    if (chip.n == 0) {
        chip.cmd = out;
    } else if (chip.cmd & 0x80) {
        chip.data = (chip.data << 8) | out;
    } else {
        uint32_t v = chip.meas[chip.cmd & 0x7F];
        in = (uint8_t)(v >> (8 * (3 - chip.n)));
    }
    chip.n++;
    return in;
}

static void delay(void *ctx, unsigned us) { (void)ctx; (void)us; }

int main(void)
{
    att7022e a;
    att7022e_spi spi = {NULL, sel, xfer, delay};
    meter_sample s;

    memset(&chip, 0, sizeof chip);
    KV_CHECK(att7022e_init(&a, &spi, 0x120, 1000) == -1); /* no chip answering */
    chip.meas[ATT_R_DEVICE_ID] = ATT_DEVICE_ID;
    KV_CHECK(att7022e_init(&a, &spi, 0x120, 1000) == 0);
    KV_CHECK(chip.calib[ATT_W_HFCONST] == 0x120);
    KV_CHECK(chip.writes_refused == 0);
    KV_CHECK(!chip.write_enabled); /* locked again after the calibration */

    chip.meas[ATT_R_EPA] = 0xFFFFF0;
    chip.meas[ATT_R_EPB] = 100;
    chip.meas[ATT_R_EPC] = 5;
    memset(&s, 0, sizeof s);
    att7022e_sample(&a, &s); /* first sample: reference only */
    KV_CHECK(s.pulses[0] == 0 && s.pulses[1] == 0 && s.pulses[2] == 0);
    chip.meas[ATT_R_EPA] = 0x000010; /* wrapped: 0x20 pulses */
    chip.meas[ATT_R_EPB] = 103;
    chip.meas[ATT_R_EPC] = 9;
    chip.meas[ATT_R_PFLAG] = 0x4;    /* phase C flows back */
    chip.meas[ATT_R_SFLAG] = 0x2;    /* phase B voltage lost */
    chip.meas[ATT_R_PT] = 1000000;
    att7022e_sample(&a, &s);
    KV_CHECK(s.pulses[0] == 0x20);
    KV_CHECK(s.pulses[1] == 3);
    KV_CHECK(s.pulses[2] == 0 && s.reverse[2] == 4);
    KV_CHECK(s.reverse[0] == 0 && s.reverse[1] == 0);
    KV_CHECK(s.phase_ok == 5);
    /* K = 2.592e10 / (288 * 1000 * 2^23) W per LSB: 10728.8 W */
    KV_CHECK(s.power_w >= 10725 && s.power_w <= 10729);
    chip.meas[ATT_R_PT] = (uint32_t)(0x1000000 - 1000000); /* negative: magnitude */
    att7022e_sample(&a, &s);
    KV_CHECK(s.power_w >= 10725 && s.power_w <= 10729);
    KV_CHECK(s.pulses[0] == 0 && s.pulses[1] == 0);
    printf("att7022e: %u checks, %u failed\n", kvtest_checks, kvtest_failures);
    return kvtest_failures ? 1 : 0;
}
