# SPDX-License-Identifier: MIT
"""A site on its own network: a network namespace joined to this host by a veth pair, with link
faults applied inside the namespace (this kernel has no netem):
- loss: nft `numgen random mod 100 < P drop` on the ingress of each end, per direction;
- a cut: nft drop everything both ways;
- a rate cap: tc tbf on the namespace's egress (uplink) and on the host's veth egress (downlink);
- delay and jitter: NFQUEUE (iptables: this kernel lacks nft's own queue) in the namespace's OUTPUT
  (uplink) and INPUT (downlink) chains, held and
  released in order by tools/netimpair/delay.c (netimpair-delay), one process per direction;
- named profiles (PROFILES: good, adsl, rural-3g, bad, flappy), per direction, and link flaps
  (down N s every M s) from a background thread that records when each flap started and ended.

    with netns.Site("echo") as site:          # skips the test (exit 77) when namespaces cannot be made
        site.set_loss(5)                        # 5 % each way
        site.set_delay(150, 40)                 # 150 ± 40 ms each way (skips when the helper is missing)
        site.apply_profile("rural-3g")          # or apply_profile(up="bad", down="good")
        site.run(["node", ...])                 # a program inside the namespace
    site.host_ip / site.site_ip
"""
import os
import subprocess
import sys
import threading
import time

SKIP = 77
BUILD = os.environ.get("MCU_BUILD_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build"))

# Per direction: rate cap (kbit/s, None = none), one-way delay and its jitter (ms, uniform ±), random
# loss (%), flaps (down seconds, period seconds; None = none). Delay is per direction, so the round
# trip is twice it: rural-3g has an RTT near 300 ms, bad near 600 ms.
PROFILES = {
    "good": dict(rate=None, delay=0, jitter=0, loss=0, flap=None),
    "adsl": dict(rate=2000, delay=40, jitter=0, loss=0, flap=None),
    "rural-3g": dict(rate=600, delay=150, jitter=40, loss=3, flap=None),
    "bad": dict(rate=300, delay=300, jitter=100, loss=10, flap=None),
    "flappy": dict(rate=None, delay=0, jitter=0, loss=0, flap=(10, 60)),
}


def delay_helper():
    return os.path.join(BUILD, "tools", "netimpair", "netimpair-delay")


def _sh(*argv, check=True):
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=30)


