/* SPDX-License-Identifier: MIT */
/* The video mixer's degradation-ladder tiers (mcu/media/video-mixer.c): the low-fps thumbnail and the
 * "audio only" still come after the sized tiers, cost nothing until a receiver uses them, run at their
 * own frame rates (the still with a periodic key frame and next to no bytes between pictures, the mark
 * drawn on it), and every tier shares one RTP time line so a receiver moved between tiers sees its
 * timestamps go on forward. Manual mode: the test drives the ticks on a simulated clock. */
#include <string.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "media/video-mixer.h"

#define TICK_US 40000 /* 25 fps */

typedef struct {
  guint64 frames[MCU_VIDEO_MAX_TIERS], keyframes[MCU_VIDEO_MAX_TIERS], bytes[MCU_VIDEO_MAX_TIERS];
  guint32 last_ts[MCU_VIDEO_MAX_TIERS];
  gboolean ts_seen[MCU_VIDEO_MAX_TIERS];
  guint8 frame[MCU_VIDEO_MAX_TIERS][64 * 1024];  /* the frame being assembled, per tier */
  gsize frame_len[MCU_VIDEO_MAX_TIERS];
  guint8 last_key[64 * 1024];                    /* the still's last key frame */
  gsize last_key_len;
  guint still;
} Counts;

/* VP8 payload descriptor length (RFC 7741): X, then I (picture id, 7 or 15 bits), L, T/K. */
static gsize
descriptor_len (const guint8 *p, gsize len)
{
  gsize n = 1;

  if (len < 1 || !(p[0] & 0x80))
    return n;
  guint8 x = p[n++];
  if (x & 0x80)
    n += (p[n] & 0x80) ? 2 : 1;
  if (x & 0x40)
    n++;
  if (x & 0x30)
    n++;
  return n;
}

static void
on_packet (guint tier, const guint8 *payload, gsize len, guint32 rtp_ts, gboolean marker, gboolean keyframe,
           gpointer user_data)
{
  Counts *c = user_data;
  gsize skip = descriptor_len (payload, len);

  g_assert_cmpuint (tier, <, MCU_VIDEO_MAX_TIERS);
  c->bytes[tier] += len;
  c->last_ts[tier] = rtp_ts;
  c->ts_seen[tier] = TRUE;
  if (skip < len && c->frame_len[tier] + len - skip <= sizeof c->frame[tier]) {
    memcpy (c->frame[tier] + c->frame_len[tier], payload + skip, len - skip);
    c->frame_len[tier] += len - skip;
  }
  if (!marker)
    return;
  c->frames[tier]++;
  c->keyframes[tier] += keyframe;
  if (keyframe && tier == c->still) {
    memcpy (c->last_key, c->frame[tier], c->frame_len[tier]);
    c->last_key_len = c->frame_len[tier];
  }
  c->frame_len[tier] = 0;
}

static McuVideoMixer *
new_mixer (Counts *counts, gboolean extras, gboolean with_site)
{
  McuVideoMixerConfig config;
  McuVideoMixerCallbacks callbacks = { .on_packet = on_packet };
  g_autoptr (GError) error = NULL;

  mcu_video_mixer_config_init (&config);
  config.tiers[0] = (McuVideoTierConfig) { 640, 360, 25, 500000 };
  config.tiers[1] = (McuVideoTierConfig) { 320, 180, 25, 150000 };
  config.n_tiers = 2;
  config.encoder.cpu_used = -8;
  if (!extras)
    config.thumbnail.width = config.still.width = 0;
  McuVideoMixer *mixer = mcu_video_mixer_new (&config, &callbacks, counts, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mixer);
  if (with_site) {
    g_assert_nonnull (mcu_video_mixer_add_site (mixer, 1, "UBND xã Thạch Khoán", &error));
    g_assert_no_error (error);
  }
  return mixer;
}

static gint64
run (McuVideoMixer *mixer, gint64 now, guint ticks)
{
  for (guint i = 0; i < ticks; i++, now += TICK_US)
    mcu_video_mixer_tick (mixer, now);
  return now;
}

static void
test_indices (void)
{
  Counts counts = { 0 };
  g_autoptr (McuVideoMixer) with = new_mixer (&counts, TRUE, TRUE);
  g_autoptr (McuVideoMixer) without = new_mixer (&counts, FALSE, TRUE);

  g_assert_cmpint (mcu_video_mixer_get_thumbnail_tier (with), ==, 2);
  g_assert_cmpint (mcu_video_mixer_get_still_tier (with), ==, 3);
  g_assert_cmpuint (mcu_video_mixer_get_n_outputs (with), ==, 4);
  g_assert_cmpint (mcu_video_mixer_get_thumbnail_tier (without), ==, -1);
  g_assert_cmpint (mcu_video_mixer_get_still_tier (without), ==, -1);
  g_assert_cmpuint (mcu_video_mixer_get_n_outputs (without), ==, 2);
}

