/* nvattacks.c - the EEPROM clip attacks (see nvattacks.h).
 *
 * Each attack starts from a meter that has loaded credit and metered
 * energy, does to its EEPROM image what a clip on the AT24C does (read
 * it, edit it, erase it, swap it, put an older one back), powers the meter
 * up again and checks what it believes.  The internal flash (rig->sec) is
 * never touched: it is inside the MCU.
 */
#include "nvattacks.h"

#include <string.h>

#include "fwcards.h"
#include "kv_util.h"
#include "kvtest.h"
#include "nvrec.h"
#include "nvv1.h"

static host_board *b;
static fw_office office;
static uint8_t prov[KV_PROVISION_LEN];
static sle4442 user, eng;
static uint8_t image[METER_NV_SIZE];
static const int32_t load3[3] = {1000, 1000, 1000};

/* ---- helpers ------------------------------------------------------------ */

static int insert(sle4442 *c)
{
    int rc = host_board_insert(b, c);
    host_board_remove(b, c);
    return rc;
}

/* Power fails and comes back: RAM gone, memories and plant stay. */
static int reboot(void)
{
    host_persist keep = b->p;
    int rc;
    meter_wipe(&b->m);
    memset(&b->m, 0, sizeof b->m);
    rc = host_board_boot(b, prov);
    keep.run = b->m.run;
    b->p = keep;
    return rc;
}

/* A new board: blank EEPROM and internal flash (a board's own flash
 * driver stays, erased through it). */
static void new_board(void)
{
    meter_secure_ops keep = b->sec_ops;
    host_board_init(b, 301);
    if (keep.read && keep.ctx != b) {
        b->sec_ops = keep;
        for (uint32_t p = 0; p < METER_SECURE_PAGES; p++)
            KV_CHECK(keep.erase(keep.ctx, p * METER_SECURE_PAGE) == 0);
    }
}

/* A meter that loaded 50.00 kWh and metered 12.00 kWh (past one floor
 * step), with readbacks on its user card. */
static void used_meter(uint32_t base)
{
    new_board();
    fw_office_init(&office, 0x4B560001u, base);
    fw_office_provision(&office, 2000, 500, 100000, 0, 30, prov);
    host_board_boot(b, prov);
    fw_card_issue(&user, &office, KV_CARD_USER, 1001);
    fw_card_sell(&user, &office, 5000, -1);
    KV_CHECK(insert(&user) == KV_OK);
    host_board_run(b, load3, 7, 4800); /* 3 kW for 80 min: 4.00 kWh */
    KV_CHECK(insert(&user) == KV_OK);  /* a balance check: readback */
    host_board_run(b, load3, 7, 9600); /* 8.00 kWh more */
    KV_CHECK(b->m.st.cumulative_loaded == 5000);
    KV_CHECK(meter_total_energy(&b->m) == 1200);
}

static int has_event(uint8_t code)
{
    return memchr(b->m.st.events, code, METER_EVENTS) != NULL;
}

static int find(const uint8_t *hay, size_t n, const uint8_t *pat, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, pat, m) == 0)
            return 1;
    return 0;
}

/* The newest committed state slot of the image. */
static uint8_t *newest_slot(void)
{
    return b->nv + NVREC_STATE_BASE + (b->m.state_seq % NVREC_STATE_SLOTS) * NVREC_STATE_STRIDE;
}

static void key_change_token(sle4442 *c, uint8_t version)
{
    kv_token t;
    memset(&t, 0, sizeof t);
    t.u.key_change.new_key_version = version;
    kv_derive_meter_key(office.master, office.utility, office.meter, version,
                        t.u.key_change.new_k_meter);
    KV_CHECK(fw_card_token(c, &office, &t, -1) == KV_OK);
    kv_wipe(&t, sizeof t);
}

/* ---- the attacks -------------------------------------------------------- */

