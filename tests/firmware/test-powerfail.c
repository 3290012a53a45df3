/* test-powerfail.c - power cuts swept across every write of a load.
 *
 * A meter powers up and a user card carrying new credit is inserted.  The
 * power is cut after k written bytes, for every k from 0 to the number of
 * bytes the whole sequence writes (state records in NV memory, and each
 * readback byte on the card, cut both before its update and in the second
 * half of its processing, where the cell is left erased).  After each cut
 * the meter powers up again and the card is inserted again.  Proven for
 * every k: no credit loaded twice, none lost, cumulative registers never go
 * backwards, the ledger balances (remaining = loaded - energy), and the card
 * ends with a valid readback.  At every cut point the sweep also damages
 * the newest state record the cut left (a second, silent fault) before the
 * power returns: an older record then wins, and the floor in internal flash
 * must carry over the load it lacks once the floor was written (no token
 * loads twice), while the ledger balances and the card still loads exactly
 * once.  The same sweep runs over the energy saves of a metering run, over
 * a run that raises the energy floor, over a meter's first boot that
 * moves its keys from an EEPROM of the earlier firmware, and over the
 * internal record's log where it erases a page to wrap, and over taking
 * the emergency credit and the load that repays it, and over the first
 * write of a version 3 internal record after version 2 ones.  A cut alone
 * (without the second fault) never raises the memory tamper flag.
 */
#include <stdio.h>
#include <string.h>

#include "fwmeter.h"
#include "kvtest.h"
#include "kv_util.h"
#include "nvrec.h"
#include "nvv1.h"
#include "secrec.h"

void kvtest_puts(const char *s)
{
    fputs(s, stdout);
}

static host_board board;
static fw_office office;
static uint8_t prov[KV_PROVISION_LEN];

/* What was in NV and internal flash before the sweep point. */
static uint8_t nv0[METER_NV_SIZE];
static uint8_t sec0[METER_SECURE_SIZE];

static long written(void)
{
    return (long)board.nv_bytes_written + (long)board.sec_bytes_written +
           2L * (long)board.card_bytes_written;
}

static void snapshot(void)
{
    memcpy(nv0, board.nv, sizeof nv0);
    memcpy(sec0, board.sec, sizeof sec0);
}

static void back_to_snapshot(void)
{
    memcpy(board.nv, nv0, sizeof nv0);
    memcpy(board.sec, sec0, sizeof sec0);
    board.nv_bytes_written = board.sec_bytes_written = board.card_bytes_written = 0;
}
static sle4442 card0;

static int balanced(const meter *m)
{
    return (int64_t)m->st.remaining + meter_total_energy(m) + m->st.cleared ==
           (int64_t)m->st.cumulative_loaded;
}

static void power_up_reset(long budget, unsigned reset)
{
    host_persist keep = board.p;
    memset(&board.m, 0, sizeof board.m);
    host_board_power_budget(&board, budget);
    host_board_boot_reset(&board, prov, reset);
    keep.run = board.m.run;
    board.p = keep;
}

static void power_up(long budget)
{
    power_up_reset(budget, METER_RESET_POWER);
}

/* The watchdog fired at the cut: the meter restarts (the power stays),
 * counts it and logs it once. */
static void watchdog_restart(void)
{
    uint16_t before = 0;
    meter_state st;
    nvrec_scan scan;
    uint8_t key[16];
    nvrec_derive_key(office.k_meter, office.utility, office.meter, key);
    if (nvrec_load_state(&board.nv_ops, key, office.meter, 0, &st, &scan))
        before = st.wdog_resets;
    power_up_reset(-1, METER_RESET_WATCHDOG);
    KV_CHECK(board.m.st.wdog_resets == before + 1u);
    /* after the power-on event; a meter left without credit (a clear-credit
     * card) logs its cut-off after both */
    KV_CHECK(board.m.st.events[1] == METER_EV_WATCHDOG ||
             (board.m.st.events[0] == METER_EV_CUTOFF && board.m.st.events[2] == METER_EV_WATCHDOG));
}

/* Returns the bytes written by an uncut run of the sequence. */
static long load_sequence(long budget, sle4442 *card)
{
    back_to_snapshot();
    *card = card0;
    power_up(budget);
    if (!board.power_cut) {
        host_board_insert(&board, card);
        host_board_remove(&board, card);
    } else {
        /* the cut came during power-up itself */
        host_board_remove(&board, NULL);
    }
    return written();
}

