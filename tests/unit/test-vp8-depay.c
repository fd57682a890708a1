/* SPDX-License-Identifier: MIT */
/* Unit tests for the VP8 RTP depacketizer and packetizer (RFC 7741): descriptor parsing, round trips
 * with picture id wrap, loss → frame dropped and key frame awaited, malformed input. */
#include <errno.h>
#include <string.h>

#include "media/vp8-depay.h"
#include "media/vp8-pay.h"

#define MTU 1200

typedef struct {
  McuVp8Depay *depay;
  guint16 seq;
  guint32 ts;
} Fixture;

/* A fake VP8 frame: the first byte's bit 0 says key (0) or inter (1); a key frame has a valid header. */
static guint8 *
make_frame (gsize len, gboolean key, guint8 seed)
{
  guint8 *f = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    f[i] = (guint8) (seed + i * 7);
  f[0] = key ? 0x10 : 0x11;
  if (key && len >= 10) {
    f[3] = 0x9d, f[4] = 0x01, f[5] = 0x2a;
    f[6] = 320 & 0xff, f[7] = 320 >> 8, f[8] = 180, f[9] = 0;
  }
  return f;
}

typedef struct {
  guint8 data[MTU];
  gsize len;
  gboolean marker;
} Packet;

/* Packetizes @frame into @packets; returns the count. */
static guint
packetize (const guint8 *frame, gsize len, guint16 pid, gboolean key, Packet *packets, guint max)
{
  McuVp8Pay pay;
  guint n = 0;
  int r;

  mcu_vp8_pay_init (&pay, frame, len, pid, key);
  while (n < max && (r = mcu_vp8_pay_next (&pay, packets[n].data, MTU, &packets[n].marker)) > 0) {
    g_assert_cmpint (r, <=, MTU);
    packets[n++].len = (gsize) r;
  }
  g_assert_cmpint (r, ==, 0);
  return n;
}

/* Sends a frame; @skip (index or -1) is a packet lost on the way. Returns the last push's result. */
static int
send_frame (Fixture *fx, gsize len, gboolean key, guint16 pid, gint skip)
{
  g_autofree guint8 *frame = make_frame (len, key, (guint8) pid);
  Packet packets[64];
  guint n = packetize (frame, len, pid, key, packets, G_N_ELEMENTS (packets));
  int r = 0;

  fx->ts += 3000;
  for (guint i = 0; i < n; i++, fx->seq++) {
    if ((gint) i == skip)
      continue;
    r = mcu_vp8_depay_push (fx->depay, packets[i].data, packets[i].len, fx->seq, fx->ts, packets[i].marker);
  }
  if (r == MCU_VP8_DEPAY_FRAME) {
    gsize out_len;
    gboolean out_key;
    const guint8 *out = mcu_vp8_depay_frame (fx->depay, &out_len, NULL, &out_key);
    g_assert_cmpuint (out_len, ==, len);
    g_assert_true (memcmp (out, frame, len) == 0);
    g_assert_cmpint (out_key, ==, key);
  }
  return r;
}

static void
test_descriptor (void)
{
  McuVp8Descriptor d;
  /* X=1 S=1 PID=0; I L T K; M=1 pid 0x1234; tl0 7; tid 2 Y keyidx 5; payload key frame */
  const guint8 full[] = { 0x90, 0xf0, 0x92, 0x34, 0x07, 0xa5, 0x00, 0xaa };
  const guint8 short_pid[] = { 0x80, 0x80, 0x7f, 0x01 };
  const guint8 minimal[] = { 0x10, 0x00 };

  g_assert_cmpint (mcu_vp8_parse_descriptor (full, sizeof full, &d), ==, 0);
  g_assert_cmpint (d.picture_id, ==, 0x1234);
  g_assert_true (d.picture_id_15);
  g_assert_cmpint (d.tl0picidx, ==, 7);
  g_assert_cmpint (d.tid, ==, 2);
  g_assert_cmpint (d.keyidx, ==, 5);
  g_assert_cmpuint (d.header_len, ==, 6);
  g_assert_true (d.start && d.keyframe);
  g_assert_cmpint (mcu_vp8_parse_descriptor (short_pid, sizeof short_pid, &d), ==, 0);
  g_assert_cmpint (d.picture_id, ==, 0x7f);
  g_assert_false (d.picture_id_15);
  g_assert_false (d.start || d.keyframe);
  g_assert_cmpint (mcu_vp8_parse_descriptor (minimal, sizeof minimal, &d), ==, 0);
  g_assert_true (d.keyframe);
  g_assert_cmpint (d.picture_id, ==, -1);
}

