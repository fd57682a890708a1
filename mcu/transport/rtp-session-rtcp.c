/* SPDX-License-Identifier: MIT */
/*
 * McuRtpSession, RTCP half: incoming compounds (SR/RR → loss, jitter, RTT; NACK → retransmission;
 * PLI/FIR → keyframe callback; REMB/TMMBR → bitrate callback), outgoing reports (SR per sending
 * stream with the NTP↔RTP mapping, else RR; SDES CNAME), feedback (NACK, PLI/FIR, TWCC, REMB) and the
 * timers that drive them (mcu_rtp_session_poll).
 *
 * Feedback is sent reduced-size (RFC 5506) when rsize was negotiated, else behind an RR + SDES as
 * RFC 4585 asks. REMB: when goog-remb is negotiated without transport-cc, the session estimates what
 * the remote may send from the measured receive rate and loss (multiplicative increase of 8 % per
 * report while loss < 2 %, kept within twice the measured rate; a cut to rate × (1 - loss/2) when
 * loss > 10 %), capped by mcu_rtp_session_set_remb(); with transport-cc the remote's own estimator
 * works from our TWCC feedback and REMB is only sent as the cap set by the media code. The remote's
 * TWCC feedback on our packets counts what of ours it received (stats.twcc_delivered_bytes).
 *
 * Threads: the session's one thread. No allocation, no logging.
 */
#define G_LOG_DOMAIN "mcu-rtp"

#include <string.h>

#include "rtp-session-private.h"

#define NTP_UNIX_OFFSET G_GUINT64_CONSTANT (2208988800)
#define FB_BUF_SIZE 1200
#define REMB_MIN_BPS 50000
#define TWCC_FEEDBACK_MAX 512   /* statuses read from one feedback packet (~100 ms of ours) */

guint64
mcu_rtp_session_ntp (const McuRtpSession *s, gint64 now_us)
{
  gint64 wall = now_us + s->ntp_offset_us;
  guint64 secs = (guint64) (wall / G_USEC_PER_SEC) + NTP_UNIX_OFFSET;
  guint64 frac = ((guint64) (wall % G_USEC_PER_SEC) << 32) / G_USEC_PER_SEC;

  return (secs << 32) | frac;
}

static void
send_rtcp_buf (McuRtpSession *s, gsize len)
{
  s->stats.rtcp_sent++;
  s->callbacks.send_rtcp (s->user_data, s->rtcp_buf, len);
}

void
mcu_rtp_session_send_feedback (McuRtpSession *s, const guint8 *fb, gsize len)
{
  gsize pos = 0;

  if (!s->config.rsize) {
    int r = mcu_rtcp_build_rr (s->rtcp_buf, RTCP_BUF_SIZE, s->rtcp_ssrc, NULL, 0);
    pos += (gsize) MAX (r, 0);
    r = mcu_rtcp_build_sdes_cname (s->rtcp_buf + pos, RTCP_BUF_SIZE - pos, &s->rtcp_ssrc, 1, s->cname);
    pos += (gsize) MAX (r, 0);
  }
  if (pos + len > RTCP_BUF_SIZE)
    return;
  memcpy (s->rtcp_buf + pos, fb, len);
  send_rtcp_buf (s, pos + len);
}

/* ---- incoming ---- */

static void
on_report_blocks (McuRtpSession *s, const McuRtcpPacket *p, gint64 now_us)
{
  guint32 now_compact = (guint32) (mcu_rtp_session_ntp (s, now_us) >> 16);

  for (guint i = 0; i < p->n_items; i++) {
    McuRtcpReportBlock b;
    mcu_rtcp_get_report_block (p, i, &b);
    SendStream *st = mcu_rtp_session_send_stream_by_ssrc (s, b.ssrc, NULL);
    if (st == NULL || st->ssrc != b.ssrc)
      continue;  /* about our RTX stream, or not about us */
    st->stats.remote_fraction_lost = b.fraction_lost / 256.0;
    st->stats.remote_cumulative_lost = b.cumulative_lost;
    st->stats.remote_jitter_ms = b.jitter * 1000.0 / st->clock;
    guint32 rtt = now_compact - b.lsr - b.dlsr;
    if (b.lsr != 0 && rtt < 0x80000000u) {
      st->stats.rtt_ms = rtt * 1000.0 / 65536.0;
      s->stats.rtt_ms = st->stats.rtt_ms;
    }
  }
}

