/* sle4442_wire.h - the SLE4442 chip model seen from its contacts.
 *
 * A bit-level front end over the command-level model (sle4442.h): the host
 * drives RST, CLK and I/O (open drain with a pull-up) exactly as a meter's
 * MCU does, and the card answers on I/O:
 *   reset      RST high, one CLK pulse, RST low: the 32 ATR bits (main
 *              memory bytes 0..3, LSB first) come out, bit 0 when RST falls
 *              and the next one on each falling CLK edge
 *   START      I/O falls while CLK is high (card idle)
 *   command    24 bits, control, address, data, each LSB first, sampled on
 *              the rising CLK edge (the host changes I/O while CLK is low)
 *   STOP       after the 24th bit: I/O low while CLK is low, CLK high, then
 *              I/O rises while CLK is high
 *   outgoing   after 30/31/34: one bit per falling CLK edge, then I/O is
 *              released on the falling edge after the last bit
 *   processing after 38/39/3C/33: I/O low from the first falling CLK edge
 *              for proc_clocks clocks (124..301 on real cards), then high
 *   break      RST raised and lowered without a CLK pulse: back to idle
 * A card pulled out (sle_wire_remove, or a pull scheduled after N clocks)
 * stops answering: I/O floats high.  An update cut in the second half of
 * its processing leaves the byte erased (FF), as a real erase-then-write
 * cell would be.
 */
#ifndef SLE4442_WIRE_H
#define SLE4442_WIRE_H

#include <stdint.h>

#include "sle4442.h"

#define SLE_WIRE_PROC_MIN 124
#define SLE_WIRE_PROC_MAX 301

typedef struct {
    sle4442 *chip;
    unsigned proc_clocks;   /* processing length in clocks */
    uint8_t present;
    /* line levels driven by the host */
    uint8_t rst, clk, io_host;
    /* 1 = the card releases I/O */
    uint8_t io_card;
    uint8_t mode;
    uint8_t reset_clocked;
    uint32_t cmd;
    unsigned nbits;
    /* outgoing data */
    uint8_t out_src;        /* 0 main memory, 1 the 4-byte buffer */
    uint8_t out4[4];
    unsigned out_base, out_bit, out_len;
    /* processing */
    unsigned proc_count;
    /* fault injection: pull the card after this many more rising CLK
     * edges (0 = never) */
    unsigned pull_after;
    /* statistics for tests */
    unsigned commands;
    unsigned clocks;
} sle_wire;

/* The card is not inserted yet; proc_clocks outside 124..301 is clamped. */
void sle_wire_init(sle_wire *w, sle4442 *chip, unsigned proc_clocks);
/* Insert (power on: the PSC verification of the chip is lost) / pull. */
void sle_wire_insert(sle_wire *w);
void sle_wire_remove(sle_wire *w);

/* Host side: set a line.  io: 0 = pulled low, 1 = released. */
void sle_wire_set_rst(sle_wire *w, int level);
void sle_wire_set_clk(sle_wire *w, int level);
void sle_wire_set_io(sle_wire *w, int level);
/* The level on I/O: the wired AND of host and card, high when released. */
int sle_wire_io(const sle_wire *w);

#endif
