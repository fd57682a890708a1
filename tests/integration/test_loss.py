#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Chromium in the echo room over a lossy link: the browser runs in its own network namespace, 5 %
of its packets are dropped each way (nft numgen random). Its video keeps decoding, and both NACK
loops work: the MCU's NACKs are answered by the browser's retransmissions, and the browser's NACKs by
the MCU's. Then the same in a mix room, where the browser receives the composite: the MCU answers its
NACKs from the tier's shared packet history. Skips (77) where network namespaces cannot be made."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
import netns  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


MIX_CONFIG = """
[room meet]
mode = mix
guests = true
"""


def run_browser(site, mcu, room):
    argv = site.command(["node", os.path.join(HERE, "whip-browser.js"), "--base", mcu.url,
                         "--room", room, "--name", "lossy", "--seconds", "15"])
    r = subprocess.run(argv, capture_output=True, text=True, timeout=90)
    try:
        result = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        mcutest.expect(False, f"browser: exit {r.returncode} {r.stdout[-1500:]} {r.stderr[-1500:]}")
    mcutest.expect(not result.get("error"), f"browser: {result.get('error')}")
    samples = result["samples"]
    print(room, json.dumps(samples[-1]))
    frames = [s.get("frames_decoded", 0) for s in samples]
    for i in range(3, len(frames), 3):
        mcutest.expect(frames[i] > frames[i - 3], f"{room}: video keeps decoding under 5 % loss: {frames}")
    mcutest.expect(frames[-1] - frames[0] >= 60, f"{room}: video decoded under loss: {frames}")
    return samples[-1]


def main():
    with netns.Site("loss") as site:
        site.set_loss(5)
        with mcutest.Mcu(args=["--http", f"{site.host_ip}:0"]) as mcu:
            last = run_browser(site, mcu, "echo")
            mcutest.expect(last.get("out_video_nacks_received", 0) > 0 and last.get("out_video_retransmitted", 0) > 0,
                           f"the MCU NACKs what the browser's uplink lost and the browser retransmits: {last}")
            mcutest.expect(last.get("in_video_nacks_sent", 0) > 0, f"the browser NACKs what it lost: {last}")
            mcutest.expect(last.get("in_video_retransmitted", 0) > 0,
                           f"the MCU answers the browser's NACKs with retransmissions: {last}")
            mcutest.expect(mcu.stop() == 0, "clean stop")
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as config:
            config.write(MIX_CONFIG)
            config.flush()
            with mcutest.Mcu(args=["--http", f"{site.host_ip}:0"], config=config.name) as mcu:
                last = run_browser(site, mcu, "meet")
                mcutest.expect(last.get("in_video_nacks_sent", 0) > 0, f"mix: the browser NACKs the composite: {last}")
                mcutest.expect(last.get("in_video_retransmitted", 0) > 0,
                               f"mix: the MCU answers from the tier's history: {last}")
                mcutest.expect(mcu.stop() == 0, "clean stop")
    print("ok")


if __name__ == "__main__":
    main()
