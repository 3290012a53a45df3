/* kv-keystore-pkcs11.c - the token backend: a PKCS#11 module loaded by
 * path, a token found by label (and serial), the user PIN; the contract's
 * derivation inside the token with CKM_AES_CMAC; keyload files.
 *
 * A module is initialised once per process however many stores use it
 * (and finalised with the last); a store keeps one session, logged in.
 * A token that goes away (pulled out, module finalised, session closed)
 * makes the next derivation fail with KEYS: nothing is derived, so no
 * card is written.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <p11-kit/pkcs11.h>

#include "kv-i18n.h"
#include "kv-core-error.h"
#include "kv-keystore-pkcs11.h"
#include "kv-keystore-private.h"
#include "kv_card.h"
#include "kv_cmac.h"
#include "kv_util.h"

#define GROUP "kilovend-token"
#define LABEL_MASTER "kilovend master %u"
#define LABEL_CURRENT "kilovend current"
#define LABEL_AUDIT "kilovend audit key"
#define LABEL_KEYLOAD "kilovend keyload"
#define KEYLOAD_MAGIC "KVLOAD01"
#define KEYLOAD_HDR 48 /* magic, version, flags, utility, fingerprint, wrapped length */
#define KEYLOAD_TAG 16
#define KEYLOAD_RSA_BITS 3072

/* ---- modules, shared by the stores of a process ---- */

typedef struct {
    char *path;
    void *dl;
    CK_FUNCTION_LIST_PTR f;
    guint refs;
    gboolean finalize; /* we initialised it */
} Module;

static GMutex modules_lock;
static GHashTable *modules; /* path -> Module */

typedef struct {
    Module *mod;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE session;
    CK_OBJECT_HANDLE master[KV_KEYSTORE_MAX_VERSIONS + 1];
    char *descriptor;
    char *label;
    char *serial;
} TokenStore;

static GList *open_stores; /* TokenStore *, for the login shared per token */

static gboolean p11_error(GError **error, gint code, CK_RV rv, const char *what)
{
    g_set_error(error, KV_CORE_ERROR, code, _("%s failed (PKCS#11 error 0x%08lX)"), what,
                (unsigned long)rv);
    return FALSE;
}

static Module *module_ref(const char *path, GError **error)
{
    Module *m;
    CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
    CK_C_INITIALIZE_ARGS args = { 0 };
    CK_RV rv;

    g_mutex_lock(&modules_lock);
    if (!modules)
        modules = g_hash_table_new(g_str_hash, g_str_equal);
    if ((m = g_hash_table_lookup(modules, path))) {
        m->refs++;
        g_mutex_unlock(&modules_lock);
        return m;
    }
    m = g_new0(Module, 1);
    m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!m->dl) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                    _("cannot load the PKCS#11 module %s: %s"), path, dlerror());
        goto fail;
    }
    *(void **)&get_list = dlsym(m->dl, "C_GetFunctionList");
    if (!get_list || get_list(&m->f) != CKR_OK || !m->f) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                    _("%s is not a PKCS#11 module (no C_GetFunctionList)"), path);
        goto fail;
    }
    args.flags = CKF_OS_LOCKING_OK;
    rv = m->f->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        p11_error(error, KV_CORE_ERROR_KEYS, rv, "C_Initialize");
        goto fail;
    }
    m->finalize = rv == CKR_OK;
    m->path = g_strdup(path);
    m->refs = 1;
    g_hash_table_insert(modules, m->path, m);
    g_mutex_unlock(&modules_lock);
    return m;
fail:
    if (m->dl)
        dlclose(m->dl);
    g_free(m);
    g_mutex_unlock(&modules_lock);
    return NULL;
}

static void module_unref(Module *m)
{
    g_mutex_lock(&modules_lock);
    if (--m->refs == 0) {
        g_hash_table_remove(modules, m->path);
        if (m->finalize)
            m->f->C_Finalize(NULL);
        dlclose(m->dl);
        g_free(m->path);
        g_free(m);
    }
    g_mutex_unlock(&modules_lock);
}

/* ---- the descriptor ---- */

gboolean kv_token_descriptor_write(const char *path, const char *module, const char *token,
                                   const char *serial, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *text = NULL;
    gsize len;
    int fd;
    gboolean ok;

    if (!module || !*module || !token || !*token) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a token needs its PKCS#11 module (--module PATH) and label (--token L)"));
        return FALSE;
    }
    g_key_file_set_string(kf, GROUP, "module", module);
    g_key_file_set_string(kf, GROUP, "token", token);
    if (serial && *serial)
        g_key_file_set_string(kf, GROUP, "serial", serial);
    text = g_key_file_to_data(kf, &len, NULL);
    fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int err = errno;
        g_set_error(error, KV_CORE_ERROR, err == EEXIST ? KV_CORE_ERROR_EXISTS : KV_CORE_ERROR_KEYS,
                    _("cannot create %s: %s"), path, g_strerror(err));
        return FALSE;
    }
    ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("cannot write %s"), path);
        g_unlink(path);
    }
    return ok;
}

