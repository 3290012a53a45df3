/* wdog_gate.h - when the main loop may refresh the watchdog.
 *
 * The board's main loop runs tasks (the 10 ms input poll, the 1 s meter
 * tick); each reports its progress here when it completes.  The watchdog is
 * refreshed only when every task has completed since the last refresh, and
 * only from the main loop (never from an interrupt, which would keep a
 * stuck loop alive).  A task that hangs or stops being called leaves the
 * gate shut, and the watchdog restarts the meter. */
#ifndef WDOG_GATE_H
#define WDOG_GATE_H

#include <stdint.h>

typedef struct {
    uint8_t tasks;      /* bit per task that must make progress */
    uint8_t seen;       /* tasks that completed since the last refresh */
    uint32_t refreshes;
} wdog_gate;

void wdog_gate_init(wdog_gate *g, uint8_t tasks);
void wdog_gate_progress(wdog_gate *g, uint8_t task);
/* 1 if every task made progress since the last refresh: the caller
 * refreshes the watchdog now (the gate closes again). */
int wdog_gate_due(wdog_gate *g);

#endif
