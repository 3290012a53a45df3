/* card-test-util.h - helpers for tests that run inside tests/pcsc/kv-pcsc-env:
 * steering the virtual card and pcscd, waiting for PC/SC events, and a
 * test utility's keys and cards built with the contract. */
#ifndef CARD_TEST_UTIL_H
#define CARD_TEST_UTIL_H

#include <glib.h>

#include "kv-card.h"
#include "kv_card.h"
#include "sle4442.h"

#define KVT_UTILITY 4711u
#define KVT_METER 123456782u  /* 8 digits and a Luhn check digit */
#define KVT_SERIAL 1001u
#define KVT_EVENT_MS 5000     /* pcscd polls the reader a few times a second */

/* The card service the tests of one program share, made on first use. */
KvCardService *kvt_service(void);
/* g_test_run(), then the shared card service freed. */
int kvt_run(void);
/* Run "$KV_PCSC_CTL <args>" (kv-pcsc-env ctl); fails the test on error. */
void kvt_ctl(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Wait until ev happens (other events are skipped); fails after ms. */
void kvt_wait_event(KvCardService *svc, KvCardEvent ev, guint ms);
/* The reader name kv-pcsc-env gives. */
const char *kvt_reader(void);

/* Make a blank factory card file (PSC FF FF FF) with kilovend-vcard. */
void kvt_new_card_file(const char *path);
void kvt_load_card(const char *path, sle4442 *chip);
void kvt_save_card(const char *path, const sle4442 *chip);

/* The test utility's keys for KVT_METER, and the card identity and PSC. */
void kvt_keys(kv_meter_keys *keys);
kv_identity kvt_identity(void);
void kvt_psc(uint8_t psc[3]);

/* Issue the card in the reader as a purchase card: factory PSC, identity,
 * lock, own PSC.  The card is connected on return. */
KvCard *kvt_issue(KvCardService *svc);
/* Sell `amount` on the connected card (PSC presented): seal the next
 * token, write it, return its seq. */
guint32 kvt_sell(KvCard *card, guint32 amount, GError **error);
/* A sealed credit token for slot writing, as kvt_sell makes it. */
void kvt_token_slot(const kv_card_view *view, guint32 amount, uint8_t slot[KV_SLOT_LEN]);

#endif
