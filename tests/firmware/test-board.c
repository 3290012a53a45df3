/* test-board.c - the STM32F103 board's own drivers (boards/stm32f103/
 * clock.c, uart.c, spi.c, iwdg.c, flash.c: the real files) against a model
 * of their registers in which the part never gets ready:
 *   clock  the crystal, the PLL or both never ready: the setup ends after a
 *          bounded number of register reads, on the clock that does run,
 *          and says which failed
 *   USART  the transmitter never empty: the text is dropped, bounded
 *   SPI    never ready to send, or never receives: -1, bounded
 *   IWDG   its update flags never clear: started anyway, bounded
 *   flash  the controller busy for ever: erase and write fail, bounded
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "fakereg.h"
#include "flash.h"
#include "iwdg.h"
#include "kvtest.h"
#include "spi.h"
#include "uart.h"

void kvtest_puts(const char *s)
{
    fputs(s, stdout);
}

#define RCC_CR_A 0x40021000u
#define RCC_CFGR_A 0x40021004u

static struct {
    int crystal_ok, pll_ok;
    uint32_t cr, cfgr, other;
    unsigned long accesses;
} rcc;

/* Every other register: a plain cell that keeps what is written, except
 * the status registers, which stay at `stuck` (never ready, or busy). */
static struct {
    uint32_t addr[64], val[64];
    unsigned n;
    uint32_t stuck_addr, stuck;
} regs;

uint8_t kv_secure_base[METER_SECURE_SIZE];

static volatile uint32_t *cell(uint32_t addr)
{
    for (unsigned i = 0; i < regs.n; i++)
        if (regs.addr[i] == addr)
            return &regs.val[i];
    if (regs.n == 64)
        return &rcc.other;
    regs.addr[regs.n] = addr;
    regs.val[regs.n] = 0;
    return &regs.val[regs.n++];
}

volatile uint32_t *fakereg(uint32_t addr)
{
    rcc.accesses++;
    if (addr == regs.stuck_addr) {
        volatile uint32_t *c = cell(addr);
        *c = regs.stuck;
        return c;
    }
    if (addr == RCC_CR_A) {
        uint32_t on = rcc.cr;
        rcc.cr &= ~((1u << 17) | (1u << 25));
        if ((on & (1u << 16)) && rcc.crystal_ok)
            rcc.cr |= 1u << 17; /* HSERDY */
        if ((on & (1u << 24)) && rcc.pll_ok)
            rcc.cr |= 1u << 25; /* PLLRDY */
        return &rcc.cr;
    }
    if (addr == RCC_CFGR_A) {
        uint32_t sw = rcc.cfgr & 3u, ok = sw == 0 || (sw == 1 && (rcc.cr & (1u << 17))) ||
                                          (sw == 2 && (rcc.cr & (1u << 25)));
        uint32_t sws = (rcc.cfgr >> 2) & 3u;
        if (ok)
            sws = sw; /* the switch happens once the source is ready */
        rcc.cfgr = (rcc.cfgr & ~0xCu) | (sws << 2);
        return &rcc.cfgr;
    }
    return cell(addr);
}

static void stuck(uint32_t addr, uint32_t value)
{
    memset(&regs, 0, sizeof regs);
    regs.stuck_addr = addr;
    regs.stuck = value;
    rcc.accesses = 0;
}

static unsigned setup(int crystal, int pll)
{
    unsigned st;
    memset(&rcc, 0, sizeof rcc);
    rcc.crystal_ok = crystal;
    rcc.pll_ok = pll;
    st = clock_setup();
    /* bounded: a fixed number of polls per wait, whatever never answers */
    KV_CHECK(rcc.accesses < 8u * 100000u + 100u);
    KV_CHECK(st == clock_status());
    return st;
}

int main(void)
{
    KV_CHECK(setup(1, 1) == 0);
    KV_CHECK(clock_hz() == CLOCK_HZ);
    KV_CHECK((rcc.cfgr & 0xCu) == 0x8u && (rcc.cfgr & (1u << 16))); /* PLL from the HSE */

    /* the crystal never starts: the PLL from the internal oscillator */
    KV_CHECK(setup(0, 1) == CLOCK_NO_CRYSTAL);
    KV_CHECK(clock_hz() == CLOCK_HSI_PLL_HZ);
    KV_CHECK((rcc.cfgr & 0xCu) == 0x8u && !(rcc.cfgr & (1u << 16)));
    KV_CHECK(!(rcc.cr & (1u << 16))); /* HSE switched off again */

    /* the PLL never locks: the crystal itself */
    KV_CHECK(setup(1, 0) == CLOCK_NO_PLL);
    KV_CHECK(clock_hz() == CLOCK_HSI_HZ);
    KV_CHECK((rcc.cfgr & 0xCu) == 0x4u);

    /* neither: the internal oscillator itself, as QEMU's RCC (reads 0) */
    KV_CHECK(setup(0, 0) == (CLOCK_NO_CRYSTAL | CLOCK_NO_PLL));
    KV_CHECK(clock_hz() == CLOCK_HSI_HZ);
    KV_CHECK((rcc.cfgr & 0xCu) == 0x0u);
    KV_CHECK(!(rcc.cr & ((1u << 16) | (1u << 24))));

    /* USART1 transmitter never empty (SR reads 0): dropped, bounded */
    stuck(0x40013800u, 0);
    uart_write(NULL, "kilovend meter");
    KV_CHECK(rcc.accesses < 2100u);
    KV_CHECK(*cell(0x40013804u) == 0); /* nothing sent */

    /* SPI1 never ready to send, then never receiving */
    stuck(0x40013008u, 0);
    KV_CHECK(spi1_xfer(0x5A) == -1);
    KV_CHECK(rcc.accesses <= 10001u);
    stuck(0x40013008u, 2u); /* TXE, never RXNE */
    KV_CHECK(spi1_xfer(0x5A) == -1);
    KV_CHECK(rcc.accesses <= 20003u);
    stuck(0x40013008u, 3u); /* a working SPI: answers at once */
    *cell(0x4001300Cu) = 0xA5;
    KV_CHECK(spi1_xfer(0x5A) == 0x5A); /* the model's DR keeps what was sent */

    /* IWDG: the prescaler and reload updates never settle */
    stuck(0x4000300Cu, 3u);
    iwdg_start();
    KV_CHECK(rcc.accesses <= 100010u);
    KV_CHECK(*cell(0x40003000u) == 0xAAAAu); /* started, then refreshed */

    /* flash controller busy for ever: erase and write fail in bounded time */
    {
        meter_secure_ops ops;
        uint8_t two[2] = {1, 2};
        flash_secure_ops(&ops);
        stuck(0x4002200Cu, 1u); /* FLASH_SR BSY */
        KV_CHECK(ops.erase(ops.ctx, 0) == -1);
        KV_CHECK(ops.write(ops.ctx, 0, two, 2) == -1);
        KV_CHECK(rcc.accesses < 3u * 4000000u + 100u);
    }

    printf("board: %u checks, %u failed\n", kvtest_checks, kvtest_failures);
    return kvtest_failures ? 1 : 0;
}
