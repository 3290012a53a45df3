/* kv-sync-client.c - one round of push and pull (see kv-sync-client.h). */
#include "kv-sync-client.h"

#include <string.h>

#include "kv-key-rollout.h"
#include "kv-station-file.h"
#include "kv-sync-state.h"
#include "kv-test-point.h"

void kv_sync_config_free(KvSyncConfig *c)
{
    if (!c)
        return;
    g_free(c->host);
    g_free(c->port);
    g_free(c->dbname);
    g_free(c->hostaddr);
    g_free(c->ca_file);
    g_free(c->cert_file);
    g_free(c->key_file);
    g_free(c);
}

static char *conf_string(GKeyFile *k, const char *key, const char *dflt)
{
    g_autofree char *v = g_key_file_get_string(k, "head-office", key, NULL);
    if (v)
        g_strstrip(v);
    return v && *v ? g_steal_pointer(&v) : g_strdup(dflt);
}

static guint conf_uint(GKeyFile *k, const char *key, guint dflt, guint lo, guint hi, GError **error)
{
    g_autofree char *v = conf_string(k, key, NULL);
    guint64 n;
    if (!v)
        return dflt;
    if (!g_ascii_string_to_unsigned(v, 10, lo, hi, &n, NULL)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, "sync configuration: %s = %s is not "
                    "a number in %u..%u", key, v, lo, hi);
        return 0;
    }
    return (guint)n;
}

KvSyncConfig *kv_sync_config_load(const char *path, guint station_no, GError **error)
{
    g_autoptr(GKeyFile) k = g_key_file_new();
    g_autoptr(KvSyncConfig) c = g_new0(KvSyncConfig, 1);
    g_autofree char *pki = NULL;
    GError *e = NULL;

    if (!path)
        path = KV_SYNC_CONFIG_DEFAULT;
    if (!g_key_file_load_from_file(k, path, G_KEY_FILE_NONE, &e)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, "sync configuration %s: %s", path,
                    e->message);
        g_error_free(e);
        return NULL;
    }
    c->host = conf_string(k, "host", NULL);
    c->port = conf_string(k, "port", "5432");
    c->dbname = conf_string(k, "dbname", "kilovend");
    c->hostaddr = conf_string(k, "hostaddr", NULL);
    pki = conf_string(k, "pki", NULL);
    if (pki) {
        KvPgStationFiles f;
        kv_pg_station_files_init(&f, pki, station_no);
        c->ca_file = g_steal_pointer(&f.ca_file);
        c->cert_file = g_steal_pointer(&f.cert_file);
        c->key_file = g_steal_pointer(&f.key_file);
        kv_pg_station_files_clear(&f);
    }
    if (!c->ca_file)
        c->ca_file = conf_string(k, "ca", NULL);
    if (!c->cert_file)
        c->cert_file = conf_string(k, "cert", NULL);
    if (!c->key_file)
        c->key_file = conf_string(k, "key", NULL);
    c->interval_s = conf_uint(k, "interval", 60, 1, 86400, &e);
    if (!e)
        c->batch_rows = conf_uint(k, "batch", 500, 1, 3000, &e);
    if (!e)
        c->connect_timeout_s = conf_uint(k, "connect_timeout", 10, 1, 600, &e);
    if (e) {
        g_propagate_error(error, e);
        return NULL;
    }
    if (!c->host) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, "sync configuration %s: no host", path);
        return NULL;
    }
    return g_steal_pointer(&c);
}

/* The link failed: recorded (offline since), then returned. */
static gboolean link_failed(KvStation *st, GError *link, GError **error)
{
    kv_outbox_failed(st, link->message, NULL);
    g_propagate_error(error, link);
    return FALSE;
}

/* Stopped by a conflict, or the ledger must be recovered. */
static gboolean refuse_if_stopped(KvStation *st, GError **error)
{
    g_autoptr(KvSyncStatus) s = kv_sync_status(st, error);
    if (!s)
        return FALSE;
    if (s->recover) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    "sync refused: this ledger is behind or forked from the head office's copy "
                    "(%s); run `kilovendctl sync recover`", s->recover);
        return FALSE;
    }
    if (s->conflict) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    "sync is stopped: %s; head office must resolve the conflict", s->conflict);
        return FALSE;
    }
    return TRUE;
}

static gboolean pull(KvStation *st, PGconn *c, KvSyncRound *round, GError **error)
{
    g_autofree char *cursor = kv_outbox_pull_cursor(st, error);
    g_autofree char *reply = NULL;
    GError *link = NULL;
    KvOutboxPull got;

    if (!cursor)
        return FALSE;
    if (!(reply = kv_pg_pull(c, cursor, &link)))
        return link_failed(st, link, error);
    if (!kv_outbox_apply_pull(st, reply, &got, error))
        return FALSE;
    /* A round's pulls add up. */
    round->pull.master += got.master;
    round->pull.meters += got.meters;
    round->pull.cards += got.cards;
    round->pull.settled += got.settled;
    round->pull.reset |= got.reset;
    return TRUE;
}

/* The key versions this station holds, reported; head office's report of
 * every station's, applied (kv-key-rollout.h).  A head office without
 * kv_api.key_holdings (before its migration 009) is skipped. */
static gboolean key_holdings(KvStation *st, PGconn *c, GError **error)
{
    g_autofree char *report = NULL, *reply = NULL;
    KvKeyRollout got;
    GError *local = NULL, *link = NULL;
    const char *params[1];
    char state[6];
    gboolean ok;

    if (!(report = kv_key_rollout_report(st, &local)))
        return local ? (g_propagate_error(error, local), FALSE) : TRUE;
    params[0] = report;
    if (!(reply = kv_pg_query(c, "SELECT kv_api.key_holdings($1::jsonb)::text", 1, params, state, &link))) {
        if (strcmp(state, "42883") == 0) {
            g_error_free(link);
            return TRUE;
        }
        return link_failed(st, link, error);
    }
    ok = kv_key_rollout_apply(st, reply, &got, error);
    kv_key_rollout_clear(&got);
    return ok;
}

