#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A mixed meeting with real peers (GStreamer webrtcbin sites), judged by what each site decodes:
frequency analysis of the audio it hears and the colours of the composite it sees.

1. Red (440 Hz, muted by the operator before it joins), blue (660 Hz), green (880 Hz) and a silent
   white listener: the listener hears blue and green and never red; a talker never hears its own tone;
   the muted site still hears the others. The operator then sets layout 1+5 and gives blue the floor:
   the listener sees blue in the main tile and the other colours in small tiles.
2. Five talkers of decreasing loudness and a listener, N = 3: only the three loudest are heard.
3. A site that also sends slides (a second video) switches the room to the presentation layout.
4. The one site that talks takes the main tile (voice activation); once it has left, its tile is freed."""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN = "mix-test-admin-token"
CONFIG = f"""
[server]
admin-token = {ADMIN}
[video]
# One small tier keeps six sites and the mcu light enough for a 2-core CI machine.
tiers = 320x180@15:200000
start-tier = 0
[room meet]
mode = mix
guests = true
""" + "".join(f"[site {c}]\nroom = meet\nname = Site {c}\ntoken = token-{c}-0123\n" for c in
              ("red", "blue", "green", "white"))
HEARD, SILENT = 0.01, 0.002
COLOURS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "white": (255, 255, 255),
           "yellow": (255, 255, 0)}
YELLOW = "solid-color foreground-color=0xffffff00"


def api(base, method, path, body=None):
    req = urllib.request.Request(base + path.lstrip("/"), method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


def start_site(base, name, freq, volume, seconds, linger, token=None, pattern="smpte", content=None):
    argv = ["/usr/bin/python3", os.path.join(HERE, "whip_gst.py"), "--base", base, "--room", "meet",
            "--name", name, "--pattern", pattern, "--freq", str(freq), "--volume", str(volume),
            "--seconds", str(seconds), "--linger", str(linger), "--probe", "440,550,660,770,880",
            "--width", "320", "--height", "180"]
    if token:
        argv += ["--token", token]
    if content:
        argv += ["--content", content]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def finish(name, proc):
    out, _ = proc.communicate(timeout=120)
    try:
        result = json.loads(out.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        mcutest.expect(False, f"{name}: no result (exit {proc.returncode}): {out[-500:]}")
    mcutest.expect(not result.get("error"), f"{name}: {result.get('error')}")
    mcutest.expect(result["video_frames"] > 50, f"{name}: decoded the composite ({result['video_frames']} frames)")
    print(f"{name}: tones {result.get('tones')}")
    return result


def wait_connected(base, n, deadline_s=90):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        sites = api(base, "GET", "/api/rooms/meet").get("sites", [])
        if sum(1 for s in sites if s.get("connected")) >= n:
            return
        time.sleep(0.2)   # polling the roster, bounded by the deadline
    mcutest.expect(False, f"{n} sites connected within {deadline_s} s")


def colour_of(cell):
    for name, ref in COLOURS.items():
        if all(abs(a - b) < 60 for a, b in zip(cell, ref)):
            return name
    return None


def hears(result, freq):
    return result["tones"][str(freq)]


def phase_mute_floor(base):
    api(base, "POST", "/api/rooms/meet/sites/red/mute")
    sites = {c: start_site(base, c, f, 0.0 if c == "white" else 0.3, 14, 10, token=f"token-{c}-0123", pattern=c)
             for c, f in (("red", 440), ("blue", 660), ("green", 880), ("white", 330))}
    wait_connected(base, 4)
    api(base, "POST", "/api/rooms/meet/layout", {"layout": "1+5"})
    api(base, "POST", "/api/rooms/meet/sites/blue/floor")
    results = {c: finish(c, p) for c, p in sites.items()}

    white, red, blue, green = (results[c] for c in ("white", "red", "blue", "green"))
    mcutest.expect(hears(white, 660) > HEARD and hears(white, 880) > HEARD, f"the listener hears blue and green")
    for name, r in results.items():
        mcutest.expect(hears(r, 440) < SILENT, f"{name}: the muted red site's tone never appears")
    mcutest.expect(hears(blue, 660) < SILENT and hears(blue, 880) > HEARD, "blue hears green, not itself")
    mcutest.expect(hears(green, 880) < SILENT and hears(green, 660) > HEARD, "green hears blue, not itself")
    mcutest.expect(hears(red, 660) > HEARD and hears(red, 880) > HEARD, "the muted site still hears the meeting")

    grid = white["grid"]
    main = colour_of(grid[3][5])
    mcutest.expect(main == "blue", f"blue holds the floor in the main tile of 1+5: main is {main}")
    small = {colour_of(grid[y][x]) for y in (1, 4, 7) for x in (1, 4, 7, 12, 13, 14)}
    mcutest.expect({"red", "green", "white"} <= small, f"the other sites are in small tiles: {small}")


def site_metric(base, name):
    """{site label: value} of a per-site metric of room meet from /metrics."""
    text = urllib.request.urlopen(base + "metrics", timeout=10).read().decode()
    return {line.split("{")[1].split("}")[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line.startswith(name + "{") and 'room="meet"' in line}


def decoding_states(base):
    """{site label: 1 or 0} from /metrics' mcu_site_video_decoding."""
    return site_metric(base, "mcu_site_video_decoding")


