/* nvrec.h - power-fail-safe records in non-volatile memory.
 *
 * Two records, each kept in several slots of {magic, sequence, fields, CRC-32}:
 * a write goes to the slot after the newest one, body first and CRC last, so
 * a power cut at any byte leaves that slot invalid and the previous record
 * intact.  At boot the valid slot with the highest sequence wins.
 *
 *   config record  2 slots x 64 bytes at 0x000: keys and parameters
 *   state record  16 slots x 80 bytes at 0x080: ledger, energy, flags, log
 *   load mark      2 slots x 32 bytes at 0x580: credit ever loaded, last
 *                  token sequence
 *
 * The state record rotates over 16 slots because the energy counter is
 * saved often (every 0.1 kWh): each slot sees 1/16 of the writes.
 *
 * The load mark is written after the state record of every card that
 * raised the credit loaded or the last token sequence.  If the newest
 * state record is found damaged at boot and an older one wins, the mark
 * still holds the loads since: the meter carries them over (credit and
 * cumulative together) instead of taking the token again.  A meter whose
 * memory predates the mark reads it erased and simply has none.
 */
#ifndef NVREC_H
#define NVREC_H

#include "meter.h"

#define NVREC_CONFIG_BASE 0x000u
#define NVREC_CONFIG_SLOTS 2u
#define NVREC_CONFIG_STRIDE 64u
#define NVREC_CONFIG_LEN 64u
#define NVREC_STATE_BASE 0x080u
#define NVREC_STATE_SLOTS 16u
#define NVREC_STATE_STRIDE 80u
#define NVREC_STATE_LEN 72u
#define NVREC_MARK_BASE (NVREC_STATE_BASE + NVREC_STATE_SLOTS * NVREC_STATE_STRIDE)
#define NVREC_MARK_SLOTS 2u
#define NVREC_MARK_STRIDE 32u
#define NVREC_MARK_LEN 24u
#define METER_NV_SIZE (NVREC_MARK_BASE + NVREC_MARK_SLOTS * NVREC_MARK_STRIDE)

/* The load mark. */
typedef struct {
    uint32_t cumulative_loaded;
    uint32_t last_seq;
} nvrec_mark;

/* Newest valid record into *cfg / *st; returns its sequence, 0 if none. */
uint32_t nvrec_load_config(const meter_nv_ops *nv, meter_config *cfg);
uint32_t nvrec_load_state(const meter_nv_ops *nv, uint32_t meter_number, meter_state *st);

/* Write a record with sequence seq (newest + 1).  0 on success. */
int nvrec_save_config(const meter_nv_ops *nv, const meter_config *cfg, uint32_t seq);
int nvrec_save_state(const meter_nv_ops *nv, uint32_t meter_number, const meter_state *st,
                     uint32_t seq);
uint32_t nvrec_load_mark(const meter_nv_ops *nv, uint32_t meter_number, nvrec_mark *mk);
int nvrec_save_mark(const meter_nv_ops *nv, uint32_t meter_number, const nvrec_mark *mk,
                    uint32_t seq);

#endif
