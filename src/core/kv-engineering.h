/* kv-engineering.h - engineering cards: check, parameter, clear-tamper,
 * key-change and test cards (docs/card-format.md defines them, the meter
 * firmware applies them), and what the station learns back from them.
 *
 * An engineering card is bound to one meter like a user card.  Every one,
 * check cards included, carries a token the meter authenticates before it
 * does anything with the card (a check card's token is what makes the meter
 * present the card's PSC).  It is issued
 * on a blank card, or an engineering card of the same type and meter is
 * used again (a new token in its other slot; the identity is locked).  Each
 * token takes the meter's next sequence number, so the meter's replay rule
 * (a parameter, clear-tamper or key-change token is applied once) holds.
 *
 * Roles: supervisor and admin issue check, test, clear-tamper and parameter
 * cards; only an admin issues key-change cards (they complete a key
 * rotation, an admin decision).  docs/station.md, "Engineering cards".
 *
 * The ledger follows the meter only on evidence: a meter's thresholds change
 * when a readback on the parameter card shows it applied them; its key
 * version when a readback MAC-verified under the new version comes in (until
 * then sales are sealed under the version the meter has).
 */
#ifndef KV_ENGINEERING_H
#define KV_ENGINEERING_H

#include "kv-card-link.h"
#include "kv-station.h"

G_BEGIN_DECLS

typedef struct {
    guint card_type;        /* KV_CARD_CHECK, _PARAMETER, _CLEAR_TAMPER, _KEY_CHANGE, _TEST */
    /* Parameter card: -1 keeps the meter's current value. */
    gint64 alarm_level;     /* 0.01 kWh */
    gint64 pretrip_level;   /* 0.01 kWh */
    gint64 hoarding_limit;  /* 0.01 kWh */
    gint64 max_power;       /* W, 0 = none */
    gint64 reconnect_delay; /* s */
    /* Emergency allowance, whole kWh 0..255 (0 = none); -1 keeps the one
     * of the meter's newest parameter token the meter applied (0 if none). */
    gint64 emergency_kwh;
    /* Key-change card: seal the first revision's key change, under the key
     * it replaces, which its holder can read.  Only for a meter provisioned
     * with a version 1 block (it has no transport key and shows Err 17 for
     * the transport-sealed kind); forced by the admin and audited. */
    gboolean legacy_key_change;
} KvEngineeringRequest;

/* A request for card_type with every parameter kept. */
void kv_engineering_request_init(KvEngineeringRequest *req, guint card_type);

typedef struct {
    guint32 serial;
    guint32 meter_number;
    guint card_type;
    gboolean reused;         /* an engineering card used again */
    guint32 seq;             /* the token's sequence */
    guint key_version;       /* the meter key version that sealed it */
    guint new_key_version;   /* key-change card */
    gboolean legacy;         /* key-change card of the first revision (forced) */
    guint32 alarm_level, pretrip_level, hoarding_limit, max_power; /* parameter card */
    guint reconnect_delay;
    guint emergency_kwh;     /* parameter card: whole kWh, 0 = none */
} KvEngineeringCard;

/* Issue (blank card) or re-use (engineering card of this type and meter)
 * an engineering card for the meter.  Keys unlocked.  A key-change card
 * moves the meter to the keyring's current version: STATE if the meter is
 * already on it.  Recorded in cards, engineering_tokens and the audit log.
 * An interrupted issue resumes on the same card. */
KvEngineeringCard *kv_card_engineering(KvStation *st, KvCardLink *card, guint32 meter,
                                       const KvEngineeringRequest *req, GError **error);

/* "check", "parameter", "clear-tamper", "key-change", "test" and back (0 if
 * unknown). */
const char *kv_engineering_type_name(guint card_type);
guint kv_engineering_type_from_name(const char *name);

/* Active meters whose key version is below `current` (0: the keyring's
 * current version, keys unlocked): they need a key-change card.  guint32
 * meter numbers in a GArray. */
GArray *kv_meters_needing_key_change(KvStation *st, guint current, GError **error);

/* Admin only: a new master key version in the key file (kv_keyfile_rotate),
 * made current for new meters (the station's key_version setting), and the
 * active meters still on an older version, each needing a key-change card
 * (*needing, of guint32, when needing is not NULL).  0 on error. */
guint kv_station_rotate_key(KvStation *st, const char *keys_path, const char *passphrase,
                            GArray **needing, GError **error);

G_END_DECLS

#endif
