/* kv-card.c - one session with an SLE4442 card through an ACS reader.
 *
 * The reader's pseudo-APDUs (FF A4, B0, B1, B2, D0, D1, 20, D2) drive the
 * chip.  Answers are accepted in both shapes ACS documents (ACR39U, and the
 * older ACR38 manuals that answer PRESENT_CODE with the security memory and
 * append the protection bytes to reads).  Writes are never trusted: the
 * chip ignores a refused write without a word, so every write is read back.
 */
#include "kv-card-private.h"

#include <string.h>

#include "kv_util.h"

#define READ_CHUNK 128   /* bytes per read APDU (256 = 2 APDUs) */
#define WRITE_CHUNK 128  /* most bytes per write APDU */
#define GONE_WAIT_MS 1500 /* after a failed exchange: time for pcscd to see a pulled card */

static const guint8 sle4442_atr[] = {0x3B, 0x04, 0xA2, 0x13, 0x10, 0x91};

struct _KvCard {
    KvCardService *svc;
    SCARDHANDLE h;
    DWORD proto;
    char *reader;
    guint8 image[KV_CARD_SIZE];
    guint32 prot;        /* bit i: byte i writable */
    guint8 ec;           /* error counter as last read */
    gboolean psc_ok;     /* PSC accepted in this session */
    KvCardStats stats;
};

/* ---- exchanges ------------------------------------------------------------ */

/* Why did an exchange fail?  Tells a pulled card from a dead reader, a
 * stopped pcscd and a card that stopped answering. */
static void explain_failure(KvCard *card, LONG rv, const char *what, GError **error)
{
    g_auto(GStrv) names = NULL;
    g_autoptr(GError) local = NULL;

    if (kv_card_error_pcsc_lost(rv)) {
        /* pcscd stopped or restarted: is the reader still there? */
        if (!kv_card_service_revive(card->svc, &local)) {
            g_propagate_prefixed_error(error, g_steal_pointer(&local), "%s: ", what);
            return;
        }
        names = kv_card_service_list_readers_on(kv_card_service_context(card->svc), NULL);
        if (!names || !g_strv_contains((const char *const *)names, card->reader))
            g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_READER_GONE,
                        "%s: the card reader %s was unplugged: plug it in again", what,
                        card->reader);
        else
            g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_CARD_REMOVED,
                        "%s: the PC/SC service restarted and the card session was lost: "
                        "take the card out and insert it again",
                        what);
        return;
    }
    if (rv == SCARD_E_NOT_TRANSACTED || rv == SCARD_F_COMM_ERROR ||
        rv == SCARD_E_COMM_DATA_LOST || rv == SCARD_F_UNKNOWN_ERROR) {
        /* The reader got no answer.  pcscd polls the slot a few times a
         * second: wait for it to tell whether the card is still there. */
        gint64 end = g_get_monotonic_time() + GONE_WAIT_MS * 1000;
        do {
            DWORD state = 0, proto = 0, atr_len = 0, name_len = 0;
            LONG st = SCardStatus(card->h, NULL, &name_len, &state, &proto, NULL, &atr_len);
            if (st != SCARD_S_SUCCESS) {
                kv_card_error_set_pcsc(error, st == SCARD_E_NO_SMARTCARD ? SCARD_W_REMOVED_CARD
                                                                         : st, what);
                return;
            }
            if (!(state & SCARD_PRESENT)) {
                kv_card_error_set_pcsc(error, SCARD_W_REMOVED_CARD, what);
                return;
            }
            g_usleep(50 * 1000);
        } while (g_get_monotonic_time() < end);
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_IO,
                    "%s: the card does not answer (%s): take it out and insert it again; "
                    "if it keeps failing the card is faulty",
                    what, pcsc_stringify_error(rv));
        return;
    }
    kv_card_error_set_pcsc(error, rv, what);
}

