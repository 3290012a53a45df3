/* kv-i18n.h - the core's messages in the station's language.
 *
 * The core translates in its own text domain, GETTEXT_PACKAGE (the app's,
 * "kilovend": one catalogue, installed by po/), whatever the program's
 * default domain is.  The domain is bound on first use to LOCALEDIR, or, in
 * test builds (meson option test_hooks), to KILOVEND_LOCALEDIR when set (a
 * build tree's po/, for tests and the demo).
 * The program still chooses the language: setlocale(LC_ALL, "").
 */
#ifndef KV_I18N_H
#define KV_I18N_H

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h> /* PRId64 in translatable formats: xgettext knows it */

#include "kv-catalogue.h"

G_BEGIN_DECLS

/* Bind the core's text domain (done by the first translated message too). */
void kv_i18n_init(void);
/* msgid in the core's domain. */
const char *kv_i18n_gettext(const char *msgid) G_GNUC_FORMAT(1);

/* msgid in context (marked with NC_), in the core's domain. */
const char *kv_i18n_pgettext(const char *context, const char *msgid) G_GNUC_FORMAT(2);

/* The catalogue of language code ("fr", the folder's name under the
 * domain's locale directory), read by the core itself and kept for the
 * program's life; "en": the messages as written; NULL when there is none.
 * Any thread may call it. */
const KvCatalogue *kv_i18n_catalogue(const char *code);
/* The calling thread's messages (_(), C_()) from cat, whatever the
 * locale and the LANGUAGE variable say, until the next call; NULL: back to
 * gettext.  Returns the thread's previous catalogue (to put back).  Other
 * threads are not affected. */
const KvCatalogue *kv_i18n_use_catalogue(const KvCatalogue *cat);

/* _() and C_() of the core and its front ends: the core's domain, bound
 * first. */
#undef _
#define _(msgid) kv_i18n_gettext(msgid)
#undef C_
#define C_(context, msgid) kv_i18n_pgettext(context, msgid)

G_END_DECLS

#endif
