/* kv-sync-client.h - the station's sync client: one round of push and
 * pull between the ledger and the head office, run by `kilovendctl sync`
 * in its own process (a sale never waits on the network).
 *
 * The ledger side (which records, what a reply changes) is the core's
 * kv-outbox; the link is kv-pg.  docs/multi-office.md, "The station
 * side". */
#ifndef KV_SYNC_CLIENT_H
#define KV_SYNC_CLIENT_H

#include "kv-pg.h"
#include "kv-outbox.h"

G_BEGIN_DECLS

/* Where the head office is: /etc/kilovend/sync.conf by default,
 *
 *     [head-office]
 *     host = central.utility.example     (must match the server certificate)
 *     port = 5432
 *     dbname = kilovend
 *     ca = /etc/kilovend/pki/ca.crt
 *     cert = /etc/kilovend/pki/kv_station_00101.crt
 *     key = /etc/kilovend/pki/kv_station_00101.key
 *     # or instead of ca/cert/key: pki = /etc/kilovend/pki
 *     hostaddr = 10.0.0.5                (optional)
 *     interval = 60                      (seconds between rounds, --daemon)
 *     batch = 500                        (audit rows per push batch)
 *
 * The station's number comes from its ledger (setting station_no); its
 * database role is kv_station_NNNNN, the certificate's CN. */
typedef struct {
    char *host, *port, *dbname, *hostaddr;
    char *ca_file, *cert_file, *key_file;
    guint interval_s;
    guint batch_rows;
    guint connect_timeout_s;
} KvSyncConfig;
void kv_sync_config_free(KvSyncConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvSyncConfig, kv_sync_config_free)

#define KV_SYNC_CONFIG_DEFAULT "/etc/kilovend/sync.conf"
KvSyncConfig *kv_sync_config_load(const char *path, guint station_no, GError **error);

typedef struct {
    guint batches;       /* push batches head office accepted */
    guint records;       /* records in them (new or replayed) */
    KvOutboxPull pull;   /* what the round's pulls applied */
} KvSyncRound;

/* One round: pull (master data, merged state, the centre's audit head),
 * push every waiting record in batches, pull again if anything was
 * pushed.  Refused (KV_CORE_ERROR_STATE) when sync is stopped by a
 * conflict or the ledger must be recovered; a link failure is recorded
 * (offline since) and returned.  Test stop point "sync-before-send"
 * before each push. */
gboolean kv_sync_round(KvStation *st, const KvSyncConfig *cfg, KvSyncRound *round, GError **error);

/* `kilovendctl sync recover`: pull, then take this station's own records
 * back from head office (kv_outbox_recover: the ledger is behind or
 * forked).  A normal round follows it to push the recovery's audit row. */
gboolean kv_sync_recover(KvStation *st, const KvSyncConfig *cfg, KvOutboxRecovery *out, GError **error);

/* Before `card replace` at a station that syncs: head office records that
 * this station replaces the meter's card (kv_api.reserve_replacement), or,
 * new_meter not 0, swaps the meter for it (kv_api.reserve_swap).  Refused
 * (KV_CORE_ERROR_STATE) while another station holds the meter's
 * reservation or swapped it; a link failure is recorded and returned. */
gboolean kv_sync_reserve_replacement(KvStation *st, const KvSyncConfig *cfg, guint32 meter, guint32 new_meter,
                                     GError **error);
/* A swap given up after its reservation (kv_api.release_swap): this
 * station's reservations of the two meters end at head office; a link
 * failure is recorded and returned. */
gboolean kv_sync_release_swap(KvStation *st, const KvSyncConfig *cfg, guint32 meter, guint32 new_meter,
                              GError **error);

/* Every front end's way to it: the station's card replacements
 * (kv_card_replace) reserve at head office with the sync configuration at
 * config_path (read when a replacement asks, so a file installed later
 * counts).  kilovendctl and the app call it once the station is open. */
void kv_sync_install_reserver(KvStation *st, const char *config_path);
/* kv_station_open, then kv_sync_install_reserver with config_path (NULL:
 * KILOVEND_SYNC_CONF, else KV_SYNC_CONFIG_DEFAULT): how the app opens its
 * station. */
KvStation *kv_sync_station_open(const char *db_path, const char *keys_path, const char *config_path,
                                GError **error);

G_END_DECLS

#endif
