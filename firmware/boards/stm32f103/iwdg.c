/* iwdg.c - independent watchdog (see iwdg.h). */
#include "iwdg.h"

#include "stm32f103.h"

#define CSR_RMVF (1u << 24)
#define CSR_IWDGRSTF (1u << 29)

void iwdg_start(void)
{
    IWDG_KR = 0xCCCCu; /* start: from here on it cannot be stopped */
    IWDG_KR = 0x5555u; /* unlock PR and RLR */
    IWDG_PR = 4u;      /* LSI / 64 */
    IWDG_RLR = 0xFFFu;
    /* the new values take a few LSI periods to reach the counter domain;
     * bounded: the refresh below works with the old ones meanwhile */
    for (uint32_t n = 0; n < 100000u && (IWDG_SR & 3u); n++)
        ;
    IWDG_KR = 0xAAAAu;
}

void iwdg_refresh(void)
{
    IWDG_KR = 0xAAAAu;
}

int iwdg_caused_reset(void)
{
    int wd = (RCC_CSR & CSR_IWDGRSTF) != 0;
    RCC_CSR |= CSR_RMVF;
    return wd;
}
