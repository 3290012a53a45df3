/* test-keystore.c - the master keys in a PKCS#11 token (SoftHSM2): the
 * token derives what crypto/ derives, the key file migrates into it, the
 * station sells with it, keyload files; and the attacks on it
 * (docs/security-model.md, "The master key in a hardware token"). */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <openssl/rand.h>

#include "keys-fixture.h"
#include "kv_util.h"

static char *hsm_dir;

/* A station whose key file (rotated to three versions first) was migrated
 * into the token label; *ring: a copy of that key file's keys, as the key
 * custodian keeps them. */
static void station_on_token(Fx *f, const char *label, KvKeyring **ring)
{
    g_autoptr(GError) e = NULL;
    fx_setup(f, NULL);
    g_assert_cmpuint(kv_keyfile_rotate(f->keys, FX_PASSPHRASE, &e), ==, 2);
    g_assert_cmpuint(kv_keyfile_rotate(f->keys, FX_PASSPHRASE, &e), ==, 3);
    if (ring) {
        *ring = kv_keyring_load(f->keys, FX_PASSPHRASE, &e);
        g_assert_no_error(e);
    }
    kf_station_on_token(f, label);
}

/* A test's station on the token its data names, and the custodian's copy
 * of the keys. */
typedef struct {
    Fx f;
    KvKeyring *ring;
} Kx;

static void kx_setup(Kx *x, gconstpointer label)
{
    station_on_token(&x->f, label, &x->ring);
}

static void kx_teardown(Kx *x, gconstpointer label)
{
    kv_keyring_free(x->ring);
    fx_teardown(&x->f, NULL);
}

static void derive_file(const KvKeyring *ring, KvKeyKind kind, guint v, guint32 u, guint32 m,
                        guint8 out[16])
{
    const guint8 *mk = kv_keyring_master(ring, v);
    g_assert_nonnull(mk);
    switch (kind) {
    case KV_KEY_KIND_METER: kv_derive_meter_key(mk, u, m, (uint8_t)v, out); break;
    case KV_KEY_KIND_PSC: kv_derive_psc_key(mk, u, m, (uint8_t)v, out); break;
    case KV_KEY_KIND_TRANSPORT: kv_derive_transport_key(mk, u, m, (uint8_t)v, out); break;
    }
}

/* The token's derivation (CKM_AES_CMAC inside it) equals crypto/'s, for
 * random utilities, meters and versions, for every kind of key the
 * contract derives from a master key. */
static void test_derive_equals_contract(Kx *x, gconstpointer data)
{
    Fx *f = &x->f;
    KvKeyring *ring = x->ring;
    g_autoptr(KvKeystore) ks = NULL;
    g_autoptr(GError) e = NULL;
    guint counts[KV_KEY_KIND_COUNT] = { 0 };

    ks = kv_keystore_open(f->keys, KF_PIN, &e);
    g_assert_no_error(e);
    g_assert_cmpstr(kv_keystore_backend(ks), ==, "pkcs11");
    g_assert_cmpuint(kv_keystore_current(ks), ==, 3);
    for (guint i = 0; i < 300; i++) {
        guint8 r[9], a[16], b[16];
        KvKeyKind kind = i % KV_KEY_KIND_COUNT;
        guint v;
        guint32 u, m;
        g_assert_cmpint(RAND_bytes(r, sizeof r), ==, 1);
        v = 1 + r[0] % 3;
        u = kv_get_be32(r + 1);
        m = kv_get_be32(r + 5);
        derive_file(ring, kind, v, u, m, a);
        g_assert_true(kv_keystore_derive(ks, kind, v, u, m, b, &e));
        g_assert_no_error(e);
        g_assert_cmpmem(a, 16, b, 16);
        counts[kind]++;
    }
    for (guint k = 0; k < KV_KEY_KIND_COUNT; k++)
        g_assert_cmpuint(counts[k], ==, 100);
    /* A version the token does not hold derives nothing. */
    {
        guint8 out[16] = { 0 };
        g_assert_false(kv_keystore_derive(ks, KV_KEY_KIND_METER, 4, 1, 1, out, &e));
        g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_KEYS);
    }
}

