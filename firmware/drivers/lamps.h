/* lamps.h - the meter's two lamps, red and yellow (METER_LAMP_* in
 * meter_io.h), each on its own output. */
#ifndef LAMPS_H
#define LAMPS_H

typedef struct {
    void *ctx;
    void (*lamp)(void *ctx, unsigned which, int on); /* which: one METER_LAMP_* bit */
} lamps_hw;

typedef struct {
    lamps_hw hw;
} lamps;

void lamps_init(lamps *l, const lamps_hw *hw);
/* Light the lamps in mask (METER_LAMP_* bits), put out the others. */
void lamps_set(lamps *l, unsigned mask);

#endif
