/* test-central-reports.c - the head office's reports (db/central/007):
 * one day and one month by station, office and utility; the month's days;
 * a customer's history across offices; who may run them; the command that
 * prints them.  Sales pushed by the stations over TLS as in the field. */
#include "central-test.h"

#include <stdio.h>
#include <string.h>

/* 2023-11-14 00:00:00 UTC. */
#define DAY1 G_GINT64_CONSTANT(1699920000)
#define HOUR G_GINT64_CONSTANT(3600)
#define DAY (24 * HOUR)

/* A record with content fields changed (merged in by the server's JSON). */
static char *with(char *rec, const char *fields)
{
    const char *params[] = {rec, fields};
    g_autoptr(GError) error = NULL;
    char *v = kv_pg_query(ct_admin(), "SELECT jsonb_set($1::jsonb, '{content}', ($1::jsonb -> 'content') || "
                          "$2::jsonb)::text", 2, params, NULL, &error);
    if (!v)
        g_error("with: %s", error->message);
    g_free(rec);
    return v;
}

/* Sale `id` of station st at time `at` for `customer` (0: none), with its
 * final state (NULL: none pushed). */
static void push_sale(PGconn *c, guint st, gint64 id, gint64 meter, gint64 at, gint64 amount, gint64 customer,
                      const char *state)
{
    g_autofree char *f = customer ? g_strdup_printf("{\"created_at\": %" G_GINT64_FORMAT ", \"customer\": %"
                                                    G_GINT64_FORMAT "}", at, customer)
                                  : g_strdup_printf("{\"created_at\": %" G_GINT64_FORMAT "}", at);
    char *sale = with(ct_sale(st, id, meter, st * 1000 + meter % 1000, id, amount, amount / 2, id * 100), f);
    g_autofree char *batch = state ? ct_batch(sale, ct_state(st, id, id, state, 0), NULL) : ct_batch(sale, NULL);
    ct_push_status(c, batch, "ok");
}

