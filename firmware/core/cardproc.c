/* cardproc.c - card handling: loads, engineering cards, lockout. */
#include "cardproc.h"

#include <string.h>

#include "display.h"
#include "evlog.h"
#include "kv_util.h"
#include "ledger.h"
#include "store.h"
#include "supply.h"

int cardproc_is_bad(int err)
{
    switch (err) {
    case KV_E_BLANK:
    case KV_E_FORMAT:
    case KV_E_CHECKSUM:
    case KV_E_CARD_TYPE:
    case KV_E_UTILITY:
    case KV_E_METER:
    case KV_E_MAC:
    case KV_E_KIND:
    case KV_E_FIELD:
    case METER_E_PSC:
        return 1;
    default:
        return 0;
    }
}

static int card_error(meter_card_result r)
{
    switch (r) {
    case METER_CARD_OK: return 0;
    case METER_CARD_ABSENT: return METER_E_CARD_ABSENT;
    case METER_CARD_PSC: return METER_E_PSC;
    case METER_CARD_LOCKED: return METER_E_CARD_LOCKED;
    case METER_CARD_IO:
    case METER_CARD_WRITE:
    default: return METER_E_CARD_IO;
    }
}

static void show(meter *m, const char *text)
{
    display_copy(m->run.msg, text);
    m->run.msg_left = METER_MSG_SECONDS;
    m->run.msg_next = METER_NEXT_NONE;
}

static void show_error(meter *m, int err)
{
    display_error(m->run.msg, (unsigned)err);
    m->run.msg_left = METER_MSG_SECONDS;
    m->run.msg_next = METER_NEXT_NONE;
}

/* Commit a new state the way meter_save does (store_save): if the memory
 * fails, the state still holds in RAM and the save is retried with every
 * tick. */
static int commit_state(meter *m, const meter_state *ns)
{
    return store_save(m, ns) == 0 ? 0 : METER_E_NV;
}

/* A refusal: logged, counted if the card is bad, shown.  The ledger is not
 * touched. */
static int refuse(meter *m, int err)
{
    meter_state ns = m->st;
    evlog_add(&ns, (uint8_t)(METER_EV_REFUSED | err));
    if (cardproc_is_bad(err)) {
        m->run.calm_s = 0; /* the decay (meter.c) starts again from this card */
        if (++ns.bad_cards >= METER_BAD_CARDS) {
            unsigned shift = ns.lockout_level < METER_LOCKOUT_MAX_SHIFT
                                 ? ns.lockout_level
                                 : METER_LOCKOUT_MAX_SHIFT;
            ns.lockout_left = (uint32_t)METER_LOCKOUT_BASE << shift;
            if (ns.lockout_level < 255)
                ns.lockout_level++;
            ns.bad_cards = 0;
            evlog_add(&ns, METER_EV_LOCKOUT);
        }
    }
    /* The bad-card count must survive a power cut, or pulling the plug
     * between tries would defeat the lockout.  If the memory fails, the
     * count and the lockout still hold in RAM (nothing of the ledger
     * changed) and the save is retried with every tick. */
    commit_state(m, &ns);
    show_error(m, err);
    m->run.last_result = (uint8_t)err;
    return err;
}

static void fill_readback(const meter *m, uint8_t result, kv_readback *rb)
{
    memset(rb, 0, sizeof *rb);
    rb->status = meter_readback_status(m);
    rb->key_version = m->cfg.key_version;
    rb->counter = m->st.readback_counter;
    rb->remaining = m->st.remaining;
    rb->cumulative_loaded = m->st.cumulative_loaded;
    rb->total_energy = meter_total_energy(m);
    for (int i = 0; i < 3; i++)
        rb->phase_energy[i] = m->st.phase_energy[i];
    rb->last_seq = m->st.last_seq;
    rb->cleared = m->st.cleared;
    rb->emergency = m->cfg.emergency_kwh * 100u;
    rb->result = result;
    evlog_copy(&m->st, rb->events, KV_READBACK_EVENTS);
}

