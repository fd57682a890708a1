/* SPDX-License-Identifier: MIT */
/* Unit tests for McuRtpHistory and the sessions that share one (a video tier's receivers): the ring
 * keeps the newest packets by sequence number and refuses what it no longer has; each receiver's
 * session sends the tier's packets under its own SSRC, numbering and timestamp offset, and answers
 * its receiver's NACK from the shared history with the payload intact and the receiver's own
 * numbers; after a move to another tier the numbering goes on without a gap and a NACK for the old
 * tier's packets is a counted miss, as is one older than the ring. */
#include "transport/rtcp.h"
#include "transport/rtp-session.h"

#include <errno.h>
#include <string.h>

typedef struct {
  McuRtpSession *session;
  guint8 last[1600];
  gsize last_len;
  guint sent;
} Receiver;

static int
make_packet (guint8 *buf, gsize size, guint16 seq, guint32 ts)
{
  McuRtpHeader h = { .pt = 96, .seq = seq, .ts = ts, .ssrc = 0x7777, .marker = (seq % 4) == 0 };
  int len = mcu_rtp_write_header (buf, size, &h);

  g_assert_cmpint (len, ==, 12);
  for (guint k = 0; k < 100; k++)
    buf[len + k] = (guint8) (seq + k);
  return len + 100;
}

static void
test_ring (void)
{
  g_autoptr (McuRtpHistory) history = mcu_rtp_history_new (40);
  guint8 packet[200], out[200];

  g_assert_cmpuint (mcu_rtp_history_get_capacity (history), ==, 64);
  for (guint i = 0; i < 100; i++) {
    int len = make_packet (packet, sizeof packet, (guint16) (65500 + i), i * 3000);
    g_assert_cmpint (mcu_rtp_history_put (history, packet, (gsize) len), ==, 0);
  }
  /* 65500 … 65535 then 0 … 63 were put: the newest 64, 0 … 63, are kept */
  int len = mcu_rtp_history_copy (history, 63, out, sizeof out);
  g_assert_cmpint (len, ==, 112);
  make_packet (packet, sizeof packet, 63, 99 * 3000);
  g_assert_cmpmem (out, 112, packet, 112);
  g_assert_cmpint (mcu_rtp_history_copy (history, 0, out, sizeof out), ==, 112);
  g_assert_cmpint (mcu_rtp_history_copy (history, 65535, out, sizeof out), ==, -ENOENT);
  g_assert_cmpint (mcu_rtp_history_copy (history, 1000, out, sizeof out), ==, -ENOENT);
  g_assert_cmpint (mcu_rtp_history_copy (history, 63, out, 50), ==, -ENOSPC);
  /* not RTP, too long */
  memset (packet, 0, sizeof packet);
  g_assert_cmpint (mcu_rtp_history_put (history, packet, 8), ==, -EINVAL);
  guint8 big[1600] = { 0x80 };
  g_assert_cmpint (mcu_rtp_history_put (history, big, sizeof big), ==, -ENOSPC);
}

static void
capture (gpointer user_data, guint8 *packet, gsize len)
{
  Receiver *r = user_data;

  g_assert_cmpuint (len, <=, sizeof r->last);
  memcpy (r->last, packet, len);
  r->last_len = len;
  r->sent++;
}

static void
receiver_init (Receiver *r, guint32 ssrc)
{
  McuRtpSessionConfig config = {
    .local_video_ssrc = ssrc, .local_video_rtx_ssrc = ssrc + 1, .video_pt = 100, .video_rtx_pt = 101,
    .nack = TRUE, .ext_mid = 4,
  };
  McuRtpSessionCallbacks callbacks = { .send_rtp = capture };

  memset (r, 0, sizeof *r);
  r->session = mcu_rtp_session_new (&config, &callbacks, r);
}

/* Sends tier packets @first … @first + @n - 1 to every receiver; returns each receiver's RTP header
 * of the last one in @last (one per receiver). */
static void
send_tier (McuRtpHistory *history, guint16 first, guint n, Receiver *receivers, guint n_receivers,
           const guint32 *ts_offsets, McuRtpHeader *last)
{
  guint8 packet[200];

  for (guint i = 0; i < n; i++) {
    guint16 seq = (guint16) (first + i);
    int len = make_packet (packet, sizeof packet, seq, 90000u + seq * 3000u);
    g_assert_cmpint (mcu_rtp_history_put (history, packet, (gsize) len), ==, 0);
    for (guint k = 0; k < n_receivers; k++) {
      g_assert_cmpint (mcu_rtp_session_send_shared (receivers[k].session, MCU_MEDIA_VIDEO, packet,
                                                    (gsize) len, history, ts_offsets[k], 0), ==, 0);
      g_assert_cmpint (mcu_rtp_parse (receivers[k].last, receivers[k].last_len, &last[k]), >=, 0);
    }
  }
}

static void
nack (Receiver *r, guint32 media_ssrc, guint16 seq, gint64 now_us)
{
  guint8 fb[64];
  int len = mcu_rtcp_build_nack (fb, sizeof fb, 0x4444, media_ssrc, &seq, 1);

  g_assert_cmpint (len, >, 0);
  mcu_rtp_session_receive_rtcp (r->session, fb, (gsize) len, now_us);
}

