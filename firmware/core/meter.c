/* meter.c - boot, measurement ticks, button, outputs (see meter.h). */
#include "meter.h"

#include <string.h>

#include "cardproc.h"
#include "display.h"
#include "evlog.h"
#include "fw_version.h"
#include "kv_util.h"
#include "ledger.h"
#include "nvrec.h"
#include "secrec.h"
#include "store.h"
#include "supply.h"

#define PAGES 10

uint32_t meter_total_energy(const meter *m)
{
    uint64_t t = (uint64_t)m->st.phase_energy[0] + m->st.phase_energy[1] + m->st.phase_energy[2];
    return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

uint8_t meter_readback_status(const meter *m)
{
    /* From the state, not from the outputs last driven: a card's readback
     * is sealed before the outputs follow what that card changed. */
    unsigned lamps = (m->provisioned && !m->not_here) ? supply_lamps(&m->st, &m->cfg) : 0;
    uint8_t s = 0;
    if (supply_relay_wanted(m))
        s |= KV_RB_RELAY_CLOSED;
    if (lamps & METER_LAMP_RED)
        s |= KV_RB_RED;
    if (lamps & METER_LAMP_YELLOW)
        s |= KV_RB_YELLOW;
    if (m->st.supply & METER_SUP_TRIPPED)
        s |= KV_RB_TRIPPED;
    if (m->st.supply & METER_SUP_CUTOFF)
        s |= KV_RB_CUTOFF;
    if (m->st.tamper)
        s |= KV_RB_TAMPER;
    if (m->st.lockout_left)
        s |= KV_RB_LOCKOUT;
    if (m->run.overpower_left)
        s |= KV_RB_OVERPOWER;
    return s;
}

const char *meter_display_text(const meter *m)
{
    return m->run.text;
}

static uint16_t count_up(uint16_t v)
{
    return (uint16_t)(v == UINT16_MAX ? v : v + 1u);
}

static uint8_t fault_event(unsigned fault)
{
    switch (fault) {
    case METER_FAULT_CLOCK: return METER_EV_CLOCK_FAULT;
    case METER_FAULT_NV: return METER_EV_NV_FAULT;
    case METER_FAULT_METERING: return METER_EV_METERING_FAULT;
    default: return 0;
    }
}

/* Sets the fault bits; logs each one once per power-up.  Returns 1 if
 * the state changed (to be saved). */
static int fault_note(meter *m, unsigned fault)
{
    unsigned fresh = fault & ~(unsigned)m->run.faults_logged;
    int dirty = 0;
    m->run.faults = (uint8_t)(m->run.faults | fault);
    m->run.faults_logged = (uint8_t)(m->run.faults_logged | fault);
    if (!m->provisioned || m->not_here)
        return 0;
    for (unsigned bit = 1; bit <= METER_FAULT_CARD; bit <<= 1) {
        uint8_t ev = fault_event(fresh & bit);
        if (ev) {
            evlog_add(&m->st, ev);
            dirty = 1;
        }
    }
    if (fresh & METER_FAULT_CLOCK)
        m->st.clock_faults = count_up(m->st.clock_faults);
    return dirty;
}

int meter_save(meter *m)
{
    int rc;
    if (!m->provisioned || m->not_here)
        return -1;
    rc = store_save(m, &m->st);
    if (rc != 0)
        fault_note(m, METER_FAULT_NV); /* logged in RAM: the next save that
                                        * works takes it along */
    return rc;
}

/* The remaining credit as page 0 shows it.  At or below zero the cut-off
 * shows 0000.00kWh, also when the tick that reached zero carried a little
 * energy past it; only over-zero credit (energy through a failed relay)
 * shows as a negative value. */
static void credit_text(const meter *m, char text[METER_TEXT_LEN])
{
    /* With the emergency credit taken: "Ec", then what is left of it. */
    int32_t v = m->st.remaining - supply_floor(&m->st, &m->cfg);
    display_energy(text, m->st.supply & METER_SUP_EMERGENCY ? "Ec " : "",
                   v < 0 && !(m->st.supply & METER_SUP_OVERZERO) ? 0 : v);
}

/* The display text for the current state and page. */
static void compose(meter *m, char text[METER_TEXT_LEN])
{
    if (!m->provisioned) {
        display_copy(text, "UnProG");
        return;
    }
    if (m->not_here) {
        display_error(text, m->not_here);
        return;
    }
    if (m->run.msg_left) {
        display_copy(text, m->run.msg);
        return;
    }
    if (m->run.overpower_left) {
        display_number(text, "OL ", m->run.overpower_left, 4);
        return;
    }
    switch (m->run.page) {
    case 1:
        display_energy(text, "E ", (int32_t)(meter_total_energy(m) % 100000000u));
        break;
    case 2:
    case 3:
    case 4: {
        static const char *const prefix[3] = {"1 ", "2 ", "3 "};
        unsigned p = m->run.page - 2u;
        display_energy(text, prefix[p], (int32_t)(m->st.phase_energy[p] % 100000000u));
        break;
    }
    case 5:
        display_power(text, m->run.power_w);
        break;
    case 6:
        display_tamper(text, m->st.tamper);
        break;
    case 7:
        /* for the technician: the block the meter runs on is this meter's */
        display_meter_number(text, m->cfg.meter_number);
        break;
    case 8:
        display_version(text, METER_FW_VERSION);
        break;
    case 9:
        display_faults(text, m->run.faults);
        break;
    default:
        credit_text(m, text);
        break;
    }
}

/* Drive relay, lamps and display from the state. */
static void refresh(meter *m)
{
    int relay = m->provisioned ? supply_relay_wanted(m) : 0;
    unsigned lamps = (m->provisioned && !m->not_here) ? supply_lamps(&m->st, &m->cfg) : 0;
    unsigned icons = 0;
    size_t n;

    if (relay != m->run.relay_closed) {
        m->run.relay_closed = (uint8_t)relay;
        if (relay)
            m->run.relay_fault = 0;
    }
    m->out.relay_set(m->out.ctx, relay);
    m->run.lamps = (uint8_t)lamps;
    m->out.lamps_set(m->out.ctx, lamps);

    compose(m, m->run.text);
    n = strlen(m->run.text);
    if (display_is_kwh(m->run.text, (unsigned)n)) /* every energy text ends so */
        icons |= METER_ICON_KWH;
    if (!relay)
        icons |= METER_ICON_RELAY_OPEN;
    if (m->st.tamper)
        icons |= METER_ICON_TAMPER;
    if (m->st.lockout_left)
        icons |= METER_ICON_LOCK;
    if (m->run.msg_left)
        icons |= METER_ICON_CARD;
    m->run.icons = icons;
    m->out.display_show(m->out.ctx, m->run.text, icons);
}

void meter_keys_load(meter *m)
{
    kv_meter_keys_wipe(&m->keys);
    kv_meter_keys_init(&m->keys, m->cfg.k_meter, m->cfg.key_version, m->psc_key);
    if (m->has_transport)
        kv_meter_keys_set_transport(&m->keys, m->transport_key);
}

static int boot(meter *m, const meter_card_ops *card, const meter_nv_ops *nv,
                const meter_secure_ops *sec, const meter_out_ops *out)
{
    uint8_t block[KV_PROVISION_LEN];
    kv_provision p;
    int rc, ok;

    memset(m, 0, sizeof *m);
    m->card = *card;
    m->nv = *nv;
    m->sec = *sec;
    m->out = *out;

    /* The block as the technician wrote it into internal flash: decoded
     * whole at every boot, so what it holds beside the keys stays read. */
    ok = secrec_read_provision(sec, block) == 0 && kv_provision_decode(block, 0, &p) == KV_OK;
    kv_wipe(block, sizeof block);
    if (!ok)
        return KV_E_PROVISION;

    m->phases = p.phases;
    m->meter_constant = p.meter_constant;
    memcpy(m->psc_key, p.k_psc, 16);
    if (p.block_version >= KV_PROVISION_V2) {
        memcpy(m->transport_key, p.k_transport, 16);
        m->has_transport = 1;
    }
    m->cfg.utility_code = p.utility_code;
    m->cfg.meter_number = p.meter_number;
    m->cfg.key_version = p.key_version;
    memcpy(m->cfg.k_meter, p.k_meter, 16);
    m->cfg.alarm_level = p.alarm_level;
    m->cfg.pretrip_level = p.pretrip_level;
    m->cfg.hoarding_limit = p.hoarding_limit;
    m->cfg.max_power = p.max_power;
    m->cfg.reconnect_delay = p.reconnect_delay;
    /* The EEPROM's MAC key, from the provisioning key: never changes. */
    nvrec_derive_key(p.k_meter, p.utility_code, p.meter_number, m->nv_key);
    kv_provision_wipe(&p);
    m->provisioned = 1;

    /* Keys and parameters changed by cards, and the ledger (store.h). */
    rc = store_boot(m);
    if (m->not_here) {
        meter_wipe(m);
        return rc;
    }
    meter_keys_load(m);
    m->run.lockout_saved = m->st.lockout_left;
    /* Only the fact of the trip is saved, not every second of it: after a
     * power cut the reconnect delay runs again in full. */
    if (m->st.overpower)
        m->run.overpower_left = m->cfg.reconnect_delay ? m->cfg.reconnect_delay : 1;
    return rc;
}

int meter_init_reset(meter *m, const meter_card_ops *card, const meter_nv_ops *nv,
                     const meter_secure_ops *sec, const meter_out_ops *out, unsigned reset)
{
    int rc = boot(m, card, nv, sec, out);
    if (m->provisioned && !m->not_here) {
        /* A watchdog reset restarts from the records exactly as a power
         * cut does; only the log and the counter tell them apart. */
        if (reset == METER_RESET_WATCHDOG) {
            evlog_add(&m->st, METER_EV_WATCHDOG);
            m->st.wdog_resets = count_up(m->st.wdog_resets);
        }
        evlog_add(&m->st, METER_EV_POWER_ON);
        supply_update(&m->st, &m->cfg);
        meter_save(m);
    }
    refresh(m);
    return rc;
}

int meter_init(meter *m, const meter_card_ops *card, const meter_nv_ops *nv,
               const meter_secure_ops *sec, const meter_out_ops *out)
{
    return meter_init_reset(m, card, nv, sec, out, METER_RESET_POWER);
}

void meter_fault(meter *m, unsigned fault)
{
    if (fault_note(m, fault))
        meter_save(m);
    refresh(m);
}

int meter_resume(meter *m, const meter_card_ops *card, const meter_nv_ops *nv,
                 const meter_secure_ops *sec, const meter_out_ops *out,
                 const meter_run *run, const meter_state *st)
{
    int rc = boot(m, card, nv, sec, out);
    if (run)
        m->run = *run;
    if (st && m->provisioned && !m->not_here)
        m->st = *st;
    m->run.lockout_saved = m->st.lockout_left;
    if (m->provisioned && !m->not_here)
        supply_update(&m->st, &m->cfg);
    refresh(m);
    return rc;
}

static void tamper_check(meter *m, const meter_sample *s, int *dirty)
{
    uint8_t t = 0, fresh;
    if (s->cover_open)
        t |= METER_TAMPER_COVER;
    if (s->reverse[0] | s->reverse[1] | s->reverse[2])
        t |= METER_TAMPER_REVERSE;
    /* One or two phases gone while the meter still runs (all three gone is
     * a power failure, not a tamper). */
    if (m->phases == 3 && (s->phase_ok & 7) != 7 && (s->phase_ok & 7) != 0)
        t |= METER_TAMPER_PHASE;
    fresh = (uint8_t)(t & ~m->st.tamper);
    if (!fresh)
        return;
    if (fresh & METER_TAMPER_COVER)
        evlog_add(&m->st, METER_EV_COVER);
    if (fresh & METER_TAMPER_REVERSE)
        evlog_add(&m->st, METER_EV_REVERSE);
    if (fresh & METER_TAMPER_PHASE)
        evlog_add(&m->st, METER_EV_PHASE_LOSS);
    m->st.tamper |= t;
    *dirty = 1;
}

static uint32_t count_down(uint32_t v, uint32_t by)
{
    return v > by ? v - by : 0;
}

/* How many multiples of period lie in (before, after]. */
static uint32_t crossed(uint32_t before, uint32_t after, uint32_t period)
{
    return after / period - before / period;
}

/* The bad-card count and the lockout level fall back with time spent
 * without a bad card (METER_BAD_DECAY); a card that passed its MAC resets
 * the count at once (cardproc.c). */
static void lockout_decay(meter *m, uint32_t secs, int *dirty)
{
    uint32_t before = m->run.calm_s, n;
    if (m->st.lockout_left || (!m->st.bad_cards && !m->st.lockout_level)) {
        m->run.calm_s = 0;
        return;
    }
    m->run.calm_s = before + secs < before ? UINT32_MAX : before + secs;
    n = crossed(before, m->run.calm_s, METER_BAD_DECAY);
    if (n && m->st.bad_cards) {
        m->st.bad_cards = (uint8_t)(n >= m->st.bad_cards ? 0 : m->st.bad_cards - n);
        *dirty = 1;
    }
    n = crossed(before, m->run.calm_s, METER_LEVEL_DECAY);
    if (n && m->st.lockout_level) {
        m->st.lockout_level = (uint8_t)(n >= m->st.lockout_level ? 0 : m->st.lockout_level - n);
        *dirty = 1;
    }
}

void meter_tick(meter *m, const meter_sample *s)
{
    uint32_t secs, units = 0, raw = 0;
    int dirty = 0;

    /* The metering IC comes and goes with its answers: the relay opens
     * while it does not answer (supply.c) and follows the credit again
     * once it has answered METER_METERING_SETTLE samples in a row. */
    if (s->fault & METER_FAULT_METERING) {
        dirty = fault_note(m, METER_FAULT_METERING);
        m->run.metering_good = 0;
    } else if ((m->run.faults & METER_FAULT_METERING) &&
               ++m->run.metering_good >= METER_METERING_SETTLE) {
        m->run.faults &= (uint8_t)~METER_FAULT_METERING;
    }
    if (!m->provisioned || m->not_here) {
        refresh(m);
        return;
    }
    m->run.ms_carry += s->ms;
    secs = m->run.ms_carry / 1000;
    m->run.ms_carry %= 1000;

    /* Reverse energy is still energy drawn through the meter: it is
     * charged, and flagged as a tamper. */
    for (unsigned p = 0; p < 3; p++) {
        uint32_t n = s->pulses[p] + s->reverse[p];
        raw |= n;
        units += ledger_add_pulses(&m->st, p, n, m->meter_constant);
    }
    m->run.unsaved += units;
    m->run.power_w = s->power_w;
    tamper_check(m, s, &dirty);

    /* The relay is commanded open but energy flows or the auxiliary
     * contact says closed: a welded or bypassed relay.  The energy is still
     * charged, driving the credit below zero (over-zero). */
    if (!m->run.relay_closed && !m->run.relay_fault &&
        (raw || m->out.relay_sense(m->out.ctx) == 1)) {
        m->run.relay_fault = 1;
        m->st.supply |= METER_SUP_OVERZERO;
        evlog_add(&m->st, METER_EV_RELAY_FAULT);
        dirty = 1;
    }

    if (m->run.overpower_left) {
        m->run.overpower_left = (uint16_t)count_down(m->run.overpower_left, secs);
        if (!m->run.overpower_left) {
            m->st.overpower = 0;
            evlog_add(&m->st, METER_EV_RECONNECT);
            dirty = 1;
        }
    } else if (m->cfg.max_power && s->power_w > m->cfg.max_power && m->run.relay_closed) {
        m->run.overpower_left = m->cfg.reconnect_delay ? m->cfg.reconnect_delay : 1;
        m->st.overpower = 1;
        evlog_add(&m->st, METER_EV_OVERPOWER);
        dirty = 1;
    }

    lockout_decay(m, secs, &dirty);
    if (m->st.lockout_left) {
        m->st.lockout_left = count_down(m->st.lockout_left, secs);
        /* Saved every minute of countdown: a power cut restarts at most a
         * minute of it, never skips it. */
        if (!m->st.lockout_left || m->run.lockout_saved - m->st.lockout_left >= 60)
            dirty = 1;
    }
    m->run.msg_left = (uint16_t)count_down(m->run.msg_left, secs);
    if (m->run.msg_next && m->run.msg_left <= METER_MSG_SECONDS - METER_MSG_FIRST) {
        /* the first part has been up long enough: now the second (the
         * reclose after a refusal, the credit after "bALAncE") */
        uint8_t next = m->run.msg_next;
        m->run.msg_next = METER_NEXT_NONE;
        if (m->run.msg_left && next == METER_NEXT_RECLOSE)
            display_copy(m->run.msg, "rEcLOSE");
        else if (m->run.msg_left)
            credit_text(m, m->run.msg);
    }

    if (supply_update(&m->st, &m->cfg))
        dirty = 1;
    if (dirty || m->run.save_pending || m->run.unsaved >= METER_SAVE_EVERY)
        meter_save(m);
    refresh(m);
}

int meter_card_inserted(meter *m)
{
    int rc;
    if (!m->provisioned) {
        refresh(m);
        return KV_E_PROVISION;
    }
    if (m->not_here) {
        refresh(m);
        return m->not_here;
    }
    rc = cardproc_insert(m);
    if (rc == METER_E_CARD_IO)
        m->run.faults |= METER_FAULT_CARD;
    else if (rc != METER_E_CARD_ABSENT)
        m->run.faults &= (uint8_t)~METER_FAULT_CARD;
    refresh(m);
    return rc;
}

void meter_button(meter *m)
{
    /* A press first clears a card message, then steps through the pages. */
    if (m->run.msg_left) {
        m->run.msg_left = 0;
        m->run.msg_next = METER_NEXT_NONE;
    } else
        m->run.page = (uint8_t)((m->run.page + 1) % PAGES);
    refresh(m);
}

int meter_emergency(meter *m)
{
    meter_state *st = &m->st;
    int32_t floor = -(int32_t)(m->cfg.emergency_kwh * 100u);
    int taken = m->provisioned && !m->not_here && m->cfg.emergency_kwh &&
                (st->supply & METER_SUP_CUTOFF) && !(st->supply & METER_SUP_EMERGENCY) &&
                st->remaining > floor;
    if (taken) {
        /* One save: the flag and its event.  Lost by a power cut, the
         * customer holds the button again; taken twice, it gives nothing
         * more (the floor is -allowance, not remaining - allowance). */
        st->supply = (uint8_t)((st->supply & ~METER_SUP_CUTOFF) | METER_SUP_EMERGENCY);
        evlog_add(st, METER_EV_EMERGENCY);
        meter_save(m);
        m->run.page = 0;
        m->run.msg_left = 0;
    }
    refresh(m);
    return taken;
}

void meter_power_fail(meter *m)
{
    if (!m->provisioned || m->not_here)
        return;
    evlog_add(&m->st, METER_EV_POWER_FAIL);
    meter_save(m);
}

void meter_wipe(meter *m)
{
    kv_meter_keys_wipe(&m->keys);
    kv_wipe(m->psc_key, sizeof m->psc_key);
    kv_wipe(m->transport_key, sizeof m->transport_key);
    kv_wipe(m->cfg.k_meter, sizeof m->cfg.k_meter);
    kv_wipe(m->nv_key, sizeof m->nv_key);
}
