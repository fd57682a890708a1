# SPDX-License-Identifier: MIT
"""Helpers shared by the integration tests: find the binaries, start an mcu on a free port and wait
for its "ready" line (an event, not a sleep), stop it, and fail with a clear message."""
import os
import re
import signal
import socket
import subprocess
import sys

BUILD = os.environ.get("MCU_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE = os.environ.get("MCU_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def mcu_binary():
    return os.path.join(BUILD, "mcu", "mcu")


def expect(condition, what):
    if not condition:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)


def run(argv, timeout=30, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mcu:
    """Runs build/mcu/mcu until stopped. With config=None and no --config it reads the source tree's
    configs/mcu.conf, the way the README starts it."""

    def __init__(self, args=None, config=os.path.join(SOURCE, "configs", "mcu.conf"), env=None):
        self.args = list(args or ["--http", "127.0.0.1:0"])
        if config is not None:
            self.args = ["--config", config] + self.args
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.url = None
        self.banner = ""

    def __enter__(self):
        self.proc = subprocess.Popen([mcu_binary()] + self.args, cwd=SOURCE, env=self.env,
                                     stdout=subprocess.PIPE, stderr=None, text=True)
        self.banner = self.proc.stdout.readline()  # blocks until "ready" or exit
        m = re.search(r"open (http://\S+/)", self.banner)
        if not m:
            self.proc.kill()
            expect(False, f"mcu did not start: {self.banner!r} (exit {self.proc.wait()})")
        self.url = m.group(1)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            expect(False, f"mcu did not stop within {timeout}s of signal {sig}")
            return None

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
