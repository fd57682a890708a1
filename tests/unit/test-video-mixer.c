/* SPDX-License-Identifier: MIT */
/* Unit tests for the video mixer with real libvpx: sites encode distinct solid colours (libvpx in the
 * test), the mixer composes and encodes, the test depacketizes and decodes the tier output and checks
 * each tile's colour. Covers layouts, the main talker, removal, pins, decoding only what is in view,
 * presentation, loss and key frame requests, inactive tiers, the threaded mode, and decoding frames as
 * they arrive (between ticks) rather than at the tick. */
#include <gio/gio.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#include "media/video-mixer.h"
#include "media/vp8-depay.h"
#include "media/vp8-pay.h"

#define OUT_W 640
#define OUT_H 360
#define STEP_US 40000
#define MAX_SENDERS 8

typedef struct {
  guint8 y, u, v;
} Colour;

static const Colour RED = { 81, 90, 240 }, GREEN = { 145, 54, 34 }, BLUE = { 41, 240, 110 },
                    YELLOW = { 210, 16, 146 }, MAGENTA = { 106, 202, 222 }, CYAN = { 170, 166, 16 },
                    BLACK = { 16, 128, 128 };

typedef struct {
  guint id;
  McuVideoSite *site;
  gboolean content;
  Colour colour;
  vpx_codec_ctx_t codec;
  vpx_image_t *image;
  guint16 seq, pid;
  guint32 ts;
  gint force_keyframe; /* set by the mixer's request (maybe from the video thread) */
  gboolean ignore_requests;
  gint lose_next;      /* drop one packet of the next frame */
  guint requests;
} Sender;

typedef struct {
  McuVideoMixer *mixer;
  Sender senders[MAX_SENDERS];
  guint n_senders;
  gint64 now;
  GMutex lock;
  GCond cond;
  McuVp8Depay *depay;
  vpx_codec_ctx_t decoder;
  guint8 *out[3];    /* the last decoded output, tier 0 */
  guint outputs;
  guint tier1_packets;
  guint bitrate[64];
  guint layout_changes;
  McuVideoSeats seats; /* the last seating announced */
} Fixture;

static Sender *
find_sender (Fixture *fx, guint id, gboolean content)
{
  for (guint i = 0; i < fx->n_senders; i++)
    if (fx->senders[i].id == id && fx->senders[i].content == content)
      return &fx->senders[i];
  return NULL;
}

static void
on_packet (guint tier, const guint8 *payload, gsize len, guint32 rtp_ts, gboolean marker, gboolean keyframe,
           gpointer user)
{
  Fixture *fx = user;
  gsize frame_len;

  g_mutex_lock (&fx->lock);
  if (tier == 1)
    fx->tier1_packets++;
  if (tier != 0) {
    g_mutex_unlock (&fx->lock);
    return;
  }
  /* The payloads of one tier come in order: number them ourselves. */
  guint16 seq = (guint16) mcu_vp8_depay_stats (fx->depay)->packets;
  if (mcu_vp8_depay_push (fx->depay, payload, len, seq, rtp_ts, marker) == MCU_VP8_DEPAY_FRAME) {
    const guint8 *frame = mcu_vp8_depay_frame (fx->depay, &frame_len, NULL, NULL);
    vpx_codec_iter_t iter = NULL;
    vpx_image_t *img;
    g_assert_cmpint (vpx_codec_decode (&fx->decoder, frame, (unsigned) frame_len, NULL, 0), ==, VPX_CODEC_OK);
    while ((img = vpx_codec_get_frame (&fx->decoder, &iter)) != NULL) {
      g_assert_cmpuint (img->d_w, ==, OUT_W);
      for (guint p = 0; p < 3; p++) {
        guint w = p ? OUT_W / 2 : OUT_W, h = p ? OUT_H / 2 : OUT_H;
        for (guint row = 0; row < h; row++)
          memcpy (fx->out[p] + row * w, img->planes[p] + row * img->stride[p], w);
      }
      fx->outputs++;
    }
    g_cond_broadcast (&fx->cond);
  }
  g_mutex_unlock (&fx->lock);
}

static void
on_request_keyframe (guint site_id, gboolean content, gpointer user)
{
  Fixture *fx = user;
  Sender *s = find_sender (fx, site_id, content);

  if (s == NULL)
    return; /* a site that sends nothing is asked too: harmless */
  g_mutex_lock (&fx->lock);
  s->requests++;
  if (!s->ignore_requests)
    g_atomic_int_set (&s->force_keyframe, 1);
  g_cond_broadcast (&fx->cond);
  g_mutex_unlock (&fx->lock);
}

static void
on_bitrate (guint site_id, guint bps, gpointer user)
{
  Fixture *fx = user;

  g_assert_cmpuint (site_id, <, G_N_ELEMENTS (fx->bitrate));
  fx->bitrate[site_id] = bps;
}

static void
on_layout (const McuVideoSeats *seats, gpointer user)
{
  Fixture *fx = user;
  fx->layout_changes++;
  fx->seats = *seats;
}

static void
config_for_tests (McuVideoMixerConfig *c)
{
  mcu_video_mixer_config_init (c);
  c->tiers[0] = (McuVideoTierConfig) { OUT_W, OUT_H, 25, 1500000 };
  c->tiers[1] = (McuVideoTierConfig) { 320, 180, 25, 200000 };
  c->n_tiers = 2;
  c->encoder.cpu_used = -8;
  c->encoder.keyframe_min_interval_us = 0;
  c->talker_hold_ms = 0;
  c->rotation_interval_s = 0;
  c->keyframe_request_interval_ms = 200;
  c->content_timeout_ms = 400;
  c->no_video_timeout_ms = 1000;
}

