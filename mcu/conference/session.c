/* SPDX-License-Identifier: MIT */
/*
 * A site's WebRTC session: glue between the peer (ICE/DTLS/SRTP), the RTP session (RTCP, NACK/RTX,
 * TWCC) and the room's media handlers.
 *
 * Threads: created on the control thread; everything that touches the peer or the RTP session runs on
 * the room's media thread (posted with g_main_context_invoke_full). Results and the "ended" report go
 * back to the control thread through GTask / the control context. The per-packet path (on_rtp →
 * receive_rtp → on_media; send → send_rtp → peer) allocates nothing and logs nothing.
 */
#define G_LOG_DOMAIN "mcu-session"

#include "session.h"

#include <errno.h>

#include "conference/room-error.h"
#include "conference/timer-source.h"
#include "sdp/sdp-fragment.h"
#include "transport/negotiated.h"

struct _McuSession {
  gatomicrefcount rc;
  char *id;
  char *site_id;
  char *site_name;
  gpointer media_site;     /* the room media's per-session state (media thread) */
  gboolean attached;
  GMainContext *media_context;
  GMainContext *control_context;
  McuCertificate *certificate;
  McuPeerConfig peer_config;
  McuSessionMedia media;
  gpointer media_data;
  McuSessionEndedFunc ended;
  gpointer ended_data;
  guint gather_timeout_ms;

  /* Media thread only. */
  McuPeer *peer;
  McuRtpSession *rtp;
  McuSdpNegotiated *negotiated;
  char *bundle_mid;
  GSource *timer;
  GTask *pending;          /* start or ICE-restart waiting for gathering */
  GSource *gather_timeout;
  guint32 ssrc[3];         /* what we send: audio, video, video rtx */
  gboolean closed;
  gboolean ended_reported;
  gboolean was_connected;  /* media flowed once: a later FAILED may be a flap */
  gint64 last_rx_us;       /* when packets_in last grew (media timeout) */
  gint64 offer_us;         /* when the offer came (join time in the log) */

  /* Stats snapshot, written on the media thread, read from any thread. */
  GMutex stats_lock;
  McuSessionStats stats;
  gint mix_tier;           /* under stats_lock, see mcu_session_set_mix_state */
  gboolean mix_decoded;
  gint mix_tile;
  guint64 mix_frames_decoded;
};

McuSession *
mcu_session_new (const char *id, const char *site_id, const McuSessionSetup *setup)
{
  McuSession *session = g_new0 (McuSession, 1);

  g_atomic_ref_count_init (&session->rc);
  session->id = g_strdup (id);
  session->site_id = g_strdup (site_id);
  session->site_name = g_strdup (setup->site_name ? setup->site_name : site_id);
  session->media_context = g_main_context_ref (setup->media_context);
  session->control_context = g_main_context_ref_thread_default ();
  session->certificate = mcu_certificate_ref (setup->certificate);
  session->peer_config = *setup->peer_config;
  session->media = *setup->media;
  session->media_data = setup->media_data;
  session->ended = setup->ended;
  session->ended_data = setup->ended_data;
  session->gather_timeout_ms = setup->gather_timeout_ms ? setup->gather_timeout_ms : 1000;
  g_mutex_init (&session->stats_lock);
  session->mix_tier = -1;
  session->mix_tile = -1;
  session->stats.tier = -1;
  for (guint i = 0; i < G_N_ELEMENTS (session->ssrc); i++)
    session->ssrc[i] = g_random_int_range (1, G_MAXINT32);
  return session;
}

McuSession *
mcu_session_ref (McuSession *session)
{
  g_atomic_ref_count_inc (&session->rc);
  return session;
}

void
mcu_session_unref (McuSession *session)
{
  if (!g_atomic_ref_count_dec (&session->rc))
    return;
  /* Normally close_on_media has already freed the peer and RTP session on the media thread. */
  g_clear_pointer (&session->rtp, mcu_rtp_session_free);
  g_clear_pointer (&session->peer, mcu_peer_unref);
  g_clear_pointer (&session->negotiated, mcu_sdp_negotiated_free);
  g_free (session->bundle_mid);
  g_main_context_unref (session->media_context);
  g_main_context_unref (session->control_context);
  mcu_certificate_unref (session->certificate);
  g_mutex_clear (&session->stats_lock);
  g_free (session->id);
  g_free (session->site_id);
  g_free (session->site_name);
  g_free (session);
}

