/* sle4442.h - a model of the Infineon SLE4442 memory card chip.
 *
 * Exact to the datasheet at the command level: 256 bytes of main memory
 * (update = erase to FF then write), 32 protection bits (one-time, set only
 * by comparing the byte's content), security memory (error counter and
 * 3-byte PSC) with the mandatory verification sequence.  Used by the virtual
 * card (kilovend-vcard, through pcscd) and by the meter simulator (through a
 * wire-level front end), and saved in the card file format shared by both
 * (docs/card-file.md).  Pure C, no allocation.
 */
#ifndef SLE4442_H
#define SLE4442_H

#include <stddef.h>
#include <stdint.h>

#define SLE_MAIN_SIZE 256
#define SLE_PROT_BYTES 32
#define SLE_FILE_SIZE 1300
#define SLE_FILE_MAGIC "KVCARD01"

/* Native command codes (first byte of a command). */
enum {
    SLE_CMD_READ_MAIN = 0x30,
    SLE_CMD_UPDATE_MAIN = 0x38,
    SLE_CMD_READ_PROT = 0x34,
    SLE_CMD_WRITE_PROT = 0x3C,
    SLE_CMD_READ_SEC = 0x31,
    SLE_CMD_UPDATE_SEC = 0x39,
    SLE_CMD_COMPARE = 0x33
};

/* Results of the operations. */
typedef enum {
    SLE_OK = 0,
    SLE_E_LOCKED = 1,     /* PSC not verified (or EC = 0): nothing written */
    SLE_E_PROTECTED = 2,  /* byte protected: nothing written */
    SLE_E_ADDRESS = 3,    /* address out of range */
    SLE_E_COMPARE = 4,    /* protection write refused: data differs from memory */
    SLE_E_SEQUENCE = 5    /* command not allowed at this point of the PSC sequence */
} sle_result;

typedef struct {
    uint8_t main[SLE_MAIN_SIZE];
    uint8_t prot[4];      /* bit i of prot[i/8]: 1 = byte i writable, 0 = protected */
    uint8_t sec[4];       /* EC (low 3 bits), PSC1..PSC3 */
    uint32_t writes[SLE_MAIN_SIZE]; /* erase/write cycles per byte (endurance) */
    /* session state, lost at power off */
    uint8_t verified;     /* PSC accepted since power on */
    uint8_t ec_armed;     /* an EC bit was cleared: compares may follow */
    uint8_t compare_ok;   /* bit n set: PSC byte n compared equal */
} sle4442;

/* A factory-fresh card: main memory FF except the 4 ATR bytes (normally
 * A2 13 10 91), all bytes writable, EC 07, PSC as given (usually FF FF FF). */
void sle_init_blank(sle4442 *c, const uint8_t atr[4], const uint8_t psc[3]);

/* Power on (or reset): the verification is lost. */
void sle_power_on(sle4442 *c);

/* Remaining PSC tries (0..3): the number of 1 bits in EC. */
unsigned sle_tries_left(const sle4442 *c);

/* ---- the seven commands ---- */
/* Read main memory from addr; the card streams to byte 255. */
sle_result sle_read_main(const sle4442 *c, unsigned addr, uint8_t *out, size_t len);
sle_result sle_read_prot(const sle4442 *c, uint8_t out[4]);
/* EC and PSC; the PSC reads as 00 00 00 until verified. */
sle_result sle_read_sec(const sle4442 *c, uint8_t out[4]);
/* Erase then write one byte; needs verification and a writable byte. */
sle_result sle_update_main(sle4442 *c, unsigned addr, uint8_t data);
/* An update cut between its erase and its write (power lost, card pulled):
 * the byte is left erased (FF).  Same checks as sle_update_main; used by
 * fault injection (a card torn out of the reader). */
sle_result sle_update_main_torn(sle4442 *c, unsigned addr);
/* Protect byte addr (< 32): only if data equals the stored byte. */
sle_result sle_write_prot(sle4442 *c, unsigned addr, uint8_t data);
/* addr 0 = EC, 1..3 = PSC.  Without verification, EC can only lose bits
 * (this arms the compare sequence); erasing EC back to 07 succeeds only if
 * the three compares that followed all matched. PSC bytes need verification. */
sle_result sle_update_sec(sle4442 *c, unsigned addr, uint8_t data);
/* Compare PSC byte addr (1..3) with data, part of the verification; only
 * allowed right after an EC bit was cleared.  A later compare of the same
 * byte replaces the earlier result. */
sle_result sle_compare(sle4442 *c, unsigned addr, uint8_t data);

/* Convenience: the whole verification sequence, as a reader's firmware runs
 * it: clear the lowest set EC bit, compare the 3 bytes, erase EC.  Returns
 * SLE_OK if the PSC matched (EC back to 07); the EC keeps the lost try
 * otherwise (SLE_E_LOCKED).  SLE_E_LOCKED at once if EC is already 0.
 * Like the chip, a card already unlocked since power-on stays unlocked and
 * the sequence then succeeds whatever the code: the security memory is
 * freely writable once verified. */
sle_result sle_verify_psc(sle4442 *c, const uint8_t psc[3]);

/* Total erase/write cycles of main memory (endurance accounting). */
uint64_t sle_total_writes(const sle4442 *c);

/* ---- the card file (docs/card-file.md) ---- */
/* Saves the persistent state only: the session state (verification) is
 * lost, as when a card leaves the reader. */
void sle_save(const sle4442 *c, uint8_t out[SLE_FILE_SIZE]);
/* 0 on success, -1 if the magic or CRC is wrong or a field is impossible
 * (EC above 07).  The loaded card is powered off (not verified). */
int sle_load(sle4442 *c, const uint8_t in[SLE_FILE_SIZE]);

#endif
