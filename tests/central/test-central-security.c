/* test-central-security.c - what a station must not be able to do at the
 * head office.  Each test connects as the attacking station, over TLS with
 * its own certificate (sslmode=verify-full), and tries. */
#include "central-test.h"

#include <string.h>

/* A sale row of station 102 written straight into the table. */
#define FORGED_SALE_INSERT                                                                                     \
    ("INSERT INTO kv.sales(station_no, local_id, content, meter_number, card_serial, seq, amount, energy, "  \
     "cumulative, created_at) VALUES (102, 99, '{}', 7001, 3, 9, 1, 1, 1, 1)")

/* Station 102's rows, pushed by 102 itself, that 101 then goes after. */
static void setup_victim(void)
{
    static gboolean done;
    if (done)
        return;
    g_autoptr(PGconn) v = ct_station(102);
    g_autofree char *batch = ct_batch(ct_sale(102, 1, 7001, 3, 1, 1000, 700, 700),
                                      ct_state(102, 1, 1, "completed", 0), NULL);
    g_free(ct_push_expect(v, batch, "ok"));
    done = TRUE;
}

/* 101 pushes a record that claims to be 102's (a new key and an existing
 * one; a debt movement that would clear a customer's debt, a payment):
 * refused, 102's rows untouched. */
static void test_push_other_station_refused(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    g_autoptr(GError) error = NULL;
    g_autofree char *fp = NULL, *fp2 = NULL;
    const char *forged[4];

    setup_victim();
    fp = ct_fingerprint();
    forged[0] = ct_batch(ct_sale(102, 2, 7001, 3, 2, 5, 5, 705), NULL);
    forged[1] = ct_batch(ct_sale(102, 1, 7001, 3, 1, 1, 700, 700), NULL);
    forged[2] = ct_batch(ct_record("debt_movement", 102, 9, "{\"customer\": 1, \"at\": 1, \"kind\": "
                                   "\"written-off\", \"amount\": -100000}"), NULL);
    forged[3] = ct_batch(ct_record("payment", 102, 1, "{\"payment\": \"bank-card\"}"), NULL);
    for (int i = 0; i < 4; i++) {
        char *r = kv_pg_push(a, forged[i], &error);
        g_assert_null(r);
        g_assert_error(error, KV_PG_ERROR, KV_PG_ERROR_QUERY);
        g_assert_nonnull(strstr(error->message, "42501"));
        g_test_message("refused: %s", error->message);
        g_clear_error(&error);
        g_free((char *)forged[i]);
    }
    fp2 = ct_fingerprint();
    g_assert_cmpstr(fp, ==, fp2);
    g_assert_cmpstr(ct_admin_value("SELECT sync_state FROM kv.stations WHERE station_no = 102"), ==, "ok");
}

/* 101 reads the tables directly: no privilege on any of them. */
static void test_read_other_rows_refused(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    static const char *const sql[] = {
        "SELECT * FROM kv.sales WHERE station_no = 102",
        "SELECT count(*) FROM kv.audit",
        "SELECT * FROM kv.stations",
        "SELECT * FROM kv.meter_state",
        "SELECT * FROM kv.conflicts",
        "COPY kv.sales TO STDOUT",
    };

    setup_victim();
    for (gsize i = 0; i < G_N_ELEMENTS(sql); i++)
        ct_assert_refused(a, sql[i], "42501");
}

/* 101 writes station rows directly: insert, update, delete. */
static void test_write_rows_directly_refused(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    g_autofree char *fp = NULL, *fp2 = NULL;
    static const char *const sql[] = {
        FORGED_SALE_INSERT,
        "UPDATE kv.sales SET amount = 1 WHERE station_no = 102",
        "DELETE FROM kv.audit WHERE station_no = 102",
        "UPDATE kv.stations SET sync_state = 'stopped', audit_head_id = 0 WHERE station_no = 102",
        "UPDATE kv.meter_state SET sold_energy = 0",
        "TRUNCATE kv.sales",
    };

    setup_victim();
    fp = ct_fingerprint();
    for (gsize i = 0; i < G_N_ELEMENTS(sql); i++)
        ct_assert_refused(a, sql[i], "42501");
    fp2 = ct_fingerprint();
    g_assert_cmpstr(fp, ==, fp2);
}

