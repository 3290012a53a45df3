/* iwdg.h - the STM32F1's independent watchdog (RM0008 section 19).
 *
 * Clocked by the LSI, which runs whatever the main clock does: started
 * first thing at power-up and never stopped (the hardware cannot stop it).
 * Prescaler /64, reload 4095: 6.5 s at the nominal 40 kHz, 4.4 s at the
 * fastest LSI the datasheet allows (60 kHz), 8.7 s at the slowest (30 kHz).
 * The main loop refreshes it once every task made progress (wdog_gate.h):
 * about once a second; the longest step between two refreshes, a card
 * insertion (about 0.8 s with SLE4442 timings) or a page erase of the
 * internal record (40 ms), is far inside the window. */
#ifndef BOARD_IWDG_H
#define BOARD_IWDG_H

#include <stdint.h>

#define IWDG_TIMEOUT_MIN_MS 4369u /* 4096 x 64 / 60 kHz */

void iwdg_start(void);
void iwdg_refresh(void);
/* 1 if the last reset came from the watchdog; clears the reset flags. */
int iwdg_caused_reset(void);

#endif
