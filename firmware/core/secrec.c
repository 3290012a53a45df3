/* secrec.c - the internal record (see secrec.h). */
#include "secrec.h"

#include <string.h>

#include "kv_util.h"

#define MAGIC0 'K'
#define MAGIC1 'I'
#define VERSION 3 /* version 2 is as long and read alike (below) */
#define V1_LEN 96u /* version 1: no credit cleared, CRC at 92 */
#define MOVING 0x80 /* version 3: the moving flag, in the tamper byte */
#define BODY (SECREC_LEN - 4u)
#define SLOTS (SECREC_PER_PAGE * SECREC_PAGES)

typedef char secrec_fits[(KV_PROVISION_LEN <= METER_SECURE_PAGE && SECREC_PER_PAGE >= 2 &&
                          SECREC_LEN % 4 == 0) ? 1 : -1];

/* Version 1 records were 96 bytes long, ten to a page as now. */
static uint32_t slot_addr(uint32_t i, uint32_t len)
{
    return (i / SECREC_PER_PAGE) * METER_SECURE_PAGE + (i % SECREC_PER_PAGE) * len;
}

static void encode(const meter_config *c, const meter_floor *f, uint32_t seq,
                   uint8_t r[SECREC_LEN])
{
    memset(r, 0, SECREC_LEN);
    r[0] = MAGIC0;
    r[1] = MAGIC1;
    r[2] = VERSION;
    r[3] = (uint8_t)(f->tamper | (f->moving ? MOVING : 0));
    kv_put_be32(r + 4, seq);
    kv_put_be32(r + 8, c->utility_code);
    kv_put_be32(r + 12, c->meter_number);
    r[16] = c->key_version;
    r[17] = c->emergency_kwh;
    kv_put_be16(r + 18, c->reconnect_delay);
    kv_put_be32(r + 36, c->key_seq);
    kv_put_be32(r + 40, c->params_seq);
    kv_put_be32(r + 44, f->tamper_seq);
    kv_put_be32(r + 48, c->alarm_level);
    kv_put_be32(r + 52, c->pretrip_level);
    kv_put_be32(r + 56, c->hoarding_limit);
    kv_put_be32(r + 60, c->max_power);
    kv_put_be32(r + 64, f->cumulative_loaded);
    kv_put_be32(r + 68, f->last_seq);
    kv_put_be32(r + 72, f->rb_ceiling);
    for (int i = 0; i < 3; i++)
        kv_put_be32(r + 76 + 4 * i, f->phase_energy[i]);
    kv_put_be32(r + 88, f->state_seq);
    kv_put_be32(r + 92, f->cleared);
    /* The key last, with no call after it: a compiler keeping it in a
     * register across calls would spill it to the stack. */
    memcpy(r + 20, c->k_meter, 16);
    kv_put_be32(r + BODY, kv_crc32(r, BODY));
}

static void decode(const uint8_t r[SECREC_LEN], meter_config *c, meter_floor *f)
{
    /* Version 2 had the moving flag in byte 17 and no allowance. */
    f->tamper = r[3] & (uint8_t)~MOVING;
    f->moving = r[2] == VERSION ? r[3] >> 7 : r[17];
    c->emergency_kwh = r[2] == VERSION ? r[17] : 0;
    c->utility_code = kv_get_be32(r + 8);
    c->meter_number = kv_get_be32(r + 12);
    c->key_version = r[16];
    c->reconnect_delay = kv_get_be16(r + 18);
    memcpy(c->k_meter, r + 20, 16);
    c->key_seq = kv_get_be32(r + 36);
    c->params_seq = kv_get_be32(r + 40);
    f->tamper_seq = kv_get_be32(r + 44);
    c->alarm_level = kv_get_be32(r + 48);
    c->pretrip_level = kv_get_be32(r + 52);
    c->hoarding_limit = kv_get_be32(r + 56);
    c->max_power = kv_get_be32(r + 60);
    f->cumulative_loaded = kv_get_be32(r + 64);
    f->last_seq = kv_get_be32(r + 68);
    f->rb_ceiling = kv_get_be32(r + 72);
    for (int i = 0; i < 3; i++)
        f->phase_energy[i] = kv_get_be32(r + 76 + 4 * i);
    f->state_seq = kv_get_be32(r + 88);
    f->cleared = r[2] != 1 ? kv_get_be32(r + 92) : 0;
}

static int blank(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return 0;
    return 1;
}

