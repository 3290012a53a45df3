/* meter_sim.c - kilovend-meter-sim: the meter firmware on the host board.
 *
 *   kilovend-meter-sim --state DIR --config FILE COMMAND [ARGS]
 *     insert CARD_FILE                   insert a card (kilovend-vcard file)
 *     run --kw P [--hours H] [--phases a,b,c]
 *     fail-relay on|off                  weld / heal the relay contacts
 *     cover open|close                   the terminal cover switch
 *     button [--hold]                    press the display button (--hold: held 3 s,
 *                                        the emergency credit at a cut-off)
 *     power-cycle                        power fails and comes back
 *     status [--json]
 *   kilovend-meter-sim --version
 *
 * DIR holds the meter's non-volatile memories (nv.bin, as the external
 * EEPROM would; secure.bin, the MCU's internal flash: the provisioning
 * block FILE is written there, as a technician does) and what a powered
 * meter keeps in RAM between commands (ram.bin).  A
 * real meter gets another provisioning block only by being reflashed,
 * which reboots it: so ram.bin remembers a checksum of the block it ran
 * with, and a command with another block boots from nv.bin instead.  A
 * meter that refuses its block (UnProG, Err 26) keeps nothing in RAM and
 * writes nothing, so it can never overwrite the credit of the meter the
 * memory belongs to.  The
 * card is read and written through the real SLE4442 wire driver against the
 * chip model, and the card file is rewritten with what the meter wrote.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "evlog.h"
#include "host_board.h"
#include "host_files.h"
#include "kv_util.h"
#include "supply.h"

#ifndef KV_VERSION
#define KV_VERSION "unknown"
#endif

#define RAM_MAGIC 0x4B565352u /* "KVSR" */

static host_board board;

static void usage(FILE *f)
{
    fputs("usage: kilovend-meter-sim --state DIR --config FILE COMMAND [ARGS]\n"
          "commands:\n"
          "  insert CARD_FILE                     insert a card file (kilovend-vcard format)\n"
          "  run --kw P [--hours H] [--phases a,b,c]\n"
          "                                       draw P kW for H hours (default 1), split over\n"
          "                                       L1..L3 by the weights (default 1,1,1; a negative\n"
          "                                       weight is reverse energy, 'off' a lost phase)\n"
          "  fail-relay on|off                    weld the relay contacts / repair them\n"
          "  cover open|close                     terminal cover switch\n"
          "  button [--hold]                      press the display button (--hold: hold it\n"
          "                                       3 s: the emergency credit at a cut-off)\n"
          "  power-cycle                          the supply fails and returns\n"
          "  status [--json]                      remaining credit, display, lamps, relay, events\n"
          "  --version\n",
          f);
}

static int die(const char *what, const char *detail)
{
    fprintf(stderr, "kilovend-meter-sim: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 2;
}

/* Reads exactly len bytes; 0 ok, -1 missing, -2 wrong size or error. */
static int read_file(const char *path, void *buf, size_t len)
{
    long n = host_file_read(path, buf, len);
    return n < 0 ? (int)n : (size_t)n == len ? 0 : -2;
}

/* "2.5" -> 2500 with three decimals; -1 if not a number. */
static long parse_milli(const char *s)
{
    long whole = 0, frac = 0;
    int digits = 0, fd = 0;
    if (!*s)
        return -1;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        whole = whole * 10 + (*s - '0');
        if (whole > 1000000)
            return -1;
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, digits++)
            if (fd < 3) {
                frac = frac * 10 + (*s - '0');
                fd++;
            }
    }
    if (*s || !digits)
        return -1;
    while (fd++ < 3)
        frac *= 10;
    return whole * 1000 + frac;
}

static int parse_phases(const char *s, long w[3], uint8_t *phase_ok)
{
    *phase_ok = 0;
    for (int p = 0; p < 3; p++) {
        char *end;
        if (strncmp(s, "off", 3) == 0) {
            w[p] = 0;
            end = (char *)s + 3;
        } else {
            w[p] = strtol(s, &end, 10);
            if (end == s || w[p] < -100 || w[p] > 100)
                return -1;
            *phase_ok |= (uint8_t)(1u << p);
        }
        if (p < 2 && *end != ',')
            return -1;
        if (p == 2 && *end)
            return -1;
        s = end + 1;
    }
    return 0;
}

static void print_kwh(FILE *f, int32_t centi)
{
    int64_t v = centi;
    if (v < 0) {
        fputc('-', f);
        v = -v;
    }
    fprintf(f, "%lld.%02lld", (long long)(v / 100), (long long)(v % 100));
}