static void
fixture_setup (Fixture *fx, const McuVideoMixerConfig *config)
{
  McuVideoMixerCallbacks cb = { on_packet, on_request_keyframe, on_bitrate, on_layout };
  g_autoptr (GError) error = NULL;
  McuVideoMixerConfig c;

  memset (fx, 0, sizeof *fx);
  if (config == NULL)
    config_for_tests (&c);
  else
    c = *config;
  g_mutex_init (&fx->lock);
  g_cond_init (&fx->cond);
  fx->mixer = mcu_video_mixer_new (&c, &cb, fx, &error);
  g_assert_no_error (error);
  fx->depay = mcu_vp8_depay_new (512 * 1024);
  vpx_codec_dec_cfg_t dcfg = { .threads = 1 };
  g_assert_cmpint (vpx_codec_dec_init (&fx->decoder, vpx_codec_vp8_dx (), &dcfg, 0), ==, VPX_CODEC_OK);
  for (guint p = 0; p < 3; p++)
    fx->out[p] = g_malloc0 (p ? OUT_W * OUT_H / 4 : OUT_W * OUT_H);
  fx->now = 1000000;
}

static void
fixture_teardown (Fixture *fx)
{
  mcu_video_mixer_free (fx->mixer);
  for (guint i = 0; i < fx->n_senders; i++) {
    vpx_codec_destroy (&fx->senders[i].codec);
    vpx_img_free (fx->senders[i].image);
  }
  vpx_codec_destroy (&fx->decoder);
  mcu_vp8_depay_free (fx->depay);
  for (guint p = 0; p < 3; p++)
    g_free (fx->out[p]);
  g_mutex_clear (&fx->lock);
  g_cond_clear (&fx->cond);
}

static void
paint (Sender *s, Colour colour)
{
  s->colour = colour;
  for (guint p = 0; p < 3; p++) {
    guint8 value = p == 0 ? colour.y : p == 1 ? colour.u : colour.v;
    guint h = p ? 90 : 180, w = p ? 160 : 320;
    for (guint row = 0; row < h; row++)
      memset (s->image->planes[p] + row * s->image->stride[p], value, w);
  }
}

static Sender *
add_sender (Fixture *fx, guint id, McuVideoSite *site, gboolean content, Colour colour)
{
  Sender *s = &fx->senders[fx->n_senders++];
  vpx_codec_enc_cfg_t cfg;

  g_assert_cmpuint (fx->n_senders, <=, MAX_SENDERS);
  s->id = id;
  s->site = site;
  s->content = content;
  s->colour = colour;
  s->seq = (guint16) (id * 1000);
  s->pid = 0x7ff0; /* wraps soon */
  s->image = vpx_img_alloc (NULL, VPX_IMG_FMT_I420, 320, 180, 16);
  vpx_codec_enc_config_default (vpx_codec_vp8_cx (), &cfg, 0);
  cfg.g_w = 320;
  cfg.g_h = 180;
  cfg.g_timebase = (struct vpx_rational) { 1, 90000 };
  cfg.rc_target_bitrate = 300;
  cfg.g_lag_in_frames = 0;
  cfg.g_threads = 1;
  cfg.kf_mode = VPX_KF_DISABLED;
  g_assert_cmpint (vpx_codec_enc_init (&s->codec, vpx_codec_vp8_cx (), &cfg, 0), ==, VPX_CODEC_OK);
  vpx_codec_control (&s->codec, VP8E_SET_CPUUSED, -8);
  paint (s, colour);
  return s;
}

static Sender *
add_site (Fixture *fx, guint id, Colour colour)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("Điểm cầu %u", id);
  McuVideoSite *site = mcu_video_mixer_add_site (fx->mixer, id, name, &error);

  g_assert_no_error (error);
  return add_sender (fx, id, site, FALSE, colour);
}

/* Encodes one frame of @s (a key frame when it was asked for) and pushes it as the media thread would. */
static void
send_frame (Fixture *fx, Sender *s)
{
  vpx_enc_frame_flags_t flags = g_atomic_int_compare_and_exchange (&s->force_keyframe, 1, 0) ? VPX_EFLAG_FORCE_KF : 0;
  const vpx_codec_cx_pkt_t *pkt;
  vpx_codec_iter_t iter = NULL;
  guint8 payload[1200];
  gboolean marker;
  int n;

  s->ts += 3600;
  g_assert_cmpint (vpx_codec_encode (&s->codec, s->image, s->ts, 3600, flags, VPX_DL_REALTIME), ==, VPX_CODEC_OK);
  while ((pkt = vpx_codec_get_cx_data (&s->codec, &iter)) != NULL) {
    McuVp8Pay pay;
    guint index = 0;
    if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
      continue;
    mcu_vp8_pay_init (&pay, pkt->data.frame.buf, pkt->data.frame.sz, s->pid++, FALSE);
    s->pid &= 0x7fff;
    while ((n = mcu_vp8_pay_next (&pay, payload, 300, &marker)) > 0) {
      guint16 seq = s->seq++;
      if (index++ == 0 && g_atomic_int_compare_and_exchange (&s->lose_next, 1, 0))
        continue;
      int r = s->content
        ? mcu_video_site_push_content_rtp (s->site, payload, (gsize) n, 0, seq, s->ts, marker, FALSE, fx->now)
        : mcu_video_site_push_rtp (s->site, payload, (gsize) n, 0, seq, s->ts, marker, FALSE, fx->now);
      g_assert_cmpint (r, >=, 0);
    }
  }
}

/* One 40 ms step: every sender sends a frame, then the mixer ticks. */
static void
step (Fixture *fx, guint n)
{
  for (guint k = 0; k < n; k++) {
    fx->now += STEP_US;
    for (guint i = 0; i < fx->n_senders; i++)
      if (fx->senders[i].site != NULL)
        send_frame (fx, &fx->senders[i]);
    mcu_video_mixer_tick (fx->mixer, fx->now);
  }
}

static void
mean_at (Fixture *fx, gint cx, gint cy, Colour *c)
{
  guint sy = 0, su = 0, sv = 0;

  for (gint y = cy - 4; y < cy + 4; y++)
    for (gint x = cx - 4; x < cx + 4; x++) {
      sy += fx->out[0][y * OUT_W + x];
      su += fx->out[1][(y / 2) * (OUT_W / 2) + x / 2];
      sv += fx->out[2][(y / 2) * (OUT_W / 2) + x / 2];
    }
  *c = (Colour) { sy / 64, su / 64, sv / 64 };
}

