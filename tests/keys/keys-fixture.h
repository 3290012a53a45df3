/* keys-fixture.h - SoftHSM2 tokens of the test's own (its configuration
 * and token folder in a temporary folder, SOFTHSM2_CONF), the station of
 * the core fixture with its keys migrated into one, and raw PKCS#11
 * access for the attacks. */
#ifndef KEYS_FIXTURE_H
#define KEYS_FIXTURE_H

#include <p11-kit/pkcs11.h>

#include "core-fixture.h"

#define KF_PIN "246810"
#define KF_SO_PIN "13579135"

/* The module under test (KV_PKCS11_MODULE, the meson test's environment). */
const char *kf_module(void);
/* A SoftHSM2 configuration and token folder in dir, set in SOFTHSM2_CONF.
 * Call before the first module load of the process. */
void kf_softhsm_setup(const char *dir);
/* A new token with this label and the user PIN KF_PIN (softhsm2-util).
 * SoftHSM lists the tokens it finds when the module is initialised: make
 * every token a test needs before the first. */
void kf_token_init(const char *label);
/* The core fixture's station, its key file migrated into token label
 * (made with kf_token_init).  f->keys names the token afterwards. */
void kf_station_on_token(Fx *f, const char *label);

/* Raw PKCS#11, as an attacker holding the PIN would use it: the module's
 * function list, a logged-in session on the token with this label. */
CK_FUNCTION_LIST_PTR kf_p11(void);
CK_SESSION_HANDLE kf_session(const char *label);
/* The object of class with exactly this label, CK_INVALID_HANDLE if none. */
CK_OBJECT_HANDLE kf_find(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label);

#endif
