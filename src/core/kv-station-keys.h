/* kv-station-keys.h - the station's keys as a whole: which backend, which
 * versions, the migration of a key file into a token, keyload files, and
 * which stations hold which versions (layer: registry).  docs/keys.md. */
#ifndef KV_STATION_KEYS_H
#define KV_STATION_KEYS_H

#include "kv-station.h"

G_BEGIN_DECLS

/* Which station holds which master key versions (free with g_free). */
/* This station's holdings brought up to date (keys unlocked): written, with
 * a keys.holdings audit row, only if they changed. */
gboolean kv_station_key_holdings_note(KvStation *st, GError **error);
typedef struct {
    char station[128]; /* kv_station_key_holder_name, or what sync reported */
    char backend[8];   /* "file" or "pkcs11" */
    char where[256];   /* this station: the key file's path, or the token */
    guint current;     /* this station: the version new meters get */
    guint n_versions;
    guint8 versions[254];
    gint64 reported_at;
} KvKeyHolding;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvKeyHolding, g_free)

/* "1,2,4": versions for people and audit details. */
char *kv_key_versions_text(const guint8 *versions, guint n);
/* KEYS while the keys are locked. */
KvKeyHolding *kv_station_key_status(KvStation *st, GError **error);

/* Admin, keys unlocked from a key file: copy every version into the token
 * (module, label, optional serial, user PIN), check that it derives the
 * same keys, record it in the audit log, shred the key file and put a token
 * descriptor in its place (the same --keys path now names the token).  The
 * station's keys are then the token's. */
gboolean kv_station_keys_migrate(KvStation *st, const char *passphrase, const char *module,
                                 const char *token, const char *serial, const char *pin,
                                 GError **error);

/* Supervisor, keys unlocked from a token: the public part of the token's
 * keyload key (generated in the token the first time), written to path for
 * the key custodian.  Audited. */
gboolean kv_station_keyload_request(KvStation *st, const char *path, GError **error);
/* Admin, keys unlocked from a token: import a keyload file.  Audited,
 * refusals included.  *version: the version loaded. */
gboolean kv_station_keyload_import(KvStation *st, const char *path, guint *version,
                                   GError **error);

/* The version new meters and key-change cards get.  On a station that
 * syncs with a head office: the version head office made current (held by
 * every active station, kv-key-rollout.h) if the keys hold it, else the
 * keys' own current version; a keyload file's "current" mark does not
 * make a version current there.  Keys unlocked. */
guint kv_station_key_current(KvStation *st);
/* Head office's current version as last reported to this station; 0 if
 * none or the station does not sync. */
guint kv_station_key_centre_current(KvStation *st);

/* Holdings: which stations hold which versions.  This station's name is
 * its number ("station 101"), as head office's report names it. */
char *kv_station_key_holder_name(KvStation *st);
/* Record that station holds exactly these versions (replacing what was
 * known of it) at time at: the entry point for acknowledgements that
 * another station's sync brings. */
gboolean kv_key_holdings_record(KvStation *st, const char *station, const char *backend,
                                const guint8 *versions, guint n, gint64 at, GError **error);
/* Every station known, by name (of KvKeyHolding); supervisor. */
GPtrArray *kv_key_holdings_list(KvStation *st, GError **error);
/* The versions every station listed holds, ascending; returns the count. */
guint kv_key_holdings_common(GPtrArray *holdings, guint8 out[254]);

G_END_DECLS

#endif
