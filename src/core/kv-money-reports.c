/* kv-money-reports.c - arrears, dormant customers, statements. */
#include "kv-i18n.h"
#include "kv-arrears.h"
#include "kv-money.h"
#include "kv-payments.h"
#include "kv-money-reports.h"
#include "kv-receipt-private.h"
#include "kv-registry.h"
#include "kv-sale-state.h"
#include "kv-time.h"
#include "kv-db.h"
#include "kv-reports-private.h"
#include "kv-station-private.h"

#define DAY 86400

/* A plan as one line: "share 20.00 % min 5.00 max 50.00", "fixed 10.00",
 * "monthly 100.00", or "tariff" (no plan in force: the tariff's share). */
static char *plan_text(KvStation *st, const KvDebtPlan *p)
{
    g_autofree char *a = NULL, *b = NULL, *pct = NULL;
    if (!p)
        return g_strdup(C_("recovery plan", "tariff"));
    if (p->kind != KV_PLAN_SHARE) {
        a = kv_station_format_money(st, p->amount);
        return g_strdup_printf("%s %s", kv_plan_kind_key(p->kind), a);
    }
    pct = kv_decimal_format(p->share_bp, 2);
    a = kv_station_format_money(st, p->min_amount);
    b = p->max_amount ? kv_station_format_money(st, p->max_amount) : g_strdup("-");
    return g_strdup_printf("share %s %% min %s max %s", pct, a, b);
}

/* A report for role and up: its table (title, columns), or NULL. */
static KvTable *start(KvStation *st, KvRole role, const char *title, const char *const *cols,
                      GError **error)
{
    return kv_station_require(st, role, error) ? kv_report_table_new(title, cols) : NULL;
}

/* The age bucket of `days`: 0 (0-30), 1 (31-90), 2 (over 90). */
static guint age_bucket(gint64 days)
{
    return days <= 30 ? 0 : days <= 90 ? 1 : 2;
}

/* The customers with a recovery plan in force at now (gint64 ids): the
 * others need no look-up. */
static GHashTable *customers_with_plan(KvStation *st, gint64 now, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT DISTINCT customer_id FROM debt_plans WHERE "
                                          "starts_at <= ?1 AND (ends_at IS NULL OR ends_at > ?1)",
                                      error, KV_DB_VALUES(KV_INT(now)));
    GHashTable *ids;
    if (!s)
        return NULL;
    ids = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    while (sqlite3_step(s) == SQLITE_ROW)
        g_hash_table_add(ids, g_memdup2(&(gint64){ sqlite3_column_int64(s, 0) }, sizeof(gint64)));
    return ids;
}

