/* cardproc.h - what the meter does with an inserted card.
 *
 * A load: read the card through its wire driver -> identity and meter
 * check -> token opened and authenticated (crypto/) -> PSC verified ->
 * the ledger applies the loading rule -> the state record is committed ->
 * the readback is sealed and written to the card's free slot (only the
 * changed bytes, MAC last) -> the display shows the result.  Committing
 * before touching the card means a power cut at any byte either leaves the
 * load undone (the token is still on the card and loads later) or done (the
 * card's cumulative credit then equals the meter's: a second insertion
 * loads nothing and shows the balance).
 */
#ifndef CARDPROC_H
#define CARDPROC_H

#include "meter.h"

int cardproc_insert(meter *m);

/* Refusals that count towards the lockout: cards that are not what they
 * claim to be.  A user card with nothing new (no refusal at all), an older
 * card than the meter's ledger (KV_E_REPLAY), a hoarding refusal, an empty
 * user card or a card pulled out are ordinary use and do not count; nor
 * does a token of
 * another key version (older: sold before a key rotation; newer: the
 * key-change card is not in yet), since no MAC was tried on it. */
int cardproc_is_bad(int err);

#endif
