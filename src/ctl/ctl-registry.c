/* ctl-registry.c - customers, meters, search, CSV import, provisioning. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* "customer import FILE.csv", "meter import FILE.csv" (usage: that line). */
static int import_file(KvStation *st, const char *kind, const CtlArgs *a, const char *usage)
{
    GError *error = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    guint ok = 0, bad = 0;
    if (a->words->len != 1)
        return ctl_usage_error("%s", usage);
    rows = kv_registry_import_csv(st, kind, a->words->pdata[0], NULL, NULL, NULL, &error);
    if (!rows)
        return ctl_fail(error);
    if (ctl.json)
        printf("{\"rows\":[");
    for (guint i = 0; i < rows->len; i++) {
        KvImportRow *r = rows->pdata[i];
        r->ok ? ok++ : bad++;
        if (ctl.json) {
            g_autofree char *m = kv_json_escape(r->message);
            printf("%s{\"line\":%u,\"ok\":%s,\"message\":\"%s\"}", i ? "," : "", r->line,
                   r->ok ? "true" : "false", m);
        } else if (!ctl.quiet) {
            printf(_("line %u: %s%s\n"), r->line, r->ok ? "" : _("ERROR: "), r->message);
        }
    }
    if (ctl.json)
        printf("],\"imported\":%u,\"rejected\":%u}\n", ok, bad);
    else
        ctl_out(_("%u imported, %u rejected\n"), ok, bad);
    return bad ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}

/* --NAME VALUE, if given, into *field (an edit keeps what is not given). */
static void text_opt(CtlArgs *a, const char *name, char **field)
{
    const char *v = ctl_opt(a, name);
    if (v)
        *field = (char *)v;
}

static int customer_cmd(KvStation *st, const char *sub, CtlArgs *a)
{
    GError *error = NULL;
    if (strcmp(sub, "add") == 0 || strcmp(sub, "edit") == 0) {
        g_autoptr(KvCustomer) old = NULL;
        KvCustomer c = { 0 };
        const char *account = ctl_need(a, "account");
        if (!account)
            return CTL_EXIT_USAGE;
        if (strcmp(sub, "edit") == 0) {
            if (!(old = kv_customer_get_by_account(st, account, &error)))
                return ctl_fail(error);
            c = *old;
            text_opt(a, "new-account", &c.account);
        } else {
            c.account = (char *)account;
            if (ctl_opt(a, "debt") &&
                !kv_decimal_parse(ctl_opt(a, "debt"), kv_station_settings(st)->minor_digits, 0,
                                  &c.debt, &error))
                return ctl_fail(error);
        }
        text_opt(a, "name", &c.name);
        text_opt(a, "address", &c.address);
        text_opt(a, "phone", &c.phone);
        if (old ? !kv_customer_update(st, &c, &error) : !(c.id = kv_customer_add(st, &c, &error)))
            return ctl_fail(error);
        ctl_out(_("customer %s (id %" PRId64 ") saved\n"), c.account, c.id);
        if (ctl.json)
            printf("{\"ok\":true,\"id\":%" G_GINT64_FORMAT "}\n", c.id);
        return CTL_EXIT_OK;
    }
    if (strcmp(sub, "debt") == 0 || strcmp(sub, "plan") == 0 || strcmp(sub, "statement") == 0 ||
        strcmp(sub, "category") == 0)
        return ctl_money_customer(st, sub, a);
    if (strcmp(sub, "import") == 0)
        return import_file(st, "customers", a, _("customer import FILE.csv"));
    return ctl_usage_error(_("customer needs add, edit, debt, plan, statement, category or import"));
}

