/* ctl-admin.c - init, keys, users, settings, tariffs, backup, restore,
 * check, audit. */
#include <stdio.h>
#include <unistd.h>
#include <string.h>


#include "ctl.h"

#define ARGS_OR_USAGE(a, argc, argv, flags) \
    if (!ctl_args_parse(&(a), (argc), (argv), (flags))) \
        return CTL_EXIT_USAGE

typedef char char_secret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(char_secret, ctl_secret_free)

/* A new secret typed twice on a terminal, or taken from env/file once. */
static char *new_secret(const char *file, const char *env, const char *what, GError **error)
{
    char *a, *b;
    if (file || (env && g_getenv(env) && *g_getenv(env)))
        return ctl_secret(file, env, what, error);
    a = ctl_secret(NULL, NULL, what, error);
    if (!a)
        return NULL;
    b = ctl_secret(NULL, NULL, _("Again"), error);
    if (!b || strcmp(a, b) != 0) {
        ctl_secret_free(a);
        ctl_secret_free(b);
        g_clear_error(error);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("the two entries differ"));
        return NULL;
    }
    ctl_secret_free(b);
    return a;
}

/* The end of a command that parsed arguments: {"ok":true} in JSON on
 * success, the error's message and exit code otherwise. */
static int finish(CtlArgs *a, GError *error)
{
    ctl_args_clear(a);
    if (error)
        return ctl_fail(error);
    if (ctl.json)
        printf("{\"ok\":true}\n");
    return CTL_EXIT_OK;
}

int ctl_cmd_init(int argc, char **argv)
{
    static const char *const allowed[] = { "utility-name", "utility-code", "currency",
                                           "minor-digits", "office", "station", "admin",
                                           NULL };
    CtlArgs a = { 0 };
    KvInitParams p = { 0 };
    GError *error = NULL;
    g_autoptr(char_secret) pw = NULL, pass = NULL;
    gint64 v;
    int rc = CTL_EXIT_OK;

    ARGS_OR_USAGE(a, argc - 1, argv + 1, NULL);
    if (!ctl_args_only(&a, allowed) || !(p.utility_name = ctl_need(&a, "utility-name")) ||
        !ctl_need(&a, "utility-code") || !(p.currency = ctl_need(&a, "currency"))) {
        ctl_args_clear(&a);
        return CTL_EXIT_USAGE;
    }
    if (!kv_decimal_parse(ctl_opt(&a, "utility-code"), 0, 0xFFFFFFFF, &v, &error) || v == 0)
        goto invalid;
    p.utility_code = (guint32)v;
    if (ctl_opt(&a, "minor-digits")) {
        if (!kv_decimal_parse(ctl_opt(&a, "minor-digits"), 0, 3, &v, &error))
            goto invalid;
        p.minor_digits = (guint)v;
    } else {
        p.minor_digits = 2;
    }
    if (ctl_opt(&a, "office")) {
        if (!kv_decimal_parse(ctl_opt(&a, "office"), 0, 4094, &v, &error))
            goto invalid;
        p.office_id = (guint16)v;
    }
    if (ctl_opt(&a, "station")) {
        if (!kv_decimal_parse(ctl_opt(&a, "station"), 0, KV_STATION_NO_MAX, &v, &error))
            goto invalid;
        p.station_no = (guint16)v;
    }
    p.admin_login = ctl_opt(&a, "admin") ? ctl_opt(&a, "admin") : "admin";
    if (!(pw = new_secret(ctl.password_file, "KILOVEND_PASSWORD", "New admin password", &error)))
        goto fail;
    p.admin_password = pw;
    /* The key file: created if missing (an office joining a utility brings
     * the existing one), checked against the passphrase otherwise. */
    if (!g_file_test(ctl.keys_path, G_FILE_TEST_EXISTS)) {
        if (!(pass = new_secret(ctl.passphrase_file, "KILOVEND_PASSPHRASE", "New key file passphrase",
                                &error)) ||
            !kv_keyfile_generate(ctl.keys_path, pass, &error))
            goto fail;
    } else {
        /* A key file, or a token descriptor (the PIN as the passphrase). */
        g_autoptr(KvKeystore) ks = NULL;
        if (!(pass = ctl_secret(ctl.passphrase_file, "KILOVEND_PASSPHRASE", _("Key file passphrase"),
                                &error)) ||
            !(ks = kv_keystore_open(ctl.keys_path, pass, &error)))
            goto fail;
    }
    if (!kv_station_init(ctl.db_path, &p, &error))
        goto fail;
    ctl_out(_("Created %s (utility %u, office %u) with admin '%s'; keys in %s\n"), ctl.db_path,
            p.utility_code, p.office_id, p.admin_login, ctl.keys_path);
    if (ctl.json)
        printf("{\"ok\":true,\"db\":\"%s\"}\n", ctl.db_path);
    ctl_args_clear(&a);
    return rc;
invalid:
    if (!error)
        g_set_error(&error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("the utility code must be > 0"));
fail:
    ctl_args_clear(&a);
    return ctl_fail(error);
}

