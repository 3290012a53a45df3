/* secrec.h - the internal record, in the MCU's own flash.
 *
 * The keys, the parameters and the floor of the counters (meter.h) live
 * here, out of reach of a clip on the EEPROM: the part's read-out
 * protection keeps the debug port from reading this flash, and a mass
 * erase, the only way to lift it, takes the firmware with it.
 *
 * The region (meter_io.h, meter_secure_ops) is METER_SECURE_PAGES pages:
 * the last holds the provisioning block as the technician wrote it; the
 * others hold a log of 100-byte records {magic, version 3, sequence,
 * fields, CRC-32}, ten to a page.  Version 1 records (96 bytes, no credit
 * cleared) are read until the first record of version 2 or 3 is written,
 * into the page after the newest version 1 record (a cut there leaves it).
 * Version 2 records (no emergency allowance) have the same length and
 * slots and are read alike: the log goes on across that update.  A record goes into the first erased slot after the
 * newest one, body first and CRC last, so a cut leaves that slot invalid
 * and the newest record intact.  When a page is full the next page (the
 * oldest records) is erased and the log goes on there.  At boot the valid
 * record with the highest sequence wins.  The CRC guards against a torn
 * write, not an attacker: nobody outside the firmware writes this flash.
 *
 * Wear: a page is erased once per SECREC_PER_PAGE * SECREC_PAGES records
 * (40); at 10 000 erase cycles per page (STM32F103) the log takes 400 000
 * records.  When the record is written: meter.h (METER_FLOOR_*),
 * core/store.h and firmware/README.md.
 */
#ifndef SECREC_H
#define SECREC_H

#include "meter.h"

#define SECREC_LEN 100u
#define SECREC_PER_PAGE (METER_SECURE_PAGE / SECREC_LEN)
#define SECREC_PAGES (METER_SECURE_PAGES - 1u)

/* The newest valid record into *cfg and *fl (cfg->utility_code and
 * meter_number included); returns its sequence, 0 if there is none. */
uint32_t secrec_load(const meter_secure_ops *s, meter_config *cfg, meter_floor *fl);

/* Append a record with sequence seq (the newest + 1).  0 on success. */
int secrec_save(const meter_secure_ops *s, const meter_config *cfg, const meter_floor *fl,
                uint32_t seq);

/* The provisioning block from its page: 0, or -1 if it cannot be read. */
int secrec_read_provision(const meter_secure_ops *s, uint8_t block[KV_PROVISION_LEN]);

#endif
