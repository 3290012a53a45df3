/* test-central-push.c - pushing to the head office: replays are no-ops,
 * conflicts are kept and stop the station, the merge rules, the audit
 * head, pulling since a cursor.  Real PostgreSQL (kv-pg-harness), each
 * station over TLS with its own certificate. */
#include "central-test.h"

#include <string.h>

/* The same batch twice: the second push stores nothing and changes nothing,
 * not even the merged state's change marks. */
static void test_replay_is_noop(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    guint8 head[32] = {0};
    /* Audit rows chain: made in order (argument order is unspecified). */
    char *audit1 = ct_audit(101, 1, head, "sale.pending", "amount=1000");
    char *audit2 = ct_audit(101, 2, head, "sale.completed", "amount=1000");
    g_autofree char *batch = ct_batch(ct_shift(101, 1), ct_card(101, 1048577, 1001, "active"),
                                      ct_sale(101, 1, 1001, 1048577, 1, 1000, 700, 700),
                                      ct_state(101, 1, 1, "pending", 0), ct_state(101, 2, 1, "completed", 0),
                                      ct_readback(101, 1, 1001, 1, 1), ct_engineering(101, 1, 1001, 1048577, 2),
                                      ct_card_status(101, 1, 1048577, "active"),
                                      audit1, audit2, NULL);
    g_autofree char *first = ct_push_expect(a, batch, "ok");
    g_autofree char *fp1 = ct_fingerprint();
    g_autofree char *second = ct_push_expect(a, batch, "ok");
    g_autofree char *fp2 = ct_fingerprint();
    g_autofree char *n_new = ct_field(first, "{new}");
    g_autofree char *same = ct_field(second, "{same}");
    g_autofree char *new2 = ct_field(second, "{new}");

    g_assert_cmpstr(n_new, ==, "10");
    g_assert_cmpstr(new2, ==, "0");
    g_assert_cmpstr(same, ==, "10");
    g_assert_cmpstr(fp1, ==, fp2);
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.sales WHERE station_no = 101"), ==, 1);
    g_assert_cmpint(ct_admin_int("SELECT sold_energy FROM kv.meter_state WHERE meter_number = 1001"), ==, 700);
}

/* Station 202 pushes sale 1, then a sale 1 with another amount (a restored
 * or rewritten ledger): the first stays, the second is kept beside it, and
 * the station's sync stops; another station goes on. */
static void test_conflict_recorded_and_stops(void)
{
    g_autoptr(PGconn) c = ct_station(202);
    g_autoptr(PGconn) other = ct_station(201);
    g_autofree char *b1 = ct_batch(ct_sale(202, 1, 2001, 5, 1, 1000, 700, 700), NULL);
    g_autofree char *b2 = ct_batch(ct_sale(202, 2, 2001, 5, 2, 500, 350, 1050),
                                   ct_sale(202, 1, 2001, 5, 1, 9000, 700, 700), NULL);
    g_autofree char *b3 = ct_batch(ct_sale(202, 3, 2001, 5, 3, 500, 350, 1400), NULL);
    g_autofree char *ok_other = ct_batch(ct_sale(201, 100, 2002, 6, 1, 100, 70, 70), NULL);
    ct_push_status(c, b1, "ok");
    g_autofree char *r2 = ct_push_expect(c, b2, "conflict");
    g_autofree char *kind = ct_field(r2, "{kind}");
    g_autofree char *amount = ct_admin_value("SELECT content->>'amount' FROM kv.sales "
                                             "WHERE station_no = 202 AND local_id = 1");
    g_autofree char *offered = ct_admin_value("SELECT offered->>'amount' FROM kv.conflicts WHERE station_no = 202");
    g_autofree char *stored = ct_admin_value("SELECT stored->>'amount' FROM kv.conflicts WHERE station_no = 202");
    g_autofree char *r3 = NULL, *r4 = NULL, *r5 = NULL;

    g_assert_cmpstr(kind, ==, "sale");
    g_assert_cmpstr(amount, ==, "1000");
    g_assert_cmpstr(stored, ==, "1000");
    g_assert_cmpstr(offered, ==, "9000");
    /* Nothing of the conflicting batch was applied (sale 2 came before the
     * conflict in it). */
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.sales WHERE station_no = 202"), ==, 1);
    g_assert_cmpstr(ct_admin_value("SELECT sync_state FROM kv.stations WHERE station_no = 202"), ==, "stopped");
    /* Stopped: a valid new batch is not applied either. */
    r3 = ct_push_expect(c, b3, "stopped");
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.sales WHERE station_no = 202"), ==, 1);
    /* Only this station stopped. */
    r4 = ct_push_expect(other, ok_other, "ok");
    /* Head office resolves it: the first content stays, sync goes on. */
    g_assert_cmpint(ct_admin_int("SELECT kv.resolve_conflicts(202, 'checked the Z report')"), ==, 1);
    r5 = ct_push_expect(c, b3, "ok");
    g_assert_cmpstr(ct_admin_value("SELECT content->>'amount' FROM kv.sales WHERE station_no = 202 AND local_id = 1"),
                    ==, "1000");
}