static void
test_malformed (void)
{
  static const guint8 cases[][5] = {
    { 0x80 }, { 0x80, 0x80 }, { 0x80, 0x80, 0x81 }, { 0x80, 0x40 }, { 0x80, 0x20 }, { 0x10 },
    { 0x80, 0xf0, 0x81, 0x01, 0x02 },
  };
  static const gsize lens[] = { 1, 2, 3, 2, 2, 1, 5 };
  McuVp8Descriptor d;
  McuVp8Depay *depay = mcu_vp8_depay_new (4096);

  g_assert_cmpint (mcu_vp8_parse_descriptor (NULL, 0, &d), ==, -EINVAL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_assert_cmpint (mcu_vp8_parse_descriptor (cases[i], lens[i], &d), ==, -EINVAL);
    g_assert_cmpint (mcu_vp8_depay_push (depay, cases[i], lens[i], (guint16) i, 0, TRUE), ==, -EINVAL);
  }
  g_assert_cmpuint (mcu_vp8_depay_stats (depay)->malformed, ==, G_N_ELEMENTS (cases));
  mcu_vp8_depay_free (depay);
}

static void
test_keyframe_size (void)
{
  g_autofree guint8 *key = make_frame (64, TRUE, 1);
  g_autofree guint8 *inter = make_frame (64, FALSE, 1);
  guint w = 0, h = 0;

  g_assert_true (mcu_vp8_keyframe_size (key, 64, &w, &h));
  g_assert_cmpuint (w, ==, 320);
  g_assert_cmpuint (h, ==, 180);
  g_assert_false (mcu_vp8_keyframe_size (inter, 64, &w, &h));
  g_assert_false (mcu_vp8_keyframe_size (key, 9, &w, &h));
}

static void
test_round_trip_wrap (void)
{
  Fixture fx = { mcu_vp8_depay_new (64 * 1024), 65530, 0 };

  /* Sizes around the MTU boundary and a multi-packet key frame; the picture id and seq both wrap. */
  g_assert_cmpint (send_frame (&fx, 5000, TRUE, 0x7ffd, -1), ==, MCU_VP8_DEPAY_FRAME);
  g_assert_cmpint (send_frame (&fx, 1196, FALSE, 0x7ffe, -1), ==, MCU_VP8_DEPAY_FRAME);
  g_assert_cmpint (send_frame (&fx, 1197, FALSE, 0x7fff, -1), ==, MCU_VP8_DEPAY_FRAME);
  g_assert_cmpint (send_frame (&fx, 1, FALSE, 0x0000, -1), ==, MCU_VP8_DEPAY_FRAME);
  g_assert_cmpint (send_frame (&fx, 30000, FALSE, 0x0001, -1), ==, MCU_VP8_DEPAY_FRAME);
  g_assert_cmpuint (mcu_vp8_depay_stats (fx.depay)->frames, ==, 5);
  g_assert_cmpuint (mcu_vp8_depay_stats (fx.depay)->keyframes, ==, 1);
  g_assert_false (mcu_vp8_depay_needs_keyframe (fx.depay));
  mcu_vp8_depay_free (fx.depay);
}

static void
test_packet_sizes (void)
{
  g_autofree guint8 *frame = make_frame (2500, FALSE, 3);
  Packet packets[8];
  guint n = packetize (frame, 2500, 7, FALSE, packets, 8);

  g_assert_cmpuint (n, ==, 3);
  /* Equal cuts, the last a little shorter (no runt): one segmented send for the transport. */
  g_assert_cmpuint (packets[0].len, ==, 838);
  g_assert_cmpuint (packets[1].len, ==, 838);
  g_assert_cmpuint (packets[2].len, ==, 832 + 4);
  for (gsize len = 1000; len < 7000; len += 997) {
    g_autofree guint8 *other = make_frame (len, FALSE, 3);
    Packet more[8];
    guint m = packetize (other, len, 8, FALSE, more, 8);
    for (guint i = 1; i + 1 < m; i++)
      g_assert_cmpuint (more[i].len, ==, more[0].len);
    g_assert_cmpuint (more[m - 1].len, <=, more[0].len);
    g_assert_cmpuint (more[m - 1].len + m, >, more[0].len);
  }
  g_assert_true (packets[2].marker && !packets[0].marker);
  g_assert_cmpint (packets[0].data[0], ==, 0x90);
  g_assert_cmpint (packets[1].data[0], ==, 0x80);
  McuVp8Pay pay;
  gboolean marker;
  guint8 tiny[4];
  mcu_vp8_pay_init (&pay, frame, 10, 1, FALSE);
  g_assert_cmpint (mcu_vp8_pay_next (&pay, tiny, sizeof tiny, &marker), ==, -EINVAL);
}