/* Seal the readback and write the bytes that differ into the slot that
 * does not hold the newest readback, in increasing address order, so the
 * MAC (the slot's commit mark) lands last. */
static int write_readback(meter *m, const kv_identity *id, const kv_card_view *view,
                          const uint8_t image[KV_CARD_SIZE], uint8_t result)
{
    kv_readback rb;
    uint8_t slot[KV_SLOT_LEN], order[KV_SLOT_LEN];
    unsigned off = kv_card_next_readback_offset(view), n;

    fill_readback(m, result, &rb);
    if (kv_readback_seal(&m->keys, id, &rb, slot) != KV_OK)
        return METER_E_CARD_IO;
    n = kv_slot_write_plan(image + off, slot, KV_READBACK_USED, order);
    for (unsigned i = 0; i < n; i++) {
        meter_card_result r = m->card.write_byte(m->card.ctx, off + order[i], slot[order[i]]);
        if (r != METER_CARD_OK)
            return card_error(r);
    }
    return 0;
}

static int verify_psc(meter *m, const kv_identity *id)
{
    uint8_t psc[KV_PSC_LEN];
    unsigned tries = 0;
    meter_card_result r;
    kv_card_psc(&m->keys, id->card_serial, psc);
    r = m->card.verify(m->card.ctx, psc, &tries);
    kv_wipe(psc, sizeof psc);
    return card_error(r);
}

/* Only cards whose token passed its MAC get here.  The bad-card count
 * starts again; the lockout level does not: it decays with time
 * (meter.c), so a genuine card between forgeries does not reset the
 * escalation. */
static void good_card(meter_state *ns, uint32_t seq)
{
    ns->bad_cards = 0;
    if (seq > ns->last_seq)
        ns->last_seq = seq;
    ns->readback_counter++;
}

/* ---- per card type ------------------------------------------------------ */

/* Returns the result code to show and record. */
static int apply_user(meter *m, const kv_token *t, meter_state *ns)
{
    kv_err err = ledger_load(ns, &t->u.credit, m->cfg.hoarding_limit);
    if (err == KV_OK) {
        int32_t loaded = ns->remaining - m->st.remaining;
        evlog_add(ns, METER_EV_LOAD);
        supply_loaded(ns, &m->cfg);
        display_energy(m->run.msg, "Ld ", loaded);
        m->run.msg_left = METER_MSG_SECONDS;
        return KV_OK;
    }
    /* The card carries exactly the credit the meter has loaded: the
     * customer checks the balance (the readback goes on the card as with
     * any insertion), or recloses a pre-trip.  No refusal: the loading
     * rule's KV_E_REPLAY covers this and an older card alike, and only
     * the older card is one. */
    if (err == KV_E_REPLAY && t->u.credit.cumulative == ns->cumulative_loaded) {
        if (supply_user_card(ns)) {
            show(m, "rEcLOSE");
        } else {
            show(m, "bALAncE");
            m->run.msg_next = METER_NEXT_CREDIT;
        }
        return KV_OK;
    }
    /* Nothing loaded, but the card is genuine and the user's: it recloses
     * a pre-trip.  The refusal (an older card than the meter's ledger,
     * the hoarding limit) is shown first, so the customer knows why
     * nothing loaded; the reclose follows (meter_tick). */
    evlog_add(ns, (uint8_t)(METER_EV_REFUSED | err));
    show_error(m, err);
    if (supply_user_card(ns))
        m->run.msg_next = METER_NEXT_RECLOSE;
    return err;
}

/* May an engineering token whose kind was last applied at `applied` be
 * applied?  Once only (KV_E_REPLAY), and only while it is fresh: issued at
 * most METER_ENG_WINDOW tokens before the newest the meter took. */
static int eng_fresh(const meter_state *ns, const kv_token *t, uint32_t applied)
{
    if (t->seq <= applied)
        return KV_E_REPLAY;
    if (ns->last_seq > t->seq && ns->last_seq - t->seq > METER_ENG_WINDOW)
        return KV_E_EXPIRED;
    return KV_OK;
}

