/* startup.c - reset and fault vectors for QEMU mps2-an385 (Cortex-M3).
 * Copies .data, clears .bss, runs main() and exits QEMU with its status. */
#include <stdint.h>

#include "semihost.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void kv_reset_handler(void);
void kv_fault_handler(void);

void kv_reset_handler(void)
{
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;)
        *dst++ = *src++;
    for (uint32_t *dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
    semihost_exit(main());
}

void kv_fault_handler(void)
{
    semihost_write0("fault\n");
    semihost_exit(99);
}

__attribute__((section(".vectors"), used))
static void (*const vectors[16])(void) = {
    (void (*)(void))(&_estack),
    kv_reset_handler,
    kv_fault_handler, /* NMI */
    kv_fault_handler, /* HardFault */
    kv_fault_handler, /* MemManage */
    kv_fault_handler, /* BusFault */
    kv_fault_handler, /* UsageFault */
};
