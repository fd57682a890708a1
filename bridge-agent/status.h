/* SPDX-License-Identifier: MIT */
/*
 * The site's local status: a JSON snapshot (bridge_status_to_json, pure) and a small HTTP server for
 * the site's staff (BridgeStatusServer, libsoup-3):
 *   GET  /             the status page (Vietnamese by default, ?lang=en for English) with raise-hand
 *                      and local-mute buttons; it polls /status.json every second
 *   GET  /status.json  {state, since, reconnects, rtt_ms, loss, send_kbps, audio_only, last_error,
 *                      video: {kbps, width, height, fps}, remb_kbps, adapt, ice_transport, recv: {...}, ...}
 *   POST /mute         body "true"/"false": local microphone mute
 *   POST /hand         body "true"/"false": raise or lower the hand
 *
 * Threads: the server and its hooks run on the agent's main loop.
 */
#pragma once

#include <glib.h>

#include "reconnect.h"

G_BEGIN_DECLS

/* What the site receives from the mcu, counted after the decoders, over the whole process (all sessions).
 * Audio in 20 ms frames (48 kHz: 960 samples): a frame is "concealed" when no packet for it reached the
 * Opus decoder (the jitter buffer gave up on it: a GAP) and the next packet carried no in-band FEC for it,
 * so opusdec made it up (PLC); "fec" counts the lost frames rebuilt from the next packet's FEC instead. */
typedef struct {
  guint64 audio_frames;        /* 20 ms frames played: received + fec + concealed */
  guint64 audio_concealed;     /* made up by PLC (no packet, no FEC) */
  guint64 audio_fec;           /* rebuilt from the next packet's in-band FEC */
  guint64 video_frames;        /* decoded VP8 frames */
  guint64 video_frozen_ms;     /* sum of the gaps between decoded frames longer than max(200 ms, 3 × the
                                * usual interval), Chromium's freeze rule, in the frames' own time (PTS: what
                                * a display synchronised to the clock shows; the jitter buffer's wait for a
                                * resend within its latency is no freeze); an ongoing gap is not in it yet */
  guint64 video_arrival_gaps_ms; /* the same rule on the wall-clock times frames leave the decoder (what an
                                  * unsynchronised sink sees: network jitter and resend waits included) */
  guint64 video_lost;          /* video packets the jitter buffer gave up (GstRTPPacketLost events: lost on
                                * the way, or too late for its latency even after a NACK) */
  gint64 video_last_frame_ms_ago;  /* < 0: no frame decoded yet */
  guint video_width, video_height; /* of the last decoded frame (the tier the mcu sends us); 0 unknown */
} BridgeRecvStats;

typedef struct {
  BridgeState state;
  gint64 since_unix_us;      /* wall-clock time the state was entered */
  guint reconnects;
  double rtt_ms;             /* < 0: not measured yet */
  double loss;               /* fraction 0..1 lost on the way to the mcu; < 0: not measured yet */
  double send_kbps;          /* what is actually being sent, audio + video */
  gboolean audio_only;       /* the link is below the floor: video is off */
  const char *last_error;    /* NULL: none */
  const char *site_id;
  const char *room;
  const char *server;
  gboolean muted;
  gboolean hand_raised;
  guint64 packets_received;  /* RTP packets from the mcu, audio + video */
  guint64 packets_sent;
  guint64 frames_received;   /* decoded video frames from the mcu */
  guint64 audio_buffers_received;
  guint64 rtx_dropped;       /* resends to the mcu dropped by the retransmission budget */
  guint video_kbps;          /* current video encoder target */
  guint width, height, framerate;  /* what the encoder is given now (the adaptation ladder's step) */
  guint remb_kbps;           /* the bitrate the mcu asks for (REMB); 0: none received */
  const char *adapt_reason;  /* what decided the last adaptation step; NULL: none yet */
  const char *ice_transport; /* "udp" or "tcp": the selected ICE pair's; NULL: no session or no pair yet */
  BridgeRecvStats recv;      /* receive side: audio continuity and video freezes */
} BridgeStatusInfo;

/* (transfer full): the JSON object /status.json serves. */
char *bridge_status_to_json (const BridgeStatusInfo *info);

typedef struct {
  void (*get) (BridgeStatusInfo *info, gpointer user_data);
  void (*set_muted) (gboolean muted, gpointer user_data);
  void (*set_hand) (gboolean raised, gpointer user_data);
} BridgeStatusHooks;

typedef struct _BridgeStatusServer BridgeStatusServer;

/* (transfer full): listens on @listen ("127.0.0.1:8089"; port 0 picks one). @hooks must outlive it. */
BridgeStatusServer *bridge_status_server_new (const char *listen, const char *language,
                                              const BridgeStatusHooks *hooks, gpointer user_data,
                                              GError **error);
void bridge_status_server_free (BridgeStatusServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeStatusServer, bridge_status_server_free)
/* "http://127.0.0.1:8089/" with the port actually bound. (transfer full) */
char *bridge_status_server_get_url (BridgeStatusServer *server);

/* Parses "ADDR:PORT" ("[::1]:80" too). (transfer full) or NULL with a message naming the problem. */
char *bridge_parse_listen (const char *listen, guint16 *port, GError **error);

G_END_DECLS
