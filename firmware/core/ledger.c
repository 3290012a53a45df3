/* ledger.c - the credit ledger (see ledger.h). */
#include "ledger.h"

#include <stdint.h>

/* Pulses handled per step: chunk * 100 + frac stays far below 2^32, so the
 * arithmetic needs no 64-bit division (none is linked on the Cortex-M3). */
#define PULSE_CHUNK 10000000u

static void take_credit(meter_state *st, uint32_t units)
{
    int64_t r = (int64_t)st->remaining - (int64_t)units;
    st->remaining = r < INT32_MIN ? INT32_MIN : (int32_t)r;
}

uint32_t ledger_add_pulses(meter_state *st, unsigned phase, uint32_t pulses,
                           uint16_t meter_constant)
{
    uint32_t done = 0;
    if (phase >= 3 || meter_constant == 0)
        return 0;
    while (pulses) {
        uint32_t chunk = pulses > PULSE_CHUNK ? PULSE_CHUNK : pulses;
        uint32_t acc = st->phase_frac[phase] + chunk * 100u;
        uint32_t units = acc / meter_constant;
        st->phase_frac[phase] = (uint16_t)(acc - units * meter_constant);
        /* A 32-bit register of 0.01 kWh holds 42.9 GWh: it saturates rather
         * than wrap, so it never goes backwards. */
        st->phase_energy[phase] = st->phase_energy[phase] > UINT32_MAX - units
                                      ? UINT32_MAX
                                      : st->phase_energy[phase] + units;
        take_credit(st, units);
        done += units;
        pulses -= chunk;
    }
    return done;
}

kv_err ledger_load(meter_state *st, const kv_credit *credit, uint32_t hoarding_limit)
{
    int32_t rem;
    uint32_t cum;
    kv_err err = kv_credit_load(credit, st->remaining, st->cumulative_loaded, hoarding_limit,
                                &rem, &cum);
    if (err != KV_OK)
        return err;
    st->remaining = rem;
    st->cumulative_loaded = cum;
    return KV_OK;
}

int ledger_carry_over(meter_state *st, uint32_t cumulative_loaded, uint32_t last_seq)
{
    int carried = 0;
    if (cumulative_loaded > st->cumulative_loaded) {
        int64_t r = (int64_t)st->remaining + (int64_t)(cumulative_loaded - st->cumulative_loaded);
        st->remaining = r > INT32_MAX ? INT32_MAX : (int32_t)r;
        st->cumulative_loaded = cumulative_loaded;
        carried = 1;
    }
    if (last_seq > st->last_seq) {
        st->last_seq = last_seq;
        carried = 1;
    }
    return carried;
}