static void
on_sr (McuRtpSession *s, const McuRtcpPacket *p, gint64 now_us)
{
  for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++) {
    RecvStream *st = &s->recv[k];
    if (st->ssrc != 0 && st->ssrc == p->sender_ssrc) {
      st->have_sr = TRUE;
      st->sr_ntp = p->ntp;
      st->sr_rtp = p->rtp_ts;
      st->sr_received_us = now_us;
    }
  }
  on_report_blocks (s, p, now_us);
}

static void
on_nack (McuRtpSession *s, const McuRtcpPacket *p, gint64 now_us)
{
  SendStream *st = mcu_rtp_session_send_stream_by_ssrc (s, p->media_ssrc, NULL);

  if (st == NULL || st->ssrc != p->media_ssrc)
    return;
  st->stats.nack_received++;
  for (guint i = 0; i < p->n_items; i++) {
    guint16 pid, blp;
    mcu_rtcp_get_nack (p, i, &pid, &blp);
    st->stats.nack_seqs_received++;
    mcu_rtp_session_retransmit (s, st, pid, now_us);
    for (guint bit = 0; bit < 16; bit++) {
      if (blp & (1u << bit)) {
        st->stats.nack_seqs_received++;
        mcu_rtp_session_retransmit (s, st, (guint16) (pid + bit + 1), now_us);
      }
    }
  }
}

static void
keyframe_requested (McuRtpSession *s, McuMediaKind kind)
{
  if (s->callbacks.on_keyframe_request != NULL)
    s->callbacks.on_keyframe_request (s->user_data, kind);
}

static void
on_pli (McuRtpSession *s, const McuRtcpPacket *p)
{
  McuMediaKind kind;
  SendStream *st = mcu_rtp_session_send_stream_by_ssrc (s, p->media_ssrc, &kind);

  if (st == NULL)
    return;
  st->stats.pli_received++;
  keyframe_requested (s, kind);
}

static void
on_fir (McuRtpSession *s, const McuRtcpPacket *p)
{
  for (guint i = 0; i < p->n_items; i++) {
    guint32 ssrc;
    guint8 seq_nr;
    McuMediaKind kind;
    mcu_rtcp_get_fir (p, i, &ssrc, &seq_nr);
    SendStream *st = mcu_rtp_session_send_stream_by_ssrc (s, ssrc, &kind);
    if (st == NULL || (st->fir_seen && st->last_fir_seq == seq_nr))
      continue;  /* not ours, or a repeat of a request already served (RFC 5104 §4.3.1.2) */
    st->fir_seen = TRUE;
    st->last_fir_seq = seq_nr;
    st->stats.fir_received++;
    keyframe_requested (s, kind);
  }
}

static void
bitrate_requested (McuRtpSession *s, guint64 bps)
{
  if (s->callbacks.on_bitrate_request != NULL)
    s->callbacks.on_bitrate_request (s->user_data, (guint32) MIN (bps, G_MAXUINT32));
}

static void
on_tmmbr (McuRtpSession *s, const McuRtcpPacket *p)
{
  for (guint i = 0; i < p->n_items; i++) {
    guint32 ssrc;
    guint64 bps;
    mcu_rtcp_get_tmmbr (p, i, &ssrc, &bps);
    if (mcu_rtp_session_send_stream_by_ssrc (s, ssrc, NULL) != NULL)
      bitrate_requested (s, bps);
  }
}

/* The remote's transport-wide feedback: the packets of ours it lists as arrived count as delivered
 * (each once: its slot is cleared), so the media code can compare what got through with what it sent. */
