/* central-test.c - shared parts of the head office tests. */
#include "central-test.h"

#include "kv-audit.h"
#include <stdarg.h>
#include <string.h>

static PGconn *admin;

PGconn *ct_admin(void)
{
    if (!admin) {
        /* PGHOST (the socket), PGPORT, PGUSER, PGDATABASE: set by the harness. */
        admin = PQconnectdb("");
        if (PQstatus(admin) != CONNECTION_OK)
            g_error("admin connection: %s (run under tests/central/kv-pg-harness)", PQerrorMessage(admin));
    }
    return admin;
}

char *ct_admin_value(const char *sql)
{
    g_autoptr(GError) error = NULL;
    char *v = kv_pg_query(ct_admin(), sql, 0, NULL, NULL, &error);
    if (!v)
        g_error("%s: %s", sql, error->message);
    return v;
}

gint64 ct_admin_int(const char *sql)
{
    g_autofree char *v = ct_admin_value(sql);
    return g_ascii_strtoll(v, NULL, 10);
}

char *ct_pki(const char *name)
{
    const char *dir = g_getenv("KV_PG_PKI");
    if (!dir)
        g_error("KV_PG_PKI is not set (run under tests/central/kv-pg-harness)");
    return g_build_filename(dir, name, NULL);
}

PGconn *ct_connect(const char *user, const char *cert, const char *key, const char *ca, const char *host,
                   const char *hostaddr, GError **error)
{
    KvPgParams p = {
        .host = host ? host : g_getenv("KV_PG_HOST"),
        .port = g_getenv("KV_PG_PORT"),
        .dbname = g_getenv("KV_PG_DB"),
        .user = user,
        .ca_file = ca,
        .cert_file = cert,
        .key_file = key,
        .hostaddr = hostaddr,
        .connect_timeout_s = 10,
        .statement_timeout_ms = 30000,
    };
    return kv_pg_connect(&p, error);
}

PGconn *ct_station(guint no)
{
    g_autoptr(GError) error = NULL;
    KvPgStationFiles f;
    PGconn *c;

    kv_pg_station_files_init(&f, g_getenv("KV_PG_PKI"), no);
    c = ct_connect(f.user, f.cert_file, f.key_file, f.ca_file, NULL, NULL, &error);
    kv_pg_station_files_clear(&f);
    if (!c)
        g_error("station %u: %s", no, error->message);
    return c;
}

void ct_assert_refused(PGconn *c, const char *sql, const char *sqlstate)
{
    g_autoptr(GError) error = NULL;
    char state[6];
    g_autofree char *v = kv_pg_query(c, sql, 0, NULL, state, &error);

    if (v)
        g_error("accepted, should have been refused: %s", sql);
    g_test_message("refused as expected: %s -> %s", sql, error->message);
    if (strcmp(state, sqlstate) != 0)
        g_error("%s: refused with %s, expected SQLSTATE %s", sql, error->message, sqlstate);
}

char *ct_field(const char *json, const char *path)
{
    const char *params[] = {json, path};
    g_autoptr(GError) error = NULL;
    char *v = kv_pg_query(ct_admin(), "SELECT $1::jsonb #>> $2::text[]", 2, params, NULL, &error);
    if (!v)
        g_error("ct_field: %s", error->message);
    return v;
}

static char *record(const char *kind, guint st, gint64 id, char *content)
{
    char *r = g_strdup_printf("{\"kind\": \"%s\", \"station\": %u, \"id\": %" G_GINT64_FORMAT ", \"content\": %s}",
                              kind, st, id, content);
    g_free(content);
    return r;
}

char *ct_record(const char *kind, guint st, gint64 id, const char *content)
{
    return record(kind, st, id, g_strdup(content));
}

char *ct_sale(guint st, gint64 id, gint64 meter, gint64 card, gint64 seq, gint64 amount, gint64 energy,
              gint64 cumulative)
{
    return record("sale", st, id,
                  g_strdup_printf("{\"meter\": %" G_GINT64_FORMAT ", \"card\": %" G_GINT64_FORMAT
                                  ", \"customer\": null, \"tariff\": 1, \"cashier\": 2, \"shift\": 1, \"seq\": %"
                                  G_GINT64_FORMAT ", \"amount\": %" G_GINT64_FORMAT ", \"fixed_charge\": 0, "
                                  "\"debt_recovered\": 0, \"energy_net\": %" G_GINT64_FORMAT ", \"vat\": 0, "
                                  "\"energy\": %" G_GINT64_FORMAT ", \"base_cumulative\": %" G_GINT64_FORMAT
                                  ", \"cumulative\": %" G_GINT64_FORMAT ", \"blocks\": \"1:%" G_GINT64_FORMAT
                                  "\", \"office\": %u, \"created_at\": 1700000000}",
                                  meter, card, seq, amount, amount, energy, cumulative - energy, cumulative,
                                  energy, st));
}

char *ct_state(guint st, gint64 id, gint64 sale, const char *state, gint64 cancel_seq)
{
    g_autofree char *cs = cancel_seq ? g_strdup_printf("%" G_GINT64_FORMAT, cancel_seq) : g_strdup("null");
    return record("sale_state", st, id,
                  g_strdup_printf("{\"sale\": %" G_GINT64_FORMAT ", \"state\": \"%s\", \"at\": 1700000100, "
                                  "\"cancel_seq\": %s}", sale, state, cs));
}

