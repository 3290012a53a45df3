/* ctl-sync.c - `kilovendctl sync`: the link to the head office, run in its
 * own process (once, or as a daemon with a systemd unit), and its state. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "kv-sync-client.h"

static const char *config_env(void)
{
    return g_getenv("KILOVEND_SYNC_CONF") ? g_getenv("KILOVEND_SYNC_CONF") : KV_SYNC_CONFIG_DEFAULT;
}

static const char *config_path(CtlArgs *a)
{
    return ctl_opt(a, "config") ? ctl_opt(a, "config") : config_env();
}

void ctl_sync_install_reserver(KvStation *st)
{
    kv_sync_install_reserver(st, config_env());
}

static char *when(gint64 t)
{
    g_autoptr(GDateTime) d = t ? g_date_time_new_from_unix_utc(t) : NULL;
    return d ? g_date_time_format(d, "%Y-%m-%d %H:%M:%S UTC") : g_strdup(_("never"));
}

static void json_text(GString *j, const char *key, const char *v)
{
    g_autofree char *e = v ? kv_json_escape(v) : NULL;
    if (e)
        g_string_append_printf(j, ",\"%s\":\"%s\"", key, e);
    else
        g_string_append_printf(j, ",\"%s\":null", key);
}

static int sync_status(void)
{
    GError *error = NULL;
    g_autoptr(KvStation) st = ctl_open(FALSE, FALSE, &error);
    g_autoptr(KvSyncStatus) s = st ? kv_sync_status(st, &error) : NULL;
    g_autofree char *ok_at = NULL, *off_at = NULL, *limit = NULL, *sold = NULL;
    const char *link;

    if (!s)
        return ctl_fail(error);
    link = s->recover ? "recover" : s->conflict ? "stopped" : !s->joined ? "not-joined"
         : s->offline_since ? "offline" : "online";
    ok_at = when(s->last_success_at);
    off_at = when(s->offline_since);
    limit = kv_station_format_money(st, s->offline_money);
    sold = kv_station_format_money(st, s->sold_offline);
    if (ctl.json) {
        g_autoptr(GString) j = g_string_new(NULL);
        g_string_append_printf(j, "{\"station\":%u,\"link\":\"%s\",\"joined\":%s,"
                               "\"last_success_at\":%" G_GINT64_FORMAT ",\"offline_since\":%" G_GINT64_FORMAT
                               ",\"waiting\":%" G_GINT64_FORMAT ",\"pushed_audit\":%" G_GINT64_FORMAT
                               ",\"audit_head\":%" G_GINT64_FORMAT ",\"offline_hours\":%" G_GINT64_FORMAT
                               ",\"offline_money\":%" G_GINT64_FORMAT ",\"sold_offline\":%" G_GINT64_FORMAT,
                               s->station_no, link, s->joined ? "true" : "false", s->last_success_at,
                               s->offline_since, s->waiting, s->pushed_audit, s->audit_head,
                               s->offline_hours, s->offline_money, s->sold_offline);
        json_text(j, "conflict", s->conflict);
        json_text(j, "recover", s->recover);
        json_text(j, "centre_head", s->centre_head);
        json_text(j, "last_error", s->last_error);
        printf("%s}\n", j->str);
    } else {
        printf(_("station          %u\n"), s->station_no);
        printf(_("link             %s\n"), link);
        printf(_("last success     %s\n"), ok_at);
        if (s->offline_since)
            printf(_("offline since    %s\n"), off_at);
        printf(_("records waiting  %" PRId64 " (audit rows %" PRId64 " of %"
                 PRId64 " pushed)\n"), s->waiting, s->pushed_audit, s->audit_head);
        printf(_("conflicts        %s\n"), s->conflict ? s->conflict : _("none"));
        if (s->recover)
            printf(_("recover          %s\n"), s->recover);
        if (s->centre_head)
            printf(_("centre head      %s\n"), s->centre_head);
        if (s->offline_hours || s->offline_money)
            printf(_("offline limits   %" PRId64 " h, %s (sold since the last sync: %s)\n"),
                   s->offline_hours, limit, sold);
        if (s->last_error)
            printf(_("last error       %s\n"), s->last_error);
    }
    /* An alarm for monitoring: sync stopped, or the ledger must be recovered. */
    return s->conflict || s->recover ? KV_CORE_ERROR_STATE + 2 : CTL_EXIT_OK;
}

