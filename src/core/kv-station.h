/* kv-station.h - a vending station: its database, its user, its keys.
 *
 * A KvStation is one open ledger (SQLite file) and, optionally, one key file.
 * It is not thread-safe: the GUI may use it from a worker thread, one
 * operation at a time.  Long operations take a KvProgressFunc and a
 * GCancellable.
 *
 * Roles are enforced here, not in the front ends: each operation checks the
 * logged-in user's role (kv_station_login) and fails with
 * KV_CORE_ERROR_DENIED otherwise.
 */
#ifndef KV_STATION_H
#define KV_STATION_H

#include <gio/gio.h>

#include "kv-core-error.h"
#include "kv-time.h"

G_BEGIN_DECLS

typedef struct _KvStation KvStation;

typedef enum {
    KV_ROLE_NONE = 0,
    KV_ROLE_CASHIER = 1,
    KV_ROLE_SUPERVISOR = 2,
    KV_ROLE_ADMIN = 3
} KvRole;

const char *kv_role_name(KvRole role);
KvRole kv_role_from_name(const char *name); /* KV_ROLE_NONE if unknown */

/* Progress of a long operation: done of total (total 0 = unknown).
 * Called on the operation's thread. */
typedef void (*KvProgressFunc)(guint64 done, guint64 total, const char *what,
                               gpointer user_data);

void kv_station_free(KvStation *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvStation, kv_station_free)

/* ---- users and sessions ---- */
typedef struct {
    gint64 id;
    char *login;
    char *full_name;
    KvRole role;
    gboolean active;
    gint failed_logins;
    gint64 locked_until;
} KvUser;
void kv_user_free(KvUser *u);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvUser, kv_user_free)

void kv_station_logout(KvStation *st);
const KvUser *kv_station_user(KvStation *st); /* NULL if nobody logged in */
/* DENIED unless the current user has at least `role`. */
gboolean kv_station_require(KvStation *st, KvRole role, GError **error);

/* ---- keys ---- */
void kv_station_lock_keys(KvStation *st); /* wipes the keys */
gboolean kv_station_keys_unlocked(KvStation *st);
/* Current key version (new meters get it), 0 if locked. */
guint kv_station_key_version(KvStation *st);

/* ---- settings ---- */
/* Station numbers are 1..4094: card serials are station << 20 | n in 32
 * bits (4095 would reach the reserved serial 0xFFFFFFFF). */
#define KV_STATION_NO_MAX 4094
typedef struct {
    char *utility_name;
    guint32 utility_code;
    char *currency;
    guint minor_digits;
    guint16 office_id;        /* the office: a grouping for reports only */
    /* The station's utility-unique number (1..4094, registered at head
     * office), in every globally visible id: card serials are
     * station << 20 | n, tokens carry it in their office field, sales in
     * their office column.  A ledger from before station numbers has the
     * number of its old office id (db/006), so nothing on a card changes. */
    guint16 station_no;
    gint64 max_sale_amount;   /* minor units */
    gint64 max_sale_energy;   /* 0.01 kWh */
    guint8 factory_psc[3];    /* PSC of blank cards as delivered */
    /* The issuer number sealed into every token's counter block, unique to
     * this issuing point (1..32767); 0 (the default): none, the tokens
     * meters of the first firmware revision read.  Set it once no meter of
     * the utility runs that firmware (docs/card-format.md, "Issuer"). */
    guint16 token_issuer;
} KvSettings;
const KvSettings *kv_station_settings(KvStation *st);

/* Money in the station's currency. */
gboolean kv_station_parse_money(KvStation *st, const char *text, gint64 *out, GError **error);
char *kv_station_format_money(KvStation *st, gint64 minor);
/* The same followed by the currency's code ("12.50 GHS"): an amount inside
 * a sentence, where no column heading names the currency. */
char *kv_station_format_money_code(KvStation *st, gint64 minor);

G_END_DECLS

#endif