/* A card issued for FX_M1 and a sale on it (completed); k: the meter's
 * k_meter, k_psc, k_transport as the custodian's copy derives them, and
 * their kv_meter_keys in keys. */
static KvCardLink *sell_on_token(Kx *x, const char *card_name, guint8 k[3][16],
                                 kv_meter_keys *keys)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvSale) sale = NULL;
    KvCardLink *card = fx_issued_card(&x->f, FX_M1, card_name);
    guint kv, pv;
    sale = fx_sell(&x->f, card, FX_M1, 5000, &e);
    g_assert_no_error(e);
    g_assert_cmpint(sale->state, ==, KV_SALE_COMPLETED);
    kv = (guint)fx_raw_int(&x->f, "SELECT key_version FROM meters WHERE number = 123456782");
    pv = (guint)fx_raw_int(&x->f, "SELECT psc_key_version FROM meters WHERE number = 123456782");
    derive_file(x->ring, KV_KEY_KIND_METER, kv, FX_UTILITY, FX_M1, k[0]);
    derive_file(x->ring, KV_KEY_KIND_PSC, pv, FX_UTILITY, FX_M1, k[1]);
    derive_file(x->ring, KV_KEY_KIND_TRANSPORT, pv, FX_UTILITY, FX_M1, k[2]);
    kv_meter_keys_init(keys, k[0], (uint8_t)kv, k[1]);
    return card;
}

/* The migration: the key file is gone (shredded), the key path names the
 * token, the audit log records it and still verifies with every MAC (the
 * audit key came along), the admin sells as before. */
static void test_migrate_and_sell(Kx *x, gconstpointer data)
{
    Fx *f = &x->f;
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = NULL;
    g_autoptr(KvAuditReport) r = NULL;
    g_autofree char *text = NULL, *leftover = NULL;
    kv_card_view view;
    kv_meter_keys keys;
    guint8 k[3][16];

    g_assert_true(g_file_get_contents(f->keys, &text, NULL, NULL));
    g_assert_true(g_str_has_prefix(text, "[kilovend-token]"));
    leftover = g_strconcat(f->keys, ".token", NULL);
    g_assert_false(g_file_test(leftover, G_FILE_TEST_EXISTS));
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'keys.migrate'"),
                    ==, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM key_holdings WHERE backend = 'pkcs11'"),
                    ==, 3);

    /* A sale end to end on the token's keys.  The card holds a token that
     * the key file's keys open: the meter, provisioned from the file,
     * loads it. */
    card = sell_on_token(x, "c1.card", k, &keys);
    kv_wipe(k, sizeof k);
    g_assert_cmpint(kv_card_decode(&keys, kv_card_link_image(card), &view), ==, KV_OK);
    g_assert_cmpint(view.token_err, ==, KV_OK);
    g_assert_cmpint(view.token.kind, ==, KV_TOKEN_CREDIT);
    kv_meter_keys_wipe(&keys);

    /* Unlock again with the PIN: the audit chain verifies, keyed. */
    kv_station_lock_keys(f->st);
    g_assert_true(kv_station_unlock_keys(f->st, KF_PIN, NULL, NULL, &e));
    g_assert_no_error(e);
    r = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    g_assert_true(r->keyed);
    g_assert_cmpuint(r->problems->len, ==, 0);
}

/* A wrong PIN: refused (AUTH, "PIN"), and not counted against the
 * supervisor's account: the token counts wrong PINs. */
static void test_wrong_pin_counted_by_token(Kx *x, gconstpointer data)
{
    Fx *f = &x->f;
    g_autoptr(GError) e = NULL;
    kv_station_lock_keys(f->st);
    for (int i = 0; i < 6; i++) {
        g_assert_false(kv_station_unlock_keys(f->st, "000000", NULL, NULL, &e));
        g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_AUTH);
        g_assert_nonnull(strstr(e->message, "PIN"));
        g_clear_error(&e);
    }
    g_assert_false(kv_station_keys_unlocked(f->st));
    g_assert_cmpint(fx_raw_int(f, "SELECT failed_logins FROM users WHERE login = 'admin'"), ==,
                    0);
    g_assert_true(kv_station_unlock_keys(f->st, KF_PIN, NULL, NULL, &e));
    g_assert_no_error(e);
}

