/* nvrec.h - power-fail-safe, authenticated records in the external EEPROM.
 *
 * The EEPROM holds only the state record: the ledger, the energy, the
 * flags and the event log, none of it secret.  Keys and parameters live in
 * the MCU's internal flash (secrec.h).  Anyone with a clip on the chip can
 * read and write it, so every record carries a MAC: AES-CMAC, truncated to
 * 8 bytes, under the NV key, which the meter derives inside the MCU from
 * the provisioning key held in internal flash (nvrec_derive_key).  A record
 * of another meter, or one edited with its CRC recomputed, fails the MAC.
 *
 *   state record  16 slots x 80 bytes at 0x080: {magic "KS", version 2,
 *                 sequence, meter number, fields, MAC}; bytes 67..70 (the
 *                 watchdog resets and clock faults) were zero in records
 *                 written before they had a meaning, and read so
 *
 * A write goes to the slot after the newest one: first the whole record
 * with its second magic byte 't' (being written), then that byte set to
 * 'S' (the commit byte), so a power cut at any byte leaves that slot
 * uncommitted and the previous record intact.  At boot the valid slot with
 * the highest sequence wins.  It rotates over 16 slots because the energy
 * is saved often (every 0.1 kWh): each slot sees 1/16 of the writes.
 *
 * Torn or forged: a cut leaves an uncommitted slot, and only the slot
 * being written, which is always the one after the newest valid record.
 * So a slot is counted as bad, and the meter treats it as tampering
 * (store.h), when it is committed ("KS") but fails its MAC, version or
 * meter number (edited, forged, another meter's), or when it is neither
 * valid, erased (FF), nor that next slot.  Slots holding a record of the
 * earlier format (version 1, CRC only) are counted apart: they are what a
 * meter upgraded from that firmware left, and are erased (nvrec_v1_erase).
 * What this cannot tell: someone who knows the format can clear the
 * commit byte of the newest record; the meter then resumes from the one
 * before it, which forgets at most the last save (0.1 kWh of energy, or an
 * event); the floor in internal flash holds loads, tokens and counters.
 *
 * Earlier firmware (version 1 records, CRC-32 only) kept a config record
 * with the meter key at 0x000 (2 x 64 bytes), the state records at 0x080
 * and a load mark at 0x580 (2 x 32 bytes).  nvrec_v1_load reads them once,
 * to move a meter in the field to this layout (store.h); nvrec_v1_erase
 * then blanks them, keys included.
 */
#ifndef NVREC_H
#define NVREC_H

#include "meter.h"

#define NVREC_V1_CONFIG_BASE 0x000u
#define NVREC_V1_CONFIG_SLOTS 2u
#define NVREC_V1_CONFIG_STRIDE 64u
#define NVREC_V1_CONFIG_LEN 64u
#define NVREC_STATE_BASE 0x080u
#define NVREC_STATE_SLOTS 16u
#define NVREC_STATE_STRIDE 80u
#define NVREC_STATE_LEN 80u
#define NVREC_V1_STATE_LEN 72u
#define NVREC_MAC_LEN 8u
#define NVREC_V1_MARK_BASE (NVREC_STATE_BASE + NVREC_STATE_SLOTS * NVREC_STATE_STRIDE)
#define NVREC_V1_MARK_SLOTS 2u
#define NVREC_V1_MARK_STRIDE 32u
#define NVREC_V1_MARK_LEN 24u
#define METER_NV_SIZE (NVREC_V1_MARK_BASE + NVREC_V1_MARK_SLOTS * NVREC_V1_MARK_STRIDE)

/* What a scan of the state slots found besides the newest record. */
typedef struct {
    unsigned valid;  /* slots with a record of this meter under its MAC */
    unsigned bad;    /* neither valid, erased, nor the slot a cut may tear */
    unsigned old;    /* slots with a version 1 record */
} nvrec_scan;

/* The NV key: KDF(provisioning key, "kilovend nv", utility || meter). */
void nvrec_derive_key(const uint8_t k_prov[16], uint32_t utility_code, uint32_t meter_number,
                      uint8_t key[16]);

/* Newest valid state record into *st; returns its sequence, 0 if none.
 * first_seq: the sequence the first record will have (where a cut may
 * have torn a slot when no record is valid yet). */
uint32_t nvrec_load_state(const meter_nv_ops *nv, const uint8_t key[16], uint32_t meter_number,
                          uint32_t first_seq, meter_state *st, nvrec_scan *scan);
/* Write a state record with sequence seq (newest + 1).  0 on success. */
int nvrec_save_state(const meter_nv_ops *nv, const uint8_t key[16], uint32_t meter_number,
                     const meter_state *st, uint32_t seq);

/* The state's fields into bytes 8..70 of a state record (the meter
 * number first); bytes 12..66 are laid out alike in both versions. */
void nvrec_state_put(const meter_state *s, uint32_t meter_number, uint8_t r[NVREC_STATE_LEN]);

/* Overwrite with FF every byte of the records' area that is not: the
 * blank EEPROM of a meter's first boot.  0 on success. */
int nvrec_format(const meter_nv_ops *nv);

/* ---- the earlier format ----------------------------------------------- */

typedef struct {
    meter_config cfg;       /* keys and parameters */
    meter_state st;         /* the newest version 1 state record */
    uint32_t state_seq;     /* its sequence, 0 if none */
    uint32_t mark_cumulative; /* the load mark, 0 if none */
    uint32_t mark_last_seq;
} nvrec_v1;

/* Reads the version 1 records (CRC-32 valid; the state and mark of
 * cfg->meter_number).  Returns the config record's sequence, 0 if there is
 * none.  The caller wipes old->cfg (it holds the key). */
uint32_t nvrec_v1_load(const meter_nv_ops *nv, nvrec_v1 *old);
/* 1 if any version 1 record (config, mark or state slot) is left. */
int nvrec_v1_present(const meter_nv_ops *nv);
/* Overwrite with FF every version 1 slot: config (the keys), mark, state.
 * 0 when none is left. */
int nvrec_v1_erase(const meter_nv_ops *nv);

#endif
