/* uart.h - USART1 (PA9 TX, PA10 RX), 115200 8N1, polled: the technician's
 * console (core/console.h).  Every wait is bounded: a transmitter that
 * never gets ready drops the text rather than stall the meter. */
#ifndef BOARD_UART_H
#define BOARD_UART_H

#include <stdint.h>

void uart_setup(uint32_t pclk_hz);
/* ctx unused: the console's write function */
void uart_write(void *ctx, const char *s);
/* A received character, or -1 if none is waiting. */
int uart_getc(void);

#endif
