/* spi.h - SPI1 as the metering IC's bus (PA5 SCK, PA6 MISO, PA7 MOSI). */
#ifndef BOARD_SPI_H
#define BOARD_SPI_H

#include <stdint.h>

/* One byte each way: the byte read, or -1 if the peripheral did not get
 * ready within its bound (a byte takes 8 us at 1 MHz; the bound is
 * 10 000 polls, far above it at any clock). */
int spi1_xfer(uint8_t out);

#endif
