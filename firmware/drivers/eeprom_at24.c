/* eeprom_at24.c - I2C EEPROM as NV memory (see eeprom_at24.h). */
#include "eeprom_at24.h"

/* Up to 10 ms at 100 kHz of polling: the datasheet write time is 5 ms.
 * Every wait here is bounded by a count of bus transfers: a chip that never
 * acknowledges costs POLL_TRIES address bytes, a bus stuck low nine clocks
 * (i2c_gpio_start), then -1. */
#define POLL_TRIES 100

void eeprom_at24_init(eeprom_at24 *e, const i2c_gpio *bus, uint8_t addr, uint32_t size)
{
    e->bus = bus;
    e->addr = addr;
    e->size = size;
}

/* Address the device; polls while it is busy with a page write. */
static int address(eeprom_at24 *e, uint32_t addr)
{
    for (int i = 0; i < POLL_TRIES; i++) {
        if (i2c_gpio_start(e->bus) != 0)
            return -1; /* bus stuck: no device can answer */
        if (i2c_gpio_write(e->bus, (uint8_t)(e->addr << 1))) {
            if (i2c_gpio_write(e->bus, (uint8_t)(addr >> 8)) &&
                i2c_gpio_write(e->bus, (uint8_t)addr))
                return 0;
            break;
        }
        i2c_gpio_stop(e->bus);
    }
    i2c_gpio_stop(e->bus);
    return -1;
}

int eeprom_at24_read(eeprom_at24 *e, uint32_t addr, void *buf, uint32_t len)
{
    uint8_t *p = buf;
    if (addr > e->size || len > e->size - addr)
        return -1;
    if (len == 0)
        return 0;
    if (address(e, addr) != 0)
        return -1;
    /* repeated start, then read */
    if (i2c_gpio_start(e->bus) != 0 || !i2c_gpio_write(e->bus, (uint8_t)((e->addr << 1) | 1))) {
        i2c_gpio_stop(e->bus);
        return -1;
    }
    for (uint32_t i = 0; i < len; i++)
        p[i] = i2c_gpio_read(e->bus, i + 1 < len);
    i2c_gpio_stop(e->bus);
    return 0;
}

int eeprom_at24_write(eeprom_at24 *e, uint32_t addr, const void *buf, uint32_t len)
{
    const uint8_t *p = buf;
    if (addr > e->size || len > e->size - addr)
        return -1;
    while (len) {
        uint32_t room = AT24_PAGE - addr % AT24_PAGE, n = len < room ? len : room;
        if (address(e, addr) != 0)
            return -1;
        for (uint32_t i = 0; i < n; i++)
            if (!i2c_gpio_write(e->bus, p[i])) {
                i2c_gpio_stop(e->bus);
                return -1;
            }
        i2c_gpio_stop(e->bus); /* starts the internal write */
        addr += n;
        p += n;
        len -= n;
    }
    return 0;
}

static int nv_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    return eeprom_at24_read(ctx, addr, buf, len);
}

static int nv_write(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    return eeprom_at24_write(ctx, addr, buf, len);
}

void eeprom_at24_nv_ops(eeprom_at24 *e, meter_nv_ops *ops)
{
    ops->ctx = e;
    ops->read = nv_read;
    ops->write = nv_write;
}
