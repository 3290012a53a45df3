/* console.h - the technician's console: a read-only text interface on a
 * serial port (docs/technician.md, "The service console").
 *
 * The board feeds it every received character and gives it a function that
 * sends text (with its own bounded wait).  It answers a few commands with
 * what the meter knows: version and build, meter number, provisioning,
 * credit, levels, relay and lamps, faults, the event log decoded, the
 * watchdog and clock counters.  It changes nothing, and prints no key, no
 * PSC and no provisioning block byte: it is given the meter read-only and
 * prints only the fields named here.  Input is bounded (a longer line is
 * thrown away whole) and rate-limited (one answer per CONSOLE_MIN_MS; a
 * command in between is dropped and counted), so a flood on the port costs
 * the main loop at most one answer a second. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdint.h>

#include "meter.h"

#define CONSOLE_LINE 16     /* longest command line, without the end */
#define CONSOLE_MIN_MS 1000 /* at most one answer per this many ms */

/* What only the board knows. */
typedef struct {
    const char *build_id;   /* hex of the image's build id */
    uint32_t clock_hz;      /* the core clock it runs at */
    uint8_t clock_crystal;  /* 1: from the crystal; 0: internal oscillator */
    uint8_t wdog_running;
    uint32_t wdog_refreshes;
    uint32_t wdog_timeout_ms; /* worst case (fastest LSI) */
} console_board;

typedef struct {
    void *ctx;
    void (*write)(void *ctx, const char *s);
    char line[CONSOLE_LINE];
    uint8_t len;
    uint8_t overflow;   /* the line being received is too long: dropped */
    uint8_t answered;   /* last_ms is valid */
    uint32_t last_ms;
    uint32_t dropped;   /* commands dropped by the rate limit */
    uint32_t too_long;  /* lines dropped for their length */
} console;

void console_init(console *c, void (*write)(void *ctx, const char *s), void *ctx);
/* One received character at time now_ms.  A line ends at CR or LF. */
void console_input(console *c, const meter *m, const console_board *b, char ch, uint32_t now_ms);
/* The whole report ("status" command; also printed once at boot). */
void console_status(console *c, const meter *m, const console_board *b);

#endif
