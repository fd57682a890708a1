/* SPDX-License-Identifier: MIT */
/*
 * BridgeAdapt: what to send, from what the link says. Pure: inputs are the mcu's REMB (the bitrate it
 * asks for: ~150 kbit/s for a small tile, more for the main tile), the RTCP receiver reports' loss and
 * RTT, and what is actually being sent; outputs are the video bitrate, resolution and frame rate,
 * whether to send audio only, and the Opus loss hint. Called about once a second by the agent.
 *
 * Start: a session starts at start_kbps (BRIDGE_ADAPT_START_KBPS in the agent), below the uplink of a
 * rural 3G site (600 kbit/s with audio and resends on top), and probes up from there. Why not higher: a
 * start above the link's rate fills its queue before the first receiver report can say so (2-3 s), the
 * resends of what the queue drops add to it, and the mcu measures that queue in the RTT of the site's
 * *downlink* reports too.
 * Bitrate: loss above the high mark cuts the bitrate by half the excess loss (from what is really sent
 * when the encoder undershoots), at most every 2 s (a cut waits for a report that saw the last one:
 * cutting on every report of a draining queue overshoots down to audio only); between the marks it holds; below the low mark it probes up by 8 % a
 * second; never above REMB or video-max-kbps; RTT above 1 s holds. The marks are 10 % and 2 % on a
 * link that loses nothing by itself. Loss between the marks while the RTT is 100 ms above its minimum
 * (a queue filling up at a rate cap) cuts too: without it a sender 10 % over a tbf cap holds there.
 * Random loss: a link can lose packets whatever is sent (a radio hop), and cutting then only starves
 * the picture. When the sent rate has fallen by a tenth (over 4 reports at least) and the loss kept 4/5
 * of its level, that level (≤ 20 %) is learnt as the link's own: the marks move above it (+5 % / +2 %),
 * and it is forgotten as soon as the loss is lower. The loss that stays after 3 s of audio only is learnt the same way (the
 * video is not causing it). Loss above 20 % is always treated as congestion.
 * Ladder (share = bitrate / video-max-kbps): full size and rate ≥ 50 %, half the frame rate ≥ 30 %,
 * half the size ≥ 15 %, a quarter of the size below. On a lossy link (smoothed loss ≥ 5 %, until it
 * is < 3 %) the step is chosen as if the share were half: fewer packets per frame, so more frames
 * arrive whole and a lost keyframe is repaired sooner. Each step change makes the encoder start a new
 * keyframe, so steps change at most every 2 s downwards and every 8 s upwards, and going up needs
 * 1.2 × the step's share.
 * Below the floor (video-min-kbps) the site sends audio only, and goes back to video only after the
 * link has allowed 1.5 × the floor for 5 s (no flapping).
 *
 * Threads: the agent's main loop.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint max_kbps;     /* video-max-kbps */
  guint min_kbps;     /* video-min-kbps: the audio-only floor */
  guint start_kbps;   /* where a session starts (clamped to min..max); 0 = half of max_kbps */
  guint width, height, framerate;  /* top of the ladder */
} BridgeAdaptConfig;

typedef struct {
  double loss;        /* fraction lost on the way to the mcu, 0..1; < 0 unknown (no report yet) */
  double rtt_ms;      /* < 0 unknown */
  double send_kbps;   /* audio + video really sent; < 0 unknown */
  guint remb_kbps;    /* what the mcu asks for; 0 unknown */
} BridgeAdaptInput;

typedef struct {
  guint video_kbps;
  guint width, height, framerate;  /* the ladder's step, applied live by media.c */
  guint step;                      /* 0 = top of the ladder */
  gboolean audio_only;
  guint opus_loss_percent;  /* packet-loss-percentage for opusenc (FEC strength) */
  guint random_loss_percent;  /* the loss learnt as the link's own (not caused by our rate), 0 = none */
  const char *why;          /* (transfer none): what decided it, for the log; static string */
} BridgeAdaptOutput;

/* The agent's start_kbps: a 640x360 picture at half the frame rate, under a 600 kbit/s uplink. */
#define BRIDGE_ADAPT_START_KBPS 350

typedef struct _BridgeAdapt BridgeAdapt;

/* (transfer full) */
BridgeAdapt *bridge_adapt_new (const BridgeAdaptConfig *config);
void bridge_adapt_free (BridgeAdapt *adapt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeAdapt, bridge_adapt_free)

/* One step with fresh stats; @now in µs (monotonic). */
BridgeAdaptOutput bridge_adapt_update (BridgeAdapt *adapt, const BridgeAdaptInput *input, gint64 now);
BridgeAdaptOutput bridge_adapt_get (const BridgeAdapt *adapt);
/* Back to the starting point (a fresh session). */
void bridge_adapt_reset (BridgeAdapt *adapt);

/* The retransmission budget. Why: a receiver that keeps asking for the same lost packets (a NACK
 * retry timer running on a stale RTT) made webrtcbin resend them up to 10 times; on a 400 kbit/s
 * uplink that was 2-8 Mbit/s of retransmissions, which the cap then dropped, so the loss climbed and
 * the picture collapsed. So: a packet is not resent again within the RTT (the first resend cannot
 * have arrived yet), and resends past a token bucket of @rate_kbps (holding up to 1 s of it) are
 * dropped: the picture then recovers from a keyframe instead of the link drowning.
 * Pure, allocation-free: called per RTX packet on the sending thread. */
#define BRIDGE_RTX_RECENT 64

typedef struct {
  double tokens;   /* bytes */
  gint64 last_us;  /* 0: not started */
  guint16 recent_seq[BRIDGE_RTX_RECENT];  /* original sequence numbers resent lately */
  gint64 recent_us[BRIDGE_RTX_RECENT];    /* 0: empty */
  guint next;
} BridgeRtxBudget;

typedef enum {
  BRIDGE_RTX_SEND,
  BRIDGE_RTX_REPEAT,       /* resent within the RTT already */
  BRIDGE_RTX_OVER_BUDGET,
} BridgeRtxVerdict;

#define BRIDGE_RTX_BUDGET_SHARE 0.25  /* of the video bitrate */
#define BRIDGE_RTX_BUDGET_MIN_KBPS 32

/* The budget's rate for a video bitrate. */
guint bridge_rtx_budget_kbps (guint video_kbps);
/* Whether to send a resend of packet @seq (its original sequence number) of @bytes at @now_us; a
 * sent one takes from the budget. @repeat_us: the RTT (a repeat within it is dropped). */
BridgeRtxVerdict bridge_rtx_budget_take (BridgeRtxBudget *budget, guint16 seq, guint bytes, guint rate_kbps,
                                         gint64 repeat_us, gint64 now_us);

G_END_DECLS
