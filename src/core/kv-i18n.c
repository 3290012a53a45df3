/* kv-i18n.c - the core's text domain, bound once before its first message. */
#include "kv-i18n.h"

void kv_i18n_init(void)
{
    static gsize bound;

    if (g_once_init_enter(&bound)) {
        const char *dir = g_getenv("KILOVEND_LOCALEDIR");

        bindtextdomain(GETTEXT_PACKAGE, dir != NULL && *dir ? dir : LOCALEDIR);
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
        g_once_init_leave(&bound, 1);
    }
}

const char *kv_i18n_gettext(const char *msgid)
{
    kv_i18n_init();
    return g_dgettext(GETTEXT_PACKAGE, msgid);
}

const char *kv_i18n_pgettext(const char *context, const char *msgid)
{
    kv_i18n_init();
    return g_dpgettext2(GETTEXT_PACKAGE, context, msgid);
}
