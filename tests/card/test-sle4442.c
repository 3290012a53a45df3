/* test-sle4442.c - the SLE4442 chip model against the datasheet's rules,
 * and the virtual ACS reader's pseudo-APDUs over it.  No pcscd: these are
 * the rules themselves, independent of the station. */
#include <string.h>

#include <glib.h>

#include "sle4442.h"
#include "vcard-reader.h"

static const uint8_t ATR[4] = {0xA2, 0x13, 0x10, 0x91};
static const uint8_t FACTORY[3] = {0xFF, 0xFF, 0xFF};
static const uint8_t WRONG[3] = {0x12, 0x34, 0x56};

static void blank(sle4442 *c)
{
    sle_init_blank(c, ATR, FACTORY);
}

static void test_blank_card(void)
{
    sle4442 c;
    uint8_t sec[4], prot[4], mem[256];
    blank(&c);
    g_assert_cmpint(sle_read_main(&c, 0, mem, 256), ==, SLE_OK);
    g_assert_cmpmem(mem, 4, ATR, 4);
    for (int i = 4; i < 256; i++)
        g_assert_cmphex(mem[i], ==, 0xFF);
    sle_read_prot(&c, prot);
    g_assert_cmphex(prot[0] & prot[1] & prot[2] & prot[3], ==, 0xFF); /* all writable */
    sle_read_sec(&c, sec);
    /* EC 07, PSC hidden before verification */
    g_assert_cmphex(sec[0], ==, 0x07);
    g_assert_cmphex(sec[1] | sec[2] | sec[3], ==, 0x00);
    g_assert_cmpuint(sle_tries_left(&c), ==, 3);
}

static void test_main_memory_rules(void)
{
    sle4442 c;
    uint8_t b;
    blank(&c);
    /* no write before the PSC */
    g_assert_cmpint(sle_update_main(&c, 0x40, 0x12), ==, SLE_E_LOCKED);
    sle_read_main(&c, 0x40, &b, 1);
    g_assert_cmphex(b, ==, 0xFF);
    g_assert_cmpint(sle_verify_psc(&c, FACTORY), ==, SLE_OK);
    /* update = erase (FF) then write: 0xF0 over 0x0F gives 0xF0, not 0x00 */
    g_assert_cmpint(sle_update_main(&c, 0x40, 0x0F), ==, SLE_OK);
    g_assert_cmpint(sle_update_main(&c, 0x40, 0xF0), ==, SLE_OK);
    sle_read_main(&c, 0x40, &b, 1);
    g_assert_cmphex(b, ==, 0xF0);
    g_assert_cmpuint(c.writes[0x40], ==, 2); /* endurance: two erase/write cycles */
    g_assert_cmpuint(sle_total_writes(&c), ==, 2);
    /* a write cut between erase and write leaves FF */
    g_assert_cmpint(sle_update_main_torn(&c, 0x40), ==, SLE_OK);
    sle_read_main(&c, 0x40, &b, 1);
    g_assert_cmphex(b, ==, 0xFF);
    g_assert_cmpuint(c.writes[0x40], ==, 3);
    /* the card streams to byte 255 and no further */
    g_assert_cmpint(sle_read_main(&c, 255, &b, 1), ==, SLE_OK);
    g_assert_cmpint(sle_read_main(&c, 255, (uint8_t[2]){0}, 2), ==, SLE_E_ADDRESS);
    g_assert_cmpint(sle_update_main(&c, 256, 0), ==, SLE_E_ADDRESS);
    /* power-on ends the verification */
    sle_power_on(&c);
    g_assert_cmpint(sle_update_main(&c, 0x41, 0x00), ==, SLE_E_LOCKED);
}

static void test_protection_rules(void)
{
    sle4442 c;
    uint8_t prot[4], b, file[SLE_FILE_SIZE];
    blank(&c);
    /* needs the PSC */
    g_assert_cmpint(sle_write_prot(&c, 0, 0xA2), ==, SLE_E_LOCKED);
    sle_verify_psc(&c, FACTORY);
    g_assert_cmpint(sle_update_main(&c, 5, 0x42), ==, SLE_OK);
    /* compare-to-protect: refused if the data differs from the byte */
    g_assert_cmpint(sle_write_prot(&c, 5, 0x43), ==, SLE_E_COMPARE);
    sle_read_prot(&c, prot);
    g_assert_cmphex(prot[0], ==, 0xFF);
    g_assert_cmpint(sle_write_prot(&c, 5, 0x42), ==, SLE_OK);
    sle_read_prot(&c, prot);
    g_assert_cmphex(prot[0], ==, 0xDF); /* bit 5 cleared: byte 5 protected */
    /* a protected byte never changes again */
    g_assert_cmpint(sle_update_main(&c, 5, 0x00), ==, SLE_E_PROTECTED);
    g_assert_cmpint(sle_update_main_torn(&c, 5), ==, SLE_E_PROTECTED);
    sle_read_main(&c, 5, &b, 1);
    g_assert_cmphex(b, ==, 0x42);
    /* only bytes 0..31 have protection bits; 32 and up stay writable */
    g_assert_cmpint(sle_write_prot(&c, 32, 0xFF), ==, SLE_E_ADDRESS);
    g_assert_cmpint(sle_update_main(&c, 32, 0x00), ==, SLE_OK);
    /* one-time: it survives power-off and the card file */
    sle_save(&c, file);
    g_assert_cmpint(sle_load(&c, file), ==, 0);
    sle_verify_psc(&c, FACTORY);
    g_assert_cmpint(sle_update_main(&c, 5, 0x00), ==, SLE_E_PROTECTED);
}