/* The newest state record the cut left is damaged too; power returns.
 * Returns 1 if the load mark carried the load over. */
static int damaged_newest(sle4442 *card, int32_t rem0, uint32_t cum0)
{
    meter_config cfg;
    meter_floor fl;
    meter_state st;
    nvrec_scan scan;
    uint8_t key[16];
    uint32_t seq, cum_boot;
    int32_t rem_boot;
    int marked;

    host_board_power_budget(&board, -1);
    marked = secrec_load(&board.sec_ops, &cfg, &fl) != 0 && fl.cumulative_loaded == cum0 + 2500;
    nvrec_derive_key(office.k_meter, office.utility, office.meter, key);
    seq = nvrec_load_state(&board.nv_ops, key, office.meter, 0, &st, &scan);
    KV_CHECK(seq != 0);
    board.nv[NVREC_STATE_BASE + (seq % NVREC_STATE_SLOTS) * NVREC_STATE_STRIDE + 20] ^= 0x10;
    power_up(-1);
    cum_boot = board.m.st.cumulative_loaded;
    rem_boot = board.m.st.remaining;
    KV_CHECK(cum_boot == cum0 || cum_boot == cum0 + 2500);
    if (marked)
        KV_CHECK(cum_boot == cum0 + 2500);
    KV_CHECK(balanced(&board.m));
    host_board_insert(&board, card);
    host_board_remove(&board, card);
    KV_CHECK(board.m.st.cumulative_loaded == cum0 + 2500);
    KV_CHECK(board.m.st.remaining == rem_boot + (int32_t)(cum0 + 2500 - cum_boot));
    KV_CHECK(balanced(&board.m));
    /* again: nothing new, a balance check */
    KV_CHECK(host_board_insert(&board, card) == KV_OK);
    KV_CHECK(strcmp(board.text, "bALAncE") == 0);
    host_board_remove(&board, card);
    KV_CHECK(board.m.st.cumulative_loaded == cum0 + 2500);
    (void)rem0;
    return marked && cum_boot == cum0 + 2500 && seq != 0;
}

/* After the cut (or the watchdog reset) at one step: the ledger is the old
 * or the new one, never a mix, and the card loads exactly once. */
static void after_cut(sle4442 *card, int32_t rem0, uint32_t cum0, uint32_t energy0,
                      uint32_t rbcount0, const kv_readback *rb0)
{
    kv_readback rb;
        KV_CHECK(!board.power_cut);
    /* a cut is not tampering */
    KV_CHECK(!(board.m.st.tamper & METER_TAMPER_NV));
    /* after the cut: either the old or the new ledger, never a mix */
    KV_CHECK(board.m.st.cumulative_loaded == cum0 || board.m.st.cumulative_loaded == cum0 + 2500);
    KV_CHECK(board.m.st.remaining == rem0 + (int32_t)(board.m.st.cumulative_loaded - cum0));
    KV_CHECK(meter_total_energy(&board.m) >= energy0);
    KV_CHECK(board.m.st.readback_counter >= rbcount0);
    KV_CHECK(balanced(&board.m));
    /* the customer inserts the card again */
    host_board_insert(&board, card);
    host_board_remove(&board, card);
    KV_CHECK(board.m.st.cumulative_loaded == cum0 + 2500);
    KV_CHECK(board.m.st.remaining == rem0 + 2500);
    KV_CHECK(balanced(&board.m));
    KV_CHECK(fw_card_readback(card, &office, &rb) == KV_OK);
    KV_CHECK(rb.counter > rb0->counter);
    KV_CHECK(rb.cumulative_loaded == cum0 + 2500);
    /* and once more: nothing is loaded twice */
    KV_CHECK(host_board_insert(&board, card) == KV_OK);
    KV_CHECK(strcmp(board.text, "bALAncE") == 0);
    host_board_remove(&board, card);
    KV_CHECK(board.m.st.remaining == rem0 + 2500);
}

