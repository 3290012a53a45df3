/* ctl-keys.c - the key commands of a token station and of the key
 * custodian: status, migrate, request, keyload, load, holdings
 * (docs/keys.md).  generate, import, passwd and rotate of the key file are
 * in ctl-admin.c. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* Success: the object (or {"ok":true}) on stdout with --json. */
static int done(const char *json)
{
    if (ctl.json)
        printf("%s\n", json ? json : "{\"ok\":true}");
    return CTL_EXIT_OK;
}

/* The station with its keys unlocked and its own holdings noted. */
static KvStation *open_noted(GError **error)
{
    g_autoptr(KvStation) st = ctl_open(TRUE, TRUE, error);
    return st && kv_station_key_holdings_note(st, error) ? g_steal_pointer(&st) : NULL;
}

static int key_status(void)
{
    GError *error = NULL;
    g_autoptr(KvStation) st = open_noted(&error);
    g_autoptr(KvKeyHolding) s = st ? kv_station_key_status(st, &error) : NULL;
    g_autofree char *list = NULL, *where = NULL;
    if (!s)
        return ctl_fail(error);
    list = kv_key_versions_text(s->versions, s->n_versions);
    if (ctl.json) {
        where = kv_json_escape(s->where);
        printf("{\"backend\":\"%s\",\"where\":\"%s\",\"current\":%u,\"versions\":[%s]}\n",
               s->backend, where, s->current, list);
    } else {
        ctl_out(_("backend:  %s\n"), strcmp(s->backend, "file") == 0
                                         ? _("key file (passphrase)")
                                         : _("PKCS#11 token (PIN)"));
        ctl_out(_("keys in:  %s\n"), s->where);
        ctl_out(_("current:  version %u\n"), s->current);
        ctl_out(_("versions: %s\n"), list);
    }
    return CTL_EXIT_OK;
}

static int key_migrate(CtlArgs *a)
{
    GError *error = NULL;
    g_autoptr(KvStation) st = NULL;
    char *pass = NULL, *pin = NULL;
    const char *module = ctl_need(a, "module"), *token = module ? ctl_need(a, "token") : NULL;
    gboolean ok;
    if (!token)
        return CTL_EXIT_USAGE;
    if (!(st = ctl_open(TRUE, TRUE, &error)) ||
        !(pass = ctl_secret(ctl.passphrase_file, "KILOVEND_PASSPHRASE", _("Key file passphrase"),
                            &error)) ||
        !(pin = ctl_secret(ctl_opt(a, "pin-file"), "KILOVEND_PIN", _("Token user PIN"), &error))) {
        ctl_secret_free(pass);
        return ctl_fail(error);
    }
    ok = kv_station_keys_migrate(st, pass, module, token, ctl_opt(a, "serial"), pin, &error);
    ctl_secret_free(pass);
    ctl_secret_free(pin);
    if (!ok)
        return ctl_fail(error);
    ctl_out(_("The master keys are in the token '%s' now; the key file was shredded and %s names "
              "the token: unlock with its PIN from now on\n"), token, ctl.keys_path);
    return done("{\"ok\":true,\"backend\":\"pkcs11\"}");
}

static int key_request(CtlArgs *a)
{
    GError *error = NULL;
    g_autoptr(KvStation) st = NULL;
    const char *out = ctl_need(a, "out");
    if (!out)
        return CTL_EXIT_USAGE;
    if (!(st = ctl_open(TRUE, TRUE, &error)) || !kv_station_keyload_request(st, out, &error))
        return ctl_fail(error);
    ctl_out(_("The token's keyload key is in %s: give it to the key custodian\n"), out);
    return done(NULL);
}

/* A token descriptor at --keys, for a new station whose keys will come in
 * keyload files (no database needed). */
static int key_token(CtlArgs *a)
{
    GError *error = NULL;
    const char *module = ctl_need(a, "module"), *token = module ? ctl_need(a, "token") : NULL;
    if (!token)
        return CTL_EXIT_USAGE;
    if (!kv_token_descriptor_write(ctl.keys_path, module, token, ctl_opt(a, "serial"), &error))
        return ctl_fail(error);
    ctl_out(_("%s names the token '%s' now\n"), ctl.keys_path, token);
    return done(NULL);
}

/* The custodian's command: no station database, the custodian's key file
 * (--keys) and its passphrase. */
static int key_keyload(CtlArgs *a)
{
    GError *error = NULL;
    const char *ver = ctl_need(a, "version"), *pem_path = ver ? ctl_need(a, "station-key") : NULL;
    const char *out = pem_path ? ctl_need(a, "out") : NULL;
    const char *uc = out ? ctl_need(a, "utility-code") : NULL;
    g_autofree char *pem = NULL;
    g_autoptr(KvKeyring) ring = NULL;
    g_autoptr(GBytes) load = NULL;
    char *pass = NULL;
    gint64 v = 0, utility = 0;
    gsize len;
    const char *data;
    if (!uc)
        return CTL_EXIT_USAGE;
    if (!kv_decimal_parse(ver, 0, 254, &v, &error) || v == 0 ||
        !kv_decimal_parse(uc, 0, 0xFFFFFFFF, &utility, &error) || utility == 0) {
        g_clear_error(&error);
        return ctl_usage_error(_("--version is 1..254 and --utility-code a number above 0"));
    }
    if (!g_file_get_contents(pem_path, &pem, NULL, &error) ||
        !(pass = ctl_secret(ctl.passphrase_file, "KILOVEND_PASSPHRASE", _("Key file passphrase"),
                            &error)))
        return ctl_fail(error);
    ring = kv_keyring_load(ctl.keys_path, pass, &error);
    ctl_secret_free(pass);
    if (!ring || !(load = kv_keyload_create(ring, (guint)v, (guint32)utility,
                                            ctl_flag(a, "current"), pem, &error)))
        return ctl_fail(error);
    data = g_bytes_get_data(load, &len);
    if (!g_file_set_contents(out, data, (gssize)len, &error))
        return ctl_fail(error);
    ctl_out(_("Keyload file %s: master key version %u for that station's token only\n"), out,
            (guint)v);
    return done(NULL);
}

