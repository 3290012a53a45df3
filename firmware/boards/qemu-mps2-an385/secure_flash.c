/* secure_flash.c - flash rules over QEMU's code memory (see secure_flash.h). */
#include "secure_flash.h"

#include <string.h>

extern uint8_t kv_secure_base[]; /* link.ld */

static int in_range(uint32_t addr, uint32_t len)
{
    return addr <= METER_SECURE_SIZE && len <= METER_SECURE_SIZE - addr;
}

static int sf_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    (void)ctx;
    if (!in_range(addr, len))
        return -1;
    memcpy(buf, kv_secure_base + addr, len);
    return 0;
}

static int sf_write(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    const uint8_t *p = buf;
    volatile uint8_t *dst = kv_secure_base + addr;
    (void)ctx;
    if (!in_range(addr, len) || ((addr | len) & 1u))
        return -1;
    for (uint32_t i = 0; i < len; i++)
        dst[i] &= p[i];
    return memcmp(kv_secure_base + addr, p, len) == 0 ? 0 : -1;
}

static int sf_erase(void *ctx, uint32_t page_addr)
{
    (void)ctx;
    if (page_addr % METER_SECURE_PAGE || page_addr >= METER_SECURE_SIZE)
        return -1;
    memset(kv_secure_base + page_addr, 0xFF, METER_SECURE_PAGE);
    return 0;
}

void secure_flash_ops(meter_secure_ops *ops)
{
    ops->ctx = 0;
    ops->read = sf_read;
    ops->write = sf_write;
    ops->erase = sf_erase;
}
