/* kv-station-keys.c - the station's keys as a whole: status, migration
 * into a token, keyload files, holdings (see kv-station-keys.h). */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "kv-i18n.h"
#include "kv-audit-private.h"
#include "kv-db.h"
#include "kv-keystore-pkcs11.h"
#include "kv-station-file.h"
#include "kv-station-keys.h"
#include "kv-station-private.h"
#include "kv-time.h"
#include "kv_util.h"

KvKeyHolding *kv_station_key_status(KvStation *st, GError **error)
{
    KvKeyHolding *s;
    g_autofree char *me = NULL, *where = NULL;
    if (!kv_station_require_keys(st, error))
        return NULL;
    s = g_new0(KvKeyHolding, 1);
    me = kv_station_key_holder_name(st);
    where = kv_keystore_describe(st->keys);
    g_strlcpy(s->station, me, sizeof s->station);
    g_strlcpy(s->backend, kv_keystore_backend(st->keys), sizeof s->backend);
    g_strlcpy(s->where, where, sizeof s->where);
    s->current = kv_station_key_current(st);
    s->n_versions = kv_keystore_versions(st->keys, s->versions);
    return s;
}

char *kv_station_key_holder_name(KvStation *st)
{
    return g_strdup_printf("station %u", st->settings.station_no);
}

/* The name holdings had before station numbers ("office 3 / host"). */
static char *legacy_holder_name(KvStation *st)
{
    return g_strdup_printf("office %u / %s", st->settings.office_id, g_get_host_name());
}

static gboolean joined(KvStation *st)
{
    return kv_db_int(st, "SELECT joined_at IS NOT NULL FROM sync_state", 0) != 0;
}

guint kv_station_key_centre_current(KvStation *st)
{
    return joined(st) ? (guint)kv_db_int(st, "SELECT CAST(value AS INTEGER) FROM settings "
                                             "WHERE key = 'keys_centre_current'", 0)
                      : 0;
}

guint kv_station_key_current(KvStation *st)
{
    guint centre = kv_station_key_centre_current(st);
    return centre && kv_keystore_has(st->keys, centre) ? centre : kv_keystore_current(st->keys);
}

char *kv_key_versions_text(const guint8 *v, guint n)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < n; i++)
        g_string_append_printf(s, "%s%u", i ? "," : "", v[i]);
    return g_string_free(s, FALSE);
}

/* Inside a transaction. */
static gboolean holdings_put(KvStation *st, const char *station, const char *backend,
                             const guint8 *versions, guint n, gint64 at, GError **error)
{
    g_autoptr(KvStmt) del = kv_db_stmt(st, "DELETE FROM key_holdings WHERE station = ?", error);
    if (!del)
        return FALSE;
    sqlite3_bind_text(del, 1, station, -1, SQLITE_TRANSIENT);
    if (!kv_db_step_done(st, del, _("key holdings"), error))
        return FALSE;
    for (guint i = 0; i < n; i++) {
        g_autoptr(KvStmt) ins = kv_db_stmt(st, "INSERT INTO key_holdings(station, key_version, "
                                               "backend, reported_at) VALUES (?, ?, ?, ?)", error);
        if (!ins)
            return FALSE;
        sqlite3_bind_text(ins, 1, station, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 2, versions[i]);
        sqlite3_bind_text(ins, 3, backend, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 4, at);
        if (!kv_db_step_done(st, ins, _("key holdings"), error))
            return FALSE;
    }
    return TRUE;
}

gboolean kv_key_holdings_record(KvStation *st, const char *station, const char *backend,
                                const guint8 *versions, guint n, gint64 at, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *list = kv_key_versions_text(versions, n);
    g_autofree char *detail = g_strdup_printf("backend=%s versions=%s", backend, list);
    if (!station || !*station || strlen(station) >= sizeof ((KvKeyHolding *)NULL)->station ||
        (g_strcmp0(backend, "file") && g_strcmp0(backend, "pkcs11"))) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a key holding needs a station name and a backend (file or pkcs11)"));
        return FALSE;
    }
    for (guint i = 0; i < n; i++)
        if (versions[i] == 0 || versions[i] > 254) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("key versions are 1 to 254"));
            return FALSE;
        }
    return kv_txn_begin(&txn, st, error) &&
           holdings_put(st, station, backend, versions, n, at, error) &&
           kv_audit_commit(&txn, "keys.holdings", station, detail, error);
}

