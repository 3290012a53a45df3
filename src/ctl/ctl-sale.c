/* ctl-sale.c - cards, selling, cancelling, settling sales, receipts. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "kv-breakdown.h"
#include "kv-card-report.h"
#include "kv_util.h"
#ifdef KV_HAVE_PCSC
#include "kv-card-batch-pcsc.h"
#endif

static gboolean meter_opt(CtlArgs *a, guint32 *out, GError **error)
{
    const char *n = ctl_opt(a, "meter");
    if (!n) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("--meter N is required"));
        return FALSE;
    }
    return kv_meter_number_parse(n, out, error);
}

/* A value of a breakdown line as the station writes it (no unit). */
static char *breakdown_value(KvStation *st, const KvBreakdownLine *l)
{
    return l->unit == KV_BREAKDOWN_ENERGY ? kv_energy_format(l->value)
                                          : kv_station_format_money(st, l->value);
}

/* The breakdown's JSON members, "key":"value" in the core's order. */
static char *breakdown_json(KvStation *st, const KvBreakdown *b)
{
    g_autoptr(GArray) lines = kv_breakdown_lines(b, KV_BREAKDOWN_FOR_JSON);
    GString *json = g_string_new(NULL);

    for (guint i = 0; i < lines->len; i++) {
        const KvBreakdownLine *l = &g_array_index(lines, KvBreakdownLine, i);
        g_autofree char *v = breakdown_value(st, l);
        g_string_append_printf(json, ",\"%s\":\"%s\"", l->key, v);
    }
    return g_string_free(json, FALSE);
}

/* The breakdown as text: a line a block, then "  label  value", the label
 * padded to 12 characters (not bytes: a translated label may have
 * accents); the total with the currency, energy in kWh. */
static void print_breakdown(KvStation *st, const KvBreakdown *b)
{
    const KvSettings *set = kv_station_settings(st);
    g_autoptr(GArray) lines = kv_breakdown_lines(b, KV_BREAKDOWN_FOR_TEXT);

    for (guint i = 0; i < lines->len; i++) {
        const KvBreakdownLine *l = &g_array_index(lines, KvBreakdownLine, i);
        glong n = g_utf8_strlen(l->label, -1);
        g_autofree char *v = NULL, *suffix = NULL;

        if (l->flags & KV_BREAKDOWN_LINE_BLOCK) {
            g_autofree char *p = kv_decimal_format(l->price_e4, set->minor_digits + 4);
            v = kv_energy_format(l->energy);
            ctl_out(_("  block %u: %s kWh at %s\n"), l->block, v, p);
            continue;
        }
        v = breakdown_value(st, l);
        if (l->unit == KV_BREAKDOWN_ENERGY)
            suffix = g_strdup(" kWh");
        else if (l->flags & KV_BREAKDOWN_LINE_TOTAL)
            suffix = g_strconcat(" ", set->currency, NULL);
        ctl_out("  %s%*s%s%s\n", l->label, (int)(n < 12 ? 12 - n : 0), "", v,
                suffix ? suffix : "");
    }
}

/* What the station wants the user to know about a sale (anomalies, issued
 * sales still open): on stderr, even with --quiet, so it is never missed. */
static void print_notes(const char *notes)
{
    g_auto(GStrv) lines = NULL;
    if (!notes || !*notes)
        return;
    lines = g_strsplit(notes, "\n", -1);
    for (guint i = 0; lines[i]; i++)
        fprintf(stderr, _("kilovendctl: WARNING: %s\n"), lines[i]);
}

static void print_sale(KvStation *st, const KvSale *x, gboolean quote_only)
{
    const KvBreakdown *b = &x->breakdown;
    print_notes(x->notes);
    if (ctl.json) {
        g_autofree char *members = breakdown_json(st, b);
        g_autofree char *notes = kv_json_escape(x->notes ? x->notes : "");
        g_autofree char *res = kv_json_escape(x->resolution ? x->resolution : "");
        printf("{\"ok\":true,\"sale\":%" G_GINT64_FORMAT ",\"state\":\"%s\",\"meter\":\"%09u\""
               "%s,\"seq\":%u,\"cumulative\":%u,\"card\":%u,\"amount_minor\":%" G_GINT64_FORMAT
               ",\"energy_ckwh\":%" G_GINT64_FORMAT ",\"notes\":\"%s\",\"resolution\":\"%s\","
               "\"payment\":\"%s\",\"reference\":\"%s\",\"free_ckwh\":%" G_GINT64_FORMAT "}\n",
               x->id, quote_only ? "quote" : kv_sale_state_name(x->state), x->meter_number,
               members, x->seq, x->cumulative, x->card_serial, b->amount, b->energy, notes, res,
               kv_payment_key(x->payment), x->payment_ref ? x->payment_ref : "",
               b->free_energy);
        return;
    }
    if (quote_only)
        ctl_out(_("Quote for meter %09u (tariff %s)\n"), x->meter_number, x->tariff_code);
    else
        ctl_out(_("Sale %" PRId64 " %s: meter %09u, card %u, token %u\n"), x->id,
                kv_sale_state_name(x->state), x->meter_number, x->card_serial, x->seq);
    print_breakdown(st, b);
    ctl_out(_("  paid by     %s%s%s\n"), kv_payment_label(x->payment), x->payment_ref ? " " : "",
            x->payment_ref ? x->payment_ref : "");
    if (quote_only) {
        g_autofree char *pred = kv_energy_format(x->predicted_remaining);
        ctl_out(_("  meter would hold about %s kWh after loading\n"), pred);
    }
    if (x->resolution)
        ctl_out(_("  resolved    %s\n"), x->resolution);
}

