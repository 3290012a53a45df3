/* clock.h - system clock and time base of the STM32F103 board. */
#ifndef BOARD_CLOCK_H
#define BOARD_CLOCK_H

#include <stdint.h>

#define CLOCK_HZ 72000000u         /* 8 MHz crystal x 9 */
#define CLOCK_HSI_PLL_HZ 64000000u /* no crystal: HSI / 2 x 16 */
#define CLOCK_HSI_HZ 8000000u      /* no crystal, no PLL: the HSI itself */

/* clock_setup() result bits */
#define CLOCK_NO_CRYSTAL 0x1u /* the HSE did not start: running on the HSI */
#define CLOCK_NO_PLL 0x2u     /* the PLL did not lock: 8 MHz (HSE, or HSI) */

/* 8 MHz crystal x 9 = 72 MHz, flash 2 wait states, APB1 36 MHz.  Every
 * wait is bounded: without a crystal the PLL runs from the internal
 * oscillator (64 MHz), without a PLL the core runs at 8 MHz from the
 * crystal, or from the internal oscillator; the result says which (0 =
 * crystal and PLL), and every timing below follows clock_hz(). */
unsigned clock_setup(void);
unsigned clock_status(void);
uint32_t clock_hz(void);
/* SysTick at 1 kHz. */
void clock_systick_setup(void);
uint32_t clock_ms(void);
void clock_delay_us(unsigned us);
void clock_delay_ms(unsigned ms);

#endif
