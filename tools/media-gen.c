/* SPDX-License-Identifier: MIT */
/*
 * Synthetic test media (see media-gen.h): speech-like Opus with RFC 6464 levels, the latency marker,
 * and moving-pattern VP8 split into RTP payloads. One copy for tools/bench-audio, tools/bench-video and
 * tools/loadgen.
 *
 * Threads: any; each call works only on what it is given.
 */
#include "media-gen.h"

#include <gio/gio.h>
#include <math.h>
#include <opus.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include "media/vp8-pay.h"

#define RATE MEDIA_GEN_AUDIO_RATE
#define FRAME MEDIA_GEN_AUDIO_FRAME
#define W MEDIA_GEN_VIDEO_WIDTH
#define H MEDIA_GEN_VIDEO_HEIGHT

/* ---- speech-like audio ---- */

typedef struct {
  double b0, a1, a2, y1, y2;
} Resonator;

static void
resonator_set (Resonator *r, double freq, double bandwidth)
{
  double radius = exp (-G_PI * bandwidth / RATE);

  r->a1 = 2 * radius * cos (2 * G_PI * freq / RATE);
  r->a2 = -radius * radius;
  r->b0 = 1 - radius;
  r->y1 = r->y2 = 0;
}

static double
resonator_run (Resonator *r, double x)
{
  double y = r->b0 * x + r->a1 * r->y1 + r->a2 * r->y2;

  r->y2 = r->y1;
  r->y1 = y;
  return y;
}

static const double vowels[5][3] = {
  { 730, 1090, 2440 }, { 270, 2290, 3010 }, { 300, 870, 2240 }, { 530, 1840, 2480 }, { 570, 840, 2410 },
};

typedef struct {
  GRand *rand;
  Resonator formants[3];
  double phase, syllable_pos, syllable_len, gain;
  guint spurt_left, pause_left;
} Voice;

static void
next_syllable (Voice *v)
{
  guint vowel = (guint) g_rand_int_range (v->rand, 0, 5);

  v->syllable_pos = 0;
  v->syllable_len = g_rand_double_range (v->rand, 0.15, 0.3) * RATE;
  for (guint f = 0; f < 3; f++)
    resonator_set (&v->formants[f], vowels[vowel][f] * g_rand_double_range (v->rand, 0.9, 1.1), 80 + 40 * f);
}

static float
voice_sample (Voice *v, guint i, guint voice)
{
  if (v->spurt_left == 0 && v->pause_left == 0) {
    v->spurt_left = (guint) g_rand_int_range (v->rand, RATE * 3 / 2, RATE * 4);
    v->pause_left = (guint) g_rand_int_range (v->rand, RATE * 3 / 10, RATE * 6 / 5);
  }
  if (v->syllable_pos >= v->syllable_len)
    next_syllable (v);
  double env = v->spurt_left > 0 ? pow (sin (G_PI * v->syllable_pos / v->syllable_len), 2) : 0.0;
  double f0 = (95 + 35 * (voice % 4)) * (1 + 0.15 * sin (2 * G_PI * 0.7 * i / RATE + voice));
  double y = 0.03 * (g_rand_double (v->rand) - 0.5); /* breath */

  v->phase += f0 / RATE;
  if (v->phase >= 1) {
    v->phase -= 1;
    y += 1;
  }
  for (guint f = 0; f < 3; f++)
    y = resonator_run (&v->formants[f], y) * 4;
  v->gain += (env - v->gain) * 0.01;
  v->syllable_pos++;
  if (v->spurt_left > 0)
    v->spurt_left--;
  else
    v->pause_left--;
  return (float) (y * v->gain);
}

