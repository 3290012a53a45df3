/* fuzz_keys.h - fixed keys for the decoder fuzzers: a fuzzer that knows the
 * keys reaches the code behind the MAC checks (on a real card it is the
 * attacker who lacks them).  With the transport key, so transport-sealed
 * key changes are opened too. */
#ifndef FUZZ_KEYS_H
#define FUZZ_KEYS_H

#include "fuzz_input.h"
#include "kv_card.h"

#define FUZZ_UTILITY 4711u
#define FUZZ_METER 123456782u

static inline void fuzz_keys(kv_meter_keys *k)
{
    static const uint8_t master[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    uint8_t km[16], kp[16], kt[16];
    kv_derive_meter_key(master, FUZZ_UTILITY, FUZZ_METER, 1, km);
    kv_derive_psc_key(master, FUZZ_UTILITY, FUZZ_METER, 1, kp);
    kv_derive_transport_key(master, FUZZ_UTILITY, FUZZ_METER, 1, kt);
    kv_meter_keys_init(k, km, 1, kp);
    kv_meter_keys_set_transport(k, kt);
}

/* The keys of fuzz_keys, derived on the first call. */
static inline const kv_meter_keys *fuzz_meter_keys(void)
{
    static kv_meter_keys keys;
    static int init;
    if (!init) {
        fuzz_keys(&keys);
        init = 1;
    }
    return &keys;
}

#endif
