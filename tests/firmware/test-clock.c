/* test-clock.c - the STM32F103 board's clock setup (boards/stm32f103/
 * clock.c, the real file) against a model of its RCC in which the crystal
 * or the PLL never becomes ready: the setup ends after a bounded number of
 * register reads, on the clock that does run, and says which failed. */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "fakereg.h"
#include "kvtest.h"

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

volatile uint32_t *fakereg(uint32_t addr)
{
    rcc.accesses++;
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
    return &rcc.other; /* flash, SysTick: not modelled */
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

    printf("clock: %u checks, %u failed\n", kvtest_checks, kvtest_failures);
    return kvtest_failures ? 1 : 0;
}