void
media_gen_synthesize (float *out, guint n, int voice)
{
  Voice v = { .rand = g_rand_new_with_seed (1000 + (guint) MAX (voice, 0)), .syllable_pos = 1, .syllable_len = 1 };
  double sum = 0;

  for (guint i = 0; i < n; i++) {
    if (voice == MEDIA_GEN_VOICE_MARKER) {
      gboolean burst = i % (2 * RATE) < RATE / 5;
      out[i] = (float) (burst ? 0.35 * sin (2 * G_PI * MEDIA_GEN_MARKER_HZ * i / RATE)
                              : 0.0005 * (g_rand_double (v.rand) - 0.5));
      continue;
    }
    out[i] = voice < 0 ? (float) (0.0005 * (g_rand_double (v.rand) - 0.5)) /* hiss, about -75 dBov */
                       : voice_sample (&v, i, (guint) voice);
    sum += (double) out[i] * out[i];
  }
  g_rand_free (v.rand);
  if (voice < 0)
    return;
  double scale = 0.1 / MAX (sqrt (sum / n), 1e-9) * 0.75; /* speech at about -20 dBov */
  for (guint i = 0; i < n; i++)
    out[i] = (float) CLAMP (out[i] * scale, -1.0, 1.0);
}

double
media_gen_marker_power (const float *pcm, guint n)
{
  double coeff = 2 * cos (2 * G_PI * MEDIA_GEN_MARKER_HZ / RATE), s1 = 0, s2 = 0;

  for (guint i = 0; i < n; i++) {
    double s0 = pcm[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / ((double) n * n);
}

guint8
media_gen_rfc6464_level (const float *pcm, guint n)
{
  double sum = 0;

  for (guint i = 0; i < n; i++)
    sum += (double) pcm[i] * pcm[i];
  if (sum <= 0 || n == 0)
    return 127;
  return (guint8) CLAMP (lrint (-10 * log10 (sum / n)), 0, 127);
}

gboolean
media_gen_audio_track_init (MediaGenAudioTrack *track, guint seconds, int voice, GError **error)
{
  int err;
  guint n = seconds * RATE / FRAME;
  g_autofree float *pcm = g_new (float, (gsize) n * FRAME);
  OpusEncoder *enc = opus_encoder_create (RATE, 1, OPUS_APPLICATION_VOIP, &err);

  if (enc == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "opus encoder: %s", opus_strerror (err));
    return FALSE;
  }
  media_gen_synthesize (pcm, n * FRAME, voice);
  opus_encoder_ctl (enc, OPUS_SET_BITRATE (32000));
  opus_encoder_ctl (enc, OPUS_SET_INBAND_FEC (1));
  opus_encoder_ctl (enc, OPUS_SET_PACKET_LOSS_PERC (10));
  track->packets = g_new0 (MediaGenAudioPacket, n);
  track->n_packets = n;
  for (guint f = 0; f < n; f++) {
    MediaGenAudioPacket *p = &track->packets[f];
    int len = opus_encode_float (enc, pcm + (gsize) f * FRAME, FRAME, p->data, sizeof p->data);
    if (len <= 0) {
      opus_encoder_destroy (enc);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "opus encode: %s", opus_strerror (len));
      return FALSE;
    }
    p->len = (guint16) len;
    p->level = media_gen_rfc6464_level (pcm + (gsize) f * FRAME, FRAME);
  }
  opus_encoder_destroy (enc);
  return TRUE;
}

void
media_gen_audio_track_clear (MediaGenAudioTrack *track)
{
  g_clear_pointer (&track->packets, g_free);
  track->n_packets = 0;
}

/* ---- moving-pattern VP8 ---- */

/* A diagonal gradient that scrolls, a bouncing box, a tint per variant (as bench-video). */
void
media_gen_draw_pattern (vpx_image_t *img, guint variant, guint n)
{
  /* the 640x360 picture, sampled at the image's own size (a smaller one is the same scene) */
  const gint w = (gint) img->d_w, h = (gint) img->d_h;
  gint bx = (gint) ((n * 9) % (W - 120)), by = (gint) ((n * 5 + variant * 40) % (H - 120));

  for (gint y = 0; y < h; y++) {
    guint8 *row = img->planes[0] + y * img->stride[0];
    gint sy = y * H / h;
    for (gint x = 0; x < w; x++) {
      gint sx = x * W / w;
      gboolean box = sx >= bx && sx < bx + 120 && sy >= by && sy < by + 120;
      row[x] = box ? 235 : (guint8) (40 + ((sx + sy + (gint) n * 6) & 127));
    }
  }
  for (gint y = 0; y < h / 2; y++)
    for (gint x = 0; x < w / 2; x++) {
      gint sx = x * W / w, sy = y * H / h;
      img->planes[1][y * img->stride[1] + x] = (guint8) (90 + variant * 30 + ((sx + (gint) n) & 15));
      img->planes[2][y * img->stride[2] + x] = (guint8) (200 - variant * 30 + ((sy - (gint) n) & 15));
    }
}

