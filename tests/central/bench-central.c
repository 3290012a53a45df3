/* bench-central.c - catch-up after a day offline: one station pushes N
 * waiting sales (each a sale, its completed state and its audit row) in
 * batches to the head office over TLS, another station pulls what changed.
 * Run under kv-pg-harness (tools/bench-central.sh). */
#include "central-test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The CPU seconds (user + system) the server process behind c has used so
 * far, from /proc (the server runs on this machine): the push's own cost,
 * apart from the other work on a busy machine. */
static double server_cpu_s(PGconn *c)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", PQbackendPID(c)), *stat = NULL;
    g_auto(GStrv) f = NULL;
    const char *end;

    if (!g_file_get_contents(path, &stat, NULL, NULL) || !(end = strrchr(stat, ')')))
        return -1;
    f = g_strsplit(end + 2, " ", 0);   /* f[0] is field 3 (state): utime is f[11], stime f[12] */
    if (g_strv_length(f) < 13)
        return -1;
    return (double)(g_ascii_strtoll(f[11], NULL, 10) + g_ascii_strtoll(f[12], NULL, 10)) / sysconf(_SC_CLK_TCK);
}

static gint64 now_us(void)
{
    return g_get_monotonic_time();
}

int main(int argc, char **argv)
{
    gint64 n = argc > 1 ? g_ascii_strtoll(argv[1], NULL, 10) : 1000;
    gint64 per_batch = argc > 2 ? g_ascii_strtoll(argv[2], NULL, 10) : 500;
    gint64 meters = argc > 3 ? g_ascii_strtoll(argv[3], NULL, 10) : 1000;
    g_autoptr(PGconn) a = ct_station(101);
    g_autoptr(PGconn) b = ct_station(201);
    g_autoptr(GError) error = NULL;
    guint8 head[32] = {0};
    gint64 sent = 0, t0, push_us = 0, pull_us, stored, max_batch_us = 0;
    g_autofree char *pulled = NULL;
    gint64 *cumulative;
    double cpu0 = server_cpu_s(a), cpu;

    if (n < 1 || per_batch < 1 || meters < 1) {
        g_printerr("usage: bench-central SALES [SALES_PER_BATCH [METERS]]\n");
        return 2;
    }
    cumulative = g_new0(gint64, meters);
    for (gint64 first = 1; first <= n; first += per_batch) {
        GString *batch = g_string_new("[");
        gint64 last = MIN(n, first + per_batch - 1), t;
        for (gint64 id = first; id <= last; id++) {
            gint64 m = (id - 1) % meters;
            gint64 energy = 500 + id % 700;
            g_autofree char *detail = g_strdup_printf("state=completed amount=%" G_GINT64_FORMAT, energy * 2);
            char *recs[3];
            cumulative[m] += energy;
            recs[0] = ct_sale(101, id, 100000 + m, 1048576 + m, (id - 1) / meters + 1, energy * 2, energy,
                              cumulative[m]);
            recs[1] = ct_state(101, id, id, "completed", 0);
            recs[2] = ct_audit(101, id, head, "sale.completed", detail);
            for (int i = 0; i < 3; i++) {
                if (batch->len > 1)
                    g_string_append_c(batch, ',');
                g_string_append(batch, recs[i]);
                g_free(recs[i]);
            }
        }
        g_string_append_c(batch, ']');
        sent += (gint64)batch->len;
        t = now_us();
        g_autofree char *reply = kv_pg_push(a, batch->str, &error);
        t = now_us() - t;
        if (!reply)
            g_error("push: %s", error->message);
        push_us += t;
        max_batch_us = MAX(max_batch_us, t);
        g_string_free(batch, TRUE);
    }
    cpu = server_cpu_s(a) - cpu0;
    stored = ct_admin_int("SELECT sum(pg_total_relation_size(c)) FROM unnest(ARRAY['kv.sales', 'kv.sale_states', "
                          "'kv.audit']::regclass[]) c");
    t0 = now_us();
    pulled = kv_pg_pull(b, "", &error);
    pull_us = now_us() - t0;
    if (!pulled)
        g_error("pull: %s", error->message);
    g_assert_cmpint(ct_admin_int("SELECT count(*) FROM kv.sales WHERE station_no = 101"), ==, n);
    g_assert_cmpint(ct_admin_int("SELECT audit_head_id FROM kv.stations WHERE station_no = 101"), ==, n);

    g_print("sales %" G_GINT64_FORMAT " (batches of %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT " meters): "
            "push %.2f s (%.0f sales/s, slowest batch %.2f s; server CPU %.2f s, %.2f ms/sale), %.0f bytes sent/sale, "
            "%.0f bytes stored/sale (sales, states, audit with indexes); pull of all meter state %.2f s, %zu bytes\n",
            n, per_batch, meters, push_us / 1e6, n / (push_us / 1e6), max_batch_us / 1e6, cpu,
            cpu * 1e3 / n, (double)sent / n,
            (double)stored / n, pull_us / 1e6, strlen(pulled));
    g_free(cumulative);
    return 0;
}
