# SPDX-License-Identifier: MIT
"""A site on its own network: a network namespace joined to this host by a veth pair, with link
faults applied inside the namespace (this kernel has no netem):
- loss: nft `numgen random mod 100 < P drop` on the ingress of each end, per direction;
- a cut: nft drop everything both ways;
- a rate cap: tc tbf on the namespace's egress (uplink) and on the host's veth egress (downlink).

    with netns.Site("echo") as site:          # skips the test (exit 77) when namespaces cannot be made
        site.set_loss(5)                        # 5 % each way
        site.run(["node", ...])                 # a program inside the namespace
    site.host_ip / site.site_ip
"""
import os
import subprocess
import sys

SKIP = 77


def _sh(*argv, check=True):
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=30)


class Site:
    def __init__(self, tag):
        n = (os.getpid() * 7 + sum(map(ord, tag))) % 200
        self.ns = f"site{tag[:5]}{os.getpid() % 10000}"
        self.host_if, self.site_if = f"sv{n}h{os.getpid() % 1000}", f"sv{n}s{os.getpid() % 1000}"
        self.host_ip, self.site_ip = f"10.232.{n}.1", f"10.232.{n}.2"
        self.loss = (0, 0)

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

    def _write_rules(self, cut=False):
        up, down = self.loss
        self._load([], self.host_if, up, cut)
        self._load(["ip", "netns", "exec", self.ns], self.site_if, down, cut)

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