/* Admin statements, several at once; fails the test on an error. */
static void admin_exec(const char *sql)
{
    PGresult *r = PQexec(ct_admin(), sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        g_error("%s: %s", sql, PQerrorMessage(ct_admin()));
    PQclear(r);
}

static gboolean pushed;

/* Stations 101 and 102 (office 1), 201 (office 2); customer 7 (account
 * ACC-7) owns meter 5001, bought at both offices. */
static void push_fixture(void)
{
    g_autoptr(PGconn) a = NULL, b = NULL, c = NULL;
    if (pushed)
        return;
    pushed = TRUE;
    a = ct_station(101);
    b = ct_station(102);
    c = ct_station(201);
    admin_exec("INSERT INTO kv.tariffs(code) VALUES ('DEFAULT');"
                          "INSERT INTO kv.customers(id, account, name, created_at) VALUES "
                          "(7, 'ACC-7', 'Amina', 0), (8, 'ACC-8', 'Baraka', 0);"
                          "INSERT INTO kv.meters(number, customer_id, tariff_code, key_version, psc_key_version, "
                          "alarm_level, pretrip_level, hoarding_limit, created_at) VALUES "
                          "(5001, 7, 'DEFAULT', 1, 1, 5, 2, 100, 0)");
    /* Day 1: 101 sells 1000 + 2000 (+ 400 cancelled), 102 sells 500 (+ one
     * open sale of 700), 201 sells 3000 to the same customer. */
    push_sale(a, 101, 1, 5001, DAY1 + 8 * HOUR, 1000, 7, "completed");
    push_sale(a, 101, 2, 4001, DAY1 + 9 * HOUR, 2000, 0, "completed");
    push_sale(a, 101, 3, 4001, DAY1 + 10 * HOUR, 400, 0, "cancelled");
    push_sale(b, 102, 1, 4002, DAY1 + 11 * HOUR, 500, 0, "completed");
    push_sale(b, 102, 2, 4002, DAY1 + 12 * HOUR, 700, 0, NULL);
    push_sale(c, 201, 1, 5001, DAY1 + 13 * HOUR, 3000, 7, "completed");
    /* Day 2: 201 sells 100 at 23:30 UTC (02:30 on day 3 in Nairobi), and
     * 102 sells to meter 5001 without the customer field (its meter's). */
    push_sale(c, 201, 2, 4003, DAY1 + DAY + 23 * HOUR + 1800, 100, 0, "cancelling");
    push_sale(b, 102, 3, 5001, DAY1 + DAY + 6 * HOUR, 250, 0, "completed");
    /* December: outside November. */
    push_sale(a, 101, 4, 4001, DAY1 + 20 * DAY, 9999, 0, "completed");
}

/* "sold|amount|cancelled|cancelled_amount|open" of one row of a report. */
static char *row(const char *report, const char *level, const char *office, const char *station)
{
    g_autofree char *sql = g_strdup_printf("SELECT sold || '|' || sold_amount || '|' || cancelled || '|' || "
                                           "cancelled_amount || '|' || open FROM %s WHERE level = '%s' AND "
                                           "office IS NOT DISTINCT FROM %s AND station_no IS NOT DISTINCT FROM %s",
                                           report, level, office, station);
    return ct_admin_value(sql);
}

/* The expected rows of the daily and monthly reports for the fixture. */
static const struct {
    const char *report, *level, *office, *station, *want;
} expected[] = {
    {"kv_report.daily('2023-11-14')", "station", "1", "101", "2|3000|1|400|0"},
    {"kv_report.daily('2023-11-14')", "station", "1", "102", "1|500|0|0|1"},
    {"kv_report.daily('2023-11-14')", "office", "1", "NULL", "3|3500|1|400|1"},
    {"kv_report.daily('2023-11-14')", "station", "2", "201", "1|3000|0|0|0"},
    {"kv_report.daily('2023-11-14')", "office", "2", "NULL", "1|3000|0|0|0"},
    {"kv_report.daily('2023-11-14')", "total", "NULL", "NULL", "4|6500|1|400|1"},
    /* 23:30 UTC on day 2 is day 3 in Nairobi (UTC+3), not day 2. */
    {"kv_report.daily('2023-11-15')", "station", "2", "201", "1|100|0|0|0"},
    {"kv_report.daily('2023-11-15', 'Africa/Nairobi')", "total", "NULL", "NULL", "1|250|0|0|0"},
    {"kv_report.daily('2023-11-16', 'Africa/Nairobi')", "station", "2", "201", "1|100|0|0|0"},
    /* A day with nothing: only the (empty) total. */
    {"kv_report.daily('2023-11-20')", "total", "NULL", "NULL", "0|0|0|0|0"},
    {"kv_report.monthly('2023-11-01')", "station", "1", "101", "2|3000|1|400|0"},
    {"kv_report.monthly('2023-11-01')", "station", "1", "102", "2|750|0|0|1"},
    {"kv_report.monthly('2023-11-01')", "office", "2", "NULL", "2|3100|0|0|0"},
    {"kv_report.monthly('2023-11-01')", "total", "NULL", "NULL", "6|6850|1|400|1"},
    /* Any day of the month names the month. */
    {"kv_report.monthly('2023-11-30')", "total", "NULL", "NULL", "6|6850|1|400|1"},
    {"kv_report.monthly('2023-12-01')", "total", "NULL", "NULL", "1|9999|0|0|0"},
    /* Everything, an interval open at both ends (summaries and sales). */
    {"kv_report.period(0, 9223372036854775807)", "total", "NULL", "NULL", "7|16849|1|400|1"},
    {"kv_report.period(1699920000 + 9 * 3600, 1699920000 + 86400 + 7 * 3600)", "total", "NULL", "NULL", "4|5750|1|400|1"},
    /* Day 2 whole (the summary), day 1 from 12:00 and day 3 to 01:00 (the sales). */
    {"kv_report.period(1699920000 + 12 * 3600, 1699920000 + 2 * 86400 + 3600)", "total", "NULL", "NULL", "3|3350|0|0|1"},
};

/* The expected rows of the reports whose call starts with `prefix`. */
static void assert_rows(const char *prefix)
{
    push_fixture();
    for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
        g_autofree char *got = NULL;
        if (!g_str_has_prefix(expected[i].report, prefix))
            continue;
        got = row(expected[i].report, expected[i].level, expected[i].office, expected[i].station);
        g_test_message("%s %s %s/%s: %s", expected[i].report, expected[i].level, expected[i].office,
                       expected[i].station, got);
        g_assert_cmpstr(got, ==, expected[i].want);
    }
}