static void
on_twcc_feedback (McuRtpSession *s, const McuRtcpPacket *p)
{
  McuRtcpTwccHeader header;
  McuRtcpTwccStatus statuses[TWCC_FEEDBACK_MAX];

  s->stats.twcc_received++;
  int n = mcu_rtcp_twcc_decode (p, &header, statuses, TWCC_FEEDBACK_MAX);
  for (int i = 0; i < MIN (n, TWCC_FEEDBACK_MAX); i++) {
    guint slot = statuses[i].seq & (TWCC_WINDOW - 1);
    if (!statuses[i].received || s->twcc_sent_seq[slot] != statuses[i].seq)
      continue;
    s->stats.twcc_delivered_bytes += s->twcc_sent_len[slot];
    s->twcc_sent_len[slot] = 0;
  }
}

static void
handle_packet (McuRtpSession *s, const McuRtcpPacket *p, gint64 now_us)
{
  switch (p->kind) {
  case MCU_RTCP_KIND_SR:
    on_sr (s, p, now_us);
    break;
  case MCU_RTCP_KIND_RR:
    on_report_blocks (s, p, now_us);
    break;
  case MCU_RTCP_KIND_NACK:
    on_nack (s, p, now_us);
    break;
  case MCU_RTCP_KIND_PLI:
    on_pli (s, p);
    break;
  case MCU_RTCP_KIND_FIR:
    on_fir (s, p);
    break;
  case MCU_RTCP_KIND_REMB:
    bitrate_requested (s, p->bitrate);
    break;
  case MCU_RTCP_KIND_TMMBR:
    on_tmmbr (s, p);
    break;
  case MCU_RTCP_KIND_TWCC:
    on_twcc_feedback (s, p);
    break;
  default:
    break;  /* SDES, BYE, APP, others: nothing to do */
  }
}

void
mcu_rtp_session_receive_rtcp (McuRtpSession *s, guint8 *packet, gsize len, gint64 now_us)
{
  McuRtcpIter iter;
  McuRtcpPacket p;

  if (mcu_rtcp_validate (packet, len) < 0) {
    s->stats.malformed_rtcp++;
    return;
  }
  s->stats.rtcp_received++;
  mcu_rtcp_iter_init (&iter, packet, len);
  while (mcu_rtcp_iter_next (&iter, &p) > 0)
    handle_packet (s, &p, now_us);
}

/* ---- outgoing ---- */

void
mcu_rtp_session_request_keyframe_internal (McuRtpSession *s, McuMediaKind kind, gint64 now_us)
{
  RecvStream *st = &s->recv[kind];
  guint8 fb[32];
  int len;

  if (st->ssrc == 0 || (!s->config.pli && !s->config.fir)
      || now_us - st->last_keyframe_request_us < (gint64) s->config.keyframe_min_interval_ms * 1000) {
    st->stats.keyframe_requests_suppressed++;
    return;
  }
  st->last_keyframe_request_us = now_us;
  if (s->config.pli) {
    len = mcu_rtcp_build_pli (fb, sizeof fb, s->rtcp_ssrc, st->ssrc);
    st->stats.pli_sent++;
  } else {
    len = mcu_rtcp_build_fir (fb, sizeof fb, s->rtcp_ssrc, st->ssrc, st->fir_seq++);
    st->stats.fir_sent++;
  }
  if (len > 0)
    mcu_rtp_session_send_feedback (s, fb, (gsize) len);
}

void
mcu_rtp_session_request_keyframe (McuRtpSession *s, McuMediaKind kind, gint64 now_us)
{
  g_return_if_fail ((guint) kind < MCU_MEDIA_N_KINDS);
  mcu_rtp_session_request_keyframe_internal (s, kind, now_us);
}

static gboolean
remb_active (const McuRtpSession *s)
{
  return s->config.remb && (!s->config.twcc || s->remb_cap != 0);
}

static guint32
remb_value (const McuRtpSession *s)
{
  guint32 cap = s->remb_cap != 0 ? s->remb_cap : s->config.remb_max_bps;

  return s->config.twcc ? cap : MIN (cap, s->remb_estimate);
}

