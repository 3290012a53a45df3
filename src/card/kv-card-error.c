/* kv-card-error.c - PC/SC return codes turned into errors a cashier can act
 * on, and what each error means at the station. */
#include "kv-card-private.h"

G_DEFINE_QUARK(kv-card-error-quark, kv_card_error)

gboolean kv_card_error_is_service_lost(const GError *error)
{
    return g_error_matches(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_PCSCD);
}

gboolean kv_card_error_is_reader_lost(const GError *error)
{
    return kv_card_error_is_service_lost(error) ||
           g_error_matches(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_READER) ||
           g_error_matches(error, KV_CARD_ERROR, KV_CARD_ERROR_READER_GONE);
}

gboolean kv_card_error_is_card_lost(const GError *error)
{
    return g_error_matches(error, KV_CARD_ERROR, KV_CARD_ERROR_CARD_REMOVED) ||
           g_error_matches(error, KV_CARD_ERROR, KV_CARD_ERROR_TORN) ||
           g_error_matches(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_CARD);
}

gboolean kv_card_error_pcsc_lost(LONG rv)
{
    return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
           rv == SCARD_E_INVALID_HANDLE;
}

void kv_card_error_set_pcsc(GError **error, LONG rv, const char *what)
{
    KvCardError code;
    const char *advice;

    switch (rv) {
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
    case SCARD_E_INVALID_HANDLE:
        code = KV_CARD_ERROR_NO_PCSCD;
        advice = "the PC/SC service (pcscd) is not running: start it "
                 "(systemctl start pcscd.socket) and try again";
        break;
    case SCARD_E_NO_READERS_AVAILABLE:
        code = KV_CARD_ERROR_NO_READER;
        advice = "no card reader is connected: plug the reader in";
        break;
    case SCARD_E_UNKNOWN_READER:
    case SCARD_E_READER_UNAVAILABLE:
        code = KV_CARD_ERROR_READER_GONE;
        advice = "the card reader was unplugged: plug it in again";
        break;
    case SCARD_E_SHARING_VIOLATION:
        code = KV_CARD_ERROR_READER_BUSY;
        advice = "another program is using the card reader: close it and try again";
        break;
    case SCARD_E_NO_SMARTCARD:
        code = KV_CARD_ERROR_NO_CARD;
        advice = "there is no card in the reader: insert the card";
        break;
    case SCARD_W_REMOVED_CARD:
    case SCARD_W_RESET_CARD:
        code = KV_CARD_ERROR_CARD_REMOVED;
        advice = "the card was taken out of the reader: insert it again";
        break;
    case SCARD_E_PROTO_MISMATCH:
    case SCARD_W_UNRESPONSIVE_CARD:
    case SCARD_W_UNSUPPORTED_CARD:
    case SCARD_E_CARD_UNSUPPORTED:
        code = KV_CARD_ERROR_NOT_SLE4442;
        advice = "this is not an SLE4442 memory card (or the reader cannot talk to it)";
        break;
    default:
        code = KV_CARD_ERROR_IO;
        advice = "card reader failure";
        break;
    }
    g_set_error(error, KV_CARD_ERROR, code, "%s: %s (%s, 0x%08lX)", what, advice,
                pcsc_stringify_error(rv), (unsigned long)rv);
}
