/* kv-events.c - event codes and status bits by name (kv-events.h).  The
 * codes are the meter's (firmware/core/meter.h, METER_EV_*): never
 * renumbered. */
#include "kv-i18n.h"
#include "kv-events.h"

#define EV_REFUSED 0x40

static const char *const names[] = {
    [0x01] = NC_("meter event", "power on"),
    [0x02] = NC_("meter event", "power fail"),
    [0x03] = NC_("meter event", "load"),
    [0x04] = NC_("meter event", "pre-trip"),
    [0x05] = NC_("meter event", "reclosed by card"),
    [0x06] = NC_("meter event", "cut-off at zero"),
    [0x07] = NC_("meter event", "restored by a load"),
    [0x08] = NC_("meter event", "over-power trip"),
    [0x09] = NC_("meter event", "reconnected"),
    [0x0A] = NC_("meter event", "relay fault"),
    [0x0B] = NC_("meter event", "cover opened"),
    [0x0C] = NC_("meter event", "reverse energy"),
    [0x0D] = NC_("meter event", "phase loss"),
    [0x0E] = NC_("meter event", "tamper cleared"),
    [0x0F] = NC_("meter event", "parameters set"),
    [0x10] = NC_("meter event", "key changed"),
    [0x11] = NC_("meter event", "test card"),
    [0x12] = NC_("meter event", "check card"),
    [0x13] = NC_("meter event", "lockout"),
    [0x14] = NC_("meter event", "readback not written"),
    [0x15] = NC_("meter event", "loads carried over"),
    [0x16] = NC_("meter event", "memory tampered"),
    [0x17] = NC_("meter event", "keys moved inside"),
    [0x1D] = NC_("meter event", "emergency credit taken"),
};

static const char *const status_names[8] = {
    NC_("meter status", "relay closed"), NC_("meter status", "red"),
    NC_("meter status", "yellow"),       NC_("meter status", "tripped"),
    NC_("meter status", "cut off"),      NC_("meter status", "tamper"),
    NC_("meter status", "lockout"),      NC_("meter status", "over-power"),
};

char *kv_event_describe(guint8 code)
{
    if (code < G_N_ELEMENTS(names) && names[code])
        return g_strdup(C_("meter event", names[code]));
    if (code > EV_REFUSED && code < 0x80)
        return g_strdup_printf(_("card refused (error %u)"), code - EV_REFUSED);
    return g_strdup_printf(_("event 0x%02x"), code);
}

gboolean kv_event_is_tamper(guint8 code)
{
    return code == 0x0A || code == 0x0B || code == 0x0C || code == 0x0D || code == 0x16;
}

/* The names of the non-zero items of n, from name(i), joined with ", ". */
static char *join(guint n, char *(*name)(guint i, gconstpointer data), gconstpointer data)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < n; i++) {
        g_autofree char *one = name(i, data);
        if (!one)
            continue;
        if (s->len)
            g_string_append(s, ", ");
        g_string_append(s, one);
    }
    return g_string_free(s, FALSE);
}

static char *event_at(guint i, gconstpointer data)
{
    const guint8 *ev = data;
    return ev[i] ? kv_event_describe(ev[i]) : NULL;
}

static char *status_bit(guint i, gconstpointer data)
{
    return (*(const guint8 *)data & (1u << i)) ? g_strdup(C_("meter status", status_names[i]))
                                              : NULL;
}

char *kv_events_text(const guint8 *events, gsize n)
{
    return join((guint)n, event_at, events);
}

char *kv_status_text(guint8 status)
{
    return join(8, status_bit, &status);
}
