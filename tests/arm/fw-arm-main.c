/* fw-arm-main.c - the meter's scenario table on Cortex-M3 under QEMU, then
 * a card loaded from a file through semihosting (the same card file format
 * kilovend-vcard uses) and written back with the meter's readback, then
 * the EEPROM clip attacks: on the host board's internal flash model, and
 * again on this board's own secure store driver (secure_flash.c). */
#include <string.h>

#include "fwcards.h"
#include "host_board.h"
#include "kvtest.h"
#include "nvattacks.h"
#include "scenarios.h"
#include "secure_flash.h"
#include "semihost.h"

void kvtest_puts(const char *s)
{
    semihost_write0(s);
}

static host_board rig;
static uint8_t file[SLE_FILE_SIZE];
static sle4442 card;

static int read_all(const char *path, void *buf, size_t len)
{
    int fd = semihost_open(path, 0), left;
    if (fd < 0)
        return -1;
    left = semihost_read(fd, buf, len);
    semihost_close(fd);
    return left == 0 ? 0 : -1;
}

static int write_all(const char *path, const void *buf, size_t len)
{
    int fd = semihost_open(path, 4), left;
    if (fd < 0)
        return -1;
    left = semihost_write(fd, buf, len);
    semihost_close(fd);
    return left == 0 ? 0 : -1;
}

static void card_file_test(void)
{
    uint8_t prov[KV_PROVISION_LEN];
    fw_office office;
    kv_readback rb;

    KV_CHECK(read_all("prov.bin", prov, sizeof prov) == 0);
    KV_CHECK(read_all("user.card", file, sizeof file) == 0);
    KV_CHECK(sle_load(&card, file) == 0);
    host_board_init(&rig, 301);
    KV_CHECK(host_board_boot(&rig, prov) == 0);
    KV_CHECK(host_board_insert(&rig, &card) == KV_OK);
    host_board_remove(&rig, &card);
    KV_CHECK(rig.m.st.remaining == 5000);
    KV_CHECK(strcmp(rig.text, "Ld 0050.00kWh") == 0);
    sle_save(&card, file);
    KV_CHECK(write_all("user-out.card", file, sizeof file) == 0);
    /* read back what the host now holds and check the meter's readback */
    memset(file, 0, sizeof file);
    KV_CHECK(read_all("user-out.card", file, sizeof file) == 0);
    KV_CHECK(sle_load(&card, file) == 0);
    fw_office_init(&office, 0x4B560001u, 12345678);
    KV_CHECK(fw_card_readback(&card, &office, &rb) == KV_OK);
    KV_CHECK(rb.remaining == 5000 && rb.result == 0 && rb.cumulative_loaded == 5000);
    kvtest_puts(kvtest_failures ? "FAIL card file through semihosting\n"
                                : "ok   card file through semihosting\n");
}

static void nvattacks_board_flash(void)
{
    static const char *const names[] = {"eeprom-erased-restores-floor",
                                        "key-version-never-goes-down",
                                        "keys-moved-out-of-old-eeprom",
                                        "mass-erase-keeps-own-ledger-only"};
    host_board_init(&rig, 301);
    secure_flash_ops(&rig.sec_ops);
    kvtest_puts("on the board's secure store driver:\n");
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        fw_nvattack_one(&rig, names[i]);
}

int main(void)
{
    fw_scenarios_run();
    card_file_test();
    fw_nvattacks_run(&rig);
    nvattacks_board_flash();
    kvtest_print_u32("checks: ", kvtest_checks);
    kvtest_print_u32("failed: ", kvtest_failures);
    return kvtest_failures ? 1 : 0;
}
