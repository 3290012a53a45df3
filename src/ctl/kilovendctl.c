/* kilovendctl.c - the station's command line: global options and dispatch.
 * Every command is a thin front end over the core library (kv-core.h). */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const char *const usage_text = N_(
    "Usage: kilovendctl [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "Global options:\n"
    "  --db PATH               ledger database (KILOVEND_DB, default ./kilovend.db)\n"
    "  --keys PATH             key file (KILOVEND_KEYS, default ./kilovend.keys)\n"
    "  --user LOGIN            log in as (KILOVEND_USER); password from KILOVEND_PASSWORD,\n"
    "                          --password-file FILE or the terminal\n"
    "  --supervisor LOGIN      supervisor who unlocks the keys for a cashier\n"
    "                          (password from KILOVEND_SUPERVISOR_PASSWORD or the terminal)\n"
    "  --passphrase-file FILE  key file passphrase (or KILOVEND_PASSPHRASE, or the terminal)\n"
    "  --card-file FILE        use a card file (virtual card format) instead of a reader\n"
    "  --reader NAME           PC/SC reader to use (default: the first with a card)\n"
    "  --json                  machine-readable output on stdout\n"
    "  --quiet                 no output on success\n"
    "  --help, --version\n"
    "\n"
    "Commands:\n"
    "  init --utility-name N --utility-code C --currency XXX [--minor-digits 2]\n"
    "       [--office N] [--station N] [--admin LOGIN]\n"
    "                                          new database, first admin, key file\n"
    "  key generate | import --hex-file F | passwd | rotate\n"
    "  user add LOGIN --role R [--name N] | list | role LOGIN R | enable|disable|unlock LOGIN\n"
    "       | passwd LOGIN                        (new password: KILOVEND_NEW_PASSWORD)\n"
    "  setting show | set KEY VALUE\n"
    "  tariff add --code C --block [UPTO_KWH:]PRICE... [--vat PCT] [--fixed MONEY]\n"
    "       [--debt PCT] [--from YYYY-MM-DD] | show --code C | list\n"
    "  customer add --account A --name N [--address T] [--phone T] [--debt MONEY]\n"
    "       | edit --account A [...] | import FILE.csv\n"
    "       | debt --account A [(--add|--adjust|--write-off) MONEY --reason T] [--csv F]\n"
    "       | plan --account A (--share PCT [--min MONEY] [--max MONEY] | --fixed MONEY\n"
    "         | --monthly MONEY) [--until YYYY-MM-DD] | plan --account A --end --reason T\n"
    "       | statement --account A --from YYYY-MM-DD --to YYYY-MM-DD [--csv F] [--pdf F]\n"
    "       | category --account A (--set CODE | --clear)\n"
    "  category set --code C --tariff T [--name N] [--free KWH] | list\n"
    "  meter add --number N --hoarding KWH --alarm KWH --pretrip KWH [--account A]\n"
    "       [--model T] [--phases 1|3] [--address T] [--tariff CODE] [--max-power W]\n"
    "       | edit --number N [...] | show --meter N | import FILE.csv\n"
    "       | provision --meter N --out FILE\n"
    "       | swap --meter OLD --new NEW --source cleared|estimate --reason T [--out FILE] [--issue]\n"
    "  search TEXT                               meters and customers\n"
    "  card issue --meter N | replace --meter N --reason lost|stolen|damaged\n"
    "       | batch FILE.csv [--card-dir DIR]         at a reader: one blank card per row\n"
    "       | read [--no-keys] | blank FILE\n"
    "       | engineering --type check|parameter|clear-tamper|key-change|test|clear-credit\n"
    "         --meter N\n"
    "         [--alarm-kwh K] [--pretrip-kwh K] [--hoarding-kwh K] [--max-power-w W]\n"
    "         [--reconnect-s S] [--emergency-kwh K] [--legacy-key-change]\n"
    "  sell --meter N (--amount MONEY | --kwh KWH | --free-only) [--quote] [--receipt FILE.pdf]\n"
    "       [--payment cash|mobile-money|bank-card|bank-transfer] [--reference R]\n"
    "  cancel --sale ID --reason T               last sale, card at the counter\n"
    "  refund cleared --meter N --reason T       pay back credit a clear-credit card cleared\n"
    "  refund unloaded --meter N [--kwh K] --reason T  pay back credit the meter never loaded\n"
    "       [--receipt FILE.pdf]\n"
    "  sale show ID | unresolved | reconcile\n"
    "       | resolve ID --paid|--void --reason T   supervisor: end an issued sale\n"
    "  receipt --sale ID --out FILE.pdf [--reprint]\n"
    "  shift open [--float MONEY] | close --counted MONEY | show [--shift ID]\n"
    "  report shift [--shift ID] | daily [--date YYYY-MM-DD] | monthly [--month YYYY-MM]\n"
    "       | customer --account A | meter --meter N | arrears | dormant [--days N]\n"
    "       | revenue [--absent-days N] [--drop PCT]      [--csv FILE]\n"
    "  backup FILE | restore FILE | check\n"
    "  audit head | audit verify [--head HEAD|centre] [--keyed]\n"
    "  anomaly list [--all] [--meter N] | ack ID --reason T\n"
    "  sync --once | --daemon [--interval S] [--config FILE] | status | recover\n"
    "                                          the link to the head office (sync.conf:\n"
    "                                          --config, KILOVEND_SYNC_CONF, /etc/kilovend)\n"
    "\n"
    "Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid input, 4 not found, 5 already\n"
    "exists, 6 wrong password, 7 role not allowed, 8 wrong passphrase, 9 keys, 10 meter\n"
    "would refuse, 11 unsettled sale, 12 database locked, 13 database I/O or disk full,\n"
    "14 database damaged, 15 database newer, 16 card, 17 audit chain broken,\n"
    "18 cancelled, 19 not allowed now.  See kilovendctl(1).\n");

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
} Command;