/* ---- finding things in the token ---- */

static char *padded(const unsigned char *s, gsize n)
{
    while (n && s[n - 1] == ' ')
        n--;
    return g_strndup((const char *)s, n);
}

static gboolean find_slot(TokenStore *ts, GError **error)
{
    CK_ULONG n = 0;
    g_autofree CK_SLOT_ID *slots = NULL;
    CK_RV rv = ts->mod->f->C_GetSlotList(CK_TRUE, NULL, &n);
    if (rv != CKR_OK)
        return p11_error(error, KV_CORE_ERROR_KEYS, rv, "C_GetSlotList");
    slots = g_new0(CK_SLOT_ID, n + 1);
    if ((rv = ts->mod->f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
        return p11_error(error, KV_CORE_ERROR_KEYS, rv, "C_GetSlotList");
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO info;
        g_autofree char *label = NULL, *serial = NULL;
        if (ts->mod->f->C_GetTokenInfo(slots[i], &info) != CKR_OK)
            continue;
        label = padded(info.label, sizeof info.label);
        serial = padded(info.serialNumber, sizeof info.serialNumber);
        if (strcmp(label, ts->label) == 0 && (!ts->serial || strcmp(serial, ts->serial) == 0)) {
            ts->slot = slots[i];
            if (!ts->serial)
                ts->serial = g_steal_pointer(&serial);
            return TRUE;
        }
    }
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                _("no token labelled '%s'%s%s through %s: is it plugged in?"), ts->label,
                ts->serial ? _(" with serial ") : "", ts->serial ? ts->serial : "",
                ts->mod->path);
    return FALSE;
}

/* Up to max objects of a class (and key type, ~0 for any) with a label
 * (NULL for any). */
static CK_ULONG find_objects(TokenStore *ts, CK_OBJECT_CLASS cls, CK_KEY_TYPE type,
                             const char *label, CK_OBJECT_HANDLE *out, CK_ULONG max)
{
    CK_ATTRIBUTE t[3] = { { CKA_CLASS, &cls, sizeof cls } };
    CK_ULONG nt = 1, got = 0;
    CK_FUNCTION_LIST_PTR f = ts->mod->f;
    if (type != (CK_KEY_TYPE)~0UL)
        t[nt++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &type, sizeof type };
    if (label)
        t[nt++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, strlen(label) };
    if (f->C_FindObjectsInit(ts->session, t, nt) != CKR_OK)
        return 0;
    if (f->C_FindObjects(ts->session, out, max, &got) != CKR_OK)
        got = 0;
    f->C_FindObjectsFinal(ts->session);
    return got;
}

static CK_OBJECT_HANDLE find_one(TokenStore *ts, CK_OBJECT_CLASS cls, CK_KEY_TYPE type,
                                 const char *label)
{
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    return find_objects(ts, cls, type, label, &h, 1) == 1 ? h : CK_INVALID_HANDLE;
}

static guint read_current(TokenStore *ts)
{
    CK_OBJECT_HANDLE h = find_one(ts, CKO_DATA, ~0UL, LABEL_CURRENT);
    guint8 v = 0;
    CK_ATTRIBUTE a = { CKA_VALUE, &v, 1 };
    if (h == CK_INVALID_HANDLE || ts->mod->f->C_GetAttributeValue(ts->session, h, &a, 1) != CKR_OK)
        return 0;
    return v;
}

/* The master keys by their labels, the current version. */
static void scan_token(KvKeystore *ks)
{
    TokenStore *ts = ks->priv;
    CK_OBJECT_HANDLE h[KV_KEYSTORE_MAX_VERSIONS + 8];
    CK_ULONG n = find_objects(ts, CKO_SECRET_KEY, CKK_AES, NULL, h, G_N_ELEMENTS(h));
    ks->n = 0;
    memset(ts->master, 0, sizeof ts->master);
    for (CK_ULONG i = 0; i < n; i++) {
        char label[64] = { 0 };
        CK_ATTRIBUTE a = { CKA_LABEL, label, sizeof label - 1 };
        guint v;
        char end;
        if (ts->mod->f->C_GetAttributeValue(ts->session, h[i], &a, 1) != CKR_OK)
            continue;
        label[MIN(a.ulValueLen, sizeof label - 1)] = 0;
        if (sscanf(label, LABEL_MASTER "%c", &v, &end) == 1 && v >= 1 &&
            v <= KV_KEYSTORE_MAX_VERSIONS) {
            ts->master[v] = h[i];
            kv_keystore_note_version(ks, v);
        }
    }
    ks->current = read_current(ts);
    if (!kv_keystore_has(ks, ks->current))
        ks->current = 0;
}

