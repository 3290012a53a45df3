/* test-card-error.c - what each card service error means at the station
 * (kv-card-error.h): the one answer the app's reader status, batch issue,
 * sale messages and card sessions all rely on. */
#include "kv-card-error.h"

/* Every code of the domain against the three questions; the same code in
 * another domain, or no error, answers no to all. */
static void test_meaning(void)
{
    for (int c = KV_CARD_ERROR_NO_PCSCD; c <= KV_CARD_ERROR_IO; c++) {
        g_autoptr(GError) e = g_error_new_literal(KV_CARD_ERROR, c, "x");
        g_autoptr(GError) other = g_error_new_literal(G_FILE_ERROR, c, "x");
        gboolean service = c == KV_CARD_ERROR_NO_PCSCD;
        gboolean reader = service || c == KV_CARD_ERROR_NO_READER ||
                          c == KV_CARD_ERROR_READER_GONE;
        gboolean card = c == KV_CARD_ERROR_CARD_REMOVED || c == KV_CARD_ERROR_TORN ||
                        c == KV_CARD_ERROR_NO_CARD;

        g_assert_cmpint(kv_card_error_is_service_lost(e), ==, service);
        g_assert_cmpint(kv_card_error_is_reader_lost(e), ==, reader);
        g_assert_cmpint(kv_card_error_is_card_lost(e), ==, card);
        g_assert_false(kv_card_error_is_service_lost(other) ||
                       kv_card_error_is_reader_lost(other) || kv_card_error_is_card_lost(other));
    }
    g_assert_false(kv_card_error_is_service_lost(NULL) || kv_card_error_is_reader_lost(NULL) ||
                   kv_card_error_is_card_lost(NULL));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/card-error/meaning", test_meaning);
    return g_test_run();
}
