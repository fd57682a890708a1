#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""GStreamer webrtcbin (what bridge-agent uses) must accept the MCU's answer: a max-bundle webrtcbin
with Opus and VP8 makes its offer (bundle-only video, rtcp-mux-only, no RTX), `mcu-sdp answer` answers
it, and set-remote-description must leave webrtcbin in the stable state with both transceivers
sendrecv. Exits 77 (skip) when gi or the webrtc/opus/vpx elements are missing."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402

try:
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstWebRTC", "1.0")
    gi.require_version("GstSdp", "1.0")
    from gi.repository import GLib, Gst, GstSdp, GstWebRTC
except (ImportError, ValueError) as e:
    print(f"SKIP: {e}")
    sys.exit(77)

TOOL = os.path.join(mcutest.BUILD, "tools", "mcu-sdp")
PIPELINE = (
    "webrtcbin name=w bundle-policy=max-bundle "
    "audiotestsrc is-live=true ! opusenc ! rtpopuspay pt=96 ! "
    "application/x-rtp,media=audio,encoding-name=OPUS,payload=96 ! w. "
    "videotestsrc is-live=true ! vp8enc deadline=1 ! rtpvp8pay pt=97 ! "
    "application/x-rtp,media=video,encoding-name=VP8,payload=97 ! w.")


def main():
    Gst.init(None)
    for element in ["webrtcbin", "opusenc", "vp8enc", "rtpopuspay", "rtpvp8pay"]:
        if Gst.ElementFactory.find(element) is None:
            print(f"SKIP: no GStreamer element {element}")
            sys.exit(77)
    pipe = Gst.parse_launch(PIPELINE)
    webrtc = pipe.get_by_name("w")
    loop = GLib.MainLoop()
    state = {}

    def answered(promise, _):
        # Runs when set-remote-description is done: an error lands in the reply.
        reply = promise.get_reply()
        state["error"] = reply.get_value("error") if reply is not None and reply.has_field("error") else None
        GLib.idle_add(loop.quit)

    def apply_answer():
        r = subprocess.run([TOOL, "answer"], input=state["offer"].encode(), capture_output=True, timeout=30)
        state["tool"] = (r.returncode, r.stderr.decode())
        if r.returncode != 0:
            loop.quit()
            return False
        _, sdp = GstSdp.SDPMessage.new_from_text(r.stdout.decode())
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp)
        webrtc.emit("set-remote-description", answer, Gst.Promise.new_with_change_func(answered, None))
        return False

    def on_offer(promise, _):
        reply = promise.get_reply()   # keep the reply alive while reading it
        offer = reply.get_value("offer")
        webrtc.emit("set-local-description", offer, Gst.Promise.new_with_change_func(lambda p, _: None, None))
        state["offer"] = offer.sdp.as_text()
        GLib.idle_add(apply_answer)

    def on_negotiation_needed(_):
        if "asked" not in state:
            state["asked"] = True
            webrtc.emit("create-offer", None, Gst.Promise.new_with_change_func(on_offer, None))

    webrtc.connect("on-negotiation-needed", on_negotiation_needed)
    pipe.set_state(Gst.State.PLAYING)
    timeout = GLib.timeout_add_seconds(30, loop.quit)
    loop.run()
    GLib.source_remove(timeout)
    try:
        mcutest.expect("offer" in state, "webrtcbin made an offer within 30 s")
        mcutest.expect("a=bundle-only" in state["offer"], "the offer is webrtcbin's bundle-only form")
        mcutest.expect(state.get("tool", (1, ""))[0] == 0, f"mcu-sdp answered: {state.get('tool')}")
        mcutest.expect("error" in state and state["error"] is None,
                       f"set-remote-description succeeded: {state.get('error')}")
        signaling = webrtc.get_property("signaling-state")
        mcutest.expect(signaling == GstWebRTC.WebRTCSignalingState.STABLE, f"signaling stable, got {signaling}")
        transceivers = [webrtc.emit("get-transceiver", i) for i in range(3)]
        directions = [t.get_property("current-direction") for t in transceivers if t is not None]
        mcutest.expect(len(directions) == 2 and all(
            d == GstWebRTC.WebRTCRTPTransceiverDirection.SENDRECV for d in directions),
            f"both transceivers sendrecv: {directions}")
    finally:
        pipe.set_state(Gst.State.NULL)
    print("ok: webrtcbin accepted the MCU's answer")


if __name__ == "__main__":
    main()