static int key_load(CtlArgs *a)
{
    GError *error = NULL;
    g_autoptr(KvStation) st = NULL;
    guint v = 0;
    if (a->words->len != 1)
        return ctl_usage_error(_("key load needs one keyload FILE"));
    if (!(st = ctl_open(TRUE, TRUE, &error)) ||
        !kv_station_keyload_import(st, a->words->pdata[0], &v, &error))
        return ctl_fail(error);
    ctl_out(_("Master key version %u is in the token (current: version %u)\n"), v,
            kv_station_key_current(st));
    {
        g_autofree char *json = g_strdup_printf("{\"ok\":true,\"version\":%u,\"current\":%u}", v,
                                                kv_station_key_current(st));
        return done(json);
    }
}

/* The rotation report: which station holds which versions; head office's
 * report of every active station once this station has synced, its own
 * view otherwise. */
static int key_holdings(void)
{
    GError *error = NULL;
    g_autoptr(KvStation) st = open_noted(&error);
    g_autoptr(GPtrArray) h = st ? kv_key_holdings_list(st, &error) : NULL;
    guint8 common[254];
    g_autofree char *all = NULL, *centre_all = NULL, *since = NULL;
    gint64 centre_at;
    if (!h)
        return ctl_fail(error);
    centre_at = kv_key_rollout_reported_at(st, &centre_all);
    all = centre_at ? g_strdup(centre_all ? centre_all : "")
                    : kv_key_versions_text(common, kv_key_holdings_common(h, common));
    if (centre_at) {
        g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(centre_at);
        since = g_date_time_format(t, "%Y-%m-%d %H:%M");
    }
    if (ctl.json)
        printf("{\"source\":\"%s\",\"reported_at\":%" G_GINT64_FORMAT ",\"stations\":[",
               centre_at ? "head-office" : "station", centre_at);
    else if (centre_at)
        ctl_out(_("Key versions held, by active station (head office's report of %s UTC)\n"), since);
    else
        ctl_out(_("Key versions held, by station (this station's view: not synced)\n"));
    for (guint i = 0; i < h->len; i++) {
        const KvKeyHolding *k = h->pdata[i];
        g_autofree char *list = kv_key_versions_text(k->versions, k->n_versions);
        g_autofree char *name = kv_json_escape(k->station);
        g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc(k->reported_at);
        g_autofree char *when = g_date_time_format(at, "%Y-%m-%d %H:%M");
        if (ctl.json)
            printf("%s{\"station\":\"%s\",\"backend\":\"%s\",\"versions\":[%s],\"reported_at\":%"
                   G_GINT64_FORMAT "}", i ? "," : "", name, k->backend, list, k->reported_at);
        else
            ctl_out("  %-32s %-7s %-16s %s\n", k->station, k->backend, list, when);
    }
    if (ctl.json) {
        printf("],\"held_by_all\":[%s],\"current\":%u}\n", all, kv_station_key_current(st));
        return CTL_EXIT_OK;
    }
    ctl_out(_("Held by every station (may become current for new meters): %s\n"), *all ? all : _("none"));
    if (centre_at)
        ctl_out(_("Current at head office: version %u; here: version %u\n"),
                kv_station_key_centre_current(st), kv_station_key_current(st));
    return CTL_EXIT_OK;
}

int ctl_cmd_key_more(const char *sub, int argc, char **argv)
{
    static const char *const flags[] = { "current", NULL };
    CtlArgs a = { 0 };
    int rc;
    if (!ctl_args_parse(&a, argc, argv, flags))
        return CTL_EXIT_USAGE;
    if (strcmp(sub, "status") == 0)
        rc = key_status();
    else if (strcmp(sub, "migrate") == 0)
        rc = key_migrate(&a);
    else if (strcmp(sub, "token") == 0)
        rc = key_token(&a);
    else if (strcmp(sub, "request") == 0)
        rc = key_request(&a);
    else if (strcmp(sub, "keyload") == 0)
        rc = key_keyload(&a);
    else if (strcmp(sub, "load") == 0)
        rc = key_load(&a);
    else if (strcmp(sub, "holdings") == 0)
        rc = key_holdings();
    else
        rc = ctl_usage_error(_("key needs generate, import, passwd, rotate, status, migrate, "
                               "token, request, keyload, load or holdings"));
    ctl_args_clear(&a);
    return rc;
}
