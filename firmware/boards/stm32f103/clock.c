/* clock.c - clock tree and SysTick (see clock.h). */
#include "clock.h"

#include "stm32f103.h"

#define CR_HSEON (1u << 16)
#define CR_HSERDY (1u << 17)
#define CR_PLLON (1u << 24)
#define CR_PLLRDY (1u << 25)
/* Polls of a ready flag before giving up.  An HSE crystal starts in 2 ms
 * typically (datasheet: at most a few ms), the PLL locks in 200 us; a poll
 * is a few cycles at the 8 MHz HSI the part starts on, so 100 000 polls are
 * well over 50 ms: only a dead crystal or a dead PLL reaches the bound. */
#define READY_POLLS 100000u

static volatile uint32_t ms_ticks;
static uint32_t core_hz = CLOCK_HSI_HZ;
static unsigned status;

static int wait_flag(volatile uint32_t *reg, uint32_t mask, uint32_t want)
{
    for (uint32_t n = 0; n < READY_POLLS; n++)
        if ((*reg & mask) == want)
            return 0;
    return -1;
}

/* PLL from src (CFGR bits), then the system clock from it; hz if it runs.
 * Leaves the part on the HSI (and the PLL off) when anything fails. */
static int pll_on(uint32_t cfgr)
{
    RCC_CFGR = cfgr;
    RCC_CR |= CR_PLLON;
    if (wait_flag(&RCC_CR, CR_PLLRDY, CR_PLLRDY) != 0)
        return -1;
    RCC_CFGR = cfgr | 2u; /* system clock from the PLL */
    if (wait_flag(&RCC_CFGR, 0xCu, 0x8u) == 0)
        return 0;
    RCC_CFGR = cfgr; /* back to the HSI */
    (void)wait_flag(&RCC_CFGR, 0xCu, 0x0u);
    return -1;
}

unsigned clock_setup(void)
{
    status = 0;
    core_hz = CLOCK_HSI_HZ;
    FLASH_ACR = 0x12u; /* prefetch on, 2 wait states: right for any clock */
    RCC_CR |= CR_HSEON;
    if (wait_flag(&RCC_CR, CR_HSERDY, CR_HSERDY) == 0) {
        if (pll_on((7u << 18) | (1u << 16) | (4u << 8)) == 0) { /* HSE x9, APB1 /2 */
            core_hz = CLOCK_HZ;
            return status;
        }
        /* The crystal without its PLL: 8 MHz, still crystal-accurate. */
        RCC_CR &= ~CR_PLLON;
        status |= CLOCK_NO_PLL;
        RCC_CFGR = 1u; /* system clock from the HSE */
        if (wait_flag(&RCC_CFGR, 0xCu, 0x4u) == 0)
            return status;
        RCC_CFGR = 0;
        (void)wait_flag(&RCC_CFGR, 0xCu, 0x0u);
    }
    /* No crystal: the internal oscillator, 8 MHz +-1 % over temperature,
     * is good enough for everything the meter times (the card's clock, the
     * buses, the console's baud rate); energy comes from the metering IC's
     * own crystal. */
    RCC_CR &= ~(CR_HSEON | CR_PLLON);
    status |= CLOCK_NO_CRYSTAL;
    if (pll_on((14u << 18) | (4u << 8)) == 0) { /* HSI/2 x16 = 64 MHz, APB1 /2 */
        core_hz = CLOCK_HSI_PLL_HZ;
        return status;
    }
    RCC_CR &= ~CR_PLLON;
    RCC_CFGR = 0;
    status |= CLOCK_NO_PLL;
    return status;
}

unsigned clock_status(void)
{
    return status;
}

uint32_t clock_hz(void)
{
    return core_hz;
}

void clock_systick_setup(void)
{
    SYST_RVR = core_hz / 1000u - 1u;
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
    uint32_t need = us * (core_hz / 1000000u), done = 0, last = SYST_CVR;
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
