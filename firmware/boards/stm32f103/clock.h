/* clock.h - system clock and time base of the STM32F103 board. */
#ifndef BOARD_CLOCK_H
#define BOARD_CLOCK_H

#include <stdint.h>

#define CLOCK_HZ 72000000u

/* 8 MHz crystal x 9 = 72 MHz, flash 2 wait states, APB1 36 MHz. */
void clock_setup(void);
/* SysTick at 1 kHz. */
void clock_systick_setup(void);
uint32_t clock_ms(void);
void clock_delay_us(unsigned us);
void clock_delay_ms(unsigned ms);

#endif
