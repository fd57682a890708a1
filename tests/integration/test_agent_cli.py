#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The bridge-agent as the site's IT officer meets it, without an mcu: --help, bad flags and configs
(exit 2, naming file:line:key or the flag), an unreachable server (keeps retrying, says why in
status.json, does not exit), `bridge-agent status`, the status page, mute, and a clean stop."""
import json
import os
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agenttest  # noqa: E402
import mcutest  # noqa: E402

AGENT = agenttest.agent_binary()


def check_help_and_bad_lines():
    r = mcutest.run([AGENT, "--help"])
    mcutest.expect(r.returncode == 0, f"--help exits 0, got {r.returncode}")
    for flag in ("--server", "--room", "--token", "--name", "--source", "--headless", "--status-listen", "--config"):
        mcutest.expect(flag in r.stdout, f"--help lists {flag}")
    r = mcutest.run([AGENT, "--bogus"])
    mcutest.expect(r.returncode == 2 and "--bogus" in r.stderr, f"--bogus: exit 2 naming it: {r.returncode} {r.stderr!r}")
    r = mcutest.run([AGENT, "--room", "x"])
    mcutest.expect(r.returncode == 2 and "no server" in r.stderr, f"missing server: {r.returncode} {r.stderr!r}")
    r = mcutest.run([AGENT, "--server", "ftp://x", "--room", "x"])
    mcutest.expect(r.returncode == 2 and "ftp://x" in r.stderr, f"bad server URL: {r.returncode} {r.stderr!r}")
    r = mcutest.run([AGENT, "--server", "http://x", "--room", "x", "--status-listen", "nowhere"])
    mcutest.expect(r.returncode == 2 and "nowhere" in r.stderr, f"bad --status-listen: {r.stderr!r}")
    r = mcutest.run([AGENT, "--config", "/nonexistent/agent.conf"])
    mcutest.expect(r.returncode == 2 and "/nonexistent/agent.conf" in r.stderr, f"missing config: {r.stderr!r}")
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("[agent]\nserver = http://10.0.0.1:8080\n\n[reconnect]\nmedia-timeout = soon\n")
    try:
        r = mcutest.run([AGENT, "--config", f.name])
        want = f"{f.name}:5: key 'media-timeout' in [reconnect] must be a whole number"
        mcutest.expect(r.returncode == 2 and want in r.stderr, f"bad value names file:line:key: {r.stderr!r}")
    finally:
        os.unlink(f.name)


def check_unreachable_server():
    dead = f"http://127.0.0.1:{mcutest.free_port()}"
    with agenttest.Agent(["--server", dead, "--room", "hop", "--name", "Xã Test", "--source", "test",
                          "--headless"]) as agent:
        s = agent.wait_for("a failed join to be reported",
                           lambda s: s["state"] == "rejoining" and s["last_error"], 20)
        mcutest.expect("refused" in s["last_error"].lower() or "connect" in s["last_error"].lower(),
                       f"last_error says why: {s['last_error']!r}")
        for key in ("since", "reconnects", "rtt_ms", "loss", "send_kbps", "audio_only"):
            mcutest.expect(key in s, f"status.json has {key}: {s}")
        mcutest.expect(s["reconnects"] == 0 and s["audio_only"] is False, f"nothing connected yet: {s}")
        # Still retrying a few seconds later: the log shows several attempts, the process is alive.
        agent.wait_for("a third join attempt", lambda s: agent.log_text().count("re-join attempt") >= 3, 20)
        # `bridge-agent status` prints the same JSON.
        port = agent.url.rstrip("/").rsplit(":", 1)[1]
        r = mcutest.run([AGENT, "status", "--status-listen", f"127.0.0.1:{port}"])
        mcutest.expect(r.returncode == 0, f"status exits 0: {r.stderr!r}")
        printed = json.loads(r.stdout)
        mcutest.expect(printed["state"] in ("rejoining", "connecting"), f"status prints the state: {printed}")
        # The page, in Vietnamese by default; the mute button works.
        with urllib.request.urlopen(agent.url, timeout=5) as resp:
            page = resp.read().decode()
        mcutest.expect("Đang kết nối lại" in page and "'vi'" in page, "status page in Vietnamese")
        req = urllib.request.Request(agent.url + "mute", data=b"true", method="POST")
        with urllib.request.urlopen(req, timeout=5) as resp:
            mcutest.expect(json.loads(resp.read())["muted"] is True, "mute from the page")
        code = agent.stop()
        mcutest.expect(code == 0, f"clean exit on SIGTERM, got {code}")
        log = agent.log_text()
        mcutest.expect("state connecting → rejoining" in log, f"state change logged with reason:\n{log[-2000:]}")
    r = mcutest.run([AGENT, "status", "--status-listen", f"127.0.0.1:{mcutest.free_port()}"])
    mcutest.expect(r.returncode == 1 and "no agent answers" in r.stderr, f"status without agent: {r.stderr!r}")


if __name__ == "__main__":
    check_help_and_bad_lines()
    check_unreachable_server()
    print("ok")
