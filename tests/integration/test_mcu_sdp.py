#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tools/mcu-sdp as an operator meets it: `answer` on each captured offer (file and stdin) prints an
answer and exits 0; `check` explains the offer in plain words; every malformed offer from issue 3
(truncated lines, bad ports, missing fingerprint, duplicate mids, 1 MB of junk, NUL bytes) exits 1 with
a clear message on stderr naming the line, and nothing on stdout."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402

TOOL = os.path.join(mcutest.BUILD, "tools", "mcu-sdp")
DATA = os.path.join(mcutest.SOURCE, "tests", "data")
CAPTURED = ["chromium-av.sdp", "chromium-av-screen.sdp", "chromium-av-data.sdp", "webrtcbin-av.sdp",
            "firefox-av.sdp"]

FP = ("a=fingerprint:sha-256 AA:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
      "88:99:AA:BB:CC:DD:EE:FF\r\n")
HEAD = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
ICE = "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
AUDIO = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-mux\r\n"
GOOD = HEAD + FP + ICE + AUDIO + "a=mid:0\r\n"

# (name, offer bytes, what stderr must say)
MALFORMED = [
    ("truncated m= line", (HEAD + "m=audio 9\r\n").encode(), "line 5: m= line needs"),
    ("truncated o= line", b"v=0\r\no=- 1\r\n", "line 2: o= line needs 6 fields"),
    ("truncated rtpmap", (HEAD + FP + ICE + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus\r\n"
                          "a=rtcp-mux\r\na=mid:0\r\n").encode(), "line 9: a=rtpmap:111 needs"),
    ("cut in the middle", GOOD[:30].encode(), "line 3: expected 'x=value', got 's'"),
    ("bad port", (HEAD + "m=audio 99999 UDP/TLS/RTP/SAVPF 111\r\n").encode(),
     "line 5: port '99999' is not a number from 0 to 65535"),
    ("port not a number", (HEAD + "m=audio nine UDP/TLS/RTP/SAVPF 111\r\n").encode(), "line 5: port 'nine'"),
    ("missing fingerprint", (HEAD + ICE + AUDIO + "a=mid:0\r\n").encode(), "has no a=fingerprint"),
    ("duplicate mids", (HEAD + FP + ICE + AUDIO + "a=mid:0\r\n" + AUDIO + "a=mid:0\r\n").encode(),
     "line 15: duplicate a=mid:0"),
    ("1 MB of junk", bytes((i * 7919) % 251 + 1 for i in range(1024 * 1024)), "more than the 262144 allowed"),
    ("NUL bytes", (HEAD + "a=x\0y\r\n").encode(), "line 5: contains a NUL byte"),
    ("only NUL bytes", b"\0" * 100, "line 1: contains a NUL byte"),
    ("not SDP", b"hello world\n", "line 1: expected 'x=value', got 'hello world'"),
    ("empty", b"", "description ends before"),
    ("no audio", (HEAD + FP + ICE + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
                  "a=rtcp-mux\r\na=mid:0\r\n").encode(), "no usable audio"),
]


class Result:
    def __init__(self, p):
        self.returncode = p.returncode
        self.stdout = p.stdout.decode("utf-8", "replace")   # bytes: keep the CRLF line endings
        self.stderr = p.stderr.decode("utf-8", "replace")


def run(argv, stdin_bytes=None):
    return Result(subprocess.run(argv, capture_output=True, timeout=30, input=stdin_bytes))


def check_captured():
    for name in CAPTURED:
        path = os.path.join(DATA, name)
        r = run([TOOL, "answer", path])
        mcutest.expect(r.returncode == 0, f"answer {name} exits 0, got {r.returncode}: {r.stderr}")
        mcutest.expect(r.stdout.startswith("v=0\r\n") and "\r\na=setup:passive\r\n" in r.stdout,
                       f"answer {name} is an SDP answer with CRLF: {r.stdout[:200]!r}")
        mcutest.expect("a=rtpmap:" in r.stdout and "opus/48000/2" in r.stdout, f"{name}: Opus answered")
        with open(path, "rb") as f:
            r2 = run([TOOL, "answer"], f.read())
        mcutest.expect(r2.returncode == 0 and r2.stdout.count("\r\n") == r.stdout.count("\r\n"),
                       f"answer {name} from stdin gives the same answer")

        r = run([TOOL, "check", path])
        mcutest.expect(r.returncode == 0, f"check {name} exits 0: {r.stderr}")
        for word in ["bundle:", "codec: Opus", "fingerprint: sha-256", "candidates:", "extensions:",
                     "MCU sendrecv"]:
            mcutest.expect(word in r.stdout, f"check {name} mentions {word!r}: {r.stdout}")
    r = run([TOOL, "check", os.path.join(DATA, "chromium-av-data.sdp")])
    mcutest.expect("REJECTED" in r.stdout, f"check names the rejected data channel: {r.stdout}")
    r = run([TOOL, "check", os.path.join(DATA, "webrtcbin-av.sdp")])
    mcutest.expect("no RTX" in r.stdout, f"check says webrtcbin has no RTX: {r.stdout}")


def check_malformed():
    for name, offer, message in MALFORMED:
        for command in ["answer", "check"]:
            with tempfile.NamedTemporaryFile(suffix=".sdp", delete=False) as f:
                f.write(offer)
            try:
                r = run([TOOL, command, f.name])
            finally:
                os.unlink(f.name)
            mcutest.expect(r.returncode == 1, f"{command} on {name}: exit 1, got {r.returncode}")
            mcutest.expect(message in r.stderr, f"{command} on {name}: stderr has {message!r}: {r.stderr!r}")
            mcutest.expect(r.stderr.startswith("mcu-sdp: " + f.name + ":line "),
                           f"{name}: message names the file and line: {r.stderr!r}")
            mcutest.expect(r.stdout == "", f"{command} on {name}: nothing on stdout")


def check_usage():
    r = run([TOOL])
    mcutest.expect(r.returncode == 2 and "usage" in r.stderr, f"no command: usage, exit 2: {r.stderr!r}")
    r = run([TOOL, "answer", "/nonexistent.sdp"])
    mcutest.expect(r.returncode == 1 and "/nonexistent.sdp" in r.stderr, f"missing file: {r.stderr!r}")


def main():
    check_captured()
    check_malformed()
    check_usage()
    print("ok: mcu-sdp answers captured offers and refuses malformed ones")


if __name__ == "__main__":
    main()
