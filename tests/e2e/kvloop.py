"""kvloop.py - the parts of the whole loop, driven as a utility runs them.

Station: kilovendctl on a real SQLite ledger and key file, writing cards
through pcscd into kilovend-vcard (tests/pcsc/kv-pcsc-env).  Reader: the
virtual card's reader, from which the card is taken to the meter and back.
Meter: kilovend-meter-sim on the host, or the same program built for
Cortex-M3 and run in QEMU (tests/e2e/arm).  Ledger: the money check.

Standard library only (pcscd's view of the reader through libpcsclite and
ctypes).  Each helper raises Failure with what happened.
"""

import ctypes
import json
import os
import re
import sqlite3
import subprocess
import time

PASSPHRASE = "e2e key file passphrase"
PASSWORD = "e2e-Admin-password-1"


class Failure(Exception):
    pass


class Checks:
    """Named checks, printed as they pass or fail; the test fails at the end
    if any failed (so one run shows every broken rule)."""

    def __init__(self, label):
        self.label = label
        self.failed = []
        self.count = 0

    def check(self, what, cond, detail=""):
        self.count += 1
        if cond:
            print(f"ok   [{self.label}] {what}", flush=True)
        else:
            print(f"FAIL [{self.label}] {what} {detail}", flush=True)
            self.failed.append(what)
        return cond

    def equal(self, what, got, want):
        return self.check(what, got == want, f"(got {got!r}, want {want!r})")

    def done(self):
        print(f"[{self.label}] {self.count - len(self.failed)} of {self.count} checks passed",
              flush=True)
        return not self.failed