/* One day: each station, each office's total (the sum of its stations),
 * the utility's total; cancelled and open sales apart; the day boundary in
 * the time zone asked for. */
static void test_daily(void)
{
    assert_rows("kv_report.daily");
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv_report.daily('2023-11-14')"), ==, 6);
    /* The last row is the utility's total. */
    g_assert_cmpint(ct_admin_int("SELECT sold_amount FROM kv_report.daily('2023-11-14') OFFSET 5"), ==, 6500);
}

/* One month: both November days, not December; the month's days. */
static void test_monthly(void)
{
    g_autofree char *days = NULL;
    assert_rows("kv_report.monthly");
    /* The days: 14th 4 sold (office 1: 3, office 2: 1), 15th 2 sold. */
    days = ct_admin_value("SELECT string_agg(day || ':' || coalesce(office::text, '*') || ':' || sold, ' ' "
                          "ORDER BY day, office NULLS LAST) FROM kv_report.month_days('2023-11-01')");
    g_assert_cmpstr(days, ==, "2023-11-14:1:3 2023-11-14:2:1 2023-11-14:*:4 2023-11-15:1:1 2023-11-15:2:1 2023-11-15:*:2");
}

/* The summaries the reports read (db/central/013) are kept by the push:
 * recomputed from the records they are the same; a summary row edited at
 * head office (a hidden sale, an amount lowered) is found by
 * kv.summary_check(), and kv.summary_rebuild() puts it back; with the
 * report zone moved to Nairobi every report gives what it gave before. */
static void test_summaries(void)
{
    g_autofree char *before = NULL, *after = NULL, *kept = NULL;
    const char *all = "SELECT string_agg(r::text, ' ') FROM (SELECT * FROM kv_report.daily('2023-11-15', 'Africa/Nairobi') "
                      "UNION ALL SELECT * FROM kv_report.daily('2023-11-14') UNION ALL "
                      "SELECT * FROM kv_report.monthly('2023-11-01', 'Africa/Nairobi')) r";

    assert_rows("kv_report.period");
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.summary_check()"), ==, 0);
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.sales_daily WHERE n <> 0"), >, 0);
    before = ct_admin_value(all);

    /* Head office's own superuser lowers a day's takings in the summary. */
    g_free(ct_admin_value("UPDATE kv.sales_daily SET sold_amount = sold_amount - 1000, sold = sold - 1 "
                          "WHERE station_no = 101 AND day = '2023-11-14' RETURNING 1"));
    kept = ct_admin_value("SELECT key || ' ' || (kept ->> 'sold_amount') || '/' || (recomputed ->> 'sold_amount') "
                          "FROM kv.summary_check()");
    g_assert_cmpstr(kept, ==, "station 101 day 2023-11-14 payment unknown 2000/3000");
    g_assert_cmpint(ct_admin_int("SELECT (kv.summary_rebuild() > 0)::int"), ==, 1);
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.summary_check()"), ==, 0);

    /* The summaries by Nairobi's days: the same reports. */
    g_assert_cmpint(ct_admin_int("SELECT (kv.set_report_zone('Africa/Nairobi') > 0)::int"), ==, 1);
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.summary_check()"), ==, 0);
    after = ct_admin_value(all);
    g_assert_cmpstr(after, ==, before);
    ct_assert_refused(ct_admin(), "SELECT kv.set_report_zone('Mars/Olympus')", "22023");
    g_assert_cmpint(ct_admin_int("SELECT (kv.set_report_zone('UTC') > 0)::int"), ==, 1);
}