static const Command commands[] = {
    { "init", ctl_cmd_init },       { "key", ctl_cmd_key },         { "user", ctl_cmd_user },
    { "setting", ctl_cmd_setting }, { "tariff", ctl_cmd_tariff },   { "customer", ctl_cmd_customer },
    { "meter", ctl_cmd_meter },     { "search", ctl_cmd_customer }, { "card", ctl_cmd_card },
    { "sell", ctl_cmd_sell },       { "cancel", ctl_cmd_cancel },   { "sale", ctl_cmd_sale },
    { "receipt", ctl_cmd_receipt }, { "shift", ctl_cmd_shift },     { "report", ctl_cmd_report },
    { "backup", ctl_cmd_backup },   { "restore", ctl_cmd_restore }, { "check", ctl_cmd_check },
    { "audit", ctl_cmd_audit },     { "anomaly", ctl_cmd_anomaly }, { "category", ctl_cmd_customer },
    { "sync", ctl_cmd_sync },       { "refund", ctl_cmd_refund },
};

/* Where the value of a global option goes; NULL for no such option. */
static const char **value_option(const char *name)
{
    static const struct {
        const char *name;
        const char **target;
    } options[] = {
        { "--db", &ctl.db_path },
        { "--keys", &ctl.keys_path },
        { "--user", &ctl.user },
        { "--password-file", &ctl.password_file },
        { "--passphrase-file", &ctl.passphrase_file },
        { "--supervisor", &ctl.supervisor },
        { "--card-file", &ctl.card_file },
        { "--reader", &ctl.reader },
    };
    for (guint i = 0; i < G_N_ELEMENTS(options); i++)
        if (strcmp(name, options[i].name) == 0)
            return options[i].target;
    return NULL;
}

int main(int argc, char **argv)
{
    int i;
    /* Messages in the user's language: the core's domain is ours. */
    setlocale(LC_ALL, "");
    kv_i18n_init();
    textdomain(GETTEXT_PACKAGE);
    ctl.db_path = g_getenv("KILOVEND_DB") ? g_getenv("KILOVEND_DB") : "kilovend.db";
    ctl.keys_path = g_getenv("KILOVEND_KEYS") ? g_getenv("KILOVEND_KEYS") : "kilovend.keys";
    ctl.user = g_getenv("KILOVEND_USER");

    for (i = 1; i < argc && g_str_has_prefix(argv[i], "--"); i++) {
        const char *a = argv[i];
        const char **target = NULL;
        if (strcmp(a, "--help") == 0) {
            fputs(_(usage_text), stdout);
            return CTL_EXIT_OK;
        }
        if (strcmp(a, "--version") == 0) {
            printf("kilovendctl %s (schema %u)\n", PACKAGE_VERSION, kv_station_schema_version());
            if (kv_test_hooks_enabled())
                printf("test build: obeys KILOVEND_NOW, KILOVEND_TEST_STOP, KILOVEND_LOCALEDIR\n");
            return CTL_EXIT_OK;
        }
        if (strcmp(a, "--json") == 0) {
            ctl.json = TRUE;
            continue;
        }
        if (strcmp(a, "--quiet") == 0) {
            ctl.quiet = TRUE;
            continue;
        }
        if (!(target = value_option(a)))
            return ctl_usage_error(_("unknown global option %s"), a);
        if (i + 1 >= argc)
            return ctl_usage_error(_("%s needs a value"), a);
        *target = argv[++i];
    }
    if (i >= argc)
        return ctl_usage_error(_("no command given"));
    for (guint c = 0; c < G_N_ELEMENTS(commands); c++)
        if (strcmp(argv[i], commands[c].name) == 0)
            return commands[c].run(argc - i, argv + i);
    return ctl_usage_error(_("unknown command '%s'"), argv[i]);
}
