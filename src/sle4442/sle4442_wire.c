/* sle4442_wire.c - the SLE4442 chip model at its contacts (see the header). */
#include "sle4442_wire.h"

#include <string.h>

enum { M_IDLE, M_RESET, M_ATR, M_CMD, M_OUT, M_PROC, M_DEAD };

void sle_wire_init(sle_wire *w, sle4442 *chip, unsigned proc_clocks)
{
    memset(w, 0, sizeof *w);
    w->chip = chip;
    if (proc_clocks < SLE_WIRE_PROC_MIN)
        proc_clocks = SLE_WIRE_PROC_MIN;
    if (proc_clocks > SLE_WIRE_PROC_MAX)
        proc_clocks = SLE_WIRE_PROC_MAX;
    w->proc_clocks = proc_clocks;
    w->io_host = 1;
    w->io_card = 1;
    w->mode = M_DEAD;
}

void sle_wire_insert(sle_wire *w)
{
    w->present = 1;
    w->mode = M_IDLE;
    w->io_card = 1;
    sle_power_on(w->chip);
}

static unsigned cmd_ctrl(const sle_wire *w) { return w->cmd & 0xFF; }
static unsigned cmd_addr(const sle_wire *w) { return (w->cmd >> 8) & 0xFF; }
static uint8_t cmd_data(const sle_wire *w) { return (uint8_t)(w->cmd >> 16); }

void sle_wire_remove(sle_wire *w)
{
    if (!w->present)
        return;
    /* An update cut after its erase half leaves the byte erased. */
    if (w->mode == M_PROC && cmd_ctrl(w) == SLE_CMD_UPDATE_MAIN &&
        w->proc_count > w->proc_clocks / 2)
        sle_update_main(w->chip, cmd_addr(w), 0xFF);
    w->present = 0;
    w->mode = M_DEAD;
    w->io_card = 1;
    sle_power_on(w->chip); /* power gone: verification lost */
}

int sle_wire_io(const sle_wire *w)
{
    return (w->io_host & (w->present ? w->io_card : 1)) ? 1 : 0;
}

static int out_value(const sle_wire *w)
{
    unsigned byte = w->out_bit / 8, bit = w->out_bit % 8;
    uint8_t v = w->out_src ? w->out4[byte] : w->chip->main[w->out_base + byte];
    return (v >> bit) & 1;
}

/* STOP: run the command (reads) or enter processing (writes). */
static void command(sle_wire *w)
{
    unsigned ctrl = cmd_ctrl(w);
    w->commands++;
    switch (ctrl) {
    case SLE_CMD_READ_MAIN:
        w->out_src = 0;
        w->out_base = cmd_addr(w);
        w->out_len = (SLE_MAIN_SIZE - cmd_addr(w)) * 8;
        w->out_bit = 0;
        w->mode = M_OUT;
        w->proc_count = 0; /* falling edges seen in outgoing mode */
        break;
    case SLE_CMD_READ_SEC:
    case SLE_CMD_READ_PROT:
        if (ctrl == SLE_CMD_READ_SEC)
            sle_read_sec(w->chip, w->out4);
        else
            sle_read_prot(w->chip, w->out4);
        w->out_src = 1;
        w->out_len = 32;
        w->out_bit = 0;
        w->mode = M_OUT;
        w->proc_count = 0;
        break;
    case SLE_CMD_UPDATE_MAIN:
    case SLE_CMD_UPDATE_SEC:
    case SLE_CMD_WRITE_PROT:
    case SLE_CMD_COMPARE:
        w->mode = M_PROC;
        w->proc_count = 0;
        break;
    default:
        w->mode = M_IDLE; /* unknown command: ignored */
        break;
    }
}

/* Processing starts: the error counter and the compares take effect at once
 * (pulling the card must not save a PSC try); memory updates at the end. */
static void proc_start(sle_wire *w)
{
    if (cmd_ctrl(w) == SLE_CMD_COMPARE)
        sle_compare(w->chip, cmd_addr(w), cmd_data(w));
    else if (cmd_ctrl(w) == SLE_CMD_UPDATE_SEC && cmd_addr(w) == 0)
        sle_update_sec(w->chip, 0, cmd_data(w));
}

