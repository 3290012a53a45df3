/* main.c - the prepaid meter on an STM32F103 board.
 *
 * Pin map (docs/firmware-porting.md):
 *   card   PB12 RST, PB13 CLK, PB14 I/O (open drain, 10k pull-up),
 *          PB15 card-detect (closed = card in, to GND), PB11 card VCC
 *   relay  PA8 close coil, PB0 open coil, PB1 auxiliary contact
 *   console USART1: PA9 TX, PA10 RX (115200 8N1, docs/technician.md)
 *   lamps  PA11 red, PA12 yellow
 *   LCD    PB5 CS, PB6 WR, PB7 DATA (HT1621)
 *   inputs PA0 button, PA1 terminal cover switch (open = cover off)
 *   ATT7022E on SPI1: PA4 CS, PA5 SCK, PA6 MISO, PA7 MOSI
 *   EEPROM AT24C256 on PB8 SCL, PB9 SDA (bit-banged, open drain)
 * Internal flash: the last five 1 KiB pages of the budget are the secure
 * store (flash.h): the internal record at 0x08006C00, the provisioning
 * block at 0x08007C00 (see firmware/README.md).
 */
#include <stdint.h>

#include "att7022e.h"
#include "clock.h"
#include "console.h"
#include "debounce.h"
#include "eeprom_at24.h"
#include "flash.h"
#include "gpio.h"
#include "icc_sle4442.h"
#include "iwdg.h"
#include "lamps.h"
#include "lcd_ht1621.h"
#include "meter.h"
#include "relay.h"
#include "spi.h"
#include "stm32f103.h"
#include "uart.h"
#include "wdog_gate.h"

/* The factory calibration constant for EC = meter_constant (docs/metering-ic.md). */
#ifndef ATT_HFCONST
#define ATT_HFCONST 0x000120u
#endif

static meter m;
static icc_sle4442 card;
static eeprom_at24 eeprom;
static relay rel;
static lamps lights;
static att7022e att;
static console con;
static wdog_gate gate;
static char build_id[41];
/* the linker's build id note (link.ld): 16 bytes of header, then the id */
extern const uint8_t kv_build_id[];

enum { TASK_POLL = 1, TASK_TICK = 2 };
static volatile uint8_t in_core;      /* the main loop is inside the meter */
static volatile uint8_t power_failing;

/* ---- pins --------------------------------------------------------------- */

static void card_power(void *c, int on) { (void)c; gpio_write(GPIOB, 11, on); }
static void card_rst(void *c, int v) { (void)c; gpio_write(GPIOB, 12, v); }
static void card_clk(void *c, int v) { (void)c; gpio_write(GPIOB, 13, v); }
static void card_io(void *c, int v) { (void)c; gpio_write(GPIOB, 14, v); }
static int card_io_in(void *c) { (void)c; return gpio_get(GPIOB, 14); }
static int card_detect(void *c) { (void)c; return !gpio_get(GPIOB, 15); }
static void delay_us(void *c, unsigned us) { (void)c; clock_delay_us(us); }
static void delay_ms(void *c, unsigned ms) { (void)c; clock_delay_ms(ms); }

static void i2c_scl(void *c, int v) { (void)c; gpio_write(GPIOB, 8, v); }
static void i2c_sda(void *c, int v) { (void)c; gpio_write(GPIOB, 9, v); }
static int i2c_sda_in(void *c) { (void)c; return gpio_get(GPIOB, 9); }

static void coil_close(void *c, int on) { (void)c; gpio_write(GPIOA, 8, on); }
static void coil_open(void *c, int on) { (void)c; gpio_write(GPIOB, 0, on); }
static int relay_aux(void *c) { (void)c; return gpio_get(GPIOB, 1); }
static void lamp(void *c, unsigned which, int on)
{
    (void)c;
    gpio_write(GPIOA, which == METER_LAMP_RED ? 11 : 12, on);
}

static void lcd_cs(void *c, int v) { (void)c; gpio_write(GPIOB, 5, v); }
static void lcd_wr(void *c, int v) { (void)c; gpio_write(GPIOB, 6, v); }
static void lcd_data(void *c, int v) { (void)c; gpio_write(GPIOB, 7, v); }

static void spi_select(void *c, int on) { (void)c; gpio_write(GPIOA, 4, !on); }
static int spi_xfer(void *c, uint8_t out) { (void)c; return spi1_xfer(out); }

