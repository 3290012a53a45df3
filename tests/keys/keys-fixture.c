/* keys-fixture.c - see keys-fixture.h */
#include <dlfcn.h>
#include <string.h>

#include "keys-fixture.h"

const char *kf_module(void)
{
    const char *m = g_getenv("KV_PKCS11_MODULE");
    g_assert_nonnull(m);
    return m;
}

void kf_softhsm_setup(const char *dir)
{
    g_autofree char *tokens = g_build_filename(dir, "tokens", NULL);
    g_autofree char *conf = g_build_filename(dir, "softhsm2.conf", NULL);
    g_autofree char *text = g_strdup_printf("directories.tokendir = %s\n"
                                            "objectstore.backend = file\n"
                                            "log.level = ERROR\n", tokens);
    g_assert_cmpint(g_mkdir_with_parents(tokens, 0700), ==, 0);
    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    g_setenv("SOFTHSM2_CONF", conf, TRUE);
}

void kf_token_init(const char *label)
{
    const char *argv[] = { "softhsm2-util", "--init-token", "--free", "--label", label,
                           "--pin", KF_PIN, "--so-pin", KF_SO_PIN, NULL };
    g_autoptr(GError) e = NULL;
    gint status = -1;
    g_autofree char *out = NULL, *err = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               &err, &status, &e));
    g_assert_no_error(e);
    if (status != 0)
        g_error("softhsm2-util: %s%s", out, err);
}

void kf_station_on_token(Fx *f, const char *label)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvKeyHolding) s = NULL;
    g_assert_true(kv_station_keys_migrate(f->st, FX_PASSPHRASE, kf_module(), label, NULL, KF_PIN,
                                          &e));
    g_assert_no_error(e);
    s = kv_station_key_status(f->st, &e);
    g_assert_no_error(e);
    g_assert_cmpstr(s->backend, ==, "pkcs11");
}

CK_FUNCTION_LIST_PTR kf_p11(void)
{
    static CK_FUNCTION_LIST_PTR f;
    if (!f) {
        void *dl = dlopen(kf_module(), RTLD_NOW | RTLD_LOCAL);
        CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
        CK_RV rv;
        g_assert_nonnull(dl);
        *(void **)&get = dlsym(dl, "C_GetFunctionList");
        g_assert_nonnull(get);
        g_assert_cmpuint(get(&f), ==, CKR_OK);
        rv = f->C_Initialize(NULL);
        g_assert_true(rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED);
    }
    return f;
}

CK_SESSION_HANDLE kf_session(const char *label)
{
    CK_FUNCTION_LIST_PTR f = kf_p11();
    CK_SLOT_ID slots[16];
    CK_ULONG n = G_N_ELEMENTS(slots);
    g_assert_cmpuint(f->C_GetSlotList(CK_TRUE, slots, &n), ==, CKR_OK);
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO info;
        char l[33] = { 0 };
        CK_SESSION_HANDLE s;
        CK_RV rv;
        g_assert_cmpuint(f->C_GetTokenInfo(slots[i], &info), ==, CKR_OK);
        memcpy(l, info.label, 32);
        g_strchomp(l);
        if (strcmp(l, label) != 0)
            continue;
        g_assert_cmpuint(f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
                                          NULL, &s), ==, CKR_OK);
        rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)KF_PIN, strlen(KF_PIN));
        g_assert_true(rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN);
        return s;
    }
    g_error("no token %s", label);
    return CK_INVALID_HANDLE;
}

CK_OBJECT_HANDLE kf_find(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label)
{
    CK_FUNCTION_LIST_PTR f = kf_p11();
    CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof cls },
                         { CKA_LABEL, (void *)label, strlen(label) } };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    CK_ULONG n = 0;
    g_assert_cmpuint(f->C_FindObjectsInit(s, t, 2), ==, CKR_OK);
    g_assert_cmpuint(f->C_FindObjects(s, &h, 1, &n), ==, CKR_OK);
    f->C_FindObjectsFinal(s);
    return n ? h : CK_INVALID_HANDLE;
}
