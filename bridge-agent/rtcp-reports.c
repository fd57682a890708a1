/* SPDX-License-Identifier: MIT */
/*
 * Reports appended to webrtcbin's early RTCP (see rtcp-reports.h for why).
 *
 * Threads: on_ssrc_active on the RTCP receiving thread, on_sending_rtcp on rtpsession's RTCP thread;
 * Reports.lock guards the table between them. Both run per RTCP packet; note_clock, a pad probe on
 * webrtcbin's sink pads, runs per RTP packet we send (no allocation, the lock held for a few stores).
 * Reports.lock is never held while rtpsession's lock is taken (its "sources" property).
 */
#define G_LOG_DOMAIN "bridge-rtcp"
#define GLIB_DISABLE_DEPRECATION_WARNINGS  /* RTPSession's "sources" is a GValueArray */

#include "rtcp-reports.h"

#include <gst/rtp/rtp.h>

#define MAX_SENDERS 4          /* the mcu's audio and video (its RTX SSRC sends no SR) */

typedef struct {
  GObject *source;             /* (owned) the remote RTPSource */
  guint32 ssrc;
  guint64 sr_ntp;              /* its last SR's NTP time, 0 none */
  gint64 sr_arrival_us;        /* monotonic time we saw that SR */
  BridgeRtcpCounts previous;   /* at the last report block about it, ours or rtpsession's */
} Sender;

typedef struct {
  guint32 ssrc;                /* 0: empty */
  guint32 rtp_ts;              /* the RTP timestamp of its last packet into webrtcbin ... */
  gint64 at_us;                /* ... and when (monotonic) */
  gint clock_rate;             /* from the pad's caps; 0 not looked at yet, -1 none there */
} Clock;

typedef struct {
  GMutex lock;
  Sender senders[MAX_SENDERS];
  guint n_senders;
  gint64 last_blocks_us;       /* the last RTCP with report blocks, ours or a regular one */
  Clock clocks[MAX_SENDERS];   /* our own streams' RTP clocks (streaming threads write, under lock) */
} Reports;

BridgeRtcpBlock
bridge_rtcp_block (const BridgeRtcpCounts *now, const BridgeRtcpCounts *previous, gint64 cumulative_lost,
                   guint64 sr_ntp, gint64 sr_age_us)
{
  BridgeRtcpBlock b = { .cumulative_lost = (gint32) CLAMP (cumulative_lost, -0x800000, 0x7fffff) };
  guint64 expected = now->expected > previous->expected ? now->expected - previous->expected : 0;
  guint64 received = now->received > previous->received ? now->received - previous->received : 0;

  if (expected > received)
    b.fraction_lost = (guint8) MIN (((expected - received) << 8) / expected, 255u);
  if (sr_ntp != 0 && sr_age_us >= 0) {
    b.lsr = (guint32) (sr_ntp >> 16);
    b.dlsr = (guint32) MIN ((guint64) sr_age_us * 65536 / G_USEC_PER_SEC, (guint64) G_MAXUINT32);
  }
  return b;
}

static void
reports_free (gpointer data)
{
  Reports *r = data;

  for (guint i = 0; i < r->n_senders; i++)
    g_object_unref (r->senders[i].source);
  g_mutex_clear (&r->lock);
}

/* The counters of a remote source from its "stats"; FALSE for our own sources. */
static gboolean
read_source (GObject *source, BridgeRtcpCounts *counts, gint64 *lost, guint *jitter, guint64 *sr_ntp,
             guint32 *ssrc, guint32 *ext_seq)
{
  g_autoptr (GstStructure) stats = NULL;
  gboolean internal = FALSE, have_sr = FALSE;
  guint64 received = 0, ntp = 0;
  gint packets_lost = 0, base = -1;
  guint ssrc_value = 0, sent_ext_seq = 0;

  g_object_get (source, "stats", &stats, NULL);
  if (stats == NULL || !gst_structure_get_boolean (stats, "internal", &internal) || internal)
    return FALSE;
  gst_structure_get_uint (stats, "ssrc", &ssrc_value);
  gst_structure_get_uint64 (stats, "packets-received", &received);
  gst_structure_get_int (stats, "packets-lost", &packets_lost);
  gst_structure_get_int (stats, "seqnum-base", &base);
  *jitter = 0;
  gst_structure_get_uint (stats, "jitter", jitter);
  gst_structure_get_boolean (stats, "have-sr", &have_sr);
  gst_structure_get_uint64 (stats, "sr-ntptime", &ntp);
  *ssrc = ssrc_value;
  *lost = packets_lost;
  counts->received = received;
  counts->expected = (guint64) MAX ((gint64) received + packets_lost, 0);
  *sr_ntp = have_sr ? ntp : 0;
  /* RFC 3550 A.3: expected = extended highest - base + 1. rtpsession 1.22 reports no base (-1): then the
   * extended highest of its own last block (stale by up to a few seconds; the mcu reads loss and
   * LSR/DLSR, not this field). */
  gst_structure_get_uint (stats, "sent-rb-exthighestseq", &sent_ext_seq);
  *ext_seq = base >= 0 ? (guint32) ((guint64) base + counts->expected - 1) : sent_ext_seq;
  return TRUE;
}

