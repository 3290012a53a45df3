/* kv-users-private.h - users as the station file sees them. */
#ifndef KV_USERS_PRIVATE_H
#define KV_USERS_PRIVATE_H

#include "kv-station-private.h"

G_BEGIN_DECLS

/* INVALID unless the password is long enough. */
gboolean kv_user_password_acceptable(const char *pw, GError **error);
/* Inside the caller's transaction: a new user and its audit row. */
gboolean kv_user_insert(KvStation *st, const char *login, const char *full_name, KvRole role,
                        const char *password, GError **error);

G_END_DECLS

#endif
