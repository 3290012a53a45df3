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

/* Interrupts this board does not enable stay 0: taken anyway, they fault
 * and the fault handler restarts the meter. */
__attribute__((section(".vectors"), used))
static void (*const vectors[16 + 38])(void) = {
    (void (*)(void))(&_estack),
    kv_reset_handler,
    kv_fault_handler, /* NMI */
    kv_fault_handler, /* HardFault */
    kv_fault_handler, /* MemManage */
    kv_fault_handler, /* BusFault */
    kv_fault_handler, /* UsageFault */
    0, 0, 0, 0,
    kv_fault_handler, /* SVCall */
    0, 0,
    kv_fault_handler, /* PendSV */
    kv_systick_handler,
    kv_fault_handler, /* IRQ0 WWDG */
    kv_pvd_handler,   /* IRQ1 PVD: supply falling */
    [16 + 37] = kv_usart1_handler, /* IRQ37 USART1: the service console */
};
