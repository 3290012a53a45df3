/* test-card-service.c - the card service through a real pcscd, vpcd and
 * kilovend-vcard (run inside tests/pcsc/kv-pcsc-env with a blank card).
 * The cases run in order on the same card: issue, sales, PSC rules,
 * protection, events, answer shapes, the report. */
#include <string.h>

#include <PCSC/winscard.h>

#include "card-test-util.h"
#include "kv-card-report.h"

static const uint8_t factory[3] = {0xFF, 0xFF, 0xFF};
static const uint8_t wrong[3] = {0x01, 0x02, 0x03};

static KvCard *connect_ok(void)
{
    g_autoptr(GError) error = NULL;
    KvCard *card = kv_card_connect(kvt_service(), NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(card);
    return card;
}

static void test_readers_and_events(void)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) names = kv_card_service_list_readers(kvt_service(), &error);
    g_autofree char *which = NULL;
    KvCardEvent ev;

    g_assert_no_error(error);
    g_assert_true(g_strv_contains((const char *const *)names, kvt_reader()));
    /* The first waits report what is there: the readers (vpcd has two
     * slots), then the card in ours. */
    for (guint added = 0;; added++) {
        g_clear_pointer(&which, g_free);
        ev = kv_card_service_wait(kvt_service(), NULL, 2000, &which, &error);
        g_assert_no_error(error);
        if (ev != KV_CARD_EVENT_READER_ADDED)
            break;
        g_assert_true(g_strv_contains((const char *const *)names, which));
        g_assert_cmpuint(added, <, g_strv_length(names));
    }
    g_assert_cmpint(ev, ==, KV_CARD_EVENT_INSERTED);
    g_assert_cmpstr(which, ==, kvt_reader());
    /* nothing changes: a timeout */
    g_assert_cmpint(kv_card_service_wait(kvt_service(), NULL, 300, NULL, &error), ==, KV_CARD_EVENT_NONE);
    g_assert_no_error(error);
    /* pulled and inserted */
    kvt_ctl("remove");
    g_assert_cmpint(kv_card_service_wait(kvt_service(), kvt_reader(), KVT_EVENT_MS, NULL, &error), ==,
                    KV_CARD_EVENT_REMOVED);
    {
        KvCard *none = kv_card_connect(kvt_service(), NULL, &error);
        g_assert_null(none);
        g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_CARD);
        g_clear_error(&error);
    }
    kvt_ctl("insert");
    g_assert_cmpint(kv_card_service_wait(kvt_service(), kvt_reader(), KVT_EVENT_MS, NULL, &error), ==,
                    KV_CARD_EVENT_INSERTED);
    /* choice by name */
    g_assert_null(kv_card_connect(kvt_service(), "ACS ACR39U 00 00", &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_READER);
}

static gpointer wait_in_thread(gpointer data)
{
    g_autoptr(GError) error = NULL;
    KvCardEvent ev = kv_card_service_wait(data, NULL, 10000, NULL, &error);
    g_assert_no_error(error);
    return GINT_TO_POINTER(ev);
}

static void test_wait_cancel(void)
{
    gint64 t0 = g_get_monotonic_time();
    GThread *t = g_thread_new("wait", wait_in_thread, kvt_service());

    g_usleep(200 * 1000);
    /* a card session is not held up by a wait in another thread */
    kv_card_free(connect_ok());
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 2 * G_USEC_PER_SEC);
    kv_card_service_cancel(kvt_service());
    g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(t)), ==, KV_CARD_EVENT_NONE);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 3 * G_USEC_PER_SEC);
}

