/* evlog.h - the event log: the last METER_EVENTS event codes, newest
 * first, kept in the state record and copied (the newest four) into every
 * readback written to a card. */
#ifndef EVLOG_H
#define EVLOG_H

#include "meter.h"

void evlog_add(meter_state *st, uint8_t code);
/* The newest n events (n <= METER_EVENTS) into out[]. */
void evlog_copy(const meter_state *st, uint8_t *out, unsigned n);

/* Short English name of an event code ("load", "refused 07"...) for tools
 * and the station's meter window; never NULL.  buf (16 bytes) is used for
 * refusals. */
const char *evlog_name(uint8_t code, char buf[16]);

#endif
