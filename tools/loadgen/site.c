/* SPDX-License-Identifier: MIT */
/*
 * One simulated site (see site.h): the client side of what mcu/conference/session.c does on the
 * server — a CLIENT-role McuPeer paired with an McuRtpSession — plus WHIP signalling with libsoup,
 * replay of the shared pre-encoded media, simulated loss each way (seeded GRand per site), and
 * counting of what arrives: RTP per kind, VP8 frames assembled by McuVp8Depay (keyframes, frames
 * dropped for gaps), and for sites picked to decode, libopus / libvpx decodes of every packet and
 * frame (proof that the media is real, not just bytes).
 *
 * Server-added latency: every packet's RTP timestamp and send time go into a small ring; when a
 * packet with a timestamp we sent comes back (echo rooms keep the timestamp) the difference is a
 * sample. A mix room stamps its own timestamps, so no sample is taken there (the bench then
 * reports the latency as n/a).
 *
 * Threads: the shared GMainContext only (the tool's main thread). Per packet: no allocation, no
 * logging (counted in LoadgenSiteStats).
 */
#define G_LOG_DOMAIN "loadgen-site"

#include "site.h"

#include "transport/negotiated.h"

#include <errno.h>
#include <opus.h>
#include <string.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "janus.h"
#include "media/vp8-depay.h"
#include "sdp/sdp.h"

#define AUDIO_RING 512
#define VIDEO_RING 64

typedef struct {
  guint32 ts;
  gint64 sent_us;   /* 0 = no pending sample */
} Sent;

struct _LoadgenSite {
  LoadgenShared *shared;
  guint index;
  char *name;
  gboolean talker, decode;
  GRand *rand;
  GCancellable *cancellable;

  McuPeer *peer;
  McuRtpSession *rtp;
  McuSdp *offer;
  McuSdpNegotiated *negotiated;
  char *location;
  gboolean posted, connected, leaving;
  gint64 gather_us, post_us;
  guint32 ssrc[3];              /* audio, video, video rtx */
  guint8 audio_pt, video_pt, ext_audio_level;

  const MediaGenAudioTrack *track;
  const MediaGenVideoSequence *video;
  guint variant;                    /* which pattern it sends (shared->video[variant] or video_small) */
  guint audio_pos, video_pos;
  guint32 audio_ts0, video_ts0;
  guint64 audio_ticks, video_ticks;
  gint64 next_poll_us;

  Sent audio_ring[AUDIO_RING], video_ring[VIDEO_RING];
  McuVp8Depay *depay;
  OpusDecoder *opus;
  vpx_codec_ctx_t vpx;
  gboolean vpx_ready;
  float pcm[MEDIA_GEN_AUDIO_FRAME * 6];
  gboolean marker_on;           /* the marker tone is in what we hear */
  gint64 marker_counted_us;     /* the burst (its send time) already timed: one sample per burst */

  GSourceFunc left;
  gpointer left_data;
  LoadgenSiteStats stats;
};

/* ---- packet path ---------------------------------------------------------------------------- */

static void
send_rtp_cb (gpointer user_data, guint8 *packet, gsize len)
{
  LoadgenSite *site = user_data;

  if (site->shared->loss_out > 0 && g_rand_double (site->rand) < site->shared->loss_out) {
    site->stats.dropped_out++;
    return;
  }
  mcu_peer_send_rtp (site->peer, packet, len);
}

static void
send_rtcp_cb (gpointer user_data, guint8 *packet, gsize len)
{
  LoadgenSite *site = user_data;

  mcu_peer_send_rtcp (site->peer, packet, len);
}

static void
add_latency (LoadgenSite *site, guint kind, Sent *sent, guint32 ts, gint64 now)
{
  LoadgenShared *shared = site->shared;

  if (sent->sent_us == 0 || sent->ts != ts)
    return;
  if (shared->n_latency[kind] < LOADGEN_LATENCY_SAMPLES)
    shared->latency[kind][shared->n_latency[kind]++] = now - sent->sent_us;
  sent->sent_us = 0;
}

/* The marker tone's onset in the mix we hear: a latency sample from site 0's send time. The tone is
 * -12 dBov (power ~0.03); speech has little at 6 kHz. */
