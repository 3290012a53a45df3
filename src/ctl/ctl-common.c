/* ctl-common.c - argument parsing, credentials, opening the station, output
 * and exit codes for kilovendctl. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ctl.h"
#ifdef KV_HAVE_PCSC
#include "kv-card-link-pcsc.h"
#endif

CtlGlobal ctl;

gboolean ctl_args_parse(CtlArgs *a, int argc, char **argv, const char *const *flags)
{
    a->opts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    a->words = g_ptr_array_new();
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (g_str_has_prefix(arg, "--") && arg[2]) {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            g_autofree char *key = eq ? g_strndup(name, (gsize)(eq - name)) : g_strdup(name);
            gboolean is_flag = flags && g_strv_contains(flags, key);
            if (is_flag) {
                g_hash_table_replace(a->opts, g_steal_pointer(&key), g_strdup(""));
            } else if (eq) {
                g_hash_table_replace(a->opts, g_steal_pointer(&key), g_strdup(eq + 1));
            } else if (i + 1 < argc) {
                g_hash_table_replace(a->opts, g_steal_pointer(&key), g_strdup(argv[++i]));
            } else {
                ctl_usage_error(_("option --%s needs a value"), key);
                return FALSE;
            }
        } else {
            g_ptr_array_add(a->words, (gpointer)arg);
        }
    }
    return TRUE;
}

void ctl_args_clear(CtlArgs *a)
{
    g_clear_pointer(&a->opts, g_hash_table_unref);
    if (a->words)
        g_ptr_array_free(a->words, TRUE);
    a->words = NULL;
}

const char *ctl_opt(CtlArgs *a, const char *name)
{
    return g_hash_table_lookup(a->opts, name);
}

gboolean ctl_flag(CtlArgs *a, const char *name)
{
    return g_hash_table_contains(a->opts, name);
}

const char *ctl_need(CtlArgs *a, const char *name)
{
    const char *v = ctl_opt(a, name);
    if (!v || !*v)
        ctl_usage_error(_("--%s is required"), name);
    return v && *v ? v : NULL;
}

gboolean ctl_args_only(CtlArgs *a, const char *const *allowed)
{
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, a->opts);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (!g_strv_contains(allowed, k)) {
            ctl_usage_error(_("unknown option --%s for this command"), (char *)k);
            return FALSE;
        }
    return TRUE;
}

int ctl_usage_error(const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, _("kilovendctl: %s (see kilovendctl --help)\n"), msg);
    return CTL_EXIT_USAGE;
}

int ctl_exit_code(const GError *error)
{
    if (!error)
        return CTL_EXIT_OK;
    if (error->domain == KV_CORE_ERROR)
        return error->code == KV_CORE_ERROR_FAILED ? CTL_EXIT_FAILED : error->code + 2;
    if (g_str_equal(g_quark_to_string(error->domain), "kv-card-error-quark"))
        return CTL_EXIT_CARD;
    if (error->domain == G_FILE_ERROR || error->domain == G_IO_ERROR)
        return CTL_EXIT_FAILED;
    return CTL_EXIT_FAILED;
}

int ctl_fail(GError *error)
{
    int code = ctl_exit_code(error);
    if (ctl.json) {
        g_autofree char *m = kv_json_escape(error ? error->message : _("failed"));
        printf("{\"ok\":false,\"exit\":%d,\"error\":\"%s\"}\n", code, m);
    }
    fprintf(stderr, "kilovendctl: %s\n", error ? error->message : _("failed"));
    g_clear_error(&error);
    return code ? code : CTL_EXIT_FAILED;
}

void ctl_out(const char *fmt, ...)
{
    va_list ap;
    if (ctl.json || ctl.quiet)
        return;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

static char *read_tty_secret(const char *prompt, GError **error)
{
    FILE *tty = fopen("/dev/tty", "r+");
    struct termios old, quiet;
    char buf[512];
    char *res = NULL;
    if (!tty) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("%s: no terminal to ask on; use the environment variable or the --*-file "
                    "option (see kilovendctl --help)"), prompt);
        return NULL;
    }
    fprintf(tty, "%s: ", prompt);
    fflush(tty);
    tcgetattr(fileno(tty), &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    if (fgets(buf, sizeof buf, tty)) {
        buf[strcspn(buf, "\r\n")] = 0;
        res = g_strdup(buf);
    }
    tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fprintf(tty, "\n");
    fclose(tty);
    OPENSSL_cleanse(buf, sizeof buf);
    if (!res)
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("%s: nothing entered"), prompt);
    return res;
}

char *ctl_secret(const char *file, const char *env, const char *prompt, GError **error)
{
    const char *v;
    if (file) {
        char *text = NULL;
        gsize len = 0;
        if (!g_file_get_contents(file, &text, &len, error))
            return NULL;
        text[strcspn(text, "\r\n")] = 0; /* first line */
        return text;
    }
    if (env && (v = g_getenv(env)) && *v)
        return g_strdup(v);
    return read_tty_secret(prompt, error);
}

