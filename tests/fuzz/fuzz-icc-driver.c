/* fuzz-icc-driver.c - libFuzzer target: the meter's SLE4442 driver
 * (firmware/drivers/icc_sle4442.c) against a card that answers anything:
 * an emulator on the contacts drives I/O and the card-detect switch as it
 * likes.  The driver must return one of its results, within a bounded
 * number of clocks, whatever it samples.
 *
 * Input: bytes 0..3 are the address, value and PSC bytes of the write and
 * the verification, then the bits the card answers, one per I/O sample
 * (LSB first); bit 7 of every 8th sample also sets the card-detect switch.
 * When the input runs out the line floats high. */
#include <string.h>

#include "icc_sle4442.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *bits;
    size_t nbits, pos;
    int present;
    unsigned long calls;
} fake_card;

/* Far above what one insertion needs (a full read is about 6,000 line
 * changes; a write processing is capped at ICC_SLE4442_PROC_CAP clocks). */
#define CALLS_MAX 200000ul

/* The card's side is the harness, not the code under test: no coverage
 * (its comparisons would cost more than the driver's). */
#define HARNESS __attribute__((no_sanitize("coverage")))

HARNESS static void count(fake_card *f)
{
    if (++f->calls > CALLS_MAX)
        __builtin_trap(); /* the driver does not stop */
}
HARNESS static void f_power(void *ctx, int on) { (void)on; count(ctx); }
HARNESS static void f_line(void *ctx, int v) { (void)v; count(ctx); }
HARNESS static void f_delay(void *ctx, unsigned us) { (void)ctx; (void)us; }
HARNESS static int f_detect(void *ctx) { count(ctx); return ((fake_card *)ctx)->present; }
HARNESS static int f_io_read(void *ctx)
{
    fake_card *f = ctx;
    int b = 1;
    count(f);
    if (f->pos < f->nbits) {
        b = (f->bits[f->pos / 8] >> (f->pos % 8)) & 1;
        if (f->pos % 64 == 63)
            f->present = b;
        f->pos++;
    }
    return b;
}

static void check(meter_card_result r)
{
    if ((unsigned)r > METER_CARD_WRITE)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fake_card f = {0};
    icc_sle4442_gpio g = {&f, f_power, f_line, f_line, f_line, f_io_read, f_detect, f_delay};
    meter_card_ops ops;
    uint8_t image[256], psc[3];
    unsigned tries = 99;
    icc_sle4442 c;

    if (size < 4)
        return 0;
    f.bits = data + 4;
    f.nbits = (size - 4) * 8;
    f.present = 1;
    memcpy(psc, data + 1, 3);
    icc_sle4442_init(&c, &g);
    icc_sle4442_card_ops(&c, &ops);

    check(ops.read(ops.ctx, image));
    check(ops.verify(ops.ctx, psc, &tries));
    if (tries != 99 && tries > 3)
        __builtin_trap();
    check(ops.write_byte(ops.ctx, data[0], data[1]));
    ops.release(ops.ctx);
    return 0;
}
