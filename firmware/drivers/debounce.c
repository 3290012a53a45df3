/* debounce.c - switch debouncing (see debounce.h). */
#include "debounce.h"

void debounce_init(debounce *d, int level, uint8_t need)
{
    d->state = level ? 1 : 0;
    d->count = 0;
    d->need = need ? need : 1;
}

int debounce_sample(debounce *d, int raw)
{
    raw = raw ? 1 : 0;
    if (raw == d->state) {
        d->count = 0;
        return 0;
    }
    if (++d->count < d->need)
        return 0;
    d->count = 0;
    d->state = (uint8_t)raw;
    return raw ? 1 : -1;
}
