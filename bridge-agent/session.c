/* SPDX-License-Identifier: MIT */
/*
 * One WebRTC session of the agent: a webrtcbin linked to the capture tees, the decoders of what the mcu
 * sends, the offer/answer, ICE restart through libnice, stats and REMB.
 *
 * Why a fresh webrtcbin per re-join (and not a renegotiation): after an mcu restart the old DTLS and
 * SRTP state is meaningless, and webrtcbin 1.22 cannot restart ICE or DTLS by itself.
 *
 * Threads: public functions on the main loop. webrtcbin calls back on its own threads (negotiation,
 * ICE, pad-added, promises); those callbacks hold a reference to their BridgeSession and post to the
 * main loop, where they are dropped if the session was stopped meanwhile (session->media == NULL).
 * session->lock guards recv (the decoder bins), which pad-added fills and session_stop empties.
 */
#define G_LOG_DOMAIN "bridge-session"

#define GST_USE_UNSTABLE_API
#include "media-private.h"
#include "rtcp-reports.h"

#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>
#include <stdio.h>
#include <string.h>

/* Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions-01), offered on
 * both m-lines (one BUNDLE transport, one sequence space). Why: the mcu then numbers every packet it
 * sends us and webrtcbin's rtpsession answers with transport-wide feedback, from which the mcu's
 * degradation ladder learns how much of what it sent this site arrived (its delivered rate). Without
 * it the ladder judges our downlink on loss and RTT alone, and an RTT lifted by our own uplink's queue
 * looks like a downlink queue. The same extmap id on both m-lines, as BUNDLE requires. */
#define TWCC_EXTMAP "extmap-3=(string)http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define AUDIO_CAPS "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000," \
                   "encoding-params=(string)2,useinbandfec=(string)1,minptime=(string)10," \
                   "rtcp-fb-transport-cc=(boolean)true," TWCC_EXTMAP
/* goog-remb is not here: webrtcbin 1.22 drops it when it writes the offer; bridge_sdp_add_goog_remb
 * adds it to the text that is sent (see whip.h). */
#define VIDEO_CAPS "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000," \
                   "rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true," \
                   "rtcp-fb-transport-cc=(boolean)true," TWCC_EXTMAP

struct _BridgeSession {
  gatomicrefcount rc;
  BridgeMedia *media;      /* main loop only; NULL once stopped */
  guint generation;
  GstElement *webrtc;
  GstPad *tee_pads[2];     /* audio, video */
  gulong holds[2];         /* tee pad probes dropping data until the answer is applied */
  GstElement *queues[2];   /* tee → queue → webrtcbin: webrtcbin blocks its sink pads until negotiated,
                            * and a tee push blocked in there would get FLUSHING at teardown and stop
                            * the capture for good; the leaky queue never blocks the tee */
  GMutex lock;
  gboolean stopped;        /* (lock) */
  GPtrArray *recv;         /* (lock) GstElement* bins */
  GPtrArray *mixer_pads;   /* (lock) GstPad* requested from amix */
  gint offer_created;      /* (atomic) */
  gint offer_sent;         /* (atomic) */
};

static BridgeSession *
session_ref (BridgeSession *session)
{
  g_atomic_ref_count_inc (&session->rc);
  return session;
}

static void
session_unref (gpointer data)
{
  BridgeSession *session = data;

  if (!g_atomic_ref_count_dec (&session->rc))
    return;
  g_ptr_array_unref (session->recv);
  g_ptr_array_unref (session->mixer_pads);
  g_mutex_clear (&session->lock);
  g_free (session);
}

/* ---- posting to the main loop ---- */

typedef enum { POST_OFFER, POST_FAILED, POST_STATS } PostKind;

typedef struct {
  BridgeSession *session;
  PostKind kind;
  char *text;
  BridgeLinkStats stats;
  gboolean have_rb;        /* the mcu's report blocks (see report_loss) */
  guint64 rb_ext_seq;
  gint64 rb_lost;
  BridgeStatsCallback callback;
  gpointer user_data;
} Post;

static void
post_free (gpointer data)
{
  Post *post = data;

  session_unref (post->session);
  g_free (post->text);
  g_free (post);
}

static void deliver_stats (BridgeMedia *media, Post *post);

static gboolean
post_run (gpointer data)
{
  Post *post = data;
  BridgeMedia *media = post->session->media;

  if (media == NULL || media->session != post->session)
    return G_SOURCE_REMOVE; /* stale: the session was stopped */
  switch (post->kind) {
    case POST_OFFER:
      media->hooks->offer_ready (post->text, media->user_data);
      break;
    case POST_FAILED:
      media->hooks->session_failed (post->text, media->user_data);
      break;
    case POST_STATS:
      deliver_stats (media, post);
      break;
  }
  return G_SOURCE_REMOVE;
}

static Post *
post_new (BridgeSession *session, PostKind kind, char *text)
{
  Post *post = g_new0 (Post, 1);

  post->session = session_ref (session);
  post->kind = kind;
  post->text = text;
  return post;
}

static void
post_send (Post *post)
{
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, post_run, post, post_free);
}