static void status_text(void)
{
    const meter *m = &board.m;
    char nb[16];
    printf("display:    %s\n", board.text);
    if (!m->provisioned) {
        printf("meter:      unprovisioned\n");
        return;
    }
    printf("meter:      %09lu (utility %lu, key version %u)\n", (unsigned long)m->cfg.meter_number,
           (unsigned long)m->cfg.utility_code, m->cfg.key_version);
    printf("remaining:  ");
    print_kwh(stdout, m->st.remaining);
    printf(" kWh\nloaded:     ");
    print_kwh(stdout, (int32_t)m->st.cumulative_loaded);
    printf(" kWh (cumulative)\nenergy:     ");
    print_kwh(stdout, (int32_t)meter_total_energy(m));
    printf(" kWh (L1 ");
    print_kwh(stdout, (int32_t)m->st.phase_energy[0]);
    printf(", L2 ");
    print_kwh(stdout, (int32_t)m->st.phase_energy[1]);
    printf(", L3 ");
    print_kwh(stdout, (int32_t)m->st.phase_energy[2]);
    printf(")\n");
    printf("relay:      %s%s (%s)\n", board.relay_cmd ? "closed" : "open",
           board.p.relay_stuck ? ", contacts welded" : "", supply_name(m));
    printf("lamps:      red %s, yellow %s\n", board.lamps & METER_LAMP_RED ? "on" : "off",
           board.lamps & METER_LAMP_YELLOW ? "on" : "off");
    printf("tamper:     %s%s%s%s%s\n", m->st.tamper ? "" : "none",
           m->st.tamper & METER_TAMPER_COVER ? "cover " : "",
           m->st.tamper & METER_TAMPER_REVERSE ? "reverse " : "",
           m->st.tamper & METER_TAMPER_PHASE ? "phase-loss " : "",
           m->st.tamper & METER_TAMPER_NV ? "memory" : "");
    if (m->st.lockout_left)
        printf("lockout:    %lu s\n", (unsigned long)m->st.lockout_left);
    printf("events:    ");
    for (int i = 0; i < METER_EVENTS && m->st.events[i]; i++)
        printf("%s %s", i ? "," : "", evlog_name(m->st.events[i], nb));
    printf("\n");
}

static void status_json(void)
{
    const meter *m = &board.m;
    char nb[16];
    printf("{\"version\":\"%s\",\"provisioned\":%s", KV_VERSION, m->provisioned ? "true" : "false");
    printf(",\"display\":\"%s\"", board.text);
    if (m->provisioned) {
        printf(",\"meter_number\":\"%09lu\",\"utility_code\":%lu,\"key_version\":%u",
               (unsigned long)m->cfg.meter_number, (unsigned long)m->cfg.utility_code,
               m->cfg.key_version);
        printf(",\"remaining\":%ld,\"cumulative_loaded\":%lu,\"total_energy\":%lu",
               (long)m->st.remaining, (unsigned long)m->st.cumulative_loaded,
               (unsigned long)meter_total_energy(m));
        printf(",\"phase_energy\":[%lu,%lu,%lu]", (unsigned long)m->st.phase_energy[0],
               (unsigned long)m->st.phase_energy[1], (unsigned long)m->st.phase_energy[2]);
        printf(",\"alarm_level\":%lu,\"pretrip_level\":%lu,\"hoarding_limit\":%lu"
               ",\"max_power\":%lu,\"emergency_kwh\":%u",
               (unsigned long)m->cfg.alarm_level, (unsigned long)m->cfg.pretrip_level,
               (unsigned long)m->cfg.hoarding_limit, (unsigned long)m->cfg.max_power,
               m->cfg.emergency_kwh);
    }
    printf(",\"relay\":\"%s\",\"relay_welded\":%s,\"supply\":\"%s\"",
           board.relay_cmd ? "closed" : "open", board.p.relay_stuck ? "true" : "false",
           supply_name(m));
    printf(",\"lamps\":{\"red\":%s,\"yellow\":%s}", board.lamps & METER_LAMP_RED ? "true" : "false",
           board.lamps & METER_LAMP_YELLOW ? "true" : "false");
    printf(",\"tamper\":{\"cover\":%s,\"reverse\":%s,\"phase_loss\":%s,\"memory\":%s}",
           m->st.tamper & METER_TAMPER_COVER ? "true" : "false",
           m->st.tamper & METER_TAMPER_REVERSE ? "true" : "false",
           m->st.tamper & METER_TAMPER_PHASE ? "true" : "false",
           m->st.tamper & METER_TAMPER_NV ? "true" : "false");
    printf(",\"lockout_seconds\":%lu,\"power_w\":%lu,\"last_result\":%u",
           (unsigned long)m->st.lockout_left, (unsigned long)m->run.power_w, m->run.last_result);
    printf(",\"events\":[");
    for (int i = 0; i < METER_EVENTS && m->st.events[i]; i++)
        printf("%s{\"code\":%u,\"name\":\"%s\"}", i ? "," : "", m->st.events[i],
               evlog_name(m->st.events[i], nb));
    printf("]}\n");
}

