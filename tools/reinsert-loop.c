/* reinsert-loop.c - remove and insert the virtual card N times and record,
 * per cycle, whether pcscd saw the card go out and come back in.
 *
 * Run inside the private PC/SC stack:
 *   cc -o /tmp/reinsert-loop tools/reinsert-loop.c -pthread $(pkg-config --cflags --libs libpcsclite)
 *   tests/pcsc/kv-pcsc-env --vcard build/src/vcard/kilovend-vcard --new /tmp/c.card \
 *       --debug --keep /tmp/logs -- /tmp/reinsert-loop 200
 * Third argument: 0 watch only, 1 read after each insertion, 2 a second
 * client reads without pause, 3 the station's way (exclusive, reset,
 * handle let go with a reset after the card was swapped), 4 as 3 but the
 * handle let go without a reset.
 * Not part of the test suite: a diagnosis tool for lost insertions. */
#include <PCSC/winscard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>

/* Mode 2: a second client reads the card without pause, so the card is
 * pulled in the middle of an exchange, as when the station is reading it. */
static const char *g_reader;
static void *reader_thread(void *arg)
{
    SCARDCONTEXT c;
    SCARDHANDLE h;
    DWORD proto;
    BYTE rd[] = {0xFF, 0xB0, 0x00, 0x00, 0xF0}, resp[258];
    (void)arg;
    SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c);
    for (;;) {
        if (SCardConnect(c, g_reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, &h, &proto) !=
            SCARD_S_SUCCESS) {
            struct timespec ts = {0, 5000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        for (;;) {
            DWORD rlen = sizeof resp;
            if (SCardTransmit(h, SCARD_PCI_T0, rd, sizeof rd, NULL, resp, &rlen) != SCARD_S_SUCCESS)
                break;
        }
        SCardDisconnect(h, SCARD_LEAVE_CARD);
    }
    return NULL;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void vcard(const char *cmd)
{
    FILE *f = fopen(getenv("KV_VCARD_CONTROL"), "w");
    if (!f) { perror("control"); exit(2); }
    fprintf(f, "%s\n", cmd);
    fclose(f);
}

/* Wait until the reader shows (or not) a card; returns ms taken or -1. */
static long wait_card(SCARDCONTEXT ctx, const char *reader, int want, long timeout_ms,
                      DWORD *last)
{
    long t0 = now_ms();
    SCARD_READERSTATE st;
    memset(&st, 0, sizeof st);
    st.szReader = reader;
    st.dwCurrentState = SCARD_STATE_UNAWARE;
    for (;;) {
        long left = timeout_ms - (now_ms() - t0);
        if (left < 0) left = 0;
        LONG rv = SCardGetStatusChange(ctx, (DWORD)left, &st, 1);
        if (rv == SCARD_S_SUCCESS) {
            *last = st.dwEventState;
            int present = (st.dwEventState & SCARD_STATE_PRESENT) != 0;
            if (present == want) return now_ms() - t0;
            st.dwCurrentState = st.dwEventState & ~SCARD_STATE_CHANGED;
        } else if (rv != SCARD_E_TIMEOUT) {
            fprintf(stderr, "SCardGetStatusChange: %s\n", pcsc_stringify_error(rv));
            return -1;
        }
        if (left == 0) return -1;
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    long gap_ms = argc > 2 ? atol(argv[2]) : 0; /* between seen-out and insert */
    int use = argc > 3 ? atoi(argv[3]) : 0; /* 1: read the card after each insertion and
                                            * keep the handle while it is pulled */
    SCARDHANDLE h = 0;
    const char *reader = getenv("KV_PCSC_READER");
    char insert[1024];
    SCARDCONTEXT ctx;
    int missed = 0, out_missed = 0;
    DWORD last = 0;

    g_reader = reader;
    if (use == 2) {
        pthread_t th;
        pthread_create(&th, NULL, reader_thread, NULL);
        use = 0;
    }
    snprintf(insert, sizeof insert, "insert %s", getenv("KV_VCARD_CARD"));
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
        return 2;
    for (int i = 0; i < n; i++) {
        vcard("remove");
        if (h && use < 3) { SCardDisconnect(h, SCARD_LEAVE_CARD); h = 0; }
        long out = wait_card(ctx, reader, 0, 5000, &last);
        if (out < 0) {
            out_missed++;
            printf("cycle %d: removal not seen, state 0x%lx\n", i, (unsigned long)last);
            if (h) { SCardDisconnect(h, SCARD_RESET_CARD); h = 0; }
            continue;
        }
        if (gap_ms) { struct timespec ts = {0, gap_ms * 1000000L}; nanosleep(&ts, NULL); }
        long t = now_ms();
        vcard(insert);
        if (h) { SCardDisconnect(h, use == 4 ? SCARD_LEAVE_CARD : SCARD_RESET_CARD); h = 0; }
        long in = wait_card(ctx, reader, 1, 5000, &last);
        if (in < 0) {
            missed++;
            long late = wait_card(ctx, reader, 1, 15000, &last);
            printf("cycle %d: out after %ld ms; insertion NOT seen in 5 s (t=%ld), "
                   "seen %ld ms later, state 0x%lx\n", i, out, t, late, (unsigned long)last);
        } else {
            printf("cycle %d: out after %ld ms, in after %ld ms\n", i, out, in);
        }
        if (use && in >= 0) {
            DWORD proto;
            BYTE sel[] = {0xFF, 0xA4, 0x00, 0x00, 0x01, 0x06}, rd[] = {0xFF, 0xB0, 0x00, 0x00, 0x20};
            BYTE resp[258];
            DWORD rlen = sizeof resp;
            /* 3: as the station does: exclusive, reset, and the handle let go
             * (with a reset) only after the card was pulled and put back. */
            LONG rv = SCardConnect(ctx, reader, use >= 3 ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED,
                                   SCARD_PROTOCOL_ANY, &h, &proto);
            if (rv == SCARD_S_SUCCESS && use >= 3)
                rv = SCardReconnect(h, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_ANY, SCARD_RESET_CARD, &proto);
            if (rv == SCARD_S_SUCCESS) {
                SCardTransmit(h, SCARD_PCI_T0, sel, sizeof sel, NULL, resp, &rlen);
                rlen = sizeof resp;
                SCardTransmit(h, SCARD_PCI_T0, rd, sizeof rd, NULL, resp, &rlen);
            } else {
                printf("cycle %d: connect: %s\n", i, pcsc_stringify_error(rv));
            }
        }
        fflush(stdout);
    }
    printf("cycles %d, insertions missed %d, removals missed %d\n", n, missed, out_missed);
    SCardReleaseContext(ctx);
    return missed || out_missed;
}
