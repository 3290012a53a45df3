/* test-card-faults.c - every failure a cashier can meet, produced for real
 * with pcscd, vpcd and kilovend-vcard (inside tests/pcsc/kv-pcsc-env,
 * vcard started with --mute-timeout=300): another card, a card that stops
 * answering, pcscd stopped, the reader unplugged. */
#include <string.h>

#include "card-test-util.h"

static void reinsert(void)
{
    kvt_ctl("remove");
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_REMOVED, KVT_EVENT_MS);
    kvt_ctl("insert");
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_INSERTED, KVT_EVENT_MS);
}

/* A card connected, then fault (a kv-pcsc-env ctl command): the card's next
 * refresh fails with code.  Returns the error's message. */
static char *refresh_fails(const char *fault, gint code)
{
    g_autoptr(GError) error = NULL;
    KvCard *card = kv_card_connect(kvt_service(), NULL, &error);

    g_assert_no_error(error);
    kvt_ctl("%s", fault);
    g_assert_false(kv_card_refresh(card, &error));
    g_assert_error(error, KV_CARD_ERROR, code);
    kv_card_free(card);
    return g_strdup(error->message);
}

static void test_start(void)
{
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_INSERTED, KVT_EVENT_MS);
    KvCard *card = kv_card_connect(kvt_service(), NULL, NULL);
    g_assert_nonnull(card);
    kv_card_free(card);
}

static void test_other_cards(void)
{
    g_autoptr(GError) error = NULL;

    /* a card with another ATR (a processor card) */
    kvt_ctl("atr 3B021450");
    reinsert();
    g_assert_null(kv_card_connect(kvt_service(), NULL, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NOT_SLE4442);
    g_assert_nonnull(strstr(error->message, "3B 02 14 50"));
    g_clear_error(&error);
    /* the raw chip ATR without the reader's 3B 04: pcscd cannot even connect */
    kvt_ctl("atr A2131091");
    reinsert();
    g_assert_null(kv_card_connect(kvt_service(), NULL, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NOT_SLE4442);
    g_clear_error(&error);
    kvt_ctl("atr card");
    reinsert();
    kv_card_free(kv_card_connect(kvt_service(), NULL, &error));
    g_assert_no_error(error);
}

static void test_mute_card(void)
{
    g_autofree char *message = refresh_fails("mute 0", KV_CARD_ERROR_IO);

    g_assert_nonnull(strstr(message, "does not answer"));
    kvt_ctl("mute -1");
    reinsert();
}

static void test_pcscd_stopped(void)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) names = NULL;

    kvt_ctl("pcscd-stop");
    g_assert_null(kv_card_service_new(&error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_PCSCD);
    g_clear_error(&error);
    g_assert_null(kv_card_service_list_readers(kvt_service(), &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_PCSCD);
    g_clear_error(&error);
    g_assert_null(kv_card_connect(kvt_service(), NULL, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_PCSCD);
    g_clear_error(&error);
    /* the same service works again once pcscd is back */
    kvt_ctl("pcscd-start");
    names = kv_card_service_list_readers(kvt_service(), &error);
    g_assert_no_error(error);
    g_assert_true(g_strv_contains((const char *const *)names, kvt_reader()));
    /* the new pcscd finds the card at its first polls */
    for (int i = 0; i < 50; i++) {
        KvCard *card = kv_card_connect(kvt_service(), NULL, &error);
        if (card) {
            kv_card_free(card);
            break;
        }
        g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_CARD);
        g_clear_error(&error);
        g_usleep(100 * 1000);
    }
    g_assert_no_error(error);
}

static void test_reader_unplugged(void)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) names = NULL;

    g_free(refresh_fails("reader-unplug", KV_CARD_ERROR_READER_GONE));
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_READER_REMOVED, KVT_EVENT_MS);
    names = kv_card_service_list_readers(kvt_service(), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_strv_length(names), ==, 0);
    g_assert_null(kv_card_connect(kvt_service(), NULL, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_READER);
    g_clear_error(&error);
    g_assert_null(kv_card_connect(kvt_service(), kvt_reader(), &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_READER);
    g_clear_error(&error);

    kvt_ctl("reader-plug");
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_READER_ADDED, KVT_EVENT_MS);
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_INSERTED, KVT_EVENT_MS);
    kv_card_free(kv_card_connect(kvt_service(), NULL, &error));
    g_assert_no_error(error);
}

static void test_damaged_identity(void)
{
    g_autoptr(GError) error = NULL;
    static const uint8_t factory[3] = {0xFF, 0xFF, 0xFF};
    KvCard *card = kv_card_connect(kvt_service(), NULL, &error);
    kv_identity id = kvt_identity();
    uint8_t idb[KV_ID_LEN];

    g_assert_no_error(error);
    kv_identity_encode(&id, idb);
    idb[3] ^= 0x01; /* the CRC no longer matches */
    g_assert_true(kv_card_present_psc(card, factory, FALSE, &error));
    g_assert_true(kv_card_write(card, KV_ID_OFF, idb, KV_ID_LEN, &error));
    g_assert_false(kv_card_identify(card, KVT_UTILITY, KVT_METER, NULL, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_DAMAGED);
    kv_card_free(card);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/faults/start", test_start);
    g_test_add_func("/faults/other-cards", test_other_cards);
    g_test_add_func("/faults/mute-card", test_mute_card);
    g_test_add_func("/faults/pcscd-stopped", test_pcscd_stopped);
    g_test_add_func("/faults/reader-unplugged", test_reader_unplugged);
    g_test_add_func("/faults/damaged-identity", test_damaged_identity);
    return kvt_run();
}
