# SPDX-License-Identifier: MIT
"""Helpers for the bridge-agent integration tests: run the agent, read its status URL from the first
stdout line (an event, not a sleep), poll /status.json until a condition holds or a deadline passes,
and show the agent's log when something fails."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import mcutest

SKIP = 77  # meson: the test was skipped


def agent_binary():
    return os.path.join(mcutest.BUILD, "bridge-agent", "bridge-agent")


def whip_echo_available(base_url):
    """True when POST /whip/echo exists (answers something other than 404/405/501 to an empty offer)."""
    req = urllib.request.Request(base_url + "whip/echo?name=probe", data=b"v=0\r\n", method="POST",
                                 headers={"Content-Type": "application/sdp"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            status = resp.status
            location = resp.headers.get("Location")
            if location:  # should not happen with a bogus offer, but leave nothing behind
                urllib.request.urlopen(urllib.request.Request(
                    urllib.parse.urljoin(base_url, location), method="DELETE"), timeout=5).close()
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError:
        return False
    return status not in (404, 405, 501)


class Agent:
    """Runs build/bridge-agent/bridge-agent with a private state dir and a free status port."""

    def __init__(self, args, netns=None, media_config=""):
        """media_config: more lines for the [media] group of the agent's config."""
        self.state = tempfile.mkdtemp(prefix="agent-test-")
        self.log_path = os.path.join(self.state, "agent.log")
        conf = os.path.join(self.state, "agent.conf")
        with open(conf, "w") as f:
            # A small picture keeps the encoder light on a shared 2-core CI machine.
            f.write(f"[agent]\nstate-dir = {self.state}\n\n[media]\nwidth = 640\nheight = 360\nframerate = 15\n"
                    + media_config)
        argv = [agent_binary(), "--config", conf, "--status-listen", "127.0.0.1:0"] + list(args)
        if netns:
            argv = ["ip", "netns", "exec", netns] + argv
        self.argv = argv
        self.netns = netns
        self.proc = None
        self.url = None

    def __enter__(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     env=dict(os.environ, G_DEBUG=""))
        line = self.proc.stdout.readline()  # "bridge-agent: status on http://127.0.0.1:PORT/"
        if "status on " not in line:
            self.fail(f"agent did not start: {line!r} (exit {self.proc.wait()})")
        self.url = line.split("status on ", 1)[1].strip()
        return self

    def status(self):
        cmd = ["curl", "-s", "--max-time", "3", self.url + "status.json"]
        if self.netns:  # the status page listens on the namespace's loopback
            cmd = ["ip", "netns", "exec", self.netns] + cmd
            started = time.monotonic()
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout
            if not out:
                raise OSError(f"no answer from the status page in {time.monotonic() - started:.1f} s")
            return json.loads(out)
        with urllib.request.urlopen(self.url + "status.json", timeout=3) as resp:
            return json.loads(resp.read())

    def wait_for(self, what, condition, timeout):
        """Polls status.json every 0.2 s until condition(status) or timeout; returns the status."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.fail(f"agent exited ({self.proc.returncode}) while waiting for {what}")
            try:
                last = self.status()
                if condition(last):
                    return last
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        self.fail(f"timed out after {timeout} s waiting for {what}; last status: {last}")

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def fail(self, what):
        print(f"FAIL: {what}", file=sys.stderr)
        print("---- agent log ----", file=sys.stderr)
        print(self.log_text()[-6000:], file=sys.stderr)
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        sys.exit(1)

    def stop(self, timeout=15):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"agent did not stop within {timeout} s of SIGTERM")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        subprocess.run(["rm", "-rf", self.state])