class Site:
    def __init__(self, tag):
        n = (os.getpid() * 7 + sum(map(ord, tag))) % 200
        self.ns = f"site{tag[:5]}{os.getpid() % 10000}"
        self.host_if, self.site_if = f"sv{n}h{os.getpid() % 1000}", f"sv{n}s{os.getpid() % 1000}"
        self.host_ip, self.site_ip = f"10.232.{n}.1", f"10.232.{n}.2"
        self.loss = (0, 0)
        self.delays = {}       # queue number → (Popen, ms, jitter)
        self.flaps = []        # [(down_at, up_at or None)] in time.monotonic()
        self._flapper = None
        self._stop_flapping = threading.Event()
        self._rules_lock = threading.Lock()   # the flap thread and the caller both rewrite the nft tables
        self._cut = False

    def __enter__(self):
        try:
            _sh("ip", "netns", "add", self.ns)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"SKIP: cannot create a network namespace (needs root and iproute2): {e}")
            sys.exit(SKIP)
        try:
            _sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.site_if)
            _sh("ip", "link", "set", self.site_if, "netns", self.ns)
            _sh("ip", "addr", "add", f"{self.host_ip}/24", "dev", self.host_if)
            _sh("ip", "link", "set", self.host_if, "up")
            self.exec("ip", "addr", "add", f"{self.site_ip}/24", "dev", self.site_if)
            self.exec("ip", "link", "set", self.site_if, "up")
            self.exec("ip", "link", "set", "lo", "up")
            self._write_rules()
        except (OSError, subprocess.CalledProcessError) as e:
            self.__exit__()
            print(f"SKIP: cannot set up veth/nft for the namespace: {getattr(e, 'stderr', e)}")
            sys.exit(SKIP)
        return self

    def __exit__(self, *exc):
        self.stop_flapping()
        for queue in list(self.delays):
            self._stop_delay(queue)
        _sh("nft", "delete", "table", "netdev", self.ns, check=False)
        _sh("ip", "netns", "del", self.ns, check=False)
        _sh("ip", "link", "del", self.host_if, check=False)

    def exec(self, *argv, check=True):
        return _sh("ip", "netns", "exec", self.ns, *argv, check=check)

    def command(self, argv):
        """argv prefixed to run inside the namespace (for subprocess.Popen/run)."""
        return ["ip", "netns", "exec", self.ns] + list(argv)

    # Faults are applied where packets ARRIVE (netdev ingress): the uplink on the host's end of the
    # veth, the downlink on the site's end. Dropping in an output hook instead would fail the
    # sender's sendto() with EPERM, which no real link does.
    def _table(self, device, percent, cut):
        rules = ["meta protocol { ip, ip6 } drop"] if cut else []
        if percent:
            rules.append(f"meta protocol {{ ip, ip6 }} numgen random mod 100 < {percent} counter drop")
        body = "\n".join(f"    {r}" for r in rules)
        return (f"table netdev {self.ns} {{\n  chain link {{ type filter hook ingress device \"{device}\" "
                f"priority 0; policy accept;\n{body}\n  }}\n}}\n")

    def _load(self, argv_prefix, device, percent, cut):
        subprocess.run(argv_prefix + ["nft", "delete", "table", "netdev", self.ns], capture_output=True, timeout=30)
        subprocess.run(argv_prefix + ["nft", "-f", "-"], input=self._table(device, percent, cut), text=True,
                       check=True, capture_output=True, timeout=30)

    def _write_rules(self, cut=None):
        with self._rules_lock:
            if cut is not None:
                self._cut = cut
            up, down = self.loss
            self._load([], self.host_if, up, self._cut)
            self._load(["ip", "netns", "exec", self.ns], self.site_if, down, self._cut)

    def set_loss(self, uplink_percent, downlink_percent=None):
        """Random loss on what the site sends (uplink) and receives (downlink)."""
        self.loss = (uplink_percent, uplink_percent if downlink_percent is None else downlink_percent)
        self._write_rules()

    def cut(self, down=True):
        self._write_rules(cut=down)

    def set_rate(self, kbit):
        """Caps both directions to kbit/s with tbf (None removes the cap)."""
        for where, dev in ((self.exec, self.site_if), (lambda *a, **k: _sh(*a, **k), self.host_if)):
            where("tc", "qdisc", "del", "dev", dev, "root", check=False)
            if kbit:
                where("tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", f"{kbit}kbit",
                      "burst", "16kbit", "latency", "200ms")

    def set_rate_each(self, up_kbit, down_kbit):
        """Caps the uplink (site egress) and downlink (host veth egress) separately; None = no cap."""
        for kbit, where, dev in ((up_kbit, self.exec, self.site_if),
                                 (down_kbit, lambda *a, **k: _sh(*a, **k), self.host_if)):
            where("tc", "qdisc", "del", "dev", dev, "root", check=False)
            if kbit:
                # the bucket holds at least two full packets, or tbf drops every packet over a burst
                burst = max(4000, kbit * 1000 // 8 // 50)
                where("tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", f"{kbit}kbit",
                      "burst", str(burst), "latency", "200ms")

    # ---- delay and jitter (NFQUEUE) -------------------------------------------------------------------
    # Queue 0 holds what the site sends (OUTPUT), queue 1 what it receives (INPUT). Both are
    # in the namespace, so the queue numbers cannot collide with another test's site.
    def _stop_delay(self, queue):
        proc = self.delays.pop(queue, None)
        if proc is None:
            return
        proc[0].terminate()
        try:
            proc[0].wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc[0].kill()
            proc[0].wait()

    def _start_delay(self, queue, ms, jitter):
        helper = delay_helper()
        if not os.access(helper, os.X_OK):
            print(f"SKIP: {helper} is not built (libnetfilter_queue missing: apt install libnetfilter-queue-dev)")
            sys.exit(SKIP)
        proc = subprocess.Popen(self.command([helper, "--queue", str(queue), "--delay", str(ms),
                                              "--jitter", str(jitter), "--seed", str(os.getpid() + queue)]),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = proc.stdout.readline()  # blocks until the queue is bound, or the helper exits
        if not line.startswith("ready"):
            err = proc.stderr.read()
            proc.wait()
            raise RuntimeError(f"netimpair-delay did not start: {line!r} {err}")
        self.delays[queue] = (proc, ms, jitter)

    def _write_delay_rules(self):
        # This kernel has xt NFQUEUE but not nft's native queue expression (CONFIG_NFT_QUEUE unset), so
        # the queue rules go in through iptables (nft backend, xt compat). The namespace is ours alone.
        for queue, (chain, flag) in {0: ("OUTPUT", "-o"), 1: ("INPUT", "-i")}.items():
            self.exec("iptables", "-F", chain)
            if queue in self.delays:
                self.exec("iptables", "-A", chain, flag, self.site_if, "-j", "NFQUEUE",
                          "--queue-num", str(queue), "--queue-bypass")

    def set_delay(self, ms, jitter_ms=0, downlink_ms=None, downlink_jitter_ms=None):
        """One-way delay ± jitter (ms) on the uplink and downlink (the downlink defaults to the uplink's
        figures). 0 ms removes the delay of that direction."""
        if downlink_ms is None:
            downlink_ms, downlink_jitter_ms = ms, jitter_ms
        for queue, (d, j) in ((0, (ms, jitter_ms)), (1, (downlink_ms, downlink_jitter_ms or 0))):
            current = self.delays.get(queue)
            if current and current[1:] == (d, j):
                continue
            self._stop_delay(queue)
            if d or j:
                self._start_delay(queue, d, j)
        self._write_delay_rules()

    # ---- link flaps -----------------------------------------------------------------------------------
    def _flap_loop(self, down_s, period_s, first_after_s):
        wait = first_after_s
        while not self._stop_flapping.wait(wait):
            self.flaps.append((time.monotonic(), None))
            self.cut(True)
            stopped = self._stop_flapping.wait(down_s)
            self.cut(False)
            self.flaps[-1] = (self.flaps[-1][0], time.monotonic())
            if stopped:
                return
            wait = period_s - down_s

    def start_flapping(self, down_s, period_s, first_after_s=None):
        """Cuts the link for @down_s every @period_s seconds (first cut after @first_after_s, default
        period - down) until stop_flapping(); self.flaps records each (down_at, up_at)."""
        self.stop_flapping()
        self._stop_flapping.clear()
        first = period_s - down_s if first_after_s is None else first_after_s
        self._flapper = threading.Thread(target=self._flap_loop, args=(down_s, period_s, first), daemon=True)
        self._flapper.start()

    def stop_flapping(self):
        if self._flapper is not None:
            self._stop_flapping.set()
            self._flapper.join()
            self._flapper = None

    # ---- profiles -------------------------------------------------------------------------------------
    def apply_profile(self, name=None, up=None, down=None, flap_first_after_s=None):
        """Applies PROFILES[name] to both directions, or PROFILES[up] / PROFILES[down] to each. A flap
        (from either direction's profile) cuts both ways, as a real link loss does."""
        up_p, down_p = PROFILES[up or name], PROFILES[down or name]
        self.set_rate_each(up_p["rate"], down_p["rate"])
        self.set_loss(up_p["loss"], down_p["loss"])
        self.set_delay(up_p["delay"], up_p["jitter"], down_p["delay"], down_p["jitter"])
        flap = up_p["flap"] or down_p["flap"]
        self.stop_flapping()
        if flap:
            self.start_flapping(flap[0], flap[1], flap_first_after_s)
