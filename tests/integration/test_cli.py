#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The mcu program as an operator meets it: --help, --version, bad flags and configs (exit 2 with a
message naming the problem), GET /health, JSON 404/405, and a clean stop on SIGINT and SIGTERM."""
import json
import os
import signal
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402

MCU = mcutest.mcu_binary()


def check_bad_command_lines():
    r = mcutest.run([MCU, "--bogus"])
    mcutest.expect(r.returncode == 2, f"--bogus exits 2, got {r.returncode}")
    mcutest.expect("--bogus" in r.stderr, f"--bogus is named: {r.stderr!r}")

    r = mcutest.run([MCU, "--http", "nowhere"])
    mcutest.expect(r.returncode == 2, f"bad --http exits 2, got {r.returncode}")
    mcutest.expect("nowhere" in r.stderr, f"bad --http is named: {r.stderr!r}")

    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("[server]\nname = x\ntalkers = 3\n")
    try:
        r = mcutest.run([MCU, "--config", f.name])
        mcutest.expect(r.returncode == 2, f"unknown key exits 2, got {r.returncode}")
        want = f"{f.name}:3: unknown key 'talkers' in [server]"
        mcutest.expect(want in r.stderr, f"message names file, line and key: {r.stderr!r}")
    finally:
        os.unlink(f.name)

    r = mcutest.run([MCU, "--config", "/nonexistent.conf"])
    mcutest.expect(r.returncode == 2 and "/nonexistent.conf" in r.stderr, f"missing config: {r.stderr!r}")


def check_help_and_version():
    r = mcutest.run([MCU, "--help"])
    mcutest.expect(r.returncode == 0 and "--config" in r.stdout and "--http" in r.stdout, "--help lists flags")
    r = mcutest.run([MCU, "--version"])
    mcutest.expect(r.returncode == 0 and r.stdout.startswith("mcu "), f"--version: {r.stdout!r}")


def get(url, method="GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def check_serving(stop_signal):
    with mcutest.Mcu() as mcu:
        status, body = get(mcu.url + "health")
        mcutest.expect(status == 200 and body["status"] == "ok" and body["version"], f"health: {body}")
        status, body = get(mcu.url + "no/such/thing")
        mcutest.expect(status == 404 and body["error"] == "not-found" and body["detail"], f"404: {body}")
        status, body = get(mcu.url + "health", method="DELETE")
        mcutest.expect(status == 405 and body["error"] == "method-not-allowed", f"405: {body}")
        code = mcu.stop(stop_signal)
        mcutest.expect(code == 0, f"clean exit on signal {stop_signal}, got {code}")


def check_fixed_port_and_default_config():
    # The README's default: no --config, run from the source tree, reads configs/mcu.conf.
    port = mcutest.free_port()
    with mcutest.Mcu(args=["--http", f"127.0.0.1:{port}"], config=None) as mcu:
        mcutest.expect(mcu.url == f"http://127.0.0.1:{port}/", f"printed URL {mcu.url}")
        mcutest.expect("configs/mcu.conf" in mcu.banner, f"banner names the config: {mcu.banner!r}")
        status, _ = get(mcu.url + "health")
        mcutest.expect(status == 200, "health on the fixed port")


if __name__ == "__main__":
    check_bad_command_lines()
    check_help_and_version()
    check_serving(signal.SIGTERM)
    check_serving(signal.SIGINT)
    check_fixed_port_and_default_config()
    print("ok")