static gboolean
close_to (Colour a, Colour b)
{
  return ABS (a.y - b.y) <= 12 && ABS (a.u - b.u) <= 12 && ABS (a.v - b.v) <= 12;
}

/* The colour at the middle of the upper half of tile @index (labels sit at the bottom). */
static gboolean
tile_is (Fixture *fx, McuVideoLayoutKind kind, guint index, Colour want)
{
  McuVideoRect r;
  Colour got;

  g_assert_true (mcu_video_layout_tile_rect (kind, index, OUT_W, OUT_H, &r));
  mean_at (fx, r.x + r.width / 2, r.y + r.height / 3, &got);
  if (!close_to (got, want))
    g_test_message ("tile %u: got %u/%u/%u want %u/%u/%u", index, got.y, got.u, got.v, want.y, want.u, want.v);
  return close_to (got, want);
}

/* Steps until every tile shows its colour (at most 50 steps = 2 s of media). */
static void
expect_tiles (Fixture *fx, McuVideoLayoutKind kind, const Colour *want, guint n)
{
  for (guint attempt = 0; attempt < 50; attempt++) {
    gboolean all = TRUE;
    step (fx, 1);
    for (guint i = 0; i < n; i++)
      all = all && tile_is (fx, kind, i, want[i]);
    if (all)
      return;
  }
  for (guint i = 0; i < n; i++)
    g_assert_true (tile_is (fx, kind, i, want[i]));
}

static void
test_grid_talker_layout_remove (gconstpointer data)
{
  Fixture fx;
  McuVideoMixerConfig config;

  config_for_tests (&config);
  config.compose_from_top = GPOINTER_TO_INT (data);
  fixture_setup (&fx, &config);
  add_site (&fx, 11, RED);
  McuVideoSite *green = add_site (&fx, 12, GREEN)->site;
  add_site (&fx, 13, BLUE);
  add_site (&fx, 14, YELLOW);
  mcu_video_mixer_set_layout (fx.mixer, MCU_VIDEO_LAYOUT_2X2);
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_2X2, (Colour[]) { RED, GREEN, BLUE, YELLOW }, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (fx.senders[i].requests, >=, 1); /* every site came into view: a PLI each */

  /* The loudest talker moves to the first tile. */
  mcu_video_mixer_set_main_talker (fx.mixer, 13);
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_2X2, (Colour[]) { BLUE, RED, GREEN, YELLOW }, 4);

  /* 1+5: the talker large, the others small, two empty tiles. */
  mcu_video_mixer_set_layout (fx.mixer, MCU_VIDEO_LAYOUT_1P5);
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_1P5, (Colour[]) { BLUE, RED, GREEN, YELLOW, BLACK, BLACK }, 6);
  g_assert_cmpuint (fx.bitrate[13], >, fx.bitrate[11]);
  g_assert_cmpuint (fx.bitrate[11], ==, 150000);

  /* A site that leaves frees its tile. */
  mcu_video_mixer_remove_site (fx.mixer, green);
  fx.senders[1].site = NULL;
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_1P5, (Colour[]) { BLUE, RED, YELLOW, BLACK, BLACK, BLACK }, 6);

  McuVideoMixerStats stats;
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpint (stats.layout, ==, MCU_VIDEO_LAYOUT_1P5);
  g_assert_cmpuint (stats.main_talker, ==, 13);
  g_assert_cmpuint (stats.decoders_open, ==, 3);
  g_assert_cmpuint (stats.decode_errors, ==, 0);
  g_assert_cmpuint (stats.tiers[0].keyframes, >=, 1);
  g_assert_cmpuint (stats.tiers[0].frames, ==, stats.ticks);
  g_assert_cmpuint (fx.layout_changes, >=, 4);
  fixture_teardown (&fx);
}

static void
test_not_in_view_not_decoded (void)
{
  Fixture fx;
  McuVideoMixerStats stats;

  fixture_setup (&fx, NULL);
  add_site (&fx, 11, RED);
  add_site (&fx, 12, GREEN);
  add_site (&fx, 13, BLUE);
  add_site (&fx, 14, YELLOW);
  add_site (&fx, 15, MAGENTA); /* the fifth site has no tile in 2x2 */
  mcu_video_mixer_set_layout (fx.mixer, MCU_VIDEO_LAYOUT_2X2);
  step (&fx, 20);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.decoders_open, ==, 4);
  g_assert_cmpuint (stats.decoded_frames, <=, 4 * 20);
  g_assert_cmpuint (stats.decoded_frames, >=, 4 * 10);
  g_assert_cmpuint (fx.senders[4].requests, ==, 0);
  g_assert_cmpuint (fx.bitrate[15], ==, 100000); /* hidden: told to send little */
  McuVideoSiteStats site;
  g_assert_true (mcu_video_mixer_get_site_stats (fx.mixer, 15, &site));
  g_assert_false (site.decoding);
  g_assert_cmpint (site.tile, ==, -1);
  g_assert_cmpuint (site.decoded_frames, ==, 0);
  g_assert_cmpuint (site.hidden_frames, >=, 19); /* its frames arrived, and were not decoded */
  g_assert_true (mcu_video_mixer_get_site_stats (fx.mixer, 11, &site));
  g_assert_true (site.decoding);
  g_assert_cmpuint (site.decoded_frames, >=, 10);
  g_assert_false (mcu_video_mixer_get_site_stats (fx.mixer, 99, &site));
  guint64 decoded = stats.decoded_frames;

  /* Pinned: it comes into view, is asked for a key frame and shown from it; another site leaves view. */
  g_assert_true (mcu_video_mixer_pin (fx.mixer, 15));
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_2X2, (Colour[]) { MAGENTA, RED, GREEN, BLUE }, 4);
  g_assert_cmpuint (fx.senders[4].requests, >=, 1);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.decoders_open, ==, 4);
  g_assert_cmpuint (stats.decoded_frames, >, decoded);
  g_assert_cmpuint (fx.bitrate[14], ==, 100000);
  g_assert_true (mcu_video_mixer_get_site_stats (fx.mixer, 15, &site));
  g_assert_true (site.decoding);
  g_assert_cmpint (site.tile, ==, 0);
  g_assert_cmpuint (site.decoded_frames, >, 0);
  g_assert_true (mcu_video_mixer_get_site_stats (fx.mixer, 14, &site));
  g_assert_false (site.decoding);
  fixture_teardown (&fx);
}

