/* console.c - the technician's console (see console.h). */
#include "console.h"

#include <string.h>

#include "display.h"
#include "evlog.h"
#include "fw_version.h"
#include "supply.h"

static void put(console *c, const char *s)
{
    c->write(c->ctx, s);
}

static void put_u32(console *c, uint32_t v)
{
    char t[METER_TEXT_LEN];
    display_number(t, "", v, 1);
    put(c, t);
}

static void put_kwh(console *c, int32_t centi_kwh)
{
    char t[METER_TEXT_LEN];
    display_energy(t, "", centi_kwh);
    put(c, t);
}

static void put_hex8(console *c, uint32_t v)
{
    static const char hex[] = "0123456789ABCDEF";
    char t[9];
    for (int i = 0; i < 8; i++)
        t[i] = hex[(v >> (28 - 4 * i)) & 15u];
    t[8] = '\0';
    put(c, t);
}

static void field(console *c, const char *name, const char *value)
{
    put(c, name);
    put(c, value);
}

static const char *provisioning(const meter *m)
{
    if (!m->provisioned)
        return "not provisioned";
    if (m->not_here == METER_E_NV)
        return "provisioned, internal flash failed (Err 25)";
    if (m->not_here)
        return "block of another meter (Err 26)";
    return "provisioned";
}

static void faults(console *c, const meter *m)
{
    static const char *const names[4] = {" clock", " EEPROM", " metering-IC", " card"};
    put(c, "faults:");
    if (!m->run.faults)
        put(c, " none");
    for (unsigned i = 0; i < 4; i++)
        if (m->run.faults & (1u << i))
            put(c, names[i]);
    put(c, "\r\n");
}

static void events(console *c, const meter *m)
{
    char buf[16];
    put(c, "events (newest first):");
    for (unsigned i = 0; i < METER_EVENTS && m->st.events[i]; i++) {
        put(c, i ? ", " : " ");
        put(c, evlog_name(m->st.events[i], buf));
    }
    put(c, "\r\n");
}

static void ledger(console *c, const meter *m)
{
    put(c, "credit: remaining ");
    put_kwh(c, m->st.remaining);
    put(c, ", loaded ");
    put_kwh(c, (int32_t)(m->st.cumulative_loaded & 0x7FFFFFFFu));
    put(c, ", energy ");
    put_kwh(c, (int32_t)(meter_total_energy(m) % 100000000u));
    field(c, ", supply ", supply_name(m));
    put(c, "\r\nlevels: alarm ");
    put_kwh(c, (int32_t)(m->cfg.alarm_level & 0x7FFFFFFFu));
    put(c, ", pre-trip ");
    put_kwh(c, (int32_t)(m->cfg.pretrip_level & 0x7FFFFFFFu));
    put(c, ", hoarding ");
    put_kwh(c, (int32_t)(m->cfg.hoarding_limit & 0x7FFFFFFFu));
    put(c, ", max power ");
    put_u32(c, m->cfg.max_power);
    put(c, " W, reconnect ");
    put_u32(c, m->cfg.reconnect_delay);
    put(c, " s, key version ");
    put_u32(c, m->cfg.key_version);
    put(c, "\r\n");
}

void console_status(console *c, const meter *m, const console_board *b)
{
    put(c, "kilovend meter " METER_FW_VERSION " build ");
    put(c, b->build_id ? b->build_id : "-");
    put(c, "\r\nmeter: ");
    if (m->provisioned) {
        put_u32(c, m->cfg.meter_number);
        put(c, " utility ");
        put_hex8(c, m->cfg.utility_code);
    } else {
        put(c, "-");
    }
    field(c, "\r\nprovisioning: ", provisioning(m));
    put(c, "\r\n");
    if (m->provisioned && !m->not_here)
        ledger(c, m);
    field(c, "relay: ", m->run.relay_closed ? "closed" : "open");
    field(c, ", lamps: red ", m->run.lamps & METER_LAMP_RED ? "on" : "off");
    field(c, ", yellow ", m->run.lamps & METER_LAMP_YELLOW ? "on" : "off");
    field(c, "\r\ndisplay: ", m->run.text);
    put(c, "\r\ntamper: ");
    put_hex8(c, m->st.tamper);
    put(c, "\r\n");
    faults(c, m);
    events(c, m);
    field(c, "watchdog: ", b->wdog_running ? "running" : "stopped");
    put(c, ", timeout ");
    put_u32(c, b->wdog_timeout_ms);
    put(c, " ms, refreshes ");
    put_u32(c, b->wdog_refreshes);
    put(c, ", resets ");
    put_u32(c, m->st.wdog_resets);
    field(c, "\r\nclock: ", b->clock_crystal ? "crystal" : "internal oscillator (crystal failed)");
    put(c, ", ");
    put_u32(c, b->clock_hz / 1000000u);
    put(c, " MHz, clock faults ");
    put_u32(c, m->st.clock_faults);
    put(c, "\r\n");
}

/* A command, or its first letter alone.  Not strcmp: the C library's
 * takes 0.4 KiB of the meter's flash. */
static int is_cmd(const char *line, const char *name)
{
    if (line[0] && !line[1])
        return line[0] == name[0];
    while (*line && *line == *name)
        line++, name++;
    return *line == *name;
}

static void command(console *c, const meter *m, const console_board *b)
{
    const char *cmd = c->line;
    if (is_cmd(cmd, "status"))
        console_status(c, m, b);
    else if (is_cmd(cmd, "events"))
        events(c, m);
    else if (is_cmd(cmd, "faults"))
        faults(c, m);
    else if (is_cmd(cmd, "help") || is_cmd(cmd, "?"))
        put(c, "commands: status (s), events (e), faults (f), help (h)\r\n");
    else
        put(c, "? unknown command (help)\r\n");
}

void console_init(console *c, void (*write)(void *ctx, const char *s), void *ctx)
{
    memset(c, 0, sizeof *c);
    c->write = write;
    c->ctx = ctx;
}

void console_input(console *c, const meter *m, const console_board *b, char ch, uint32_t now_ms)
{
    if (ch != '\r' && ch != '\n') {
        if (c->len < CONSOLE_LINE - 1 && !c->overflow && ch >= ' ' && ch <= '~')
            c->line[c->len++] = ch;
        else if (ch >= ' ')
            c->overflow = 1; /* too long, or not printable: the line is void */
        return;
    }
    c->line[c->len] = '\0';
    if (c->overflow) {
        c->too_long++;
    } else if (c->len) {
        if (c->answered && now_ms - c->last_ms < CONSOLE_MIN_MS) {
            c->dropped++;
        } else {
            c->answered = 1;
            c->last_ms = now_ms;
            command(c, m, b);
        }
    }
    memset(c->line, 0, sizeof c->line);
    c->len = 0;
    c->overflow = 0;
}