const char *
mcu_session_get_id (McuSession *session)
{
  return session->id;
}

const char *
mcu_session_get_site_id (McuSession *session)
{
  return session->site_id;
}

const char *
mcu_session_get_site_name (McuSession *session)
{
  return session->site_name;
}

void
mcu_session_set_media_data (McuSession *session, gpointer data)
{
  session->media_site = data;
}

gpointer
mcu_session_get_media_data (McuSession *session)
{
  return session->media_site;
}

const McuSdpNegotiated *
mcu_session_get_negotiated (McuSession *session)
{
  return session->negotiated;
}

static void
invoke_media (McuSession *session, GSourceFunc func)
{
  g_main_context_invoke_full (session->media_context, G_PRIORITY_DEFAULT, func, mcu_session_ref (session),
                              (GDestroyNotify) mcu_session_unref);
}

/* ---- ended: reported once, on the control thread ---------------------------------------------- */

typedef struct {
  McuSession *session;
  char *reason;
} Ended;

static gboolean
report_ended (gpointer data)
{
  Ended *ended = data;

  if (ended->session->ended != NULL)
    ended->session->ended (ended->session, ended->reason, ended->session->ended_data);
  return G_SOURCE_REMOVE;
}

static void
ended_free (gpointer data)
{
  Ended *ended = data;

  mcu_session_unref (ended->session);
  g_free (ended->reason);
  g_free (ended);
}

static void
end_session (McuSession *session, const char *reason)
{
  if (session->ended_reported || session->closed)
    return;
  session->ended_reported = TRUE;
  Ended *ended = g_new0 (Ended, 1);
  ended->session = mcu_session_ref (session);
  ended->reason = g_strdup (reason);
  g_main_context_invoke_full (session->control_context, G_PRIORITY_DEFAULT, report_ended, ended, ended_free);
}

/* ---- media thread: the packet path ------------------------------------------------------------ */

static void
send_rtp_cb (gpointer user_data, guint8 *packet, gsize len)
{
  McuSession *session = user_data;
  mcu_peer_send_rtp (session->peer, packet, len);
}

static void
send_rtcp_cb (gpointer user_data, guint8 *packet, gsize len)
{
  McuSession *session = user_data;
  mcu_peer_send_rtcp (session->peer, packet, len);
}

static void
on_media_cb (gpointer user_data, McuMediaKind kind, guint8 *packet, gsize len, const McuRtpInfo *info)
{
  McuSession *session = user_data;

  if (session->media.on_media != NULL)
    session->media.on_media (session, kind, packet, len, info, session->media_data);
}

static void
on_keyframe_request_cb (gpointer user_data, McuMediaKind kind)
{
  McuSession *session = user_data;

  if (session->media.on_keyframe_request != NULL)
    session->media.on_keyframe_request (session, kind, session->media_data);
}

static void
on_bitrate_request_cb (gpointer user_data, guint32 bps)
{
  McuSession *session = user_data;

  if (session->media.on_bitrate_request != NULL)
    session->media.on_bitrate_request (session, bps, session->media_data);
}

static void
on_peer_rtp (McuPeer *peer, guint8 *packet, gsize len, gpointer user_data)
{
  McuSession *session = user_data;

  if (session->rtp != NULL)
    mcu_rtp_session_receive_rtp (session->rtp, packet, len, mcu_peer_get_arrival_us (peer));
}

static void
on_peer_rtcp (McuPeer *peer, guint8 *packet, gsize len, gpointer user_data)
{
  McuSession *session = user_data;

  if (session->rtp != NULL)
    mcu_rtp_session_receive_rtcp (session->rtp, packet, len, mcu_peer_get_arrival_us (peer));
}