static void test_psc_counter(void)
{
    sle4442 c;
    uint8_t sec[4], b;
    blank(&c);
    /* each wrong code costs one try: 3 -> 2 -> 1 */
    g_assert_cmpint(sle_verify_psc(&c, WRONG), ==, SLE_E_LOCKED);
    g_assert_cmpuint(sle_tries_left(&c), ==, 2);
    g_assert_cmpint(sle_verify_psc(&c, WRONG), ==, SLE_E_LOCKED);
    g_assert_cmpuint(sle_tries_left(&c), ==, 1);
    /* the right code restores all three */
    g_assert_cmpint(sle_verify_psc(&c, FACTORY), ==, SLE_OK);
    g_assert_cmpuint(sle_tries_left(&c), ==, 3);
    sle_read_sec(&c, sec);
    g_assert_cmpmem(sec + 1, 3, FACTORY, 3); /* PSC visible once verified */
    /* three wrong codes: read-only for ever, even with the right code */
    sle_power_on(&c);
    for (int i = 0; i < 3; i++)
        sle_verify_psc(&c, WRONG);
    g_assert_cmpuint(sle_tries_left(&c), ==, 0);
    g_assert_cmpint(sle_verify_psc(&c, FACTORY), ==, SLE_E_LOCKED);
    g_assert_cmpint(sle_update_main(&c, 0x40, 0x00), ==, SLE_E_LOCKED);
    g_assert_cmpint(sle_update_sec(&c, 0, 0xFF), ==, SLE_E_LOCKED);
    g_assert_cmpint(sle_read_main(&c, 0x40, &b, 1), ==, SLE_OK); /* still readable */
    g_assert_cmphex(b, ==, 0xFF);
}

static void test_psc_sequence(void)
{
    sle4442 c;
    blank(&c);
    /* compares only right after an EC bit was cleared */
    g_assert_cmpint(sle_compare(&c, 1, 0xFF), ==, SLE_E_SEQUENCE);
    /* an EC write that clears no bit arms nothing and costs nothing */
    g_assert_cmpint(sle_update_sec(&c, 0, 0x07), ==, SLE_E_SEQUENCE);
    g_assert_cmpuint(sle_tries_left(&c), ==, 3);
    /* PSC bytes are not writable before verification */
    g_assert_cmpint(sle_update_sec(&c, 1, 0x00), ==, SLE_E_LOCKED);
    /* the manual sequence: clear a bit, compare 3 bytes, erase EC */
    g_assert_cmpint(sle_update_sec(&c, 0, 0x06), ==, SLE_OK);
    g_assert_cmpint(sle_compare(&c, 1, 0xFF), ==, SLE_OK);
    g_assert_cmpint(sle_compare(&c, 2, 0xFF), ==, SLE_OK);
    g_assert_cmpint(sle_compare(&c, 3, 0xFF), ==, SLE_OK);
    g_assert_cmpint(sle_update_sec(&c, 0, 0xFF), ==, SLE_OK);
    g_assert_cmpint(sle_update_main(&c, 0x40, 0x00), ==, SLE_OK);
    /* a later compare replaces an earlier match */
    sle_power_on(&c);
    sle_update_sec(&c, 0, 0x06);
    sle_compare(&c, 1, 0xFF);
    sle_compare(&c, 2, 0xFF);
    sle_compare(&c, 3, 0xFF);
    sle_compare(&c, 3, 0x00);
    sle_update_sec(&c, 0, 0xFF);
    g_assert_cmpint(sle_update_main(&c, 0x41, 0x00), ==, SLE_E_LOCKED);
    g_assert_cmphex(c.sec[0], ==, 0x06); /* the erase was refused: a try lost */
    /* a missing compare is a mismatch */
    sle_power_on(&c);
    sle_update_sec(&c, 0, 0x04);
    sle_compare(&c, 1, 0xFF);
    sle_compare(&c, 2, 0xFF);
    sle_update_sec(&c, 0, 0xFF);
    g_assert_cmpuint(sle_tries_left(&c), ==, 1);
}