/* Slot i of the record version v read into r: its sequence if valid, 0 if
 * not; *is_blank set when every byte is erased.  Version 3 reads version 2
 * records too: same length, same slots, so the log goes on across the
 * update without moving. */
static uint32_t read_slot(const meter_secure_ops *s, uint32_t i, uint8_t r[SECREC_LEN],
                          int *is_blank, uint8_t v)
{
    uint32_t len = v == VERSION ? SECREC_LEN : V1_LEN;
    *is_blank = 0;
    if (s->read(s->ctx, slot_addr(i, len), r, len) != 0)
        return 0;
    *is_blank = blank(r, len);
    if (r[0] != MAGIC0 || r[1] != MAGIC1 || (r[2] != v && r[2] != v - 1u) ||
        kv_get_be32(r + len - 4) != kv_crc32(r, len - 4))
        return 0;
    return kv_get_be32(r + 4);
}

/* The slot of the newest record (SLOTS if none); its sequence in *seq. */
static uint32_t newest(const meter_secure_ops *s, uint8_t r[SECREC_LEN], uint32_t *seq,
                       meter_config *c, meter_floor *f, uint8_t v)
{
    uint32_t at = SLOTS;
    int b;
    *seq = 0;
    for (uint32_t i = 0; i < SLOTS; i++) {
        uint32_t q = read_slot(s, i, r, &b, v);
        if (q > *seq) {
            *seq = q;
            at = i;
            if (c)
                decode(r, c, f);
        }
    }
    return at;
}

uint32_t secrec_load(const meter_secure_ops *s, meter_config *cfg, meter_floor *fl)
{
    uint8_t r[SECREC_LEN];
    uint32_t seq;
    /* A meter updated from the firmware of version 1 records reads them
     * until it writes its first record of this version. */
    if (newest(s, r, &seq, cfg, fl, VERSION) == SLOTS)
        newest(s, r, &seq, cfg, fl, 1);
    kv_wipe(r, sizeof r);
    return seq;
}

/* Erase the page unless every byte of it already is. */
static int erase_page(const meter_secure_ops *s, uint32_t page, uint8_t r[SECREC_LEN])
{
    for (uint32_t off = 0; off < METER_SECURE_PAGE; off += SECREC_LEN) {
        uint32_t n = METER_SECURE_PAGE - off < SECREC_LEN ? METER_SECURE_PAGE - off : SECREC_LEN;
        if (s->read(s->ctx, page * METER_SECURE_PAGE + off, r, n) != 0)
            return -1;
        if (!blank(r, n))
            return s->erase(s->ctx, page * METER_SECURE_PAGE);
    }
    return 0;
}

int secrec_save(const meter_secure_ops *s, const meter_config *cfg, const meter_floor *fl,
                uint32_t seq)
{
    uint8_t r[SECREC_LEN];
    uint32_t cur, at = newest(s, r, &cur, NULL, NULL, VERSION);
    int rc = -1, b;

    /* The first record of this version goes to the page after the one
     * holding the newest version 1 record, which a cut leaves intact. */
    if (at == SLOTS && (at = newest(s, r, &cur, NULL, NULL, 1)) != SLOTS)
        at = (at / SECREC_PER_PAGE + 1) * SECREC_PER_PAGE - 1;

    /* The first erased slot after the newest record: slots a cut write
     * left programmed in part are skipped; a new page is erased first. */
    at = at == SLOTS ? 0 : at + 1;
    for (uint32_t tries = 0; tries <= SLOTS; tries++, at++) {
        at %= SLOTS;
        if (at % SECREC_PER_PAGE == 0) {
            if (erase_page(s, at / SECREC_PER_PAGE, r) != 0)
                goto out;
        } else {
            read_slot(s, at, r, &b, VERSION);
            if (!b)
                continue;
        }
        encode(cfg, fl, seq, r);
        if (s->write(s->ctx, slot_addr(at, SECREC_LEN), r, BODY) == 0 &&
            s->write(s->ctx, slot_addr(at, SECREC_LEN) + BODY, r + BODY, 4) == 0)
            rc = 0;
        goto out;
    }
out:
    kv_wipe(r, sizeof r);
    return rc;
}

int secrec_read_provision(const meter_secure_ops *s, uint8_t block[KV_PROVISION_LEN])
{
    return s->read(s->ctx, METER_SECURE_PROVISION, block, KV_PROVISION_LEN);
}
