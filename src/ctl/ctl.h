/* ctl.h - what kilovendctl's command files share: the global options, the
 * station opened and logged in, credentials, output and exit codes. */
#ifndef CTL_H
#define CTL_H

#include "kv-core.h"
#include "kv-i18n.h"

G_BEGIN_DECLS

/* Exit codes (kilovendctl(1), docs/station.md). */
enum {
    CTL_EXIT_OK = 0,
    CTL_EXIT_FAILED = 1,
    CTL_EXIT_USAGE = 2,
    /* 3..19: KV_CORE_ERROR code + 2; 16 also for every KV_CARD_ERROR */
    CTL_EXIT_CARD = 16,
    CTL_EXIT_AUDIT = 17,
};

typedef struct {
    const char *db_path;
    const char *keys_path;
    const char *user;
    const char *password_file;
    const char *passphrase_file;
    const char *supervisor;
    const char *card_file;
    const char *reader;
    gboolean json;
    gboolean quiet;
} CtlGlobal;

extern CtlGlobal ctl;

/* Command arguments: --name value pairs, flags, and positional words. */
typedef struct {
    GHashTable *opts;   /* name (without --) -> value ("" for flags) */
    GPtrArray *words;
} CtlArgs;

/* Parse argv after the command words.  flags: names that take no value
 * (NULL-terminated).  Returns FALSE (usage error printed) on bad syntax. */
gboolean ctl_args_parse(CtlArgs *a, int argc, char **argv, const char *const *flags);
void ctl_args_clear(CtlArgs *a);
const char *ctl_opt(CtlArgs *a, const char *name);        /* NULL if absent */
gboolean ctl_flag(CtlArgs *a, const char *name);
/* Required option: prints the usage error and returns NULL if missing. */
const char *ctl_need(CtlArgs *a, const char *name);
/* Options not in the allowed list are a usage error. */
gboolean ctl_args_only(CtlArgs *a, const char *const *allowed);

int ctl_usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Print the error and return its exit code. */
int ctl_fail(GError *error);
int ctl_exit_code(const GError *error);

/* Secrets from a file, the environment or the terminal (no echo). */
char *ctl_secret(const char *file, const char *env, const char *prompt, GError **error);
void ctl_secret_free(char *s); /* wipes */

/* Open --db; log in --user (password from KILOVEND_PASSWORD,
 * --password-file or a prompt).  keys: also unlock the key file (needs a
 * supervisor: the user, or --supervisor with KILOVEND_SUPERVISOR_PASSWORD). */
KvStation *ctl_open(gboolean login, gboolean keys, GError **error);
/* The card at the counter: --card-file, or the PC/SC reader (--reader). */
KvCardLink *ctl_card(GError **error);

void ctl_print_table(KvTable *t, const char *csv_path);
/* A local date YYYY-MM-DD (or month YYYY-MM) to its noon. */
gboolean ctl_parse_day(const char *text, gboolean month_only, gint64 *out, GError **error);

/* ctl-money.c: customer debt|plan|statement, and the money reports (mine:
 * whether sub is one of them; NULL and *error on failure). */
int ctl_money_customer(KvStation *st, const char *sub, CtlArgs *a);
/* Before a card replacement: kv_card_replace reserves the meter's
 * replacement at head office through the sync configuration's link
 * (ctl-sync.c). */
void ctl_sync_install_reserver(KvStation *st);
KvTable *ctl_money_report(KvStation *st, const char *sub, CtlArgs *a, gboolean *mine,
                          GError **error);
/* category set|list (ctl_cmd_customer opens the station). */
int ctl_money_category(KvStation *st, const char *sub, CtlArgs *a);
void ctl_out(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Commands (one file per area). */
int ctl_cmd_init(int argc, char **argv);
int ctl_cmd_key(int argc, char **argv);
/* key status, migrate, request, keyload, load, holdings (ctl-keys.c) */
int ctl_cmd_key_more(const char *sub, int argc, char **argv);
int ctl_cmd_user(int argc, char **argv);
int ctl_cmd_setting(int argc, char **argv);
int ctl_cmd_tariff(int argc, char **argv);
int ctl_cmd_customer(int argc, char **argv);
int ctl_cmd_meter(int argc, char **argv);
int ctl_cmd_card(int argc, char **argv);
int ctl_cmd_sell(int argc, char **argv);
int ctl_cmd_cancel(int argc, char **argv);
int ctl_cmd_refund(int argc, char **argv);
int ctl_cmd_sale(int argc, char **argv);
int ctl_cmd_receipt(int argc, char **argv);
int ctl_cmd_shift(int argc, char **argv);
int ctl_cmd_report(int argc, char **argv);
int ctl_cmd_backup(int argc, char **argv);
int ctl_cmd_restore(int argc, char **argv);
int ctl_cmd_check(int argc, char **argv);
int ctl_cmd_audit(int argc, char **argv);
int ctl_cmd_anomaly(int argc, char **argv);
int ctl_cmd_sync(int argc, char **argv);

G_END_DECLS

#endif
