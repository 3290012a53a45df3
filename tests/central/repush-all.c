/* repush-all.c - pushes every record of a station's ledger to the head
 * office again, batch by batch exactly as `kilovendctl sync` builds them
 * (kv_outbox_next), but without the pull that would skip what head office
 * already holds: invariant 6 of the fault tests ("re-pushing every batch
 * changes nothing").  The caller sets the ledger's outbox cursors back to
 * 0 first.
 *
 *   repush-all DB SYNC_CONF     prints "batches B records R new N"
 *   repush-all DB SYNC_CONF --without KIND,KIND
 *       pushes what waits (the cursors as they are) as an older version
 *       did, whose batches had no records of those kinds (a station
 *       before the version that pushes them: tests/central/test-swap-upgrade.sh)
 * Exit 0 when every batch was accepted; 1 on an error, a conflict or a stop. */
#include <stdio.h>
#include <string.h>

#include "kv-core.h"
#include "kv-outbox.h"
#include "kv-sync-client.h"

/* The batch without the records of the kinds listed (kv_outbox_next
 * writes "[", then one record a line, each but the last ending with ",",
 * then "]"). */
static char *without_kinds(const char *json, char **kinds)
{
    g_auto(GStrv) lines = g_strsplit(json, "\n", -1);
    GString *out = g_string_new("[");
    guint kept = 0;
    for (guint i = 0; lines[i]; i++) {
        gboolean drop = lines[i][0] != '{';
        for (guint k = 0; kinds[k] && !drop; k++) {
            g_autofree char *head = g_strdup_printf("{\"kind\":\"%s\",", kinds[k]);
            drop = g_str_has_prefix(lines[i], head);
        }
        if (drop)
            continue;
        g_string_append(out, kept++ ? ",\n" : "\n");
        g_string_append_len(out, lines[i], (gssize)(strlen(lines[i]) - g_str_has_suffix(lines[i], ",")));
    }
    g_string_append(out, "\n]");
    return g_string_free(out, FALSE);
}

int main(int argc, char **argv)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvSyncConfig) cfg = NULL;
    g_autoptr(PGconn) c = NULL;
    char user[32];
    guint batches = 0, records = 0;
    gint64 fresh = 0;

    g_auto(GStrv) without = NULL;

    if (argc == 5 && strcmp(argv[3], "--without") == 0)
        without = g_strsplit(argv[4], ",", -1);
    else if (argc != 3) {
        fprintf(stderr, "usage: repush-all DB SYNC_CONF [--without KIND,KIND]\n");
        return 2;
    }
    if (!(st = kv_station_open(argv[1], g_getenv("KILOVEND_KEYS"), &e)) ||
        !(cfg = kv_sync_config_load(argv[2], kv_station_settings(st)->station_no, &e)))
        goto fail;
    g_snprintf(user, sizeof user, "kv_station_%05u", kv_station_settings(st)->station_no);
    {
        KvPgParams p = { .host = cfg->host, .port = cfg->port, .dbname = cfg->dbname, .user = user,
                         .ca_file = cfg->ca_file, .cert_file = cfg->cert_file, .key_file = cfg->key_file,
                         .hostaddr = cfg->hostaddr, .connect_timeout_s = cfg->connect_timeout_s };
        if (!(c = kv_pg_connect(&p, &e)))
            goto fail;
    }
    for (;;) {
        g_autoptr(KvOutboxBatch) b = kv_outbox_next(st, cfg->batch_rows ? cfg->batch_rows : 500, &e);
        g_autofree char *reply = NULL, *message = NULL;
        const char *n;
        KvOutboxPush result;
        if (!b)
            goto fail;
        if (!b->json)
            break;
        g_autofree char *sent = without ? without_kinds(b->json, without) : g_strdup(b->json);
        if (!(reply = kv_pg_push(c, sent, &e)) || !kv_outbox_pushed(st, b, reply, &result, &message, &e))
            goto fail;
        if (result != KV_OUTBOX_PUSH_OK) {
            fprintf(stderr, "repush-all: batch %u refused: %s\n", batches + 1, message);
            return 1;
        }
        n = strstr(reply, "\"new\": ");
        fresh += n ? g_ascii_strtoll(n + 7, NULL, 10) : 1;
        batches++;
        records += b->records;
    }
    printf("batches %u records %u new %" G_GINT64_FORMAT "\n", batches, records, fresh);
    return 0;
fail:
    fprintf(stderr, "repush-all: %s\n", e->message);
    return 1;
}
