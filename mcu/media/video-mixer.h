/* SPDX-License-Identifier: MIT */
/*
 * The video mixer: VP8 RTP from every site in, one composite per output tier out (VP8 RTP payloads).
 *
 * Threads (three kinds):
 * - media thread (the room's loop): mcu_video_site_push_rtp / push_content_rtp. Never waits on video:
 *   it assembles frames and hands complete frames of visible sites to the video thread through a
 *   bounded per-site queue (the oldest frame is dropped and counted when it is full).
 * - control thread: everything else (new/free, add/remove sites, layout, talker, pins, labels, tiers,
 *   key frame requests, stats). These only take the mixer's control lock briefly.
 * - video threads (after mcu_video_mixer_start): one ticking thread ("video-mixer") decodes the frames
 *   of visible sites as they arrive (the media thread wakes it when it queues one), and at each tick
 *   seats the layout, decodes what is still queued (frames that came during the tick's own work),
 *   renders labels and composes; one worker per tier scales (lower tiers) and encodes in parallel.
 *   Callbacks: on_packet on the tier's worker (tiers run concurrently, one tier never concurrently with
 *   itself); request_keyframe, sender_bitrate and layout_changed on the ticking thread. Callbacks must
 *   not call back into the mixer except mcu_video_mixer_request_keyframe.
 * Without mcu_video_mixer_start, the caller drives mcu_video_mixer_tick itself (tests, tools), and
 * mcu_video_mixer_decode_arrived for the decode on arrival; every callback runs inside those calls.
 */
#pragma once

#include <glib.h>

#include "video-layout.h"
#include "video-tier.h"

G_BEGIN_DECLS

#define MCU_VIDEO_MAX_SIZED_TIERS 4                         /* configured tiers (config->tiers) */
#define MCU_VIDEO_MAX_TIERS (MCU_VIDEO_MAX_SIZED_TIERS + 2)  /* outputs: + thumbnail + still */

/* Outputs. Tiers 0 .. n_tiers - 1 are the configured sizes (0 the largest); after them, when their width
 * is not 0, the degradation ladder's two extra tiers: the low-fps thumbnail (index n_tiers), then the
 * "audio only" still (the next index): the composite refreshed every still_refresh_s with the still_text
 * mark on it, a tiny bitrate and a periodic key frame, for receivers whose link only carries audio.
 * Like every tier they start inactive here until a receiver uses them, so they cost nothing unused. */
typedef struct {
  McuVideoTierConfig tiers[MCU_VIDEO_MAX_SIZED_TIERS];
  guint n_tiers;
  McuVideoTierConfig thumbnail;     /* width 0: none */
  McuVideoTierConfig still;         /* width 0: none */
  const char *still_text;           /* the still's mark (borrowed, copied at new) */
  guint still_refresh_s;            /* the still's picture is taken again this often */
  guint still_keyframe_s;           /* and sent as a key frame this often */
  McuVideoEncoderConfig encoder;
  McuVideoLayoutKind layout;        /* initial layout; AUTO by site count */
  guint talker_hold_ms;             /* the main tile changes at most this often */
  guint rotation_interval_s;        /* rotate the non-pinned tiles when sites > tiles; 0: never */
  guint keyframe_request_interval_ms; /* per site: at most one key frame request per interval */
  guint no_video_timeout_ms;        /* no packet for this long: tile shows the "no video" mark */
  guint content_timeout_ms;         /* no content packet for this long: presentation ends */
  gsize max_frame_bytes;            /* largest incoming VP8 frame (per stream buffer) */
  guint queue_frames;               /* frames queued per site between media and video threads */
  guint sender_min_bps;             /* bitrate advised for the smallest tile */
  guint sender_max_bps;             /* cap of the advice for the largest tile */
  guint sender_hidden_bps;          /* advice for sites not in view */
  gboolean compose_from_top;        /* compose the top tier, scale it down for the others (cheaper) */
  gboolean decode_on_arrival;       /* threads: decode a visible site's frame when it arrives, not at the
                                     * tick (the tick then only composes and encodes); FALSE: at the tick */
  const char *no_video_text;        /* the mark under a silent site's name (borrowed, copied at new) */
} McuVideoMixerConfig;

