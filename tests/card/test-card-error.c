/* test-card-error.c - what each card service error means at the station
 * (kv-card-error.h): the one answer the app's reader status, batch issue,
 * sale messages and card sessions all rely on. */
#include "kv-card-error.h"

static gboolean lost(KvCardError code, gboolean (*is)(const GError *))
{
    g_autoptr(GError) e = g_error_new_literal(KV_CARD_ERROR, code, "x");
    return is(e);
}

static void test_service_lost(void)
{
    g_assert_true(lost(KV_CARD_ERROR_NO_PCSCD, kv_card_error_is_service_lost));
    g_assert_false(lost(KV_CARD_ERROR_NO_READER, kv_card_error_is_service_lost));
    g_assert_false(lost(KV_CARD_ERROR_READER_GONE, kv_card_error_is_service_lost));
    g_assert_false(kv_card_error_is_service_lost(NULL));
}

static void test_reader_lost(void)
{
    for (int c = KV_CARD_ERROR_NO_PCSCD; c <= KV_CARD_ERROR_IO; c++)
        g_assert_cmpint(lost(c, kv_card_error_is_reader_lost), ==,
                        c == KV_CARD_ERROR_NO_PCSCD || c == KV_CARD_ERROR_NO_READER ||
                            c == KV_CARD_ERROR_READER_GONE);
    g_assert_false(kv_card_error_is_reader_lost(NULL));
}

static void test_card_lost(void)
{
    for (int c = KV_CARD_ERROR_NO_PCSCD; c <= KV_CARD_ERROR_IO; c++)
        g_assert_cmpint(lost(c, kv_card_error_is_card_lost), ==,
                        c == KV_CARD_ERROR_CARD_REMOVED || c == KV_CARD_ERROR_TORN ||
                            c == KV_CARD_ERROR_NO_CARD);
}

static void test_other_domain(void)
{
    /* The same code in another domain says nothing about the card. */
    g_autoptr(GError) e = g_error_new_literal(G_FILE_ERROR, KV_CARD_ERROR_NO_PCSCD, "x");
    g_assert_false(kv_card_error_is_service_lost(e));
    g_assert_false(kv_card_error_is_reader_lost(e));
    g_assert_false(kv_card_error_is_card_lost(e));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/card-error/service-lost", test_service_lost);
    g_test_add_func("/card-error/reader-lost", test_reader_lost);
    g_test_add_func("/card-error/card-lost", test_card_lost);
    g_test_add_func("/card-error/other-domain", test_other_domain);
    return g_test_run();
}
