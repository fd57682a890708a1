#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Starts an mcu with an admin token and runs test_console.js (headless Chromium) against it: the
console shows a browser site joining /join/demo within a second; mute from the console silences it for a
second site listening; floor moves it to the main tile and unmutes it; a re-join keeps the seat. Screenshots land in tests/artifacts/ (git-ignored)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402

ADMIN = "console-admin-token"
CONFIG = f"""
[server]
admin-token = {ADMIN}
seat-grace = 30
[room demo]
mode = mix
guests = true
layout = 1+5
[video]
tiers = 640x360@15:500000, 320x180@15:150000
"""


def main():
    node = shutil.which("node")
    if node is None or not os.path.exists("/usr/bin/chromium"):
        print("SKIP: node or chromium missing")
        sys.exit(77)
    artifacts = os.path.join(mcutest.SOURCE, "tests", "artifacts")
    os.makedirs(artifacts, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write(CONFIG)
    try:
        with mcutest.Mcu(config=f.name) as mcu:
            script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_console.js")
            run = mcutest.run([node, script, "--base", mcu.url, "--room", "demo", "--token", ADMIN,
                               "--artifacts", artifacts], timeout=150)
            sys.stderr.write(run.stderr[-4000:])
            result = json.loads(run.stdout.strip().splitlines()[-1]) if run.stdout.strip() else {}
            mcutest.expect(run.returncode == 0 and result.get("ok"), f"browser test: {result}")
            print(json.dumps(result))
            mcutest.expect(mcu.stop() == 0, "clean stop")
    finally:
        os.unlink(f.name)
        state = f.name[:-5] + ".state.json"
        if os.path.exists(state):
            os.unlink(state)
    print("ok")


if __name__ == "__main__":
    main()