KvTable *kv_report_arrears(KvStation *st, gint64 now, GError **error)
{
    static const char *const cols[] = {
        NC_("report column", "account"), NC_("report column", "name"),
        NC_("report column", "debt"), NC_("report column", "plan"),
        NC_("report column", "last recovery"), NC_("report column", "days"),
        NC_("report column", "age"), NULL
    };
    static const char *const ages[] = { "0-30", "31-90", "90+" };
    gint64 total[3] = { 0 }, count[3] = { 0 };
    g_autoptr(KvTable) t = start(st, KV_ROLE_SUPERVISOR, _("Arrears"), cols, error);
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(GHashTable) planned = NULL;

    /* customers_in_debt holds exactly these; debt_movements_customer
     * answers each max and min. */
    if (!t || !(s = kv_db_stmt(st, "SELECT c.id, c.account, c.name, c.debt, (SELECT max(at) FROM "
                             "debt_movements WHERE customer_id = c.id AND kind = 'recovered'), "
                             "(SELECT min(at) FROM debt_movements WHERE customer_id = c.id) "
                             "FROM customers c WHERE c.debt > 0 ORDER BY c.debt DESC, c.id",
                         error)))
        return NULL;
    if (!(planned = customers_with_plan(st, now, error)))
        return NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        gboolean recovered = sqlite3_column_type(s, 4) != SQLITE_NULL;
        gint64 since = sqlite3_column_int64(s, recovered ? 4 : 5), id = sqlite3_column_int64(s, 0);
        gint64 days = MAX(now - since, 0) / DAY, debt = sqlite3_column_int64(s, 3);
        g_autoptr(KvDebtPlan) p = g_hash_table_contains(planned, &id)
                                      ? kv_debt_plan_current(st, id, now, NULL) : NULL;
        GPtrArray *row = g_ptr_array_new();
        guint b = age_bucket(days);

        g_ptr_array_add(row, kv_db_col_text(s, 1));
        g_ptr_array_add(row, kv_db_col_text(s, 2));
        g_ptr_array_add(row, kv_station_format_money(st, debt));
        g_ptr_array_add(row, plan_text(st, p));
        g_ptr_array_add(row, recovered ? kv_report_when(since)
                                       : g_strdup(C_("last recovery", "never")));
        g_ptr_array_add(row, g_strdup_printf("%" G_GINT64_FORMAT, days));
        g_ptr_array_add(row, g_strdup(ages[b]));
        kv_report_add_row(t, row);
        total[b] += debt;
        count[b]++;
    }
    {
        g_autofree char *all = kv_station_format_money(st, total[0] + total[1] + total[2]);
        g_autofree char *a0 = kv_station_format_money(st, total[0]);
        g_autofree char *a1 = kv_station_format_money(st, total[1]);
        g_autofree char *a2 = kv_station_format_money(st, total[2]);
        kv_report_summary(t, NC_("report summary", "customers in debt"), "%u", t->rows->len);
        kv_report_summary(t, NC_("report summary", "total debt"), "%s", all);
        kv_report_summary(t, NC_("report summary", "0-30 days"), "%s (%" G_GINT64_FORMAT ")", a0,
                          count[0]);
        kv_report_summary(t, NC_("report summary", "31-90 days"), "%s (%" G_GINT64_FORMAT ")",
                          a1, count[1]);
        kv_report_summary(t, NC_("report summary", "over 90 days"), "%s (%" G_GINT64_FORMAT ")",
                          a2, count[2]);
    }
    return g_steal_pointer(&t);
}

KvTable *kv_report_dormant(KvStation *st, gint64 now, guint days, GError **error)
{
    static const char *const cols[] = {
        NC_("report column", "account"), NC_("report column", "name"),
        NC_("report column", "last purchase"), NC_("report column", "days"),
        NC_("report column", "debt"), NULL
    };
    g_autofree char *title = g_strdup_printf(_("Customers with no purchase in %u days"), days);
    g_autoptr(KvTable) t = start(st, KV_ROLE_SUPERVISOR, title, cols, error);
    g_autoptr(KvStmt) s = NULL;

    /* customers.last_purchase, kept with the sales (db/008-money.sql), on
     * its index. */
    if (!t || !(s = kv_db_query(st, "SELECT account, name, debt, last_purchase FROM customers "
                                    "WHERE last_purchase IS NULL OR last_purchase < ? "
                                    "ORDER BY last_purchase, account", error,
                                KV_DB_VALUES(KV_INT(now - (gint64)days * DAY)))))
        return NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        GPtrArray *row = g_ptr_array_new();
        gboolean never = sqlite3_column_type(s, 3) == SQLITE_NULL;
        g_ptr_array_add(row, kv_db_col_text(s, 0));
        g_ptr_array_add(row, kv_db_col_text(s, 1));
        g_ptr_array_add(row, never ? g_strdup(C_("last purchase", "never"))
                                   : kv_report_when(sqlite3_column_int64(s, 3)));
        g_ptr_array_add(row, never ? g_strdup("")
                                   : g_strdup_printf("%lld", (long long)((now -
                                                     sqlite3_column_int64(s, 3)) / DAY)));
        g_ptr_array_add(row, kv_station_format_money(st, sqlite3_column_int64(s, 2)));
        kv_report_add_row(t, row);
    }
    kv_report_summary(t, NC_("report summary", "customers"), "%u", t->rows->len);
    return g_steal_pointer(&t);
}

