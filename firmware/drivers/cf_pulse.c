/* cf_pulse.c - CF pulse energy input (see cf_pulse.h). */
#include "cf_pulse.h"

#include <string.h>

void cf_pulse_init(cf_pulse *cf, uint16_t meter_constant)
{
    memset(cf, 0, sizeof *cf);
    cf->meter_constant = meter_constant ? meter_constant : 1;
    cf->per_pulse = 3600000000u / cf->meter_constant;
}

void cf_pulse_edge(cf_pulse *cf, unsigned phase, int reverse, uint32_t now_ms)
{
    if (phase >= 3)
        return;
    if (reverse)
        cf->rcount[phase]++;
    else
        cf->count[phase]++;
    cf->period_ms[phase] = cf->last_ms[phase] ? now_ms - cf->last_ms[phase] : 0;
    cf->last_ms[phase] = now_ms ? now_ms : 1;
}

void cf_pulse_sample(cf_pulse *cf, uint32_t now_ms, meter_sample *s)
{
    uint32_t power = 0;
    for (unsigned p = 0; p < 3; p++) {
        uint32_t c = cf->count[p], r = cf->rcount[p];
        uint32_t period = cf->period_ms[p], since;
        s->pulses[p] = c - cf->taken[p];
        s->reverse[p] = r - cf->rtaken[p];
        cf->taken[p] = c;
        cf->rtaken[p] = r;
        if (!cf->last_ms[p] || !period)
            continue;
        /* With no pulse for longer than the last period the load has
         * dropped: the time since the last pulse bounds the power. */
        since = now_ms - cf->last_ms[p];
        if (since > period)
            period = since;
        if (period < 1)
            period = 1;
        power += cf->per_pulse / period;
    }
    s->power_w = power;
}
