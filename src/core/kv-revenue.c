/* kv-revenue.c - revenue protection from the readbacks (kv-revenue.h). */
#include <string.h>

#include "kv-i18n.h"
#include "kv-events.h"
#include "kv-money.h"
#include "kv-revenue.h"
#include "kv-sale-state.h"
#include "kv-db.h"
#include "kv-reports-private.h"
#include "kv-station-private.h"
#include "kv_card.h"

#define DAY 86400
#define HOUR 3600

enum { F_TAMPER, F_LOADED, F_ABSENT, F_DROP, F_OVER_ZERO, N_FINDINGS };
static const char *const finding_keys[N_FINDINGS] = {
    "tamper", "loaded-above-sold", "card-absent", "consumption-drop", "over-zero"
};

/* One readback, as the report reads it. */
typedef struct {
    gint64 at, total, remaining, loaded, sold_then; /* sold_then < 0: unknown */
    guint8 status;
    guint8 events[KV_READBACK_EVENTS];
} Reading;

/* What one meter's readbacks showed. */
typedef struct {
    guint32 meter;
    guint n;                /* readbacks seen */
    Reading last[3];        /* the newest three, newest last */
    gint64 tamper_at, over_at, loaded_at, excess, lowest;
    char *tamper_detail;
} Scan;

static void scan_reset(Scan *m, guint32 meter)
{
    g_free(m->tamper_detail);
    *m = (Scan){ .meter = meter };
}

static void scan_add(Scan *m, const Reading *r)
{
    gboolean tamper = (r->status & KV_RB_TAMPER) != 0;
    for (guint i = 0; i < KV_READBACK_EVENTS; i++)
        tamper |= kv_event_is_tamper(r->events[i]);
    if (tamper) {
        g_autofree char *ev = kv_events_text(r->events, KV_READBACK_EVENTS);
        g_autofree char *stx = kv_status_text(r->status);
        g_free(m->tamper_detail);
        m->tamper_detail = g_strdup_printf(_("status: %s; events: %s"), stx, ev);
        m->tamper_at = r->at;
    }
    if (r->remaining < 0 && (!m->over_at || r->remaining < m->lowest)) {
        m->over_at = r->at;
        m->lowest = r->remaining;
    }
    if (r->sold_then >= 0 && r->loaded - r->sold_then > m->excess) {
        m->excess = r->loaded - r->sold_then;
        m->loaded_at = r->at;
    }
    memmove(&m->last[0], &m->last[1], 2 * sizeof(Reading));
    m->last[2] = *r;
    m->n++;
}

static void row(KvStation *st, KvTable *t, guint32 meter, const char *account, int finding,
                gint64 at, char *detail, guint counts[N_FINDINGS])
{
    GPtrArray *r = g_ptr_array_new();
    g_ptr_array_add(r, g_strdup_printf("%09u", meter));
    g_ptr_array_add(r, g_strdup(account));
    g_ptr_array_add(r, g_strdup(finding_keys[finding]));
    g_ptr_array_add(r, detail);
    g_ptr_array_add(r, at ? kv_report_when(at) : g_strdup(C_("last readback", "never")));
    kv_report_add_row(t, r);
    counts[finding]++;
}

/* kWh a day over an interval, for people ("12.50"). */
static char *per_day(gint64 energy, gint64 seconds)
{
    return kv_energy_format(seconds > 0 ? energy * DAY / seconds : 0);
}

/* The findings of one meter from its scan. */
static void findings(KvStation *st, KvTable *t, const Scan *m, const char *account,
                     const KvRevenueParams *p, guint counts[N_FINDINGS])
{
    if (m->tamper_at)
        row(st, t, m->meter, account, F_TAMPER, m->tamper_at, g_strdup(m->tamper_detail), counts);
    if (m->excess > 0) {
        g_autofree char *x = kv_energy_format(m->excess);
        row(st, t, m->meter, account, F_LOADED, m->loaded_at,
            g_strdup_printf(_("loaded %s kWh more than sold"), x), counts);
    }
    if (m->over_at) {
        g_autofree char *x = kv_energy_format(m->lowest);
        row(st, t, m->meter, account, F_OVER_ZERO, m->over_at,
            g_strdup_printf(_("remaining %s kWh"), x), counts);
    }
    if (m->n >= 3) {
        const Reading *a = &m->last[0], *b = &m->last[1], *c = &m->last[2];
        gint64 e1 = b->total - a->total, e2 = c->total - b->total;
        gint64 h1 = MAX((b->at - a->at) / HOUR, 1), h2 = MAX((c->at - b->at) / HOUR, 1);
        /* e2 / h2 <= e1 / h1 x (100 - drop) / 100, in integers. */
        if (e1 > 0 && e2 * h1 * 100 <= e1 * h2 * (gint64)(100 - p->drop_pct)) {
            g_autofree char *r1 = per_day(e1, b->at - a->at), *r2 = per_day(e2, c->at - b->at);
            row(st, t, m->meter, account, F_DROP, c->at,
                g_strdup_printf(_("%s kWh a day, then %s kWh a day"), r1, r2), counts);
        }
    }
}

