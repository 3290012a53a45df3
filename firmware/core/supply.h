/* supply.h - the thresholds state machine: lamps and relay.
 *
 * Exactly the behaviour of the prepaid meter this project reproduces:
 *   remaining < alarm level     red lamp
 *   remaining < pre-trip level  yellow lamp, the relay trips; a user card of
 *                               this meter recloses it, and power stays on
 *                               until the remaining credit reaches 0
 *   remaining <= 0              relay open, display 0000.00kWh; only a load
 *                               of new credit restores power
 *   emergency credit taken      relay closed down to -allowance (no
 *                               pre-trip); a load repays it first
 * On top: an over-power trip opens the relay for the reconnect delay.
 */
#ifndef SUPPLY_H
#define SUPPLY_H

#include "meter.h"

/* The credit at which the relay opens: 0, or -allowance while the
 * emergency credit is taken (METER_SUP_EMERGENCY). */
int32_t supply_floor(const meter_state *st, const meter_config *cfg);
/* Re-evaluate the flags after the remaining credit or a level changed;
 * logs PRETRIP / CUTOFF events.  Returns 1 if the flags changed. */
int supply_update(meter_state *st, const meter_config *cfg);
/* A genuine user card of this meter is in the slot: a pre-trip is
 * acknowledged and the relay recloses.  Returns 1 if it reclosed. */
int supply_user_card(meter_state *st);
/* Credit was loaded: a cut-off, over-zero and the emergency credit end if
 * the credit is above 0 again (a smaller load only reduces the debt). */
void supply_loaded(meter_state *st, const meter_config *cfg);
/* Whether the relay should be closed now. */
int supply_relay_wanted(const meter *m);
/* Lamps for the remaining credit. */
unsigned supply_lamps(const meter_state *st, const meter_config *cfg);
/* The supply state in words, for the simulator and the meter window:
 * "unprovisioned", "over-power", "cut-off", "tripped", "reclosed",
 * "emergency" or "normal" (the first that applies). */
const char *supply_name(const meter *m);

#endif
