/* i2c_gpio.c - bit-banged I2C master, about 100 kHz (see i2c_gpio.h). */
#include "i2c_gpio.h"

#define HALF_US 5

static void scl(const i2c_gpio *b, int v) { b->scl(b->ctx, v); b->delay_us(b->ctx, HALF_US); }
static void sda(const i2c_gpio *b, int v) { b->sda(b->ctx, v); }

int i2c_gpio_start(const i2c_gpio *b)
{
    sda(b, 1);
    scl(b, 1);
    /* A device left in the middle of a byte (a reset mid-transfer) holds
     * SDA low: nine clocks let it finish, then a STOP frees the bus. */
    for (int i = 0; i < 9 && !b->sda_read(b->ctx); i++) {
        scl(b, 0);
        scl(b, 1);
    }
    if (!b->sda_read(b->ctx)) {
        /* stuck low (a short, or no chip and no pull-up): give up */
        scl(b, 0);
        return -1;
    }
    sda(b, 0);
    b->delay_us(b->ctx, HALF_US);
    scl(b, 0);
    return 0;
}

void i2c_gpio_stop(const i2c_gpio *b)
{
    sda(b, 0);
    scl(b, 1);
    sda(b, 1);
    b->delay_us(b->ctx, HALF_US);
}

int i2c_gpio_write(const i2c_gpio *b, uint8_t byte)
{
    int ack;
    for (int i = 7; i >= 0; i--) {
        sda(b, (byte >> i) & 1);
        scl(b, 1);
        scl(b, 0);
    }
    sda(b, 1);
    scl(b, 1);
    ack = !b->sda_read(b->ctx);
    scl(b, 0);
    return ack;
}

uint8_t i2c_gpio_read(const i2c_gpio *b, int ack)
{
    uint8_t v = 0;
    sda(b, 1);
    for (int i = 0; i < 8; i++) {
        scl(b, 1);
        v = (uint8_t)((v << 1) | (b->sda_read(b->ctx) ? 1 : 0));
        scl(b, 0);
    }
    sda(b, ack ? 0 : 1);
    scl(b, 1);
    scl(b, 0);
    sda(b, 1);
    return v;
}
