/* SPDX-License-Identifier: MIT */
/* Unit tests for McuRtpSession: two sessions wired back to back through an in-memory link with delay,
 * jitter and deterministic loss (every Nth RTP packet dropped), on a simulated clock. They show NACK →
 * RTX recovery (every packet arrives exactly once), RR loss/jitter/RTT figures (a packet recovered
 * through RTX counts as lost in the RR: the reports describe the link), SR timing for lip
 * sync, PLI/FIR delivery and rate limiting, REMB delivery, TWCC feedback that matches what arrived,
 * the history bound (a NACK for a packet older than the history counts a miss), SSRC learning by
 * mid for the content stream, and malformed input counted and dropped. */
#include "transport/rtcp.h"
#include "transport/rtp-session.h"

#include <string.h>

#define START_US (10 * G_USEC_PER_SEC)

typedef struct _Net Net;

typedef struct {
  Net *net;
  McuRtpSession *session;
  gboolean is_a;
  /* what arrived at this end */
  guint media[MCU_MEDIA_N_KINDS];
  guint8 seen[65536];          /* per sequence number of the video stream */
  guint duplicates;
  guint keyframe_requests[MCU_MEDIA_N_KINDS];
  guint32 last_bitrate;
  guint bitrate_requests;
  gint last_audio_level;
} End;

typedef struct {
  End *to;
  gboolean rtcp;
  gint64 at;
  gsize len;
  guint8 data[1600];
} Pending;

struct _Net {
  End a, b;
  GQueue queue;
  gint64 now;
  gint64 delay_us;
  gint64 jitter_us;          /* added to every other packet */
  guint drop_every;          /* drop every Nth RTP packet from a to b (0 = none) */
  guint rtp_ab;
  guint dropped;
  guint sent_twcc_statuses, twcc_received_statuses, twcc_lost_statuses;
  guint twcc_packets;
};

static gint
by_time (gconstpointer a, gconstpointer b, gpointer data)
{
  const Pending *x = a, *y = b;
  return x->at < y->at ? -1 : x->at > y->at;
}

static void
enqueue (End *from, gboolean rtcp, const guint8 *packet, gsize len)
{
  Net *net = from->net;
  Pending *p = g_new0 (Pending, 1);

  g_assert_cmpuint (len, <=, sizeof p->data);
  p->to = from->is_a ? &net->b : &net->a;
  p->rtcp = rtcp;
  p->len = len;
  memcpy (p->data, packet, len);
  p->at = net->now + net->delay_us + ((net->rtp_ab & 1) ? net->jitter_us : 0);
  g_queue_insert_sorted (&net->queue, p, by_time, NULL);
}

static void
send_rtp_cb (gpointer user_data, guint8 *packet, gsize len)
{
  End *end = user_data;
  Net *net = end->net;

  memset (packet + len, 0xEE, MCU_RTP_SESSION_SEND_TAILROOM);  /* the tailroom is writable */
  if (end->is_a) {
    net->rtp_ab++;
    if (net->drop_every && net->rtp_ab % net->drop_every == 0) {
      net->dropped++;
      return;
    }
  }
  enqueue (end, FALSE, packet, len);
}

static void
count_twcc (Net *net, const guint8 *packet, gsize len)
{
  McuRtcpIter iter;
  McuRtcpPacket p;
  McuRtcpTwccHeader header;
  McuRtcpTwccStatus st[1100];

  mcu_rtcp_iter_init (&iter, packet, len);
  while (mcu_rtcp_iter_next (&iter, &p) > 0) {
    if (p.kind != MCU_RTCP_KIND_TWCC)
      continue;
    int n = mcu_rtcp_twcc_decode (&p, &header, st, G_N_ELEMENTS (st));
    g_assert_cmpint (n, >, 0);
    net->twcc_packets++;
    for (int i = 0; i < n; i++) {
      if (st[i].received)
        net->twcc_received_statuses++;
      else
        net->twcc_lost_statuses++;
    }
  }
}

static void
send_rtcp_cb (gpointer user_data, guint8 *packet, gsize len)
{
  End *end = user_data;

  g_assert_cmpint (mcu_rtcp_validate (packet, len), ==, 0);  /* we only send well-formed RTCP */
  if (!end->is_a)
    count_twcc (end->net, packet, len);
  enqueue (end, TRUE, packet, len);
}

static void
on_media_cb (gpointer user_data, McuMediaKind kind, guint8 *packet, gsize len, const McuRtpInfo *info)
{
  End *end = user_data;

  end->media[kind]++;
  g_assert_cmpuint (info->payload_offset + info->payload_len, <=, len);
  if (kind == MCU_MEDIA_VIDEO) {
    if (end->seen[info->seq]++)
      end->duplicates++;
    g_assert_cmpuint (info->payload_len, ==, 100);
    for (guint k = 0; k < info->payload_len; k++)  /* payload intact */
      g_assert_cmpuint (packet[info->payload_offset + k], ==, (guint8) ((12 + k) * 7));
  }
  if (kind == MCU_MEDIA_AUDIO)
    end->last_audio_level = info->audio_level;
}