static void
post_failed (BridgeSession *session, char *why)
{
  post_send (post_new (session, POST_FAILED, why));
}

/* ---- offer ---- */

static void
send_offer_if_ready (BridgeSession *session)
{
  GstWebRTCSessionDescription *local = NULL;
  GstWebRTCICEGatheringState state;

  g_object_get (session->webrtc, "ice-gathering-state", &state, "local-description", &local, NULL);
  if (local == NULL)
    return;
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE && g_atomic_int_compare_and_exchange (&session->offer_sent, 0, 1)) {
    g_autofree char *text = gst_sdp_message_as_text (local->sdp);
    post_send (post_new (session, POST_OFFER, bridge_sdp_add_goog_remb (text)));
  }
  gst_webrtc_session_description_free (local);
}

static void
on_offer_created (GstPromise *promise, gpointer user_data)
{
  BridgeSession *session = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *offer = NULL;

  if (reply != NULL)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  gst_promise_unref (promise);
  if (offer == NULL) {
    post_failed (session, g_strdup ("webrtcbin could not create an offer"));
    return;
  }
  g_signal_emit_by_name (session->webrtc, "set-local-description", offer, NULL);
  gst_webrtc_session_description_free (offer);
  send_offer_if_ready (session);
}

static void
on_negotiation_needed (GstElement *webrtc, gpointer user_data)
{
  BridgeSession *session = user_data;

  if (!g_atomic_int_compare_and_exchange (&session->offer_created, 0, 1))
    return;
  GstPromise *promise = gst_promise_new_with_change_func (on_offer_created, session_ref (session), session_unref);
  g_signal_emit_by_name (webrtc, "create-offer", NULL, promise);
}

static void
on_gathering_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  send_offer_if_ready (user_data);
}

static void
on_connection_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  GstWebRTCICEConnectionState ice;
  GstWebRTCPeerConnectionState peer;

  g_object_get (webrtc, "ice-connection-state", &ice, "connection-state", &peer, NULL);
  if (ice == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    post_failed (user_data, g_strdup ("ICE failed"));
  else if (peer == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    post_failed (user_data, g_strdup ("DTLS failed"));
}

/* ---- receiving ---- */

static GstElement *
recv_bin_for (BridgeSession *session, const char *media_kind, GstElement **counted, GError **error)
{
  const BridgeMedia *media = session->media;
  const char *desc;
  g_autofree char *video = NULL;

  if (g_str_equal (media_kind, "audio")) {
    desc = "rtpopusdepay ! opusdec plc=true ! audioconvert ! audioresample ! "
           "audio/x-raw,rate=48000,channels=2,format=S16LE ! identity name=counted";
  } else {
    video = g_strdup_printf ("rtpvp8depay ! vp8dec ! identity name=counted ! videoconvert ! %s",
                             media->config.headless ? "fakesink sync=false async=false" : "videoscale ! autovideosink");
    desc = video;
  }
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, error);
  if (bin == NULL)
    return NULL;
  /* A sink prerolling inside must not make the whole live pipeline lose its state (that re-bases the
   * clock and once left the microphone source waiting for a far-away clock time). */
  g_object_set (bin, "async-handling", TRUE, NULL);
  *counted = gst_bin_get_by_name (GST_BIN (bin), "counted");
  return bin;
}

/* Streaming threads: RTP bytes handed to webrtcbin (for the send rate). */
static GstPadProbeReturn
count_bytes (GstPad *pad, GstPadProbeInfo *info, gpointer counter)
{
  gsize size = info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST
    ? gst_buffer_list_calculate_size (GST_PAD_PROBE_INFO_BUFFER_LIST (info))
    : gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));

  g_atomic_int_add ((gint *) counter, (gint) size);
  return GST_PAD_PROBE_OK;
}

static void
add_count_probe (GstPad *pad, guint *counter)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, bridge_media_count_probe,
                     counter, NULL);
}

static gboolean
link_recv (BridgeSession *session, GstPad *pad, GstElement *bin, gboolean audio)
{
  BridgeMedia *media = session->media;
  g_autoptr (GstPad) sink = gst_element_get_static_pad (bin, "sink");

  if (audio) {
    GstPad *mixer_pad = gst_element_request_pad_simple (media->amix, "sink_%u");
    g_autoptr (GstPad) src = gst_element_get_static_pad (bin, "src");
    if (gst_pad_link (src, mixer_pad) != GST_PAD_LINK_OK) {
      gst_element_release_request_pad (media->amix, mixer_pad);
      gst_object_unref (mixer_pad);
      return FALSE;
    }
    g_ptr_array_add (session->mixer_pads, mixer_pad);
  }
  gst_element_sync_state_with_parent (bin);
  return gst_pad_link (pad, sink) == GST_PAD_LINK_OK;
}

/* Streaming thread. session->media is read here: it is cleared only after webrtcbin is stopped, which
 * waits for this handler. */
