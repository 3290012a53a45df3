/* vcard-store.c - load and atomically save the card file. */
#include "vcard-store.h"

gboolean vcard_store_load(const char *path, sle4442 *chip, GError **error)
{
    g_autofree char *buf = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &buf, &len, error))
        return FALSE;
    if (len != SLE_FILE_SIZE || sle_load(chip, (const uint8_t *)buf) != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s is not a card file (%" G_GSIZE_FORMAT
                    " bytes, bad magic or checksum); create one with --new", path, len);
        return FALSE;
    }
    return TRUE;
}

gboolean vcard_store_save(const char *path, const sle4442 *chip, GError **error)
{
    uint8_t buf[SLE_FILE_SIZE];

    sle_save(chip, buf);
    /* Written to a temporary file, synced, then renamed over the old one. */
    return g_file_set_contents_full(path, (const char *)buf, sizeof buf,
                                    G_FILE_SET_CONTENTS_CONSISTENT |
                                        G_FILE_SET_CONTENTS_DURABLE,
                                    0644, error);
}
