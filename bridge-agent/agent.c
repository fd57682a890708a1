/* SPDX-License-Identifier: MIT */
/*
 * The running agent (see agent.h): it feeds the reconnect machine with events (WHIP results, webrtcbin
 * failures, the media watchdog) and the time, and carries out the actions it returns; once a second it
 * reads webrtcbin's stats and lets BridgeAdapt set the encoders.
 *
 * The media watchdog (every 250 ms): "flowing" = RTP packets arrived from the mcu AND were handed to
 * webrtcbin within media-timeout, in this session; "stalled" = nothing arrived for media-timeout.
 * ICE "connected" alone is not trusted: a half-open path or a dead mcu shows as connected for a while.
 *
 * Threads: the default main context only.
 */
#define G_LOG_DOMAIN "bridge-agent"

#include "agent.h"

#include <glib-unix.h>
#include <gst/gst.h>
#include <stdio.h>
#include <unistd.h>

#include "adapt.h"
#include "identity.h"
#include "media.h"
#include "reconnect.h"
#include "status.h"
#include "whip.h"

#define WATCHDOG_MS 250

struct _BridgeAgent {
  const BridgeConfig *config;
  char *site_id;
  char *server;
  char *room;
  GMainLoop *loop;
  BridgeReconnect *machine;
  BridgeAdapt *adapt;
  BridgeMedia *media;
  BridgeWhip *whip;
  BridgeStatusServer *status;
  char *status_url;
  GCancellable *cancel;       /* the current session's requests */
  guint wake_source, watchdog_source, stats_source, signal_sources[2];
  gint64 media_timeout_us;
  /* watchdog */
  BridgeMediaCounters seen;
  gint64 last_in, last_out;
  gint64 last_video_out; /* µs: our video last seen leaving (or when it was last not expected to) */
  guint64 captured_then; /* video packets the capture had made at last_video_out */
  gint64 join_started;   /* µs of the last increase in this session; 0 = none yet */
  BridgeLinkStats stats;
  gboolean muted, hand_raised;
  guint receive_latency_ms;  /* the receive jitter buffers' wait, follows the RTT (see on_stats) */
  gint64 adapt_after;    /* µs: receiver reports before this still count an outage as loss */
  int exit_code;
};

static void apply_step (BridgeAgent *agent, BridgeStep step);

static void
feed (BridgeAgent *agent, BridgeEvent event, const char *detail)
{
  apply_step (agent, bridge_reconnect_handle (agent->machine, event, detail, g_get_monotonic_time ()));
}

/* ---- joining ---- */

static void
on_joined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BridgeAgent *agent = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = bridge_whip_join_finish (agent->whip, result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the session was dropped; agent may be gone */
  if (answer == NULL) {
    feed (agent, BRIDGE_EVENT_JOIN_FAILED, error->message);
    return;
  }
  if (!bridge_media_set_answer (agent->media, answer, &error)) {
    feed (agent, BRIDGE_EVENT_JOIN_FAILED, error->message);
    return;
  }
  g_message ("joined %s as %s (session %s)", agent->room, agent->site_id,
             bridge_whip_get_session_url (agent->whip));
  feed (agent, BRIDGE_EVENT_JOINED, NULL);
}

static void
on_offer_ready (const char *sdp, gpointer user_data)
{
  BridgeAgent *agent = user_data;

  g_debug ("offer ready %" G_GINT64_FORMAT " ms after the session started",
           (g_get_monotonic_time () - agent->join_started) / 1000);
  g_debug ("offer sent:\n%s", sdp);
  bridge_whip_join_async (agent->whip, sdp, agent->cancel, on_joined, agent);
}

static void
on_session_failed (const char *why, gpointer user_data)
{
  feed (user_data, BRIDGE_EVENT_ICE_FAILED, why);
}

static void
on_fatal (const char *why, gpointer user_data)
{
  BridgeAgent *agent = user_data;

  g_critical ("capture or playback failed: %s — stopping (the service manager restarts the agent)", why);
  agent->exit_code = 1;
  g_main_loop_quit (agent->loop);
}

static const BridgeMediaHooks media_hooks = { on_offer_ready, on_session_failed, on_fatal };

/* ---- ICE restart ---- */

