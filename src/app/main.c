/* main.c - kilovend, the cashier's app. */
#define G_LOG_DOMAIN "kilovend"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "kv-application.h"
#include "kv-timing.h"

int main(int argc, char *argv[])
{
    g_autoptr(KvApplication) app = NULL;
#if KV_TEST_HOOKS
    /* An uninstalled build points this at its compiled translations. */
    const char *localedir = g_getenv("KILOVEND_LOCALEDIR");
#else
    /* Shipped build: only the installed catalogues speak to the cashier. */
    const char *localedir = NULL;
#endif

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    kv_timing_mark("main");
    app = kv_application_new();
    return g_application_run(G_APPLICATION(app), argc, argv);
}