static void
test_loss_waits_for_keyframe (void)
{
  Fixture fx = { mcu_vp8_depay_new (64 * 1024), 100, 0 };

  /* Before any key frame nothing is handed out. */
  g_assert_cmpint (send_frame (&fx, 3000, FALSE, 1, -1), ==, MCU_VP8_DEPAY_PENDING);
  g_assert_cmpint (send_frame (&fx, 3000, TRUE, 2, -1), ==, MCU_VP8_DEPAY_FRAME);
  /* A middle packet lost: frame dropped, then inter frames dropped until the next key frame. */
  g_assert_cmpint (send_frame (&fx, 3000, FALSE, 3, 1), ==, MCU_VP8_DEPAY_PENDING);
  g_assert_true (mcu_vp8_depay_needs_keyframe (fx.depay));
  g_assert_cmpint (send_frame (&fx, 3000, FALSE, 4, -1), ==, MCU_VP8_DEPAY_PENDING);
  g_assert_cmpint (send_frame (&fx, 2000, TRUE, 5, -1), ==, MCU_VP8_DEPAY_FRAME);
  /* The last packet (marker) lost: detected when the next timestamp starts. */
  g_assert_cmpint (send_frame (&fx, 3000, FALSE, 6, 2), ==, MCU_VP8_DEPAY_PENDING);
  g_assert_cmpint (send_frame (&fx, 100, FALSE, 7, -1), ==, MCU_VP8_DEPAY_PENDING);
  g_assert_true (mcu_vp8_depay_needs_keyframe (fx.depay));
  g_assert_cmpint (send_frame (&fx, 2000, TRUE, 8, -1), ==, MCU_VP8_DEPAY_FRAME);
  /* The first packet lost. */
  g_assert_cmpint (send_frame (&fx, 3000, FALSE, 9, 0), ==, MCU_VP8_DEPAY_PENDING);
  g_assert_true (mcu_vp8_depay_needs_keyframe (fx.depay));
  g_assert_cmpint (send_frame (&fx, 2000, TRUE, 10, -1), ==, MCU_VP8_DEPAY_FRAME);
  /* A whole single-packet frame lost: the picture id jumps, so it is a loss. */
  g_assert_cmpint (send_frame (&fx, 100, FALSE, 11, 0), ==, MCU_VP8_DEPAY_PENDING);
  g_assert_cmpint (send_frame (&fx, 100, FALSE, 12, -1), ==, MCU_VP8_DEPAY_PENDING);
  g_assert_true (mcu_vp8_depay_needs_keyframe (fx.depay));
  g_assert_cmpuint (mcu_vp8_depay_stats (fx.depay)->dropped_gap, ==, 3);
  g_assert_cmpuint (mcu_vp8_depay_stats (fx.depay)->dropped_waiting, ==, 4);
  mcu_vp8_depay_free (fx.depay);
}

static void
test_gap_without_loss (void)
{
  Fixture fx = { mcu_vp8_depay_new (64 * 1024), 1, 0 };

  g_assert_cmpint (send_frame (&fx, 500, TRUE, 40, -1), ==, MCU_VP8_DEPAY_FRAME);
  fx.seq += 3; /* padding packets that never reached us: picture ids stay consecutive */
  g_assert_cmpint (send_frame (&fx, 500, FALSE, 41, -1), ==, MCU_VP8_DEPAY_FRAME);
  g_assert_false (mcu_vp8_depay_needs_keyframe (fx.depay));
  mcu_vp8_depay_free (fx.depay);
}

static void
test_overflow_and_swap (void)
{
  Fixture fx = { mcu_vp8_depay_new (4096), 1, 0 };

  g_assert_cmpint (send_frame (&fx, 5000, TRUE, 1, -1), ==, MCU_VP8_DEPAY_PENDING);
  g_assert_cmpuint (mcu_vp8_depay_stats (fx.depay)->dropped_overflow, ==, 1);
  g_assert_cmpint (send_frame (&fx, 4000, TRUE, 2, -1), ==, MCU_VP8_DEPAY_FRAME);
  guint8 *mine = g_malloc (mcu_vp8_depay_capacity (fx.depay));
  guint8 *frame = mcu_vp8_depay_swap_buffer (fx.depay, mine);
  g_assert_cmpint (frame[0], ==, 0x10);
  gsize len = 1;
  g_assert_null (mcu_vp8_depay_frame (fx.depay, &len, NULL, NULL));
  g_assert_cmpuint (len, ==, 0);
  g_assert_cmpint (send_frame (&fx, 1000, FALSE, 3, -1), ==, MCU_VP8_DEPAY_FRAME);
  g_free (frame);
  mcu_vp8_depay_free (fx.depay);
}