int ctl_cmd_sell(int argc, char **argv)
{
    static const char *const flags[] = { "quote", "free-only", NULL };
    static const char *const allowed[] = { "meter",   "amount",  "kwh",       "quote",
                                           "receipt", "payment", "reference", "free-only",
                                           NULL };
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvCardLink) card = NULL;
    g_autoptr(KvSale) x = NULL;
    KvSaleRequest req = { 0 };
    guint32 meter;
    gboolean quote_only;
    int rc = CTL_EXIT_OK;

    if (!ctl_args_parse(&a, argc - 1, argv + 1, flags) || !ctl_args_only(&a, allowed)) {
        ctl_args_clear(&a);
        return CTL_EXIT_USAGE;
    }
    quote_only = ctl_flag(&a, "quote");
    req.free_only = ctl_flag(&a, "free-only");
    if (req.free_only ? ctl_opt(&a, "amount") || ctl_opt(&a, "kwh") || ctl_opt(&a, "payment")
                      : !ctl_opt(&a, "amount") == !ctl_opt(&a, "kwh")) {
        ctl_args_clear(&a);
        return ctl_usage_error(_("sell needs exactly one of --amount MONEY, --kwh KWH or "
                                 "--free-only (the month's free allocation alone)"));
    }
    if (!meter_opt(&a, &meter, &error) || !(st = ctl_open(TRUE, !quote_only, &error)))
        goto fail;
    if (ctl_opt(&a, "amount") && !kv_station_parse_money(st, ctl_opt(&a, "amount"), &req.amount, &error))
        goto fail;
    if (ctl_opt(&a, "payment") && !kv_payment_parse(ctl_opt(&a, "payment"), &req.payment, &error))
        goto fail;
    req.reference = ctl_opt(&a, "reference");
    if (ctl_opt(&a, "kwh") && !kv_energy_parse(ctl_opt(&a, "kwh"), 0x7FFFFFFF, &req.energy, &error)) {
        g_prefix_error(&error, _("kWh: "));
        goto fail;
    }
    if (req.amount == 0 && req.energy == 0 && !req.free_only) {
        g_set_error(&error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("the amount must be more than zero"));
        goto fail;
    }
    if (quote_only) {
        if (!(x = kv_sale_quote(st, meter, &req, NULL, &error)))
            goto fail;
        print_sale(st, x, TRUE);
    } else {
        if (!(card = ctl_card(&error)) || !(x = kv_sale_sell(st, card, meter, &req, &error)))
            goto fail;
        print_sale(st, x, FALSE);
        if (ctl_opt(&a, "receipt")) {
            if (!kv_receipt_write_pdf(st, x->id, FALSE, ctl_opt(&a, "receipt"), &error))
                goto fail;
            ctl_out(_("Receipt: %s\n"), ctl_opt(&a, "receipt"));
        }
    }
    ctl_args_clear(&a);
    return rc;
fail:
    ctl_args_clear(&a);
    return ctl_fail(error);
}