/* Send one APDU; resp gets the whole answer (data and status word). */
static gboolean transmit(KvCard *card, const guint8 *apdu, gsize len, guint8 *resp,
                         gsize *resp_len, const char *what, GError **error)
{
    DWORD rlen = (DWORD)*resp_len;
    const SCARD_IO_REQUEST *pci = card->proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
    LONG rv = SCardTransmit(card->h, pci, apdu, (DWORD)len, NULL, resp, &rlen);

    card->stats.apdus++;
    /* vpcd turns a card that vanished mid-command into an empty answer */
    if (rv == SCARD_S_SUCCESS && rlen == 0)
        rv = SCARD_E_NOT_TRANSACTED;
    if (rv != SCARD_S_SUCCESS) {
        explain_failure(card, rv, what, error);
        return FALSE;
    }
    *resp_len = rlen;
    return TRUE;
}

static gboolean sw_ok(const guint8 *resp, gsize n)
{
    return n >= 2 && resp[n - 2] == 0x90 && resp[n - 1] == 0x00;
}

static gboolean bad_answer(const char *what, const guint8 *resp, gsize n, GError **error)
{
    g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NOT_SLE4442,
                "%s: the reader answered %s%02X%02X: the card is not an SLE4442 or the reader "
                "does not handle these cards (use an ACS ACR39U, ACR38U-CCID or ACR3901U)",
                what, n >= 2 ? "status " : "too short an answer ", n >= 2 ? resp[n - 2] : 0,
                n >= 2 ? resp[n - 1] : 0);
    return FALSE;
}

static gboolean read_main(KvCard *card, guint addr, guint len, guint8 *out, GError **error)
{
    while (len > 0) {
        guint n = MIN(len, READ_CHUNK);
        guint8 apdu[5] = {0xFF, 0xB0, 0x00, (guint8)addr, (guint8)n};
        guint8 resp[READ_CHUNK + 6];
        gsize rn = sizeof resp;

        if (!transmit(card, apdu, sizeof apdu, resp, &rn, "Reading the card", error))
            return FALSE;
        /* n data bytes, or (older readers) n data bytes and 4 protection bytes */
        if (!sw_ok(resp, rn) || (rn != n + 2 && rn != n + 6))
            return bad_answer("Reading the card", resp, rn, error);
        memcpy(out, resp, n);
        card->stats.bytes_read += n;
        out += n;
        addr += n;
        len -= n;
    }
    return TRUE;
}

/* FF B1 (security memory) or FF B2 (protection bits): 4 bytes. */
static gboolean read_four(KvCard *card, guint8 ins, guint8 out[4], GError **error)
{
    const char *what = ins == 0xB1 ? "Reading the error counter" : "Reading the protection bits";
    guint8 apdu[5] = {0xFF, ins, 0x00, 0x00, 0x04};
    guint8 resp[8];
    gsize rn = sizeof resp;

    if (!transmit(card, apdu, sizeof apdu, resp, &rn, what, error))
        return FALSE;
    if (!sw_ok(resp, rn) || rn != 6)
        return bad_answer(what, resp, rn, error);
    memcpy(out, resp, 4);
    card->stats.bytes_read += 4;
    return TRUE;
}

static gboolean read_ec(KvCard *card, GError **error)
{
    guint8 sec[4];
    if (!read_four(card, 0xB1, sec, error))
        return FALSE;
    card->ec = sec[0] & 7;
    kv_wipe(sec, sizeof sec); /* holds the PSC once verified */
    return TRUE;
}

