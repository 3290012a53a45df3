/* kv-demo.c - the demonstration station.
 *
 * Everything is made through the station core's public API, as an
 * administrator would: init, key file, users, a tariff, customers, meters,
 * cards issued onto card files (the SLE4442 model's format, which the
 * virtual reader serves), one card replaced so that a blocked card exists,
 * and one past sale for the reports. */
#define G_LOG_DOMAIN "kv-demo"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "kv-core.h"
#include "kv-demo.h"

typedef struct {
    const char *account;
    const char *name;
    const char *address;
    const char *phone;
    gint64 debt;
    guint32 meter_base; /* 8 digits; the check digit is added */
} DemoCustomer;

static const DemoCustomer demo_customers[] = {
    {"ACC-1001", "Ama Owusu", "12 Independence Avenue, Accra", "+233 20 123 4567", 0, 10000001},
    {"ACC-1002", "Yaw Mensah", "4 Market Street, Kumasi", "+233 24 765 4321", 0, 10000002},
    {"ACC-1003", "Esi Addo", "27 Harbour Road, Tema", "+233 26 555 0101", 50000, 10000003},
    {"ACC-1004", "Kwame Asante", "8 Station Lane, Takoradi", "+233 27 333 9090", 0, 10000004},
};

char *kv_demo_db_path(const char *dir)
{
    return g_build_filename(dir, "station.db", NULL);
}

char *kv_demo_keys_path(const char *dir)
{
    return g_build_filename(dir, "station.keys", NULL);
}

char *kv_demo_card_path(const char *dir, guint n)
{
    g_autofree char *name = g_strdup_printf("card-%u.card", n);

    return g_build_filename(dir, name, NULL);
}

static guint32 demo_meter(guint i)
{
    guint32 base = demo_customers[i].meter_base;

    return base * 10 + kv_meter_check_digit(base);
}

static gboolean issue_to_file(KvStation *st, const char *dir, guint card_no, guint32 meter,
                              const char *replace_reason, GError **error)
{
    static const guint8 factory_psc[3] = {0xFF, 0xFF, 0xFF};
    g_autofree char *path = kv_demo_card_path(dir, card_no);
    g_autoptr(KvCardLink) link = NULL;
    g_autoptr(KvCardRecord) rec = NULL;

    if (!kv_card_link_file_create_blank(path, factory_psc, error))
        return FALSE;
    link = kv_card_link_file_open(path, error);
    if (link == NULL)
        return FALSE;
    if (replace_reason != NULL)
        rec = kv_card_replace(st, link, meter, replace_reason, error);
    else
        rec = kv_card_issue(st, link, meter, error);
    return rec != NULL;
}

/* A helper program: named in the environment, else the build tree's (the
 * app runs uninstalled), else the installed one (libexec, then PATH). */
static char *find_program(const char *env, const char *built, const char *name)
{
    const char *path = g_getenv(env);
    g_autofree char *libexec = NULL;

    if (path != NULL && *path != '\0')
        return g_strdup(path);
    if (built != NULL && g_file_test(built, G_FILE_TEST_IS_EXECUTABLE))
        return g_strdup(built);
    if (name == NULL) {
        /* kv-pcsc-env is installed beside the app's other helpers. */
        libexec = g_build_filename(KV_LIBEXECDIR, "kv-pcsc-env", NULL);
        return g_file_test(libexec, G_FILE_TEST_IS_EXECUTABLE) ? g_steal_pointer(&libexec)
                                                                : NULL;
    }
    return g_find_program_in_path(name);
}

/* One step of a demo meter (kilovend-meter-sim, the real firmware on the
 * host): its state and provisioning in dir, the step's arguments. */