static void
detect_marker (LoadgenSite *site, int n, gint64 now)
{
  LoadgenShared *shared = site->shared;
  gboolean on = media_gen_marker_power (site->pcm, (guint) n) > 0.002;

  if (on && !site->marker_on && shared->marker_sent_us > site->marker_counted_us &&
      now - shared->marker_sent_us < G_USEC_PER_SEC && shared->n_latency[0] < LOADGEN_LATENCY_SAMPLES) {
    shared->latency[0][shared->n_latency[0]++] = now - shared->marker_sent_us;
    site->marker_counted_us = shared->marker_sent_us;
  }
  site->marker_on = on;
}

static void
on_audio (LoadgenSite *site, const guint8 *payload, gsize len, const McuRtpInfo *info)
{
  site->stats.audio_in++;
  add_latency (site, 0, &site->audio_ring[((info->ts - site->audio_ts0) / MEDIA_GEN_AUDIO_FRAME) % AUDIO_RING],
               info->ts, info->arrival_us);
  if (site->opus == NULL)
    return;
  int n = opus_decode_float (site->opus, payload, (opus_int32) len, site->pcm, G_N_ELEMENTS (site->pcm), 0);
  if (n <= 0) {
    site->stats.audio_decode_errors++;
    return;
  }
  double sum = 0;
  for (int i = 0; i < n; i++)
    sum += (double) site->pcm[i] * site->pcm[i];
  if (site->shared->marker_mode && site->index != 0)
    detect_marker (site, n, info->arrival_us);
  site->stats.audio_decoded++;
  site->stats.audio_loud += sum / n > 1e-5;   /* above -50 dBov */
}

static void
decode_video (LoadgenSite *site, const guint8 *frame, gsize len)
{
  vpx_codec_iter_t iter = NULL;
  vpx_image_t *img;

  if (vpx_codec_decode (&site->vpx, frame, (unsigned int) len, NULL, 0) != VPX_CODEC_OK) {
    site->stats.video_decode_errors++;
    return;
  }
  while ((img = vpx_codec_get_frame (&site->vpx, &iter)) != NULL) {
    site->stats.video_decoded++;
    site->stats.video_width = img->d_w;
    site->stats.video_height = img->d_h;
  }
}

static void
on_video (LoadgenSite *site, const guint8 *payload, gsize len, const McuRtpInfo *info)
{
  gsize frame_len;
  guint32 ts;
  gboolean key;

  site->stats.video_in++;
  int r = mcu_vp8_depay_push (site->depay, payload, len, info->seq, info->ts, info->marker);
  if (r == MCU_VP8_DEPAY_FRAME) {
    const guint8 *frame = mcu_vp8_depay_frame (site->depay, &frame_len, &ts, &key);
    site->stats.video_frames++;
    site->stats.video_keyframes += key;
    add_latency (site, 1, &site->video_ring[((ts - site->video_ts0) / 3600) % VIDEO_RING], ts, info->arrival_us);
    if (site->vpx_ready)
      decode_video (site, frame, frame_len);
  } else if (mcu_vp8_depay_needs_keyframe (site->depay)) {
    mcu_rtp_session_request_keyframe (site->rtp, MCU_MEDIA_VIDEO, info->arrival_us);
  }
}

static void
on_media_cb (gpointer user_data, McuMediaKind kind, guint8 *packet, gsize len, const McuRtpInfo *info)
{
  LoadgenSite *site = user_data;
  const guint8 *payload = packet + info->payload_offset;

  site->stats.bytes_in += len;
  if (kind == MCU_MEDIA_AUDIO)
    on_audio (site, payload, info->payload_len, info);
  else if (kind == MCU_MEDIA_VIDEO)
    on_video (site, payload, info->payload_len, info);
}

/* The mcu's REMB says how big the site's tile is: like the bridge agent (and a browser under a bitrate
 * cap), a site with a small tile sends a small picture; the switch starts on the new size's keyframe. */
static void
on_bitrate_request_cb (gpointer user_data, guint32 bps)
{
  LoadgenSite *site = user_data;
  const MediaGenVideoSequence *want;

  if (site->shared->video_small == NULL)
    return;
  want = bps < LOADGEN_SMALL_BELOW_BPS ? &site->shared->video_small[site->variant]
                                       : &site->shared->video[site->variant];
  if (want != site->video) {
    site->video = want;
    site->video_pos = 0;
    site->stats.size_switches++;
  }
}

static void
on_keyframe_request_cb (gpointer user_data, McuMediaKind kind)
{
  LoadgenSite *site = user_data;

  if (kind == MCU_MEDIA_VIDEO) {
    site->video_pos = 0;   /* frame 0 is the sequence's keyframe */
    site->stats.pli_received++;
  }
}

