/* central-test.h - shared parts of the head office tests: connections to
 * the server kv-pg-harness started, and the records a station pushes. */
#ifndef CENTRAL_TEST_H
#define CENTRAL_TEST_H

#include "kv-pg.h"

/* The head office's superuser, on the harness's unix socket. */
PGconn *ct_admin(void);
/* First column of the first row of an admin statement; fails the test on
 * an error. */
char *ct_admin_value(const char *sql);
gint64 ct_admin_int(const char *sql);
/* Station `no` over TLS with its own certificate (sslmode=verify-full). */
PGconn *ct_station(guint no);
/* The same with the files and options given (for the attacks). */
PGconn *ct_connect(const char *user, const char *cert, const char *key, const char *ca,
                   const char *host, const char *hostaddr, GError **error);
char *ct_pki(const char *name);

/* Runs sql as the connection's role and asserts that the server refuses
 * it with `sqlstate`. */
void ct_assert_refused(PGconn *c, const char *sql, const char *sqlstate);

/* A reply's field, read by the server's own JSON parser. */
char *ct_field(const char *json, const char *path);

/* Records (JSON objects) of station st with local id id. */
char *ct_record(const char *kind, guint st, gint64 id, const char *content);
char *ct_sale(guint st, gint64 id, gint64 meter, gint64 card, gint64 seq, gint64 amount, gint64 energy,
              gint64 cumulative);
char *ct_state(guint st, gint64 id, gint64 sale, const char *state, gint64 cancel_seq);
char *ct_card(guint st, gint64 serial, gint64 meter, const char *status);
char *ct_card_status(guint st, gint64 id, gint64 serial, const char *status);
char *ct_readback(guint st, gint64 id, gint64 meter, gint64 counter, gint64 last_seq);
char *ct_engineering(guint st, gint64 id, gint64 meter, gint64 card, gint64 seq);
char *ct_shift(guint st, gint64 id);
/* Audit row id chained on prev (32 bytes, updated to this row's hash), with
 * the station's canonical form. */
char *ct_audit(guint st, gint64 id, guint8 prev[32], const char *action, const char *detail);

/* "[r1,r2,...]" from NULL-terminated records (freed). */
char *ct_batch(char *first, ...) G_GNUC_NULL_TERMINATED;

/* Push and expect a reply with this status; returns the reply. */
char *ct_push_expect(PGconn *c, const char *batch, const char *status);
void ct_push_status(PGconn *c, const char *batch, const char *status);

/* A digest of every pushed record and of the merged state, for "nothing
 * changed" checks. */
char *ct_fingerprint(void);

#endif