static gboolean read_prot(KvCard *card, GError **error)
{
    guint8 p[4];
    if (!read_four(card, 0xB2, p, error))
        return FALSE;
    card->prot = (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
    return TRUE;
}

static guint popcount3(guint8 ec)
{
    return (ec & 1) + ((ec >> 1) & 1) + ((ec >> 2) & 1);
}

/* ---- session -------------------------------------------------------------- */

static char *pick_reader(KvCardService *svc, const char *reader, GError **error)
{
    g_auto(GStrv) names = kv_card_service_list_readers(svc, error);
    g_autofree SCARD_READERSTATE *st = NULL;
    guint n;
    LONG rv;

    if (!names)
        return NULL;
    n = g_strv_length(names);
    if (n == 0) {
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_READER,
                    "No card reader is connected: plug the reader in");
        return NULL;
    }
    if (reader) {
        if (!g_strv_contains((const char *const *)names, reader)) {
            g_autofree char *list = g_strjoinv("\", \"", names);
            g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_READER,
                        "No card reader named \"%s\" (connected: \"%s\")", reader, list);
            return NULL;
        }
        return g_strdup(reader);
    }
    /* The first reader that holds a card. */
    st = g_new0(SCARD_READERSTATE, n);
    for (guint i = 0; i < n; i++) {
        st[i].szReader = names[i];
        st[i].dwCurrentState = SCARD_STATE_UNAWARE;
    }
    rv = SCardGetStatusChange(kv_card_service_context(svc), 0, st, n);
    if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
        kv_card_error_set_pcsc(error, rv, "Cannot look for a card");
        return NULL;
    }
    for (guint i = 0; i < n; i++)
        if (st[i].dwEventState & SCARD_STATE_PRESENT)
            return g_strdup(names[i]);
    g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_CARD,
                "There is no card in the reader: insert the card");
    return NULL;
}

KvCard *kv_card_connect(KvCardService *svc, const char *reader, GError **error)
{
    KvCard *card;
    LONG rv;
    guint8 atr[MAX_ATR_SIZE];
    DWORD atr_len = sizeof atr, state = 0, name_len = 0;

    g_return_val_if_fail(svc, NULL);
    card = g_new0(KvCard, 1);
    card->svc = svc;
    card->reader = pick_reader(svc, reader, error);
    if (!card->reader)
        goto fail;

    /* Exclusive: nobody else talks to the card during the session.  The
     * warm reset drops a PSC verification another program left behind. */
    rv = SCardConnect(kv_card_service_context(svc), card->reader, SCARD_SHARE_EXCLUSIVE,
                      SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card->h, &card->proto);
    if (rv == SCARD_S_SUCCESS)
        rv = SCardReconnect(card->h, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                            SCARD_RESET_CARD, &card->proto);
    if (rv == SCARD_S_SUCCESS)
        rv = SCardStatus(card->h, NULL, &name_len, &state, &card->proto, atr, &atr_len);
    if (rv != SCARD_S_SUCCESS) {
        if (card->h)
            explain_failure(card, rv, "Cannot connect to the card", error);
        else
            kv_card_error_set_pcsc(error, rv, "Cannot connect to the card");
        goto fail;
    }
    if (atr_len != sizeof sle4442_atr || memcmp(atr, sle4442_atr, sizeof sle4442_atr) != 0) {
        g_autofree char *hex = NULL;
        GString *s = g_string_new(NULL);
        for (DWORD i = 0; i < atr_len; i++)
            g_string_append_printf(s, "%s%02X", i ? " " : "", atr[i]);
        hex = g_string_free(s, FALSE);
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NOT_SLE4442,
                    "This card is not an SLE4442 memory card (ATR %s, expected "
                    "3B 04 A2 13 10 91): use a Kilovend card",
                    hex);
        goto fail;
    }
    {
        static const guint8 select[] = {0xFF, 0xA4, 0x00, 0x00, 0x01, 0x06};
        guint8 resp[8];
        gsize rn = sizeof resp;
        if (!transmit(card, select, sizeof select, resp, &rn, "Selecting the card type", error))
            goto fail;
        if (!sw_ok(resp, rn) || rn != 2) {
            bad_answer("Selecting the card type", resp, rn, error);
            goto fail;
        }
    }
    if (!read_main(card, 0, KV_CARD_SIZE, card->image, error) || !read_prot(card, error) ||
        !read_ec(card, error))
        goto fail;
    return card;

fail:
    kv_card_free(card);
    return NULL;
}

