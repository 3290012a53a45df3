/* gpio.c - STM32F1 GPIO (see gpio.h). */
#include "gpio.h"

#include "stm32f103.h"

void gpio_mode(uint32_t port, unsigned pin, unsigned cnf_mode)
{
    volatile uint32_t *cr = pin < 8 ? &GPIO_CRL(port) : &GPIO_CRH(port);
    unsigned shift = (pin & 7u) * 4u;
    *cr = (*cr & ~(0xFu << shift)) | ((cnf_mode & 0xFu) << shift);
}

void gpio_set(uint32_t port, unsigned pin)
{
    GPIO_BSRR(port) = 1u << pin;
}

void gpio_clear(uint32_t port, unsigned pin)
{
    GPIO_BRR(port) = 1u << pin;
}

void gpio_write(uint32_t port, unsigned pin, int level)
{
    GPIO_BSRR(port) = level ? (1u << pin) : (1u << (pin + 16));
}

int gpio_get(uint32_t port, unsigned pin)
{
    return (GPIO_IDR(port) >> pin) & 1u;
}