/* A customer's sales at every office in time order, including a sale pushed
 * without the customer field (by its meter); another customer's are not. */
static void test_customer_history(void)
{
    g_autofree char *h = NULL;
    push_fixture();
    h = ct_admin_value("SELECT string_agg(office || '/' || station_no || '/' || sale || '/' || amount || '/' || state, "
                       "' ' ORDER BY created_at) FROM kv_report.customer_history('ACC-7')");
    g_assert_cmpstr(h, ==, "1/101/1/1000/completed 2/201/1/3000/completed 1/102/3/250/completed");
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv_report.customer_history('ACC-8')"), ==, 0);
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv_report.customer_history('no such')"), ==, 0);
}

/* A station's chain at the centre verifies from row 1 and ends at its head;
 * a row altered at the centre (behind the triggers' back) is found. */
static void test_audit_chain(void)
{
    g_autoptr(PGconn) b = ct_station(102);
    guint8 head[32] = {0};
    char *r1 = ct_audit(102, 1, head, "sale.pending", "sale=1");
    char *r2 = ct_audit(102, 2, head, "sale.completed", "sale=1");
    char *r3 = ct_audit(102, 3, head, "shift.close", "counted=500");
    g_autofree char *batch = ct_batch(r1, r2, r3, NULL);
    g_autofree char *good = NULL, *none = NULL, *bad = NULL;

    push_fixture();
    ct_push_status(b, batch, "ok");
    good = ct_admin_value("SELECT ok || '|' || rows || '|' || (head = (SELECT audit_head_id || '-' || "
                          "encode(audit_head_hash, 'hex') FROM kv.stations WHERE station_no = 102)) "
                          "FROM kv_report.audit_chain(102)");
    g_assert_cmpstr(good, ==, "true|3|true");
    none = ct_admin_value("SELECT ok || '|' || rows FROM kv_report.audit_chain(201)");
    g_assert_cmpstr(none, ==, "true|0");
    admin_exec("ALTER TABLE kv.audit DISABLE TRIGGER audit_immutable; "
               "UPDATE kv.audit SET content = jsonb_set(content, '{detail}', '\"sale=2\"') "
               "WHERE station_no = 102 AND local_id = 2; "
               "ALTER TABLE kv.audit ENABLE TRIGGER audit_immutable");
    bad = ct_admin_value("SELECT ok || '|' || bad_row || '|' || reason FROM kv_report.audit_chain(102)");
    g_assert_cmpstr(bad, ==, "false|2|its hash does not match its content");
}

/* A station (its certificate, over TLS) cannot run a report, nor any
 * function of kv_report: no USAGE on the schema, no EXECUTE. */
static void test_station_refused(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    push_fixture();
    ct_assert_refused(a, "SELECT * FROM kv_report.daily('2023-11-14')", "42501");
    ct_assert_refused(a, "SELECT * FROM kv_report.monthly('2023-11-14')", "42501");
    ct_assert_refused(a, "SELECT * FROM kv_report.customer_history('ACC-7')", "42501");
    ct_assert_refused(a, "SELECT * FROM kv_report.sales_in(0, 9999999999)", "42501");
    ct_assert_refused(a, "SELECT * FROM kv_report.audit_chain(101)", "42501");
    /* The catalogue: no kv_report function is executable by kv_station. */
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                                 "WHERE n.nspname = 'kv_report' AND has_function_privilege('kv_station_00101', "
                                 "p.oid, 'EXECUTE')"), ==, 0);
    g_assert_false(ct_admin_int("SELECT has_schema_privilege('kv_station_00101', 'kv_report', 'USAGE')::int"));
}

/* A login role in kv_central_admin runs the reports and sees every
 * station; one outside it is refused. */
