/* kv-reports.c - shift (Z), daily, monthly, customer and meter reports, and
 * their text, CSV and JSON forms. */
#include <string.h>

#include "kv-i18n.h"
#include "kv-audit.h"
#include "kv-events.h"
#include "kv-json.h"
#include "kv-money.h"
#include "kv-payments.h"
#include "kv-reconcile.h"
#include "kv-refunds.h"
#include "kv-swap.h"
#include "kv-registry.h"
#include "kv-reports.h"
#include "kv-reports-private.h"
#include "kv-sales.h"
#include "kv-db.h"
#include "kv-station-private.h"
#include "kv-time.h"

void kv_table_free(KvTable *t)
{
    if (!t)
        return;
    g_free(t->title);
    if (t->summary)
        g_ptr_array_unref(t->summary);
    if (t->summary_keys)
        g_ptr_array_unref(t->summary_keys);
    if (t->summary_values)
        g_ptr_array_unref(t->summary_values);
    g_strfreev(t->columns);
    g_strfreev(t->keys);
    if (t->rows)
        g_ptr_array_unref(t->rows);
    g_free(t);
}

/* cols: the columns' keys, marked NC_("report column", ...). */
static KvTable *table_new(const char *title, const char *const *cols)
{
    KvTable *t = g_new0(KvTable, 1);
    guint n = g_strv_length((char **)cols);

    t->title = g_strdup(title);
    t->summary = g_ptr_array_new_with_free_func(g_free);
    t->summary_keys = g_ptr_array_new_with_free_func(g_free);
    t->summary_values = g_ptr_array_new_with_free_func(g_free);
    t->keys = g_strdupv((char **)cols);
    t->columns = g_new0(char *, n + 1);
    for (guint c = 0; c < n; c++)
        t->columns[c] = g_strdup(C_("report column", cols[c]));
    t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    return t;
}

static void add_row(KvTable *t, GPtrArray *cells)
{
    g_ptr_array_add(cells, NULL);
    g_ptr_array_add(t->rows, g_ptr_array_free(cells, FALSE));
}

/* ---- output forms ---- */

char *kv_table_to_text(const KvTable *t)
{
    GString *s = g_string_new(NULL);
    guint ncol = g_strv_length(t->columns);
    g_autofree guint *w = g_new0(guint, ncol);
    g_string_append_printf(s, "%s\n", t->title);
    for (guint i = 0; i < t->summary->len; i++)
        g_string_append_printf(s, "  %s\n", (char *)t->summary->pdata[i]);
    if (!t->rows->len)
        return g_string_free(s, FALSE);
    for (guint c = 0; c < ncol; c++)
        w[c] = (guint)g_utf8_strlen(t->columns[c], -1);
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = t->rows->pdata[r];
        for (guint c = 0; c < ncol; c++)
            w[c] = MAX(w[c], (guint)g_utf8_strlen(row[c], -1));
    }
    g_string_append_c(s, '\n');
    for (guint c = 0; c < ncol; c++)
        g_string_append_printf(s, "%-*s%s", (int)w[c], t->columns[c], c + 1 < ncol ? "  " : "\n");
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = t->rows->pdata[r];
        for (guint c = 0; c < ncol; c++)
            g_string_append_printf(s, "%-*s%s", (int)(w[c] + strlen(row[c]) -
                                                      (gsize)g_utf8_strlen(row[c], -1)),
                                   row[c], c + 1 < ncol ? "  " : "\n");
    }
    return g_string_free(s, FALSE);
}

static void csv_cell(GString *s, const char *v)
{
    if (strpbrk(v, ",\"\n\r")) {
        g_string_append_c(s, '"');
        for (const char *p = v; *p; p++) {
            if (*p == '"')
                g_string_append_c(s, '"');
            g_string_append_c(s, *p);
        }
        g_string_append_c(s, '"');
    } else {
        g_string_append(s, v);
    }
}

char *kv_table_to_csv(const KvTable *t)
{
    GString *s = g_string_new(NULL);
    for (guint c = 0; t->keys[c]; c++) {
        if (c)
            g_string_append_c(s, ',');
        csv_cell(s, t->keys[c]);
    }
    g_string_append(s, "\r\n");
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = t->rows->pdata[r];
        for (guint c = 0; row[c]; c++) {
            if (c)
                g_string_append_c(s, ',');
            csv_cell(s, row[c]);
        }
        g_string_append(s, "\r\n");
    }
    return g_string_free(s, FALSE);
}