typedef struct {
  /* (video thread: tier worker) One output RTP payload of @tier; valid during the call. */
  void (*on_packet) (guint tier, const guint8 *payload, gsize len, guint32 rtp_ts, gboolean marker,
                     gboolean keyframe, gpointer user_data);
  /* (video thread) Ask the site for a key frame (PLI); already rate-limited per stream. */
  void (*request_keyframe) (guint site_id, gboolean content, gpointer user_data);
  /* (video thread) The bitrate the site's tile is worth now (REMB/TMMBR); called on change only. */
  void (*sender_bitrate) (guint site_id, guint bps, gpointer user_data);
  /* (video thread, nullable) The seating changed (layout events for the API). */
  void (*layout_changed) (const McuVideoSeats *seats, gpointer user_data);
} McuVideoMixerCallbacks;

typedef struct {
  guint64 frames;
  guint64 keyframes;
  guint64 bytes;
  guint64 errors;
  gint64 time_p50_us; /* compose + encode per output frame (wall), over the last 1024 frames */
  gint64 time_p99_us;
  gint64 cpu_p50_us;  /* the same in the worker's CPU time: unaffected by other processes */
  gint64 cpu_p99_us;
  /* Server-added latency of the sites' pictures in this tier: from the arrival of the packet that
   * completed a site's frame (the arrival_us given to push_rtp) to the composite that first shows it
   * handed to on_packet (all its packets). Includes the reorder wait, the queue to the ticking thread,
   * the wait for the tier's next frame, decode, compose and encode. Over the last 4096 pictures shown
   * (~10 s of a 4x4 grid at 25 fps); 0 before the first. In manual mode the clock is the caller's
   * (now_us of the tick) plus the tick's own wall time up to the hand-over. */
  gint64 latency_p50_us;
  gint64 latency_p99_us;
  guint64 latency_samples; /* pictures measured since the start */
} McuVideoTierSummary;

typedef struct {
  guint64 ticks;
  guint64 decoded_frames;       /* camera and content */
  guint64 decoded_on_arrival;   /* of those, decoded between ticks as they arrived (not at a tick) */
  guint64 decode_errors;
  guint decoders_open;          /* streams being decoded now */
  guint64 queue_dropped;        /* frames dropped because a site's queue was full */
  guint64 skipped_waiting;      /* frames dropped by the video thread while waiting for a key frame */
  guint64 keyframe_requests;    /* sent to sites */
  gint64 tick_p50_us;           /* one tick: decode of what is left, compose, encode */
  gint64 tick_p99_us;
  McuVideoLayoutKind layout;    /* the one on screen */
  guint presenter;              /* site id, 0: none */
  guint main_talker;
  guint n_tiers;
  McuVideoTierSummary tiers[MCU_VIDEO_MAX_TIERS];
} McuVideoMixerStats;

typedef struct {
  gboolean decoding;        /* the camera is in view and has a decoder */
  gboolean showing_content; /* its content is on screen */
  gint tile;                /* its camera's tile index, -1: not in view */
  guint64 decoded_frames;   /* camera and content */
  guint64 hidden_frames;    /* complete frames not decoded because not in view */
  guint64 queue_dropped;
  guint advised_bps;        /* last sender_bitrate advice (0 without that callback) */
} McuVideoSiteStats;

typedef struct _McuVideoMixer McuVideoMixer;
typedef struct _McuVideoSite McuVideoSite;

/* Fills @config with the defaults (3 tiers 1280x720@25 1.2 Mbit/s, 640x360 500 kbit/s, 320x180 150 kbit/s;
 * thumbnail 320x180@5 60 kbit/s; still 320x180@1 20 kbit/s, a key frame every 3 s, refreshed every 10 s). */
void mcu_video_mixer_config_init (McuVideoMixerConfig *config);

/* (transfer full) Control thread. NULL with @error for an unusable configuration. */
McuVideoMixer *mcu_video_mixer_new (const McuVideoMixerConfig *config, const McuVideoMixerCallbacks *callbacks,
                                    gpointer user_data, GError **error);
/* Stops the threads and frees everything, sites included. */
void mcu_video_mixer_free (McuVideoMixer *mixer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuVideoMixer, mcu_video_mixer_free)

