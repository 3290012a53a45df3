/* stm32f103.h - the few STM32F103 registers this board uses (RM0008). */
#ifndef STM32F103_H
#define STM32F103_H

#include <stdint.h>

/* A host test of the board's drivers puts a register model behind REG. */
#ifndef REG
#define REG(addr) (*(volatile uint32_t *)(addr))
#endif

/* RCC */
#define RCC_CR REG(0x40021000u)
#define RCC_CFGR REG(0x40021004u)
#define RCC_APB2ENR REG(0x40021018u)
#define RCC_APB1ENR REG(0x4002101Cu)
#define RCC_CSR REG(0x40021024u)
/* Independent watchdog (clocked by the LSI, 30..60 kHz) */
#define IWDG_KR REG(0x40003000u)
#define IWDG_PR REG(0x40003004u)
#define IWDG_RLR REG(0x40003008u)
#define IWDG_SR REG(0x4000300Cu)
/* USART1: the technician's console */
#define USART1_SR REG(0x40013800u)
#define USART1_DR REG(0x40013804u)
#define USART1_BRR REG(0x40013808u)
#define USART1_CR1 REG(0x4001380Cu)
/* Flash interface */
#define FLASH_ACR REG(0x40022000u)
#define FLASH_KEYR REG(0x40022004u)
#define FLASH_SR REG(0x4002200Cu)
#define FLASH_CR REG(0x40022010u)
#define FLASH_AR REG(0x40022014u)
/* GPIO ports */
#define GPIOA 0x40010800u
#define GPIOB 0x40010C00u
#define GPIO_CRL(p) REG((p) + 0x00u)
#define GPIO_CRH(p) REG((p) + 0x04u)
#define GPIO_IDR(p) REG((p) + 0x08u)
#define GPIO_ODR(p) REG((p) + 0x0Cu)
#define GPIO_BSRR(p) REG((p) + 0x10u)
#define GPIO_BRR(p) REG((p) + 0x14u)
/* SPI1 */
#define SPI1_CR1 REG(0x40013000u)
#define SPI1_SR REG(0x40013008u)
#define SPI1_DR REG(0x4001300Cu)
/* PWR, EXTI (the programmable voltage detector is EXTI line 16) */
#define PWR_CR REG(0x40007000u)
#define EXTI_IMR REG(0x40010400u)
#define EXTI_RTSR REG(0x40010408u)
#define EXTI_PR REG(0x40010414u)
/* Core */
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define NVIC_ISER0 REG(0xE000E100u)
#define NVIC_ISER1 REG(0xE000E104u)

/* GPIO pin configurations (CNF:MODE nibble) */
#define GPIO_OUT_PP 0x2u      /* push-pull, 2 MHz */
#define GPIO_OUT_OD 0x6u      /* open drain, 2 MHz */
#define GPIO_AF_PP 0xBu       /* alternate function push-pull, 50 MHz */
#define GPIO_IN_FLOAT 0x4u
#define GPIO_IN_PULL 0x8u     /* with ODR: 1 = pull-up */

#endif
