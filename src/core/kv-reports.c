/* kv-reports.c - shift (Z), daily, monthly, customer and meter reports, and
 * their text, CSV and JSON forms. */
#include <string.h>

#include "kv-audit.h"
#include "kv-money.h"
#include "kv-reports.h"
#include "kv-sales.h"
#include "kv-station-private.h"

void kv_table_free(KvTable *t)
{
    if (!t)
        return;
    g_free(t->title);
    if (t->summary)
        g_ptr_array_unref(t->summary);
    g_strfreev(t->columns);
    if (t->rows)
        g_ptr_array_unref(t->rows);
    g_free(t);
}

static KvTable *table_new(const char *title, const char *const *cols)
{
    KvTable *t = g_new0(KvTable, 1);
    t->title = g_strdup(title);
    t->summary = g_ptr_array_new_with_free_func(g_free);
    t->columns = g_strdupv((char **)cols);
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
    for (guint c = 0; t->columns[c]; c++) {
        if (c)
            g_string_append_c(s, ',');
        csv_cell(s, t->columns[c]);
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

static void json_str(GString *s, const char *v)
{
    g_string_append_c(s, '"');
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(s, "\\%c", *p);
        else if (*p < 0x20)
            g_string_append_printf(s, "\\u%04x", *p);
        else
            g_string_append_c(s, (char)*p);
    }
    g_string_append_c(s, '"');
}

char *kv_table_to_json(const KvTable *t)
{
    GString *s = g_string_new("{\"title\":");
    json_str(s, t->title);
    g_string_append(s, ",\"summary\":{");
    for (guint i = 0; i < t->summary->len; i++) {
        const char *line = t->summary->pdata[i];
        const char *colon = strstr(line, ": ");
        g_autofree char *k = colon ? g_strndup(line, (gsize)(colon - line)) : g_strdup(line);
        if (i)
            g_string_append_c(s, ',');
        json_str(s, k);
        g_string_append_c(s, ':');
        json_str(s, colon ? colon + 2 : "");
    }
    g_string_append(s, "},\"rows\":[");
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = t->rows->pdata[r];
        g_string_append(s, r ? ",{" : "{");
        for (guint c = 0; t->columns[c]; c++) {
            if (c)
                g_string_append_c(s, ',');
            json_str(s, t->columns[c]);
            g_string_append_c(s, ':');
            json_str(s, row[c]);
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

static void summary(KvTable *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void summary(KvTable *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(t->summary, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* Totals of completed sales over a WHERE clause bound by the caller. */
typedef struct {
    gint64 count, amount, fixed, debt, net, vat, energy;
} Totals;

/* ---- shift (Z) ---- */

KvTable *kv_report_shift(KvStation *st, gint64 shift_id, GError **error)
{
    static const char *const cols[] = { "state", "sales", "amount", "energy kWh", NULL };
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
    title = g_strdup_printf("Shift report (Z) - shift %" G_GINT64_FORMAT, shift_id);
    t = table_new(title, cols);
    s = kv_db_stmt(st, "SELECT state, count(*), sum(amount), sum(fixed_charge), "
                       "sum(debt_recovered), sum(energy_net), sum(vat), sum(energy) FROM sales "
                       "WHERE shift_id = ? GROUP BY state ORDER BY state", error);
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, shift_id);
    while (sqlite3_step(s) == SQLITE_ROW) {
        GPtrArray *row = g_ptr_array_new();
        const char *state = (const char *)sqlite3_column_text(s, 0);
        g_ptr_array_add(row, g_strdup(state));
        g_ptr_array_add(row, g_strdup_printf("%lld", (long long)sqlite3_column_int64(s, 1)));
        g_ptr_array_add(row, money(st, sqlite3_column_int64(s, 2)));
        g_ptr_array_add(row, kv_energy_format(sqlite3_column_int64(s, 7)));
        add_row(t, row);
        if (g_strcmp0(state, "completed") == 0)
            c = (Totals){ sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
                          sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4),
                          sqlite3_column_int64(s, 5), sqlite3_column_int64(s, 6),
                          sqlite3_column_int64(s, 7) };
    }
    opened = when(sh->opened_at);
    closed = sh->closed_at ? when(sh->closed_at) : g_strdup("open");
    head = kv_audit_head(st, error);
    if (!head)
        return NULL;
    summary(t, "cashier: %s", sh->cashier_login);
    summary(t, "opened: %s", opened);
    summary(t, "closed: %s", closed);
    summary(t, "completed sales: %" G_GINT64_FORMAT, c.count);
    {
        g_autofree char *a = money(st, c.amount), *f = money(st, c.fixed), *d = money(st, c.debt);
        g_autofree char *n = money(st, c.net), *v = money(st, c.vat), *e = kv_energy_format(c.energy);
        g_autofree char *fl = money(st, sh->opening_float), *ex = money(st, sh->expected_cash);
        summary(t, "amount taken: %s", a);
        summary(t, "energy net: %s", n);
        summary(t, "VAT: %s", v);
        summary(t, "fixed charges: %s", f);
        summary(t, "debt recovered: %s", d);
        summary(t, "energy sold kWh: %s", e);
        summary(t, "opening float: %s", fl);
        summary(t, "expected cash: %s", ex);
    }
    if (sh->counted_cash >= 0) {
        g_autofree char *co = money(st, sh->counted_cash);
        g_autofree char *df = money(st, sh->counted_cash - sh->expected_cash);
        summary(t, "counted cash: %s", co);
        summary(t, "difference: %s", df);
    }
    summary(t, "audit head: %s", head);
    return g_steal_pointer(&t);
}

/* ---- daily / monthly ---- */

KvTable *kv_report_daily(KvStation *st, gint64 day, GError **error)
{
    static const char *const cols[] = { "cashier", "sales", "amount", "energy net", "VAT",
                                        "fixed", "debt", "energy kWh", "cancelled", "failed",
                                        NULL };
    gint64 from = kv_day_start(day), to;
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(from);
    g_autoptr(GDateTime) next = g_date_time_add_days(d, 1);
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(KvTable) t = NULL;
    g_autofree char *date = g_date_time_format(d, "%Y-%m-%d");
    g_autofree char *title = g_strdup_printf("Daily sales - %s", date);
    Totals tot = { 0 };

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    to = g_date_time_to_unix(next);
    t = table_new(title, cols);
    s = kv_db_stmt(st,
        "SELECT u.login, sum(s.state = 'completed'), "
        "sum(CASE WHEN s.state = 'completed' THEN s.amount END), "
        "sum(CASE WHEN s.state = 'completed' THEN s.energy_net END), "
        "sum(CASE WHEN s.state = 'completed' THEN s.vat END), "
        "sum(CASE WHEN s.state = 'completed' THEN s.fixed_charge END), "
        "sum(CASE WHEN s.state = 'completed' THEN s.debt_recovered END), "
        "sum(CASE WHEN s.state = 'completed' THEN s.energy END), "
        "sum(s.state = 'cancelled'), sum(s.state = 'failed') "
        "FROM sales s JOIN users u ON u.id = s.cashier_id "
        "WHERE s.created_at >= ? AND s.created_at < ? GROUP BY u.login ORDER BY u.login", error);
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, to);
    while (sqlite3_step(s) == SQLITE_ROW) {
        GPtrArray *row = g_ptr_array_new();
        g_ptr_array_add(row, kv_db_col_text(s, 0));
        g_ptr_array_add(row, g_strdup_printf("%lld", (long long)sqlite3_column_int64(s, 1)));
        for (int c = 2; c <= 6; c++)
            g_ptr_array_add(row, money(st, sqlite3_column_int64(s, c)));
        g_ptr_array_add(row, kv_energy_format(sqlite3_column_int64(s, 7)));
        g_ptr_array_add(row, g_strdup_printf("%lld", (long long)sqlite3_column_int64(s, 8)));
        g_ptr_array_add(row, g_strdup_printf("%lld", (long long)sqlite3_column_int64(s, 9)));
        add_row(t, row);
        tot.count += sqlite3_column_int64(s, 1);
        tot.amount += sqlite3_column_int64(s, 2);
        tot.vat += sqlite3_column_int64(s, 4);
        tot.energy += sqlite3_column_int64(s, 7);
    }
    {
        g_autofree char *a = money(st, tot.amount), *v = money(st, tot.vat);
        g_autofree char *e = kv_energy_format(tot.energy);
        summary(t, "completed sales: %" G_GINT64_FORMAT, tot.count);
        summary(t, "amount taken: %s", a);
        summary(t, "VAT: %s", v);
        summary(t, "energy sold kWh: %s", e);
    }
    return g_steal_pointer(&t);
}

KvTable *kv_report_monthly(KvStation *st, gint64 month, GError **error)
{
    static const char *const cols[] = { "day", "sales", "amount", "VAT", "energy kWh", NULL };
    gint64 from = kv_month_start(month);
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(from);
    g_autoptr(GDateTime) next = g_date_time_add_months(d, 1);
    g_autoptr(KvTable) t = NULL;
    g_autofree char *mname = g_date_time_format(d, "%Y-%m");
    g_autofree char *title = g_strdup_printf("Monthly sales - %s", mname);
    Totals tot = { 0 };

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    t = table_new(title, cols);
    /* One range query per day keeps each on the created_at index and the
     * local-time day boundaries exact (daylight saving included). */
    for (GDateTime *day = g_date_time_ref(d), *after; day; day = after) {
        g_autoptr(KvStmt) s = NULL;
        GPtrArray *row;
        if (g_date_time_compare(day, next) >= 0) {
            g_date_time_unref(day);
            break;
        }
        after = g_date_time_add_days(day, 1);
        s = kv_db_stmt(st, "SELECT count(*), coalesce(sum(amount), 0), coalesce(sum(vat), 0), "
                           "coalesce(sum(energy), 0) FROM sales WHERE created_at >= ? AND "
                           "created_at < ? AND state = 'completed'", error);
        if (!s || (sqlite3_bind_int64(s, 1, g_date_time_to_unix(day)),
                   sqlite3_bind_int64(s, 2, g_date_time_to_unix(after)),
                   sqlite3_step(s) != SQLITE_ROW)) {
            if (s)
                kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), "monthly report");
            g_date_time_unref(day);
            g_date_time_unref(after);
            return NULL;
        }
        row = g_ptr_array_new();
        g_ptr_array_add(row, g_date_time_format(day, "%Y-%m-%d"));
        g_ptr_array_add(row, g_strdup_printf("%lld", (long long)sqlite3_column_int64(s, 0)));
        g_ptr_array_add(row, money(st, sqlite3_column_int64(s, 1)));
        g_ptr_array_add(row, money(st, sqlite3_column_int64(s, 2)));
        g_ptr_array_add(row, kv_energy_format(sqlite3_column_int64(s, 3)));
        add_row(t, row);
        tot.count += sqlite3_column_int64(s, 0);
        tot.amount += sqlite3_column_int64(s, 1);
        tot.vat += sqlite3_column_int64(s, 2);
        tot.energy += sqlite3_column_int64(s, 3);
        g_date_time_unref(day);
    }
    {
        g_autofree char *a = money(st, tot.amount), *v = money(st, tot.vat);
        g_autofree char *e = kv_energy_format(tot.energy);
        summary(t, "completed sales: %" G_GINT64_FORMAT, tot.count);
        summary(t, "amount taken: %s", a);
        summary(t, "VAT: %s", v);
        summary(t, "energy sold kWh: %s", e);
    }
    return g_steal_pointer(&t);
}

/* ---- customer history ---- */

KvTable *kv_report_customer(KvStation *st, gint64 customer_id, GError **error)
{
    static const char *const cols[] = { "receipt", "time", "meter", "state", "amount",
                                        "energy kWh", "debt recovered", "cashier", NULL };
    g_autoptr(KvCustomer) c = NULL;
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(KvTable) t = NULL;
    g_autofree char *title = NULL, *debt = NULL;
    gint64 total = 0;

    if (!kv_station_require(st, KV_ROLE_CASHIER, error) ||
        !(c = kv_customer_get(st, customer_id, error)))
        return NULL;
    title = g_strdup_printf("Purchase history - %s (%s)", c->name, c->account);
    t = table_new(title, cols);
    s = kv_db_stmt(st, "SELECT s.id, s.created_at, s.meter_number, s.state, s.amount, s.energy, "
                       "s.debt_recovered, u.login FROM sales s JOIN users u ON u.id = s.cashier_id "
                       "WHERE s.customer_id = ? ORDER BY s.created_at DESC, s.id DESC", error);
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, customer_id);
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
        if (g_strcmp0((const char *)sqlite3_column_text(s, 3), "completed") == 0)
            total += sqlite3_column_int64(s, 4);
        add_row(t, row);
    }
    debt = money(st, c->debt);
    summary(t, "account: %s", c->account);
    summary(t, "address: %s", c->address);
    summary(t, "debt: %s", debt);
    {
        g_autofree char *tt = money(st, total);
        summary(t, "total completed: %s", tt);
    }
    return g_steal_pointer(&t);
}