static void
on_keyframe_cb (gpointer user_data, McuMediaKind kind)
{
  End *end = user_data;
  end->keyframe_requests[kind]++;
}

static void
on_bitrate_cb (gpointer user_data, guint32 bps)
{
  End *end = user_data;
  end->last_bitrate = bps;
  end->bitrate_requests++;
}

static const McuRtpSessionCallbacks callbacks = {
  send_rtp_cb, send_rtcp_cb, on_media_cb, on_keyframe_cb, on_bitrate_cb,
};

static McuRtpSessionConfig
base_config (guint32 audio, guint32 video, guint32 rtx)
{
  return (McuRtpSessionConfig) {
    .local_audio_ssrc = audio, .local_video_ssrc = video, .local_video_rtx_ssrc = rtx,
    .audio_pt = 111, .video_pt = 96, .video_rtx_pt = 97,
    .nack = TRUE, .pli = TRUE, .fir = TRUE, .remb = TRUE, .rsize = TRUE,
    .ext_audio_level = 1, .ext_abs_send_time = 2, .ext_twcc = 3, .ext_mid = 4,
  };
}

static Net *
net_new (const McuRtpSessionConfig *ca, const McuRtpSessionConfig *cb)
{
  Net *net = g_new0 (Net, 1);

  g_queue_init (&net->queue);
  net->now = START_US;
  net->delay_us = 20000;
  net->a = (End) { .net = net, .is_a = TRUE, .last_audio_level = -2 };
  net->b = (End) { .net = net, .is_a = FALSE, .last_audio_level = -2 };
  net->a.session = mcu_rtp_session_new (ca, &callbacks, &net->a);
  net->b.session = mcu_rtp_session_new (cb, &callbacks, &net->b);
  return net;
}

static void
net_free (Net *net)
{
  g_queue_clear_full (&net->queue, g_free);
  mcu_rtp_session_free (net->a.session);
  mcu_rtp_session_free (net->b.session);
  g_free (net);
}

/* Delivers everything due, runs both sessions' timers, and advances the clock by @step_us. */
static void
net_step (Net *net, gint64 step_us)
{
  Pending *p;

  while ((p = g_queue_peek_head (&net->queue)) != NULL && p->at <= net->now) {
    g_queue_pop_head (&net->queue);
    if (p->rtcp)
      mcu_rtp_session_receive_rtcp (p->to->session, p->data, p->len, net->now);
    else
      mcu_rtp_session_receive_rtp (p->to->session, p->data, p->len, net->now);
    g_free (p);
  }
  gint64 next_a = mcu_rtp_session_poll (net->a.session, net->now);
  gint64 next_b = mcu_rtp_session_poll (net->b.session, net->now);
  g_assert_cmpint (next_a, >, net->now);
  g_assert_cmpint (next_b, >, net->now);
  net->now += step_us;
}

static void
net_run (Net *net, gint64 duration_us)
{
  gint64 end = net->now + duration_us;
  while (net->now < end)
    net_step (net, 1000);
}

/* A video packet with a recognizable payload, so the receiver can check RTX kept it intact. */
static void
send_video (Net *net, End *from, McuMediaKind kind, guint i)
{
  guint8 pkt[112] = { 0 };
  McuRtpHeader h = { .pt = 96, .seq = (guint16) (1000 + i), .ts = 90000 + i * 900, .ssrc = 1 };

  mcu_rtp_write_header (pkt, sizeof pkt, &h);
  for (guint k = 12; k < sizeof pkt; k++)
    pkt[k] = (guint8) (k * 7);
  g_assert_cmpint (mcu_rtp_session_send_rtp (from->session, kind, pkt, sizeof pkt, net->now), ==, 0);
}

static void
send_video_stamped (Net *net, guint count, gint64 interval_us)
{
  for (guint i = 0; i < count; i++) {
    send_video (net, &net->a, MCU_MEDIA_VIDEO, i);
    net_run (net, interval_us);
  }
}