static int search_cmd(KvStation *st, CtlArgs *a)
{
    GError *error = NULL;
    g_autoptr(GPtrArray) hits = NULL;
    if (a->words->len != 1)
        return ctl_usage_error(_("search TEXT"));
    if (!(hits = kv_registry_search(st, a->words->pdata[0], 50, &error)))
        return ctl_fail(error);
    if (ctl.json)
        printf("[");
    for (guint i = 0; i < hits->len; i++) {
        KvSearchHit *h = hits->pdata[i];
        if (ctl.json) {
            g_autofree char *n = kv_json_escape(h->name), *ad = kv_json_escape(h->address);
            g_autofree char *ac = kv_json_escape(h->account);
            printf("%s{\"meter\":\"%09u\",\"account\":\"%s\",\"name\":\"%s\",\"address\":\"%s\"}",
                   i ? "," : "", h->meter_number, ac, n, ad);
        } else {
            printf("%09u  %-12s %-30s %s\n", h->meter_number, h->account, h->name, h->address);
        }
    }
    if (ctl.json)
        printf("]\n");
    return CTL_EXIT_OK;
}

static gboolean kwh_opt(CtlArgs *a, const char *name, guint32 *out, GError **error)
{
    gint64 v;
    if (!ctl_opt(a, name))
        return TRUE;
    if (!kv_energy_parse(ctl_opt(a, name), 0x7FFFFFFF, &v, error)) {
        g_prefix_error(error, _("--%s: "), name);
        return FALSE;
    }
    *out = (guint32)v;
    return TRUE;
}

static int meter_cmd(KvStation *st, const char *sub, CtlArgs *a)
{
    GError *error = NULL;
    if (strcmp(sub, "add") == 0 || strcmp(sub, "edit") == 0) {
        g_autoptr(KvMeter) old = NULL;
        KvMeter m = { 0 };
        guint32 number;
        gint64 v;
        const char *n = ctl_need(a, "number");
        if (!n)
            return CTL_EXIT_USAGE;
        if (!kv_meter_number_parse(n, &number, &error))
            return ctl_fail(error);
        if (strcmp(sub, "edit") == 0) {
            /* The levels are the meter's: they change when a parameter card
             * reaches it and its readback says so, never in the ledger alone. */
            if (ctl_opt(a, "hoarding") || ctl_opt(a, "alarm") || ctl_opt(a, "pretrip"))
                return ctl_usage_error(
                    _("an installed meter's levels change only through a parameter card: "
                      "kilovendctl card engineering --type parameter --meter %09u "
                      "--hoarding-kwh/--alarm-kwh/--pretrip-kwh; the ledger takes the new "
                      "levels from the meter's readback"),
                    number);
            if (!(old = kv_meter_get(st, number, &error)))
                return ctl_fail(error);
            m = *old;
        }
        m.number = number;
        if (ctl_opt(a, "account")) {
            g_autoptr(KvCustomer) c = kv_customer_get_by_account(st, ctl_opt(a, "account"), &error);
            if (!c)
                return ctl_fail(error);
            m.customer_id = c->id;
        }
        text_opt(a, "model", &m.model);
        text_opt(a, "address", &m.address);
        text_opt(a, "tariff", &m.tariff_code);
        text_opt(a, "status", &m.status);
        if (ctl_opt(a, "phases")) {
            if (!kv_decimal_parse(ctl_opt(a, "phases"), 0, 3, &v, &error))
                return ctl_fail(error);
            m.phases = (guint)v;
        }
        if (ctl_opt(a, "max-power")) {
            if (!kv_decimal_parse(ctl_opt(a, "max-power"), 0, 0x7FFFFFFF, &v, &error))
                return ctl_fail(error);
            m.max_power = (guint32)v;
        }
        if (!kwh_opt(a, "hoarding", &m.hoarding_limit, &error) ||
            !kwh_opt(a, "alarm", &m.alarm_level, &error) ||
            !kwh_opt(a, "pretrip", &m.pretrip_level, &error))
            return ctl_fail(error);
        if (old ? !kv_meter_update(st, &m, &error) : !kv_meter_add(st, &m, &error))
            return ctl_fail(error);
        ctl_out(_("meter %09u saved\n"), number);
        if (ctl.json)
            printf("{\"ok\":true,\"meter\":\"%09u\"}\n", number);
        return CTL_EXIT_OK;
    }
    if (strcmp(sub, "show") == 0) {
        g_autoptr(KvMeter) m = NULL;
        guint32 number;
        const char *n = ctl_need(a, "meter");
        if (!n)
            return CTL_EXIT_USAGE;
        if (!kv_meter_number_parse(n, &number, &error) || !kv_station_require(st, KV_ROLE_CASHIER, &error) ||
            !(m = kv_meter_get(st, number, &error)))
            return ctl_fail(error);
        if (ctl.json)
            printf("{\"meter\":\"%09u\",\"customer_id\":%" G_GINT64_FORMAT ",\"status\":\"%s\","
                   "\"key_version\":%u,\"hoarding_limit\":%u,\"alarm_level\":%u,"
                   "\"pretrip_level\":%u,\"last_seq\":%u,\"cumulative_sold\":%u,"
                   "\"readback\":%s,\"rb_remaining\":%d,\"rb_cumulative_loaded\":%u,"
                   "\"key_version_target\":%u,\"max_power\":%u,\"reconnect_delay\":%u}\n",
                   m->number, m->customer_id, m->status, m->key_version, m->hoarding_limit,
                   m->alarm_level, m->pretrip_level, m->last_seq, m->cumulative_sold,
                   m->has_readback ? "true" : "false", m->rb_remaining, m->rb_cumulative_loaded,
                   m->key_version_target, m->max_power, m->reconnect_delay);
        else {
            g_autofree char *h = kv_energy_format(m->hoarding_limit);
            g_autofree char *s = kv_energy_format(m->cumulative_sold);
            g_autofree char *r = kv_energy_format(m->rb_remaining);
            printf(_("meter %09u  status %s  key version %u  tariff %s\n  hoarding %s kWh  "
                   "cumulative sold %s kWh  last seq %u\n"), m->number, m->status, m->key_version,
                   m->tariff_code, h, s, m->last_seq);
            if (m->has_readback)
                printf(_("  last readback: counter %u, remaining %s kWh\n"), m->rb_counter, r);
            if (m->key_version_target)
                printf(_("  key change to version %u issued, waiting for a readback under it\n"),
                       m->key_version_target);
        }
        return CTL_EXIT_OK;
    }
    if (strcmp(sub, "import") == 0)
        return import_file(st, "meters", a, _("meter import FILE.csv"));
    return ctl_usage_error(_("meter needs add, edit, show, import or provision"));
}

