/* meter_io.h - the only ways the meter core reaches hardware.
 *
 * Four narrow interfaces, each a struct of callbacks plus a context pointer
 * that the board fills in.  The core includes no board or driver header; the
 * same core runs on the host (simulator, tests), in QEMU and on the STM32F103.
 * Fault injection (power cuts, a card pulled, a welded relay) enters through
 * these same callbacks, never through conditionals inside the core.
 */
#ifndef METER_IO_H
#define METER_IO_H

#include <stdint.h>

/* ---- Smart card (SLE4442 through its wire driver) ---------------------- */

/* Results of the card callbacks. */
typedef enum {
    METER_CARD_OK = 0,
    METER_CARD_ABSENT = 1,   /* no card, or pulled during the operation */
    METER_CARD_IO = 2,       /* no answer to reset, processing never ended */
    METER_CARD_PSC = 3,      /* the PSC was refused (one try spent) */
    METER_CARD_LOCKED = 4,   /* error counter at 0: card is read-only */
    METER_CARD_WRITE = 5     /* a byte reads back different after its update */
} meter_card_result;

typedef struct {
    void *ctx;
    /* Power the card, reset it, check the answer to reset and read all 256
     * bytes of main memory. */
    meter_card_result (*read)(void *ctx, uint8_t image[256]);
    /* The mandatory PSC verification sequence.  *tries_left receives the
     * error counter's remaining tries before the attempt.  The callee wipes
     * its copies of the PSC. */
    meter_card_result (*verify)(void *ctx, const uint8_t psc[3], unsigned *tries_left);
    /* Update one byte of main memory (erase + write) and check it. */
    meter_card_result (*write_byte)(void *ctx, unsigned addr, uint8_t value);
    /* Remove power from the card contacts. */
    void (*release)(void *ctx);
} meter_card_ops;

/* ---- Non-volatile memory ----------------------------------------------- */

/* A byte-addressed non-volatile memory of at least METER_NV_SIZE bytes
 * (the external EEPROM).  Anyone with a clip on the chip reads and writes
 * it: it holds no secret, and every record in it carries a MAC under a key
 * that never leaves the MCU (core/nvrec.h).  write() may be cut by a power
 * failure after any byte: the record layer (nvrec.c) copes with that.
 * Both return 0 on success, -1 on a failed or cut access. */
typedef struct {
    void *ctx;
    int (*read)(void *ctx, uint32_t addr, void *buf, uint32_t len);
    int (*write)(void *ctx, uint32_t addr, const void *buf, uint32_t len);
} meter_nv_ops;

/* ---- Internal flash ------------------------------------------------------ */

/* A few pages of the MCU's own flash, which the part's read-out protection
 * keeps from the debug port and which no clip on the board reaches.  It
 * holds the provisioning block (the last page, written by the technician)
 * and the meter's internal record: keys, parameters and the floor of its
 * counters (core/secrec.h), in a log over the other pages.  The geometry is
 * fixed here so every board reserves the same region; addresses passed to
 * the callbacks are offsets into it.
 *
 * Flash rules: erase() sets a whole page to FF; write() only programs
 * erased cells (addr and len even: the STM32F1 programs half-words).  Both
 * may be cut by a power failure part way: a cut write leaves some of the
 * bytes programmed, a cut erase a page of mixed old and FF bytes.  All
 * three return 0 on success, -1 on a failed, refused or cut access; waits
 * for the flash controller are bounded. */
#define METER_SECURE_PAGE 1024u
#define METER_SECURE_PAGES 5u
#define METER_SECURE_SIZE (METER_SECURE_PAGE * METER_SECURE_PAGES)
#define METER_SECURE_PROVISION (METER_SECURE_SIZE - METER_SECURE_PAGE)

typedef struct {
    void *ctx;
    int (*read)(void *ctx, uint32_t addr, void *buf, uint32_t len);
    int (*write)(void *ctx, uint32_t addr, const void *buf, uint32_t len);
    int (*erase)(void *ctx, uint32_t page_addr);
} meter_secure_ops;

/* ---- Outputs ------------------------------------------------------------ */

enum {
    METER_LAMP_RED = 0x01,    /* remaining below the alarm level */
    METER_LAMP_YELLOW = 0x02  /* remaining below the pre-trip level */
};

/* Annunciators on the segment LCD beside the text. */
enum {
    METER_ICON_KWH = 0x01,
    METER_ICON_RELAY_OPEN = 0x02,
    METER_ICON_TAMPER = 0x04,
    METER_ICON_CARD = 0x08,
    METER_ICON_LOCK = 0x10
};

typedef struct {
    void *ctx;
    void (*relay_set)(void *ctx, int closed);
    /* Auxiliary contact: 1 closed, 0 open, -1 when the relay has none. */
    int (*relay_sense)(void *ctx);
    void (*lamps_set)(void *ctx, unsigned mask);
    /* Text for the segment LCD (see docs/display-codes.md) and icons. */
    void (*display_show)(void *ctx, const char *text, unsigned icons);
} meter_out_ops;

/* Hardware faults (meter_run.faults, meter_sample.fault): what the board or the core found
 * not answering within its time bound (docs/display-codes.md, page 9). */
enum {
    METER_FAULT_CLOCK = 0x01,    /* crystal or PLL: running on the HSI */
    METER_FAULT_NV = 0x02,       /* EEPROM: no answer, bus stuck, or a save failed */
    METER_FAULT_METERING = 0x04, /* metering IC: no answer; the relay opens */
    METER_FAULT_CARD = 0x08      /* the last card did not answer in time */
};

/* ---- Measurements ------------------------------------------------------- */

/* What the energy front end (CF pulse counter or metering IC driver)
 * measured since the previous sample.  One pulse is 1/meter_constant kWh. */
typedef struct {
    uint32_t ms;              /* time covered by this sample */
    uint32_t pulses[3];       /* forward active energy, L1..L3 */
    uint32_t reverse[3];      /* reverse active energy (a tamper sign) */
    uint32_t power_w;         /* total active power, absolute value */
    uint8_t phase_ok;         /* bit n: voltage present on phase n */
    uint8_t cover_open;       /* terminal cover switch */
    uint8_t fault;            /* METER_FAULT_METERING: the front end did not
                               * answer; the counts above are then 0 */
} meter_sample;

#endif
