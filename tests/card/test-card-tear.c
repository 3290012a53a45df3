/* test-card-tear.c - a card pulled out at every byte of a sale's token
 * write (kilovend-vcard's tear injection, through pcscd and vpcd).  Each
 * time the service reports TORN and the card decodes, with the contract's
 * kv_card_decode, to the old state; uncut, to the new one. */
#include <string.h>

#include "card-test-util.h"

static KvCard *connect_with_psc(void)
{
    g_autoptr(GError) error = NULL;
    uint8_t psc[3];
    KvCard *card = kv_card_connect(kvt_service(), NULL, &error);
    g_assert_no_error(error);
    kvt_psc(psc);
    g_assert_true(kv_card_present_psc(card, psc, FALSE, &error));
    return card;
}

static void test_tear_every_byte(void)
{
    g_autoptr(GError) error = NULL;
    const char *path = g_getenv("KV_VCARD_CARD");
    kv_meter_keys keys;
    kv_card_view view;
    uint8_t slot[KV_SLOT_LEN], order[KV_SLOT_LEN];
    sle4442 base, chip;
    unsigned off, planned;
    KvCard *card;

    kvt_wait_event(kvt_service(), KV_CARD_EVENT_INSERTED, KVT_EVENT_MS);
    kvt_keys(&keys);
    /* An issued card with two sales: seq 1 in slot A, seq 2 in slot B.
     * Sale 3 overwrites slot A, the slot of the older token. */
    card = kvt_issue(kvt_service());
    g_assert_cmpuint(kvt_sell(card, 500, &error), ==, 1);
    g_assert_cmpuint(kvt_sell(card, 700, &error), ==, 2);
    g_assert_no_error(error);
    kv_card_free(card);
    kvt_ctl("remove");
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_REMOVED, KVT_EVENT_MS);
    kvt_load_card(path, &base);

    g_assert_cmpint(kv_card_decode(&keys, base.main, &view), ==, KV_OK);
    g_assert_cmpuint(view.token.seq, ==, 2);
    off = kv_card_next_token_offset(&view);
    g_assert_cmpuint(off, ==, KV_TOKEN_A);
    kvt_token_slot(&view, 900, slot);
    planned = kv_slot_write_plan(base.main + off, slot, KV_TOKEN_USED, order);
    g_assert_cmpuint(planned, >, 30);
    g_test_message("sale 3 changes %u bytes of slot A", planned);

    for (unsigned k = 0; k <= planned; k++) {
        g_autoptr(GError) werr = NULL;
        kvt_save_card(path, &base); /* the card as it was before the sale */
        if (k < planned)
            kvt_ctl("tear %u", k);
        kvt_ctl("insert");
        kvt_wait_event(kvt_service(), KV_CARD_EVENT_INSERTED, KVT_EVENT_MS);
        card = connect_with_psc();
        g_assert_cmpuint(kv_card_next_token_offset(&view), ==, off);
        if (k < planned) {
            g_assert_false(kv_card_write(card, off, slot, KV_TOKEN_USED, &werr));
            g_assert_error(werr, KV_CARD_ERROR, KV_CARD_ERROR_TORN);
            kv_card_free(card);
            kvt_wait_event(kvt_service(), KV_CARD_EVENT_REMOVED, KVT_EVENT_MS);
        } else {
            g_assert_true(kv_card_write(card, off, slot, KV_TOKEN_USED, &werr));
            g_assert_no_error(werr);
            kv_card_free(card);
            kvt_ctl("remove");
            kvt_wait_event(kvt_service(), KV_CARD_EVENT_REMOVED, KVT_EVENT_MS);
        }
        kvt_load_card(path, &chip);
        /* the chip: k changed bytes written in order, the next one erased */
        for (unsigned i = 0; i < planned; i++) {
            uint8_t want = i < k ? slot[order[i]] : i == k ? 0xFF : base.main[off + order[i]];
            g_assert_cmphex(chip.main[off + order[i]], ==, want);
        }
        /* the contract: old token until the last byte, then the new one */
        g_assert_cmpint(kv_card_decode(&keys, chip.main, &view), ==, KV_OK);
        g_assert_cmpint(view.token_err, ==, KV_OK);
        g_assert_cmpuint(view.token.seq, ==, k < planned ? 2 : 3);
        g_assert_cmpuint(view.token_slot, ==, k < planned ? 1 : 0);
        kv_card_decode(&keys, base.main, &view); /* for the next round */
    }

    /* A torn card, inserted again, completes the sale. */
    kvt_save_card(path, &base);
    kvt_ctl("tear %u", planned / 2);
    kvt_ctl("insert");
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_INSERTED, KVT_EVENT_MS);
    card = connect_with_psc();
    g_assert_false(kv_card_write(card, off, slot, KV_TOKEN_USED, &error));
    g_assert_error(error, KV_CARD_ERROR, KV_CARD_ERROR_TORN);
    g_clear_error(&error);
    kv_card_free(card);
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_REMOVED, KVT_EVENT_MS);
    kvt_ctl("insert");
    kvt_wait_event(kvt_service(), KV_CARD_EVENT_INSERTED, KVT_EVENT_MS);
    card = connect_with_psc();
    g_assert_cmpint(kv_card_decode(&keys, kv_card_image(card), &view), ==, KV_OK);
    g_assert_cmpuint(view.token.seq, ==, 2);
    g_assert_true(view.token_torn);
    g_assert_cmpuint(kv_card_next_token_offset(&view), ==, off);
    g_assert_true(kv_card_write(card, off, slot, KV_TOKEN_USED, &error));
    g_assert_no_error(error);
    g_assert_cmpint(kv_card_decode(&keys, kv_card_image(card), &view), ==, KV_OK);
    g_assert_cmpuint(view.token.seq, ==, 3);
    kv_card_free(card);
    kv_meter_keys_wipe(&keys);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tear/every-byte-of-a-sale", test_tear_every_byte);
    return kvt_run();
}