/* The same card serial issued by two stations (the office << 20 | n
 * numbering without station numbers): the second is a conflict. */
static void test_card_serial_collision(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    g_autoptr(PGconn) b = ct_station(102);
    g_autofree char *ba = ct_batch(ct_card(101, 1048700, 1101, "active"), NULL);
    g_autofree char *bb = ct_batch(ct_card(102, 1048700, 1102, "active"), NULL);
    ct_push_status(a, ba, "ok");
    g_autofree char *rb = ct_push_expect(b, bb, "conflict");
    g_autofree char *msg = ct_field(rb, "{message}");

    g_assert_nonnull(strstr(msg, "issued before by station 101"));
    g_assert_cmpint(ct_admin_int("SELECT meter_number FROM kv.card_state WHERE serial = 1048700"), ==, 1101);
    g_assert_cmpint(ct_admin_int("SELECT kv.resolve_conflicts(102, 'serial collision seen')"), ==, 1);
}

/* Sequence and readback take the maximum, whichever station and order. */
static void test_seq_and_readback_max(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    g_autoptr(PGconn) b = ct_station(201);
    g_autofree char *b1 = ct_batch(ct_readback(201, 10, 3001, 7, 9), NULL);
    g_autofree char *a1 = ct_batch(ct_sale(101, 20, 3001, 8, 5, 100, 70, 70), ct_readback(101, 20, 3001, 3, 4),
                                   NULL);
    g_autofree char *a2 = ct_batch(ct_engineering(101, 20, 3001, 9, 12), NULL);
    ct_push_status(b, b1, "ok");
    ct_push_status(a, a1, "ok");

    /* An older readback (counter 3) pushed later does not replace counter 7;
     * a lower sale sequence does not lower the maximum. */
    g_assert_cmpint(ct_admin_int("SELECT max_seq FROM kv.meter_state WHERE meter_number = 3001"), ==, 9);
    g_assert_cmpint(ct_admin_int("SELECT rb_counter FROM kv.meter_state WHERE meter_number = 3001"), ==, 7);
    g_assert_cmpint(ct_admin_int("SELECT rb_station FROM kv.meter_state WHERE meter_number = 3001"), ==, 201);
    ct_push_status(a, a2, "ok");
    g_assert_cmpint(ct_admin_int("SELECT max_seq FROM kv.meter_state WHERE meter_number = 3001"), ==, 12);
}

/* Sold = completed, non-cancelled sales of every office, recomputed: not
 * the largest cumulative seen, not counting pending or failed sales. */