static unsigned sweep_load(void)
{
    sle4442 card;
    kv_readback rb0;
    uint32_t cum0, energy0, rbcount0;
    int32_t rem0;
    long total, k;
    unsigned points = 0, carried = 0;

    /* A meter that has loaded credit once and drawn some energy. */
    fw_meter_loaded(&board, &office, prov, &card, 3000);
    {
        const int32_t w[3] = {1500, 700, 300};
        host_board_run(&board, w, 7, 1800);
    }
    meter_save(&board.m);
    KV_CHECK(fw_card_readback(&card, &office, &rb0) == KV_OK);
    /* Then the customer buys 25.00 kWh more. */
    fw_card_sell(&card, &office, 2500, -1);

    snapshot();
    card0 = card;
    rem0 = board.m.st.remaining;
    cum0 = board.m.st.cumulative_loaded;
    energy0 = meter_total_energy(&board.m);
    rbcount0 = board.m.st.readback_counter;

    total = load_sequence(-1, &card);
    KV_CHECK(board.m.st.cumulative_loaded == cum0 + 2500);
    kvtest_print_u32("load sequence writes (EEPROM + internal flash bytes + 2 x card bytes): ",
                     (unsigned long)total);

    for (k = 0; k <= total; k++) {
        static uint8_t nv_cut[METER_NV_SIZE], sec_cut[METER_SECURE_SIZE];
        sle4442 card_cut;
        load_sequence(k, &card);
        /* the same cut, then the newest record damaged as well */
        memcpy(nv_cut, board.nv, sizeof nv_cut);
        memcpy(sec_cut, board.sec, sizeof sec_cut);
        card_cut = card;
        carried += (unsigned)damaged_newest(&card, rem0, cum0);
        memcpy(board.nv, nv_cut, sizeof nv_cut);
        memcpy(board.sec, sec_cut, sizeof sec_cut);
        card = card_cut;
        /* power returns */
        power_up(-1);
        after_cut(&card, rem0, cum0, energy0, rbcount0, &rb0);
        /* the same step, but the watchdog restarts the meter */
        load_sequence(k, &card);
        host_board_power_budget(&board, -1);
        watchdog_restart();
        after_cut(&card, rem0, cum0, energy0, rbcount0, &rb0);
        points++;
    }
    kvtest_print_u32("cut points where the floor carried the load over: ",
                     (unsigned long)carried);
    KV_CHECK(carried > 0);
    return points;
}

/* After a cut during a clear-credit card (and power back): the ledger is
 * the one before the clear or the one after it, never a mix; the card
 * inserted again ends the clear exactly once and reports it. */
static void after_clear_cut(sle4442 *card, int32_t rem0, uint32_t cum0, uint32_t energy0,
                            int exact)
{
    kv_readback rb;
    int rc;
    uint32_t energy = meter_total_energy(&board.m);
    KV_CHECK(board.m.provisioned && !board.power_cut);
    KV_CHECK(board.m.st.cumulative_loaded == cum0);
    KV_CHECK(energy >= energy0);
    KV_CHECK(balanced(&board.m));
    KV_CHECK(board.m.st.cleared == 0 || board.m.st.remaining <= 0);
    rc = host_board_insert(&board, card);
    host_board_remove(&board, card);
    KV_CHECK(rc == KV_OK || rc == KV_E_REPLAY);
    /* cleared once: never more than the meter held, nothing left over;
     * after a cut alone exactly what it held (a damaged record makes the
     * restore charge up to one floor step of energy, which the balance
     * accounts for) */
    KV_CHECK(board.m.st.remaining <= 0 && board.m.st.cleared <= (uint32_t)rem0);
    KV_CHECK(balanced(&board.m));
    if (exact)
        KV_CHECK(board.m.st.remaining == 0 && board.m.st.cleared == (uint32_t)rem0 &&
                 meter_total_energy(&board.m) == energy0);
    KV_CHECK(fw_card_readback(card, &office, &rb) == KV_OK);
    KV_CHECK(rb.cleared == board.m.st.cleared && rb.remaining == board.m.st.remaining);
    /* again: refused, nothing more cleared, the same report */
    KV_CHECK(host_board_insert(&board, card) == KV_E_REPLAY);
    host_board_remove(&board, card);
    KV_CHECK(fw_card_readback(card, &office, &rb) == KV_OK);
    KV_CHECK(rb.cleared == board.m.st.cleared && rb.result == KV_E_REPLAY);
}

/* Power cuts at every byte a clear-credit card makes the meter write: the
 * internal record (the floor, which holds the credit cleared), the state
 * record, the readback on the card; each also with the newest state
 * record damaged afterwards, and with a watchdog restart. */
