#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The bridge-agent on a bad link, with the agent in its own network namespace joined to the mcu by a
veth pair (this kernel has no netem: nft drops packets, tbf caps the rate):
- media alone is cut (UDP dropped, HTTP still works): the agent restores the same session by an ICE
  restart (PATCH with new ufrag/pwd), no re-join;
- the link is cut (nft drop on the veth) for 5 s and for 40 s, then restored: the agent is back with
  media flowing within 5 s of the link returning, counted in `reconnects` and logged.
(The 10 % loss + 400 kbit/s case is test_agent_adapt.py, in a mix room.)
Skips (exit 77) without root / network namespaces, or when the mcu has no WHIP echo room yet."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agenttest  # noqa: E402
import mcutest  # noqa: E402

TAG = os.getpid() % 10000
NS = f"agt{TAG}"
HOST_IF, NS_IF = f"agva{TAG}", f"agvb{TAG}"
SUBNET = 100 + TAG % 100
HOST_IP, NS_IP = f"10.231.{SUBNET}.1", f"10.231.{SUBNET}.2"


def sh(*argv, check=True):
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=20)


def in_ns(*argv, check=True):
    return sh("ip", "netns", "exec", NS, *argv, check=check)


def make_namespace():
    try:
        sh("ip", "netns", "add", NS)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"SKIP: cannot create a network namespace (needs root and ip netns): {e}")
        sys.exit(agenttest.SKIP)
    try:
        sh("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF)
        sh("ip", "link", "set", NS_IF, "netns", NS)
        sh("ip", "addr", "add", f"{HOST_IP}/24", "dev", HOST_IF)
        sh("ip", "link", "set", HOST_IF, "up")
        in_ns("ip", "addr", "add", f"{NS_IP}/24", "dev", NS_IF)
        in_ns("ip", "link", "set", NS_IF, "up")
        in_ns("ip", "link", "set", "lo", "up")
        in_ns("nft", "add", "table", "inet", "agentlink")
    except (OSError, subprocess.CalledProcessError) as e:
        remove_namespace()
        print(f"SKIP: cannot set up veth/nft in the namespace: {e}")
        sys.exit(agenttest.SKIP)


def remove_namespace():
    sh("ip", "netns", "del", NS, check=False)
    sh("ip", "link", "del", HOST_IF, check=False)


def set_rules(*rules):
    """Replaces the namespace's veth rules: each rule is an nft statement for both directions."""
    in_ns("nft", "flush", "table", "inet", "agentlink")
    in_ns("nft", "delete", "table", "inet", "agentlink")
    in_ns("nft", "add", "table", "inet", "agentlink")
    for hook, match in (("input", "iifname"), ("output", "oifname")):
        in_ns("nft", "add", "chain", "inet", "agentlink", hook,
              f"{{ type filter hook {hook} priority 0 ; policy accept ; }}")
        for rule in rules:
            in_ns("nft", "add", "rule", "inet", "agentlink", hook, match, NS_IF, *rule.split())


def check_cut(agent, seconds):
    before = agent.status()["reconnects"]
    set_rules("drop")
    time.sleep(seconds)  # the fault's duration, not a wait for an event
    if seconds > 3:
        agent.wait_for(f"the {seconds} s cut to be noticed", lambda s: s["state"] != "connected", 5)
    set_rules()
    restored = time.monotonic()
    s = agent.wait_for(f"media back after a {seconds} s cut",
                       lambda s: s["state"] == "connected" and s["reconnects"] > before, 15)
    took = time.monotonic() - restored
    print(f"{seconds} s cut: back {took:.1f} s after the link returned (reconnects {s['reconnects']})")
    mcutest.expect(took <= 5.0, f"back within 5 s of the link returning after a {seconds} s cut, took {took:.1f} s")
    frames = s["frames_received"]
    agent.wait_for("frames flowing again", lambda s: s["frames_received"] > frames + 10, 5)


def check_udp_cut(agent):
    """Media (UDP) cut, signalling (TCP) still up: the agent restores the same session by an ICE
    restart (PATCH), without a re-join."""
    joins = agent.log_text().count("joined echo")
    before = agent.status()["reconnects"]
    set_rules("meta l4proto udp drop")
    agent.wait_for("the media cut to be noticed", lambda s: s["state"] == "restarting-ice", 8)
    set_rules()
    agent.wait_for("media back", lambda s: s["state"] == "connected" and s["reconnects"] > before, 10)
    log = agent.log_text()
    mcutest.expect("restarting-ice → connected: media flowing both ways again after ICE restart" in log,
                   f"recovered by the ICE restart:\n{log[-2000:]}")
    mcutest.expect(log.count("joined echo") == joins, f"no re-join was needed:\n{log[-2000:]}")
    print("media-only cut: recovered by ICE restart, same session")


def main():
    make_namespace()
    try:
        port = mcutest.free_port()
        with mcutest.Mcu(args=["--http", f"{HOST_IP}:{port}"]) as mcu:
            if not agenttest.whip_echo_available(mcu.url):
                print("SKIP: the mcu has no WHIP echo room yet (POST /whip/echo answers 404/405/501)")
                sys.exit(agenttest.SKIP)
            with agenttest.Agent(["--server", mcu.url, "--room", "echo", "--name", "netns-test",
                                  "--source", "test", "--headless"], netns=NS) as agent:
                agent.wait_for("connected", lambda s: s["state"] == "connected", 30)
                check_udp_cut(agent)
                check_cut(agent, 5)
                check_cut(agent, 40)
                log = agent.log_text()
                mcutest.expect(log.count("→ connected: media flowing both ways again") >= 2,
                               f"each recovery logged:\n{log[-3000:]}")
                mcutest.expect(agent.stop() == 0, "clean exit")
    finally:
        remove_namespace()
    print("ok")


if __name__ == "__main__":
    main()