int ctl_cmd_cancel(int argc, char **argv)
{
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvCardLink) card = NULL;
    g_autoptr(KvSale) x = NULL;
    gint64 id;
    const char *sale, *reason;
    if (!ctl_args_parse(&a, argc - 1, argv + 1, NULL))
        return CTL_EXIT_USAGE;
    if (!(sale = ctl_need(&a, "sale")) || !(reason = ctl_need(&a, "reason"))) {
        ctl_args_clear(&a);
        return CTL_EXIT_USAGE;
    }
    if (!kv_decimal_parse(sale, 0, 0, &id, &error) || !(st = ctl_open(TRUE, TRUE, &error)) ||
        !(card = ctl_card(&error)) || !(x = kv_sale_cancel(st, card, id, reason, &error))) {
        ctl_args_clear(&a);
        return ctl_fail(error);
    }
    ctl_args_clear(&a);
    {
        g_autofree char *amount = kv_station_format_money(st, x->breakdown.amount);
        ctl_out(_("Sale %" PRId64 " cancelled: refund %s %s; the card now carries "
                "cumulative %u (token %u)\n"), x->id, amount, kv_station_settings(st)->currency,
                x->base_cumulative, x->cancel_seq);
        if (ctl.json)
            printf("{\"ok\":true,\"sale\":%" G_GINT64_FORMAT ",\"state\":\"cancelled\","
                   "\"refund\":\"%s\",\"cancel_seq\":%u}\n", x->id, amount, x->cancel_seq);
    }
    return CTL_EXIT_OK;
}

/* The refund recorded: its receipt if asked for, then what to pay back. */
static int print_refund(KvStation *st, const KvRefund *r, const char *receipt, const char *what)
{
    GError *error = NULL;
    /* the refund is recorded (and audited) whatever becomes of its receipt */
    if (receipt && !kv_refund_receipt_write_pdf(st, r->id, receipt, &error))
        return ctl_fail(error);
    {
        g_autofree char *amount = kv_station_format_money(st, r->amount);
        g_autofree char *energy = kv_energy_format(r->energy);
        ctl_out(_("Refund %" PRId64 " (meter %09u): %s kWh %s, pay back %s %s (from %u "
                "sale(s))\n"), r->id, r->meter_number, energy, what, amount,
                kv_station_settings(st)->currency, r->sales);
        if (ctl.json)
            printf("{\"ok\":true,\"refund\":%" G_GINT64_FORMAT ",\"energy\":%" G_GINT64_FORMAT
                   ",\"amount\":\"%s\",\"amount_minor\":%" G_GINT64_FORMAT ",\"sales\":%u}\n",
                   r->id, r->energy, amount, r->amount, r->sales);
    }
    return CTL_EXIT_OK;
}

/* refund cleared --meter N --reason TEXT [--receipt FILE.pdf]: pay back the
 * credit clear-credit cards proved cleared (supervisor, from the open
 * shift), and print its receipt.
 * refund unloaded --meter N [--kwh KWH] --reason TEXT [--receipt FILE.pdf]:
 * pay back credit on the card at the counter the meter never loaded (all of
 * it, or KWH of it); the card gets the lower cumulative. */
int ctl_cmd_refund(int argc, char **argv)
{
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvCardLink) card = NULL;
    g_autofree KvRefund *r = NULL;
    g_autofree char *receipt = NULL;
    const char *reason;
    guint32 meter = 0;
    gint64 energy = 0;
    gboolean unloaded = argc >= 2 && strcmp(argv[1], "unloaded") == 0;
    if (argc < 2 || (!unloaded && strcmp(argv[1], "cleared") != 0))
        return ctl_usage_error(_("refund cleared --meter N --reason TEXT [--receipt FILE.pdf] | "
                                 "refund unloaded --meter N [--kwh KWH] --reason TEXT "
                                 "[--receipt FILE.pdf]"));
    if (!ctl_args_parse(&a, argc - 2, argv + 2, NULL))
        return CTL_EXIT_USAGE;
    if (!(reason = ctl_need(&a, "reason"))) {
        ctl_args_clear(&a);
        return CTL_EXIT_USAGE;
    }
    receipt = g_strdup(ctl_opt(&a, "receipt"));
    if (unloaded && ctl_opt(&a, "kwh") &&
        kv_energy_parse(ctl_opt(&a, "kwh"), 0x7FFFFFFF, &energy, &error) && energy == 0)
        g_set_error(&error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the energy must be more than zero"));
    if (error || !meter_opt(&a, &meter, &error) ||
        !(st = ctl_open(TRUE, TRUE, &error)) || (unloaded && !(card = ctl_card(&error))) ||
        !(r = unloaded ? kv_refund_unloaded(st, card, meter, energy, reason, &error)
                       : kv_refund_cleared(st, meter, reason, &error))) {
        ctl_args_clear(&a);
        return ctl_fail(error);
    }
    ctl_args_clear(&a);
    return print_refund(st, r, receipt, unloaded ? _("not loaded") : _("cleared"));
}