static const i2c_gpio i2c = {0, i2c_scl, i2c_sda, i2c_sda_in, delay_us};
static const lcd_ht1621 lcd = {0, lcd_cs, lcd_wr, lcd_data, delay_us};

/* ---- the core's outputs ------------------------------------------------- */

static void out_relay(void *c, int closed) { (void)c; relay_set(&rel, closed); }
static int out_sense(void *c) { (void)c; return relay_sense(&rel); }
static void out_lamps(void *c, unsigned mask) { (void)c; lamps_set(&lights, mask); }
static void out_display(void *c, const char *text, unsigned icons)
{
    (void)c;
    lcd_ht1621_show(&lcd, text, icons);
}

/* ---- setup -------------------------------------------------------------- */

static void pins_setup(void)
{
    RCC_APB2ENR |= (1u << 0) | (1u << 2) | (1u << 3) | (1u << 12) | (1u << 14);
    /* AFIO, A, B, SPI1, USART1 */
    RCC_APB1ENR |= 1u << 28;                                         /* PWR */
    for (unsigned p = 11; p <= 13; p++)
        gpio_mode(GPIOB, p, GPIO_OUT_PP);
    gpio_set(GPIOB, 14);
    gpio_mode(GPIOB, 14, GPIO_OUT_OD);
    gpio_set(GPIOB, 15);
    gpio_mode(GPIOB, 15, GPIO_IN_PULL);
    for (unsigned p = 8; p <= 9; p++) {
        gpio_set(GPIOB, p);
        gpio_mode(GPIOB, p, GPIO_OUT_OD);
    }
    for (unsigned p = 5; p <= 7; p++)
        gpio_mode(GPIOB, p, GPIO_OUT_PP);
    gpio_mode(GPIOA, 8, GPIO_OUT_PP);
    gpio_mode(GPIOB, 0, GPIO_OUT_PP);
    gpio_mode(GPIOB, 1, GPIO_IN_FLOAT);
    gpio_mode(GPIOA, 9, GPIO_AF_PP);      /* USART1 TX */
    gpio_mode(GPIOA, 10, GPIO_IN_FLOAT);  /* USART1 RX */
    gpio_mode(GPIOA, 11, GPIO_OUT_PP);
    gpio_mode(GPIOA, 12, GPIO_OUT_PP);
    gpio_set(GPIOA, 0);
    gpio_mode(GPIOA, 0, GPIO_IN_PULL);
    gpio_set(GPIOA, 1);
    gpio_mode(GPIOA, 1, GPIO_IN_PULL);
    /* SPI1 master, mode 1 (CPOL 0, CPHA 1), 72 MHz / 64 = 1.1 MHz */
    gpio_set(GPIOA, 4);
    gpio_mode(GPIOA, 4, GPIO_OUT_PP);
    gpio_mode(GPIOA, 5, GPIO_AF_PP);
    gpio_mode(GPIOA, 6, GPIO_IN_FLOAT);
    gpio_mode(GPIOA, 7, GPIO_AF_PP);
    SPI1_CR1 = (1u << 0) | (1u << 2) | (5u << 3) | (1u << 8) | (1u << 9) | (1u << 6);
}

/* The programmable voltage detector: an interrupt when the supply falls
 * below 2.9 V, time enough (the board's hold-up capacitor) to save. */
static void pvd_setup(void)
{
    PWR_CR |= (7u << 5) | (1u << 4);
    EXTI_IMR |= 1u << 16;
    EXTI_RTSR |= 1u << 16;
    NVIC_ISER0 = 1u << 1;
}

void kv_pvd_handler(void);
void kv_pvd_handler(void)
{
    EXTI_PR = 1u << 16;
    /* Never interrupt a record being written: the main loop saves as soon
     * as it leaves the core. */
    if (in_core)
        power_failing = 1;
    else
        meter_power_fail(&m);
}

static void make_build_id(void)
{
    static const char hex[] = "0123456789abcdef";
    uint32_t len = kv_build_id[4] | (uint32_t)kv_build_id[5] << 8; /* descsz */
    if (len > 20)
        len = 20;
    for (uint32_t i = 0; i < len; i++) {
        build_id[2 * i] = hex[kv_build_id[16 + i] >> 4];
        build_id[2 * i + 1] = hex[kv_build_id[16 + i] & 15u];
    }
    build_id[2 * len] = '\0';
}