/* Attack: read the master key out of the token, as anyone holding the PIN
 * could try: its value, making it extractable or not sensitive, wrapping
 * it under a key of one's own or under the token's keyload key. */
static void test_attack_master_unreadable(Kx *x, gconstpointer data)
{
    Fx *f = &x->f;
    CK_FUNCTION_LIST_PTR p;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE mk, kek, pub;
    guint8 value[64];
    CK_ATTRIBUTE a = { CKA_VALUE, value, sizeof value };
    CK_BBOOL t = CK_TRUE, fl = CK_FALSE, sens = CK_FALSE, extr = CK_TRUE;
    CK_ATTRIBUTE flags[] = { { CKA_SENSITIVE, &sens, 1 }, { CKA_EXTRACTABLE, &extr, 1 } };
    CK_ATTRIBUTE make_extr = { CKA_EXTRACTABLE, &t, 1 };
    CK_ATTRIBUTE make_open = { CKA_SENSITIVE, &fl, 1 };
    CK_ULONG len16 = 16;
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE aes = CKK_AES;
    CK_ATTRIBUTE kt[] = { { CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &aes, sizeof aes },
                          { CKA_VALUE_LEN, &len16, sizeof len16 }, { CKA_WRAP, &t, 1 },
                          { CKA_TOKEN, &fl, 1 } };
    CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
    CK_MECHANISM wrap = { CKM_AES_KEY_WRAP, NULL, 0 };
    CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0 };
    CK_MECHANISM rsa = { CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep };
    guint8 out[1024];
    CK_ULONG outlen = sizeof out;
    g_autofree char *pem = NULL;
    g_autoptr(GError) e = NULL;

    g_assert_true(kv_station_keyload_request(f->st, (pem = fx_path(f, "a.pem")), &e));
    g_assert_no_error(e);
    p = kf_p11();
    s = kf_session("attack-read");
    mk = kf_find(s, CKO_SECRET_KEY, "kilovend master 1");
    g_assert_cmpuint(mk, !=, CK_INVALID_HANDLE);

    g_assert_cmpuint(p->C_GetAttributeValue(s, mk, &a, 1), ==, CKR_ATTRIBUTE_SENSITIVE);
    g_assert_cmpuint(a.ulValueLen, ==, CK_UNAVAILABLE_INFORMATION);
    g_assert_cmpuint(p->C_GetAttributeValue(s, mk, flags, 2), ==, CKR_OK);
    g_assert_true(sens == CK_TRUE && extr == CK_FALSE);
    g_assert_cmpuint(p->C_SetAttributeValue(s, mk, &make_extr, 1), !=, CKR_OK);
    g_assert_cmpuint(p->C_SetAttributeValue(s, mk, &make_open, 1), !=, CKR_OK);

    g_assert_cmpuint(p->C_GenerateKey(s, &gen, kt, G_N_ELEMENTS(kt), &kek), ==, CKR_OK);
    g_assert_cmpuint(p->C_WrapKey(s, &wrap, kek, mk, out, &outlen), ==, CKR_KEY_UNEXTRACTABLE);
    pub = kf_find(s, CKO_PUBLIC_KEY, "kilovend keyload");
    g_assert_cmpuint(pub, !=, CK_INVALID_HANDLE);
    outlen = sizeof out;
    g_assert_cmpuint(p->C_WrapKey(s, &rsa, pub, mk, out, &outlen), ==, CKR_KEY_UNEXTRACTABLE);
    p->C_CloseSession(s);
}

/* The custodian makes version 4 for a station from its public keyload key;
 * the station imports it (audited), holds it, and derives with it what the
 * custodian's file derives. */
