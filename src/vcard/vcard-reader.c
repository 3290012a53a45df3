/* vcard-reader.c - the ACS pseudo-APDUs over the SLE4442 model.
 *
 * Commands (CLA FF), as ACS documents them for SLE4432/4442 cards:
 *   A4 select card type   FF A4 00 00 01 06           -> 90 00
 *   B0 read main memory   FF B0 00 AA LL              -> data 90 00 (LL 00 = 256)
 *   B1 read security mem  FF B1 00 00 04              -> EC P1 P2 P3 90 00
 *   B2 read protection    FF B2 00 00 04              -> 4 bytes 90 00
 *   D0 write main memory  FF D0 00 AA LL data         -> 90 00
 *   D1 write protection   FF D1 00 AA LL data         -> 90 00
 *   20 present PSC        FF 20 00 00 03 P1 P2 P3     -> 90 EC
 *   D2 change PSC         FF D2 00 01 03 N1 N2 N3     -> 90 00
 * A write the chip ignores (PSC not presented, protected byte) still ends
 * with 90 00: the chip reports nothing and ACS documents no status word for
 * it, so a client must read back (this is the worst case for the client).
 */
#include "vcard-reader.h"

#include <string.h>

/* Native command framing: START, 24 bits, STOP, on the card's clock. */
#define CMD_CLOCKS 26u

static void sw(uint8_t *resp, size_t *n, uint8_t sw1, uint8_t sw2)
{
    resp[(*n)++] = sw1;
    resp[(*n)++] = sw2;
}

static uint64_t clocks_us(const vcard_reader *r, uint64_t clocks)
{
    return clocks * 1000000u / r->clock_hz;
}

/* Card time of a native command with `out_bits` clocked out and `writes`
 * erase/write cycles in its processing mode. */
static void account(vcard_reader *r, unsigned out_bits, unsigned writes)
{
    r->card_us += clocks_us(r, CMD_CLOCKS + out_bits) + (uint64_t)writes * r->write_us;
}

void vcard_reader_init(vcard_reader *r, vcard_shape shape)
{
    memset(r, 0, sizeof *r);
    r->shape = shape;
    r->tear_after = -1;
    r->clock_hz = VCARD_CLOCK_HZ;
    r->write_us = VCARD_WRITE_US;
}

void vcard_reader_power(vcard_reader *r)
{
    sle_power_on(&r->chip);
    r->selected = 0;
}

size_t vcard_reader_atr(const vcard_reader *r, uint8_t atr[6])
{
    atr[0] = 0x3B; /* direct convention */
    atr[1] = 0x04; /* no interface bytes, 4 historical bytes: the card's own ATR */
    memcpy(atr + 2, r->chip.main, 4);
    return 6;
}

void vcard_reader_set_stale(vcard_reader *r, int on)
{
    if (on)
        sle_read_main(&r->chip, 0, r->stale_main, SLE_MAIN_SIZE);
    r->stale = on;
}

static size_t read_main(vcard_reader *r, unsigned addr, unsigned le, uint8_t *resp)
{
    size_t n = 0;
    if (le == 0)
        le = 256;
    if (addr + le > SLE_MAIN_SIZE) {
        sw(resp, &n, 0x6A, 0x86); /* beyond the end of memory */
        return n;
    }
    if (r->stale)
        memcpy(resp, r->stale_main + addr, le);
    else
        sle_read_main(&r->chip, addr, resp, le);
    n = le;
    account(r, 8 * le, 0);
    if (r->shape == VCARD_SHAPE_ACR38) {
        sle_read_prot(&r->chip, resp + n);
        n += 4;
        account(r, 32, 0);
    }
    sw(resp, &n, 0x90, 0x00);
    return n;
}

static size_t write_main(vcard_reader *r, unsigned addr, const uint8_t *data, unsigned lc,
                         uint8_t *resp)
{
    size_t n = 0;
    if (addr + lc > SLE_MAIN_SIZE) {
        sw(resp, &n, 0x6A, 0x86);
        return n;
    }
    for (unsigned i = 0; i < lc; i++) {
        if (r->tear_after == 0) {
            /* The card leaves the reader during this byte's erase/write. */
            if (sle_update_main_torn(&r->chip, addr + i) == SLE_OK)
                r->changed = 1;
            r->torn = 1;
            r->tear_after = -1;
            account(r, 0, 1);
            return 0;
        }
        if (sle_update_main(&r->chip, addr + i, data[i]) == SLE_OK) {
            r->changed = 1;
            account(r, 0, 1);
        } else {
            account(r, 0, 0); /* refused: the chip leaves processing at once */
        }
        if (r->tear_after > 0)
            r->tear_after--;
    }
    sw(resp, &n, 0x90, 0x00);
    return n;
}

