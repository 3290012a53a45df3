#!/usr/bin/env python3
"""e2e-loop.py - the whole loop with the real parts, walking the meter case's
five sections (../shared/seed/prepaid-meter-case.txt, docs in tests/e2e):

  station   kilovendctl: a new ledger and key file, a meter, its
            provisioning block, a user card issued and credit sold through
            pcscd into kilovend-vcard (tests/pcsc/kv-pcsc-env: private pcscd,
            vpcd, the virtual card)
  card      the vcard's card file, taken out of the reader and inserted
            into the meter, then given back to the reader
  meter     kilovend-meter-sim (--meter host) or the same program on
            Cortex-M3 in QEMU (--meter qemu)

Usage (meson runs it; needs root for the private pcscd):
  e2e-loop.py --ctl KILOVENDCTL --vcard KILOVEND_VCARD --pcsc-env KV_PCSC_ENV
              --meter host --sim KILOVEND_METER_SIM
  e2e-loop.py ... --meter qemu --elf KILOVEND_METER_SIM_ARM.ELF --qemu-run QEMU_RUN
"""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kvloop import Checks, Failure, Meter, Reader, Station, card_token_cumulative, money_check  # noqa: E402

METER = 123456782  # 12345678 and its Luhn check digit


def set_ledger_hoarding(st, centi_kwh):
    """The meter's hoarding limit in the office's record only, as no station
    command does any more (levels change through parameter cards)."""
    db = sqlite3.connect(st.env["KILOVEND_DB"])
    db.execute("UPDATE meters SET hoarding_limit = ? WHERE number = ?", (centi_kwh, METER))
    db.commit()
    db.close()
HOARD, ALARM, PRETRIP = 10000, 2000, 500  # 0.01 kWh, as the meter is provisioned


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--vcard", required=True)
    ap.add_argument("--pcsc-env", required=True)
    ap.add_argument("--meter", choices=["host", "qemu"], default="host")
    ap.add_argument("--sim")
    ap.add_argument("--elf")
    ap.add_argument("--qemu-run")
    ap.add_argument("--keep", help="keep the work directory here")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    a = ap.parse_args()
    for k in ("ctl", "vcard", "pcsc_env", "sim", "elf", "qemu_run"):
        if getattr(a, k):
            setattr(a, k, os.path.abspath(getattr(a, k)))
    return a


def outside(a):
    """Starts the private PC/SC stack with a blank card and runs the scenario
    inside it."""
    if os.geteuid() != 0:
        print("e2e-loop: needs root (it starts its own pcscd in private namespaces)")
        return 1
    work = tempfile.mkdtemp(prefix="kv-e2e-")
    try:
        cmd = [a.pcsc_env, "--vcard", a.vcard, "--new", os.path.join(work, "user.card"), "--",
               sys.executable, os.path.abspath(__file__), "--inside", "--work", work,
               "--ctl", a.ctl, "--vcard", a.vcard, "--pcsc-env", a.pcsc_env, "--meter", a.meter]
        for k in ("sim", "elf", "qemu_run"):
            if getattr(a, k):
                cmd += ["--" + k.replace("_", "-"), getattr(a, k)]
        return subprocess.call(cmd)
    finally:
        if a.keep:
            shutil.copytree(work, a.keep, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)