char *kv_table_summary_to_csv(const KvTable *t)
{
    GString *s = g_string_new("summary,value\r\n");
    for (guint i = 0; i < t->summary_keys->len; i++) {
        csv_cell(s, t->summary_keys->pdata[i]);
        g_string_append_c(s, ',');
        csv_cell(s, t->summary_values->pdata[i]);
        g_string_append(s, "\r\n");
    }
    return g_string_free(s, FALSE);
}

char *kv_table_to_json(const KvTable *t)
{
    GString *s = g_string_new("{\"title\":");
    kv_json_append_string(s, t->title);
    g_string_append(s, ",\"summary\":{");
    for (guint i = 0; i < t->summary_keys->len; i++) {
        if (i)
            g_string_append_c(s, ',');
        kv_json_append_string(s, t->summary_keys->pdata[i]);
        g_string_append_c(s, ':');
        kv_json_append_string(s, t->summary_values->pdata[i]);
    }
    g_string_append(s, "},\"rows\":[");
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = t->rows->pdata[r];
        g_string_append(s, r ? ",{" : "{");
        for (guint c = 0; t->keys[c]; c++) {
            if (c)
                g_string_append_c(s, ',');
            kv_json_append_string(s, t->keys[c]);
            g_string_append_c(s, ':');
            kv_json_append_string(s, row[c]);
        }
        g_string_append_c(s, '}');
    }
    g_string_append(s, "]}\n");
    return g_string_free(s, FALSE);
}

/* ---- helpers ---- */

static char *when(gint64 t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);
    return g_date_time_format(d, "%Y-%m-%d %H:%M:%S");
}

static char *money(KvStation *st, gint64 v)
{
    return kv_station_format_money(st, v);
}

/* A summary line: key (marked NC_("report summary", ...)) is its stable name in JSON, translated
 * in the text. */
static void summary_v(KvTable *t, const char *key, const char *fmt, va_list ap)
    G_GNUC_PRINTF(3, 0);
static void summary_v(KvTable *t, const char *key, const char *fmt, va_list ap)
{
    char *value = g_strdup_vprintf(fmt, ap);
    /* TRANSLATORS: a report's summary line, "label: value" */
    g_ptr_array_add(t->summary, g_strdup_printf(_("%s: %s"), C_("report summary", key), value));
    g_ptr_array_add(t->summary_keys, g_strdup(key));
    g_ptr_array_add(t->summary_values, value);
}