static size_t write_prot(vcard_reader *r, unsigned addr, const uint8_t *data, unsigned lc,
                         uint8_t *resp)
{
    size_t n = 0;
    uint8_t before[4], after[4];
    if (addr + lc > SLE_PROT_BYTES) {
        sw(resp, &n, 0x6A, 0x86);
        return n;
    }
    sle_read_prot(&r->chip, before);
    for (unsigned i = 0; i < lc; i++) {
        int ok = sle_write_prot(&r->chip, addr + i, data[i]) == SLE_OK;
        account(r, 0, ok ? 1 : 0);
    }
    sle_read_prot(&r->chip, after);
    if (memcmp(before, after, 4) != 0)
        r->changed = 1;
    sw(resp, &n, 0x90, 0x00);
    return n;
}

static size_t present_psc(vcard_reader *r, const uint8_t psc[3], uint8_t *resp)
{
    size_t n = 0;
    uint8_t sec_before[4], sec[4];
    memcpy(sec_before, r->chip.sec, 4);
    sle_verify_psc(&r->chip, psc);
    /* read security, EC write, 3 compares, EC erase, read security */
    account(r, 32, 0);
    account(r, 0, 1);
    account(r, 2 * 3, 0);
    account(r, 0, 1);
    account(r, 32, 0);
    if (memcmp(sec_before, r->chip.sec, 4) != 0)
        r->changed = 1;
    sle_read_sec(&r->chip, sec);
    if (r->shape == VCARD_SHAPE_ACR38) {
        memcpy(resp, sec, 4);
        n = 4;
        sw(resp, &n, 0x90, 0x00);
    } else {
        sw(resp, &n, 0x90, sec[0]);
    }
    return n;
}

static size_t change_psc(vcard_reader *r, const uint8_t psc[3], uint8_t *resp)
{
    size_t n = 0;
    for (unsigned i = 0; i < 3; i++) {
        int ok = sle_update_sec(&r->chip, i + 1, psc[i]) == SLE_OK;
        account(r, 0, ok ? 1 : 0);
        if (ok)
            r->changed = 1;
    }
    sw(resp, &n, 0x90, 0x00);
    return n;
}

size_t vcard_reader_apdu(vcard_reader *r, const uint8_t *apdu, size_t len,
                         uint8_t resp[VCARD_RESP_MAX])
{
    size_t n = 0;
    unsigned ins, p1, p2, lc;
    const uint8_t *data;

    r->card_us = 0;
    r->torn = 0;
    if (len < 4) {
        sw(resp, &n, 0x67, 0x00);
        return n;
    }
    if (apdu[0] != 0xFF) {
        sw(resp, &n, 0x6E, 0x00); /* class not supported */
        return n;
    }
    ins = apdu[1];
    p1 = apdu[2];
    p2 = apdu[3];
    /* Case 2 (one byte after the header: Le) or case 3 (Lc and data). */
    lc = len > 4 ? apdu[4] : 0;
    data = apdu + 5;

    if (ins == 0xA4) {
        if (len != 6 || lc != 1) {
            sw(resp, &n, 0x67, 0x00);
        } else if (apdu[5] != 0x06) {
            sw(resp, &n, 0x6A, 0x81); /* only SLE4432/4442 cards here */
        } else {
            r->selected = 1;
            sw(resp, &n, 0x90, 0x00);
        }
        return n;
    }
    if (!r->selected) {
        sw(resp, &n, 0x69, 0x85); /* conditions of use: select the card type first */
        return n;
    }
    if (p1 != 0x00) {
        sw(resp, &n, 0x6B, 0x00); /* addresses are one byte: P1 is 00 */
        return n;
    }
    switch (ins) {
    case 0xB0:
        if (len != 5)
            break;
        return read_main(r, p2, lc, resp);
    case 0xB1:
    case 0xB2:
        if (len != 5 || p2 != 0 || lc != 4)
            break;
        if (ins == 0xB1)
            sle_read_sec(&r->chip, resp);
        else
            sle_read_prot(&r->chip, resp);
        account(r, 32, 0);
        n = 4;
        sw(resp, &n, 0x90, 0x00);
        return n;
    case 0xD0:
        if (len != 5u + lc || lc == 0)
            break;
        return write_main(r, p2, data, lc, resp);
    case 0xD1:
        if (len != 5u + lc || lc == 0)
            break;
        return write_prot(r, p2, data, lc, resp);
    case 0x20:
        if (len != 8 || lc != 3 || p2 != 0)
            break;
        return present_psc(r, data, resp);
    case 0xD2:
        if (len != 8 || lc != 3 || p2 != 1)
            break;
        return change_psc(r, data, resp);
    default:
        sw(resp, &n, 0x6D, 0x00); /* instruction not supported */
        return n;
    }
    sw(resp, &n, 0x67, 0x00); /* wrong length or parameters */
    return n;
}
