/* nvrec.c - authenticated, power-fail-safe EEPROM records (see nvrec.h). */
#include "nvrec.h"

#include <string.h>

#include "kv_cmac.h"
#include "kv_util.h"

#define S_MAGIC0 'K'
#define S_MAGIC1 'S'
#define S_WRITING 't' /* second magic byte while a slot is being written */
#define V1_CONFIG_MAGIC1 'C'
#define V1_MARK_MAGIC1 'L'
#define V1 1
#define V2 2
#define S_BODY (NVREC_STATE_LEN - NVREC_MAC_LEN)

/* Erased EEPROM, 16 bytes at a time (METER_NV_SIZE is a multiple). */
static const uint8_t ff[16] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                               0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

void nvrec_derive_key(const uint8_t k_prov[16], uint32_t utility_code, uint32_t meter_number,
                      uint8_t key[16])
{
    uint8_t ctx[8];
    kv_put_be32(ctx, utility_code);
    kv_put_be32(ctx + 4, meter_number);
    kv_kdf(k_prov, "kilovend nv", ctx, sizeof ctx, key);
}

static void mac(const uint8_t key[16], const uint8_t *rec, uint8_t out[NVREC_MAC_LEN])
{
    uint8_t tag[16];
    kv_cmac(key, rec, S_BODY, tag);
    memcpy(out, tag, NVREC_MAC_LEN);
    kv_wipe(tag, sizeof tag);
}

static int all_ff(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return 0;
    return 1;
}

static uint32_t state_addr(uint32_t slot)
{
    return NVREC_STATE_BASE + slot * NVREC_STATE_STRIDE;
}

/* ---- state fields (the same in both versions) -------------------------- */

void nvrec_state_put(const meter_state *s, uint32_t meter_number, uint8_t r[NVREC_STATE_LEN])
{
    kv_put_be32(r + 8, meter_number);
    kv_put_be32(r + 12, (uint32_t)s->remaining);
    kv_put_be32(r + 16, s->cumulative_loaded);
    for (int i = 0; i < 3; i++) {
        kv_put_be32(r + 20 + 4 * i, s->phase_energy[i]);
        kv_put_be16(r + 32 + 2 * i, s->phase_frac[i]);
    }
    kv_put_be32(r + 38, s->last_seq);
    kv_put_be32(r + 42, s->tamper_seq);
    kv_put_be32(r + 46, s->readback_counter);
    kv_put_be32(r + 50, s->lockout_left);
    r[54] = s->supply;
    r[55] = s->tamper;
    r[56] = s->bad_cards;
    r[57] = s->lockout_level;
    memcpy(r + 58, s->events, METER_EVENTS);
    r[66] = s->overpower;
    kv_put_be16(r + 67, s->wdog_resets);
    kv_put_be16(r + 69, s->clock_faults);
}

static void state_encode(const meter_state *s, uint32_t meter_number, uint32_t seq,
                         uint8_t r[NVREC_STATE_LEN])
{
    memset(r, 0, NVREC_STATE_LEN);
    r[0] = S_MAGIC0;
    r[1] = S_MAGIC1;
    r[2] = V2;
    kv_put_be32(r + 4, seq);
    nvrec_state_put(s, meter_number, r);
}

static void state_decode(const uint8_t *r, meter_state *s)
{
    s->remaining = (int32_t)kv_get_be32(r + 12);
    s->cumulative_loaded = kv_get_be32(r + 16);
    for (int i = 0; i < 3; i++) {
        s->phase_energy[i] = kv_get_be32(r + 20 + 4 * i);
        s->phase_frac[i] = kv_get_be16(r + 32 + 2 * i);
    }
    s->last_seq = kv_get_be32(r + 38);
    s->tamper_seq = kv_get_be32(r + 42);
    s->readback_counter = kv_get_be32(r + 46);
    s->lockout_left = kv_get_be32(r + 50);
    s->supply = r[54];
    s->tamper = r[55];
    s->bad_cards = r[56];
    s->lockout_level = r[57];
    memcpy(s->events, r + 58, METER_EVENTS);
    /* Byte 66 was zero in records written before it had a meaning. */
    s->overpower = r[66] ? 1 : 0;
    /* Bytes 67..70 likewise: no reset or clock fault counted yet. */
    s->wdog_resets = kv_get_be16(r + 67);
    s->clock_faults = kv_get_be16(r + 69);
}

/* ---- version 2: the state under a MAC ---------------------------------- */

enum { SLOT_VALID, SLOT_BLANK, SLOT_OLD, SLOT_FORGED, SLOT_INVALID };

static int is_v1(const uint8_t *r, uint8_t magic1, uint32_t len)
{
    return r[0] == 'K' && r[1] == magic1 && r[2] == V1 &&
           kv_get_be32(r + len - 4) == kv_crc32(r, len - 4);
}

