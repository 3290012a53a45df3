/* scenarios.h - the meter's rules as a table of scenarios, run on the host
 * board (PC) and in QEMU alike.  Each scenario boots a fresh meter, then
 * plays steps (cards issued, sold, inserted, energy drawn, relay welded,
 * power cut) and checks what the meter shows and holds. */
#ifndef SCENARIOS_H
#define SCENARIOS_H

/* Runs every scenario; returns the number of failed checks. */
unsigned fw_scenarios_run(void);
/* The number of scenarios in the table. */
unsigned fw_scenarios_count(void);

#endif
