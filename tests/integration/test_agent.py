#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The bridge-agent against the real mcu on loopback, with `--source test --headless`:
- it joins the echo room and media flows both ways (status.json says connected, and the packets and
  decoded frames it receives keep rising);
- the mcu is killed and started again on the same address: the agent notices (media watchdog), re-joins
  by itself, and is counted in `reconnects` with media flowing again;
- on SIGTERM it leaves (DELETE) and exits 0.
Skips (exit 77) when the mcu has no WHIP echo room yet (POST /whip/echo answers 404/405/501)."""
import json
import os
import signal
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agenttest  # noqa: E402
import mcutest  # noqa: E402


def rising(agent, key, seconds=3):
    before = agent.status()[key]
    return agent.wait_for(f"{key} to rise above {before}", lambda s: s[key] > before + 10, seconds + 5)


ADMIN = "agent-test-admin-token"
CONFIG = f"[server]\nadmin-token = {ADMIN}\n[room echo]\nmode = echo\nguests = true\n"


def roster_hand(mcu_url, name):
    req = urllib.request.Request(mcu_url + "api/rooms/echo", headers={"Authorization": "Bearer " + ADMIN})
    with urllib.request.urlopen(req, timeout=5) as resp:
        sites = json.loads(resp.read())["sites"]
    return [s.get("hand_raised") for s in sites if s.get("name") == name and s.get("connected")]


def check_hand(agent, mcu_url):
    """The status page's raise-hand reaches the mcu: the operator's roster shows it."""
    req = urllib.request.Request(agent.url + "hand", data=b"true", method="POST")
    urllib.request.urlopen(req, timeout=5).read()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and roster_hand(mcu_url, "agent-test") != [True]:
        time.sleep(0.2)   # the POST to the mcu is asynchronous; bounded by the deadline
    mcutest.expect(roster_hand(mcu_url, "agent-test") == [True], "the raised hand shows in the mcu's roster")


def main():
    port = mcutest.free_port()
    http = ["--http", f"127.0.0.1:{port}"]
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write(CONFIG)
    mcu = mcutest.Mcu(args=http, config=f.name).__enter__()
    try:
        if not agenttest.whip_echo_available(mcu.url):
            print("SKIP: the mcu has no WHIP echo room yet (POST /whip/echo answers 404/405/501)")
            sys.exit(agenttest.SKIP)
        with agenttest.Agent(["--server", mcu.url, "--room", "echo", "--name", "agent-test",
                              "--source", "test", "--headless"]) as agent:
            s = agent.wait_for("connected", lambda s: s["state"] == "connected", 30)
            mcutest.expect(s["reconnects"] == 0, f"first connection is not a reconnect: {s}")
            rising(agent, "packets_received")
            rising(agent, "frames_received")       # our own video came back and was decoded
            rising(agent, "audio_buffers_received")
            s = agent.wait_for("link stats", lambda s: s["rtt_ms"] is not None and s["send_kbps"], 10)
            mcutest.expect(s["loss"] is not None and s["loss"] < 0.05, f"clean loopback: {s}")
            check_hand(agent, mcu.url)

            # Kill the mcu (no goodbye) and start it again on the same address.
            mcu.stop(signal.SIGKILL)
            agent.wait_for("the loss to be noticed", lambda s: s["state"] != "connected", 15)
            mcu = mcutest.Mcu(args=http, config=f.name).__enter__()
            s = agent.wait_for("re-joined", lambda s: s["state"] == "connected" and s["reconnects"] >= 1, 40)
            rising(agent, "frames_received")
            log = agent.log_text()
            mcutest.expect("→ restarting-ice" in log or "→ rejoining" in log, f"state change logged:\n{log[-3000:]}")
            mcutest.expect("→ connected: media flowing both ways again" in log, f"recovery logged:\n{log[-3000:]}")

            code = agent.stop()
            mcutest.expect(code == 0, f"clean exit on SIGTERM, got {code}")
    finally:
        mcu.__exit__(None, None, None)
        os.unlink(f.name)
    print("ok")


if __name__ == "__main__":
    main()
