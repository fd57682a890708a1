/* SPDX-License-Identifier: MIT */
/*
 * McuRtpSession, RTP half: creation, incoming RTP (validation, SSRC learning, RTX unwrap, RFC 3550
 * statistics, duplicate detection, NACK list, transport-wide arrival times) and outgoing RTP (SSRC and
 * sequence stamping, header extensions, bounded history, retransmission). RTCP and timers are in
 * rtp-session-rtcp.c.
 *
 * Choices:
 * - NACK (asking and answering) is for video and content only: browsers do not negotiate it for
 *   Opus, whose own FEC/PLC handles loss better than a round trip. Send history is a ring of
 *   history_packets slots (a power of two) of MCU_RTP_MAX_PACKET bytes per video stream: about
 *   770 KB per stream at the default 512, made at the stream's first send. A stream fed by
 *   send_shared (a video tier's receivers) keeps none: its NACKs are answered from the tier's one
 *   McuRtpHistory, with the packet restamped for this receiver.
 * - A gap over NACK_GAP_MAX packets is not asked for: the list is dropped and a keyframe requested.
 *   Each lost packet is asked again every 1.5 × RTT (20-500 ms; 100 ms before RTT is known) until it
 *   arrives, nack_max_retries or nack_max_age_ms.
 * - Incoming SSRCs are learned per kind (SDP hints, then sdes:mid, then payload type); a new SSRC on a
 *   kind replaces the old one (the remote restarted its sender). Duplicates are dropped using a
 *   window of RECEIVED_WINDOW sequence numbers, so the media code never sees a packet twice.
 * - Recovered (RTX) packets count as received in RFC 3550 loss, but do not feed the jitter.
 *
 * Threads: everything on the session's one thread (see rtp-session.h). Only mcu_rtp_session_new and
 * _free allocate; nothing here logs on the packet path.
 */
#define G_LOG_DOMAIN "mcu-rtp"

#include <string.h>

#include "rtp-bytes.h"
#include "rtp-session-private.h"

#define MAX_DROPOUT 3000
#define NACK_GAP_MAX 200   /* a bigger gap is not worth asking for: a keyframe is cheaper */

static guint
round_history (guint wanted)
{
  guint n = 32;

  if (wanted == 0)
    wanted = 512;
  while (n < wanted && n < 8192)
    n <<= 1;
  return n;
}

static void
init_send (McuRtpSession *s, McuMediaKind kind, guint32 ssrc, guint32 rtx_ssrc, guint8 pt,
           guint8 rtx_pt, guint clock)
{
  SendStream *st = &s->send[kind];

  st->ssrc = ssrc;
  st->rtx_ssrc = rtx_pt != 0 ? rtx_ssrc : 0;
  st->pt = pt;
  st->rtx_pt = rtx_ssrc != 0 ? rtx_pt : 0;
  st->clock = clock;
  st->next_seq = (guint16) g_random_int ();
  st->next_rtx_seq = (guint16) g_random_int ();
  st->stats.ssrc = ssrc;
  st->stats.rtt_ms = -1;
  st->keeps_history = ssrc != 0 && s->config.nack && kind != MCU_MEDIA_AUDIO;
}

/* The history ring is made at a stream's first own-history send, once: a mix room's video streams
 * use their tier's shared history and never need one (it is ~380 KB per stream). */
static void
ensure_history (McuRtpSession *s, SendStream *st)
{
  if (st->history != NULL || !st->keeps_history)
    return;
  guint n = round_history (s->config.history_packets);
  st->history = g_new0 (HistorySlot, n);
  st->history_mask = n - 1;
}

static void
init_recv (McuRtpSession *s, McuMediaKind kind, guint8 pt, guint8 rtx_pt, guint clock)
{
  RecvStream *st = &s->recv[kind];

  st->pt = pt;
  st->rtx_pt = rtx_pt;
  st->clock = clock;
  st->ssrc = s->config.remote_ssrc[kind];
  st->rtx_ssrc = s->config.remote_rtx_ssrc[kind];
  st->stats.ssrc = st->ssrc;
  st->last_keyframe_request_us = G_MININT64 / 2;
}