/* The retransmission just sent by @r, unwrapped: the original packet as the receiver had it. */
static void
check_resent (Receiver *r, guint32 ssrc, guint16 seq, const McuRtpHeader *original, guint16 tier_seq)
{
  McuRtpHeader h;
  guint8 expect[200];

  g_assert_cmpint (mcu_rtp_parse (r->last, r->last_len, &h), >=, 0);
  g_assert_cmpuint (h.ssrc, ==, ssrc + 1);
  g_assert_cmpuint (h.pt, ==, 101);
  int len = mcu_rtp_rtx_unwrap (r->last, r->last_len, &h, 100, ssrc);
  g_assert_cmpint (len, >, 0);
  g_assert_cmpuint (h.seq, ==, seq);
  g_assert_cmpuint (h.ts, ==, original->ts);
  g_assert_cmpuint (h.marker, ==, original->marker);
  make_packet (expect, sizeof expect, tier_seq, 0);
  g_assert_cmpmem (r->last + h.header_len, h.payload_len, expect + 12, 100);
}

static void
test_shared_nack (void)
{
  g_autoptr (McuRtpHistory) tier0 = mcu_rtp_history_new (64);
  g_autoptr (McuRtpHistory) tier1 = mcu_rtp_history_new (64);
  Receiver r[2];
  const guint32 offsets[2] = { 12345, 4000000000u };
  McuRtpHeader last[2], at10[2];
  McuRtpStats stats;

  receiver_init (&r[0], 0x1000);
  receiver_init (&r[1], 0x2000);
  send_tier (tier0, 500, 11, r, 2, offsets, at10);   /* tier packets 500 … 510 */
  send_tier (tier0, 511, 20, r, 2, offsets, last);
  for (guint k = 0; k < 2; k++) {
    g_assert_cmpuint (at10[k].ssrc, ==, k == 0 ? 0x1000u : 0x2000u);
    g_assert_cmpuint (at10[k].pt, ==, 100);
    g_assert_cmpuint (at10[k].ts, ==, 90000u + 510u * 3000u + offsets[k]);
    g_assert_cmpuint ((guint16) (last[k].seq - at10[k].seq), ==, 20);
  }

  /* each receiver's NACK for tier packet 510 is answered with its own numbers */
  for (guint k = 0; k < 2; k++) {
    guint before = r[k].sent;
    nack (&r[k], k == 0 ? 0x1000 : 0x2000, at10[k].seq, 1000000);
    g_assert_cmpuint (r[k].sent, ==, before + 1);
    check_resent (&r[k], k == 0 ? 0x1000 : 0x2000, at10[k].seq, &at10[k], 510);
    /* a burst: not resent again within 10 ms */
    nack (&r[k], k == 0 ? 0x1000 : 0x2000, at10[k].seq, 1005000);
    g_assert_cmpuint (r[k].sent, ==, before + 1);
    mcu_rtp_session_get_stats (r[k].session, &stats);
    g_assert_cmpuint (stats.send[MCU_MEDIA_VIDEO].retransmitted, ==, 1);
    g_assert_cmpuint (stats.send[MCU_MEDIA_VIDEO].retransmit_suppressed, ==, 1);
  }

  /* receiver 0 moves to tier 1, whose numbers are unrelated: ours go on without a gap */
  McuRtpHeader moved, before_move = last[0];
  send_tier (tier1, 9000, 5, r, 1, offsets, &moved);
  g_assert_cmpuint ((guint16) (moved.seq - before_move.seq), ==, 5);
  McuRtpHeader tier1_last = moved;
  guint sent = r[0].sent;
  /* a NACK for a tier-0 packet (sent before the move) is a miss, not tier 1's packet */
  nack (&r[0], 0x1000, before_move.seq, 2000000);
  g_assert_cmpuint (r[0].sent, ==, sent);
  /* tier 1's own packets are answered */
  nack (&r[0], 0x1000, tier1_last.seq, 2000000);
  g_assert_cmpuint (r[0].sent, ==, sent + 1);
  check_resent (&r[0], 0x1000, tier1_last.seq, &tier1_last, 9004);
  /* older than the ring (receiver 1 stays on tier 0, which moves 100 packets on) */
  send_tier (tier0, 531, 100, &r[1], 1, &offsets[1], last);
  sent = r[1].sent;
  nack (&r[1], 0x2000, at10[1].seq, 3000000);
  g_assert_cmpuint (r[1].sent, ==, sent);
  mcu_rtp_session_get_stats (r[0].session, &stats);
  g_assert_cmpuint (stats.send[MCU_MEDIA_VIDEO].rtx_misses, ==, 1);
  mcu_rtp_session_get_stats (r[1].session, &stats);
  g_assert_cmpuint (stats.send[MCU_MEDIA_VIDEO].rtx_misses, ==, 1);

  mcu_rtp_session_free (r[0].session);
  mcu_rtp_session_free (r[1].session);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtp-history/ring", test_ring);
  g_test_add_func ("/rtp-history/shared-nack", test_shared_nack);
  return g_test_run ();
}