static int sync_once(KvStation *st, const KvSyncConfig *cfg)
{
    GError *error = NULL;
    KvSyncRound r;

    if (!kv_sync_round(st, cfg, &r, &error))
        return ctl_fail(error);
    if (ctl.json)
        printf("{\"ok\":true,\"batches\":%u,\"records\":%u,\"master\":%u,\"meters\":%u,\"cards\":%u,"
               "\"reset\":%s}\n", r.batches, r.records, r.pull.master, r.pull.meters, r.pull.cards,
               r.pull.reset ? "true" : "false");
    else
        ctl_out(_("synced: %u records pushed in %u batches; pulled %u master data rows, %u meter "
                  "states, %u cards\n"), r.records, r.batches, r.pull.master, r.pull.meters, r.pull.cards);
    return CTL_EXIT_OK;
}

/* Rounds for ever: every interval when all is well, backing off (doubling
 * up to 15 minutes) while the link fails. */
static int sync_daemon(KvStation *st, const KvSyncConfig *cfg, guint interval)
{
    guint wait = interval;
    for (;;) {
        GError *error = NULL;
        KvSyncRound r;
        if (kv_sync_round(st, cfg, &r, &error)) {
            wait = interval;
            if (r.records || r.pull.master)
                ctl_out(_("synced: %u records pushed, %u master data rows pulled\n"), r.records,
                        r.pull.master);
        } else {
            g_printerr(_("sync: %s\n"), error->message);
            wait = error->domain == KV_PG_ERROR ? MIN(wait * 2, 900u) : interval;
            g_error_free(error);
        }
        fflush(stdout);
        g_usleep((gulong)wait * G_USEC_PER_SEC);
    }
    return CTL_EXIT_OK;
}

/* The ledger takes its own records back from head office, then syncs. */
static int sync_recover(KvStation *st, const KvSyncConfig *cfg)
{
    GError *error = NULL;
    KvOutboxRecovery r;
    KvSyncRound round;
    int rc = CTL_EXIT_OK;

    if (!kv_sync_recover(st, cfg, &r, &error))
        return ctl_fail(error);
    if (ctl.json) {
        g_autofree char *kept = kv_json_escape(r.kept);
        printf("{\"ok\":true,\"fork\":%" G_GINT64_FORMAT ",\"centre_head\":%" G_GINT64_FORMAT
               ",\"replaced\":%" G_GINT64_FORMAT ",\"sales\":%u,\"kept\":\"%s\"}\n", r.fork,
               r.centre_head, r.replaced, r.sales, kept);
    } else {
        ctl_out(_("recovered: the ledger and head office share audit rows 1..%" PRId64
                  "; rows up to %" PRId64 " and %u sales taken back from head office; the "
                  "ledger as it was is kept in %s\n"), r.fork, r.centre_head, r.sales, r.kept);
    }
    kv_outbox_recovery_clear(&r);
    if (!kv_sync_round(st, cfg, &round, &error))
        rc = ctl_fail(error);
    return rc;
}

int ctl_cmd_sync(int argc, char **argv)
{
    static const char *const flags[] = { "once", "daemon", NULL };
    static const char *const allowed[] = { "once", "daemon", "config", "interval", NULL };
    GError *error = NULL;
    CtlArgs a = { 0 };
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvSyncConfig) cfg = NULL;
    guint interval;
    int rc;

    gboolean recover = argc >= 2 && strcmp(argv[1], "recover") == 0;

    if (argc == 2 && strcmp(argv[1], "status") == 0)
        return sync_status();
    if (!ctl_args_parse(&a, argc - 1 - recover, argv + 1 + recover, flags))
        return CTL_EXIT_USAGE;
    if (!ctl_args_only(&a, allowed) || a.words->len ||
        (recover ? ctl_flag(&a, "once") || ctl_flag(&a, "daemon") : ctl_flag(&a, "once") == ctl_flag(&a, "daemon"))) {
        ctl_args_clear(&a);
        return ctl_usage_error(_("sync --once | --daemon [--interval S] [--config FILE] | status | "
                                 "recover [--config FILE]"));
    }
    if (!(st = ctl_open(FALSE, FALSE, &error)) ||
        !(cfg = kv_sync_config_load(config_path(&a), kv_station_settings(st)->station_no, &error))) {
        ctl_args_clear(&a);
        return ctl_fail(error);
    }
    interval = cfg->interval_s;
    if (ctl_opt(&a, "interval")) {
        gint64 v;
        if (!kv_decimal_parse(ctl_opt(&a, "interval"), 0, 86400, &v, &error) || v < 1) {
            ctl_args_clear(&a);
            return error ? ctl_fail(error) : ctl_usage_error(_("--interval is 1..86400 seconds"));
        }
        interval = (guint)v;
    }
    rc = recover ? sync_recover(st, cfg) : ctl_flag(&a, "once") ? sync_once(st, cfg)
                                                                : sync_daemon(st, cfg, interval);
    ctl_args_clear(&a);
    return rc;
}
