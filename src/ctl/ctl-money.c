/* ctl-money.c - a customer's debt, recovery plan and statement, and the
 * money reports (arrears, dormant customers, revenue protection). */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* A signed sum of money ("-12.50" allowed). */
static gboolean signed_money(KvStation *st, const char *text, gint64 *out, GError **error)
{
    gboolean neg = text[0] == '-';
    if (!kv_decimal_parse(text + neg, kv_station_settings(st)->minor_digits, 0, out, error))
        return FALSE;
    *out = neg ? -*out : *out;
    return TRUE;
}

/* customer debt --account A [--add M | --adjust M | --write-off M --reason T] */
static int debt_cmd(KvStation *st, const KvCustomer *c, CtlArgs *a)
{
    static const struct {
        const char *opt;
        KvDebtKind kind;
    } moves[] = { { "add", KV_DEBT_ADDED }, { "adjust", KV_DEBT_ADJUSTED },
                  { "write-off", KV_DEBT_WRITTEN_OFF } };
    GError *error = NULL;
    const char *reason;
    gint64 v;

    for (guint i = 0; i < G_N_ELEMENTS(moves); i++) {
        const char *text = ctl_opt(a, moves[i].opt);
        KvDebtKind kind = moves[i].kind;
        if (!text)
            continue;
        if (!(reason = ctl_need(a, "reason")))
            return CTL_EXIT_USAGE;
        if (!signed_money(st, text, &v, &error))
            return ctl_fail(error);
        if (kind == KV_DEBT_ADDED && v < 0) /* --add -M: a correction, as before */
            kind = KV_DEBT_ADJUSTED;
        if (!kv_debt_move(st, c->id, kind, v, reason, &error))
            return ctl_fail(error);
        ctl_out(_("debt of %s changed\n"), c->account);
        return CTL_EXIT_OK;
    }
    {
        g_autoptr(KvTable) t = kv_report_debt(st, c->id, &error);
        if (!t)
            return ctl_fail(error);
        ctl_print_table(t, ctl_opt(a, "csv"));
    }
    return CTL_EXIT_OK;
}

/* customer plan --account A (--share PCT [--min M] [--max M] | --fixed M
 * | --monthly M) [--until DATE] | --end --reason T */
static int plan_cmd(KvStation *st, const KvCustomer *c, CtlArgs *a)
{
    GError *error = NULL;
    KvDebtPlan p = { .customer_id = c->id };
    const char *text;
    gint64 v;
    guint8 given = 0;

    if (ctl_flag(a, "end")) {
        const char *reason = ctl_need(a, "reason");
        if (!reason)
            return CTL_EXIT_USAGE;
        if (!kv_debt_plan_end(st, c->id, reason, &error))
            return ctl_fail(error);
        ctl_out(_("recovery plan of %s ended: the tariff's share applies\n"), c->account);
        return CTL_EXIT_OK;
    }
    if ((text = ctl_opt(a, "share"))) {
        given++;
        p.kind = KV_PLAN_SHARE;
        if (!kv_decimal_parse(text, 2, 9000, &v, &error)) {
            g_prefix_error(&error, _("--share (percent, at most 90): "));
            return ctl_fail(error);
        }
        p.share_bp = (guint)v;
        if ((ctl_opt(a, "min") && !kv_station_parse_money(st, ctl_opt(a, "min"), &p.min_amount,
                                                          &error)) ||
            (ctl_opt(a, "max") && !kv_station_parse_money(st, ctl_opt(a, "max"), &p.max_amount,
                                                          &error)))
            return ctl_fail(error);
    }
    for (guint i = 0; i < 2; i++) {
        const char *opt = i ? "monthly" : "fixed";
        if (!(text = ctl_opt(a, opt)))
            continue;
        given++;
        p.kind = i ? KV_PLAN_MONTHLY : KV_PLAN_FIXED;
        if (!kv_station_parse_money(st, text, &p.amount, &error))
            return ctl_fail(error);
    }
    if (given > 1)
        return ctl_usage_error(_("a plan is one of --share, --fixed or --monthly"));
    if (!given) {
        g_autoptr(KvTable) t = kv_report_debt(st, c->id, &error);
        if (!t)
            return ctl_fail(error);
        ctl_print_table(t, NULL);
        return CTL_EXIT_OK;
    }
    if ((text = ctl_opt(a, "until"))) {
        if (!ctl_parse_day(text, FALSE, &v, &error))
            return ctl_fail(error);
        p.ends_at = kv_day_start(v);
    }
    if (!(p.id = kv_debt_plan_set(st, &p, &error)))
        return ctl_fail(error);
    ctl_out(_("recovery plan %" PRId64 " of %s in force\n"), p.id, c->account);
    if (ctl.json)
        printf("{\"ok\":true,\"plan\":%" G_GINT64_FORMAT "}\n", p.id);
    return CTL_EXIT_OK;
}

/* customer statement --account A --from DATE --to DATE [--csv F] [--pdf F]:
 * from the start of --from to the end of --to (local days). */
