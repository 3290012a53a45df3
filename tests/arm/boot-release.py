#!/usr/bin/env python3
"""boot-release.py ELF PROV_BIN: boot the meter image the release ships on
QEMU's stm32vldiscovery (an STM32F100: the same Cortex-M3 core and the same
RCC, GPIO and USART1 addresses as the STM32F103; RCC and GPIO read 0) and
read its technician's console on the serial port.

Checked, without and then with a provisioning block loaded at its flash
address (0x08007C00, docs/technician.md):
  - it boots through the clock fallback: the crystal never starts (RCC
    reads 0), the meter runs on the internal oscillator and says so;
  - without a block it reports "not provisioned", with one the meter number;
  - the EEPROM's bit-banged bus reads 0 (no chip): a fault, not a hang;
  - the metering IC does not answer (no SPI model): a fault, relay open;
  - the watchdog runs and the main loop keeps refreshing it: two status
    answers, the later with more refreshes.
Nothing here depends on the speed of the machine: every step waits for a
console line, with a generous bound that only a hang reaches.
"""
import os
import re
import select
import subprocess
import sys
import time

BOUND = float(os.environ.get("KV_BOOT_TIMEOUT", "120"))


class Meter:
    def __init__(self, elf, block=None):
        cmd = ["qemu-system-arm", "-M", "stm32vldiscovery", "-display", "none",
               "-monitor", "none", "-serial", "stdio", "-kernel", elf]
        if block:
            cmd += ["-device", "loader,file=%s,addr=0x08007c00" % block]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        self.buf = b""

    def wait_for(self, pattern, poke=None):
        """Read the console until a line matches; send poke twice a second
        meanwhile (the console answers at most once a second)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + BOUND
        next_poke = 0.0
        while time.monotonic() < deadline:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                text = line.decode("ascii", "replace").rstrip("\r")
                print("  console: " + text)
                m = rx.search(text)
                if m:
                    return m
            if poke and time.monotonic() >= next_poke:
                self.p.stdin.write(poke)
                self.p.stdin.flush()
                next_poke = time.monotonic() + 0.5
            r, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 4096)
                if not chunk:
                    break
                self.buf += chunk
        raise SystemExit("FAIL: no console line matching %r" % pattern)

    def close(self):
        self.p.kill()
        self.p.wait()


def common(meter):
    m = meter.wait_for(r"^kilovend meter (\S+) build ([0-9a-f]{40})$")
    print("ok   boots: version %s, build id %s" % (m.group(1), m.group(2)))


def tail(meter):
    meter.wait_for(r"^faults: clock EEPROM")
    print("ok   the EEPROM's bus reads 0: reported as a fault, the meter goes on")
    meter.wait_for(r"^watchdog: running, timeout \d+ ms, refreshes \d+, resets 0$")
    meter.wait_for(r"^clock: internal oscillator \(crystal failed\), 8 MHz")
    print("ok   the crystal never starts: running on the internal oscillator")
    # the main loop runs: ticks (the metering IC does not answer) and
    # refreshes of the watchdog, seen in two later answers
    meter.wait_for(r"^faults: clock EEPROM metering-IC", poke=b"s\r")
    print("ok   the metering IC does not answer: reported as a fault")
    first = int(meter.wait_for(r"^watchdog: running, timeout \d+ ms, refreshes (\d+)",
                               poke=b"s\r").group(1))
    while True:
        n = int(meter.wait_for(r"^watchdog: running, timeout \d+ ms, refreshes (\d+)",
                               poke=b"s\r").group(1))
        if n > first:
            break
    print("ok   watchdog running, refreshed by the main loop (%d, then %d)" % (first, n))


def main():
    elf, block = sys.argv[1], sys.argv[2]
    meter = Meter(elf)
    try:
        common(meter)
        meter.wait_for(r"^meter: -$")
        meter.wait_for(r"^provisioning: not provisioned$")
        meter.wait_for(r"^display: UnProG$")
        print("ok   without a block: not provisioned, UnProG")
        tail(meter)
    finally:
        meter.close()

    with open(block, "rb") as f:
        raw = f.read()
    number = int.from_bytes(raw[12:16], "big")  # crypto/kv_provision.c
    meter = Meter(elf, block)
    try:
        common(meter)
        meter.wait_for(r"^meter: %d utility [0-9A-F]{8}$" % number)
        # QEMU's flash cannot be programmed: the internal record cannot be
        # written, which the meter reports as Err 25 rather than run on
        meter.wait_for(r"^provisioning: provisioned")
        print("ok   with the block at 0x08007C00: meter %d" % number)
        tail(meter)
    finally:
        meter.close()
    print("boot of the release image: all checks passed")


if __name__ == "__main__":
    main()