static void summary(KvTable *t, const char *key, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void summary(KvTable *t, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    summary_v(t, key, fmt, ap);
    va_end(ap);
}

/* Totals of completed sales over a WHERE clause bound by the caller. */
typedef struct {
    gint64 count, amount, fixed, debt, net, vat, energy;
    gint64 grants, free_energy; /* free allocations and their energy */
    gint64 credit;              /* the tokens' credit (cumulative - base) */
} Totals;

/* The free allocations the sales carried: a line apart from the energy
 * sold (docs/station.md, "Free basic electricity"). */
static void summary_free(KvTable *t, gint64 grants, gint64 energy)
{
    g_autofree char *e = kv_energy_format(energy);
    summary(t, NC_("report summary", "free allocations"), "%" G_GINT64_FORMAT, grants);
    summary(t, NC_("report summary", "free energy kWh"), "%s", e);
}

/* The totals of a daily or monthly report. */
static void summary_totals(KvStation *st, KvTable *t, const Totals *tot)
{
    g_autofree char *a = money(st, tot->amount), *v = money(st, tot->vat);
    g_autofree char *e = kv_energy_format(tot->energy);

    summary(t, NC_("report summary", "completed sales"), "%" G_GINT64_FORMAT, tot->count);
    summary(t, NC_("report summary", "amount taken"), "%s", a);
    summary(t, NC_("report summary", "VAT"), "%s", v);
    summary(t, NC_("report summary", "energy sold kWh"), "%s", e);
    summary_free(t, tot->grants, tot->free_energy);
}

/* The meter swaps of [from, to) (kv-swap.h): credit carried to new
 * meters, no money, apart from the sales and the refunds. */
static gboolean summary_transfers(KvStation *st, KvTable *t, gint64 from, gint64 to,
                                  GError **error)
{
    gint64 n, energy;
    g_autofree char *e = NULL;
    if (!kv_transfers_sum(st, from, to, &n, &energy, error))
        return FALSE;
    e = kv_energy_format(energy);
    summary(t, NC_("report summary", "transfers"), _("%" PRId64 " carrying %s kWh (no money)"),
            n, e);
    return TRUE;
}

/* The refunds of a shift, or made in [from, to) (kv-refunds.h): a line
 * apart from the sales, the money paid back out of the drawers. */
static gboolean summary_refunds(KvStation *st, KvTable *t, gint64 shift_id, gint64 from,
                                gint64 to, GError **error)
{
    gint64 n, amount, energy;
    g_autofree char *a = NULL, *e = NULL;
    if (!kv_refunds_sum(st, shift_id, from, to, &n, &amount, &energy, error))
        return FALSE;
    a = kv_station_format_money_code(st, amount);
    e = kv_energy_format(energy);
    summary(t, NC_("report summary", "refunds"),
            _("%" PRId64 " paying back %s for %s kWh"), n, a, e);
    return shift_id > 0 || summary_transfers(st, t, from, to, error);
}

/* The money taken by each payment type (completed sales), a line each:
 * the keys "paid cash", "paid mobile-money", ... stay the same in JSON. */
static void summary_paid(KvStation *st, KvTable *t, const gint64 paid[KV_PAYMENT_N_TYPES])
{
    static const char *const keys[KV_PAYMENT_N_TYPES] = {
        [KV_PAYMENT_CASH] = NC_("report summary", "paid cash"),
        [KV_PAYMENT_MOBILE] = NC_("report summary", "paid mobile money"),
        [KV_PAYMENT_CARD] = NC_("report summary", "paid bank card"),
        [KV_PAYMENT_TRANSFER] = NC_("report summary", "paid bank transfer"),
    };
    for (guint i = 0; i < KV_PAYMENT_N_TYPES; i++) {
        g_autofree char *v = money(st, paid[i]);
        summary(t, keys[i], "%s", v);
    }
}

/* Money and credit: the tokens' credit, the energy bought and the free
 * energy it is made of (docs/station.md, "Free basic electricity"). */
static void summary_credit(KvTable *t, gint64 credit, gint64 paid, gint64 free_energy)
{
    g_autofree char *c = kv_energy_format(credit), *p = kv_energy_format(paid);
    g_autofree char *f = kv_energy_format(free_energy);
    summary(t, NC_("report summary", "credit on tokens kWh"), _("%s = %s bought + %s free"), c,
            p, f);
}

/* The reconciliation of the ledger (kv-reconcile.h) for a meter or the
 * meters of a shift: issued sales and anomalies still open, and whether
 * cumulative sold follows from the completed sales. */
static gboolean summary_reconcile(KvStation *st, KvTable *t, guint32 meter, gint64 shift_id,
                                  GError **error)
{
    g_autoptr(KvReconcileReport) r = shift_id ? kv_reconcile_shift(st, shift_id, error)
                                              : kv_reconcile(st, meter, error);
    if (!r)
        return FALSE;
    summary(t, NC_("report summary", "issued sales not confirmed"), "%u", r->issued_open);
    summary(t, NC_("report summary", "anomalies open"), "%u%s", r->anomalies_open,
            r->anomalies_open ? _(" (see `kilovendctl anomaly list`)") : "");
    if (!shift_id)
        summary_credit(t, r->credit, r->energy_paid, r->energy_free);
    if (r->problems->len)
        summary(t, NC_("report summary", "ledger reconciliation"),
                _("%u PROBLEM(S): %s"), r->problems->len, (char *)r->problems->pdata[0]);
    else
        summary(t, NC_("report summary", "ledger reconciliation"), "%s",
                _("cumulative sold follows from the completed sales"));
    return TRUE;
}

/* ---- shift (Z) ---- */

KvTable *kv_report_shift(KvStation *st, gint64 shift_id, GError **error)
{
    static const char *const cols[] = {
        NC_("report column", "state"), NC_("report column", "payment"),
        NC_("report column", "sales"), NC_("report column", "amount"),
        NC_("report column", "energy kWh"), NULL
    };
    gint64 paid[KV_PAYMENT_N_TYPES] = { 0 };
    g_autoptr(KvShift) sh = NULL;
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(KvTable) t = NULL;
    g_autofree char *title = NULL, *opened = NULL, *closed = NULL, *head = NULL;
    Totals c = { 0 };

    if (!kv_station_require(st, KV_ROLE_CASHIER, error) || !(sh = kv_shift_get(st, shift_id, error)))
        return NULL;
    if (sh->cashier_id != kv_station_user_id(st) &&
        !kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    title = g_strdup_printf(_("Shift report (Z) - shift %" PRId64), shift_id);
    t = table_new(title, cols);
    s = kv_db_query(st, "SELECT state, count(*), sum(amount), sum(fixed_charge), "
                        "sum(debt_recovered), sum(energy_net), sum(vat), sum(energy), payment, "
                        "count(free_month), sum(free_energy), sum(cumulative - base_cumulative) "
                        "FROM sales WHERE shift_id = ? "
                        "GROUP BY state, payment ORDER BY state, payment", error,
                    KV_DB_VALUES(KV_INT(shift_id)));
    if (!s)
        return NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        GPtrArray *row = g_ptr_array_new();
        const char *state = (const char *)sqlite3_column_text(s, 0);
        KvPaymentType pay = (KvPaymentType)sqlite3_column_int(s, 8);
        g_ptr_array_add(row, g_strdup(state));
        g_ptr_array_add(row, g_strdup(kv_payment_key(pay)));
        g_ptr_array_add(row, g_strdup_printf("%lld", (long long)sqlite3_column_int64(s, 1)));
        g_ptr_array_add(row, money(st, sqlite3_column_int64(s, 2)));
        g_ptr_array_add(row, kv_energy_format(sqlite3_column_int64(s, 7)));
        add_row(t, row);
        if (kv_sale_state_from_name(state) != KV_SALE_COMPLETED)
            continue;
        c.count += sqlite3_column_int64(s, 1);
        c.amount += sqlite3_column_int64(s, 2);
        c.fixed += sqlite3_column_int64(s, 3);
        c.debt += sqlite3_column_int64(s, 4);
        c.net += sqlite3_column_int64(s, 5);
        c.vat += sqlite3_column_int64(s, 6);
        c.energy += sqlite3_column_int64(s, 7);
        c.grants += sqlite3_column_int64(s, 9);
        c.free_energy += sqlite3_column_int64(s, 10);
        c.credit += sqlite3_column_int64(s, 11);
        if ((guint)pay < KV_PAYMENT_N_TYPES)
            paid[pay] += sqlite3_column_int64(s, 2);
    }
    opened = when(sh->opened_at);
    closed = sh->closed_at ? when(sh->closed_at) : g_strdup(C_("shift", "open"));
    head = kv_audit_head(st, error);
    if (!head)
        return NULL;
    summary(t, NC_("report summary", "cashier"), "%s", sh->cashier_login);
    summary(t, NC_("report summary", "opened"), "%s", opened);
    summary(t, NC_("report summary", "closed"), "%s", closed);
    summary(t, NC_("report summary", "completed sales"), "%" G_GINT64_FORMAT, c.count);
    {
        g_autofree char *a = money(st, c.amount), *f = money(st, c.fixed), *d = money(st, c.debt);
        g_autofree char *n = money(st, c.net), *v = money(st, c.vat), *e = kv_energy_format(c.energy);
        g_autofree char *fl = money(st, sh->opening_float), *ex = money(st, sh->expected_cash);
        summary(t, NC_("report summary", "amount taken"), "%s", a);
        summary(t, NC_("report summary", "energy net"), "%s", n);
        summary(t, NC_("report summary", "VAT"), "%s", v);
        summary(t, NC_("report summary", "fixed charges"), "%s", f);
        summary(t, NC_("report summary", "debt recovered"), "%s", d);
        summary(t, NC_("report summary", "energy sold kWh"), "%s", e);
        summary_free(t, c.grants, c.free_energy);
        summary_credit(t, c.credit, c.energy, c.free_energy);
        summary_paid(st, t, paid);
        if (!summary_refunds(st, t, shift_id, 0, 0, error))
            return NULL;
        summary(t, NC_("report summary", "opening float"), "%s", fl);
        summary(t, NC_("report summary", "expected cash"), "%s", ex);
    }
    if (sh->counted_cash >= 0) {
        g_autofree char *co = money(st, sh->counted_cash);
        g_autofree char *df = money(st, sh->counted_cash - sh->expected_cash);
        summary(t, NC_("report summary", "counted cash"), "%s", co);
        summary(t, NC_("report summary", "difference"), "%s", df);
    }
    if (!summary_reconcile(st, t, 0, shift_id, error))
        return NULL;
    summary(t, NC_("report summary", "audit head"), "%s", head);
    return g_steal_pointer(&t);
}

/* ---- daily / monthly ---- */

KvTable *kv_report_daily(KvStation *st, gint64 day, GError **error)
{
    static const char *const cols[] = {
        NC_("report column", "cashier"), NC_("report column", "sales"),
        NC_("report column", "amount"), NC_("report column", "energy net"),
        NC_("report column", "VAT"), NC_("report column", "fixed"), NC_("report column", "debt"),
        NC_("report column", "energy kWh"), NC_("report column", "cancelled"),
        NC_("report column", "failed"), NC_("report column", "cash"),
        NC_("report column", "mobile money"), NC_("report column", "bank card"),
        NC_("report column", "bank transfer"), NULL
    };
    gint64 from = kv_day_start(day), to, paid[KV_PAYMENT_N_TYPES] = { 0 };
    G_STATIC_ASSERT(KV_PAYMENT_N_TYPES == 4); /* the four payment columns below */
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(from);
    g_autoptr(GDateTime) next = g_date_time_add_days(d, 1);
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(KvTable) t = NULL;
    g_autofree char *date = g_date_time_format(d, "%Y-%m-%d");
    g_autofree char *title = g_strdup_printf(_("Daily sales - %s"), date);
    Totals tot = { 0 };

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    to = g_date_time_to_unix(next);
    t = table_new(title, cols);
    s = kv_db_query(st,
        "SELECT u.login, sum(s.state = ?3), "
        "sum(CASE WHEN s.state = ?3 THEN s.amount END), "
        "sum(CASE WHEN s.state = ?3 THEN s.energy_net END), "
        "sum(CASE WHEN s.state = ?3 THEN s.vat END), "
        "sum(CASE WHEN s.state = ?3 THEN s.fixed_charge END), "
        "sum(CASE WHEN s.state = ?3 THEN s.debt_recovered END), "
        "sum(CASE WHEN s.state = ?3 THEN s.energy END), "
        "sum(s.state = ?4), sum(s.state = ?5), "
        "sum(CASE WHEN s.state = ?3 AND s.payment = ?6 THEN s.amount END), "
        "sum(CASE WHEN s.state = ?3 AND s.payment = ?7 THEN s.amount END), "
        "sum(CASE WHEN s.state = ?3 AND s.payment = ?8 THEN s.amount END), "
        "sum(CASE WHEN s.state = ?3 AND s.payment = ?9 THEN s.amount END), "
        "sum(s.state = ?3 AND s.free_month IS NOT NULL), "
        "sum(CASE WHEN s.state = ?3 THEN s.free_energy END) "
        "FROM sales s JOIN users u ON u.id = s.cashier_id "
        "WHERE s.created_at >= ?1 AND s.created_at < ?2 GROUP BY u.login ORDER BY u.login", error,
        KV_DB_VALUES(KV_INT(from), KV_INT(to), KV_STATE(KV_SALE_COMPLETED),
                     KV_STATE(KV_SALE_CANCELLED), KV_STATE(KV_SALE_FAILED),
                     KV_INT(KV_PAYMENT_CASH), KV_INT(KV_PAYMENT_MOBILE),
                     KV_INT(KV_PAYMENT_CARD), KV_INT(KV_PAYMENT_TRANSFER)));
    if (!s)
        return NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        GPtrArray *row = g_ptr_array_new();
        g_ptr_array_add(row, kv_db_col_text(s, 0));
        g_ptr_array_add(row, g_strdup_printf("%lld", (long long)sqlite3_column_int64(s, 1)));
        for (int c = 2; c <= 6; c++)
            g_ptr_array_add(row, money(st, sqlite3_column_int64(s, c)));
        g_ptr_array_add(row, kv_energy_format(sqlite3_column_int64(s, 7)));
        g_ptr_array_add(row, g_strdup_printf("%lld", (long long)sqlite3_column_int64(s, 8)));
        g_ptr_array_add(row, g_strdup_printf("%lld", (long long)sqlite3_column_int64(s, 9)));
        for (int i = 0; i < KV_PAYMENT_N_TYPES; i++) {
            g_ptr_array_add(row, money(st, sqlite3_column_int64(s, 10 + i)));
            paid[i] += sqlite3_column_int64(s, 10 + i);
        }
        add_row(t, row);
        tot.count += sqlite3_column_int64(s, 1);
        tot.amount += sqlite3_column_int64(s, 2);
        tot.vat += sqlite3_column_int64(s, 4);
        tot.energy += sqlite3_column_int64(s, 7);
        tot.grants += sqlite3_column_int64(s, 14);
        tot.free_energy += sqlite3_column_int64(s, 15);
    }
    summary_totals(st, t, &tot);
    summary_paid(st, t, paid);
    if (!summary_refunds(st, t, 0, from, to, error))
        return NULL;
    return g_steal_pointer(&t);
}