int ctl_cmd_key(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(char_secret) pass = NULL, newpass = NULL;

    if (!g_strv_contains((const char *const[]){ "generate", "import", "passwd", "rotate", NULL },
                         sub))
        return ctl_cmd_key_more(sub, argc - 2, argv + 2); /* ctl-keys.c */
    ARGS_OR_USAGE(a, argc - 2, argv + 2, NULL);
    if (strcmp(sub, "generate") == 0) {
        if (!(pass = new_secret(ctl.passphrase_file, "KILOVEND_PASSPHRASE", "New key file passphrase",
                                &error)) ||
            !kv_keyfile_generate(ctl.keys_path, pass, &error))
            goto fail;
        ctl_out(_("Generated a new master key (version 1) in %s\n"), ctl.keys_path);
    } else if (strcmp(sub, "import") == 0) {
        g_autoptr(char_secret) hex = NULL;
        const char *f = ctl_need(&a, "hex-file");
        gsize len;
        if (!f) {
            ctl_args_clear(&a);
            return CTL_EXIT_USAGE;
        }
        if (!g_file_get_contents(f, &hex, &len, &error) ||
            !(pass = new_secret(ctl.passphrase_file, "KILOVEND_PASSPHRASE", "New key file passphrase",
                                &error)) ||
            !kv_keyfile_import(ctl.keys_path, g_strstrip(hex), pass, &error))
            goto fail;
        ctl_out(_("Imported the master key (version 1) into %s\n"), ctl.keys_path);
    } else if (strcmp(sub, "passwd") == 0) {
        if (!(pass = ctl_secret(ctl.passphrase_file, "KILOVEND_PASSPHRASE", _("Current passphrase"),
                                &error)) ||
            !(newpass = new_secret(ctl_opt(&a, "new-passphrase-file"), "KILOVEND_NEW_PASSPHRASE",
                                   "New passphrase", &error)) ||
            !kv_keyfile_passwd(ctl.keys_path, pass, newpass, &error))
            goto fail;
        ctl_out(_("Passphrase of %s changed\n"), ctl.keys_path);
    } else if (strcmp(sub, "rotate") == 0) {
        /* Admin only: the station records the new version for new meters. */
        g_autoptr(KvStation) st = ctl_open(TRUE, FALSE, &error);
        g_autoptr(GArray) old = NULL;
        guint v;
        if (!st || !kv_station_require(st, KV_ROLE_ADMIN, &error) ||
            !kv_sync_require_online(st, _("rotating the keys"), &error) ||
            !(pass = ctl_secret(ctl.passphrase_file, "KILOVEND_PASSPHRASE", _("Key file passphrase"),
                                &error)) ||
            !(v = kv_station_rotate_key(st, ctl.keys_path, pass, &old, &error)))
            goto fail;
        ctl_out(_("Key version %u is now current (new meters use it; the old versions stay in "
                "the key file for existing meters)\n"), v);
        {
            if (ctl.json) {
                printf("{\"ok\":true,\"key_version\":%u,\"meters_needing_key_change\":[", v);
                for (guint i = 0; i < old->len; i++)
                    printf("%s\"%09u\"", i ? "," : "", g_array_index(old, guint32, i));
                printf("]}\n");
                ctl_args_clear(&a);
                return CTL_EXIT_OK;
            }
            if (old->len)
                ctl_out(_("%u meter(s) still use older key versions; each needs a key-change card "
                        "(kilovendctl card engineering --type key-change --meter N, admin):\n"),
                        old->len);
            for (guint i = 0; i < old->len; i++)
                ctl_out("  %09u\n", g_array_index(old, guint32, i));
        }
    } else {
        ctl_args_clear(&a);
        return ctl_usage_error(_("key needs generate, import, passwd or rotate"));
    }
fail:
    return finish(&a, error);
}

