/* store.c - what the meter keeps, where, and in which order (see store.h). */
#include "store.h"

#include <string.h>

#include "evlog.h"
#include "kv_util.h"
#include "ledger.h"
#include "nvrec.h"
#include "secrec.h"
#include "supply.h"

/* After a restore the state sequence jumps this far ahead. */
#define SEQ_JUMP 0x00100000u

static uint32_t total(const uint32_t e[3])
{
    uint64_t t = (uint64_t)e[0] + e[1] + e[2];
    return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static void floor_from(meter_floor *fl, const meter *m, const meter_state *st, uint32_t state_seq)
{
    memset(fl, 0, sizeof *fl);
    fl->cumulative_loaded = st->cumulative_loaded;
    fl->last_seq = st->last_seq;
    fl->tamper_seq = st->tamper_seq;
    fl->tamper = st->tamper;
    fl->cleared = st->cleared;
    memcpy(fl->phase_energy, st->phase_energy, sizeof fl->phase_energy);
    fl->state_seq = state_seq;
    /* The counter may run METER_FLOOR_RB_RESERVE cards before the next
     * write: the floor holds the highest value it may reach. */
    fl->rb_ceiling = m->floor.rb_ceiling;
    if (st->readback_counter >= fl->rb_ceiling)
        fl->rb_ceiling = st->readback_counter + METER_FLOOR_RB_RESERVE;
}

static int floor_write(meter *m, const meter_config *cfg, const meter_floor *fl)
{
    if (secrec_save(&m->sec, cfg, fl, m->secure_seq + 1) != 0)
        return -1;
    m->secure_seq++;
    m->floor = *fl;
    return 0;
}

/* The state record alone (energy, events, counters): 0, or -1 if the
 * EEPROM refused it (m->st is then left alone). */
static int save_state(meter *m, const meter_state *ns)
{
    if (nvrec_save_state(&m->nv, m->nv_key, m->cfg.meter_number, ns, m->state_seq + 1) != 0)
        return -1;
    m->state_seq++;
    if (ns != &m->st)
        m->st = *ns;
    m->run.save_pending = 0;
    m->run.unsaved = 0;
    m->run.lockout_saved = ns->lockout_left;
    return 0;
}

/* After a state save: the floor follows the energy in steps and the tamper
 * bits at once. */
static void floor_follow(meter *m)
{
    meter_floor fl;
    if (total(m->st.phase_energy) - total(m->floor.phase_energy) < METER_FLOOR_ENERGY_STEP &&
        !(m->st.tamper & ~m->floor.tamper))
        return;
    floor_from(&fl, m, &m->st, m->state_seq);
    floor_write(m, &m->cfg, &fl); /* a failure is retried at the next save */
}

int store_save(meter *m, const meter_state *ns)
{
    if (save_state(m, ns) != 0) {
        if (ns != &m->st)
            m->st = *ns;
        m->run.save_pending = 1;
        return -1;
    }
    floor_follow(m);
    return 0;
}

int store_commit(meter *m, const meter_state *ns, const meter_config *nc)
{
    const meter_floor *f = &m->floor;
    int floor_first = memcmp(nc, &m->cfg, sizeof *nc) != 0 ||
                      ns->cumulative_loaded != f->cumulative_loaded ||
                      ns->last_seq != f->last_seq || ns->tamper_seq != f->tamper_seq ||
                      ns->tamper != f->tamper || ns->readback_counter > f->rb_ceiling ||
                      ns->cleared != f->cleared;
    if (floor_first) {
        meter_floor fl;
        floor_from(&fl, m, ns, m->state_seq + 1);
        if (floor_write(m, nc, &fl) != 0)
            return METER_E_NV;
        if (nc != &m->cfg)
            m->cfg = *nc;
    }
    if (save_state(m, ns) != 0) {
        if (!floor_first)
            return METER_E_NV;
        /* The internal record took the card: the EEPROM follows. */
        m->st = *ns;
        m->run.save_pending = 1;
    }
    return 0;
}

/* ---- boot --------------------------------------------------------------- */

static int cap_credit(meter_state *st);

/* Everything of the state below the floor goes up to it, the ledger kept
 * balanced (credit loaded raises the remaining, energy and credit cleared
 * lower it).  Returns 1 if the credit or the energy moved. */
static int raise_to_floor(meter_state *st, const meter_floor *fl)
{
    int moved = ledger_carry_over(st, fl->cumulative_loaded, fl->last_seq);
    for (unsigned p = 0; p < 3; p++)
        if (st->phase_energy[p] < fl->phase_energy[p]) {
            int64_t r = (int64_t)st->remaining - (fl->phase_energy[p] - st->phase_energy[p]);
            st->remaining = r < INT32_MIN ? INT32_MIN : (int32_t)r;
            st->phase_energy[p] = fl->phase_energy[p];
            moved = 1;
        }
    if (st->tamper_seq < fl->tamper_seq)
        st->tamper_seq = fl->tamper_seq;
    st->tamper |= fl->tamper;
    /* The state record does not hold the credit cleared: the floor does
     * (written first), and a state from before the clear loses it here. */
    if (st->cleared < fl->cleared) {
        st->cleared = fl->cleared;
        moved |= cap_credit(st);
    }
    return moved;
}

/* A state above the floor in credit loaded or tokens taken was never
 * written by this meter (the floor goes first): brought back down.
 * Returns 1 if so. */
static int cap_to_floor(meter_state *st, const meter_floor *fl)
{
    int capped = 0;
    if (st->cumulative_loaded > fl->cumulative_loaded) {
        int64_t r = (int64_t)st->remaining - (st->cumulative_loaded - fl->cumulative_loaded);
        st->remaining = r < INT32_MIN ? INT32_MIN : (int32_t)r;
        st->cumulative_loaded = fl->cumulative_loaded;
        capped = 1;
    }
    if (st->last_seq > fl->last_seq) {
        st->last_seq = fl->last_seq;
        capped = 1;
    }
    return capped;
}

/* Never more credit than loaded minus metered minus cleared (the ledger
 * balances, and only saturation at the ends of the registers makes it
 * less).  Returns 1 if the state claimed more. */
static int cap_credit(meter_state *st)
{
    int64_t most = (int64_t)st->cumulative_loaded - st->phase_energy[0] - st->phase_energy[1] -
                   st->phase_energy[2] - st->cleared;
    if (st->remaining <= most)
        return 0;
    st->remaining = most < INT32_MIN ? INT32_MIN : (int32_t)most;
    return 1;
}

/* What the EEPROM lacks comes from the floor.  The energy metered since
 * the floor was written is unknown but less than one step: the total is
 * brought up to the floor's plus one step, the difference charged to L1
 * and to the credit, so no credit is created. */
static void restore_charged(meter_state *st, const meter_floor *fl)
{
    uint32_t have, bound;
    raise_to_floor(st, fl);
    have = total(st->phase_energy);
    bound = total(fl->phase_energy);
    bound = bound > UINT32_MAX - METER_FLOOR_ENERGY_STEP ? UINT32_MAX
                                                          : bound + METER_FLOOR_ENERGY_STEP;
    if (have < bound) {
        uint32_t d = bound - have;
        int64_t r = (int64_t)st->remaining - d;
        st->phase_energy[0] = st->phase_energy[0] > UINT32_MAX - d ? UINT32_MAX
                                                                   : st->phase_energy[0] + d;
        st->remaining = r < INT32_MIN ? INT32_MIN : (int32_t)r;
    }
    if (st->readback_counter < fl->rb_ceiling)
        st->readback_counter = fl->rb_ceiling;
}

/* Blank the EEPROM, write the state, clear the moving flag.  The internal
 * record with the flag is already written. */
static int finish_move(meter *m, int have_state)
{
    meter_floor fl;
    if (!have_state) {
        if (nvrec_format(&m->nv) != 0 || save_state(m, &m->st) != 0)
            return -1;
    } else if (nvrec_v1_erase(&m->nv) != 0) {
        return -1;
    }
    fl = m->floor;
    fl.moving = 0;
    return floor_write(m, &m->cfg, &fl);
}

static int first_boot(meter *m)
{
    nvrec_v1 old;
    meter_floor fl;

    if (nvrec_v1_load(&m->nv, &old)) {
        /* The earlier firmware's EEPROM: keys, parameters, ledger. */
        if (old.cfg.meter_number != m->cfg.meter_number ||
            old.cfg.utility_code != m->cfg.utility_code) {
            kv_wipe(&old, sizeof old);
            m->not_here = METER_E_NOT_HERE;
            return METER_E_NOT_HERE;
        }
        m->cfg = old.cfg;
        m->st = old.st;
        m->state_seq = old.state_seq;
        if (ledger_carry_over(&m->st, old.mark_cumulative, old.mark_last_seq))
            evlog_add(&m->st, METER_EV_CARRIED);
        evlog_add(&m->st, METER_EV_KEYS_MOVED);
    } else {
        /* The internal flash was mass-erased and the meter provisioned
         * again with its own block: the EEPROM's records are still this
         * meter's (they pass its MAC), and its ledger goes on. */
        nvrec_scan scan;
        m->state_seq = nvrec_load_state(&m->nv, m->nv_key, m->cfg.meter_number, 1, &m->st, &scan);
    }
    kv_wipe(&old, sizeof old);
    memset(&m->floor, 0, sizeof m->floor);
    floor_from(&fl, m, &m->st, m->state_seq + 1);
    fl.moving = 1;
    if (floor_write(m, &m->cfg, &fl) != 0) {
        m->not_here = METER_E_NV;
        return METER_E_NV;
    }
    /* If the EEPROM fails here, the next boot finishes the move; the
     * meter runs meanwhile from what it holds. */
    finish_move(m, 0);
    return 0;
}

static void tampered(meter *m)
{
    m->st.tamper |= METER_TAMPER_NV;
    evlog_add(&m->st, METER_EV_NV_TAMPER);
}

int store_boot(meter *m)
{
    meter_config saved;
    meter_floor fl;
    nvrec_scan scan;
    uint32_t n;
    int bad = 0, moved = 0;

    memset(&saved, 0, sizeof saved);
    memset(&fl, 0, sizeof fl);
    memset(&m->st, 0, sizeof m->st);
    m->secure_seq = secrec_load(&m->sec, &saved, &fl);
    if (!m->secure_seq) {
        kv_wipe(&saved, sizeof saved);
        return first_boot(m);
    }
    if (saved.meter_number != m->cfg.meter_number ||
        saved.utility_code != m->cfg.utility_code) {
        kv_wipe(&saved, sizeof saved);
        m->not_here = METER_E_NOT_HERE;
        return METER_E_NOT_HERE;
    }
    m->cfg = saved;
    m->floor = fl;
    kv_wipe(&saved, sizeof saved);

    /* Records of the earlier format are leftovers of a move (or planted):
     * never read, erased. */
    if (!fl.moving && nvrec_v1_present(&m->nv))
        nvrec_v1_erase(&m->nv);
    n = nvrec_load_state(&m->nv, m->nv_key, m->cfg.meter_number, fl.state_seq, &m->st, &scan);

    if (fl.moving) {
        /* A first boot cut short: the floor holds the whole ledger. */
        if (!n) {
            memset(&m->st, 0, sizeof m->st);
            raise_to_floor(&m->st, &fl);
            m->st.readback_counter = fl.rb_ceiling;
            m->state_seq = fl.state_seq - 1;
        } else {
            m->state_seq = n;
        }
        supply_loaded(&m->st, &m->cfg);
        finish_move(m, n != 0);
        return 0;
    }

    bad = scan.bad != 0; /* a forged, edited or foreign record */
    if (n && cap_to_floor(&m->st, &fl))
        bad = 1;
    if (!n || n + 1 < fl.state_seq) {
        /* Erased, swapped (nothing of this meter where the floor says
         * there was) or an older image put back. */
        bad = 1;
    } else if ((moved = raise_to_floor(&m->st, &fl)) != 0) {
        if (n >= fl.state_seq)
            bad = 1; /* below the floor it was saved with */
        else
            evlog_add(&m->st, METER_EV_CARRIED); /* cut between floor and state */
    }
    m->state_seq = n > fl.state_seq - 1 ? n : fl.state_seq - 1;
    if (m->st.readback_counter > fl.rb_ceiling || cap_credit(&m->st))
        bad = 1;
    if (bad) {
        /* Records are missing or false: whatever they held, no credit
         * comes of it. */
        restore_charged(&m->st, &fl);
        cap_credit(&m->st);
        moved = 1;
    }
    if (moved)
        supply_loaded(&m->st, &m->cfg);
    if (bad) {
        meter_floor nf;
        tampered(m);
        m->state_seq += SEQ_JUMP;
        /* Kept in the internal record at once: putting the EEPROM back
         * does not clear it. */
        floor_from(&nf, m, &m->st, m->state_seq + 1);
        floor_write(m, &m->cfg, &nf);
    }
    return 0;
}