/* The station's TLS connection to head office; a failure is recorded. */
static PGconn *connect_station(KvStation *st, const KvSyncConfig *cfg, GError **error)
{
    const KvSettings *set = kv_station_settings(st);
    char user[32];
    KvPgParams p = {
        .host = cfg->host, .port = cfg->port, .dbname = cfg->dbname, .user = user,
        .ca_file = cfg->ca_file, .cert_file = cfg->cert_file, .key_file = cfg->key_file,
        .hostaddr = cfg->hostaddr, .connect_timeout_s = cfg->connect_timeout_s,
    };
    PGconn *c;
    GError *link = NULL;

    if (set->station_no < 1 || set->station_no > KV_STATION_NO_MAX) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    "this ledger has no station number (setting station_no is %u): head office "
                    "registers one (1..%u); set it with `kilovendctl setting set station_no N`",
                    set->station_no, KV_STATION_NO_MAX);
        return NULL;
    }
    g_snprintf(user, sizeof user, "kv_station_%05u", set->station_no);
    if (!(c = kv_pg_connect(&p, &link)))
        link_failed(st, link, error);
    return c;
}

gboolean kv_sync_round(KvStation *st, const KvSyncConfig *cfg, KvSyncRound *round, GError **error)
{
    g_autoptr(PGconn) c = NULL;
    GError *link = NULL;

    memset(round, 0, sizeof *round);
    if (!(c = connect_station(st, cfg, error)))
        return FALSE;
    /* Pull first: head office's copy of the audit chain tells whether this
     * ledger may push at all (behind or forked: recover first). */
    if (!pull(st, c, round, error) || !refuse_if_stopped(st, error))
        return FALSE;
    for (;;) {
        g_autoptr(KvOutboxBatch) b = kv_outbox_next(st, cfg->batch_rows ? cfg->batch_rows : 500, error);
        g_autofree char *reply = NULL, *message = NULL;
        KvOutboxPush result;
        if (!b)
            return FALSE;
        if (!b->json)
            break;
        kv_test_point("sync-before-send");
        if (!(reply = kv_pg_push(c, b->json, &link)))
            return link_failed(st, link, error);
        if (!kv_outbox_pushed(st, b, reply, &result, &message, error))
            return FALSE;
        if (result != KV_OUTBOX_PUSH_OK) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE, "sync stopped: %s", message);
            return FALSE;
        }
        round->batches++;
        round->records += b->records;
    }
    if (round->batches && !pull(st, c, round, error))
        return FALSE;
    if (!key_holdings(st, c, error))
        return FALSE;
    return kv_outbox_succeeded(st, error);
}

gboolean kv_sync_recover(KvStation *st, const KvSyncConfig *cfg, KvOutboxRecovery *out, GError **error)
{
    g_autoptr(PGconn) c = connect_station(st, cfg, error);
    g_autofree char *reply = NULL;
    KvSyncRound round;
    GError *link = NULL;

    memset(out, 0, sizeof *out);
    if (!c || !pull(st, c, &round, error))
        return FALSE;
    if (!(reply = kv_pg_recover(c, &link)))
        return link_failed(st, link, error);
    return kv_outbox_recover(st, reply, out, error);
}

gboolean kv_sync_reserve_replacement(KvStation *st, const KvSyncConfig *cfg, guint32 meter, guint32 new_meter,
                                     GError **error)
{
    g_autoptr(PGconn) c = NULL;
    g_autofree char *refusal = NULL;
    GError *link = NULL;

    if (!refuse_if_stopped(st, error) || !(c = connect_station(st, cfg, error)))
        return FALSE;
    if (!kv_pg_reserve_replacement(c, meter, new_meter, &refusal, &link))
        return link_failed(st, link, error);
    if (refusal) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE, "head office refused the %s: %s",
                    new_meter ? "meter swap" : "replacement", refusal);
        return FALSE;
    }
    return TRUE;
}

gboolean kv_sync_release_swap(KvStation *st, const KvSyncConfig *cfg, guint32 meter, guint32 new_meter,
                              GError **error)
{
    g_autoptr(PGconn) c = connect_station(st, cfg, error);
    GError *link = NULL;

    if (!c)
        return FALSE;
    if (!kv_pg_release_swap(c, meter, new_meter, &link))
        return link_failed(st, link, error);
    return TRUE;
}

static gboolean reserve_with_config(KvStation *st, gboolean release, guint32 meter, guint32 new_meter,
                                    gpointer data, GError **error)
{
    g_autoptr(KvSyncConfig) cfg = kv_sync_config_load(data, kv_station_settings(st)->station_no, error);
    if (!cfg)
        return FALSE;
    return release ? kv_sync_release_swap(st, cfg, meter, new_meter, error)
                   : kv_sync_reserve_replacement(st, cfg, meter, new_meter, error);
}

void kv_sync_install_reserver(KvStation *st, const char *config_path)
{
    kv_sync_set_reserver(st, reserve_with_config, g_strdup(config_path), g_free);
}

KvStation *kv_sync_station_open(const char *db_path, const char *keys_path, const char *config_path,
                                GError **error)
{
    const char *env = g_getenv("KILOVEND_SYNC_CONF");
    KvStation *st = kv_station_open(db_path, keys_path, error);
    if (st)
        kv_sync_install_reserver(st, config_path ? config_path : env ? env : KV_SYNC_CONFIG_DEFAULT);
    return st;
}
