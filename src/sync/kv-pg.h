/* kv-pg.h - the station's link to the head office: a TLS connection with
 * the station's certificate, and the two calls it may make.
 *
 * Independent of the station core: the sync process links it, and so do
 * the head office's tests and benchmark.  Every call is bounded in time
 * (connect, TCP and statement timeouts), so a cut link fails in seconds
 * instead of hanging; a failure after the server committed is the
 * unknown-outcome case that a re-push (a no-op) resolves. */
#ifndef KV_PG_H
#define KV_PG_H

#include <glib.h>
#include <libpq-fe.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PGconn, PQfinish)

#define KV_PG_ERROR (kv_pg_error_quark())
GQuark kv_pg_error_quark(void);

typedef enum {
    KV_PG_ERROR_CONNECT, /* could not connect or log in (message says why) */
    KV_PG_ERROR_QUERY,   /* the server refused the statement (sqlstate set) */
    KV_PG_ERROR_REPLY,   /* the reply was not what the call returns */
} KvPgError;

/* Where the head office is and who this station is.  host must match the
 * server certificate (sslmode=verify-full against ca_file).  Zero timeouts
 * take the defaults (10 s connect, 30 s statements). */
typedef struct {
    const char *host;
    const char *port;
    const char *dbname;
    const char *user;      /* kv_station_NNNNN, the certificate's CN */
    const char *ca_file;   /* the utility's CA */
    const char *cert_file; /* the station's certificate and key */
    const char *key_file;
    const char *hostaddr;  /* optional: the address to reach host at */
    guint connect_timeout_s;
    guint statement_timeout_ms;
} KvPgParams;

/* Fills params for station number `station` from a folder holding ca.crt
 * and kv_station_NNNNN.crt/.key.  Strings are owned by the caller's
 * KvPgStationFiles and live as long as it does. */
typedef struct {
    char user[32];
    char *ca_file;
    char *cert_file;
    char *key_file;
} KvPgStationFiles;
void kv_pg_station_files_init(KvPgStationFiles *f, const char *dir, guint station);
void kv_pg_station_files_clear(KvPgStationFiles *f);

/* NULL with error set on failure. */
PGconn *kv_pg_connect(const KvPgParams *p, GError **error);

/* Runs sql with text parameters; returns the first column of the first row
 * (newly allocated; "" for no row or NULL).  On a refusal sets error
 * (KV_PG_ERROR_QUERY) and, if sqlstate is not NULL, the five-character
 * SQLSTATE (else ""). */
char *kv_pg_query(PGconn *c, const char *sql, int n_params, const char *const *params,
                  char sqlstate[6], GError **error);

/* kv_api.push(batch) and kv_api.pull(cursor): the JSON reply as text. */
char *kv_pg_push(PGconn *c, const char *batch_json, GError **error);
char *kv_pg_pull(PGconn *c, const char *cursor, GError **error);
/* kv_api.recover(): every record the station pushed, as JSON text. */
char *kv_pg_recover(PGconn *c, GError **error);
/* kv_api.reserve_replacement(meter) (new_meter 0), or
 * kv_api.reserve_swap(meter, new_meter): TRUE once head office answered;
 * *refusal NULL (reserved for this station) or why not (another station
 * holds the meter's reservation). */
gboolean kv_pg_reserve_replacement(PGconn *c, guint32 meter, guint32 new_meter, char **refusal, GError **error);
/* kv_api.release_swap(meter, new_meter): this station's reservations of
 * the two meters end (a swap given up).  TRUE also from a head office
 * before its migration 016 (no such call: the reservation lapses). */
gboolean kv_pg_release_swap(PGconn *c, guint32 meter, guint32 new_meter, GError **error);

#endif
