/* card-test-util.c - see card-test-util.h. */
#include "card-test-util.h"

#include <stdlib.h>
#include <string.h>

/* A fixed test master key: never a real utility's. */
static const uint8_t test_master[16] = "kilovend-tests!";

static KvCardService *shared_service;

KvCardService *kvt_service(void)
{
    if (!shared_service) {
        g_autoptr(GError) error = NULL;
        shared_service = kv_card_service_new(&error);
        g_assert_no_error(error);
    }
    return shared_service;
}

int kvt_run(void)
{
    int rc = g_test_run();
    g_clear_pointer(&shared_service, kv_card_service_free);
    return rc;
}

void kvt_ctl(const char *fmt, ...)
{
    va_list ap;
    g_autofree char *args = NULL, *cmd = NULL, *err = NULL;
    g_autoptr(GError) error = NULL;
    const char *ctl = g_getenv("KV_PCSC_CTL");
    int status = 0;

    g_assert_nonnull(ctl); /* run inside tests/pcsc/kv-pcsc-env */
    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    cmd = g_strdup_printf("%s %s", ctl, args);
    g_assert_true(g_spawn_command_line_sync(cmd, NULL, &err, &status, &error));
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("'%s' failed: %s", cmd, err);
}

const char *kvt_reader(void)
{
    const char *r = g_getenv("KV_PCSC_READER");
    g_assert_nonnull(r);
    return r;
}

void kvt_wait_event(KvCardService *svc, KvCardEvent ev, guint ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
    for (;;) {
        g_autoptr(GError) error = NULL;
        gint64 left = (end - g_get_monotonic_time()) / 1000;
        KvCardEvent got;
        if (left <= 0)
            g_error("event %d did not come within %u ms", ev, ms);
        got = kv_card_service_wait(svc, kvt_reader(), (guint)left, NULL, &error);
        if (error && !g_error_matches(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_PCSCD))
            g_error("waiting for event %d: %s", ev, error->message);
        if (got == ev)
            return;
    }
}

void kvt_new_card_file(const char *path)
{
    g_autofree char *cmd = NULL;
    int status = 0;
    const char *bin = g_getenv("KV_VCARD_BIN");
    g_assert_nonnull(bin);
    cmd = g_strdup_printf("%s --new %s --create-only", bin, path);
    g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, &status, NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
}

void kvt_load_card(const char *path, sle4442 *chip)
{
    g_autofree char *buf = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &buf, &len, NULL));
    g_assert_cmpuint(len, ==, SLE_FILE_SIZE);
    g_assert_cmpint(sle_load(chip, (const uint8_t *)buf), ==, 0);
}

void kvt_save_card(const char *path, const sle4442 *chip)
{
    uint8_t buf[SLE_FILE_SIZE];
    sle_save(chip, buf);
    g_assert_true(g_file_set_contents(path, (const char *)buf, sizeof buf, NULL));
}

void kvt_keys(kv_meter_keys *keys)
{
    uint8_t km[16], kp[16];
    kv_derive_meter_key(test_master, KVT_UTILITY, KVT_METER, 1, km);
    kv_derive_psc_key(test_master, KVT_UTILITY, KVT_METER, 1, kp);
    kv_meter_keys_init(keys, km, 1, kp);
}

kv_identity kvt_identity(void)
{
    kv_identity id = {KV_FORMAT_VERSION, KV_CARD_USER, KVT_UTILITY, KVT_SERIAL, KVT_METER, 1};
    return id;
}

void kvt_psc(uint8_t psc[3])
{
    kv_meter_keys keys;
    kvt_keys(&keys);
    kv_card_psc(&keys, KVT_SERIAL, psc);
    kv_meter_keys_wipe(&keys);
}

KvCard *kvt_issue(KvCardService *svc)
{
    static const uint8_t factory[3] = {0xFF, 0xFF, 0xFF};
    g_autoptr(GError) error = NULL;
    kv_identity id = kvt_identity();
    uint8_t idb[KV_ID_LEN], psc[3];
    KvCard *card = kv_card_connect(svc, kvt_reader(), &error);

    g_assert_no_error(error);
    g_assert_cmpint(kv_identity_encode(&id, idb), ==, KV_OK);
    g_assert_true(kv_card_present_psc(card, factory, FALSE, &error));
    g_assert_true(kv_card_write(card, KV_ID_OFF, idb, KV_ID_LEN, &error));
    g_assert_true(kv_card_lock_identity(card, &error));
    kvt_psc(psc);
    g_assert_true(kv_card_change_psc(card, psc, &error));
    g_assert_no_error(error);
    return card;
}

void kvt_token_slot(const kv_card_view *view, guint32 amount, uint8_t slot[KV_SLOT_LEN])
{
    kv_meter_keys keys;
    kv_identity id = kvt_identity();
    kv_token t = {.kind = KV_TOKEN_CREDIT, .key_version = 1};

    kvt_keys(&keys);
    t.seq = view->token_err == KV_OK ? view->token.seq + 1 : 1;
    t.u.credit.cumulative = (view->token_err == KV_OK ? view->token.u.credit.cumulative : 0) +
                            amount;
    t.u.credit.amount = amount;
    t.u.credit.issued_at = 1700000000u + t.seq;
    t.u.credit.sale_ref = t.seq;
    t.u.credit.office = 7;
    g_assert_cmpint(kv_token_seal(&keys, &id, &t, slot), ==, KV_OK);
    kv_meter_keys_wipe(&keys);
}

guint32 kvt_sell(KvCard *card, guint32 amount, GError **error)
{
    kv_meter_keys keys;
    kv_card_view view;
    uint8_t slot[KV_SLOT_LEN];
    unsigned off;

    kvt_keys(&keys);
    g_assert_cmpint(kv_card_decode(&keys, kv_card_image(card), &view), ==, KV_OK);
    kv_meter_keys_wipe(&keys);
    kvt_token_slot(&view, amount, slot);
    off = kv_card_next_token_offset(&view);
    if (!kv_card_write(card, off, slot, KV_TOKEN_USED, error))
        return 0;
    return view.token_err == KV_OK ? view.token.seq + 1 : 1;
}