static void
test_presentation (void)
{
  Fixture fx;
  McuVideoMixerStats stats;

  fixture_setup (&fx, NULL);
  add_site (&fx, 11, RED);
  McuVideoSite *green = add_site (&fx, 12, GREEN)->site;
  McuVideoSite *blue = add_site (&fx, 13, BLUE)->site;
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_2X2, (Colour[]) { RED, GREEN, BLUE, BLACK }, 4);

  /* Site 12 shares its screen: content large, cameras beside it. */
  add_sender (&fx, 12, green, TRUE, CYAN);
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_1P7, (Colour[]) { CYAN, RED, GREEN, BLUE, BLACK }, 5);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.presenter, ==, 12);
  g_assert_cmpint (stats.layout, ==, MCU_VIDEO_LAYOUT_1P7);

  /* A second presenter waits; when the operator takes the floor from 12, 13 presents. */
  add_sender (&fx, 13, blue, TRUE, YELLOW);
  step (&fx, 5);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.presenter, ==, 12);
  mcu_video_mixer_revoke_presenter (fx.mixer);
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_1P7, (Colour[]) { YELLOW, RED, GREEN, BLUE }, 4);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.presenter, ==, 13);

  /* Both stop: back to the grid. */
  mcu_video_site_content_stop (blue);
  fx.senders[3].site = NULL;
  fx.senders[4].site = NULL;
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_2X2, (Colour[]) { RED, GREEN, BLUE, BLACK }, 4);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.presenter, ==, 0);
  fixture_teardown (&fx);
}

/* Placeholders: a site that never sent and a site whose key frame never comes show a plain tile. */
static void
test_placeholders (void)
{
  Fixture fx;
  const Colour placeholder = { 52, 140, 118 };
  McuVideoRect r;
  Colour got;

  fixture_setup (&fx, NULL);
  add_site (&fx, 11, RED);
  add_site (&fx, 12, GREEN)->ignore_requests = TRUE;
  g_autoptr (GError) error = NULL;
  g_assert_nonnull (mcu_video_mixer_add_site (fx.mixer, 13, "UBND xã Thạch Khoán", &error));
  g_assert_null (mcu_video_mixer_add_site (fx.mixer, 13, "again", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  mcu_video_mixer_set_layout (fx.mixer, MCU_VIDEO_LAYOUT_2X2);
  fx.senders[1].force_keyframe = 0;
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_2X2, (Colour[]) { RED }, 1);
  step (&fx, 30); /* > no_video_timeout for the silent site */
  for (guint i = 1; i <= 2; i++) {
    mcu_video_layout_tile_rect (MCU_VIDEO_LAYOUT_2X2, i, OUT_W, OUT_H, &r);
    mean_at (&fx, r.x + 12, r.y + 12, &got); /* the corner: away from the centred name */
    g_assert_true (close_to (got, placeholder));
  }
  g_assert_cmpuint (fx.senders[1].requests, >=, 3); /* asked again, rate-limited (200 ms) */
  g_assert_cmpuint (fx.senders[1].requests, <=, 2 + (50 + 30) * STEP_US / 200000);
  fixture_teardown (&fx);
}

static void
test_loss_requests_keyframe (void)
{
  Fixture fx;
  McuVideoMixerStats stats;

  fixture_setup (&fx, NULL);
  add_site (&fx, 11, RED);
  add_site (&fx, 12, GREEN);
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_2X2, (Colour[]) { RED, GREEN }, 2);
  guint before = fx.senders[0].requests;
  step (&fx, 10);
  g_assert_cmpuint (fx.senders[0].requests, ==, before); /* no loss, no request */
  fx.senders[0].lose_next = 1;
  /* the hole is waited for (a NACK's repair; 300 ms while the RTT is unknown), then given up */
  step (&fx, 10);
  g_assert_cmpuint (fx.senders[0].requests, ==, before + 1);
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_2X2, (Colour[]) { RED, GREEN }, 2);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.decode_errors, ==, 0);

  /* A tier without receivers is not encoded; it restarts with a key frame. */
  mcu_video_mixer_set_tier_active (fx.mixer, 1, FALSE);
  step (&fx, 1);
  guint packets = fx.tier1_packets;
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  guint64 frames = stats.tiers[1].frames, keys = stats.tiers[1].keyframes;
  step (&fx, 5);
  g_assert_cmpuint (fx.tier1_packets, ==, packets);
  mcu_video_mixer_set_tier_active (fx.mixer, 1, TRUE);
  step (&fx, 1);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.tiers[1].frames, ==, frames + 1);
  g_assert_cmpuint (stats.tiers[1].keyframes, ==, keys + 1);
  /* Receivers' PLIs are coalesced: three requests, one key frame. */
  mcu_video_mixer_request_keyframe (fx.mixer, 0);
  mcu_video_mixer_request_keyframe (fx.mixer, 0);
  mcu_video_mixer_request_keyframe (fx.mixer, 0);
  mcu_video_mixer_request_keyframe (fx.mixer, 9); /* no such tier: ignored */
  guint64 keys0 = stats.tiers[0].keyframes;
  step (&fx, 3);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.tiers[0].keyframes, ==, keys0 + 1);
  fixture_teardown (&fx);
}