static unsigned sweep_clear(void)
{
    sle4442 card, user, cut_card;
    static uint8_t nv_cut[METER_NV_SIZE], sec_cut[METER_SECURE_SIZE];
    uint32_t cum0, energy0;
    int32_t rem0;
    long total, k;
    unsigned points = 0;

    fw_meter_loaded(&board, &office, prov, &user, 3000);
    {
        const int32_t w[3] = {1500, 700, 300};
        host_board_run(&board, w, 7, 1800);
    }
    meter_save(&board.m);
    fw_card_issue(&card, &office, KV_CARD_CLEAR_CREDIT, 8001);
    {
        kv_token t;
        memset(&t, 0, sizeof t);
        t.u.issued_at = 1760000000u;
        KV_CHECK(fw_card_token(&card, &office, &t, -1) == KV_OK);
    }
    snapshot();
    card0 = card;
    rem0 = board.m.st.remaining;
    cum0 = board.m.st.cumulative_loaded;
    energy0 = meter_total_energy(&board.m);
    KV_CHECK(rem0 > 0);

    total = load_sequence(-1, &card);
    KV_CHECK(board.m.st.remaining == 0 && board.m.st.cleared == (uint32_t)rem0);
    kvtest_print_u32("clear-credit sequence writes (EEPROM + internal flash bytes + 2 x card "
                     "bytes): ",
                     (unsigned long)total);
    for (k = 0; k <= total; k++) {
        load_sequence(k, &card);
        memcpy(nv_cut, board.nv, sizeof nv_cut);
        memcpy(sec_cut, board.sec, sizeof sec_cut);
        cut_card = card;
        power_up(-1);
        KV_CHECK(!(board.m.st.tamper & METER_TAMPER_NV)); /* a cut is not tampering */
        KV_CHECK(board.m.st.cleared == 0 || board.m.st.cleared == (uint32_t)rem0);
        after_clear_cut(&card, rem0, cum0, energy0, 1);
        /* the same cut, then the newest state record damaged too */
        memcpy(board.nv, nv_cut, sizeof nv_cut);
        memcpy(board.sec, sec_cut, sizeof sec_cut);
        card = cut_card;
        {
            uint8_t key[16];
            meter_state st;
            nvrec_scan scan;
            uint32_t seq;
            nvrec_derive_key(office.k_meter, office.utility, office.meter, key);
            seq = nvrec_load_state(&board.nv_ops, key, office.meter, 0, &st, &scan);
            KV_CHECK(seq != 0);
            board.nv[NVREC_STATE_BASE + (seq % NVREC_STATE_SLOTS) * NVREC_STATE_STRIDE + 20] ^=
                0x10;
        }
        power_up(-1);
        after_clear_cut(&card, rem0, cum0, energy0, 0);
        /* the same step, but the watchdog restarts the meter */
        load_sequence(k, &card);
        host_board_power_budget(&board, -1);
        watchdog_restart();
        after_clear_cut(&card, rem0, cum0, energy0, 1);
        points++;
    }
    return points;
}

/* The internal records rewritten as the firmware of version 1 records
 * left them: 96 bytes, no credit cleared, CRC-32 at 92, ten to a page. */
static void secrec_to_v1(void)
{
    static uint8_t v2[METER_SECURE_SIZE];
    memcpy(v2, board.sec, sizeof v2);
    memset(board.sec, 0xFF, (METER_SECURE_PAGES - 1u) * METER_SECURE_PAGE);
    for (uint32_t i = 0; i < SECREC_PER_PAGE * SECREC_PAGES; i++) {
        const uint8_t *r = v2 + (i / SECREC_PER_PAGE) * METER_SECURE_PAGE +
                           (i % SECREC_PER_PAGE) * SECREC_LEN;
        uint8_t *o = board.sec + (i / SECREC_PER_PAGE) * METER_SECURE_PAGE +
                     (i % SECREC_PER_PAGE) * 96u;
        if (r[0] != 'K' || r[1] != 'I' || r[2] < 2 ||
            kv_get_be32(r + SECREC_LEN - 4) != kv_crc32(r, SECREC_LEN - 4))
            continue;
        KV_CHECK(kv_get_be32(r + 92) == 0); /* nothing cleared yet */
        memcpy(o, r, 92);
        o[2] = 1;
        kv_put_be32(o + 92, kv_crc32(o, 92));
    }
}

