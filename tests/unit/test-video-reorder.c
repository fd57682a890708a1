/* SPDX-License-Identifier: MIT */
/* Unit tests for the video reorder buffer (mcu/media/video-reorder.c) alone and in front of the VP8
 * depacketizer inside McuVideoStream: a packet lost and delivered later as a retransmission completes
 * its frame in order; a hole is given up after the wait or the frame bound and the next frames flow,
 * with a key frame wanted only when a reference was lost; sequence wrap; reordering without loss;
 * duplicates, stale packets, resets and malformed input. /video-reorder/rate measures frames out per
 * second against loss with simulated NACK/RTX, with and without the buffer. */
#include <errno.h>
#include <string.h>

#include "media/video-reorder.h"
#include "media/video-stream.h"
#include "media/vp8-depay.h"
#include "media/vp8-pay.h"

#define MTU 1200
#define MS 1000

/* ---- the reorder buffer alone ------------------------------------------------------------------ */

typedef struct {
  McuVideoReorder *reorder;
  guint16 seqs[256];
  gboolean late[256], disc[256];
  guint n;
} Sink;

static void
sink_deliver (gpointer user_data, const McuVideoReorderPacket *p)
{
  Sink *sink = user_data;

  g_assert_cmpuint (p->len, ==, 4);
  g_assert_cmpint (p->payload[0], ==, (guint8) p->seq);
  g_assert_cmpint (p->payload[1], ==, (guint8) (p->seq >> 8));
  g_assert_cmpuint (p->ts, ==, (guint32) p->seq * 10);
  if (sink->n < G_N_ELEMENTS (sink->seqs)) {
    sink->seqs[sink->n] = p->seq;
    sink->late[sink->n] = p->late;
    sink->disc[sink->n] = p->discontinuity;
  }
  sink->n++;
}

static int
sink_push (Sink *sink, guint16 seq, gint64 now_us)
{
  guint8 payload[4] = { (guint8) seq, (guint8) (seq >> 8), 0xaa, 0x55 };

  return mcu_video_reorder_push (sink->reorder, payload, sizeof payload, 0x1234, seq, (guint32) seq * 10,
                                 seq % 3 == 2, FALSE, now_us);
}

static void
sink_init (Sink *sink)
{
  memset (sink, 0, sizeof *sink);
  sink->reorder = mcu_video_reorder_new (64, 1500, sink_deliver, sink);
}

static void
test_in_order (void)
{
  Sink sink;

  sink_init (&sink);
  for (guint i = 0; i < 100; i++)
    g_assert_cmpint (sink_push (&sink, (guint16) (500 + i), i * MS), ==, 1);
  g_assert_cmpuint (sink.n, ==, 100);
  g_assert_cmpuint (mcu_video_reorder_held (sink.reorder), ==, 0);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->late, ==, 0);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->max_held, ==, 1);
  mcu_video_reorder_free (sink.reorder);
}

static void
test_reorder_without_loss (void)
{
  Sink sink;
  const guint16 order[] = { 10, 12, 11, 13, 16, 14, 15, 17 };

  sink_init (&sink);
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    sink_push (&sink, order[i], i * MS);
  g_assert_cmpuint (sink.n, ==, 8);
  for (guint i = 0; i < 8; i++) {
    g_assert_cmpuint (sink.seqs[i], ==, 10 + i);
    g_assert_false (sink.disc[i]);
  }
  g_assert_true (sink.late[1] && sink.late[4] && sink.late[5]);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->late, ==, 3);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->holes_given_up, ==, 0);
  mcu_video_reorder_free (sink.reorder);
}

static void
test_wrap (void)
{
  Sink sink;

  sink_init (&sink);
  sink_push (&sink, 65533, 0);
  sink_push (&sink, 65534, 1 * MS);
  /* 65535 lost, then 0 and 1 arrive, then 65535 is repaired. */
  g_assert_cmpint (sink_push (&sink, 0, 2 * MS), ==, 0);
  g_assert_cmpint (sink_push (&sink, 1, 3 * MS), ==, 0);
  g_assert_cmpuint (mcu_video_reorder_held (sink.reorder), ==, 2);
  g_assert_cmpint (mcu_video_reorder_push (sink.reorder, (const guint8[]) { 0xff, 0xff, 0, 0 }, 4, 0x1234,
                                           65535, 65535u * 10, FALSE, TRUE, 100 * MS), ==, 3);
  g_assert_cmpuint (sink.n, ==, 5);
  const guint16 want[] = { 65533, 65534, 65535, 0, 1 };
  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (sink.seqs[i], ==, want[i]);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->retransmitted, ==, 1);
  mcu_video_reorder_free (sink.reorder);
}