static void
apply_defaults (McuRtpSessionConfig *c)
{
  if (c->audio_clock == 0)
    c->audio_clock = 48000;
  if (c->video_clock == 0)
    c->video_clock = 90000;
  if (c->report_interval_ms == 0)
    c->report_interval_ms = 1000;
  if (c->nack_max_retries == 0)
    c->nack_max_retries = 10;
  if (c->nack_max_age_ms == 0)
    c->nack_max_age_ms = 1000;
  if (c->twcc_interval_ms == 0)
    c->twcc_interval_ms = 100;
  if (c->keyframe_min_interval_ms == 0)
    c->keyframe_min_interval_ms = 300;
  if (c->remb_max_bps == 0)
    c->remb_max_bps = 2500000;
  if (c->content_pt == 0)
    c->content_pt = c->video_pt;
  if (c->content_rtx_pt == 0)
    c->content_rtx_pt = c->video_rtx_pt;
}

McuRtpSession *
mcu_rtp_session_new (const McuRtpSessionConfig *config, const McuRtpSessionCallbacks *callbacks,
                     gpointer user_data)
{
  McuRtpSession *s = g_new0 (McuRtpSession, 1);
  McuRtpSessionConfig *c = &s->config;

  *c = *config;
  s->callbacks = *callbacks;
  s->user_data = user_data;
  apply_defaults (c);
  for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++) {
    if (c->mids[k] != NULL)
      g_strlcpy (s->mids[k], c->mids[k], sizeof s->mids[k]);
    c->mids[k] = NULL;  /* not kept: the caller's strings may go */
  }
  g_strlcpy (s->cname, c->cname ? c->cname : "mcu", sizeof s->cname);
  c->cname = NULL;
  s->rtcp_ssrc = c->local_video_ssrc ? c->local_video_ssrc
               : c->local_audio_ssrc ? c->local_audio_ssrc
               : c->local_content_ssrc ? c->local_content_ssrc : g_random_int () | 1;
  s->ntp_offset_us = g_get_real_time () - g_get_monotonic_time ();
  s->next_twcc_seq = (guint16) g_random_int ();
  s->remb_estimate = 300000;
  s->stats.rtt_ms = -1;

  init_send (s, MCU_MEDIA_AUDIO, c->local_audio_ssrc, 0, c->audio_pt, 0, c->audio_clock);
  init_send (s, MCU_MEDIA_VIDEO, c->local_video_ssrc, c->local_video_rtx_ssrc, c->video_pt,
             c->video_rtx_pt, c->video_clock);
  init_send (s, MCU_MEDIA_CONTENT, c->local_content_ssrc, c->local_content_rtx_ssrc, c->content_pt,
             c->content_rtx_pt, c->video_clock);
  init_recv (s, MCU_MEDIA_AUDIO, c->audio_pt, 0, c->audio_clock);
  init_recv (s, MCU_MEDIA_VIDEO, c->video_pt, c->video_rtx_pt, c->video_clock);
  init_recv (s, MCU_MEDIA_CONTENT, c->content_pt, c->content_rtx_pt, c->video_clock);
  s->next_report_us = G_MININT64;  /* first poll sends the first report */
  s->next_twcc_us = G_MININT64;
  s->rate_window_start_us = G_MININT64;
  return s;
}

void
mcu_rtp_session_free (McuRtpSession *session)
{
  if (session == NULL)
    return;
  for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++) {
    g_free (session->send[k].history);
    g_clear_pointer (&session->send[k].shared, mcu_rtp_history_unref);
  }
  g_free (session);
}

/* ---- incoming RTP ---- */

static gboolean
content_in_use (const McuRtpSession *s)
{
  return s->mids[MCU_MEDIA_CONTENT][0] != '\0' || s->config.remote_ssrc[MCU_MEDIA_CONTENT] != 0;
}

static void
restart_seq (RecvStream *st)
{
  st->started = FALSE;
  st->have_transit = FALSE;
  st->n_nacks = 0;
}

static void
reset_recv (RecvStream *st, guint32 ssrc)
{
  st->ssrc = ssrc;
  st->stats.ssrc = ssrc;
  st->have_sr = FALSE;
  restart_seq (st);
}

