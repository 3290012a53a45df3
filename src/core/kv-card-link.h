/* kv-card-link.h - the card as the core sees it.
 *
 * The core reads and writes cards only through this small interface, so the
 * same sale code runs on a PC/SC reader (kv_card_link_pcsc_new, over the card
 * service) and on a card file of the SLE4442 model (kv_card_link_file_open:
 * the format kilovend-vcard keeps, for technicians' simulations and the fast
 * unit tests).  Faults (a card pulled after N bytes) enter here, through the
 * same interface the hardware uses.
 */
#ifndef KV_CARD_LINK_H
#define KV_CARD_LINK_H

#include <glib.h>

#include "kv_card.h"

G_BEGIN_DECLS

typedef struct {
    /* The 256 bytes of main memory as last read or written. */
    const guint8 *(*image)(gpointer self);
    /* Read the card again; fails if it is gone. */
    gboolean (*refresh)(gpointer self, GError **error);
    guint (*tries_left)(gpointer self);
    guint32 (*protection)(gpointer self);
    gboolean (*present_psc)(gpointer self, const guint8 psc[3], gboolean force, GError **error);
    gboolean (*change_psc)(gpointer self, const guint8 psc[3], GError **error);
    /* Write the bytes that differ, in increasing address order, then read
     * back and compare. */
    gboolean (*write)(gpointer self, guint offset, const guint8 *data, guint len,
                      GError **error);
    gboolean (*lock_identity)(gpointer self, GError **error);
    const char *(*name)(gpointer self);
    void (*free)(gpointer self);
} KvCardLinkOps;

typedef struct _KvCardLink KvCardLink;

KvCardLink *kv_card_link_new(const KvCardLinkOps *ops, gpointer self);
void kv_card_link_free(KvCardLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvCardLink, kv_card_link_free)

const guint8 *kv_card_link_image(KvCardLink *link);
gboolean kv_card_link_refresh(KvCardLink *link, GError **error);
guint kv_card_link_tries_left(KvCardLink *link);
guint32 kv_card_link_protection(KvCardLink *link);
gboolean kv_card_link_present_psc(KvCardLink *link, const guint8 psc[3], gboolean force,
                                  GError **error);
gboolean kv_card_link_change_psc(KvCardLink *link, const guint8 psc[3], GError **error);
gboolean kv_card_link_write(KvCardLink *link, guint offset, const guint8 *data, guint len,
                            GError **error);
gboolean kv_card_link_lock_identity(KvCardLink *link, GError **error);
const char *kv_card_link_name(KvCardLink *link);

/* A card file (docs/card-file.md, the SLE4442 model's format): every byte
 * written is saved to the file at once, as a chip would hold it.  Errors in
 * KV_CORE_ERROR_CARD. */
KvCardLink *kv_card_link_file_open(const char *path, GError **error);
/* Make a blank factory card file (PSC as given) for tests and technicians. */
gboolean kv_card_link_file_create_blank(const char *path, const guint8 psc[3], GError **error);
/* Fault injection: the card is "pulled" after n more bytes are written
 * (0 = never).  Further operations fail until kv_card_link_refresh. */
void kv_card_link_file_tear_after(KvCardLink *link, guint n);

G_END_DECLS

#endif