static void
test_nack_rtx_recovery (gconstpointer data)
{
  McuRtpSessionConfig ca = base_config (0x1111, 0x2222, 0x3333);
  McuRtpSessionConfig cb = base_config (0x4444, 0x5555, 0x6666);
  Net *net = net_new (&ca, &cb);
  McuRtpStats sa, sb;

  net->drop_every = GPOINTER_TO_UINT (data);
  send_video_stamped (net, 300, 10000);
  net_run (net, 1000000);
  mcu_rtp_session_get_stats (net->a.session, &sa);
  mcu_rtp_session_get_stats (net->b.session, &sb);

  g_test_message ("dropped %u, B got %u video, nack sent %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
                  " seqs), A retransmitted %" G_GUINT64_FORMAT ", recovered %" G_GUINT64_FORMAT,
                  net->dropped, net->b.media[MCU_MEDIA_VIDEO], sb.recv[MCU_MEDIA_VIDEO].nack_sent,
                  sb.recv[MCU_MEDIA_VIDEO].nack_seqs_sent, sa.send[MCU_MEDIA_VIDEO].retransmitted,
                  sb.recv[MCU_MEDIA_VIDEO].recovered);
  g_assert_cmpuint (net->dropped, >=, 300 / net->drop_every);
  g_assert_cmpuint (net->b.media[MCU_MEDIA_VIDEO], ==, 300);   /* every packet, once */
  g_assert_cmpuint (net->b.duplicates, ==, 0);
  /* every Nth packet of all a→b RTP is dropped, retransmissions included: those are asked again */
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].recovered, >=, 300 / net->drop_every - 1);
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].recovered, <=, net->dropped);
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].nack_seqs_sent, ==, net->dropped);
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].nack_gave_up, ==, 0);
  g_assert_cmpuint (sa.send[MCU_MEDIA_VIDEO].nack_received, ==, sb.recv[MCU_MEDIA_VIDEO].nack_sent);
  g_assert_cmpuint (sa.send[MCU_MEDIA_VIDEO].retransmitted, >=, net->dropped);
  g_assert_cmpuint (sa.send[MCU_MEDIA_VIDEO].rtx_misses, ==, 0);
  /* the link lost them, RTX brought them back: counted as lost (what our RRs say) and as recovered */
  g_assert_cmpint (sb.recv[MCU_MEDIA_VIDEO].lost, ==, (gint64) sb.recv[MCU_MEDIA_VIDEO].recovered);
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].ssrc, ==, 0x2222);
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].packets, ==, 300);
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].bitrate_bps, >, 0);
  g_assert_cmpuint (sb.malformed_rtp + sb.unknown_rtp, ==, 0);
  net_free (net);
}

static void
test_loss_jitter_rtt (void)
{
  McuRtpSessionConfig ca = base_config (0x1111, 0x2222, 0);
  McuRtpSessionConfig cb = base_config (0x4444, 0x5555, 0);
  McuRtpStats sa, sb;

  ca.nack = cb.nack = FALSE;
  Net *net = net_new (&ca, &cb);
  net->drop_every = 10;
  net->jitter_us = 4000;
  send_video_stamped (net, 500, 10000);
  net_run (net, 100000);
  mcu_rtp_session_get_stats (net->a.session, &sa);
  mcu_rtp_session_get_stats (net->b.session, &sb);

  g_test_message ("B lost %" G_GINT64_FORMAT " jitter %.2f ms; A sees loss %.3f cumulative %"
                  G_GINT64_FORMAT " jitter %.2f ms rtt %.2f ms", sb.recv[MCU_MEDIA_VIDEO].lost,
                  sb.recv[MCU_MEDIA_VIDEO].jitter_ms, sa.send[MCU_MEDIA_VIDEO].remote_fraction_lost,
                  sa.send[MCU_MEDIA_VIDEO].remote_cumulative_lost,
                  sa.send[MCU_MEDIA_VIDEO].remote_jitter_ms, sa.send[MCU_MEDIA_VIDEO].rtt_ms);
  /* the 500th packet was dropped too, and nothing after it shows it existed */
  g_assert_cmpuint (net->dropped, ==, 50);
  g_assert_cmpint (sb.recv[MCU_MEDIA_VIDEO].lost, ==, 49);
  g_assert_cmpuint (net->b.media[MCU_MEDIA_VIDEO], ==, 450);
  /* alternate packets are 4 ms late: |D| = 4 ms each time, so J converges to 4 ms */
  g_assert_cmpfloat (sb.recv[MCU_MEDIA_VIDEO].jitter_ms, >, 3.5);
  g_assert_cmpfloat (sb.recv[MCU_MEDIA_VIDEO].jitter_ms, <, 4.5);
  g_assert_cmpfloat (sa.send[MCU_MEDIA_VIDEO].remote_fraction_lost, >, 0.08);
  g_assert_cmpfloat (sa.send[MCU_MEDIA_VIDEO].remote_fraction_lost, <, 0.12);
  g_assert_cmpint (sa.send[MCU_MEDIA_VIDEO].remote_cumulative_lost, >=, 40);
  g_assert_cmpfloat (sa.send[MCU_MEDIA_VIDEO].remote_jitter_ms, >, 3.5);
  /* RTT = 2 × 20 ms one-way delay (+ up to 4 ms jitter and the 1 ms polling step) */
  g_assert_cmpfloat (sa.send[MCU_MEDIA_VIDEO].rtt_ms, >=, 39.0);
  g_assert_cmpfloat (sa.send[MCU_MEDIA_VIDEO].rtt_ms, <=, 49.0);
  net_free (net);
}