int
mcu_session_send (McuSession *session, McuMediaKind kind, const guint8 *packet, gsize len)
{
  if (session->rtp == NULL || session->closed)
    return -ENOTCONN;
  return mcu_rtp_session_send_rtp (session->rtp, kind, packet, len, g_get_monotonic_time ());
}

int
mcu_session_forward (McuSession *session, McuMediaKind kind, const guint8 *packet, gsize len)
{
  if (session->rtp == NULL || session->closed)
    return -ENOTCONN;
  return mcu_rtp_session_forward_rtp (session->rtp, kind, packet, len, g_get_monotonic_time ());
}

int
mcu_session_send_shared (McuSession *session, McuMediaKind kind, const guint8 *packet, gsize len,
                         McuRtpHistory *history, guint32 ts_offset)
{
  if (session->rtp == NULL || session->closed)
    return -ENOTCONN;
  return mcu_rtp_session_send_shared (session->rtp, kind, packet, len, history, ts_offset,
                                      g_get_monotonic_time ());
}

void
mcu_session_begin_batch (McuSession *session)
{
  if (session->peer != NULL && !session->closed)
    mcu_peer_begin_batch (session->peer);
}

void
mcu_session_flush_batch (McuSession *session)
{
  if (session->peer != NULL)
    mcu_peer_flush_batch (session->peer);
}

void
mcu_session_request_keyframe (McuSession *session, McuMediaKind kind)
{
  if (session->rtp != NULL && !session->closed)
    mcu_rtp_session_request_keyframe (session->rtp, kind, g_get_monotonic_time ());
}

void
mcu_session_set_remb (McuSession *session, guint32 bps)
{
  if (session->rtp != NULL && !session->closed)
    mcu_rtp_session_set_remb (session->rtp, bps, g_get_monotonic_time ());
}

/* ---- media thread: timers and stats ------------------------------------------------------------ */

static void
snapshot_stats (McuSession *session)
{
  McuSessionStats stats = { 0 };

  mcu_peer_get_stats (session->peer, &stats.peer);
  if (session->rtp != NULL)
    mcu_rtp_session_get_stats (session->rtp, &stats.rtp);
  stats.connected = stats.peer.state == MCU_PEER_STATE_CONNECTED;
  g_mutex_lock (&session->stats_lock);
  session->stats = stats;
  g_mutex_unlock (&session->stats_lock);
}

void
mcu_session_get_stats (McuSession *session, McuSessionStats *out)
{
  g_mutex_lock (&session->stats_lock);
  *out = session->stats;
  out->tier = session->mix_tier;
  out->video_decoded = session->mix_decoded;
  out->video_tile = session->mix_tile;
  out->video_frames_decoded = session->mix_frames_decoded;
  g_mutex_unlock (&session->stats_lock);
}

void
mcu_session_set_mix_state (McuSession *session, gint tier, gboolean video_decoded, gint video_tile,
                           guint64 video_frames_decoded)
{
  g_mutex_lock (&session->stats_lock);
  session->mix_tile = video_tile;
  session->mix_tier = tier;
  session->mix_decoded = video_decoded;
  session->mix_frames_decoded = video_frames_decoded;
  g_mutex_unlock (&session->stats_lock);
}

/* A site that sends nothing for this long is gone (laptop closed, link down for good): its session
 * ends and its seat is held for the grace period. A link that only flaps comes back well before. */
#define MEDIA_TIMEOUT_US (30 * G_USEC_PER_SEC)

static gboolean
on_timer (gpointer user_data)
{
  McuSession *session = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 next = mcu_rtp_session_poll (session->rtp, now);
  guint64 packets_in = session->stats.peer.packets_in;

  snapshot_stats (session);
  if (session->stats.peer.packets_in != packets_in || session->last_rx_us == 0)
    session->last_rx_us = now;
  else if (now - session->last_rx_us > MEDIA_TIMEOUT_US)
    end_session (session, "no packet from the site for 30 s");
  /* Never sleep longer than 100 ms: stats snapshots follow the timer. */
  g_source_set_ready_time (session->timer, MIN (next, now + 100 * G_TIME_SPAN_MILLISECOND));
  return G_SOURCE_CONTINUE;
}

