/* test-secrets.c - no key and no PSC is left behind on the stack.
 *
 * After each kind of card insertion, the stack the meter used (now below
 * the caller's frame) is searched for the meter's keys, the EEPROM's MAC
 * key, a key delivered by a key-change card, and the card's PSC.  The keys live on in the meter's
 * own structure, which is not on the stack; any copy found in a dead frame
 * is a copy the code forgot to wipe.  How the dead stack is searched:
 * stackscan.h.
 */
#include <stdio.h>
#include <string.h>

#include "fwcards.h"
#include "host_board.h"
#include "kv_util.h"
#include "kvtest.h"
#include "nvv1.h"
#include "stackscan.h"

void kvtest_puts(const char *s)
{
    fputs(s, stdout);
}

static host_board board;
static fw_office office;
static uint8_t prov[KV_PROVISION_LEN];
static sle4442 card;

static void check_absent(const char *what, const uint8_t *pat, unsigned n)
{
    long at = stackscan_find(pat, n);
    kvtest_checks++;
    if (at >= 0) {
        kvtest_puts("    found on the stack: ");
        kvtest_puts(what);
        kvtest_puts("\n");
        kvtest_fail_at(__FILE__, __LINE__, what);
    }
}

/* Every secret the meter holds, plus extra (n bytes) if not NULL. */
static void check_all(const char *after, const uint8_t *extra, unsigned n)
{
    /* copies into static storage: the patterns must not sit on the stack */
    static kv_meter_keys k;
    static uint8_t psc[KV_PSC_LEN];
    kvtest_puts("  after ");
    kvtest_puts(after);
    kvtest_puts("\n");
    k = board.m.keys;
    kv_card_psc(&k, 1001, psc);
    check_absent("k_meter", k.k_meter, 16);
    check_absent("k_enc", k.k_enc, 16);
    check_absent("k_mac", k.k_mac, 16);
    check_absent("k_rb", k.k_rb, 16);
    check_absent("k_psc", k.k_psc, 16);
    KV_CHECK(k.has_transport);
    check_absent("k_transport", k.k_transport, 16);
    check_absent("k_tenc", k.k_tenc, 16);
    check_absent("k_tmac", k.k_tmac, 16);
    {
        static uint8_t nv_key[16];
        memcpy(nv_key, board.m.nv_key, 16);
        check_absent("the NV key", nv_key, 16);
        kv_wipe(nv_key, sizeof nv_key);
    }
    check_absent("the user card's PSC", psc, KV_PSC_LEN);
    if (extra)
        check_absent("the key from the key-change card", extra, n);
    kv_wipe(&k, sizeof k);
    kv_wipe(psc, sizeof psc);
}

static void insert(sle4442 *c)
{
    stackscan_fill();
    host_board_insert(&board, c);
    host_board_remove(&board, c);
}

int main(void)
{
    static sle4442 eng;
    static uint8_t new_key[16];
    kv_token t;

    host_board_init(&board, 200);
    fw_office_init(&office, 0x4B560001u, 12345678);
    fw_office_provision(&office, 2000, 500, 100000, 0, 30, prov);
    stackscan_fill();
    host_board_boot(&board, prov);
    check_all("power-up", NULL, 0);

    fw_card_issue(&card, &office, KV_CARD_USER, 1001);
    fw_card_sell(&card, &office, 3000, -1);
    insert(&card);
    KV_CHECK(board.m.st.cumulative_loaded == 3000);
    check_all("a user card that loaded credit", NULL, 0);

    insert(&card);
    check_all("a user card with nothing new", NULL, 0);

    fw_card_issue(&eng, &office, KV_CARD_PARAMETER, 5001);
    memset(&t, 0, sizeof t);
    t.u.params.alarm_level = 3000;
    t.u.params.pretrip_level = 1000;
    t.u.params.hoarding_limit = 50000;
    KV_CHECK(fw_card_token(&eng, &office, &t, -1) == KV_OK);
    insert(&eng);
    KV_CHECK(board.m.cfg.hoarding_limit == 50000);
    check_all("a parameter card", NULL, 0);

    /* a refused card after the token was opened (a copy without the PSC) */
    {
        static sle4442 copy;
        fw_card_blank(&copy);
        memcpy(copy.main + 4, card.main + 4, KV_CARD_SIZE - 4);
        memcpy(copy.prot, card.prot, 4);
        insert(&copy);
        check_all("a copied card refused at the PSC", NULL, 0);
    }

    fw_card_issue(&eng, &office, KV_CARD_CHECK, 7001);
    memset(&t, 0, sizeof t);
    KV_CHECK(fw_card_token(&eng, &office, &t, -1) == KV_OK);
    insert(&eng);
    KV_CHECK(board.m.run.last_result == KV_OK);
    check_all("a check card", NULL, 0);

    fw_card_issue(&eng, &office, KV_CARD_KEY_CHANGE, 8001);
    memset(&t, 0, sizeof t);
    t.u.key_change.new_key_version = 2;
    kv_derive_meter_key(office.master, office.utility, office.meter, 2, new_key);
    memcpy(t.u.key_change.new_k_meter, new_key, 16);
    KV_CHECK(fw_card_token(&eng, &office, &t, -1) == KV_OK);
    kv_wipe(&t, sizeof t);
    insert(&eng);
    KV_CHECK(board.m.cfg.key_version == 2);
    check_all("a key-change card", new_key, 16);

    /* the first boot on an EEPROM of the earlier firmware, which reads
     * the key out of it and blanks it */
    {
        static meter_config cfg;
        static meter_state st;
        meter_wipe(&board.m);
        host_board_init(&board, 200);
        fw_office_init(&office, 0x4B560001u, 12345678);
        fw_office_provision(&office, 2000, 500, 100000, 0, 30, prov);
        nvv1_config(&cfg, &office, 2000, 500, 100000, 0);
        st.cumulative_loaded = 3000;
        st.remaining = 3000;
        nvv1_image(board.nv, &cfg, &st, 3, 0, 0);
        kv_wipe(&cfg, sizeof cfg);
        stackscan_fill();
        host_board_boot(&board, prov);
        KV_CHECK(board.m.st.cumulative_loaded == 3000);
        check_all("the move from the earlier firmware's EEPROM", NULL, 0);
    }

    meter_wipe(&board.m);
    printf("%u checks, %u failed\n", kvtest_checks, kvtest_failures);
    return kvtest_failures ? 1 : 0;
}
