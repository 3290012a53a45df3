/* fakereg.h - the STM32F103's registers as a model on the host, for the
 * board's own drivers (forced in with -include): every access goes through
 * fakereg(), which keeps the ready flags as the model's parts decide. */
#ifndef FAKEREG_H
#define FAKEREG_H

#include <stdint.h>

volatile uint32_t *fakereg(uint32_t addr);
#define REG(addr) (*fakereg(addr))

#endif
