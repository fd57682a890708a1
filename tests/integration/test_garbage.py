#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Garbage on the media ports while a real site is in a call: random bytes, truncated RTP, RTCP with
lying lengths, DTLS-looking records and STUN requests with a bad MESSAGE-INTEGRITY are sent to every
UDP port (and ICE-TCP port) the mcu has open. The mcu stays up and healthy, and the Chromium site in
the echo room keeps decoding its video and audio throughout. (Garbage arriving on a site's own
5-tuple is counted per site — tests/unit/test-peer.c /peer/garbage — and shows in /metrics as
mcu_site_malformed_total and mcu_site_decrypt_failures_total.)"""
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
from test_echo import check_browser  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def junk(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 1400)))
    if kind == 1:   # truncated RTP
        return bytes([0x80, 0x60]) + bytes(rng.randrange(256) for _ in range(rng.randrange(0, 10)))
    if kind == 2:   # RTCP receiver report claiming 64 KiB
        return bytes([0x81, 0xc9, 0xff, 0xff]) + os.urandom(20)
    if kind == 3:   # DTLS handshake record header with junk
        return bytes([0x16, 0xfe, 0xfd]) + os.urandom(rng.randrange(10, 200))
    if kind == 4:   # STUN binding request, USERNAME + bad MESSAGE-INTEGRITY
        user = b"abcd:efgh"
        attrs = struct.pack("!HH", 0x0006, len(user)) + user + b"\0" * (-len(user) % 4)
        attrs += struct.pack("!HH", 0x0008, 20) + os.urandom(20)
        return struct.pack("!HHI", 0x0001, len(attrs), 0x2112A442) + os.urandom(12) + attrs
    return b""


def mcu_ports(pid):
    """(proto, address, port) of the sockets the mcu process listens on."""
    out = subprocess.run(["ss", "-Hanup", "-t", "-l"], capture_output=True, text=True).stdout
    out += subprocess.run(["ss", "-Hanup"], capture_output=True, text=True).stdout
    ports = set()
    for line in out.splitlines():
        if f"pid={pid}," not in line:
            continue
        proto = line.split()[0]
        local = line.split()[4] if proto == "udp" else line.split()[3]
        m = re.match(r"(.*):(\d+)$", local)
        if m and m.group(1) not in ("*", "[::]", "0.0.0.0"):
            ports.add((proto, m.group(1).strip("[]"), int(m.group(2))))
    return sorted(ports)


def spray(pid, stop, counts):
    rng = random.Random(7)
    udp4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    while not stop.is_set():
        for proto, addr, port in mcu_ports(pid):
            if proto != "udp" or addr.startswith("fe80"):
                continue
            sock = udp6 if ":" in addr else udp4
            for _ in range(20):
                try:
                    sock.sendto(junk(rng), (addr, port))
                    counts["udp"] += 1
                except OSError:
                    counts["errors"] += 1
        time.sleep(0.05)   # the fault's pace, not a wait for an event


def main():
    with mcutest.Mcu() as mcu:
        argv = ["node", os.path.join(HERE, "whip-browser.js"), "--base", mcu.url, "--room", "echo",
                "--name", "under-fire", "--seconds", "12"]
        browser = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        stop, counts = threading.Event(), {"udp": 0, "errors": 0}
        sprayer = threading.Thread(target=spray, args=(mcu.proc.pid, stop, counts))
        sprayer.start()
        try:
            out, _ = browser.communicate(timeout=120)
        finally:
            stop.set()
            sprayer.join()
        result = json.loads(out.strip().splitlines()[-1])
        print(f"sent {counts['udp']} garbage datagrams")
        mcutest.expect(counts["udp"] > 1000, f"garbage was sent: {counts}")
        check_browser(result, "chromium while the media ports get garbage")
        mcutest.expect(mcu.proc.poll() is None, "the mcu is still running")
        health = json.loads(urllib.request.urlopen(mcu.url + "health", timeout=5).read())
        mcutest.expect(health["status"] == "ok", f"health after the garbage: {health}")
        mcutest.expect(mcu.stop() == 0, "clean stop")
    print("ok")


if __name__ == "__main__":
    main()