def phase_loudest(base):
    """Also: six sites in a 2x2 layout — the two out of view are not decoded (seen in /metrics), and
    the roster names each site's tier."""
    api(base, "POST", "/api/rooms/meet/layout", {"layout": "2x2"})
    volumes = {440: 0.5, 550: 0.4, 660: 0.3, 770: 0.05, 880: 0.03}
    # Talkers stay long after the listener has judged (start times spread on a loaded machine).
    sites = {f: start_site(base, f"t{f}", f, v, 14, 12) for f, v in volumes.items()}
    sites["listener"] = start_site(base, "listener", 330, 0.0, 8, 2)
    wait_connected(base, 6)
    end, states, tiers = time.monotonic() + 30, {}, []
    while time.monotonic() < end:
        states = decoding_states(base)
        roster = api(base, "GET", "/api/rooms/meet")["sites"]
        tiers = [s["link"].get("tier") for s in roster if s.get("connected")]
        if len(states) >= 6 and sum(states.values()) == 4 and len(tiers) == 6 and None not in tiers:
            break
        time.sleep(0.5)   # metrics are sampled every second; bounded by the deadline
    mcutest.expect(len(states) >= 6 and sum(states.values()) == 4,
                   f"2x2 with 6 sites: exactly 4 cameras decoded, the 2 out of view not: {states}")
    mcutest.expect(len(tiers) == 6 and all(t == 0 for t in tiers), f"the roster names each site's tier: {tiers}")
    end, audio_in = time.monotonic() + 10, {}
    while time.monotonic() < end:   # a site that has just joined is counted at the next sample (1 s)
        audio_in = site_metric(base, "mcu_site_audio_packets_received_total")
        if len(audio_in) == 6 and all(n > 0 for n in audio_in.values()):
            break
        time.sleep(0.5)
    mcutest.expect(len(audio_in) == 6 and all(n > 0 for n in audio_in.values()),
                   f"/metrics counts each site's audio packets: {audio_in}")
    text = urllib.request.urlopen(base + "metrics", timeout=10).read().decode()
    held = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith('mcu_audio_latency_p99_seconds{room="meet"}')]
    mcutest.expect(len(held) == 1 and 0 < held[0] < 0.5, f"the server-added audio latency is measured: {held}")
    print(f"server-added audio latency p99: {held[0] * 1000:.1f} ms")
    end, p50, p99 = time.monotonic() + 10, [], []
    while time.monotonic() < end:   # the mix's figures are refreshed once a second
        p50, p99 = site_metric(base, "mcu_video_latency_p50_seconds"), site_metric(base, "mcu_video_latency_p99_seconds")
        p50, p99 = [v for k, v in p50.items() if 'tier="0"' in k], [v for k, v in p99.items() if 'tier="0"' in k]
        if p99 and p99[0] > 0:
            break
        time.sleep(0.5)
    mcutest.expect(len(p50) == 1 and len(p99) == 1 and 0 < p50[0] <= p99[0] < 0.5,
                   f"the server-added video latency of tier 0 is measured: p50 {p50}, p99 {p99}")
    print(f"server-added video latency tier 0 p50/p99: {p50[0] * 1000:.1f}/{p99[0] * 1000:.1f} ms")
    results = {str(k): finish(str(k), p) for k, p in sites.items()}
    listener = results["listener"]
    for f in (440, 550, 660):
        mcutest.expect(hears(listener, f) > HEARD, f"the listener hears the loud talker at {f} Hz")
    for f in (770, 880):
        mcutest.expect(hears(listener, f) < SILENT, f"with N = 3 the quiet talker at {f} Hz is not mixed")


def phase_content(base):
    """A site that sends a second video (slides) puts the room in the presentation layout: the
    slides fill the large tile, the presenter's camera and the others sit beside them."""
    presenter = start_site(base, "presenter", 440, 0.3, 12, 6, pattern="green", content=YELLOW)
    listener = start_site(base, "viewer", 330, 0.0, 10, 6, pattern="white")
    finish("presenter", presenter)
    grid = finish("viewer", listener)["grid"]
    main = colour_of(grid[3][6])
    mcutest.expect(main == "yellow", f"the slides fill the presentation's large tile: {main}")
    beside = {colour_of(grid[y][14]) for y in range(9)}
    mcutest.expect("green" in beside, f"the presenter's camera is beside the slides: {beside}")


def phase_talker_and_leave(base):
    """Voice activation and leaving, seen by listeners: in 1+5 the one site that talks takes the main
    tile; once it has left, a later listener sees no trace of it."""
    api(base, "POST", "/api/rooms/meet/layout", {"layout": "1+5"})
    talker = start_site(base, "talker", 440, 0.3, 8, 0, pattern="red")
    quiet = [start_site(base, f"quiet{i}", 330, 0.0, 26, 2, pattern=p) for i, p in enumerate(("blue", "green"))]
    first = start_site(base, "listener1", 330, 0.0, 7, 4, pattern="white")
    grid = finish("listener1", first)["grid"]
    mcutest.expect(colour_of(grid[3][5]) == "red", f"the talker holds the main tile: {colour_of(grid[3][5])}")
    finish("talker", talker)
    later = start_site(base, "listener2", 330, 0.0, 6, 0, pattern="white")
    grid = finish("listener2", later)["grid"]
    seen = {colour_of(cell) for row in grid for cell in row}
    mcutest.expect("red" not in seen, f"the talker's tile is freed once it has left: {seen}")
    mcutest.expect({"blue", "green"} <= seen, f"the others are still shown: {seen}")
    for p in quiet:
        finish("quiet", p)


def main():
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write(CONFIG)
    try:
        with mcutest.Mcu(config=f.name) as mcu:
            phase_mute_floor(mcu.url)
            phase_loudest(mcu.url)
            phase_content(mcu.url)
            phase_talker_and_leave(mcu.url)
            mcutest.expect(mcu.stop() == 0, "clean stop")
    finally:
        os.unlink(f.name)
    print("ok")


if __name__ == "__main__":
    main()