/* The month's completed sales per local day, from the summary the sale's
 * own transaction keeps (sales_days, db/008-money.sql): day -> Totals. */
static GHashTable *month_days(KvStation *st, gint64 from, gint64 to, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT day, sales, amount, vat, energy FROM sales_days "
                                          "WHERE day >= ? AND day < ?", error,
                                      KV_DB_VALUES(KV_INT(from), KV_INT(to)));
    GHashTable *days;
    if (!s)
        return NULL;
    days = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    while (sqlite3_step(s) == SQLITE_ROW) {
        Totals *x = g_new0(Totals, 1);
        gint64 *day = g_new(gint64, 1);
        *day = sqlite3_column_int64(s, 0);
        x->count = sqlite3_column_int64(s, 1);
        x->amount = sqlite3_column_int64(s, 2);
        x->vat = sqlite3_column_int64(s, 3);
        x->energy = sqlite3_column_int64(s, 4);
        g_hash_table_insert(days, day, x);
    }
    return days;
}

/* The month's completed free grants, from their per-day summary
 * (free_days, db/015-free-energy.sql), into tot. */
static gboolean month_free(KvStation *st, gint64 from, gint64 to, Totals *tot, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT coalesce(sum(grants), 0), "
                                          "coalesce(sum(energy), 0) FROM free_days "
                                          "WHERE day >= ? AND day < ?", error,
                                      KV_DB_VALUES(KV_INT(from), KV_INT(to)));
    /* an aggregate: always one row */
    if (!s || !kv_db_step_done(st, s, _("reading the free allocations"), error))
        return FALSE;
    tot->grants = sqlite3_column_int64(s, 0);
    tot->free_energy = sqlite3_column_int64(s, 1);
    return TRUE;
}