/* 101 writes master data: directly, and by pushing it as a record. */
static void test_write_master_data_refused(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    g_autoptr(GError) error = NULL;
    static const char *const sql[] = {
        "INSERT INTO kv.users(id, login, role, pw_hash, created_at) VALUES (99, 'mallory', 'admin', 'x', 1)",
        "UPDATE kv.meters SET hoarding_limit = 2147483647",
        "UPDATE kv.customers SET debt = 0",
        "INSERT INTO kv.tariffs(code) VALUES ('FREE')",
        "UPDATE kv.stations SET offline_money = 999999999 WHERE station_no = 101",
        "INSERT INTO kv.key_versions(family, version, state, created_at) VALUES ('token', 9, 'next', 1)",
        "INSERT INTO kv.settings(key, value) VALUES ('x', 'y')",
    };
    static const char *const pushed[] = {
        "[{\"kind\": \"user\", \"station\": 101, \"id\": 99, \"content\": {\"login\": \"mallory\"}}]",
        "[{\"kind\": \"meter\", \"station\": 101, \"id\": 7001, \"content\": {\"hoarding_limit\": 9}}]",
        "[{\"kind\": \"stations\", \"station\": 101, \"id\": 101, \"content\": {\"offline_money\": 9}}]",
        "[{\"kind\": \"settings\", \"station\": 101, \"id\": 1, \"content\": {\"key\": \"x\"}}]",
    };
    g_autofree char *users = ct_admin_value("SELECT count(*) FROM kv.users");

    for (gsize i = 0; i < G_N_ELEMENTS(sql); i++)
        ct_assert_refused(a, sql[i], "42501");
    for (gsize i = 0; i < G_N_ELEMENTS(pushed); i++) {
        g_autofree char *r = kv_pg_push(a, pushed[i], &error);
        g_assert_null(r);
        g_assert_nonnull(strstr(error->message, "unknown record kind"));
        g_clear_error(&error);
    }
    g_autofree char *users2 = ct_admin_value("SELECT count(*) FROM kv.users");
    g_assert_cmpstr(users, ==, users2);
    g_assert_cmpint(ct_admin_int("SELECT offline_money FROM kv.stations WHERE station_no = 101"), ==, 0);
}

/* 101 calls every function it can think of: only kv_api.push,
 * kv_api.pull, kv_api.recover and kv_api.reserve_replacement run; no
 * temporary tables, no objects of its own.  And the catalogue agrees: of
 * every function in kv and kv_api, the station may execute exactly those
 * four, and no table at all. */