static GBytes *keyload_for(Fx *station, KvKeyring *custodian, guint version)
{
    g_autofree char *pem_path = fx_path(station, "keyload.pem");
    g_autofree char *pem = NULL;
    g_autoptr(GError) e = NULL;
    GBytes *b;
    g_assert_true(kv_station_keyload_request(station->st, pem_path, &e));
    g_assert_no_error(e);
    g_assert_true(g_file_get_contents(pem_path, &pem, NULL, NULL));
    b = kv_keyload_create(custodian, version, FX_UTILITY, FALSE, pem, &e);
    g_assert_no_error(e);
    return b;
}

static void write_bytes(const char *path, GBytes *b)
{
    gsize len;
    const char *d = g_bytes_get_data(b, &len);
    g_assert_true(g_file_set_contents(path, d, (gssize)len, NULL));
}

static void test_keyload(Kx *x, gconstpointer data)
{
    Fx *f = &x->f;
    KvKeyring *ring = x->ring;
    g_autoptr(GBytes) load = NULL;
    g_autoptr(GError) e = NULL;
    g_autoptr(KvKeystore) ks = NULL;
    g_autofree char *path = NULL;
    guint v = 0;
    guint8 a[16], b[16];

    g_assert_cmpuint(kv_keyring_rotate(ring, &e), ==, 4);
    load = keyload_for(f, ring, 4);
    write_bytes((path = fx_path(f, "v4.kvload")), load);
    g_assert_true(kv_station_keyload_import(f->st, path, &v, &e));
    g_assert_no_error(e);
    g_assert_cmpuint(v, ==, 4);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'keys.load'"), ==, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM key_holdings WHERE key_version = 4"), ==,
                    1);
    /* Staged, not current: new meters keep version 3 until it is made so. */
    g_assert_cmpuint(kv_station_key_version(f->st), ==, 3);
    ks = kv_keystore_open(f->keys, KF_PIN, &e);
    g_assert_no_error(e);
    derive_file(ring, KV_KEY_KIND_METER, 4, FX_UTILITY, FX_M2, a);
    g_assert_true(kv_keystore_derive(ks, KV_KEY_KIND_METER, 4, FX_UTILITY, FX_M2, b, &e));
    g_assert_cmpmem(a, 16, b, 16);
    /* The same file again: refused, the version is there. */
    g_assert_false(kv_station_keyload_import(f->st, path, &v, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS);
}

/* Attack: a keyload file made for station A, carried to station B: B
 * refuses it, as is and with A's station fingerprint replaced by B's. */
