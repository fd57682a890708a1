/* SPDX-License-Identifier: MIT */
/*
 * One simulated site of the load generator: a CLIENT-role McuPeer (ICE controlling, DTLS client)
 * paired with an McuRtpSession, joined through WHIP, replaying pre-encoded Opus and VP8 and counting
 * (and, for a sample of sites, decoding) what comes back.
 *
 * Threads: everything runs on the one GMainContext given in LoadgenShared (the tool's main thread);
 * the per-packet paths (send tick, on_rtp → on_media) allocate nothing and log nothing.
 */
#pragma once

#include <libsoup/soup.h>

#include "media-gen.h"
#include "transport/peer.h"
#include "transport/rtp-session.h"

G_BEGIN_DECLS

#define LOADGEN_LATENCY_SAMPLES 65536
#define LOADGEN_VOICES 3
#define LOADGEN_MAX_VIDEO_PAYLOAD 1100  /* VP8 RTP payload bytes (descriptor included) */
/* --follow-remb: a site whose REMB from the mcu is under this (its tile is small) sends 320x180 */
#define LOADGEN_SMALL_BELOW_BPS 400000
#define LOADGEN_SMALL_WIDTH 320
#define LOADGEN_SMALL_HEIGHT 180
#define LOADGEN_SMALL_KBPS 150

/* What every site shares (owned by the tool). */
typedef struct {
  GMainContext *context;
  SoupSession *http;
  McuCertificate *certificate;
  McuPeerConfig peer_config;
  char *whip_url;                   /* http://host:port/whip/ROOM */
  MediaGenAudioTrack voices[LOADGEN_VOICES], quiet;
  MediaGenVideoSequence *video;     /* n_video variants */
  MediaGenVideoSequence *video_small; /* the same at 320x180, or NULL (no --follow-remb) */
  guint n_video;
  double loss_out, loss_in;         /* 0-1 */
  char *janus_url, *janus_room;     /* join a Janus AudioBridge instead of WHIP (NULL = WHIP) */
  gboolean audio_only;              /* send no video */
  MediaGenAudioTrack marker;        /* site 0's track when marker_mode */
  gboolean marker_mode;
  gint64 marker_sent_us;            /* when site 0 sent the first packet of the last burst */
  /* Latency samples (µs) from send to the same packet (echo) coming back; fixed storage. */
  gint64 *latency[2];               /* audio, video */
  guint n_latency[2];
  guint joined, left, failed;
} LoadgenShared;

typedef struct {
  gboolean joined;                  /* CONNECTED at least once */
  gboolean failed;
  char *error;                      /* why it failed (transfer full) */
  double join_ms;                   /* gather start → DTLS connected */
  double whip_ms;                   /* POST → 201 */
  guint64 audio_sent, video_sent, video_frames_sent, keyframes_sent;
  guint64 audio_in, video_in, bytes_in;
  guint64 video_frames, video_keyframes, video_gaps;
  guint64 audio_decoded, audio_decode_errors, audio_loud;  /* loud = decoded frame above -50 dBov */
  guint64 video_decoded, video_decode_errors;
  guint video_width, video_height;  /* of the last decoded frame */
  guint64 dropped_out, dropped_in;  /* by the simulated loss */
  guint64 pli_received;
  guint64 size_switches;            /* --follow-remb: changes between 640x360 and 320x180 */
  McuRtpStats rtp;
  McuPeerStats peer;
} LoadgenSiteStats;

typedef struct _LoadgenSite LoadgenSite;

/* (transfer full). @talker picks a speech track, else near-silence; @decode also decodes the audio
 * that arrives (libopus), @decode_video the video (libvpx). */
LoadgenSite *loadgen_site_new (LoadgenShared *shared, guint index, gboolean talker, gboolean decode,
                               gboolean decode_video, guint seed);
void loadgen_site_free (LoadgenSite *site);

/* Starts joining: gather, POST the offer, apply the answer, connect. */
void loadgen_site_join (LoadgenSite *site);
/* Called every 20 ms (audio) / 40 ms (video) by the tool's clocks. */
void loadgen_site_send_audio (LoadgenSite *site, gint64 now_us);
void loadgen_site_send_video (LoadgenSite *site, gint64 now_us);
/* Runs the RTP session timers when due. */
void loadgen_site_poll (LoadgenSite *site, gint64 now_us);
/* DELETE the WHIP session (if any) and close the peer; @done is called once when finished. */
void loadgen_site_leave (LoadgenSite *site, GSourceFunc done, gpointer data);
void loadgen_site_get_stats (LoadgenSite *site, LoadgenSiteStats *out);
gboolean loadgen_site_is_talker (LoadgenSite *site);
gboolean loadgen_site_is_decoding (LoadgenSite *site);

G_END_DECLS
