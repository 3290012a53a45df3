/* evlog.c - the event log (see evlog.h). */
#include "evlog.h"

#include <string.h>

void evlog_add(meter_state *st, uint8_t code)
{
    memmove(st->events + 1, st->events, METER_EVENTS - 1);
    st->events[0] = code;
}

void evlog_copy(const meter_state *st, uint8_t *out, unsigned n)
{
    memcpy(out, st->events, n > METER_EVENTS ? METER_EVENTS : n);
}

const char *evlog_name(uint8_t code, char buf[16])
{
    switch (code) {
    case 0: return "none";
    case METER_EV_POWER_ON: return "power on";
    case METER_EV_POWER_FAIL: return "power fail";
    case METER_EV_LOAD: return "load";
    case METER_EV_PRETRIP: return "pre-trip";
    case METER_EV_RECLOSE: return "reclosed by card";
    case METER_EV_CUTOFF: return "cut-off at zero";
    case METER_EV_RESTORED: return "restored by load";
    case METER_EV_OVERPOWER: return "over-power trip";
    case METER_EV_RECONNECT: return "reconnected";
    case METER_EV_RELAY_FAULT: return "relay fault";
    case METER_EV_COVER: return "cover opened";
    case METER_EV_REVERSE: return "reverse energy";
    case METER_EV_PHASE_LOSS: return "phase loss";
    case METER_EV_TAMPER_CLEARED: return "tamper cleared";
    case METER_EV_PARAMETERS: return "parameters set";
    case METER_EV_KEY_CHANGE: return "key changed";
    case METER_EV_TEST: return "test card";
    case METER_EV_CHECK: return "check card";
    case METER_EV_LOCKOUT: return "lockout";
    case METER_EV_READBACK_FAIL: return "readback not written";
    case METER_EV_CARRIED: return "loads carried over";
    case METER_EV_NV_TAMPER: return "memory tampered";
    case METER_EV_KEYS_MOVED: return "keys moved inside";
    case METER_EV_WATCHDOG: return "watchdog reset";
    case METER_EV_CLOCK_FAULT: return "clock fault";
    case METER_EV_METERING_FAULT: return "metering IC fault";
    case METER_EV_NV_FAULT: return "EEPROM fault";
    case METER_EV_EMERGENCY: return "emergency credit";
    default:
        break;
    }
    if ((code & 0xC0) == METER_EV_REFUSED) {
        unsigned e = code & 0x3F;
        memcpy(buf, "refused Err ", 12);
        buf[12] = (char)('0' + e / 10);
        buf[13] = (char)('0' + e % 10);
        buf[14] = 0;
        return buf;
    }
    return "unknown";
}