static void
update_remb_estimate (McuRtpSession *s, double loss)
{
  double rate = s->stats.receive_bitrate_bps;
  double est = s->remb_estimate;

  if (loss > 0.10)
    est = MIN (est, rate * (1.0 - loss / 2));
  else if (loss < 0.02)
    est = MIN (est * 1.08, MAX (2 * rate, 300000.0));
  s->remb_estimate = (guint32) CLAMP (est, REMB_MIN_BPS, (double) s->config.remb_max_bps);
}

static int
build_remb (McuRtpSession *s, guint8 *buf, gsize size)
{
  guint32 ssrcs[MCU_MEDIA_N_KINDS];
  guint n = 0;

  for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++)
    if (s->recv[k].ssrc != 0)
      ssrcs[n++] = s->recv[k].ssrc;
  s->stats.remb_bps = remb_value (s);
  s->stats.remb_sent++;
  return mcu_rtcp_build_remb (buf, size, s->rtcp_ssrc, s->stats.remb_bps, ssrcs, n);
}

void
mcu_rtp_session_set_remb (McuRtpSession *s, guint32 bps, gint64 now_us)
{
  guint8 fb[64];

  s->remb_cap = bps;
  if (!remb_active (s))
    return;
  int len = build_remb (s, fb, sizeof fb);
  if (len > 0)
    mcu_rtp_session_send_feedback (s, fb, (gsize) len);
}

/* Report blocks for every stream we receive; returns how many, and the worst video loss. */
static guint
collect_blocks (McuRtpSession *s, gint64 now_us, McuRtcpReportBlock *blocks, double *video_loss)
{
  guint n = 0;

  *video_loss = 0;
  for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++) {
    RecvStream *st = &s->recv[k];
    if (st->ssrc == 0 || !st->started)
      continue;
    mcu_rtp_session_report_block (st, now_us, &blocks[n]);
    if (k != MCU_MEDIA_AUDIO)
      *video_loss = MAX (*video_loss, blocks[n].fraction_lost / 256.0);
    n++;
  }
  return n;
}

static guint32
sr_rtp_time (const SendStream *st, gint64 now_us)
{
  /* the last packet's timestamp advanced by the wall time since it was sent */
  return st->last_ts + (guint32) ((now_us - st->last_send_us) * (gint64) st->clock / G_USEC_PER_SEC);
}

static void
send_report (McuRtpSession *s, gint64 now_us)
{
  McuRtcpReportBlock blocks[MCU_MEDIA_N_KINDS];
  guint32 ssrcs[MCU_MEDIA_N_KINDS + 1];
  guint n_ssrcs = 0;
  double loss;
  guint n_blocks = collect_blocks (s, now_us, blocks, &loss);
  guint64 ntp = mcu_rtp_session_ntp (s, now_us);
  guint8 *buf = s->rtcp_buf;
  gsize pos = 0;
  int r;

  for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++) {
    SendStream *st = &s->send[k];
    if (!st->sent_any)
      continue;
    r = mcu_rtcp_build_sr (buf + pos, RTCP_BUF_SIZE - pos, st->ssrc, ntp, sr_rtp_time (st, now_us),
                           (guint32) st->stats.packets, (guint32) st->payload_octets,
                           n_ssrcs == 0 ? blocks : NULL, n_ssrcs == 0 ? n_blocks : 0);
    pos += (gsize) MAX (r, 0);
    ssrcs[n_ssrcs++] = st->ssrc;
  }
  if (n_ssrcs == 0) {
    r = mcu_rtcp_build_rr (buf, RTCP_BUF_SIZE, s->rtcp_ssrc, blocks, n_blocks);
    pos += (gsize) MAX (r, 0);
    ssrcs[n_ssrcs++] = s->rtcp_ssrc;
  }
  r = mcu_rtcp_build_sdes_cname (buf + pos, RTCP_BUF_SIZE - pos, ssrcs, n_ssrcs, s->cname);
  pos += (gsize) MAX (r, 0);
  if (s->config.remb && !s->config.twcc)
    update_remb_estimate (s, loss);
  if (remb_active (s)) {
    r = build_remb (s, buf + pos, RTCP_BUF_SIZE - pos);
    pos += (gsize) MAX (r, 0);
  }
  send_rtcp_buf (s, pos);
}