static void
on_pad_added (GstElement *webrtc, GstPad *pad, gpointer user_data)
{
  BridgeSession *session = user_data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  const GstStructure *s = caps ? gst_caps_get_structure (caps, 0) : NULL;
  const char *kind = s ? gst_structure_get_string (s, "media") : NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) counted = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC || kind == NULL)
    return;
  g_mutex_lock (&session->lock);
  if (session->stopped) {
    g_mutex_unlock (&session->lock);
    return;
  }
  BridgeMedia *media = session->media;
  gboolean audio = g_str_equal (kind, "audio");
  GstElement *bin = recv_bin_for (session, kind, &counted, &error);
  if (bin != NULL) {
    gst_bin_add (GST_BIN (media->pipeline), bin);
    g_ptr_array_add (session->recv, gst_object_ref (bin));
    add_count_probe (pad, &media->packets_received);
    g_autoptr (GstPad) out = gst_element_get_static_pad (counted, "src");
    add_count_probe (out, audio ? &media->audio_buffers_received : &media->frames_received);
    bridge_media_watch_recv (media, bin, audio);
    if (!link_recv (session, pad, bin, audio))
      post_failed (session, g_strdup_printf ("cannot play the received %s", kind));
  } else {
    post_failed (session, g_strdup_printf ("cannot decode the received %s: %s", kind, error->message));
  }
  g_mutex_unlock (&session->lock);
}

/* ---- REMB and our RTCP ---- */

static void
on_feedback_rtcp (GObject *rtp_session, guint type, guint fbtype, guint sender_ssrc, guint media_ssrc,
                  GstBuffer *fci, gpointer user_data)
{
  guint8 d[8];

  if (type != GST_RTCP_TYPE_PSFB || fbtype != GST_RTCP_PSFB_TYPE_AFB || fci == NULL)
    return;
  if (gst_buffer_extract (fci, 0, d, sizeof d) != sizeof d || memcmp (d, "REMB", 4) != 0)
    return;
  guint exp = d[5] >> 2;
  guint64 mantissa = ((guint64) (d[5] & 3) << 16) | ((guint64) d[6] << 8) | d[7];
  guint64 bps = exp < 46 ? mantissa << exp : G_MAXUINT32;
  g_atomic_int_set ((gint *) user_data, (gint) MIN (bps / 1000, (guint64) G_MAXINT32));
}

static void
watch_remb (BridgeSession *session)
{
  g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (session->webrtc), "rtpbin");
  GObject *internal = NULL;

  if (rtpbin == NULL)
    return;
  g_signal_emit_by_name (rtpbin, "get-internal-session", 0u, &internal);
  if (internal == NULL) {
    g_debug ("no RTP session 0: REMB will not be followed");
    return;
  }
  g_signal_connect (internal, "on-feedback-rtcp", G_CALLBACK (on_feedback_rtcp), &session->media->remb_kbps);
  /* Our receiver reports every second instead of rtpsession's 5 s minimum: the mcu judges the link
   * it sends us (its tier ladder) by how fresh and how lossy our reports are. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (internal), "rtcp-min-interval"))
    g_object_set (internal, "rtcp-min-interval", (guint64) GST_SECOND, NULL);
  bridge_rtcp_reports_attach (internal, session->webrtc);
  g_object_unref (internal);
}

/* ---- retransmission budget (see adapt.h) ---- */

/* The sending thread, for every packet of the session after webrtcbin's rtprtxsend: video packets are
 * counted (the agent's send watchdog), resends past the budget are dropped and counted. No allocation,
 * no logging. */
static GstPadProbeReturn
budget_resends (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  BridgeMedia *media = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gint rtx_pt = g_atomic_int_get (&media->rtx_pt);

  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  guint pt = gst_rtp_buffer_get_payload_type (&rtp);
  if (pt == BRIDGE_VIDEO_PT)
    g_atomic_int_inc ((gint *) &media->video_packets_out);
  gboolean resend = rtx_pt >= 0 && pt == (guint) rtx_pt && gst_rtp_buffer_get_payload_len (&rtp) >= 2;
  guint16 seq = 0;
  if (resend) {  /* RFC 4588: the payload starts with the original sequence number */
    const guint8 *payload = gst_rtp_buffer_get_payload (&rtp);
    seq = (guint16) (payload[0] << 8 | payload[1]);
  }
  gst_rtp_buffer_unmap (&rtp);
  if (!resend)
    return GST_PAD_PROBE_OK;
  gsize size = gst_buffer_get_size (buffer);
  gint64 repeat_us = CLAMP ((gint64) g_atomic_int_get (&media->rtt_ms), 50, 500) * 1000;
  if (bridge_rtx_budget_take (&media->rtx_budget, seq, (guint) size,
                              (guint) g_atomic_int_get ((gint *) &media->rtx_budget_kbps), repeat_us,
                              g_get_monotonic_time ()) == BRIDGE_RTX_SEND) {
    g_atomic_int_add ((gint *) &media->bytes_sent, (gint) size);
    return GST_PAD_PROBE_OK;
  }
  g_atomic_int_inc ((gint *) &media->rtx_dropped);
  return GST_PAD_PROBE_DROP;
}

