/* ctl-sale.c - cards, selling, cancelling, settling sales, receipts. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static gboolean meter_opt(CtlArgs *a, guint32 *out, GError **error)
{
    const char *n = ctl_opt(a, "meter");
    if (!n) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, "--meter N is required");
        return FALSE;
    }
    return kv_meter_number_parse(n, out, error);
}

static void print_sale(KvStation *st, const KvSale *x, gboolean quote_only)
{
    const KvBreakdown *b = &x->breakdown;
    g_autofree char *amount = kv_station_format_money(st, b->amount);
    g_autofree char *fixed = kv_station_format_money(st, b->fixed_charge);
    g_autofree char *debt = kv_station_format_money(st, b->debt_recovered);
    g_autofree char *net = kv_station_format_money(st, b->energy_net);
    g_autofree char *vat = kv_station_format_money(st, b->vat);
    g_autofree char *energy = kv_energy_format(b->energy);
    g_autofree char *pred = kv_energy_format(x->predicted_remaining);
    if (ctl.json) {
        printf("{\"ok\":true,\"sale\":%" G_GINT64_FORMAT ",\"state\":\"%s\",\"meter\":\"%09u\","
               "\"amount\":\"%s\",\"fixed_charge\":\"%s\",\"debt_recovered\":\"%s\","
               "\"energy_net\":\"%s\",\"vat\":\"%s\",\"energy_kwh\":\"%s\",\"seq\":%u,"
               "\"cumulative\":%u,\"card\":%u,\"amount_minor\":%" G_GINT64_FORMAT
               ",\"energy_ckwh\":%" G_GINT64_FORMAT "}\n",
               x->id, quote_only ? "quote" : kv_sale_state_name(x->state), x->meter_number, amount,
               fixed, debt, net, vat, energy, x->seq, x->cumulative, x->card_serial, b->amount,
               b->energy);
        return;
    }
    if (quote_only)
        ctl_out("Quote for meter %09u (tariff %s)\n", x->meter_number, x->tariff_code);
    else
        ctl_out("Sale %" G_GINT64_FORMAT " %s: meter %09u, card %u, token %u\n", x->id,
                kv_sale_state_name(x->state), x->meter_number, x->card_serial, x->seq);
    for (guint i = 0; i < b->n_blocks; i++) {
        g_autofree char *e = kv_energy_format(b->blocks[i].energy);
        g_autofree char *p = kv_decimal_format(b->blocks[i].price_e4,
                                               kv_station_settings(st)->minor_digits + 4);
        ctl_out("  block %u: %s kWh at %s\n", i + 1, e, p);
    }
    ctl_out("  energy net  %s\n  fixed       %s\n  VAT         %s\n  debt        %s\n"
            "  TOTAL       %s %s\n  ENERGY      %s kWh\n", net, fixed, vat, debt, amount,
            kv_station_settings(st)->currency, energy);
    if (quote_only)
        ctl_out("  meter would hold about %s kWh after loading\n", pred);
}

int ctl_cmd_sell(int argc, char **argv)
{
    static const char *const flags[] = { "quote", NULL };
    static const char *const allowed[] = { "meter", "amount", "kwh", "quote", "receipt", NULL };
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
    if (!ctl_opt(&a, "amount") == !ctl_opt(&a, "kwh")) {
        ctl_args_clear(&a);
        return ctl_usage_error("sell needs exactly one of --amount MONEY or --kwh KWH");
    }
    if (!meter_opt(&a, &meter, &error) || !(st = ctl_open(TRUE, !quote_only, &error)))
        goto fail;
    if (ctl_opt(&a, "amount") && !kv_station_parse_money(st, ctl_opt(&a, "amount"), &req.amount, &error))
        goto fail;
    if (ctl_opt(&a, "kwh") && !kv_energy_parse(ctl_opt(&a, "kwh"), 0x7FFFFFFF, &req.energy, &error)) {
        g_prefix_error(&error, "kWh: ");
        goto fail;
    }
    if (req.amount == 0 && req.energy == 0) {
        g_set_error(&error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, "the amount must be more than zero");
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
            ctl_out("Receipt: %s\n", ctl_opt(&a, "receipt"));
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
        ctl_out("Sale %" G_GINT64_FORMAT " cancelled: refund %s %s; the card now carries "
                "cumulative %u (token %u)\n", x->id, amount, kv_station_settings(st)->currency,
                x->base_cumulative, x->cancel_seq);
        if (ctl.json)
            printf("{\"ok\":true,\"sale\":%" G_GINT64_FORMAT ",\"state\":\"cancelled\","
                   "\"refund\":\"%s\",\"cancel_seq\":%u}\n", x->id, amount, x->cancel_seq);
    }
    return CTL_EXIT_OK;
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
            return ctl_usage_error("sale show ID");
        if (!kv_decimal_parse(argv[2], 0, 0, &id, &error) || !(x = kv_sale_get(st, id, &error)))
            return ctl_fail(error);
        print_sale(st, x, FALSE);
        return CTL_EXIT_OK;
    }
    if (strcmp(sub, "unresolved") == 0) {
        g_autoptr(GPtrArray) open = kv_sale_list_unresolved(st, &error);
        if (!open)
            return ctl_fail(error);
        if (ctl.json)
            printf("[");
        for (guint i = 0; i < open->len; i++) {
            KvSale *x = open->pdata[i];
            if (ctl.json)
                printf("%s{\"sale\":%" G_GINT64_FORMAT ",\"meter\":\"%09u\",\"card\":%u,"
                       "\"state\":\"%s\"}", i ? "," : "", x->id, x->meter_number, x->card_serial,
                       kv_sale_state_name(x->state));
            else
                printf("sale %" G_GINT64_FORMAT "  meter %09u  card %u  %s\n", x->id,
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
        ctl_out("%d sale(s) settled from this card\n", n);
        if (ctl.json)
            printf("{\"ok\":true,\"settled\":%d}\n", n);
        return CTL_EXIT_OK;
    }
    return ctl_usage_error("sale needs show, unresolved or reconcile");
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
    ctl_out("Receipt written: %s\n", out);
    ctl_args_clear(&a);
    return CTL_EXIT_OK;
}

/* ---- cards ---- */