static void
on_peer_rtp (McuPeer *peer, guint8 *packet, gsize len, gpointer user_data)
{
  LoadgenSite *site = user_data;

  if (site->shared->loss_in > 0 && g_rand_double (site->rand) < site->shared->loss_in) {
    site->stats.dropped_in++;
    return;
  }
  if (site->rtp != NULL)
    mcu_rtp_session_receive_rtp (site->rtp, packet, len, g_get_monotonic_time ());
}

static void
on_peer_rtcp (McuPeer *peer, guint8 *packet, gsize len, gpointer user_data)
{
  LoadgenSite *site = user_data;

  if (site->rtp != NULL)
    mcu_rtp_session_receive_rtcp (site->rtp, packet, len, g_get_monotonic_time ());
}

/* Builds a plain RTP packet (the session stamps SSRC, sequence, extensions) and sends it. */
static void
send_media (LoadgenSite *site, McuMediaKind kind, guint8 pt, guint32 ts, gboolean marker, const guint8 *payload,
            gsize len, int level, gint64 now)
{
  guint8 buf[MCU_RTP_MAX_PACKET];
  McuRtpHeader header = { .marker = marker, .pt = pt, .ts = ts, .ssrc = site->ssrc[kind] };
  int n = mcu_rtp_write_header (buf, sizeof buf, &header);

  if (n < 0 || (gsize) n + len > sizeof buf - 16)
    return;
  memcpy (buf + n, payload, len);
  n += (int) len;
  if (level >= 0 && site->ext_audio_level != 0 && mcu_rtp_parse (buf, (gsize) n, &header) == 0) {
    guint8 value = (guint8) level | (level < 60 ? 0x80 : 0);   /* V bit: voice */
    n = mcu_rtp_set_extension (buf, (gsize) n, sizeof buf, &header, site->ext_audio_level, &value, 1);
    if (n < 0)
      return;
  }
  mcu_rtp_session_send_rtp (site->rtp, kind, buf, (gsize) n, now);
}

void
loadgen_site_send_audio (LoadgenSite *site, gint64 now_us)
{
  if (!site->connected || site->leaving)
    return;
  const MediaGenAudioPacket *p = &site->track->packets[site->audio_pos];
  guint32 ts = site->audio_ts0 + (guint32) (site->audio_ticks * MEDIA_GEN_AUDIO_FRAME);
  Sent *sent = &site->audio_ring[(site->audio_ticks) % AUDIO_RING];

  sent->ts = ts;
  sent->sent_us = now_us;
  if (site->track == &site->shared->marker && site->audio_pos == 0)
    site->shared->marker_sent_us = now_us;
  send_media (site, MCU_MEDIA_AUDIO, site->audio_pt, ts, site->audio_ticks == 0, p->data, p->len, p->level, now_us);
  site->stats.audio_sent++;
  site->audio_ticks++;
  site->audio_pos = (site->audio_pos + 1) % site->track->n_packets;
}

void
loadgen_site_send_video (LoadgenSite *site, gint64 now_us)
{
  if (!site->connected || site->leaving || site->video_pt == 0 || site->shared->audio_only)
    return;
  GArray *frame = site->video->frames[site->video_pos];
  guint32 ts = site->video_ts0 + (guint32) (site->video_ticks * 3600);
  Sent *sent = &site->video_ring[site->video_ticks % VIDEO_RING];

  sent->ts = ts;
  sent->sent_us = now_us;
  mcu_peer_begin_batch (site->peer);   /* the frame in one system call, as the mcu sends */
  for (guint i = 0; i < frame->len; i++) {
    const MediaGenVideoPacket *p = &g_array_index (frame, MediaGenVideoPacket, i);
    send_media (site, MCU_MEDIA_VIDEO, site->video_pt, ts, p->marker, p->data, p->len, -1, now_us);
    site->stats.video_sent++;
  }
  mcu_peer_flush_batch (site->peer);
  site->stats.video_frames_sent++;
  site->stats.keyframes_sent += site->video_pos == 0;
  site->video_ticks++;
  site->video_pos = (site->video_pos + 1) % site->video->n_frames;
}

void
loadgen_site_poll (LoadgenSite *site, gint64 now_us)
{
  if (site->rtp != NULL && now_us >= site->next_poll_us)
    site->next_poll_us = mcu_rtp_session_poll (site->rtp, now_us);
}

