/* test-console.c - the technician's console on a provisioned meter with
 * credit and events: every command answers what docs/technician.md lists;
 * input is bounded (a line over CONSOLE_LINE characters is dropped whole,
 * whatever it holds, and nothing is written past the buffer), answers are
 * rate-limited, and no byte of any key, PSC or the provisioning block ever
 * shows in the output, raw or in hex, under a flood of random input. */
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "fw_version.h"
#include "fwmeter.h"
#include "kvtest.h"

void kvtest_puts(const char *s)
{
    fputs(s, stdout);
}

static host_board board;
static fw_office office;
static uint8_t prov[KV_PROVISION_LEN];
static char out[1 << 16];
static size_t out_len;

static void cap(void *ctx, const char *s)
{
    size_t n = strlen(s);
    (void)ctx;
    if (n > sizeof out - 1 - out_len)
        n = sizeof out - 1 - out_len;
    memcpy(out + out_len, s, n);
    out_len += n;
    out[out_len] = '\0';
}

static void send(console *c, const console_board *b, const char *line, uint32_t now)
{
    for (; *line; line++)
        console_input(c, &board.m, b, *line, now);
}

static int has_hex(const uint8_t *k, size_t n)
{
    static const char *const digits[2] = {"0123456789abcdef", "0123456789ABCDEF"};
    for (int u = 0; u < 2; u++)
        for (size_t at = 0; at + 4 <= n; at++) {
            char h[9];
            for (int i = 0; i < 4; i++) {
                h[2 * i] = digits[u][k[at + (size_t)i] >> 4];
                h[2 * i + 1] = digits[u][k[at + (size_t)i] & 15];
            }
            h[8] = '\0';
            if (strstr(out, h))
                return 1;
        }
    return 0;
}

/* Any 4 consecutive bytes of the secret, raw or in hex (either case). */
static int leaks(const uint8_t *k, size_t n)
{
    for (size_t at = 0; at + 4 <= n; at++)
        if (memmem(out, out_len, k + at, 4))
            return 1;
    return has_hex(k, n);
}

int main(void)
{
    console c;
    console_board b = {"0123abcd", 8000000u, 0, 1, 7, 4369};
    sle4442 card;
    uint32_t now = 5000, rng = 12345;

    fw_meter_loaded(&board, &office, prov, &card, 5000);
    KV_CHECK(board.m.st.cumulative_loaded == 5000);
    meter_fault(&board.m, METER_FAULT_CLOCK);

    console_init(&c, cap, NULL);
    console_status(&c, &board.m, &b);
    KV_CHECK(strstr(out, "kilovend meter " METER_FW_VERSION " build 0123abcd") != NULL);
    KV_CHECK(strstr(out, "meter: 123456782 utility 4B560001") != NULL);
    KV_CHECK(strstr(out, "provisioning: provisioned") != NULL);
    KV_CHECK(strstr(out, "credit: remaining 0050.00kWh, loaded 0050.00kWh") != NULL);
    KV_CHECK(strstr(out, "levels: alarm 0020.00kWh, pre-trip 0005.00kWh") != NULL);
    KV_CHECK(strstr(out, "relay: closed, lamps: red off, yellow off") != NULL);
    KV_CHECK(strstr(out, "faults: clock") != NULL);
    KV_CHECK(strstr(out, "events (newest first): clock fault, restored by load, load") != NULL);
    KV_CHECK(strstr(out, "watchdog: running, timeout 4369 ms, refreshes 7, resets 0") != NULL);
    KV_CHECK(strstr(out, "clock: internal oscillator (crystal failed), 8 MHz, clock faults 1") != NULL);

    /* commands, one answer per second at most */
    out_len = 0;
    send(&c, &b, "events\r", now);
    KV_CHECK(strstr(out, "events (newest first): clock fault") == out);
    out_len = 0;
    send(&c, &b, "s\r", now + 10);
    KV_CHECK(out_len == 0 && c.dropped == 1);
    send(&c, &b, "s\r", now + CONSOLE_MIN_MS);
    KV_CHECK(strstr(out, "kilovend meter") == out);
    now += 2 * CONSOLE_MIN_MS;

    /* a line too long is dropped whole, even when it ends in a command */
    out_len = 0;
    send(&c, &b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx status\r", now);
    KV_CHECK(out_len == 0 && c.too_long == 1);
    KV_CHECK(c.len == 0);
    send(&c, &b, "help\n", now);
    KV_CHECK(strstr(out, "commands:") == out);
    now += CONSOLE_MIN_MS;

    /* a flood of random bytes: never past the buffer, never a secret, at
     * most one answer a second, and the meter is as it was */
    {
        meter_state st = board.m.st;
        unsigned answers = 0;
        size_t before;
        out_len = 0;
        for (uint32_t i = 0; i < 200000; i++) {
            char ch;
            rng = rng * 1103515245u + 12345u;
            ch = (char)(rng >> 16);
            if ((rng >> 8) % 7 == 0)
                ch = (char)"sefh?\r\n"[(rng >> 12) % 7];
            before = out_len;
            console_input(&c, &board.m, &b, ch, now + i / 100); /* 100 bytes per ms */
            KV_CHECK(c.len < CONSOLE_LINE);
            answers += out_len != before;
            if (out_len > sizeof out / 2)
                out_len = 0; /* keep the capture small; checked below too */
            if (i % 20000 == 0) {
                KV_CHECK(!leaks(board.m.cfg.k_meter, 16));
                KV_CHECK(!leaks(board.m.psc_key, 16));
            }
        }
        KV_CHECK(answers <= 200000 / 100 / CONSOLE_MIN_MS + 1);
        KV_CHECK(answers > 0);
        KV_CHECK(memcmp(&st, &board.m.st, sizeof st) == 0);
    }

    /* every answer, once more in full: no secret anywhere */
    out_len = 0;
    now += 10 * CONSOLE_MIN_MS;
    send(&c, &b, "status\r", now);
    send(&c, &b, "events\r", now + CONSOLE_MIN_MS);
    send(&c, &b, "faults\r", now + 2 * CONSOLE_MIN_MS);
    send(&c, &b, "help\r", now + 3 * CONSOLE_MIN_MS);
    KV_CHECK(strstr(out, "faults: clock") != NULL);
    KV_CHECK(!leaks(board.m.cfg.k_meter, 16));
    KV_CHECK(!leaks(board.m.psc_key, 16));
    KV_CHECK(!leaks(board.m.transport_key, 16));
    KV_CHECK(!leaks(board.m.nv_key, 16));
    KV_CHECK(!leaks(board.m.keys.k_enc, 16));
    KV_CHECK(!leaks(board.m.keys.k_mac, 16));
    KV_CHECK(!leaks(board.m.keys.k_rb, 16));
    KV_CHECK(!leaks(office.master, 16));
    KV_CHECK(!leaks(prov, sizeof prov - 16)); /* the block's key bytes and MAC */

    /* unprovisioned: says so, and nothing of a ledger */
    host_board_init(&board, 200);
    host_board_boot(&board, NULL);
    out_len = 0;
    console_status(&c, &board.m, &b);
    KV_CHECK(strstr(out, "provisioning: not provisioned") != NULL);
    KV_CHECK(strstr(out, "meter: -") != NULL);
    KV_CHECK(strstr(out, "credit:") == NULL);

    printf("console: %u checks, %u failed\n", kvtest_checks, kvtest_failures);
    return kvtest_failures ? 1 : 0;
}
