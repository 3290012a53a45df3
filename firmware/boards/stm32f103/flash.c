/* flash.c - internal flash as the secure store (see flash.h). */
#include "flash.h"

#include <string.h>

#include "stm32f103.h"

#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define SR_BSY (1u << 0)
#define SR_PGERR (1u << 2)
#define SR_WRPRTERR (1u << 4)
#define SR_EOP (1u << 5)
#define CR_PG (1u << 0)
#define CR_PER (1u << 1)
#define CR_STRT (1u << 6)
#define CR_LOCK (1u << 7)
/* A page erase takes at most 40 ms, a half-word 70 us (datasheet); the
 * CPU stalls on its own flash fetches meanwhile, so this bound is only
 * reached if the controller never finishes. */
#define WAIT_LOOPS 4000000u

extern uint8_t kv_secure_base[]; /* link.ld */

static int wait_done(void)
{
    uint32_t sr;
    for (uint32_t n = 0; n < WAIT_LOOPS; n++) {
        sr = FLASH_SR;
        if (!(sr & SR_BSY)) {
            FLASH_SR = SR_EOP | SR_PGERR | SR_WRPRTERR; /* write 1 to clear */
            return (sr & (SR_PGERR | SR_WRPRTERR)) ? -1 : 0;
        }
    }
    return -1;
}

static int unlock(void)
{
    if (wait_done() != 0)
        return -1;
    if (FLASH_CR & CR_LOCK) {
        FLASH_KEYR = KEY1;
        FLASH_KEYR = KEY2;
    }
    return (FLASH_CR & CR_LOCK) ? -1 : 0;
}

static void lock(void)
{
    FLASH_CR = CR_LOCK;
}

static int in_range(uint32_t addr, uint32_t len)
{
    return addr <= METER_SECURE_SIZE && len <= METER_SECURE_SIZE - addr;
}

static int fl_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    (void)ctx;
    if (!in_range(addr, len))
        return -1;
    memcpy(buf, kv_secure_base + addr, len);
    return 0;
}

static int fl_write(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    const uint8_t *p = buf;
    volatile uint16_t *dst = (volatile uint16_t *)(void *)(kv_secure_base + addr);
    int rc = 0;
    (void)ctx;
    if (!in_range(addr, len) || ((addr | len) & 1u) || unlock() != 0)
        return -1;
    FLASH_CR = CR_PG;
    for (uint32_t i = 0; i < len && rc == 0; i += 2) {
        *dst++ = (uint16_t)(p[i] | (p[i + 1] << 8)); /* little-endian half-word */
        rc = wait_done();
    }
    lock();
    /* the controller reports success; the cells say so too */
    if (rc == 0 && memcmp(kv_secure_base + addr, p, len) != 0)
        rc = -1;
    return rc;
}

static int fl_erase(void *ctx, uint32_t page_addr)
{
    int rc;
    (void)ctx;
    if (page_addr % METER_SECURE_PAGE || page_addr >= METER_SECURE_SIZE || unlock() != 0)
        return -1;
    FLASH_CR = CR_PER;
    FLASH_AR = (uint32_t)(uintptr_t)(kv_secure_base + page_addr);
    FLASH_CR = CR_PER | CR_STRT;
    rc = wait_done();
    lock();
    for (uint32_t i = 0; rc == 0 && i < METER_SECURE_PAGE; i++)
        if (kv_secure_base[page_addr + i] != 0xFF)
            rc = -1;
    return rc;
}

void flash_secure_ops(meter_secure_ops *ops)
{
    ops->ctx = 0;
    ops->read = fl_read;
    ops->write = fl_write;
    ops->erase = fl_erase;
}