KvTable *kv_report_monthly(KvStation *st, gint64 month, GError **error)
{
    static const char *const cols[] = {
        NC_("report column", "day"), NC_("report column", "sales"), NC_("report column", "amount"),
        NC_("report column", "VAT"), NC_("report column", "energy kWh"), NULL
    };
    static const Totals none = { 0 };
    gint64 from = kv_month_start(month);
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(from);
    g_autoptr(GDateTime) next = g_date_time_add_months(d, 1);
    g_autoptr(KvTable) t = NULL;
    g_autoptr(GHashTable) days = NULL;
    g_autofree char *mname = g_date_time_format(d, "%Y-%m");
    g_autofree char *title = g_strdup_printf(_("Monthly sales - %s"), mname);
    Totals tot = { 0 };

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) ||
        !(days = month_days(st, from, g_date_time_to_unix(next), error)))
        return NULL;
    t = table_new(title, cols);
    /* Local-time day boundaries (daylight saving included). */
    for (GDateTime *day = g_date_time_ref(d), *after; g_date_time_compare(day, next) < 0;
         day = after) {
        gint64 key = g_date_time_to_unix(day);
        const Totals *x = g_hash_table_lookup(days, &key);
        GPtrArray *row = g_ptr_array_new();
        x = x ? x : &none;
        g_ptr_array_add(row, g_date_time_format(day, "%Y-%m-%d"));
        g_ptr_array_add(row, g_strdup_printf("%lld", (long long)x->count));
        g_ptr_array_add(row, money(st, x->amount));
        g_ptr_array_add(row, money(st, x->vat));
        g_ptr_array_add(row, kv_energy_format(x->energy));
        add_row(t, row);
        tot.count += x->count;
        tot.amount += x->amount;
        tot.vat += x->vat;
        tot.energy += x->energy;
        after = g_date_time_add_days(day, 1);
        g_date_time_unref(day);
        if (g_date_time_compare(after, next) >= 0) {
            g_date_time_unref(after);
            break;
        }
    }
    if (!month_free(st, from, g_date_time_to_unix(next), &tot, error))
        return NULL;
    summary_totals(st, t, &tot);
    if (!summary_refunds(st, t, 0, from, g_date_time_to_unix(next), error))
        return NULL;
    return g_steal_pointer(&t);
}

