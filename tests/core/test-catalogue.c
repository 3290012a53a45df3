/* test-catalogue.c - the core's reader of compiled catalogues
 * (kv-catalogue.h) on the build tree's French catalogue (KV_TEST_MO): its
 * messages found, with and without context, in either byte order; and
 * every damaged copy refused at load, never read past its end: the file
 * cut short at many lengths, a string's offset or length pointing outside,
 * a table outside, the messages out of order, a translation that is not
 * UTF-8, a wrong magic number or format revision. */
#include "config.h"

#include <string.h>

#include "kv-catalogue.h"

static GBytes *french(void)
{
    const char *path = g_getenv("KV_TEST_MO");
    char *text = NULL;
    gsize len = 0;

    g_assert_nonnull(path);
    g_assert_true(g_file_get_contents(path, &text, &len, NULL));
    return g_bytes_new_take(text, len);
}

static guint32 word(const guint8 *d, gsize at, gboolean swap)
{
    guint32 w;

    memcpy(&w, d + at, 4);
    return swap ? GUINT32_SWAP_LE_BE(w) : w;
}

static void put(guint8 *d, gsize at, guint32 w, gboolean swap)
{
    w = swap ? GUINT32_SWAP_LE_BE(w) : w;
    memcpy(d + at, &w, 4);
}

static void assert_french(const KvCatalogue *cat)
{
    g_assert_cmpstr(kv_catalogue_lookup(cat, "Statement - %s (%s), %s to %s"), ==,
                    "Relevé de compte - %s (%s), du %s au %s");
    g_assert_cmpstr(kv_catalogue_lookup(cat, "report summary\004opening debt"), ==,
                    "dette d’ouverture");
    g_assert_null(kv_catalogue_lookup(cat, "no such message in the catalogue"));
    g_assert_null(kv_catalogue_lookup(cat, "opening debt")); /* only in context */
}