static void test_sold_recomputed(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    g_autoptr(PGconn) b = ct_station(201);
    g_autofree char *ba = ct_batch(ct_sale(101, 30, 4001, 11, 1, 1000, 1000, 1000),
                                   ct_state(101, 30, 30, "completed", 0),
                                   ct_sale(101, 31, 4001, 11, 2, 200, 200, 1200), /* pending: not sold */
                                   ct_state(101, 31, 31, "pending", 0), NULL);
    g_autofree char *bb = ct_batch(ct_sale(201, 30, 4001, 11, 3, 500, 500, 1700),
                                   ct_state(201, 30, 30, "completed", 0),
                                   ct_sale(201, 31, 4001, 11, 4, 300, 300, 2000),
                                   ct_state(201, 31, 31, "completed", 0), NULL);
    ct_push_status(a, ba, "ok");
    ct_push_status(b, bb, "ok");

    g_assert_cmpint(ct_admin_int("SELECT sold_energy FROM kv.meter_state WHERE meter_number = 4001"), ==, 1800);
    g_assert_cmpint(ct_admin_int("SELECT sold_amount FROM kv.meter_state WHERE meter_number = 4001"), ==, 1800);
    /* Station 201 cancels its second sale: sold drops by it (a maximum
     * would keep 2000). */
    g_autofree char *bc1 = ct_batch(ct_state(201, 32, 31, "cancelling", 5), ct_state(201, 33, 31, "cancelled", 5),
                                    NULL);
    ct_push_status(b, bc1, "ok");
    g_assert_cmpint(ct_admin_int("SELECT sold_energy FROM kv.meter_state WHERE meter_number = 4001"), ==, 1500);
    g_assert_cmpint(ct_admin_int("SELECT sold_count FROM kv.meter_state WHERE meter_number = 4001"), ==, 2);
    g_assert_cmpint(ct_admin_int("SELECT max_seq FROM kv.meter_state WHERE meter_number = 4001"), ==, 5);
}

/* The card status is the most restrictive any station reported. */
static void test_card_most_restrictive(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    g_autoptr(PGconn) b = ct_station(201);
    g_autofree char *ba = ct_batch(ct_card(101, 1048800, 5001, "active"), NULL);
    g_autofree char *bb = ct_batch(ct_card_status(201, 40, 1048800, "lost"), NULL);
    g_autofree char *ba2 = ct_batch(ct_card_status(101, 40, 1048800, "active"), NULL);
    ct_push_status(a, ba, "ok");
    ct_push_status(b, bb, "ok");
    ct_push_status(a, ba2, "ok");
    g_autofree char *status = ct_admin_value("SELECT status FROM kv.card_state WHERE serial = 1048800");

    g_assert_cmpstr(status, ==, "lost");
}

/* The centre keeps each station's audit head, checks every link, and
 * records a fork or an altered row as a conflict. */
static void test_audit_head_stored(void)
{
    g_autoptr(PGconn) c = ct_station(102);
    guint8 head[32] = {0}, fork[32];
    g_autofree char *b1 = NULL, *b2 = NULL, *gap = NULL, *forked = NULL, *altered = NULL;
    g_autofree char *r1 = NULL, *r2 = NULL, *want = NULL, *got = NULL, *pulled = NULL, *rf = NULL, *ra = NULL;
    g_autoptr(GError) error = NULL;

    {
        char *row1 = ct_audit(102, 1, head, "user.login", "ok");
        char *row2 = ct_audit(102, 2, head, "sale.pending", "x");
        b1 = ct_batch(row1, row2, NULL);
    }
    r1 = ct_push_expect(c, b1, "ok");
    memcpy(fork, head, 32);
    b2 = ct_batch(ct_audit(102, 3, head, "sale.completed", "x"), NULL);
    r2 = ct_push_expect(c, b2, "ok");
    want = g_strdup_printf("3-");
    for (int i = 0; i < 32; i++) {
        char *t = g_strdup_printf("%s%02x", want, head[i]);
        g_free(want);
        want = t;
    }
    got = ct_admin_value("SELECT audit_head_id || '-' || encode(audit_head_hash, 'hex') FROM kv.stations "
                         "WHERE station_no = 102");
    g_assert_cmpstr(got, ==, want);
    g_free(got);
    got = ct_field(r2, "{audit_head}");
    g_assert_cmpstr(got, ==, want);
    pulled = kv_pg_pull(c, "", &error);
    g_assert_no_error(error);
    g_free(got);
    got = ct_field(pulled, "{station,audit_head}");
    g_assert_cmpstr(got, ==, want);

    /* A gap (row 5 before 4) is refused: push in order. */
    {
        guint8 h[32];
        memcpy(h, head, 32);
        gap = ct_batch(ct_audit(102, 5, h, "x", "y"), NULL);
        g_autofree char *r = kv_pg_push(c, gap, &error);
        g_assert_null(r);
        g_assert_error(error, KV_PG_ERROR, KV_PG_ERROR_QUERY);
        g_clear_error(&error);
    }
    /* A rewritten file: row 3 was replaced, row 4 links to the new row 3. */
    {
        guint8 h[32];
        memcpy(h, fork, 32);
        g_free(ct_audit(102, 3, h, "sale.completed", "rewritten"));
        forked = ct_batch(ct_audit(102, 4, h, "sale.pending", "x"), NULL);
        rf = ct_push_expect(c, forked, "conflict");
    }
    g_assert_cmpint(ct_admin_int("SELECT audit_head_id FROM kv.stations WHERE station_no = 102"), ==, 3);
    g_assert_cmpint(ct_admin_int("SELECT kv.resolve_conflicts(102, 'fork seen')"), ==, 1);
    /* A row whose content no longer matches its hash. */
    {
        guint8 h[32];
        memcpy(h, head, 32);
        g_autofree char *row = ct_audit(102, 4, h, "sale.pending", "amount=100");
        char *p = strstr(row, "amount=100");
        p[7] = '9';
        altered = g_strdup_printf("[%s]", row);
        ra = ct_push_expect(c, altered, "conflict");
    }
    g_assert_cmpint(ct_admin_int("SELECT kv.resolve_conflicts(102, 'altered row seen')"), ==, 1);
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.audit WHERE station_no = 102"), ==, 3);
}