/* ---- the backend ---- */

static gboolean token_sign(TokenStore *ts, CK_OBJECT_HANDLE key, const guint8 *msg, gsize len,
                           guint8 out[16], GError **error)
{
    CK_MECHANISM mech = { CKM_AES_CMAC, NULL, 0 };
    CK_ULONG olen = 16;
    CK_RV rv = ts->mod->f->C_SignInit(ts->session, &mech, key);
    if (rv == CKR_OK)
        rv = ts->mod->f->C_Sign(ts->session, (CK_BYTE_PTR)msg, len, out, &olen);
    if (rv != CKR_OK || olen != 16) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                    _("the token '%s' did not derive the key (PKCS#11 error 0x%08lX): is it still "
                    "plugged in? A supervisor must unlock the keys again"), ts->label,
                    (unsigned long)rv);
        return FALSE;
    }
    return TRUE;
}

static gboolean token_derive(KvKeystore *ks, KvKeyKind kind, guint version, guint32 utility_code,
                             guint32 meter_number, guint8 out[16], GError **error)
{
    TokenStore *ts = ks->priv;
    guint8 msg[KV_KEYSTORE_KDF_MSG_MAX];
    gsize len = kv_keystore_kdf_message(kind, utility_code, meter_number, (guint8)version, msg);
    guint8 tag[16];
    gboolean ok = token_sign(ts, ts->master[version], msg, len, tag, error);
    if (ok)
        memcpy(out, tag, 16);
    kv_wipe(tag, sizeof tag);
    return ok;
}

static gboolean token_audit_key(KvKeystore *ks, guint8 out[KV_KEYSTORE_AUDIT_KEY_LEN])
{
    TokenStore *ts = ks->priv;
    CK_OBJECT_HANDLE h = find_one(ts, CKO_SECRET_KEY, CKK_GENERIC_SECRET, LABEL_AUDIT);
    guint8 v[KV_KEYSTORE_AUDIT_KEY_LEN];
    CK_ATTRIBUTE a = { CKA_VALUE, v, sizeof v };
    gboolean ok = h != CK_INVALID_HANDLE &&
                  ts->mod->f->C_GetAttributeValue(ts->session, h, &a, 1) == CKR_OK &&
                  a.ulValueLen == sizeof v;
    if (ok)
        memcpy(out, v, sizeof v);
    kv_wipe(v, sizeof v);
    return ok;
}

static char *token_describe(const KvKeystore *ks)
{
    const TokenStore *ts = ks->priv;
    return g_strdup_printf(_("token '%s' (serial %s) through %s"), ts->label,
                           ts->serial ? ts->serial : "?", ts->mod->path);
}

static gboolean slot_shared(TokenStore *ts)
{
    for (GList *l = open_stores; l; l = l->next) {
        TokenStore *o = l->data;
        if (o != ts && o->mod == ts->mod && o->slot == ts->slot)
            return TRUE;
    }
    return FALSE;
}

static void token_free(KvKeystore *ks)
{
    TokenStore *ts = ks->priv;
    g_mutex_lock(&modules_lock);
    open_stores = g_list_remove(open_stores, ts);
    g_mutex_unlock(&modules_lock);
    if (ts->session != CK_INVALID_HANDLE) {
        if (!slot_shared(ts))
            ts->mod->f->C_Logout(ts->session);
        ts->mod->f->C_CloseSession(ts->session);
    }
    module_unref(ts->mod);
    g_free(ts->descriptor);
    g_free(ts->label);
    g_free(ts->serial);
    g_free(ts);
}

static const KvKeystoreOps token_ops = {
    "pkcs11", token_derive, token_audit_key, token_describe, token_free
};

static gboolean login(TokenStore *ts, const char *pin, GError **error)
{
    CK_FUNCTION_LIST_PTR f = ts->mod->f;
    CK_RV rv;
    if (!pin || !*pin) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_AUTH, _("the token's PIN is empty"));
        return FALSE;
    }
    rv = f->C_Login(ts->session, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
    if (rv == CKR_USER_ALREADY_LOGGED_IN) {
        /* Another store of this process is logged in: check this PIN all
         * the same (the login is shared by the whole process). */
        f->C_Logout(ts->session);
        rv = f->C_Login(ts->session, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
    }
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE) {
        CK_TOKEN_INFO info;
        const char *left = "";
        if (f->C_GetTokenInfo(ts->slot, &info) == CKR_OK) {
            if (info.flags & CKF_USER_PIN_FINAL_TRY)
                left = _(" (the next wrong PIN locks the token)");
            else if (info.flags & CKF_USER_PIN_COUNT_LOW)
                left = _(" (few tries are left before the token locks)");
        }
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_AUTH,
                    _("wrong PIN for the token '%s'%s: the token counts the wrong PINs"), ts->label,
                    left);
        return FALSE;
    }
    if (rv == CKR_PIN_LOCKED) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                    _("the token '%s' is locked after too many wrong PINs: its security officer "
                    "must reset the PIN"), ts->label);
        return FALSE;
    }
    if (rv != CKR_OK)
        return p11_error(error, KV_CORE_ERROR_KEYS, rv, "C_Login");
    return TRUE;
}