static void test_only_push_pull_callable(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    static const char *const sql[] = {
        "SELECT kv.register_station(999, 9, 'evil')",
        "SELECT kv.resolve_conflicts(101, 'me')",
        "SELECT kv.merge_meter(7001)",
        "SELECT kv.merge_card(3)",
        "SELECT kv.merge_debt(1)",
        "SELECT kv.debt_adjust(1, -100, 'me')",
        "SELECT kv.debt_pay_back(1, 100, 'me')",
        "SELECT kv.summary_rebuild()",
        "SELECT kv.set_report_zone('UTC')",
        "SELECT kv.month_blocks(102, '0')",
        "SELECT kv.pull_before_blocks('')",
        "UPDATE kv.meter_month SET energy = 0",
        "UPDATE kv.sales_daily SET sold = 0",
        "SELECT * FROM kv_report.debt_paid_back()",
        "SELECT * FROM kv.month_blocks_settle('2026-11-01')",
        "SELECT * FROM kv_report.month_settlements('2026-11-01')",
        "SELECT * FROM kv.push_records('[]')",
        "SELECT * FROM kv.apply_record(101, '{}', 0, '\\x00')",
        "SELECT kv.caller_station()",
        "CREATE TEMP TABLE t(x int)",
        "CREATE TABLE public.t(x int)",
        "CREATE SCHEMA evil",
        "CREATE FUNCTION kv_api.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "SET ROLE kv_station_00102",
        "SET ROLE kv_central_owner",
        "SELECT pg_read_file('pg_hba.conf')",
        "SELECT kv.key_rollout()",
        "DELETE FROM kv.key_holdings",
        /* central 012: the wrapped calls and head office's own checks */
        "SELECT kv.push_before_readings('[]')",
        "SELECT kv.key_holdings_store('{\"backend\": \"file\", \"versions\": [9]}')",
        "SELECT kv.stop_station(102, 'audit', 1, 'me', '{}')",
        "SELECT kv.transfer_clash(7001, 7002)",
        "SELECT kv.merge_meter_sums(7001)",
        "SELECT * FROM kv.record_key(101, '{}', 'transfers')",
        "SELECT * FROM kv.key_holdings_audited(102)",
        "SELECT * FROM kv.transfers",
        /* central 016: only the push releases a transfer's reservations */
        "SELECT kv.release_reservations('[]')",
        "UPDATE kv.card_reservations SET expires_at = now()",
        ("INSERT INTO kv.refund_tokens(station_no, local_id, content, meter_number, card_serial, seq, "
         "cumulative_before, cumulative, state) VALUES (102, 1, '{}', 7001, 1, 1, 2, 1, 'done')"),
        /* central 015: the summaries' switch for one push, and its parts */
        "INSERT INTO kv.summary_deferral VALUES (pg_current_xact_id())",
        "SELECT kv.summary_deferred()",
        "SELECT kv.push_before_batch_summaries('[]')",
        "SELECT * FROM kv.summary_of_sales(101, '{1}', -1)",
        "SELECT kv.summary_batch_sales('[]')",
        "SELECT kv.summary_apply('{}')",
    };
    g_autofree char *fns = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(sql); i++)
        ct_assert_refused(a, sql[i], "42501");
    fns = ct_admin_value("SELECT string_agg(p.oid::regprocedure::text, ' ' ORDER BY p.oid::regprocedure::text) FROM pg_proc p "
                         "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('kv', 'kv_api') "
                         "AND has_function_privilege('kv_station_00101', p.oid, 'EXECUTE')");
    g_assert_cmpstr(fns, ==, "kv_api.key_holdings(jsonb) kv_api.pull(text) kv_api.push(jsonb) kv_api.recover() "
                             "kv_api.release_swap(integer,integer) kv_api.reserve_replacement(integer) "
                             "kv_api.reserve_swap(integer,integer)");
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname IN ('kv', 'kv_api', 'kv_meta', 'public') AND c.relkind IN ('r', 'v', 'm', 'S', 'p') "
                                 "AND (has_table_privilege('kv_station_00101', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') "
                                 "OR (c.relkind = 'S' AND has_sequence_privilege('kv_station_00101', c.oid, 'USAGE, SELECT, UPDATE')))"),
                    ==, 0);
}

/* Row-level security is forced on every station-owned table, so even with
 * a privilege granted by mistake a station sees and inserts only its own
 * rows. */