/* Binds an unknown SSRC to a stream: by sdes:mid, else by payload type. */
static RecvStream *
learn_ssrc (McuRtpSession *s, const guint8 *packet, const McuRtpHeader *h, gboolean *is_rtx)
{
  char mid[MCU_RTP_SESSION_MID_MAX];
  int kind = -1;

  if (s->config.ext_mid && mcu_rtp_get_mid (packet, h, s->config.ext_mid, mid, sizeof mid) > 0) {
    for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++)
      if (s->mids[k][0] != '\0' && strcmp (s->mids[k], mid) == 0)
        kind = (int) k;
  }
  if (kind < 0) {
    if (h->pt == s->recv[MCU_MEDIA_AUDIO].pt)
      kind = MCU_MEDIA_AUDIO;
    else if (content_in_use (s) && s->recv[MCU_MEDIA_VIDEO].ssrc != 0)
      return NULL;  /* video or content? without a mid we cannot tell */
    else if (h->pt == s->recv[MCU_MEDIA_VIDEO].pt || h->pt == s->recv[MCU_MEDIA_VIDEO].rtx_pt)
      kind = MCU_MEDIA_VIDEO;
    else
      return NULL;
  }
  RecvStream *st = &s->recv[kind];
  if (st->rtx_pt != 0 && h->pt == st->rtx_pt) {
    st->rtx_ssrc = h->ssrc;
    *is_rtx = TRUE;
  } else if (h->pt == st->pt) {
    reset_recv (st, h->ssrc);
    *is_rtx = FALSE;
  } else {
    return NULL;
  }
  return st;
}

static RecvStream *
find_recv (McuRtpSession *s, const guint8 *packet, const McuRtpHeader *h, gboolean *is_rtx)
{
  for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++) {
    RecvStream *st = &s->recv[k];
    if (st->ssrc == h->ssrc && st->ssrc != 0) {
      *is_rtx = FALSE;
      return st;
    }
    if (st->rtx_ssrc == h->ssrc && st->rtx_ssrc != 0) {
      *is_rtx = TRUE;
      return st;
    }
  }
  return learn_ssrc (s, packet, h, is_rtx);
}

static guint64
ext_max (const RecvStream *st)
{
  return st->cycles + (guint64) st->max_seq;
}

static gboolean
bit_get (const RecvStream *st, guint64 ext)
{
  guint i = (guint) (ext % RECEIVED_WINDOW);
  return (st->received_bits[i / 64] >> (i % 64)) & 1;
}

static void
bit_set (RecvStream *st, guint64 ext, gboolean on)
{
  guint i = (guint) (ext % RECEIVED_WINDOW);
  if (on)
    st->received_bits[i / 64] |= G_GUINT64_CONSTANT (1) << (i % 64);
  else
    st->received_bits[i / 64] &= ~(G_GUINT64_CONSTANT (1) << (i % 64));
}

/* The packet's extended sequence number relative to the highest seen. */
static guint64
extend_seq (const RecvStream *st, guint16 seq)
{
  gint64 ext = (gint64) ext_max (st) + (gint16) (guint16) (seq - st->max_seq);
  return ext < 0 ? 0 : (guint64) ext;
}

static void
drop_nack (RecvStream *st, guint index)
{
  st->nacks[index] = st->nacks[--st->n_nacks];
}

static gboolean
remove_nack (RecvStream *st, guint16 seq)
{
  for (guint i = 0; i < st->n_nacks; i++) {
    if (st->nacks[i].seq == seq) {
      drop_nack (st, i);
      return TRUE;
    }
  }
  return FALSE;
}

static guint
oldest_nack (const RecvStream *st)
{
  guint oldest = 0;

  for (guint i = 1; i < st->n_nacks; i++)
    if (st->nacks[i].first_us < st->nacks[oldest].first_us)
      oldest = i;
  return oldest;
}

static void
add_nacks (McuRtpSession *s, RecvStream *st, guint16 first, guint n, gint64 now_us)
{
  if (n > NACK_GAP_MAX) {
    st->stats.nack_gave_up += n + st->n_nacks;
    st->n_nacks = 0;
    mcu_rtp_session_request_keyframe_internal (s, (McuMediaKind) (st - s->recv), now_us);
    return;
  }
  for (guint i = 0; i < n; i++) {
    if (st->n_nacks == NACK_LIST_MAX) {
      drop_nack (st, oldest_nack (st));
      st->stats.nack_gave_up++;
    }
    st->nacks[st->n_nacks++] = (NackEntry) { .seq = (guint16) (first + i), .first_us = now_us };
  }
}

