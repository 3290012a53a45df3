/* kv-card-link-file.c - a card file of the SLE4442 model as a card link.
 *
 * The card lives in the file (docs/card-file.md); every chip command that
 * changes it is saved at once, so a process killed between two bytes leaves
 * the file exactly as a card pulled at that moment.  Used for technicians'
 * simulations (kilovendctl --card-file) and the fast unit tests; the real
 * path to a card is PC/SC (kv-card-link-pcsc.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "kv-i18n.h"
#include "kv-card-link.h"
#include "kv-core-error.h"
#include "sle4442.h"
#include "kv-test-point.h"
#include "kv-card-link-private.h"

typedef struct {
    char *path;
    sle4442 chip;
    guint8 image[SLE_MAIN_SIZE];
    guint tear_after;  /* 0 = off */
    gboolean pulled;
} FileCard;

static gboolean card_save(FileCard *c, GError **error)
{
    guint8 buf[SLE_FILE_SIZE];
    int fd;
    gboolean ok;
    sle_save(&c->chip, buf);
    /* In place: a torn save of the file itself is not what is simulated. */
    fd = open(c->path, O_WRONLY | O_CLOEXEC);
    ok = fd >= 0 && pwrite(fd, buf, sizeof buf, 0) == (ssize_t)sizeof buf;
    if (fd >= 0)
        close(fd);
    if (!ok)
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD, _("card file %s: %s"), c->path,
                    g_strerror(errno));
    return ok;
}

static gboolean card_present(FileCard *c, GError **error)
{
    if (c->pulled) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("the card was pulled out of the reader"));
        return FALSE;
    }
    return TRUE;
}

static const guint8 *fc_image(gpointer self)
{
    return ((FileCard *)self)->image;
}

static gboolean load(FileCard *c, GError **error)
{
    g_autofree guint8 *buf = NULL;
    gsize len = 0;
    if (!g_file_get_contents(c->path, (char **)&buf, &len, error))
        return FALSE;
    if (len != SLE_FILE_SIZE || sle_load(&c->chip, buf) != 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("%s is not a card file (or it is damaged)"), c->path);
        return FALSE;
    }
    sle_power_on(&c->chip);
    sle_read_main(&c->chip, 0, c->image, SLE_MAIN_SIZE);
    return TRUE;
}

static gboolean fc_refresh(gpointer self, GError **error)
{
    FileCard *c = self;
    /* Reinserting after a pull: a fresh power-on, as a reader would do. */
    c->pulled = FALSE;
    c->tear_after = 0;
    return load(c, error);
}

static guint fc_tries_left(gpointer self)
{
    return sle_tries_left(&((FileCard *)self)->chip);
}

static guint32 fc_protection(gpointer self)
{
    FileCard *c = self;
    guint8 p[4];
    sle_read_prot(&c->chip, p);
    return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static gboolean fc_present_psc(gpointer self, const guint8 psc[3], gboolean force, GError **error)
{
    FileCard *c = self;
    guint tries = sle_tries_left(&c->chip);
    sle_result r;
    if (!card_present(c, error))
        return FALSE;
    if (tries == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("the card is locked (no PSC tries left): it is read-only for ever"));
        return FALSE;
    }
    if (tries < 3 && !force) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("only %u PSC tries left on this card: refusing to present a code "
                    "(a supervisor may force it)"), tries);
        return FALSE;
    }
    r = sle_verify_psc(&c->chip, psc);
    if (!card_save(c, error))
        return FALSE;
    if (r != SLE_OK) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("the card refused the PSC (%u tries left)"), sle_tries_left(&c->chip));
        return FALSE;
    }
    return TRUE;
}

static gboolean fc_change_psc(gpointer self, const guint8 psc[3], GError **error)
{
    FileCard *c = self;
    if (!card_present(c, error))
        return FALSE;
    for (int i = 0; i < 3; i++)
        if (sle_update_sec(&c->chip, (unsigned)i + 1, psc[i]) != SLE_OK) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                        _("the card refused the PSC change (PSC not presented)"));
            return FALSE;
        }
    return card_save(c, error);
}

static gboolean fc_write(gpointer self, guint offset, const guint8 *data, guint len,
                         GError **error)
{
    FileCard *c = self;
    guint written = 0;
    if (!card_present(c, error))
        return FALSE;
    if (offset + len > SLE_MAIN_SIZE) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD, _("write beyond the card's memory"));
        return FALSE;
    }
    for (guint i = 0; i < len; i++) {
        sle_result r;
        if (c->image[offset + i] == data[i])
            continue;
        if (c->tear_after && written == c->tear_after) {
            c->pulled = TRUE;
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                        _("the card was pulled during the write after %u bytes"), written);
            return FALSE;
        }
        r = sle_update_main(&c->chip, offset + i, data[i]);
        if (r != SLE_OK) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                        _("the card refused to write byte 0x%02X (%s)"), offset + i,
                        r == SLE_E_PROTECTED ? _("protected") : _("PSC not presented"));
            return FALSE;
        }
        if (!card_save(c, error))
            return FALSE;
        c->image[offset + i] = data[i];
        written++;
        kv_test_point("card-byte");
    }
    /* Read back and compare, as the PC/SC service does. */
    {
        guint8 back[SLE_MAIN_SIZE];
        sle_read_main(&c->chip, 0, back, SLE_MAIN_SIZE);
        if (memcmp(back + offset, data, len) != 0) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                        _("the card reads back different data after the write"));
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean fc_lock_identity(gpointer self, GError **error)
{
    FileCard *c = self;
    if (!card_present(c, error))
        return FALSE;
    for (unsigned a = 0; a < KV_LOCK_END; a++)
        if (sle_write_prot(&c->chip, a, c->image[a]) != SLE_OK) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                        _("the card refused to protect byte 0x%02X"), a);
            return FALSE;
        }
    return card_save(c, error);
}

static const char *fc_name(gpointer self)
{
    return ((FileCard *)self)->path;
}

static void fc_free(gpointer self)
{
    FileCard *c = self;
    g_free(c->path);
    memset(c, 0, sizeof *c);
    g_free(c);
}

static const KvCardLinkOps file_ops = {
    fc_image, fc_refresh, fc_tries_left, fc_protection, fc_present_psc, fc_change_psc,
    fc_write, fc_lock_identity, fc_name, fc_free,
};

KvCardLink *kv_card_link_file_open(const char *path, GError **error)
{
    FileCard *c = g_new0(FileCard, 1);
    c->path = g_strdup(path);
    if (!load(c, error)) {
        fc_free(c);
        return NULL;
    }
    return kv_card_link_new(&file_ops, c);
}


void kv_card_link_file_tear_after(KvCardLink *link, guint n)
{
    FileCard *c = kv_card_link_self(link);
    c->tear_after = n;
}

gboolean kv_card_link_file_create_blank(const char *path, const guint8 psc[3], GError **error)
{
    static const guint8 atr[4] = { 0xA2, 0x13, 0x10, 0x91 };
    sle4442 chip;
    guint8 buf[SLE_FILE_SIZE];
    sle_init_blank(&chip, atr, psc);
    sle_save(&chip, buf);
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS, _("%s already exists"), path);
        return FALSE;
    }
    return g_file_set_contents(path, (const char *)buf, sizeof buf, error);
}
