/* kv-cards.h - issuing, replacing and reading cards; provisioning meters.
 *
 * Issuing a user card to a blank card (order chosen so that an interruption
 * at any point can be resumed on the same card, docs/station.md):
 *   reserve serial in the database ('issuing')
 *   present the factory PSC, write the identity and the initial token
 *   (seq, the meter's cumulative sold, amount 0), lock bytes 0..31
 *   record 'psc-changing', change the PSC to kv_card_psc(), record 'active'.
 */
#ifndef KV_CARDS_H
#define KV_CARDS_H

#include "kv-card-link.h"
#include "kv-meter-keys.h"
#include "kv-registry.h"
#include "kv-station.h"

G_BEGIN_DECLS

typedef struct {
    guint32 serial;
    guint32 meter_number;
    guint type;
    char *status;
    guint32 token_seq;
    guint32 token_cumulative;
    guint32 replaces;
    gint64 issued_at;
} KvCardRecord;
void kv_card_record_free(KvCardRecord *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvCardRecord, kv_card_record_free)

/* Supervisor, keys unlocked.  A blank card in the link; EXISTS if the meter
 * already has an active user card (use replace). */
KvCardRecord *kv_card_issue(KvStation *st, KvCardLink *card, guint32 meter, GError **error);
/* Supervisor.  Marks the meter's active card (lost|damaged|replaced as
 * reason) blocked/lost and issues a new one on the blank card.  The new
 * card's token carries the meter's cumulative sold, so the credit that never
 * reached the meter is on it, and nothing else. */
KvCardRecord *kv_card_replace(KvStation *st, KvCardLink *card, guint32 meter,
                              const char *reason, GError **error);
KvCardRecord *kv_card_get(KvStation *st, guint32 serial, GError **error);
/* Every card of a meter (KvCardRecord, engineering cards too), newest
 * first; empty if none.  Any role. */
GPtrArray *kv_card_list_for_meter(KvStation *st, guint32 meter, GError **error);

/* Batch issue.  next_card is called for each meter still to do and returns
 * a link to a blank card (or NULL with an error to stop, e.g. cancelled).
 * Rows whose meter already has an active card count as done, so running the
 * same file again resumes it. */
typedef KvCardLink *(*KvNextCardFunc)(guint32 meter, guint index, guint total,
                                      gpointer user_data, GCancellable *cancellable,
                                      GError **error);
typedef struct {
    guint line;
    guint32 meter;
    guint32 serial;   /* 0 if none */
    gboolean ok;
    gboolean skipped; /* already had a card */
    char *message;
} KvBatchRow;
void kv_batch_row_free(KvBatchRow *r);
GPtrArray *kv_card_batch(KvStation *st, const char *csv_path, KvNextCardFunc next_card,
                         gpointer next_data, KvProgressFunc progress, gpointer user_data,
                         GCancellable *cancellable, GError **error);
/* The same, and card_done (optional) is called after every row with its
 * result and the card used (NULL if the row needed none: skipped, bad
 * meter number, or next_card failed), so a front end reports each card as
 * it is done and waits for it to be taken out.  card_done returning FALSE
 * (with an error) stops the batch like a failing next_card. */
typedef gboolean (*KvCardDoneFunc)(const KvBatchRow *row, KvCardLink *card, gpointer user_data,
                                   GCancellable *cancellable, GError **error);
GPtrArray *kv_card_batch_full(KvStation *st, const char *csv_path, KvNextCardFunc next_card,
                              KvCardDoneFunc card_done, gpointer next_data,
                              KvProgressFunc progress, gpointer user_data,
                              GCancellable *cancellable, GError **error);

/* What a card read gave. */
typedef struct {
    kv_card_view view;          /* decoded with the meter's keys */
    gboolean known_card;        /* the serial is in the database */
    char *card_status;          /* its status there, or NULL */
    gboolean readback_imported; /* a new readback went into meter_readings */
    gint reconciled;            /* sales resolved by this read */
    guint32 credit_on_card;     /* token cumulative - readback cumulative_loaded */
    /* The readback shows the meter loaded more than this station sold to
     * it (possible cloned cancel or extracted key, docs/security-model.md):
     * by how much (0.01 kWh), and whether this read recorded it in the audit
     * log (only a newly imported readback is recorded). */
    guint32 anomaly_excess;
    gboolean anomaly_recorded;
    /* The meter's key version in the ledger after the read, the key change
     * under way (0: none), and whether this read confirmed a key change. */
    guint meter_key_version;
    guint meter_key_target;
    gboolean key_changed;
    /* Anomalies this read stored (an issued sale proven late, a readback
     * above what was sold or going backwards): kv_anomaly_list shows them. */
    guint anomalies_raised;
} KvCardReadResult;

/* Any role, keys unlocked.  Decodes the card with its meter's keys, imports
 * a new readback (MAC-verified), reconciles the meter's unresolved sales. */
gboolean kv_card_read(KvStation *st, KvCardLink *card, KvCardReadResult *out, GError **error);


G_END_DECLS

#endif
