/* icc_sle4442.h - SLE4442 memory card over its native wire protocol.
 *
 * Bit-banged on three GPIO lines (RST, CLK, I/O open drain with a pull-up)
 * plus the card-detect switch and the contacts' supply.  Implements the
 * meter core's card interface (meter_card_ops): reset and ATR check, read of
 * the 256-byte main memory, the mandatory PSC verification sequence, byte
 * updates clocked through processing mode until I/O rises (with a cap) and
 * checked by reading the byte back.
 */
#ifndef ICC_SLE4442_H
#define ICC_SLE4442_H

#include <stdint.h>

#include "meter_io.h"

/* The pins, as the board provides them. */
typedef struct {
    void *ctx;
    void (*power)(void *ctx, int on);   /* card VCC */
    void (*rst)(void *ctx, int level);
    void (*clk)(void *ctx, int level);
    void (*io)(void *ctx, int level);   /* 0 = drive low, 1 = release */
    int (*io_read)(void *ctx);
    int (*detect)(void *ctx);           /* card-detect switch: 1 = card in */
    void (*delay_us)(void *ctx, unsigned us);
} icc_sle4442_gpio;

/* Clocks allowed for one processing before the card counts as dead: real
 * cards take 124..301; a cap keeps a stuck line from hanging the meter. */
#define ICC_SLE4442_PROC_CAP 1024u
/* Half a CLK period: 12 us is about 42 kHz, inside the card's 7..50 kHz. */
#define ICC_SLE4442_HALF_PERIOD_US 12u

typedef struct {
    icc_sle4442_gpio gpio;
    unsigned half_us;
    unsigned proc_cap;
    unsigned last_proc;   /* clocks the last processing took */
    uint8_t atr[4];
} icc_sle4442;

void icc_sle4442_init(icc_sle4442 *c, const icc_sle4442_gpio *gpio);

/* Power up and reset; the ATR (main memory 0..3) into c->atr.
 * METER_CARD_IO if nothing answers (all ones or all zeros). */
meter_card_result icc_sle4442_reset(icc_sle4442 *c);
/* Read len bytes of main memory from addr (then break off the stream). */
meter_card_result icc_sle4442_read_main(icc_sle4442 *c, unsigned addr, uint8_t *out, unsigned len);
meter_card_result icc_sle4442_read_security(icc_sle4442 *c, uint8_t sec[4]);
meter_card_result icc_sle4442_read_protection(icc_sle4442 *c, uint8_t prot[4]);
/* Erase+write one byte, clock the processing, read the byte back. */
meter_card_result icc_sle4442_update_main(icc_sle4442 *c, unsigned addr, uint8_t value);
meter_card_result icc_sle4442_update_security(icc_sle4442 *c, unsigned addr, uint8_t value);
meter_card_result icc_sle4442_compare(icc_sle4442 *c, unsigned addr, uint8_t value);
/* Read security memory; spend one try; compare the three PSC bytes; erase
 * the error counter back to 7; read security memory again to see whether
 * the card accepted.  *tries_left: tries before the attempt. */
meter_card_result icc_sle4442_verify_psc(icc_sle4442 *c, const uint8_t psc[3],
                                         unsigned *tries_left);
void icc_sle4442_power_off(icc_sle4442 *c);

/* The meter core's card interface on this driver (ctx = the icc_sle4442). */
void icc_sle4442_card_ops(icc_sle4442 *c, meter_card_ops *ops);

#endif
