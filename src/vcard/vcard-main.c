/* vcard-main.c - kilovend-vcard: a virtual SLE4442 card in a virtual ACS
 * reader, plugged into pcscd through vsmartcard's vpcd driver.
 *
 * The card lives in a card file (docs/card-file.md), saved atomically after
 * every command that changed it, so the same card can be taken to the
 * meter simulator.  Usage and fault injection: docs/virtual-card.md.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "vcard-link.h"
#include "vcard-reader.h"
#include "vcard-store.h"

#define RECONNECT_MS 50
#define ATR_MAX 33

typedef struct {
    char *card_path;
    char *host;
    unsigned port;
    vcard_reader rd;
    int inserted;
    int fd;               /* vpcd connection, -1 when none */
    gint64 next_connect;  /* monotonic µs */
    long mute_after;      /* APDUs still answered; < 0: never mute */
    int mute_after_write; /* 1: armed, 2: a write seen, mute at the next other command */
    int mute;
    guint mute_timeout_ms;
    gint64 mute_deadline; /* when a mute card's pending command is dropped */
    uint8_t atr[ATR_MAX]; /* an ATR that replaces the card's own, if atr_len */
    size_t atr_len;
    int realistic;
    int verbose;
    int quit;
} vcard;

static void say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "kilovend-vcard: %s\n", msg);
}

static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = 0;
    while (*s) {
        if (*s == ' ' || *s == ':') {
            s++;
            continue;
        }
        if (!g_ascii_isxdigit(s[0]) || !g_ascii_isxdigit(s[1]) || n == cap)
            return -1;
        out[n++] = (uint8_t)(g_ascii_xdigit_value(s[0]) << 4 | g_ascii_xdigit_value(s[1]));
        s += 2;
    }
    *len = n;
    return 0;
}

static void hex_dump(const char *dir, const uint8_t *p, size_t n, size_t secret_from)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < n; i++) {
        if (i >= secret_from)
            g_string_append(s, " **"); /* PSCs are never logged */
        else
            g_string_append_printf(s, " %02X", p[i]);
    }
    say("%s%s", dir, s->str);
    g_string_free(s, TRUE);
}

static void link_close(vcard *v)
{
    if (v->fd >= 0)
        close(v->fd);
    v->fd = -1;
}

static void card_save(vcard *v)
{
    g_autoptr(GError) err = NULL;
    if (!vcard_store_save(v->card_path, &v->rd.chip, &err))
        say("cannot save the card: %s", err->message);
    v->rd.changed = 0;
}

static void card_insert(vcard *v, const char *path)
{
    g_autoptr(GError) err = NULL;
    sle4442 chip;

    if (path) {
        g_free(v->card_path);
        v->card_path = g_strdup(path);
    }
    if (!v->card_path) {
        say("insert: no card file given");
        return;
    }
    link_close(v);
    /* Read the file again: another program may have written the card
     * while it was out of this reader. */
    if (!vcard_store_load(v->card_path, &chip, &err)) {
        say("insert: %s", err->message);
        v->inserted = 0;
        return;
    }
    v->rd.chip = chip;
    vcard_reader_power(&v->rd);
    v->inserted = 1;
    v->mute = 0;
    v->rd.stale = 0;
    v->next_connect = 0;
    say("card %s inserted", v->card_path);
}

static void card_remove(vcard *v, const char *why)
{
    if (v->inserted && v->rd.changed)
        card_save(v);
    link_close(v);
    if (v->inserted)
        say("card removed%s", why);
    v->inserted = 0;
}