/* Starts the video threads (ticking at the fastest tier's frame rate). */
gboolean mcu_video_mixer_start (McuVideoMixer *mixer, GError **error);
/* Manual mode only (not started): runs one tick at monotonic time @now_us on the calling thread. */
void mcu_video_mixer_tick (McuVideoMixer *mixer, gint64 now_us);
/* Manual mode only: what the ticking thread does when the media thread woke it between ticks: decodes
 * the frames queued for the streams in view since the last tick or call (key frame requests at @now_us).
 * Returns the number of frames decoded. */
guint mcu_video_mixer_decode_arrived (McuVideoMixer *mixer, gint64 now_us);

/* (transfer none) Control thread. The site lives until mcu_video_mixer_remove_site. NULL with @error
 * when @site_id is 0 or already present. */
McuVideoSite *mcu_video_mixer_add_site (McuVideoMixer *mixer, guint site_id, const char *label,
                                        GError **error);
/* The media thread must have stopped pushing to @site (call it on the media thread, or after it). */
void mcu_video_mixer_remove_site (McuVideoMixer *mixer, McuVideoSite *site);
void mcu_video_site_set_label (McuVideoSite *site, const char *label);
guint mcu_video_site_get_id (const McuVideoSite *site);

/* Media thread, hot path: no allocation, no logging, no waiting on video. Packets may come out of
 * order (late RTX repairs: @retransmitted; @ssrc 0 when unknown); they are put back in order first.
 * Returns the number of frames completed (>= 0), -EINVAL for a malformed payload (counted). */
int mcu_video_site_push_rtp (McuVideoSite *site, const guint8 *payload, gsize len, guint32 ssrc, guint16 seq,
                             guint32 ts, gboolean marker, gboolean retransmitted, gint64 arrival_us);
/* The same for the site's second video (content: slides, screen). */
int mcu_video_site_push_content_rtp (McuVideoSite *site, const guint8 *payload, gsize len, guint32 ssrc,
                                     guint16 seq, guint32 ts, gboolean marker, gboolean retransmitted,
                                     gint64 arrival_us);
/* Any thread: the round-trip time to the site (< 0 unknown); a missing packet of its video is waited
 * for about 2.5 round trips (a NACK's repair) before its frame is given up. */
void mcu_video_site_set_rtt_ms (McuVideoSite *site, double rtt_ms);
/* Control thread: the site's content stream ended (m-line inactive, BYE); ends its presentation. */
void mcu_video_site_content_stop (McuVideoSite *site);

/* Control thread. */
void mcu_video_mixer_set_layout (McuVideoMixer *mixer, McuVideoLayoutKind kind);
/* The audio mixer's loudest talker (0: silence, keeps the current one); applied with the hold time. */
void mcu_video_mixer_set_main_talker (McuVideoMixer *mixer, guint site_id);
/* Pinned sites are always in view, in pin order. FALSE when MCU_VIDEO_MAX_PINS are pinned already. */
gboolean mcu_video_mixer_pin (McuVideoMixer *mixer, guint site_id);
void mcu_video_mixer_unpin (McuVideoMixer *mixer, guint site_id);
/* The operator takes the presentation away; the site may present again once its content stopped. */
void mcu_video_mixer_revoke_presenter (McuVideoMixer *mixer);
/* A receiver's PLI/FIR: coalesced and rate-limited per tier. Any thread. */
void mcu_video_mixer_request_keyframe (McuVideoMixer *mixer, guint tier);
/* The output indices of the ladder's extra tiers, -1 when not configured; the number of outputs
 * (configured tiers plus the extras). Any thread. */
gint mcu_video_mixer_get_thumbnail_tier (McuVideoMixer *mixer);
gint mcu_video_mixer_get_still_tier (McuVideoMixer *mixer);
guint mcu_video_mixer_get_n_outputs (McuVideoMixer *mixer);
/* A tier without receivers is not composed nor encoded; it starts with a key frame when it gets one. */
void mcu_video_mixer_set_tier_active (McuVideoMixer *mixer, guint tier, gboolean has_receivers);

/* Control thread; a snapshot taken at the end of the last tick. */
void mcu_video_mixer_get_stats (McuVideoMixer *mixer, McuVideoMixerStats *stats);
/* Control thread; FALSE when no such site (for the roster and metrics). */
gboolean mcu_video_mixer_get_site_stats (McuVideoMixer *mixer, guint site_id, McuVideoSiteStats *stats);

G_END_DECLS
