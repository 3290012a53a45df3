/* kv_provision.h - the per-meter provisioning block.
 *
 * Produced by the station (`kilovendctl meter provision`), written by a
 * technician into the meter's non-volatile memory, read by the firmware at
 * boot.  96 bytes, big-endian, CRC-32 over bytes 0..91 at 92..95.
 * It holds the meter's secret keys: the file is written 0600 and wiped.
 *
 * Block version 1 (the first meters) has no transport key; version 2 adds
 * K_transport at 68..83, which seals key-change tokens (kv_card.h).  Both
 * decode; encode writes the version asked for in block_version.
 */
#ifndef KV_PROVISION_H
#define KV_PROVISION_H

#include <stdint.h>

#include "kv_err.h"

#define KV_PROVISION_LEN 96
#define KV_PROVISION_MAGIC "KVP1"
#define KV_PROVISION_V1 1
#define KV_PROVISION_V2 2

typedef struct {
    uint8_t block_version;    /* KV_PROVISION_V1 or _V2 (0 encodes as 1) */
    uint32_t utility_code;
    uint32_t meter_number;
    uint8_t key_version;      /* version of k_meter */
    uint8_t psc_key_version;  /* version of k_psc */
    uint8_t phases;           /* 1 or 3 */
    uint8_t k_meter[16];
    uint8_t k_psc[16];
    uint32_t alarm_level;     /* 0.01 kWh */
    uint32_t pretrip_level;   /* 0.01 kWh */
    uint32_t hoarding_limit;  /* 0.01 kWh */
    uint32_t max_power;       /* W, 0 = none */
    uint16_t meter_constant;  /* CF pulses per kWh */
    uint16_t reconnect_delay; /* s */
    uint8_t k_transport[16];  /* version 2: wraps new meter keys; all zero in 1 */
} kv_provision;

kv_err kv_provision_encode(const kv_provision *p, uint8_t out[KV_PROVISION_LEN]);
/* KV_E_PROVISION on bad magic, CRC, version or out-of-range values (and,
 * in version 2, an all-zero transport key);
 * KV_E_UTILITY when expected_utility is non-zero and differs. */
kv_err kv_provision_decode(const uint8_t in[KV_PROVISION_LEN], uint32_t expected_utility,
                           kv_provision *p);
void kv_provision_wipe(kv_provision *p);

#endif