/* A meter updated from the firmware of version 1 internal records: it
 * boots on them (floor kept, no tamper) and a sale is swept with power
 * cuts at every byte while it writes its first record of version 2 (into
 * another page than the newest version 1 record's). */
static unsigned sweep_secrec_v1(void)
{
    sle4442 card;
    uint32_t cum0, last0, sseq0;
    long total, k;
    unsigned points = 0;

    fw_meter_loaded(&board, &office, prov, &card, 3000);
    meter_save(&board.m);
    cum0 = board.m.floor.cumulative_loaded;
    last0 = board.m.floor.last_seq;
    sseq0 = board.m.secure_seq;
    secrec_to_v1();
    power_up(-1);
    /* read, not a first boot started again from the EEPROM */
    KV_CHECK(board.m.secure_seq == sseq0);
    KV_CHECK(board.m.provisioned && !board.m.not_here);
    KV_CHECK(!(board.m.st.tamper & METER_TAMPER_NV));
    KV_CHECK(board.m.floor.cumulative_loaded == cum0 && board.m.floor.last_seq == last0);
    KV_CHECK(board.m.st.cumulative_loaded == 3000 && board.m.st.remaining == 3000);
    fw_card_sell(&card, &office, 2500, -1);
    snapshot();
    card0 = card;
    total = load_sequence(-1, &card);
    KV_CHECK(board.m.st.cumulative_loaded == 5500 && board.m.floor.cumulative_loaded == 5500);
    kvtest_print_u32("first sale after version 1 internal records: bytes written: ",
                     (unsigned long)total);
    for (k = 0; k <= total; k++) {
        load_sequence(k, &card);
        power_up(-1);
        KV_CHECK(board.m.provisioned && !board.m.not_here);
        KV_CHECK(!(board.m.st.tamper & METER_TAMPER_NV));
        KV_CHECK(board.m.floor.cumulative_loaded >= cum0 && board.m.floor.last_seq >= last0);
        KV_CHECK(balanced(&board.m));
        host_board_insert(&board, &card);
        host_board_remove(&board, &card);
        KV_CHECK(board.m.st.cumulative_loaded == 5500 && board.m.st.remaining == 5500);
        points++;
    }
    return points;
}

/* Power cuts during the energy saves of a metering run of run_s seconds
 * at 6 kW, after pre_s seconds of it uncut (pre_s brings the energy near a
 * floor step, so that the swept run raises the floor in internal flash). */
static unsigned sweep_energy(const char *what, uint32_t pre_s, uint32_t run_s)
{
    sle4442 card;
    const int32_t w[3] = {3000, 2000, 1000};
    uint32_t energy_before, run_energy = run_s * 6000u / 36000u + 1u;
    long total, k;
    unsigned points = 0, floors = 0;
    meter_config cfg;
    meter_floor fl0, fl;

    fw_meter_loaded(&board, &office, prov, &card, 50000);
    host_board_run(&board, w, 7, pre_s);
    meter_save(&board.m);
    snapshot();
    energy_before = meter_total_energy(&board.m);
    secrec_load(&board.sec_ops, &cfg, &fl0);

    board.nv_bytes_written = board.sec_bytes_written = 0;
    host_board_run(&board, w, 7, run_s);
    total = written();
    secrec_load(&board.sec_ops, &cfg, &fl);
    kvtest_puts(what);
    kvtest_print_u32(": bytes written (EEPROM + internal flash): ", (unsigned long)total);
    kvtest_print_u32("    of which internal flash: ", (unsigned long)board.sec_bytes_written);
    for (k = 0; k <= total; k++) {
        for (int wd = 0; wd <= (k % 4 == 0); wd++) {
            uint32_t e_cut;
            back_to_snapshot();
            memset(board.p.acc, 0, sizeof board.p.acc);
            power_up(-1);
            host_board_power_budget(&board, k);
            host_board_run(&board, w, 7, run_s);
            if (wd) {
                host_board_power_budget(&board, -1);
                watchdog_restart();
            } else {
                power_up(-1);
            }
            e_cut = meter_total_energy(&board.m);
            KV_CHECK(e_cut >= energy_before);
            KV_CHECK(e_cut <= energy_before + run_energy);
            KV_CHECK(balanced(&board.m));
            KV_CHECK(!(board.m.st.tamper & METER_TAMPER_NV));
            KV_CHECK(board.m.st.cumulative_loaded == 50000);
            secrec_load(&board.sec_ops, &cfg, &fl);
            floors += fl.state_seq != fl0.state_seq;
        }
        points++;
    }
    kvtest_print_u32("    cut points after which the floor had moved: ", (unsigned long)floors);
    return points;
}

