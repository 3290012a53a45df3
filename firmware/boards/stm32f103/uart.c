/* uart.c - USART1 console port (see uart.h). */
#include "uart.h"

#include "stm32f103.h"

#define SR_ORE (1u << 3)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
/* One character takes 87 us at 115200 baud: 2000 polls are well above it */
#define TX_POLLS 2000u

void uart_setup(uint32_t pclk_hz)
{
    USART1_CR1 = 0;
    USART1_BRR = (pclk_hz + 57600u) / 115200u; /* 16x oversampling */
    USART1_CR1 = (1u << 13) | (1u << 3) | (1u << 2); /* UE, TE, RE */
}

void uart_write(void *ctx, const char *s)
{
    (void)ctx;
    for (; *s; s++) {
        uint32_t n = 0;
        while (!(USART1_SR & SR_TXE) && n < TX_POLLS)
            n++;
        if (n == TX_POLLS)
            return; /* transmitter stuck: the rest is lost, the meter goes on */
        USART1_DR = (uint8_t)*s;
    }
}

int uart_getc(void)
{
    uint32_t sr = USART1_SR;
    if (sr & SR_RXNE)
        return (int)(USART1_DR & 0xFFu);
    if (sr & SR_ORE)
        (void)USART1_DR; /* overrun: reading DR clears it */
    return -1;
}