static void
test_give_up_after_wait (void)
{
  Sink sink;

  sink_init (&sink);
  mcu_video_reorder_set_limits (sink.reorder, 200 * MS, 100);
  sink_push (&sink, 1, 0);
  sink_push (&sink, 3, 10 * MS);                   /* 2 missing */
  sink_push (&sink, 4, 150 * MS);
  g_assert_cmpuint (sink.n, ==, 1);
  g_assert_cmpint (mcu_video_reorder_poll (sink.reorder, 209 * MS), ==, 0);
  g_assert_cmpint (mcu_video_reorder_poll (sink.reorder, 210 * MS), ==, 2); /* 3 waited 200 ms */
  g_assert_cmpuint (sink.n, ==, 3);
  g_assert_cmpuint (sink.seqs[1], ==, 3);
  g_assert_true (sink.disc[1]);
  g_assert_false (sink.disc[2]);
  /* The repair arrives too late: stale, not delivered. */
  sink_push (&sink, 2, 220 * MS);
  g_assert_cmpuint (sink.n, ==, 3);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->stale, ==, 1);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->holes_given_up, ==, 1);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->packets_given_up, ==, 1);
  /* The next packets flow at once. */
  g_assert_cmpint (sink_push (&sink, 5, 230 * MS), ==, 1);
  mcu_video_reorder_free (sink.reorder);
}

static void
test_give_up_frame_bound (void)
{
  Sink sink;

  sink_init (&sink);
  mcu_video_reorder_set_limits (sink.reorder, G_MAXINT64 / 4, 2);
  sink_push (&sink, 0, 0);
  /* 1 missing; markers are on seq % 3 == 2: 2 (one frame), 5 (two frames) → given up at 5. */
  for (guint16 seq = 2; seq <= 4; seq++)
    sink_push (&sink, seq, seq * MS);
  g_assert_cmpuint (sink.n, ==, 1);
  sink_push (&sink, 5, 5 * MS);
  g_assert_cmpuint (sink.n, ==, 5);
  g_assert_cmpuint (mcu_video_reorder_held (sink.reorder), ==, 0);
  mcu_video_reorder_free (sink.reorder);
}

static void
test_rtt_wait (void)
{
  Sink sink;

  sink_init (&sink);
  g_assert_cmpint (mcu_video_reorder_get_wait_us (sink.reorder), ==, 300 * MS);
  mcu_video_reorder_set_rtt_ms (sink.reorder, 20);
  g_assert_cmpint (mcu_video_reorder_get_wait_us (sink.reorder), ==, 150 * MS);
  mcu_video_reorder_set_rtt_ms (sink.reorder, 100);
  g_assert_cmpint (mcu_video_reorder_get_wait_us (sink.reorder), ==, 250 * MS);
  mcu_video_reorder_set_rtt_ms (sink.reorder, 900);
  g_assert_cmpint (mcu_video_reorder_get_wait_us (sink.reorder), ==, 500 * MS);
  mcu_video_reorder_set_rtt_ms (sink.reorder, -1);
  g_assert_cmpint (mcu_video_reorder_get_wait_us (sink.reorder), ==, 300 * MS);
  mcu_video_reorder_free (sink.reorder);
}