KvKeystore *kv_keystore_pkcs11_open(const char *descriptor, const char *pin, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;
    g_autofree char *module = NULL;
    TokenStore *ts;
    KvKeystore *ks;
    CK_RV rv;

    if (!g_key_file_load_from_file(kf, descriptor, G_KEY_FILE_NONE, &local) ||
        !(module = g_key_file_get_string(kf, GROUP, "module", NULL)) ||
        !g_key_file_has_key(kf, GROUP, "token", NULL)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                    _("%s is not a token descriptor (module= and token= in [%s])"), descriptor,
                    GROUP);
        return NULL;
    }
    ts = g_new0(TokenStore, 1);
    ts->session = CK_INVALID_HANDLE;
    ts->descriptor = g_strdup(descriptor);
    ts->label = g_key_file_get_string(kf, GROUP, "token", NULL);
    ts->serial = g_key_file_get_string(kf, GROUP, "serial", NULL);
    ts->mod = module_ref(module, error);
    if (!ts->mod) {
        g_free(ts->descriptor);
        g_free(ts->label);
        g_free(ts->serial);
        g_free(ts);
        return NULL;
    }
    ks = kv_keystore_alloc(&token_ops, ts);
    g_mutex_lock(&modules_lock);
    open_stores = g_list_prepend(open_stores, ts);
    g_mutex_unlock(&modules_lock);
    if (!find_slot(ts, error))
        goto fail;
    rv = ts->mod->f->C_OpenSession(ts->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                                   &ts->session);
    if (rv != CKR_OK) {
        ts->session = CK_INVALID_HANDLE;
        p11_error(error, KV_CORE_ERROR_KEYS, rv, "C_OpenSession");
        goto fail;
    }
    if (!login(ts, pin, error))
        goto fail;
    scan_token(ks);
    return ks;
fail:
    kv_keystore_free(ks);
    return NULL;
}

/* ---- writing to the token ---- */

static TokenStore *token_of(KvKeystore *ks, GError **error)
{
    if (ks && ks->ops == &token_ops)
        return ks->priv;
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                _("the keys are not in a token (the station uses a key file)"));
    return NULL;
}

#define BOOL_ATTR(type, val) { type, (void *)&(val), sizeof(CK_BBOOL) }
static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static const CK_OBJECT_CLASS class_secret = CKO_SECRET_KEY;
static const CK_KEY_TYPE type_aes = CKK_AES;

/* The template of a master key: sensitive, never extractable, sign only.
 * t must hold 16 entries; value may be NULL (unwrapping). */
static CK_ULONG master_template(CK_ATTRIBUTE *t, gboolean on_token, const char *label,
                                const guint8 *value)
{
    CK_ULONG n = 0;
    t[n++] = (CK_ATTRIBUTE){ CKA_CLASS, (void *)&class_secret, sizeof class_secret };
    t[n++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, (void *)&type_aes, sizeof type_aes };
    t[n++] = (CK_ATTRIBUTE)BOOL_ATTR(CKA_TOKEN, *(on_token ? &yes : &no));
    t[n++] = (CK_ATTRIBUTE)BOOL_ATTR(CKA_PRIVATE, yes);
    t[n++] = (CK_ATTRIBUTE)BOOL_ATTR(CKA_SENSITIVE, yes);
    t[n++] = (CK_ATTRIBUTE)BOOL_ATTR(CKA_EXTRACTABLE, no);
    t[n++] = (CK_ATTRIBUTE)BOOL_ATTR(CKA_SIGN, yes);
    t[n++] = (CK_ATTRIBUTE)BOOL_ATTR(CKA_VERIFY, no);
    t[n++] = (CK_ATTRIBUTE)BOOL_ATTR(CKA_ENCRYPT, no);
    t[n++] = (CK_ATTRIBUTE)BOOL_ATTR(CKA_DECRYPT, no);
    t[n++] = (CK_ATTRIBUTE)BOOL_ATTR(CKA_WRAP, no);
    t[n++] = (CK_ATTRIBUTE)BOOL_ATTR(CKA_UNWRAP, no);
    t[n++] = (CK_ATTRIBUTE)BOOL_ATTR(CKA_DERIVE, no);
    t[n++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, strlen(label) };
    if (value)
        t[n++] = (CK_ATTRIBUTE){ CKA_VALUE, (void *)value, KV_MASTER_KEY_LEN };
    return n;
}