static void
test_rotation_and_hold (void)
{
  Fixture fx;
  McuVideoMixerConfig config;
  McuVideoMixerStats stats;
  const Colour colours[] = { RED, GREEN, BLUE, YELLOW, MAGENTA, CYAN };

  config_for_tests (&config);
  config.rotation_interval_s = 1;
  config.talker_hold_ms = 2000;
  fixture_setup (&fx, &config);
  for (guint i = 0; i < 6; i++)
    add_site (&fx, 11 + i, colours[i]);
  mcu_video_mixer_set_layout (fx.mixer, MCU_VIDEO_LAYOUT_2X2);
  step (&fx, 1);
  g_assert_cmpuint (fx.seats.tiles[0].site_id, ==, 11);
  g_assert_cmpuint (fx.seats.tiles[3].site_id, ==, 14);
  /* After the interval the four rotating tiles move on by four sites. */
  step (&fx, 25);
  g_assert_cmpuint (fx.seats.tiles[0].site_id, ==, 15);
  g_assert_cmpuint (fx.seats.tiles[1].site_id, ==, 16);
  g_assert_cmpuint (fx.seats.tiles[2].site_id, ==, 11);
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_2X2, (Colour[]) { MAGENTA, CYAN, RED, GREEN }, 4);

  /* The first talker takes the tile at once; a second one within the hold time waits. */
  mcu_video_mixer_set_main_talker (fx.mixer, 13);
  step (&fx, 1);
  mcu_video_mixer_set_main_talker (fx.mixer, 14);
  step (&fx, 10);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.main_talker, ==, 13);
  g_assert_cmpuint (fx.seats.tiles[0].site_id, ==, 13);
  step (&fx, 40);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.main_talker, ==, 14);
  g_assert_cmpuint (fx.seats.tiles[0].site_id, ==, 14);
  fixture_teardown (&fx);
}

/* Garbage from the network never reaches the decoder as a frame and never crashes. */
static void
test_malformed_input (void)
{
  Fixture fx;
  McuVideoMixerStats stats;
  guint8 junk[600];

  fixture_setup (&fx, NULL);
  McuVideoSite *site = add_site (&fx, 11, RED)->site;
  for (guint i = 0; i < 400; i++) {
    for (guint k = 0; k < sizeof junk; k++)
      junk[k] = (guint8) g_test_rand_int ();
    gsize len = g_test_rand_int_range (0, sizeof junk);
    mcu_video_site_push_rtp (site, junk, len, 0, (guint16) i, i / 3, i % 3 == 2, FALSE, fx.now);
    if (i % 20 == 0)
      step (&fx, 1);
  }
  g_assert_cmpint (mcu_video_site_push_rtp (site, NULL, 0, 0, 0, 0, TRUE, FALSE, 0), <, 0);
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_1X1, (Colour[]) { RED }, 1);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_test_message ("decode errors from junk: %" G_GUINT64_FORMAT, stats.decode_errors);
  fixture_teardown (&fx);
}

/* The real threads: the test thread plays the media thread and waits on the output with a deadline. */
static void
test_threaded (void)
{
  Fixture fx;
  g_autoptr (GError) error = NULL;
  gboolean ok = FALSE;

  fixture_setup (&fx, NULL);
  add_site (&fx, 11, RED);
  add_site (&fx, 12, BLUE);
  g_assert_true (mcu_video_mixer_start (fx.mixer, &error));
  g_assert_no_error (error);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!ok && g_get_monotonic_time () < deadline) {
    fx.now = g_get_monotonic_time ();
    for (guint i = 0; i < fx.n_senders; i++)
      if (g_atomic_int_get (&fx.senders[i].force_keyframe))
        send_frame (&fx, &fx.senders[i]);
    g_mutex_lock (&fx.lock);
    guint seen = fx.outputs;
    while (fx.outputs == seen && g_cond_wait_until (&fx.cond, &fx.lock, deadline))
      ;
    ok = tile_is (&fx, MCU_VIDEO_LAYOUT_2X2, 0, RED) && tile_is (&fx, MCU_VIDEO_LAYOUT_2X2, 1, BLUE);
    g_mutex_unlock (&fx.lock);
  }
  g_assert_true (ok);
  fixture_teardown (&fx);
}

/* One 40 ms step whose frames arrive @delay_us before the tick (the wait for the mixer's next tick). */
static void
step_late (Fixture *fx, guint n, gint64 delay_us)
{
  for (guint k = 0; k < n; k++) {
    fx->now += STEP_US;
    for (guint i = 0; i < fx->n_senders; i++)
      if (fx->senders[i].site != NULL)
        send_frame (fx, &fx->senders[i]);
    mcu_video_mixer_tick (fx->mixer, fx->now + delay_us);
  }
}

/* Ticks without new frames until tier @tier has encoded one more frame (at most 20 ticks). */
static void
tick_until_tier_runs (Fixture *fx, guint tier)
{
  McuVideoMixerStats stats;

  mcu_video_mixer_get_stats (fx->mixer, &stats);
  guint64 frames = stats.tiers[tier].frames;
  for (guint k = 0; k < 20 && stats.tiers[tier].frames == frames; k++) {
    fx->now += STEP_US;
    mcu_video_mixer_tick (fx->mixer, fx->now);
    mcu_video_mixer_get_stats (fx->mixer, &stats);
  }
  g_assert_cmpuint (stats.tiers[tier].frames, ==, frames + 1);
}

/* Server-added latency on the caller's clock: each picture is measured once, in each tier, from its
 * frame's arrival to the composite that first shows it, including the wait for that tier's next frame. */