def _last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{") or line.startswith("["):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


class Station:
    """kilovendctl with its own database and key file in workdir."""

    def __init__(self, ctl, workdir, reader=None, card_file=None, extra_env=None):
        self.ctl = ctl
        self.workdir = workdir
        self.reader = reader
        self.card_file = card_file
        self.env = dict(os.environ)
        self.env.update({
            "KILOVEND_DB": os.path.join(workdir, "kilovend.db"),
            "KILOVEND_KEYS": os.path.join(workdir, "kilovend.keys"),
            "KILOVEND_PASSPHRASE": PASSPHRASE,
            "KILOVEND_PASSWORD": PASSWORD,
            "KILOVEND_USER": "admin",
            "TZ": "UTC",
        })
        if extra_env:
            self.env.update(extra_env)
        self.calls = []

    def card_args(self):
        if self.card_file:
            return ["--card-file", self.card_file]
        if self.reader:
            return ["--reader", self.reader]
        return []

    def start(self, *args, card=False, env=None):
        """Starts kilovendctl and returns the Popen (for crash tests)."""
        cmd = [self.ctl, "--json"] + (self.card_args() if card else []) + list(args)
        e = dict(self.env)
        if env:
            e.update(env)
        return subprocess.Popen(cmd, cwd=self.workdir, env=e, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def run(self, *args, card=False, expect=0, env=None):
        """Runs kilovendctl; returns (exit code, JSON answer or None, stderr).
        expect: the exit code wanted (None: any)."""
        t0 = time.monotonic()
        p = self.start(*args, card=card, env=env)
        out, err = p.communicate(timeout=120)
        self.calls.append((args, time.monotonic() - t0))
        if expect is not None and p.returncode != expect:
            raise Failure(f"kilovendctl {' '.join(args)}: exit {p.returncode}, wanted {expect}\n"
                          f"stdout: {out}\nstderr: {err}")
        return p.returncode, _last_json(out), err

    def init(self, meter_number, hoarding, alarm, pretrip):
        """A new station: ledger, admin, key file, a flat tariff, the meter."""
        self.run("init", "--utility-name", "Kilovend E2E", "--utility-code", "1263927297",
                 "--currency", "EUR")
        self.run("tariff", "add", "--code", "FLAT", "--block", "0.20")
        self.run("meter", "add", "--number", str(meter_number), "--hoarding", hoarding,
                 "--alarm", alarm, "--pretrip", pretrip, "--tariff", "FLAT", "--phases", "3")
        self.run("shift", "open", "--float", "0")

    def sale(self, sale_id):
        rc, j, _ = self.run("sale", "show", str(sale_id), expect=None)
        return j if rc == 0 else None

    def sales(self):
        """Every sale in the ledger, read from the SQLite file as an auditor
        would (read-only), in the shape of `kilovendctl sale show --json`."""
        db = sqlite3.connect(f"file:{self.env['KILOVEND_DB']}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT id, state, amount, energy, cumulative FROM sales "
                              "ORDER BY id").fetchall()
        finally:
            db.close()
        return [{"sale": r[0], "state": r[1], "amount_minor": r[2], "energy_ckwh": r[3],
                 "cumulative": r[4]} for r in rows]


class _ReaderState(ctypes.Structure):
    """SCARD_READERSTATE of pcsc-lite on Linux (DWORD is unsigned long)."""
    _fields_ = [("reader", ctypes.c_char_p), ("user", ctypes.c_void_p),
                ("current", ctypes.c_ulong), ("event", ctypes.c_ulong),
                ("atr_len", ctypes.c_ulong), ("atr", ctypes.c_ubyte * 33)]


class PcscView:
    """What pcscd reports about one reader: SCardGetStatusChange, the call
    a PC/SC program makes to wait for a card."""

    SCOPE_SYSTEM = 2
    EMPTY, PRESENT = 0x10, 0x20

    def __init__(self, reader):
        self.lib = ctypes.CDLL("libpcsclite.so.1")
        self.lib.SCardEstablishContext.argtypes = [ctypes.c_ulong, ctypes.c_void_p,
                                                   ctypes.c_void_p, ctypes.POINTER(ctypes.c_long)]
        self.lib.SCardEstablishContext.restype = ctypes.c_long
        self.lib.SCardGetStatusChange.argtypes = [ctypes.c_long, ctypes.c_ulong,
                                                  ctypes.POINTER(_ReaderState), ctypes.c_ulong]
        self.lib.SCardGetStatusChange.restype = ctypes.c_long
        self.ctx = ctypes.c_long()
        rc = self.lib.SCardEstablishContext(self.SCOPE_SYSTEM, None, None, ctypes.byref(self.ctx))
        if rc != 0:
            raise Failure(f"cannot reach pcscd (SCardEstablishContext 0x{rc & 0xFFFFFFFF:08X})")
        self.reader = reader.encode()

    def wait(self, flag, timeout):
        """Waits until pcscd reports the reader's state flag (EMPTY or
        PRESENT); False after timeout seconds."""
        end = time.monotonic() + timeout
        known = 0  # SCARD_STATE_UNAWARE: the first call answers at once
        while True:
            st = _ReaderState(reader=self.reader, current=known)
            left = max(0, int((end - time.monotonic()) * 1000))
            rc = self.lib.SCardGetStatusChange(self.ctx, left if known else 0,
                                               ctypes.byref(st), 1)
            if rc == 0:
                if st.event & flag:
                    return True
                known = st.event & ~0x2  # without SCARD_STATE_CHANGED
            if time.monotonic() >= end:
                return False
            if rc != 0:
                time.sleep(0.02)


class Reader:
    """The station's virtual reader (kilovend-vcard in kv-pcsc-env): the card
    leaves it for the meter and comes back."""

    def __init__(self):
        self.ctl = os.environ["KV_PCSC_CTL"].split()
        self.log = os.path.join(os.environ["KV_PCSC_DIR"], "vcard.log")
        self.card = os.environ["KV_VCARD_CARD"]
        self.name = os.environ["KV_PCSC_READER"]
        self.pcsc = PcscView(self.name)

    def count(self, pattern):
        """Occurrences of pattern in the virtual card's log so far."""
        try:
            with open(self.log) as f:
                return len(re.findall(pattern, f.read()))
        except OSError:
            return 0

    def _wait(self, pattern, n, what):
        for _ in range(500):
            if self.count(pattern) >= n:
                return
            time.sleep(0.01)
        raise Failure(f"the virtual card did not report '{what}'")

    def ctl_cmd(self, *args):
        subprocess.run(self.ctl + list(args), check=True)

    def wait_pcscd(self, flag, what):
        """pcscd polls vpcd every 400 ms: until it has seen the change, a
        program would still find the card (or no card) in the reader."""
        if not self.pcsc.wait(flag, 10.0):
            raise Failure(f"pcscd did not see the card {what} within 10 s")

    def remove(self):
        """Takes the card out; returns once the vcard has saved the file and
        pcscd reports the reader empty."""
        n = self.count(r"card removed")
        self.ctl_cmd("remove")
        self._wait(r"card removed", n + 1, "card removed")
        self.wait_pcscd(PcscView.EMPTY, "removed")

    def insert(self):
        """Puts the card back; returns once pcscd reports it present.  The
        card must be out, as pcscd sees it (remove(), or a tear that a
        program saw pull the card)."""
        self.wait_pcscd(PcscView.EMPTY, "out before it goes back")
        n = self.count(r"inserted")
        self.ctl_cmd("insert")
        self._wait(r"inserted", n + 1, "card inserted")
        self.wait_pcscd(PcscView.PRESENT, "inserted")

    def tear(self, nbytes):
        self.ctl_cmd("tear", str(nbytes))


class Meter:
    """kilovend-meter-sim, on the host or on Cortex-M3 in QEMU."""

    def __init__(self, kind, program, state, config, qemu_run=None, workdir=None):
        self.kind = kind
        self.program = program
        self.state = state
        self.config = config
        self.qemu_run = qemu_run
        self.workdir = workdir
        self.seconds = 0.0
        os.makedirs(state, exist_ok=True)

    def cmd(self, *args):
        argv = ["kilovend-meter-sim", "--state", self.state, "--config", self.config] + list(args)
        t0 = time.monotonic()
        if self.kind == "host":
            p = subprocess.run([self.program] + argv[1:], capture_output=True, text=True,
                               timeout=120)
        else:
            # The ARM image reads its command line from ./argv (semihosting).
            with open(os.path.join(self.workdir, "argv"), "w") as f:
                f.write("".join(a + "\n" for a in argv))
            p = subprocess.run([self.qemu_run, self.program], cwd=self.workdir,
                               capture_output=True, text=True, timeout=300)
        self.seconds += time.monotonic() - t0
        return p.returncode, p.stdout + p.stderr

    def status(self):
        rc, out = self.cmd("status", "--json")
        j = _last_json(out)
        if rc != 0 or j is None:
            raise Failure(f"meter status failed ({rc}): {out}")
        return j

    def insert(self, card):
        return self.cmd("insert", card)

    def run(self, kw, hours):
        rc, out = self.cmd("run", "--kw", str(kw), "--hours", str(hours))
        if rc != 0:
            raise Failure(f"meter run failed ({rc}): {out}")

    def fail_relay(self, on):
        rc, out = self.cmd("fail-relay", "on" if on else "off")
        if rc != 0:
            raise Failure(f"meter fail-relay failed ({rc}): {out}")


def card_token_cumulative(station):
    """What the card in the reader carries: (newest token's cumulative,
    readback) through kilovendctl card read (which also imports the
    readback)."""
    rc, j, err = station.run("card", "read", card=True, expect=None)
    if rc != 0 or j is None:
        raise Failure(f"card read failed ({rc}): {err}")
    return j


def money_check(checks, sales, meter_loaded, card_cumulative):
    """The ledger's promise, to the minor unit.  The sales the station kept
    the money for (written, completed) must chain up (each one's cumulative
    credit is the previous one's plus its energy) to exactly the credit that
    reached the meter or the card: then every kept sale was delivered and
    nothing else was (a failed or cancelled sale that reached the card would
    push the delivered credit above the chain).  None may stay pending.
    Issued sales (their write began, the card did not show the token) and
    void ones (covered by a later sale, or closed by a supervisor) took no
    money, like failed ones.  Returns (taken, loaded, on card, not taken) in
    minor units: taken = loaded + on card, payments = taken + not taken."""
    delivered_to = max(meter_loaded, card_cumulative)
    taken = loaded = on_card = failed = paid = 0
    chain = 0
    for s in sorted(sales, key=lambda x: x["sale"]):
        amount, state, cum = s["amount_minor"], s["state"], s["cumulative"]
        paid += amount
        if state in ("written", "completed"):
            taken += amount
            checks.equal(f"sale {s['sale']} continues the chain of credit",
                         cum, chain + s["energy_ckwh"])
            chain = cum
            checks.check(f"sale {s['sale']} ({state}) reached the card or the meter",
                         cum <= delivered_to,
                         f"(cumulative {cum}, card {card_cumulative}, meter {meter_loaded})")
            if cum <= meter_loaded:
                loaded += amount
            else:
                on_card += amount
        elif state in ("failed", "cancelled", "issued", "void"):
            failed += amount
        else:
            checks.check(f"sale {s['sale']} settled", False, f"(state {state})")
    checks.equal("credit delivered (meter or card) = credit of the sales kept (0.01 kWh)",
                 delivered_to, chain)
    checks.equal("money taken = credit loaded + credit on the card (minor units)",
                 taken, loaded + on_card)
    checks.equal("payments = money taken + sales failed or cancelled (minor units)",
                 paid, taken + failed)
    return taken, loaded, on_card, failed


def card_image(path):
    """(main memory, per-byte erase/write counters) of a card file
    (docs/card-file.md)."""
    with open(path, "rb") as f:
        data = f.read()
    return (data[8:264],
            [int.from_bytes(data[272 + 4 * i:276 + 4 * i], "big") for i in range(256)])


def card_writes(path):
    """Erase/write cycles the card's main memory has had, from the card file."""
    return sum(card_image(path)[1])


def wait_stopped(pid, timeout=60.0):
    """Waits until the process is stopped (SIGSTOP at a test point)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        if state == "T":
            return True
        if state == "Z":
            return False
        time.sleep(0.01)
    return False