static void test_attack_keyload_other_station(Kx *x, gconstpointer data)
{
    Fx *fa = &x->f, fb;
    KvKeyring *ring = x->ring;
    g_autoptr(GBytes) for_a = NULL, for_b = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *path = NULL;
    g_autoptr(GByteArray) forged = NULL;
    gsize len;
    const guint8 *d;
    guint v = 0;

    station_on_token(&fb, "station-b", NULL);
    g_assert_cmpuint(kv_keyring_rotate(ring, &e), ==, 4);
    for_a = keyload_for(fa, ring, 4);
    for_b = keyload_for(&fb, ring, 4); /* B has a keyload key of its own */
    write_bytes((path = fx_path(&fb, "a.kvload")), for_a);
    g_assert_false(kv_station_keyload_import(fb.st, path, &v, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);

    /* B's fingerprint in A's file (the attacker knows B's public key). */
    d = g_bytes_get_data(for_a, &len);
    forged = g_byte_array_new();
    g_byte_array_append(forged, d, (guint)len);
    memcpy(forged->data + 14, (const guint8 *)g_bytes_get_data(for_b, NULL) + 14, 32);
    g_assert_true(g_file_set_contents(path, (const char *)forged->data, forged->len, NULL));
    g_assert_false(kv_station_keyload_import(fb.st, path, &v, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_assert_cmpint(fx_raw_int(&fb, "SELECT count(*) FROM key_holdings WHERE key_version = 4"),
                    ==, 0);
    g_assert_cmpint(fx_raw_int(&fb, "SELECT count(*) FROM audit WHERE action = "
                                    "'keys.load.refused'"), ==, 2);
    fx_teardown(&fb, NULL);
}

/* Attack: a keyload file altered anywhere (the version, the flags, the
 * wrapped key, the tag) is refused, and nothing enters the token. */
static void test_attack_keyload_tampered(Kx *x, gconstpointer data)
{
    Fx *f = &x->f;
    KvKeyring *ring = x->ring;
    g_autoptr(GBytes) load = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *path = NULL;
    gsize len;
    const guint8 *d;
    guint v = 0;

    g_assert_cmpuint(kv_keyring_rotate(ring, &e), ==, 4);
    load = keyload_for(f, ring, 4);
    d = g_bytes_get_data(load, &len);
    path = fx_path(f, "t.kvload");
    {
        const gsize at[] = { 8, 9, 48, 48 + 200, len - 16, len - 1 };
        for (guint i = 0; i < G_N_ELEMENTS(at); i++) {
            g_autofree guint8 *copy = g_memdup2(d, len);
            copy[at[i]] ^= at[i] == 9 ? 0x01 : 0x40;
            g_assert_true(g_file_set_contents(path, (const char *)copy, (gssize)len, NULL));
            g_assert_false(kv_station_keyload_import(f->st, path, &v, &e));
            g_assert_true(g_error_matches(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID));
            g_clear_error(&e);
        }
    }
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM key_holdings WHERE key_version = 4"), ==,
                    0);
    {
        g_autoptr(KvKeyHolding) s = kv_station_key_status(f->st, &e);
        g_assert_cmpuint(s->n_versions, ==, 3);
    }
    /* The file itself still loads: what was refused was the alteration. */
    write_bytes(path, load);
    g_assert_true(kv_station_keyload_import(f->st, path, &v, &e));
    g_assert_no_error(e);
}

/* The first place in buf (len bytes; < 0: none) holding the 16 bytes
 * that masked holds XORed with 0x5A; NULL if none. */
static const guint8 *find_masked(const guint8 *buf, gssize len, const guint8 masked[16])
{
    const guint8 *p = buf, *end = buf + (len > 15 ? len - 15 : 0);
    while (p < end && (p = memchr(p, masked[0] ^ 0x5A, (gsize)(end - p)))) {
        guint j = 1;
        while (j < 16 && p[j] == (guint8)(masked[j] ^ 0x5A))
            j++;
        if (j == 16)
            return p;
        p++;
    }
    return NULL;
}

/* Where needle (kept XORed with 0x5A, so that the test holds no plain
 * copy) occurs in the process's readable memory (/proc/self/mem, region
 * by region as /proc/self/maps lists them): the region's line, or NULL. */
static char *memory_holds(const guint8 masked[16])
{
    g_autofree char *maps = NULL;
    g_auto(GStrv) lines = NULL;
    int fd = open("/proc/self/mem", O_RDONLY);
    g_autofree guint8 *buf = g_malloc(1 << 20);
    char *found = NULL;
    g_assert_cmpint(fd, >=, 0);
    g_assert_true(g_file_get_contents("/proc/self/maps", &maps, NULL, NULL));
    lines = g_strsplit(maps, "\n", -1);
    for (guint l = 0; !found && lines[l]; l++) {
        unsigned long lo, hi;
        char perms[5];
        /* Regions of 1 GiB and more are reservations (a sanitizer's shadow
         * memory), not the station's data. */
        if (sscanf(lines[l], "%lx-%lx %4s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
            hi - lo >= (1ul << 30) || strstr(lines[l], "[vvar]") ||
            strstr(lines[l], "[vsyscall]"))
            continue;
        for (unsigned long at = lo; !found && at < hi; at += (1 << 20) - 15) {
            gsize want = MIN((gsize)(hi - at), (gsize)1 << 20);
            ssize_t got = pread(fd, buf, want, (off_t)at);
            const guint8 *p = find_masked(buf, got, masked);
            if (p)
                found = g_strdup_printf("%s (at 0x%lx)", lines[l], at + (unsigned long)(p - buf));
        }
    }
    close(fd);
    kv_wipe(buf, 1 << 20);
    return found;
}

static void mask(guint8 *k, gsize n)
{
    for (gsize i = 0; i < n; i++)
        k[i] ^= 0x5A;
}

/* Attack: after a sale on the token, search the whole memory of the
 * station's process (as a core dump would show it) for the keys the token
 * derived for the meter and those derived from them: none is left. */
static void test_attack_derived_key_not_in_memory(Kx *x, gconstpointer data)
{
    guint8 k[6][16];
    const char *names[6] = { "k_meter", "k_psc", "k_transport", "k_enc", "k_mac", "k_rb" };
    kv_meter_keys keys;
    kv_card_link_free(sell_on_token(x, "m.card", (guint8 (*)[16])k, &keys));

    memcpy(k[3], keys.k_enc, 16);
    memcpy(k[4], keys.k_mac, 16);
    memcpy(k[5], keys.k_rb, 16);
    kv_meter_keys_wipe(&keys);
    mask(&k[0][0], sizeof k);
    /* The key file's copy is the test's own: out of memory before the search. */
    g_clear_pointer(&x->ring, kv_keyring_free);
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *where = memory_holds(k[i]);
        if (where)
            g_error("%s of the meter sold to is in the process's memory: %s", names[i], where);
    }
    /* The search finds a key that is there. */
    {
        guint8 *probe = g_malloc(16);
        g_autofree char *where = NULL;
        memcpy(probe, k[0], 16);
        mask(probe, 16);
        where = memory_holds(k[0]);
        g_assert_nonnull(where);
        kv_wipe(probe, 16);
        g_free(probe);
    }
    kv_wipe(k, sizeof k);
}

/* The keys sold with (k_meter, k_psc, k_transport, k_enc, k_mac, k_rb),
 * each XORed with 0x5A, computed from the custodian's copy in a child
 * process: this process never computes them, so what a search of it
 * finds was left by the station. */
static void sold_keys_masked(Kx *x, guint8 k[6][16])
{
    int fds[2];
    pid_t pid;
    int status = 0;
    guint kv = (guint)fx_raw_int(&x->f, "SELECT key_version FROM meters WHERE number = 123456782");
    guint pv = (guint)fx_raw_int(&x->f, "SELECT psc_key_version FROM meters WHERE number = 123456782");
    g_assert_cmpint(pipe(fds), ==, 0);
    fflush(NULL);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        kv_meter_keys keys;
        close(fds[0]);
        derive_file(x->ring, KV_KEY_KIND_METER, kv, FX_UTILITY, FX_M1, k[0]);
        derive_file(x->ring, KV_KEY_KIND_PSC, pv, FX_UTILITY, FX_M1, k[1]);
        derive_file(x->ring, KV_KEY_KIND_TRANSPORT, pv, FX_UTILITY, FX_M1, k[2]);
        kv_meter_keys_init(&keys, k[0], (uint8_t)kv, k[1]);
        memcpy(k[3], keys.k_enc, 16);
        memcpy(k[4], keys.k_mac, 16);
        memcpy(k[5], keys.k_rb, 16);
        mask(&k[0][0], 6 * 16);
        _exit(write(fds[1], k, 6 * 16) == 6 * 16 ? 0 : 1);
    }
    close(fds[1]);
    g_assert_cmpint(read(fds[0], k, 6 * 16), ==, 6 * 16);
    close(fds[0]);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Attack: a core dump of the station's process after a sale on the token
 * (gcore: what a crash or an operator's debugger writes to disk, stack
 * included) holds none of the keys derived for the meter sold to.  The
 * dump is shown to hold the heap: a marker put there is found in it. */
static void test_attack_derived_key_not_in_core(Kx *x, gconstpointer data)
{
    guint8 k[6][16], probe[16], *marker;
    const char *names[6] = { "k_meter", "k_psc", "k_transport", "k_enc", "k_mac", "k_rb" };
    g_autofree char *prefix = fx_path(&x->f, "station"), *pid = g_strdup_printf("%d", getpid());
    g_autofree char *core = g_strdup_printf("%s.%s", prefix, pid);
    g_autofree guint8 *image = NULL;
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = NULL;
    g_autoptr(KvSale) sale = NULL;
    /* Waits for this process to stop at the sale's last stop point,
     * dumps it there (the sale's frames just returned from), resumes it. */
    g_autofree char *script = g_strdup_printf(
        "n=0; while [ \"$(awk '{print $3}' /proc/%s/stat)\" != T ] && [ $n -lt 600 ]; do "
        "sleep 0.05; n=$((n + 1)); done; gcore -o '%s' %s >/dev/null 2>&1; kill -CONT %s",
        pid, prefix, pid, pid);
    const char *argv[] = { "sh", "-c", script, NULL };
    GPid helper;
    gsize len = 0;

    if (!g_find_program_in_path("gcore")) {
        g_test_skip("gcore (gdb) is not installed");
        return;
    }
    card = fx_issued_card(&x->f, FX_M1, "m.card");
    sold_keys_masked(x, k);
    g_clear_pointer(&x->ring, kv_keyring_free);
    /* The marker, on the heap: k_meter ^ 0xA5 (k[0] is k_meter ^ 0x5A). */
    marker = g_malloc(16);
    for (guint i = 0; i < 16; i++) {
        marker[i] = k[0][i] ^ 0xFF;
        probe[i] = k[0][i] ^ 0xA5; /* probe ^ 0x5A is the marker */
    }
    g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                &helper, &e));
    g_assert_no_error(e);
    g_setenv("KILOVEND_TEST_STOP", "sale-completed", TRUE);
    sale = fx_sell(&x->f, card, FX_M1, 5000, &e);
    g_unsetenv("KILOVEND_TEST_STOP");
    g_assert_no_error(e);
    g_assert_cmpint(sale->state, ==, KV_SALE_COMPLETED);
    g_assert_cmpint(waitpid(helper, NULL, 0), ==, helper);
    g_assert_true(g_file_get_contents(core, (char **)&image, &len, &e));
    g_assert_no_error(e);
    g_unlink(core);
    g_assert_nonnull(find_masked(image, (gssize)len, probe));
    for (guint i = 0; i < G_N_ELEMENTS(names); i++)
        if (find_masked(image, (gssize)len, k[i]))
            g_error("%s of the meter sold to is in the core dump (offset %td)", names[i],
                    find_masked(image, (gssize)len, k[i]) - image);
    kv_wipe(image, len);
    kv_wipe(marker, 16);
    g_free(marker);
    kv_wipe(k, sizeof k);
}