/* Read the chip: no key of the meter is in the image, in any form. */
static void eeprom_dump_has_no_keys(void)
{
    static uint8_t k_psc[16], k2[16];
    kv_meter_keys keys;

    used_meter(12345678);
    kv_derive_psc_key(office.master, office.utility, office.meter, office.psc_version, k_psc);
    /* a key change puts a new key in the meter too */
    fw_card_issue(&eng, &office, KV_CARD_KEY_CHANGE, 8001);
    key_change_token(&eng, 2);
    KV_CHECK(insert(&eng) == KV_OK);
    KV_CHECK(b->m.cfg.key_version == 2);
    kv_derive_meter_key(office.master, office.utility, office.meter, 2, k2);
    keys = b->m.keys;
    KV_CHECK(!find(b->nv, sizeof b->nv, office.k_meter, 16)); /* the provisioning key */
    KV_CHECK(!find(b->nv, sizeof b->nv, k2, 16));
    KV_CHECK(!find(b->nv, sizeof b->nv, k_psc, 16));
    KV_CHECK(!find(b->nv, sizeof b->nv, keys.k_enc, 16));
    KV_CHECK(!find(b->nv, sizeof b->nv, keys.k_mac, 16));
    KV_CHECK(!find(b->nv, sizeof b->nv, keys.k_rb, 16));
    KV_CHECK(!find(b->nv, sizeof b->nv, b->m.nv_key, 16));
    /* the scan finds a key where one is: in the internal flash */
    if (b->sec_ops.ctx == b)
        KV_CHECK(find(b->sec, sizeof b->sec, k2, 16));
    kv_wipe(&keys, sizeof keys);
    kv_wipe(k2, sizeof k2);
    kv_wipe(k_psc, sizeof k_psc);
}

/* Edit the remaining credit of the newest record to 20,000 kWh and
 * recompute its check value, as one did for the CRC of the earlier
 * firmware. */
static void eeprom_edit_credit(void)
{
    int32_t rem;
    uint32_t energy;
    uint8_t *r;

    used_meter(12345678);
    meter_save(&b->m);
    rem = b->m.st.remaining;
    energy = meter_total_energy(&b->m);
    r = newest_slot();
    kv_put_be32(r + 12, 2000000u); /* 20,000.00 kWh */
    kv_put_be32(r + NVREC_STATE_LEN - 4, kv_crc32(r, NVREC_STATE_LEN - 4));
    reboot();
    KV_CHECK(b->m.st.remaining <= rem);
    KV_CHECK(b->m.st.remaining < 1000000);
    KV_CHECK(b->m.st.tamper & METER_TAMPER_NV);
    KV_CHECK(has_event(METER_EV_NV_TAMPER));
    KV_CHECK(b->m.st.cumulative_loaded == 5000);
    KV_CHECK(meter_total_energy(&b->m) >= energy);
    KV_CHECK((int64_t)b->m.st.remaining + meter_total_energy(&b->m) == 5000);
    /* the tamper reaches the office with the next readback */
    {
        kv_readback rb;
        KV_CHECK(insert(&user) == KV_OK);
        KV_CHECK(fw_card_readback(&user, &office, &rb) == KV_OK);
        KV_CHECK(rb.status & KV_RB_TAMPER);
    }
    /* and putting back the unedited image does not clear it */
    reboot();
    KV_CHECK(b->m.st.tamper & METER_TAMPER_NV);

    /* The same edit written as a record of the earlier format, CRC and
     * all, with a higher sequence: never read. */
    used_meter(12345678);
    meter_save(&b->m);
    rem = b->m.st.remaining;
    {
        meter_state st = b->m.st;
        static uint8_t v1[METER_NV_SIZE];
        st.remaining = 2000000;
        nvv1_image(v1, &b->m.cfg, &st, b->m.state_seq + 1, 0, 0);
        memcpy(b->nv + NVREC_STATE_BASE, v1 + NVREC_STATE_BASE,
               NVREC_STATE_SLOTS * NVREC_STATE_STRIDE);
    }
    reboot();
    KV_CHECK(b->m.st.remaining <= rem);
    KV_CHECK(b->m.st.cumulative_loaded == 5000);
}

/* Erase the chip: the meter restores from the floor in internal flash,
 * the old card loads nothing, the counters do not go back, tamper. */