/* With NACK/RTX repairing every hole, the receiver reports still show the link's loss: the sender
 * must see it to back off (a packet recovered through RTX counts as lost, and as recovered). */
static void
test_rr_counts_rtx_recovered_as_lost (void)
{
  McuRtpSessionConfig ca = base_config (0x1111, 0x2222, 0x3333);
  McuRtpSessionConfig cb = base_config (0x4444, 0x5555, 0x6666);
  Net *net = net_new (&ca, &cb);
  McuRtpStats sa, sb;

  net->drop_every = 10;
  send_video_stamped (net, 250, 10000);
  mcu_rtp_session_get_stats (net->a.session, &sa);  /* while media still flows */
  g_test_message ("A sees loss %.3f, cumulative %" G_GINT64_FORMAT " (dropped %u)",
                  sa.send[MCU_MEDIA_VIDEO].remote_fraction_lost, sa.send[MCU_MEDIA_VIDEO].remote_cumulative_lost,
                  net->dropped);
  g_assert_cmpfloat (sa.send[MCU_MEDIA_VIDEO].remote_fraction_lost, >, 0.06);
  g_assert_cmpfloat (sa.send[MCU_MEDIA_VIDEO].remote_fraction_lost, <, 0.13);
  g_assert_cmpint (sa.send[MCU_MEDIA_VIDEO].remote_cumulative_lost, >=, 10);
  g_assert_cmpint (sa.send[MCU_MEDIA_VIDEO].remote_cumulative_lost, <=, net->dropped);

  send_video_stamped (net, 50, 10000);
  net_run (net, 1000000);
  mcu_rtp_session_get_stats (net->a.session, &sa);
  mcu_rtp_session_get_stats (net->b.session, &sb);
  g_assert_cmpuint (net->b.media[MCU_MEDIA_VIDEO], ==, 300);  /* RTX still repaired every hole */
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].packets, ==, 300);
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].recovered, >=, 25);
  g_assert_cmpint (sb.recv[MCU_MEDIA_VIDEO].lost, ==, (gint64) sb.recv[MCU_MEDIA_VIDEO].recovered);
  /* the last report said what the link lost, not what was missing after the repairs */
  g_assert_cmpint (sa.send[MCU_MEDIA_VIDEO].remote_cumulative_lost, ==, sb.recv[MCU_MEDIA_VIDEO].lost);
  net_free (net);
}

static void
test_sr_timestamps (void)
{
  McuRtpSessionConfig ca = base_config (0x1111, 0, 0);
  McuRtpSessionConfig cb = base_config (0x4444, 0, 0);
  Net *net = net_new (&ca, &cb);
  guint8 pkt[40] = { 0 };
  McuRtpHeader h = { .pt = 111, .ts = 480000, .ssrc = 9 };
  guint8 level = 0x80 | 30;
  guint64 ntp;
  guint32 rtp_ts;
  gint64 received;

  mcu_rtp_write_header (pkt, sizeof pkt, &h);
  McuRtpHeader parsed;
  mcu_rtp_parse (pkt, 20, &parsed);
  int len = mcu_rtp_set_extension (pkt, 20, sizeof pkt, &parsed, 1, &level, 1);
  g_assert_cmpint (mcu_rtp_session_send_rtp (net->a.session, MCU_MEDIA_AUDIO, pkt, (gsize) len,
                                             net->now), ==, 0);
  gint64 sent_at = net->now;
  g_assert_false (mcu_rtp_session_get_remote_clock (net->b.session, MCU_MEDIA_AUDIO, &ntp, &rtp_ts,
                                                    &received));
  net_run (net, 1600000);
  g_assert_cmpint (net->b.last_audio_level, ==, 30);
  g_assert_true (mcu_rtp_session_get_remote_clock (net->b.session, MCU_MEDIA_AUDIO, &ntp, &rtp_ts,
                                                   &received));
  /* the SR left A 20 ms before B got it; its RTP time is the packet's, advanced at 48 kHz */
  gint64 sr_sent = received - 20000;
  g_assert_cmpint ((gint32) (rtp_ts - (480000 + (sr_sent - sent_at) * 48 / 1000)), ==, 0);
  net_free (net);
}

