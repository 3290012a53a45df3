/* kv_err.h - error codes of the card contract.
 *
 * Every function in crypto/ that can fail returns one of these; 0 is success.
 * The values are part of the contract: the meter shows them on its display
 * ("Err 07") and the station stores them, so never renumber an existing code.
 */
#ifndef KV_ERR_H
#define KV_ERR_H

typedef enum {
    KV_OK = 0,
    KV_E_ARG = 1,            /* bad argument (NULL, length out of range) */
    KV_E_BLANK = 2,          /* identity area never written: a blank card */
    KV_E_FORMAT = 3,         /* unknown format version or malformed field */
    KV_E_CHECKSUM = 4,       /* identity checksum wrong: damaged card */
    KV_E_CARD_TYPE = 5,      /* card type unknown or not allowed here */
    KV_E_UTILITY = 6,        /* card of another utility */
    KV_E_METER = 7,          /* card bound to another meter */
    KV_E_KEY_VERSION = 8,    /* token made under a key version the meter lacks */
    KV_E_EMPTY = 9,          /* no token (or no readback) in either slot */
    KV_E_MAC = 10,           /* authentication failed: forged, flipped or torn */
    KV_E_KIND = 11,          /* token kind does not match the card type */
    KV_E_FIELD = 12,         /* a decoded field is out of range or reserved bytes set */
    KV_E_REPLAY = 13,        /* token already used or older than the meter's state */
    KV_E_HOARD = 14,         /* load refused: hoarding limit would be exceeded */
    KV_E_OVERFLOW = 15,      /* arithmetic would overflow a counter */
    KV_E_PROVISION = 16,     /* provisioning block invalid */
    KV_E_TRANSPORT = 17,     /* key change refused: the meter has no transport
                              * key (re-provision it with a version 2 block),
                              * or the key change was not sealed under it */
    KV_E_EXPIRED = 18        /* engineering token too old: the meter took too
                              * many newer tokens since it was issued */
} kv_err;

/* Short English text for an error code, for logs and tools.  Never NULL. */
const char *kv_strerror(int err);

#endif