static void
test_latency_controlled_clock (void)
{
  Fixture fx;
  McuVideoMixerConfig config;
  McuVideoMixerStats stats, before;

  config_for_tests (&config);
  config.tiers[1].fps = 5; /* the second tier composes every 200 ms, the ticks come every 40 ms */
  fixture_setup (&fx, &config);
  Sender *red = add_site (&fx, 11, RED);
  add_site (&fx, 12, GREEN);
  mcu_video_mixer_set_layout (fx.mixer, MCU_VIDEO_LAYOUT_2X2);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.tiers[0].latency_samples, ==, 0);
  g_assert_cmpint (stats.tiers[0].latency_p99_us, ==, 0);

  /* Frames arrive 20 ms before the tick that takes them: no picture is shown sooner than that. */
  step_late (&fx, 50, 20000);
  g_assert_true (tile_is (&fx, MCU_VIDEO_LAYOUT_2X2, 0, RED));
  g_assert_true (tile_is (&fx, MCU_VIDEO_LAYOUT_2X2, 1, GREEN));
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_test_message ("tier 0: %" G_GUINT64_FORMAT " pictures, p50/p99 %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " us",
                  stats.tiers[0].latency_samples, stats.tiers[0].latency_p50_us, stats.tiers[0].latency_p99_us);
  g_assert_cmpuint (stats.tiers[0].latency_samples, >=, 2 * 30);          /* both sites, most ticks */
  g_assert_cmpuint (stats.tiers[0].latency_samples, <=, 2 * 50);          /* never one picture twice */
  g_assert_cmpint (stats.tiers[0].latency_p50_us, >=, 20000);
  g_assert_cmpint (stats.tiers[0].latency_p99_us, >=, stats.tiers[0].latency_p50_us);
  g_assert_cmpint (stats.tiers[0].latency_p99_us, <, 20000 + G_USEC_PER_SEC); /* + this tick's own work */
  g_assert_cmpuint (stats.tiers[1].latency_samples, >=, 2 * 5);
  g_assert_cmpuint (stats.tiers[1].latency_samples, <=, 2 * 11);          /* 5 fps: ~10 composites */
  g_assert_cmpint (stats.tiers[1].latency_p50_us, >=, 20000);

  /* Composites that show the same pictures again measure nothing more (once the slow tier has shown
   * the last ones, which it measures then: they are new to it). */
  tick_until_tier_runs (&fx, 1);
  mcu_video_mixer_get_stats (fx.mixer, &before);
  for (guint k = 0; k < 6; k++) {
    fx.now += STEP_US;
    mcu_video_mixer_tick (fx.mixer, fx.now);
  }
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.tiers[0].frames, >, before.tiers[0].frames);
  g_assert_cmpuint (stats.tiers[1].frames, >, before.tiers[1].frames);
  g_assert_cmpuint (stats.tiers[0].latency_samples, ==, before.tiers[0].latency_samples);
  g_assert_cmpuint (stats.tiers[1].latency_samples, ==, before.tiers[1].latency_samples);

  /* A frame that arrives just after the 5 fps tier composed waits for its next frame (160 ms later,
   * the quarter-frame slack of the schedule), the 25 fps tier shows it at the next tick. */
  tick_until_tier_runs (&fx, 1);
  mcu_video_mixer_get_stats (fx.mixer, &before);
  fx.now += STEP_US;
  send_frame (&fx, red);
  mcu_video_mixer_tick (fx.mixer, fx.now);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.tiers[0].latency_samples, ==, before.tiers[0].latency_samples + 1);
  g_assert_cmpuint (stats.tiers[1].latency_samples, ==, before.tiers[1].latency_samples);
  tick_until_tier_runs (&fx, 1);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.tiers[1].latency_samples, ==, before.tiers[1].latency_samples + 1);
  /* under 100 pictures in the window, p99 is the largest: this one */
  g_assert_cmpuint (stats.tiers[1].latency_samples, <, 100);
  g_assert_cmpint (stats.tiers[1].latency_p99_us, >=, 120000);
  g_assert_cmpint (stats.tiers[1].latency_p99_us, <, 120000 + G_USEC_PER_SEC);
  g_assert_cmpuint (stats.tiers[0].latency_samples, ==, before.tiers[0].latency_samples + 1);
  fixture_teardown (&fx);
}

/* Encodes a key frame of @s and pushes every packet of it but the first, which goes to @first (its
 * sequence number to @first_seq). Returns the first packet's length; the frame has at least two. */
static gsize
send_keyframe_but_first (Fixture *fx, Sender *s, guint8 *first, guint16 *first_seq)
{
  const vpx_codec_cx_pkt_t *pkt;
  vpx_codec_iter_t iter = NULL;
  guint8 payload[1200];
  gsize first_len = 0;
  guint count = 0;
  gboolean marker;
  int n;

  s->ts += 3600;
  g_assert_cmpint (vpx_codec_encode (&s->codec, s->image, s->ts, 3600, VPX_EFLAG_FORCE_KF, VPX_DL_REALTIME), ==,
                   VPX_CODEC_OK);
  while ((pkt = vpx_codec_get_cx_data (&s->codec, &iter)) != NULL) {
    McuVp8Pay pay;
    if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
      continue;
    mcu_vp8_pay_init (&pay, pkt->data.frame.buf, pkt->data.frame.sz, s->pid++, TRUE);
    s->pid &= 0x7fff;
    while ((n = mcu_vp8_pay_next (&pay, payload, 48, &marker)) > 0) {   /* small: a solid colour is small */
      guint16 seq = s->seq++;
      if (count++ == 0) {
        memcpy (first, payload, (gsize) n);
        first_len = (gsize) n;
        *first_seq = seq;
        continue;
      }
      g_assert_cmpint (mcu_video_site_push_rtp (s->site, payload, (gsize) n, 0, seq, s->ts, marker, FALSE, fx->now), ==, 0);
    }
  }
  g_assert_cmpuint (count, >=, 2);
  return first_len;
}

/* A frame completed by a late packet (a NACK's repair) is timed from that packet's arrival: the wait
 * for the repair is the link's, not the server's. */