static void
packetize (MediaGenVideoSequence *seq, guint n, const vpx_codec_cx_pkt_t *pkt, gsize max_payload)
{
  McuVp8Pay pay;
  guint8 buf[1400];
  gboolean marker;
  int len;

  mcu_vp8_pay_init (&pay, pkt->data.frame.buf, pkt->data.frame.sz, (guint16) n,
                    (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0);
  while ((len = mcu_vp8_pay_next (&pay, buf, MIN (max_payload, sizeof buf), &marker)) > 0) {
    MediaGenVideoPacket p = { g_memdup2 (buf, (gsize) len), (guint16) len, marker };
    g_array_append_val (seq->frames[n], p);
    seq->bytes += (guint64) len;
  }
}

gboolean
media_gen_video_sequence_init (MediaGenVideoSequence *seq, guint frames, guint variant, guint kbps,
                               gsize max_payload, GError **error)
{
  return media_gen_video_sequence_init_sized (seq, frames, variant, W, H, kbps, max_payload, error);
}

gboolean
media_gen_video_sequence_init_sized (MediaGenVideoSequence *seq, guint frames, guint variant, guint width,
                                     guint height, guint kbps, gsize max_payload, GError **error)
{
  vpx_codec_enc_cfg_t cfg;
  vpx_codec_ctx_t codec;
  vpx_image_t *img;

  if (width < 16 || height < 16 || width > W || height > H) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "video size %ux%u: 16x16 to %ux%u",
                 width, height, W, H);
    return FALSE;
  }
  img = vpx_img_alloc (NULL, VPX_IMG_FMT_I420, width, height, 16);
  vpx_codec_enc_config_default (vpx_codec_vp8_cx (), &cfg, 0);
  cfg.g_w = width;
  cfg.g_h = height;
  cfg.g_threads = 1;
  cfg.g_timebase = (struct vpx_rational) { 1, 90000 };
  cfg.rc_target_bitrate = kbps;
  cfg.rc_end_usage = VPX_CBR;
  cfg.g_lag_in_frames = 0;
  cfg.kf_mode = VPX_KF_DISABLED;
  if (vpx_codec_enc_init (&codec, vpx_codec_vp8_cx (), &cfg, 0) != VPX_CODEC_OK) {
    vpx_img_free (img);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "vp8 encoder: %s", vpx_codec_error (&codec));
    return FALSE;
  }
  vpx_codec_control (&codec, VP8E_SET_CPUUSED, -6);
  seq->frames = g_new0 (GArray *, frames);
  seq->n_frames = frames;
  for (guint n = 0; n < frames; n++) {
    const vpx_codec_cx_pkt_t *pkt;
    vpx_codec_iter_t iter = NULL;
    seq->frames[n] = g_array_new (FALSE, FALSE, sizeof (MediaGenVideoPacket));
    media_gen_draw_pattern (img, variant, n);
    vpx_codec_encode (&codec, img, n * 3600, 3600, n == 0 ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);
    while ((pkt = vpx_codec_get_cx_data (&codec, &iter)) != NULL)
      if (pkt->kind == VPX_CODEC_CX_FRAME_PKT)
        packetize (seq, n, pkt, max_payload);
  }
  vpx_codec_destroy (&codec);
  vpx_img_free (img);
  return TRUE;
}

void
media_gen_video_sequence_clear (MediaGenVideoSequence *seq)
{
  for (guint n = 0; n < seq->n_frames; n++) {
    for (guint i = 0; i < seq->frames[n]->len; i++)
      g_free (g_array_index (seq->frames[n], MediaGenVideoPacket, i).data);
    g_array_unref (seq->frames[n]);
  }
  g_clear_pointer (&seq->frames, g_free);
  seq->n_frames = 0;
}