static void test_rls_forced_even_with_grant(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    g_autofree char *mine = ct_batch(ct_sale(101, 700, 7001, 3, 50, 10, 10, 10), NULL);

    setup_victim();
    g_free(ct_push_expect(a, mine, "ok"));
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname = 'kv' AND c.relname IN ('stations', 'conflicts', 'sales', "
                                 "'sale_states', 'cards', 'card_statuses', 'readbacks', 'engineering_tokens', "
                                 "'shifts', 'audit') AND c.relrowsecurity AND c.relforcerowsecurity"), ==, 10);
    /* Every table with a station_no column has it, but the merged card
     * state and head office's card reservations: written only by head
     * office's functions, which must see every station's (a reservation
     * refuses another station's), and out of the stations' reach (no USAGE
     * on kv). */
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM information_schema.columns col JOIN pg_class c "
                                 "ON c.relname = col.table_name JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "AND n.nspname = col.table_schema WHERE col.table_schema = 'kv' "
                                 "AND col.column_name = 'station_no' AND c.relkind = 'r' "
                                 "AND c.relname NOT IN ('card_state', 'card_reservations') "
                                 "AND NOT c.relforcerowsecurity"), ==, 0);

    g_free(ct_admin_value("GRANT USAGE ON SCHEMA kv TO kv_station_00101"));
    g_free(ct_admin_value("GRANT SELECT, INSERT ON kv.sales TO kv_station_00101"));
    g_free(ct_admin_value("GRANT EXECUTE ON FUNCTION kv.caller_station() TO kv_station_00101"));
    {
        g_autoptr(PGconn) b = ct_station(101);
        g_autofree char *n = NULL;
        g_autoptr(GError) error = NULL;
        n = kv_pg_query(b, "SELECT count(*) || ':' || count(*) FILTER (WHERE station_no <> 101) FROM kv.sales",
                        0, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(n, !=, NULL);
        g_assert_true(g_str_has_suffix(n, ":0"));
        g_assert_false(g_str_has_prefix(n, "0:"));
        ct_assert_refused(b, FORGED_SALE_INSERT,
                          "42501");
    }
    g_free(ct_admin_value("REVOKE ALL ON kv.sales FROM kv_station_00101"));
    g_free(ct_admin_value("REVOKE USAGE ON SCHEMA kv FROM kv_station_00101"));
    g_free(ct_admin_value("REVOKE EXECUTE ON FUNCTION kv.caller_station() FROM kv_station_00101"));
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.sales WHERE station_no = 102 AND local_id = 99"), ==, 0);
}

/* Logging in as another station with one's own certificate. */
static void test_login_as_other_station_refused(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *ca = ct_pki("ca.crt"), *crt = ct_pki("kv_station_00101.crt"), *key = ct_pki("kv_station_00101.key");
    PGconn *c = ct_connect("kv_station_00102", crt, key, ca, NULL, NULL, &error);

    g_assert_null(c);
    g_assert_error(error, KV_PG_ERROR, KV_PG_ERROR_CONNECT);
    g_test_message("refused: %s", error->message);
    g_assert_nonnull(strstr(error->message, "certificate authentication failed"));
    g_clear_error(&error);
    /* Nor as the superuser or the owner. */
    g_assert_null(ct_connect("postgres", crt, key, ca, NULL, NULL, &error));
    g_clear_error(&error);
    g_assert_null(ct_connect("kv_central_owner", crt, key, ca, NULL, NULL, &error));
}

/* Without a client certificate, or with one from another CA (a forged
 * station certificate with the right CN). */
