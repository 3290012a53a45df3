/* spi.c - SPI1 byte transfer with bounded waits (see spi.h). */
#include "spi.h"

#include "stm32f103.h"

#define SR_RXNE 1u
#define SR_TXE 2u
#define SPI_POLLS 10000u

int spi1_xfer(uint8_t out)
{
    uint32_t n = 0;
    while (!(SPI1_SR & SR_TXE))
        if (++n == SPI_POLLS)
            return -1;
    SPI1_DR = out;
    while (!(SPI1_SR & SR_RXNE))
        if (++n == 2 * SPI_POLLS)
            return -1;
    return (int)(SPI1_DR & 0xFFu);
}