/* This station's own holdings and an audit row, in one transaction. */
static gboolean record_own(KvStation *st, const char *action, const char *detail, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *me = kv_station_key_holder_name(st), *old = legacy_holder_name(st);
    guint8 v[KV_KEYSTORE_MAX_VERSIONS];
    guint n = kv_keystore_versions(st->keys, v);
    g_autofree char *list = kv_key_versions_text(v, n);
    g_autofree char *full = g_strdup_printf("%s backend=%s current=%u versions=%s", detail,
                                            kv_keystore_backend(st->keys),
                                            kv_station_key_current(st), list);
    return kv_txn_begin(&txn, st, error) &&
           holdings_put(st, old, "file", NULL, 0, 0, error) &&
           holdings_put(st, me, kv_keystore_backend(st->keys), v, n, kv_now(), error) &&
           kv_audit_commit(&txn, action, "keys", full, error);
}

gboolean kv_station_key_holdings_note(KvStation *st, GError **error)
{
    g_autofree char *me = NULL, *held = NULL, *known = NULL;
    g_autoptr(KvStmt) s = NULL;
    guint8 v[KV_KEYSTORE_MAX_VERSIONS];
    if (!kv_station_require_keys(st, error))
        return FALSE;
    me = kv_station_key_holder_name(st);
    held = kv_key_versions_text(v, kv_keystore_versions(st->keys, v));
    s = kv_db_stmt(st, "SELECT coalesce(group_concat(key_version, ','), '') FROM (SELECT "
                       "key_version FROM key_holdings WHERE station = ? AND backend = ? ORDER BY "
                       "key_version)", error);
    if (!s)
        return FALSE;
    sqlite3_bind_text(s, 1, me, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, kv_keystore_backend(st->keys), -1, SQLITE_STATIC);
    known = sqlite3_step(s) == SQLITE_ROW ? kv_db_col_text(s, 0) : g_strdup("");
    return strcmp(known, held) == 0 || record_own(st, "keys.holdings", "noted", error);
}

GPtrArray *kv_key_holdings_list(KvStation *st, GError **error)
{
    KvKeyHolding *h = NULL;
    GPtrArray *out;
    g_autoptr(KvStmt) s =
        kv_station_require(st, KV_ROLE_SUPERVISOR, error)
            ? kv_db_stmt(st, "SELECT station, backend, key_version, reported_at FROM "
                             "key_holdings ORDER BY station, key_version", error)
            : NULL;
    if (!s)
        return NULL;
    out = g_ptr_array_new_with_free_func(g_free);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        if (!h || strcmp(h->station, name) != 0) {
            h = g_new0(KvKeyHolding, 1);
            g_strlcpy(h->station, name, sizeof h->station);
            g_strlcpy(h->backend, (const char *)sqlite3_column_text(s, 1), sizeof h->backend);
            g_ptr_array_add(out, h);
        }
        h->versions[h->n_versions++] = (guint8)sqlite3_column_int(s, 2);
        h->reported_at = MAX(h->reported_at, sqlite3_column_int64(s, 3));
    }
    return out;
}

guint kv_key_holdings_common(GPtrArray *holdings, guint8 out[254])
{
    guint n = 0;
    for (guint v = 1; holdings->len && v <= 254; v++) {
        gboolean all = TRUE;
        for (guint i = 0; all && i < holdings->len; i++) {
            const KvKeyHolding *h = holdings->pdata[i];
            all = memchr(h->versions, (int)v, h->n_versions) != NULL;
        }
        if (all)
            out[n++] = (guint8)v;
    }
    return n;
}

/* ---- migration ---- */

/* Overwrite the file's bytes (random, then zeros, each synced); the caller
 * then replaces it.  On flash or a journalling or copy-on-write file
 * system the old blocks may survive: docs/security-model.md says so. */
static gboolean shred_file(const char *path, GError **error)
{
    GStatBuf sb;
    int fd = g_open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);
    int err;
    gboolean ok = fd >= 0 && g_stat(path, &sb) == 0;
    for (int pass = 0; ok && pass < 2; pass++) {
        guint8 buf[4096];
        off_t done = 0;
        ok = lseek(fd, 0, SEEK_SET) == 0;
        while (ok && done < sb.st_size) {
            gsize n = (gsize)MIN((off_t)sizeof buf, sb.st_size - done);
            if (pass == 0)
                ok = RAND_bytes(buf, (int)n) == 1;
            else
                memset(buf, 0, n);
            ok = ok && write(fd, buf, n) == (ssize_t)n;
            done += (off_t)n;
        }
        ok = ok && fsync(fd) == 0;
    }
    err = errno;
    if (fd >= 0)
        close(fd);
    if (!ok) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                    _("could not overwrite the key file %s (%s): it was replaced by the token "
                    "descriptor, but its bytes may remain on the disk"), path, g_strerror(err));
        return FALSE;
    }
    return TRUE;
}