static void test_head_office_roles(void)
{
    push_fixture();
    admin_exec("CREATE ROLE report_staff LOGIN IN ROLE kv_central_admin; CREATE ROLE clerk LOGIN; "
               "SET SESSION AUTHORIZATION report_staff");
    g_assert_cmpint(ct_admin_int("SELECT sold_amount FROM kv_report.daily('2023-11-14') WHERE level = 'total'"), ==,
                    6500);
    admin_exec("RESET SESSION AUTHORIZATION; SET SESSION AUTHORIZATION clerk");
    ct_assert_refused(ct_admin(), "SELECT * FROM kv_report.daily('2023-11-14')", "42501");
    admin_exec("RESET SESSION AUTHORIZATION");
}

/* tools/central-report.sh prints each report (CSV here) and refuses bad
 * arguments with a message. */
static void test_command(void)
{
    const char *tool = g_getenv("KV_CENTRAL_REPORT");
    struct {
        const char *args, *want;
    } ok[] = {
        {"--csv daily 2023-11-14", "total,,,,4,6500,"},
        {"--csv daily 2023-11-14", "station,1,102,station 102,1,500,"},
        {"--csv monthly 2023-11", "total,,,,6,6850,"},
        {"--csv --tz Africa/Nairobi daily 2023-11-16", "station,2,201,station 201,1,100,"},
        {"--csv days 2023-11", "2023-11-15,,2,"},
        {"--csv customer ACC-7", ",2,201,1,5001,"},
        {"daily 2023-11-14", " total "},
        {"--csv paid-back", "account,name,amount,at,by_role,reason,still_overpaid"},
    };
    const char *bad[] = {"daily 14/11/2023", "monthly 2023", "customer", "weekly", "--tz", "paid-back 2023"};

    push_fixture();
    g_assert_nonnull(tool);
    for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
        g_autofree char *cmd = g_strdup_printf("%s %s", tool, ok[i].args);
        g_autofree char *out = NULL, *err = NULL;
        int status;
        g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
        g_test_message("%s:\n%s%s", cmd, out, err);
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        g_assert_nonnull(strstr(out, ok[i].want));
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *cmd = g_strdup_printf("%s %s", tool, bad[i]);
        g_autofree char *out = NULL, *err = NULL;
        int status;
        g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
        g_test_message("%s: %s", cmd, err);
        g_assert_false(g_spawn_check_wait_status(status, NULL));
        g_assert_nonnull(strstr(err, "central-report.sh: "));
    }
}

/* The summaries are written once per push batch (db/central/015), in the
 * batch's transaction: one batch of station 201 with sales on either side
 * of midnight, a sale taken through four states, a payment before its sale;
 * then a cancel, the late sale and a payment in a second batch; a replay;
 * a batch undone by a conflict; a sale state inserted by head office
 * itself (the triggers, for every writer but the push).  After each step
 * the rows are the ones expected, kv.summary_check() finds nothing, and the
 * push's own transaction applied the summaries once (kv.summary_apply one
 * call, the per-statement trigger none; counted by track_functions). */
static const char *const batch_daily =
    "SELECT string_agg(day || ':' || payment || ':' || n || '/' || sold || '/' || sold_amount || '/' || "
    "sold_energy || '/' || cancelled || '/' || cancelled_amount, ' ' ORDER BY day, payment) "
    "FROM kv.sales_daily WHERE station_no = 201 AND day >= '2024-02-01'";
static const char *const batch_month =
    "SELECT string_agg(meter_number || ':' || month || ':' || energy, ' ' ORDER BY meter_number, month) "
    "FROM kv.meter_month WHERE station_no = 201 AND month >= '2024-02-01' AND (energy, fixed_paid) <> (0, 0)";

/* A sale of station 201 at `at`, energy amount / 10. */
static char *batch_sale(gint64 id, gint64 meter, gint64 at, gint64 amount)
{
    g_autofree char *f = g_strdup_printf("{\"created_at\": %" G_GINT64_FORMAT "}", at);
    return with(ct_sale(201, id, meter, 201000 + id, id, amount, amount / 10, id * 1000), f);
}

