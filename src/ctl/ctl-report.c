/* ctl-report.c - shifts and reports. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static void print_shift(KvStation *st, const KvShift *s)
{
    g_autofree char *fl = kv_station_format_money(st, s->opening_float);
    g_autofree char *ex = kv_station_format_money(st, s->expected_cash);
    g_autofree char *co = kv_station_format_money(st, s->counted_cash);
    if (ctl.json)
        printf("{\"shift\":%" G_GINT64_FORMAT ",\"cashier\":\"%s\",\"open\":%s,\"float\":\"%s\","
               "\"expected\":\"%s\",\"counted\":%s%s%s}\n", s->id, s->cashier_login,
               s->closed_at ? "false" : "true", fl, ex, s->counted_cash >= 0 ? "\"" : "",
               s->counted_cash >= 0 ? co : "null", s->counted_cash >= 0 ? "\"" : "");
    else
        ctl_out(_("shift %" PRId64 " of %s: %s, float %s, expected cash %s%s%s\n"), s->id,
                s->cashier_login, s->closed_at ? "closed" : "open", fl, ex,
                s->counted_cash >= 0 ? ", counted " : "", s->counted_cash >= 0 ? co : "");
}

int ctl_cmd_shift(int argc, char **argv)
{
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvShift) s = NULL;
    const char *sub = argc > 1 ? argv[1] : "show";
    gint64 v = 0;
    if (!ctl_args_parse(&a, argc - 2, argv + 2, NULL))
        return CTL_EXIT_USAGE;
    if (!(st = ctl_open(TRUE, FALSE, &error)))
        goto fail;
    if (strcmp(sub, "open") == 0) {
        gint64 id;
        if (ctl_opt(&a, "float") && !kv_station_parse_money(st, ctl_opt(&a, "float"), &v, &error))
            goto fail;
        if (!(id = kv_shift_open(st, v, &error)) || !(s = kv_shift_get(st, id, &error)))
            goto fail;
    } else if (strcmp(sub, "close") == 0) {
        const char *counted = ctl_need(&a, "counted");
        if (!counted) {
            ctl_args_clear(&a);
            return CTL_EXIT_USAGE;
        }
        if (!kv_station_parse_money(st, counted, &v, &error) || !(s = kv_shift_close(st, v, &error)))
            goto fail;
    } else if (strcmp(sub, "show") == 0) {
        if (ctl_opt(&a, "shift")) {
            if (!kv_decimal_parse(ctl_opt(&a, "shift"), 0, 0, &v, &error) ||
                !kv_station_require(st, KV_ROLE_SUPERVISOR, &error) || !(s = kv_shift_get(st, v, &error)))
                goto fail;
        } else if (!(s = kv_shift_current(st, &error))) {
            if (error)
                goto fail;
            g_set_error(&error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no open shift"));
            goto fail;
        }
    } else {
        ctl_args_clear(&a);
        return ctl_usage_error(_("shift needs open, close or show"));
    }
    print_shift(st, s);
    ctl_args_clear(&a);
    return CTL_EXIT_OK;
fail:
    ctl_args_clear(&a);
    return ctl_fail(error);
}

int ctl_cmd_report(int argc, char **argv)
{
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvTable) t = NULL;
    const char *sub = argc > 1 ? argv[1] : "";
    gboolean mine = FALSE;
    gint64 v;
    if (!ctl_args_parse(&a, argc - 2, argv + 2, NULL))
        return CTL_EXIT_USAGE;
    if (!(st = ctl_open(TRUE, FALSE, &error)))
        goto fail;
    if (strcmp(sub, "shift") == 0) {
        if (ctl_opt(&a, "shift")) {
            if (!kv_decimal_parse(ctl_opt(&a, "shift"), 0, 0, &v, &error))
                goto fail;
        } else {
            g_autoptr(KvShift) s = kv_shift_current(st, &error);
            if (!s) {
                if (!error)
                    g_set_error(&error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND,
                                _("no open shift: give --shift ID"));
                goto fail;
            }
            v = s->id;
        }
        t = kv_report_shift(st, v, &error);
    } else if (strcmp(sub, "daily") == 0) {
        v = kv_now();
        if (ctl_opt(&a, "date") && !ctl_parse_day(ctl_opt(&a, "date"), FALSE, &v, &error))
            goto fail;
        t = kv_report_daily(st, v, &error);
    } else if (strcmp(sub, "monthly") == 0) {
        v = kv_now();
        if (ctl_opt(&a, "month") && !ctl_parse_day(ctl_opt(&a, "month"), TRUE, &v, &error))
            goto fail;
        t = kv_report_monthly(st, v, &error);
    } else if (strcmp(sub, "customer") == 0) {
        g_autoptr(KvCustomer) c = NULL;
        const char *acc = ctl_need(&a, "account");
        if (!acc) {
            ctl_args_clear(&a);
            return CTL_EXIT_USAGE;
        }
        if (!(c = kv_customer_get_by_account(st, acc, &error)))
            goto fail;
        t = kv_report_customer(st, c->id, &error);
    } else if (strcmp(sub, "meter") == 0) {
        guint32 m;
        const char *n = ctl_need(&a, "meter");
        if (!n) {
            ctl_args_clear(&a);
            return CTL_EXIT_USAGE;
        }
        if (!kv_meter_number_parse(n, &m, &error))
            goto fail;
        t = kv_report_meter(st, m, &error);
    } else if (!(t = ctl_money_report(st, sub, &a, &mine, &error)) && !mine) {
        ctl_args_clear(&a);
        return ctl_usage_error(_("report needs shift, daily, monthly, customer, meter, arrears, "
                                 "dormant or revenue"));
    }
    if (!t)
        goto fail;
    ctl_print_table(t, ctl_opt(&a, "csv"));
    ctl_args_clear(&a);
    return CTL_EXIT_OK;
fail:
    ctl_args_clear(&a);
    return ctl_fail(error);
}