static int cmd_insert(const char *card_path)
{
    static uint8_t file[SLE_FILE_SIZE];
    static sle4442 card;
    int rc, fr = read_file(card_path, file, sizeof file);
    if (fr == -1)
        return die("no such card file", card_path);
    if (fr != 0 || sle_load(&card, file) != 0)
        return die("not a card file (expected the 1300-byte KVCARD01 format of kilovend-vcard)",
                   card_path);
    rc = host_board_insert(&board, &card);
    host_board_remove(&board, &card);
    sle_save(&card, file);
    if (host_file_write(card_path, file, sizeof file) != 0)
        return die("cannot write the card file back", card_path);
    printf("%s: %s (code %d)\ndisplay: %s\n", card_path,
           rc == 0 ? "accepted" : kv_strerror(rc) , rc, board.text);
    return rc == 0 ? 0 : 1;
}

static int cmd_run(int argc, char **argv)
{
    long kw_milli = -1, hours_milli = 1000, weights[3] = {1, 1, 1}, sum = 0;
    uint8_t phase_ok = 7;
    int32_t w[3];
    uint32_t seconds;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--kw") == 0 && i + 1 < argc) {
            kw_milli = parse_milli(argv[++i]);
            if (kw_milli < 0 || kw_milli > 1000000)
                return die("--kw wants a power in kW between 0 and 1000, like 2.5", argv[i]);
        } else if (strcmp(argv[i], "--hours") == 0 && i + 1 < argc) {
            hours_milli = parse_milli(argv[++i]);
            if (hours_milli < 0 || hours_milli > 87600000)
                return die("--hours wants a duration in hours, like 0.25", argv[i]);
        } else if (strcmp(argv[i], "--phases") == 0 && i + 1 < argc) {
            if (parse_phases(argv[++i], weights, &phase_ok) != 0)
                return die("--phases wants three weights a,b,c (integers, negative = reverse, "
                           "'off' = phase lost), like 1,1,1",
                           argv[i]);
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (kw_milli < 0)
        return die("run needs --kw P", NULL);
    for (int p = 0; p < 3; p++)
        sum += labs(weights[p]);
    /* kW x 1000 = W; the split keeps the total exact (the last loaded
     * phase takes the rounding). */
    {
        long left = kw_milli, last = -1;
        for (int p = 0; p < 3; p++) {
            w[p] = sum ? (int32_t)(kw_milli * weights[p] / sum) : 0;
            if (weights[p])
                last = p;
        }
        for (int p = 0; p < 3; p++)
            left -= labs(w[p]);
        if (last >= 0)
            w[last] += (int32_t)(weights[last] < 0 ? -left : left);
    }
    seconds = (uint32_t)(hours_milli * 3600 / 1000);
    host_board_run(&board, w, phase_ok, seconds);
    printf("ran %lu s at %ld W (L1 %ld, L2 %ld, L3 %ld)\ndisplay: %s\n", (unsigned long)seconds,
           (long)(w[0] + w[1] + w[2] < 0 ? -(w[0] + w[1] + w[2]) : w[0] + w[1] + w[2]),
           (long)w[0], (long)w[1], (long)w[2], board.text);
    return 0;
}