static void test_lookup(void)
{
    g_autoptr(GBytes) b = french();
    g_autoptr(GError) error = NULL;
    g_autoptr(KvCatalogue) cat = kv_catalogue_new(b, &error);
    g_autoptr(KvCatalogue) empty = kv_catalogue_new_empty();

    g_assert_no_error(error);
    assert_french(cat);
    g_assert_null(kv_catalogue_lookup(empty, "Statement - %s (%s), %s to %s"));
    g_assert_null(kv_catalogue_load("/nonexistent/kilovend.mo", &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

/* The same catalogue with its header words and tables in the other order. */
static void test_other_byte_order(void)
{
    g_autoptr(GBytes) b = french();
    gsize size;
    guint8 *d = g_bytes_unref_to_data(g_bytes_ref(b), &size);
    guint32 n = word(d, 8, FALSE), o = word(d, 12, FALSE), t = word(d, 16, FALSE);
    g_autoptr(GBytes) swapped = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvCatalogue) cat = NULL;

    for (gsize at = 0; at < 28; at += 4)
        put(d, at, word(d, at, FALSE), TRUE);
    for (guint32 i = 0; i < 2 * n; i++) {
        put(d, o + 4 * i, word(d, o + 4 * i, FALSE), TRUE);
        put(d, t + 4 * i, word(d, t + 4 * i, FALSE), TRUE);
    }
    swapped = g_bytes_new_take(d, size);
    cat = kv_catalogue_new(swapped, &error);
    g_assert_no_error(error);
    assert_french(cat);
}

/* data, changed by edit, refused with G_FILE_ERROR_INVAL. */
static void assert_refused(GBytes *b, void (*edit)(guint8 *d, gsize *size, gpointer arg),
                           gpointer arg)
{
    gsize size;
    guint8 *d = g_bytes_unref_to_data(g_bytes_ref(b), &size);
    g_autoptr(GBytes) changed = NULL;
    g_autoptr(GError) error = NULL;

    edit(d, &size, arg);
    changed = g_bytes_new_take(d, size);
    g_assert_null(kv_catalogue_new(changed, &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
}

static void cut(guint8 *d, gsize *size, gpointer arg)
{
    *size = GPOINTER_TO_SIZE(arg);
}

/* Word number `which` of the originals' table (entry i: 2i length, 2i+1
 * offset) set to a value. */
typedef struct {
    gsize at; /* byte offset of the word, from the header's table offset */
    guint header;
    guint32 value;
} Poke;

static void poke(guint8 *d, gsize *size, gpointer arg)
{
    const Poke *p = arg;

    put(d, word(d, p->header, FALSE) + p->at, p->value, FALSE);
}

static void set_header(guint8 *d, gsize *size, gpointer arg)
{
    const Poke *p = arg;

    put(d, p->header, p->value, FALSE);
}

static void swap_two(guint8 *d, gsize *size, gpointer arg)
{
    guint32 o = word(d, 12, FALSE);
    guint8 e[8];

    /* entries 5 and 6 of the originals' table change places */
    memcpy(e, d + o + 40, 8);
    memmove(d + o + 40, d + o + 48, 8);
    memcpy(d + o + 48, e, 8);
}

static void bad_utf8(guint8 *d, gsize *size, gpointer arg)
{
    guint32 t = word(d, 16, FALSE);
    guint32 off = word(d, t + 8 * 7 + 4, FALSE);

    d[off] = 0xff;
}

/* The bytes the reader needs: up to the end of the last string either
 * table points to (revision 1's system-dependent strings, after them, are
 * not read). */
static gsize needed(const guint8 *d)
{
    guint32 n = word(d, 8, FALSE);
    gsize end = 0;

    for (guint k = 12; k <= 16; k += 4) {
        guint32 table = word(d, k, FALSE);

        end = MAX(end, (gsize)table + 8u * n);
        for (guint32 i = 0; i < n; i++)
            end = MAX(end, (gsize)word(d, table + 8 * i + 4, FALSE) +
                               word(d, table + 8 * i, FALSE) + 1);
    }
    return end;
}

static void test_damaged(void)
{
    g_autoptr(GBytes) b = french();
    gsize size = g_bytes_get_size(b);
    const guint8 *d = g_bytes_get_data(b, NULL);
    gsize need = needed(d);
    guint32 t = word(d, 16, FALSE);

    /* Cut short: every length within the header and the first entries,
     * then every 101st byte to the last one read, which is needed too. */
    g_assert_cmpuint(need, <=, size);
    for (gsize len = 0; len < 64; len++)
        assert_refused(b, cut, GSIZE_TO_POINTER(len));
    for (gsize len = 64; len < need; len += 101)
        assert_refused(b, cut, GSIZE_TO_POINTER(len));
    assert_refused(b, cut, GSIZE_TO_POINTER(need - 1));
    {
        const Poke pokes[] = {
            {4, 12, 0xfffffff0u},         /* an original's offset far outside */
            {12, 12, (guint32)size - 1},  /* one whose text would run past the end */
            {0, 12, (guint32)size},       /* an original's length past the end */
            {8 * 9 + 4, 16, 0xffffffffu}, /* a translation's offset at 4 GiB */
            {8 * 9, 16, 0x7fffffffu},     /* a translation's length */
        };
        for (guint i = 0; i < G_N_ELEMENTS(pokes); i++)
            assert_refused(b, poke, (gpointer)&pokes[i]);
    }
    {
        const Poke headers[] = {
            {0, 0, 0x12345678u},     /* magic */
            {0, 4, 0x00020000u},     /* format revision 2 */
            {0, 8, 0x20000000u},     /* N: tables far longer than the file */
            {0, 12, 0xfffffff8u},    /* originals' table at the end of 4 GiB */
            {0, 16, (guint32)size},  /* translations' table outside */
        };
        for (guint i = 0; i < G_N_ELEMENTS(headers); i++)
            assert_refused(b, set_header, (gpointer)&headers[i]);
    }
    assert_refused(b, swap_two, NULL);
    assert_refused(b, bad_utf8, NULL);
    g_assert_cmpuint(t, <, size);
}

int main(int argc, char *argv[])
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/catalogue/lookup", test_lookup);
    g_test_add_func("/catalogue/other-byte-order", test_other_byte_order);
    g_test_add_func("/catalogue/damaged", test_damaged);
    return g_test_run();
}