static int apply_engineering(meter *m, const kv_identity *id, const kv_token *t,
                             meter_state *ns, meter_config *nc)
{
    int err;
    switch (id->card_type) {
    case KV_CARD_PARAMETER:
        if ((err = eng_fresh(ns, t, m->cfg.params_seq)) != KV_OK)
            return err;
        nc->alarm_level = t->u.params.alarm_level;
        nc->pretrip_level = t->u.params.pretrip_level;
        nc->hoarding_limit = t->u.params.hoarding_limit;
        nc->max_power = t->u.params.max_power;
        nc->reconnect_delay = t->u.params.reconnect_delay;
        nc->emergency_kwh = t->u.params.emergency_kwh;
        nc->params_seq = t->seq;
        evlog_add(ns, METER_EV_PARAMETERS);
        show(m, "PArA donE");
        return KV_OK;
    case KV_CARD_CLEAR_TAMPER:
        if ((err = eng_fresh(ns, t, ns->tamper_seq)) != KV_OK)
            return err;
        ns->tamper = 0;
        ns->tamper_seq = t->seq;
        evlog_add(ns, METER_EV_TAMPER_CLEARED);
        show(m, "tAMP CLr");
        return KV_OK;
    case KV_CARD_KEY_CHANGE:
        /* A meter that holds a transport key takes the new key only under
         * it: a first-revision key change is sealed under the key being
         * replaced, which its holder could forge or read. */
        if (t->kind != KV_TOKEN_KEY_CHANGE_T && m->has_transport)
            return KV_E_TRANSPORT;
        if ((err = eng_fresh(ns, t, m->cfg.key_seq)) != KV_OK)
            return err;
        /* The key version only goes up: the holder of an older key gets
         * no way back in (the internal record keeps it, store.h). */
        if (t->u.key_change.new_key_version <= m->cfg.key_version)
            return KV_E_KEY_VERSION;
        nc->key_version = t->u.key_change.new_key_version;
        memcpy(nc->k_meter, t->u.key_change.new_k_meter, 16);
        nc->key_seq = t->seq;
        evlog_add(ns, METER_EV_KEY_CHANGE);
        show(m, "CodE donE");
        return KV_OK;
    case KV_CARD_CLEAR_CREDIT:
        /* Once, and only newer than every token the meter took: a card
         * cleared before a later sale loaded cannot empty that sale. */
        if (t->seq <= ns->last_seq)
            return KV_E_REPLAY;
        if (ns->remaining > 0) {
            ns->cleared += (uint32_t)ns->remaining;
            ns->remaining = 0;
        }
        evlog_add(ns, METER_EV_CREDIT_CLEARED);
        show(m, "CrEd CLr");
        return KV_OK;
    case KV_CARD_TEST:
        /* Harmless, so a test card may be used again and again. */
        evlog_add(ns, METER_EV_TEST);
        show(m, "8.8.8.8.8.8.8.8.8.8.");
        return KV_OK;
    default:
        return KV_E_CARD_TYPE;
    }
}

/* ---- the insertion ------------------------------------------------------ */

/* Why no token of the card could be used.  The contract reports a key
 * version mismatch in either slot before anything else, but a slot of the
 * meter's own key version that failed its MAC beside it (a sale under the
 * new key torn on a card still holding an old token) is a failed
 * authentication: that is reported, and counted.  A plain key version
 * mismatch, older or newer, tried no MAC and is not counted. */
static int token_error(const meter *m, const kv_card_view *view,
                       const uint8_t image[KV_CARD_SIZE])
{
    static const unsigned slots[2] = {KV_TOKEN_A, KV_TOKEN_B};
    int err = view->token_err;
    if (err != KV_E_KEY_VERSION)
        return err;
    for (unsigned i = 0; i < 2; i++) {
        kv_token t;
        kv_err e = kv_token_open(&m->keys, &view->id, image + slots[i], &t);
        kv_wipe(&t, sizeof t);
        if (e != KV_E_EMPTY && e != KV_E_KEY_VERSION)
            return e;
    }
    return err;
}