/* webrtcbin asks for an element to put after its rtprtxsend (webrtcbin's thread, while negotiating).
 * session->media is valid: the session is stopped only after webrtcbin is, on the main loop. */
static GstElement *
on_request_aux_sender (GstElement *webrtc, GObject *transport, gpointer user_data)
{
  BridgeSession *session = user_data;
  GstElement *budget = gst_element_factory_make ("identity", NULL);

  if (budget == NULL || session->media == NULL)
    return budget;
  g_object_set (budget, "silent", TRUE, NULL);
  g_autoptr (GstPad) sink = gst_element_get_static_pad (budget, "sink");
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, budget_resends, session->media, NULL);
  return budget;
}

/* Our RTX payload type, from the local description (the mcu's answer uses our numbers). */
static gint
local_rtx_pt (BridgeSession *session)
{
  GstWebRTCSessionDescription *local = NULL;
  gint pt = -1;

  g_object_get (session->webrtc, "local-description", &local, NULL);
  for (guint m = 0; local != NULL && m < gst_sdp_message_medias_len (local->sdp) && pt < 0; m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (local->sdp, m);
    const char *rtpmap;
    for (guint i = 0; (rtpmap = gst_sdp_media_get_attribute_val_n (media, "rtpmap", i)) != NULL; i++) {
      guint value = 0;
      char name[8] = "";
      if (sscanf (rtpmap, "%u %7[^/]", &value, name) == 2 && g_ascii_strcasecmp (name, "rtx") == 0 && value < 128)
        pt = (gint) value;
    }
  }
  if (local != NULL)
    gst_webrtc_session_description_free (local);
  return pt;
}

/* ---- start / stop ---- */

/* No media enters a session before its answer is applied: until then a webrtcbin pad may answer
 * FLUSHING, which the tee would hand back to the capture source and stop it for good. */
static GstPadProbeReturn
drop_until_answer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return GST_PAD_PROBE_DROP;
}

static void
release_holds (BridgeSession *session)
{
  for (guint i = 0; i < G_N_ELEMENTS (session->holds); i++) {
    if (session->holds[i] != 0 && session->tee_pads[i] != NULL)
      gst_pad_remove_probe (session->tee_pads[i], session->holds[i]);
    session->holds[i] = 0;
  }
}

static gboolean
link_tee (BridgeSession *session, GstElement *tee, const char *caps_text, guint index, GError **error)
{
  GstElement *webrtc = session->webrtc;
  g_autoptr (GstCaps) caps = gst_caps_from_string (caps_text);
  g_autoptr (GstPad) sink = gst_element_request_pad_simple (webrtc, "sink_%u");
  GstWebRTCRTPTransceiver *transceiver = NULL;

  if (sink == NULL) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "webrtcbin gave no sink pad");
    return FALSE;
  }
  g_object_get (sink, "transceiver", &transceiver, NULL);
  if (transceiver != NULL) {
    g_object_set (transceiver, "codec-preferences", caps, "direction",
                  GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, "do-nack", index == 1, NULL);
    gst_object_unref (transceiver);
  }
  GstElement *queue = gst_element_factory_make ("queue", NULL);
  g_object_set (queue, "leaky", 2 /* downstream */, "max-size-buffers", 0, "max-size-bytes", 0,
                "max-size-time", (guint64) 500 * GST_MSECOND, NULL);
  gst_bin_add (GST_BIN (session->media->pipeline), queue);
  session->queues[index] = gst_object_ref (queue);
  g_autoptr (GstPad) queue_sink = gst_element_get_static_pad (queue, "sink");
  g_autoptr (GstPad) queue_src = gst_element_get_static_pad (queue, "src");
  add_count_probe (sink, &session->media->packets_sent);
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, count_bytes,
                     &session->media->bytes_sent, NULL);
  if (gst_pad_link (queue_src, sink) != GST_PAD_LINK_OK || !gst_element_sync_state_with_parent (queue)) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "cannot link the capture to webrtcbin");
    return FALSE;
  }
  session->tee_pads[index] = gst_element_request_pad_simple (tee, "src_%u");
  session->holds[index] = gst_pad_add_probe (session->tee_pads[index],
                                             GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                                             drop_until_answer, NULL, NULL);
  if (gst_pad_link (session->tee_pads[index], queue_sink) != GST_PAD_LINK_OK) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "cannot link the capture to webrtcbin");
    return FALSE;
  }
  return TRUE;
}

static void
connect_session_signal (BridgeSession *session, const char *signal, GCallback callback)
{
  g_signal_connect_data (session->webrtc, signal, callback, session_ref (session),
                         (GClosureNotify) (void (*) (void)) session_unref, 0);
}