char *ct_card(guint st, gint64 serial, gint64 meter, const char *status)
{
    return record("card", st, serial,
                  g_strdup_printf("{\"meter\": %" G_GINT64_FORMAT ", \"type\": 1, \"status\": \"%s\", "
                                  "\"issued_at\": 1700000000, \"replaces\": null}", meter, status));
}

char *ct_card_status(guint st, gint64 id, gint64 serial, const char *status)
{
    return record("card_status", st, id,
                  g_strdup_printf("{\"card\": %" G_GINT64_FORMAT ", \"status\": \"%s\", \"at\": 1700000200, "
                                  "\"reason\": \"test\"}", serial, status));
}

char *ct_readback(guint st, gint64 id, gint64 meter, gint64 counter, gint64 last_seq)
{
    return record("readback", st, id,
                  g_strdup_printf("{\"meter\": %" G_GINT64_FORMAT ", \"card\": 1, \"counter\": %" G_GINT64_FORMAT
                                  ", \"last_seq\": %" G_GINT64_FORMAT ", \"read_at\": 1700000300, "
                                  "\"remaining\": 500, \"cumulative_loaded\": 1000, \"status\": 0}",
                                  meter, counter, last_seq));
}

char *ct_engineering(guint st, gint64 id, gint64 meter, gint64 card, gint64 seq)
{
    return record("engineering_token", st, id,
                  g_strdup_printf("{\"meter\": %" G_GINT64_FORMAT ", \"card\": %" G_GINT64_FORMAT
                                  ", \"kind\": 2, \"seq\": %" G_GINT64_FORMAT ", \"key_version\": 1, "
                                  "\"hoarding_limit\": 100000, \"issued_at\": 1700000400}", meter, card, seq));
}

char *ct_shift(guint st, gint64 id)
{
    return record("shift", st, id,
                  g_strdup_printf("{\"cashier\": 2, \"opened_at\": 1700000000, \"closed_at\": 1700030000, "
                                  "\"opening_float\": 0, \"expected_cash\": 1000, \"counted_cash\": 1000}"));
}

char *ct_audit(guint st, gint64 id, guint8 prev[32], const char *action, const char *detail)
{
    /* The station's canonical row, hashed as the station does. */
    g_autofree char *prev_hex = NULL, *hash_hex = NULL;
    guint8 hash[32];

    kv_audit_row_hash(prev, id, 1700000500, 2, action, "sale", detail, hash);
    prev_hex = g_malloc(65);
    hash_hex = g_malloc(65);
    for (int i = 0; i < 32; i++) {
        g_snprintf(prev_hex + 2 * i, 3, "%02x", prev[i]);
        g_snprintf(hash_hex + 2 * i, 3, "%02x", hash[i]);
    }
    memcpy(prev, hash, 32);
    return record("audit", st, id,
                  g_strdup_printf("{\"at\": 1700000500, \"user\": 2, \"action\": \"%s\", \"object\": \"sale\", "
                                  "\"detail\": \"%s\", \"prev_hash\": \"%s\", \"hash\": \"%s\", \"mac\": null}",
                                  action, detail, prev_hex, hash_hex));
}

char *ct_batch(char *first, ...)
{
    GString *s = g_string_new("[");
    va_list ap;
    char *r = first;

    va_start(ap, first);
    while (r) {
        if (s->len > 1)
            g_string_append_c(s, ',');
        g_string_append(s, r);
        g_free(r);
        r = va_arg(ap, char *);
    }
    va_end(ap);
    g_string_append_c(s, ']');
    return g_string_free(s, FALSE);
}

char *ct_push_expect(PGconn *c, const char *batch, const char *status)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *got = NULL;
    char *reply = kv_pg_push(c, batch, &error);

    if (!reply)
        g_error("push: %s", error->message);
    got = ct_field(reply, "{status}");
    if (g_strcmp0(got, status) != 0)
        g_error("push replied %s, expected status %s", reply, status);
    return reply;
}

void ct_push_status(PGconn *c, const char *batch, const char *status)
{
    g_free(ct_push_expect(c, batch, status));
}

char *ct_fingerprint(void)
{
    static const char *const tables[] = {"sales", "sale_states", "cards", "card_statuses", "readbacks",
                                         "engineering_tokens", "shifts", "audit", "meter_state", "card_state",
                                         "conflicts", "payments", "debt_movements", "refunds", "refund_parts",
                                         "credit_clears", "loaded_above_sold", "customers", "debt_central",
                                         "sales_daily", "meter_month"};
    GString *sql = g_string_new("SELECT md5(concat_ws('|'");
    for (gsize i = 0; i < G_N_ELEMENTS(tables); i++)
        g_string_append_printf(sql, ", (SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY to_jsonb(x)::text) "
                                    "FROM kv.%s x)", tables[i]);
    g_string_append(sql, ", (SELECT string_agg(station_no || ':' || audit_head_id || ':' || "
                         "encode(audit_head_hash, 'hex') || ':' || sync_state, ',' ORDER BY station_no) "
                         "FROM kv.stations)))");
    g_autofree char *q = g_string_free(sql, FALSE);
    return ct_admin_value(q);
}