static void
test_duplicates_reset_overflow (void)
{
  Sink sink;

  sink_init (&sink);
  sink_push (&sink, 100, 0);
  sink_push (&sink, 102, 1 * MS);
  sink_push (&sink, 102, 2 * MS);                  /* held twice */
  sink_push (&sink, 100, 3 * MS);                  /* already delivered */
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->duplicates, ==, 1);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->stale, ==, 1);
  /* A jump far beyond the ring (64 slots) but below a reset: the hole is given up, 102 delivered. */
  sink_push (&sink, 400, 4 * MS);
  g_assert_cmpuint (sink.n, ==, 3);
  g_assert_cmpuint (sink.seqs[1], ==, 102);
  g_assert_cmpuint (sink.seqs[2], ==, 400);
  g_assert_true (sink.disc[2]);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->resets, ==, 0);
  /* A jump of 30000: a restart, not loss. */
  sink_push (&sink, 30400, 5 * MS);
  g_assert_cmpuint (sink.n, ==, 4);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->resets, ==, 1);
  g_assert_true (sink.disc[3]);
  /* A new SSRC: whatever is held goes out, then the new stream starts where it starts. */
  sink_push (&sink, 30402, 6 * MS);
  guint8 payload[4] = { 7, 0, 0, 0 };
  mcu_video_reorder_push (sink.reorder, payload, 4, 0x9999, 7, 70, FALSE, FALSE, 7 * MS);
  g_assert_cmpuint (sink.n, ==, 6);
  g_assert_cmpuint (sink.seqs[4], ==, 30402);
  g_assert_cmpuint (sink.seqs[5], ==, 7);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->resets, ==, 2);
  /* Flush hands out what is held, skipping holes. */
  sink_push (&sink, 9, 8 * MS);
  mcu_video_reorder_flush (sink.reorder);
  g_assert_cmpuint (sink.n, ==, 7);
  g_assert_cmpuint (mcu_video_reorder_held (sink.reorder), ==, 0);
  mcu_video_reorder_free (sink.reorder);
}

static void
test_invalid (void)
{
  Sink sink;
  guint8 big[2000] = { 0 };

  sink_init (&sink);
  sink_push (&sink, 1, 0);
  g_assert_cmpint (mcu_video_reorder_push (sink.reorder, big, sizeof big, 0, 2, 20, FALSE, FALSE, MS), ==,
                   -EINVAL);
  g_assert_cmpint (mcu_video_reorder_push (sink.reorder, NULL, 0, 0, 3, 30, FALSE, FALSE, MS), ==, -EINVAL);
  /* The invalid packets are known holes: 4 goes out at once, flagged as a discontinuity. */
  g_assert_cmpint (sink_push (&sink, 4, 2 * MS), ==, 1);
  g_assert_true (sink.disc[1]);
  g_assert_cmpuint (mcu_video_reorder_stats (sink.reorder)->invalid, ==, 2);
  mcu_video_reorder_free (sink.reorder);
}

/* ---- the stream: reorder buffer + VP8 depacketizer ---------------------------------------------- */

typedef struct {
  guint8 data[MTU];
  gsize len;
  gboolean marker;
  guint16 seq;
  guint32 ts;
} Packet;

typedef struct {
  McuVideoStream stream;
  guint16 seq;
  guint32 ts;
  guint16 pid;
  gint64 now;
} Sender;

static void
sender_init (Sender *tx, guint16 first_seq)
{
  memset (tx, 0, sizeof *tx);
  mcu_video_stream_init (&tx->stream, 256 * 1024, 4);
  tx->seq = first_seq;
}

/* Packetizes the next frame (@len bytes); the N bit is set on every packet when @non_ref. */
static guint
make_frame (Sender *tx, gsize len, gboolean key, gboolean non_ref, Packet *out, guint max)
{
  g_autofree guint8 *frame = g_malloc (len);
  McuVp8Pay pay;
  guint n = 0;

  for (gsize i = 0; i < len; i++)
    frame[i] = (guint8) (tx->pid + i * 7);
  frame[0] = key ? 0x10 : 0x11;
  if (key && len >= 10) {
    frame[3] = 0x9d, frame[4] = 0x01, frame[5] = 0x2a;
    frame[6] = 64, frame[7] = 0, frame[8] = 48, frame[9] = 0;
  }
  tx->ts += 90000 / 7;
  mcu_vp8_pay_init (&pay, frame, len, tx->pid++ & 0x7fff, key);
  while (n < max) {
    int r = mcu_vp8_pay_next (&pay, out[n].data, MTU, &out[n].marker);
    if (r <= 0)
      break;
    out[n].len = (gsize) r;
    if (non_ref)
      out[n].data[0] |= 0x20;
    out[n].seq = tx->seq++;
    out[n].ts = tx->ts;
    n++;
  }
  return n;
}

static int
deliver (Sender *tx, const Packet *p, gboolean rtx)
{
  return mcu_video_stream_push_rtp (&tx->stream, p->data, p->len, 0xabcd, p->seq, p->ts, p->marker, rtx,
                                    tx->now);
}

