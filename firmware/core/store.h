/* store.h - what the meter keeps, where, and in which order.
 *
 *   internal flash (secrec.h)  the provisioning block; the internal record:
 *                              keys, parameters, the floor (meter.h)
 *   EEPROM (nvrec.h)           the state record, under a MAC
 *
 * Order of a card that changes the floor or the config (a load, an
 * engineering card, a readback counter past its reserve): the internal
 * record first, carrying what the state will hold and the sequence the
 * state record will get; then the state record.  A cut between the two
 * leaves the EEPROM one record behind the floor, which the next boot
 * recognises (the newest state is exactly one short of the floor's
 * sequence) and carries up to the floor: the load is kept, never given
 * twice, and no tamper is raised.  Energy is saved in the state record only
 * and raises the floor in steps of METER_FLOOR_ENERGY_STEP, after the state.
 *
 * At boot, any other gap between the EEPROM and the floor is tampering
 * (METER_TAMPER_NV, event 16): a slot neither valid, erased, nor the one a
 * cut may tear (a forged, edited or foreign record); no state record where
 * the floor says there was one (an erased or swapped EEPROM); a newest
 * state older than the floor (an old image put back); a state below the
 * floor.  The meter then restores up to the floor, under this rule: credit
 * may be lost, never created.  After an erase the energy registers are the
 * floor's plus one whole step charged to L1 and to the credit (the energy
 * metered since the floor was written is unknown but below one step), the
 * readback counter resumes at the floor's ceiling, the sequence of the
 * state records jumps ahead (no record of the erased past outranks the
 * new ones), and the tamper stays until a clear-tamper card, which the
 * floor keeps from being replayed.  The relay follows the restored credit:
 * the meter does not cut a customer off for a memory fault, the utility
 * sees the tamper flag in the next readback.
 *
 * First boot (no internal record): a meter of the earlier firmware has its
 * keys, parameters and ledger moved from the EEPROM's version 1 records
 * into the internal record (event 17), then the EEPROM is blanked and the
 * ledger written back under the MAC; a meter provisioned again after a
 * mass erase goes on with the ledger of the newest record that passes its
 * MAC (only its own block yields that key); a new meter starts from its
 * provisioning block on a blanked EEPROM.  The internal record is written
 * first, flagged as moving, and the flag is cleared last: a cut anywhere
 * finishes the move at the next boot, without a tamper.
 */
#ifndef STORE_H
#define STORE_H

#include "meter.h"

/* m->cfg holds the provisioning block's settings and m->nv_key is set.
 * Restores m->cfg, m->st, m->floor and the sequences as described above.
 * Returns 0, METER_E_NOT_HERE (the internal record, or the earlier EEPROM,
 * belongs to another meter number: nothing is written) or METER_E_NV (the
 * internal flash cannot be written: the meter does not run). */
int store_boot(meter *m);

/* Every state save but a card's outcome (meter_save, a refused card, a
 * readback the card did not take): the state record, then the floor
 * follows.  0, or -1 if the EEPROM refused it: the new state is then kept
 * in RAM (m->st = *ns) and the save retried every tick. */
int store_save(meter *m, const meter_state *ns);

/* A card's outcome: the internal record first when the config or the
 * floor changes, then the state.  0 (m->cfg and m->st are the new ones;
 * if only the EEPROM failed after the internal record took the card, the
 * state is kept in RAM and retried every tick), or METER_E_NV (nothing
 * changed). */
int store_commit(meter *m, const meter_state *ns, const meter_config *nc);

#endif