static void control_line(vcard *v, char *line)
{
    g_strstrip(line);
    if (!*line)
        return;
    g_auto(GStrv) w = g_strsplit_set(line, " \t", 2);
    const char *cmd = w[0], *arg = w[1] ? g_strstrip(w[1]) : NULL;
    if (arg && !*arg)
        arg = NULL;

    if (!strcmp(cmd, "insert")) {
        card_insert(v, arg);
    } else if (!strcmp(cmd, "remove")) {
        card_remove(v, "");
    } else if (!strcmp(cmd, "tear") && arg) {
        v->rd.tear_after = strtol(arg, NULL, 10);
        say("tear after %ld more bytes", v->rd.tear_after);
    } else if (!strcmp(cmd, "stale") && arg) {
        vcard_reader_set_stale(&v->rd, !strcmp(arg, "on"));
        say("reads answer %s", v->rd.stale ? "the memory as it was (stale)" : "the memory");
    } else if (!strcmp(cmd, "mute") && arg && !strcmp(arg, "after-write")) {
        /* A slow card: it takes every byte written, then goes silent at the
         * station's read-back of them. */
        v->mute_after = -1;
        v->mute_after_write = 1;
        v->mute = 0;
    } else if (!strcmp(cmd, "mute") && arg) {
        v->mute_after = strtol(arg, NULL, 10);
        v->mute_after_write = 0;
        v->mute = 0;
    } else if (!strcmp(cmd, "atr") && arg) {
        size_t n = 0;
        if (!strcmp(arg, "card"))
            v->atr_len = 0;
        else if (parse_hex(arg, v->atr, sizeof v->atr, &n) == 0 && n > 0)
            v->atr_len = n;
        else
            say("atr: give hex bytes or 'card'");
    } else if (!strcmp(cmd, "shape") && arg) {
        v->rd.shape = !strcmp(arg, "acr38") ? VCARD_SHAPE_ACR38 : VCARD_SHAPE_ACR39;
    } else if (!strcmp(cmd, "quit")) {
        v->quit = 1;
    } else {
        say("unknown control command '%s' (insert [FILE], remove, tear N, stale on|off, "
            "mute N|after-write, atr HEX|card, shape acr39|acr38, quit)", line);
    }
}

/* One message from vpcd. */
static void handle_message(vcard *v, const uint8_t *msg, size_t len)
{
    uint8_t resp[VCARD_RESP_MAX];
    size_t n;

    if (len == 1) {
        if (msg[0] == VCARD_CTRL_ATR) {
            uint8_t atr[6];
            if (v->atr_len)
                n = vcard_link_send(v->fd, v->atr, v->atr_len);
            else
                n = vcard_link_send(v->fd, atr, vcard_reader_atr(&v->rd, atr));
            if (n != 0)
                link_close(v);
        } else {
            /* power off, power on, reset: the PSC verification is lost */
            vcard_reader_power(&v->rd);
        }
        return;
    }
    if (v->verbose)
        hex_dump("> ", msg, len, len >= 5 && (msg[1] == 0x20 || msg[1] == 0xD2) ? 5 : len);
    if (v->mute_after_write == 2 && len >= 2 && msg[1] != 0xD0)
        v->mute_after = 0;
    else if (v->mute_after_write == 1 && len >= 2 && msg[1] == 0xD0)
        v->mute_after_write = 2;
    if (!v->mute && v->mute_after == 0) {
        v->mute_after_write = 0;
        v->mute = 1;
        say("card stops answering");
    }
    if (v->mute) {
        v->mute_deadline = g_get_monotonic_time() + (gint64)v->mute_timeout_ms * 1000;
        return;
    }
    if (v->mute_after > 0)
        v->mute_after--;

    n = vcard_reader_apdu(&v->rd, msg, len, resp);
    if (v->rd.changed)
        card_save(v);
    if (v->rd.torn) {
        card_remove(v, " in the middle of a write (the byte in flight is left erased)");
        return;
    }
    if (v->realistic && v->rd.card_us)
        g_usleep((gulong)v->rd.card_us);
    if (v->verbose)
        hex_dump("< ", resp, n, n);
    if (vcard_link_send(v->fd, resp, n) != 0)
        link_close(v);
}

static int control_open(const char *path)
{
    int fd;
    if (mkfifo(path, 0600) != 0 && errno != EEXIST)
        return -1;
    /* Read and write: the FIFO never reports end-of-file when a writer
     * closes, and a writer never blocks waiting for a reader. */
    fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    return fd;
}