/* view and nc hold keys (the meter key, a key-change card's new key): the
 * caller wipes them whichever way this returns. */
static int insert(meter *m, kv_card_view *view, meter_config *nc)
{
    uint8_t image[KV_CARD_SIZE];
    meter_state ns;
    int err, rc, config_changed = 0, took = 1;
    meter_card_result r;

    if (m->st.lockout_left) {
        display_number(m->run.msg, "Loc ", (m->st.lockout_left + 59) / 60, 4);
        m->run.msg_left = METER_MSG_SECONDS;
        m->run.last_result = METER_E_LOCKOUT;
        return METER_E_LOCKOUT;
    }
    r = m->card.read(m->card.ctx, image);
    if (r != METER_CARD_OK) {
        err = card_error(r);
        show_error(m, err);
        m->run.last_result = (uint8_t)err;
        return err;
    }
    err = kv_card_identity(image, &view->id);
    if (err == KV_OK)
        err = kv_identity_check(&view->id, m->cfg.utility_code, m->cfg.meter_number);
    if (err != KV_OK)
        return refuse(m, err);
    err = kv_card_decode(&m->keys, image, view);
    if (err != KV_OK)
        return refuse(m, err);
    /* A check card without a check token (one home-made with a valid CRC,
     * or one of the first revision, which carried none) proves nothing: it
     * is refused and counted before the meter presents any PSC. */
    if (view->id.card_type == KV_CARD_CHECK && view->token_err == KV_E_EMPTY)
        return refuse(m, KV_E_MAC);
    if (view->token_err != KV_OK)
        return refuse(m, token_error(m, view, image));

    /* The token is authentic, so the card is one the station made for this
     * meter: only now is the PSC presented.  It proves the card itself is
     * one we issued (a dump restored onto a blank card fails here). */
    err = verify_psc(m, &view->id);
    if (err != 0) {
        if (cardproc_is_bad(err))
            return refuse(m, err);
        show_error(m, err);
        m->run.last_result = (uint8_t)err;
        return err;
    }

    ns = m->st;
    *nc = m->cfg;
    switch (view->id.card_type) {
    case KV_CARD_USER:
        err = apply_user(m, &view->token, &ns);
        /* A token that loaded nothing was not taken: last_seq stays. */
        if (ns.cumulative_loaded == m->st.cumulative_loaded)
            took = 0;
        break;
    case KV_CARD_CHECK:
        evlog_add(&ns, METER_EV_CHECK);
        show(m, "CHEc donE");
        err = KV_OK;
        break;
    default:
        err = apply_engineering(m, &view->id, &view->token, &ns, nc);
        if (err != KV_OK) {
            evlog_add(&ns, (uint8_t)(METER_EV_REFUSED | err));
            show_error(m, err);
        } else if (memcmp(nc, &m->cfg, sizeof *nc) != 0) {
            config_changed = 1;
        }
        break;
    }
    good_card(&ns, err == KV_OK && took ? view->token.seq : 0);

    /* Commit before the card is written: see cardproc.h and store.h. */
    if (config_changed)
        supply_update(&ns, nc);
    rc = store_commit(m, &ns, nc);
    if (rc != 0) {
        show_error(m, rc);
        return rc;
    }
    if (config_changed)
        meter_keys_load(m);
    m->run.last_result = (uint8_t)err;

    rc = write_readback(m, &view->id, view, image, (uint8_t)err);
    if (rc != 0) {
        /* What the meter did stands; the card only lacks the report, and
         * the next insertion writes a fresh one. */
        ns = m->st;
        evlog_add(&ns, METER_EV_READBACK_FAIL);
        commit_state(m, &ns);
    }
    return err;
}

int cardproc_insert(meter *m)
{
    kv_card_view view;
    meter_config nc;
    int err = insert(m, &view, &nc);
    kv_wipe(&view, sizeof view);
    kv_wipe(&nc, sizeof nc);
    m->card.release(m->card.ctx);
    return err;
}