static void
test_keyframe_requests (void)
{
  McuRtpSessionConfig ca = base_config (0x1111, 0x2222, 0x3333);
  McuRtpSessionConfig cb = base_config (0x4444, 0x5555, 0x6666);
  Net *net = net_new (&ca, &cb);
  McuRtpStats sb, sa;

  /* nothing received yet: no SSRC to ask */
  mcu_rtp_session_request_keyframe (net->b.session, MCU_MEDIA_VIDEO, net->now);
  send_video_stamped (net, 5, 10000);
  mcu_rtp_session_request_keyframe (net->b.session, MCU_MEDIA_VIDEO, net->now);
  mcu_rtp_session_request_keyframe (net->b.session, MCU_MEDIA_VIDEO, net->now + 1000); /* limited */
  net_run (net, 100000);
  g_assert_cmpuint (net->a.keyframe_requests[MCU_MEDIA_VIDEO], ==, 1);
  net_run (net, 300000);
  mcu_rtp_session_request_keyframe (net->b.session, MCU_MEDIA_VIDEO, net->now);
  net_run (net, 100000);
  g_assert_cmpuint (net->a.keyframe_requests[MCU_MEDIA_VIDEO], ==, 2);
  mcu_rtp_session_get_stats (net->b.session, &sb);
  mcu_rtp_session_get_stats (net->a.session, &sa);
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].pli_sent, ==, 2);
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].keyframe_requests_suppressed, ==, 2);
  g_assert_cmpuint (sa.send[MCU_MEDIA_VIDEO].pli_received, ==, 2);
  net_free (net);

  /* only FIR negotiated: FIR, and a repeated FIR sequence number is not served twice */
  ca.pli = cb.pli = FALSE;
  net = net_new (&ca, &cb);
  send_video_stamped (net, 5, 10000);
  mcu_rtp_session_request_keyframe (net->b.session, MCU_MEDIA_VIDEO, net->now);
  net_run (net, 400000);
  mcu_rtp_session_request_keyframe (net->b.session, MCU_MEDIA_VIDEO, net->now);
  net_run (net, 100000);
  guint8 fir[32];
  int len = mcu_rtcp_build_fir (fir, sizeof fir, 0x4444, 0x2222, 1);  /* seq 1 was just served */
  mcu_rtp_session_receive_rtcp (net->a.session, fir, (gsize) len, net->now);
  mcu_rtp_session_get_stats (net->a.session, &sa);
  g_assert_cmpuint (sa.send[MCU_MEDIA_VIDEO].fir_received, ==, 2);
  g_assert_cmpuint (net->a.keyframe_requests[MCU_MEDIA_VIDEO], ==, 2);
  net_free (net);
}

static void
test_remb (void)
{
  McuRtpSessionConfig ca = base_config (0x1111, 0x2222, 0x3333);
  McuRtpSessionConfig cb = base_config (0x4444, 0x5555, 0x6666);
  Net *net = net_new (&ca, &cb);
  McuRtpStats sb;

  send_video_stamped (net, 10, 10000);
  mcu_rtp_session_set_remb (net->b.session, 500000, net->now);
  net_run (net, 30000);
  g_assert_cmpuint (net->a.bitrate_requests, ==, 1);
  g_assert_cmpuint (net->a.last_bitrate, ==, 300000);  /* min(cap, the estimate, 300 kbps at start) */
  /* with a clean link the estimate grows toward the cap in the periodic REMBs */
  for (guint i = 0; i < 100; i++)
    send_video_stamped (net, 10, 5000);  /* 200 packets/s × 112 bytes ≈ 180 kbps */
  mcu_rtp_session_get_stats (net->b.session, &sb);
  g_test_message ("REMB %u bps after %" G_GUINT64_FORMAT " REMBs; receive rate %u bps",
                  net->a.last_bitrate, sb.remb_sent, sb.receive_bitrate_bps);
  g_assert_cmpuint (sb.remb_sent, >=, 5);
  g_assert_cmpuint (net->a.last_bitrate, >, 300000);
  g_assert_cmpuint (net->a.last_bitrate, <=, 500000);
  g_assert_cmpuint (sb.receive_bitrate_bps, >, 150000);
  net_free (net);
}

static void
test_twcc_feedback (void)
{
  McuRtpSessionConfig ca = base_config (0x1111, 0x2222, 0);
  McuRtpSessionConfig cb = base_config (0x4444, 0x5555, 0);
  McuRtpStats sa, sb;

  ca.nack = cb.nack = FALSE;
  ca.twcc = cb.twcc = TRUE;
  Net *net = net_new (&ca, &cb);
  net->drop_every = 7;
  send_video_stamped (net, 400, 5000);
  net_run (net, 200000);
  mcu_rtp_session_get_stats (net->a.session, &sa);
  mcu_rtp_session_get_stats (net->b.session, &sb);
  g_test_message ("TWCC: %" G_GUINT64_FORMAT " feedback packets, %u received + %u lost statuses",
                  sb.twcc_feedback_sent, net->twcc_received_statuses, net->twcc_lost_statuses);
  /* one feedback per 100 ms (the default interval) while packets arrive (2 s) */
  g_assert_cmpuint (sb.twcc_feedback_sent, >=, 19);
  g_assert_cmpuint (sb.twcc_feedback_sent, <=, 22);
  g_assert_cmpuint (sa.twcc_received, ==, sb.twcc_feedback_sent);
  g_assert_cmpuint (net->twcc_received_statuses, ==, 400 - net->dropped);
  /* the last packet may have been dropped: nothing after it tells the receiver it existed */
  g_assert_cmpuint (net->twcc_lost_statuses, >=, net->dropped - 1);
  g_assert_cmpuint (net->twcc_lost_statuses, <=, net->dropped);
  g_assert_cmpuint (sb.remb_sent, ==, 0);  /* REMB only as a cap once TWCC is negotiated */
  /* the sender learns what got through: every packet is the same size, each delivered one counts once */
  g_assert_cmpuint (sa.send[MCU_MEDIA_VIDEO].bytes % 400, ==, 0);
  g_assert_cmpuint (sa.twcc_delivered_bytes, ==, sa.send[MCU_MEDIA_VIDEO].bytes / 400 * (400 - net->dropped));
  net_free (net);
}