/* Sends a frame; packet @skip (or -1) is lost and copied to @lost. Returns frames completed. */
static int
send_frame (Sender *tx, gsize len, gboolean key, gboolean non_ref, gint skip, Packet *lost)
{
  Packet packets[16];
  guint n = make_frame (tx, len, key, non_ref, packets, G_N_ELEMENTS (packets));
  int frames = 0;

  for (guint i = 0; i < n; i++) {
    tx->now += 5 * MS;
    if ((gint) i == skip)
      *lost = packets[i];
    else
      frames += deliver (tx, &packets[i], FALSE);
  }
  tx->now += 120 * MS;
  return frames;
}

static gboolean
wants_keyframe (Sender *tx)
{
  return atomic_load (&tx->stream.need_keyframe) != 0;
}

static void
test_stream_rtx_repair (void)
{
  Sender tx;
  Packet lost;
  McuVideoStreamReorderStats st;

  sender_init (&tx, 1000);
  g_assert_cmpint (send_frame (&tx, 3000, TRUE, FALSE, -1, NULL), ==, 1);
  g_assert_false (wants_keyframe (&tx));
  /* The middle packet of an inter frame is lost; the next frame is held behind it. */
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, 1, &lost), ==, 0);
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, -1, NULL), ==, 0);
  g_assert_false (wants_keyframe (&tx));
  /* Its retransmission arrives a round trip later: both frames come out, complete and in order. */
  g_assert_cmpint (deliver (&tx, &lost, TRUE), ==, 2);
  g_assert_false (wants_keyframe (&tx));
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, -1, NULL), ==, 1);
  mcu_video_stream_reorder_stats (&tx.stream, &st);
  g_assert_cmpuint (st.frames_late, ==, 1);
  g_assert_cmpuint (st.frames_given_up, ==, 0);
  g_assert_cmpuint (atomic_load (&tx.stream.hidden_frames), ==, 4);
  const McuVp8DepayStats *ds = mcu_vp8_depay_stats (tx.stream.depay);
  g_assert_cmpuint (ds->frames, ==, 4);
  g_assert_cmpuint (ds->dropped_gap, ==, 0);
  mcu_video_stream_clear (&tx.stream);
}

static void
test_stream_give_up_reference (void)
{
  Sender tx;
  Packet lost;
  McuVideoStreamReorderStats st;

  sender_init (&tx, 65530); /* the loss straddles the sequence wrap */
  g_assert_cmpint (send_frame (&tx, 3000, TRUE, FALSE, -1, NULL), ==, 1);
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, 2, &lost), ==, 0);
  /* No repair: the next frames are held 300 ms from the moment the hole shows (a frame every 135 ms
   * here), then flow — but a reference frame was lost, so the depacketizer waits for a key frame and
   * one is wanted; not before the wait is over. */
  for (guint i = 0; i < 3; i++) {
    g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, -1, NULL), ==, 0);
    g_assert_cmpuint (mcu_video_reorder_held (tx.stream.reorder), ==, 3 * (i + 1));
    g_assert_false (wants_keyframe (&tx));
  }
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, -1, NULL), ==, 0);
  g_assert_cmpuint (mcu_video_reorder_held (tx.stream.reorder), ==, 0);
  g_assert_true (wants_keyframe (&tx));
  g_assert_cmpint (send_frame (&tx, 3000, TRUE, FALSE, -1, NULL), ==, 1);
  g_assert_false (wants_keyframe (&tx));
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, -1, NULL), ==, 1);
  deliver (&tx, &lost, TRUE); /* far too late: ignored */
  mcu_video_stream_reorder_stats (&tx.stream, &st);
  g_assert_cmpuint (st.frames_given_up, ==, 1);
  g_assert_cmpuint (st.holes_given_up, ==, 1);
  g_assert_cmpuint (st.packets_stale, ==, 1);
  g_assert_cmpuint (st.frames_late, ==, 0);
  mcu_video_stream_clear (&tx.stream);
}

static void
test_stream_give_up_nonref (void)
{
  Sender tx;
  Packet lost;
  McuVideoStreamReorderStats st;

  sender_init (&tx, 7);
  g_assert_cmpint (send_frame (&tx, 3000, TRUE, FALSE, -1, NULL), ==, 1);
  /* A non-reference frame (N bit) loses its first packet and is never repaired. */
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, TRUE, 0, &lost), ==, 0);
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, -1, NULL), ==, 0);
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, -1, NULL), ==, 0);
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, -1, NULL), ==, 3); /* given up: all three flow */
  g_assert_false (wants_keyframe (&tx));
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, -1, NULL), ==, 1);
  /* Its last packet lost instead: the hole shows when the next frame starts. */
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, TRUE, 2, &lost), ==, 0);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, -1, NULL), ==, 0);
  g_assert_cmpint (send_frame (&tx, 3000, FALSE, FALSE, -1, NULL), ==, 4);
  g_assert_false (wants_keyframe (&tx));
  mcu_video_stream_reorder_stats (&tx.stream, &st);
  g_assert_cmpuint (st.frames_given_up, ==, 2);
  g_assert_cmpuint (st.skipped_nonref, ==, 2);
  mcu_video_stream_clear (&tx.stream);
}

