/* clock.c - clock tree and SysTick (see clock.h). */
#include "clock.h"

#include "stm32f103.h"

static volatile uint32_t ms_ticks;

void clock_setup(void)
{
    RCC_CR |= 1u << 16; /* HSEON */
    while (!(RCC_CR & (1u << 17)))
        ;
    FLASH_ACR = 0x12u; /* prefetch on, 2 wait states above 48 MHz */
    RCC_CFGR = (7u << 18) | (1u << 16) | (4u << 8); /* PLL x9 from HSE, APB1 /2 */
    RCC_CR |= 1u << 24; /* PLLON */
    while (!(RCC_CR & (1u << 25)))
        ;
    RCC_CFGR |= 2u; /* system clock from the PLL */
    while ((RCC_CFGR & 0xCu) != 0x8u)
        ;
}

void clock_systick_setup(void)
{
    SYST_RVR = CLOCK_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* core clock, interrupt, enable */
}

void kv_systick_handler(void);
void kv_systick_handler(void)
{
    ms_ticks++;
}

uint32_t clock_ms(void)
{
    return ms_ticks;
}

/* Busy wait on the SysTick counter: exact to a few cycles, wraps handled. */
void clock_delay_us(unsigned us)
{
    uint32_t need = us * (CLOCK_HZ / 1000000u), done = 0, last = SYST_CVR;
    while (done < need) {
        uint32_t now = SYST_CVR;
        done += now <= last ? last - now : last + (SYST_RVR + 1u) - now;
        last = now;
    }
}

void clock_delay_ms(unsigned ms)
{
    while (ms--)
        clock_delay_us(1000);
}
