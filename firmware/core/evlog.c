/* evlog.c - the event log (see evlog.h). */
#include "evlog.h"

#include <string.h>

void evlog_add(meter_state *st, uint8_t code)
{
    memmove(st->events + 1, st->events, METER_EVENTS - 1);
    st->events[0] = code;
}

void evlog_copy(const meter_state *st, uint8_t *out, unsigned n)
{
    memcpy(out, st->events, n > METER_EVENTS ? METER_EVENTS : n);
}
