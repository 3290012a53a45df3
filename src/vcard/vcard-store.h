/* vcard-store.h - the card file on disk (format: docs/card-file.md). */
#ifndef VCARD_STORE_H
#define VCARD_STORE_H

#include <glib.h>

#include "sle4442.h"

gboolean vcard_store_load(const char *path, sle4442 *chip, GError **error);
/* Atomic: a reader of the file sees the old card or the new one, never a
 * mix, even if the program or the machine stops during the save. */
gboolean vcard_store_save(const char *path, const sle4442 *chip, GError **error);

#endif
