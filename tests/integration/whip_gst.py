#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A GStreamer webrtcbin site (a peer we did not write): sends a test pattern (or a solid colour) and a
tone over WHIP, decodes what it receives, and counts decoded video frames and audio samples.

    whip_gst.py --base http://127.0.0.1:8080/ --room echo [--seconds 10] [--name N] [--token T]
                [--pattern ball|red|green|blue|...] [--freq 440]

Prints one JSON line with the counts. Also importable: GstSite(...).run()."""
import argparse
import json
import math
import os
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

# The tests run with G_DEBUG=fatal-criticals for our own code; a GStreamer warning in this peer (which
# we did not write) must not abort it.
os.environ.pop("G_DEBUG", None)

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

Gst.init(None)

PATTERNS = {"ball": "ball", "red": "red", "green": "green", "blue": "blue", "white": "white",
            "black": "black", "smpte": "smpte"}


class GstSite:
    def __init__(self, base, room, name="gst", token="", pattern="ball", freq=440, seconds=10,
                 width=640, height=360, volume=0.3, probe_freqs=(), linger=0, content=None):
        self.base, self.room, self.name, self.token = base, room, name, token
        self.seconds = seconds
        self.linger = linger
        self.probe_freqs = list(probe_freqs)
        self.audio_tail = bytearray()   # the last 2 s of decoded audio, S16LE mono 48 kHz
        self.last_frame = None          # the last decoded frame, RGB 160x90
        self.result = {"video_frames": 0, "audio_samples": 0, "error": None, "join_ms": None}
        self.loop = GLib.MainLoop()
        self.location = None
        self.pipe = Gst.parse_launch(
            f"webrtcbin name=webrtc bundle-policy=max-bundle "
            f"videotestsrc is-live=true pattern={PATTERNS.get(pattern, pattern)} ! "
            f"video/x-raw,width={width},height={height},framerate=25/1 ! videoconvert ! queue ! "
            f"vp8enc deadline=1 target-bitrate=600000 keyframe-max-dist=50 error-resilient=partitions ! "
            f"rtpvp8pay pt=96 picture-id-mode=15-bit ! "
            f"application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! webrtc. "
            f"audiotestsrc is-live=true wave=sine freq={freq} volume={volume} ! audioconvert ! audioresample ! "
            f"queue ! opusenc inband-fec=true ! rtpopuspay pt=111 ! "
            f"application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! webrtc. "
            + (f"videotestsrc is-live=true pattern={content} ! "
               f"video/x-raw,width={width},height={height},framerate=10/1 ! videoconvert ! queue ! "
               f"vp8enc deadline=1 target-bitrate=300000 keyframe-max-dist=20 ! rtpvp8pay pt=98 "
               f"picture-id-mode=15-bit ! application/x-rtp,media=video,encoding-name=VP8,payload=98,"
               f"clock-rate=90000 ! webrtc. " if content else ""))
        self.webrtc = self.pipe.get_by_name("webrtc")
        # Not webrtc.get_property("ice-agent").emit("add-local-ip-address", ...): PyGObject drops a
        # reference it does not own on that property and webrtcbin loses its agent. The MCU offers
        # candidates on every interface, so webrtcbin's non-loopback host candidates are enough.
        for pad in self.webrtc.sinkpads:
            pad.get_property("transceiver").set_property(
                "direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDRECV)
        self.webrtc.connect("on-negotiation-needed", self._on_negotiation_needed)
        self.webrtc.connect("pad-added", self._on_pad_added)
        self.webrtc.connect("notify::ice-gathering-state", self._on_gathering)
        self.offer = None

    def _on_negotiation_needed(self, element):
        promise = Gst.Promise.new_with_change_func(self._on_offer_created, None)
        element.emit("create-offer", None, promise)

    def _on_offer_created(self, promise, _):
        reply = promise.get_reply()
        self.offer = reply.get_value("offer")
        self.webrtc.emit("set-local-description", self.offer, Gst.Promise.new())

    def _on_gathering(self, element, _pspec):
        if element.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            sdp = element.get_property("local-description").sdp.as_text()
            threading.Thread(target=self._post_offer, args=(sdp,), daemon=True).start()

    def _post_offer(self, sdp):
        query = "" if self.token else "?name=" + urllib.parse.quote(self.name)
        req = urllib.request.Request(urllib.parse.urljoin(self.base, f"whip/{self.room}{query}"),
                                     data=sdp.encode(), method="POST",
                                     headers={"Content-Type": "application/sdp"})
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        t0 = GLib.get_monotonic_time()
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, answer = resp.status, resp.read().decode()
                self.location = urllib.parse.urljoin(self.base, resp.headers.get("Location", ""))
        except urllib.error.HTTPError as e:
            status, answer = e.code, e.read().decode()
        except OSError as e:
            status, answer = 0, str(e)
        self.result["join_ms"] = (GLib.get_monotonic_time() - t0) / 1000
        GLib.idle_add(self._set_answer, status, answer)

    def _set_answer(self, status, answer):
        if status != 201:
            self.result["error"] = f"POST {status}: {answer}"
            self.loop.quit()
            return False
        ok, msg = GstSdp.SDPMessage.new_from_text(answer)
        desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        self.webrtc.emit("set-remote-description", desc, Gst.Promise.new())
        return False

    def _on_pad_added(self, element, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        decode = Gst.ElementFactory.make("decodebin")
        decode.connect("pad-added", self._on_decoded_pad)
        self.pipe.add(decode)
        decode.sync_state_with_parent()
        pad.link(decode.get_static_pad("sink"))

    def _on_decoded_pad(self, _decode, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        kind = "video" if caps.to_string().startswith("video") else "audio"
        if kind == "video":
            chain = ("videoconvert ! videoscale ! video/x-raw,format=RGB,width=160,height=90 ! "
                     "appsink name=sink emit-signals=true sync=false max-buffers=2 drop=true")
        else:
            chain = ("audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=48000,channels=1 ! "
                     "appsink name=sink emit-signals=true sync=false")
        bin_ = Gst.parse_bin_from_description(chain, True)
        bin_.get_by_name("sink").connect("new-sample", self._on_sample, kind)
        self.pipe.add(bin_)
        bin_.sync_state_with_parent()
        pad.link(bin_.get_static_pad("sink"))

    def _on_sample(self, sink, kind):
        buf = sink.emit("pull-sample").get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        if ok:
            if kind == "video":
                self.result["video_frames"] += 1
                self.last_frame = bytes(info.data)
            else:
                self.result["audio_samples"] += info.size // 2
                self.audio_tail += info.data
                del self.audio_tail[:-2 * 48000 * 2]
            buf.unmap(info)
        return Gst.FlowReturn.OK

    def _summarize(self):
        """Tone power (Goertzel) over the last 2 s of audio, and a 16x9 grid of the last frame's
        average colours: what the tests judge the mix and the composite by."""
        samples = memoryview(bytes(self.audio_tail)).cast("h") if len(self.audio_tail) >= 2 else []
        if samples:
            energy = sum(x * x for x in samples) / len(samples)
            self.result["audio_rms"] = math.sqrt(energy) / 32768
            self.result["tones"] = {str(f): goertzel(samples, f) for f in self.probe_freqs}
        if self.last_frame and len(self.last_frame) >= 160 * 90 * 3:
            grid = []
            for gy in range(9):
                row = []
                for gx in range(16):
                    acc = [0, 0, 0]
                    for y in range(gy * 10 + 3, gy * 10 + 7):
                        for x in range(gx * 10 + 3, gx * 10 + 7):
                            o = (y * 160 + x) * 3
                            for c in range(3):
                                acc[c] += self.last_frame[o + c]
                    row.append([v // 16 for v in acc])
                grid.append(row)
            self.result["grid"] = grid

    def run(self):
        self.pipe.set_state(Gst.State.PLAYING)
        GLib.timeout_add_seconds(self.seconds + 40, self._deadline)
        self._watch = GLib.timeout_add(200, self._check_done)
        self.t_start = None
        self.loop.run()
        if self.location:
            try:
                urllib.request.urlopen(urllib.request.Request(self.location, method="DELETE"), timeout=5)
            except OSError:
                pass
        self.pipe.set_state(Gst.State.NULL)
        if "grid" not in self.result and "tones" not in self.result:
            self._summarize()
        return self.result

    def _check_done(self):
        # Count for `seconds` from the first decoded frame, so slow starts do not shorten the window.
        if self.result["video_frames"] > 0 and self.t_start is None:
            self.t_start = GLib.get_monotonic_time()
        if self.t_start and GLib.get_monotonic_time() - self.t_start >= self.seconds * 1_000_000:
            # Judge what was heard and seen now, while every other site is still in the meeting;
            # then stay joined `linger` seconds so the others can do the same.
            self._summarize()
            GLib.timeout_add_seconds(max(self.linger, 0), self._quit)
            return False
        return True

    def _quit(self):
        self.loop.quit()
        return False

    def _deadline(self):
        if self.result["error"] is None and self.t_start is None:
            self.result["error"] = "no media decoded before the deadline"
        self.loop.quit()
        return False


def goertzel(samples, freq, rate=48000):
    """Relative power of @freq in @samples (normalised by the signal's energy, 0..1)."""
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    energy = sum(x * x for x in samples) or 1
    return power / (energy * len(samples) / 2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--room", required=True)
    p.add_argument("--name", default="gst")
    p.add_argument("--token", default="")
    p.add_argument("--pattern", default="ball")
    p.add_argument("--freq", type=int, default=440)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--volume", type=float, default=0.3, help="tone volume (0 = silent site)")
    p.add_argument("--probe", default="", help="comma-separated frequencies to measure in what it hears")
    p.add_argument("--linger", type=int, default=0, help="seconds to stay joined after the summary")
    p.add_argument("--content", default=None,
                   help="also send a second video (slides/screen) with this videotestsrc pattern")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    a = p.parse_args()
    probes = [int(f) for f in a.probe.split(",") if f]
    result = GstSite(a.base, a.room, a.name, a.token, a.pattern, a.freq, a.seconds, volume=a.volume,
                     probe_freqs=probes, width=a.width, height=a.height, linger=a.linger,
                     content=a.content).run()
    print(json.dumps(result))
    sys.exit(1 if result["error"] else 0)


if __name__ == "__main__":
    main()