static void proc_end(sle_wire *w)
{
    switch (cmd_ctrl(w)) {
    case SLE_CMD_UPDATE_MAIN:
        sle_update_main(w->chip, cmd_addr(w), cmd_data(w));
        break;
    case SLE_CMD_UPDATE_SEC:
        if (cmd_addr(w) != 0)
            sle_update_sec(w->chip, cmd_addr(w), cmd_data(w));
        break;
    case SLE_CMD_WRITE_PROT:
        sle_write_prot(w->chip, cmd_addr(w), cmd_data(w));
        break;
    default:
        break;
    }
}

static void clk_fall(sle_wire *w)
{
    switch (w->mode) {
    case M_ATR:
        if (++w->out_bit >= 32) {
            w->io_card = 1;
            w->mode = M_IDLE;
        } else {
            w->io_card = (uint8_t)out_value(w);
        }
        break;
    case M_OUT:
        if (w->proc_count++ == 0) {
            w->io_card = (uint8_t)out_value(w);
        } else if (++w->out_bit >= w->out_len) {
            w->io_card = 1;
            w->mode = M_IDLE;
        } else {
            w->io_card = (uint8_t)out_value(w);
        }
        break;
    case M_PROC:
        w->proc_count++;
        if (w->proc_count == 1) {
            w->io_card = 0;
            proc_start(w);
        } else if (w->proc_count > w->proc_clocks) {
            proc_end(w);
            w->io_card = 1;
            w->mode = M_IDLE;
        }
        break;
    default:
        break;
    }
}

static void clk_rise(sle_wire *w)
{
    w->clocks++;
    if (w->pull_after && --w->pull_after == 0) {
        sle_wire_remove(w);
        return;
    }
    if (w->rst) {
        w->reset_clocked = 1;
        return;
    }
    if (w->mode == M_CMD) {
        if (w->nbits < 24)
            w->cmd |= (uint32_t)(sle_wire_io(w) & 1) << w->nbits;
        w->nbits++;
    }
}

void sle_wire_set_clk(sle_wire *w, int level)
{
    level = level ? 1 : 0;
    if (level == w->clk)
        return;
    w->clk = (uint8_t)level;
    if (!w->present)
        return;
    if (level)
        clk_rise(w);
    else
        clk_fall(w);
}

void sle_wire_set_rst(sle_wire *w, int level)
{
    level = level ? 1 : 0;
    if (level == w->rst)
        return;
    w->rst = (uint8_t)level;
    if (!w->present)
        return;
    if (level) {
        /* Any operation is abandoned; an update in processing is cut. */
        if (w->mode == M_PROC && cmd_ctrl(w) == SLE_CMD_UPDATE_MAIN &&
            w->proc_count > w->proc_clocks / 2)
            sle_update_main(w->chip, cmd_addr(w), 0xFF);
        w->mode = M_RESET;
        w->reset_clocked = 0;
        w->io_card = 1;
        return;
    }
    if (w->mode == M_RESET && w->reset_clocked) {
        w->mode = M_ATR;
        w->out_src = 1;
        memcpy(w->out4, w->chip->main, 4);
        w->out_bit = 0;
        w->io_card = (uint8_t)out_value(w);
    } else {
        w->mode = M_IDLE; /* break */
    }
}

void sle_wire_set_io(sle_wire *w, int level)
{
    int before = sle_wire_io(w);
    w->io_host = level ? 1 : 0;
    if (!w->present || !w->clk || w->rst)
        return;
    if (before && !sle_wire_io(w) && w->mode == M_IDLE) {
        w->mode = M_CMD; /* START */
        w->cmd = 0;
        w->nbits = 0;
    } else if (!before && sle_wire_io(w) && w->mode == M_CMD) {
        /* STOP: 24 bits, then the clock that carries the stop condition */
        if (w->nbits == 25)
            command(w);
        else
            w->mode = M_IDLE;
    }
}