static void
test_history_bound (void)
{
  McuRtpSessionConfig ca = base_config (0x1111, 0x2222, 0x3333);
  McuRtpSessionConfig cb = base_config (0x4444, 0x5555, 0x6666);
  McuRtpStats sa;
  guint16 first = 0, last;
  guint8 fb[64];

  ca.history_packets = 32;
  Net *net = net_new (&ca, &cb);
  send_video_stamped (net, 1, 30000);
  g_assert_cmpuint (net->b.media[MCU_MEDIA_VIDEO], ==, 1);
  for (guint s = 0; s < 65536; s++)
    if (net->b.seen[s])
      first = (guint16) s;
  send_video_stamped (net, 99, 10000);
  net_run (net, 50000);
  last = (guint16) (first + 99);
  g_assert_cmpuint (net->b.seen[last], ==, 1);

  int len = mcu_rtcp_build_nack (fb, sizeof fb, 0x4444, 0x2222, &first, 1);
  mcu_rtp_session_receive_rtcp (net->a.session, fb, (gsize) len, net->now);
  mcu_rtp_session_get_stats (net->a.session, &sa);
  g_assert_cmpuint (sa.send[MCU_MEDIA_VIDEO].rtx_misses, ==, 1);
  g_assert_cmpuint (sa.send[MCU_MEDIA_VIDEO].retransmitted, ==, 0);

  len = mcu_rtcp_build_nack (fb, sizeof fb, 0x4444, 0x2222, &last, 1);
  mcu_rtp_session_receive_rtcp (net->a.session, fb, (gsize) len, net->now);
  mcu_rtp_session_get_stats (net->a.session, &sa);
  g_assert_cmpuint (sa.send[MCU_MEDIA_VIDEO].retransmitted, ==, 1);
  /* the same NACK again at once (a burst): not resent twice within 10 ms */
  mcu_rtp_session_receive_rtcp (net->a.session, fb, (gsize) len, net->now + 5000);
  mcu_rtp_session_get_stats (net->a.session, &sa);
  g_assert_cmpuint (sa.send[MCU_MEDIA_VIDEO].retransmitted, ==, 1);
  g_assert_cmpuint (sa.send[MCU_MEDIA_VIDEO].retransmit_suppressed, ==, 1);
  net_run (net, 50000);
  g_assert_cmpuint (net->b.duplicates, ==, 0);  /* the receiver drops what it already has */
  McuRtpStats sb;
  mcu_rtp_session_get_stats (net->b.session, &sb);
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].duplicates, ==, 1);
  net_free (net);
}

static void
test_content_by_mid (void)
{
  McuRtpSessionConfig ca = base_config (0x1111, 0x2222, 0x3333);
  McuRtpSessionConfig cb = base_config (0x4444, 0x5555, 0x6666);
  const char *mids[MCU_MEDIA_N_KINDS] = { "0", "1", "2" };

  ca.local_content_ssrc = 0x7777;
  memcpy (ca.mids, mids, sizeof mids);
  memcpy (cb.mids, mids, sizeof mids);
  Net *net = net_new (&ca, &cb);
  for (guint i = 0; i < 5; i++) {
    send_video (net, &net->a, MCU_MEDIA_VIDEO, i);
    send_video (net, &net->a, MCU_MEDIA_CONTENT, i);
    net_run (net, 10000);
  }
  net_run (net, 50000);
  g_assert_cmpuint (net->b.media[MCU_MEDIA_VIDEO], ==, 5);
  g_assert_cmpuint (net->b.media[MCU_MEDIA_CONTENT], ==, 5);
  McuRtpStats sb;
  mcu_rtp_session_get_stats (net->b.session, &sb);
  g_assert_cmpuint (sb.recv[MCU_MEDIA_CONTENT].ssrc, ==, 0x7777);
  g_assert_cmpint (mcu_rtp_session_send_rtp (net->b.session, MCU_MEDIA_CONTENT, (guint8[12]) { 0x80 },
                                             12, net->now), ==, -ENOENT);
  net_free (net);
}