int ctl_cmd_sale(int argc, char **argv)
{
    GError *error = NULL;
    g_autoptr(KvStation) st = NULL;
    const char *sub = argc > 1 ? argv[1] : "";
    gboolean reconcile = strcmp(sub, "reconcile") == 0;
    if (!(st = ctl_open(TRUE, reconcile, &error)))
        return ctl_fail(error);
    if (strcmp(sub, "show") == 0) {
        g_autoptr(KvSale) x = NULL;
        gint64 id;
        if (argc < 3)
            return ctl_usage_error(_("sale show ID"));
        if (!kv_decimal_parse(argv[2], 0, 0, &id, &error) || !(x = kv_sale_get(st, id, &error)))
            return ctl_fail(error);
        print_sale(st, x, FALSE);
        return CTL_EXIT_OK;
    }
    if (strcmp(sub, "resolve") == 0) {
        static const char *const flags[] = { "paid", "void", NULL };
        CtlArgs a = { 0 };
        g_autoptr(KvSale) x = NULL;
        gint64 id;
        const char *reason;
        if (argc < 3 || !ctl_args_parse(&a, argc - 3, argv + 3, flags))
            return ctl_usage_error(_("sale resolve ID --paid|--void --reason T"));
        if (ctl_flag(&a, "paid") == ctl_flag(&a, "void") || !(reason = ctl_need(&a, "reason"))) {
            ctl_args_clear(&a);
            return ctl_usage_error(_("sale resolve ID --paid|--void --reason T"));
        }
        if (!kv_decimal_parse(argv[2], 0, 0, &id, &error) ||
            !(x = kv_sale_resolve(st, id, ctl_flag(&a, "paid"), reason, &error))) {
            ctl_args_clear(&a);
            return ctl_fail(error);
        }
        ctl_args_clear(&a);
        print_sale(st, x, FALSE);
        return CTL_EXIT_OK;
    }
    if (strcmp(sub, "unresolved") == 0) {
        g_autoptr(GPtrArray) open = kv_sale_list_unresolved(st, &error);
        g_autoptr(GPtrArray) issued = open ? kv_sale_list_issued(st, &error) : NULL;
        if (!open || !issued)
            return ctl_fail(error);
        /* Issued sales: the token may be on a card; a supervisor resolves them. */
        g_ptr_array_extend_and_steal(open, g_steal_pointer(&issued));
        if (ctl.json)
            printf("[");
        for (guint i = 0; i < open->len; i++) {
            KvSale *x = open->pdata[i];
            if (ctl.json)
                printf("%s{\"sale\":%" G_GINT64_FORMAT ",\"meter\":\"%09u\",\"card\":%u,"
                       "\"state\":\"%s\"}", i ? "," : "", x->id, x->meter_number, x->card_serial,
                       kv_sale_state_name(x->state));
            else
                printf(_("sale %" PRId64 "  meter %09u  card %u  %s\n"), x->id,
                       x->meter_number, x->card_serial, kv_sale_state_name(x->state));
        }
        if (ctl.json)
            printf("]\n");
        return CTL_EXIT_OK;
    }
    if (reconcile) {
        g_autoptr(KvCardLink) card = ctl_card(&error);
        gint n;
        if (!card || (n = kv_sale_reconcile_card(st, card, &error)) < 0)
            return ctl_fail(error);
        ctl_out(_("%d sale(s) settled from this card\n"), n);
        if (ctl.json)
            printf("{\"ok\":true,\"settled\":%d}\n", n);
        return CTL_EXIT_OK;
    }
    return ctl_usage_error(_("sale needs show, unresolved, reconcile or resolve"));
}

int ctl_cmd_receipt(int argc, char **argv)
{
    static const char *const flags[] = { "reprint", NULL };
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    const char *sale, *out;
    gint64 id;
    if (!ctl_args_parse(&a, argc - 1, argv + 1, flags))
        return CTL_EXIT_USAGE;
    if (!(sale = ctl_need(&a, "sale")) || !(out = ctl_need(&a, "out"))) {
        ctl_args_clear(&a);
        return CTL_EXIT_USAGE;
    }
    if (!kv_decimal_parse(sale, 0, 0, &id, &error) || !(st = ctl_open(TRUE, FALSE, &error)) ||
        !kv_receipt_write_pdf(st, id, ctl_flag(&a, "reprint"), out, &error)) {
        ctl_args_clear(&a);
        return ctl_fail(error);
    }
    ctl_out(_("Receipt written: %s\n"), out);
    ctl_args_clear(&a);
    return CTL_EXIT_OK;
}

/* ---- cards ---- */

/* A fact line: "  label  value", the label padded to 20 characters (not
 * bytes: a translated label may have accents). */