static void test_no_or_forged_certificate_refused(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *ca = ct_pki("ca.crt");
    g_autofree char *dir = g_dir_make_tmp("kv-forged-XXXXXX", NULL);
    g_autofree char *cmd = g_strdup_printf("%s ca %s >/dev/null && %s station-cert %s 101 >/dev/null",
                                           g_getenv("KV_CENTRAL_SETUP"), dir, g_getenv("KV_CENTRAL_SETUP"), dir);
    g_autofree char *crt = g_build_filename(dir, "kv_station_00101.crt", NULL);
    g_autofree char *key = g_build_filename(dir, "kv_station_00101.key", NULL);
    g_autofree char *rm = g_strdup_printf("rm -rf %s", dir);
    const char *keys[] = {"host", "port", "dbname", "user", "sslmode", "sslrootcert", "sslcert", "sslkey", NULL};
    const char *values[] = {g_getenv("KV_PG_HOST"), g_getenv("KV_PG_PORT"), g_getenv("KV_PG_DB"),
                            "kv_station_00101", "verify-full", ca, "/nonexistent.crt", "/nonexistent.key", NULL};
    PGconn *raw;
    int status;

    /* No certificate at all (libpq sends none when the files are missing). */
    raw = PQconnectdbParams(keys, values, 0);
    g_assert_cmpint(PQstatus(raw), !=, CONNECTION_OK);
    g_test_message("refused: %s", PQerrorMessage(raw));
    PQfinish(raw);
    /* The station's own link says which file is missing rather than go
     * without. */
    g_assert_null(ct_connect("kv_station_00101", "/nonexistent.crt", "/nonexistent.key", ca, NULL, NULL, &error));
    g_assert_nonnull(strstr(error->message, "station certificate /nonexistent.crt is missing"));
    g_clear_error(&error);
    /* Plain TCP, no TLS. */
    values[4] = "disable";
    raw = PQconnectdbParams(keys, values, 0);
    g_assert_cmpint(PQstatus(raw), !=, CONNECTION_OK);
    g_assert_nonnull(strstr(PQerrorMessage(raw), "no encryption"));
    PQfinish(raw);

    {
        const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status,
                                   NULL));
        g_assert_true(g_spawn_check_wait_status(status, NULL));
    }
    g_assert_null(ct_connect("kv_station_00101", crt, key, ca, NULL, NULL, &error));
    g_test_message("refused: %s", error->message);
    g_assert_error(error, KV_PG_ERROR, KV_PG_ERROR_CONNECT);
    g_clear_error(&error);
    g_assert_true(g_spawn_command_line_sync(rm, NULL, NULL, NULL, NULL));
}

/* The station checks the server: a name the certificate does not carry,
 * or a server certificate from another CA, and the station will not talk. */
static void test_station_refuses_wrong_server(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *ca = ct_pki("ca.crt"), *crt = ct_pki("kv_station_00101.crt"), *key = ct_pki("kv_station_00101.key");
    g_autofree char *dir = g_dir_make_tmp("kv-otherca-XXXXXX", NULL);
    g_autofree char *cmd = g_strdup_printf("%s ca %s", g_getenv("KV_CENTRAL_SETUP"), dir);
    g_autofree char *other_ca = g_build_filename(dir, "ca.crt", NULL);
    g_autofree char *rm = g_strdup_printf("rm -rf %s", dir);

    /* The right address under a name the server's certificate lacks. */
    g_assert_null(ct_connect("kv_station_00101", crt, key, ca, "head-office.example", "127.0.0.1", &error));
    g_test_message("refused: %s", error->message);
    g_assert_nonnull(strstr(error->message, "does not match host name"));
    g_clear_error(&error);
    /* A station that trusts another CA does not accept this server. */
    g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL));
    g_assert_null(ct_connect("kv_station_00101", crt, key, other_ca, NULL, NULL, &error));
    g_test_message("refused: %s", error->message);
    g_assert_nonnull(strstr(error->message, "certificate verify failed"));
    g_assert_true(g_spawn_command_line_sync(rm, NULL, NULL, NULL, NULL));
}

/* A stolen station certificate: at most four connections at once, and
 * head office retires the station (its pushes and pulls refused at once)
 * and closes its login. */