static gboolean put_current(TokenStore *ts, guint version, GError **error)
{
    static const CK_OBJECT_CLASS cls = CKO_DATA;
    guint8 v = (guint8)version;
    CK_OBJECT_HANDLE old = find_one(ts, CKO_DATA, ~0UL, LABEL_CURRENT), h;
    CK_ATTRIBUTE t[] = {
        { CKA_CLASS, (void *)&cls, sizeof cls }, BOOL_ATTR(CKA_TOKEN, yes),
        BOOL_ATTR(CKA_PRIVATE, yes), { CKA_LABEL, LABEL_CURRENT, sizeof LABEL_CURRENT - 1 },
        { CKA_VALUE, &v, 1 }
    };
    /* A data object's value cannot be changed in place on every token
     * (SoftHSM2: CKR_ATTRIBUTE_READ_ONLY): the new object first, then the
     * old one goes, so a failure leaves a current version. */
    CK_RV rv = ts->mod->f->C_CreateObject(ts->session, t, G_N_ELEMENTS(t), &h);
    if (rv == CKR_OK && old != CK_INVALID_HANDLE &&
        (rv = ts->mod->f->C_DestroyObject(ts->session, old)) != CKR_OK)
        ts->mod->f->C_DestroyObject(ts->session, h);
    return rv == CKR_OK || p11_error(error, KV_CORE_ERROR_KEYS, rv, "storing the current version");
}

gboolean kv_keystore_pkcs11_set_current(KvKeystore *ks, guint version, GError **error)
{
    TokenStore *ts = token_of(ks, error);
    if (!ts)
        return FALSE;
    if (!kv_keystore_has(ks, version)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND,
                    _("the token holds no master key version %u"), version);
        return FALSE;
    }
    if (!put_current(ts, version, error))
        return FALSE;
    ks->current = version;
    return TRUE;
}

/* The audit key object: value given (migration) or random (a token
 * loaded by keyload files only).  Nothing if there is one. */
static gboolean put_audit_key(TokenStore *ts, const guint8 *value, GError **error)
{
    static const CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
    guint8 v[KV_KEYSTORE_AUDIT_KEY_LEN];
    CK_OBJECT_HANDLE h;
    CK_ATTRIBUTE t[] = {
        { CKA_CLASS, (void *)&class_secret, sizeof class_secret },
        { CKA_KEY_TYPE, (void *)&generic, sizeof generic },
        BOOL_ATTR(CKA_TOKEN, yes), BOOL_ATTR(CKA_PRIVATE, yes),
        BOOL_ATTR(CKA_SENSITIVE, no), BOOL_ATTR(CKA_EXTRACTABLE, yes),
        BOOL_ATTR(CKA_SIGN, no), BOOL_ATTR(CKA_VERIFY, no),
        { CKA_LABEL, LABEL_AUDIT, sizeof LABEL_AUDIT - 1 }, { CKA_VALUE, v, sizeof v }
    };
    CK_RV rv;
    if (find_one(ts, CKO_SECRET_KEY, CKK_GENERIC_SECRET, LABEL_AUDIT) != CK_INVALID_HANDLE)
        return TRUE;
    if (value)
        memcpy(v, value, sizeof v);
    else if (RAND_priv_bytes(v, sizeof v) != 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("no random numbers (OpenSSL)"));
        return FALSE;
    }
    rv = ts->mod->f->C_CreateObject(ts->session, t, G_N_ELEMENTS(t), &h);
    kv_wipe(v, sizeof v);
    return rv == CKR_OK || p11_error(error, KV_CORE_ERROR_KEYS, rv, "storing the audit key");
}

static gboolean refuse_held(KvKeystore *ks, guint version, GError **error)
{
    if (!kv_keystore_has(ks, version))
        return TRUE;
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS,
                _("the token holds master key version %u already"), version);
    return FALSE;
}

