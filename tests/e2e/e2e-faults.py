#!/usr/bin/env python3
"""e2e-faults.py - the whole loop under faults, with the money check after
each: the card pulled after a byte of a sale (kilovend-vcard's tear), the
station killed at each step of a sale (kilovendctl stopped at a test point,
KILOVEND_TEST_STOP, then SIGKILL), the meter's supply cut at a write of a
load (the host board's power budget, e2e-meter-cut).  After every fault the
card goes back to the station (which settles what was interrupted), then
into the meter, then back to the station; then money taken must equal
credit loaded + credit on the card, and payments must equal money taken +
sales visibly failed or cancelled, to the minor unit.

The sweeps are sampled to stay within the suite's time: for the tear the
first two bytes, three across the body and the last four (the MAC, the
commit mark); every step for the kill; for the power cut the first two
writes of a load, a quarter, half and three quarters through, and the last
two (the readback's MAC).  KV_E2E_FULL=1 sweeps every byte and every write.

Usage (meson runs it; root for the private pcscd):
  e2e-faults.py --ctl KILOVENDCTL --vcard KILOVEND_VCARD --pcsc-env KV_PCSC_ENV
                --sim KILOVEND_METER_SIM --cut E2E_METER_CUT
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kvloop import (Checks, Failure, Meter, Reader, Station, card_token_cumulative,  # noqa: E402
                    card_writes, money_check, wait_stopped)

METER = 123456782
FULL = os.environ.get("KV_E2E_FULL") == "1"
SALE_POINTS = ["sale-pending", "sale-card-written", "sale-written", "sale-completed"]


def parse():
    ap = argparse.ArgumentParser()
    for k in ("ctl", "vcard", "pcsc-env", "sim", "cut"):
        ap.add_argument("--" + k, required=True)
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    a = ap.parse_args()
    for k in ("ctl", "vcard", "pcsc_env", "sim", "cut"):
        setattr(a, k, os.path.abspath(getattr(a, k)))
    return a


def sample(n, first=3, last=9, spread=4):
    """Indices 0..n-1: the first few, a few across, the last few (the MAC)."""
    if FULL or n <= first + last + spread:
        return list(range(n))
    pts = set(range(first)) | set(range(n - last, n))
    pts |= {first + (n - last - first) * (i + 1) // (spread + 1) for i in range(spread)}
    return sorted(pts)


class Loop:
    def __init__(self, a, checks):
        self.c = checks
        self.reader = Reader()
        self.st = Station(a.ctl, a.work, reader=self.reader.name)
        self.prov = os.path.join(a.work, "provision.bin")
        self.meter = Meter("host", a.sim, os.path.join(a.work, "meter"), self.prov)
        self.cut = a.cut

    def settle_and_check(self, what):
        """Card back at the station (settles the interrupted sale), into the
        meter, back again; then the money check."""
        st, c = self.st, self.c
        card_token_cumulative(st)  # the read settles an interrupted sale of this card
        _, unresolved, _ = st.run("sale", "unresolved")
        c.equal(f"{what}: no sale left unsettled", unresolved, [])
        self.reader.remove()
        rc, out = self.meter.insert(self.reader.card)
        c.check(f"{what}: meter accepts the card (loads or has it already)", rc in (0, 1)
                and ("accepted" in out or "already loaded" in out or "Err 13" in out), out)
        self.reader.insert()
        card = card_token_cumulative(st)
        s = self.meter.status()
        tok = card["token"]["cumulative"] if card["token"] else 0
        c.equal(f"{what}: meter loaded exactly the card's credit", s["cumulative_loaded"], tok)
        money_check(c, st.sales(), s["cumulative_loaded"], tok)
        return s

    def setup(self):
        st = self.st
        st.init(METER, "1000", "20", "5")
        st.run("meter", "provision", "--meter", str(METER), "--out", self.prov)
        st.run("card", "issue", "--meter", str(METER), card=True)
        before = card_writes(self.reader.card)
        st.run("sell", "--meter", str(METER), "--kwh", "1", card=True)
        self.sale_bytes = card_writes(self.reader.card) - before
        self.c.check(f"a sale writes {self.sale_bytes} card bytes", self.sale_bytes > 8)
        self.settle_and_check("first sale")

    def tear_sweep(self):
        c = self.c
        pts = sample(self.sale_bytes, first=2, last=4, spread=3)
        print(f"tear after byte n of a sale, n in {pts} of {self.sale_bytes}", flush=True)
        for n in pts:
            self.reader.tear(n)
            rc, j, err = self.st.run("sell", "--meter", str(METER), "--kwh", "1", card=True,
                                     expect=None)
            c.check(f"card pulled after {n} bytes: the sale reports the card error", rc == 16,
                    f"(exit {rc}: {err.strip()[:200]})")
            self.reader.insert()
            self.settle_and_check(f"tear {n}")

    def kill_sweep(self):
        c = self.c
        for point in SALE_POINTS:
            p = self.st.start("sell", "--meter", str(METER), "--kwh", "1", card=True,
                              env={"KILOVEND_TEST_STOP": point})
            stopped = wait_stopped(p.pid)
            c.check(f"station stopped at {point}", stopped)
            p.send_signal(signal.SIGKILL)
            p.communicate()
            self.settle_and_check(f"killed at {point}")

    def load_writes(self):
        """Writes of the next load (NV, card bytes twice), counted on a copy
        of the meter and the card with no cut."""
        scratch = os.path.join(self.st.workdir, "dry")
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(self.meter.state, scratch)
        shutil.copy(self.reader.card, os.path.join(scratch, "card"))
        out = subprocess.run([self.cut, "--state", scratch, "--config", self.prov, "--card",
                              os.path.join(scratch, "card"), "--cut-after", "-1"],
                             capture_output=True, text=True, check=True).stdout
        shutil.rmtree(scratch)
        return json.loads(out)["budget_used"]

    def power_sweep(self):
        c = self.c
        # Where the supply fails, as a share of the load's writes: the first
        # writes, across, and the last ones (the readback's MAC, the commit).
        points = [0, 1, "1/4", "1/2", "3/4", -2, -1]
        if FULL:
            points = None
        k = 0
        while True:
            self.st.run("sell", "--meter", str(METER), "--kwh", "1", card=True)
            self.meter.cmd("power-cycle")  # everything in NV before the cut
            self.reader.remove()
            before = self.meter.status()
            total = self.load_writes()
            if points is None:
                n = k
            else:
                p = points[k]
                n = p if isinstance(p, int) and p >= 0 else \
                    total + p if isinstance(p, int) else total * int(p[0]) // int(p[2])
            r = json.loads(subprocess.run(
                [self.cut, "--state", self.meter.state, "--config", self.prov, "--card",
                 self.reader.card, "--cut-after", str(n)],
                capture_output=True, text=True, check=True).stdout)
            c.check(f"power cut after {n} of the load's {total} writes", r["cut"], str(r))
            after = self.meter.status()  # powers up again from NV
            c.check(f"cut {n}: cumulative registers never go back",
                    after["cumulative_loaded"] >= before["cumulative_loaded"]
                    and after["total_energy"] >= before["total_energy"], f"{before} {after}")
            self.reader.insert()
            self.settle_and_check(f"power cut {n}/{total}")
            k += 1
            if (points is None and k >= total) or (points is not None and k >= len(points)):
                return


def inside(a):
    c = Checks("e2e faults")
    loop = Loop(a, c)
    loop.setup()
    loop.tear_sweep()
    loop.kill_sweep()
    loop.power_sweep()
    sales = loop.st.sales()
    taken = sum(s["amount_minor"] for s in sales if s["state"] in ("written", "completed"))
    _, daily, _ = loop.st.run("report", "daily")
    c.equal("the station's daily report takes the same money",
            daily["summary"]["amount taken"], f"{taken // 100}.{taken % 100:02d}")
    print(f"[e2e faults] {len(sales)} sales ({sum(s['state'] == 'failed' for s in sales)} "
          f"failed, {sum(s['state'] == 'cancelled' for s in sales)} cancelled), {taken} minor "
          f"units taken; station {len(loop.st.calls)} calls", flush=True)
    return 0 if c.done() else 1


def main():
    a = parse()
    if a.inside:
        try:
            return inside(a)
        except Failure as e:
            print(f"FAIL {e}", flush=True)
            return 1
    if os.geteuid() != 0:
        print("e2e-faults: needs root (it starts its own pcscd in private namespaces)")
        return 1
    work = tempfile.mkdtemp(prefix="kv-e2e-faults-")
    try:
        return subprocess.call([a.pcsc_env, "--vcard", a.vcard, "--new",
                                os.path.join(work, "user.card"), "--", sys.executable,
                                os.path.abspath(__file__), "--inside", "--work", work,
                                "--ctl", a.ctl, "--vcard", a.vcard, "--pcsc-env", a.pcsc_env,
                                "--sim", a.sim, "--cut", a.cut])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
