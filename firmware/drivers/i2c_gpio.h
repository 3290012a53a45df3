/* i2c_gpio.h - I2C master bit-banged on two open-drain GPIO lines. */
#ifndef I2C_GPIO_H
#define I2C_GPIO_H

#include <stdint.h>

typedef struct {
    void *ctx;
    void (*scl)(void *ctx, int level); /* 0 = drive low, 1 = release */
    void (*sda)(void *ctx, int level);
    int (*sda_read)(void *ctx);
    void (*delay_us)(void *ctx, unsigned us);
} i2c_gpio;

/* START (or a repeated START).  -1 if SDA stays low once released, after
 * nine clocks to free a device stuck mid-byte: no transfer is possible. */
int i2c_gpio_start(const i2c_gpio *b);
void i2c_gpio_stop(const i2c_gpio *b);
/* 1 if the device acknowledged. */
int i2c_gpio_write(const i2c_gpio *b, uint8_t byte);
uint8_t i2c_gpio_read(const i2c_gpio *b, int ack);

#endif