/* A one-packet frame with picture id, TL0PICIDX and TID (RFC 7741 §4.2) and a 20-byte VP8 payload. */
static int
push_layered (McuVp8Depay *depay, guint16 seq, guint pid, guint tid, guint tl0, gboolean key)
{
  guint8 p[26] = { 0x90, 0xe0, (guint8) (0x80 | (pid >> 8)), (guint8) pid, (guint8) tl0, (guint8) (tid << 6) };

  p[6] = key ? 0x10 : 0x11;
  if (key) {
    p[9] = 0x9d, p[10] = 0x01, p[11] = 0x2a, p[12] = 64, p[14] = 48;
  }
  return mcu_vp8_depay_push (depay, p, sizeof p, seq, pid * 3000, TRUE);
}

static void
test_temporal_layers (void)
{
  McuVp8Depay *depay = mcu_vp8_depay_new (4096);

  g_assert_cmpint (push_layered (depay, 10, 0, 0, 0, TRUE), ==, MCU_VP8_DEPAY_FRAME);
  g_assert_cmpint (push_layered (depay, 11, 1, 1, 0, FALSE), ==, MCU_VP8_DEPAY_FRAME);
  g_assert_cmpint (push_layered (depay, 12, 2, 0, 1, FALSE), ==, MCU_VP8_DEPAY_FRAME);
  /* An upper-layer frame lost (seq 13): the next base frame follows base 1, so nothing is broken. */
  g_assert_cmpint (push_layered (depay, 14, 4, 0, 2, FALSE), ==, MCU_VP8_DEPAY_FRAME);
  g_assert_false (mcu_vp8_depay_needs_keyframe (depay));
  /* Lost again, and the next frame is upper-layer too: skipped until the next base frame. */
  g_assert_cmpint (push_layered (depay, 16, 6, 1, 2, FALSE), ==, MCU_VP8_DEPAY_PENDING);
  g_assert_true (mcu_vp8_depay_needs_base_frame (depay));
  g_assert_false (mcu_vp8_depay_needs_keyframe (depay));
  g_assert_cmpint (push_layered (depay, 17, 7, 0, 3, FALSE), ==, MCU_VP8_DEPAY_FRAME);
  g_assert_false (mcu_vp8_depay_needs_base_frame (depay));
  /* A base frame lost (seq 18, TL0PICIDX 4): only a key frame repairs that. */
  g_assert_cmpint (push_layered (depay, 19, 9, 1, 4, FALSE), ==, MCU_VP8_DEPAY_PENDING);
  g_assert_true (mcu_vp8_depay_needs_keyframe (depay));
  g_assert_cmpint (push_layered (depay, 20, 10, 0, 5, FALSE), ==, MCU_VP8_DEPAY_PENDING);
  g_assert_cmpint (push_layered (depay, 21, 11, 0, 6, TRUE), ==, MCU_VP8_DEPAY_FRAME);
  g_assert_false (mcu_vp8_depay_needs_keyframe (depay));
  g_assert_cmpuint (mcu_vp8_depay_stats (depay)->skipped_nonref, ==, 1);
  g_assert_cmpuint (mcu_vp8_depay_stats (depay)->dropped_waiting, ==, 3);
  mcu_vp8_depay_free (depay);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vp8/descriptor", test_descriptor);
  g_test_add_func ("/vp8/malformed", test_malformed);
  g_test_add_func ("/vp8/keyframe-size", test_keyframe_size);
  g_test_add_func ("/vp8/round-trip-wrap", test_round_trip_wrap);
  g_test_add_func ("/vp8/packet-sizes", test_packet_sizes);
  g_test_add_func ("/vp8/loss-waits-for-keyframe", test_loss_waits_for_keyframe);
  g_test_add_func ("/vp8/gap-without-loss", test_gap_without_loss);
  g_test_add_func ("/vp8/overflow-and-swap", test_overflow_and_swap);
  g_test_add_func ("/vp8/temporal-layers", test_temporal_layers);
  return g_test_run ();
}