/* Malformed input: the whole batch is refused with a clear error and
 * nothing is stored. */
static void test_bad_batch_refused(void)
{
    g_autoptr(PGconn) c = ct_station(101);
    g_autofree char *fp = ct_fingerprint();
    static const char *const bad[] = {
        "{\"kind\": \"sale\"}",
        "[{\"kind\": \"sale\", \"station\": 101, \"id\": 900, \"content\": {\"meter\": 1}}]",
        "[{\"kind\": \"sale\", \"station\": 101, \"id\": 900, \"content\": {\"meter\": 1.5}}]",
        "[{\"kind\": \"sale\", \"station\": 101, \"id\": -1, \"content\": {}}]",
        "[{\"kind\": \"sale_state\", \"station\": 101, \"id\": 900, \"content\": {\"sale\": 99999, "
        "\"state\": \"completed\", \"at\": 1}}]",
        "[{\"kind\": \"card_status\", \"station\": 101, \"id\": 900, \"content\": {\"card\": 1, "
        "\"status\": \"happy\", \"at\": 1}}]",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *r = kv_pg_push(c, bad[i], &error);
        g_assert_null(r);
        g_assert_error(error, KV_PG_ERROR, KV_PG_ERROR_QUERY);
        g_test_message("refused: %s", error->message);
    }
    g_autofree char *fp2 = ct_fingerprint();
    g_assert_cmpstr(fp, ==, fp2);
}

/* Pull: master data and merged state since a cursor; nothing new, nothing
 * returned; a change at head office or another office's sale comes next. */