KvTable *kv_report_debt(KvStation *st, gint64 customer_id, GError **error)
{
    static const char *const cols[] = {
        NC_("report column", "time"), NC_("report column", "movement"),
        NC_("report column", "amount"), NC_("report column", "balance"),
        NC_("report column", "sale"), NC_("report column", "by"),
        NC_("report column", "reason"), NULL
    };
    g_autoptr(KvCustomer) c = kv_customer_get(st, customer_id, error);
    g_autoptr(GPtrArray) moves = c ? kv_debt_movements(st, customer_id, 0, 0, error) : NULL;
    g_autofree char *title = c ? g_strdup_printf(_("Debt - %s (%s)"), c->name, c->account) : NULL;
    g_autoptr(KvTable) t = moves ? start(st, KV_ROLE_CASHIER, title, cols, error) : NULL;
    g_autoptr(KvDebtPlan) p = NULL;
    g_autofree char *bal = NULL, *plan = NULL;
    gint64 balance = 0;

    if (!t)
        return NULL;
    for (guint i = 0; i < moves->len; i++) {
        const KvDebtMovement *m = moves->pdata[i];
        GPtrArray *row = g_ptr_array_new();
        balance += m->amount;
        g_ptr_array_add(row, kv_report_when(m->at));
        g_ptr_array_add(row, g_strdup(kv_debt_kind_key(m->kind)));
        g_ptr_array_add(row, kv_station_format_money(st, m->amount));
        g_ptr_array_add(row, kv_station_format_money(st, balance));
        g_ptr_array_add(row, m->sale_id ? g_strdup_printf("%" G_GINT64_FORMAT, m->sale_id)
                                        : g_strdup(""));
        g_ptr_array_add(row, g_strdup(m->user_login ? m->user_login : ""));
        g_ptr_array_add(row, g_strdup(m->reason));
        kv_report_add_row(t, row);
    }
    p = kv_debt_plan_current(st, customer_id, kv_now(), NULL);
    bal = kv_station_format_money(st, c->debt);
    plan = plan_text(st, p);
    kv_report_summary(t, NC_("report summary", "debt"), "%s", bal);
    kv_report_summary(t, NC_("report summary", "recovery plan"), "%s", plan);
    return g_steal_pointer(&t);
}

/* ---- customer statement ---- */

typedef struct {
    gint64 at, order;  /* time, then the order found */
    gint64 debt;       /* the row's debt movement (0: none) */
    GPtrArray *cells;  /* the row before its balance cell */
} Entry;

static gint entry_cmp(gconstpointer a, gconstpointer b)
{
    const Entry *x = a, *y = b;
    return x->at != y->at ? (x->at < y->at ? -1 : 1) : (x->order < y->order ? -1 : 1);
}

static void entry_clear(gpointer p)
{
    Entry *e = p;
    if (e->cells)
        g_ptr_array_free(e->cells, TRUE);
}

static Entry *entry_new(GArray *entries, gint64 at, const char *what, gint64 receipt)
{
    Entry e = { at, entries->len, 0, g_ptr_array_new_with_free_func(g_free) };
    g_ptr_array_add(e.cells, kv_report_when(at));
    g_ptr_array_add(e.cells, g_strdup(what));
    g_ptr_array_add(e.cells, receipt ? g_strdup_printf("%" G_GINT64_FORMAT, receipt)
                                     : g_strdup(""));
    g_array_append_val(entries, e);
    return &g_array_index(entries, Entry, entries->len - 1);
}

/* The movement of a sale (kind) in the period, taken out of moves. */
static gint64 take_movement(GPtrArray *moves, gint64 sale_id, KvDebtKind kind)
{
    for (guint i = 0; i < moves->len; i++) {
        KvDebtMovement *m = moves->pdata[i];
        if (m->sale_id == sale_id && m->kind == kind) {
            gint64 v = m->amount;
            g_ptr_array_remove_index(moves, i);
            return v;
        }
    }
    return 0;
}

typedef struct {
    gint64 bought, bought_n, energy, refunded, refunded_n, recovered;
    gint64 grants, free_energy; /* free allocations kept (granted less taken back) */
} StatementTotals;