/* Readbacks of every meter, meter by meter in counter order. */
static gboolean scan_readings(KvStation *st, KvTable *t, GHashTable *accounts,
                              const KvRevenueParams *p, guint counts[N_FINDINGS], GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT meter_number, read_at, total_energy, remaining, "
                                         "cumulative_loaded, coalesce(sold_then, -1), status, "
                                         "events FROM meter_readings ORDER BY meter_number, "
                                         "counter", error);
    Scan m = { 0 };
    int rc;
    if (!s)
        return FALSE;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        guint32 meter = (guint32)sqlite3_column_int64(s, 0);
        Reading r = { sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
                      sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4),
                      sqlite3_column_int64(s, 5), (guint8)sqlite3_column_int(s, 6), { 0 } };
        memcpy(r.events, sqlite3_column_blob(s, 7),
               MIN((gsize)sqlite3_column_bytes(s, 7), sizeof r.events));
        if (meter != m.meter) {
            if (m.n)
                findings(st, t, &m, g_hash_table_lookup(accounts, GUINT_TO_POINTER(m.meter)),
                         p, counts);
            scan_reset(&m, meter);
        }
        scan_add(&m, &r);
    }
    if (m.n)
        findings(st, t, &m, g_hash_table_lookup(accounts, GUINT_TO_POINTER(m.meter)), p, counts);
    scan_reset(&m, 0);
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading readbacks"));
        return FALSE;
    }
    return TRUE;
}

KvTable *kv_report_revenue(KvStation *st, gint64 now, const KvRevenueParams *params,
                           GError **error)
{
    static const char *const cols[] = {
        NC_("report column", "meter"), NC_("report column", "account"),
        NC_("report column", "finding"), NC_("report column", "detail"),
        NC_("report column", "seen"), NULL
    };
    KvRevenueParams p = { params && params->absent_days ? params->absent_days : 60,
                          params && params->drop_pct ? MIN(params->drop_pct, 100) : 50 };
    g_autoptr(GHashTable) accounts = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(KvTable) t = NULL;
    guint counts[N_FINDINGS] = { 0 };

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) ||
        !(s = kv_db_query(st, "SELECT m.number, coalesce(c.account, ''), m.status = ?, "
                              "(SELECT max(read_at) FROM meter_readings WHERE meter_number = "
                              "m.number), (SELECT min(created_at) FROM sales WHERE meter_number = "
                              "m.number AND state = ?) FROM meters m LEFT JOIN customers "
                              "c ON c.id = m.customer_id ORDER BY m.number", error,
                          KV_DB_VALUES(KV_METER_STATUS(KV_METER_STATUS_ACTIVE),
                                       KV_STATE(KV_SALE_COMPLETED)))))
        return NULL;
    t = kv_report_table_new(_("Revenue protection"), cols);
    while (sqlite3_step(s) == SQLITE_ROW) {
        guint32 meter = (guint32)sqlite3_column_int64(s, 0);
        gboolean seen = sqlite3_column_type(s, 3) != SQLITE_NULL;
        gint64 since = sqlite3_column_int64(s, seen ? 3 : 4);
        g_hash_table_insert(accounts, GUINT_TO_POINTER(meter), kv_db_col_text(s, 1));
        /* Active, sold to, and no card back since the cut-off. */
        if (sqlite3_column_int(s, 2) && sqlite3_column_type(s, 4) != SQLITE_NULL &&
            since < now - (gint64)p.absent_days * DAY)
            row(st, t, meter, g_hash_table_lookup(accounts, GUINT_TO_POINTER(meter)), F_ABSENT,
                seen ? since : 0,
                g_strdup_printf(_("no readback for %" PRId64 " days"),
                                (now - since) / DAY), counts);
    }
    if (!scan_readings(st, t, accounts, &p, counts, error))
        return NULL;
    for (guint i = 0; i < N_FINDINGS; i++)
        kv_report_summary(t, finding_keys[i], "%u", counts[i]);
    kv_report_summary(t, NC_("report summary", "meter history"), "%s",
                      _("kilovendctl report meter --meter N"));
    return g_steal_pointer(&t);
}