/* Power cuts during the first boot of this firmware on a meter whose
 * EEPROM the earlier firmware wrote (keys in the clear). */
static unsigned sweep_move(void)
{
    long total, k;
    unsigned points = 0;

    host_board_init(&board, 200);
    nvv1_field_meter(&office, prov, board.nv);
    host_board_provision(&board, prov);
    snapshot();
    power_up(-1);
    total = written();
    kvtest_print_u32("move from the earlier EEPROM: bytes written: ", (unsigned long)total);
    for (k = 0; k <= total; k++) {
        back_to_snapshot();
        power_up(k);
        power_up(-1);
        KV_CHECK(board.m.provisioned && !board.m.not_here);
        KV_CHECK(board.m.st.cumulative_loaded == 3000);
        KV_CHECK(board.m.st.remaining == 2300);
        KV_CHECK(board.m.st.phase_energy[0] == 700);
        KV_CHECK(board.m.st.readback_counter >= 5);
        KV_CHECK(!(board.m.st.tamper & METER_TAMPER_NV));
        KV_CHECK(memcmp(board.m.cfg.k_meter, office.k_meter, 16) == 0);
        /* after a boot that ran to the end, no key byte is left outside */
        KV_CHECK(!nvrec_v1_present(&board.nv_ops));
        points++;
    }
    return points;
}

/* Power cuts in the internal record's log where it wraps: the 41st record
 * erases the first page (the oldest ten records) before it is written.
 * After every cut the newest record is the 40th or the 41st, whole, and
 * the log goes on. */
static unsigned sweep_secrec(void)
{
    meter_config cfg, got;
    meter_floor fl, gfl;
    long total, k;
    unsigned points = 0;

    host_board_init(&board, 200);
    memset(&cfg, 0, sizeof cfg);
    memset(&fl, 0, sizeof fl);
    cfg.meter_number = 123456782;
    for (uint32_t seq = 1; seq <= SECREC_PER_PAGE * SECREC_PAGES; seq++) {
        fl.cumulative_loaded = seq * 100;
        KV_CHECK(secrec_save(&board.sec_ops, &cfg, &fl, seq) == 0);
    }
    snapshot();
    board.sec_bytes_written = 0;
    fl.cumulative_loaded = 41 * 100;
    KV_CHECK(secrec_save(&board.sec_ops, &cfg, &fl, 41) == 0);
    total = (long)board.sec_bytes_written;
    kvtest_print_u32("internal record log wrap: bytes written (erase counts 1): ",
                     (unsigned long)total);
    for (k = 0; k <= total; k++) {
        uint32_t seq;
        back_to_snapshot();
        host_board_power_budget(&board, k);
        secrec_save(&board.sec_ops, &cfg, &fl, 41);
        host_board_power_budget(&board, -1);
        seq = secrec_load(&board.sec_ops, &got, &gfl);
        KV_CHECK(seq == 40 || seq == 41);
        KV_CHECK(gfl.cumulative_loaded == seq * 100);
        fl.cumulative_loaded = (seq + 1) * 100;
        KV_CHECK(secrec_save(&board.sec_ops, &cfg, &fl, seq + 1) == 0);
        KV_CHECK(secrec_load(&board.sec_ops, &got, &gfl) == seq + 1);
        KV_CHECK(gfl.cumulative_loaded == (seq + 1) * 100);
        fl.cumulative_loaded = 41 * 100;
        points++;
    }
    return points;
}

/* Parameter card 5001: alarm 20 kWh, no pre-trip, hoarding 1000 kWh, an
 * emergency allowance of kwh. */
static void emergency_card(sle4442 *pc, uint8_t kwh)
{
    kv_token t;
    fw_card_issue(pc, &office, KV_CARD_PARAMETER, 5001);
    memset(&t, 0, sizeof t);
    t.u.params.alarm_level = 2000;
    t.u.params.hoarding_limit = 100000;
    t.u.params.reconnect_delay = 30;
    t.u.params.emergency_kwh = kwh;
    KV_CHECK(fw_card_token(pc, &office, &t, -1) == KV_OK);
}