static void print_card_read(KvStation *st, const KvCardReadResult *r)
{
    const kv_card_view *v = &r->view;
    if (ctl.json) {
        printf("{\"ok\":true,\"serial\":%u,\"meter\":\"%09u\",\"type\":%u,\"key_version\":%u,"
               "\"status\":\"%s\",\"token\":", v->id.card_serial, v->id.meter_number,
               v->id.card_type, v->id.key_version, r->card_status ? r->card_status : "unknown");
        if (v->token_err == KV_OK)
            printf("{\"seq\":%u,\"cumulative\":%u,\"amount\":%u,\"sale\":%u,\"office\":%u}",
                   v->token.seq, v->token.u.credit.cumulative, v->token.u.credit.amount,
                   v->token.u.credit.sale_ref, v->token.u.credit.office);
        else
            printf("null");
        printf(",\"readback\":");
        if (v->readback_err == KV_OK)
            printf("{\"counter\":%u,\"remaining\":%d,\"cumulative_loaded\":%u,\"total\":%u,"
                   "\"last_seq\":%u,\"status\":%u,\"result\":%u}", v->readback.counter,
                   v->readback.remaining, v->readback.cumulative_loaded, v->readback.total_energy,
                   v->readback.last_seq, v->readback.status, v->readback.result);
        else
            printf("null");
        printf(",\"credit_on_card\":%u,\"imported\":%s,\"settled\":%d}\n", r->credit_on_card,
               r->readback_imported ? "true" : "false", r->reconciled);
        return;
    }
    ctl_out("card %u of meter %09u (type 0x%02X, key version %u): %s\n", v->id.card_serial,
            v->id.meter_number, v->id.card_type, v->id.key_version,
            r->card_status ? r->card_status : "not registered here");
    if (v->token_err == KV_OK) {
        g_autofree char *c = kv_energy_format(v->token.u.credit.cumulative);
        g_autofree char *am = kv_energy_format(v->token.u.credit.amount);
        ctl_out("  token %u: cumulative %s kWh (last purchase %s kWh, sale %u, office %u)%s\n",
                v->token.seq, c, am, v->token.u.credit.sale_ref, v->token.u.credit.office,
                v->token_torn ? ", other slot torn" : "");
    } else {
        ctl_out("  no token (%s)\n", kv_strerror(v->token_err));
    }
    if (v->readback_err == KV_OK) {
        g_autofree char *rem = kv_energy_format(v->readback.remaining);
        g_autofree char *ld = kv_energy_format(v->readback.cumulative_loaded);
        g_autofree char *tot = kv_energy_format(v->readback.total_energy);
        ctl_out("  readback %u: remaining %s kWh, loaded %s kWh, total used %s kWh, last token %u,"
                " result %u (%s)%s\n", v->readback.counter, rem, ld, tot, v->readback.last_seq,
                v->readback.result, kv_strerror(v->readback.result),
                r->readback_imported ? " - imported" : "");
    } else {
        ctl_out("  no readback yet (%s)\n", kv_strerror(v->readback_err));
    }
    {
        g_autofree char *oc = kv_energy_format(r->credit_on_card);
        ctl_out("  credit on the card not yet loaded: %s kWh\n", oc);
    }
    if (r->reconciled)
        ctl_out("  %d interrupted sale(s) settled\n", r->reconciled);
    (void)st;
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
    if (!g_file_test(path, G_FILE_TEST_EXISTS) && !kv_card_file_create_blank(path, d->psc, error))
        return NULL;
    return kv_card_link_open_file(path, error);
}