static gboolean run_sim(const char *sim, const char *dir, guint32 meter,
                        const char *const *step, GError **error)
{
    g_autofree char *name = g_strdup_printf("meter-%09u", meter);
    g_autofree char *state = g_build_filename(dir, name, NULL);
    g_autofree char *prov = g_strdup_printf("%s.prov", state);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    int status = 0;

    g_ptr_array_add(argv, (char *)sim);
    g_ptr_array_add(argv, (char *)"--state");
    g_ptr_array_add(argv, state);
    g_ptr_array_add(argv, (char *)"--config");
    g_ptr_array_add(argv, prov);
    for (guint j = 0; step[j] != NULL; j++)
        g_ptr_array_add(argv, (char *)step[j]);
    g_ptr_array_add(argv, NULL);
    /* An insertion that loads nothing is the meter's balance check: it
     * succeeds and still writes the readback. */
    return g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                        G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
                        NULL, &status, error) &&
           g_spawn_check_wait_status(status, error);
}

static char *meter_sim(void)
{
    return find_program("KILOVEND_METER_SIM", KV_BUILD_METER_SIM, "kilovend-meter-sim");
}

/* The meter's side, if the meter firmware's host build is there: the card
 * goes into the meter, power is drawn for a few hours, the card goes in
 * again and carries the meter's readback back to the office.  The demo
 * works without it. */
static void run_meter(const char *dir, KvStation *st, guint32 meter, guint card_no, double kw,
                      double hours)
{
    g_autofree char *sim = meter_sim();
    g_autofree char *name = g_strdup_printf("meter-%09u", meter);
    g_autofree char *prov = g_strdup_printf("%s/%s.prov", dir, name);
    g_autofree char *state = g_build_filename(dir, name, NULL);
    g_autofree char *card = kv_demo_card_path(dir, card_no);
    g_autofree char *kw_s = g_strdup_printf("%.2f", kw);
    g_autofree char *hours_s = g_strdup_printf("%.2f", hours);
    g_autoptr(GError) error = NULL;
    const char *steps[3][6] = {
        {"insert", card, NULL},
        {"run", "--kw", kw_s, "--hours", hours_s, NULL},
        {"insert", card, NULL},
    };

    if (sim == NULL)
        return;
    if (!kv_meter_provision(st, meter, prov, &error) || g_mkdir_with_parents(state, 0700) != 0) {
        g_printerr(_("kilovend: no meter readback in the demo: %s\n"),
                   error != NULL ? error->message : g_strerror(errno));
        return;
    }
    for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
        if (!run_sim(sim, dir, meter, steps[i], &error)) {
            g_printerr(_("kilovend: no meter readback in the demo: %s\n"), error->message);
            return;
        }
    }
}

gboolean kv_demo_meter_insert(const char *dir, guint32 meter, const char *card, GError **error)
{
    g_autofree char *sim = meter_sim();
    const char *step[] = {"insert", card, NULL};

    if (sim == NULL) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                            "kilovend-meter-sim (the meter firmware's host build) is not there");
        return FALSE;
    }
    return run_sim(sim, dir, meter, step, error);
}