/* ---- customer history ---- */

KvTable *kv_report_customer(KvStation *st, gint64 customer_id, GError **error)
{
    static const char *const cols[] = {
        NC_("report column", "receipt"), NC_("report column", "time"),
        NC_("report column", "meter"), NC_("report column", "state"),
        NC_("report column", "amount"), NC_("report column", "energy kWh"),
        NC_("report column", "debt recovered"), NC_("report column", "cashier"),
        NC_("report column", "payment"), NC_("report column", "reference"), NULL
    };
    g_autoptr(KvCustomer) c = NULL;
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(KvTable) t = NULL;
    g_autofree char *title = NULL, *debt = NULL;
    gint64 total = 0;

    if (!kv_station_require(st, KV_ROLE_CASHIER, error) ||
        !(c = kv_customer_get(st, customer_id, error)))
        return NULL;
    title = g_strdup_printf(_("Purchase history - %s (%s)"), c->name, c->account);
    t = table_new(title, cols);
    s = kv_db_query(st, "SELECT s.id, s.created_at, s.meter_number, s.state, s.amount, s.energy, "
                        "s.debt_recovered, u.login, s.payment, coalesce(s.payment_ref, '') "
                        "FROM sales s JOIN users u ON u.id = s.cashier_id "
                        "WHERE s.customer_id = ? ORDER BY s.created_at DESC, s.id DESC", error,
                    KV_DB_VALUES(KV_INT(customer_id)));
    if (!s)
        return NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        GPtrArray *row = g_ptr_array_new();
        g_ptr_array_add(row, g_strdup_printf("%lld", (long long)sqlite3_column_int64(s, 0)));
        g_ptr_array_add(row, when(sqlite3_column_int64(s, 1)));
        g_ptr_array_add(row, g_strdup_printf("%09lld", (long long)sqlite3_column_int64(s, 2)));
        g_ptr_array_add(row, kv_db_col_text(s, 3));
        g_ptr_array_add(row, money(st, sqlite3_column_int64(s, 4)));
        g_ptr_array_add(row, kv_energy_format(sqlite3_column_int64(s, 5)));
        g_ptr_array_add(row, money(st, sqlite3_column_int64(s, 6)));
        g_ptr_array_add(row, kv_db_col_text(s, 7));
        g_ptr_array_add(row, g_strdup(kv_payment_key((KvPaymentType)sqlite3_column_int(s, 8))));
        g_ptr_array_add(row, kv_db_col_text(s, 9));
        if (kv_sale_state_from_name((const char *)sqlite3_column_text(s, 3)) == KV_SALE_COMPLETED)
            total += sqlite3_column_int64(s, 4);
        add_row(t, row);
    }
    debt = money(st, c->debt);
    summary(t, NC_("report summary", "account"), "%s", c->account);
    summary(t, NC_("report summary", "address"), "%s", c->address);
    summary(t, NC_("report summary", "debt"), "%s", debt);
    {
        g_autofree char *tt = money(st, total);
        summary(t, NC_("report summary", "total completed"), "%s", tt);
    }
    return g_steal_pointer(&t);
}