int ctl_cmd_customer(int argc, char **argv)
{
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    gboolean search = strcmp(argv[0], "search") == 0;
    gboolean category = strcmp(argv[0], "category") == 0;
    const char *sub = search ? "search" : argc > 1 ? argv[1] : "";
    int skip = search ? 1 : 2, rc;
    static const char *const flags[] = { "end", "clear", NULL }; /* plan --end, category --clear */
    if (!ctl_args_parse(&a, argc - skip, argv + skip, flags))
        return CTL_EXIT_USAGE;
    if (!(st = ctl_open(TRUE, FALSE, &error))) {
        ctl_args_clear(&a);
        return ctl_fail(error);
    }
    rc = search     ? search_cmd(st, &a)
         : category ? ctl_money_category(st, argc > 1 ? argv[1] : "list", &a)
                    : customer_cmd(st, sub, &a);
    ctl_args_clear(&a);
    return rc;
}

/* meter swap --meter OLD --new NEW --source cleared|estimate --reason T
 * [--out FILE] [--issue]: the new meter registered like the old one (if it
 * is not yet) and the credit carried, in one transaction (kv_meter_swap:
 * a refusal leaves neither), its provisioning block
 * written, the customer's card for it issued on the blank card at the
 * reader.  Each step is kept; running the same command again goes on from
 * where an interruption stopped it. */