void ctl_secret_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        g_free(s);
    }
}

KvStation *ctl_open(gboolean login, gboolean keys, GError **error)
{
    g_autoptr(KvStation) st = kv_station_open(ctl.db_path, ctl.keys_path, error);
    if (!st)
        return NULL;
    if (login) {
        char *pw;
        gboolean ok;
        if (!ctl.user) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED,
                        _("log in with --user LOGIN (or KILOVEND_USER)"));
            return NULL;
        }
        pw = ctl_secret(ctl.password_file, "KILOVEND_PASSWORD", _("Password"), error);
        if (!pw)
            return NULL;
        ok = kv_station_login(st, ctl.user, pw, error);
        ctl_secret_free(pw);
        if (!ok)
            return NULL;
    }
    if (keys) {
        char *pass, *sup_pw = NULL;
        gboolean ok;
        if (ctl.supervisor) {
            sup_pw = ctl_secret(NULL, "KILOVEND_SUPERVISOR_PASSWORD", _("Supervisor's password"),
                                error);
            if (!sup_pw)
                return NULL;
        } else if (!kv_station_require(st, KV_ROLE_SUPERVISOR, NULL)) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED,
                        _("unlocking the keys needs a supervisor: give --supervisor LOGIN "
                        "(password in KILOVEND_SUPERVISOR_PASSWORD or at the prompt)"));
            return NULL;
        }
        pass = ctl_secret(ctl.passphrase_file, "KILOVEND_PASSPHRASE", _("Key file passphrase"), error);
        if (!pass) {
            ctl_secret_free(sup_pw);
            return NULL;
        }
        ok = kv_station_unlock_keys(st, pass, ctl.supervisor, sup_pw, error);
        ctl_secret_free(pass);
        ctl_secret_free(sup_pw);
        if (!ok)
            return NULL;
    }
    return g_steal_pointer(&st);
}

KvCardLink *ctl_card(GError **error)
{
    if (ctl.card_file)
        return kv_card_link_file_open(ctl.card_file, error);
#ifdef KV_HAVE_PCSC
    return kv_card_link_pcsc_open(ctl.reader, error);
#else
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                _("this build has no PC/SC card service: give --card-file FILE"));
    return NULL;
#endif
}

void ctl_print_table(KvTable *t, const char *csv_path)
{
    if (csv_path) {
        g_autofree char *csv = kv_table_to_csv(t);
        g_autoptr(GError) e = NULL;
        if (!g_file_set_contents(csv_path, csv, -1, &e))
            fprintf(stderr, "kilovendctl: %s\n", e->message);
    }
    if (ctl.json) {
        g_autofree char *j = kv_table_to_json(t);
        fputs(j, stdout);
    } else if (!ctl.quiet) {
        g_autofree char *txt = kv_table_to_text(t);
        fputs(txt, stdout);
    }
}

gboolean ctl_parse_day(const char *text, gboolean month_only, gint64 *out, GError **error)
{
    int y, m, d = 1;
    g_autoptr(GDateTime) dt = NULL;
    if ((month_only ? sscanf(text, "%d-%d", &y, &m) != 2 : sscanf(text, "%d-%d-%d", &y, &m, &d) != 3) ||
        !(dt = g_date_time_new_local(y, m, d, 12, 0, 0))) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("'%s' is not a %s"), text,
                    month_only ? "month YYYY-MM" : "date YYYY-MM-DD");
        return FALSE;
    }
    *out = g_date_time_to_unix(dt);
    return TRUE;
}
