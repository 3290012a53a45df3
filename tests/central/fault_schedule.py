#!/usr/bin/env python3
"""fault_schedule.py - many offices under faults (run under kv-pg-harness).

Three or more stations (kilovendctl with their own ledger and card files),
each linked to the head office through its own TCP proxy
(tests/central/kv-tcp-proxy), run a seeded random schedule bounded in steps:
sales, cards carried from one office to another, a lost card replaced, links
cut (reset) and stalled and healed, the sync process killed with SIGKILL at
its named stop points (KILOVEND_TEST_STOP: sync-before-send,
sync-after-commit, sync-mid-pull), the server stopped abruptly and started
again.  Then everything heals and syncs until quiet, and the invariants of
docs/multi-office.md ("Fault tests") are checked:

  1 no sale lost       every sale of every ledger is at the centre, same content
  2 none doubled       one row per key; amounts per station, per office and in
                       total equal the ledgers' (the central reports' figures)
  3 meters             per meter the cumulative only grows with the token
                       sequence, and the cards replayed into a model meter
                       (kilovend-meter-sim) never load more than was paid for
  4 audit chains       each station's chain at the centre verifies from row 1
                       and ends at the station's own head
  5 master data        identical at every station and at the centre
  6 re-push            pushing every record again changes nothing at the centre
  7 attacks            a station presenting another station's certificate is
                       refused and nothing is stored; a ledger rewritten after
                       its push is a conflict that stops the station, the
                       centre's copy unchanged

    fault_schedule.py [--seed N] [--steps N] [--quiet]
    fault_schedule.py --demo    the two-office demo instead (tools/demo-offices.sh)
    fault_schedule.py --bench   catch-up and lag figures (tools/bench-offices.sh)
    KV_FAULT_SEED / KV_FAULT_STEPS: the same (the seed is printed; a failing
    run is repeated exactly with KV_FAULT_SEED=<seed>).
    KV_FAULT_SUITE_SEED: the suite's fixed seed, used when KV_FAULT_SEED is unset.
    KV_FAULT_OFFLINE_REPLACE=1: lost cards are replaced at whatever office,
    synced or not (by default the office syncs first and pushes at once).
Needs: KILOVENDCTL, KV_METER_SIM, and the harness's environment
(KV_PG_DIR, PGPORT, KV_PG_PKI, KV_PG_DB...).  The stations are those the
harness registered (--stations "NO:OFFICE ...").
"""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
K = os.environ.get("KILOVENDCTL")
SIM = os.environ.get("KV_METER_SIM")
REPUSH = os.environ.get("KV_REPUSH_ALL")
OFFLINE_REPLACE = os.environ.get("KV_FAULT_OFFLINE_REPLACE") == "1"
PROXY = os.environ.get("KV_TCP_PROXY", os.path.join(HERE, "kv-tcp-proxy"))
SERVER = os.environ.get("KV_PG_SERVER", os.path.join(HERE, "kv-pg-server"))
WORK = os.path.join(os.environ["KV_PG_DIR"], "faults")
STOP_POINTS = ["sync-before-send", "sync-after-commit", "sync-mid-pull"]
# Valid meter numbers (Luhn check digit).
METERS = [123456782, 222222226, 100000009, 300000007]
PRICE = 10  # money per kWh (tariff DEFAULT), whole units

failures = []
verbose = True