void kv_card_free(KvCard *card)
{
    if (!card)
        return;
    /* Reset on the way out: the PSC verification ends with the session.
     * Not when pcscd already knows this card was taken out: the card lost
     * power, which ended the verification, and a reset sent then lands on
     * whatever card is in the reader now (with pcscd 1.9 and vpcd, a reset
     * just after a card was put back hid the insertion from every client
     * until the next release: tools/reinsert-loop.c, mode 3 against 4). */
    if (card->h) {
        DWORD rlen = 0, state = 0, proto = 0, alen = 0;
        LONG rc = SCardStatus(card->h, NULL, &rlen, &state, &proto, NULL, &alen);

        SCardDisconnect(card->h, rc == SCARD_W_REMOVED_CARD ? SCARD_LEAVE_CARD
                                                            : SCARD_RESET_CARD);
    }
    g_free(card->reader);
    kv_wipe(card->image, sizeof card->image);
    g_free(card);
}

const char *kv_card_reader_name(KvCard *card)
{
    return card->reader;
}

const guint8 *kv_card_image(KvCard *card)
{
    return card->image;
}

gboolean kv_card_refresh(KvCard *card, GError **error)
{
    guint8 img[KV_CARD_SIZE];
    if (!read_main(card, 0, KV_CARD_SIZE, img, error))
        return FALSE;
    memcpy(card->image, img, sizeof img);
    return read_prot(card, error) && read_ec(card, error);
}

guint32 kv_card_protection(KvCard *card)
{
    return card->prot;
}

guint kv_card_tries_left(KvCard *card)
{
    return popcount3(card->ec);
}

KvCardStats kv_card_stats(KvCard *card)
{
    return card->stats;
}

/* ---- PSC -------------------------------------------------------------------- */

gboolean kv_card_present_psc(KvCard *card, const guint8 psc[3], gboolean force, GError **error)
{
    guint8 apdu[8] = {0xFF, 0x20, 0x00, 0x00, 0x03, psc[0], psc[1], psc[2]};
    guint8 resp[8];
    gsize rn = sizeof resp;
    guint tries, ec;
    gboolean ok;

    /* The counter as it is now, not as it was at connect time. */
    if (!read_ec(card, error)) {
        kv_wipe(apdu, sizeof apdu);
        return FALSE;
    }
    tries = popcount3(card->ec);
    if (tries == 0) {
        kv_wipe(apdu, sizeof apdu);
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_LOCKED,
                    "This card is locked: its PSC was presented wrong 3 times and it can "
                    "never be written again; issue a replacement card");
        return FALSE;
    }
    if (tries < 3 && !force) {
        kv_wipe(apdu, sizeof apdu);
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_PSC_TRIES_LOW,
                    "This card has only %u PSC %s left (a wrong code before may have been "
                    "presented): nothing was tried; a supervisor must decide whether to "
                    "present the code (a wrong one %s)",
                    tries, tries == 1 ? "try" : "tries",
                    tries == 1 ? "locks the card for ever" : "costs one more try");
        return FALSE;
    }
    /* One presentation, never repeated: each failure costs the card a try. */
    ok = transmit(card, apdu, sizeof apdu, resp, &rn, "Presenting the PSC", error);
    kv_wipe(apdu, sizeof apdu);
    if (!ok)
        return FALSE;
    if (rn == 2 && resp[0] == 0x90) {
        ec = resp[1]; /* ACR39U: 90 EC */
    } else if (rn == 6 && sw_ok(resp, rn)) {
        ec = resp[0]; /* older ACR38: EC P1 P2 P3 90 00 */
    } else {
        kv_wipe(resp, sizeof resp);
        return bad_answer("Presenting the PSC", resp, rn, error);
    }
    kv_wipe(resp, sizeof resp);
    card->ec = ec & 7;
    if (card->ec == 7) {
        card->psc_ok = TRUE;
        return TRUE;
    }
    tries = popcount3(card->ec);
    if (tries == 0)
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_PSC_WRONG,
                    "Wrong PSC: the card refused it and has no tries left; it is now locked "
                    "and can never be written again");
    else
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_PSC_WRONG,
                    "Wrong PSC: the card refused it; %u %s left. Check the card belongs to "
                    "this utility and meter before trying again",
                    tries, tries == 1 ? "try" : "tries");
    return FALSE;
}