/* The internal records rewritten as the firmware of version 2 records
 * left them: the same 100 bytes, the moving flag in byte 17, no
 * allowance. */
static unsigned secrec_to_v2(void)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < SECREC_PER_PAGE * SECREC_PAGES; i++) {
        uint8_t *r = board.sec + (i / SECREC_PER_PAGE) * METER_SECURE_PAGE +
                     (i % SECREC_PER_PAGE) * SECREC_LEN;
        if (r[0] != 'K' || r[1] != 'I' || r[2] != 3 ||
            kv_get_be32(r + SECREC_LEN - 4) != kv_crc32(r, SECREC_LEN - 4))
            continue;
        r[2] = 2;
        r[17] = r[3] >> 7;
        r[3] &= 0x7F;
        kv_put_be32(r + SECREC_LEN - 4, kv_crc32(r, SECREC_LEN - 4));
        n++;
    }
    return n;
}

/* A meter updated from the firmware of version 2 internal records: it
 * boots on them (floor kept, no tamper, no allowance), and a parameter
 * card giving it an allowance is swept with power cuts at every byte
 * while it writes its first record of version 3: the allowance is taken
 * whole or not at all, the floor never lost. */
static unsigned sweep_secrec_v2(void)
{
    sle4442 card, pc, pc0;
    uint32_t cum0, sseq0;
    long total, k;
    unsigned points = 0;

    fw_meter_loaded(&board, &office, prov, &card, 3000);
    meter_save(&board.m);
    cum0 = board.m.floor.cumulative_loaded;
    sseq0 = board.m.secure_seq;
    KV_CHECK(secrec_to_v2() > 0);
    power_up(-1);
    KV_CHECK(board.m.secure_seq == sseq0);
    KV_CHECK(board.m.provisioned && !board.m.not_here);
    KV_CHECK(!(board.m.st.tamper & METER_TAMPER_NV));
    KV_CHECK(board.m.floor.cumulative_loaded == cum0 && board.m.cfg.emergency_kwh == 0);
    KV_CHECK(board.m.st.remaining == 3000);
    emergency_card(&pc0, 7);
    snapshot();
    board.nv_bytes_written = board.sec_bytes_written = board.card_bytes_written = 0;
    pc = pc0;
    KV_CHECK(host_board_insert(&board, &pc) == KV_OK);
    host_board_remove(&board, &pc);
    total = written();
    KV_CHECK(board.m.cfg.emergency_kwh == 7);
    kvtest_print_u32("parameter card after version 2 internal records: bytes written: ",
                     (unsigned long)total);
    for (k = 0; k <= total; k++) {
        back_to_snapshot();
        pc = pc0;
        power_up(k);
        if (!board.power_cut) {
            host_board_insert(&board, &pc);
            host_board_remove(&board, &pc);
        } else {
            host_board_remove(&board, NULL);
        }
        power_up(-1);
        KV_CHECK(board.m.provisioned && !board.m.not_here);
        KV_CHECK(!(board.m.st.tamper & METER_TAMPER_NV));
        KV_CHECK(board.m.floor.cumulative_loaded == cum0 && balanced(&board.m));
        KV_CHECK(board.m.cfg.emergency_kwh == 0 || board.m.cfg.emergency_kwh == 7);
        host_board_insert(&board, &pc);
        host_board_remove(&board, &pc);
        KV_CHECK(board.m.cfg.emergency_kwh == 7 && board.m.st.remaining == 3000);
        power_up(-1);
        KV_CHECK(board.m.cfg.emergency_kwh == 7 && !(board.m.st.tamper & METER_TAMPER_NV));
        points++;
    }
    return points;
}

/* A meter cut off at zero with an emergency allowance of 5 kWh. */
static void emergency_meter(sle4442 *card)
{
    const int32_t w[3] = {3600, 0, 0};
    sle4442 pc;
    fw_meter_loaded(&board, &office, prov, card, 1000);
    emergency_card(&pc, 5);
    KV_CHECK(host_board_insert(&board, &pc) == KV_OK);
    host_board_remove(&board, &pc);
    /* 1000 units at 0.1 a second, past the pre-trip with the card */
    host_board_run(&board, w, 7, 10000);
    KV_CHECK(board.m.st.remaining == 0 && (board.m.st.supply & METER_SUP_CUTOFF));
}