/* libnice's UPnP port mapping is useless towards a known mcu and floods the log with SSDP errors
 * when the link is down.
 *
 * The connectivity checks' retransmissions: libnice 0.1.21 sends a check at 0, 0.5 and 1.5 s and gives
 * the pair up at 2 s (stun-max-retransmissions 3, a 500 ms first timeout, the last wait halved). On a
 * 600 ms round trip the third copy cannot be answered in time, so a check has two real chances: with
 * 10 % loss each way one check in 30 failed, and a join needs several (ours, the nomination, the mcu's),
 * so ICE failed in about one join in ten on the `bad` profile. With 4, copies leave at 0, 0.5, 1.5 and
 * 3.5 s and a pair fails at 5.5 s: four chances. (Only this property reaches the checks; their first
 * timeout is libnice's own.) */
#define BRIDGE_ICE_MAX_RETRANSMISSIONS 4

static void
configure_nice_agent (BridgeSession *session, gboolean ice_tcp)
{
  GstWebRTCICE *ice = NULL;
  GObject *agent = NULL;

  g_object_get (session->webrtc, "ice-agent", &ice, NULL);
  /* Before any gathering: without local TCP candidates libnice forms no pair with the mcu's passive
   * TCP ones either (see bridge_reconnect_get_ice_tcp for why UDP goes alone first). */
  if (ice != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "ice-tcp"))
    g_object_set (ice, "ice-tcp", ice_tcp, NULL);
  if (ice != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, NULL);
  if (agent != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp"))
    g_object_set (agent, "upnp", FALSE, NULL);
  if (agent != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "stun-max-retransmissions"))
    g_object_set (agent, "stun-max-retransmissions", BRIDGE_ICE_MAX_RETRANSMISSIONS, NULL);
  g_clear_object (&agent);
  g_clear_object (&ice);
}

gboolean
bridge_media_session_start (BridgeMedia *media, gboolean ice_tcp, GError **error)
{
  bridge_media_session_stop (media);
  BridgeSession *session = g_new0 (BridgeSession, 1);
  g_atomic_ref_count_init (&session->rc);
  g_mutex_init (&session->lock);
  session->recv = g_ptr_array_new_with_free_func (gst_object_unref);
  session->mixer_pads = g_ptr_array_new ();
  session->media = media;
  session->generation = ++media->next_generation;
  g_autofree char *name = g_strdup_printf ("webrtc%u", session->generation);
  session->webrtc = gst_element_factory_make ("webrtcbin", name);
  media->session = session;
  if (session->webrtc == NULL) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "the webrtcbin element is missing (gstreamer1.0-plugins-bad)");
    return FALSE;
  }
  g_object_set (session->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                BRIDGE_RECEIVE_LATENCY_MIN_MS, NULL);
  configure_nice_agent (session, ice_tcp);
  connect_session_signal (session, "on-negotiation-needed", G_CALLBACK (on_negotiation_needed));
  connect_session_signal (session, "notify::ice-gathering-state", G_CALLBACK (on_gathering_state));
  connect_session_signal (session, "notify::ice-connection-state", G_CALLBACK (on_connection_state));
  connect_session_signal (session, "notify::connection-state", G_CALLBACK (on_connection_state));
  connect_session_signal (session, "pad-added", G_CALLBACK (on_pad_added));
  connect_session_signal (session, "request-aux-sender", G_CALLBACK (on_request_aux_sender));
  media->rtx_budget = (BridgeRtxBudget) { 0 };
  g_atomic_int_set (&media->rtx_pt, -1);
  gst_bin_add (GST_BIN (media->pipeline), gst_object_ref (session->webrtc));
  /* Pads are requested before webrtcbin runs (its transceivers then exist when it starts); no data
   * reaches it before the answer (drop_until_answer), so its stopped pads cannot hand FLUSHING back. */
  if (!link_tee (session, media->atee, AUDIO_CAPS, 0, error) || !link_tee (session, media->vtee, VIDEO_CAPS, 1, error))
    return FALSE;
  if (!gst_element_sync_state_with_parent (session->webrtc)) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "cannot start webrtcbin");
    return FALSE;
  }
  return TRUE;
}

/* Runs when the tee's pad carries no buffer (at once if idle, else in the tee's streaming thread right
 * after the push in progress): unlinking there can never cut a push in half and hand FLUSHING back
 * into the capture, which would stop it for good. */
static GstPadProbeReturn
unlink_when_idle (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstElement *tee = user_data;
  GstPad *peer = gst_pad_get_peer (pad);

  if (peer != NULL) {
    gst_pad_unlink (pad, peer);
    gst_object_unref (peer);
  }
  gst_element_release_request_pad (tee, pad);
  return GST_PAD_PROBE_REMOVE;
}

static void
unlink_tee (GstElement *tee, GstPad **pad)
{
  if (*pad == NULL)
    return;
  gst_pad_add_probe (*pad, GST_PAD_PROBE_TYPE_IDLE, unlink_when_idle, gst_object_ref (tee), gst_object_unref);
  gst_clear_object (pad);
}

