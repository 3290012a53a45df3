/* nvv1.h - an EEPROM image as the earlier firmware (version 1 records,
 * CRC-32 only, the meter key in the config record) left it in the field:
 * the fixture for the tests of the move to internal flash.  The layout is
 * the one firmware/core/nvrec.h describes as the earlier format. */
#ifndef NVV1_H
#define NVV1_H

#include <stdint.h>

#include "fwcards.h"
#include "meter.h"
#include "nvrec.h"

/* The config record an earlier meter of office o kept: zeroed, then its
 * identity, its key in the clear, these levels (0.01 kWh) and reconnect
 * delay (s). */
void nvv1_config(meter_config *cfg, const fw_office *o, uint32_t alarm, uint32_t pretrip,
                 uint32_t hoard, uint16_t reconnect);

/* Config record (seq 1), the state record with sequence state_seq (in its
 * slot; 0 = none) and, if mark_cum is non-zero, a load mark. */
void nvv1_image(uint8_t nv[METER_NV_SIZE], const meter_config *cfg, const meter_state *st,
                uint32_t state_seq, uint32_t mark_cum, uint32_t mark_last_seq);

/* A meter in the field under the earlier firmware: office o set up for
 * meter 12345678, its provisioning block in prov, and its EEPROM image in
 * nv: 30 kWh loaded, 7 used (23 left), last token 1, readback counter 5,
 * state record 9 and a load mark; the meter key in the clear. */
void nvv1_field_meter(fw_office *o, uint8_t prov[KV_PROVISION_LEN], uint8_t nv[METER_NV_SIZE]);

#endif
