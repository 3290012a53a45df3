/* kv-card-report.c - describe a card image in text and JSON.
 *
 * The facts are gathered once into a list of fields (section, key, label,
 * value), then rendered either way, so the two outputs never disagree.
 */
#include "kv-card-report.h"

#include <string.h>

#include "kv_util.h"

typedef struct {
    const char *section; /* "card", "identity", "token", "readback" */
    const char *key;     /* JSON member */
    const char *label;   /* text label */
    char *text;          /* value as shown to people */
    gboolean number;     /* JSON: num, else the string text */
    gboolean boolean;
    gint64 num;
} Field;

typedef struct {
    GArray *fields;
} Facts;

static void field_clear(gpointer p)
{
    g_free(((Field *)p)->text);
}

static void add_str(Facts *f, const char *section, const char *key, const char *label,
                    const char *text)
{
    Field x = {section, key, label, g_strdup(text), FALSE, FALSE, 0};
    g_array_append_val(f->fields, x);
}

static void add_num(Facts *f, const char *section, const char *key, const char *label,
                    gint64 n, const char *text)
{
    Field x = {section, key, label, text ? g_strdup(text) : g_strdup_printf("%" G_GINT64_FORMAT, n),
               TRUE, FALSE, n};
    g_array_append_val(f->fields, x);
}

static void add_bool(Facts *f, const char *section, const char *key, const char *label,
                     gboolean b, const char *text)
{
    Field x = {section, key, label, g_strdup(text), FALSE, TRUE, b};
    g_array_append_val(f->fields, x);
}

/* 0.01 kWh units as "12.34 kWh". */
static char *kwh(gint64 v)
{
    gint64 a = v < 0 ? -v : v;
    return g_strdup_printf("%s%" G_GINT64_FORMAT ".%02d kWh", v < 0 ? "-" : "",
                           a / 100, (int)(a % 100));
}

static char *utc(guint32 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
    return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC") : g_strdup("?");
}

/* Energy in 0.01 kWh, as a number and in kWh. */
static void add_kwh(Facts *f, const char *section, const char *key, const char *label, gint64 v)
{
    g_autofree char *s = kwh(v);
    add_num(f, section, key, label, v, s);
}

/* The token's issue time, as a number and in UTC. */
static void add_issued(Facts *f, guint32 at)
{
    g_autofree char *s = utc(at);
    add_num(f, "token", "issued_at", "issued", at, s);
}

const char *kv_card_type_name(unsigned card_type)
{
    switch (card_type) {
    case KV_CARD_USER: return "purchase card";
    case KV_CARD_CHECK: return "check card";
    case KV_CARD_PARAMETER: return "parameter card";
    case KV_CARD_CLEAR_TAMPER: return "clear-tamper card";
    case KV_CARD_KEY_CHANGE: return "key-change card";
    case KV_CARD_TEST: return "test card";
    case KV_CARD_CLEAR_CREDIT: return "clear-credit card";
    default: return "unknown card type";
    }
}

static const char *token_kind_name(unsigned kind)
{
    switch (kind) {
    case KV_TOKEN_CREDIT: return "credit";
    case KV_TOKEN_PARAMETERS: return "parameters";
    case KV_TOKEN_CLEAR_TAMPER: return "clear tamper";
    case KV_TOKEN_KEY_CHANGE: return "key change";
    case KV_TOKEN_TEST: return "test";
    case KV_TOKEN_KEY_CHANGE_T: return "key change (transport key)";
    case KV_TOKEN_CHECK: return "check";
    case KV_TOKEN_CLEAR_CREDIT: return "clear credit";
    default: return "unknown";
    }
}