static void test_pull_since_cursor(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    g_autoptr(PGconn) b = ct_station(201);
    g_autoptr(GError) error = NULL;
    g_autofree char *p1 = NULL, *p2 = NULL, *p3 = NULL, *cur1 = NULL, *cur2 = NULL, *n = NULL, *r = NULL;
    g_autofree char *batch = ct_batch(ct_sale(101, 50, 6001, 13, 1, 400, 400, 400),
                                      ct_state(101, 50, 50, "completed", 0), NULL);

    g_free(ct_admin_value("INSERT INTO kv.tariffs(code, name) VALUES ('RES', 'Residential') RETURNING code"));
    g_free(ct_admin_value("INSERT INTO kv.meters(number, tariff_code, key_version, psc_key_version, alarm_level, "
                          "pretrip_level, hoarding_limit, created_at) VALUES (6001, 'RES', 1, 1, 100, 50, 100000, 1), "
                          "(6002, 'RES', 1, 1, 100, 50, 100000, 1) RETURNING number"));
    p1 = kv_pg_pull(b, "", &error);
    g_assert_no_error(error);
    n = ct_field(p1, "{meters,1,number}");
    g_assert_cmpstr(n, ==, "6002");
    cur1 = ct_field(p1, "{cursor}");
    p2 = kv_pg_pull(b, cur1, &error);
    g_assert_no_error(error);
    {
        const char *params[] = {p2};
        g_free(n);
        n = kv_pg_query(ct_admin(), "SELECT jsonb_array_length($1::jsonb->'meters') + "
                                    "jsonb_array_length($1::jsonb->'meter_state')", 1, params, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(n, ==, "0");
    }
    cur2 = ct_field(p2, "{cursor}");
    g_free(ct_admin_value("UPDATE kv.meters SET hoarding_limit = 200000 WHERE number = 6002 RETURNING number"));
    r = ct_push_expect(a, batch, "ok");
    p3 = kv_pg_pull(b, cur2, &error);
    g_assert_no_error(error);
    {
        const char *params[] = {p3};
        g_autofree char *v = kv_pg_query(ct_admin(),
                                         "SELECT (SELECT string_agg(m->>'number', ',') FROM jsonb_array_elements($1::jsonb->'meters') m) "
                                         "|| ';' || (SELECT string_agg((m->>'meter_number') || '=' || (m->>'sold_energy'), ',') "
                                         "FROM jsonb_array_elements($1::jsonb->'meter_state') m)",
                                         1, params, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(v, ==, "6002;6001=400");
    }
    /* A cursor from the future (this server restored from an older
     * backup): everything again, flagged. */
    {
        g_autofree char *p4 = kv_pg_pull(b, "99999999999", &error);
        g_autofree char *reset = NULL, *n_meters = NULL;
        g_assert_no_error(error);
        reset = ct_field(p4, "{reset}");
        n_meters = ct_field(p4, "{meters,1,number}");
        g_assert_cmpstr(reset, ==, "true");
        g_assert_cmpstr(n_meters, ==, "6002");
    }
    /* A cursor that is not one is refused. */
    g_assert_null(kv_pg_pull(b, "1; DROP TABLE kv.sales", &error));
    g_assert_error(error, KV_PG_ERROR, KV_PG_ERROR_QUERY);
}

/* Two offices push sales for the same meter at the same time, round after
 * round: after each round the merged sold figure counts every sale (the
 * state row is locked before the sums are taken, so no push overwrites
 * another's with a total from before it committed). */
typedef struct {
    guint station;
    PGconn *conn;
    gint64 round;
    gint64 sold;
} Pusher;

static gpointer push_round(gpointer data)
{
    Pusher *p = data;
    GString *batch = g_string_new("[");
    g_autoptr(GError) error = NULL;
    g_autofree char *reply = NULL;

    for (gint64 i = 0; i < 5; i++) {
        gint64 id = 10000 + p->round * 5 + i, energy = 10 + id % 7;
        char *sale = ct_sale(p->station, id, 8001, 77, id, energy, energy, energy);
        char *state = ct_state(p->station, id, id, "completed", 0);
        g_string_append_printf(batch, "%s%s,%s", i ? "," : "", sale, state);
        g_free(sale);
        g_free(state);
        p->sold += energy;
    }
    g_string_append_c(batch, ']');
    reply = kv_pg_push(p->conn, batch->str, &error);
    g_string_free(batch, TRUE);
    if (!reply || !strstr(reply, "\"status\": \"ok\""))
        g_error("station %u push: %s", p->station, reply ? reply : error->message);
    return NULL;
}

static void test_concurrent_pushes_same_meter(void)
{
    Pusher p[2] = {{.station = 101}, {.station = 201}};

    for (int i = 0; i < 2; i++)
        p[i].conn = ct_station(p[i].station);
    for (gint64 round = 0; round < 25; round++) {
        GThread *t[2];
        for (int i = 0; i < 2; i++) {
            p[i].round = round;
            t[i] = g_thread_new("pusher", push_round, &p[i]);
        }
        for (int i = 0; i < 2; i++)
            g_thread_join(t[i]);
        g_assert_cmpint(ct_admin_int("SELECT sold_energy FROM kv.meter_state WHERE meter_number = 8001"), ==,
                        p[0].sold + p[1].sold);
    }
    g_assert_cmpint(ct_admin_int("SELECT sold_count FROM kv.meter_state WHERE meter_number = 8001"), ==, 250);
    g_assert_cmpint(ct_admin_int("SELECT max_seq FROM kv.meter_state WHERE meter_number = 8001"), ==, 10124);
    for (int i = 0; i < 2; i++)
        PQfinish(p[i].conn);
}

/* The money records (docs/multi-office.md, "Across offices"): a sale's
 * payment, a debt movement, a refund with its parts, a credit clear.  The
 * same batch again stores nothing and changes nothing. */
static void test_money_records_replay(void)
{
    g_autoptr(PGconn) c = ct_station(201);
    g_autofree char *batch = NULL, *first = NULL, *second = NULL, *fp1 = NULL, *fp2 = NULL;
    g_autofree char *n_new = NULL, *n_same = NULL, *pay = NULL;

    g_free(ct_admin_value("INSERT INTO kv.customers(id, account, name, debt, created_at) "
                          "VALUES (70, 'ACC-70', 'Ama', 500, 1700000000) RETURNING id"));
    batch = ct_batch(ct_record("payment", 201, 900, "{\"payment\": \"mobile-money\", \"reference\": \"MM-1\"}"),
                     ct_record("debt_movement", 201, 1, "{\"customer\": 70, \"at\": 1700000000, \"kind\": "
                               "\"recovered\", \"amount\": -200, \"sale\": 900, \"user\": 2, \"reason\": \"\", "
                               "\"settlement\": 0}"),
                     ct_record("refund", 201, 1, "{\"meter\": 9001, \"shift\": 1, \"kind\": \"cleared\", "
                               "\"energy\": 50, \"amount\": 50, \"reason\": \"moved\", \"created_by\": 2, "
                               "\"created_at\": 1700000000, \"parts\": [{\"sale\": 900, \"energy\": 50, "
                               "\"amount\": 50}]}"),
                     ct_record("credit_clear", 201, 1, "{\"meter\": 9001, \"card\": 5, \"token_seq\": 3, "
                               "\"readback_counter\": 4, \"cleared_total\": 50, \"amount\": 50, "
                               "\"recorded_at\": 1700000000}"), NULL);
    first = ct_push_expect(c, batch, "ok");
    fp1 = ct_fingerprint();
    second = ct_push_expect(c, batch, "ok");
    fp2 = ct_fingerprint();
    n_new = ct_field(first, "{new}");
    n_same = ct_field(second, "{same}");
    pay = ct_admin_value("SELECT payment || ':' || reference FROM kv.payments WHERE station_no = 201");

    g_assert_cmpstr(n_new, ==, "4");
    g_assert_cmpstr(n_same, ==, "4");
    g_assert_cmpstr(fp1, ==, fp2);
    g_assert_cmpstr(pay, ==, "mobile-money:MM-1");
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.refund_parts WHERE station_no = 201"), ==, 1);
    g_assert_cmpint(ct_admin_int("SELECT debt FROM kv.customers WHERE id = 70"), ==, 300);
}

/* The same key with other content: a payment booked as another type, a
 * debt movement with another amount.  Each is a conflict kept beside the
 * first content, and stops the station. */
static void test_money_records_conflict(void)
{
    g_autoptr(PGconn) c = ct_station(202);
    static const char *const kinds[] = {"payment", "debt_movement"};
    static const char *const first[] = {
        "{\"payment\": \"cash\", \"reference\": null}",
        "{\"customer\": 70, \"at\": 1700000000, \"kind\": \"added\", \"amount\": 100, \"reason\": \"meter\"}"};
    static const char *const second[] = {
        "{\"payment\": \"bank-card\", \"reference\": \"A1\"}",
        "{\"customer\": 70, \"at\": 1700000000, \"kind\": \"added\", \"amount\": 1, \"reason\": \"meter\"}"};

    for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
        g_autofree char *b1 = ct_batch(ct_record(kinds[i], 202, 50, first[i]), NULL);
        g_autofree char *b2 = ct_batch(ct_record(kinds[i], 202, 50, second[i]), NULL);
        g_autofree char *reply = NULL, *kind = NULL, *n = NULL;
        g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM kv.conflicts WHERE station_no = 202 AND "
                                               "kind = '%s' AND stored = '%s'::jsonb AND offered = '%s'::jsonb",
                                               kinds[i], first[i], second[i]);
        ct_push_status(c, b1, "ok");
        reply = ct_push_expect(c, b2, "conflict");
        kind = ct_field(reply, "{kind}");
        g_assert_cmpstr(kind, ==, kinds[i]);
        g_assert_cmpint(ct_admin_int(sql), ==, 1);
        ct_push_status(c, b1, "stopped");
        n = ct_admin_value("SELECT kv.resolve_conflicts(202, 'looked at it')");
        g_assert_cmpstr(n, ==, "1");
    }
    g_assert_cmpint(ct_admin_int("SELECT debt FROM kv.customers WHERE id = 70"), ==, 400);
}