/* RFC 3550 A.1 with duplicate detection; FALSE for a duplicate. */
static gboolean
update_seq (McuRtpSession *s, RecvStream *st, guint16 seq, gboolean rtx, gint64 now_us,
            guint64 *ext_out)
{
  if (!st->started) {
    st->started = TRUE;
    st->max_seq = seq;
    st->cycles = 0;
    st->base_seq = seq;
    st->received = st->received_rtx = 0;
    st->expected_prior = st->received_prior = 0;
    memset (st->received_bits, 0, sizeof st->received_bits);
  }
  guint64 ext = extend_seq (st, seq);
  guint64 top = ext_max (st);
  gboolean nack = s->config.nack && st != &s->recv[MCU_MEDIA_AUDIO];

  *ext_out = ext;
  if (ext > top) {
    guint64 gap = ext - top - 1;
    if (gap >= MAX_DROPOUT) {
      restart_seq (st);  /* the sender jumped: start over from here */
      return update_seq (s, st, seq, rtx, now_us, ext_out);
    }
    for (guint64 e = top + 1; e < ext && e < top + 1 + RECEIVED_WINDOW; e++)
      bit_set (st, e, FALSE);
    if (nack && gap > 0 && !rtx)
      add_nacks (s, st, (guint16) (st->max_seq + 1), (guint) gap, now_us);
    if (seq < st->max_seq)
      st->cycles += 65536;
    st->max_seq = seq;
  } else if (top - ext < RECEIVED_WINDOW && bit_get (st, ext)) {
    st->stats.duplicates++;
    return FALSE;
  } else if (ext < st->base_seq) {
    st->base_seq = ext;  /* reordered before the first packet we saw */
  }
  bit_set (st, ext, TRUE);
  st->received++;
  if (rtx)
    st->received_rtx++;
  if (ext <= top && st->n_nacks > 0 && remove_nack (st, seq) && rtx)
    st->stats.recovered++;
  return TRUE;
}

static void
update_jitter (RecvStream *st, guint32 ts, gint64 now_us)
{
  /* in timestamp units, split so that a large clock value cannot overflow */
  gint64 arrival = (now_us / G_USEC_PER_SEC) * st->clock
                 + (now_us % G_USEC_PER_SEC) * (gint64) st->clock / G_USEC_PER_SEC;
  gint64 transit = (gint64) (guint32) ((guint32) arrival - ts);

  if (st->have_transit) {
    gint64 d = (gint64) (gint32) (guint32) (transit - st->transit);
    if (d < 0)
      d = -d;
    st->jitter += ((double) d - st->jitter) / 16.0;
  }
  st->transit = transit;
  st->have_transit = TRUE;
}

static void
record_twcc (McuRtpSession *s, guint16 seq, gint64 now_us)
{
  TwccWindow *w = &s->twcc;

  if (!w->started) {
    w->started = TRUE;
    w->max_seq = seq + (gint64) 65536;  /* room below for reordering */
    w->next_report = w->max_seq;
    w->arrival_us[w->max_seq & (TWCC_WINDOW - 1)] = now_us;
    return;
  }
  gint64 ext = w->max_seq + (gint16) (guint16) (seq - (guint16) w->max_seq);
  if (ext < w->next_report || ext <= w->max_seq - TWCC_WINDOW)
    return;  /* already reported (as lost) or too old */
  if (ext > w->max_seq) {
    for (gint64 e = w->max_seq + 1; e < ext && e <= w->max_seq + TWCC_WINDOW; e++)
      w->arrival_us[e & (TWCC_WINDOW - 1)] = -1;
    w->max_seq = ext;
    if (w->next_report <= ext - TWCC_WINDOW)
      w->next_report = ext - TWCC_WINDOW + 1;
  }
  w->arrival_us[ext & (TWCC_WINDOW - 1)] = now_us;
}

static void
fill_info (McuRtpSession *s, const guint8 *packet, const McuRtpHeader *h, guint64 ext, gboolean rtx,
           gint64 now_us, McuRtpInfo *info)
{
  gboolean voice = FALSE;
  int level = s->config.ext_audio_level
    ? mcu_rtp_get_audio_level (packet, h, s->config.ext_audio_level, &voice) : -1;

  *info = (McuRtpInfo) {
    .ssrc = h->ssrc, .seq = h->seq, .ts = h->ts, .marker = h->marker, .pt = h->pt,
    .ext_seq = ext, .payload_offset = h->header_len, .payload_len = h->payload_len,
    .audio_level = level < 0 ? -1 : level, .voice_activity = voice, .arrival_us = now_us,
    .retransmitted = rtx,
  };
}