gboolean kv_card_change_psc(KvCard *card, const guint8 psc[3], GError **error)
{
    guint8 apdu[8] = {0xFF, 0xD2, 0x00, 0x01, 0x03, psc[0], psc[1], psc[2]};
    guint8 resp[8], sec[4];
    gsize rn = sizeof resp;
    gboolean ok, same;

    if (!card->psc_ok) {
        kv_wipe(apdu, sizeof apdu);
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_IO,
                    "Cannot change the PSC: the current PSC was not presented in this session");
        return FALSE;
    }
    ok = transmit(card, apdu, sizeof apdu, resp, &rn, "Changing the PSC", error);
    kv_wipe(apdu, sizeof apdu);
    if (!ok)
        return FALSE;
    card->stats.bytes_written += 3;
    if (!sw_ok(resp, rn))
        return bad_answer("Changing the PSC", resp, rn, error);
    /* Once verified the chip shows its PSC: check the new one is there. */
    if (!read_four(card, 0xB1, sec, error))
        return FALSE;
    same = kv_ct_equal(sec + 1, psc, 3);
    kv_wipe(sec, sizeof sec);
    if (!same) {
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_VERIFY,
                    "The card does not hold the new PSC after the change: keep the card "
                    "aside and report it (its PSC is now uncertain)");
        return FALSE;
    }
    return TRUE;
}

/* ---- writing ---------------------------------------------------------------- */

static void torn_error(GError **error, GError *cause, guint done, guint total, guint from,
                       guint to)
{
    g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_TORN,
                "The write was interrupted (%s). %u of %u changed bytes were written; bytes "
                "0x%02X..0x%02X may be half written. Insert the card again: the card keeps "
                "its previous record until the new one is complete, and the station checks "
                "what it holds",
                cause->message, done, total, from, to);
}

gboolean kv_card_write(KvCard *card, guint offset, const guint8 *data, guint len, GError **error)
{
    guint8 cur[KV_CARD_SIZE], back[KV_CARD_SIZE];
    guint changed = 0, done = 0;

    g_return_val_if_fail(card && data, FALSE);
    if (len == 0 || offset >= KV_CARD_SIZE || len > KV_CARD_SIZE - offset) {
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_IO,
                    "Write of %u bytes at 0x%02X is outside the card's 256 bytes", len, offset);
        return FALSE;
    }
    if (card->ec == 0) {
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_LOCKED,
                    "This card is locked (error counter 0) and can never be written again; "
                    "issue a replacement card");
        return FALSE;
    }
    /* What the card holds now, not what it held at connect time. */
    if (!read_main(card, offset, len, cur, error))
        return FALSE;
    memcpy(card->image + offset, cur, len);
    for (guint i = 0; i < len; i++) {
        guint a = offset + i;
        if (cur[i] == data[i])
            continue;
        changed++;
        if (a < 32 && !(card->prot & (1u << a))) {
            g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_PROTECTED,
                        "Byte 0x%02X of the card is protected for ever and holds %02X, not "
                        "%02X: nothing was written",
                        a, cur[i], data[i]);
            return FALSE;
        }
    }

    /* Only the bytes that differ, in increasing address order: runs of
     * consecutive changed bytes, one APDU each. */
    for (guint i = 0; i < len;) {
        guint8 apdu[5 + WRITE_CHUNK], resp[8];
        gsize rn = sizeof resp;
        guint start, n = 0;
        g_autoptr(GError) cause = NULL;

        if (cur[i] == data[i]) {
            i++;
            continue;
        }
        start = i;
        while (i < len && cur[i] != data[i] && n < WRITE_CHUNK) {
            apdu[5 + n++] = data[i];
            i++;
        }
        apdu[0] = 0xFF;
        apdu[1] = 0xD0;
        apdu[2] = 0x00;
        apdu[3] = (guint8)(offset + start);
        apdu[4] = (guint8)n;
        if (!transmit(card, apdu, 5 + n, resp, &rn, "Writing the card", &cause)) {
            torn_error(error, cause, done, changed, offset + start, offset + start + n - 1);
            return FALSE;
        }
        if (!sw_ok(resp, rn)) {
            g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_IO,
                        "The reader refused the write at 0x%02X (status %02X%02X)",
                        offset + start, rn >= 2 ? resp[rn - 2] : 0, rn >= 2 ? resp[rn - 1] : 0);
            return FALSE;
        }
        done += n;
        card->stats.bytes_written += n;
    }

    /* Read back and compare: the only proof the chip took the bytes. */
    if (!read_main(card, offset, len, back, error))
        return FALSE;
    memcpy(card->image + offset, back, len);
    for (guint i = 0; i < len; i++) {
        if (back[i] != data[i]) {
            g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_VERIFY,
                        "The card did not take the write: byte 0x%02X reads %02X instead of "
                        "%02X%s",
                        offset + i, back[i], data[i],
                        card->psc_ok ? " (the card may be worn out: replace it)"
                                     : " (the PSC was not presented)");
            return FALSE;
        }
    }
    return TRUE;
}