gboolean kv_keystore_pkcs11_import_ring(KvKeystore *ks, const KvKeyring *ring, GError **error)
{
    TokenStore *ts = token_of(ks, error);
    guint8 audit[KV_AUDIT_KEY_LEN];
    g_autoptr(GArray) made = g_array_new(FALSE, FALSE, sizeof(CK_OBJECT_HANDLE));
    gboolean ok;
    if (!ts)
        return FALSE;
    for (guint v = 1; v <= KV_KEYSTORE_MAX_VERSIONS; v++)
        if (kv_keyring_master(ring, v) && !refuse_held(ks, v, error))
            return FALSE;
    for (guint v = 1; v <= KV_KEYSTORE_MAX_VERSIONS; v++) {
        const guint8 *mk = kv_keyring_master(ring, v);
        g_autofree char *label = g_strdup_printf(LABEL_MASTER, v);
        CK_ATTRIBUTE t[16];
        CK_OBJECT_HANDLE h;
        CK_RV rv;
        if (!mk)
            continue;
        rv = ts->mod->f->C_CreateObject(ts->session, t, master_template(t, TRUE, label, mk), &h);
        if (rv != CKR_OK) {
            /* Nothing half done: a retry must not find some versions there. */
            for (guint i = 0; i < made->len; i++)
                ts->mod->f->C_DestroyObject(ts->session, g_array_index(made, CK_OBJECT_HANDLE, i));
            return p11_error(error, KV_CORE_ERROR_KEYS, rv, "storing a master key in the token");
        }
        g_array_append_val(made, h);
    }
    if (!kv_keyring_audit_key(ring, audit)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("the keyring is empty"));
        return FALSE;
    }
    ok = put_audit_key(ts, audit, error) && put_current(ts, kv_keyring_current(ring), error);
    kv_wipe(audit, sizeof audit);
    if (!ok)
        return FALSE;
    scan_token(ks);
    /* The token must derive what the file derives, for every version. */
    for (guint v = 1; v <= KV_KEYSTORE_MAX_VERSIONS; v++) {
        const guint8 *mk = kv_keyring_master(ring, v);
        guint8 a[16], b[16];
        if (!mk)
            continue;
        kv_derive_meter_key(mk, 1, 1, (uint8_t)v, a);
        ok = kv_keystore_derive(ks, KV_KEY_KIND_METER, v, 1, 1, b, error) &&
             CRYPTO_memcmp(a, b, 16) == 0;
        kv_wipe(a, sizeof a);
        kv_wipe(b, sizeof b);
        if (!ok) {
            if (error && !*error)
                g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                            _("the token derives other keys than the key file (version %u)"), v);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- keyload ---- */

static EVP_PKEY *rsa_public(const guint8 *n, gsize nlen, const guint8 *e, gsize elen)
{
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    BIGNUM *bn = BN_bin2bn(n, (int)nlen, NULL), *be = BN_bin2bn(e, (int)elen, NULL);
    OSSL_PARAM *p = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *k = NULL;
    if (b && bn && be && c && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be) &&
        (p = OSSL_PARAM_BLD_to_param(b)) && EVP_PKEY_fromdata_init(c) == 1)
        EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, p);
    OSSL_PARAM_free(p);
    OSSL_PARAM_BLD_free(b);
    BN_free(bn);
    BN_free(be);
    EVP_PKEY_CTX_free(c);
    return k;
}

/* SHA-256 of the DER SubjectPublicKeyInfo: the station a keyload is for. */
static gboolean fingerprint(EVP_PKEY *k, guint8 out[32])
{
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(k, &der);
    unsigned int olen = 32;
    gboolean ok = len > 0 && EVP_Digest(der, (size_t)len, out, &olen, EVP_sha256(), NULL) == 1;
    OPENSSL_free(der);
    return ok;
}

static gboolean generate_keyload_pair(TokenStore *ts, GError **error)
{
    static const CK_ULONG bits = KEYLOAD_RSA_BITS;
    static const guint8 e[] = { 1, 0, 1 };
    CK_MECHANISM mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
    CK_ATTRIBUTE pub[] = {
        BOOL_ATTR(CKA_TOKEN, yes), BOOL_ATTR(CKA_PRIVATE, no),
        BOOL_ATTR(CKA_ENCRYPT, no), BOOL_ATTR(CKA_WRAP, yes), BOOL_ATTR(CKA_VERIFY, no),
        { CKA_MODULUS_BITS, (void *)&bits, sizeof bits },
        { CKA_PUBLIC_EXPONENT, (void *)e, sizeof e },
        { CKA_LABEL, LABEL_KEYLOAD, sizeof LABEL_KEYLOAD - 1 }
    };
    CK_ATTRIBUTE priv[] = {
        BOOL_ATTR(CKA_TOKEN, yes), BOOL_ATTR(CKA_PRIVATE, yes), BOOL_ATTR(CKA_SENSITIVE, yes),
        BOOL_ATTR(CKA_EXTRACTABLE, no), BOOL_ATTR(CKA_DECRYPT, no), BOOL_ATTR(CKA_SIGN, no),
        BOOL_ATTR(CKA_UNWRAP, yes),
        { CKA_LABEL, LABEL_KEYLOAD, sizeof LABEL_KEYLOAD - 1 }
    };
    CK_OBJECT_HANDLE hpub, hpriv;
    CK_RV rv = ts->mod->f->C_GenerateKeyPair(ts->session, &mech, pub, G_N_ELEMENTS(pub), priv,
                                             G_N_ELEMENTS(priv), &hpub, &hpriv);
    return rv == CKR_OK || p11_error(error, KV_CORE_ERROR_KEYS, rv, "generating the keyload key");
}