static void test_psc_change(void)
{
    sle4442 c;
    static const uint8_t fresh[3] = {0x1A, 0x2B, 0x3C};
    blank(&c);
    sle_verify_psc(&c, FACTORY);
    for (unsigned i = 0; i < 3; i++)
        g_assert_cmpint(sle_update_sec(&c, i + 1, fresh[i]), ==, SLE_OK);
    sle_power_on(&c);
    g_assert_cmpint(sle_verify_psc(&c, FACTORY), ==, SLE_E_LOCKED);
    g_assert_cmpint(sle_verify_psc(&c, fresh), ==, SLE_OK);
    g_assert_cmpuint(sle_tries_left(&c), ==, 3);
    /* Once unlocked the security memory is free: a second presentation in
     * the same session succeeds whatever the code (the chip does this too,
     * which is why a client resets the card before presenting). */
    g_assert_cmpint(sle_verify_psc(&c, WRONG), ==, SLE_OK);
}

static void test_card_file(void)
{
    sle4442 c, d;
    uint8_t f[SLE_FILE_SIZE];
    blank(&c);
    sle_verify_psc(&c, FACTORY);
    sle_update_main(&c, 0x20, 0x55);
    sle_update_main(&c, 0x20, 0x66);
    sle_save(&c, f);
    g_assert_cmpmem(f, 8, "KVCARD01", 8);
    g_assert_cmphex(f[8 + 0x20], ==, 0x66);
    g_assert_cmphex(f[268], ==, 0x07);
    g_assert_cmpint(sle_load(&d, f), ==, 0);
    g_assert_cmpmem(d.main, 256, c.main, 256);
    g_assert_cmpmem(d.sec, 4, c.sec, 4);
    g_assert_cmpuint(d.writes[0x20], ==, 2);
    g_assert_cmpint(d.verified, ==, 0); /* the session is not saved */
    /* damaged files are refused */
    f[100] ^= 1;
    g_assert_cmpint(sle_load(&d, f), ==, -1);
    f[100] ^= 1;
    f[0] = 'X';
    g_assert_cmpint(sle_load(&d, f), ==, -1);
    /* an impossible error counter, even with a right CRC */
    blank(&c);
    c.sec[0] = 0x0F;
    sle_save(&c, f);
    g_assert_cmpint(sle_load(&d, f), ==, -1);
}

/* ---- the reader's pseudo-APDUs ---------------------------------------------- */

static size_t apdu(vcard_reader *r, uint8_t *resp, const char *hex)
{
    uint8_t cmd[300];
    size_t n = 0;
    for (const char *p = hex; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        cmd[n++] = (uint8_t)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
        p += 2;
    }
    return vcard_reader_apdu(r, cmd, n, resp);
}

#define ASSERT_RESP(r, hex, expect_hex)                                         \
    do {                                                                        \
        uint8_t resp_[VCARD_RESP_MAX];                                          \
        size_t n_ = apdu(r, resp_, hex);                                        \
        GString *got_ = g_string_new(NULL);                                     \
        for (size_t i_ = 0; i_ < n_; i_++)                                      \
            g_string_append_printf(got_, "%s%02X", i_ ? " " : "", resp_[i_]);   \
        g_assert_cmpstr(got_->str, ==, expect_hex);                             \
        g_string_free(got_, TRUE);                                              \
    } while (0)

static void reader_blank(vcard_reader *r, vcard_shape shape)
{
    vcard_reader_init(r, shape);
    sle_init_blank(&r->chip, ATR, FACTORY);
    vcard_reader_power(r);
}