static void
test_latency_from_repair (void)
{
  Fixture fx;
  McuVideoMixerStats stats, before;
  guint8 first[1200];
  guint16 first_seq = 0;

  fixture_setup (&fx, NULL);
  Sender *red = add_site (&fx, 11, RED);
  mcu_video_mixer_set_layout (fx.mixer, MCU_VIDEO_LAYOUT_1X1);
  step_late (&fx, 25, 0);
  g_assert_true (tile_is (&fx, MCU_VIDEO_LAYOUT_1X1, 0, RED));
  mcu_video_mixer_get_stats (fx.mixer, &before);
  g_assert_cmpuint (before.tiers[0].latency_samples, <, 100 - 1); /* p99 is the largest below 100 */

  fx.now += STEP_US;
  gsize len = send_keyframe_but_first (&fx, red, first, &first_seq);
  for (guint k = 0; k < 5; k++)
    mcu_video_mixer_tick (fx.mixer, fx.now + (k + 1) * STEP_US);  /* the frame waits for its hole */
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.tiers[0].latency_samples, ==, before.tiers[0].latency_samples);
  fx.now += 200000;   /* the repair comes 200 ms after the rest of the frame */
  g_assert_cmpint (mcu_video_site_push_rtp (red->site, first, len, 0, first_seq, red->ts, FALSE, TRUE, fx.now), ==, 1);
  mcu_video_mixer_tick (fx.mixer, fx.now + 10000);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.tiers[0].latency_samples, ==, before.tiers[0].latency_samples + 1);
  g_assert_cmpint (stats.tiers[0].latency_p99_us, >=, 10000);
  g_assert_cmpint (stats.tiers[0].latency_p99_us, <, 200000);  /* not from the frame's first packets */
  fixture_teardown (&fx);
}

/* The real threads on the wall clock: a frame of each site for each composite, then sane figures. */
static void
test_latency_threaded (void)
{
  Fixture fx;
  McuVideoMixerStats stats;
  g_autoptr (GError) error = NULL;

  fixture_setup (&fx, NULL);
  add_site (&fx, 11, RED);
  add_site (&fx, 12, BLUE);
  g_assert_true (mcu_video_mixer_start (fx.mixer, &error));
  g_assert_no_error (error);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  for (guint k = 0; k < 50 && g_get_monotonic_time () < deadline; k++) {
    fx.now = g_get_monotonic_time ();
    for (guint i = 0; i < fx.n_senders; i++)
      send_frame (&fx, &fx.senders[i]);
    g_mutex_lock (&fx.lock);
    guint seen = fx.outputs;
    while (fx.outputs == seen && g_cond_wait_until (&fx.cond, &fx.lock, deadline))
      ;
    g_mutex_unlock (&fx.lock);
  }
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_test_message ("threaded: %" G_GUINT64_FORMAT " pictures, p50/p99 %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " us",
                  stats.tiers[0].latency_samples, stats.tiers[0].latency_p50_us, stats.tiers[0].latency_p99_us);
  g_assert_cmpuint (stats.tiers[0].latency_samples, >=, 10);
  g_assert_cmpint (stats.tiers[0].latency_p50_us, >, 0);
  g_assert_cmpint (stats.tiers[0].latency_p50_us, <, 300000);
  g_assert_cmpint (stats.tiers[0].latency_p99_us, >=, stats.tiers[0].latency_p50_us);
  g_assert_cmpint (stats.tiers[0].latency_p99_us, <, G_USEC_PER_SEC);
  fixture_teardown (&fx);
}

/* Frames are decoded when they arrive, not at the tick: the picture is ready before the tick, which only
 * composes and encodes it, and its latency still runs from its frame's arrival to the composite. Only
 * the streams in view are decoded. */
static void
test_decode_on_arrival (void)
{
  Fixture fx;
  McuVideoMixerStats stats, before;

  fixture_setup (&fx, NULL);
  Sender *red = add_site (&fx, 11, RED);
  add_site (&fx, 12, GREEN);
  mcu_video_mixer_set_layout (fx.mixer, MCU_VIDEO_LAYOUT_1X1);
  mcu_video_mixer_set_main_talker (fx.mixer, 11);
  expect_tiles (&fx, MCU_VIDEO_LAYOUT_1X1, (Colour[]) { RED }, 1);  /* decoded at the ticks: none woke it */
  mcu_video_mixer_get_stats (fx.mixer, &before);
  g_assert_cmpuint (before.decoded_on_arrival, ==, 0);
  g_assert_cmpuint (before.tiers[0].latency_samples, <, 100 - 1); /* p99 is the largest below 100 */
  g_assert_cmpuint (mcu_video_mixer_decode_arrived (fx.mixer, fx.now), ==, 0);  /* nothing new */

  /* Both sites send; the hidden one is neither queued nor decoded. */
  fx.now += STEP_US;
  paint (red, BLUE);
  g_atomic_int_set (&red->force_keyframe, 1);  /* a whole new picture at once */
  for (guint i = 0; i < fx.n_senders; i++)
    send_frame (&fx, &fx.senders[i]);
  g_assert_cmpuint (mcu_video_mixer_decode_arrived (fx.mixer, fx.now + 25000), ==, 1);
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.decoded_on_arrival, ==, 1);
  g_assert_cmpuint (stats.decoded_frames, ==, before.decoded_frames + 1);  /* live, before any tick */
  g_assert_cmpuint (stats.ticks, ==, before.ticks);
  g_assert_cmpuint (mcu_video_mixer_decode_arrived (fx.mixer, fx.now + 26000), ==, 0);

  /* The tick has nothing left to decode and shows the new picture, timed from the frame's arrival
   * (30 ms before the tick), not from its decode (5 ms before). */
  mcu_video_mixer_tick (fx.mixer, fx.now + 30000);
  g_assert_true (tile_is (&fx, MCU_VIDEO_LAYOUT_1X1, 0, BLUE));
  mcu_video_mixer_get_stats (fx.mixer, &stats);
  g_assert_cmpuint (stats.decoded_frames, ==, before.decoded_frames + 1);
  g_assert_cmpuint (stats.decoded_on_arrival, ==, 1);
  g_assert_cmpuint (stats.tiers[0].latency_samples, ==, before.tiers[0].latency_samples + 1);
  g_assert_cmpint (stats.tiers[0].latency_p99_us, >=, 30000);
  g_assert_cmpint (stats.tiers[0].latency_p99_us, <, 30000 + G_USEC_PER_SEC);

  McuVideoSiteStats site;
  g_assert_true (mcu_video_mixer_get_site_stats (fx.mixer, 12, &site));
  g_assert_false (site.decoding);
  g_assert_cmpuint (site.decoded_frames, ==, 0);
  g_assert_cmpuint (site.hidden_frames, >, 0);

  /* The main tile goes to the other site: its frames are decoded on arrival from the next tick on
   * (it is asked for a key frame), the first site's no more. */
  mcu_video_mixer_set_main_talker (fx.mixer, 12);
  fx.now += STEP_US;
  mcu_video_mixer_tick (fx.mixer, fx.now);
  guint decoded = 0;
  for (guint k = 0; k < 10 && decoded == 0; k++) {
    fx.now += STEP_US;
    for (guint i = 0; i < fx.n_senders; i++)
      send_frame (&fx, &fx.senders[i]);
    decoded = mcu_video_mixer_decode_arrived (fx.mixer, fx.now);
    mcu_video_mixer_tick (fx.mixer, fx.now + 20000);
  }
  g_assert_cmpuint (decoded, ==, 1);
  g_assert_true (tile_is (&fx, MCU_VIDEO_LAYOUT_1X1, 0, GREEN));
  g_assert_true (mcu_video_mixer_get_site_stats (fx.mixer, 11, &site));
  g_assert_false (site.decoding);
  fixture_teardown (&fx);
}