static Sender *
find_sender (Reports *r, guint32 ssrc)
{
  for (guint i = 0; i < r->n_senders; i++)
    if (r->senders[i].ssrc == ssrc)
      return &r->senders[i];
  return NULL;
}

/* A remote source sent RTCP: note when a new SR of it arrived (its DLSR counts from there). */
static void
on_ssrc_active (GObject *session, GObject *source, gpointer user_data)
{
  Reports *r = user_data;
  BridgeRtcpCounts counts;
  gint64 lost;
  guint jitter;
  guint64 sr_ntp;
  guint32 ssrc, ext_seq;

  if (!read_source (source, &counts, &lost, &jitter, &sr_ntp, &ssrc, &ext_seq))
    return;
  gint64 now = g_get_monotonic_time ();
  g_mutex_lock (&r->lock);
  Sender *s = find_sender (r, ssrc);
  if (s == NULL && r->n_senders < MAX_SENDERS) {
    s = &r->senders[r->n_senders++];
    *s = (Sender) { .source = g_object_ref (source), .ssrc = ssrc, .previous = counts };
  }
  if (s != NULL && sr_ntp != 0 && sr_ntp != s->sr_ntp) {
    s->sr_ntp = sr_ntp;
    s->sr_arrival_us = now;
  }
  g_mutex_unlock (&r->lock);
}

/* One report block per remote sender into @packet (an RR being built). */
static void
add_blocks (Reports *r, GstRTCPPacket *packet, gint64 now)
{
  for (guint i = 0; i < r->n_senders; i++) {
    Sender *s = &r->senders[i];
    BridgeRtcpCounts counts;
    gint64 lost;
    guint jitter;
    guint64 sr_ntp;
    guint32 ssrc, ext_seq;
    if (!read_source (s->source, &counts, &lost, &jitter, &sr_ntp, &ssrc, &ext_seq))
      continue;
    gboolean same_sr = sr_ntp != 0 && sr_ntp == s->sr_ntp;
    BridgeRtcpBlock b = bridge_rtcp_block (&counts, &s->previous, lost, same_sr ? sr_ntp : 0,
                                           now - s->sr_arrival_us);
    if (gst_rtcp_packet_add_rb (packet, s->ssrc, b.fraction_lost, b.cumulative_lost, ext_seq, jitter, b.lsr,
                                b.dlsr))
      s->previous = counts;
  }
}

typedef struct {
  guint32 ssrc;
  guint64 ntp;             /* now, 32.32 NTP */
  guint32 rtp_ts;          /* the same instant on its RTP clock */
  guint32 packets, octets;
} SenderInfo;

/* Our stream's RTP timestamp now, from its last packet's; FALSE when none of its packets was seen or
 * its clock rate is unknown. @clock: rtpsession's figure, <= 0 when it has none (then the caps'). */
static gboolean
rtp_now (Reports *r, guint32 ssrc, gint *clock, gint64 now_us, guint32 *rtp_ts)
{
  gboolean found = FALSE;

  g_mutex_lock (&r->lock);
  for (guint i = 0; i < MAX_SENDERS && !found; i++)
    if (r->clocks[i].ssrc == ssrc && r->clocks[i].at_us > 0) {
      if (*clock <= 0)
        *clock = r->clocks[i].clock_rate;
      if (*clock <= 0)
        break;
      *rtp_ts = r->clocks[i].rtp_ts + (guint32) ((guint64) MAX (now_us - r->clocks[i].at_us, 0) * (guint) *clock
                                                 / G_USEC_PER_SEC);
      found = TRUE;
    }
  g_mutex_unlock (&r->lock);
  return found;
}