static void fact(GString *text, const char *label, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void fact(GString *text, const char *label, const char *fmt, ...)
{
    glong n = g_utf8_strlen(label, -1);
    va_list ap;

    g_string_append_printf(text, "  %s%*s ", label, (int)(n < 20 ? 20 - n : 0), "");
    va_start(ap, fmt);
    g_string_append_vprintf(text, fmt, ap);
    va_end(ap);
    g_string_append_c(text, '\n');
}

/* The station's own facts about a card read, after the card layer's
 * report (kv-card-report.h): text lines or JSON members. */
static void station_facts(KvStation *st, const KvCardReadResult *r, gboolean keys, GString *text,
                          GString *json)
{
    const kv_card_view *v = &r->view;
    g_autofree char *st_json = NULL;
    if (!keys) {
        g_string_append_printf(text, "\n%s\n", _("Station:"));
        fact(text, _("keys"), "%s",
             _("locked: IDENTITY ONLY - the token and the readback were not opened or verified, "
               "nothing was imported (read without --no-keys, with the keys unlocked, to see "
               "them)"));
        g_string_append(json, ", \"keys\": \"identity only\"");
        return;
    }
    st_json = kv_json_escape(r->card_status ? r->card_status : "not registered here");
    g_string_append_printf(text, "\n%s\n", _("Station:"));
    fact(text, _("keys"), "%s", _("unlocked: token and readback verified with the meter's key"));
    fact(text, _("card at this office"), "%s",
         r->card_status ? r->card_status : _("not registered here"));
    g_string_append_printf(json, ", \"keys\": \"verified\", \"status\": \"%s\"", st_json);
    if (v->readback_err == KV_OK)
        fact(text, _("readback"), "%s",
             r->readback_imported ? _("imported into the ledger") : _("already in the ledger"));
    g_string_append_printf(json, ", \"imported\": %s", r->readback_imported ? "true" : "false");
    if (v->id.card_type == KV_CARD_USER) {
        g_autofree char *oc = kv_energy_format(r->credit_on_card);
        fact(text, _("credit not yet loaded"), _("%s kWh"), oc);
        g_string_append_printf(json, ", \"credit_on_card\": %u", r->credit_on_card);
    }
    if (r->reconciled)
        fact(text, _("sales settled"), "%d", r->reconciled);
    g_string_append_printf(json, ", \"settled\": %d", r->reconciled);
    fact(text, _("meter key version"), "%u%s", r->meter_key_version,
         r->key_changed ? _(" (key change confirmed by this readback)") : "");
    g_string_append_printf(json, ", \"meter_key_version\": %u, \"key_changed\": %s",
                           r->meter_key_version, r->key_changed ? "true" : "false");
    if (r->meter_key_target)
        fact(text, "", _("key change to version %u issued, not yet confirmed by a readback"),
             r->meter_key_target);
    if (v->id.card_type == KV_CARD_USER && v->token_err == KV_E_KEY_VERSION)
        fact(text, _("NOTE"),
             _("the token on this card is sealed under an older key version: the meter refuses "
               "it; a sale writes one under version %u"), r->meter_key_version);
    if (r->anomaly_excess) {
        g_autofree char *ex = kv_energy_format(r->anomaly_excess);
        fact(text, _("ANOMALY"),
             _("the meter loaded %s kWh more than this station sold to it: possible restored "
               "card dump (cloned cancel) or extracted key, or sales of another office not yet "
               "merged (docs/security-model.md)%s"), ex,
             r->anomaly_recorded ? _("; recorded in the audit log") : "");
    }
    g_string_append_printf(json, ", \"anomaly\": %s, \"anomaly_excess\": %u",
                           r->anomaly_excess ? "true" : "false", r->anomaly_excess);
    /* Anomalies this read stored (readback going backwards, an issued sale
     * proven late...), newest first. */
    if (r->anomalies_raised) {
        g_autoptr(GPtrArray) list = kv_anomaly_list(st, FALSE, v->id.meter_number, NULL);
        for (guint i = 0; list && i < list->len && i < r->anomalies_raised; i++) {
            g_autofree char *line = kv_anomaly_describe(list->pdata[i]);
            fact(text, _("ANOMALY"), "%s", line);
            fprintf(stderr, _("kilovendctl: WARNING: %s\n"), line);
        }
    }
    g_string_append_printf(json, ", \"anomalies_raised\": %u", r->anomalies_raised);
}

/* card read: the card layer's report, with the meter's keys when they are
 * unlocked, then what the station did with it. */
static int card_read(KvStation *st, KvCardLink *card, gboolean keys)
{
    GError *error = NULL;
    KvCardReadResult r = { 0 };
    KvCardReportExtra extra = KV_CARD_REPORT_EXTRA_NONE;
    kv_meter_keys mk;
    gboolean have_keys = FALSE;
    g_autoptr(GString) text = NULL, json = NULL;
    g_autoptr(GString) facts = g_string_new(NULL), jfacts = g_string_new(NULL);

    if (keys) {
        if (!kv_card_read(st, card, &r, &error))
            return ctl_fail(error);
        if (!kv_meter_keys_derive(st, r.view.id.meter_number, r.meter_key_version, &mk, &error)) {
            g_free(r.card_status);
            kv_wipe(&r.view, sizeof r.view);
            return ctl_fail(error);
        }
        have_keys = TRUE;
    } else {
        kv_identity id;
        if (kv_card_identity(kv_card_link_image(card), &id) == KV_OK &&
            id.utility_code == kv_station_settings(st)->utility_code) {
            g_autoptr(KvCardRecord) rec = kv_card_get(st, id.card_serial, NULL);
            if (rec)
                r.card_status = g_strdup(rec->status);
        }
    }
    extra.reader = ctl.card_file ? NULL : kv_card_link_name(card);
    extra.tries_left = (gint)kv_card_link_tries_left(card);
    extra.protection = kv_card_link_protection(card);
    station_facts(st, &r, keys, facts, jfacts);
    if (!keys && r.card_status)
        fact(facts, _("card at this office"), "%s", r.card_status);
    if (ctl.json) {
        json = kv_card_report_json(kv_card_link_image(card), have_keys ? &mk : NULL, &extra);
        /* "total": the name scripts used before the card layer's report. */
        if (r.view.readback_err == KV_OK && have_keys) {
            g_autofree char *alias = g_strdup_printf("\"total\": %u, \"total_energy\": ",
                                                     r.view.readback.total_energy);
            g_string_replace(json, "\"total_energy\": ", alias, 1);
        }
        g_string_truncate(json, json->len - 1);
        printf("%s, \"ok\": true%s}\n", json->str, jfacts->str);
    } else if (!ctl.quiet) {
        text = kv_card_report_text(kv_card_link_image(card), have_keys ? &mk : NULL, &extra);
        fputs(text->str, stdout);
        fputs(facts->str, stdout);
    }
    if (have_keys)
        kv_meter_keys_wipe(&mk);
    kv_wipe(&r.view, sizeof r.view);
    g_free(r.card_status);
    return CTL_EXIT_OK;
}

typedef struct {
    const char *dir;
    guint8 psc[3];
} BatchDir;

static KvCardLink *next_card_from_dir(guint32 meter, guint index, guint total, gpointer data,
                                      GCancellable *cancellable, GError **error)
{
    BatchDir *d = data;
    g_autofree char *name = g_strdup_printf("%09u.card", meter);
    g_autofree char *path = g_build_filename(d->dir, name, NULL);
    /* A missing file is a new blank card taken from the box. */
    if (!g_file_test(path, G_FILE_TEST_EXISTS) && !kv_card_link_file_create_blank(path, d->psc, error))
        return NULL;
    return kv_card_link_file_open(path, error);
}

#ifdef KV_HAVE_PCSC
static void batch_prompt(guint32 meter, guint index, guint total, gpointer data)
{
    fprintf(stderr, "[%u/%u] insert the next blank card (for meter %09u)\n", index + 1, total,
            meter);
    fflush(stderr);
}

static void batch_result(const KvBatchRow *r, gboolean take_out, gpointer data)
{
    if (!ctl.json)
        ctl_out(_("line %u: meter %09u: %s%s\n"), r->line, r->meter, r->ok ? "" : _("ERROR: "),
                r->message);
    fflush(stdout);
    if (take_out) {
        fprintf(stderr, _("take the card out%s\n"), r->ok ? "" : _(" (it was not issued)"));
        fflush(stderr);
    }
}
#endif

static int card_batch(KvStation *st, CtlArgs *a)
{
    GError *error = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    BatchDir d = { ctl_opt(a, "card-dir"), { 0 } };
    guint ok = 0, bad = 0;
    gboolean live = FALSE;
    memcpy(d.psc, kv_station_settings(st)->factory_psc, 3);
    if (a->words->len != 1)
        return ctl_usage_error(_("card batch FILE.csv [--card-dir DIR]"));
    if (d.dir) {
        rows = kv_card_batch(st, a->words->pdata[0], next_card_from_dir, &d, NULL, NULL, NULL,
                             &error);
    } else if (ctl.card_file) {
        return ctl_usage_error(_("card batch issues many cards: give --card-dir DIR (card files) "
                               "or use a reader (no --card-file)"));
    } else {
#ifdef KV_HAVE_PCSC
        live = TRUE;
        rows = kv_card_batch_pcsc(st, a->words->pdata[0], ctl.reader, batch_prompt,
                                  batch_result, NULL, NULL, &error);
#else
        return ctl_usage_error(_("this build has no PC/SC card service: give --card-dir DIR"));
#endif
    }
    if (!rows)
        return ctl_fail(error);
    if (ctl.json)
        printf("{\"rows\":[");
    for (guint i = 0; i < rows->len; i++) {
        KvBatchRow *r = rows->pdata[i];
        r->ok ? ok++ : bad++;
        if (ctl.json) {
            g_autofree char *m = kv_json_escape(r->message);
            printf("%s{\"line\":%u,\"meter\":\"%09u\",\"ok\":%s,\"skipped\":%s,\"serial\":%u,"
                   "\"message\":\"%s\"}", i ? "," : "", r->line, r->meter,
                   r->ok ? "true" : "false", r->skipped ? "true" : "false", r->serial, m);
        } else if (!live) {
            ctl_out(_("line %u: meter %09u: %s%s\n"), r->line, r->meter, r->ok ? "" : _("ERROR: "),
                    r->message);
        }
    }
    if (ctl.json)
        printf("],\"ok\":%u,\"failed\":%u}\n", ok, bad);
    else
        ctl_out(_("%u done, %u failed (run again to retry the failed ones)\n"), ok, bad);
    return bad ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}

/* --NAME KWH (0.01 kWh) or a plain integer, into *out; absent: -1. */
static gboolean eng_opt(CtlArgs *a, const char *name, gboolean kwh, gint64 *out, GError **error)
{
    const char *v = ctl_opt(a, name);
    *out = -1;
    if (!v)
        return TRUE;
    if (!kv_decimal_parse(v, kwh ? 2 : 0, 0x7FFFFFFF, out, error)) {
        g_prefix_error(error, _("--%s: "), name);
        return FALSE;
    }
    return TRUE;
}

static int card_engineering(KvStation *st, CtlArgs *a)
{
    GError *error = NULL;
    g_autoptr(KvCardLink) card = NULL;
    g_autofree KvEngineeringCard *c = NULL;
    KvEngineeringRequest req;
    const char *type = ctl_opt(a, "type");
    guint t = kv_engineering_type_from_name(type);
    guint32 meter;
    if (!t)
        return ctl_usage_error(_("card engineering --type check|parameter|clear-tamper|key-change|"
                               "test|clear-credit --meter N"));
    kv_engineering_request_init(&req, t);
    req.legacy_key_change = ctl_flag(a, "legacy-key-change");
    if (t != KV_CARD_PARAMETER && (ctl_opt(a, "alarm-kwh") || ctl_opt(a, "pretrip-kwh") ||
                                   ctl_opt(a, "hoarding-kwh") || ctl_opt(a, "max-power-w") ||
                                   ctl_opt(a, "reconnect-s") || ctl_opt(a, "emergency-kwh")))
        return ctl_usage_error(_("the parameter options go with --type parameter only"));
    if (!meter_opt(a, &meter, &error) ||
        !eng_opt(a, "alarm-kwh", TRUE, &req.alarm_level, &error) ||
        !eng_opt(a, "pretrip-kwh", TRUE, &req.pretrip_level, &error) ||
        !eng_opt(a, "hoarding-kwh", TRUE, &req.hoarding_limit, &error) ||
        !eng_opt(a, "max-power-w", FALSE, &req.max_power, &error) ||
        !eng_opt(a, "reconnect-s", FALSE, &req.reconnect_delay, &error) ||
        !eng_opt(a, "emergency-kwh", FALSE, &req.emergency_kwh, &error) ||
        !(card = ctl_card(&error)) || !(c = kv_card_engineering(st, card, meter, &req, &error)))
        return ctl_fail(error);
    if (ctl.json) {
        printf("{\"ok\":true,\"serial\":%u,\"meter\":\"%09u\",\"type\":\"%s\",\"reused\":%s,"
               "\"seq\":%u,\"key_version\":%u", c->serial, meter, kv_engineering_type_name(t),
               c->reused ? "true" : "false", c->seq, c->key_version);
        if (t == KV_CARD_KEY_CHANGE)
            printf(",\"new_key_version\":%u", c->new_key_version);
        if (t == KV_CARD_PARAMETER)
            printf(",\"alarm_level\":%u,\"pretrip_level\":%u,\"hoarding_limit\":%u,"
                   "\"max_power\":%u,\"reconnect_delay\":%u,\"emergency_kwh\":%u",
                   c->alarm_level, c->pretrip_level, c->hoarding_limit, c->max_power,
                   c->reconnect_delay, c->emergency_kwh);
        printf("}\n");
        return CTL_EXIT_OK;
    }
    ctl_out(_("%s card %u for meter %09u %s"), kv_engineering_type_name(t), c->serial, meter,
            c->reused ? "written again" : "issued");
    ctl_out(_(" (token %u, key version %u)"), c->seq, c->key_version);
    ctl_out("\n");
    if (t == KV_CARD_PARAMETER) {
        g_autofree char *al = kv_energy_format(c->alarm_level);
        g_autofree char *pt = kv_energy_format(c->pretrip_level);
        g_autofree char *ho = kv_energy_format(c->hoarding_limit);
        ctl_out(_("  alarm %s kWh, pre-trip %s kWh, hoarding limit %s kWh, max power %u W, "
                "reconnect %u s\n  the ledger takes them when the card comes back with the "
                "meter's readback (card read)\n"), al, pt, ho, c->max_power, c->reconnect_delay);
        ctl_out(_("  emergency credit %u kWh (0: none)\n"), c->emergency_kwh);
    }
    if (t == KV_CARD_KEY_CHANGE)
        ctl_out(_("  moves the meter from key version %u to %u; sales stay under %u until the "
                "card (or any card of the meter) comes back with a readback under %u\n"),
                c->key_version, c->new_key_version, c->key_version, c->new_key_version);
    return CTL_EXIT_OK;
}

int ctl_cmd_card(int argc, char **argv)
{
    static const char *const flags[] = { "no-keys", "legacy-key-change", NULL };
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvCardLink) card = NULL;
    const char *sub = argc > 1 ? argv[1] : "";
    guint32 meter = 0;
    int rc = CTL_EXIT_OK;
    gboolean no_keys;

    if (!ctl_args_parse(&a, argc - 2, argv + 2, flags))
        return CTL_EXIT_USAGE;
    no_keys = strcmp(sub, "read") == 0 && ctl_flag(&a, "no-keys");
    if (strcmp(sub, "blank") == 0) {
        static const guint8 factory[3] = { 0xFF, 0xFF, 0xFF };
        if (a.words->len != 1) {
            ctl_args_clear(&a);
            return ctl_usage_error(_("card blank FILE"));
        }
        if (!kv_card_link_file_create_blank(a.words->pdata[0], factory, &error))
            goto fail;
        ctl_out(_("blank card file %s (PSC FFFFFF)\n"), (char *)a.words->pdata[0]);
        ctl_args_clear(&a);
        return CTL_EXIT_OK;
    }
    if (!(st = ctl_open(TRUE, !no_keys, &error)))
        goto fail;
    if (strcmp(sub, "issue") == 0 || strcmp(sub, "replace") == 0) {
        g_autoptr(KvCardRecord) c = NULL;
        gboolean replace = strcmp(sub, "replace") == 0;
        if (!meter_opt(&a, &meter, &error) || !(card = ctl_card(&error)))
            goto fail;
        /* kv_card_replace reserves at head office first (two offices
         * must not both replace the meter's card): through the sync
         * client's link, passed in here. */
        if (replace)
            ctl_sync_install_reserver(st);
        c = replace ? kv_card_replace(st, card, meter, ctl_opt(&a, "reason"), &error)
                    : kv_card_issue(st, card, meter, &error);
        if (!c)
            goto fail;
        {
            g_autofree char *cum = kv_energy_format(c->token_cumulative);
            ctl_out(_("card %u issued for meter %09u (token %u, cumulative %s kWh%s)\n"), c->serial,
                    meter, c->token_seq, cum, replace ? ", old card blocked" : "");
            if (ctl.json)
                printf("{\"ok\":true,\"serial\":%u,\"meter\":\"%09u\",\"seq\":%u,"
                       "\"cumulative\":%u,\"replaces\":%u}\n", c->serial, meter, c->token_seq,
                       c->token_cumulative, c->replaces);
        }
    } else if (strcmp(sub, "read") == 0) {
        if (!(card = ctl_card(&error)))
            goto fail;
        rc = card_read(st, card, !no_keys);
    } else if (strcmp(sub, "batch") == 0) {
        rc = card_batch(st, &a);
    } else if (strcmp(sub, "engineering") == 0) {
        rc = card_engineering(st, &a);
    } else {
        ctl_args_clear(&a);
        return ctl_usage_error(_("card needs issue, replace, batch, engineering, read or blank"));
    }
    ctl_args_clear(&a);
    return rc;
fail:
    ctl_args_clear(&a);
    return ctl_fail(error);
}