static void eeprom_erased(void)
{
    kv_readback rb0, rb;
    int32_t rem;
    uint32_t energy, last_seq;

    used_meter(12345678);
    /* a clear-tamper card used once (its token stays on the card) */
    {
        kv_token t;
        memset(&t, 0, sizeof t);
        t.u.issued_at = 1760000000u;
        fw_card_issue(&eng, &office, KV_CARD_CLEAR_TAMPER, 7001);
        KV_CHECK(fw_card_token(&eng, &office, &t, -1) == KV_OK);
        KV_CHECK(insert(&eng) == KV_OK);
    }
    KV_CHECK(fw_card_readback(&user, &office, &rb0) == KV_OK);
    rem = b->m.st.remaining;
    energy = meter_total_energy(&b->m);
    last_seq = b->m.st.last_seq;
    memset(b->nv, 0xFF, sizeof b->nv);
    KV_CHECK(reboot() == 0);
    KV_CHECK(b->m.st.tamper & METER_TAMPER_NV);
    KV_CHECK(has_event(METER_EV_NV_TAMPER));
    KV_CHECK(b->m.st.cumulative_loaded == 5000);
    KV_CHECK(b->m.st.last_seq == last_seq);
    KV_CHECK(b->m.st.remaining <= rem); /* credit may be lost, never created */
    KV_CHECK(b->m.st.remaining >= rem - (int32_t)METER_FLOOR_ENERGY_STEP);
    KV_CHECK(meter_total_energy(&b->m) >= energy);
    KV_CHECK(b->m.st.readback_counter >= rb0.counter);
    /* the old card: nothing loads (a balance check) */
    KV_CHECK(insert(&user) == KV_OK);
    KV_CHECK(strcmp(b->text, "bALAncE") == 0);
    KV_CHECK(b->m.st.cumulative_loaded == 5000);
    KV_CHECK(fw_card_readback(&user, &office, &rb) == KV_OK);
    KV_CHECK(rb.counter > rb0.counter);
    KV_CHECK(rb.cumulative_loaded == rb0.cumulative_loaded);
    KV_CHECK(rb.total_energy >= rb0.total_energy);
    KV_CHECK(rb.status & KV_RB_TAMPER);
    /* the old clear-tamper card does not clear it: its sequence is in the
     * floor */
    KV_CHECK(insert(&eng) == KV_E_REPLAY);
    KV_CHECK(b->m.st.tamper & METER_TAMPER_NV);
    /* a new sale still loads */
    fw_card_sell(&user, &office, 1000, -1);
    KV_CHECK(insert(&user) == KV_OK);
    KV_CHECK(b->m.st.cumulative_loaded == 6000);
    /* and erasing again gives nothing back either */
    memset(b->nv, 0xFF, sizeof b->nv);
    reboot();
    KV_CHECK(b->m.st.cumulative_loaded == 6000);
    KV_CHECK(insert(&user) == KV_OK);
    KV_CHECK(b->m.st.cumulative_loaded == 6000);
}

/* Swap in the EEPROM image of another meter (more credit on it). */
static void eeprom_swapped(void)
{
    int32_t rem;

    used_meter(22222222); /* the other meter: 50 kWh, then 25 more */
    fw_card_sell(&user, &office, 2500, -1);
    KV_CHECK(insert(&user) == KV_OK);
    memcpy(image, b->nv, sizeof image);

    used_meter(12345678);
    rem = b->m.st.remaining;
    memcpy(b->nv, image, sizeof b->nv);
    KV_CHECK(reboot() == 0);
    KV_CHECK(b->m.provisioned && !b->m.not_here);
    KV_CHECK(b->m.st.tamper & METER_TAMPER_NV);
    KV_CHECK(b->m.st.cumulative_loaded == 5000);
    KV_CHECK(b->m.st.remaining <= rem);
    KV_CHECK(insert(&user) == KV_OK);
    KV_CHECK(b->m.st.cumulative_loaded == 5000);
}

/* Put back an older image of the meter's own EEPROM, from before a load
 * and before most of the energy. */