int ctl_cmd_user(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    const char *login;

    ARGS_OR_USAGE(a, argc - 2, argv + 2, NULL);
    login = a.words->len ? a.words->pdata[0] : NULL;
    if (!(st = ctl_open(TRUE, FALSE, &error)))
        goto fail;
    if (strcmp(sub, "list") == 0) {
        g_autoptr(GPtrArray) users = kv_user_list(st, &error);
        if (!users)
            goto fail;
        for (guint i = 0; i < users->len; i++) {
            KvUser *u = users->pdata[i];
            if (ctl.json)
                printf("%s{\"login\":\"%s\",\"role\":\"%s\",\"active\":%s,\"locked\":%s}%s",
                       i ? "" : "[", u->login, kv_role_name(u->role), u->active ? "true" : "false",
                       u->locked_until > kv_now() ? "true" : "false",
                       i + 1 < users->len ? "," : "]\n");
            else
                printf("%-20s %-10s %s%s\n", u->login, kv_role_name(u->role),
                       u->active ? "active" : "disabled", u->locked_until > kv_now() ? " locked" : "");
        }
        ctl_args_clear(&a);
        return CTL_EXIT_OK;
    }
    if (!login) {
        ctl_args_clear(&a);
        return ctl_usage_error(_("user %s needs a LOGIN"), sub);
    }
    if (strcmp(sub, "add") == 0) {
        g_autoptr(char_secret) pw = NULL;
        const char *role = ctl_need(&a, "role");
        if (!role) {
            ctl_args_clear(&a);
            return CTL_EXIT_USAGE;
        }
        if (!kv_station_require(st, KV_ROLE_ADMIN, &error) ||
            !(pw = new_secret(ctl_opt(&a, "new-password-file"), "KILOVEND_NEW_PASSWORD",
                              "New user's password", &error)) ||
            !kv_user_add(st, login, ctl_opt(&a, "name"), kv_role_from_name(role), pw, &error))
            goto fail;
    } else if (strcmp(sub, "role") == 0) {
        if (a.words->len < 2) {
            ctl_args_clear(&a);
            return ctl_usage_error(_("user role LOGIN ROLE"));
        }
        if (!kv_user_set_role(st, login, kv_role_from_name(a.words->pdata[1]), &error))
            goto fail;
    } else if (strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0) {
        if (!kv_user_set_active(st, login, strcmp(sub, "enable") == 0, &error))
            goto fail;
    } else if (strcmp(sub, "unlock") == 0) {
        if (!kv_user_unlock(st, login, &error))
            goto fail;
    } else if (strcmp(sub, "passwd") == 0) {
        g_autoptr(char_secret) oldpw = NULL, pw = NULL;
        const KvUser *me = kv_station_user(st);
        if (g_strcmp0(me->login, login) == 0 && me->role < KV_ROLE_ADMIN)
            oldpw = ctl_secret(ctl.password_file, "KILOVEND_PASSWORD", _("Current password"), &error);
        if (!(pw = new_secret(ctl_opt(&a, "new-password-file"), "KILOVEND_NEW_PASSWORD",
                              "New password", &error)) ||
            !kv_user_set_password(st, login, oldpw, pw, &error))
            goto fail;
    } else {
        ctl_args_clear(&a);
        return ctl_usage_error(_("user needs add, list, role, enable, disable, unlock or passwd"));
    }
    ctl_out(_("user %s: %s done\n"), login, sub);
fail:
    return finish(&a, error);
}