int main(int argc, char **argv)
{
    g_autofree char *card = NULL, *new_card = NULL, *host = NULL, *control = NULL;
    g_autofree char *atr = NULL, *factory_psc = NULL;
    gint port = 35963, tear_after = -1, mute_after = -1, mute_timeout = 2000;
    gint clock_hz = VCARD_CLOCK_HZ, write_us = VCARD_WRITE_US;
    gboolean version = FALSE, create_only = FALSE, removed = FALSE, wrong_atr = FALSE;
    gboolean realistic = FALSE, acr38 = FALSE, verbose = FALSE;
    GOptionEntry entries[] = {
        {"card", 'c', 0, G_OPTION_ARG_FILENAME, &card, "Insert the card kept in FILE", "FILE"},
        {"new", 'n', 0, G_OPTION_ARG_FILENAME, &new_card,
         "Create FILE as a blank factory card (replaces it) and insert it", "FILE"},
        {"psc", 0, 0, G_OPTION_ARG_STRING, &factory_psc,
         "Factory PSC of a --new card (6 hex digits, default FFFFFF)", "HEX"},
        {"create-only", 0, 0, G_OPTION_ARG_NONE, &create_only,
         "With --new: create the file and exit", NULL},
        {"removed", 0, 0, G_OPTION_ARG_NONE, &removed,
         "Start with the card out of the reader (insert it later)", NULL},
        {"host", 0, 0, G_OPTION_ARG_STRING, &host, "Host where vpcd listens (127.0.0.1)", "HOST"},
        {"port", 'p', 0, G_OPTION_ARG_INT, &port, "vpcd port of the reader slot (35963)", "N"},
        {"control", 0, 0, G_OPTION_ARG_FILENAME, &control,
         "Read control commands from the FIFO at PATH (created if missing)", "PATH"},
        {"tear-after", 0, 0, G_OPTION_ARG_INT, &tear_after,
         "Pull the card after N more main-memory bytes written (the next one is left erased)",
         "N"},
        {"wrong-atr", 0, 0, G_OPTION_ARG_NONE, &wrong_atr,
         "Answer the ATR of another card (3B 02 14 50)", NULL},
        {"atr", 0, 0, G_OPTION_ARG_STRING, &atr, "Answer this ATR instead of the card's", "HEX"},
        {"mute-after", 0, 0, G_OPTION_ARG_INT, &mute_after,
         "Stop answering commands after N more APDUs", "N"},
        {"mute-timeout", 0, 0, G_OPTION_ARG_INT, &mute_timeout,
         "How long a mute card holds a command before the reader gives up (ms, 2000)", "MS"},
        {"realistic-timing", 0, 0, G_OPTION_ARG_NONE, &realistic,
         "Take the time a physical card takes (slow clock, 2.5 ms per byte written)", NULL},
        {"clock-hz", 0, 0, G_OPTION_ARG_INT, &clock_hz, "Card clock of the timing model (50000)",
         "HZ"},
        {"write-us", 0, 0, G_OPTION_ARG_INT, &write_us,
         "Erase+write time of one byte in the timing model (2500)", "US"},
        {"acr38", 0, 0, G_OPTION_ARG_NONE, &acr38,
         "Answer in the older ACR38 shapes (PSC: EC P1 P2 P3 90 00; reads append protection)",
         NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log APDUs (PSCs masked)", NULL},
        {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    g_autoptr(GOptionContext) ctx = g_option_context_new("- virtual SLE4442 card for pcscd (vpcd)");
    g_autoptr(GError) err = NULL;
    vcard v;
    int ctl_fd = -1, sig_fd;
    sigset_t sigs;
    GString *ctl_buf = g_string_new(NULL);

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        say("%s (see --help)", err->message);
        return 2;
    }
    if (version) {
        printf("kilovend-vcard %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (!!card + !!new_card != 1) {
        say("give exactly one of --card FILE or --new FILE");
        return 2;
    }
    if (port <= 0 || port > 65535 || clock_hz <= 0 || write_us < 0 || mute_timeout < 0) {
        say("--port, --clock-hz, --write-us or --mute-timeout out of range");
        return 2;
    }

    memset(&v, 0, sizeof v);
    vcard_reader_init(&v.rd, acr38 ? VCARD_SHAPE_ACR38 : VCARD_SHAPE_ACR39);
    v.rd.clock_hz = (unsigned)clock_hz;
    v.rd.write_us = (unsigned)write_us;
    v.host = g_strdup(host ? host : "127.0.0.1");
    v.port = (unsigned)port;
    v.fd = -1;
    v.mute_after = mute_after;
    v.mute_timeout_ms = (guint)mute_timeout;
    v.realistic = realistic;
    v.verbose = verbose;
    if (wrong_atr) {
        static const uint8_t other[] = {0x3B, 0x02, 0x14, 0x50};
        memcpy(v.atr, other, sizeof other);
        v.atr_len = sizeof other;
    }
    if (atr && (parse_hex(atr, v.atr, sizeof v.atr, &v.atr_len) != 0 || v.atr_len == 0)) {
        say("--atr: give the ATR as hex bytes");
        return 2;
    }

    if (new_card) {
        static const uint8_t card_atr[4] = {0xA2, 0x13, 0x10, 0x91};
        uint8_t psc[3] = {0xFF, 0xFF, 0xFF};
        size_t n = 3;
        if (factory_psc && (parse_hex(factory_psc, psc, 3, &n) != 0 || n != 3)) {
            say("--psc: give 3 bytes as 6 hex digits");
            return 2;
        }
        sle_init_blank(&v.rd.chip, card_atr, psc);
        if (!vcard_store_save(new_card, &v.rd.chip, &err)) {
            say("cannot create %s: %s", new_card, err->message);
            return 1;
        }
        if (create_only)
            return 0;
        card = g_strdup(new_card);
    }
    v.card_path = g_strdup(card);

    /* Signals arrive as readable data: SIGUSR1 inserts, SIGUSR2 removes. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGUSR1);
    sigaddset(&sigs, SIGUSR2);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    if (control && (ctl_fd = control_open(control)) < 0) {
        say("cannot open the control FIFO %s: %s", control, g_strerror(errno));
        return 1;
    }

    if (!removed) {
        card_insert(&v, NULL);
        if (!v.inserted)
            return 1;
    } else {
        /* Check the file now rather than at the first insertion. */
        sle4442 probe;
        if (!vcard_store_load(v.card_path, &probe, &err)) {
            say("%s", err->message);
            return 1;
        }
    }

    while (!v.quit) {
        struct pollfd pfd[3];
        int nfd = 0, timeout = -1;
        gint64 now = g_get_monotonic_time();

        if (v.inserted && v.fd < 0 && now >= v.next_connect) {
            v.fd = vcard_link_connect(v.host, v.port);
            if (v.fd < 0)
                v.next_connect = now + RECONNECT_MS * 1000;
            else if (v.verbose)
                say("connected to vpcd at %s:%u", v.host, v.port);
        }
        if (v.inserted && v.fd < 0)
            timeout = RECONNECT_MS;
        if (v.mute_deadline) {
            gint64 left = (v.mute_deadline - now) / 1000;
            if (left <= 0) {
                /* The reader gives up on the silent card and drops it; the
                 * card stays in the slot and is seen again, still mute. */
                v.mute_deadline = 0;
                link_close(&v);
                v.next_connect = 0;
                continue;
            }
            timeout = timeout < 0 ? (int)left : MIN(timeout, (int)left);
        }

        pfd[nfd++] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
        pfd[nfd++] = (struct pollfd){.fd = ctl_fd, .events = POLLIN};
        pfd[nfd++] = (struct pollfd){.fd = v.fd, .events = POLLIN};
        if (poll(pfd, (nfds_t)nfd, timeout) < 0 && errno != EINTR) {
            say("poll: %s", g_strerror(errno));
            break;
        }

        if (pfd[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sig_fd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGUSR1)
                    card_insert(&v, NULL);
                else if (si.ssi_signo == SIGUSR2)
                    card_remove(&v, "");
                else
                    v.quit = 1;
            }
        }
        if (ctl_fd >= 0 && (pfd[1].revents & POLLIN)) {
            char buf[512];
            ssize_t r;
            while ((r = read(ctl_fd, buf, sizeof buf)) > 0)
                g_string_append_len(ctl_buf, buf, r);
            char *nl;
            while ((nl = strchr(ctl_buf->str, '\n'))) {
                g_autofree char *line = g_strndup(ctl_buf->str, (gsize)(nl - ctl_buf->str));
                g_string_erase(ctl_buf, 0, nl - ctl_buf->str + 1);
                control_line(&v, line);
            }
        }
        if (v.fd >= 0 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))) {
            static uint8_t msg[VCARD_MSG_MAX];
            long n = vcard_link_recv(v.fd, msg, sizeof msg);
            if (n < 0) {
                /* vpcd closed the connection (pcscd stopped or gave up):
                 * the card is still inserted, connect again. */
                link_close(&v);
                v.next_connect = g_get_monotonic_time() + RECONNECT_MS * 1000;
            } else {
                handle_message(&v, msg, (size_t)n);
            }
        }
    }
    if (v.inserted && v.rd.changed)
        card_save(&v);
    link_close(&v);
    if (control)
        unlink(control);
    g_string_free(ctl_buf, TRUE);
    g_free(v.card_path);
    g_free(v.host);
    return 0;
}