int main(int argc, char **argv)
{
    /* Each test on a token of its own (SoftHSM lists the tokens it finds
     * when the module is first initialised: all are made first). */
    static const struct {
        const char *path, *token;
        void (*test)(Kx *x, gconstpointer token);
    } tests[] = {
        { "/keys/derive-equals-contract", "derive", test_derive_equals_contract },
        { "/keys/migrate-and-sell", "migrate", test_migrate_and_sell },
        { "/keys/wrong-pin-counted-by-token", "pin", test_wrong_pin_counted_by_token },
        { "/keys/keyload", "keyload", test_keyload },
        { "/keys/attack/master-unreadable", "attack-read", test_attack_master_unreadable },
        { "/keys/attack/keyload-other-station", "station-a", test_attack_keyload_other_station },
        { "/keys/attack/keyload-tampered", "tamper", test_attack_keyload_tampered },
        { "/keys/attack/derived-key-not-in-memory", "memory",
          test_attack_derived_key_not_in_memory },
        { "/keys/attack/derived-key-not-in-core", "core", test_attack_derived_key_not_in_core },
    };
    int rc;
    g_test_init(&argc, &argv, NULL);
    hsm_dir = g_dir_make_tmp("kvhsm-XXXXXX", NULL);
    kf_softhsm_setup(hsm_dir);
    kf_token_init("station-b");
    for (guint i = 0; i < G_N_ELEMENTS(tests); i++) {
        kf_token_init(tests[i].token);
        g_test_add(tests[i].path, Kx, tests[i].token, kx_setup, tests[i].test, kx_teardown);
    }
    rc = g_test_run();
    {
        const char *argv2[] = { "rm", "-rf", hsm_dir, NULL };
        g_spawn_sync(NULL, (char **)argv2, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                     NULL, NULL);
    }
    return rc;
}