static void test_reader_acr39(void)
{
    vcard_reader r;
    uint8_t atr[6], resp[VCARD_RESP_MAX];
    reader_blank(&r, VCARD_SHAPE_ACR39);
    g_assert_cmpuint(vcard_reader_atr(&r, atr), ==, 6);
    g_assert_cmpmem(atr, 6, "\x3B\x04\xA2\x13\x10\x91", 6);
    ASSERT_RESP(&r, "FF B0 00 00 04", "69 85"); /* select first */
    ASSERT_RESP(&r, "FF A4 00 00 01 05", "6A 81");
    ASSERT_RESP(&r, "FF A4 00 00 01 06", "90 00");
    ASSERT_RESP(&r, "FF B0 00 00 04", "A2 13 10 91 90 00");
    g_assert_cmpuint(apdu(&r, resp, "FF B0 00 00 00"), ==, 258); /* Le 00 = 256 */
    ASSERT_RESP(&r, "FF B0 00 FE 04", "6A 86");
    ASSERT_RESP(&r, "FF B1 00 00 04", "07 00 00 00 90 00");
    ASSERT_RESP(&r, "FF B2 00 00 04", "FF FF FF FF 90 00");
    /* a refused write still says 90 00: only a read-back tells */
    ASSERT_RESP(&r, "FF D0 00 40 02 11 22", "90 00");
    ASSERT_RESP(&r, "FF B0 00 40 02", "FF FF 90 00");
    g_assert_false(r.changed);
    ASSERT_RESP(&r, "FF 20 00 00 03 12 34 56", "90 06"); /* wrong: 2 tries left */
    g_assert_true(r.changed);                             /* the EC is persistent */
    ASSERT_RESP(&r, "FF 20 00 00 03 FF FF FF", "90 07");
    ASSERT_RESP(&r, "FF B1 00 00 04", "07 FF FF FF 90 00");
    ASSERT_RESP(&r, "FF D0 00 40 02 11 22", "90 00");
    ASSERT_RESP(&r, "FF B0 00 40 02", "11 22 90 00");
    ASSERT_RESP(&r, "FF D0 00 05 01 42", "90 00");
    ASSERT_RESP(&r, "FF D1 00 04 02 FF 42", "90 00"); /* protect bytes 4 and 5 */
    ASSERT_RESP(&r, "FF B2 00 00 04", "CF FF FF FF 90 00");
    ASSERT_RESP(&r, "FF D2 00 01 03 01 02 03", "90 00");
    ASSERT_RESP(&r, "FF B1 00 00 04", "07 01 02 03 90 00");
    /* the session ends with the power */
    vcard_reader_power(&r);
    ASSERT_RESP(&r, "FF A4 00 00 01 06", "90 00");
    ASSERT_RESP(&r, "FF B1 00 00 04", "07 00 00 00 90 00");
    /* malformed commands */
    ASSERT_RESP(&r, "00 B0 00 00 04", "6E 00");
    ASSERT_RESP(&r, "FF CA 00 00 00", "6D 00");
    ASSERT_RESP(&r, "FF 20 00 00 02 01 02", "67 00");
    ASSERT_RESP(&r, "FF D0 00 40 03 01 02", "67 00");
    ASSERT_RESP(&r, "FF B0 01 00 04", "6B 00");
}

static void test_reader_acr38(void)
{
    vcard_reader r;
    reader_blank(&r, VCARD_SHAPE_ACR38);
    ASSERT_RESP(&r, "FF A4 00 00 01 06", "90 00");
    /* reads append the protection bytes; PRESENT_CODE shows security memory */
    ASSERT_RESP(&r, "FF B0 00 00 02", "A2 13 FF FF FF FF 90 00");
    ASSERT_RESP(&r, "FF 20 00 00 03 12 34 56", "06 00 00 00 90 00");
    ASSERT_RESP(&r, "FF 20 00 00 03 FF FF FF", "07 FF FF FF 90 00");
}

static void test_reader_tear_and_timing(void)
{
    vcard_reader r;
    uint8_t resp[VCARD_RESP_MAX];
    reader_blank(&r, VCARD_SHAPE_ACR39);
    ASSERT_RESP(&r, "FF A4 00 00 01 06", "90 00");
    ASSERT_RESP(&r, "FF 20 00 00 03 FF FF FF", "90 07");
    ASSERT_RESP(&r, "FF D0 00 40 04 00 00 00 00", "90 00");
    /* 4 native update commands: 26 clocks at 50 kHz (520 us) and the
     * datasheet's 2.5 ms erase+write each */
    g_assert_cmpuint(r.card_us, ==, 4 * (VCARD_WRITE_US + 520));
    /* pulled after 2 more bytes: byte 3 erased, byte 4 untouched, no answer */
    r.tear_after = 2;
    g_assert_cmpuint(apdu(&r, resp, "FF D0 00 40 04 11 22 33 44"), ==, 0);
    g_assert_true(r.torn);
    g_assert_cmpmem(r.chip.main + 0x40, 4, "\x11\x22\xFF\x00", 4);
    g_assert_cmpint(r.tear_after, ==, -1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sle4442/blank", test_blank_card);
    g_test_add_func("/sle4442/main-memory", test_main_memory_rules);
    g_test_add_func("/sle4442/protection", test_protection_rules);
    g_test_add_func("/sle4442/psc-counter", test_psc_counter);
    g_test_add_func("/sle4442/psc-sequence", test_psc_sequence);
    g_test_add_func("/sle4442/psc-change", test_psc_change);
    g_test_add_func("/sle4442/card-file", test_card_file);
    g_test_add_func("/reader/acr39", test_reader_acr39);
    g_test_add_func("/reader/acr38", test_reader_acr38);
    g_test_add_func("/reader/tear-and-timing", test_reader_tear_and_timing);
    return g_test_run();
}