static int classify(const uint8_t key[16], uint32_t meter_number, const uint8_t r[NVREC_STATE_LEN])
{
    uint8_t tag[NVREC_MAC_LEN];
    int ok;
    if (all_ff(r, NVREC_STATE_LEN))
        return SLOT_BLANK;
    if (is_v1(r, S_MAGIC1, NVREC_V1_STATE_LEN))
        return SLOT_OLD;
    /* Without the commit byte a slot is one a cut may have torn; with it,
     * the record claims to be complete and must prove it. */
    if (r[0] != S_MAGIC0 || r[1] != S_MAGIC1)
        return SLOT_INVALID;
    if (r[2] != V2 || kv_get_be32(r + 8) != meter_number)
        return SLOT_FORGED;
    mac(key, r, tag);
    ok = kv_ct_equal(tag, r + S_BODY, NVREC_MAC_LEN) && kv_get_be32(r + 4) != 0;
    return ok ? SLOT_VALID : SLOT_FORGED;
}

uint32_t nvrec_load_state(const meter_nv_ops *nv, const uint8_t key[16], uint32_t meter_number,
                          uint32_t first_seq, meter_state *st, nvrec_scan *scan)
{
    uint8_t rec[NVREC_STATE_LEN];
    uint8_t kind[NVREC_STATE_SLOTS];
    uint32_t best = 0, best_slot = 0;

    memset(scan, 0, sizeof *scan);
    for (uint32_t i = 0; i < NVREC_STATE_SLOTS; i++) {
        if (nv->read(nv->ctx, state_addr(i), rec, sizeof rec) != 0) {
            kind[i] = SLOT_INVALID;
            continue;
        }
        kind[i] = (uint8_t)classify(key, meter_number, rec);
        if (kind[i] == SLOT_VALID) {
            uint32_t seq = kv_get_be32(rec + 4);
            scan->valid++;
            if (seq > best) {
                best = seq;
                best_slot = i;
                state_decode(rec, st);
            }
        } else if (kind[i] == SLOT_OLD) {
            scan->old++;
        } else if (kind[i] == SLOT_FORGED) {
            scan->bad++;
        }
    }
    /* The one slot a power cut may have torn: the one written after the
     * newest record (with no record at all, the first one written). */
    for (uint32_t i = 0; i < NVREC_STATE_SLOTS; i++) {
        uint32_t torn = (best ? best_slot + 1 : first_seq) % NVREC_STATE_SLOTS;
        if (kind[i] == SLOT_INVALID && i != torn)
            scan->bad++;
    }
    return best;
}

int nvrec_save_state(const meter_nv_ops *nv, const uint8_t key[16], uint32_t meter_number,
                     const meter_state *st, uint32_t seq)
{
    uint8_t rec[NVREC_STATE_LEN];
    uint32_t addr = state_addr(seq % NVREC_STATE_SLOTS);
    state_encode(st, meter_number, seq, rec);
    mac(key, rec, rec + S_BODY);
    /* The slot is marked as being written, then gets body and MAC, and the
     * commit byte last: a cut anywhere leaves a slot without the commit
     * byte, told apart from a complete record someone edited. */
    rec[1] = S_WRITING;
    if (nv->write(nv->ctx, addr, rec, NVREC_STATE_LEN) != 0)
        return -1;
    rec[1] = S_MAGIC1;
    return nv->write(nv->ctx, addr + 1, rec + 1, 1);
}

/* ---- version 1: read once, then erased --------------------------------- */

static void v1_config_decode(const uint8_t *r, meter_config *c)
{
    c->utility_code = kv_get_be32(r + 8);
    c->meter_number = kv_get_be32(r + 12);
    c->key_version = r[16];
    memcpy(c->k_meter, r + 17, 16);
    c->alarm_level = kv_get_be32(r + 33);
    c->pretrip_level = kv_get_be32(r + 37);
    c->hoarding_limit = kv_get_be32(r + 41);
    c->max_power = kv_get_be32(r + 45);
    c->reconnect_delay = kv_get_be16(r + 49);
    c->params_seq = kv_get_be32(r + 51);
    c->key_seq = kv_get_be32(r + 55);
}

/* Best version 1 slot of a region: its sequence, the record into out. */
static uint32_t v1_best(const meter_nv_ops *nv, uint32_t base, uint32_t slots, uint32_t stride,
                        uint32_t len, uint8_t magic1, uint32_t meter_number, uint8_t *rec,
                        uint8_t *out)
{
    uint32_t best = 0;
    for (uint32_t i = 0; i < slots; i++) {
        uint32_t seq;
        if (nv->read(nv->ctx, base + i * stride, rec, len) != 0 || !is_v1(rec, magic1, len))
            continue;
        seq = kv_get_be32(rec + 4);
        if (seq > best && (magic1 == V1_CONFIG_MAGIC1 || kv_get_be32(rec + 8) == meter_number)) {
            best = seq;
            memcpy(out, rec, len);
        }
    }
    return best;
}