void
mcu_rtp_session_receive_rtp (McuRtpSession *s, guint8 *packet, gsize len, gint64 now_us)
{
  McuRtpHeader h;
  gboolean rtx = FALSE;
  guint64 ext;

  if (mcu_rtp_parse (packet, len, &h) < 0) {
    s->stats.malformed_rtp++;
    return;
  }
  if (s->config.twcc && s->config.ext_twcc) {
    int tseq = mcu_rtp_get_twcc_seq (packet, &h, s->config.ext_twcc);
    if (tseq >= 0)
      record_twcc (s, (guint16) tseq, now_us);
  }
  RecvStream *st = find_recv (s, packet, &h, &rtx);
  if (st == NULL) {
    s->stats.unknown_rtp++;
    return;
  }
  s->window_bytes += len;
  if (rtx) {
    if (h.payload_len < 2 || st->ssrc == 0)
      return;  /* padding-only probe, or RTX before its media stream */
    len = (gsize) mcu_rtp_rtx_unwrap (packet, len, &h, st->pt, st->ssrc);
  }
  guint pending = st->n_nacks;
  if (!update_seq (s, st, h.seq, rtx, now_us, &ext))
    return;
  if (!rtx)
    update_jitter (st, h.ts, now_us);
  st->stats.packets++;
  st->stats.bytes += len;
  st->window_bytes += len;
  mcu_rtp_session_update_rates (s, now_us);
  if (st->n_nacks > pending)
    mcu_rtp_session_send_nacks (s, st, now_us);  /* a new gap: ask at once; retries run in poll */

  if (h.payload_len == 0)
    return;  /* padding-only (bandwidth probe): counted, nothing for the media code */
  McuRtpInfo info;
  fill_info (s, packet, &h, ext, rtx, now_us, &info);
  if (s->callbacks.on_media != NULL)
    s->callbacks.on_media (s->user_data, (McuMediaKind) (st - s->recv), packet, len, &info);
}

/* Our reports describe the link, not what the retransmissions made of it: a packet that arrived only
 * through RTX counts as lost (it is still counted in stats.recovered). Otherwise a sender on a link
 * losing 10 % sees about 0 % in our RRs once NACK/RTX repairs the holes, and never backs off. */
void
mcu_rtp_session_report_block (RecvStream *st, gint64 now_us, McuRtcpReportBlock *out)
{
  guint64 expected = ext_max (st) - st->base_seq + 1;
  guint64 arrived = st->received - st->received_rtx;  /* first time, over the link */
  gint64 lost = (gint64) expected - (gint64) arrived;
  guint64 expected_interval = expected - st->expected_prior;
  guint64 received_interval = arrived - st->received_prior;
  gint64 lost_interval = (gint64) expected_interval - (gint64) received_interval;

  st->expected_prior = expected;
  st->received_prior = arrived;
  memset (out, 0, sizeof *out);
  out->ssrc = st->ssrc;
  out->cumulative_lost = (gint32) CLAMP (lost, -0x800000, 0x7FFFFF);
  out->fraction_lost = expected_interval == 0 || lost_interval <= 0
    ? 0 : (guint8) MIN (255, (lost_interval << 8) / (gint64) expected_interval);
  out->ext_highest_seq = (guint32) ext_max (st);
  out->jitter = (guint32) st->jitter;
  if (st->have_sr) {
    out->lsr = (guint32) (st->sr_ntp >> 16);
    out->dlsr = (guint32) ((now_us - st->sr_received_us) * 65536 / G_USEC_PER_SEC);
  }
  st->stats.lost = lost;
  st->stats.fraction_lost = out->fraction_lost / 256.0;
}

/* ---- NACK ---- */

static gint64
nack_retry_us (const McuRtpSession *s)
{
  if (s->stats.rtt_ms < 0)
    return 100 * 1000;
  return CLAMP ((gint64) (s->stats.rtt_ms * 1500), 20 * 1000, 500 * 1000);
}

/* Sends one NACK with every entry that is due; drops entries past their age or retries. Returns
 * the next time an entry falls due (G_MAXINT64 when none). */
