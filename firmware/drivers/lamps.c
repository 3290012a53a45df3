/* lamps.c - the meter's two lamps (see lamps.h). */
#include "lamps.h"

#include "meter_io.h"

void lamps_init(lamps *l, const lamps_hw *hw)
{
    l->hw = *hw;
}

void lamps_set(lamps *l, unsigned mask)
{
    l->hw.lamp(l->hw.ctx, METER_LAMP_RED, (mask & METER_LAMP_RED) != 0);
    l->hw.lamp(l->hw.ctx, METER_LAMP_YELLOW, (mask & METER_LAMP_YELLOW) != 0);
}