int ctl_cmd_setting(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "show";
    GError *error = NULL;
    g_autoptr(KvStation) st = ctl_open(TRUE, FALSE, &error);
    const KvSettings *s;
    if (!st)
        return ctl_fail(error);
    if (strcmp(sub, "set") == 0) {
        if (argc < 4)
            return ctl_usage_error(_("setting set KEY VALUE"));
        if (!kv_station_set_setting(st, argv[2], argv[3], &error))
            return ctl_fail(error);
    } else if (strcmp(sub, "show") != 0) {
        return ctl_usage_error(_("setting needs show or set"));
    }
    s = kv_station_settings(st);
    {
        g_autofree char *ma = kv_station_format_money(st, s->max_sale_amount);
        g_autofree char *me = kv_energy_format(s->max_sale_energy);
        g_autofree char *un = kv_json_escape(s->utility_name);
        if (ctl.json)
            printf("{\"utility_name\":\"%s\",\"utility_code\":%u,\"currency\":\"%s\","
                   "\"minor_digits\":%u,\"office_id\":%u,\"station_no\":%u,"
                   "\"max_sale_amount\":\"%s\",\"max_sale_energy\":\"%s\",\"token_issuer\":%u}\n",
                   un, s->utility_code, s->currency, s->minor_digits, s->office_id, s->station_no,
                   ma, me, s->token_issuer);
        else
            ctl_out("utility_name     %s\nutility_code     %u\ncurrency         %s\n"
                    "minor_digits     %u\noffice_id        %u\nstation_no       %u\n"
                    "max_sale_amount  %s\nmax_sale_energy  %s kWh\ntoken_issuer     %u\n",
                    s->utility_name, s->utility_code, s->currency, s->minor_digits, s->office_id,
                    s->station_no, ma, me, s->token_issuer);
    }
    return CTL_EXIT_OK;
}

/* "12.5" percent -> basis points */
static gboolean parse_percent(const char *text, guint max_bp, guint *out, GError **error)
{
    gint64 v;
    if (!kv_decimal_parse(text, 2, max_bp, &v, error)) {
        g_prefix_error(error, _("percentage: "));
        return FALSE;
    }
    *out = (guint)v;
    return TRUE;
}

static gboolean parse_date(const char *text, gint64 *out, GError **error)
{
    int y, m, d;
    g_autoptr(GDateTime) dt = NULL;
    if (sscanf(text, "%d-%d-%d", &y, &m, &d) != 3 ||
        !(dt = g_date_time_new_local(y, m, d, 0, 0, 0))) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("'%s' is not a date YYYY-MM-DD"),
                    text);
        return FALSE;
    }
    *out = g_date_time_to_unix(dt);
    return TRUE;
}

/* One tariff version: its header line (after `lead`) and its blocks. */
static void print_tariff(KvStation *st, const char *lead, const KvTariff *t)
{
    g_autofree char *fixed = kv_station_format_money(st, t->fixed_monthly);
    g_autoptr(GDateTime) from = g_date_time_new_from_unix_local(t->effective_from);
    g_autofree char *day = g_date_time_format(from, "%Y-%m-%d %H:%M");

    printf(_("%stariff %s (id %" PRId64 ") from %s: VAT %u.%02u %%, fixed %s, debt "
           "%u.%02u %%\n"), lead, t->code, t->id, day, t->vat_bp / 100, t->vat_bp % 100, fixed,
           t->debt_bp / 100, t->debt_bp % 100);
    for (guint i = 0; i < t->n_blocks; i++) {
        g_autofree char *u = kv_energy_format(t->blocks[i].upto);
        g_autofree char *p = kv_decimal_format(t->blocks[i].price_e4,
                                               kv_station_settings(st)->minor_digits + 4);
        if (t->blocks[i].upto)
            printf(_("%*s  block %u: up to %s kWh at %s per kWh\n"), (int)strlen(lead), "", i + 1,
                   u, p);
        else
            printf(_("%*s  block %u: no upper bound, at %s per kWh\n"), (int)strlen(lead), "",
                   i + 1, p);
    }
}

