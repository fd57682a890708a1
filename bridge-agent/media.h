/* SPDX-License-Identifier: MIT */
/*
 * BridgeMedia: the agent's GStreamer pipeline.
 *
 * One pipeline, two lifetimes:
 *   capture (built once, runs for the whole process; the camera is never reopened)
 *     video: source → convert → scale to the top size → rate → scale (the ladder's capsfilter, changed live)
 *            → valve (audio-only) → vp8enc → rtpvp8pay → tee
 *     audio: source → 48 kHz mono → webrtcdsp (AEC/NS/AGC) → volume (mute) → opusenc (FEC) → rtpopuspay → tee
 *   playback tail (built once): silence + received audio → audiomixer → webrtcechoprobe → speakers
 *     (or fakesink / WAV file when headless): the echo canceller always has a far-end reference.
 *   session (one per join, rebuilt on every re-join): webrtcbin (max-bundle) linked to the two tees,
 *     and the decoders of what the mcu sends (video to the window or a fakesink, audio to the mixer).
 *
 * The offer is sent whole (ICE gathering complete), so joining needs one POST and no trickle PATCH.
 * An ICE restart uses the webrtcbin's libnice agent directly (webrtcbin 1.22 cannot create an
 * ice-restart offer): new local credentials, and the server's fragment applied to the agent.
 *
 * Threads: every function is called on the main loop. The hooks are called on the main loop; webrtcbin's
 * streaming-thread callbacks are marshalled there and dropped if their session has been stopped.
 * Counters are updated by pad probes with atomics (no allocation, no logging per packet).
 */
#pragma once

#include <glib.h>

#include "adapt.h"
#include "status.h"
#include "whip.h"

G_BEGIN_DECLS

#define BRIDGE_MEDIA_ERROR (bridge_media_error_quark ())
GQuark bridge_media_error_quark (void);

typedef struct {
  const char *source;          /* "auto", "test" or a file path */
  const char *video_device;    /* "" = first camera */
  const char *audio_device;    /* "" = default input */
  guint width, height, framerate;
  guint video_kbps, audio_kbps;
  gboolean echo_cancel, noise_suppression, gain_control;
  gboolean headless, fullscreen;
  const char *audio_file;      /* headless: WAV path, "" = discard */
} BridgeMediaConfig;

typedef struct {
  /* The full offer (with candidates) of the session that was started. */
  void (*offer_ready) (const char *sdp, gpointer user_data);
  /* The session broke (ICE/DTLS failed, a session element errored, answer rejected). */
  void (*session_failed) (const char *why, gpointer user_data);
  /* The capture part failed (camera unplugged...): the agent cannot go on. */
  void (*fatal) (const char *why, gpointer user_data);
} BridgeMediaHooks;

typedef struct {
  guint64 packets_received;        /* RTP from the mcu, all sessions so far */
  guint64 packets_sent;            /* RTP handed to webrtcbin */
  guint64 frames_received;         /* decoded video frames */
  guint64 audio_buffers_received;  /* decoded audio buffers */
  guint64 rtx_dropped;             /* resends past the retransmission budget (see adapt.h) */
  guint64 video_packets_out;       /* video RTP on its way out of webrtcbin (the send watchdog) */
  guint64 video_packets_captured;  /* video RTP the capture made (a file source stops at its end) */
  BridgeRecvStats recv;            /* receive side: audio frames concealed, video freezes (status.h) */
} BridgeMediaCounters;

typedef struct {
  double loss;        /* fraction lost towards the mcu (RTCP RR), < 0 unknown */
  double rtt_ms;      /* < 0 unknown */
  double send_kbps;   /* < 0 unknown */
  guint remb_kbps;    /* 0 unknown */
} BridgeLinkStats;

typedef void (*BridgeStatsCallback) (const BridgeLinkStats *stats, gpointer user_data);

typedef struct _BridgeMedia BridgeMedia;

/* (transfer full): builds the capture and playback parts and starts them. @hooks must outlive it. */
BridgeMedia *bridge_media_new (const BridgeMediaConfig *config, const BridgeMediaHooks *hooks,
                               gpointer user_data, GError **error);
void bridge_media_free (BridgeMedia *media);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeMedia, bridge_media_free)

/* A fresh webrtcbin linked to the capture; the offer arrives through hooks->offer_ready. Its ICE
 * gathers UDP candidates, and ICE-TCP ones too when @ice_tcp (see bridge_reconnect_get_ice_tcp). */
gboolean bridge_media_session_start (BridgeMedia *media, gboolean ice_tcp, GError **error);
/* Drops the session's webrtcbin and decoders; the capture keeps running. Safe with no session. */
void bridge_media_session_stop (BridgeMedia *media);
gboolean bridge_media_has_session (BridgeMedia *media);
/* Main loop: the transport of the session's selected ICE pair, "udp" or "tcp"; NULL when there is no
 * session or no pair selected yet. (transfer none) */
const char *bridge_media_get_ice_transport (BridgeMedia *media);
/* Applies the server's SDP answer. */
gboolean bridge_media_set_answer (BridgeMedia *media, const char *sdp, GError **error);

/* ICE restart, local half: new credentials; fills @local (ufrag, pwd, mid, candidates). */
gboolean bridge_media_restart_ice (BridgeMedia *media, BridgeIceFragment *local, GError **error);
/* ICE restart, remote half: the server's new credentials and candidates. */
gboolean bridge_media_apply_remote_fragment (BridgeMedia *media, const BridgeIceFragment *remote, GError **error);

void bridge_media_get_counters (BridgeMedia *media, BridgeMediaCounters *counters);
/* Asks webrtcbin for its stats; @callback runs on the main loop (not at all if the session ends). */
void bridge_media_request_stats (BridgeMedia *media, BridgeStatsCallback callback, gpointer user_data);
/* Applies the adaptation decision to the encoders, the capsfilter and the video valve. */
void bridge_media_apply (BridgeMedia *media, const BridgeAdaptOutput *output);
void bridge_media_set_muted (BridgeMedia *media, gboolean muted);
/* Main loop: how long the receive jitter buffers wait for a late or resent packet (ms). A new session
 * starts at BRIDGE_RECEIVE_LATENCY_MIN_MS. No-op between sessions. */
#define BRIDGE_RECEIVE_LATENCY_MIN_MS 200
#define BRIDGE_RECEIVE_LATENCY_MAX_MS 600
void bridge_media_set_receive_latency (BridgeMedia *media, guint ms);

/* Stops the playback cleanly (finishes the WAV file). */
void bridge_media_shutdown (BridgeMedia *media);

G_END_DECLS