/* ---- joining -------------------------------------------------------------------------------- */

static void
fail (LoadgenSite *site, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
fail (LoadgenSite *site, const char *format, ...)
{
  va_list args;

  if (site->stats.failed || site->leaving)
    return;
  va_start (args, format);
  site->stats.error = g_strdup_vprintf (format, args);
  va_end (args);
  site->stats.failed = TRUE;
  site->shared->failed++;
  g_warning ("%s: %s", site->name, site->stats.error);
}

static McuRtpSessionConfig
rtp_config (LoadgenSite *site, const McuSdpNegotiated *negotiated)
{
  McuRtpSessionConfig config;
  const guint32 ssrcs[MCU_N_SSRCS] = { site->ssrc[0], site->ssrc[1], site->ssrc[2], 0, 0 };

  mcu_rtp_session_config_from_sdp (&config, negotiated, ssrcs);
  site->audio_pt = config.audio_pt;
  site->video_pt = config.video_pt;
  site->ext_audio_level = config.ext_audio_level;
  config.cname = site->name;
  return config;
}

static gboolean
apply_answer (LoadgenSite *site, const char *text, gsize len, GError **error)
{
  g_autoptr (McuSdp) answer = mcu_sdp_parse (text, (gssize) len, error);
  McuSdpNegotiated *negotiated = NULL;

  if (answer == NULL || !mcu_sdp_read_answer (site->offer, answer, &negotiated, error))
    return FALSE;
  site->negotiated = negotiated;
  if (!mcu_peer_set_remote_from_sdp (site->peer, negotiated, error))
    return FALSE;
  mcu_peer_end_of_candidates (site->peer);   /* the mcu answers with all its candidates */

  McuRtpSessionConfig config = rtp_config (site, negotiated);
  McuRtpSessionCallbacks callbacks = {
    .send_rtp = send_rtp_cb,
    .send_rtcp = send_rtcp_cb,
    .on_media = on_media_cb,
    .on_keyframe_request = on_keyframe_request_cb,
    .on_bitrate_request = on_bitrate_request_cb,
  };
  site->rtp = mcu_rtp_session_new (&config, &callbacks, site);
  return TRUE;
}

static void
on_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LoadgenSite *site = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  gsize len = 0;
  const char *text;

  if (body == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      fail (site, "WHIP POST: %s", error->message);
    return;
  }
  site->stats.whip_ms = (g_get_monotonic_time () - site->post_us) / 1000.0;
  text = g_bytes_get_data (body, &len);
  if (soup_message_get_status (msg) != SOUP_STATUS_CREATED) {
    fail (site, "WHIP POST: HTTP %u: %.*s", soup_message_get_status (msg), (int) MIN (len, 200), text);
    return;
  }
  const char *location = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location");
  if (location != NULL)
    site->location = g_uri_resolve_relative (site->shared->whip_url, location, G_URI_FLAGS_NONE, NULL);
  if (!apply_answer (site, text, len, &error))
    fail (site, "answer: %s", error->message);
}

static void
on_janus_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LoadgenSite *site = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = loadgen_janus_join_finish (result, &site->location, &error);

  if (answer == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      fail (site, "Janus join: %s", error->message);
    return;
  }
  site->stats.whip_ms = (g_get_monotonic_time () - site->post_us) / 1000.0;
  if (!apply_answer (site, answer, strlen (answer), &error))
    fail (site, "Janus answer: %s", error->message);
}

/* Janus answers an actpass offer with setup:active (it wants to be the DTLS client); our CLIENT peer
 * is the DTLS client, so Janus gets an offer that says so. */
static void
janus_join (LoadgenSite *site, const char *offer)
{
  site->post_us = g_get_monotonic_time ();
  loadgen_janus_join (site->shared->http, site->shared->janus_url, site->shared->janus_room, site->name, offer,
                      site->cancellable, on_janus_answer, site);
}

/* The offer as sent: audio only rejects the video m-line (port 0, out of the BUNDLE group) so the
 * server neither composes nor encodes video for us; Janus gets setup:active. Re-parsed so that
 * mcu_sdp_read_answer () checks the answer against what was really sent. */