static gboolean require_backend(KvStation *st, const char *backend, GError **error)
{
    if (!kv_station_require_keys(st, error))
        return FALSE;
    if (strcmp(kv_keystore_backend(st->keys), backend) != 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    strcmp(backend, "file") == 0
                        ? _("the keys are in a token already")
                        : _("the keys are in a key file, not a token: migrate them first "
                            "(`kilovendctl key migrate`)"));
        return FALSE;
    }
    return TRUE;
}

gboolean kv_station_keys_migrate(KvStation *st, const char *passphrase, const char *module,
                                 const char *token, const char *serial, const char *pin,
                                 GError **error)
{
    g_autoptr(KvKeyring) ring = NULL;
    g_autoptr(KvKeystore) ks = NULL;
    g_autofree char *tmp = NULL, *detail = NULL, *where = NULL;
    g_autoptr(GError) local = NULL;
    gboolean shredded;

    if (!kv_station_require(st, KV_ROLE_ADMIN, error) || !require_backend(st, "file", error))
        return FALSE;
    if (!(ring = kv_keyring_load(st->keys_path, passphrase, error)))
        return FALSE;
    tmp = g_strconcat(st->keys_path, ".token", NULL);
    g_unlink(tmp);
    if (!kv_token_descriptor_write(tmp, module, token, serial, error))
        return FALSE;
    if (!(ks = kv_keystore_open(tmp, pin, error)) ||
        !kv_keystore_pkcs11_import_ring(ks, ring, error)) {
        g_unlink(tmp);
        return FALSE;
    }
    g_clear_pointer(&ring, kv_keyring_free);
    where = kv_keystore_describe(ks);
    detail = g_strdup_printf("from=%s to=%s", st->keys_path, where);
    /* The audit row first: if the ledger refuses it, the key file stays. */
    kv_station_lock_keys(st);
    st->keys = g_steal_pointer(&ks);
    if (!record_own(st, "keys.migrate", detail, error)) {
        g_unlink(tmp);
        return FALSE;
    }
    /* Overwritten, then replaced: the descriptor's rename removes it. */
    shredded = shred_file(st->keys_path, &local);
    if (g_rename(tmp, st->keys_path) != 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                    _("cannot put the token descriptor %s in place of %s: %s"), tmp,
                    st->keys_path, g_strerror(errno));
        return FALSE;
    }
    if (!shredded) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    return TRUE;
}

/* ---- keyload ---- */

gboolean kv_station_keyload_request(KvStation *st, const char *path, GError **error)
{
    g_autofree char *pem = NULL;
    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) || !require_backend(st, "pkcs11", error))
        return FALSE;
    if (!(pem = kv_keystore_pkcs11_keyload_key(st->keys, TRUE, error)) ||
        !g_file_set_contents(path, pem, -1, error))
        return FALSE;
    return kv_audit_record(st, "keys.request", "keys", path, error);
}

gboolean kv_station_keyload_import(KvStation *st, const char *path, guint *version,
                                   GError **error)
{
    g_autofree guint8 *data = NULL;
    g_autofree char *detail = NULL;
    g_autoptr(GError) local = NULL;
    gsize len = 0;
    guint v = 0, before;
    gboolean current = FALSE;

    if (!kv_station_require(st, KV_ROLE_ADMIN, error) || !require_backend(st, "pkcs11", error))
        return FALSE;
    if (!g_file_get_contents(path, (char **)&data, &len, error))
        return FALSE;
    before = kv_keystore_current(st->keys);
    if (!kv_keystore_pkcs11_keyload(st->keys, data, len, st->settings.utility_code, &v, &current,
                                    &local)) {
        /* A refused file is evidence: it goes in the audit log too. */
        g_autofree char *why = g_strdup_printf("file=%s refused: %s", path, local->message);
        kv_audit_record(st, "keys.load.refused", "keys", why, NULL);
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    if (current && before && joined(st)) {
        /* A station that syncs makes a version current only once head
         * office says every active station holds it (kv-key-rollout.h):
         * the file's "current" mark is not enough. */
        if (!kv_keystore_pkcs11_set_current(st->keys, before, error))
            return FALSE;
        current = FALSE;
    }
    detail = g_strdup_printf("file=%s version=%u%s", path, v, current ? " made-current" : "");
    if (!record_own(st, "keys.load", detail, error))
        return FALSE;
    if (current) {
        /* New meters get it from now on (as after `key rotate`). */
        char buf[8];
        g_snprintf(buf, sizeof buf, "%u", v);
        if (!kv_station_set_setting(st, "key_version", buf, error))
            return FALSE;
    }
    if (version)
        *version = v;
    return TRUE;
}