void
bridge_media_session_stop (BridgeMedia *media)
{
  BridgeSession *session = media->session;

  if (session == NULL)
    return;
  media->session = NULL;
  g_mutex_lock (&session->lock);
  session->stopped = TRUE;
  g_mutex_unlock (&session->lock);
  unlink_tee (media->vtee, &session->tee_pads[1]);
  unlink_tee (media->atee, &session->tee_pads[0]);
  /* webrtcbin first: a queue thread may sit in webrtcbin's blocked sink pad (not negotiated yet);
   * webrtcbin going to NULL flushes it out, after which the queues can stop. */
  if (session->webrtc != NULL)
    gst_element_set_state (session->webrtc, GST_STATE_NULL);
  for (guint i = 0; i < G_N_ELEMENTS (session->queues); i++)
    if (session->queues[i] != NULL)
      gst_element_set_state (session->queues[i], GST_STATE_NULL);
  for (guint i = 0; i < session->recv->len; i++)
    gst_element_set_state (g_ptr_array_index (session->recv, i), GST_STATE_NULL);
  for (guint i = 0; i < session->mixer_pads->len; i++) {
    GstPad *pad = g_ptr_array_index (session->mixer_pads, i);
    gst_element_release_request_pad (media->amix, pad);
    gst_object_unref (pad);
  }
  g_ptr_array_set_size (session->mixer_pads, 0);
  for (guint i = 0; i < session->recv->len; i++)
    gst_bin_remove (GST_BIN (media->pipeline), g_ptr_array_index (session->recv, i));
  g_ptr_array_set_size (session->recv, 0);
  for (guint i = 0; i < G_N_ELEMENTS (session->queues); i++) {
    if (session->queues[i] != NULL)
      gst_bin_remove (GST_BIN (media->pipeline), session->queues[i]);
    gst_clear_object (&session->queues[i]);
  }
  if (session->webrtc != NULL) {
    gst_bin_remove (GST_BIN (media->pipeline), session->webrtc);
    gst_clear_object (&session->webrtc);
  }
  g_atomic_int_set ((gint *) &media->remb_kbps, 0);
  media->last_bytes_sent = (guint) g_atomic_int_get ((gint *) &media->bytes_sent);
  media->have_last_rb = FALSE;
  media->last_loss = -1;
  media->last_stats_time = 0;
  session->media = NULL;
  session_unref (session);
}

gboolean
bridge_media_has_session (BridgeMedia *media)
{
  return media->session != NULL;
}

static void
on_answer_set (GstPromise *promise, gpointer user_data)
{
  const GstStructure *reply = gst_promise_get_reply (promise);
  GError *error = NULL;

  if (reply != NULL && gst_structure_has_field (reply, "error"))
    gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
  if (error != NULL) {
    post_failed (user_data, g_strdup_printf ("the answer was refused: %s", error->message));
    g_error_free (error);
  }
  gst_promise_unref (promise);
}

gboolean
bridge_media_set_answer (BridgeMedia *media, const char *sdp, GError **error)
{
  GstSDPMessage *message = NULL;
  BridgeSession *session = media->session;

  if (session == NULL) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "no session");
    return FALSE;
  }
  if (gst_sdp_message_new_from_text (sdp, &message) != GST_SDP_OK || gst_sdp_message_medias_len (message) == 0) {
    if (message != NULL)
      gst_sdp_message_free (message);
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "the answer is not a usable SDP");
    return FALSE;
  }
  GstWebRTCSessionDescription *answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, message);
  GstPromise *promise = gst_promise_new_with_change_func (on_answer_set, session_ref (session), session_unref);
  g_signal_emit_by_name (session->webrtc, "set-remote-description", answer, promise);
  gst_webrtc_session_description_free (answer);
  watch_remb (session);
  g_atomic_int_set (&media->rtx_pt, local_rtx_pt (session));
  release_holds (session);
  bridge_media_force_keyframe (media); /* the mcu can decode our video from the first packets */
  return TRUE;
}

void
bridge_media_set_receive_latency (BridgeMedia *media, guint ms)
{
  if (media->session != NULL && media->session->webrtc != NULL)
    g_object_set (media->session->webrtc, "latency", ms, NULL);   /* rtpbin passes it to each jitter buffer */
}

void
bridge_session_handle_bus_error (BridgeMedia *media, GstMessage *message)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;
  BridgeSession *session = media->session;
  gboolean in_session = FALSE;

  gst_message_parse_error (message, &error, &debug);
  g_debug ("error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message, debug);
  if (session != NULL) {
    in_session = session->webrtc && gst_object_has_as_ancestor (GST_MESSAGE_SRC (message), GST_OBJECT (session->webrtc));
    g_mutex_lock (&session->lock);
    for (guint i = 0; !in_session && i < session->recv->len; i++)
      in_session = gst_object_has_as_ancestor (GST_MESSAGE_SRC (message), g_ptr_array_index (session->recv, i));
    g_mutex_unlock (&session->lock);
  }
  g_autofree char *why = g_strdup_printf ("%s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message);
  if (in_session)
    media->hooks->session_failed (why, media->user_data);
  else if (gst_object_has_as_ancestor (GST_MESSAGE_SRC (message), GST_OBJECT (media->pipeline))
           && !g_str_has_prefix (GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), "webrtc"))
    media->hooks->fatal (why, media->user_data); /* capture or playback broke */
  /* else: from a session already dropped */
}

