/* kv-password.h - scrypt password hashes and key derivation
 * (layer: base; core-private). */
#ifndef KV_PASSWORD_H
#define KV_PASSWORD_H

#include <glib.h>

G_BEGIN_DECLS

char *kv_password_hash(const char *password, GError **error);
gboolean kv_password_verify(const char *password, const char *encoded);
/* Spend the time of one verification (scrypt at the current cost), for a
 * login that does not exist: its failure takes as long as a wrong password. */
void kv_password_burn(const char *password);
/* scrypt into out (len bytes); N = 2^log2n, r = 8, p = 1. */
gboolean kv_scrypt(const char *pass, const guint8 *salt, gsize salt_len, guint log2n,
                   guint8 *out, gsize len, GError **error);

G_END_DECLS

#endif