/* A batch of one debt movement of station st (sale 0: none). */
static char *debt_batch(guint st, gint64 id, gint64 customer, gint64 at, const char *kind, gint64 amount,
                        gint64 sale, int settlement)
{
    g_autofree char *c = sale ? g_strdup_printf("{\"customer\": %" G_GINT64_FORMAT ", \"at\": %" G_GINT64_FORMAT
                                                ", \"kind\": \"%s\", \"amount\": %" G_GINT64_FORMAT ", \"sale\": %"
                                                G_GINT64_FORMAT ", \"settlement\": %d}", customer, at, kind, amount,
                                                sale, settlement)
                              : g_strdup_printf("{\"customer\": %" G_GINT64_FORMAT ", \"at\": %" G_GINT64_FORMAT
                                                ", \"kind\": \"%s\", \"amount\": %" G_GINT64_FORMAT
                                                ", \"settlement\": %d}", customer, at, kind, amount, settlement);
    return ct_batch(ct_record("debt_movement", st, id, c), NULL);
}

/* A customer's debt at head office: its opening balance and every
 * station's movements, the stations' settlements not counted again;
 * changed otherwise only through kv.debt_adjust; an overpayment shows
 * apart; the pull carries the balance and the station's debt head. */
static void test_debt_settled_across_stations(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    g_autoptr(PGconn) b = ct_station(201);
    g_autoptr(GError) error = NULL;
    g_autofree char *ba = NULL, *bb = NULL, *bs = NULL, *pulled = NULL, *debt = NULL, *head = NULL;

    g_free(ct_admin_value("INSERT INTO kv.customers(id, account, name, debt, created_at) "
                          "VALUES (71, 'ACC-71', 'Yaw', 1000, 1700000000) RETURNING id"));
    ba = debt_batch(101, 60, 71, 1700000000, "recovered", -400, 1, 0);
    bb = debt_batch(201, 60, 71, 1700000001, "recovered", -400, 2, 0);
    bs = debt_batch(201, 61, 71, 1700000002, "adjusted", -600, 0, 1);
    ct_push_status(a, ba, "ok");
    ct_push_status(b, bb, "ok");
    g_assert_cmpint(ct_admin_int("SELECT debt FROM kv.customers WHERE id = 71"), ==, 200);
    ct_push_status(b, bs, "ok");
    g_assert_cmpint(ct_admin_int("SELECT debt FROM kv.customers WHERE id = 71"), ==, 200);
    ct_assert_refused(ct_admin(), "UPDATE kv.customers SET debt = 0 WHERE id = 71", "23001");
    g_assert_cmpint(ct_admin_int("SELECT kv.debt_adjust(71, -300, 'paid at head office')"), ==, 0);
    g_assert_cmpint(ct_admin_int("SELECT debt_overpaid FROM kv.customers WHERE id = 71"), ==, 100);
    pulled = kv_pg_pull(a, "", &error);
    g_assert_no_error(error);
    debt = ct_field(pulled, "{customers,1,debt}");
    head = ct_field(pulled, "{station,debt_head}");
    g_assert_cmpstr(debt, ==, "0");
    g_assert_cmpstr(head, ==, "60");
}