/* ---- ICE restart (through the webrtcbin's libnice agent) ---- */

static NiceAgent *
nice_agent_of (BridgeSession *session, guint *stream_id, GError **error)
{
  GstWebRTCICE *ice = NULL;
  NiceAgent *agent = NULL;

  g_object_get (session->webrtc, "ice-agent", &ice, NULL);
  if (ice != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, NULL);
  g_clear_object (&ice);
  if (agent == NULL) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "this webrtcbin has no libnice agent");
    return NULL;
  }
  *stream_id = 1; /* max-bundle: the single ICE stream libnice numbers 1 */
  return agent;
}

const char *
bridge_media_get_ice_transport (BridgeMedia *media)
{
  guint stream = 0;
  NiceCandidate *local = NULL, *remote = NULL;
  const char *transport = NULL;

  if (media->session == NULL || media->session->webrtc == NULL)
    return NULL;
  g_autoptr (GObject) agent = (GObject *) nice_agent_of (media->session, &stream, NULL);
  if (agent != NULL && nice_agent_get_selected_pair ((NiceAgent *) agent, stream, NICE_COMPONENT_TYPE_RTP, &local,
                                                     &remote))
    transport = local->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp";
  return transport;
}

/* The BUNDLE tag (first m= section's mid, "audio0" for webrtcbin): the fragment's m= section names it. */
static char *
bundle_mid (BridgeSession *session)
{
  GstWebRTCSessionDescription *local = NULL;
  char *mid = NULL;

  g_object_get (session->webrtc, "local-description", &local, NULL);
  if (local != NULL && gst_sdp_message_medias_len (local->sdp) > 0)
    mid = g_strdup (gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (local->sdp, 0), "mid"));
  if (local != NULL)
    gst_webrtc_session_description_free (local);
  return mid ? mid : g_strdup ("0");
}

gboolean
bridge_media_restart_ice (BridgeMedia *media, BridgeIceFragment *local, GError **error)
{
  guint stream = 0;
  gchar *ufrag = NULL, *pwd = NULL;

  if (media->session == NULL) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "no session to restart");
    return FALSE;
  }
  g_autoptr (GObject) agent_obj = (GObject *) nice_agent_of (media->session, &stream, error);
  NiceAgent *agent = (NiceAgent *) agent_obj;
  if (agent == NULL)
    return FALSE;
  if (!nice_agent_restart_stream (agent, stream) || !nice_agent_get_local_credentials (agent, stream, &ufrag, &pwd)) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "libnice refused to restart the stream");
    return FALSE;
  }
  memset (local, 0, sizeof *local);
  local->ufrag = ufrag;
  local->pwd = pwd;
  local->mid = bundle_mid (media->session);
  local->candidates = g_ptr_array_new_with_free_func (g_free);
  GSList *candidates = nice_agent_get_local_candidates (agent, stream, NICE_COMPONENT_TYPE_RTP);
  for (GSList *l = candidates; l != NULL; l = l->next) {
    g_autofree char *sdp = nice_agent_generate_local_candidate_sdp (agent, l->data);
    g_ptr_array_add (local->candidates, g_strdup (g_str_has_prefix (sdp, "a=") ? sdp + 2 : sdp));
  }
  g_slist_free_full (candidates, (GDestroyNotify) nice_candidate_free);
  return TRUE;
}

gboolean
bridge_media_apply_remote_fragment (BridgeMedia *media, const BridgeIceFragment *remote, GError **error)
{
  guint stream = 0;
  GSList *candidates = NULL;

  if (media->session == NULL || remote->ufrag == NULL || remote->pwd == NULL) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "the server's ICE fragment has no ufrag/pwd");
    return FALSE;
  }
  g_autoptr (GObject) agent_obj = (GObject *) nice_agent_of (media->session, &stream, error);
  NiceAgent *agent = (NiceAgent *) agent_obj;
  if (agent == NULL)
    return FALSE;
  if (!nice_agent_set_remote_credentials (agent, stream, remote->ufrag, remote->pwd)) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "libnice refused the server's credentials");
    return FALSE;
  }
  for (guint i = 0; remote->candidates && i < remote->candidates->len; i++) {
    g_autofree char *line = g_strdup_printf ("a=%s", (const char *) g_ptr_array_index (remote->candidates, i));
    NiceCandidate *candidate = nice_agent_parse_remote_candidate_sdp (agent, stream, line);
    if (candidate != NULL && candidate->component_id == NICE_COMPONENT_TYPE_RTP)
      candidates = g_slist_append (candidates, candidate);
    else if (candidate != NULL)
      nice_candidate_free (candidate);
  }
  if (candidates != NULL)
    nice_agent_set_remote_candidates (agent, stream, NICE_COMPONENT_TYPE_RTP, candidates);
  g_slist_free_full (candidates, (GDestroyNotify) nice_candidate_free);
  return TRUE;
}

/* ---- stats ---- */

typedef struct {
  BridgeLinkStats stats;
  gboolean have_rb;
  guint64 rb_ext_seq;   /* the mcu's receiver reports: highest sequence number seen, summed */
  gint64 rb_lost;       /* and cumulative loss (the link's: RTX-repaired packets count as lost) */
} StatsSum;

