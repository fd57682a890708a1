/* SPDX-License-Identifier: MIT */
/*
 * Shared between media.c (capture, playback, adaptation) and session.c (webrtcbin sessions).
 * Threads: as in media.h. Fields marked (atomic) are written by pad probes on streaming threads.
 */
#pragma once

#include <gst/gst.h>

#include "media.h"

typedef struct _BridgeSession BridgeSession;

#define BRIDGE_VIDEO_PT 96  /* rtpvp8pay's payload type, kept by the mcu's answer */

struct _BridgeMedia {
  BridgeMediaConfig config;     /* strings owned below */
  char *source, *video_device, *audio_device, *audio_file;
  const BridgeMediaHooks *hooks;
  gpointer user_data;

  GstElement *pipeline;
  GstElement *vtee, *atee;      /* capture outputs (RTP), allow-not-linked */
  GstElement *amix;             /* playback mixer: silence + received audio */
  GstElement *venc, *aenc, *vcaps, *vvalve, *mic;
  guint bus_watch;

  BridgeSession *session;       /* NULL between sessions */
  guint next_generation;

  /* (atomic) counters, 32-bit wrapping; widened in bridge_media_get_counters */
  guint packets_received, packets_sent, frames_received, audio_buffers_received;
  guint remb_kbps;              /* (atomic) last REMB from the mcu */
  gint rtx_pt;                  /* (atomic) our RTX payload type in this session, -1 unknown */
  guint rtx_budget_kbps;        /* (atomic) set by bridge_media_apply */
  gint rtt_ms;                  /* (atomic) last RTT to the mcu (0 unknown): resends wait this long */
  BridgeRtxBudget rtx_budget;   /* the sending thread's bucket (one session at a time) */
  guint rtx_dropped;            /* (atomic) resends past the budget */
  guint video_packets_out;      /* (atomic) our video RTP leaving webrtcbin's rtprtxsend (not resends) */
  guint video_packets_captured; /* (atomic) video RTP the capture made (into vtee) */
  guint bytes_sent;             /* (atomic, wrapping) RTP bytes handed to webrtcbin, and resends let through */
  guint last_bytes_sent;        /* for the send rate, with last_stats_time */
  guint64 totals[7];
  guint last_raw[7];
  gboolean have_last_rb;        /* the mcu's last report block counts (session.c report_loss) */
  guint64 last_rb_ext_seq;
  gint64 last_rb_lost;
  double last_loss;             /* < 0 unknown */
  gint64 last_stats_time;
  gboolean audio_only;
  guint applied_kbps;           /* last values given to the encoders */
  guint applied_width, applied_height, applied_framerate;  /* the ladder step in vcaps */
  guint applied_loss_percent;

  /* Receive side (bridge_media_watch_recv). (atomic) counters, 32-bit wrapping, widened in
   * bridge_media_get_counters: 20 ms audio frames played / concealed / rebuilt by FEC, video frames,
   * frozen milliseconds. */
  guint recv_raw[7];
  guint64 recv_totals[7];
  guint recv_last_raw[7];
  guint recv_gap_samples;       /* audio decoder's thread: lost samples (GAPs) not yet resolved */
  gint64 recv_epoch_us;         /* monotonic time the media was made; frame times count from it */
  gint recv_video_last_ms;      /* (atomic) time of the last decoded frame since recv_epoch_us + 1; 0 none */
  guint recv_video_interval_ms; /* video decoder's thread: smoothed interval between frames (their PTS) */
  guint64 recv_video_last_pts;  /* video decoder's thread: PTS of the last frame; GST_CLOCK_TIME_NONE: none in
                                 * this session (a new decoder: the gap since the last one counts by the clock) */
  guint recv_video_width, recv_video_height;  /* (atomic) of the decoded frames */
};

enum { BRIDGE_RECV_AUDIO_FRAMES, BRIDGE_RECV_AUDIO_CONCEALED, BRIDGE_RECV_AUDIO_FEC, BRIDGE_RECV_VIDEO_FRAMES,
       BRIDGE_RECV_VIDEO_FROZEN_MS, BRIDGE_RECV_VIDEO_ARRIVAL_GAPS_MS,
       BRIDGE_RECV_VIDEO_LOST };

/* An Opus packet's duration in 48 kHz samples (0: not a valid packet) and whether its first frame carries
 * SILK in-band FEC (LBRR) for the frame before it (*lbrr FALSE when unknown: CELT-only, or framing code 3).
 * Pure: safe on any thread. */
guint bridge_opus_packet_info (const guint8 *data, gsize len, gboolean *lbrr);

/* media.c, called by session.c when a receive bin is made (streaming thread, once per bin): turns on
 * Opus in-band FEC in its decoder and counts what the decoders hand on (see BridgeRecvStats). */
void bridge_media_watch_recv (BridgeMedia *media, GstElement *bin, gboolean audio);

/* media.c: asks vp8enc for a keyframe now (a new session starts with one). */
void bridge_media_force_keyframe (BridgeMedia *media);

/* session.c */
void bridge_session_handle_bus_error (BridgeMedia *media, GstMessage *message);
GstPadProbeReturn bridge_media_count_probe (GstPad *pad, GstPadProbeInfo *info, gpointer counter);