static char *batch_payment(gint64 sale, const char *type, const char *reference)
{
    g_autofree char *c = g_strdup_printf("{\"sale\": %" G_GINT64_FORMAT ", \"payment\": \"%s\", \"reference\": %s}",
                                         sale, type, reference);
    return ct_record("payment", 201, sale, c);
}

static void station_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        g_error("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

/* The calls of kv.summary_apply and of the summary trigger function so far
 * (this transaction's, and the session's not yet flushed to the
 * statistics: compare two readings in one transaction). */
static void summary_calls(PGconn *c, gint64 *applied, gint64 *triggered)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *v = kv_pg_query(c, "SELECT coalesce(sum(calls) FILTER (WHERE funcname = 'summary_apply'), 0) "
                                     "|| ' ' || coalesce(sum(calls) FILTER (WHERE funcname = 'summary_changes'), 0) "
                                     "FROM pg_stat_xact_user_functions WHERE schemaname = 'kv'",
                                     0, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpint(sscanf(v, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT, applied, triggered), ==, 2);
}

/* Push in a transaction of its own and return the reply's status; *applied
 * and *triggered: the calls of kv.summary_apply and of the summary trigger
 * during the push. */
static char *push_counted(PGconn *c, const char *batch, gint64 *applied, gint64 *triggered)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *reply = NULL;
    gint64 a0, t0;

    station_exec(c, "BEGIN");
    summary_calls(c, &a0, &t0);
    reply = kv_pg_push(c, batch, &error);
    g_assert_no_error(error);
    summary_calls(c, applied, triggered);
    station_exec(c, "COMMIT");
    *applied -= a0;
    *triggered -= t0;
    return ct_field(reply, "{status}");
}

static void assert_summaries(const char *daily, const char *month)
{
    g_autofree char *d = ct_admin_value(batch_daily), *m = ct_admin_value(batch_month);
    g_assert_cmpstr(d, ==, daily);
    g_assert_cmpstr(m, ==, month);
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.summary_check()"), ==, 0);
}

