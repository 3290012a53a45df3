/* kv-core-error.h - the errors of the station core.
 *
 * Every core function that can fail takes a GError **; its domain is
 * KV_CORE_ERROR (card problems come in KV_CARD_ERROR from the card service).
 * Each code maps to one kilovendctl exit code (docs/station.md).
 */
#ifndef KV_CORE_ERROR_H
#define KV_CORE_ERROR_H

#include <glib.h>

G_BEGIN_DECLS

#define KV_CORE_ERROR (kv_core_error_quark())
GQuark kv_core_error_quark(void);

typedef enum {
    KV_CORE_ERROR_FAILED,       /* anything else (exit 1) */
    KV_CORE_ERROR_INVALID,      /* bad input: meter number, amount, CSV field (exit 3) */
    KV_CORE_ERROR_NOT_FOUND,    /* no such meter, customer, sale, user (exit 4) */
    KV_CORE_ERROR_EXISTS,       /* duplicate meter, card, account, login (exit 5) */
    KV_CORE_ERROR_AUTH,         /* wrong password or locked out (exit 6) */
    KV_CORE_ERROR_DENIED,       /* the user's role may not do this (exit 7) */
    KV_CORE_ERROR_PASSPHRASE,   /* wrong key file passphrase (exit 8) */
    KV_CORE_ERROR_KEYS,         /* key file missing, damaged, or keys locked (exit 9) */
    KV_CORE_ERROR_REFUSED,      /* the meter would refuse the credit (hoarding...) (exit 10) */
    KV_CORE_ERROR_UNRESOLVED,   /* a sale of this meter waits for reconciliation (exit 11) */
    KV_CORE_ERROR_BUSY,         /* database locked by another process (exit 12) */
    KV_CORE_ERROR_DB,           /* database I/O error or disk full (exit 13) */
    KV_CORE_ERROR_CORRUPT,      /* database fails its integrity check (exit 14) */
    KV_CORE_ERROR_NEWER,        /* database written by a newer Kilovend (exit 15) */
    KV_CORE_ERROR_CARD,         /* card problem outside the card service (exit 16) */
    KV_CORE_ERROR_AUDIT,        /* audit chain broken (exit 17) */
    KV_CORE_ERROR_CANCELLED,    /* stopped through a GCancellable (exit 18) */
    KV_CORE_ERROR_STATE         /* not allowed now: no open shift, sale not cancellable (exit 19) */
} KvCoreError;

G_END_DECLS

#endif