static void
test_content_by_ssrc_and_probes (void)
{
  McuRtpSessionConfig ca = base_config (0x1111, 0x2222, 0x3333);
  McuRtpSessionConfig cb = base_config (0x4444, 0x5555, 0x6666);
  McuRtpStats sb;

  /* no mids: the receiver knows the content SSRC from the SDP (a=ssrc) */
  ca.ext_mid = cb.ext_mid = 0;
  ca.local_content_ssrc = 0x7777;
  cb.remote_ssrc[MCU_MEDIA_CONTENT] = 0x7777;
  cb.remote_rtx_ssrc[MCU_MEDIA_VIDEO] = 0x3333;  /* a=ssrc-group:FID; without it RTX is ambiguous */
  Net *net = net_new (&ca, &cb);
  for (guint i = 0; i < 5; i++) {
    send_video (net, &net->a, MCU_MEDIA_CONTENT, i);
    send_video (net, &net->a, MCU_MEDIA_VIDEO, i);
    net_run (net, 10000);
  }
  net_run (net, 50000);
  g_assert_cmpuint (net->b.media[MCU_MEDIA_VIDEO], ==, 5);
  g_assert_cmpuint (net->b.media[MCU_MEDIA_CONTENT], ==, 5);

  /* a padding-only probe on the RTX SSRC and one on the media SSRC: counted, never delivered */
  guint8 probe[] = { 0xA0, 97, 0, 1, 0, 0, 0, 0, 0, 0, 0x33, 0x33, 0, 0, 0, 4 };
  mcu_rtp_session_receive_rtp (net->b.session, probe, sizeof probe, net->now);
  guint8 probe2[] = { 0xA0, 96, 0, 0, 0, 0, 0, 0, 0, 0, 0x22, 0x22, 0, 0, 0, 4 };
  mcu_rtp_session_get_stats (net->b.session, &sb);
  guint64 before = sb.recv[MCU_MEDIA_VIDEO].packets;
  probe2[3] = (guint8) (net->b.media[MCU_MEDIA_VIDEO] + 1);  /* any sequence number will do */
  mcu_rtp_session_receive_rtp (net->b.session, probe2, sizeof probe2, net->now);
  mcu_rtp_session_get_stats (net->b.session, &sb);
  g_assert_cmpuint (net->b.media[MCU_MEDIA_VIDEO], ==, 5);
  g_assert_cmpuint (sb.recv[MCU_MEDIA_VIDEO].packets, ==, before + 1);
  g_assert_cmpuint (sb.malformed_rtp + sb.unknown_rtp, ==, 0);
  net_free (net);
}

static void
send_rtcp_check_compound (gpointer user_data, guint8 *packet, gsize len)
{
  McuRtcpIter iter;
  McuRtcpPacket p;
  guint *feedback = user_data;

  mcu_rtcp_iter_init (&iter, packet, len);
  g_assert_cmpint (mcu_rtcp_iter_next (&iter, &p), ==, 1);
  g_assert_true (p.kind == MCU_RTCP_KIND_RR || p.kind == MCU_RTCP_KIND_SR);  /* RFC 4585 compound */
  g_assert_cmpint (mcu_rtcp_iter_next (&iter, &p), ==, 1);
  g_assert_cmpint (p.kind, ==, MCU_RTCP_KIND_SDES);
  while (mcu_rtcp_iter_next (&iter, &p) > 0)
    if (p.kind == MCU_RTCP_KIND_PLI || p.kind == MCU_RTCP_KIND_NACK)
      (*feedback)++;
}

