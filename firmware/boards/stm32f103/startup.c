/* startup.c - reset and interrupt vectors of the STM32F103 board. */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _sstack, _estack;
int main(void);
void kv_reset_handler(void);
void kv_fault_handler(void);
void kv_systick_handler(void);
void kv_pvd_handler(void);
void kv_usart1_handler(void);

/* The stack is painted so the high-water mark can be measured. */
#define STACK_PAINT 0xC0DEC0DEu

void kv_reset_handler(void)
{
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;)
        *dst++ = *src++;
    for (uint32_t *dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
    {
        uint32_t *p = &_sstack, sp;
        __asm__ volatile("mov %0, sp" : "=r"(sp));
        /* paint up to a little below the current stack pointer */
        while ((uint32_t)p < sp - 64)
            *p++ = STACK_PAINT;
    }
    main();
    for (;;)
        ;
}

void kv_fault_handler(void)
{
    /* A fault in a meter: restart rather than hang with the relay as is. */
    *(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u; /* AIRCR SYSRESETREQ */
    for (;;)
        ;
}

/* Exception numbers (PM0056) and the STM32F103's interrupts (RM0008). */
enum {
    EXC_SP, EXC_RESET, EXC_NMI, EXC_HARDFAULT, EXC_MEMMANAGE, EXC_BUSFAULT, EXC_USAGEFAULT,
    EXC_SVCALL = 11, EXC_PENDSV = 14, EXC_SYSTICK = 15,
    IRQ0 = 16, IRQ_WWDG = IRQ0 + 0, IRQ_PVD = IRQ0 + 1, IRQ_USART1 = IRQ0 + 37,
    VECTORS = IRQ0 + 38
};

/* Interrupts this board does not enable stay 0: taken anyway, they fault
 * and the fault handler restarts the meter. */
__attribute__((section(".vectors"), used))
static void (*const vectors[VECTORS])(void) = {
    [EXC_SP] = (void (*)(void))(&_estack),
    [EXC_RESET] = kv_reset_handler,
    [EXC_NMI] = kv_fault_handler,
    [EXC_HARDFAULT] = kv_fault_handler,
    [EXC_MEMMANAGE] = kv_fault_handler,
    [EXC_BUSFAULT] = kv_fault_handler,
    [EXC_USAGEFAULT] = kv_fault_handler,
    [EXC_SVCALL] = kv_fault_handler,
    [EXC_PENDSV] = kv_fault_handler,
    [EXC_SYSTICK] = kv_systick_handler,
    [IRQ_WWDG] = kv_fault_handler,
    [IRQ_PVD] = kv_pvd_handler,       /* supply falling */
    [IRQ_USART1] = kv_usart1_handler, /* the service console */
};