gboolean kv_demo_create(const char *dir, GError **error)
{
    static const guint8 factory_psc[3] = {0xFF, 0xFF, 0xFF};
    g_autofree char *db = kv_demo_db_path(dir);
    g_autofree char *keys = kv_demo_keys_path(dir);
    g_autofree char *blank = kv_demo_card_path(dir, 5);
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvSale) sale = NULL;
    g_autoptr(KvShift) shift = NULL;
    g_autoptr(KvCardLink) link = NULL;
    KvInitParams params = {
        .utility_name = "Kilovend Demo Power",
        .utility_code = 4711,
        .currency = "GHS",
        .minor_digits = 2,
        .office_id = 1,
        .admin_login = KV_DEMO_ADMIN,
        .admin_password = KV_DEMO_ADMIN_PASSWORD,
    };
    KvTariff tariff = {
        .code = "DEFAULT",
        .effective_from = 0,
        .vat_bp = 1500,
        .fixed_monthly = 500,
        .debt_bp = 2000,
        .n_blocks = 2,
        /* 1.20 a kWh for the first 50 kWh of the month, then 1.80. */
        .blocks = {{5000, 1200000}, {0, 1800000}},
    };
    KvSaleRequest first_sale = {.amount = 2000, .energy = 0};

    if (!kv_station_init(db, &params, error) ||
        !kv_keyfile_generate(keys, KV_DEMO_PASSPHRASE, error))
        return FALSE;
    st = kv_station_open(db, keys, error);
    if (st == NULL || !kv_station_login(st, KV_DEMO_ADMIN, KV_DEMO_ADMIN_PASSWORD, error) ||
        !kv_station_unlock_keys(st, KV_DEMO_PASSPHRASE, NULL, NULL, error))
        return FALSE;
    if (!kv_user_add(st, KV_DEMO_CASHIER, "Ama Boateng", KV_ROLE_CASHIER,
                     KV_DEMO_CASHIER_PASSWORD, error) ||
        !kv_user_add(st, KV_DEMO_SUPERVISOR, "Kofi Annan", KV_ROLE_SUPERVISOR,
                     KV_DEMO_SUPERVISOR_PASSWORD, error))
        return FALSE;
    if (kv_tariff_add(st, &tariff, "Residential", error) <= 0)
        return FALSE;

    for (guint i = 0; i < G_N_ELEMENTS(demo_customers); i++) {
        const DemoCustomer *dc = &demo_customers[i];
        KvCustomer c = {0, (char *)dc->account, (char *)dc->name, (char *)dc->address,
                        (char *)dc->phone, dc->debt};
        KvMeter m = {0};
        gint64 id = kv_customer_add(st, &c, error);

        if (id <= 0)
            return FALSE;
        m.number = demo_meter(i);
        m.customer_id = id;
        m.model = (char *)"KV-3P";
        m.phases = 3;
        m.address = (char *)dc->address;
        m.tariff_code = (char *)"DEFAULT";
        m.alarm_level = 1000;     /* 10 kWh */
        m.pretrip_level = 300;    /* 3 kWh */
        m.hoarding_limit = 40000; /* 400 kWh */
        if (!kv_meter_add(st, &m, error))
            return FALSE;
    }

    /* Cards: Ama's and Yaw's; Esi's first card lost and replaced (card 3
     * stays blocked, card 4 is her current card); a blank card. */
    if (!issue_to_file(st, dir, 1, demo_meter(0), NULL, error) ||
        !issue_to_file(st, dir, 2, demo_meter(1), NULL, error) ||
        !issue_to_file(st, dir, 3, demo_meter(2), NULL, error) ||
        !issue_to_file(st, dir, 4, demo_meter(2), "lost", error) ||
        !kv_card_link_file_create_blank(blank, factory_psc, error))
        return FALSE;

    /* One earlier sale on Yaw's card, in a closed shift, for the reports. */
    if (kv_shift_open(st, 10000, error) <= 0)
        return FALSE;
    {
        g_autofree char *path = kv_demo_card_path(dir, 2);
        link = kv_card_link_file_open(path, error);
    }
    if (link == NULL)
        return FALSE;
    sale = kv_sale_sell(st, link, demo_meter(1), &first_sale, error);
    if (sale == NULL)
        return FALSE;
    shift = kv_shift_close(st, 10000 + sale->breakdown.amount, error);
    if (shift == NULL)
        return FALSE;

    /* Yaw's meter loaded that sale and has used some of it; Ama's meter ran
     * out of credit: both cards carry their meter's readback. */
    g_clear_pointer(&link, kv_card_link_free);
    run_meter(dir, st, demo_meter(1), 2, 1.2, 4.0);
    run_meter(dir, st, demo_meter(0), 1, 0.8, 1.0);
    kv_station_lock_keys(st);
    kv_station_logout(st);
    return TRUE;
}