static void
on_patched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BridgeAgent *agent = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = bridge_whip_patch_finish (agent->whip, result, &error);
  BridgeIceFragment remote = { 0 };

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (text == NULL || !bridge_ice_fragment_parse (text, &remote, &error)
      || !bridge_media_apply_remote_fragment (agent->media, &remote, &error)) {
    feed (agent, BRIDGE_EVENT_RESTART_FAILED, error->message);
  } else {
    feed (agent, BRIDGE_EVENT_RESTART_ANSWERED, NULL);
  }
  bridge_ice_fragment_clear (&remote);
}

static void
restart_ice (BridgeAgent *agent)
{
  BridgeIceFragment local = { 0 };
  g_autoptr (GError) error = NULL;

  if (!bridge_media_restart_ice (agent->media, &local, &error)) {
    feed (agent, BRIDGE_EVENT_RESTART_FAILED, error->message);
    return;
  }
  g_autofree char *frag = bridge_ice_fragment_build (&local);
  bridge_ice_fragment_clear (&local);
  agent->last_in = agent->last_out = 0;
  bridge_whip_patch_async (agent->whip, frag, agent->cancel, on_patched, agent);
}

/* ---- actions ---- */

static void
teardown (BridgeAgent *agent)
{
  gint64 started = g_get_monotonic_time ();
  g_cancellable_cancel (agent->cancel);
  g_clear_object (&agent->cancel);
  agent->cancel = g_cancellable_new ();
  bridge_whip_leave (agent->whip);
  bridge_media_session_stop (agent->media);
  agent->receive_latency_ms = BRIDGE_RECEIVE_LATENCY_MIN_MS;   /* what a new session starts with */
  bridge_adapt_reset (agent->adapt);
  BridgeAdaptOutput start = bridge_adapt_get (agent->adapt);
  bridge_media_apply (agent->media, &start);
  agent->stats = (BridgeLinkStats) { .loss = -1, .rtt_ms = -1, .send_kbps = -1 };
  g_debug ("teardown took %" G_GINT64_FORMAT " ms", (g_get_monotonic_time () - started) / 1000);
}

static void
join (BridgeAgent *agent)
{
  g_autoptr (GError) error = NULL;

  bridge_media_get_counters (agent->media, &agent->seen);
  agent->last_in = agent->last_out = 0;
  agent->join_started = g_get_monotonic_time ();
  if (!bridge_media_session_start (agent->media, bridge_reconnect_get_ice_tcp (agent->machine), &error))
    feed (agent, BRIDGE_EVENT_JOIN_FAILED, error->message);
  g_debug ("session start took %" G_GINT64_FORMAT " ms", (g_get_monotonic_time () - agent->join_started) / 1000);
}

static gboolean
on_wake (gpointer user_data)
{
  BridgeAgent *agent = user_data;

  agent->wake_source = 0;
  apply_step (agent, bridge_reconnect_tick (agent->machine, g_get_monotonic_time ()));
  return G_SOURCE_REMOVE;
}

static void
schedule_wake (BridgeAgent *agent, gint64 wake_at)
{
  if (agent->wake_source != 0)
    g_source_remove (agent->wake_source);
  agent->wake_source = 0;
  if (wake_at == G_MAXINT64)
    return;
  gint64 delay_ms = MAX ((wake_at - g_get_monotonic_time () + 999) / 1000, 0);
  agent->wake_source = g_timeout_add ((guint) MIN (delay_ms, G_MAXINT), on_wake, agent);
}

/* Media flows: which transport ICE selected (the next joins try it first), logged once per session. */
static void
note_transport (BridgeAgent *agent)
{
  const char *transport = bridge_media_get_ice_transport (agent->media);

  if (transport == NULL)
    return;
  bridge_reconnect_note_transport (agent->machine, g_str_equal (transport, "tcp"));
  g_message ("media over ICE %s (this join %s ICE-TCP candidates)", g_str_equal (transport, "tcp") ? "TCP" : "UDP",
             bridge_reconnect_get_ice_tcp (agent->machine) ? "gathered" : "did not gather");
}