uint32_t nvrec_v1_load(const meter_nv_ops *nv, nvrec_v1 *old)
{
    uint8_t rec[NVREC_STATE_LEN], best[NVREC_STATE_LEN];
    uint32_t cseq;

    memset(old, 0, sizeof *old);
    cseq = v1_best(nv, NVREC_V1_CONFIG_BASE, NVREC_V1_CONFIG_SLOTS, NVREC_V1_CONFIG_STRIDE,
                   NVREC_V1_CONFIG_LEN, V1_CONFIG_MAGIC1, 0, rec, best);
    if (cseq) {
        v1_config_decode(best, &old->cfg);
        old->state_seq = v1_best(nv, NVREC_STATE_BASE, NVREC_STATE_SLOTS, NVREC_STATE_STRIDE,
                                 NVREC_V1_STATE_LEN, S_MAGIC1, old->cfg.meter_number, rec, best);
        if (old->state_seq) {
            state_decode(best, &old->st);
            /* bytes 67..71 of a version 1 record are its CRC */
            old->st.wdog_resets = old->st.clock_faults = 0;
        }
        if (v1_best(nv, NVREC_V1_MARK_BASE, NVREC_V1_MARK_SLOTS, NVREC_V1_MARK_STRIDE,
                    NVREC_V1_MARK_LEN, V1_MARK_MAGIC1, old->cfg.meter_number, rec, best)) {
            old->mark_cumulative = kv_get_be32(best + 12);
            old->mark_last_seq = kv_get_be32(best + 16);
        }
    }
    kv_wipe(rec, sizeof rec);
    kv_wipe(best, sizeof best);
    return cseq;
}

/* The version 1 areas: the config and mark regions are erased whole
 * (nothing of this format lives there any more); in the state region only
 * the slots a version 1 record still holds. */
static int v1_sweep(const meter_nv_ops *nv, int erase)
{
    static const uint32_t area[2][2] = {
        {NVREC_V1_CONFIG_BASE, NVREC_V1_CONFIG_SLOTS * NVREC_V1_CONFIG_STRIDE},
        {NVREC_V1_MARK_BASE, NVREC_V1_MARK_SLOTS * NVREC_V1_MARK_STRIDE}};
    uint8_t rec[NVREC_STATE_LEN]; /* may hold key bytes of the config */
    int found = 0;

    for (unsigned a = 0; a < 2 && found >= 0; a++)
        for (uint32_t off = 0; off < area[a][1] && found >= 0; off += sizeof ff) {
            if (nv->read(nv->ctx, area[a][0] + off, rec, sizeof ff) != 0)
                found = -1;
            else if (!all_ff(rec, sizeof ff)) {
                found = 1;
                if (erase && nv->write(nv->ctx, area[a][0] + off, ff, sizeof ff) != 0)
                    found = -1;
            }
        }
    for (uint32_t i = 0; i < NVREC_STATE_SLOTS && found >= 0; i++) {
        if (nv->read(nv->ctx, state_addr(i), rec, sizeof rec) != 0) {
            found = -1;
            break;
        }
        if (rec[0] != S_MAGIC0 || rec[1] != S_MAGIC1 || rec[2] != V1)
            continue;
        found = 1;
        for (uint32_t off = 0; erase && off < NVREC_STATE_LEN && found >= 0; off += sizeof ff)
            if (nv->write(nv->ctx, state_addr(i) + off, ff, sizeof ff) != 0)
                found = -1;
    }
    kv_wipe(rec, sizeof rec);
    return found;
}

int nvrec_format(const meter_nv_ops *nv)
{
    uint8_t buf[sizeof ff]; /* may hold key bytes of the earlier format */
    int rc = 0;
    for (uint32_t a = 0; a < METER_NV_SIZE && rc == 0; a += sizeof ff) {
        if (nv->read(nv->ctx, a, buf, sizeof buf) != 0 ||
            (!all_ff(buf, sizeof buf) && nv->write(nv->ctx, a, ff, sizeof ff) != 0))
            rc = -1;
    }
    kv_wipe(buf, sizeof buf);
    return rc;
}

int nvrec_v1_present(const meter_nv_ops *nv)
{
    return v1_sweep(nv, 0) != 0;
}

int nvrec_v1_erase(const meter_nv_ops *nv)
{
    return v1_sweep(nv, 1) < 0 ? -1 : 0;
}
