/* relay.h - the latching supply relay with its auxiliary contact (the
 * lamps are lamps.h).  A latching relay holds its position without current: it gets a
 * coil pulse only when the position must change. */
#ifndef RELAY_H
#define RELAY_H

typedef struct {
    void *ctx;
    void (*coil_close)(void *ctx, int on);
    void (*coil_open)(void *ctx, int on);
    int (*aux)(void *ctx);                  /* auxiliary contact: 1 = closed, -1 = none */
    void (*delay_ms)(void *ctx, unsigned ms);
} relay_hw;

typedef struct {
    relay_hw hw;
    int position;    /* last commanded, -1 = unknown (after reset) */
    unsigned pulse_ms;
} relay;

void relay_init(relay *r, const relay_hw *hw);
/* Pulse the coil if the position changes (or is unknown). */
void relay_set(relay *r, int closed);
int relay_sense(relay *r);

#endif
