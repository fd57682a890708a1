#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Bad links end to end with the real bridge-agent (issue 10): the agent (--source test --headless,
640x360@15) in its own network namespace on a named link profile (netns.PROFILES), and a headless
Chromium (whip-browser.js, speech from test_profiles.speech_wav) on this host as the reference site, both
in one mix room (test_profiles.CONFIG: tiers 640x360 and 320x180, then the ladder's thumbnail and audio
only). The agent hears the reference site's speech through the mcu (the mix leaves out its own voice),
so the mcu's Opus carries in-band FEC as it does in a meeting.

Measured on the agent, from its /status.json `recv` counters, polled every 0.5 s after a warm-up:
- audio continuity: the share of 20 ms frames concealed (no packet reached opusdec in time and the next
  one carried no FEC for it: PLC made it up); the frames rebuilt from FEC are counted apart;
- video freeze time per minute: the agent sums the gaps between decoded frames longer than
  max(200 ms, 3 × the usual interval) (Chromium's rule), in the frames' own time (PTS: what a display
  synchronised to the clock shows, as the agent's window is); a gap still going on at either end of the
  window is cut at the window's edge, and judged by the same rule once the frame that ends it is decoded
  (the agent is sampled past the window's end until then). The same rule on the wall-clock times frames leave the decoder
  (the headless agent's unsynchronised fakesink: network jitter and resend waits included) is printed
  beside it as "arrival gaps";
- time back to media after each flap: from the link's return to the first sample after which decoded
  video frames and received audio frames grow again and keep growing (test_profiles.time_back);
- the tier chosen: the width of the composite the agent decodes, and the rungs of the mcu's link
  history (report.csv, test_profiles.check_report);
- the join time: from the agent's start to its /status.json state "connected" (media flowing both
  ways). The measurement starts there (t0), not when the mcu's roster lists the site: a site is listed
  as soon as it has a session, and a join that went wrong (an abandoned POST, a failed ICE) then put
  seconds without media into the window, which the audio check blamed on the link.
Targets asserted (the issue's): at `bad` at most 5 % of audio frames concealed; at `rural-3g` video
frozen at most 1 s a minute; media flowing again within 5 s after every flap; and the join within
JOIN_MAX_S (generous: a join that really broke still fails).

And "udp-blocked" (no Chromium): a site whose network drops all UDP. The agent's first join (UDP alone,
see bridge-agent/reconnect.h) fails at ICE; the next gathers ICE-TCP, and media must flow over TCP
within UDP_BLOCKED_MAX_S of the agent's start.

    test_profiles_agent.py [PROFILE...]    (default: rural-3g bad flappy udp-blocked)

Prints a table (one row per profile). Skips (77) without network namespaces or netimpair-delay."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agenttest  # noqa: E402
import mcutest  # noqa: E402
import netns  # noqa: E402
import test_profiles as tp  # noqa: E402

# The agent joins by token, as a bridge point does (a re-join after a cut is then the same site, whose
# outage the mcu's history counts); the reference browser is a guest.
AGENT_TOKEN = "profiles-agent-token-3c9e"
CONFIG = tp.CONFIG + "".join(f"[site agent-{p}]\nroom = meet\nname = agent-{p}\ntoken = {AGENT_TOKEN}-{p}\n"
                             for p in netns.PROFILES)
WARMUP_S = 8
SECONDS = {"good": 24, "adsl": 24, "rural-3g": 32, "bad": 32, "flappy": 36}
POLL_S = 0.5
# Agent start → media flowing both ways, at most (s). Measured 2026-11-25 on the shared 2-core machine
# (the agent alone, a loop of joins): bad 5.9-14.6 s (median 8.5) in 40 joins, none needing a second
# attempt (before the two-phase WHIP timeout and the 4 ICE transmissions: 5 of 23 joins did, 12-23 s);
# good 2.2-3.3 s. The offer alone took 0.2-4.4 s of it (the pipeline's start on a busy CPU), the POST
# 1.4-6.6 s, answer → media 2.5-7.7 s. In 6 full runs: rural-3g 3.9-6.1 s, bad 7.3-10.3 s, flappy 1.5-3.6 s.
# On bad one join in the final test run of 2026-11-25 took 25.5 s: the mcu's DTLS gave up after 10 s with
# ICE connected (handshake flights lost), and the agent's re-join worked in 6 s. That is the recovery
# working, so bad allows one such retry; a join that never works still fails.
JOIN_MAX_S = {"good": 6, "adsl": 6, "rural-3g": 12, "bad": 40, "flappy": 6}
JOIN_DEADLINE_S = 60   # give up waiting (the run fails): the join is broken, not slow
FREEZE_MIN_MS = 200   # the agent's rule (bridge-agent/media.c): a gap above this may be a freeze

# Targets the agent does not meet yet: measured and printed as XFAIL (XPASS when met); MCU_PROFILES_STRICT=1
# fails them. History of rural-3g/frozen (s a minute frozen, target <= 1): a known miss until the agent
# offered transport-cc, started at 350 kbit/s and added the receiver reports webrtcbin drops (0.0-0.7 in 6
# runs); back on the list when about one quiet run in three missed (1.1-3.0); then the agent's missing RTT,
# tier moves and the window's edges were fixed (18 of 24 runs at 0.0-0.7; 2 quiet misses, 2.0 and 6.8, with
# ~90 % of the uplink "lost" and the rest ~5 s late for ~10 s; 4 under load 6-8).
# Sixth session (2026-11-25): those quiet misses were calls carried by ICE-TCP. libnice nominated the TCP
# pair (the agent's active candidate, the mcu's passive one) in 2 of 19 joins although UDP worked, and TCP
# cannot carry 350 kbit/s over 300 ms and 3 % loss: a 75 kB send queue (the 5-6 s RTT), libnice's drops
# when it is full (the "loss"), the agent fell to audio only. The emulated link dropped and held nothing
# unusual in those runs (tbf, NFQUEUE, nft and the mcu's socket counters sampled every 0.5 s). The agent
# now gathers ICE-TCP only after a failed join (bridge-agent/reconnect.h) and the test checks that the media
# ran over UDP. In 18 runs after: 14 with the agent answering its status on time all passed (0.0 x 13,
# 0.6); the 3 misses (7.3, 7.4, 10.3) came with the machine loaded by other work (load 7-13) and the
# agent's status polls late (4-16 of them over 0.9 s apart; 0-1 in the passes but one), as did the 4
# loaded misses before. So the miss is known only for a starved run: STARVED_POLLS or more status polls
# over LATE_POLL_MS apart in the window (its figures then measure the machine); otherwise it is strict.
KNOWN_MISSES_WHEN_STARVED = {
    "rural-3g/frozen": "the machine starved the agent (status polls late): under load 7-13 the agent's video "
                       "froze 7-10 s a minute in 3 of 18 runs; on time it met the target in 14 of 14",
}
LATE_POLL_MS = 900     # the poll period is POLL_S plus the answer: ~0.55-0.7 s when the agent is not starved
STARVED_POLLS = 3


def agent_sample(agent, t0):
    s = agent.status()
    r = s.get("recv") or {}
    return {"t": round((time.monotonic() - t0) * 1000), "state": s.get("state"), "rtt_ms": s.get("rtt_ms"),
            "reconnects": s.get("reconnects"), "send_kbps": s.get("send_kbps"), "sending": s.get("video"),
            "audio_only": s.get("audio_only"), "ice_transport": s.get("ice_transport"),
            "audio_frames": r.get("audio_frames", 0), "audio_concealed": r.get("audio_concealed", 0),
            "audio_fec": r.get("audio_fec", 0), "video_frames": r.get("video_frames", 0),
            "video_lost": r.get("video_lost", 0), "packets_received": s.get("packets_received", 0),
            "video_frozen_ms": r.get("video_frozen_ms", 0), "arrival_gaps_ms": r.get("video_arrival_gaps_ms", 0),
            "ago_ms": r.get("video_last_frame_ms_ago"),
            "width": r.get("video_width", 0),
            # test_profiles.time_back's names: decoded frames, audio that came in as packets
            "frames_decoded": r.get("video_frames", 0),
            "in_audio_packets": r.get("audio_frames", 0) - r.get("audio_concealed", 0) - r.get("audio_fec", 0)}


def ongoing_freeze_ms(s):
    ago = s.get("ago_ms")
    return ago if ago is not None and ago > FREEZE_MIN_MS else 0


def edge_freeze_ms(at, later):
    """The freeze going on at sample @at, by the same rule as the agent's counter: the gap between two
    frames' PTS, counted when the frame that ends it is decoded. @later: the samples after @at. A wait
    for a resent packet also leaves the last decoded frame hundreds of ms old (`ago`), yet the frames
    then decoded carry their PTS in order: no freeze, and the agent's counter does not grow. So: when
    the next decoded frame came, what the counter grew by then (at most `ago`); when none came, `ago`
    (still frozen)."""
    ago = ongoing_freeze_ms(at)
    if ago == 0:
        return 0
    for s in later:
        if s["video_frames"] > at["video_frames"]:
            return min(ago, max(s["video_frozen_ms"] - at["video_frozen_ms"], 0))
    return ago


def measure(samples, flaps_ms=(), tail=()):
    """The agent's figures over its samples after the warm-up (t in ms since it joined); @tail: samples
    taken after the window, only to judge a gap going on at its end."""
    window = [s for s in samples if s["t"] >= WARMUP_S * 1000]
    mcutest.expect(len(window) >= 10, f"enough agent samples after the warm-up: {len(window)}")
    first, last = window[0], window[-1]
    d = lambda k: (last.get(k) or 0) - (first.get(k) or 0)  # noqa: E731
    span_s = (last["t"] - first["t"]) / 1000
    # A gap going on at either edge is cut there: the part before the window is not counted, the part
    # after it is (see edge_freeze_ms; `ago` alone once counted a resend wait at the end as a freeze).
    frozen_ms = d("video_frozen_ms") - edge_freeze_ms(first, window[1:]) + edge_freeze_ms(last, list(tail))
    widths = [s["width"] for s in window[len(window) // 2:]]
    rtts = sorted(s["rtt_ms"] for s in window if s.get("rtt_ms") is not None)
    fig = {"concealed_pct": 100.0 * d("audio_concealed") / d("audio_frames") if d("audio_frames") > 0 else 100.0,
           "fec_pct": 100.0 * d("audio_fec") / d("audio_frames") if d("audio_frames") > 0 else 0.0,
           "audio_frames": d("audio_frames"), "frozen_s": max(frozen_ms, 0) / 1000,
           "frozen_s_per_min": 60.0 * max(frozen_ms, 0) / 1000 / span_s, "span_s": span_s,
           "arrival_gaps_s_per_min": 60.0 * d("arrival_gaps_ms") / 1000 / span_s,
           "fps": d("video_frames") / span_s,
           "video_lost_per_s": d("video_lost") / span_s, "packets_per_s": d("packets_received") / span_s, "width": max(set(widths), key=widths.count),
           "rtt_ms": rtts[len(rtts) // 2] if rtts else None, "reconnects": d("reconnects"),
           "back_s": [tp.time_back(samples, up_ms, hold=6) for up_ms in flaps_ms],
           "transports": sorted({s["ice_transport"] for s in window if s.get("ice_transport")}),
           "late_polls": sum(1 for a, b in zip(window, window[1:]) if b["t"] - a["t"] > LATE_POLL_MS),
           "load": os.getloadavg()[0]}
    return fig


def wait_joined(agent, started):
    """Seconds from the agent's start to its state "connected" (polled every 0.2 s); fails after
    JOIN_DEADLINE_S."""
    agent.wait_for("the agent's media flowing both ways", lambda s: s.get("state") == "connected", JOIN_DEADLINE_S)
    return time.monotonic() - started


def scenario(profile, config):
    seconds = SECONDS[profile]
    name = f"agent-{profile}"
    # The reference browser runs from before the agent starts until the agent's window ends, however
    # long (within its bound) the agent's join took.
    browser_s = seconds + 6 + JOIN_MAX_S[profile]
    with netns.Site(profile[:5]) as site:
        site.apply_profile(profile, flap_first_after_s=10**6)  # flaps start once the call is up
        with mcutest.Mcu(args=["--http", f"{site.host_ip}:0"], config=config) as mcu:
            good = tp.browser(mcu.url, "site-reference", browser_s)
            started = time.monotonic()
            with agenttest.Agent(["--server", mcu.url, "--room", "meet", "--token", f"{AGENT_TOKEN}-{profile}",
                                  "--source", "test", "--headless"], netns=site.ns) as agent:
                join_s = wait_joined(agent, started)
                tp.wait_connected(mcu.url, 2, deadline_s=60)   # the reference site too
                t0 = time.monotonic()
                flap = netns.PROFILES[profile]["flap"]
                if flap:
                    site.start_flapping(tp.FLAP_DOWN_S, flap[1], first_after_s=tp.FLAP_AT_S)
                samples = []
                while time.monotonic() - t0 < seconds:
                    try:
                        samples.append(agent_sample(agent, t0))
                    except (OSError, ValueError):
                        pass   # the status page is local to the namespace; a slow answer is a lost sample
                    time.sleep(POLL_S)  # the sampling period, not a wait for an event
                # A gap going on at the window's end is judged by the frame that ends it (edge_freeze_ms):
                # sample until the next frame is decoded, for at most 3 s.
                tail = []
                while samples and time.monotonic() - t0 < seconds + 3 and (
                        not tail or tail[-1]["video_frames"] <= samples[-1]["video_frames"]):
                    try:
                        tail.append(agent_sample(agent, t0))
                    except (OSError, ValueError):
                        pass
                    time.sleep(0.1)   # the polling period, not a wait for an event
                site.stop_flapping()
                flaps_ms = [(up - t0) * 1000 for _, up in site.flaps if up is not None]
                if os.environ.get("MCU_PROFILES_DUMP"):
                    with open(f"{os.environ['MCU_PROFILES_DUMP']}-agent-{profile}.json", "w") as f:
                        json.dump({"agent": samples, "tail": tail, "flaps_ms": flaps_ms}, f)
                fig = measure(samples, flaps_ms, tail)
                fig["join_s"] = join_s
                fig.update(tp.check_report(mcu.url, profile, name))
                for line in agent.log_text().splitlines():
                    if "→" in line or "AUDIO ONLY" in line:
                        print(f"agent: {line}")
                mcutest.expect(agent.stop() == 0, "the agent exits cleanly")
            r_good = tp.finish("site-reference", good, browser_s)
            fig_good = tp.measure(r_good["samples"])
            mcutest.expect(mcu.stop() == 0, "clean stop")
    return fig_good, fig


def check_targets(profile, fig):
    mcutest.expect(fig["join_s"] <= JOIN_MAX_S[profile],
                   f"{profile}: the agent joined (media both ways) within {JOIN_MAX_S[profile]} s of its start: "
                   f"took {fig['join_s']:.1f} s")
    # The agent's receiver reports reach the mcu (loss, and the RTT from LSR/DLSR): with transport-wide
    # feedback on, webrtcbin sends only early RTCP without report blocks unless the agent adds them.
    mcutest.expect(fig["history_rtt_ms"] is not None,
                   f"{profile}: the mcu measured the agent's RTT (its receiver reports arrive)")
    # And the agent knows its own RTT (the mcu's reports carry LSR/DLSR about our SRs): its receive jitter
    # buffers follow it, or no resent packet is in time (it once had none all session in one join in five).
    mcutest.expect(fig["rtt_ms"] is not None, f"{profile}: the agent measured its RTT (the mcu's reports about "
                   f"its streams answer its SRs)")
    # The media ran over UDP: with ICE-TCP gathered too, libnice once nominated the TCP pair in about one
    # join in ten on rural-3g; TCP cannot carry the call there (a 5-6 s queue, the agent fell to audio
    # only). The agent now gathers TCP only after a failed join; bad allows one such re-join (JOIN_MAX_S).
    if profile != "bad":
        mcutest.expect(fig["transports"] == ["udp"], f"{profile}: the agent's media ran over ICE UDP: {fig['transports']}")
    if profile != "flappy":   # (a flap stops everything for its 10 s)
        mcutest.expect(fig["audio_frames"] >= 40 * fig["span_s"],
                       f"{profile}: the agent played audio all along ({fig['audio_frames']} frames in "
                       f"{fig['span_s']:.0f} s; 50 a second)")
    starved = fig["late_polls"] >= STARVED_POLLS
    if starved:
        print(f"{profile}: the agent was starved: {fig['late_polls']} status polls over {LATE_POLL_MS} ms apart "
              f"(load {fig['load']:.1f})")
    tp.issue_targets(profile, fig, KNOWN_MISSES_WHEN_STARVED if starved else {})


def table(results):
    lines = ["| profile | join s | concealed % (FEC-rebuilt %) | frozen s/min (arrival gaps) | fps | width | rungs (ladder) "
             "| back after flap s | rtt ms (agent / mcu) | reference browser: width, frozen s/min, concealed % |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for profile, (good, fig) in results.items():
        back = ", ".join(f"{b:.1f}" if b is not None else "never" for b in fig["back_s"]) or "-"
        rtt = f"{fig['rtt_ms']:.0f}" if fig["rtt_ms"] is not None else "-"
        hist = f"{fig['history_rtt_ms']:.0f}" if fig["history_rtt_ms"] is not None else "-"
        lines.append(f"| {profile} | {fig['join_s']:.1f} | {fig['concealed_pct']:.1f} ({fig['fec_pct']:.1f}) | "
                     f"{fig['frozen_s_per_min']:.1f} ({fig['arrival_gaps_s_per_min']:.1f}) | {fig['fps']:.1f} | {fig['width']} | "
                     f"{' → '.join(fig['rungs'])} | {back} | {rtt} / {hist} | {good['width']}, "
                     f"{good['frozen_s_per_min']:.1f}, {good['concealed_pct']:.1f} |")
    return "\n".join(lines)


# Agent start → media over ICE-TCP with UDP dropped (s): measured 15.6 s (2026-11-25: the UDP-only join's
# ICE gave up after ~10 s, the re-join with TCP had media 5 s later).
UDP_BLOCKED_MAX_S = 40


def udp_blocked(config):
    """The agent on a link that drops every UDP packet both ways (netdev ingress on each end, as a
    firewall would); returns (seconds from its start to media both ways, its ICE transport)."""
    with netns.Site("udpbl") as site:
        site.apply_profile("good")
        table = f"{site.ns}udp"
        where = (([], site.host_if), (["ip", "netns", "exec", site.ns], site.site_if))
        try:
            for prefix, dev in where:
                subprocess.run(prefix + ["nft", "-f", "-"], check=True, text=True, capture_output=True, timeout=30,
                               input=f"table netdev {table} {{\n  chain drop_udp {{ type filter hook ingress device "
                                     f"\"{dev}\" priority -10; policy accept;\n    meta l4proto udp drop\n  }}\n}}\n")
            with mcutest.Mcu(args=["--http", f"{site.host_ip}:0"], config=config) as mcu:
                started = time.monotonic()
                with agenttest.Agent(["--server", mcu.url, "--room", "meet", "--token", f"{AGENT_TOKEN}-good",
                                      "--source", "test", "--headless"], netns=site.ns) as agent:
                    agent.wait_for("media both ways with UDP dropped", lambda st: st.get("state") == "connected",
                                   UDP_BLOCKED_MAX_S + 20)
                    took = time.monotonic() - started
                    s = agent.status()
                    frames = (s.get("recv") or {}).get("video_frames", 0)
                    agent.wait_for("video frames arriving over the TCP pair",
                                   lambda st: (st.get("recv") or {}).get("video_frames", 0) >= frames + 10, 15)
                    for line in agent.log_text().splitlines():
                        if "→" in line or "media over" in line:
                            print(f"agent: {line}")
                    mcutest.expect(agent.stop() == 0, "the agent exits cleanly")
                mcutest.expect(mcu.stop() == 0, "clean stop")
        finally:
            for prefix, _ in where:
                subprocess.run(prefix + ["nft", "delete", "table", "netdev", table], capture_output=True, timeout=30)
    return took, s.get("ice_transport")


def main():
    profiles = sys.argv[1:] or ["rural-3g", "bad", "flappy", "udp-blocked"]
    if not os.access(netns.delay_helper(), os.X_OK):
        print(f"SKIP: {netns.delay_helper()} is not built (needs libnetfilter_queue)")
        sys.exit(netns.SKIP)
    results, failures = {}, []
    tp.speech_wav(tp.SPEECH)
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as config:
        config.write(CONFIG)
        config.flush()
        try:
            for profile in profiles:
                if profile == "udp-blocked":
                    took, transport = udp_blocked(config.name)
                    print(f"udp-blocked: media both ways after {took:.1f} s, over ICE {transport}", flush=True)
                    if transport != "tcp" or took > UDP_BLOCKED_MAX_S:
                        print(f"FAIL: udp-blocked: media over ICE-TCP within {UDP_BLOCKED_MAX_S} s of the agent's "
                              f"start: {took:.1f} s over {transport}")
                        failures.append(profile)
                    continue
                good, fig = scenario(profile, config.name)
                results[profile] = (good, fig)
                print(f"{profile}: agent {json.dumps(fig)}\n{profile}: reference {json.dumps(good)}", flush=True)
                try:
                    check_targets(profile, fig)
                except SystemExit:
                    failures.append(profile)
        finally:
            os.unlink(tp.SPEECH)
    print(table(results))
    mcutest.expect(not failures, f"targets missed for: {failures}")
    print("ok")


if __name__ == "__main__":
    main()
