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

The tear sweep first counts the bytes the next sale will write (the same
sale run on copies of the ledger, keys and card file, whose per-byte write
counters tell; a sale writes only the bytes that change, about 41 of the
token's 46), then pulls the card after byte n: for n inside the write the
sale waits for its card (exit 11) and is issued once the card is back (bytes
of the token left the station: never "failed, nothing due" on the card's
word; the next sale, of the same energy, covers it); for n = the whole write
it completes.  A tear that did not fire is disarmed (`tear
-1`) so it cannot cut a later write.

The sweeps are sampled to stay within the suite's time: for the tear the
first two bytes, three across the body, the last four (the MAC, the commit
mark) and the complete write; every step for the kill; for the power cut the
first two writes of a load, a quarter, half and three quarters through, and
the last two (the readback's MAC).  KV_E2E_FULL=1 sweeps every byte and
every write.

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
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kvloop import (Checks, Failure, Meter, Reader, Station, card_token_cumulative,  # noqa: E402
                    card_image, card_writes, money_check, wait_stopped)

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
        # what `sale unresolved` lists, read from the ledger (a station call
        # costs a second: the sweeps make hundreds)
        c.equal(f"{what}: no sale left unsettled", [
            s for s in st.sales() if s["state"] in ("pending", "written", "cancelling")], [])
        self.reader.remove()
        rc, out = self.meter.insert(self.reader.card)
        c.check(f"{what}: meter accepts the card (loads, or a balance check if it has it)",
                rc == 0 and "accepted" in out, out)
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

    def next_sale_write(self, now):
        """The card bytes the next sale will write, in the order it writes
        them: [(address, new value)].  The same sale (same ledger, keys, card
        and clock, so the same token) is run by kilovendctl on copies, and the
        card file's per-byte write counters tell which bytes it wrote.  A sale
        writes only the bytes that change, so this is the true write the tear
        cuts (its length varies: a byte whose new value equals the old one is
        not written)."""
        dry = os.path.join(self.st.workdir, "dry-sale")
        shutil.rmtree(dry, ignore_errors=True)
        os.makedirs(dry)
        src = sqlite3.connect(self.st.env["KILOVEND_DB"])
        dst = sqlite3.connect(os.path.join(dry, "kilovend.db"))
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        shutil.copy(self.st.env["KILOVEND_KEYS"], os.path.join(dry, "kilovend.keys"))
        card = os.path.join(dry, "card")
        shutil.copy(self.reader.card, card)
        before = card_image(card)
        Station(self.st.ctl, dry, card_file=card).run(
            "sell", "--meter", str(METER), "--kwh", "1", card=True,
            env={"KILOVEND_NOW": str(now)})
        after = card_image(card)
        shutil.rmtree(dry)
        # the station writes the changed bytes in increasing address order
        return [(a, after[0][a]) for a in range(256) if after[1][a] > before[1][a]]

    def tear_sweep(self):
        """The card pulled after byte n of a sale, for n inside the write
        (0 .. W-1: the sale is left pending, exit 11, until the card comes
        back; then it is issued: the write began) and at n = W (the whole write done:
        the sale completes).  W is counted before each sale."""
        c = self.c
        k = 0
        while True:
            now = int(time.time())
            write = self.next_sale_write(now)
            w = len(write)
            if FULL:
                n = min(k, w)
            else:
                # the first two bytes, three across the body, the last four
                # (the MAC, the commit mark), then the complete write
                pts = [0, 1, w // 4, w // 2, 3 * w // 4, w - 4, w - 3, w - 2, w - 1, w]
                n = pts[k]
            before = card_writes(self.reader.card)
            self.reader.tear(n)
            rc, j, err = self.st.run("sell", "--meter", str(METER), "--kwh", "1", card=True,
                                     expect=None, env={"KILOVEND_NOW": str(now)})
            self.reader.tear(-1)  # disarm: a tear left armed would cut a later write
            what = f"tear {n}/{w}"
            if n < w:
                c.check(f"card pulled after {n} of the sale's {w} bytes: the sale waits for "
                        "the card (exit 11, the write interrupted)",
                        rc == 11 and "write was interrupted" in err, f"(exit {rc}: {err.strip()})")
                self.reader.insert()
                c.equal(f"{what}: the card had {n} bytes written and the next one erased",
                        card_writes(self.reader.card) - before, n + 1)
                sale = self.st.sales()[-1]
                self.settle_and_check(what)
                # The erased byte reads FF: only if that is the last byte's
                # new value does the card hold the whole token.
                whole = n == w - 1 and write[n][1] == 0xFF
                c.equal(f"{what}: once the card is back the sale "
                        f"{'completes' if whole else 'is issued, not failed'}",
                        next(s["state"] for s in self.st.sales()
                             if s["sale"] == sale["sale"]), "completed" if whole else "issued")
            else:
                c.check(f"card pulled after all {w} bytes of the sale: the sale completes",
                        rc == 0 and j is not None and j.get("state") == "completed",
                        f"(exit {rc}: {err.strip()[:200]})")
                c.equal(f"{what}: the sale wrote the {w} bytes counted beforehand",
                        card_writes(self.reader.card) - before, w)
                self.settle_and_check(what)
            k += 1
            if n == w or (not FULL and k >= len(pts)):
                return

    def kill_sweep(self):
        c = self.c
        for point in SALE_POINTS:
            p = self.st.start("sell", "--meter", str(METER), "--kwh", "1", card=True,
                              env={"KILOVEND_TEST_STOP": point})
            stopped = wait_stopped(p.pid)
            c.check(f"station stopped at {point}", stopped)
            p.send_signal(signal.SIGKILL)
            p.communicate()
            # The cashier restarts the station with the card still in the
            # reader: it must be read (and the sale settled) as it is.
            rc, _, err = self.st.run("card", "read", card=True, expect=None)
            c.check(f"killed at {point}: the restarted station reads the card left in the "
                    "reader", rc == 0, f"(exit {rc}: {err.strip()})")
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
    for name, step in (("setup", loop.setup), ("tear sweep", loop.tear_sweep),
                       ("kill sweep", loop.kill_sweep), ("power sweep", loop.power_sweep)):
        t0, calls = time.monotonic(), len(loop.st.calls)
        step()
        print(f"[e2e faults] {name}: {time.monotonic() - t0:.1f} s, "
              f"{len(loop.st.calls) - calls} station calls "
              f"({sum(t for _, t in loop.st.calls[calls:]):.1f} s)", flush=True)
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