static void
test_stream_malformed (void)
{
  Sender tx;
  guint8 junk[64];

  sender_init (&tx, 1);
  g_assert_cmpint (send_frame (&tx, 2000, TRUE, FALSE, -1, NULL), ==, 1);
  g_assert_cmpint (mcu_video_stream_push_rtp (&tx.stream, (const guint8[]) { 0x80 }, 1, 0xabcd, tx.seq++,
                                              tx.ts, TRUE, FALSE, tx.now), ==, -EINVAL);
  g_assert_cmpint (mcu_video_stream_push_rtp (&tx.stream, NULL, 0, 0xabcd, tx.seq++, tx.ts, TRUE, FALSE,
                                              tx.now), ==, -EINVAL);
  g_assert_cmpuint (mcu_vp8_depay_stats (tx.stream.depay)->malformed, ==, 1);
  GRand *rand = g_rand_new_with_seed (42);
  for (guint i = 0; i < 3000; i++) {
    gsize len = g_rand_int_range (rand, 0, sizeof junk + 1);
    for (gsize k = 0; k < len; k++)
      junk[k] = (guint8) g_rand_int (rand);
    tx.now += g_rand_int_range (rand, 0, 20 * MS);
    mcu_video_stream_push_rtp (&tx.stream, junk, len, g_rand_boolean (rand) ? 0xabcd : 0x1,
                               (guint16) g_rand_int (rand), g_rand_int (rand), g_rand_boolean (rand),
                               g_rand_boolean (rand), tx.now);
    if (i % 100 == 0)
      mcu_video_stream_poll (&tx.stream, tx.now);
  }
  g_rand_free (rand);
  mcu_video_stream_clear (&tx.stream);
}

/* ---- frames per second against loss with simulated NACK/RTX ------------------------------------- */

typedef struct {
  gint64 at;
  Packet packet;
  gboolean rtx;
} Arrival;

static gint
arrival_cmp (gconstpointer a, gconstpointer b)
{
  gint64 x = ((const Arrival *) a)->at, y = ((const Arrival *) b)->at;
  return x < y ? -1 : x > y;
}

typedef struct {
  double loss;
  gint64 rtt_us;
  gboolean reorder;   /* FALSE: packets straight into a bare depacketizer, as before */
} SimConfig;

/* Packet losses repaired by RTX one RTT after the hole is seen (each repair lost with the same
 * probability, retried up to 1 s as the session does); a key frame arrives RTT/2 after it was wanted
 * (requests at most every 300 ms). 7 fps, ~4 packets a frame, 60 s. Returns frames out per second. */