gint64
mcu_rtp_session_send_nacks (McuRtpSession *s, RecvStream *st, gint64 now_us)
{
  guint16 seqs[NACK_LIST_MAX];
  guint n = 0;
  gint64 retry = nack_retry_us (s), next = G_MAXINT64;
  gint64 max_age = (gint64) s->config.nack_max_age_ms * 1000;

  for (guint i = 0; i < st->n_nacks;) {
    NackEntry *e = &st->nacks[i];
    if (now_us - e->first_us > max_age || e->retries >= s->config.nack_max_retries) {
      st->stats.nack_gave_up++;
      drop_nack (st, i);
      continue;
    }
    if (e->sent_us == 0 || now_us - e->sent_us >= retry) {
      seqs[n++] = e->seq;
      e->sent_us = now_us;
      e->retries++;
    }
    next = MIN (next, e->sent_us + retry);
    i++;
  }
  if (n == 0 || st->ssrc == 0)
    return next;

  guint8 fb[RTCP_BUF_SIZE / 2];
  int len = mcu_rtcp_build_nack (fb, sizeof fb, s->rtcp_ssrc, st->ssrc, seqs, n);
  if (len > 0) {
    mcu_rtp_session_send_feedback (s, fb, (gsize) len);
    st->stats.nack_sent++;
    st->stats.nack_seqs_sent += n;
  }
  return next;
}

/* ---- outgoing RTP ---- */

/* abs-send-time, transport-wide sequence and mid (media only, not for RTX) where negotiated, in one
 * rewrite of the extension block; a packet they do not fit into goes out without them. */
static void
stamp_extensions (McuRtpSession *s, McuMediaKind kind, guint8 *buf, int *len, McuRtpHeader *h,
                  gint64 now_us)
{
  const McuRtpSessionConfig *c = &s->config;
  McuRtpExtension ext[3];
  guint8 ast[3], tseq[2];
  guint n = 0, twcc = G_MAXUINT;

  if (c->ext_abs_send_time) {
    mcu_put_be24 (ast, mcu_rtp_abs_send_time_from_us (now_us));
    ext[n++] = (McuRtpExtension) { c->ext_abs_send_time, 3, ast };
  }
  if (c->twcc && c->ext_twcc) {
    mcu_put_be16 (tseq, s->next_twcc_seq);
    twcc = n;
    ext[n++] = (McuRtpExtension) { c->ext_twcc, 2, tseq };
  }
  if (c->ext_mid && kind < MCU_MEDIA_N_KINDS && s->mids[kind][0] != '\0')
    ext[n++] = (McuRtpExtension) { c->ext_mid, (guint8) strlen (s->mids[kind]),
                                   (const guint8 *) s->mids[kind] };
  if (n == 0)
    return;
  int r = mcu_rtp_set_extensions (buf, (gsize) *len, MCU_RTP_MAX_PACKET, h, ext, n);
  if (r < 0)
    return;
  *len = r;
  if (twcc != G_MAXUINT) {
    guint slot = s->next_twcc_seq & (TWCC_WINDOW - 1);
    s->twcc_sent_seq[slot] = s->next_twcc_seq;
    s->twcc_sent_len[slot] = (guint16) r;
    s->next_twcc_seq++;
  }
}

/* Our sequence number for @h: the next one, or when forwarding, the sender's shifted by a fixed
 * delta, so a packet the sender retransmits late lands in the same hole on our side. */
static guint16
outgoing_seq (SendStream *st, const McuRtpHeader *h, gboolean forward)
{
  if (!forward)
    return st->next_seq++;
  if (!st->forwarding) {
    st->forwarding = TRUE;
    st->forward_delta = (guint16) (st->next_seq - h->seq);
  }
  guint16 seq = (guint16) (h->seq + st->forward_delta);
  if ((gint16) (seq - st->next_seq) >= 0)
    st->next_seq = (guint16) (seq + 1);
  return seq;
}

/* How a packet's sequence number and history are handled: ours, forwarded (the source's number
 * shifted, own copy kept) or shared (the source's number shifted, the source keeps the copy). */
typedef enum { SEND_OWN, SEND_FORWARD, SEND_SHARED } SendMode;

static int send_stamped (McuRtpSession *s, McuMediaKind kind, const guint8 *packet, gsize len,
                         SendMode mode, guint32 ts_offset, gint64 now_us);

