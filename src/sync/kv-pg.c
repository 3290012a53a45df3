/* kv-pg.c - the station's TLS link to the head office (see kv-pg.h). */
#include "kv-pg.h"

#include <string.h>

G_DEFINE_QUARK(kv-pg-error-quark, kv_pg_error)

void kv_pg_station_files_init(KvPgStationFiles *f, const char *dir, guint station)
{
    g_snprintf(f->user, sizeof f->user, "kv_station_%05u", station);
    f->ca_file = g_build_filename(dir, "ca.crt", NULL);
    f->cert_file = g_strdup_printf("%s/%s.crt", dir, f->user);
    f->key_file = g_strdup_printf("%s/%s.key", dir, f->user);
}

void kv_pg_station_files_clear(KvPgStationFiles *f)
{
    g_clear_pointer(&f->ca_file, g_free);
    g_clear_pointer(&f->cert_file, g_free);
    g_clear_pointer(&f->key_file, g_free);
}

PGconn *kv_pg_connect(const KvPgParams *p, GError **error)
{
    g_autofree char *connect_timeout = g_strdup_printf("%u", p->connect_timeout_s ? p->connect_timeout_s : 10);
    g_autofree char *options = g_strdup_printf("-c statement_timeout=%u",
                                               p->statement_timeout_ms ? p->statement_timeout_ms : 30000);
    /* TLS only, the server's name checked against the utility's CA; a cut
     * link is noticed by TCP within seconds. */
    const char *keys[20] = {"host", "port", "dbname", "user", "sslmode", "sslrootcert", "sslcert", "sslkey",
                            "ssl_min_protocol_version", "connect_timeout", "keepalives", "keepalives_idle",
                            "keepalives_interval", "keepalives_count", "tcp_user_timeout", "options",
                            "application_name"};
    const char *values[20] = {p->host, p->port, p->dbname, p->user, "verify-full", p->ca_file, p->cert_file,
                              p->key_file, "TLSv1.2", connect_timeout, "1", "5", "2", "3", "15000", options,
                              "kilovend-sync"};
    const char *const files[][2] = {{"CA certificate", p->ca_file},
                                    {"station certificate", p->cert_file},
                                    {"station key", p->key_file}};
    int n = 17;
    PGconn *c;

    if (!p->host || !*p->host || !p->user || !*p->user) {
        g_set_error(error, KV_PG_ERROR, KV_PG_ERROR_CONNECT, "head office link: no host or station role given");
        return NULL;
    }
    /* libpq silently goes without a missing certificate (or falls back to
     * ~/.postgresql): say which file is missing instead. */
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        if (!files[i][1] || !*files[i][1] || !g_file_test(files[i][1], G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, KV_PG_ERROR, KV_PG_ERROR_CONNECT, "head office link: %s %s is missing",
                        files[i][0], files[i][1] && *files[i][1] ? files[i][1] : "(not set)");
            return NULL;
        }
    }
    if (p->hostaddr) {
        keys[n] = "hostaddr";
        values[n++] = p->hostaddr;
    }
    keys[n] = NULL;
    values[n] = NULL;
    c = PQconnectdbParams(keys, values, 0);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        g_autofree char *msg = g_strdup(c ? PQerrorMessage(c) : "out of memory");
        g_strchomp(msg);
        g_set_error(error, KV_PG_ERROR, KV_PG_ERROR_CONNECT, "head office link to %s: %s", p->host, msg);
        PQfinish(c);
        return NULL;
    }
    return c;
}

char *kv_pg_query(PGconn *c, const char *sql, int n_params, const char *const *params, char sqlstate[6],
                  GError **error)
{
    PGresult *r = PQexecParams(c, sql, n_params, NULL, params, NULL, NULL, 0);
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    char *out;

    if (sqlstate)
        sqlstate[0] = '\0';
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        g_autofree char *msg = g_strdup(r ? PQresultErrorMessage(r) : PQerrorMessage(c));
        g_strchomp(msg);
        if (sqlstate && state)
            g_strlcpy(sqlstate, state, 6);
        g_set_error(error, KV_PG_ERROR, KV_PG_ERROR_QUERY, "%s%s%s", state ? state : "", state ? ": " : "",
                    msg);
        PQclear(r);
        return NULL;
    }
    out = g_strdup(s == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return out;
}

static char *call_json(PGconn *c, const char *sql, const char *arg, GError **error)
{
    const char *params[] = {arg};
    char *out = kv_pg_query(c, sql, 1, params, NULL, error);

    if (out && out[0] != '{') {
        g_set_error(error, KV_PG_ERROR, KV_PG_ERROR_REPLY, "head office replied \"%.40s\", not a JSON object",
                    out);
        g_free(out);
        return NULL;
    }
    return out;
}

char *kv_pg_push(PGconn *c, const char *batch_json, GError **error)
{
    return call_json(c, "SELECT kv_api.push($1::jsonb)::text", batch_json, error);
}

char *kv_pg_pull(PGconn *c, const char *cursor, GError **error)
{
    return call_json(c, "SELECT kv_api.pull($1)::text", cursor ? cursor : "", error);
}

char *kv_pg_recover(PGconn *c, GError **error)
{
    return call_json(c, "SELECT kv_api.recover()::text WHERE $1 = ''", "", error);
}

gboolean kv_pg_release_swap(PGconn *c, guint32 meter, guint32 new_meter, GError **error)
{
    g_autofree char *m = g_strdup_printf("%u", meter), *n = g_strdup_printf("%u", new_meter);
    const char *params[] = {m, n};
    char state[6];
    GError *local = NULL;
    g_autofree char *r = kv_pg_query(c, "SELECT kv_api.release_swap($1::integer, $2::integer)::text", 2, params,
                                     state, &local);
    if (!r && strcmp(state, "42883") == 0) {
        g_error_free(local);
        return TRUE;
    }
    if (!r)
        g_propagate_error(error, local);
    return r != NULL;
}

gboolean kv_pg_reserve_replacement(PGconn *c, guint32 meter, guint32 new_meter, char **refusal, GError **error)
{
    g_autofree char *m = g_strdup_printf("%u", meter), *n = g_strdup_printf("%u", new_meter);
    const char *params[] = {m, n};
    g_autofree char *r = kv_pg_query(c, "SELECT CASE WHEN r ->> 'status' = 'ok' THEN '' "
                                        "ELSE coalesce(r ->> 'message', r::text) END FROM "
                                        "(SELECT kv_api.reserve_replacement($1::integer) AS r WHERE $2::integer = 0 "
                                        "UNION ALL SELECT kv_api.reserve_swap($1::integer, $2::integer) "
                                        "WHERE $2::integer <> 0) x", 2, params, NULL, error);
    *refusal = NULL;
    if (!r)
        return FALSE;
    if (*r)
        *refusal = g_steal_pointer(&r);
    return TRUE;
}