static char *
offer_text (LoadgenSite *site)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *built = mcu_sdp_to_string (site->offer);

  g_string_assign (text, built);
  if (site->shared->audio_only) {
    g_string_replace (text, "a=group:BUNDLE 0 1\r\n", "a=group:BUNDLE 0\r\n", 1);
    g_string_replace (text, "m=video 9 ", "m=video 0 ", 1);
  }
  if (site->shared->janus_url != NULL)
    g_string_replace (text, "a=setup:actpass", "a=setup:active", 0);
  McuSdp *parsed = mcu_sdp_parse (text->str, (gssize) text->len, NULL);
  if (parsed != NULL) {
    mcu_sdp_unref (site->offer);
    site->offer = parsed;
  }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
post_offer (LoadgenSite *site)
{
  const char *ufrag, *pwd;
  g_auto (GStrv) candidates = mcu_peer_get_local_candidates (site->peer);
  g_autofree char *fingerprint =
      g_strconcat ("sha-256 ", mcu_certificate_get_fingerprint (site->shared->certificate), NULL);

  if (site->posted)
    return;
  site->posted = TRUE;
  mcu_peer_get_local_credentials (site->peer, &ufrag, &pwd);
  McuSdpLocal local = {
    .ice_ufrag = ufrag, .ice_pwd = pwd, .fingerprint = fingerprint,
    .candidates = (const char *const *) candidates, .end_of_candidates = TRUE,
    .audio_ssrc = site->ssrc[0], .video_ssrc = site->ssrc[1], .video_rtx_ssrc = site->ssrc[2],
    .cname = site->name, .stream_id = site->name,
  };
  site->offer = mcu_sdp_offer (&local, FALSE);
  g_autofree char *text = offer_text (site);
  if (site->shared->janus_url != NULL) {
    janus_join (site, text);
    return;
  }
  g_autofree char *url = g_strdup_printf ("%s?name=%s", site->shared->whip_url, site->name);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
  if (msg == NULL) {
    fail (site, "bad WHIP URL %s", url);
    return;
  }
  gsize text_len = strlen (text);
  g_autoptr (GBytes) body = g_bytes_new_take (g_steal_pointer (&text), text_len);
  soup_message_set_request_body_from_bytes (msg, "application/sdp", body);
  site->post_us = g_get_monotonic_time ();
  soup_session_send_and_read_async (site->shared->http, msg, G_PRIORITY_DEFAULT, site->cancellable, on_answer,
                                    site);
}

static void
on_gathering_done (McuPeer *peer, gpointer user_data)
{
  post_offer (user_data);
}

static void
on_state (McuPeer *peer, McuPeerState state, const char *reason, gpointer user_data)
{
  LoadgenSite *site = user_data;

  if (state == MCU_PEER_STATE_CONNECTED && !site->connected) {
    site->connected = TRUE;
    site->stats.joined = TRUE;
    site->stats.join_ms = (g_get_monotonic_time () - site->gather_us) / 1000.0;
    site->shared->joined++;
  } else if (state == MCU_PEER_STATE_FAILED || (state == MCU_PEER_STATE_CLOSED && !site->leaving)) {
    fail (site, "transport %s: %s", mcu_peer_state_name (state), reason);
    site->connected = FALSE;
  }
}

void
loadgen_site_join (LoadgenSite *site)
{
  g_autoptr (GError) error = NULL;
  McuPeerCallbacks callbacks = {
    .on_rtp = on_peer_rtp,
    .on_rtcp = on_peer_rtcp,
    .on_state = on_state,
    .on_gathering_done = on_gathering_done,
  };

  site->gather_us = g_get_monotonic_time ();
  site->peer = mcu_peer_new (site->shared->context, MCU_PEER_ROLE_CLIENT, site->shared->certificate,
                             &site->shared->peer_config, &callbacks, site, &error);
  if (site->peer == NULL || !mcu_peer_gather (site->peer, &error))
    fail (site, "ICE: %s", error->message);
}

/* ---- leaving -------------------------------------------------------------------------------- */

static void
finish_leave (LoadgenSite *site)
{
  if (site->peer != NULL) {
    McuPeerStats stats;
    mcu_peer_get_stats (site->peer, &stats);
    site->stats.peer = stats;
    if (site->rtp != NULL)
      mcu_rtp_session_get_stats (site->rtp, &site->stats.rtp);
    mcu_peer_close (site->peer);
  }
  site->shared->left++;
  if (site->left != NULL)
    site->left (site->left_data);
}