gboolean kv_demo_run_in_pcsc_env(const char *dir, char **argv, int *status, GError **error)
{
    g_autofree char *env_tool = find_program("KILOVEND_PCSC_ENV", KV_BUILD_PCSC_ENV, NULL);
    g_autofree char *vcard = find_program("KV_VCARD_BIN", KV_BUILD_VCARD, "kilovend-vcard");
    g_autofree char *card = kv_demo_card_path(dir, 1);
    g_autofree char *meter_window = NULL;
    g_autofree char *meter_state = NULL;
    g_autofree char *meter_prov = NULL;
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    int wait_status = 0;

    if (env_tool == NULL || vcard == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    _("The demo needs kv-pcsc-env and kilovend-vcard (installed with the "
                      "station, or in the build tree: tests/pcsc/kv-pcsc-env, "
                      "build/src/vcard/kilovend-vcard): build the station first with "
                      "./kilovend.sh build."));
        return FALSE;
    }
    if (geteuid() != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    _("The demo starts its own private card service, which needs root: run "
                      "it with sudo (sudo ./kilovend.sh run)."));
        return FALSE;
    }
    g_ptr_array_add(args, env_tool);
    g_ptr_array_add(args, (char *)"--card");
    g_ptr_array_add(args, card);
    g_ptr_array_add(args, (char *)"--vcard");
    g_ptr_array_add(args, vcard);
    g_ptr_array_add(args, (char *)"--");
    /* ./kilovend.sh run puts the meter of the card in the reader beside the
     * station: the meter window (the firmware's host board) on the same
     * card file and virtual reader, so the card can go from one to the
     * other.  The window lives as long as the station does. */
    if (g_getenv("KILOVEND_DEMO_METER_WINDOW") != NULL &&
        (meter_window = find_program("KILOVEND_METER_WINDOW", KV_BUILD_METER_WINDOW,
                                     "kilovend-meter")) != NULL) {
        g_autofree char *name = g_strdup_printf("meter-%09u", demo_meter(0));
        meter_state = g_build_filename(dir, name, NULL);
        meter_prov = g_strdup_printf("%s.prov", meter_state);
        if (g_file_test(meter_prov, G_FILE_TEST_EXISTS)) {
            g_ptr_array_add(args, (char *)"/bin/sh");
            g_ptr_array_add(args, (char *)"-c");
            g_ptr_array_add(args, (char *)"m=$1 p=$2 s=$3; shift 3; "
                                          "\"$m\" --config \"$p\" --state \"$s\" & exec \"$@\"");
            g_ptr_array_add(args, (char *)"kilovend-demo");
            g_ptr_array_add(args, meter_window);
            g_ptr_array_add(args, meter_prov);
            g_ptr_array_add(args, meter_state);
        }
    }
    for (char **a = argv; *a != NULL; a++)
        g_ptr_array_add(args, *a);
    g_ptr_array_add(args, NULL);
    if (!g_spawn_sync(NULL, (char **)args->pdata, NULL,
                      G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL, NULL, &wait_status,
                      error))
        return FALSE;
    *status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 1;
    return TRUE;
}

gboolean kv_demo_insert_card(guint n, GError **error)
{
    const char *control = g_getenv("KV_VCARD_CONTROL");
    const char *dir = g_getenv("KILOVEND_DEMO_DIR");
    g_autofree char *cmd = NULL;
    FILE *f;

    if (control == NULL || dir == NULL) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            _("Only the demo has a virtual card reader."));
        return FALSE;
    }
    if (n == 0) {
        cmd = g_strdup("remove\n");
    } else {
        g_autofree char *path = kv_demo_card_path(dir, n);
        /* Out first, so the station sees a new card even if the same file
         * goes back in. */
        cmd = g_strdup_printf("remove\ninsert %s\n", path);
    }
    /* The virtual card reads one command a line from its FIFO. */
    f = g_fopen(control, "w");
    if (f == NULL) {
        int saved = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
                    _("Cannot reach the virtual card: %s"), g_strerror(saved));
        return FALSE;
    }
    fputs(cmd, f);
    fclose(f);
    /* The meter beside the station takes the card the reader holds: it
     * reads which file that is here. */
    {
        g_autofree char *pointer = g_strconcat(control, ".card", NULL);
        g_autofree char *path = n != 0 ? kv_demo_card_path(dir, n) : g_strdup("");

        if (!g_file_set_contents(pointer, path, -1, error))
            return FALSE;
    }
    return TRUE;
}

gboolean kv_demo_remove_dir(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;

        while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            kv_demo_remove_dir(child);
        }
    }
    return g_remove(path) == 0;
}
