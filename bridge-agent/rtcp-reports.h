/* SPDX-License-Identifier: MIT */
/*
 * Receiver reports that webrtcbin 1.22 stops sending once transport-wide feedback is on.
 *
 * Why: rtpsession sends transport-wide feedback (and NACKs) as "early" RTCP, and an early packet carries
 * no report blocks. With feedback queued every ~45 ms there is always an early packet pending when the
 * regular report is due, so that one goes out early too, without report blocks: on a 300 ms link the
 * mcu got no loss, no RTT (LSR/DLSR) from the agent for tens of seconds — its ladder, the Opus FEC
 * hints and the link history all read those. So: when an early packet is being sent and no report
 * blocks went out for BRIDGE_RTCP_REPORT_INTERVAL_US, a report is appended to it (rtpsession's
 * on-sending-rtcp, made for adding packets): one block per remote sender from the sources' own
 * statistics (cumulative loss, fraction lost since the last block of either kind, jitter, LSR/DLSR from
 * the arrival of each sender's last SR, seen in on-ssrc-active), in an SR per sender of ours whose
 * sender info holds the real-time NTP clock (rtpsession's) and the stream's RTP timestamp extrapolated
 * from its last packet into webrtcbin (or from rtpsession's last SR for it). The SRs matter as much: the agent's own
 * RTT comes from the LSR/DLSR of the mcu's reports about our streams, which needs our SRs to arrive.
 * Before any packet of ours, an RR.
 *
 * Threads: bridge_rtcp_reports_attach on any thread; then on-ssrc-active runs on the thread that
 * receives RTCP and on-sending-rtcp on rtpsession's RTCP thread; the state between them is under a
 * mutex (held only to copy a few numbers). The state lives as long as the RTP session's handlers.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define BRIDGE_RTCP_REPORT_INTERVAL_US (1 * G_USEC_PER_SEC)

/* Hooks the reports into @rtp_session (an RTPSession: rtpbin's get-internal-session) of @webrtc, whose
 * sink pads (our RTP, linked already) are watched for each stream's RTP clock: a probe per packet
 * notes its SSRC and timestamp, under the mutex, without allocating. */
void bridge_rtcp_reports_attach (GObject *rtp_session, GstElement *webrtc);

/* The pure part. A report block about one remote sender from its counters. */
typedef struct {
  guint64 expected;        /* packets expected (received + cumulative lost) */
  guint64 received;
} BridgeRtcpCounts;

typedef struct {
  guint8 fraction_lost;    /* 1/256 units, since @previous */
  gint32 cumulative_lost;  /* clamped to the 24-bit signed range */
  guint32 lsr, dlsr;       /* middle 32 bits of the SR's NTP time; 1/65536 s since it arrived; 0 = none */
} BridgeRtcpBlock;

/* @sr_ntp: the last SR's NTP timestamp (0 = none); @sr_age_us: how long ago it arrived. */
BridgeRtcpBlock bridge_rtcp_block (const BridgeRtcpCounts *now, const BridgeRtcpCounts *previous,
                                   gint64 cumulative_lost, guint64 sr_ntp, gint64 sr_age_us);

G_END_DECLS
