/* supply.c - thresholds state machine (see supply.h). */
#include "supply.h"

#include "evlog.h"

int32_t supply_floor(const meter_state *st, const meter_config *cfg)
{
    return st->supply & METER_SUP_EMERGENCY ? -(int32_t)(cfg->emergency_kwh * 100u) : 0;
}

int supply_update(meter_state *st, const meter_config *cfg)
{
    uint8_t s = st->supply;
    if (st->remaining <= supply_floor(st, cfg)) {
        if (!(s & METER_SUP_CUTOFF))
            evlog_add(st, METER_EV_CUTOFF);
        s = (uint8_t)(METER_SUP_CUTOFF | (s & (METER_SUP_OVERZERO | METER_SUP_EMERGENCY)));
    } else if (s & METER_SUP_CUTOFF) {
        /* Only a load ends a cut-off (supply_loaded). */
    } else if (!(s & METER_SUP_EMERGENCY) && (uint32_t)st->remaining < cfg->pretrip_level) {
        if (!(s & (METER_SUP_TRIPPED | METER_SUP_RECLOSED))) {
            s |= METER_SUP_TRIPPED;
            evlog_add(st, METER_EV_PRETRIP);
        }
    } else {
        s &= (uint8_t)~(METER_SUP_TRIPPED | METER_SUP_RECLOSED);
    }
    if (s == st->supply)
        return 0;
    st->supply = s;
    return 1;
}

int supply_user_card(meter_state *st)
{
    if (!(st->supply & METER_SUP_TRIPPED))
        return 0;
    st->supply = (uint8_t)((st->supply & ~METER_SUP_TRIPPED) | METER_SUP_RECLOSED);
    evlog_add(st, METER_EV_RECLOSE);
    return 1;
}

void supply_loaded(meter_state *st, const meter_config *cfg)
{
    if (st->remaining <= 0)
        return; /* still over zero: the cut-off stays */
    /* the debt (over-zero, emergency credit) is paid */
    st->supply &= (uint8_t)~(METER_SUP_OVERZERO | METER_SUP_EMERGENCY);
    if (st->supply & METER_SUP_CUTOFF) {
        st->supply = 0;
        evlog_add(st, METER_EV_RESTORED);
    }
    /* The card that brought the credit is in the slot: that is the user's
     * reclose, so a load that stays below pre-trip keeps the power on. */
    if ((uint32_t)st->remaining < cfg->pretrip_level && !supply_user_card(st))
        st->supply |= METER_SUP_RECLOSED;
    supply_update(st, cfg);
}

int supply_relay_wanted(const meter *m)
{
    if (!m->provisioned || m->not_here)
        return 0;
    if (m->st.supply & (METER_SUP_TRIPPED | METER_SUP_CUTOFF))
        return 0;
    /* Nothing is metered while the metering IC does not answer: the relay
     * opens rather than give unmetered energy, and no credit is spent
     * meanwhile (docs/display-codes.md, "Faults"). */
    if (m->run.faults & METER_FAULT_METERING)
        return 0;
    return m->run.overpower_left == 0;
}

unsigned supply_lamps(const meter_state *st, const meter_config *cfg)
{
    unsigned lamps = 0;
    if (st->remaining < 0 || (uint32_t)st->remaining < cfg->alarm_level)
        lamps |= METER_LAMP_RED;
    if (st->remaining < 0 || (uint32_t)st->remaining < cfg->pretrip_level)
        lamps |= METER_LAMP_YELLOW;
    return lamps;
}

const char *supply_name(const meter *m)
{
    if (!m->provisioned)
        return "unprovisioned";
    if (m->run.overpower_left)
        return "over-power";
    if (m->st.supply & METER_SUP_CUTOFF)
        return "cut-off";
    if (m->st.supply & METER_SUP_TRIPPED)
        return "tripped";
    if (m->st.supply & METER_SUP_RECLOSED)
        return "reclosed";
    if (m->st.supply & METER_SUP_EMERGENCY)
        return "emergency";
    return "normal";
}
