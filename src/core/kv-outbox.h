/* kv-outbox.h - what the sync process exchanges with the head office:
 * the push batches built from the ledger (the audit chain is the outbox)
 * and the pull replies applied to it (layer: sync).
 *
 * No network here: the sync client (src/sync/kv-sync-client.c) carries the
 * text both ways.  The formats are docs/multi-office.md's "The push batch"
 * and "The pull reply"; what the station does with them is its "The
 * station side". */
#ifndef KV_OUTBOX_H
#define KV_OUTBOX_H

#include "kv-station.h"

G_BEGIN_DECLS

/* The records pushed by their own ids after a cursor of push_cursors
 * (db/011-sync-records.sql): payments, debt movements, refunds, credit
 * clears. */
#define KV_OUTBOX_STREAMS 4

typedef struct {
    char *json;             /* "[...]", the push batch; NULL: nothing waits */
    guint records;
    gint64 first_audit;     /* the audit rows it carries (0: none) */
    gint64 last_audit;
    gint64 last_reading;    /* the cursors to save once head office confirmed it */
    gint64 last_engineering;
    gint64 last_stream[KV_OUTBOX_STREAMS];
    gint64 last_backlog;    /* the last row of push_backlog it carries (db/021) */
} KvOutboxBatch;
void kv_outbox_batch_free(KvOutboxBatch *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvOutboxBatch, kv_outbox_batch_free)

/* The next batch: the records of up to max_rows audit rows after the last
 * one head office confirmed, of up to max_rows readings and engineering
 * tokens after theirs and of every stream, and up to max_rows audit rows
 * of push_backlog again with the records an older version did not push
 * (meter swaps, refund tokens).  Built from immutable columns only, so
 * the same rows always give the same records (a re-push after a lost reply
 * is a no-op at head office). */
KvOutboxBatch *kv_outbox_next(KvStation *st, guint max_rows, GError **error);

typedef enum {
    KV_OUTBOX_PUSH_OK,       /* applied (new or replayed): the cursors moved */
    KV_OUTBOX_PUSH_CONFLICT, /* refused: sync stopped, alarm raised and audited */
    KV_OUTBOX_PUSH_STOPPED,  /* an earlier conflict is still open at head office */
} KvOutboxPush;

/* Records head office's reply to batch b (the JSON object kv_api.push
 * returned).  message: the reply's message for a conflict or a stop.
 * Test stop point "sync-after-commit" before the cursors are saved. */
gboolean kv_outbox_pushed(KvStation *st, const KvOutboxBatch *b, const char *reply,
                          KvOutboxPush *result, char **message, GError **error);

/* The cursor to pull from ("" the first time). */
char *kv_outbox_pull_cursor(KvStation *st, GError **error);

typedef struct {
    guint master;       /* master data rows applied */
    guint meters;       /* per-meter states of other offices */
    guint cards;        /* cards of other offices (or their status) */
    guint settled;      /* customers' debts settled to head office's balance */
    gboolean reset;     /* head office sent everything again */
} KvOutboxPull;

/* Applies a pull reply (kv_api.pull's JSON object) in one transaction:
 * master data, the merged per-meter and per-card state, the limits, the
 * audit head head office holds (a ledger behind or forked from it is
 * marked for recovery: selling stops).  Test stop point "sync-mid-pull"
 * before the commit. */
gboolean kv_outbox_apply_pull(KvStation *st, const char *reply, KvOutboxPull *out,
                              GError **error);

typedef struct {
    gint64 fork;         /* the last audit row the ledger and head office's copy share */
    gint64 centre_head;  /* head office's last row of this station */
    gint64 replaced;     /* rows of this ledger after the fork (no records: see below) */
    guint sales;         /* sales taken back */
    char *kept;          /* the ledger as it was, kept beside it */
} KvOutboxRecovery;
void kv_outbox_recovery_clear(KvOutboxRecovery *r);

/* `kilovendctl sync recover`: applies kv_api.recover's reply (every record
 * this station pushed).  The ledger (behind: restored from a backup; or
 * forked) takes head office's audit rows after the fork point and the
 * records it lacks, and its counters (meter sequences, what was sold, the
 * push cursors) move above them; its own rows after the fork, which may
 * carry no record (a restore, logins, sync alarms), are replaced, the
 * whole file kept first as DB.before-recover-TIME.  A ledger with records
 * after the fork is refused (KV_CORE_ERROR_STATE): head office decides.
 * Clears the recovery mark: selling and sync go on. */
gboolean kv_outbox_recover(KvStation *st, const char *reply, KvOutboxRecovery *out, GError **error);

/* The link failed (message says why): the station is offline since the
 * first failure. */
gboolean kv_outbox_failed(KvStation *st, const char *message, GError **error);
/* A whole round (push until nothing waits, then pull) succeeded. */
gboolean kv_outbox_succeeded(KvStation *st, GError **error);

G_END_DECLS

#endif