int
mcu_rtp_session_send_rtp (McuRtpSession *s, McuMediaKind kind, const guint8 *packet, gsize len,
                          gint64 now_us)
{
  return send_stamped (s, kind, packet, len, SEND_OWN, 0, now_us);
}

int
mcu_rtp_session_forward_rtp (McuRtpSession *s, McuMediaKind kind, const guint8 *packet, gsize len,
                             gint64 now_us)
{
  return send_stamped (s, kind, packet, len, SEND_FORWARD, 0, now_us);
}

int
mcu_rtp_session_send_shared (McuRtpSession *s, McuMediaKind kind, const guint8 *packet, gsize len,
                             McuRtpHistory *history, guint32 ts_offset, gint64 now_us)
{
  if ((guint) kind >= MCU_MEDIA_N_KINDS || s->send[kind].ssrc == 0)
    return -ENOENT;
  SendStream *st = &s->send[kind];
  if (st->shared != history) {
    g_clear_pointer (&st->shared, mcu_rtp_history_unref);
    st->shared = mcu_rtp_history_ref (history);
    st->forwarding = FALSE;        /* the next packet maps the new source onto our next number */
    st->shared_since = st->next_seq;
  }
  st->shared_ts_offset = ts_offset;
  return send_stamped (s, kind, packet, len, SEND_SHARED, ts_offset, now_us);
}

static int
send_stamped (McuRtpSession *s, McuMediaKind kind, const guint8 *packet, gsize len, SendMode mode,
              guint32 ts_offset, gint64 now_us)
{
  McuRtpHeader h;

  if ((guint) kind >= MCU_MEDIA_N_KINDS || s->send[kind].ssrc == 0)
    return -ENOENT;
  if (len > MCU_RTP_MAX_PACKET)
    return -ENOSPC;
  if (mcu_rtp_parse (packet, len, &h) < 0)
    return -EINVAL;

  SendStream *st = &s->send[kind];
  guint8 *buf = s->scratch;
  int out_len = (int) len;
  memcpy (buf, packet, len);
  guint16 seq = outgoing_seq (st, &h, mode != SEND_OWN);
  h.ts += ts_offset;
  mcu_rtp_set_ssrc (buf, st->ssrc);
  mcu_rtp_set_seq (buf, seq);
  mcu_rtp_set_ts (buf, h.ts);
  if (st->pt != 0)
    mcu_rtp_set_pt (buf, st->pt);  /* shared encoders: each peer has its own payload numbers */
  stamp_extensions (s, kind, buf, &out_len, &h, now_us);

  if (mode != SEND_SHARED)
    ensure_history (s, st);
  if (mode != SEND_SHARED && st->history != NULL) {
    HistorySlot *slot = &st->history[seq & st->history_mask];
    slot->seq = seq;
    slot->len = (guint16) out_len;
    slot->resent_us = 0;
    memcpy (slot->data, buf, (gsize) out_len);
  }
  st->sent_any = TRUE;
  st->last_ts = h.ts;
  st->last_send_us = now_us;
  st->payload_octets += h.payload_len;
  st->stats.packets++;
  st->stats.bytes += (guint64) out_len;
  s->callbacks.send_rtp (s->user_data, buf, (gsize) out_len);
  return 0;
}

SendStream *
mcu_rtp_session_send_stream_by_ssrc (McuRtpSession *s, guint32 ssrc, McuMediaKind *kind)
{
  for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++) {
    if (s->send[k].ssrc != 0 && (s->send[k].ssrc == ssrc || s->send[k].rtx_ssrc == ssrc)) {
      if (kind != NULL)
        *kind = (McuMediaKind) k;
      return &s->send[k];
    }
  }
  return NULL;
}

/* Shared history: whether @seq was resent within RESEND_MIN_INTERVAL_US; if not, remembers it now. */
static gboolean
resent_lately (SendStream *st, guint16 seq, gint64 now_us)
{
  for (guint i = 0; i < RESENT_MEMORY; i++) {
    if (st->resent_at[i] != 0 && st->resent_seq[i] == seq && now_us - st->resent_at[i] < RESEND_MIN_INTERVAL_US)
      return TRUE;
  }
  st->resent_seq[st->resent_next] = seq;
  st->resent_at[st->resent_next] = now_us;
  st->resent_next = (st->resent_next + 1) % RESENT_MEMORY;
  return FALSE;
}