static void test_summaries_once_per_batch(void)
{
    /* 2024-02-29 00:00:00 UTC. */
    const gint64 d = G_GINT64_CONSTANT(1709164800);
    const char *day1 = "2024-02-28:cash:1/1/1000/100/0/0 2024-02-29:mobile-money:1/0/0/0/1/2000 "
                       "2024-02-29:unknown:1/1/3000/300/0/0";
    g_autoptr(PGconn) c = NULL;
    g_autofree char *first = NULL, *second = NULL, *bad = NULL, *st = NULL, *fp = NULL, *fp2 = NULL;
    gint64 applied, triggered;

    push_fixture();
    admin_exec("ALTER ROLE kv_station_00201 SET track_functions = 'all'");
    c = ct_station(201);
    first = ct_batch(batch_sale(101, 6001, d - 1, 1000), ct_state(201, 101, 101, "completed", 0),
                     batch_payment(101, "cash", "null"),
                     batch_sale(102, 6001, d, 2000), ct_state(201, 102, 102, "pending", 0),
                     ct_state(201, 103, 102, "completed", 0), ct_state(201, 104, 102, "cancelling", 1),
                     ct_state(201, 105, 102, "cancelled", 1), batch_payment(102, "mobile-money", "\"MM-1\""),
                     batch_sale(103, 6002, d + HOUR, 3000), ct_state(201, 106, 103, "completed", 0),
                     batch_payment(104, "bank-card", "\"BC-4\""), NULL);
    st = push_counted(c, first, &applied, &triggered);
    g_assert_cmpstr(st, ==, "ok");
    g_assert_cmpint(applied, ==, 1);
    g_assert_cmpint(triggered, ==, 0);
    /* 23:59:59 on the 28th and 00:00:00 on the 29th on their own days;
     * the cancelled sale counted once, as cancelled. */
    assert_summaries(day1, "6001:2024-02-01:100 6002:2024-02-01:300");

    /* The same batch again: nothing to apply, nothing changed. */
    fp = ct_fingerprint();
    g_free(st);
    st = push_counted(c, first, &applied, &triggered);
    g_assert_cmpstr(st, ==, "ok");
    g_assert_cmpint(applied, ==, 0);
    g_assert_cmpint(triggered, ==, 0);
    fp2 = ct_fingerprint();
    g_assert_cmpstr(fp2, ==, fp);
    assert_summaries(day1, "6001:2024-02-01:100 6002:2024-02-01:300");

    /* Sale 101 cancelled (its day, its month), sale 104 arrives after its
     * payment, sale 103's payment arrives: the unknown row goes. */
    second = ct_batch(ct_state(201, 107, 101, "cancelling", 2), ct_state(201, 108, 101, "cancelled", 2),
                      batch_sale(104, 6002, d + 2 * HOUR, 4000), ct_state(201, 109, 104, "completed", 0),
                      batch_payment(103, "cash", "null"), NULL);
    g_free(st);
    st = push_counted(c, second, &applied, &triggered);
    g_assert_cmpstr(st, ==, "ok");
    g_assert_cmpint(applied, ==, 1);
    g_assert_cmpint(triggered, ==, 0);
    assert_summaries("2024-02-28:cash:1/0/0/0/1/1000 2024-02-29:bank-card:1/1/4000/400/0/0 "
                     "2024-02-29:cash:1/1/3000/300/0/0 2024-02-29:mobile-money:1/0/0/0/1/2000",
                     "6002:2024-02-01:700");

    /* A batch that ends in a conflict (sale 104 again with another amount)
     * after a state change of sale 103: undone, summaries with it. */
    bad = ct_batch(ct_state(201, 110, 103, "cancelled", 3), batch_sale(104, 6002, d + 2 * HOUR, 4001), NULL);
    g_free(st);
    st = push_counted(c, bad, &applied, &triggered);
    g_assert_cmpstr(st, ==, "conflict");
    g_assert_cmpint(triggered, ==, 0);
    assert_summaries("2024-02-28:cash:1/0/0/0/1/1000 2024-02-29:bank-card:1/1/4000/400/0/0 "
                     "2024-02-29:cash:1/1/3000/300/0/0 2024-02-29:mobile-money:1/0/0/0/1/2000",
                     "6002:2024-02-01:700");
    g_assert_cmpint(ct_admin_int("SELECT kv.resolve_conflicts(201, 'test: the changed sale was refused')"), ==, 1);

    /* Head office inserts a state itself: the trigger counts it. */
    admin_exec("INSERT INTO kv.sale_states(station_no, local_id, content, sale_id, meter_number, state, at) "
               "VALUES (201, 111, '{}', 104, 6002, 'cancelled', 1709172000)");
    assert_summaries("2024-02-28:cash:1/0/0/0/1/1000 2024-02-29:bank-card:1/0/0/0/1/4000 "
                     "2024-02-29:cash:1/1/3000/300/0/0 2024-02-29:mobile-money:1/0/0/0/1/2000",
                     "6002:2024-02-01:300");
    admin_exec("ALTER ROLE kv_station_00201 RESET track_functions");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/central/reports/daily", test_daily);
    g_test_add_func("/central/reports/monthly", test_monthly);
    g_test_add_func("/central/reports/customer-history", test_customer_history);
    g_test_add_func("/central/reports/summaries-kept-and-checked", test_summaries);
    g_test_add_func("/central/reports/audit-chain", test_audit_chain);
    g_test_add_func("/central/reports/station-refused", test_station_refused);
    g_test_add_func("/central/reports/head-office-roles", test_head_office_roles);
    g_test_add_func("/central/reports/command", test_command);
    g_test_add_func("/central/reports/summaries-once-per-batch", test_summaries_once_per_batch);
    return g_test_run();
}
