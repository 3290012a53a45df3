/* wdog_gate.c - see wdog_gate.h. */
#include "wdog_gate.h"

void wdog_gate_init(wdog_gate *g, uint8_t tasks)
{
    g->tasks = tasks;
    g->seen = 0;
    g->refreshes = 0;
}

void wdog_gate_progress(wdog_gate *g, uint8_t task)
{
    g->seen = (uint8_t)(g->seen | (task & g->tasks));
}

int wdog_gate_due(wdog_gate *g)
{
    if (!g->tasks || (g->seen & g->tasks) != g->tasks)
        return 0;
    g->seen = 0;
    g->refreshes++;
    return 1;
}
