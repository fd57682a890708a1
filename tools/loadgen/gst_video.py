#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The GStreamer pipeline a user would write for a video MCU, fed the loadgen's own VP8 packets:
S x (appsrc ! rtpvp8depay ! vp8dec) -> compositor (a grid of all S) -> tee -> two tiers,
1280x720 and 640x360, each with its own vp8enc (one thread, realtime, like the mcu's tiers).
Runs as fast as it can (not live) for --seconds of 25 fps output and prints JSON: CPU seconds per
output frame, CPU per second of meeting (x 25), peak RSS. The packets come from
`loadgen --dump-video FILE` (per packet: u32 frame, u8 marker, u16 length, payload).

  gst_video.py --packets FILE --sites S [--seconds 10]

Threads: GStreamer's streaming threads; the main thread waits for EOS on the bus."""
import argparse
import json
import math
import resource
import struct
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

FPS = 25


def read_packets(path):
    frames = {}
    data = open(path, "rb").read()
    pos = 0
    while pos + 7 <= len(data):
        frame, marker, length = struct.unpack_from(">IBH", data, pos)
        pos += 7
        frames.setdefault(frame, []).append((marker, data[pos:pos + length]))
        pos += length
    return [frames[k] for k in sorted(frames)]


def rtp_buffers(frames, n_frames, ssrc):
    seq = 0
    out = []
    for n in range(n_frames):
        for marker, payload in frames[n % len(frames)]:
            header = struct.pack(">BBHII", 0x80, (0x80 if marker else 0) | 96, seq & 0xFFFF,
                                 (n * 3600) & 0xFFFFFFFF, ssrc)
            buf = Gst.Buffer.new_wrapped(header + payload)
            buf.pts = n * Gst.SECOND // FPS
            buf.duration = Gst.SECOND // FPS
            out.append(buf)
            seq += 1
    return out


def build(sites):
    cols = math.ceil(math.sqrt(sites))
    rows = math.ceil(sites / cols)
    w, h = 1280 // cols, 720 // rows
    pads = " ".join(f"sink_{i}::xpos={(i % cols) * w} sink_{i}::ypos={(i // cols) * h} "
                    f"sink_{i}::width={w} sink_{i}::height={h}" for i in range(sites))
    caps = "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96"
    inputs = " ".join(f"appsrc name=src{i} format=time caps=\"{caps}\" ! rtpvp8depay ! vp8dec threads=1 ! "
                      f"queue max-size-buffers=4 ! comp.sink_{i}" for i in range(sites))
    enc = "vp8enc deadline=1 threads=1 end-usage=cbr cpu-used=-6 keyframe-max-dist=3000"
    desc = (f"compositor name=comp background=black {pads} ! video/x-raw,width=1280,height=720,framerate={FPS}/1 ! "
            f"tee name=t t. ! queue ! {enc} target-bitrate=1500000 ! fakesink name=out720 sync=false "
            f"t. ! queue ! videoscale ! video/x-raw,width=640,height=360 ! {enc} target-bitrate=500000 ! "
            f"fakesink sync=false {inputs}")
    return Gst.parse_launch(desc)


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--packets", required=True)
    parser.add_argument("--sites", type=int, required=True)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    Gst.init(None)
    frames = read_packets(args.packets)
    n_frames = args.seconds * FPS
    pipeline = build(args.sites)
    out = pipeline.get_by_name("out720")
    count = [0]
    out.props.signal_handoffs = True
    out.connect("handoff", lambda *a: count.__setitem__(0, count[0] + 1))
    buffers = rtp_buffers(frames, n_frames, 0x1234)
    cpu0 = cpu_seconds()
    pipeline.set_state(Gst.State.PLAYING)
    for i in range(args.sites):
        src = pipeline.get_by_name(f"src{i}")
        for buf in buffers:
            src.emit("push-buffer", buf)
        src.emit("end-of-stream")
    msg = pipeline.get_bus().timed_pop_filtered(600 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    cpu = cpu_seconds() - cpu0
    pipeline.set_state(Gst.State.NULL)
    if msg is None or msg.type == Gst.MessageType.ERROR:
        print(json.dumps({"error": msg.parse_error()[0].message if msg else "timeout"}))
        return 1
    frames_out = max(count[0], 1)
    print(json.dumps({
        "sites": args.sites, "output_frames": count[0], "cpu_seconds": cpu,
        "cpu_ms_per_output_frame": 1000 * cpu / frames_out,
        "cpu_per_second": cpu / frames_out * FPS,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