/* The real threads: a frame of a site in view is decoded when it arrives, long before the next tick
 * (1 fps tiers: a tick a second), and shown by that tick; with decode_on_arrival off, at the tick. */
static void
test_decode_on_arrival_threaded (gconstpointer data)
{
  gboolean on_arrival = GPOINTER_TO_INT (data);
  Fixture fx;
  McuVideoMixerConfig config;
  McuVideoMixerStats stats;
  g_autoptr (GError) error = NULL;

  config_for_tests (&config);
  config.tiers[0].fps = config.tiers[1].fps = 1;
  config.decode_on_arrival = on_arrival;
  fixture_setup (&fx, &config);
  add_site (&fx, 11, RED);
  g_assert_true (mcu_video_mixer_start (fx.mixer, &error));
  g_assert_no_error (error);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  do {   /* until a frame was decoded between ticks (the first ones may come before the site is seated) */
    mcu_video_mixer_get_stats (fx.mixer, &stats);
    guint64 decoded = stats.decoded_frames;
    fx.now = g_get_monotonic_time ();
    g_atomic_int_set (&fx.senders[0].force_keyframe, 1);
    send_frame (&fx, &fx.senders[0]);
    gint64 wait_until = MIN (deadline, g_get_monotonic_time () + 200000);
    while (stats.decoded_frames == decoded && g_get_monotonic_time () < wait_until) {
      g_usleep (1000);   /* polls the counter the decode bumps: no event to wait on from outside */
      mcu_video_mixer_get_stats (fx.mixer, &stats);
    }
  } while ((on_arrival ? stats.decoded_on_arrival : stats.decoded_frames) == 0 && g_get_monotonic_time () < deadline);
  g_test_message ("decoded %" G_GUINT64_FORMAT ", on arrival %" G_GUINT64_FORMAT ", ticks %" G_GUINT64_FORMAT,
                  stats.decoded_frames, stats.decoded_on_arrival, stats.ticks);
  g_assert_cmpuint (stats.decoded_frames, >=, 1);
  if (on_arrival)
    g_assert_cmpuint (stats.decoded_on_arrival, >=, 1);
  else
    g_assert_cmpuint (stats.decoded_on_arrival, ==, 0);
  g_mutex_lock (&fx.lock);
  while (!tile_is (&fx, MCU_VIDEO_LAYOUT_1X1, 0, RED) && g_cond_wait_until (&fx.cond, &fx.lock, deadline))
    ;
  g_assert_true (tile_is (&fx, MCU_VIDEO_LAYOUT_1X1, 0, RED));
  g_mutex_unlock (&fx.lock);
  fixture_teardown (&fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/video/mixer/grid-talker-layout-remove/from-top", GINT_TO_POINTER (TRUE),
                        test_grid_talker_layout_remove);
  g_test_add_data_func ("/video/mixer/grid-talker-layout-remove/per-tier", GINT_TO_POINTER (FALSE),
                        test_grid_talker_layout_remove);
  g_test_add_func ("/video/mixer/not-in-view-not-decoded", test_not_in_view_not_decoded);
  g_test_add_func ("/video/mixer/presentation", test_presentation);
  g_test_add_func ("/video/mixer/placeholders", test_placeholders);
  g_test_add_func ("/video/mixer/loss-requests-keyframe", test_loss_requests_keyframe);
  g_test_add_func ("/video/mixer/malformed-input", test_malformed_input);
  g_test_add_func ("/video/mixer/rotation-and-hold", test_rotation_and_hold);
  g_test_add_func ("/video/mixer/threaded", test_threaded);
  g_test_add_func ("/video/mixer/latency/controlled-clock", test_latency_controlled_clock);
  g_test_add_func ("/video/mixer/latency/threaded", test_latency_threaded);
  g_test_add_func ("/video/mixer/latency/from-repair", test_latency_from_repair);
  g_test_add_func ("/video/mixer/decode-on-arrival/manual", test_decode_on_arrival);
  g_test_add_data_func ("/video/mixer/decode-on-arrival/threaded", GINT_TO_POINTER (TRUE),
                        test_decode_on_arrival_threaded);
  g_test_add_data_func ("/video/mixer/decode-on-arrival/threaded-off", GINT_TO_POINTER (FALSE),
                        test_decode_on_arrival_threaded);
  return g_test_run ();
}