static void test_station_limits_and_retirement(void)
{
    PGconn *held[4];
    g_autoptr(GError) error = NULL;
    g_autofree char *ca = ct_pki("ca.crt"), *crt = ct_pki("kv_station_00201.crt"), *key = ct_pki("kv_station_00201.key");
    g_autofree char *batch = ct_batch(ct_sale(201, 900, 7001, 3, 90, 10, 10, 10), NULL);

    for (int i = 0; i < 4; i++)
        held[i] = ct_station(201);
    g_assert_null(ct_connect("kv_station_00201", crt, key, ca, NULL, NULL, &error));
    g_test_message("refused: %s", error->message);
    g_assert_nonnull(strstr(error->message, "too many connections"));
    g_clear_error(&error);

    g_free(ct_admin_value("UPDATE kv.stations SET active = false WHERE station_no = 201 RETURNING station_no"));
    g_assert_null(kv_pg_push(held[0], batch, &error));
    g_assert_nonnull(strstr(error->message, "42501"));
    g_clear_error(&error);
    g_assert_null(kv_pg_pull(held[1], "", &error));
    g_assert_nonnull(strstr(error->message, "42501"));
    g_clear_error(&error);
    for (int i = 0; i < 4; i++)
        PQfinish(held[i]);

    g_free(ct_admin_value("ALTER ROLE kv_station_00201 NOLOGIN"));
    g_assert_null(ct_connect("kv_station_00201", crt, key, ca, NULL, NULL, &error));
    g_test_message("refused: %s", error->message);
    g_assert_nonnull(strstr(error->message, "not permitted to log in"));
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.sales WHERE station_no = 201"), ==, 0);
}

/* kv_api.recover gives a station its own records back, never another's
 * (row-level security, forced, on the owner that runs it). */
static void test_recover_own_records_only(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    g_autoptr(PGconn) b = ct_station(102);
    g_autoptr(GError) error = NULL;
    g_autofree char *ba = ct_batch(ct_sale(101, 7001, 7001, 7, 1, 100, 70, 70), NULL);
    g_autofree char *bb = ct_batch(ct_sale(102, 7002, 7002, 8, 1, 100, 70, 70), NULL);
    g_autofree char *mine = NULL, *theirs = NULL, *all = NULL;
    g_autofree char *reply = NULL;

    ct_push_status(a, ba, "ok");
    ct_push_status(b, bb, "ok");
    reply = kv_pg_query(a, "SELECT kv_api.recover()::text", 0, NULL, NULL, &error);
    g_assert_no_error(error);
    {
        const char *params[] = {reply};
        mine = kv_pg_query(ct_admin(), "SELECT count(*) FROM jsonb_array_elements($1::jsonb -> 'sales') x "
                           "WHERE (x -> 'id')::bigint = 7001", 1, params, NULL, &error);
        theirs = kv_pg_query(ct_admin(), "SELECT count(*) FROM jsonb_array_elements($1::jsonb -> 'sales') x "
                             "WHERE (x -> 'id')::bigint = 7002", 1, params, NULL, &error);
        all = kv_pg_query(ct_admin(), "SELECT count(*) FROM jsonb_array_elements($1::jsonb -> 'sales') x "
                          "WHERE (x -> 'content' ->> 'office')::int <> 101", 1, params, NULL, &error);
    }
    g_assert_no_error(error);
    g_assert_cmpstr(mine, ==, "1");
    g_assert_cmpstr(theirs, ==, "0");
    g_assert_cmpstr(all, ==, "0");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/central/security/push-other-station-refused", test_push_other_station_refused);
    g_test_add_func("/central/security/read-other-rows-refused", test_read_other_rows_refused);
    g_test_add_func("/central/security/write-rows-directly-refused", test_write_rows_directly_refused);
    g_test_add_func("/central/security/write-master-data-refused", test_write_master_data_refused);
    g_test_add_func("/central/security/only-push-pull-callable", test_only_push_pull_callable);
    g_test_add_func("/central/security/rls-forced-even-with-grant", test_rls_forced_even_with_grant);
    g_test_add_func("/central/security/login-as-other-station-refused", test_login_as_other_station_refused);
    g_test_add_func("/central/security/no-or-forged-certificate-refused", test_no_or_forged_certificate_refused);
    g_test_add_func("/central/security/station-refuses-wrong-server", test_station_refuses_wrong_server);
    g_test_add_func("/central/security/station-limits-and-retirement", test_station_limits_and_retirement);
    g_test_add_func("/central/security/recover-own-records-only", test_recover_own_records_only);
    return g_test_run();
}