static EVP_PKEY *keyload_public(TokenStore *ts, GError **error)
{
    CK_OBJECT_HANDLE h = find_one(ts, CKO_PUBLIC_KEY, CKK_RSA, LABEL_KEYLOAD);
    CK_ATTRIBUTE a[2] = { { CKA_MODULUS, NULL, 0 }, { CKA_PUBLIC_EXPONENT, NULL, 0 } };
    g_autofree guint8 *n = NULL, *e = NULL;
    EVP_PKEY *k;
    if (h == CK_INVALID_HANDLE) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND,
                    _("the token '%s' has no keyload key: create it with `kilovendctl key "
                    "request`"), ts->label);
        return NULL;
    }
    if (ts->mod->f->C_GetAttributeValue(ts->session, h, a, 2) != CKR_OK) {
        p11_error(error, KV_CORE_ERROR_KEYS, CKR_GENERAL_ERROR, "reading the keyload key");
        return NULL;
    }
    a[0].pValue = n = g_malloc(a[0].ulValueLen);
    a[1].pValue = e = g_malloc(a[1].ulValueLen);
    if (ts->mod->f->C_GetAttributeValue(ts->session, h, a, 2) != CKR_OK ||
        !(k = rsa_public(n, a[0].ulValueLen, e, a[1].ulValueLen))) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("cannot read the keyload key"));
        return NULL;
    }
    return k;
}

char *kv_keystore_pkcs11_keyload_key(KvKeystore *ks, gboolean create, GError **error)
{
    TokenStore *ts = token_of(ks, error);
    EVP_PKEY *k;
    BIO *bio;
    char *out = NULL, *pem;
    long len;
    guint8 fp[32];
    if (!ts)
        return NULL;
    if (create && find_one(ts, CKO_PUBLIC_KEY, CKK_RSA, LABEL_KEYLOAD) == CK_INVALID_HANDLE &&
        !generate_keyload_pair(ts, error))
        return NULL;
    if (!(k = keyload_public(ts, error)))
        return NULL;
    bio = BIO_new(BIO_s_mem());
    if (bio && fingerprint(k, fp) && PEM_write_bio_PUBKEY(bio, k) == 1 &&
        (len = BIO_get_mem_data(bio, &pem)) > 0) {
        char hex[2 * sizeof fp + 1];
        for (guint i = 0; i < sizeof fp; i++)
            g_snprintf(hex + 2 * i, 3, "%02x", fp[i]);
        out = g_strdup_printf("Kilovend keyload key of token '%s' (serial %s)\nSHA-256 %s\n%.*s",
                              ts->label, ts->serial ? ts->serial : "?", hex, (int)len, pem);
    } else {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("cannot write the keyload key"));
    }
    BIO_free(bio);
    EVP_PKEY_free(k);
    return out;
}

static void keyload_tag(const guint8 master[16], const guint8 *data, gsize len, guint8 tag[16])
{
    kv_cmac(master, data, len, tag);
}

GBytes *kv_keyload_create(const KvKeyring *ring, guint version, guint32 utility_code,
                          gboolean make_current, const char *station_pem, GError **error)
{
    const guint8 *mk = kv_keyring_master(ring, version);
    const char *begin = station_pem ? strstr(station_pem, "-----BEGIN") : NULL;
    BIO *bio = begin ? BIO_new_mem_buf(begin, -1) : NULL;
    EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    EVP_PKEY_CTX *c = NULL;
    GByteArray *out = NULL;
    guint8 hdr[KEYLOAD_HDR], tag[16];
    size_t wlen = 0;

    BIO_free(bio);
    if (!mk) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND,
                    _("the key file holds no master key version %u"), version);
        goto out;
    }
    if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA || EVP_PKEY_get_bits(k) < 2048) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("not a station's keyload key (an RSA public key of 2048 bits or more, from "
                    "`kilovendctl key request`)"));
        goto out;
    }
    memcpy(hdr, KEYLOAD_MAGIC, 8);
    hdr[8] = (guint8)version;
    hdr[9] = make_current ? 1 : 0;
    kv_put_be32(hdr + 10, utility_code);
    c = EVP_PKEY_CTX_new(k, NULL);
    /* OAEP with SHA-1 and MGF1-SHA-1, no label: what PKCS#11 tokens unwrap
     * (SoftHSM accepts nothing else). */
    if (!fingerprint(k, hdr + 14) || !c || EVP_PKEY_encrypt_init(c) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha1()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha1()) != 1 ||
        EVP_PKEY_encrypt(c, NULL, &wlen, mk, KV_MASTER_KEY_LEN) != 1 || wlen > 1024) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("wrapping the key failed"));
        goto out;
    }
    hdr[46] = (guint8)(wlen >> 8);
    hdr[47] = (guint8)wlen;
    out = g_byte_array_sized_new(KEYLOAD_HDR + wlen + KEYLOAD_TAG);
    g_byte_array_set_size(out, KEYLOAD_HDR + wlen);
    memcpy(out->data, hdr, KEYLOAD_HDR);
    if (EVP_PKEY_encrypt(c, out->data + KEYLOAD_HDR, &wlen, mk, KV_MASTER_KEY_LEN) != 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("wrapping the key failed"));
        g_byte_array_unref(out);
        out = NULL;
        goto out;
    }
    keyload_tag(mk, out->data, out->len, tag);
    g_byte_array_append(out, tag, sizeof tag);