static void
test_full_compound_without_rsize (void)
{
  McuRtpSessionConfig c = base_config (0x1111, 0x2222, 0x3333);
  McuRtpSessionCallbacks cbs = callbacks;
  guint feedback = 0;
  guint8 pkt[112] = { 0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9 };

  c.rsize = FALSE;
  cbs.send_rtcp = send_rtcp_check_compound;
  cbs.send_rtp = NULL;
  cbs.on_media = NULL;
  g_autoptr (McuRtpSession) s = mcu_rtp_session_new (&c, &cbs, &feedback);
  mcu_rtp_session_receive_rtp (s, pkt, sizeof pkt, START_US);
  pkt[3] = 5;  /* 2, 3, 4 lost: one NACK */
  mcu_rtp_session_receive_rtp (s, pkt, sizeof pkt, START_US + 1000);
  mcu_rtp_session_request_keyframe (s, MCU_MEDIA_VIDEO, START_US + 2000);
  (void) mcu_rtp_session_poll (s, START_US + 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (feedback, >=, 2);
}

static guint16 forwarded_seqs[8];
static guint n_forwarded;

static void
capture_forwarded (gpointer user_data, guint8 *packet, gsize len)
{
  McuRtpHeader h;

  g_assert_cmpint (mcu_rtp_parse (packet, len, &h), >=, 0);
  g_assert_cmpuint (h.ssrc, ==, 0x2222);
  if (n_forwarded < G_N_ELEMENTS (forwarded_seqs))
    forwarded_seqs[n_forwarded++] = h.seq;
}

/* Relaying (the echo room) keeps the sender's numbering: a packet recovered late fills its own hole,
 * and the sequence continues across a wrap. */
static void
test_forward_keeps_numbering (void)
{
  McuRtpSessionConfig config = base_config (0x1111, 0x2222, 0x3333);
  McuRtpSessionCallbacks cbs = { .send_rtp = capture_forwarded };
  McuRtpSession *session = mcu_rtp_session_new (&config, &cbs, NULL);
  static const guint16 in[] = { 65533, 65534, 0, 1, 65535 };   /* 65535 arrives late (RTX) */
  guint8 packet[64];

  n_forwarded = 0;
  for (gsize i = 0; i < G_N_ELEMENTS (in); i++) {
    McuRtpHeader h = { .pt = 96, .seq = in[i], .ts = 1000, .ssrc = 0xabcdef };
    int len = mcu_rtp_write_header (packet, sizeof packet, &h);
    g_assert_cmpint (len, >, 0);
    memset (packet + len, 0x5a, 20);
    g_assert_cmpint (mcu_rtp_session_forward_rtp (session, MCU_MEDIA_VIDEO, packet, (gsize) len + 20, 0), ==, 0);
  }
  g_assert_cmpuint (n_forwarded, ==, G_N_ELEMENTS (in));
  for (gsize i = 1; i < G_N_ELEMENTS (in); i++)
    g_assert_cmpuint ((guint16) (forwarded_seqs[i] - forwarded_seqs[0]), ==, (guint16) (in[i] - in[0]));
  mcu_rtp_session_free (session);
}

static void
test_malformed_input (void)
{
  McuRtpSessionConfig c = base_config (0x1111, 0x2222, 0x3333);
  Net *net = net_new (&c, &c);
  guint8 junk[64];
  McuRtpStats s;
  guint8 lying[] = { 0x81, 205, 0, 9, 0, 0, 0, 1, 0, 0, 0x22, 0x22, 0, 1, 0, 0 };

  for (guint i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) (i * 37 + 11);
  mcu_rtp_session_receive_rtp (net->a.session, junk, sizeof junk, net->now);
  mcu_rtp_session_receive_rtp (net->a.session, junk, 3, net->now);
  mcu_rtp_session_receive_rtcp (net->a.session, lying, sizeof lying, net->now);
  mcu_rtp_session_receive_rtcp (net->a.session, junk, 0, net->now);
  junk[0] = 0x80;
  junk[1] = 50;  /* valid RTP, unknown payload type and SSRC */
  mcu_rtp_session_receive_rtp (net->a.session, junk, sizeof junk, net->now);
  mcu_rtp_session_get_stats (net->a.session, &s);
  g_assert_cmpuint (s.malformed_rtp, ==, 2);
  g_assert_cmpuint (s.malformed_rtcp, ==, 2);
  g_assert_cmpuint (s.unknown_rtp, ==, 1);
  g_assert_cmpuint (s.send[MCU_MEDIA_VIDEO].retransmitted + s.send[MCU_MEDIA_VIDEO].rtx_misses, ==, 0);
  g_assert_cmpint (mcu_rtp_session_send_rtp (net->a.session, MCU_MEDIA_VIDEO, junk, 5, net->now), ==,
                   -EINVAL);
  net_free (net);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/rtp-session/nack-rtx-recovery/drop-10th", GUINT_TO_POINTER (10),
                        test_nack_rtx_recovery);
  g_test_add_data_func ("/rtp-session/nack-rtx-recovery/drop-3rd", GUINT_TO_POINTER (3),
                        test_nack_rtx_recovery);
  g_test_add_func ("/rtp-session/loss-jitter-rtt", test_loss_jitter_rtt);
  g_test_add_func ("/rtp-session/rr-counts-rtx-recovered-as-lost", test_rr_counts_rtx_recovered_as_lost);
  g_test_add_func ("/rtp-session/sr-timestamps", test_sr_timestamps);
  g_test_add_func ("/rtp-session/keyframe-requests", test_keyframe_requests);
  g_test_add_func ("/rtp-session/remb", test_remb);
  g_test_add_func ("/rtp-session/twcc-feedback", test_twcc_feedback);
  g_test_add_func ("/rtp-session/history-bound", test_history_bound);
  g_test_add_func ("/rtp-session/content-by-mid", test_content_by_mid);
  g_test_add_func ("/rtp-session/content-by-ssrc-and-probes", test_content_by_ssrc_and_probes);
  g_test_add_func ("/rtp-session/full-compound-without-rsize", test_full_compound_without_rsize);
  g_test_add_func ("/rtp-session/malformed", test_malformed_input);
  g_test_add_func ("/rtp-session/forward-keeps-numbering", test_forward_keeps_numbering);
  return g_test_run ();
}