static void test_blank_card(void)
{
    g_autoptr(GError) error = NULL;
    KvCard *card = connect_ok();
    const guint8 *img = kv_card_image(card);
    KvCardStats st = kv_card_stats(card);

    g_assert_cmpstr(kv_card_reader_name(card), ==, kvt_reader());
    g_assert_cmpmem(img, 4, "\xA2\x13\x10\x91", 4);
    for (int i = 4; i < KV_CARD_SIZE; i++)
        g_assert_cmphex(img[i], ==, 0xFF);
    g_assert_cmpuint(kv_card_tries_left(card), ==, 3);
    g_assert_cmphex(kv_card_protection(card), ==, 0xFFFFFFFFu);
    /* select, 2 reads of 128, protection, error counter */
    g_assert_cmpuint(st.apdus, ==, 5);
    g_assert_cmpuint(st.bytes_read, ==, 256 + 4 + 4);
    g_assert_cmpuint(st.bytes_written, ==, 0);
    g_assert_false(kv_card_identify(card, KVT_UTILITY, KVT_METER, NULL, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_BLANK);
    kv_card_free(card);
}

static void test_write_needs_psc(void)
{
    g_autoptr(GError) error = NULL;
    KvCard *card = connect_ok();
    sle4442 chip;

    /* the chip ignores it silently; the read-back catches it */
    g_assert_false(kv_card_write(card, 0xE0, (const guint8 *)"\x01\x02", 2, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_VERIFY);
    g_assert_nonnull(strstr(error->message, "PSC was not presented"));
    kvt_load_card(g_getenv("KV_VCARD_CARD"), &chip);
    g_assert_cmphex(chip.main[0xE0], ==, 0xFF);
    kv_card_free(card);
}

static void test_issue(void)
{
    g_autoptr(GError) error = NULL;
    KvCard *card = kvt_issue(kvt_service());
    uint8_t psc[3];
    kv_identity id;
    sle4442 chip;

    g_assert_cmphex(kv_card_protection(card), ==, 0);
    kv_card_free(card);
    /* what the chip holds now */
    kvt_load_card(g_getenv("KV_VCARD_CARD"), &chip);
    kvt_psc(psc);
    g_assert_cmpmem(chip.sec + 1, 3, psc, 3);
    g_assert_cmphex(chip.prot[0] | chip.prot[1] | chip.prot[2] | chip.prot[3], ==, 0);

    card = connect_ok();
    g_assert_true(kv_card_identify(card, KVT_UTILITY, KVT_METER, &id, &error));
    g_assert_cmpuint(id.card_serial, ==, KVT_SERIAL);
    g_assert_false(kv_card_identify(card, KVT_UTILITY + 1, KVT_METER, NULL, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_OTHER_UTILITY);
    g_clear_error(&error);
    g_assert_false(kv_card_identify(card, KVT_UTILITY, 111111118u, NULL, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_OTHER_METER);
    g_clear_error(&error);
    /* the factory code no longer opens it... but a wrong code costs a try,
     * so check with the right one only */
    g_assert_true(kv_card_present_psc(card, psc, FALSE, &error));
    /* the identity is locked for ever */
    g_assert_false(kv_card_write(card, 0x05, (const guint8 *)"\x11", 1, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_PROTECTED);
    kv_card_free(card);
    kvt_load_card(g_getenv("KV_VCARD_CARD"), &chip);
    g_assert_cmphex(chip.main[0x05], ==, KV_CARD_USER);
}

static void test_sales(void)
{
    g_autoptr(GError) error = NULL;
    kv_meter_keys keys;
    kv_card_view view;
    uint8_t psc[3], before[KV_CARD_SIZE], order[KV_SLOT_LEN];
    KvCard *card = connect_ok();
    KvCardStats s0, s1;
    guint32 seq;
    unsigned planned, off;

    kvt_keys(&keys);
    kvt_psc(psc);
    g_assert_true(kv_card_present_psc(card, psc, FALSE, &error));
    g_assert_cmpint(kv_card_decode(&keys, kv_card_image(card), &view), ==, KV_OK);
    g_assert_cmpint(view.token_err, ==, KV_E_EMPTY);

    for (guint sale = 1; sale <= 3; sale++) {
        uint8_t slot[KV_SLOT_LEN];
        memcpy(before, kv_card_image(card), KV_CARD_SIZE);
        kv_card_decode(&keys, before, &view);
        off = kv_card_next_token_offset(&view);
        kvt_token_slot(&view, 1000 * sale, slot);
        planned = kv_slot_write_plan(before + off, slot, KV_TOKEN_USED, order);
        s0 = kv_card_stats(card);
        seq = kvt_sell(card, 1000 * sale, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(seq, ==, sale);
        s1 = kv_card_stats(card);
        /* only the changed bytes are written */
        g_assert_cmpuint(s1.bytes_written - s0.bytes_written, ==, planned);
        /* a read before, the writes, a read-back */
        g_assert_cmpuint(s1.bytes_read - s0.bytes_read, ==, 2 * KV_TOKEN_USED);
        g_assert_cmpuint(s1.apdus - s0.apdus, >=, 3);
        /* slots alternate: A, B, A */
        g_assert_cmpuint(off, ==, sale == 2 ? KV_TOKEN_B : KV_TOKEN_A);
    }
    /* writing what is there already writes nothing */
    s0 = kv_card_stats(card);
    g_assert_true(kv_card_write(card, KV_TOKEN_A, kv_card_image(card) + KV_TOKEN_A, 16, &error));
    s1 = kv_card_stats(card);
    g_assert_cmpuint(s1.bytes_written - s0.bytes_written, ==, 0);
    g_assert_cmpuint(s1.apdus - s0.apdus, ==, 2);
    kv_card_free(card);

    /* a new session reads the newest token back */
    card = connect_ok();
    g_assert_cmpint(kv_card_decode(&keys, kv_card_image(card), &view), ==, KV_OK);
    g_assert_cmpint(view.token_err, ==, KV_OK);
    g_assert_cmpuint(view.token.seq, ==, 3);
    g_assert_cmpuint(view.token.u.credit.cumulative, ==, 6000);
    g_assert_cmpuint(view.token_slot, ==, 0);
    kv_card_free(card);
    kv_meter_keys_wipe(&keys);
}

static void test_acr38_shapes(void)
{
    g_autoptr(GError) error = NULL;
    uint8_t psc[3];
    KvCard *card;

    kvt_ctl("shape acr38");
    card = connect_ok();
    kvt_psc(psc);
    g_assert_true(kv_card_present_psc(card, psc, FALSE, &error));
    g_assert_true(kv_card_write(card, 0xE0, (const guint8 *)"\x38\x38", 2, &error));
    g_assert_no_error(error);
    g_assert_cmpmem(kv_card_image(card) + 0xE0, 2, "\x38\x38", 2);
    kv_card_free(card);
    kvt_ctl("shape acr39");
}

static void test_psc_rules(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(g_getenv("KV_PCSC_DIR"), "psc.card", NULL);
    uint8_t image[KV_CARD_SIZE];
    KvCard *card;
    sle4442 chip;

    kvt_new_card_file(path);
    kvt_ctl("remove");
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_REMOVED, KVT_EVENT_MS);
    kvt_ctl("insert %s", path);
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_INSERTED, KVT_EVENT_MS);

    card = connect_ok();
    /* wrong: 3 -> 2 */
    g_assert_false(kv_card_present_psc(card, wrong, FALSE, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_PSC_WRONG);
    g_assert_nonnull(strstr(error->message, "2 tries left"));
    g_clear_error(&error);
    g_assert_cmpuint(kv_card_tries_left(card), ==, 2);
    /* below 3 tries nothing is presented unless forced: not even the right code */
    g_assert_false(kv_card_present_psc(card, factory, FALSE, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_PSC_TRIES_LOW);
    g_clear_error(&error);
    kvt_load_card(path, &chip);
    g_assert_cmpuint(sle_tries_left(&chip), ==, 2); /* nothing was spent */
    /* forced, wrong: 2 -> 1 */
    g_assert_false(kv_card_present_psc(card, wrong, TRUE, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_PSC_WRONG);
    g_assert_nonnull(strstr(error->message, "1 try left"));
    g_clear_error(&error);
    g_assert_false(kv_card_present_psc(card, factory, FALSE, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_PSC_TRIES_LOW);
    g_clear_error(&error);
    /* forced, right: back to 3 */
    g_assert_true(kv_card_present_psc(card, factory, TRUE, &error));
    g_assert_cmpuint(kv_card_tries_left(card), ==, 3);
    kv_card_free(card);

    /* burn it: three wrong codes (the last two forced) */
    card = connect_ok();
    g_assert_false(kv_card_present_psc(card, wrong, FALSE, &error));
    g_clear_error(&error);
    g_assert_false(kv_card_present_psc(card, wrong, TRUE, &error));
    g_clear_error(&error);
    g_assert_false(kv_card_present_psc(card, wrong, TRUE, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_PSC_WRONG);
    g_assert_nonnull(strstr(error->message, "locked"));
    g_clear_error(&error);
    g_assert_cmpuint(kv_card_tries_left(card), ==, 0);
    kv_card_free(card);
    /* EC = 0: read-only for ever, even forced, even with the right code */
    card = connect_ok();
    g_assert_cmpuint(kv_card_tries_left(card), ==, 0);
    g_assert_false(kv_card_present_psc(card, factory, TRUE, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_LOCKED);
    g_clear_error(&error);
    g_assert_false(kv_card_write(card, 0x40, (const guint8 *)"\x00", 1, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_LOCKED);
    g_clear_error(&error);
    memcpy(image, kv_card_image(card), sizeof image);
    g_assert_true(kv_card_refresh(card, &error)); /* still readable */
    g_assert_cmpmem(kv_card_image(card), KV_CARD_SIZE, image, KV_CARD_SIZE);
    kv_card_free(card);
    kvt_load_card(path, &chip);
    g_assert_cmphex(chip.sec[0], ==, 0);

    kvt_ctl("remove");
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_REMOVED, KVT_EVENT_MS);
    kvt_ctl("insert %s", g_getenv("KV_VCARD_CARD"));
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_INSERTED, KVT_EVENT_MS);
}

static void test_change_psc(void)
{
    g_autoptr(GError) error = NULL;
    static const uint8_t other[3] = {0x5A, 0x5B, 0x5C};
    uint8_t psc[3];
    KvCard *card = connect_ok();

    kvt_psc(psc);
    g_assert_false(kv_card_change_psc(card, other, &error)); /* not presented yet */
    g_clear_error(&error);
    g_assert_true(kv_card_present_psc(card, psc, FALSE, &error));
    g_assert_true(kv_card_change_psc(card, other, &error));
    kv_card_free(card);
    card = connect_ok();
    g_assert_true(kv_card_present_psc(card, other, FALSE, &error));
    g_assert_true(kv_card_change_psc(card, psc, &error));
    g_assert_no_error(error);
    kv_card_free(card);
}

static void test_pulled_and_busy(void)
{
    g_autoptr(GError) error = NULL;
    SCARDCONTEXT ctx;
    SCARDHANDLE h;
    DWORD proto;
    KvCard *card = connect_ok();

    kvt_ctl("remove");
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_REMOVED, KVT_EVENT_MS);
    g_assert_false(kv_card_refresh(card, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_CARD_REMOVED);
    g_clear_error(&error);
    kv_card_free(card);
    kvt_ctl("insert");
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_INSERTED, KVT_EVENT_MS);

    /* another program holds the reader */
    g_assert_cmpint(SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx), ==, 0);
    g_assert_cmpint(SCardConnect(ctx, kvt_reader(), SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0,
                                 &h, &proto), ==, 0);
    g_assert_null(kv_card_connect(kvt_service(), NULL, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_READER_BUSY);
    g_clear_error(&error);
    SCardDisconnect(h, SCARD_LEAVE_CARD);
    SCardReleaseContext(ctx);
    kv_card_free(connect_ok());
}

static void test_report(void)
{
    kv_meter_keys keys;
    KvCardReportExtra extra;
    KvCard *card = connect_ok();
    GString *text, *json;

    kv_card_report_extra_from_card(card, &extra);
    kvt_keys(&keys);
    text = kv_card_report_text(kv_card_image(card), &keys, &extra);
    g_test_message("%s", text->str);
    g_assert_nonnull(strstr(text->str, "purchase card"));
    g_assert_nonnull(strstr(text->str, "123456782"));
    g_assert_nonnull(strstr(text->str, "60.00 kWh"));   /* credit ever sold */
    g_assert_nonnull(strstr(text->str, "none written by a meter yet"));
    g_assert_nonnull(strstr(text->str, "yes (bytes 0..31 protected)"));
    json = kv_card_report_json(kv_card_image(card), &keys, &extra);
    g_test_message("%s", json->str);
    g_assert_nonnull(strstr(json->str, "\"serial\": 1001"));
    g_assert_nonnull(strstr(json->str, "\"seq\": 3"));
    g_assert_nonnull(strstr(json->str, "\"cumulative\": 6000"));
    g_assert_nonnull(strstr(json->str, "\"psc_tries_left\": 3"));
    g_string_free(text, TRUE);
    g_string_free(json, TRUE);
    /* without keys: what anyone can read */
    text = kv_card_report_text(kv_card_image(card), NULL, NULL);
    g_assert_nonnull(strstr(text->str, "the meter's keys are needed"));
    g_assert_null(strstr(text->str, "60.00 kWh"));
    g_string_free(text, TRUE);
    kv_meter_keys_wipe(&keys);
    kv_card_free(card);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/card/readers-and-events", test_readers_and_events);
    g_test_add_func("/card/wait-cancel", test_wait_cancel);
    g_test_add_func("/card/blank-card", test_blank_card);
    g_test_add_func("/card/write-needs-psc", test_write_needs_psc);
    g_test_add_func("/card/issue", test_issue);
    g_test_add_func("/card/sales", test_sales);
    g_test_add_func("/card/acr38-shapes", test_acr38_shapes);
    g_test_add_func("/card/change-psc", test_change_psc);
    g_test_add_func("/card/psc-rules", test_psc_rules);
    g_test_add_func("/card/pulled-and-busy", test_pulled_and_busy);
    g_test_add_func("/card/report", test_report);
    return kvt_run();
}