static int statement_cmd(KvStation *st, const KvCustomer *c, CtlArgs *a)
{
    GError *error = NULL;
    const char *from_text = ctl_need(a, "from"), *to_text = ctl_need(a, "to");
    g_autoptr(KvTable) t = NULL;
    g_autoptr(GDateTime) last = NULL, after = NULL;
    gint64 from, to;

    if (!from_text || !to_text)
        return CTL_EXIT_USAGE;
    if (!ctl_parse_day(from_text, FALSE, &from, &error) ||
        !ctl_parse_day(to_text, FALSE, &to, &error))
        return ctl_fail(error);
    last = g_date_time_new_from_unix_local(kv_day_start(to));
    after = g_date_time_add_days(last, 1);
    from = kv_day_start(from);
    to = g_date_time_to_unix(after);
    if (!(t = kv_report_statement(st, c->id, from, to, &error)) ||
        (ctl_opt(a, "pdf") &&
         !kv_statement_write_pdf(st, c->id, from, to, ctl_opt(a, "pdf"), &error)))
        return ctl_fail(error);
    ctl_print_table(t, ctl_opt(a, "csv"));
    return CTL_EXIT_OK;
}

/* customer category --account A (--set CODE | --clear) */
static int category_of_cmd(KvStation *st, const KvCustomer *c, CtlArgs *a)
{
    GError *error = NULL;
    const char *code = ctl_opt(a, "set");
    if (!code == !ctl_flag(a, "clear"))
        return ctl_usage_error(_("customer category needs --set CODE or --clear"));
    if (!kv_customer_set_category(st, c->id, code, &error))
        return ctl_fail(error);
    ctl_out(_("customer %s: category %s\n"), c->account, code ? code : "-");
    return CTL_EXIT_OK;
}

int ctl_money_customer(KvStation *st, const char *sub, CtlArgs *a)
{
    GError *error = NULL;
    g_autoptr(KvCustomer) c = NULL;
    const char *account = ctl_need(a, "account");

    if (!account)
        return CTL_EXIT_USAGE;
    if (!(c = kv_customer_get_by_account(st, account, &error)))
        return ctl_fail(error);
    if (strcmp(sub, "debt") == 0)
        return debt_cmd(st, c, a);
    if (strcmp(sub, "plan") == 0)
        return plan_cmd(st, c, a);
    if (strcmp(sub, "category") == 0)
        return category_of_cmd(st, c, a);
    return statement_cmd(st, c, a);
}

KvTable *ctl_money_report(KvStation *st, const char *sub, CtlArgs *a, gboolean *mine,
                          GError **error)
{
    gint64 days = 30;
    *mine = TRUE;
    if (strcmp(sub, "arrears") == 0)
        return kv_report_arrears(st, kv_now(), error);
    if (strcmp(sub, "dormant") == 0) {
        if (ctl_opt(a, "days") && !kv_decimal_parse(ctl_opt(a, "days"), 0, 36500, &days, error))
            return NULL;
        return kv_report_dormant(st, kv_now(), (guint)days, error);
    }
    if (strcmp(sub, "revenue") == 0) {
        gint64 absent = 60, drop = 50;
        KvRevenueParams p;
        if ((ctl_opt(a, "absent-days") &&
             !kv_decimal_parse(ctl_opt(a, "absent-days"), 0, 36500, &absent, error)) ||
            (ctl_opt(a, "drop") && !kv_decimal_parse(ctl_opt(a, "drop"), 0, 100, &drop, error)))
            return NULL;
        p = (KvRevenueParams){ (guint)absent, (guint)drop };
        return kv_report_revenue(st, kv_now(), &p, error);
    }
    *mine = FALSE;
    return NULL;
}

/* category set --code C --tariff T [--name N] [--free KWH] | list */
int ctl_money_category(KvStation *st, const char *sub, CtlArgs *a)
{
    GError *error = NULL;

    if (strcmp(sub, "set") == 0) {
        KvCategory c = { 0 };
        const char *code = ctl_need(a, "code"), *tariff = code ? ctl_need(a, "tariff") : NULL;
        if (!code || !tariff)
            return CTL_EXIT_USAGE;
        g_strlcpy(c.code, code, sizeof c.code);
        g_strlcpy(c.tariff_code, tariff, sizeof c.tariff_code);
        g_strlcpy(c.name, ctl_opt(a, "name") ? ctl_opt(a, "name") : "", sizeof c.name);
        if (ctl_opt(a, "free") &&
            !kv_energy_parse(ctl_opt(a, "free"), 0x7FFFFFFF, &c.free_energy, &error)) {
            g_prefix_error(&error, _("--free: "));
            return ctl_fail(error);
        }
        return kv_category_set(st, &c, &error) ? CTL_EXIT_OK : ctl_fail(error);
    }
    if (strcmp(sub, "list") == 0) {
        g_autoptr(GPtrArray) list = kv_category_list(st, &error);
        if (!list)
            return ctl_fail(error);
        for (guint i = 0; i < list->len; i++) {
            const KvCategory *c = list->pdata[i];
            g_autofree char *free_kwh = kv_energy_format(c->free_energy);
            ctl_out("%s\t%s\t%s\t%s\n", c->code, c->tariff_code, c->name, free_kwh);
        }
        return CTL_EXIT_OK;
    }
    return ctl_usage_error(_("category needs set or list"));
}