/* Power cuts at every byte of taking the emergency credit, then of the
 * load that repays it: the take is saved whole or not at all, taking it
 * again after the cut grants nothing past the allowance (the relay opens
 * at exactly -5 kWh), and the load offsets the debt exactly once. */
static unsigned sweep_emergency(void)
{
    const int32_t w[3] = {3600, 0, 0};
    sle4442 card;
    long total, k;
    unsigned points = 0;

    emergency_meter(&card);
    meter_save(&board.m);
    snapshot();
    power_up(-1);
    board.nv_bytes_written = board.sec_bytes_written = board.card_bytes_written = 0;
    KV_CHECK(meter_emergency(&board.m) == 1);
    total = written();
    kvtest_print_u32("emergency credit taken: bytes written: ", (unsigned long)total);
    for (k = 0; k <= total; k++) {
        int had;
        back_to_snapshot();
        power_up(-1);
        host_board_power_budget(&board, k);
        meter_emergency(&board.m);
        power_up(-1);
        KV_CHECK(!(board.m.st.tamper & METER_TAMPER_NV));
        KV_CHECK(board.m.st.remaining == 0 && balanced(&board.m));
        had = (board.m.st.supply & METER_SUP_EMERGENCY) != 0;
        KV_CHECK(board.m.run.relay_closed == had);
        /* held again: taken only if the cut lost it, never twice */
        KV_CHECK(meter_emergency(&board.m) == !had);
        KV_CHECK(meter_emergency(&board.m) == 0);
        host_board_run(&board, w, 7, 10000);
        KV_CHECK(board.m.st.remaining == -500 && !board.m.run.relay_closed);
        power_up(-1);
        KV_CHECK(meter_emergency(&board.m) == 0 && board.m.st.remaining == -500);
        points++;
    }

    /* the load that repays it, cut at every byte */
    {
        uint32_t cum0;
        back_to_snapshot();
        power_up(-1);
        KV_CHECK(meter_emergency(&board.m) == 1);
        host_board_run(&board, w, 7, 10000);
        KV_CHECK(board.m.st.remaining == -500);
        cum0 = board.m.st.cumulative_loaded;
        fw_card_sell(&card, &office, 2000, -1);
        meter_save(&board.m);
        snapshot();
        card0 = card;
        total = load_sequence(-1, &card);
        KV_CHECK(board.m.st.remaining == 1500 && !(board.m.st.supply & METER_SUP_EMERGENCY));
        kvtest_print_u32("load repaying the emergency credit: bytes written: ",
                         (unsigned long)total);
        for (k = 0; k <= total; k++) {
            load_sequence(k, &card);
            power_up(-1);
            KV_CHECK(!(board.m.st.tamper & METER_TAMPER_NV));
            KV_CHECK(balanced(&board.m));
            KV_CHECK(board.m.st.cumulative_loaded == cum0 ||
                     board.m.st.cumulative_loaded == cum0 + 2000);
            /* not repaid yet: still used up, nothing more to take */
            if (board.m.st.cumulative_loaded == cum0)
                KV_CHECK(meter_emergency(&board.m) == 0 && !board.m.run.relay_closed);
            host_board_insert(&board, &card);
            host_board_remove(&board, &card);
            KV_CHECK(board.m.st.cumulative_loaded == cum0 + 2000);
            KV_CHECK(board.m.st.remaining == 1500);
            KV_CHECK(!(board.m.st.supply & (METER_SUP_EMERGENCY | METER_SUP_CUTOFF)));
            KV_CHECK(board.m.run.relay_closed == 1);
            points++;
        }
    }
    return points;
}

int main(void)
{
    unsigned a = sweep_load();
    unsigned b = sweep_energy("metering run, 1 kWh", 0, 600);
    unsigned c = sweep_energy("metering run across a floor step", 5640, 600);
    unsigned d = sweep_move();
    unsigned e = sweep_secrec();
    unsigned f = sweep_clear();
    unsigned g = sweep_secrec_v1();
    unsigned h = sweep_emergency();
    unsigned i = sweep_secrec_v2();
    printf("%u + %u + %u + %u + %u + %u + %u + %u + %u cut points, %u checks, %u failed\n", a, b,
           c, d, e, f, g, h, i, kvtest_checks, kvtest_failures);
    return kvtest_failures ? 1 : 0;
}
