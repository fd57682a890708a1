/* SPDX-License-Identifier: MIT */
/*
 * One output tier: a canvas, one libvpx VP8 realtime encoder shared by every receiver of the tier, the
 * packetizer, and key frame control (requests coalesced and rate-limited).
 * Threads: mcu_video_tier_request_keyframe from any thread (atomic); everything else from the one thread
 * that runs the tier (its worker thread, or the caller of mcu_video_mixer_tick in manual mode).
 */
#pragma once

#include <glib.h>

#include "video-compose.h"

G_BEGIN_DECLS

typedef struct {
  gint width, height;
  guint fps;          /* frames per second at most */
  guint bitrate_bps;  /* target */
} McuVideoTierConfig;

typedef struct {
  gint cpu_used;               /* libvpx VP8E_SET_CPUUSED, negative: fixed speed (-6 .. -8) */
  gint64 keyframe_min_interval_us;
  guint keyframe_period_s;     /* periodic key frames, 0: only on request */
  guint max_payload;           /* RTP payload bytes per packet, descriptor included */
} McuVideoEncoderConfig;

/* Called for every output packet, on the tier's thread. @payload is valid during the call only. */
typedef void (*McuVideoTierPacketFunc) (guint tier, const guint8 *payload, gsize len, guint32 rtp_ts,
                                        gboolean marker, gboolean keyframe, gpointer user_data);

typedef struct _McuVideoTier McuVideoTier;

/* (transfer full) NULL with @error set when libvpx refuses the configuration. */
McuVideoTier *mcu_video_tier_new (guint index, const McuVideoTierConfig *config,
                                  const McuVideoEncoderConfig *encoder, GError **error);
void mcu_video_tier_free (McuVideoTier *tier);

/* (transfer none) The tier's canvas, composed by the caller before mcu_video_tier_encode. */
McuVideoCanvas *mcu_video_tier_canvas (McuVideoTier *tier);
const McuVideoTierConfig *mcu_video_tier_config (const McuVideoTier *tier);

/* The monotonic time of RTP timestamp 0. Every tier of a mixer shares one, so a receiver moved to
 * another tier sees its timestamps go on forward (a receiver drops a key frame whose picture id and
 * timestamp both go back: tiers count picture ids apart). Before the first encode only; without it
 * the first encode's time is used. */
void mcu_video_tier_set_epoch (McuVideoTier *tier, gint64 epoch_us);

/* TRUE when the tier is due for a frame at @now_us (its fps cap). */
gboolean mcu_video_tier_due (const McuVideoTier *tier, gint64 now_us);
/* Encodes the canvas as the frame at @now_us and emits its packets through @func.
 * Returns the number of packets, or a negative errno value when libvpx failed (counted). */
int mcu_video_tier_encode (McuVideoTier *tier, gint64 now_us, McuVideoTierPacketFunc func, gpointer user_data);

/* Asks for a key frame; requests are coalesced and served at most once per keyframe_min_interval_us. */
void mcu_video_tier_request_keyframe (McuVideoTier *tier);

typedef struct {
  guint64 frames;
  guint64 keyframes;
  guint64 bytes;
  guint64 packets;
  guint64 errors;
  guint64 keyframe_requests;
} McuVideoTierStats;

void mcu_video_tier_get_stats (const McuVideoTier *tier, McuVideoTierStats *stats);

G_END_DECLS