/* A sale's free allocation as its own entry (taken back: refund). */
static void free_entry(GArray *entries, gint64 at, gint64 id, guint32 meter, gint64 free_energy,
                       gboolean refund, StatementTotals *tot)
{
    Entry *e = entry_new(entries, at, refund ? C_("statement", "free allocation taken back")
                                             : C_("statement", "free allocation"), id);
    g_ptr_array_add(e->cells, g_strdup_printf("%09u", meter));
    g_ptr_array_add(e->cells, g_strdup(""));
    g_ptr_array_add(e->cells, g_strdup(""));
    g_ptr_array_add(e->cells, kv_energy_format(refund ? -free_energy : free_energy));
    tot->grants += refund ? -1 : 1;
    tot->free_energy += refund ? -free_energy : free_energy;
}

/* The purchases and refunds of the period as entries. */
static gboolean sale_entries(KvStation *st, gint64 customer_id, gint64 from, gint64 to,
                             GArray *entries, GPtrArray *moves, StatementTotals *tot,
                             GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT id, created_at, updated_at, meter_number, state, "
                                          "amount, energy, payment, free_energy FROM sales WHERE "
                                          "customer_id = "
                                          "?1 AND created_at < ?3 AND state IN (?4, ?5) AND "
                                          "(created_at >= ?2 OR (state = ?5 AND updated_at >= ?2)) "
                                          "ORDER BY created_at", error,
                                      KV_DB_VALUES(KV_INT(customer_id), KV_INT(from), KV_INT(to),
                                                   KV_STATE(KV_SALE_COMPLETED),
                                                   KV_STATE(KV_SALE_CANCELLED)));
    if (!s)
        return FALSE;
    while (sqlite3_step(s) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(s, 0), created = sqlite3_column_int64(s, 1);
        gint64 updated = sqlite3_column_int64(s, 2), amount = sqlite3_column_int64(s, 5);
        gint64 energy = sqlite3_column_int64(s, 6);
        gboolean cancelled = kv_sale_state_from_name((const char *)sqlite3_column_text(s, 4)) ==
                             KV_SALE_CANCELLED;
        const char *pay = kv_payment_key((KvPaymentType)sqlite3_column_int(s, 7));
        gint64 free_energy = sqlite3_column_int64(s, 8);
        guint32 meter = (guint32)sqlite3_column_int64(s, 3);
        for (int refund = 0; refund <= cancelled; refund++) {
            gint64 t = refund ? updated : created;
            Entry *e;
            if (t < from || t >= to)
                continue;
            if (amount) {
                e = entry_new(entries, t, refund ? C_("statement", "refund")
                                                 : C_("statement", "purchase"), id);
                g_ptr_array_add(e->cells, g_strdup_printf("%09u", meter));
                g_ptr_array_add(e->cells, kv_station_format_money(st, refund ? -amount : amount));
                g_ptr_array_add(e->cells, g_strdup(pay));
                g_ptr_array_add(e->cells, kv_energy_format(refund ? -energy : energy));
                e->debt = take_movement(moves, id, refund ? KV_DEBT_RESTORED : KV_DEBT_RECOVERED);
                if (refund) {
                    tot->refunded += amount;
                    tot->refunded_n++;
                } else {
                    tot->bought += amount;
                    tot->bought_n++;
                    tot->energy += energy;
                }
                tot->recovered -= e->debt;
            }
            /* the free allocation the token carried: its own entry */
            if (free_energy)
                free_entry(entries, t, id, meter, free_energy, refund, tot);
        }
    }
    return TRUE;
}