static void
start_timer (McuSession *session)
{
  session->timer = mcu_timer_source_attach (session->media_context, g_get_monotonic_time (),
                                            G_PRIORITY_DEFAULT, on_timer, session);
}

/* ---- media thread: peer state ------------------------------------------------------------------ */

static void
on_peer_state (McuPeer *peer, McuPeerState state, const char *reason, gpointer user_data)
{
  McuSession *session = user_data;

  if (state == MCU_PEER_STATE_CONNECTED) {
    if (!session->was_connected)
      g_message ("session %s (site %s): media connected, %" G_GINT64_FORMAT " ms after the offer", session->id,
                 session->site_id, (g_get_monotonic_time () - session->offer_us) / 1000);
    else
      g_message ("session %s (site %s): media connected again", session->id, session->site_id);
    session->was_connected = TRUE;
  } else if (state == MCU_PEER_STATE_FAILED && session->was_connected) {
    /* After a link flap libnice can report FAILED (consent lost) and then recover the same pair: keep
     * the session; the media timeout ends it if the site never comes back. */
    g_message ("session %s (site %s): link failed (%s); keeping the session while the site may come back",
               session->id, session->site_id, reason ? reason : "ICE failed");
  } else if (state == MCU_PEER_STATE_FAILED || state == MCU_PEER_STATE_CLOSED) {
    end_session (session, reason ? reason : "transport closed");
  } else if (state == MCU_PEER_STATE_DISCONNECTED) {
    g_message ("session %s (site %s): link lost (%s); waiting for ICE to recover", session->id,
               session->site_id, reason ? reason : "ICE disconnected");
  }
}

/* ---- media thread: answering ------------------------------------------------------------------- */

static void finish_pending (McuSession *session);

/* GTask data of a start or a patch (GTask's source object must be a GObject; ours is not). */
typedef struct {
  McuSession *session;
  McuSdp *offer;              /* start */
  McuSdpFragment *fragment;   /* patch */
} TaskData;

static void
task_data_free (gpointer data)
{
  TaskData *task_data = data;

  mcu_session_unref (task_data->session);
  g_clear_pointer (&task_data->offer, mcu_sdp_unref);
  g_clear_pointer (&task_data->fragment, mcu_sdp_fragment_free);
  g_free (task_data);
}

static GTask *
new_task (McuSession *session, gpointer tag, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  TaskData *data = g_new0 (TaskData, 1);

  data->session = mcu_session_ref (session);
  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, data, task_data_free);
  return task;
}

static McuSession *
task_session (GTask *task)
{
  return ((TaskData *) g_task_get_task_data (task))->session;
}

static void
on_gathering_done (McuPeer *peer, gpointer user_data)
{
  finish_pending (user_data);
}

static gboolean
on_gather_timeout (gpointer user_data)
{
  McuSession *session = user_data;

  session->gather_timeout = NULL;
  finish_pending (session);
  return G_SOURCE_REMOVE;
}

static void
on_local_candidate (McuPeer *peer, const char *candidate, gpointer user_data)
{
  /* Candidates gathered after the answer are not trickled to WHIP clients (RFC 9725 has no server
   * trickle); host candidates, which are what sites reach us on, are ready well before the answer. */
}

static gboolean
setup_remote (McuSession *session, McuSdpNegotiated *negotiated, GError **error)
{
  McuRtpSessionConfig config;
  const guint32 ssrcs[MCU_N_SSRCS] = { session->ssrc[0], session->ssrc[1], session->ssrc[2], 0, 0 };
  McuRtpSessionCallbacks callbacks = {
    .send_rtp = send_rtp_cb,
    .send_rtcp = send_rtcp_cb,
    .on_media = on_media_cb,
    .on_keyframe_request = on_keyframe_request_cb,
    .on_bitrate_request = on_bitrate_request_cb,
  };

  if (!mcu_peer_set_remote_from_sdp (session->peer, negotiated, error))
    return FALSE;
  mcu_rtp_session_config_from_sdp (&config, negotiated, ssrcs);
  config.cname = "mcu";
  /* Retransmission history per outgoing stream: 256 packets cover 2.5 s of the 1.2 Mbit/s tier (a NACK
   * comes within an RTT or two), at half the memory of the default — it is per site. */
  config.history_packets = 256;
  session->rtp = mcu_rtp_session_new (&config, &callbacks, session);
  return TRUE;
}

