/* uart.h - USART1 (PA9 TX, PA10 RX), 115200 8N1: the technician's console
 * (core/console.h).  Sent polled, every wait bounded: a transmitter that
 * never gets ready drops the text rather than stall the meter.  Received
 * into a 32-byte ring by the USART1 interrupt, read by the main loop. */
#ifndef BOARD_UART_H
#define BOARD_UART_H

#include <stdint.h>

void uart_setup(uint32_t pclk_hz);
/* ctx unused: the console's write function */
void uart_write(void *ctx, const char *s);
/* A received character, or -1 if none is waiting. */
int uart_getc(void);

#endif
