/* debounce.h - a switch input (push button, card-detect, cover) sampled
 * every few ms: a change counts once it has held for `need` samples. */
#ifndef DEBOUNCE_H
#define DEBOUNCE_H

#include <stdint.h>

typedef struct {
    uint8_t state;   /* debounced level */
    uint8_t count;
    uint8_t need;
} debounce;

void debounce_init(debounce *d, int level, uint8_t need);
/* Feed a raw sample; returns +1 on a debounced rise, -1 on a fall, 0. */
int debounce_sample(debounce *d, int raw);

#endif
