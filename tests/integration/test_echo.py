#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The echo room through the whole transport with peers we did not write: headless Chromium and a
GStreamer webrtcbin site each join /whip/echo, at the same time, and decode their own video and audio
back for 10 s; Chromium then restarts ICE with a PATCH mid-call and media keeps flowing."""
import json
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def run_browser(base, seconds, restart_at=-1, name="chromium"):
    r = subprocess.run(["node", os.path.join(HERE, "whip-browser.js"), "--base", base, "--room", "echo",
                        "--name", name, "--seconds", str(seconds), "--restart-at", str(restart_at)],
                       capture_output=True, text=True, timeout=seconds + 60)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": f"browser exit {r.returncode}: {r.stdout[-2000:]} {r.stderr[-2000:]}"}


def run_gst(base, seconds):
    r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "whip_gst.py"), "--base", base, "--room", "echo",
                        "--seconds", str(seconds)], capture_output=True, text=True, timeout=seconds + 60)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": f"gst exit {r.returncode}: {r.stdout[-2000:]} {r.stderr[-2000:]}"}


def check_browser(result, what):
    """Media must keep arriving through the whole window: frames and audio samples rise in every
    2-second stretch (not only at the start), and the totals are those of a live call."""
    mcutest.expect(not result.get("error"), f"{what}: {result.get('error')}")
    samples = result["samples"]
    frames = [s.get("frames_decoded", 0) for s in samples]
    audio = [s.get("audio_samples", 0) for s in samples]
    for i in range(2, len(samples), 2):
        mcutest.expect(frames[i] > frames[i - 2], f"{what}: video frames rise at {samples[i]['t']} ms: {frames}")
        mcutest.expect(audio[i] > audio[i - 2] + 48000, f"{what}: audio keeps playing at {samples[i]['t']} ms: {audio}")
    mcutest.expect(frames[-1] - frames[0] >= 40, f"{what}: video decoded over the call: {frames}")
    mcutest.expect(result["deleteStatus"] == 200, f"{what}: DELETE {result['deleteStatus']}")


def main():
    with mcutest.Mcu() as mcu:
        results = {}
        threads = [threading.Thread(target=lambda: results.__setitem__("browser", run_browser(mcu.url, 10))),
                   threading.Thread(target=lambda: results.__setitem__("gst", run_gst(mcu.url, 10)))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check_browser(results["browser"], "chromium (beside webrtcbin)")
        gst = results["gst"]
        mcutest.expect(not gst.get("error"), f"webrtcbin: {gst.get('error')}")
        mcutest.expect(gst["video_frames"] > 150, f"webrtcbin decoded its own video: {gst['video_frames']} frames")
        mcutest.expect(gst["audio_samples"] > 48000 * 5, f"webrtcbin decoded its own audio: {gst['audio_samples']}")

        restart = run_browser(mcu.url, 12, restart_at=5, name="restarter")
        mcutest.expect(restart.get("restarted") is True, f"ICE restart PATCH accepted: {restart}")
        check_browser(restart, "chromium across an ICE restart")
        after = [s["frames_decoded"] for s in restart["samples"][6:]]
        mcutest.expect(len(after) >= 4 and after[-1] > after[0] + 20,
                       f"video keeps decoding after the restart: {after}")
        mcutest.expect(mcu.stop() == 0, "clean stop")
    print("ok")


if __name__ == "__main__":
    main()
