#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The operator's link history (issue 10): a Chromium site joins a mix room; the meeting report
(GET /api/rooms/ROOM/report.csv, admin token) has a row a second for it, and the console's "Link history"
view (test_history.js, headless Chromium) shows the same site with its samples, tier, RTT and outages as
sparklines; switching back to the sites view hides it. check_console() is also used by test_profiles.py
(on the flappy profile, where the outage must show)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN = "history-admin-token"
CONFIG = f"""
[server]
admin-token = {ADMIN}
[video]
tiers = 640x360@15:450000, 320x180@15:150000
[room meet]
mode = mix
guests = true
"""


def check_console(base, room, token, site_name, min_samples=5, min_outages=0):
    """Runs test_history.js; returns the view's figures for @site_name (fails the test when it does not
    show it with @min_samples samples and @min_outages outages within 20 s)."""
    run = mcutest.run(["node", os.path.join(HERE, "test_history.js"), "--base", base, "--room", room, "--token", token,
                       "--site", site_name, "--min-samples", str(min_samples), "--min-outages", str(min_outages)],
                      timeout=60)
    try:
        result = json.loads(run.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        mcutest.expect(False, f"history view: no result (exit {run.returncode}): {run.stdout[-500:]} {run.stderr[-1500:]}")
    mcutest.expect(result.get("ok"), f"history view shows {site_name} with >= {min_samples} samples and "
                                     f">= {min_outages} outages: {result}")
    mcutest.expect(result["visible"] and result["grid_hidden"] and result["hidden_after"],
                   f"the history view replaces the sites view and goes away with it: {result}")
    site = next(s for s in result["detail"]["sites"] if s["name"] == site_name)
    row = next((r for r in result["rows"] if r["site"] == site["id"]), None)
    mcutest.expect(row is not None and row["cells"][0] == site_name and row["sparklines"] >= 4,
                   f"a table row with the site's name and its sparklines (RTT, loss both ways, rate, tier): {row}")
    return site, row


def main():
    if shutil.which("node") is None or not os.path.exists("/usr/bin/chromium"):
        print("SKIP: node or chromium missing")
        sys.exit(77)
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write(CONFIG)
    try:
        with mcutest.Mcu(config=f.name) as mcu:
            seconds = 25
            site = subprocess.Popen(["node", os.path.join(HERE, "whip-browser.js"), "--base", mcu.url, "--room", "meet",
                                     "--name", "Trường THCS Mạo Khê II", "--seconds", str(seconds)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                shown, row = check_console(mcu.url, "meet", ADMIN, "Trường THCS Mạo Khê II", min_samples=6)
                # The view reads the same record the operator exports: its figures are the CSV's.
                mcutest.expect(shown["tier"] in ("0", "1") and shown["rtt_ms"] is not None and shown["rtt_ms"] >= 0,
                               f"the site's tier and RTT shown: {shown}")
                mcutest.expect(shown["outages"] == 0, f"no outage on a good link: {shown}")
                print(json.dumps({"shown": shown, "row": row}, ensure_ascii=False))
            finally:
                site.communicate(timeout=seconds + 60)
            mcutest.expect(mcu.stop() == 0, "clean stop")
    finally:
        os.unlink(f.name)
        state = f.name[:-5] + ".state.json"
        if os.path.exists(state):
            os.unlink(state)
    print("ok")


if __name__ == "__main__":
    main()