/* Our packet @seq rebuilt from the shared history into s->rtx_source (our SSRC, number, payload type
 * and timestamp); its length, or -1 when the source no longer has it or it predates the source. */
static int
rebuild_shared (McuRtpSession *s, SendStream *st, guint16 seq)
{
  if (st->shared == NULL || !st->forwarding || (guint16) (seq - st->shared_since) >= (guint16) (st->next_seq - st->shared_since))
    return -1;
  int len = mcu_rtp_history_copy (st->shared, (guint16) (seq - st->forward_delta), s->rtx_source, MCU_RTP_MAX_PACKET);
  McuRtpHeader h;
  if (len < 0 || mcu_rtp_parse (s->rtx_source, (gsize) len, &h) < 0)
    return -1;
  mcu_rtp_set_ssrc (s->rtx_source, st->ssrc);
  mcu_rtp_set_seq (s->rtx_source, seq);
  mcu_rtp_set_ts (s->rtx_source, h.ts + st->shared_ts_offset);
  if (st->pt != 0)
    mcu_rtp_set_pt (s->rtx_source, st->pt);
  return len;
}

/* The packet to resend for @seq: from our own history or the shared one; NULL (counted) when gone,
 * or when it was resent lately (a burst of NACKs must not multiply our sending). */
static const guint8 *
find_resend_source (McuRtpSession *s, SendStream *st, guint16 seq, gint64 now_us, int *len)
{
  HistorySlot *slot = st->history ? &st->history[seq & st->history_mask] : NULL;

  if (slot != NULL && slot->len != 0 && slot->seq == seq) {
    if (slot->resent_us != 0 && now_us - slot->resent_us < RESEND_MIN_INTERVAL_US) {
      st->stats.retransmit_suppressed++;
      return NULL;
    }
    slot->resent_us = now_us;
    *len = slot->len;
    return slot->data;
  }
  *len = rebuild_shared (s, st, seq);
  if (*len < 0) {
    st->stats.rtx_misses++;
    return NULL;
  }
  if (resent_lately (st, seq, now_us)) {
    st->stats.retransmit_suppressed++;
    return NULL;
  }
  return s->rtx_source;
}

/* Copies the packet @seq we sent (own or shared history) into the scratch buffer (wrapped as RTX when
 * negotiated), with a fresh transport-wide sequence number, and sends it. */
void
mcu_rtp_session_retransmit (McuRtpSession *s, SendStream *st, guint16 seq, gint64 now_us)
{
  McuRtpHeader h;
  int len;
  const guint8 *source = find_resend_source (s, st, seq, now_us, &len);

  if (source == NULL)
    return;
  if (mcu_rtp_parse (source, (gsize) len, &h) < 0) {
    st->stats.rtx_misses++;
    return;
  }
  if (st->rtx_ssrc != 0) {
    len = mcu_rtp_rtx_wrap (s->scratch, MCU_RTP_MAX_PACKET, source, &h, st->rtx_pt,
                            st->rtx_ssrc, st->next_rtx_seq);
    if (len < 0 || mcu_rtp_parse (s->scratch, (gsize) len, &h) < 0) {
      st->stats.rtx_misses++;
      return;
    }
    st->next_rtx_seq++;
  } else {
    memcpy (s->scratch, source, (gsize) len);
  }
  stamp_extensions (s, MCU_MEDIA_N_KINDS, s->scratch, &len, &h, now_us);
  st->stats.retransmitted++;
  s->callbacks.send_rtp (s->user_data, s->scratch, (gsize) len);
}

void
mcu_rtp_session_update_rates (McuRtpSession *s, gint64 now_us)
{
  if (s->rate_window_start_us == G_MININT64) {
    s->rate_window_start_us = now_us;
    return;
  }
  gint64 elapsed = now_us - s->rate_window_start_us;
  if (elapsed < RATE_WINDOW_US)
    return;
  for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++) {
    RecvStream *st = &s->recv[k];
    st->stats.bitrate_bps = (guint32) MIN (G_MAXUINT32, st->window_bytes * 8 * G_USEC_PER_SEC / elapsed);
    st->window_bytes = 0;
  }
  s->stats.receive_bitrate_bps = (guint32) MIN (G_MAXUINT32, s->window_bytes * 8 * G_USEC_PER_SEC / elapsed);
  s->window_bytes = 0;
  s->rate_window_start_us = now_us;
}