static void eeprom_rolled_back(void)
{
    int32_t rem;
    uint32_t energy;

    used_meter(12345678);
    memcpy(image, b->nv, sizeof image);
    fw_card_sell(&user, &office, 2000, -1);
    KV_CHECK(insert(&user) == KV_OK);
    host_board_run(b, load3, 7, 18000); /* 15.00 kWh */
    meter_save(&b->m);
    rem = b->m.st.remaining;
    energy = meter_total_energy(&b->m);
    memcpy(b->nv, image, sizeof b->nv);
    reboot();
    KV_CHECK(b->m.st.tamper & METER_TAMPER_NV);
    KV_CHECK(b->m.st.cumulative_loaded == 7000);
    KV_CHECK(b->m.st.remaining <= rem);
    KV_CHECK(meter_total_energy(&b->m) >= energy - METER_FLOOR_ENERGY_STEP);
    KV_CHECK(insert(&user) == KV_OK); /* the new token: not again */
    KV_CHECK(b->m.st.cumulative_loaded == 7000);
}

/* Key rotation: a key-change card to a lower or equal version is
 * refused, and an erased EEPROM does not bring back the provisioning key. */
static void key_version_floor(void)
{
    static fw_office v1;
    static sle4442 old_user;
    kv_readback rb;

    used_meter(12345678);
    v1 = office;
    fw_card_issue(&eng, &office, KV_CARD_KEY_CHANGE, 8001);
    key_change_token(&eng, 3);
    KV_CHECK(insert(&eng) == KV_OK);
    KV_CHECK(b->m.cfg.key_version == 3);
    office.key_version = 3;
    kv_derive_meter_key(office.master, office.utility, office.meter, 3, office.k_meter);
    /* back to 2 (sealed under the current key 3): refused */
    fw_card_issue(&eng, &office, KV_CARD_KEY_CHANGE, 8002);
    key_change_token(&eng, 2);
    KV_CHECK(insert(&eng) == KV_E_KEY_VERSION);
    KV_CHECK(b->m.cfg.key_version == 3);
    /* the same version again: refused */
    fw_card_issue(&eng, &office, KV_CARD_KEY_CHANGE, 8003);
    key_change_token(&eng, 3);
    KV_CHECK(insert(&eng) == KV_E_KEY_VERSION);
    /* EEPROM erased: still key 3, the provisioning key opens nothing */
    memset(b->nv, 0xFF, sizeof b->nv);
    reboot();
    KV_CHECK(b->m.cfg.key_version == 3);
    KV_CHECK(memcmp(b->m.cfg.k_meter, office.k_meter, 16) == 0);
    fw_card_issue(&old_user, &v1, KV_CARD_USER, 1002);
    v1.seq = office.seq + 10;
    v1.cumulative = 5000;
    fw_card_sell(&old_user, &v1, 3000, -1);
    KV_CHECK(insert(&old_user) == KV_E_KEY_VERSION);
    KV_CHECK(b->m.st.cumulative_loaded == 5000);
    /* a card under key 3 loads */
    fw_card_issue(&user, &office, KV_CARD_USER, 1003);
    office.cumulative = 5000;
    fw_card_sell(&user, &office, 1000, -1);
    KV_CHECK(insert(&user) == KV_OK);
    KV_CHECK(b->m.st.cumulative_loaded == 6000);
    KV_CHECK(fw_card_readback(&user, &office, &rb) == KV_OK);
    KV_CHECK(rb.key_version == 3);
}

/* A meter of the earlier firmware: keys in the clear in its EEPROM.  Its
 * first boot moves them inside and blanks the EEPROM; putting that old
 * EEPROM back brings back neither key nor credit. */