/* An overpaid debt (recoveries at two offices beyond it) offsets the next
 * debt until head office pays it back with kv.debt_pay_back: never more
 * than is overpaid, with a reason, as a head-office movement that names
 * who paid it and cannot be changed; a station cannot call it. */
static void test_debt_overpaid_paid_back(void)
{
    g_autoptr(PGconn) a = ct_station(101);
    g_autoptr(PGconn) b = ct_station(201);
    g_autofree char *ba = NULL, *bb = NULL, *bc = NULL, *bd = NULL, *row = NULL;

    g_free(ct_admin_value("INSERT INTO kv.customers(id, account, name, debt, created_at) "
                          "VALUES (72, 'ACC-72', 'Esi', 500, 1700000000) RETURNING id"));
    ba = debt_batch(101, 70, 72, 1700000000, "recovered", -400, 1, 0);
    bb = debt_batch(201, 70, 72, 1700000001, "recovered", -300, 2, 0);
    ct_push_status(a, ba, "ok");
    ct_push_status(b, bb, "ok");
    g_assert_cmpint(ct_admin_int("SELECT debt * 1000 + debt_overpaid FROM kv.customers WHERE id = 72"), ==, 200);
    /* Not paid back yet, it offsets a new debt of 50. */
    bc = debt_batch(101, 71, 72, 1700000002, "added", 50, 0, 0);
    ct_push_status(a, bc, "ok");
    g_assert_cmpint(ct_admin_int("SELECT debt * 1000 + debt_overpaid FROM kv.customers WHERE id = 72"), ==, 150);

    ct_assert_refused(a, "SELECT kv.debt_pay_back(72, 150, 'to me')", "42501");
    ct_assert_refused(ct_admin(), "SELECT kv.debt_pay_back(72, 151, 'too much')", "22023");
    ct_assert_refused(ct_admin(), "SELECT kv.debt_pay_back(72, 0, 'nothing')", "22023");
    ct_assert_refused(ct_admin(), "SELECT kv.debt_pay_back(72, 100, ' ')", "22023");
    ct_assert_refused(ct_admin(), "SELECT kv.debt_pay_back(99, 1, 'nobody')", "P0002");
    g_assert_cmpint(ct_admin_int("SELECT kv.debt_pay_back(72, 100, 'cash at head office, receipt HO-1')"), ==, 50);
    g_assert_cmpint(ct_admin_int("SELECT kv.debt_pay_back(72, 50, 'cash at head office, receipt HO-2')"), ==, 0);
    ct_assert_refused(ct_admin(), "SELECT kv.debt_pay_back(72, 1, 'again')", "22023");
    row = ct_admin_value("SELECT string_agg(amount || ':' || (by_role = session_user) || ':' || reason, ', ' ORDER BY id) "
                         "FROM kv.debt_central WHERE customer_id = 72 AND kind = 'paid-back'");
    g_assert_cmpstr(row, ==, "100:true:cash at head office, receipt HO-1, 50:true:cash at head office, receipt HO-2");
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv_report.debt_paid_back() WHERE account = 'ACC-72' "
                                 "AND still_overpaid = 0"), ==, 2);
    ct_assert_refused(ct_admin(), "DELETE FROM kv.debt_central WHERE customer_id = 72 AND kind = 'paid-back'", "23001");
    ct_assert_refused(ct_admin(), "UPDATE kv.debt_central SET amount = 1 WHERE customer_id = 72", "23001");
    /* Paid back, it offsets nothing more: a new debt of 80 is owed in full. */
    bd = debt_batch(201, 71, 72, 1700000003, "added", 80, 0, 0);
    ct_push_status(b, bd, "ok");
    g_assert_cmpint(ct_admin_int("SELECT debt * 1000 + debt_overpaid FROM kv.customers WHERE id = 72"), ==, 80000);
}

static const struct {
    const char *path;
    GTestFunc test;
} tests[] = {
    {"/central/push/replay-is-noop", test_replay_is_noop},
    {"/central/push/conflict-recorded-and-stops", test_conflict_recorded_and_stops},
    {"/central/push/card-serial-collision", test_card_serial_collision},
    {"/central/push/seq-and-readback-max", test_seq_and_readback_max},
    {"/central/push/sold-recomputed", test_sold_recomputed},
    {"/central/push/card-most-restrictive", test_card_most_restrictive},
    {"/central/push/audit-head-stored", test_audit_head_stored},
    {"/central/push/bad-batch-refused", test_bad_batch_refused},
    {"/central/push/concurrent-pushes-same-meter", test_concurrent_pushes_same_meter},
    {"/central/pull/since-cursor", test_pull_since_cursor},
    {"/central/push/money-records-replay-is-noop", test_money_records_replay},
    {"/central/push/money-records-conflict", test_money_records_conflict},
    {"/central/push/debt-settled-across-stations", test_debt_settled_across_stations},
    {"/central/debt/overpaid-paid-back", test_debt_overpaid_paid_back},
};

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(tests); i++)
        g_test_add_func(tests[i].path, tests[i].test);
    return g_test_run();
}
