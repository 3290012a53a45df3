/* ledger.h - the credit ledger: energy in, credit out, integers only.
 *
 * Energy arrives as pulses of 1/meter_constant kWh per phase.  Each phase
 * keeps the part of a 0.01 kWh unit it has not completed (phase_frac, in
 * units of 1/meter_constant of 0.01 kWh), so no energy is ever rounded away:
 * after any sequence of samples, phase_energy * meter_constant + phase_frac
 * equals 100 * pulses counted, exactly.  The total is the sum of the phases,
 * and every completed unit comes off the remaining credit, which may go
 * negative (over-zero) when the relay failed to cut the supply.
 */
#ifndef LEDGER_H
#define LEDGER_H

#include "meter.h"

/* Counts pulses on a phase; returns the 0.01 kWh units completed (already
 * added to the phase and taken off the remaining credit). */
uint32_t ledger_add_pulses(meter_state *st, unsigned phase, uint32_t pulses,
                           uint16_t meter_constant);

/* Applies a credit token with the contract's loading rule (kv_credit_load)
 * to *st: returns KV_OK (st updated), KV_E_REPLAY, KV_E_HOARD or
 * KV_E_OVERFLOW (st unchanged). */
kv_err ledger_load(meter_state *st, const kv_credit *credit, uint32_t hoarding_limit);

/* The state came from an older record than the load mark (nvrec.h): adds
 * the credit loaded since to remaining and cumulative alike, so the ledger
 * still balances and the tokens are not taken again.  Returns 1 if
 * something was carried over. */
int ledger_carry_over(meter_state *st, uint32_t cumulative_loaded, uint32_t last_seq);

#endif