gboolean kv_card_lock_identity(KvCard *card, GError **error)
{
    guint8 apdu[5 + 32], resp[8];
    gsize rn = sizeof resp;
    g_autoptr(GError) cause = NULL;

    if (!read_main(card, 0, 32, card->image, error))
        return FALSE;
    if (card->prot == 0) /* bits of bytes 0..31 all 0: already locked */
        return TRUE;
    /* Compare-to-protect: each protection bit is set by giving the byte's
     * present content. */
    apdu[0] = 0xFF;
    apdu[1] = 0xD1;
    apdu[2] = 0x00;
    apdu[3] = 0x00;
    apdu[4] = 32;
    memcpy(apdu + 5, card->image, 32);
    if (!transmit(card, apdu, sizeof apdu, resp, &rn, "Locking the card's identity", &cause)) {
        if (g_error_matches(cause, KV_CARD_ERROR, KV_CARD_ERROR_CARD_REMOVED))
            g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_TORN,
                        "Locking the identity was interrupted (%s): some of bytes 0..31 may "
                        "be locked; insert the card again to finish",
                        cause->message);
        else
            g_propagate_error(error, g_steal_pointer(&cause));
        return FALSE;
    }
    if (!sw_ok(resp, rn))
        return bad_answer("Locking the card's identity", resp, rn, error);
    card->stats.bytes_written += 32;
    if (!read_prot(card, error))
        return FALSE;
    if (card->prot != 0) {
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_VERIFY,
                    "The card did not lock its identity (protection bits %08X)%s",
                    (unsigned)card->prot, card->psc_ok ? "" : ": the PSC was not presented");
        return FALSE;
    }
    return TRUE;
}

/* ---- identity ------------------------------------------------------------- */

gboolean kv_card_identify(KvCard *card, guint32 utility_code, guint32 meter_number,
                          kv_identity *id_out, GError **error)
{
    kv_identity id;
    kv_err e = kv_card_identity(card->image, &id);

    if (e == KV_E_BLANK) {
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_BLANK,
                    "This card is blank (never issued): issue it to a meter first");
        return FALSE;
    }
    if (e != KV_OK) {
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_DAMAGED,
                    "This card's identity is damaged (%s): it cannot be used; issue a "
                    "replacement card",
                    kv_strerror(e));
        return FALSE;
    }
    if (id_out)
        *id_out = id;
    if (id.utility_code != utility_code) {
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_OTHER_UTILITY,
                    "This card belongs to another utility (code %u, this station sells for "
                    "%u): send the customer to their own utility",
                    id.utility_code, utility_code);
        return FALSE;
    }
    if (meter_number && id.meter_number != meter_number) {
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_OTHER_METER,
                    "This card is bound to meter %09u, not %09u: use the card of meter %09u",
                    id.meter_number, meter_number, meter_number);
        return FALSE;
    }
    return TRUE;
}
