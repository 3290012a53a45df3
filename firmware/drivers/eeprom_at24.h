/* eeprom_at24.h - AT24C32..AT24C512 I2C EEPROM as the meter's NV memory.
 *
 * Two address bytes, 64-byte pages (AT24C256C: 10^6 cycles, 5 ms per page
 * write).  Writes are split at page boundaries and each page is polled for
 * the acknowledge that ends its internal write.  A power cut during a page
 * write leaves that page's bytes partly written: the record layer above
 * (core/nvrec.c) is built for exactly that. */
#ifndef EEPROM_AT24_H
#define EEPROM_AT24_H

#include "i2c_gpio.h"
#include "meter_io.h"

#define AT24_PAGE 64u

typedef struct {
    const i2c_gpio *bus;
    uint8_t addr;      /* 7-bit device address, 0x50 with A2..A0 low */
    uint32_t size;     /* bytes */
} eeprom_at24;

void eeprom_at24_init(eeprom_at24 *e, const i2c_gpio *bus, uint8_t addr, uint32_t size);
int eeprom_at24_read(eeprom_at24 *e, uint32_t addr, void *buf, uint32_t len);
int eeprom_at24_write(eeprom_at24 *e, uint32_t addr, const void *buf, uint32_t len);
/* The meter core's NV interface on this EEPROM. */
void eeprom_at24_nv_ops(eeprom_at24 *e, meter_nv_ops *ops);

#endif
