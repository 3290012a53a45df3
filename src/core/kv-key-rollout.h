/* kv-key-rollout.h - rotation of the master key across stations, the
 * station's side (layer: sync; docs/keys.md, "Rotation across stations").
 *
 * At each sync round the station reports the versions its keys hold (its
 * own row of key_holdings, kept by kv-station-keys.c whenever its keys
 * change) to head office's kv_api.key_holdings, and applies the reply:
 * every active station's holdings replace the ledger's key_holdings (the
 * report `kilovendctl key holdings` shows), and head office's current
 * version, made current there only once every active station holds it, is
 * what kv_station_key_current gives new meters and key-change cards from
 * then on.  No network here (src/sync carries the text). */
#ifndef KV_KEY_ROLLOUT_H
#define KV_KEY_ROLLOUT_H

#include "kv-station.h"

G_BEGIN_DECLS

/* {"backend": ..., "versions": [...]}: this station's holdings as its
 * ledger knows them; NULL without error if it knows none yet (keys never
 * unlocked since db/007). */
char *kv_key_rollout_report(KvStation *st, GError **error);

typedef struct {
    guint current;  /* head office's current version (0: none recorded) */
    guint stations; /* active stations in its report */
    char *held_by_all; /* "1,2" */
} KvKeyRollout;
void kv_key_rollout_clear(KvKeyRollout *r);

/* Applies kv_api.key_holdings's reply in one transaction; a change of the
 * current version is audited (keys.current). */
gboolean kv_key_rollout_apply(KvStation *st, const char *reply, KvKeyRollout *out, GError **error);

/* When head office's report was applied (0: never; the holdings shown are
 * this station's own view) and what it said every active station holds. */
gint64 kv_key_rollout_reported_at(KvStation *st, char **held_by_all);

G_END_DECLS

#endif