static char *
build_answer (McuSession *session, McuSdp *offer, GError **error)
{
  const char *ufrag = NULL, *pwd = NULL;
  g_auto (GStrv) candidates = mcu_peer_get_local_candidates (session->peer);
  g_autofree char *fingerprint = g_strconcat ("sha-256 ", mcu_certificate_get_fingerprint (session->certificate),
                                              NULL);
  McuSdpNegotiated *negotiated = NULL;

  mcu_peer_get_local_credentials (session->peer, &ufrag, &pwd);
  McuSdpLocal local = {
    .ice_ufrag = ufrag,
    .ice_pwd = pwd,
    .fingerprint = fingerprint,
    .candidates = (const char *const *) candidates,
    .end_of_candidates = TRUE,
    .ice_lite = mcu_peer_is_lite (session->peer),
    .audio_ssrc = session->ssrc[0],
    .video_ssrc = session->ssrc[1],
    .video_rtx_ssrc = session->ssrc[2],
    .content_ssrc = 0,  /* the composite goes on the main video m-line; we never send content */
    .cname = "mcu",
    .stream_id = "mcu",
  };
  g_autoptr (McuSdp) answer = mcu_sdp_answer (offer, &local, &negotiated, error);
  if (answer == NULL)
    return NULL;
  session->negotiated = negotiated;
  session->bundle_mid = g_strdup (negotiated->bundle_mids[0] ? negotiated->bundle_mids[0] : "0");
  if (!setup_remote (session, negotiated, error))
    return NULL;
  start_timer (session);
  session->attached = TRUE;
  if (session->media.on_attach != NULL)
    session->media.on_attach (session, session->media_data);
  return mcu_sdp_to_string (answer);
}

static char *
build_restart_fragment (McuSession *session)
{
  const char *ufrag = NULL, *pwd = NULL;
  g_auto (GStrv) candidates = mcu_peer_get_local_candidates (session->peer);

  mcu_peer_get_local_credentials (session->peer, &ufrag, &pwd);
  return mcu_sdp_fragment_write (ufrag, pwd, session->bundle_mid, (const char *const *) candidates, TRUE);
}

/* The start or ICE restart waiting for gathering, if any, with its timeout stopped. (transfer full) */
static GTask *
take_pending (McuSession *session)
{
  if (session->gather_timeout != NULL) {
    g_source_destroy (session->gather_timeout);
    g_clear_pointer (&session->gather_timeout, g_source_unref);
  }
  return g_steal_pointer (&session->pending);
}

/* Gathering is done (or took too long): answer the waiting start or ICE restart. */
static void
finish_pending (McuSession *session)
{
  g_autoptr (GTask) task = take_pending (session);
  g_autoptr (GError) error = NULL;

  if (task == NULL)
    return;
  if (session->closed) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the session was closed");
  } else if (g_task_get_source_tag (task) == mcu_session_start) {
    TaskData *data = g_task_get_task_data (task);
    char *answer = build_answer (session, data->offer, &error);
    g_debug ("session %s: answer ready %" G_GINT64_FORMAT " ms after the offer", session->id,
             (g_get_monotonic_time () - session->offer_us) / 1000);
    if (answer == NULL)
      g_task_return_error (task, g_steal_pointer (&error));
    else
      g_task_return_pointer (task, answer, g_free);
  } else {
    g_task_return_pointer (task, build_restart_fragment (session), g_free);
  }
}

/* Fails the waiting start or restart (if still waiting) with @what: @error's message; @code is a
 * McuRoomError, or -1 for a bad request. */