static void
on_deleted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  g_clear_pointer (&body, g_bytes_unref);   /* only that the server answered matters */
  finish_leave (user_data);
}

void
loadgen_site_leave (LoadgenSite *site, GSourceFunc done, gpointer data)
{
  site->left = done;
  site->left_data = data;
  if (site->rtp != NULL)
    mcu_rtp_session_get_stats (site->rtp, &site->stats.rtp);
  site->leaving = TRUE;
  g_cancellable_cancel (site->cancellable);
  if (site->location == NULL) {
    finish_leave (site);
    return;
  }
  if (site->shared->janus_url != NULL) {
    loadgen_janus_leave (site->shared->http, site->location, on_deleted, site);
    return;
  }
  g_autoptr (SoupMessage) msg = soup_message_new ("DELETE", site->location);
  if (msg == NULL) {
    finish_leave (site);
    return;
  }
  soup_session_send_and_read_async (site->shared->http, msg, G_PRIORITY_DEFAULT, NULL, on_deleted, site);
}

/* ---- life ----------------------------------------------------------------------------------- */

LoadgenSite *
loadgen_site_new (LoadgenShared *shared, guint index, gboolean talker, gboolean decode, gboolean decode_video,
                  guint seed)
{
  LoadgenSite *site = g_new0 (LoadgenSite, 1);
  int err;

  site->shared = shared;
  site->index = index;
  site->name = g_strdup_printf ("load-%03u", index);
  site->talker = talker;
  site->decode = decode || decode_video;
  site->rand = g_rand_new_with_seed (seed * 7919u + index);
  site->cancellable = g_cancellable_new ();
  for (guint i = 0; i < G_N_ELEMENTS (site->ssrc); i++)
    site->ssrc[i] = g_rand_int_range (site->rand, 1, G_MAXINT32);
  site->track = talker ? &shared->voices[index % LOADGEN_VOICES] : &shared->quiet;
  if (shared->marker_mode && index == 0)
    site->track = &shared->marker;
  site->variant = index % shared->n_video;
  site->video = &shared->video[site->variant];
  site->audio_pos = site->track == &shared->marker ? 0 : g_rand_int_range (site->rand, 0, (gint32) site->track->n_packets);
  site->audio_ts0 = g_rand_int (site->rand);
  site->video_ts0 = g_rand_int (site->rand);
  site->depay = mcu_vp8_depay_new (512 * 1024);
  if (decode)
    site->opus = opus_decoder_create (MEDIA_GEN_AUDIO_RATE, 1, &err);
  if (decode_video) {
    vpx_codec_dec_cfg_t cfg = { .threads = 1 };
    site->vpx_ready = vpx_codec_dec_init (&site->vpx, vpx_codec_vp8_dx (), &cfg, 0) == VPX_CODEC_OK;
  }
  return site;
}

void
loadgen_site_get_stats (LoadgenSite *site, LoadgenSiteStats *out)
{
  const McuVp8DepayStats *depay = mcu_vp8_depay_stats (site->depay);

  if (site->rtp != NULL && !site->leaving)
    mcu_rtp_session_get_stats (site->rtp, &site->stats.rtp);
  if (site->peer != NULL && !site->leaving)
    mcu_peer_get_stats (site->peer, &site->stats.peer);
  site->stats.video_gaps = depay->dropped_gap;
  *out = site->stats;
}

gboolean
loadgen_site_is_talker (LoadgenSite *site)
{
  return site->talker;
}

gboolean
loadgen_site_is_decoding (LoadgenSite *site)
{
  return site->decode;
}

void
loadgen_site_free (LoadgenSite *site)
{
  g_cancellable_cancel (site->cancellable);
  g_clear_object (&site->cancellable);
  g_clear_pointer (&site->rtp, mcu_rtp_session_free);
  if (site->peer != NULL)
    mcu_peer_close (site->peer);
  g_clear_pointer (&site->peer, mcu_peer_unref);
  g_clear_pointer (&site->offer, mcu_sdp_unref);
  g_clear_pointer (&site->negotiated, mcu_sdp_negotiated_free);
  g_clear_pointer (&site->depay, mcu_vp8_depay_free);
  g_clear_pointer (&site->opus, opus_decoder_destroy);
  if (site->vpx_ready)
    vpx_codec_destroy (&site->vpx);
  g_rand_free (site->rand);
  g_free (site->stats.error);
  g_free (site->location);
  g_free (site->name);
  g_free (site);
}
