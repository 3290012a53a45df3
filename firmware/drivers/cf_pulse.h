/* cf_pulse.h - energy from the CF pulse outputs of a metering IC.
 *
 * Each pulse on a phase's CF line is 1/meter_constant kWh.  The edge
 * handler (an interrupt on the board) only counts and stamps; the main loop
 * takes a meter_sample with the counts since the previous sample and the
 * power from the last pulse period, as pulse-based meters do (a count per
 * second would be far too coarse at a few pulses per second).
 */
#ifndef CF_PULSE_H
#define CF_PULSE_H

#include <stdint.h>

#include "meter_io.h"

typedef struct {
    uint16_t meter_constant;
    uint32_t per_pulse;          /* 3.6e9 / meter_constant: W x ms per pulse */
    volatile uint32_t count[3];  /* forward pulses, free running */
    volatile uint32_t rcount[3]; /* reverse pulses, free running */
    uint32_t taken[3], rtaken[3];
    uint32_t last_ms[3];         /* time of the last pulse */
    uint32_t period_ms[3];       /* between the last two pulses, 0 = none */
} cf_pulse;

void cf_pulse_init(cf_pulse *cf, uint16_t meter_constant);
/* One pulse on a phase at time now_ms (a free-running ms clock). */
void cf_pulse_edge(cf_pulse *cf, unsigned phase, int reverse, uint32_t now_ms);
/* Counts since the last call, and the present power, into s (ms, phase_ok
 * and cover_open are the caller's). */
void cf_pulse_sample(cf_pulse *cf, uint32_t now_ms, meter_sample *s);

#endif
