/* kv-i18n.c - the core's text domain, bound once before its first message.
 *
 * dgettext(), not g_dgettext(): GLib's variant leaves a library's strings
 * untranslated when the program's own default domain has no catalogue for
 * the locale; the core's messages follow the locale whatever the program. */
#include <libintl.h>
#include <string.h>

#include "kv-i18n.h"

/* The words the ledger stores for states, statuses and roles, shown in
 * messages through C_(context, word); the database keeps the English word.
 * Listed here for the catalogue only (the sale states: kv-sale-state.c;
 * card and meter statuses: kv-status.c). */
static const char *const stored_words[] G_GNUC_UNUSED = {
    NC_("role", "cashier"), NC_("role", "supervisor"), NC_("role", "admin"),
};

void kv_i18n_init(void)
{
    static gsize bound;

    if (g_once_init_enter(&bound)) {
#if KV_TEST_HOOKS
        const char *dir = g_getenv("KILOVEND_LOCALEDIR");
#else
        const char *dir = NULL; /* shipped build: the installed catalogues only */
#endif

        bindtextdomain(GETTEXT_PACKAGE, dir != NULL && *dir ? dir : LOCALEDIR);
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
        g_once_init_leave(&bound, 1);
    }
}

const char *kv_i18n_gettext(const char *msgid)
{
    kv_i18n_init();
    return dgettext(GETTEXT_PACKAGE, msgid);
}

const char *kv_i18n_pgettext(const char *context, const char *msgid)
{
    /* A message in context is "context\004msgid" in the catalogue. */
    gsize cl = strlen(context), ml = strlen(msgid);
    char stack[256];
    g_autofree char *heap = NULL;
    char *key = cl + ml + 2 <= sizeof stack ? stack : (heap = g_malloc(cl + ml + 2));
    const char *tr;

    memcpy(key, context, cl);
    key[cl] = '\004';
    memcpy(key + cl + 1, msgid, ml + 1);
    kv_i18n_init();
    tr = dgettext(GETTEXT_PACKAGE, key);
    return tr == key ? msgid : tr;
}
