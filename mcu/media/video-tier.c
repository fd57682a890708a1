/* SPDX-License-Identifier: MIT */
/*
 * A tier's VP8 encoder. libvpx realtime with a fixed negative cpu-used (positive values adapt and cost
 * about twice as much on the target machine), one thread, error resilient, CBR, no lag. A key frame
 * costs ~8 ms and a burst to every receiver, so receivers' requests only set a flag that the next due
 * frame serves, no sooner than keyframe_min_interval_us after the previous key frame.
 * Threads: request_keyframe is atomic (any thread); the rest runs on the tier's thread.
 */
#define G_LOG_DOMAIN "mcu-video"

#include "video-tier.h"

#include <errno.h>
#include <gio/gio.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include "vp8-pay.h"

struct _McuVideoTier {
  guint index;
  McuVideoTierConfig config;
  McuVideoEncoderConfig encoder;
  McuVideoCanvas *canvas;
  vpx_codec_ctx_t codec;
  vpx_image_t image;
  gboolean codec_ready;
  gint64 start_us;
  gint64 next_due_us;
  gint64 last_keyframe_us;
  gint keyframe_wanted; /* atomic */
  guint16 picture_id;
  guint8 *packet;
  McuVideoTierStats stats;
};

static gboolean
setup_codec (McuVideoTier *tier, GError **error)
{
  vpx_codec_enc_cfg_t cfg;
  const McuVideoTierConfig *c = &tier->config;

  if (vpx_codec_enc_config_default (vpx_codec_vp8_cx (), &cfg, 0) != VPX_CODEC_OK)
    goto fail;
  cfg.g_w = c->width;
  cfg.g_h = c->height;
  cfg.g_timebase = (struct vpx_rational) { 1, 90000 };
  cfg.g_threads = 1;
  cfg.g_lag_in_frames = 0;
  cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
  cfg.g_pass = VPX_RC_ONE_PASS;
  cfg.rc_end_usage = VPX_CBR;
  cfg.rc_target_bitrate = MAX (c->bitrate_bps / 1000, 10);
  cfg.rc_min_quantizer = 4;
  cfg.rc_max_quantizer = 63; /* thin links: the bitrate matters more than the last bit of quality */
  cfg.rc_undershoot_pct = 100;
  cfg.rc_overshoot_pct = 15;
  cfg.rc_buf_initial_sz = 500;
  cfg.rc_buf_optimal_sz = 600;
  cfg.rc_buf_sz = 1000;
  cfg.rc_dropframe_thresh = 0;
  cfg.kf_mode = tier->encoder.keyframe_period_s ? VPX_KF_AUTO : VPX_KF_DISABLED;
  cfg.kf_min_dist = cfg.kf_max_dist = tier->encoder.keyframe_period_s * MAX (c->fps, 1);
  if (vpx_codec_enc_init (&tier->codec, vpx_codec_vp8_cx (), &cfg, 0) != VPX_CODEC_OK)
    goto fail;
  tier->codec_ready = TRUE;
  vpx_codec_control (&tier->codec, VP8E_SET_CPUUSED, tier->encoder.cpu_used);
  vpx_codec_control (&tier->codec, VP8E_SET_NOISE_SENSITIVITY, 0);
  vpx_codec_control (&tier->codec, VP8E_SET_STATIC_THRESHOLD, 1);
  vpx_codec_control (&tier->codec, VP8E_SET_MAX_INTRA_BITRATE_PCT, 300);
  vpx_codec_control (&tier->codec, VP8E_SET_TOKEN_PARTITIONS, VP8_ONE_TOKENPARTITION);
  return TRUE;
fail:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "tier %u: libvpx refused %dx%d @ %u bit/s",
               tier->index, c->width, c->height, c->bitrate_bps);
  return FALSE;
}

McuVideoTier *
mcu_video_tier_new (guint index, const McuVideoTierConfig *config, const McuVideoEncoderConfig *encoder,
                    GError **error)
{
  if (config->width < 16 || config->height < 16 || config->width > 4096 || config->height > 4096 ||
      (config->width | config->height) & 1 || config->fps == 0 || encoder->max_payload < 64) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "tier %u: %dx%d @ %u fps is not a usable size (even, 16..4096) and rate", index,
                 config->width, config->height, config->fps);
    return NULL;
  }
  McuVideoTier *tier = g_new0 (McuVideoTier, 1);
  tier->index = index;
  tier->config = *config;
  tier->encoder = *encoder;
  tier->canvas = mcu_video_canvas_new (config->width, config->height);
  tier->packet = g_malloc (encoder->max_payload);
  tier->start_us = -1;
  tier->last_keyframe_us = G_MININT64 / 2;
  tier->next_due_us = 0;
  g_atomic_int_set (&tier->keyframe_wanted, 1);
  if (!setup_codec (tier, error)) {
    mcu_video_tier_free (tier);
    return NULL;
  }
  McuVideoCanvas *c = tier->canvas;
  vpx_img_wrap (&tier->image, VPX_IMG_FMT_I420, c->width, c->height, 1, c->planes[0]);
  tier->image.planes[1] = c->planes[1];
  tier->image.planes[2] = c->planes[2];
  tier->image.stride[0] = c->strides[0];
  tier->image.stride[1] = c->strides[1];
  tier->image.stride[2] = c->strides[2];
  return tier;
}