static void board_info(console_board *b)
{
    b->build_id = build_id;
    b->clock_hz = clock_hz();
    b->clock_crystal = !(clock_status() & CLOCK_NO_CRYSTAL);
    b->wdog_running = 1;
    b->wdog_refreshes = gate.refreshes;
    b->wdog_timeout_ms = IWDG_TIMEOUT_MIN_MS;
}

int main(void)
{
    meter_card_ops card_ops;
    meter_nv_ops nv_ops;
    meter_secure_ops sec_ops;
    meter_out_ops out_ops = {0, out_relay, out_sense, out_lamps, out_display};
    icc_sle4442_gpio card_pins = {0, card_power, card_rst, card_clk,
                                  card_io, card_io_in, card_detect, delay_us};
    relay_hw relay_pins = {0, coil_close, coil_open, relay_aux, delay_ms};
    lamps_hw lamp_pins = {0, lamp};
    att7022e_spi spi = {0, spi_select, spi_xfer, delay_us};
    console_board info;
    debounce button, detect, cover;
    uint32_t last_tick, last_poll;
    uint8_t probe, held = 0;
    int wd_reset;

    /* The watchdog first: everything after it, the clock included, is
     * inside its window. */
    wd_reset = iwdg_caused_reset();
    iwdg_start();
    clock_setup();
    clock_systick_setup();
    pins_setup();
    uart_setup(clock_hz());
    make_build_id();
    console_init(&con, uart_write, 0);
    wdog_gate_init(&gate, TASK_POLL | TASK_TICK);
    lcd_ht1621_init(&lcd);
    icc_sle4442_init(&card, &card_pins);
    icc_sle4442_card_ops(&card, &card_ops);
    eeprom_at24_init(&eeprom, &i2c, 0x50, 32768);
    eeprom_at24_nv_ops(&eeprom, &nv_ops);
    flash_secure_ops(&sec_ops);
    relay_init(&rel, &relay_pins);
    lamps_init(&lights, &lamp_pins);
    debounce_init(&button, 0, 3);
    debounce_init(&detect, card_detect(0), 5);
    debounce_init(&cover, 0, 5);

    in_core = 1;
    meter_init_reset(&m, &card_ops, &nv_ops, &sec_ops, &out_ops,
                     wd_reset ? METER_RESET_WATCHDOG : METER_RESET_POWER);
    if (clock_status())
        meter_fault(&m, METER_FAULT_CLOCK);
    if (eeprom_at24_read(&eeprom, 0, &probe, 1) != 0)
        meter_fault(&m, METER_FAULT_NV);
    in_core = 0;
    att7022e_init(&att, &spi, ATT_HFCONST, m.meter_constant);
    pvd_setup();
    board_info(&info);
    console_status(&con, &m, &info);
    iwdg_refresh();

    last_tick = last_poll = clock_ms();
    for (;;) {
        uint32_t now = clock_ms();
        in_core = 1;
        if (now - last_poll >= 10) {
            last_poll = now;
            if (debounce_sample(&detect, card_detect(0)) > 0)
                meter_card_inserted(&m);
            if (debounce_sample(&button, !gpio_get(GPIOA, 0)) > 0)
                meter_button(&m);
            debounce_sample(&cover, gpio_get(GPIOA, 1));
            wdog_gate_progress(&gate, TASK_POLL);
        }
        if (now - last_tick >= 1000) {
            meter_sample s = {0};
            att7022e_sample(&att, &s);
            s.ms = now - last_tick;
            s.cover_open = cover.state;
            last_tick = now;
            meter_tick(&m, &s);
            /* the button held: the emergency credit, once per hold */
            held = button.state ? (uint8_t)(held + (held <= METER_HOLD_SECONDS)) : 0;
            if (held == METER_HOLD_SECONDS)
                meter_emergency(&m);
            wdog_gate_progress(&gate, TASK_TICK);
        }
        for (int n = 0; n < 32; n++) {
            int ch = uart_getc();
            if (ch < 0)
                break;
            board_info(&info);
            console_input(&con, &m, &info, (char)ch, now);
        }
        in_core = 0;
        if (power_failing) {
            power_failing = 0;
            meter_power_fail(&m);
        }
        /* only here, never from an interrupt: a loop stuck anywhere above
         * stops the refreshes and the watchdog restarts the meter */
        if (wdog_gate_due(&gate))
            iwdg_refresh();
        __asm__ volatile("wfi");
    }
}
