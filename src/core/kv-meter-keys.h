/* kv-meter-keys.h - a meter's keys, tokens sealed with them, the meter's
 * provisioning block (layer: card access). */
#ifndef KV_METER_KEYS_H
#define KV_METER_KEYS_H

#include "kv-station.h"
#include "kv_card.h"

G_BEGIN_DECLS

/* Technician/supervisor: the meter's provisioning block (kv_provision.h),
 * written to path with mode 0600 (refuses to overwrite). */
gboolean kv_meter_provision(KvStation *st, guint32 meter, const char *path, GError **error);

/* Seal a token as this station does: with its issuer number (setting
 * token_issuer) in the counter block.  kv_err as kv_token_seal. */
kv_err kv_meter_keys_seal(KvStation *st, const kv_meter_keys *keys, const kv_identity *id,
                             const kv_token *tok, guint8 slot[KV_SLOT_LEN]);

/* The station's keys hold the master key versions the meter is keyed
 * with; else KEYS, saying which version is missing and what to do (a
 * rotation not loaded here yet).  Checked before a sale touches anything. */
gboolean kv_meter_keys_held(KvStation *st, guint32 meter, GError **error);
/* The meter's keys for the card contract (wipe with kv_meter_keys_wipe). */
gboolean kv_meter_keys_derive(KvStation *st, guint32 meter, guint key_version,
                               kv_meter_keys *out, GError **error);

G_END_DECLS

#endif