int main(int argc, char **argv)
{
    const char *state = NULL, *config = NULL, *cmd = NULL;
    static char ram_path[4096], err[4300];
    static uint8_t prov[KV_PROVISION_LEN];
    struct {
        uint32_t magic, size;
        uint32_t prov_crc; /* the block this RAM was built with */
        host_persist p;
    } ram;
    uint32_t prov_crc;
    int i, rc = 0, have_prov, files, cold;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            printf("kilovend-meter-sim %s\n", KV_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
            state = argv[++i];
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (argv[i][0] == '-') {
            usage(stderr);
            return 2;
        } else {
            cmd = argv[i++];
            break;
        }
    }
    if (!state || !config || !cmd) {
        usage(stderr);
        return 2;
    }
    if (mkdir(state, 0700) != 0 && errno != EEXIST)
        return die("cannot create the state directory", state);
    snprintf(ram_path, sizeof ram_path, "%s/ram.bin", state);

    switch (read_file(config, prov, sizeof prov)) {
    case 0:
        have_prov = 1;
        break;
    case -1:
        return die("no such provisioning block (make one with kilovendctl meter provision)", config);
    default:
        return die("not a provisioning block (expected 96 bytes)", config);
    }

    host_board_init(&board, 301);
    files = host_board_load_files(&board, state, err, sizeof err);
    if (files < 0)
        return die("the meter memory is damaged", err);
    prov_crc = kv_crc32(prov, sizeof prov);
    /* Another block than the RAM was built with: the meter was reflashed,
     * which reboots it from its non-volatile memory. */
    cold = files != 0 || read_file(ram_path, &ram, sizeof ram) != 0 || ram.magic != RAM_MAGIC ||
           ram.size != sizeof ram.p || ram.prov_crc != prov_crc;
    if (cold) {
        host_board_boot(&board, have_prov ? prov : NULL);
    } else {
        board.p = ram.p;
        host_board_resume(&board, have_prov ? prov : NULL);
    }
    if (!board.m.provisioned)
        fprintf(stderr, "kilovend-meter-sim: %s is not a valid provisioning block: the meter "
                        "stays unprovisioned\n", config);

    if (strcmp(cmd, "insert") == 0 && i + 1 == argc) {
        rc = cmd_insert(argv[i]);
    } else if (strcmp(cmd, "run") == 0) {
        rc = cmd_run(argc - i, argv + i);
    } else if (strcmp(cmd, "fail-relay") == 0 && i + 1 == argc &&
               (strcmp(argv[i], "on") == 0 || strcmp(argv[i], "off") == 0)) {
        board.p.relay_stuck = strcmp(argv[i], "on") == 0;
        printf("relay contacts %s\n", board.p.relay_stuck ? "welded" : "repaired");
    } else if (strcmp(cmd, "cover") == 0 && i + 1 == argc &&
               (strcmp(argv[i], "open") == 0 || strcmp(argv[i], "close") == 0)) {
        meter_sample s;
        board.p.cover_open = strcmp(argv[i], "open") == 0;
        memset(&s, 0, sizeof s);
        s.phase_ok = 7;
        s.cover_open = board.p.cover_open;
        meter_tick(&board.m, &s);
        board.p.run = board.m.run;
        printf("cover %s\ndisplay: %s\n", argv[i], board.text);
    } else if (strcmp(cmd, "button") == 0 &&
               (i == argc || (i + 1 == argc && strcmp(argv[i], "--hold") == 0))) {
        meter_button(&board.m);
        if (i < argc)
            printf("emergency credit: %s\n", meter_emergency(&board.m) ? "taken" : "not taken");
        board.p.run = board.m.run;
        printf("display: %s\n", board.text);
    } else if (strcmp(cmd, "power-cycle") == 0 && i == argc) {
        meter_power_fail(&board.m);
        memset(&board.m, 0, sizeof board.m);
        host_board_boot(&board, have_prov ? prov : NULL);
        board.p.run = board.m.run;
        printf("display: %s\n", board.text);
    } else if (strcmp(cmd, "status") == 0 && (i == argc || (i + 1 == argc && strcmp(argv[i], "--json") == 0))) {
        if (i == argc)
            status_text();
        else
            status_json();
    } else {
        usage(stderr);
        rc = 2;
    }

    if (!board.m.provisioned || board.m.not_here) {
        /* A meter that refuses its block has no ledger in RAM (and wrote
         * nothing to its memory): keep none, so the next command boots the
         * memory's own meter from nv.bin, as the reflashed meter would. */
        if (remove(ram_path) != 0 && errno != ENOENT)
            return die("cannot remove the stale RAM image", ram_path);
    } else {
        /* The meter stays powered between commands: RAM and NV both kept. */
        memset(&ram, 0, sizeof ram);
        ram.magic = RAM_MAGIC;
        ram.size = sizeof ram.p;
        ram.prov_crc = prov_crc;
        ram.p = board.p;
        ram.p.run = board.m.run;
        ram.p.st = board.m.st;
        if (host_board_save_files(&board, state, err, sizeof err) != 0)
            return die(err, NULL);
        if (host_file_write(ram_path, &ram, sizeof ram) != 0)
            return die("cannot save the meter state in", state);
    }
    meter_wipe(&board.m);
    kv_wipe(prov, sizeof prov);
    return rc;
}