static double
simulate (const SimConfig *cfg, guint32 seed)
{
  Sender tx;
  McuVp8Depay *bare = mcu_vp8_depay_new (256 * 1024);
  GRand *rand = g_rand_new_with_seed (seed);
  GArray *pending = g_array_new (FALSE, FALSE, sizeof (Arrival));
  const gint64 frame_us = 1000000 / 7, duration = 60 * G_USEC_PER_SEC;
  gint64 key_asked = -1, last_request = G_MININT64 / 2;
  guint frames = 0;
  gboolean key = TRUE;

  sender_init (&tx, (guint16) seed);
  mcu_video_stream_set_rtt_ms (&tx.stream, cfg->rtt_us / 1000.0);
  for (gint64 t = 0; t < duration; t += frame_us) {
    Packet packets[16];
    guint n = make_frame (&tx, key ? 4500 : 4000, key, FALSE, packets, G_N_ELEMENTS (packets));
    key = FALSE;
    for (guint i = 0; i < n; i++) {
      gint64 sent = t + i * 2 * MS, at = sent + cfg->rtt_us / 2;
      gboolean rtx = FALSE;
      /* Lost: NACKed when the next packet shows the hole, resent a round trip later, maybe lost again. */
      while (g_rand_double (rand) < cfg->loss && at - sent < G_USEC_PER_SEC) {
        at += cfg->rtt_us + 2 * MS;
        rtx = TRUE;
      }
      if (at - sent >= G_USEC_PER_SEC)
        continue;
      Arrival a = { at, packets[i], rtx };
      g_array_append_val (pending, a);
    }
    g_array_sort (pending, arrival_cmp);
    guint used = 0;
    for (; used < pending->len; used++) {
      Arrival *a = &g_array_index (pending, Arrival, used);
      if (a->at >= t + frame_us)
        break;
      tx.now = a->at;
      if (cfg->reorder) {
        int r = deliver (&tx, &a->packet, a->rtx);
        frames += (guint) MAX (r, 0);
      } else {
        frames += mcu_vp8_depay_push (bare, a->packet.data, a->packet.len, a->packet.seq, a->packet.ts,
                                      a->packet.marker) == MCU_VP8_DEPAY_FRAME;
      }
      gboolean want = cfg->reorder ? wants_keyframe (&tx) : mcu_vp8_depay_needs_keyframe (bare);
      if (want && a->at - last_request >= 300 * MS && key_asked < 0) {
        key_asked = a->at + cfg->rtt_us / 2;
        last_request = a->at;
      }
    }
    g_array_remove_range (pending, 0, used);
    if (key_asked >= 0 && key_asked <= t + frame_us) {
      key = TRUE;
      key_asked = -1;
    }
  }
  g_array_free (pending, TRUE);
  g_rand_free (rand);
  mcu_vp8_depay_free (bare);
  mcu_video_stream_clear (&tx.stream);
  return frames / (duration / (double) G_USEC_PER_SEC);
}

static void
test_rate (void)
{
  const double losses[] = { 0, 0.02, 0.05, 0.10, 0.20 };
  const gint64 rtts[] = { 50 * MS, 200 * MS };

  for (guint r = 0; r < G_N_ELEMENTS (rtts); r++) {
    for (guint i = 0; i < G_N_ELEMENTS (losses); i++) {
      SimConfig with = { losses[i], rtts[r], TRUE }, without = { losses[i], rtts[r], FALSE };
      double fps_with = 0, fps_without = 0;
      for (guint32 seed = 1; seed <= 3; seed++) {
        fps_with += simulate (&with, seed) / 3;
        fps_without += simulate (&without, seed) / 3;
      }
      g_test_message ("rtt %3" G_GINT64_FORMAT " ms, loss %4.1f %%: %.2f fps out of 7 with the reorder buffer, "
                      "%.2f without", rtts[r] / MS, losses[i] * 100, fps_with, fps_without);
      if (g_test_verbose ())
        g_printerr ("rtt %3" G_GINT64_FORMAT " ms, loss %4.1f %%: %.2f fps with reorder, %.2f without\n",
                    rtts[r] / MS, losses[i] * 100, fps_with, fps_without);
      if (losses[i] == 0) {
        g_assert_cmpfloat (fps_with, >, 6.9);
        g_assert_cmpfloat (fps_without, >, 6.9);
      }
      if (losses[i] == 0.10)
        g_assert_cmpfloat (fps_with, >, 6.0);
      if (losses[i] > 0)
        g_assert_cmpfloat (fps_with, >, fps_without);
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/video-reorder/in-order", test_in_order);
  g_test_add_func ("/video-reorder/reorder-without-loss", test_reorder_without_loss);
  g_test_add_func ("/video-reorder/wrap", test_wrap);
  g_test_add_func ("/video-reorder/give-up-after-wait", test_give_up_after_wait);
  g_test_add_func ("/video-reorder/give-up-frame-bound", test_give_up_frame_bound);
  g_test_add_func ("/video-reorder/rtt-wait", test_rtt_wait);
  g_test_add_func ("/video-reorder/duplicates-reset-overflow", test_duplicates_reset_overflow);
  g_test_add_func ("/video-reorder/invalid", test_invalid);
  g_test_add_func ("/video-reorder/stream/rtx-repair", test_stream_rtx_repair);
  g_test_add_func ("/video-reorder/stream/give-up-reference", test_stream_give_up_reference);
  g_test_add_func ("/video-reorder/stream/give-up-nonref", test_stream_give_up_nonref);
  g_test_add_func ("/video-reorder/stream/malformed", test_stream_malformed);
  g_test_add_func ("/video-reorder/rate", test_rate);
  return g_test_run ();
}