static void
apply_step (BridgeAgent *agent, BridgeStep step)
{
  if (step.state_changed)
    g_message ("state %s → %s: %s", bridge_state_to_string (step.from), bridge_state_to_string (step.state),
               step.reason);
  if (step.state_changed && step.state == BRIDGE_STATE_CONNECTED) {
    /* Back after a cut: a link that was down is not a lossy link. Start the adaptation afresh and
     * ignore the first reports, which still count the outage's packets as lost. */
    bridge_adapt_reset (agent->adapt);
    BridgeAdaptOutput start = bridge_adapt_get (agent->adapt);
    bridge_media_apply (agent->media, &start);
    agent->adapt_after = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
    note_transport (agent);
  }
  else if (step.actions & BRIDGE_ACTION_JOIN || step.actions & BRIDGE_ACTION_TEARDOWN)
    g_message ("%s: %s", bridge_state_to_string (step.state), step.reason);
  if (step.actions & BRIDGE_ACTION_TEARDOWN)
    teardown (agent);
  schedule_wake (agent, step.wake_at);
  if (step.actions & BRIDGE_ACTION_JOIN)
    join (agent);
  else if (step.actions & BRIDGE_ACTION_RESTART_ICE)
    restart_ice (agent);
}

/* ---- watchdog and stats ---- */

/* Connected and not audio only, our video must be leaving: a send branch that stalled inside the
 * pipeline (seen once in a few joins on a loaded machine: audio flowed, video never did) is mended
 * by a fresh session, not by an ICE restart. */
static gboolean
video_send_stalled (BridgeAgent *agent, const BridgeMediaCounters *c, gint64 now)
{
  if (c->video_packets_out != agent->seen.video_packets_out
      || bridge_reconnect_get_state (agent->machine) != BRIDGE_STATE_CONNECTED
      || bridge_adapt_get (agent->adapt).audio_only || agent->last_video_out == 0) {
    agent->last_video_out = now;
    agent->captured_then = c->video_packets_captured;
    return FALSE;
  }
  /* Only when the capture goes on making video (a media file that ended is no stall). */
  if (now - agent->last_video_out < agent->media_timeout_us || c->video_packets_captured < agent->captured_then + 10)
    return FALSE;
  g_autofree char *why = g_strdup_printf ("no video left for the mcu for %.0f s (the send branch stalled)",
                                          (double) (now - agent->last_video_out) / G_USEC_PER_SEC);
  agent->last_video_out = 0;
  feed (agent, BRIDGE_EVENT_SEND_STALLED, why);
  return TRUE;
}

static gboolean
on_watchdog (gpointer user_data)
{
  BridgeAgent *agent = user_data;
  BridgeMediaCounters now_c;
  gint64 now = g_get_monotonic_time ();

  if (!bridge_media_has_session (agent->media))
    return G_SOURCE_CONTINUE;
  bridge_media_get_counters (agent->media, &now_c);
  if (now_c.packets_received != agent->seen.packets_received)
    agent->last_in = now;
  if (now_c.packets_sent != agent->seen.packets_sent)
    agent->last_out = now;
  if (video_send_stalled (agent, &now_c, now))
    return G_SOURCE_CONTINUE;  /* re-joining: join() took fresh counters */
  agent->seen = now_c;
  gboolean in_ok = agent->last_in != 0 && now - agent->last_in < agent->media_timeout_us;
  gboolean out_ok = agent->last_out != 0 && now - agent->last_out < agent->media_timeout_us;
  if (in_ok && out_ok) {
    feed (agent, BRIDGE_EVENT_MEDIA_FLOWING, NULL);
  } else if (agent->last_in != 0 && !in_ok) {
    g_autofree char *why = g_strdup_printf ("no media from the mcu for %.0f s",
                                            (double) (now - agent->last_in) / G_USEC_PER_SEC);
    feed (agent, BRIDGE_EVENT_MEDIA_STALLED, why);
  }
  return G_SOURCE_CONTINUE;
}

/* A lost packet comes back (NACK → RTX) about one RTT later: the receive jitter buffers must wait
 * that long or the repair arrives after its frame was given up. Raised at once, lowered only when well
 * above what is needed (each change shifts playback a little). */
static void
follow_rtt (BridgeAgent *agent, double rtt_ms)
{
  if (rtt_ms < 0)
    return;
  guint want = (guint) CLAMP (rtt_ms * 1.3 + 80, BRIDGE_RECEIVE_LATENCY_MIN_MS, BRIDGE_RECEIVE_LATENCY_MAX_MS);
  want = (want + 49) / 50 * 50;
  if (want <= agent->receive_latency_ms && want + 150 > agent->receive_latency_ms)
    return;
  g_message ("receive latency %u → %u ms (RTT %.0f ms: resent packets must still be in time)",
             agent->receive_latency_ms, want, rtt_ms);
  agent->receive_latency_ms = want;
  bridge_media_set_receive_latency (agent->media, want);
}

