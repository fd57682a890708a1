/* SPDX-License-Identifier: MIT */
/*
 * BridgeAdapt: what to send, from what the link says. Pure: inputs are the mcu's REMB (the bitrate it
 * asks for: ~150 kbit/s for a small tile, more for the main tile) and the RTCP receiver reports' loss
 * and RTT; outputs are the video bitrate, resolution and frame rate, whether to send audio only, and the
 * Opus loss hint. Called once a second by the agent with fresh stats.
 *
 * Rules: loss above 10 % cuts the bitrate in proportion; 2–10 % holds; below 2 % probes up by 8 % a
 * second; never above REMB or video-max-kbps. Resolution and frame rate step down with the bitrate.
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
  guint width, height, framerate;  /* top of the ladder */
} BridgeAdaptConfig;

typedef struct {
  guint video_kbps;
  guint width, height, framerate;  /* the ladder's suggestion; not applied live yet (see media.c) */
  gboolean audio_only;
  guint opus_loss_percent;  /* packet-loss-percentage for opusenc (FEC strength) */
  const char *why;          /* (transfer none): what decided it, for the log; static string */
} BridgeAdaptOutput;

typedef struct _BridgeAdapt BridgeAdapt;

/* (transfer full) */
BridgeAdapt *bridge_adapt_new (const BridgeAdaptConfig *config);
void bridge_adapt_free (BridgeAdapt *adapt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeAdapt, bridge_adapt_free)

/* @loss: fraction lost 0..1 (< 0 unknown); @rtt_ms (< 0 unknown); @remb_kbps (0 unknown); @now in µs. */
BridgeAdaptOutput bridge_adapt_update (BridgeAdapt *adapt, double loss, double rtt_ms, guint remb_kbps, gint64 now);
BridgeAdaptOutput bridge_adapt_get (const BridgeAdapt *adapt);
/* Back to the starting point (a fresh session). */
void bridge_adapt_reset (BridgeAdapt *adapt);

G_END_DECLS
