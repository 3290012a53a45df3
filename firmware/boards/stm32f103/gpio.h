/* gpio.h - STM32F1 GPIO, libopencm3-style names. */
#ifndef BOARD_GPIO_H
#define BOARD_GPIO_H

#include <stdint.h>

void gpio_mode(uint32_t port, unsigned pin, unsigned cnf_mode);
void gpio_set(uint32_t port, unsigned pin);
void gpio_clear(uint32_t port, unsigned pin);
void gpio_write(uint32_t port, unsigned pin, int level);
int gpio_get(uint32_t port, unsigned pin);

#endif