static void
on_stats (const BridgeLinkStats *stats, gpointer user_data)
{
  BridgeAgent *agent = user_data;
  BridgeAdaptOutput before = bridge_adapt_get (agent->adapt);

  agent->stats = *stats;
  if (bridge_reconnect_get_state (agent->machine) == BRIDGE_STATE_CONNECTED)
    follow_rtt (agent, stats->rtt_ms);
  if (bridge_reconnect_get_state (agent->machine) != BRIDGE_STATE_CONNECTED ||
      g_get_monotonic_time () < agent->adapt_after)
    return;
  BridgeAdaptInput in = { stats->loss, stats->rtt_ms, stats->send_kbps, stats->remb_kbps };
  BridgeAdaptOutput out = bridge_adapt_update (agent->adapt, &in, g_get_monotonic_time ());
  /* One line per change of what is sent (not per bitrate step: that changes every second). */
  if (out.audio_only != before.audio_only || out.step != before.step)
    g_message ("sending %s: video %u kbit/s %ux%u@%u (%s; loss %.1f %% of which the link's own %u %%, "
               "RTT %.0f ms, sent %.0f kbit/s, REMB %u kbit/s)",
               out.audio_only ? "AUDIO ONLY" : "audio+video", out.video_kbps, out.width, out.height, out.framerate,
               out.why, MAX (stats->loss, 0) * 100, out.random_loss_percent, stats->rtt_ms, stats->send_kbps,
               stats->remb_kbps);
  bridge_media_apply (agent->media, &out);
}

static gboolean
on_stats_tick (gpointer user_data)
{
  BridgeAgent *agent = user_data;

  bridge_media_request_stats (agent->media, on_stats, agent);
  return G_SOURCE_CONTINUE;
}

/* ---- status ---- */

static void
status_get (BridgeStatusInfo *info, gpointer user_data)
{
  BridgeAgent *agent = user_data;
  BridgeMediaCounters c;
  BridgeAdaptOutput out = bridge_adapt_get (agent->adapt);
  gint64 age = g_get_monotonic_time () - bridge_reconnect_get_since (agent->machine);

  bridge_media_get_counters (agent->media, &c);
  info->state = bridge_reconnect_get_state (agent->machine);
  info->since_unix_us = g_get_real_time () - age;
  info->reconnects = bridge_reconnect_get_reconnects (agent->machine);
  info->rtt_ms = agent->stats.rtt_ms;
  info->loss = agent->stats.loss;
  info->send_kbps = agent->stats.send_kbps;
  info->audio_only = out.audio_only;
  info->last_error = bridge_reconnect_get_last_error (agent->machine);
  info->site_id = agent->site_id;
  info->room = agent->room;
  info->server = agent->server;
  info->muted = agent->muted;
  info->hand_raised = agent->hand_raised;
  info->packets_received = c.packets_received;
  info->packets_sent = c.packets_sent;
  info->frames_received = c.frames_received;
  info->audio_buffers_received = c.audio_buffers_received;
  info->rtx_dropped = c.rtx_dropped;
  info->video_kbps = out.video_kbps;
  info->width = out.width;  /* the ladder's step, as given to the encoder */
  info->height = out.height;
  info->framerate = out.framerate;
  info->remb_kbps = agent->stats.remb_kbps;
  info->adapt_reason = out.why;
  info->ice_transport = bridge_media_get_ice_transport (agent->media);
  info->recv = c.recv;
}

static void
status_set_muted (gboolean muted, gpointer user_data)
{
  BridgeAgent *agent = user_data;

  agent->muted = muted;
  bridge_media_set_muted (agent->media, muted);
  g_message ("microphone %s from the status page", muted ? "muted" : "unmuted");
}

static void
status_set_hand (gboolean raised, gpointer user_data)
{
  BridgeAgent *agent = user_data;

  agent->hand_raised = raised;
  gboolean sent = bridge_whip_set_hand (agent->whip, raised);
  g_message ("hand %s from the status page%s", raised ? "raised" : "lowered",
             sent ? "" : " (not in the meeting now: shown locally only)");
}

static const BridgeStatusHooks status_hooks = { status_get, status_set_muted, status_set_hand };

/* ---- life cycle ---- */

