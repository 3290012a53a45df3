/* sle4442.c - SLE4442 chip model (see sle4442.h). */
#include "sle4442.h"

#include <string.h>

#include "kv_util.h" /* kv_crc32, big-endian fields: the contract's helpers */

static int prot_writable(const sle4442 *c, unsigned addr)
{
    if (addr >= SLE_PROT_BYTES)
        return 1;
    return (c->prot[addr / 8] >> (addr % 8)) & 1;
}

void sle_init_blank(sle4442 *c, const uint8_t atr[4], const uint8_t psc[3])
{
    memset(c, 0, sizeof *c);
    memset(c->main, 0xFF, sizeof c->main);
    memcpy(c->main, atr, 4);
    memset(c->prot, 0xFF, sizeof c->prot);
    c->sec[0] = 0x07;
    memcpy(c->sec + 1, psc, 3);
}

void sle_power_on(sle4442 *c)
{
    c->verified = 0;
    c->ec_armed = 0;
    c->compare_ok = 0;
}

unsigned sle_tries_left(const sle4442 *c)
{
    unsigned ec = c->sec[0] & 7, n = 0;
    while (ec) {
        n += ec & 1;
        ec >>= 1;
    }
    return n;
}

sle_result sle_read_main(const sle4442 *c, unsigned addr, uint8_t *out, size_t len)
{
    if (addr >= SLE_MAIN_SIZE || len > SLE_MAIN_SIZE - addr)
        return SLE_E_ADDRESS;
    memcpy(out, c->main + addr, len);
    return SLE_OK;
}

sle_result sle_read_prot(const sle4442 *c, uint8_t out[4])
{
    memcpy(out, c->prot, 4);
    return SLE_OK;
}

sle_result sle_read_sec(const sle4442 *c, uint8_t out[4])
{
    out[0] = c->sec[0];
    if (c->verified)
        memcpy(out + 1, c->sec + 1, 3);
    else
        memset(out + 1, 0, 3);
    return SLE_OK;
}

static sle_result update_check(const sle4442 *c, unsigned addr)
{
    if (addr >= SLE_MAIN_SIZE)
        return SLE_E_ADDRESS;
    if (!c->verified)
        return SLE_E_LOCKED;
    if (!prot_writable(c, addr))
        return SLE_E_PROTECTED;
    return SLE_OK;
}

sle_result sle_update_main(sle4442 *c, unsigned addr, uint8_t data)
{
    sle_result r = update_check(c, addr);
    if (r != SLE_OK)
        return r;
    c->main[addr] = 0xFF;  /* erase: all bits set */
    c->main[addr] &= data; /* write: can only clear bits */
    if (c->writes[addr] != UINT32_MAX)
        c->writes[addr]++;
    return SLE_OK;
}

sle_result sle_update_main_torn(sle4442 *c, unsigned addr)
{
    sle_result r = update_check(c, addr);
    if (r != SLE_OK)
        return r;
    c->main[addr] = 0xFF; /* the erase happened, the write did not */
    if (c->writes[addr] != UINT32_MAX)
        c->writes[addr]++;
    return SLE_OK;
}

uint64_t sle_total_writes(const sle4442 *c)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < SLE_MAIN_SIZE; i++)
        n += c->writes[i];
    return n;
}

sle_result sle_write_prot(sle4442 *c, unsigned addr, uint8_t data)
{
    if (addr >= SLE_PROT_BYTES)
        return SLE_E_ADDRESS;
    if (!c->verified)
        return SLE_E_LOCKED;
    if (c->main[addr] != data)
        return SLE_E_COMPARE;
    c->prot[addr / 8] &= (uint8_t)~(1u << (addr % 8));
    return SLE_OK;
}

sle_result sle_update_sec(sle4442 *c, unsigned addr, uint8_t data)
{
    if (addr > 3)
        return SLE_E_ADDRESS;
    if (addr == 0) {
        uint8_t ec = c->sec[0] & 7;
        if (c->verified) {
            c->sec[0] = data & 7; /* erase and write */
            return SLE_OK;
        }
        if (!c->ec_armed) {
            /* EC = 0: no try left to spend, read-only for ever. */
            if (ec == 0)
                return SLE_E_LOCKED;
            /* Write without erase: bits can only be cleared, and exactly
             * one try must be spent to arm the compares. */
            uint8_t nec = ec & data & 7;
            if (nec == ec)
                return SLE_E_SEQUENCE;
            c->sec[0] = nec;
            c->ec_armed = 1;
            c->compare_ok = 0;
            return SLE_OK;
        }
        /* Erase EC back to 07: only after three matching compares.  This
         * works even when arming spent the last try (EC now 0): the right
         * code on the last try restores the card. */
        if (c->compare_ok == 0x0E && (data & 7) == 7) {
            c->sec[0] = 7;
            c->verified = 1;
        }
        c->ec_armed = 0;
        c->compare_ok = 0;
        return SLE_OK;
    }
    if (!c->verified)
        return SLE_E_LOCKED;
    c->sec[addr] = data;
    return SLE_OK;
}

sle_result sle_compare(sle4442 *c, unsigned addr, uint8_t data)
{
    if (addr < 1 || addr > 3)
        return SLE_E_ADDRESS;
    if (!c->ec_armed)
        return SLE_E_SEQUENCE;
    if (c->sec[addr] == data)
        c->compare_ok |= (uint8_t)(1u << addr);
    else
        c->compare_ok &= (uint8_t)~(1u << addr);
    return SLE_OK;
}

sle_result sle_verify_psc(sle4442 *c, const uint8_t psc[3])
{
    uint8_t ec = c->sec[0] & 7, bit;
    if (ec == 0)
        return SLE_E_LOCKED;
    /* clear the lowest set bit: one try spent */
    bit = (uint8_t)(ec & (uint8_t)-ec);
    if (sle_update_sec(c, 0, (uint8_t)(ec & ~bit)) != SLE_OK)
        return SLE_E_SEQUENCE;
    for (unsigned i = 0; i < 3; i++)
        sle_compare(c, i + 1, psc[i]);
    sle_update_sec(c, 0, 0xFF);
    return c->verified ? SLE_OK : SLE_E_LOCKED;
}

/* ---- card file ---------------------------------------------------------- */

void sle_save(const sle4442 *c, uint8_t out[SLE_FILE_SIZE])
{
    memcpy(out, SLE_FILE_MAGIC, 8);
    memcpy(out + 8, c->main, 256);
    memcpy(out + 264, c->prot, 4);
    memcpy(out + 268, c->sec, 4);
    for (int i = 0; i < 256; i++)
        kv_put_be32(out + 272 + 4 * i, c->writes[i]);
    kv_put_be32(out + 1296, kv_crc32(out, 1296));
}

int sle_load(sle4442 *c, const uint8_t in[SLE_FILE_SIZE])
{
    if (memcmp(in, SLE_FILE_MAGIC, 8) != 0 || kv_get_be32(in + 1296) != kv_crc32(in, 1296))
        return -1;
    memset(c, 0, sizeof *c);
    memcpy(c->main, in + 8, 256);
    memcpy(c->prot, in + 264, 4);
    memcpy(c->sec, in + 268, 4);
    if (c->sec[0] > 7) {
        memset(c, 0, sizeof *c);
        return -1;
    }
    for (int i = 0; i < 256; i++)
        c->writes[i] = kv_get_be32(in + 272 + 4 * i);
    return 0;
}
