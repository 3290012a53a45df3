/* kv-catalogue.c - a gettext .mo file, checked whole, looked up by binary
 * search (see kv-catalogue.h).
 *
 * The file (GNU gettext's "MO" format): seven 32-bit words, in the byte
 * order its magic number shows - magic, revision, N (messages), O (offset
 * of the originals' table), T (offset of the translations' table), then
 * the hash table's size and offset (not used here) - and the two tables of
 * N (length, offset) pairs, each string followed by a NUL that its length
 * does not count.  msgfmt writes the originals sorted (strcmp order); the
 * load checks it, so a lookup may trust every index it computes.  The
 * messages' text is not translated: no message of this file reaches a
 * user (kv-i18n.c, which translates, builds on this file). */
#include "config.h"

#include <string.h>

#include "kv-catalogue.h"

#define MO_MAGIC 0x950412deu
#define MO_HEADER_WORDS 7

typedef struct {
    const char *text;
    guint32 len;
} Str;

struct _KvCatalogue {
    GBytes *bytes;  /* the file; every Str points into it */
    guint n;
    Str *originals; /* sorted */
    Str *translations;
};

static guint32 word_at(const guint8 *p, gboolean swap)
{
    guint32 w;

    memcpy(&w, p, sizeof w);
    return swap ? GUINT32_SWAP_LE_BE(w) : w;
}

/* The string at table entry i, checked: inside the file, NUL-ended. */
static gboolean read_entry(const guint8 *data, gsize size, guint32 table, guint i, gboolean swap,
                           Str *out)
{
    guint64 at = (guint64)table + (guint64)i * 8u;
    guint32 len, off;

    if (at + 8u > size)
        return FALSE;
    len = word_at(data + at, swap);
    off = word_at(data + at + 4u, swap);
    if ((guint64)off + len + 1u > size || data[(gsize)off + len] != '\0')
        return FALSE;
    out->text = (const char *)data + off;
    out->len = len;
    return TRUE;
}

/* UTF-8 text; a plural message's forms are separated by NULs. */
static gboolean utf8_forms(const Str *s)
{
    const char *p = s->text, *end = s->text + s->len;

    for (;;) {
        gsize n = strlen(p); /* stops at the NUL after the last form */

        if (!g_utf8_validate(p, (gssize)n, NULL))
            return FALSE;
        p += n;
        if (p >= end)
            return TRUE;
        p++;
    }
}

static gboolean invalid(GError **error, const char *why)
{
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "not a message catalogue: %s", why);
    return FALSE;
}

static gboolean check(KvCatalogue *cat, GError **error)
{
    gsize size;
    const guint8 *data = g_bytes_get_data(cat->bytes, &size);
    guint32 magic, revision, o, t;
    gboolean swap;
    const char *header;

    if (size < MO_HEADER_WORDS * 4u)
        return invalid(error, "too short");
    memcpy(&magic, data, sizeof magic);
    if (magic == MO_MAGIC)
        swap = FALSE;
    else if (GUINT32_SWAP_LE_BE(magic) == MO_MAGIC)
        swap = TRUE;
    else
        return invalid(error, "wrong magic number");
    revision = word_at(data + 4, swap);
    if (revision >> 16 > 1u)
        return invalid(error, "unknown format revision");
    cat->n = word_at(data + 8, swap);
    o = word_at(data + 12, swap);
    t = word_at(data + 16, swap);
    /* Both tables inside the file before anything is allocated for them. */
    if ((guint64)o + (guint64)cat->n * 8u > size || (guint64)t + (guint64)cat->n * 8u > size)
        return invalid(error, "tables outside the file");
    cat->originals = g_new(Str, cat->n);
    cat->translations = g_new(Str, cat->n);
    for (guint i = 0; i < cat->n; i++) {
        if (!read_entry(data, size, o, i, swap, &cat->originals[i]) ||
            !read_entry(data, size, t, i, swap, &cat->translations[i]))
            return invalid(error, "string outside the file");
        if (i > 0 && strcmp(cat->originals[i - 1].text, cat->originals[i].text) >= 0)
            return invalid(error, "messages not sorted");
        if (!utf8_forms(&cat->translations[i]))
            return invalid(error, "translation not in UTF-8");
    }
    header = kv_catalogue_lookup(cat, "");
    if (header == NULL || strstr(header, "charset=UTF-8") == NULL)
        return invalid(error, "not in UTF-8");
    return TRUE;
}

KvCatalogue *kv_catalogue_new(GBytes *bytes, GError **error)
{
    KvCatalogue *cat = g_new0(KvCatalogue, 1);

    cat->bytes = g_bytes_ref(bytes);
    if (!check(cat, error)) {
        kv_catalogue_free(cat);
        return NULL;
    }
    return cat;
}

KvCatalogue *kv_catalogue_load(const char *path, GError **error)
{
    char *text = NULL;
    gsize len = 0;
    g_autoptr(GBytes) bytes = NULL;

    if (!g_file_get_contents(path, &text, &len, error))
        return NULL;
    bytes = g_bytes_new_take(text, len);
    return kv_catalogue_new(bytes, error);
}

KvCatalogue *kv_catalogue_new_empty(void)
{
    return g_new0(KvCatalogue, 1);
}

void kv_catalogue_free(KvCatalogue *cat)
{
    if (cat == NULL)
        return;
    g_clear_pointer(&cat->bytes, g_bytes_unref);
    g_free(cat->originals);
    g_free(cat->translations);
    g_free(cat);
}

const char *kv_catalogue_lookup(const KvCatalogue *cat, const char *key)
{
    guint lo = 0, hi = cat->n;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        int cmp = strcmp(key, cat->originals[mid].text);

        if (cmp == 0)
            return cat->translations[mid].len > 0 ? cat->translations[mid].text : NULL;
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
