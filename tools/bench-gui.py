#!/usr/bin/python3
"""bench-gui.py BUILD - measure the cashier app (see bench-gui.sh)."""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

build = sys.argv[1]
top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(top, "tests", "gui"))
import kvatspi as at  # noqa: E402

APP = os.path.join(build, "src", "app", "kilovend")
env = dict(os.environ, GSETTINGS_SCHEMA_DIR=os.path.join(build, "ui", "data"),
           GSETTINGS_BACKEND="memory")


def marks(path):
    out = {}
    with open(path) as f:
        for line in f:
            if line.startswith("kilovend-timing: "):
                what, since_start, unix_ms = line.split()[1:4]
                out.setdefault(what, []).append((float(since_start), int(unix_ms)))
    return out


def summary(name, values):
    values = sorted(values)
    print(f"{name}: median {statistics.median(values):.0f} ms, "
          f"min {values[0]:.0f} ms, max {values[-1]:.0f} ms ({len(values)} runs)")


def main():
    d = tempfile.mkdtemp(prefix="kv-bench-gui-")
    log = os.path.join(d, "app.log")
    try:
        # The demo: a station in d, a private pcscd, the virtual card.
        logf = open(log, "w")
        proc = subprocess.Popen([APP, "--demo", "--demo-dir", d],
                                env=dict(env, KILOVEND_TIMING="1"), stdout=logf,
                                stderr=subprocess.STDOUT, start_new_session=True)
        at.wait_until(lambda: os.path.exists(os.path.join(d, "demo-env")), 90, "the demo")
        demo = dict(l.strip().split("=", 1) for l in open(os.path.join(d, "demo-env")))
        app = at.find_app("kilovend", 30)
        at.set_text(at.find(app, "text", "User name"), "ama")
        at.set_text(at.find(app, "password text", "Password"), "cashier-demo")
        at.click(at.find(app, "push button", "Sign In"))
        sup = at.find(app, "text", "Supervisor user name", 30)
        at.wait_until(lambda: at.sensitive(at.find(app, "push button", "Open Shift")), 30, "shift")
        time.sleep(1)
        at.set_text(sup, "kofi")
        at.set_text(at.find(app, "password text", "Supervisor password"), "supervisor-demo")
        at.set_text(at.find(app, "password text", "Key file passphrase"), "demo passphrase")
        at.click(at.find(app, "push button", "Open Shift"))
        at.wait_until(lambda: len(marks(log).get("customer-shown", [])) >= 1, 60,
                      "the first card read")

        from_insert, from_event = [], []
        cards = [os.path.join(d, f"card-{n}.card") for n in (1, 2)]
        for i in range(20):
            before = len(marks(log).get("customer-shown", []))
            with open(demo["KV_VCARD_CONTROL"], "w") as f:
                f.write("remove\n")
            time.sleep(1.0)
            t0 = time.time() * 1000
            with open(demo["KV_VCARD_CONTROL"], "w") as f:
                f.write(f"insert {cards[i % 2]}\n")
            at.wait_until(lambda: len(marks(log).get("customer-shown", [])) > before, 30,
                          "the customer")
            m = marks(log)
            shown = m["customer-shown"][-1][1]
            event = m["card-inserted"][-1][1]
            from_insert.append(shown - t0)
            from_event.append(shown - event)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        logf.close()

        # Cold start: a fresh process each time, on the demo station, once
        # the demo's own services have gone.
        time.sleep(3)
        cold, parts = [], {"gtk-started": [], "window-built": []}
        for _ in range(10):
            clog = os.path.join(d, "cold.log")
            with open(clog, "w") as f:
                subprocess.run([APP, "--db", os.path.join(d, "station.db"),
                                "--keys", os.path.join(d, "station.keys")],
                               env=dict(env, KILOVEND_TIMING="exit"), stdout=f,
                               stderr=subprocess.STDOUT, timeout=60)
            m = marks(clog)
            cold.append(m["window-drawn"][0][0])
            for k in parts:
                parts[k].append(m[k][0][0])

        print("Kilovend cashier app (Xvfb, GSK cairo/GL as available, "
              f"{os.cpu_count()} CPUs)")
        summary("cold start to the sign-in window drawn", cold)
        summary("  of which: process start to GTK and libadwaita ready", parts["gtk-started"])
        summary("  of which: process start to the window built", parts["window-built"])
        summary("card inserted (virtual reader) to customer shown", from_insert)
        summary("reader's insertion event to customer shown (read + core + screen)", from_event)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