static gboolean
check_required (const BridgeConfig *config, GError **error)
{
  const char *server = bridge_config_get_string (config, "agent", "server");
  const char *room = bridge_config_get_string (config, "agent", "room");
  g_autoptr (GUri) uri = *server ? g_uri_parse (server, G_URI_FLAGS_NONE, NULL) : NULL;

  if (*server == '\0' || *room == '\0') {
    g_set_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_VALUE,
                 "no %s: set '%s' in [agent] of the config, or pass --%s", *server ? "room" : "server",
                 *server ? "room" : "server", *server ? "room ROOM" : "server URL");
    return FALSE;
  }
  if (uri == NULL || g_uri_get_host (uri) == NULL
      || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)) {
    g_set_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_VALUE,
                 "%s: key 'server' in [agent]: '%s' is not an http:// or https:// URL",
                 bridge_config_get_origin (config, "agent", "server"), server);
    return FALSE;
  }
  return TRUE;
}

static BridgeMediaConfig
media_config (const BridgeConfig *c)
{
  return (BridgeMediaConfig) {
    .source = bridge_config_get_string (c, "media", "source"),
    .video_device = bridge_config_get_string (c, "media", "video-device"),
    .audio_device = bridge_config_get_string (c, "media", "audio-device"),
    .width = (guint) bridge_config_get_int (c, "media", "width"),
    .height = (guint) bridge_config_get_int (c, "media", "height"),
    .framerate = (guint) bridge_config_get_int (c, "media", "framerate"),
    .video_kbps = (guint) bridge_config_get_int (c, "media", "video-max-kbps") / 2,
    .audio_kbps = (guint) bridge_config_get_int (c, "media", "audio-kbps"),
    .echo_cancel = bridge_config_get_bool (c, "media", "echo-cancel"),
    .noise_suppression = bridge_config_get_bool (c, "media", "noise-suppression"),
    .gain_control = bridge_config_get_bool (c, "media", "gain-control"),
    .headless = bridge_config_get_bool (c, "show", "headless"),
    .fullscreen = bridge_config_get_bool (c, "show", "fullscreen"),
    .audio_file = bridge_config_get_string (c, "show", "audio-file"),
  };
}

static void
make_pure_parts (BridgeAgent *agent, const BridgeConfig *c)
{
  BridgeReconnectConfig rc = {
    .connect_timeout_us = (guint64) bridge_config_get_int (c, "reconnect", "connect-timeout") * G_USEC_PER_SEC,
    .answer_timeout_us = (guint64) (bridge_config_get_int (c, "agent", "http-timeout")
                                    + bridge_config_get_int (c, "agent", "answer-timeout")) * G_USEC_PER_SEC,
    .ice_restart_timeout_us = (guint64) bridge_config_get_int (c, "reconnect", "ice-restart-timeout") * G_USEC_PER_SEC,
    .backoff_initial_us = (guint64) bridge_config_get_int (c, "reconnect", "backoff-initial-ms") * 1000,
    .backoff_max_us = (guint64) bridge_config_get_int (c, "reconnect", "backoff-max-ms") * 1000,
    .backoff_jitter = bridge_config_get_double (c, "reconnect", "backoff-jitter"),
    .seed = g_random_int (),
  };
  BridgeAdaptConfig ac = {
    .max_kbps = (guint) bridge_config_get_int (c, "media", "video-max-kbps"),
    .min_kbps = (guint) bridge_config_get_int (c, "media", "video-min-kbps"),
    .start_kbps = BRIDGE_ADAPT_START_KBPS,
    .width = (guint) bridge_config_get_int (c, "media", "width"),
    .height = (guint) bridge_config_get_int (c, "media", "height"),
    .framerate = (guint) bridge_config_get_int (c, "media", "framerate"),
  };
  agent->machine = bridge_reconnect_new (&rc);
  agent->adapt = bridge_adapt_new (&ac);
  agent->media_timeout_us = bridge_config_get_int (c, "reconnect", "media-timeout") * G_USEC_PER_SEC;
  agent->stats = (BridgeLinkStats) { .loss = -1, .rtt_ms = -1, .send_kbps = -1 };
  agent->receive_latency_ms = BRIDGE_RECEIVE_LATENCY_MIN_MS;
}