static gboolean all_ff(const guint8 *p, guint n)
{
    for (guint i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return FALSE;
    return TRUE;
}

static void slot_written(Facts *f, const char *section, const guint8 *img, guint a, guint b,
                         guint used)
{
    gboolean wa = !all_ff(img + a, used), wb = !all_ff(img + b, used);
    add_bool(f, section, "slot_a_written", "slot A", wa, wa ? "written" : "empty");
    add_bool(f, section, "slot_b_written", "slot B", wb, wb ? "written" : "empty");
}

static void token_facts(Facts *f, const kv_card_view *v)
{
    const kv_token *t = &v->token;

    if (v->token_err != KV_OK) {
        add_str(f, "token", "state", "state",
                v->token_err == KV_E_EMPTY ? "none written" : kv_strerror(v->token_err));
        add_num(f, "token", "error", "error code", v->token_err, NULL);
        return;
    }
    add_str(f, "token", "state", "state", v->token_torn ? "valid (the other slot is damaged or torn)"
                                                         : "valid");
    add_str(f, "token", "slot", "slot", v->token_slot ? "B" : "A");
    add_str(f, "token", "kind", "kind", token_kind_name(t->kind));
    add_num(f, "token", "seq", "sequence", t->seq, NULL);
    add_num(f, "token", "key_version", "key version", t->key_version, NULL);
    if (t->issuer)
        add_num(f, "token", "issuer", "issuer", t->issuer, NULL);
    switch (t->kind) {
    case KV_TOKEN_CREDIT:
        add_kwh(f, "token", "amount", "amount", t->u.credit.amount);
        add_kwh(f, "token", "cumulative", "credit ever sold", t->u.credit.cumulative);
        add_num(f, "token", "sale_ref", "sale", t->u.credit.sale_ref, NULL);
        add_num(f, "token", "office", "office", t->u.credit.office, NULL);
        add_issued(f, t->u.credit.issued_at);
        break;
    case KV_TOKEN_PARAMETERS:
        add_kwh(f, "token", "alarm_level", "alarm level", t->u.params.alarm_level);
        add_kwh(f, "token", "pretrip_level", "pre-trip level", t->u.params.pretrip_level);
        add_kwh(f, "token", "hoarding_limit", "hoarding limit", t->u.params.hoarding_limit);
        add_num(f, "token", "max_power", "max power (W)", t->u.params.max_power, NULL);
        add_num(f, "token", "reconnect_delay", "reconnect delay (s)",
                t->u.params.reconnect_delay, NULL);
        add_num(f, "token", "emergency_kwh", "emergency allowance (kWh, 0 = none)",
                t->u.params.emergency_kwh, NULL);
        add_issued(f, t->u.params.issued_at);
        break;
    case KV_TOKEN_KEY_CHANGE: /* the new key itself is never shown */
    case KV_TOKEN_KEY_CHANGE_T:
        add_num(f, "token", "new_key_version", "new key version",
                t->u.key_change.new_key_version, NULL);
        add_issued(f, t->u.key_change.issued_at);
        break;
    default:
        add_issued(f, t->u.issued_at);
        break;
    }
}

static void readback_facts(Facts *f, const kv_card_view *v)
{
    const kv_readback *r = &v->readback;
    static const struct { guint8 bit; const char *name; } flags[] = {
        {KV_RB_RELAY_CLOSED, "relay closed"}, {KV_RB_RED, "red lamp"},
        {KV_RB_YELLOW, "yellow lamp"}, {KV_RB_TRIPPED, "tripped"}, {KV_RB_CUTOFF, "cut off"},
        {KV_RB_TAMPER, "tamper"}, {KV_RB_LOCKOUT, "lockout"}, {KV_RB_OVERPOWER, "over power"}};
    GString *st = g_string_new(NULL), *ev = g_string_new(NULL);

    if (v->readback_err != KV_OK) {
        add_str(f, "readback", "state", "state",
                v->readback_err == KV_E_EMPTY ? "none written by a meter yet"
                                              : kv_strerror(v->readback_err));
        add_num(f, "readback", "error", "error code", v->readback_err, NULL);
        g_string_free(st, TRUE);
        g_string_free(ev, TRUE);
        return;
    }
    add_str(f, "readback", "state", "state",
            v->readback_torn ? "valid (the other slot is damaged or torn)" : "valid");
    for (guint i = 0; i < G_N_ELEMENTS(flags); i++)
        if (r->status & flags[i].bit)
            g_string_append_printf(st, "%s%s", st->len ? ", " : "", flags[i].name);
    add_num(f, "readback", "status", "meter status", r->status, st->len ? st->str : "relay open");
    add_num(f, "readback", "counter", "readback number", r->counter, NULL);
    add_kwh(f, "readback", "remaining", "remaining credit", r->remaining);
    add_kwh(f, "readback", "cumulative_loaded", "credit ever loaded", r->cumulative_loaded);
    add_kwh(f, "readback", "total_energy", "energy used", r->total_energy);
    for (int i = 0; i < 3; i++) {
        static const char *const keys[] = {"energy_l1", "energy_l2", "energy_l3"};
        static const char *const labels[] = {"  phase L1", "  phase L2", "  phase L3"};
        add_kwh(f, "readback", keys[i], labels[i], r->phase_energy[i]);
    }
    add_num(f, "readback", "last_seq", "last token loaded", r->last_seq, NULL);
    add_num(f, "readback", "key_version", "meter key version", r->key_version, NULL);
    add_num(f, "readback", "result", "last insertion", r->result,
            r->result ? kv_strerror(r->result) : "loaded / ok");
    if (v->id.card_type == KV_CARD_CLEAR_CREDIT) {
        /* format 2: the credit ever cleared in the events' place */
        add_kwh(f, "readback", "cleared", "credit ever cleared", (gint64)r->cleared);
    } else if (r->format == 3) {
        /* format 3 (parameter cards): the meter's emergency allowance */
        add_kwh(f, "readback", "emergency", "emergency allowance", (gint64)r->emergency);
    } else {
        for (int i = 0; i < KV_READBACK_EVENTS; i++)
            g_string_append_printf(ev, "%s%u", i ? " " : "", r->events[i]);
        add_str(f, "readback", "events", "recent events", ev->str);
    }
    g_string_free(st, TRUE);
    g_string_free(ev, TRUE);
}

static Facts gather(const guint8 *img, const kv_meter_keys *keys, const KvCardReportExtra *extra)
{
    Facts f = {g_array_new(FALSE, TRUE, sizeof(Field))};
    kv_identity id;
    kv_err e;
    char *s;

    g_array_set_clear_func(f.fields, field_clear);
    if (extra && extra->reader)
        add_str(&f, "card", "reader", "reader", extra->reader);
    s = g_strdup_printf("%02X %02X %02X %02X", img[0], img[1], img[2], img[3]);
    add_str(&f, "card", "atr", "chip ATR", s);
    g_free(s);
    if (extra && extra->tries_left >= 0)
        add_num(&f, "card", "psc_tries_left", "PSC tries left", extra->tries_left,
                extra->tries_left == 0 ? "0 (locked: read-only for ever)" : NULL);
    if (extra && extra->protection >= 0) {
        guint32 p = (guint32)extra->protection;
        add_bool(&f, "card", "identity_locked", "identity locked", p == 0,
                 p == 0 ? "yes (bytes 0..31 protected)"
                        : p == 0xFFFFFFFFu ? "no" : "partly (interrupted lock?)");
    }

    e = kv_card_identity(img, &id);
    if (e != KV_OK) {
        add_str(&f, "identity", "state", "state",
                e == KV_E_BLANK ? "blank card (never issued)" : kv_strerror(e));
        add_num(&f, "identity", "error", "error code", e, NULL);
    } else {
        add_str(&f, "identity", "state", "state", "issued");
        add_num(&f, "identity", "card_type", "card type", id.card_type,
                kv_card_type_name(id.card_type));
        add_num(&f, "identity", "utility", "utility", id.utility_code, NULL);
        add_num(&f, "identity", "serial", "card serial", id.card_serial, NULL);
        s = g_strdup_printf("%09u", id.meter_number);
        add_num(&f, "identity", "meter", "meter", id.meter_number, s);
        g_free(s);
        add_num(&f, "identity", "key_version", "key version at issue", id.key_version, NULL);
        add_num(&f, "identity", "format", "format", id.format_version, NULL);
    }

    if (e == KV_OK && keys) {
        kv_card_view view;
        if (kv_card_decode(keys, img, &view) == KV_OK) {
            token_facts(&f, &view);
            readback_facts(&f, &view);
        }
        kv_wipe(&view, sizeof view); /* a key-change token holds a key */
    } else {
        const char *why = e == KV_OK ? "not opened (the meter's keys are needed)"
                                     : "not opened (no valid identity)";
        add_str(&f, "token", "state", "state", why);
        slot_written(&f, "token", img, KV_TOKEN_A, KV_TOKEN_B, KV_TOKEN_USED);
        add_str(&f, "readback", "state", "state", why);
        slot_written(&f, "readback", img, KV_READBACK_A, KV_READBACK_B, KV_READBACK_USED);
    }
    return f;
}

void kv_card_report_extra_from_card(KvCard *card, KvCardReportExtra *extra)
{
    extra->reader = kv_card_reader_name(card);
    extra->tries_left = (gint)kv_card_tries_left(card);
    extra->protection = kv_card_protection(card);
}

GString *kv_card_report_text(const guint8 image[KV_CARD_SIZE], const kv_meter_keys *keys,
                             const KvCardReportExtra *extra)
{
    Facts f = gather(image, keys, extra);
    GString *out = g_string_new(NULL);
    const char *section = NULL;

    for (guint i = 0; i < f.fields->len; i++) {
        Field *x = &g_array_index(f.fields, Field, i);
        if (!section || strcmp(section, x->section)) {
            section = x->section;
            g_string_append_printf(out, "%s%c%s:\n", out->len ? "\n" : "",
                                   g_ascii_toupper(section[0]), section + 1);
        }
        g_string_append_printf(out, "  %-20s %s\n", x->label, x->text);
    }
    g_array_free(f.fields, TRUE);
    return out;
}

static void json_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (; *s; s++) {
        guchar c = (guchar)*s;
        if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", c);
        else if (c < 0x20)
            g_string_append_printf(out, "\\u%04x", c);
        else
            g_string_append_c(out, (char)c);
    }
    g_string_append_c(out, '"');
}

GString *kv_card_report_json(const guint8 image[KV_CARD_SIZE], const kv_meter_keys *keys,
                             const KvCardReportExtra *extra)
{
    Facts f = gather(image, keys, extra);
    GString *out = g_string_new("{");
    const char *section = NULL;

    for (guint i = 0; i < f.fields->len; i++) {
        Field *x = &g_array_index(f.fields, Field, i);
        if (!section || strcmp(section, x->section)) {
            g_string_append_printf(out, "%s\"%s\": {", section ? "}, " : "", x->section);
            section = x->section;
        } else {
            g_string_append(out, ", ");
        }
        g_string_append_printf(out, "\"%s\": ", x->key);
        if (x->boolean)
            g_string_append(out, x->num ? "true" : "false");
        else if (x->number)
            g_string_append_printf(out, "%" G_GINT64_FORMAT, x->num);
        else
            json_string(out, x->text);
    }
    g_string_append(out, section ? "}}" : "}");
    g_array_free(f.fields, TRUE);
    return out;
}