static void
test_unused_cost_nothing (void)
{
  Counts counts = { 0 };
  g_autoptr (McuVideoMixer) mixer = new_mixer (&counts, TRUE, TRUE);

  run (mixer, 1000000, 50);   /* 2 s, every tier as the mixer starts: the ladder's extras idle */
  g_assert_cmpuint (counts.frames[0], >=, 45);
  g_assert_cmpuint (counts.frames[2], ==, 0);
  g_assert_cmpuint (counts.frames[3], ==, 0);
  McuVideoMixerStats stats;
  mcu_video_mixer_get_stats (mixer, &stats);
  g_assert_cmpuint (stats.n_tiers, ==, 4);
  g_assert_cmpuint (stats.tiers[2].frames, ==, 0);
}

static void
test_rates_and_still (void)
{
  Counts counts = { .still = 3 };
  g_autoptr (McuVideoMixer) mixer = new_mixer (&counts, TRUE, FALSE);   /* nobody in view: a plain canvas */

  for (guint t = 0; t < 2; t++)
    mcu_video_mixer_set_tier_active (mixer, t, FALSE);
  mcu_video_mixer_set_tier_active (mixer, 2, TRUE);
  mcu_video_mixer_set_tier_active (mixer, 3, TRUE);
  run (mixer, 1000000, 250);   /* 10 s */
  /* the thumbnail at 5 fps, the still at 1 fps with a key frame every 3 s */
  g_assert_cmpuint (counts.frames[2], >=, 48);
  g_assert_cmpuint (counts.frames[2], <=, 52);
  g_assert_cmpuint (counts.frames[3], >=, 9);
  g_assert_cmpuint (counts.frames[3], <=, 11);
  g_assert_cmpuint (counts.keyframes[3], >=, 3);
  g_assert_cmpuint (counts.frames[0] + counts.frames[1], ==, 0);
  /* the still: under 25 kbit/s on average, key frames included; the thumbnail near its 60 kbit/s */
  g_assert_cmpuint (counts.bytes[3] * 8 / 10, <, 25000);
  g_assert_cmpuint (counts.bytes[2] * 8 / 10, <, 90000);

  /* the still carries its mark: its key frame decodes to a picture with white text in the middle
   * (the composite under it, with nobody in view, is a plain background) */
  vpx_codec_ctx_t decoder;
  vpx_codec_dec_cfg_t cfg = { .threads = 1 };
  g_assert_cmpint (vpx_codec_dec_init (&decoder, vpx_codec_vp8_dx (), &cfg, 0), ==, VPX_CODEC_OK);
  g_assert_cmpuint (counts.last_key_len, >, 0);
  g_assert_cmpint (vpx_codec_decode (&decoder, counts.last_key, counts.last_key_len, NULL, 0), ==, VPX_CODEC_OK);
  vpx_codec_iter_t iter = NULL;
  vpx_image_t *img = vpx_codec_get_frame (&decoder, &iter);
  g_assert_nonnull (img);
  g_assert_cmpuint (img->d_w, ==, 320);
  guint bright = 0;
  for (guint y = 70; y < 110; y++)
    for (guint x = 20; x < 300; x++)
      bright += img->planes[0][y * img->stride[0] + x] > 200;
  g_assert_cmpuint (bright, >, 100);
  vpx_codec_destroy (&decoder);
}

static void
test_one_time_line (void)
{
  Counts counts = { 0 };
  g_autoptr (McuVideoMixer) mixer = new_mixer (&counts, TRUE, TRUE);
  gint64 now = run (mixer, 5000000, 100);   /* tier 0 alone for 4 s */

  /* a receiver moves down: the thumbnail starts now, on tier 0's time line, not at its own zero */
  g_assert_true (counts.ts_seen[0]);
  guint32 before = counts.last_ts[0];
  mcu_video_mixer_set_tier_active (mixer, 2, TRUE);
  run (mixer, now, 1);
  g_assert_true (counts.ts_seen[2]);
  g_assert_cmpint ((gint32) (counts.last_ts[2] - before), >, 0);
  /* the same tick gives both tiers the same timestamp */
  g_assert_cmpuint (counts.last_ts[2], ==, counts.last_ts[0]);
  g_assert_cmpuint (counts.last_ts[0], ==, (guint32) ((now - 5000000) * 9 / 100));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/video-rungs/indices", test_indices);
  g_test_add_func ("/video-rungs/unused-cost-nothing", test_unused_cost_nothing);
  g_test_add_func ("/video-rungs/rates-and-still", test_rates_and_still);
  g_test_add_func ("/video-rungs/one-time-line", test_one_time_line);
  return g_test_run ();
}