def log(msg):
    if verbose:
        print(msg, flush=True)


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def psql(sql, *args):
    """Head office's superuser (the harness's unix socket); rows as lists."""
    cmd = ["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-F", "\t"]
    for i, a in enumerate(args):
        cmd += ["-v", "a%d=%s" % (i, a)]
    r = subprocess.run(cmd, input=sql, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("psql: %s\n%s" % (sql, r.stderr))
    return [line.split("\t") for line in r.stdout.splitlines() if line != ""]


def psql1(sql, *args):
    rows = psql(sql, *args)
    return rows[0][0] if rows else None


class Proxy:
    def __init__(self, name):
        self.name = name
        self.ctl = os.path.join(WORK, name + ".ctl")
        portfile = os.path.join(WORK, name + ".port")
        self.proc = subprocess.Popen([sys.executable, PROXY, "serve", "--target",
                                      "127.0.0.1:%s" % os.environ["PGPORT"], "--control", self.ctl,
                                      "--port-file", portfile])
        for _ in range(300):
            if os.path.exists(portfile):
                break
            time.sleep(0.05)
        self.port = int(open(portfile).read())
        self.mode = "pass"

    def __call__(self, command):
        r = subprocess.run([sys.executable, PROXY, "ctl", self.ctl, command], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("proxy %s %s: %s" % (self.name, command, r.stdout + r.stderr))
        if command in ("pass", "heal", "reset", "stall"):
            self.mode = "pass" if command == "heal" else command

    def quit(self):
        try:
            self("quit")
        except RuntimeError:
            pass
        self.proc.wait(10)


class Station:
    def __init__(self, no, office, batch=7):
        self.no = no
        self.batch = batch  # audit rows per push batch (small: several batches, several passes)
        self.office = office
        self.dir = os.path.join(WORK, "st%d" % no)
        os.makedirs(self.dir, exist_ok=True)
        self.db = os.path.join(self.dir, "ledger.db")
        self.proxy = Proxy("link%d" % no)
        self.conf = os.path.join(self.dir, "sync.conf")
        self.write_conf(self.no)
        self.env = dict(os.environ, KILOVEND_DB=self.db, KILOVEND_KEYS=os.path.join(WORK, "station.keys"),
                        KILOVEND_USER="admin", KILOVEND_PASSWORD="adminpass1",
                        KILOVEND_PASSPHRASE="passphrase1", KILOVEND_SYNC_CONF=self.conf, TZ="UTC")
        self.env.pop("KILOVEND_TEST_STOP", None)

    def write_conf(self, cert_no):
        """cert_no: whose certificate the station presents (its own but in
        the attack tests)."""
        pki = os.environ["KV_PG_PKI"]
        role = "kv_station_%05d" % cert_no
        with open(self.conf, "w") as f:
            f.write("[head-office]\nhost = localhost\nport = %d\ndbname = %s\nca = %s\ncert = %s\nkey = %s\n"
                    "connect_timeout = 5\nbatch = %d\n"
                    % (self.proxy.port, os.environ["KV_PG_DB"], os.path.join(pki, "ca.crt"),
                       os.path.join(pki, role + ".crt"), os.path.join(pki, role + ".key"), self.batch))

    def ctl(self, *args, card=None, env=None, check=False, human=False):
        cmd = [K] + ([] if human else ["--json"]) + (["--card-file", card] if card else []) + list(args)
        e = dict(self.env, **(env or {}))
        r = subprocess.run(cmd, capture_output=True, text=True, env=e, cwd=self.dir)
        if check and r.returncode != 0:
            raise RuntimeError("station %d: %s: exit %d\n%s%s" % (self.no, " ".join(args), r.returncode,
                                                                   r.stdout, r.stderr))
        return r

    def sync(self, stop=None, env=None):
        """One sync round; with stop, the process stops itself at that point
        (SIGSTOP) and is killed there with SIGKILL.  Returns the exit code
        (-9 when killed)."""
        e = dict(self.env, **(env or {}))
        if stop:
            e["KILOVEND_TEST_STOP"] = stop
        p = subprocess.Popen([K, "--json", "sync", "--once"], env=e, cwd=self.dir,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if stop:
            # Wait until it has stopped itself at the point (state T), or ended
            # without passing it (nothing to push, link down...).
            while p.poll() is None:
                try:
                    with open("/proc/%d/stat" % p.pid) as f:
                        state = f.read().rsplit(")", 1)[1].split()[0]
                except OSError:
                    break
                if state == "T":
                    os.kill(p.pid, signal.SIGKILL)
                    break
                time.sleep(0.02)
        out, err = p.communicate()
        self.last_sync = (p.returncode, out, err)
        return p.returncode

    def status(self):
        r = self.ctl("sync", "status")
        try:
            return json.loads(r.stdout)
        except ValueError:
            raise RuntimeError("station %d: sync status: %s%s" % (self.no, r.stdout, r.stderr))

    def sql(self, q, *args):
        c = sqlite3.connect(self.db)
        try:
            rows = c.execute(q, args).fetchall()
            c.commit()
            return rows
        finally:
            c.close()


class Schedule:
    def __init__(self, seed, steps, stations):
        self.rng = random.Random(seed)
        self.seed = seed
        self.steps = steps
        self.st = stations
        self.cards = {}      # meter -> current card file
        self.retired = {}    # meter -> older card files (lost ones)
        self.sims = {}       # meter -> (state dir, config file)
        self.n_card = 0
        self.events = {}

    def count(self, what):
        self.events[what] = self.events.get(what, 0) + 1

    def new_card_file(self):
        self.n_card += 1
        path = os.path.join(WORK, "card%d.card" % self.n_card)
        self.st[0].ctl("card", "blank", path, check=True)
        return path

    # ---- setup -----------------------------------------------------------
    def setup(self, meters=METERS, hoarding=500000):
        """The stations (one key file: the utility's), master data at the
        head office pulled by each, a shift open, a model meter for each
        meter and its first card."""
        first = self.st[0]
        for s in self.st:
            r = s.ctl("init", "--utility-name", "Lake Power", "--utility-code", "4711", "--currency", "KES",
                      "--office", str(s.office), "--station", str(s.no))
            if r.returncode != 0:
                raise RuntimeError("init %d: %s%s" % (s.no, r.stdout, r.stderr))
        # Master data is written at the head office and flows down.
        psql("INSERT INTO kv.tariffs(code, name) VALUES ('DEFAULT', 'Domestic');"
             "INSERT INTO kv.tariff_versions(id, code, effective_from, vat_bp, blocks, created_at) VALUES "
             "(1, 'DEFAULT', 1577836800, 0, '[{\"upto\": null, \"price_e4\": %d}]', 1577836800);"
             % (PRICE * 100 * 10000))
        for i, m in enumerate(meters):
            psql("INSERT INTO kv.customers(id, account, name, created_at) VALUES (%d, 'ACC-%d', 'Customer %d', 0);"
                 "INSERT INTO kv.meters(number, customer_id, tariff_code, key_version, psc_key_version, "
                 "alarm_level, pretrip_level, hoarding_limit, created_at) VALUES "
                 "(%d, %d, 'DEFAULT', 1, 1, 500, 200, %d, 0)" % (i + 1, i + 1, i + 1, m, i + 1, hoarding))
        for s in self.st:
            if s.sync() != 0:
                raise RuntimeError("first sync of station %d: %s" % (s.no, s.last_sync))
            s.ctl("shift", "open", check=True)
        for m in meters:
            d = os.path.join(WORK, "meter%d" % m)
            os.makedirs(d, exist_ok=True)
            cfg = os.path.join(d, "prov.bin")
            first.ctl("meter", "provision", "--meter", str(m), "--out", cfg, check=True)
            self.sims[m] = (d, cfg)
            # Each meter's first card at a station chosen by the seed.
            s = self.rng.choice(self.st)
            card = self.new_card_file()
            s.ctl("card", "issue", "--meter", str(m), card=card, check=True)
            self.cards[m] = card
            self.retired[m] = []
        for s in self.st:
            s.sync()

    # ---- steps -----------------------------------------------------------
    def sim(self, m, *args):
        d, cfg = self.sims[m]
        return subprocess.run([SIM, "--state", d, "--config", cfg] + list(args), capture_output=True, text=True)

    def step_sell(self, s=None):
        m = self.rng.choice(METERS)
        s = s or self.rng.choice(self.st)   # the card goes to any office
        amount = self.rng.randint(1, 20) * 10
        r = s.ctl("sell", "--meter", str(m), "--amount", str(amount), card=self.cards[m])
        self.count("sell exit %d" % r.returncode)
        log("  sell %d at station %d for meter %d: exit %d %s" % (amount, s.no, m, r.returncode,
                                                                 (r.stderr or "").strip()[:120]))
        if r.returncode == 0 and self.rng.random() < 0.5:
            self.sim(m, "insert", self.cards[m])

    def step_replace(self):
        m = self.rng.choice(METERS)
        s = self.rng.choice(self.st)
        if not OFFLINE_REPLACE:
            # Done online: the office syncs first (the meter's and its cards'
            # state from every office) and pushes the new card at once.  A
            # replacement at an office that has not heard of another's sales
            # or replacement forks the meter's cards and strands credit
            # (KV_FAULT_OFFLINE_REPLACE=1 shows it).
            s.proxy("heal")
            if s.sync() != 0:
                self.count("replace skipped (offline)")
                log("  replace at station %d skipped: cannot sync (%s)" % (s.no, s.last_sync[2].strip()[:80]))
                return
        card = self.new_card_file()
        r = s.ctl("card", "replace", "--meter", str(m), "--reason", "lost", card=card)
        self.count("replace exit %d" % r.returncode)
        log("  replace the card of meter %d at station %d: exit %d %s" % (m, s.no, r.returncode,
                                                                         (r.stderr or "").strip()[:120]))
        if r.returncode == 0:
            self.retired[m].append(self.cards[m])
            self.cards[m] = card
            if not OFFLINE_REPLACE and s.sync() != 0:
                fail("the replacement of meter %d's card at station %d was not pushed: %s"
                     % (m, s.no, s.last_sync[2].strip()))

    def step_sync(self):
        s = self.rng.choice(self.st)
        rc = s.sync()
        self.count("sync exit %d" % rc)
        log("  sync station %d (link %s): exit %d" % (s.no, s.proxy.mode, rc))

    def step_crash_sync(self):
        s = self.rng.choice(self.st)
        point = self.rng.choice(STOP_POINTS)
        waiting = s.status()["waiting"]
        if waiting == 0 and point != "sync-mid-pull":
            self.step_sell(s)   # something to push, so that the point is passed
            waiting = s.status()["waiting"]
        # At the point's first pass, or its second when there are two batches
        # (7 audit rows each) or two pulls.
        if self.rng.random() < 0.3 and (waiting > 10 or point == "sync-mid-pull"):
            point += ":2"
        rc = s.sync(stop=point)
        self.count("sync killed at %s" % point if rc == -9 else "sync not stopped (%d)" % rc)
        log("  sync station %d (%d records waiting, link %s) killed at %s: exit %d %s"
            % (s.no, waiting, s.proxy.mode, point, rc, s.last_sync[2].strip()[:100]))

    def step_link(self):
        s = self.rng.choice(self.st)
        mode = self.rng.choice(["reset", "heal", "heal", "stall"])
        if mode == "stall":
            # A stalled link while a sync is under way, healed after a while:
            # the round must finish or fail cleanly, never half-apply.
            s.proxy("stall")
            p = subprocess.Popen([K, "--json", "sync", "--once"], env=s.env, cwd=s.dir,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(self.rng.choice([0.2, 0.5, 1.0]))
            s.proxy("heal")
            rc = p.wait(120)
            self.count("sync through a stall exit %d" % rc)
            log("  stall the link of station %d during a sync, heal: exit %d" % (s.no, rc))
        else:
            s.proxy(mode)
            self.count("link " + mode)
            log("  link of station %d: %s" % (s.no, mode))

    def step_server(self):
        log("  server: crash (immediate) and start again")
        subprocess.run([SERVER, "crash"], check=True)
        # A station trying while it is down.
        s = self.rng.choice(self.st)
        rc = s.sync()
        if rc == 0:
            fail("station %d synced while the server was down" % s.no)
        subprocess.run([SERVER, "start"], check=True)
        self.count("server crash")

    def run(self):
        weights = [(self.step_sell, 40), (self.step_sync, 15), (self.step_crash_sync, 12),
                   (self.step_link, 12), (self.step_replace, 4), (self.step_server, 3)]
        steps = [f for f, w in weights for _ in range(w)]
        for i in range(self.steps):
            f = self.rng.choice(steps)
            log("step %d: %s" % (i + 1, f.__name__[5:]))
            f()

    # ---- heal and check --------------------------------------------------
    def any_office(self):
        """Once synced, a customer can buy at any office: each meter's
        current card sells at every station."""
        for m in METERS:
            for s in self.st:
                r = s.ctl("sell", "--meter", str(m), "--amount", "10", card=self.cards[m])
                if r.returncode != 0:
                    fail("any office: meter %d's card %s at station %d: exit %d %s"
                         % (m, os.path.basename(self.cards[m]), s.no, r.returncode, r.stderr.strip()))
                    continue
                # Each office's sale synced before the next office sells.
                s.sync()
                self.sim(m, "insert", self.cards[m])
        self.until_quiet()

    def heal(self):
        for s in self.st:
            s.proxy("heal")
        if subprocess.run([SERVER, "status"]).returncode != 0:
            subprocess.run([SERVER, "start"], check=True)
        # Until quiet: nothing waiting anywhere, then one more round each so
        # that every station has pulled everything the others pushed.
        for _ in range(6):
            for s in self.st:
                rc = s.sync()
                if rc != 0:
                    log("  heal: sync of station %d: exit %d %s" % (s.no, rc, s.last_sync[2].strip()[:200]))
            if all(s.status()["waiting"] == 0 for s in self.st):
                break
        self.until_quiet()

    def until_quiet(self):
        for s in self.st:
            if s.sync() != 0:
                fail("station %d does not sync once healed: %s" % (s.no, s.last_sync[2].strip()))
            st = s.status()
            if st["waiting"] != 0 or st["conflict"] or st["recover"]:
                fail("station %d not quiet after healing: %s" % (s.no, st))


def fingerprint():
    return psql1("SELECT md5(string_agg(x, '|' ORDER BY x)) FROM ("
                 "SELECT 's' || station_no || '/' || local_id || content::text AS x FROM kv.sales UNION ALL "
                 "SELECT 't' || station_no || '/' || local_id || content::text FROM kv.sale_states UNION ALL "
                 "SELECT 'c' || station_no || '/' || local_id || content::text FROM kv.cards UNION ALL "
                 "SELECT 'k' || station_no || '/' || local_id || content::text FROM kv.card_statuses UNION ALL "
                 "SELECT 'r' || station_no || '/' || local_id || content::text FROM kv.readbacks UNION ALL "
                 "SELECT 'e' || station_no || '/' || local_id || content::text FROM kv.engineering_tokens UNION ALL "
                 "SELECT 'h' || station_no || '/' || local_id || content::text FROM kv.shifts UNION ALL "
                 "SELECT 'a' || station_no || '/' || local_id || content::text FROM kv.audit UNION ALL "
                 "SELECT 'p' || station_no || '/' || local_id || content::text FROM kv.payments UNION ALL "
                 "SELECT 'm' || to_jsonb(ms)::text FROM kv.meter_state ms UNION ALL "
                 "SELECT 'd' || to_jsonb(cs)::text FROM kv.card_state cs UNION ALL "
                 "SELECT 'x' || station_no || audit_head_id || encode(audit_head_hash, 'hex') FROM kv.stations"
                 ") f")


SOLD = ("completed", "cancelling")


def check_invariants(sched):
    st = sched.st
    # 1. no sale lost: every sale of every ledger at the centre, same content.
    for s in st:
        for (sid, meter, card, seq, amount, energy, cumulative, created_at, state) in s.sql(
                "SELECT id, meter_number, card_serial, seq, amount, energy, cumulative, created_at, state "
                "FROM sales ORDER BY id"):
            row = psql("SELECT meter_number, card_serial, seq, amount, energy, cumulative, created_at, "
                       "(SELECT ss.state FROM kv.sale_states ss WHERE ss.station_no = s.station_no AND "
                       "ss.sale_id = s.local_id ORDER BY ss.local_id DESC LIMIT 1) "
                       "FROM kv.sales s WHERE station_no = %d AND local_id = %d" % (s.no, sid))
            want = [str(x) for x in (meter, card, seq, amount, energy, cumulative, created_at, state)]
            if not row:
                fail("1 lost: sale %d of station %d is not at the centre" % (sid, s.no))
            elif row[0] != want:
                fail("1 content: sale %d of station %d: centre %s, ledger %s" % (sid, s.no, row[0], want))
    # 2. none doubled: keys are unique (primary key), and the sums agree per
    # station, per office and in total, through the central reports.
    ledgers = {}
    for s in st:
        n, amount = s.sql("SELECT count(*), coalesce(sum(amount), 0) FROM sales WHERE state IN (?, ?)", *SOLD)[0]
        ledgers[s.no] = (n, amount)
        c = psql("SELECT count(*), coalesce(sum(amount), 0) FROM kv_report.sales_in(0, 9223372036854775807) "
                 "WHERE station_no = %d AND state IN ('completed', 'cancelling')" % s.no)[0]
        if [int(c[0]), int(c[1])] != [n, amount]:
            fail("2 sums: station %d: centre %s, ledger %s" % (s.no, c, (n, amount)))
        dup = psql1("SELECT count(*) - count(DISTINCT (meter_number, seq)) FROM kv.sales WHERE station_no = %d"
                    % s.no)
        if dup != "0":
            fail("2 doubled: station %d has %s sales with the same meter and sequence" % (s.no, dup))
    offices = {}
    for s in st:
        o = offices.setdefault(s.office, [0, 0])
        o[0] += ledgers[s.no][0]
        o[1] += ledgers[s.no][1]
    for o, (n, amount) in offices.items():
        c = psql("SELECT coalesce(sum(sold), 0), coalesce(sum(sold_amount), 0) FROM "
                 "kv_report.period(0, 9223372036854775807) WHERE level = 'office' AND office = %d" % o)[0]
        if [int(c[0]), int(c[1])] != [n, amount]:
            fail("2 sums: office %d: centre %s, ledgers %s" % (o, c, (n, amount)))
    total = [sum(v[0] for v in ledgers.values()), sum(v[1] for v in ledgers.values())]
    c = psql("SELECT sold, sold_amount FROM kv_report.period(0, 9223372036854775807) WHERE level = 'total'")[0]
    if [int(c[0]), int(c[1])] != total:
        fail("2 sums: total: centre %s, ledgers %s" % (c, total))
    # The summaries the reports read, kept by the pushes through every fault,
    # recomputed from the records: no difference.
    for d in psql("SELECT summary, key, kept, recomputed FROM kv.summary_check()"):
        fail("2 summaries: %s %s kept %s, the records give %s" % tuple(d))
    log("invariant 2: %d sales sold, %d in money, over %d offices" % (total[0], total[1], len(offices)))
    # 3. per meter, along each card's tokens (every office's), the sequence
    # and the cumulative only grow; the model meter never loaded more than
    # was paid for.  Tokens of a later card that do not go past what an
    # earlier card's tokens loaded (a card replaced at an office that had
    # not yet heard of another office's sales) are counted: the meter
    # refuses them, the customer is owed that credit.
    for m in METERS:
        rows = psql("SELECT card_serial, seq, cumulative, station_no, local_id FROM kv.sales s "
                    "WHERE meter_number = %d AND (SELECT ss.state FROM kv.sale_states ss WHERE "
                    "ss.station_no = s.station_no AND ss.sale_id = s.local_id ORDER BY ss.local_id DESC "
                    "LIMIT 1) IN ('written', 'completed', 'cancelling') ORDER BY card_serial, seq" % m)
        last = {}
        for card, seq, cum, sno, lid in rows:
            prev = last.get(card)
            if prev is not None and (int(seq) <= prev[0] or int(cum) <= prev[1]):
                fail("3 meter %d card %s: token seq %s cumulative %s (station %s sale %s) does not grow past "
                     "seq %d cumulative %d" % (m, card, seq, cum, sno, lid, prev[0], prev[1]))
            last[card] = (int(seq), int(cum))
        stranded = psql1("SELECT count(*) FROM kv.sales a WHERE a.meter_number = %d AND EXISTS (SELECT 1 FROM "
                         "kv.sales b WHERE b.meter_number = a.meter_number AND b.card_serial <> a.card_serial AND "
                         "b.seq < a.seq AND b.cumulative >= a.cumulative)" % m)
        if stranded != "0":
            sched.count("tokens below an earlier card's cumulative")
            log("invariant 3: meter %d: %s token(s) of a replacement card below an earlier card's cumulative"
                % (m, stranded))
        for card in sched.retired[m] + [sched.cards[m]]:
            sched.sim(m, "insert", card)
        r = sched.sim(m, "status", "--json")
        try:
            sim = json.loads(r.stdout)
        except ValueError:
            fail("3 meter %d: the model meter's status: %s%s" % (m, r.stdout, r.stderr))
            continue
        loaded = int(sim.get("loaded", sim.get("cumulative_loaded", -1)))
        paid = int(psql1("SELECT coalesce(sum(energy), 0) FROM kv.sales s WHERE meter_number = %d AND "
                         "(SELECT ss.state FROM kv.sale_states ss WHERE ss.station_no = s.station_no AND "
                         "ss.sale_id = s.local_id ORDER BY ss.local_id DESC LIMIT 1) IN ('completed', "
                         "'cancelling', 'written')" % m))
        if loaded < 0 or loaded > paid:
            fail("3 meter %d: the model meter loaded %d, paid for %d (%s)" % (m, loaded, paid, sim))
        else:
            log("invariant 3: meter %d loaded %d of %d paid for over %d tokens" % (m, loaded, paid, len(rows)))
    # 4. each station's audit chain at the centre, from row 1 to its head.
    for s in st:
        ok, rows, head, bad, why = psql("SELECT ok, rows, head, bad_row, reason FROM kv_report.audit_chain(%d)"
                                        % s.no)[0]
        own = s.ctl("audit", "head").stdout.strip()
        if ok != "t":
            fail("4 station %d: the centre's chain breaks at row %s: %s" % (s.no, bad, why))
        elif not own or (head not in own and own not in head):
            fail("4 station %d: the centre's chain ends at %s, the station's head is %s" % (s.no, head, own))
    # 5. master data everywhere as at the centre.
    centre = sorted(tuple(r) for r in psql("SELECT number, tariff_code, key_version, hoarding_limit FROM kv.meters"))
    for s in st:
        mine = sorted(tuple(str(x) for x in r) for r in
                      s.sql("SELECT number, tariff_code, key_version, hoarding_limit FROM meters"))
        if mine != centre:
            fail("5 station %d: meters %s, centre %s" % (s.no, mine, centre))
    # 6. pushing every record again, batch by batch as the client builds
    # them (but without the pull that skips what the centre holds), changes
    # nothing: every batch is accepted, nothing is new.
    before = fingerprint()
    for s in st:
        s.sql("UPDATE sync_state SET pushed_audit = 0, pushed_reading = 0, pushed_engineering = 0")
        s.sql("UPDATE push_cursors SET pushed = 0")
        r = subprocess.run([REPUSH, s.db, s.conf], capture_output=True, text=True, env=s.env)
        log("invariant 6: station %d pushed again: %s%s" % (s.no, r.stdout.strip(), r.stderr.strip()))
        if r.returncode != 0 or not r.stdout.strip().endswith(" new 0") or " records 0 " in r.stdout:
            fail("6 station %d: the full re-push: %s%s" % (s.no, r.stdout, r.stderr))
    if fingerprint() != before:
        fail("6 re-pushing every record changed the centre")
    for s in st:
        if s.status()["conflict"]:
            fail("6 station %d: the re-push raised a conflict" % s.no)

def check_security(sched):
    """7. The attacks through the real client, after the invariants."""
    a, b = sched.st[0], sched.st[1]
    before = fingerprint()
    # A station presenting another station's certificate: it logs in as its
    # own role, the certificate names another: refused at login, nothing
    # stored.
    b.write_conf(a.no)
    m = METERS[1]
    r = b.ctl("sell", "--meter", str(m), "--amount", "10", card=sched.cards[m])
    rc = b.sync()
    b.write_conf(b.no)
    if rc == 0:
        fail("7 station %d synced with station %d's certificate" % (b.no, a.no))
    if fingerprint() != before:
        fail("7 station %d's push with station %d's certificate changed the centre" % (b.no, a.no))
    log("7: station %d with station %d's certificate: sync exit %d, %s" % (b.no, a.no, rc,
                                                                         b.last_sync[2].strip()[:160]))
    # Back on its own certificate, the sale goes through.
    if r.returncode == 0 and b.sync() != 0:
        fail("7 station %d does not sync again with its own certificate: %s" % (b.no, b.last_sync[2]))
    before = fingerprint()
    # A ledger rewritten after its sales were pushed (an insider lowers a
    # sale's amount) and pushed again: the centre keeps the first content,
    # records the conflict and stops the station's sync.
    # (the station with the most sales: a short schedule may leave one without)
    a = max(sched.st, key=lambda x: x.sql("SELECT count(*) FROM sales WHERE state = 'completed'")[0][0])
    sale = a.sql("SELECT id, amount FROM sales WHERE state = 'completed' ORDER BY id LIMIT 1")
    if not sale:
        fail("7 no station has a sale to rewrite")
        return
    sid, amount = sale[0]
    c = sqlite3.connect(a.db)
    for t in [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                                      "tbl_name = 'sales'")]:
        c.execute("DROP TRIGGER %s" % t)
    c.execute("UPDATE sales SET amount = amount - 1, energy_net = energy_net - 1 WHERE id = ?", (sid,))
    c.execute("UPDATE sync_state SET pushed_audit = 0, pushed_reading = 0, pushed_engineering = 0")
    c.commit()
    c.close()
    # Pushed again as the client builds its batches (a plain sync would
    # first pull and skip what the centre holds).
    r = subprocess.run([REPUSH, a.db, a.conf], capture_output=True, text=True, env=a.env)
    rc = r.returncode
    st = a.status()
    stored = psql1("SELECT amount FROM kv.sales WHERE station_no = %d AND local_id = %d" % (a.no, sid))
    conflicts = psql1("SELECT count(*) FROM kv.conflicts WHERE station_no = %d AND local_id = %d AND kind = 'sale'"
                      % (a.no, sid))
    if stored != str(amount):
        fail("7 the rewritten sale %d changed the centre's copy: %s (was %d)" % (sid, stored, amount))
    if conflicts != "1" or not st["conflict"] or rc == 0:
        fail("7 the rewritten sale was not a conflict: conflicts %s, status %s, exit %d" % (conflicts, st, rc))
    log("7: rewritten sale %d of station %d pushed again: exit %d, conflict %r" % (sid, a.no, rc, st["conflict"]))
    if a.sync() == 0:
        fail("7 station %d syncs on after the conflict" % a.no)
    only_conflict = fingerprint()
    if only_conflict != before:
        fail("7 the rewritten ledger's push changed the centre's records")


def demo(stations):
    """Two offices side by side, a card carried from one to the other."""
    def say(text):
        print("\n== " + text, flush=True)

    def ctl(st, *args, card=None):
        show(st.ctl(*args, card=card, human=True))

    def show(r):
        out = (r.stdout or "") + (r.stderr or "")
        print("   " + out.strip().replace("\n", "\n   "), flush=True)

    def report(*args):
        show(subprocess.run([os.path.join(HERE, "..", "..", "tools", "central-report.sh")] + list(args),
                            capture_output=True, text=True))

    a, b = stations[0], stations[1]
    m = METERS[0]
    sched = Schedule(1, 0, [a, b])
    say("Head office: PostgreSQL 15 on port %s (database %s), stations %d (office %d) and %d (office %d), "
        "each with its certificate; master data (tariff DEFAULT, customer ACC-1, meter %d) written there"
        % (os.environ["PGPORT"], os.environ["KV_PG_DB"], a.no, a.office, b.no, b.office, m))
    sched.setup(meters=[m])
    card = sched.cards[m]
    say("Both stations pulled the meter; its card was issued at station %d" % a.no)
    ctl(a, "meter", "show", "--meter", str(m))
    say("Office %d sells 100.00 on the card, then syncs" % a.office)
    ctl(a, "sell", "--meter", str(m), "--amount", "100", card=card)
    ctl(a, "sync", "--once")
    say("The customer carries the card to office %d: it syncs (learns what office %d sold) and sells 50.00"
        % (b.office, a.office))
    ctl(b, "sync", "--once")
    ctl(b, "sell", "--meter", str(m), "--amount", "50", card=card)
    say("Office %d's link goes down: it keeps selling, the sale waits" % b.office)
    b.proxy("reset")
    ctl(b, "sell", "--meter", str(m), "--amount", "20", card=card)
    ctl(b, "sync", "--once")
    ctl(b, "sync", "status")
    say("The link comes back: the waiting records are pushed")
    b.proxy("heal")
    ctl(b, "sync", "--once")
    ctl(b, "sync", "status")
    say("The meter loads the card: one token carries both offices' credit")
    sched.sim(m, "insert", card)
    show(sched.sim(m, "status"))
    say("Head office: today's report by office and station, and the customer's history")
    report("daily")
    report("customer", "ACC-1")
    say("Each station's audit chain at the centre, checked from row 1 to the station's head")
    for s in (a, b):
        ok, rows, head = psql("SELECT ok, rows, head FROM kv_report.audit_chain(%d)" % s.no)[0]
        print("   station %d: %s, %s rows, ends at %s; the station's own head: %s" % (
            s.no, "verified" if ok == "t" else "BROKEN", rows, head[:20] + "...",
            s.ctl("audit", "head", human=True).stdout.strip()[:20] + "..."), flush=True)
    for s in stations:
        s.proxy.quit()

def bench(stations, volumes, interval, n_lag):
    """Catch-up after a day offline and the steady-state lag (tools/bench-offices.sh)."""
    sell = os.environ.get("KV_BENCH_SELL")
    a, b = stations[0], stations[1]
    m = METERS[0]
    sched = Schedule(1, 0, [a, b])
    sched.setup(meters=[m], hoarding=2000000000)
    card = sched.cards[m]
    for n in volumes:
        before = int(psql1("SELECT count(*) FROM kv.sales WHERE station_no = %d" % a.no))
        t = time.monotonic()
        subprocess.run([sell, a.db, a.env["KILOVEND_KEYS"], card, str(m), str(n), "10"], env=a.env, check=True,
                       stdout=subprocess.DEVNULL)
        made = time.monotonic() - t
        waiting = a.status()["waiting"]
        t = time.monotonic()
        if a.sync() != 0:
            raise RuntimeError("push: %s" % (a.last_sync,))
        push = time.monotonic() - t
        t = time.monotonic()
        if b.sync() != 0:
            raise RuntimeError("pull: %s" % (b.last_sync,))
        pull = time.monotonic() - t
        got = int(psql1("SELECT count(*) FROM kv.sales WHERE station_no = %d" % a.no)) - before
        if got != n:
            raise RuntimeError("%d sales at the centre, %d sold" % (got, n))
        print("catch-up: %d waiting sales (%d records; made in %.1f s): push %.2f s (%.0f sales/s), "
              "the other office's pull %.2f s" % (n, waiting, made, push, n / push, pull), flush=True)
    # Steady state: the daemon running, a sale now and then; the time from
    # the sale's end to its row at the centre.
    daemon = subprocess.Popen([K, "sync", "--daemon", "--interval", str(interval)], env=a.env, cwd=a.dir,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rng = random.Random(7)
    lags = []
    try:
        for _ in range(n_lag):
            time.sleep(rng.uniform(0, interval))
            r = a.ctl("sell", "--meter", str(m), "--amount", "10", card=card, check=True)
            sale = json.loads(r.stdout)["sale"]
            t = time.monotonic()
            while psql1("SELECT count(*) FROM kv.sales WHERE station_no = %d AND local_id = %d"
                        % (a.no, sale)) != "1":
                if time.monotonic() - t > 10 * interval + 60:
                    raise RuntimeError("sale %d never reached the centre" % sale)
                time.sleep(0.05)
            lags.append(time.monotonic() - t)
    finally:
        daemon.terminate()
        daemon.wait(30)
    lags.sort()
    print("steady state (sync --daemon --interval %d, %d sales at random moments): lag from sale to centre "
          "median %.2f s, mean %.2f s, max %.2f s" % (interval, len(lags), lags[len(lags) // 2],
                                                       sum(lags) / len(lags), lags[-1]), flush=True)
    for s in stations:
        s.proxy.quit()


def main():
    global verbose
    args = sys.argv[1:]
    seed = int(os.environ.get("KV_FAULT_SEED") or os.environ.get("KV_FAULT_SUITE_SEED")
               or random.SystemRandom().randrange(1, 2**31))
    steps = int(os.environ.get("KV_FAULT_STEPS") or 60)
    while args:
        a = args.pop(0)
        if a == "--seed":
            seed = int(args.pop(0))
        elif a == "--steps":
            steps = int(args.pop(0))
        elif a == "--quiet":
            verbose = False
        elif a == "--bench":
            os.makedirs(WORK, exist_ok=True)
            vols = [int(v) for v in os.environ.get("KV_BENCH_VOLUMES", "1000 10000").split()]
            batch = int(os.environ.get("KV_BENCH_BATCH", "500"))
            bench([Station(int(r[0]), int(r[1]), batch) for r in psql("SELECT station_no, office FROM kv.stations "
                                                                        "ORDER BY station_no")],
                  vols, int(os.environ.get("KV_BENCH_INTERVAL", "5")), int(os.environ.get("KV_BENCH_LAG", "20")))
            return
        elif a == "--demo":
            os.makedirs(WORK, exist_ok=True)
            demo([Station(int(r[0]), int(r[1])) for r in psql("SELECT station_no, office FROM kv.stations "
                                                                "ORDER BY station_no")])
            return
        else:
            sys.exit(__doc__)
    if not K or not SIM or not REPUSH:
        sys.exit("fault_schedule.py: KILOVENDCTL, KV_METER_SIM and KV_REPUSH_ALL must be set")
    os.makedirs(WORK, exist_ok=True)
    stations = []
    for i, r in enumerate(psql("SELECT station_no, office FROM kv.stations ORDER BY station_no")):
        stations.append(Station(int(r[0]), int(r[1])))
    print("fault schedule: seed %d, %d steps, stations %s (repeat with KV_FAULT_SEED=%d KV_FAULT_STEPS=%d)"
          % (seed, steps, [s.no for s in stations], seed, steps), flush=True)
    sched = Schedule(seed, steps, stations)
    t0 = time.monotonic()
    try:
        sched.setup()
        sched.run()
        sched.heal()
        sched.any_office()
        check_invariants(sched)
        check_security(sched)
    finally:
        for s in stations:
            s.proxy.quit()
    print("events: " + ", ".join("%s %d" % kv for kv in sorted(sched.events.items())))
    print("fault schedule: seed %d, %d steps in %.1f s: %d failure(s)" % (seed, steps, time.monotonic() - t0,
                                                                         len(failures)))
    if failures:
        print("repeat with: KV_FAULT_SEED=%d KV_FAULT_STEPS=%d" % (seed, steps))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