int ctl_cmd_card(int argc, char **argv)
{
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvCardLink) card = NULL;
    const char *sub = argc > 1 ? argv[1] : "";
    guint32 meter = 0;
    int rc = CTL_EXIT_OK;

    if (!ctl_args_parse(&a, argc - 2, argv + 2, NULL))
        return CTL_EXIT_USAGE;
    if (strcmp(sub, "blank") == 0) {
        static const guint8 factory[3] = { 0xFF, 0xFF, 0xFF };
        if (a.words->len != 1) {
            ctl_args_clear(&a);
            return ctl_usage_error("card blank FILE");
        }
        if (!kv_card_file_create_blank(a.words->pdata[0], factory, &error))
            goto fail;
        ctl_out("blank card file %s (PSC FFFFFF)\n", (char *)a.words->pdata[0]);
        ctl_args_clear(&a);
        return CTL_EXIT_OK;
    }
    if (!(st = ctl_open(TRUE, TRUE, &error)))
        goto fail;
    if (strcmp(sub, "issue") == 0 || strcmp(sub, "replace") == 0) {
        g_autoptr(KvCardRecord) c = NULL;
        gboolean replace = strcmp(sub, "replace") == 0;
        if (!meter_opt(&a, &meter, &error) || !(card = ctl_card(&error)))
            goto fail;
        c = replace ? kv_card_replace(st, card, meter, ctl_opt(&a, "reason"), &error)
                    : kv_card_issue(st, card, meter, &error);
        if (!c)
            goto fail;
        {
            g_autofree char *cum = kv_energy_format(c->token_cumulative);
            ctl_out("card %u issued for meter %09u (token %u, cumulative %s kWh%s)\n", c->serial,
                    meter, c->token_seq, cum, replace ? ", old card blocked" : "");
            if (ctl.json)
                printf("{\"ok\":true,\"serial\":%u,\"meter\":\"%09u\",\"seq\":%u,"
                       "\"cumulative\":%u,\"replaces\":%u}\n", c->serial, meter, c->token_seq,
                       c->token_cumulative, c->replaces);
        }
    } else if (strcmp(sub, "read") == 0) {
        KvCardReadResult r;
        if (!(card = ctl_card(&error)) || !kv_card_read(st, card, &r, &error))
            goto fail;
        print_card_read(st, &r);
        g_free(r.card_status);
    } else if (strcmp(sub, "batch") == 0) {
        g_autoptr(GPtrArray) rows = NULL;
        BatchDir d = { ctl_opt(&a, "card-dir"), { 0 } };
        guint ok = 0, bad = 0;
        memcpy(d.psc, kv_station_settings(st)->factory_psc, 3);
        if (a.words->len != 1) {
            ctl_args_clear(&a);
            return ctl_usage_error("card batch FILE.csv --card-dir DIR");
        }
        if (!d.dir) {
            ctl_args_clear(&a);
            return ctl_usage_error("card batch needs --card-dir DIR (one card file per meter)");
        }
        rows = kv_card_batch(st, a.words->pdata[0], next_card_from_dir, &d, NULL, NULL, NULL,
                             &error);
        if (!rows)
            goto fail;
        if (ctl.json)
            printf("{\"rows\":[");
        for (guint i = 0; i < rows->len; i++) {
            KvBatchRow *r = rows->pdata[i];
            r->ok ? ok++ : bad++;
            if (ctl.json) {
                g_autofree char *m = ctl_json_escape(r->message);
                printf("%s{\"line\":%u,\"meter\":\"%09u\",\"ok\":%s,\"skipped\":%s,\"serial\":%u,"
                       "\"message\":\"%s\"}", i ? "," : "", r->line, r->meter,
                       r->ok ? "true" : "false", r->skipped ? "true" : "false", r->serial, m);
            } else {
                ctl_out("line %u: meter %09u: %s%s\n", r->line, r->meter, r->ok ? "" : "ERROR: ",
                        r->message);
            }
        }
        if (ctl.json)
            printf("],\"ok\":%u,\"failed\":%u}\n", ok, bad);
        else
            ctl_out("%u done, %u failed (run again to retry the failed ones)\n", ok, bad);
        rc = bad ? CTL_EXIT_FAILED : CTL_EXIT_OK;
    } else {
        ctl_args_clear(&a);
        return ctl_usage_error("card needs issue, replace, batch, read or blank");
    }
    ctl_args_clear(&a);
    return rc;
fail:
    ctl_args_clear(&a);
    return ctl_fail(error);
}
