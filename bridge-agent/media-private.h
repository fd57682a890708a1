/* SPDX-License-Identifier: MIT */
/*
 * Shared between media.c (capture, playback, adaptation) and session.c (webrtcbin sessions).
 * Threads: as in media.h. Fields marked (atomic) are written by pad probes on streaming threads.
 */
#pragma once

#include <gst/gst.h>

#include "media.h"

typedef struct _BridgeSession BridgeSession;

struct _BridgeMedia {
  BridgeMediaConfig config;     /* strings owned below */
  char *source, *video_device, *audio_device, *audio_file;
  const BridgeMediaHooks *hooks;
  gpointer user_data;

  GstElement *pipeline;
  GstElement *vtee, *atee;      /* capture outputs (RTP), allow-not-linked */
  GstElement *amix;             /* playback mixer: silence + received audio */
  GstElement *venc, *aenc, *vcaps, *vrate, *vvalve, *mic;
  guint bus_watch;

  BridgeSession *session;       /* NULL between sessions */
  guint next_generation;

  /* (atomic) counters, 32-bit wrapping; widened in bridge_media_get_counters */
  guint packets_received, packets_sent, frames_received, audio_buffers_received;
  guint remb_kbps;              /* (atomic) last REMB from the mcu */
  guint64 totals[4];
  guint last_raw[4];
  guint64 last_bytes_sent, last_packets_sent, last_packets_lost;
  gint64 last_stats_time;
  gboolean audio_only;
  guint applied_kbps;           /* last values given to the encoders */
  guint applied_loss_percent;
};

/* media.c: asks vp8enc for a keyframe now (a new session starts with one). */
void bridge_media_force_keyframe (BridgeMedia *media);

/* session.c */
void bridge_session_handle_bus_error (BridgeMedia *media, GstMessage *message);
GstPadProbeReturn bridge_media_count_probe (GstPad *pad, GstPadProbeInfo *info, gpointer counter);