void
mcu_video_tier_free (McuVideoTier *tier)
{
  if (tier == NULL)
    return;
  if (tier->codec_ready)
    vpx_codec_destroy (&tier->codec);
  mcu_video_canvas_free (tier->canvas);
  g_free (tier->packet);
  g_free (tier);
}

McuVideoCanvas *
mcu_video_tier_canvas (McuVideoTier *tier)
{
  return tier->canvas;
}

const McuVideoTierConfig *
mcu_video_tier_config (const McuVideoTier *tier)
{
  return &tier->config;
}

void
mcu_video_tier_set_epoch (McuVideoTier *tier, gint64 epoch_us)
{
  if (tier->start_us < 0)
    tier->start_us = epoch_us;
}

gboolean
mcu_video_tier_due (const McuVideoTier *tier, gint64 now_us)
{
  /* A quarter frame of slack: ticks jitter, and a tick slightly early must not skip a frame. */
  return now_us >= tier->next_due_us - G_USEC_PER_SEC / tier->config.fps / 4;
}

void
mcu_video_tier_request_keyframe (McuVideoTier *tier)
{
  g_atomic_int_set (&tier->keyframe_wanted, 1);
}

static vpx_enc_frame_flags_t
keyframe_flags (McuVideoTier *tier, gint64 now_us)
{
  if (!g_atomic_int_get (&tier->keyframe_wanted))
    return 0;
  if (now_us - tier->last_keyframe_us < tier->encoder.keyframe_min_interval_us)
    return 0; /* stays wanted: served by a later frame */
  g_atomic_int_set (&tier->keyframe_wanted, 0);
  tier->stats.keyframe_requests++;
  return VPX_EFLAG_FORCE_KF;
}

static int
emit_frame (McuVideoTier *tier, const vpx_codec_cx_pkt_t *pkt, McuVideoTierPacketFunc func, gpointer user)
{
  gboolean key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
  guint32 rtp_ts = (guint32) pkt->data.frame.pts;
  McuVp8Pay pay;
  gboolean marker = FALSE;
  int n, count = 0;

  mcu_vp8_pay_init (&pay, pkt->data.frame.buf, pkt->data.frame.sz, tier->picture_id++, key);
  tier->picture_id &= 0x7fff;
  while ((n = mcu_vp8_pay_next (&pay, tier->packet, tier->encoder.max_payload, &marker)) > 0) {
    if (func)
      func (tier->index, tier->packet, (gsize) n, rtp_ts, marker, key, user);
    count++;
  }
  tier->stats.frames++;
  tier->stats.keyframes += key;
  tier->stats.bytes += pkt->data.frame.sz;
  tier->stats.packets += count;
  return count;
}

int
mcu_video_tier_encode (McuVideoTier *tier, gint64 now_us, McuVideoTierPacketFunc func, gpointer user)
{
  if (tier->start_us < 0)
    tier->start_us = now_us;
  vpx_codec_pts_t pts = MAX (now_us - tier->start_us, 0) * 9 / 100;
  vpx_enc_frame_flags_t flags = keyframe_flags (tier, now_us);
  unsigned long duration = 90000 / tier->config.fps;
  const vpx_codec_cx_pkt_t *pkt;
  vpx_codec_iter_t iter = NULL;
  int packets = 0;

  gint64 interval = G_USEC_PER_SEC / tier->config.fps;
  /* On schedule, not "one interval after the last frame": a late tick is followed by an early one. */
  tier->next_due_us = MAX (tier->next_due_us + interval, now_us + interval / 2);
  if (vpx_codec_encode (&tier->codec, &tier->image, pts, duration, flags, VPX_DL_REALTIME) != VPX_CODEC_OK) {
    tier->stats.errors++;
    return -EIO;
  }
  while ((pkt = vpx_codec_get_cx_data (&tier->codec, &iter)) != NULL) {
    if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
      continue;
    if (pkt->data.frame.flags & VPX_FRAME_IS_KEY)
      tier->last_keyframe_us = now_us;
    packets += emit_frame (tier, pkt, func, user);
  }
  return packets;
}

void
mcu_video_tier_get_stats (const McuVideoTier *tier, McuVideoTierStats *stats)
{
  *stats = tier->stats;
}
