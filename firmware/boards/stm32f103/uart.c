/* uart.c - USART1 console port (see uart.h). */
#include "uart.h"

#include "stm32f103.h"

#define SR_ORE (1u << 3)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
/* One character takes 87 us at 115200 baud: 2000 polls are well above it */
#define TX_POLLS 2000u
#define RX_RING 32u /* a power of two */

/* Received characters, kept by the interrupt until the main loop reads
 * them: the loop sleeps between SysTicks, longer than a character lasts.
 * The interrupt only stores (a full ring drops); the console runs in the
 * main loop. */
static volatile uint8_t rx[RX_RING];
static volatile uint32_t rx_head, rx_tail;

void uart_setup(uint32_t pclk_hz)
{
    USART1_CR1 = 0;
    USART1_BRR = (pclk_hz + 57600u) / 115200u; /* 16x oversampling */
    USART1_CR1 = (1u << 13) | (1u << 5) | (1u << 3) | (1u << 2); /* UE, RXNEIE, TE, RE */
    NVIC_ISER1 = 1u << (37 - 32); /* USART1 is IRQ 37 */
}

void kv_usart1_handler(void);
void kv_usart1_handler(void)
{
    uint32_t sr = USART1_SR;
    if (sr & (SR_RXNE | SR_ORE)) {
        uint8_t c = (uint8_t)USART1_DR; /* also clears an overrun */
        if ((sr & SR_RXNE) && rx_head - rx_tail < RX_RING) {
            rx[rx_head % RX_RING] = c;
            rx_head++;
        }
    }
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
    int c;
    if (rx_head == rx_tail)
        return -1;
    c = rx[rx_tail % RX_RING];
    rx_tail++;
    return c;
}