/* Every code with its versions, newest first; the one in force marked. */
static gboolean list_tariffs(KvStation *st, GError **error)
{
    g_autoptr(GPtrArray) codes = kv_tariff_list(st, kv_now(), error);
    guint digits = kv_station_settings(st)->minor_digits;

    if (!codes)
        return FALSE;
    if (ctl.json)
        printf("[");
    for (guint i = 0; i < codes->len; i++) {
        KvTariffCode *c = g_ptr_array_index(codes, i);
        g_autofree char *code = kv_json_escape(c->code);
        if (!ctl.json)
            printf("%s%s\n", i ? "\n" : "", c->code);
        else
            printf("%s{\"code\":\"%s\",\"versions\":[", i ? "," : "", code);
        for (guint j = 0; j < c->versions->len; j++) {
            KvTariffVersion *v = g_ptr_array_index(c->versions, j);
            g_autofree char *name = kv_json_escape(v->name);
            g_autofree char *fixed = kv_decimal_format(v->tariff.fixed_monthly, digits);
            if (!ctl.json) {
                print_tariff(st, (gint)j == c->in_force ? "* " : "  ", &v->tariff);
                continue;
            }
            printf("%s{\"id\":%" G_GINT64_FORMAT ",\"name\":\"%s\",\"effective_from\":%"
                   G_GINT64_FORMAT ",\"in_force\":%s,\"vat_bp\":%u,\"fixed_monthly\":\"%s\","
                   "\"debt_bp\":%u,\"blocks\":[", j ? "," : "", v->tariff.id, name,
                   v->tariff.effective_from, (gint)j == c->in_force ? "true" : "false",
                   v->tariff.vat_bp, fixed, v->tariff.debt_bp);
            for (guint b = 0; b < v->tariff.n_blocks; b++) {
                g_autofree char *upto = kv_energy_format(v->tariff.blocks[b].upto);
                g_autofree char *price = kv_decimal_format(v->tariff.blocks[b].price_e4,
                                                           digits + 4);
                printf("%s{\"upto_kwh\":%s%s%s,\"price\":\"%s\"}", b ? "," : "",
                       v->tariff.blocks[b].upto ? "\"" : "",
                       v->tariff.blocks[b].upto ? upto : "null",
                       v->tariff.blocks[b].upto ? "\"" : "", price);
            }
            printf("]}");
        }
        if (ctl.json)
            printf("]}");
    }
    if (ctl.json)
        printf("]\n");
    return TRUE;
}

int ctl_cmd_tariff(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    GError *error = NULL;
    g_autoptr(KvStation) st = NULL;
    KvTariff t = { 0 };
    CtlArgs a = { 0 };
    const char *code = NULL;

    /* --block may repeat: collect them before the generic parser. */
    g_autoptr(GPtrArray) blocks = g_ptr_array_new();
    g_autoptr(GPtrArray) rest = g_ptr_array_new();
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--block") == 0 && i + 1 < argc)
            g_ptr_array_add(blocks, argv[++i]);
        else
            g_ptr_array_add(rest, argv[i]);
    }
    ARGS_OR_USAGE(a, (int)rest->len, (char **)rest->pdata, NULL);
    if (strcmp(sub, "list") != 0 && !(code = ctl_need(&a, "code"))) {
        ctl_args_clear(&a);
        return CTL_EXIT_USAGE;
    }
    if (!(st = ctl_open(TRUE, FALSE, &error)))
        goto fail;
    if (strcmp(sub, "add") == 0) {
        g_strlcpy(t.code, code, sizeof t.code);
        t.effective_from = kv_now();
        if (ctl_opt(&a, "from") && !parse_date(ctl_opt(&a, "from"), &t.effective_from, &error))
            goto fail;
        if (ctl_opt(&a, "vat") && !parse_percent(ctl_opt(&a, "vat"), 10000, &t.vat_bp, &error))
            goto fail;
        if (ctl_opt(&a, "debt") && !parse_percent(ctl_opt(&a, "debt"), 9000, &t.debt_bp, &error))
            goto fail;
        if (ctl_opt(&a, "fixed") &&
            !kv_decimal_parse(ctl_opt(&a, "fixed"), kv_station_settings(st)->minor_digits, 0,
                              &t.fixed_monthly, &error))
            goto fail;
        if (blocks->len == 0 || blocks->len > KV_TARIFF_MAX_BLOCKS) {
            ctl_args_clear(&a);
            return ctl_usage_error(_("give 1 to %d --block [UPTO_KWH:]PRICE_PER_KWH"),
                                   KV_TARIFF_MAX_BLOCKS);
        }
        for (guint i = 0; i < blocks->len; i++) {
            const char *b = blocks->pdata[i];
            const char *colon = strchr(b, ':');
            g_autofree char *upto = colon ? g_strndup(b, (gsize)(colon - b)) : NULL;
            /* prices have 4 more decimals than money: 1/10000 of a minor unit */
            if ((upto && !kv_energy_parse(upto, 0x7FFFFFFF, &t.blocks[i].upto, &error)) ||
                !kv_decimal_parse(colon ? colon + 1 : b,
                                  kv_station_settings(st)->minor_digits + 4, 0,
                                  &t.blocks[i].price_e4, &error))
                goto fail;
        }
        t.n_blocks = blocks->len;
        if (!kv_tariff_add(st, &t, ctl_opt(&a, "name"), &error))
            goto fail;
        ctl_out(_("Tariff %s added\n"), code);
    } else if (strcmp(sub, "show") == 0) {
        if (!kv_station_require(st, KV_ROLE_CASHIER, &error) ||
            !kv_tariff_get_effective(st, code, kv_now(), &t, &error))
            goto fail;
        print_tariff(st, "", &t);
        ctl_args_clear(&a);
        return CTL_EXIT_OK;
    } else if (strcmp(sub, "list") == 0) {
        if (!list_tariffs(st, &error))
            goto fail;
        ctl_args_clear(&a);
        return CTL_EXIT_OK;
    } else {
        ctl_args_clear(&a);
        return ctl_usage_error(_("tariff needs add, show or list"));
    }