static void keys_moved_inside(void)
{
    static uint8_t old[METER_NV_SIZE];

    new_board();
    nvv1_field_meter(&office, prov, old);
    memcpy(b->nv, old, sizeof old);
    KV_CHECK(find(b->nv, sizeof b->nv, office.k_meter, 16)); /* the attack's target */
    KV_CHECK(host_board_boot(b, prov) == 0);
    KV_CHECK(!find(b->nv, sizeof b->nv, office.k_meter, 16));
    KV_CHECK(has_event(METER_EV_KEYS_MOVED));
    KV_CHECK(!(b->m.st.tamper & METER_TAMPER_NV));
    KV_CHECK(b->m.st.cumulative_loaded == 3000 && b->m.st.remaining == 2300);
    KV_CHECK(memcmp(b->m.cfg.k_meter, office.k_meter, 16) == 0);
    /* its cards still load (the card carries token 1: sell the next) */
    office.seq = 1;
    office.cumulative = 3000;
    fw_card_issue(&user, &office, KV_CARD_USER, 1001);
    fw_card_sell(&user, &office, 1000, -1);
    KV_CHECK(insert(&user) == KV_OK);
    KV_CHECK(b->m.st.cumulative_loaded == 4000);
    /* the old EEPROM put back */
    memcpy(b->nv, old, sizeof old);
    reboot();
    KV_CHECK(b->m.st.cumulative_loaded == 4000);
    KV_CHECK(b->m.st.tamper & METER_TAMPER_NV);
    KV_CHECK(!find(b->nv, sizeof b->nv, office.k_meter, 16));
}

/* The technician mass-erases the MCU (the only way past its read-out
 * protection) and provisions it again: its own EEPROM's ledger goes on,
 * another meter's EEPROM gives nothing. */
static void mass_erase_reprovision(void)
{
    int32_t rem;

    used_meter(22222222);
    memcpy(image, b->nv, sizeof image); /* another meter's EEPROM */
    used_meter(12345678);
    meter_save(&b->m);
    rem = b->m.st.remaining;
    for (uint32_t p = 0; p < METER_SECURE_PAGES; p++)
        KV_CHECK(b->sec_ops.erase(b->sec_ops.ctx, p * METER_SECURE_PAGE) == 0);
    KV_CHECK(reboot() == 0);
    KV_CHECK(b->m.st.cumulative_loaded == 5000 && b->m.st.remaining == rem);
    KV_CHECK(!(b->m.st.tamper & METER_TAMPER_NV));
    KV_CHECK(insert(&user) == KV_OK); /* nothing loads twice */
    KV_CHECK(b->m.st.cumulative_loaded == 5000);
    for (uint32_t p = 0; p < METER_SECURE_PAGES; p++)
        KV_CHECK(b->sec_ops.erase(b->sec_ops.ctx, p * METER_SECURE_PAGE) == 0);
    memcpy(b->nv, image, sizeof b->nv);
    KV_CHECK(reboot() == 0);
    KV_CHECK(b->m.st.cumulative_loaded == 0 && b->m.st.remaining == 0);
}

/* ---- table -------------------------------------------------------------- */

static const struct {
    const char *name;
    void (*run)(void);
} attacks[] = {
    {"eeprom-dump-has-no-keys", eeprom_dump_has_no_keys},
    {"eeprom-edit-credit-is-tamper", eeprom_edit_credit},
    {"eeprom-erased-restores-floor", eeprom_erased},
    {"eeprom-swapped-refused", eeprom_swapped},
    {"eeprom-rolled-back-detected", eeprom_rolled_back},
    {"key-version-never-goes-down", key_version_floor},
    {"keys-moved-out-of-old-eeprom", keys_moved_inside},
    {"mass-erase-keeps-own-ledger-only", mass_erase_reprovision},
};

static unsigned run_one(unsigned i)
{
    unsigned f = kvtest_failures;
    attacks[i].run();
    kvtest_puts(kvtest_failures == f ? "ok   " : "FAIL ");
    kvtest_puts(attacks[i].name);
    kvtest_puts("\n");
    meter_wipe(&b->m);
    return kvtest_failures - f;
}

unsigned fw_nvattacks_run(host_board *rig)
{
    unsigned failed = 0;
    b = rig;
    for (unsigned i = 0; i < sizeof attacks / sizeof attacks[0]; i++)
        failed += run_one(i);
    return failed;
}

unsigned fw_nvattack_one(host_board *rig, const char *name)
{
    b = rig;
    for (unsigned i = 0; i < sizeof attacks / sizeof attacks[0]; i++)
        if (strcmp(attacks[i].name, name) == 0)
            return run_one(i);
    return 1;
}