static void
fail_pending (McuSession *session, int code, const char *what, const GError *error)
{
  g_autoptr (GTask) task = take_pending (session);

  if (task == NULL)
    return;
  if (code < 0)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", what, error->message);
  else
    g_task_return_new_error (task, MCU_ROOM_ERROR, code, "%s: %s", what, error->message);
}

static void
wait_for_gathering (McuSession *session, GTask *task)
{
  session->pending = g_object_ref (task);
  session->gather_timeout = g_timeout_source_new (session->gather_timeout_ms);
  g_source_set_callback (session->gather_timeout, on_gather_timeout, session, NULL);
  g_source_attach (session->gather_timeout, session->media_context);
}

static gboolean
start_on_media (gpointer user_data)
{
  GTask *task = user_data;
  McuSession *session = task_session (task);
  g_autoptr (GError) error = NULL;
  McuPeerCallbacks callbacks = {
    .on_rtp = on_peer_rtp,
    .on_rtcp = on_peer_rtcp,
    .on_state = on_peer_state,
    .on_local_candidate = on_local_candidate,
    .on_gathering_done = on_gathering_done,
  };

  if (session->closed) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "session closed");
    return G_SOURCE_REMOVE;
  }
  g_debug ("session %s: offer taken by the media thread after %" G_GINT64_FORMAT " ms", session->id,
           (g_get_monotonic_time () - session->offer_us) / 1000);
  session->peer = mcu_peer_new (session->media_context, MCU_PEER_ROLE_SERVER, session->certificate,
                                &session->peer_config, &callbacks, session, &error);
  if (session->peer == NULL) {
    g_task_return_new_error (task, MCU_ROOM_ERROR, MCU_ROOM_ERROR_MEDIA, "cannot set up ICE: %s",
                             error->message);
    return G_SOURCE_REMOVE;
  }
  /* Wait first: without STUN/TURN libnice reports "gathering done" from inside gather(). */
  wait_for_gathering (session, task);
  if (!mcu_peer_gather (session->peer, &error))
    fail_pending (session, MCU_ROOM_ERROR_MEDIA, "cannot set up ICE", error);
  return G_SOURCE_REMOVE;
}

void
mcu_session_start (McuSession *session, McuSdp *offer, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = new_task (session, mcu_session_start, callback, user_data);

  session->offer_us = g_get_monotonic_time ();
  ((TaskData *) g_task_get_task_data (task))->offer = mcu_sdp_ref (offer);
  g_main_context_invoke_full (session->media_context, G_PRIORITY_DEFAULT, start_on_media, task, g_object_unref);
}

char *
mcu_session_start_finish (McuSession *session, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- media thread: trickle and ICE restart ----------------------------------------------------- */

static gboolean
patch_on_media (gpointer user_data)
{
  GTask *task = user_data;
  McuSession *session = task_session (task);
  McuSdpFragment *fragment = ((TaskData *) g_task_get_task_data (task))->fragment;
  g_autoptr (GError) error = NULL;

  if (session->peer == NULL || session->negotiated == NULL || session->closed) {
    g_task_return_new_error (task, MCU_ROOM_ERROR, MCU_ROOM_ERROR_NO_SESSION, "the session is not set up");
    return G_SOURCE_REMOVE;
  }
  gboolean restart = fragment->ice_ufrag != NULL &&
                     g_strcmp0 (fragment->ice_ufrag, session->negotiated->remote_ice_ufrag) != 0;
  if (restart) {
    if (fragment->ice_pwd == NULL) {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "ICE restart refused: the fragment has a new ice-ufrag but no ice-pwd");
      return G_SOURCE_REMOVE;
    }
    wait_for_gathering (session, task);  /* before the restart: gathering may finish inside it */
    if (!mcu_peer_restart_ice (session->peer, fragment->ice_ufrag, fragment->ice_pwd, &error)) {
      fail_pending (session, -1, "ICE restart refused", error);
      return G_SOURCE_REMOVE;
    }
    g_free (session->negotiated->remote_ice_ufrag);
    g_free (session->negotiated->remote_ice_pwd);
    session->negotiated->remote_ice_ufrag = g_strdup (fragment->ice_ufrag);
    session->negotiated->remote_ice_pwd = g_strdup (fragment->ice_pwd);
  }
  for (guint i = 0; i < fragment->n_candidates; i++) {
    if (!mcu_peer_add_remote_candidate (session->peer, fragment->candidates[i].candidate, &error)) {
      /* Ones we cannot use (mDNS names, TCP while ICE-TCP is off or the server is ICE-lite) are
       * skipped, as in the offer: the site's other candidates still work. */
      if (g_error_matches (error, MCU_PEER_ERROR, MCU_PEER_ERROR_UNSUPPORTED)) {
        g_debug ("session %s: candidate skipped: %s", session->id, error->message);
        g_clear_error (&error);
        continue;
      }
      if (restart)
        fail_pending (session, -1, "bad candidate", error);
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad candidate: %s",
                                 error->message);
      return G_SOURCE_REMOVE;
    }
  }
  if (fragment->end_of_candidates)
    mcu_peer_end_of_candidates (session->peer);
  if (!restart)
    g_task_return_pointer (task, NULL, NULL);
  return G_SOURCE_REMOVE;
}

