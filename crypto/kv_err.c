/* kv_err.c - texts for the contract's error codes. */
#include "kv_err.h"

const char *kv_strerror(int err)
{
    switch (err) {
    case KV_OK: return "ok";
    case KV_E_ARG: return "invalid argument";
    case KV_E_BLANK: return "blank card";
    case KV_E_FORMAT: return "unknown card format";
    case KV_E_CHECKSUM: return "card identity damaged (checksum)";
    case KV_E_CARD_TYPE: return "card type not allowed";
    case KV_E_UTILITY: return "card of another utility";
    case KV_E_METER: return "card of another meter";
    case KV_E_KEY_VERSION: return "wrong key version";
    case KV_E_EMPTY: return "nothing written";
    case KV_E_MAC: return "authentication failed (forged, damaged or interrupted write)";
    case KV_E_KIND: return "token kind does not match the card";
    case KV_E_FIELD: return "field out of range";
    case KV_E_REPLAY: return "already loaded (copy or old card)";
    case KV_E_HOARD: return "refused: above the hoarding limit";
    case KV_E_OVERFLOW: return "counter overflow";
    case KV_E_PROVISION: return "provisioning block invalid";
    case KV_E_EXPIRED: return "engineering token expired (issue it again)";
    case KV_E_TRANSPORT: return "key change needs a transport key (re-provision)";
    default: return "unknown error";
    }
}
