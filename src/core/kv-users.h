/* kv-users.h - users and sign-in; the supervisor who unlocks the
 * keys (layer: registry). */
#ifndef KV_USERS_H
#define KV_USERS_H

#include "kv-station.h"

G_BEGIN_DECLS

/* Check a password (scrypt) and make the user the station's current user.
 * AUTH on a wrong password (the message says how many tries are left) or
 * when locked out (5 failures lock the account for 15 minutes). */
gboolean kv_station_login(KvStation *st, const char *login, const char *password,
                          GError **error);

/* Admin only.  An admin cannot disable or demote their own account, and no
 * change may leave the station without an active admin (DENIED). */
gboolean kv_user_add(KvStation *st, const char *login, const char *full_name, KvRole role,
                     const char *password, GError **error);
gboolean kv_user_set_role(KvStation *st, const char *login, KvRole role, GError **error);
gboolean kv_user_set_active(KvStation *st, const char *login, gboolean active, GError **error);
/* Admin, or the user for their own password (old_password then required). */
gboolean kv_user_set_password(KvStation *st, const char *login, const char *old_password,
                              const char *new_password, GError **error);
gboolean kv_user_unlock(KvStation *st, const char *login, GError **error);
GPtrArray *kv_user_list(KvStation *st, GError **error); /* of KvUser */

/* Decrypt the key file into memory.  Needs a supervisor: either the current
 * user (sup_login NULL) or the named supervisor with their password. */
gboolean kv_station_unlock_keys(KvStation *st, const char *passphrase, const char *sup_login,
                                const char *sup_password, GError **error);

/* A supervisor approves an action of the signed-in user (opening their
 * shift while the keys are unlocked already): the supervisor's password is
 * checked and counted like a sign-in, the current user stays, and the
 * approval is audited as action.  DENIED for a user below supervisor. */
gboolean kv_station_approve(KvStation *st, const char *sup_login, const char *sup_password,
                            const char *action, GError **error);

G_END_DECLS

#endif