void
mcu_session_patch (McuSession *session, McuSdpFragment *fragment, GAsyncReadyCallback callback,
                   gpointer user_data)
{
  GTask *task = new_task (session, mcu_session_patch, callback, user_data);

  ((TaskData *) g_task_get_task_data (task))->fragment = fragment;
  g_main_context_invoke_full (session->media_context, G_PRIORITY_DEFAULT, patch_on_media, task, g_object_unref);
}

char *
mcu_session_patch_finish (McuSession *session, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- closing ------------------------------------------------------------------------------------ */

/* One line per session at its end: what an operator needs to judge a site's link afterwards. */
static void
log_summary (McuSession *session)
{
  const McuRtpStats *rtp = &session->stats.rtp;
  const McuRtpRecvStats *in = &rtp->recv[MCU_MEDIA_VIDEO];
  const McuRtpSendStats *out = &rtp->send[MCU_MEDIA_VIDEO];

  g_message ("session %s (site %s) closed: in %" G_GUINT64_FORMAT " pkts, out %" G_GUINT64_FORMAT
             " pkts; video in: lost %" G_GINT64_FORMAT ", NACKs sent %" G_GUINT64_FORMAT ", recovered %"
             G_GUINT64_FORMAT "; video out: NACKs received %" G_GUINT64_FORMAT ", retransmitted %"
             G_GUINT64_FORMAT ", misses %" G_GUINT64_FORMAT "; decrypt failures %" G_GUINT64_FORMAT
             ", malformed %" G_GUINT64_FORMAT ", rtt %.0f ms",
             session->id, session->site_id, session->stats.peer.packets_in, session->stats.peer.packets_out,
             in->lost, in->nack_sent, in->recovered, out->nack_received, out->retransmitted, out->rtx_misses,
             session->stats.peer.decrypt_failures, session->stats.peer.malformed + rtp->malformed_rtp +
             rtp->malformed_rtcp, rtp->rtt_ms);
}

static gboolean
close_on_media (gpointer user_data)
{
  McuSession *session = user_data;

  session->closed = TRUE;
  finish_pending (session);
  if (session->timer != NULL) {
    g_source_destroy (session->timer);
    g_clear_pointer (&session->timer, g_source_unref);
  }
  if (session->attached && session->media.on_detach != NULL)
    session->media.on_detach (session, session->media_data);
  session->attached = FALSE;
  if (session->peer != NULL) {
    snapshot_stats (session);
    log_summary (session);
  }
  /* Peer and RTP session die here, on the thread their sources and callbacks belong to. */
  if (session->peer != NULL)
    mcu_peer_close (session->peer);
  g_clear_pointer (&session->rtp, mcu_rtp_session_free);
  g_clear_pointer (&session->peer, mcu_peer_unref);
  return G_SOURCE_REMOVE;
}

void
mcu_session_close (McuSession *session)
{
  invoke_media (session, close_on_media);
}