static void
send_twcc (McuRtpSession *s)
{
  TwccWindow *w = &s->twcc;
  McuRtcpTwccStatus st[MCU_RTCP_TWCC_MAX_STATUSES];
  guint8 fb[FB_BUF_SIZE];
  guint32 media = s->recv[MCU_MEDIA_VIDEO].ssrc ? s->recv[MCU_MEDIA_VIDEO].ssrc
                                                : s->recv[MCU_MEDIA_AUDIO].ssrc;

  for (guint round = 0; round < 8 && w->started && w->next_report <= w->max_seq; round++) {
    guint n = (guint) MIN (w->max_seq - w->next_report + 1, MCU_RTCP_TWCC_MAX_STATUSES);
    guint used = 0;
    for (guint i = 0; i < n; i++) {
      gint64 arrival = w->arrival_us[(w->next_report + i) & (TWCC_WINDOW - 1)];
      st[i] = (McuRtcpTwccStatus) { (guint16) (w->next_report + i), arrival >= 0, arrival };
    }
    int len = mcu_rtcp_build_twcc (fb, sizeof fb, s->rtcp_ssrc, media, w->fb_count, st, n, &used);
    if (len == -EINVAL) {
      w->next_report += n;  /* nothing arrived in this span: nothing to tell */
      continue;
    }
    if (len < 0)
      break;
    w->fb_count++;
    w->next_report += used;
    s->stats.twcc_feedback_sent++;
    mcu_rtp_session_send_feedback (s, fb, (gsize) len);
  }
}

gint64
mcu_rtp_session_poll (McuRtpSession *s, gint64 now_us)
{
  gint64 next = G_MAXINT64;
  gint64 report_us = (gint64) s->config.report_interval_ms * 1000;

  mcu_rtp_session_update_rates (s, now_us);
  if (s->next_report_us == G_MININT64)
    s->next_report_us = now_us + report_us / 2;
  if (now_us >= s->next_report_us) {
    send_report (s, now_us);
    s->next_report_us = now_us + report_us;
  }
  next = MIN (next, s->next_report_us);
  if (s->config.twcc && s->config.ext_twcc) {
    if (now_us >= s->next_twcc_us) {
      send_twcc (s);
      s->next_twcc_us = now_us + (gint64) s->config.twcc_interval_ms * 1000;
    }
    next = MIN (next, s->next_twcc_us);
  }
  for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++)
    if (s->recv[k].n_nacks > 0)
      next = MIN (next, mcu_rtp_session_send_nacks (s, &s->recv[k], now_us));
  return next;
}

static void
live_recv_stats (const RecvStream *st, McuRtpRecvStats *out)
{
  *out = st->stats;
  out->jitter_ms = st->jitter * 1000.0 / st->clock;
  if (st->started) {
    guint64 expected = st->cycles + (guint64) st->max_seq - st->base_seq + 1;
    out->lost = (gint64) expected - (gint64) (st->received - st->received_rtx);  /* as in our RRs */
  }
}

void
mcu_rtp_session_get_stats (McuRtpSession *s, McuRtpStats *out)
{
  *out = s->stats;
  for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++) {
    out->send[k] = s->send[k].stats;
    live_recv_stats (&s->recv[k], &out->recv[k]);
  }
}

gboolean
mcu_rtp_session_get_remote_clock (McuRtpSession *s, McuMediaKind kind, guint64 *ntp,
                                  guint32 *rtp_ts, gint64 *received_us)
{
  g_return_val_if_fail ((guint) kind < MCU_MEDIA_N_KINDS, FALSE);
  const RecvStream *st = &s->recv[kind];
  if (!st->have_sr)
    return FALSE;
  *ntp = st->sr_ntp;
  *rtp_ts = st->sr_rtp;
  *received_us = st->sr_received_us;
  return TRUE;
}