/* ---- meter consumption ---- */

KvTable *kv_report_meter(KvStation *st, guint32 meter, GError **error)
{
    static const char *const cols[] = {
        NC_("report column", "read"), NC_("report column", "counter"),
        NC_("report column", "total kWh"), NC_("report column", "used kWh"),
        NC_("report column", "remaining kWh"), NC_("report column", "loaded kWh"),
        NC_("report column", "L1 kWh"), NC_("report column", "L2 kWh"),
        NC_("report column", "L3 kWh"), NC_("report column", "status"),
        NC_("report column", "anomaly"), NC_("report column", "events"), NULL
    };
    g_autoptr(KvMeter) m = NULL;
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(KvTable) t = NULL;
    g_autofree char *title = NULL;
    gint64 prev = -1, first = -1, last = -1;
    guint anomalies = 0;

    if (!kv_station_require(st, KV_ROLE_CASHIER, error) || !(m = kv_meter_get(st, meter, error)))
        return NULL;
    title = g_strdup_printf(_("Meter %09u - consumption from readbacks"), meter);
    t = table_new(title, cols);
    s = kv_db_query(st, "SELECT read_at, counter, total_energy, remaining, cumulative_loaded, "
                        "energy_l1, energy_l2, energy_l3, status, sold_then, events "
                        "FROM meter_readings WHERE meter_number = ? ORDER BY counter", error,
                    KV_DB_VALUES(KV_INT(meter)));
    if (!s)
        return NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        GPtrArray *row = g_ptr_array_new();
        gint64 total = sqlite3_column_int64(s, 2);
        g_ptr_array_add(row, when(sqlite3_column_int64(s, 0)));
        g_ptr_array_add(row, g_strdup_printf("%lld", (long long)sqlite3_column_int64(s, 1)));
        g_ptr_array_add(row, kv_energy_format(total));
        g_ptr_array_add(row, prev < 0 ? g_strdup("") : kv_energy_format(total - prev));
        g_ptr_array_add(row, kv_energy_format(sqlite3_column_int64(s, 3)));
        g_ptr_array_add(row, kv_energy_format(sqlite3_column_int64(s, 4)));
        for (int c = 5; c <= 7; c++)
            g_ptr_array_add(row, kv_energy_format(sqlite3_column_int64(s, c)));
        g_ptr_array_add(row, g_strdup_printf("0x%02x", sqlite3_column_int(s, 8)));
        /* Loaded above what this station had sold when the reading came in
         * (docs/station.md, "Anomalies"). */
        if (sqlite3_column_type(s, 9) != SQLITE_NULL &&
            sqlite3_column_int64(s, 4) > sqlite3_column_int64(s, 9)) {
            g_autofree char *ex = kv_energy_format(sqlite3_column_int64(s, 4) -
                                                   sqlite3_column_int64(s, 9));
            g_ptr_array_add(row, g_strdup_printf(_("loaded %s kWh more than sold"), ex));
            anomalies++;
        } else {
            g_ptr_array_add(row, g_strdup(""));
        }
        /* The newest events first, by name. */
        g_ptr_array_add(row, kv_events_text(sqlite3_column_blob(s, 10),
                                            (gsize)sqlite3_column_bytes(s, 10)));
        add_row(t, row);
        if (first < 0)
            first = total;
        last = total;
        prev = total;
    }
    {
        g_autofree char *used = kv_energy_format(first < 0 ? 0 : last - first);
        g_autofree char *sold = kv_energy_format(m->cumulative_sold);
        summary(t, NC_("report summary", "readings"), "%u", t->rows->len);
        summary(t, NC_("report summary", "energy used between first and last reading kWh"), "%s", used);
        summary(t, NC_("report summary", "cumulative sold here kWh"), "%s", sold);
        summary(t, NC_("report summary", "readings that loaded more than was sold"), "%u%s", anomalies,
                anomalies ? _(" (ANOMALY: possible restored card dump or extracted key; see the "
                              "audit log, action meter.anomaly)") : "");
    }
    if (!summary_reconcile(st, t, meter, 0, error))
        return NULL;
    return g_steal_pointer(&t);
}

/* ---- for the other report modules (kv-reports-private.h) ---- */

KvTable *kv_report_table_new(const char *title, const char *const *cols)
{
    return table_new(title, cols);
}

void kv_report_add_row(KvTable *t, GPtrArray *cells)
{
    add_row(t, cells);
}

void kv_report_summary(KvTable *t, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    summary_v(t, key, fmt, ap);
    va_end(ap);
}

char *kv_report_when(gint64 t)
{
    return when(t);
}
