/* host_board.h - the meter on a PC: the board of the simulator and tests.
 *
 * Everything a real board has, in memory: the card slot is the SLE4442 chip
 * model behind its wire-level front end, bit-banged by the real driver
 * (drivers/icc_sle4442.c); the non-volatile memory is a byte array (the
 * simulator keeps it in a file); the energy comes from a small plant model
 * (a load per phase behind the relay) through the real CF pulse driver.
 * The MCU's internal flash is a second array (sec), apart from the EEPROM
 * image (nv), so a test can clip, erase or swap the EEPROM without touching
 * it; it behaves as NOR flash (erase to FF by page, programming only clears
 * bits).  A power budget cuts the power after a given number of written
 * bytes (EEPROM, internal flash and card alike; a page erase counts as one),
 * for the power-fail tests.
 */
#ifndef HOST_BOARD_H
#define HOST_BOARD_H

#include <stdint.h>

#include "cf_pulse.h"
#include "icc_sle4442.h"
#include "meter.h"
#include "nvrec.h"
#include "sle4442.h"
#include "sle4442_wire.h"

/* What outlives a process of the simulator besides the NV memory. */
typedef struct {
    meter_run run;
    meter_state st;            /* the ledger as the powered meter holds it */
    uint8_t relay_stuck;       /* welded contacts: closed whatever we command */
    uint8_t cover_open;
    uint32_t now_ms;           /* board clock */
    uint64_t acc[3];           /* plant: energy not yet a pulse, W x ms x EC */
    cf_pulse cf;
} host_persist;

typedef struct {
    /* card slot */
    sle4442 chip;
    sle_wire wire;
    icc_sle4442 icc;
    meter_card_ops icc_ops;    /* the driver's own interface */
    /* non-volatile memory: the external EEPROM */
    uint8_t nv[METER_NV_SIZE];
    /* the MCU's internal flash: internal record log, provisioning block */
    uint8_t sec[METER_SECURE_SIZE];
    /* power budget: bytes that may still be written, -1 = no limit; each
     * card byte counts twice (before its update, and in its processing) */
    long budget;
    int power_cut;
    /* the memory refuses every write (a dead EEPROM) while set */
    uint8_t nv_fail;
    unsigned nv_bytes_written;
    unsigned sec_bytes_written;  /* programmed bytes and erased pages */
    unsigned card_bytes_written;
    /* time the card driver spent waiting on the wire (its delay_us), us:
     * the card's clock at the driver's rate, processing included */
    uint64_t card_wait_us;
    /* outputs */
    int relay_cmd;
    unsigned lamps;
    char text[METER_TEXT_LEN];
    unsigned icons;
    host_persist p;
    /* the meter */
    meter m;
    meter_card_ops card_ops;
    meter_nv_ops nv_ops;
    meter_secure_ops sec_ops;   /* the sec array; a board may put its own */
    meter_out_ops out_ops;
} host_board;

/* Blank NV and internal flash (all FF), no card, relay healthy. */
void host_board_init(host_board *b, unsigned proc_clocks);
/* The technician writes the provisioning block (NULL: erases it) into the
 * internal flash if it differs from what is there; outside the power
 * budget.  0 on success. */
int host_board_provision(host_board *b, const uint8_t *provision);
/* Provision (as above), then power up the meter on this board (meter_init). */
int host_board_boot(host_board *b, const uint8_t *provision);
/* The same after a reset of the MCU for this reason (METER_RESET_*): a
 * watchdog reset is what a power cut is to the records. */
int host_board_boot_reset(host_board *b, const uint8_t *provision, unsigned reset);
/* Back into a meter that stayed powered (the simulator's next command). */
int host_board_resume(host_board *b, const uint8_t *provision);

/* Put a card (a copy of *card) into the slot and tell the meter; returns
 * meter_card_inserted()'s result.  The card stays in the slot. */
int host_board_insert(host_board *b, const sle4442 *card);
/* Take the card out (its content into *card if not NULL). */
void host_board_remove(host_board *b, sle4442 *card);

/* Physical relay state: closed if commanded, or welded. */
int host_board_relay_closed(const host_board *b);

/* Run the plant for seconds s with these loads (W per phase, negative =
 * energy flowing back; phase_ok bit n = voltage on phase n), one meter tick
 * per second.  Energy flows only while the relay is physically closed. */
void host_board_run(host_board *b, const int32_t watts[3], uint8_t phase_ok, uint32_t seconds);

/* Cut the power after `bytes` more written bytes (-1: never). */
void host_board_power_budget(host_board *b, long bytes);

#endif