/* The last report block the mcu sent about one of our streams, kept by rtpsession in the source's
 * own statistics: exact counts, unlike fraction-lost. (rtpsession keeps one block per sender, so in
 * practice this is the video stream's, the one that matters for adaptation.) */
static void
sum_report_block (StatsSum *sum, const GstStructure *remote_inbound)
{
  const GstStructure *source = NULL;
  gboolean have_rb = FALSE;
  guint ext_seq = 0;
  gint lost = 0;

  if (!gst_structure_get (remote_inbound, "gst-rtpsource-stats", GST_TYPE_STRUCTURE, &source, NULL))
    return;
  if (gst_structure_get_boolean (source, "have-rb", &have_rb) && have_rb
      && gst_structure_get_uint (source, "rb-exthighestseq", &ext_seq)
      && gst_structure_get_int (source, "rb-packetslost", &lost)) {
    sum->have_rb = TRUE;
    sum->rb_ext_seq += ext_seq;
    sum->rb_lost += lost;
  }
  gst_structure_free ((GstStructure *) source);
}

static gboolean
sum_stat (GQuark field, const GValue *value, gpointer user_data)
{
  StatsSum *sum = user_data;
  GstWebRTCStatsType type = 0;
  double d = 0;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  const GstStructure *s = gst_value_get_structure (value);
  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL))
    return TRUE;
  if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
    if (gst_structure_get_double (s, "fraction-lost", &d))
      sum->stats.loss = MAX (sum->stats.loss, d);
    if (gst_structure_get_double (s, "round-trip-time", &d) && d > 0)
      sum->stats.rtt_ms = MAX (sum->stats.rtt_ms, d * 1000.0);
    sum_report_block (sum, s);
  }
  return TRUE;
}

static void
on_stats (GstPromise *promise, gpointer user_data)
{
  Post *post = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  StatsSum sum = { .stats = { .loss = -1, .rtt_ms = -1, .send_kbps = -1 } };

  if (reply != NULL)
    gst_structure_foreach (reply, sum_stat, &sum);
  post->stats = sum.stats;
  post->have_rb = sum.have_rb;
  post->rb_ext_seq = sum.rb_ext_seq;
  post->rb_lost = sum.rb_lost;
  gst_promise_unref (promise);
  post_send (post);
}

/* Loss over the packets the mcu's new reports cover: lost / expected between two polls. A poll that
 * finds no new report keeps the last figure (reports and polls both come about once a second, so
 * some polls see none: reading those as "0 % lost" made a 10 % link look clean one second in six). */
static double
report_loss (BridgeMedia *media, const Post *post)
{
  double loss = post->stats.loss;  /* fraction-lost: only when there is no report block */

  if (post->have_rb && media->have_last_rb) {
    if (post->rb_ext_seq > media->last_rb_ext_seq) {
      double lost = (double) MAX (post->rb_lost - media->last_rb_lost, (gint64) 0);
      double expected = (double) (post->rb_ext_seq - media->last_rb_ext_seq);
      media->last_loss = MIN (lost / expected, 1.0);
    }
    if (media->last_loss >= 0)
      loss = media->last_loss;
  }
  media->have_last_rb = post->have_rb;
  media->last_rb_ext_seq = post->rb_ext_seq;
  media->last_rb_lost = post->rb_lost;
  return loss;
}

/* The send rate from our own byte counters (what enters webrtcbin, and the resends the budget lets
 * through), read here on the main loop: webrtcbin's outbound stats once lost the video stream's entry,
 * and their replies reach the main loop late and bunched on a loaded machine. */
static void
deliver_stats (BridgeMedia *media, Post *post)
{
  gint64 now = g_get_monotonic_time ();
  guint bytes = (guint) g_atomic_int_get ((gint *) &media->bytes_sent);

  if (media->last_stats_time != 0 && now - media->last_stats_time > 100000)
    post->stats.send_kbps = (double) (guint) (bytes - media->last_bytes_sent) * 8.0 * 1000.0
                            / (double) (now - media->last_stats_time);
  post->stats.loss = report_loss (media, post);
  if (post->stats.rtt_ms >= 0)
    g_atomic_int_set (&media->rtt_ms, (gint) post->stats.rtt_ms);
  media->last_bytes_sent = bytes;
  media->last_stats_time = now;
  post->stats.remb_kbps = (guint) g_atomic_int_get ((gint *) &media->remb_kbps);
  post->callback (&post->stats, post->user_data);
}

void
bridge_media_request_stats (BridgeMedia *media, BridgeStatsCallback callback, gpointer user_data)
{
  if (media->session == NULL || media->session->webrtc == NULL)
    return;
  Post *post = post_new (media->session, POST_STATS, NULL);
  post->callback = callback;
  post->user_data = user_data;
  GstPromise *promise = gst_promise_new_with_change_func (on_stats, post, NULL);
  g_signal_emit_by_name (media->session->webrtc, "get-stats", NULL, promise);
}