fail:
    return finish(&a, error);
}

static void print_progress(guint64 done, guint64 total, const char *what, gpointer data)
{
    if (!ctl.quiet && !ctl.json && isatty(2))
        fprintf(stderr, "\r%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " %s", done, total, what);
}

int ctl_cmd_backup(int argc, char **argv)
{
    GError *error = NULL;
    g_autoptr(KvStation) st = NULL;
    if (argc != 2)
        return ctl_usage_error(_("backup FILE"));
    if (!(st = ctl_open(TRUE, FALSE, &error)) ||
        !kv_station_backup(st, argv[1], print_progress, NULL, NULL, &error))
        return ctl_fail(error);
    ctl_out(_("Backup written and checked: %s\n"), argv[1]);
    if (ctl.json)
        printf("{\"ok\":true}\n");
    return CTL_EXIT_OK;
}

int ctl_cmd_restore(int argc, char **argv)
{
    GError *error = NULL;
    if (argc != 2)
        return ctl_usage_error(_("restore FILE"));
    /* No login: the database may be too damaged to open.  Restoring needs
     * write access to the database file, which only the admin has. */
    if (!kv_station_restore(ctl.db_path, argv[1], &error))
        return ctl_fail(error);
    ctl_out(_("Restored %s from %s (the previous file is %s.before-restore)\n"), ctl.db_path,
            argv[1], ctl.db_path);
    if (ctl.json)
        printf("{\"ok\":true}\n");
    return CTL_EXIT_OK;
}

/* Problems (or, open: open questions) as JSON strings appended to json
 * (comma-separated), or printed a line each when json is NULL. */
static void print_lines(const GPtrArray *lines, gboolean open, GString *json)
{
    for (guint i = 0; i < lines->len; i++) {
        const char *line = lines->pdata[i];
        if (json) {
            g_autofree char *p = kv_json_escape(line);
            g_string_append_printf(json, "%s\"%s\"", i ? "," : "", p);
        } else if (open) {
            printf(_("OPEN: %s\n"), line);
        } else {
            printf(_("PROBLEM: %s\n"), line);
        }
    }
}

/* The reconciliation (kv-reconcile.h): problems and open questions as
 * lines, or JSON members; TRUE when the ledger reconciles. */
static gboolean print_reconcile(const KvReconcileReport *r, GString *json)
{
    print_lines(r->problems, FALSE, json);
    if (json)
        g_string_append(json, "],\"open\":[");
    print_lines(r->open_items, TRUE, json);
    if (json)
        g_string_append_printf(json, "],\"meters\":%u,\"issued_open\":%u,\"anomalies_open\":%u",
                               r->meters_checked, r->issued_open, r->anomalies_open);
    else
        printf(_("%s: %u meters, %u sales; %u issued sale(s) and %u anomaly(ies) open\n"),
               r->problems->len ? _("LEDGER DOES NOT RECONCILE") : _("ledger reconciles"),
               r->meters_checked, r->sales_checked, r->issued_open, r->anomalies_open);
    return r->problems->len == 0;
}

int ctl_cmd_check(int argc, char **argv)
{
    GError *error = NULL;
    g_autoptr(KvStation) st = kv_station_open(ctl.db_path, NULL, &error);
    g_autoptr(KvReconcileReport) r = NULL;
    g_autoptr(GString) json = ctl.json ? g_string_new(",\"problems\":[") : NULL;
    gboolean ok;
    if (!st || !kv_station_check(st, &error) || !(r = kv_reconcile(st, 0, &error)))
        return ctl_fail(error);
    ctl_out(_("%s: integrity ok\n"), ctl.db_path);
    ok = ctl.quiet && !ctl.json && r->problems->len == 0 ? TRUE : print_reconcile(r, json);
    if (ctl.json)
        printf("{\"ok\":%s%s}\n", ok ? "true" : "false", json->str);
    return ok ? CTL_EXIT_OK : CTL_EXIT_AUDIT;
}

/* audit head: the head to keep off the station.  audit verify [--head HEAD]
 * [--keyed]: the chain, the sales against it, the exported head still
 * reached; with --keyed the keys are unlocked and every MAC checked. */
int ctl_cmd_audit(int argc, char **argv)
{
    static const char *const flags[] = { "keyed", NULL };
    static const char *const allowed[] = { "head", "anchor", "keyed", NULL };
    g_autofree char *centre = NULL;
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvAuditReport) r = NULL;
    g_autoptr(KvReconcileReport) rec = NULL;
    const char *head;
    int rc;

    if (argc == 2 && strcmp(argv[1], "head") == 0) {
        g_autofree char *h = NULL;
        if (!(st = ctl_open(TRUE, FALSE, &error)) || !(h = kv_audit_head(st, &error)))
            return ctl_fail(error);
        if (ctl.json)
            printf("{\"head\":\"%s\"}\n", h);
        else
            printf("%s\n", h);
        return CTL_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "verify") != 0)
        return ctl_usage_error(_("audit head | audit verify [--head HEAD] [--keyed]"));
    ARGS_OR_USAGE(a, argc - 2, argv + 2, flags);
    if (!ctl_args_only(&a, allowed)) {
        ctl_args_clear(&a);
        return CTL_EXIT_USAGE;
    }
    /* --anchor: the option's name before 0.x; same meaning. */
    head = ctl_opt(&a, "head") ? ctl_opt(&a, "head") : ctl_opt(&a, "anchor");
    if ((st = ctl_open(TRUE, ctl_flag(&a, "keyed"), &error)) && g_strcmp0(head, "centre") == 0) {
        /* The head head office holds (from the last sync): a rewrite of
         * this file after it was pushed is detected against it. */
        g_autoptr(KvSyncStatus) s = kv_sync_status(st, &error);
        if (s && !s->centre_head)
            g_set_error(&error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                        _("no head office anchor: this station has not synced yet"));
        head = s && s->centre_head ? (centre = g_strdup(s->centre_head)) : NULL;
        if (!head)
            g_clear_pointer(&st, kv_station_free);
    }
    if (!st ||
        !(r = kv_audit_verify(st, head, print_progress, NULL, NULL, &error))) {
        ctl_args_clear(&a);
        return ctl_fail(error);
    }
    ctl_args_clear(&a);
    /* The ledger's reconciliation runs with every verify. */
    if (!(rec = kv_reconcile(st, 0, &error)))
        return ctl_fail(error);
    rc = r->problems->len || rec->problems->len ? CTL_EXIT_AUDIT : CTL_EXIT_OK;
    if (ctl.json) {
        g_autoptr(GString) json = g_string_new(",\"reconcile_problems\":[");
        g_autoptr(GString) problems = g_string_new(NULL);
        print_reconcile(rec, json);
        print_lines(r->problems, FALSE, problems);
        printf("{\"ok\":%s,\"rows\":%" G_GUINT64_FORMAT ",\"sales\":%" G_GUINT64_FORMAT
               ",\"head\":\"%s\",\"keyed\":%s,\"rows_keyed\":%" G_GUINT64_FORMAT
               ",\"covered_to\":%" G_GINT64_FORMAT ",\"problems\":[%s]%s}\n",
               rc ? "false" : "true", r->rows, r->sales_checked, r->head,
               r->keyed ? "true" : "false", r->rows_keyed, r->covered_to, problems->str,
               json->str);
    } else {
        print_lines(r->problems, FALSE, NULL);
        if (!r->keyed)
            printf(_("note: keyed MACs not checked (keys locked; audit verify --keyed checks "
                     "them)\n"));
        else if ((guint64)r->covered_to < r->rows)
            printf(_("note: rows after row %" PRId64 " were written with the keys locked: the "
                     "next unlock covers them\n"), r->covered_to);
        printf(_("%s: %" PRIu64 " audit rows, %" PRIu64 " sales checked, head %s\n"),
               r->problems->len ? "AUDIT CHAIN BROKEN" : "audit chain ok", r->rows,
               r->sales_checked, r->head);
        print_reconcile(rec, NULL);
    }
    return rc;
}