out:
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(k);
    return out ? g_byte_array_free_to_bytes(out) : NULL;
}

static gboolean unwrap(TokenStore *ts, CK_OBJECT_HANDLE priv, const guint8 *wrapped, gsize wlen,
                       gboolean on_token, const char *label, CK_OBJECT_HANDLE *out)
{
    CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0 };
    CK_MECHANISM mech = { CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep };
    CK_ATTRIBUTE t[16];
    CK_ULONG n = master_template(t, on_token, label, NULL);
    return ts->mod->f->C_UnwrapKey(ts->session, &mech, priv, (CK_BYTE_PTR)wrapped, wlen, t, n,
                                   out) == CKR_OK;
}

gboolean kv_keystore_pkcs11_keyload(KvKeystore *ks, const guint8 *data, gsize len,
                                    guint32 utility_code, guint *version, gboolean *made_current,
                                    GError **error)
{
    TokenStore *ts = token_of(ks, error);
    EVP_PKEY *k;
    guint8 fp[32], tag[16];
    gsize wlen;
    guint v;
    CK_OBJECT_HANDLE priv, trial = CK_INVALID_HANDLE, kept = CK_INVALID_HANDLE;
    g_autofree char *label = NULL;
    gboolean ok;

    if (!ts)
        return FALSE;
    wlen = len >= KEYLOAD_HDR ? (gsize)data[46] << 8 | data[47] : 0;
    if (len < KEYLOAD_HDR || memcmp(data, KEYLOAD_MAGIC, 8) != 0 ||
        len != KEYLOAD_HDR + wlen + KEYLOAD_TAG || data[8] == 0 || data[9] > 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("not a Kilovend keyload file (or it is damaged)"));
        return FALSE;
    }
    v = data[8];
    if (kv_get_be32(data + 10) != utility_code) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED,
                    _("this keyload file is for utility %u, not %u"), kv_get_be32(data + 10),
                    utility_code);
        return FALSE;
    }
    if (!(k = keyload_public(ts, error)))
        return FALSE;
    ok = fingerprint(k, fp);
    EVP_PKEY_free(k);
    if (!ok || CRYPTO_memcmp(fp, data + 14, 32) != 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED,
                    _("this keyload file was made for another station's token, not for '%s'"),
                    ts->label);
        return FALSE;
    }
    if (!refuse_held(ks, v, error))
        return FALSE;
    priv = find_one(ts, CKO_PRIVATE_KEY, CKK_RSA, LABEL_KEYLOAD);
    label = g_strdup_printf(LABEL_MASTER, v);
    /* First a session key to check the tag with: only a key that proves
     * the whole file is kept. */
    ok = priv != CK_INVALID_HANDLE &&
         unwrap(ts, priv, data + KEYLOAD_HDR, wlen, FALSE, "kilovend keyload trial", &trial) &&
         token_sign(ts, trial, data, KEYLOAD_HDR + wlen, tag, NULL) &&
         CRYPTO_memcmp(tag, data + KEYLOAD_HDR + wlen, KEYLOAD_TAG) == 0;
    if (trial != CK_INVALID_HANDLE)
        ts->mod->f->C_DestroyObject(ts->session, trial);
    kv_wipe(tag, sizeof tag);
    if (!ok) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the keyload file was altered or not made for this token: refused"));
        return FALSE;
    }
    if (!unwrap(ts, priv, data + KEYLOAD_HDR, wlen, TRUE, label, &kept))
        return p11_error(error, KV_CORE_ERROR_KEYS, CKR_GENERAL_ERROR, "storing the key");
    if (!put_audit_key(ts, NULL, error) ||
        ((data[9] || !ks->current) && !put_current(ts, v, error)))
        return FALSE;
    scan_token(ks);
    if (version)
        *version = v;
    if (made_current)
        *made_current = ks->current == v;
    return TRUE;
}
