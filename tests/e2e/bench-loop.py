#!/usr/bin/env python3
"""bench-loop.py - what the whole loop costs, per sale (tools/bench-loop.sh).

Inside kv-pcsc-env (kilovend-vcard with -v, logging each APDU): a station,
a meter and a card; then RUNS rounds of sale through pcscd into the virtual
card, card to the meter (load), card back and read at the station (readback
imported).  Prints the medians of the wall time of each step, the APDUs the
station sent (from the vcard's log) and the card bytes the station and the
meter wrote (from the card file's per-byte write counters); then the same
sales with the station writing a card file directly (no PC/SC), and the
start-up every kilovendctl call pays (login and key file unlock, scrypt),
measured on a command that touches no card.
"""

import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kvloop import Meter, Reader, Station, card_writes  # noqa: E402

METER = 123456782


def apdus(reader):
    """APDUs the virtual card has received so far (its -v log)."""
    return reader.count(r"kilovend-vcard: > ")


def main():
    ctl, sim, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    reader = Reader()
    st = Station(ctl, work, reader=reader.name)
    prov = os.path.join(work, "provision.bin")
    meter = Meter("host", sim, os.path.join(work, "meter"), prov)
    st.init(METER, "100000", "20", "5")
    st.run("meter", "provision", "--meter", str(METER), "--out", prov)
    st.run("card", "issue", "--meter", str(METER), card=True)
    rows = []
    for _ in range(runs):
        w0 = card_writes(reader.card)
        a0 = apdus(reader)
        t0 = time.monotonic()
        st.run("sell", "--meter", str(METER), "--kwh", "1", card=True)
        t1 = time.monotonic()
        a1 = apdus(reader)
        reader.remove()
        w1 = card_writes(reader.card)
        t2 = time.monotonic()
        rc, out = meter.insert(reader.card)
        t3 = time.monotonic()
        if rc != 0:
            sys.exit(f"bench-loop: the meter refused the card: {out}")
        w2 = card_writes(reader.card)
        reader.insert()
        t4 = time.monotonic()
        a4 = apdus(reader)
        st.run("card", "read", card=True)
        t5 = time.monotonic()
        rows.append((t1 - t0, t3 - t2, t5 - t4, w1 - w0, w2 - w1, a1 - a0, apdus(reader) - a4))
    startup = []
    for _ in range(runs):
        t0 = time.monotonic()
        st.run("sale", "unresolved")
        startup.append(time.monotonic() - t0)
    # The same sales with the station writing the card file itself.
    reader.remove()
    filest = Station(ctl, work, card_file=reader.card)
    file_times = []
    for _ in range(runs):
        t0 = time.monotonic()
        filest.run("sell", "--meter", str(METER), "--kwh", "1", card=True)
        file_times.append(time.monotonic() - t0)

    def med(i):
        return statistics.median(r[i] for r in rows)
    print(f"{runs} rounds (medians):")
    print(f"  sale through pcscd (kilovendctl sell, process start to exit)  {med(0) * 1000:8.0f} ms")
    print(f"  sale to a card file, no PC/SC (station's own time)           "
          f"{statistics.median(file_times) * 1000:8.0f} ms")
    print(f"  meter load (kilovend-meter-sim insert, host)                  {med(1) * 1000:8.0f} ms")
    print(f"  card read at the station, readback imported                   {med(2) * 1000:8.0f} ms")
    print(f"  kilovendctl start-up (login, key file unlock: sale unresolved) "
          f"{statistics.median(startup) * 1000:8.0f} ms")
    print(f"  APDUs per sale (select, reads, PSC, writes, read-back)        {med(5):8.0f}")
    print(f"  APDUs per card read                                           {med(6):8.0f}")
    print(f"  card bytes written per sale by the station                    {med(3):8.0f}")
    print(f"  card bytes written per load by the meter (readback)           {med(4):8.0f}")
    print(f"  card write time these imply at 2.5 ms per byte                "
          f"{(med(3) + med(4)) * 2.5:8.1f} ms")


if __name__ == "__main__":
    main()
