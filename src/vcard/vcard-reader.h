/* vcard-reader.h - an ACS reader (ACR39U) with an SLE4442 card in it.
 *
 * Turns the PC/SC pseudo-APDUs of ACS readers into the chip's native
 * commands on the model in src/sle4442, the way the reader's firmware does,
 * and accounts the card time each command costs.  Pure logic: the vpcd link,
 * the card file and the clock live in the caller.
 */
#ifndef VCARD_READER_H
#define VCARD_READER_H

#include <stddef.h>
#include <stdint.h>

#include "sle4442.h"

/* Largest response: 256 data bytes + 4 protection bytes + status word. */
#define VCARD_RESP_MAX 262

typedef enum {
    VCARD_SHAPE_ACR39, /* PRESENT_CODE answers 90 EC; reads answer data + 90 00 */
    VCARD_SHAPE_ACR38  /* older manuals: EC P1 P2 P3 90 00; reads append 4 protection bytes */
} vcard_shape;

typedef struct {
    sle4442 chip;
    vcard_shape shape;
    int selected;         /* FF A4 with type 06 since power-on */
    long tear_after;      /* main-memory bytes still written before the tear; < 0: never */
    int torn;             /* set by a tear: the caller drops the link at once */
    /* A lying card (an emulator): writes reach the chip, reads answer with
     * the main memory as it was when stale was set. */
    int stale;
    uint8_t stale_main[SLE_MAIN_SIZE];
    int changed;          /* persistent state changed: the caller saves the card */
    unsigned clock_hz;    /* card clock of the timing model */
    unsigned write_us;    /* erase+write time of one byte */
    uint64_t card_us;     /* card time used by the last command */
} vcard_reader;

/* The timing model's defaults: a 50 kHz clock and the datasheet's 2.5 ms
 * per erase+write cycle. */
#define VCARD_CLOCK_HZ 50000u
#define VCARD_WRITE_US 2500u

void vcard_reader_init(vcard_reader *r, vcard_shape shape);
/* Power on, reset and power off all end the card session. */
void vcard_reader_power(vcard_reader *r);
/* The ATR the reader reports for the card: 3B 04 followed by main memory
 * bytes 0..3.  Returns its length. */
size_t vcard_reader_atr(const vcard_reader *r, uint8_t atr[6]);
/* Start (on) or stop answering reads with the memory as it is now. */
void vcard_reader_set_stale(vcard_reader *r, int on);
/* Execute one command APDU; returns the response length (0 if the card was
 * torn out during the command: no response at all). */
size_t vcard_reader_apdu(vcard_reader *r, const uint8_t *apdu, size_t len,
                         uint8_t resp[VCARD_RESP_MAX]);

#endif