/* Sender info for our own senders (up to @max), extrapolated from each stream's last packet (or the
 * last SR rtpsession sent for it; its NTP clock is the real-time clock): the mcu's reports then carry
 * LSR/DLSR about our streams, which is where the agent's own RTT comes from. rtpsession learns a
 * sender's clock rate only when it builds a regular SR for it, and with transport-wide feedback on
 * that may never happen for the video (it became a sender after the one regular SR): the clock rate
 * then comes from the caps on webrtcbin's sink pad. Without it no SR of our video went out, the mcu's
 * reports about it had no LSR and the agent knew no RTT all session (its receive jitter buffers stayed
 * at 200 ms on a 350 ms link, so no resent packet was in time: 1.5-2.3 s a minute frozen on rural-3g
 * in about one join in five). Returns how many. */
static guint
own_sender_info (Reports *r, GObject *session, SenderInfo *info, guint max)
{
  gint64 mono_us = g_get_monotonic_time ();
  GValueArray *sources = NULL;
  guint found = 0;
  guint64 now_ntp = gst_rtcp_unix_to_ntp ((guint64) g_get_real_time () * 1000);

  g_object_get (session, "sources", &sources, NULL);
  for (guint i = 0; sources != NULL && i < sources->n_values && found < max; i++) {
    g_autoptr (GstStructure) st = NULL;
    gboolean internal = FALSE, sender = FALSE, have_sr = FALSE;
    guint64 sr_ntp = 0, packets = 0, octets = 0;
    guint ssrc = 0, sr_rtp = 0;
    gint clock = -1;
    g_object_get (g_value_get_object (&sources->values[i]), "stats", &st, NULL);
    if (st == NULL || !gst_structure_get_boolean (st, "internal", &internal) || !internal
        || !gst_structure_get_boolean (st, "is-sender", &sender) || !sender
        || !gst_structure_get_uint (st, "ssrc", &ssrc))
      continue;
    gst_structure_get_int (st, "clock-rate", &clock);
    guint32 rtp_ts = 0;
    /* From the stream's own last packet; else from rtpsession's last SR for it. */
    if (!rtp_now (r, ssrc, &clock, mono_us, &rtp_ts)) {
      if (clock <= 0 || !gst_structure_get_boolean (st, "have-sr", &have_sr) || !have_sr
          || !gst_structure_get_uint64 (st, "sr-ntptime", &sr_ntp) || sr_ntp == 0 || sr_ntp > now_ntp
          || !gst_structure_get_uint (st, "sr-rtptime", &sr_rtp))
        continue;
      guint64 elapsed = now_ntp - sr_ntp;   /* 32.32 seconds */
      rtp_ts = sr_rtp + (guint32) (((elapsed >> 16) * (guint64) clock) >> 16);
    }
    gst_structure_get_uint64 (st, "packets-sent", &packets);
    gst_structure_get_uint64 (st, "octets-sent", &octets);
    info[found++] = (SenderInfo) { .ssrc = ssrc, .ntp = now_ntp, .rtp_ts = rtp_ts,
                                   .packets = (guint32) packets, .octets = (guint32) octets };
  }
  if (sources != NULL)
    g_value_array_free (sources);
  return found;
}

/* rtpsession is about to send @buffer. A regular report carries blocks already (its fraction lost
 * restarts there); an early one gets our RR when blocks are due. */