BridgeAgent *
bridge_agent_new (const BridgeConfig *c, GError **error)
{
  if (!check_required (c, error))
    return NULL;
  g_autoptr (BridgeAgent) agent = g_new0 (BridgeAgent, 1);
  agent->config = c;
  agent->server = g_strdup (bridge_config_get_string (c, "agent", "server"));
  agent->room = g_strdup (bridge_config_get_string (c, "agent", "room"));
  agent->loop = g_main_loop_new (NULL, FALSE);
  agent->cancel = g_cancellable_new ();
  make_pure_parts (agent, c);
  agent->site_id = bridge_site_identity_load (bridge_config_get_string (c, "agent", "state-dir"), error);
  if (agent->site_id == NULL)
    return NULL;
  const char *name = bridge_config_get_string (c, "agent", "name");
  agent->whip = bridge_whip_new (agent->server, agent->room, bridge_config_get_string (c, "agent", "token"),
                                 *name ? name : agent->site_id,
                                 (guint) bridge_config_get_int (c, "agent", "http-timeout"),
                                 (guint) bridge_config_get_int (c, "agent", "answer-timeout"));
  agent->status = bridge_status_server_new (bridge_config_get_string (c, "status", "listen"),
                                            bridge_config_get_string (c, "status", "language"), &status_hooks,
                                            agent, error);
  if (agent->status == NULL)
    return NULL;
  agent->status_url = bridge_status_server_get_url (agent->status);
  BridgeMediaConfig mc = media_config (c);
  agent->media = bridge_media_new (&mc, &media_hooks, agent, error);
  if (agent->media == NULL)
    return NULL;
  return g_steal_pointer (&agent);
}

void
bridge_agent_free (BridgeAgent *agent)
{
  for (guint i = 0; i < G_N_ELEMENTS (agent->signal_sources); i++)
    if (agent->signal_sources[i] != 0)
      g_source_remove (agent->signal_sources[i]);
  if (agent->wake_source != 0)
    g_source_remove (agent->wake_source);
  if (agent->watchdog_source != 0)
    g_source_remove (agent->watchdog_source);
  if (agent->stats_source != 0)
    g_source_remove (agent->stats_source);
  if (agent->cancel != NULL)
    g_cancellable_cancel (agent->cancel);
  g_clear_pointer (&agent->media, bridge_media_free);
  g_clear_pointer (&agent->status, bridge_status_server_free);
  g_clear_pointer (&agent->whip, bridge_whip_free);
  g_clear_pointer (&agent->machine, bridge_reconnect_free);
  g_clear_pointer (&agent->adapt, bridge_adapt_free);
  g_clear_object (&agent->cancel);
  g_clear_pointer (&agent->loop, g_main_loop_unref);
  g_free (agent->status_url);
  g_free (agent->site_id);
  g_free (agent->server);
  g_free (agent->room);
  g_free (agent);
}

const char *
bridge_agent_get_status_url (BridgeAgent *agent)
{
  return agent->status_url;
}

static gboolean
on_signal (gpointer user_data)
{
  BridgeAgent *agent = user_data;

  g_message ("stopping on signal");
  /* Leaving must not hang a service stop: if the pipeline does not wind down in 10 s, SIGALRM's
   * default action ends the process. */
  alarm (10);
  g_main_loop_quit (agent->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_leave_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Leaving: DELETE the session and give it up to 2 s to go out (the mcu frees the seat at once
 * instead of after its grace period). */
static void
leave (BridgeAgent *agent)
{
  gboolean timed_out = FALSE;

  apply_step (agent, bridge_reconnect_handle (agent->machine, BRIDGE_EVENT_STOP, "stopping",
                                              g_get_monotonic_time ()));
  bridge_media_shutdown (agent->media);
  guint timer = g_timeout_add (2000, on_leave_timeout, &timed_out);
  while (bridge_whip_get_pending (agent->whip) > 0 && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timer);
}

int
bridge_agent_run (BridgeAgent *agent)
{
  agent->signal_sources[0] = g_unix_signal_add (SIGINT, on_signal, agent);
  agent->signal_sources[1] = g_unix_signal_add (SIGTERM, on_signal, agent);
  agent->watchdog_source = g_timeout_add (WATCHDOG_MS, on_watchdog, agent);
  agent->stats_source = g_timeout_add_seconds (1, on_stats_tick, agent);
  g_message ("site %s joining room '%s' at %s; status on %s", agent->site_id, agent->room, agent->server,
             agent->status_url);
  feed (agent, BRIDGE_EVENT_START, NULL);
  g_main_loop_run (agent->loop);
  leave (agent);
  return agent->exit_code;
}