KvTable *kv_report_statement(KvStation *st, gint64 customer_id, gint64 from, gint64 to,
                             GError **error)
{
    static const char *const cols[] = {
        NC_("report column", "time"), NC_("report column", "entry"),
        NC_("report column", "receipt"), NC_("report column", "meter"),
        NC_("report column", "paid"), NC_("report column", "payment"),
        NC_("report column", "energy kWh"), NC_("report column", "debt"),
        NC_("report column", "debt balance"), NULL
    };
    g_autoptr(KvCustomer) c = kv_customer_get(st, customer_id, error);
    g_autoptr(GPtrArray) moves = c ? kv_debt_movements(st, customer_id, from, to, error) : NULL;
    g_autoptr(GArray) entries = g_array_new(FALSE, FALSE, sizeof(Entry));
    g_autofree char *title = NULL, *p1 = kv_report_when(from), *p2 = kv_report_when(to);
    g_autoptr(KvTable) t = NULL;
    StatementTotals tot = { 0 };
    gint64 opening, balance;

    g_array_set_clear_func(entries, entry_clear);
    if (!moves || !kv_debt_balance_at(st, customer_id, from, &opening, error))
        return NULL;
    title = g_strdup_printf(_("Statement - %s (%s), %s to %s"), c->name, c->account, p1, p2);
    if (!(t = start(st, KV_ROLE_CASHIER, title, cols, error)) ||
        !sale_entries(st, customer_id, from, to, entries, moves, &tot, error))
        return NULL;
    /* The movements no sale row took: their own rows. */
    for (guint i = 0; i < moves->len; i++) {
        const KvDebtMovement *m = moves->pdata[i];
        g_autofree char *what = *m->reason ? g_strdup_printf("%s (%s)",
                                                             kv_debt_kind_label(m->kind),
                                                             m->reason)
                                           : g_strdup(kv_debt_kind_label(m->kind));
        Entry *e = entry_new(entries, m->at, what, m->sale_id);
        for (int k = 0; k < 4; k++)
            g_ptr_array_add(e->cells, g_strdup(""));
        e->debt = m->amount;
        if (m->kind == KV_DEBT_RECOVERED || m->kind == KV_DEBT_RESTORED)
            tot.recovered -= m->amount;
    }
    g_array_sort(entries, entry_cmp);
    balance = opening;
    for (guint i = 0; i < entries->len; i++) {
        Entry *e = &g_array_index(entries, Entry, i);
        balance += e->debt;
        g_ptr_array_add(e->cells, e->debt ? kv_station_format_money(st, e->debt) : g_strdup(""));
        g_ptr_array_add(e->cells, kv_station_format_money(st, balance));
        kv_report_add_row(t, g_steal_pointer(&e->cells));
    }
    {
        g_autofree char *o = kv_station_format_money(st, opening);
        g_autofree char *cl = kv_station_format_money(st, balance);
        g_autofree char *b = kv_station_format_money(st, tot.bought);
        g_autofree char *r = kv_station_format_money(st, tot.refunded);
        g_autofree char *d = kv_station_format_money(st, tot.recovered);
        g_autofree char *en = kv_energy_format(tot.energy);
        kv_report_summary(t, NC_("report summary", "account"), "%s", c->account);
        kv_report_summary(t, NC_("report summary", "opening debt"), "%s", o);
        kv_report_summary(t, NC_("report summary", "purchases"), "%" G_GINT64_FORMAT " (%s)",
                          tot.bought_n, b);
        kv_report_summary(t, NC_("report summary", "energy bought kWh"), "%s", en);
        {
            g_autofree char *fe = kv_energy_format(tot.free_energy);
            kv_report_summary(t, NC_("report summary", "free allocations"),
                              "%" G_GINT64_FORMAT " (%s kWh)", tot.grants, fe);
        }
        kv_report_summary(t, NC_("report summary", "refunds"), "%" G_GINT64_FORMAT " (%s)",
                          tot.refunded_n, r);
        kv_report_summary(t, NC_("report summary", "debt recovered"), "%s", d);
        kv_report_summary(t, NC_("report summary", "closing debt"), "%s", cl);
    }
    return g_steal_pointer(&t);
}

gboolean kv_statement_write_pdf(KvStation *st, gint64 customer_id, gint64 from, gint64 to,
                                const char *path, GError **error)
{
    g_autoptr(KvTable) t = kv_report_statement(st, customer_id, from, to, error);
    g_autofree char *text = t ? kv_table_to_text(t) : NULL;
    g_autofree char *head = NULL;
    if (!t)
        return FALSE;
    head = g_strdup_printf("%s\n\n%s", kv_station_settings(st)->utility_name, text);
    return kv_receipt_text_pdf(head, 210.0, path, error);
}