/* ---- meter consumption ---- */

KvTable *kv_report_meter(KvStation *st, guint32 meter, GError **error)
{
    static const char *const cols[] = { "read", "counter", "total kWh", "used kWh", "remaining kWh",
                                        "loaded kWh", "L1 kWh", "L2 kWh", "L3 kWh", "status",
                                        "anomaly", NULL };
    g_autoptr(KvMeter) m = NULL;
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(KvTable) t = NULL;
    g_autofree char *title = NULL;
    gint64 prev = -1, first = -1, last = -1;
    guint anomalies = 0;

    if (!kv_station_require(st, KV_ROLE_CASHIER, error) || !(m = kv_meter_get(st, meter, error)))
        return NULL;
    title = g_strdup_printf("Meter %09u - consumption from readbacks", meter);
    t = table_new(title, cols);
    s = kv_db_stmt(st, "SELECT read_at, counter, total_energy, remaining, cumulative_loaded, "
                       "energy_l1, energy_l2, energy_l3, status, sold_then FROM meter_readings "
                       "WHERE meter_number = ? ORDER BY counter", error);
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, meter);
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
            g_ptr_array_add(row, g_strdup_printf("loaded %s kWh more than sold", ex));
            anomalies++;
        } else {
            g_ptr_array_add(row, g_strdup(""));
        }
        add_row(t, row);
        if (first < 0)
            first = total;
        last = total;
        prev = total;
    }
    {
        g_autofree char *used = kv_energy_format(first < 0 ? 0 : last - first);
        g_autofree char *sold = kv_energy_format(m->cumulative_sold);
        summary(t, "readings: %u", t->rows->len);
        summary(t, "energy used between first and last reading kWh: %s", used);
        summary(t, "cumulative sold here kWh: %s", sold);
        summary(t, "readings that loaded more than was sold: %u%s", anomalies,
                anomalies ? " (ANOMALY: possible restored card dump or extracted key; see the "
                            "audit log, action meter.anomaly)" : "");
    }
    return g_steal_pointer(&t);
}