static int meter_swap(KvStation *st, CtlArgs *a)
{
    GError *error = NULL;
    g_autofree KvTransfer *t = NULL;
    const char *o = ctl_need(a, "meter"), *n = ctl_need(a, "new"), *reason = ctl_need(a, "reason");
    const char *source = ctl_need(a, "source"), *out = ctl_opt(a, "out");
    guint32 from, to;
    if (!o || !n || !reason || !source)
        return CTL_EXIT_USAGE;
    if (strcmp(source, "cleared") != 0 && strcmp(source, "estimate") != 0)
        return ctl_usage_error(_("--source is cleared (a clear-credit card's readback) or "
                                 "estimate (a dead meter's newest readback)"));
    if (!kv_meter_number_parse(o, &from, &error) || !kv_meter_number_parse(n, &to, &error))
        return ctl_fail(error);
    if (!(t = kv_meter_swap(st, from, to,
                            strcmp(source, "estimate") == 0 ? KV_SWAP_ESTIMATE : KV_SWAP_CLEARED,
                            reason, &error)))
        return ctl_fail(error);
    if (t->registered)
        ctl_out(_("meter %09u registered like meter %09u\n"), to, from);
    {
        g_autofree char *c = kv_energy_format(t->energy), *r = kv_energy_format(t->remaining);
        g_autofree char *u = kv_energy_format(t->unloaded);
        ctl_out(_("meter %09u swapped for %09u%s: %s kWh carried (%s kWh %s in the old meter, %s "
                "kWh sold and never loaded); the old meter and its cards are retired\n"), from,
                to, t->resumed ? _(" (recorded before)") : "", c, r,
                t->source == KV_SWAP_ESTIMATE ? _("estimated") : _("cleared"), u);
    }
    if (out && !kv_meter_provision(st, to, out, &error))
        return ctl_fail(error);
    if (ctl_opt(a, "issue")) {
        g_autoptr(KvCardLink) card = NULL;
        g_autoptr(KvCardRecord) c = NULL;
        if (!(card = ctl_card(&error)) || !(c = kv_card_issue(st, card, to, &error)))
            return ctl_fail(error);
        ctl_out(_("card %u issued for meter %09u, carrying %u (0.01 kWh)\n"), c->serial, to,
                c->token_cumulative);
    }
    if (ctl.json)
        printf("{\"ok\":true,\"transfer\":%" G_GINT64_FORMAT ",\"from\":\"%09u\",\"to\":"
               "\"%09u\",\"source\":\"%s\",\"remaining\":%" G_GINT64_FORMAT ",\"unloaded\":%"
               G_GINT64_FORMAT ",\"carried\":%" G_GINT64_FORMAT ",\"registered\":%s}\n", t->id, from, to,
               source, t->remaining, t->unloaded, t->energy, t->registered ? "true" : "false");
    return CTL_EXIT_OK;
}

int ctl_cmd_meter(int argc, char **argv)
{
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    const char *sub = argc > 1 ? argv[1] : "";
    gboolean provision = strcmp(sub, "provision") == 0, swap = strcmp(sub, "swap") == 0;
    static const char *const swap_flags[] = { "issue", NULL };
    int rc;
    if (!ctl_args_parse(&a, argc - 2, argv + 2, swap ? swap_flags : NULL))
        return CTL_EXIT_USAGE;
    if (!(st = ctl_open(TRUE, provision || swap, &error))) {
        ctl_args_clear(&a);
        return ctl_fail(error);
    }
    if (swap) {
        /* kv_meter_swap reserves at head office first, through the sync
         * client's link */
        ctl_sync_install_reserver(st);
        rc = meter_swap(st, &a);
    } else if (provision) {
        guint32 number;
        const char *n = ctl_need(&a, "meter"), *out = ctl_need(&a, "out");
        if (!n || !out)
            rc = CTL_EXIT_USAGE;
        else if (!kv_meter_number_parse(n, &number, &error) ||
                 !kv_meter_provision(st, number, out, &error))
            rc = ctl_fail(error);
        else {
            ctl_out(_("provisioning block of meter %09u written to %s (mode 0600; it holds the "
                    "meter's keys: delete it once flashed)\n"), number, out);
            rc = CTL_EXIT_OK;
        }
    } else {
        rc = meter_cmd(st, sub, &a);
    }
    ctl_args_clear(&a);
    return rc;
}