def scenario(a):
    c = Checks(f"e2e {a.meter}")
    work = a.work
    reader = Reader()
    st = Station(a.ctl, work, reader=reader.name)
    prov = os.path.join(work, "provision.bin")
    if a.meter == "host":
        meter = Meter("host", a.sim, os.path.join(work, "meter"), prov)
    else:
        meter = Meter("qemu", a.elf, os.path.join(work, "meter"), prov, qemu_run=a.qemu_run,
                      workdir=work)

    def to_meter():
        """The customer takes the card from the counter to the meter."""
        reader.remove()
        rc, out = meter.insert(reader.card)
        return rc, out

    def to_station():
        reader.insert()

    # ---- the office: station, meter, card ---------------------------------
    st.init(METER, "100", "20", "5")
    st.run("meter", "provision", "--meter", str(METER), "--out", prov)
    c.check("provisioning block written (96 bytes, 0600)",
            os.path.getsize(prov) == 96 and (os.stat(prov).st_mode & 0o777) == 0o600)
    _, j, _ = st.run("card", "issue", "--meter", str(METER), card=True)
    c.equal("user card issued through pcscd", j and j.get("meter"), f"{METER:09d}")
    s = meter.status()
    c.equal("new meter shows 0000.00kWh", s["display"], "0000.00kWh")
    c.equal("new meter: relay open until credit", s["relay"], "open")

    # ---- 2. power purchase and 1. insertion ---------------------------------
    _, j, _ = st.run("sell", "--meter", str(METER), "--kwh", "50", card=True)
    c.equal("sale of 50 kWh completed and verified on the card", j["state"], "completed")
    c.equal("50 kWh at 0.20 = 10.00 EUR", j["amount_minor"], 1000)
    rc, out = to_meter()
    c.equal("meter accepts the card", rc, 0)
    s = meter.status()
    c.equal("credit loaded: 50.00 kWh", s["remaining"], 5000)
    c.equal("display shows the load", s["display"], "Ld 0050.00kWh")
    c.equal("relay closed after the first purchase", s["relay"], "closed")
    to_station()
    card = card_token_cumulative(st)
    c.equal("card read at the station: readback of 50.00 kWh", card["readback"]["remaining"], 5000)
    c.check("readback imported", card["imported"] is True)

    # ---- 3. active energy measurement ---------------------------------------
    meter.run(3, 2)
    s = meter.status()
    c.equal("3 kW for 2 h: 6.00 kWh off the credit", s["remaining"], 4400)
    c.equal("energy per phase 2.00 kWh", s["phase_energy"], [200, 200, 200])
    c.equal("total energy 6.00 kWh", s["total_energy"], 600)
    # The card again, nothing new on it: the customer checks the balance.
    rc, out = to_meter()
    s = meter.status()
    c.equal("the card again: a balance check, accepted (no error)", rc, 0)
    c.equal("balance check: display bALAncE", s["display"], "bALAncE")
    c.equal("balance check: nothing loaded", (s["remaining"], s["cumulative_loaded"]),
            (4400, 5000))
    c.equal("balance check: not a refusal in the event log",
            [e["name"] for e in s["events"] if e["code"] >= 0x40], [])
    to_station()
    card = card_token_cumulative(st)
    c.equal("balance check: its readback at the station (44.00 kWh, result 0)",
            (card["readback"]["remaining"], card["readback"]["result"]), (4400, 0))

    # ---- 2. hoarding limit ----------------------------------------------------
    # The office record says 150 kWh (a parameter card has not yet been to the
    # meter), so the station sells what the meter, still at 100, refuses.
    _, j, _ = st.run("sell", "--meter", str(METER), "--kwh", "70", card=True, expect=10)
    c.check("station refuses 44 + 70 kWh above its known hoarding limit", True)
    # kilovendctl refuses to change the levels without a parameter card; the
    # office's record is edited outside the station (an old backup's row).
    st.run("meter", "edit", "--number", str(METER), "--hoarding", "150", expect=2)
    set_ledger_hoarding(st, 15000)
    _, j, _ = st.run("sell", "--meter", str(METER), "--kwh", "60", card=True)
    c.equal("second sale (60 kWh) completed", j["state"], "completed")
    rc, out = to_meter()
    c.equal("meter refuses 44 + 60 kWh above its hoarding limit (Err 14)", rc, 1)
    s = meter.status()
    c.equal("refused: credit unchanged", s["remaining"], 4400)
    c.equal("refused: display Err 14", s["display"], "Err 14")
    to_station()
    card = card_token_cumulative(st)
    c.equal("credit stays on the card (110 kWh sold, 50 loaded)", card["credit_on_card"], 6000)
    c.equal("readback carries the refusal", card["readback"]["result"], 14)
    meter.run(3, 2)
    rc, out = to_meter()
    c.equal("after 6 kWh more the same card loads (38 + 60 <= 100)", rc, 0)
    s = meter.status()
    c.equal("credit 98.00 kWh", s["remaining"], 9800)
    to_station()
    set_ledger_hoarding(st, 10000)

    # ---- 4. alarm and pre-trip ------------------------------------------------
    meter.run(10, 8)
    s = meter.status()
    # each phase may hold up to 0.0099 kWh not yet a whole 0.01 kWh
    c.check("80 kWh later: 18.00 kWh", 1800 <= s["remaining"] <= 1802, f"(remaining {s['remaining']})")
    c.equal("below the alarm level: red lamp", s["lamps"], {"red": True, "yellow": False})
    c.equal("power stays on above pre-trip", s["relay"], "closed")
    meter.run(10, 1.5)
    s = meter.status()
    c.check("below pre-trip the meter trips just under 5.00 kWh",
            400 < s["remaining"] < PRETRIP, f"(remaining {s['remaining']})")
    c.equal("yellow lamp and red lamp", s["lamps"], {"red": True, "yellow": True})
    c.equal("relay tripped", (s["relay"], s["supply"]), ("open", "tripped"))
    tripped_at = s["remaining"]
    meter.run(10, 1)
    c.equal("no energy while tripped", meter.status()["remaining"], tripped_at)
    rc, out = to_meter()
    s = meter.status()
    c.check("user card recloses (rEcLOSE, accepted)", rc == 0 and "rEcLOSE" in out, out)
    c.equal("relay closed again", (s["relay"], s["supply"]), ("closed", "reclosed"))
    to_station()

    # ---- 5. tripping and power-off at zero --------------------------------------
    meter.run(10, 1)
    s = meter.status()
    # The seed: at 0 the meter cuts off and shows 0000.00kWh.  The energy of
    # the second in which the credit ran out still counts (at most one
    # 0.01 kWh per phase: the relay opens at the end of that second).
    c.equal("at zero: the display shows 0000.00kWh", s["display"], "0000.00kWh")
    c.equal("at zero: relay open, cut off", (s["relay"], s["supply"]), ("open", "cut-off"))
    c.check("at zero: no more than the last second's energy below zero",
            -3 <= s["remaining"] <= 0, f"(remaining {s['remaining']})")
    cutoff_at = s["remaining"]
    rc, out = to_meter()
    s = meter.status()
    c.equal("the user card alone does not restore power", (s["relay"], s["supply"]),
            ("open", "cut-off"))
    c.equal("at zero the card is a balance check, no error", (rc, s["display"]),
            (0, "bALAncE"))
    to_station()
    _, j, _ = st.run("sell", "--meter", str(METER), "--kwh", "10", card=True)
    rc, out = to_meter()
    s = meter.status()
    c.equal("a purchase restores power", (rc, s["relay"], s["remaining"]),
            (0, "closed", 1000 + cutoff_at))
    to_station()

    # ---- 2. over-zero with a failed relay -------------------------------------
    meter.run(10, 1)  # down to the pre-trip, the card recloses, on to zero
    to_meter()
    to_station()
    meter.run(10, 1)
    c.equal("cut off at zero again", meter.status()["supply"], "cut-off")
    meter.fail_relay(True)
    meter.run(1, 1)
    s = meter.status()
    over = s["remaining"]
    # 1.00 kWh drawn through the welded contacts, plus what the phases had
    # not yet completed as whole 0.01 kWh
    c.check("welded relay: credit goes below zero", -103 < over <= -100, f"(remaining {over})")
    c.check("relay fault logged", any(e["name"] == "relay fault" for e in s["events"]),
            str(s["events"]))
    meter.fail_relay(False)
    _, j, _ = st.run("sell", "--meter", str(METER), "--kwh", "20", card=True)
    rc, out = to_meter()
    s = meter.status()
    c.equal("the next purchase offsets the over-zero credit", (rc, s["remaining"]),
            (0, 2000 + over))
    c.equal("power back", s["relay"], "closed")
    final = s
    to_station()

    # ---- the readback at the office ----------------------------------------------
    card = card_token_cumulative(st)
    rb = card["readback"]
    c.equal("readback: remaining as the meter holds it", rb["remaining"], final["remaining"])
    c.equal("readback: total energy as the meter counted", rb["total"], final["total_energy"])
    c.equal("readback: credit loaded", rb["cumulative_loaded"], final["cumulative_loaded"])
    _, rep, _ = st.run("report", "meter", "--meter", str(METER))
    text = str(rep)
    c.check("per-meter report shows the readings", rep is not None and len(rep.get("rows", [])) >= 1,
            text[:400])
    total_kwh = f"{final['total_energy'] // 100}.{final['total_energy'] % 100:02d}"
    c.check(f"per-meter report shows the total energy {total_kwh} kWh", total_kwh in text,
            text[:400])

    # ---- the money ------------------------------------------------------------------
    sales = st.sales()
    c.equal("four sales in the ledger (the refused one never started)", len(sales), 4)
    taken, loaded, on_card, failed = money_check(c, sales, final["cumulative_loaded"],
                                                 card["token"]["cumulative"])
    c.equal("money taken: 10 + 12 + 2 + 4 = 28.00 EUR, all loaded", (taken, loaded, on_card),
            (2800, 2800, 0))
    print(f"[e2e {a.meter}] station: {len(st.calls)} kilovendctl calls, "
          f"{sum(t for _, t in st.calls):.1f} s; meter: {meter.seconds:.1f} s", flush=True)
    return 0 if c.done() else 1


def main():
    a = parse()
    if a.meter == "host" and not a.sim:
        sys.exit("e2e-loop: --meter host needs --sim")
    if a.meter == "qemu" and not (a.elf and a.qemu_run):
        sys.exit("e2e-loop: --meter qemu needs --elf and --qemu-run")
    if a.meter == "qemu" and not os.path.exists(a.elf):
        sys.exit(f"e2e-loop: the ARM image {a.elf} is missing: build it with "
                 "meson compile -C build-arm (./kilovend.sh build does)")
    if not a.inside:
        return outside(a)
    try:
        return scenario(a)
    except Failure as e:
        print(f"FAIL {e}", flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