/* anomaly list [--all] [--meter N] | ack ID --reason T */
int ctl_cmd_anomaly(int argc, char **argv)
{
    static const char *const flags[] = { "all", NULL };
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    const char *sub = argc > 1 ? argv[1] : "";
    gboolean list = strcmp(sub, "list") == 0, ack = strcmp(sub, "ack") == 0;
    int skip = ack ? 3 : 2;

    if ((!list && !ack) || (ack && argc < 3) ||
        !ctl_args_parse(&a, argc - skip, argv + skip, flags))
        return ctl_usage_error(_("anomaly list [--all] [--meter N] | ack ID --reason T"));
    if (!(st = ctl_open(TRUE, FALSE, &error)))
        goto fail;
    if (list) {
        guint32 meter = 0;
        g_autoptr(GPtrArray) rows = NULL;
        if (ctl_opt(&a, "meter") && !kv_meter_number_parse(ctl_opt(&a, "meter"), &meter, &error))
            goto fail;
        if (!(rows = kv_anomaly_list(st, !ctl_flag(&a, "all"), meter, &error)))
            goto fail;
        if (ctl.json)
            printf("[");
        for (guint i = 0; i < rows->len; i++) {
            KvAnomaly *x = rows->pdata[i];
            if (ctl.json) {
                g_autofree char *d = kv_json_escape(x->detail);
                printf("%s{\"id\":%" G_GINT64_FORMAT ",\"kind\":\"%s\",\"meter\":\"%09u\","
                       "\"card\":%u,\"sale\":%" G_GINT64_FORMAT ",\"token_seq\":%u,"
                       "\"sale_ref\":%u,\"amount_ckwh\":%" G_GINT64_FORMAT ",\"acknowledged\":%s,"
                       "\"detail\":\"%s\"}", i ? "," : "", x->id, x->kind, x->meter_number,
                       x->card_serial, x->sale_id, x->token_seq, x->token_sale_ref, x->amount,
                       x->ack_at ? "true" : "false", d);
            } else {
                g_autofree char *line = kv_anomaly_describe(x);
                printf("%s\n", line);
            }
        }
        if (ctl.json)
            printf("]\n");
    } else {
        gint64 id;
        const char *reason = ctl_need(&a, "reason");
        if (!reason) {
            ctl_args_clear(&a);
            return CTL_EXIT_USAGE;
        }
        if (!kv_decimal_parse(argv[2], 0, 0, &id, &error) ||
            !kv_anomaly_ack(st, id, reason, &error))
            goto fail;
        ctl_out(_("Anomaly %" PRId64 " acknowledged\n"), id);
        if (ctl.json)
            printf("{\"ok\":true,\"anomaly\":%" G_GINT64_FORMAT "}\n", id);
    }
    ctl_args_clear(&a);
    return CTL_EXIT_OK;
fail:
    ctl_args_clear(&a);
    return ctl_fail(error);
}