static gboolean
on_sending_rtcp (GObject *session, GstBuffer *buffer, gboolean early, gpointer user_data)
{
  Reports *r = user_data;
  gint64 now = g_get_monotonic_time ();
  guint ssrc = 0;

  g_mutex_lock (&r->lock);
  if (!early) {
    r->last_blocks_us = now;
    for (guint i = 0; i < r->n_senders; i++) {
      gint64 lost;
      guint jitter;
      guint64 sr_ntp;
      guint32 sender_ssrc, ext_seq;
      read_source (r->senders[i].source, &r->senders[i].previous, &lost, &jitter, &sr_ntp, &sender_ssrc,
                   &ext_seq);
    }
    g_mutex_unlock (&r->lock);
    return FALSE;
  }
  if (r->n_senders == 0 || now - r->last_blocks_us < BRIDGE_RTCP_REPORT_INTERVAL_US
      || !gst_buffer_is_writable (buffer)) {
    g_mutex_unlock (&r->lock);
    return FALSE;
  }
  SenderInfo info[MAX_SENDERS];
  g_mutex_unlock (&r->lock);   /* never held into rtpsession's own lock ("sources") */
  guint n_info = own_sender_info (r, session, info, MAX_SENDERS);
  g_mutex_lock (&r->lock);
  if (n_info == 0)
    g_object_get (session, "internal-ssrc", &ssrc, NULL);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  if (gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp)) {
    /* One SR per sender of ours (the blocks in the first), or an RR before any SR of rtpsession. */
    if (gst_rtcp_buffer_add_packet (&rtcp, n_info > 0 ? GST_RTCP_TYPE_SR : GST_RTCP_TYPE_RR, &packet)) {
      if (n_info > 0)
        gst_rtcp_packet_sr_set_sender_info (&packet, info[0].ssrc, info[0].ntp, info[0].rtp_ts, info[0].packets,
                                            info[0].octets);
      else
        gst_rtcp_packet_rr_set_ssrc (&packet, ssrc);
      add_blocks (r, &packet, now);
      for (guint i = 1; i < n_info && gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SR, &packet); i++)
        gst_rtcp_packet_sr_set_sender_info (&packet, info[i].ssrc, info[i].ntp, info[i].rtp_ts, info[i].packets,
                                            info[i].octets);
      r->last_blocks_us = now;
    }
    gst_rtcp_buffer_unmap (&rtcp);
  }
  g_mutex_unlock (&r->lock);
  return FALSE;
}

static void
reports_unref (gpointer data, GClosure *closure)
{
  g_atomic_rc_box_release_full (data, reports_free);
}

/* Streaming thread, a stream's first packet: its clock rate from the pad's caps (a reference, no copy);
 * -1 when the caps have none, so the caps are looked at once per stream either way. */
static void
note_clock_rate (Reports *r, guint32 ssrc, GstPad *pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gint rate = 0;

  if (caps != NULL && gst_caps_get_size (caps) > 0)
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "clock-rate", &rate);
  if (caps != NULL)
    gst_caps_unref (caps);
  if (rate <= 0)
    rate = -1;
  g_mutex_lock (&r->lock);
  for (guint i = 0; i < MAX_SENDERS; i++)
    if (r->clocks[i].ssrc == ssrc)
      r->clocks[i].clock_rate = rate;
  g_mutex_unlock (&r->lock);
}

/* Streaming thread, per RTP packet into webrtcbin: its SSRC and timestamp (no allocation). */
static GstPadProbeReturn
note_clock (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Reports *r = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    guint n = gst_buffer_list_length (list);
    buffer = n > 0 ? gst_buffer_list_get (list, n - 1) : NULL;
  }
  if (buffer == NULL || !gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  guint32 ssrc = gst_rtp_buffer_get_ssrc (&rtp), ts = gst_rtp_buffer_get_timestamp (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  gint64 now = g_get_monotonic_time ();
  gint rate = -1;
  g_mutex_lock (&r->lock);
  for (guint i = 0; i < MAX_SENDERS; i++) {
    if (r->clocks[i].ssrc == ssrc || r->clocks[i].ssrc == 0) {
      if (r->clocks[i].ssrc != ssrc)
        r->clocks[i].clock_rate = 0;
      r->clocks[i].ssrc = ssrc;
      r->clocks[i].rtp_ts = ts;
      r->clocks[i].at_us = now;
      rate = r->clocks[i].clock_rate;
      break;
    }
  }
  g_mutex_unlock (&r->lock);
  if (rate == 0)
    note_clock_rate (r, ssrc, pad);   /* once per stream */
  return GST_PAD_PROBE_OK;
}

static void
probe_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, reports_free);
}

static gboolean
watch_sink_pad (GstElement *element, GstPad *pad, gpointer user_data)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, note_clock,
                     g_atomic_rc_box_acquire (user_data), probe_unref);
  return TRUE;
}

void
bridge_rtcp_reports_attach (GObject *rtp_session, GstElement *webrtc)
{
  Reports *r = g_atomic_rc_box_new0 (Reports);

  g_mutex_init (&r->lock);
  gst_element_foreach_sink_pad (webrtc, watch_sink_pad, r);
  g_signal_connect_data (rtp_session, "on-ssrc-active", G_CALLBACK (on_ssrc_active), g_atomic_rc_box_acquire (r),
                         reports_unref, 0);
  g_signal_connect_data (rtp_session, "on-sending-rtcp", G_CALLBACK (on_sending_rtcp), r, reports_unref, 0);
}
