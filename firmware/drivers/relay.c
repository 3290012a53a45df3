/* relay.c - latching relay (see relay.h). */
#include "relay.h"

void relay_init(relay *r, const relay_hw *hw)
{
    r->hw = *hw;
    r->position = -1;
    r->pulse_ms = 50;
}

void relay_set(relay *r, int closed)
{
    closed = closed ? 1 : 0;
    if (r->position == closed)
        return;
    if (closed) {
        r->hw.coil_close(r->hw.ctx, 1);
        r->hw.delay_ms(r->hw.ctx, r->pulse_ms);
        r->hw.coil_close(r->hw.ctx, 0);
    } else {
        r->hw.coil_open(r->hw.ctx, 1);
        r->hw.delay_ms(r->hw.ctx, r->pulse_ms);
        r->hw.coil_open(r->hw.ctx, 0);
    }
    r->position = closed;
}

int relay_sense(relay *r)
{
    return r->hw.aux(r->hw.ctx);
}
