/* SPDX-License-Identifier: MIT */
/* Unit tests for the agent's reconnect state machine and backoff: every decision driven by events and
 * a fake clock, no sleeps. */
#include "reconnect.h"

#define S G_USEC_PER_SEC

static const BridgeReconnectConfig cfg = {
  .connect_timeout_us = 10 * S,
  .ice_restart_timeout_us = 5 * S,
  .backoff_initial_us = S / 2,
  .backoff_max_us = 4 * S,
  .backoff_jitter = 0.5,
  .seed = 42,
};

static BridgeReconnect *
connected_machine (gint64 *now)
{
  BridgeReconnect *m = bridge_reconnect_new (&cfg);
  *now = 1000 * S;
  bridge_reconnect_handle (m, BRIDGE_EVENT_START, NULL, *now);
  bridge_reconnect_handle (m, BRIDGE_EVENT_JOINED, NULL, *now + S);
  BridgeStep st = bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_FLOWING, NULL, *now + 2 * S);
  g_assert_true (st.state_changed);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_CONNECTED);
  *now += 2 * S;
  return m;
}

static void
test_first_join (void)
{
  g_autoptr (BridgeReconnect) m = bridge_reconnect_new (&cfg);
  BridgeStep st = bridge_reconnect_handle (m, BRIDGE_EVENT_START, NULL, 100);

  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_JOIN);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_CONNECTING);
  g_assert_cmpint (st.wake_at, ==, 100 + 10 * S);
  /* ICE connected is not "connected": only media flowing both ways is. */
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_JOINED, NULL, 200);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_CONNECTING);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_FLOWING, NULL, 300);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_CONNECTED);
  g_assert_cmpint (st.from, ==, BRIDGE_STATE_CONNECTING);
  g_assert_cmpstr (st.reason, ==, "media flowing both ways");
  g_assert_cmpint (st.wake_at, ==, G_MAXINT64);
  g_assert_cmpuint (bridge_reconnect_get_reconnects (m), ==, 0);
  g_assert_cmpint (bridge_reconnect_get_since (m), ==, 300);
  /* A second START does nothing. */
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_START, NULL, 400);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
}

static void
test_ice_restart_recovers (void)
{
  gint64 now;
  g_autoptr (BridgeReconnect) m = connected_machine (&now);
  BridgeStep st = bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_STALLED, "no media for 3 s", now);

  g_assert_cmpint (st.state, ==, BRIDGE_STATE_RESTARTING_ICE);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_RESTART_ICE);
  g_assert_cmpint (st.wake_at, ==, now + 5 * S);
  g_assert_cmpstr (bridge_reconnect_get_last_error (m), ==, "no media for 3 s");
  /* More stall reports while restarting change nothing. */
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_STALLED, "again", now + S);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
  g_assert_false (st.state_changed);
  bridge_reconnect_handle (m, BRIDGE_EVENT_RESTART_ANSWERED, NULL, now + S);
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_FLOWING, NULL, now + 2 * S);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_CONNECTED);
  g_assert_nonnull (g_strstr_len (st.reason, -1, "ICE restart"));
  g_assert_cmpuint (bridge_reconnect_get_reconnects (m), ==, 1);
}

/* Our own sending stalled (the link is fine): a fresh session at once, no ICE restart; ignored in any
 * other state (a join in progress has its own timeout). */
static void
test_send_stalled_rejoins (void)
{
  gint64 now;
  g_autoptr (BridgeReconnect) m = connected_machine (&now);
  BridgeStep st = bridge_reconnect_handle (m, BRIDGE_EVENT_SEND_STALLED, "no video sent for 3 s", now);

  g_assert_cmpint (st.state, ==, BRIDGE_STATE_REJOINING);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_TEARDOWN | BRIDGE_ACTION_JOIN);
  g_assert_cmpstr (st.reason, ==, "no video sent for 3 s");
  g_assert_cmpstr (bridge_reconnect_get_last_error (m), ==, "no video sent for 3 s");
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_SEND_STALLED, "again", now + S);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
  g_assert_false (st.state_changed);
  bridge_reconnect_handle (m, BRIDGE_EVENT_JOINED, NULL, now + 2 * S);
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_FLOWING, NULL, now + 3 * S);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_CONNECTED);
  g_assert_cmpuint (bridge_reconnect_get_reconnects (m), ==, 1);
}

static void
test_restart_refused_rejoins_at_once (void)
{
  gint64 now;
  g_autoptr (BridgeReconnect) m = connected_machine (&now);

  bridge_reconnect_handle (m, BRIDGE_EVENT_ICE_FAILED, "ICE failed", now);
  BridgeStep st = bridge_reconnect_handle (m, BRIDGE_EVENT_RESTART_FAILED, "HTTP 405", now + S);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_REJOINING);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_TEARDOWN | BRIDGE_ACTION_JOIN);
  g_assert_cmpint (st.wake_at, ==, now + S + 10 * S);
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_FLOWING, NULL, now + 3 * S);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_CONNECTED);
  g_assert_cmpuint (bridge_reconnect_get_reconnects (m), ==, 1);
}

static void
test_restart_timeout_rejoins (void)
{
  gint64 now;
  g_autoptr (BridgeReconnect) m = connected_machine (&now);

  bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_STALLED, "stall", now);
  BridgeStep st = bridge_reconnect_tick (m, now + 5 * S - 1);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_RESTARTING_ICE);
  st = bridge_reconnect_tick (m, now + 5 * S);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_REJOINING);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_TEARDOWN | BRIDGE_ACTION_JOIN);
  /* ICE failing during the restart also goes to a re-join. */
  g_autoptr (BridgeReconnect) m2 = connected_machine (&now);
  bridge_reconnect_handle (m2, BRIDGE_EVENT_MEDIA_STALLED, "stall", now);
  st = bridge_reconnect_handle (m2, BRIDGE_EVENT_ICE_FAILED, "ICE failed", now + S);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_REJOINING);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_TEARDOWN | BRIDGE_ACTION_JOIN);
}

/* An mcu that is down: join attempts fail, each followed by a capped, jittered backoff, forever. */
static void
test_rejoin_forever_with_backoff (void)
{
  g_autoptr (BridgeReconnect) m = bridge_reconnect_new (&cfg);
  gint64 now = 0;
  gint64 previous_wait = 0;

  bridge_reconnect_handle (m, BRIDGE_EVENT_START, NULL, now);
  for (guint i = 0; i < 1000; i++) {
    BridgeStep st = bridge_reconnect_handle (m, BRIDGE_EVENT_JOIN_FAILED, "Connection refused", now);
    g_assert_cmpint (st.state, ==, BRIDGE_STATE_REJOINING);
    g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_TEARDOWN);
    gint64 wait = st.wake_at - now;
    g_assert_cmpint (wait, <=, (gint64) cfg.backoff_max_us);
    g_assert_cmpint (wait, >=, (gint64) (cfg.backoff_initial_us / 2));
    if (i >= 5)
      g_assert_cmpint (wait, >=, (gint64) cfg.backoff_max_us / 2); /* saturated: jitter takes at most half */
    if (i == 0)
      g_assert_cmpint (wait, <=, (gint64) cfg.backoff_initial_us);
    previous_wait = wait;
    g_assert_cmpuint (bridge_reconnect_get_attempt (m), ==, i + 1);
    /* Nothing happens before the wait is over... */
    st = bridge_reconnect_tick (m, now + wait - 1);
    g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
    /* ...then the next attempt starts. */
    now += wait;
    st = bridge_reconnect_tick (m, now);
    g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_JOIN);
    g_assert_false (st.state_changed);
  }
  g_assert_cmpint (previous_wait, >, 0);
  BridgeStep st = bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_FLOWING, NULL, now + S);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_CONNECTED);
  g_assert_cmpuint (bridge_reconnect_get_attempt (m), ==, 0);
  /* It was never connected before: this is the first connection, not a reconnect. */
  g_assert_cmpuint (bridge_reconnect_get_reconnects (m), ==, 0);
}

static void
test_connect_timeout (void)
{
  g_autoptr (BridgeReconnect) m = bridge_reconnect_new (&cfg);

  bridge_reconnect_handle (m, BRIDGE_EVENT_START, NULL, 0);
  BridgeStep st = bridge_reconnect_handle (m, BRIDGE_EVENT_JOINED, NULL, S);
  /* The timeout counts from the answer, not from the POST. */
  g_assert_cmpint (st.wake_at, ==, 11 * S);
  /* Stalls before media ever flowed are the connect timeout's business. */
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_STALLED, "x", 2 * S);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
  st = bridge_reconnect_tick (m, 10 * S);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_CONNECTING);
  st = bridge_reconnect_tick (m, 11 * S);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_REJOINING);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_TEARDOWN);
  g_assert_nonnull (g_strstr_len (bridge_reconnect_get_last_error (m), -1, "no media both ways within 10 s"));
}

/* A slow answer (a long round trip, a lost segment) leaves ICE and DTLS the whole connect-timeout; a
 * join never answered is still bounded by it from the POST; a late JOINED outside an attempt changes
 * nothing. */
static void
test_slow_answer (void)
{
  BridgeReconnectConfig c = cfg;
  c.answer_timeout_us = 13 * S;
  g_autoptr (BridgeReconnect) m = bridge_reconnect_new (&c);
  BridgeStep st = bridge_reconnect_handle (m, BRIDGE_EVENT_START, NULL, 0);

  /* Before the answer the backstop is the answer's limit and the connect-timeout together. */
  g_assert_cmpint (st.wake_at, ==, 23 * S);
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_JOINED, NULL, 8 * S);
  g_assert_cmpint (st.wake_at, ==, 18 * S);
  st = bridge_reconnect_tick (m, 12 * S);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_FLOWING, NULL, 13 * S);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_CONNECTED);
  g_assert_cmpint (st.wake_at, ==, G_MAXINT64);
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_JOINED, NULL, 14 * S);
  g_assert_cmpint (st.wake_at, ==, G_MAXINT64);
  g_assert_false (st.state_changed);

  /* No answer at all (the offer never made, say): the backstop ends the attempt. */
  g_autoptr (BridgeReconnect) n = bridge_reconnect_new (&c);
  bridge_reconnect_handle (n, BRIDGE_EVENT_START, NULL, 0);
  st = bridge_reconnect_tick (n, 23 * S - 1);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
  st = bridge_reconnect_tick (n, 23 * S);
  g_assert_cmpstr (bridge_reconnect_get_last_error (n), ==, "no answer to the join within 23 s");
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_REJOINING);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_TEARDOWN);
  /* Waiting out the backoff: a stale JOINED must not arm a deadline over the backoff's. */
  gint64 backoff_end = st.wake_at;
  st = bridge_reconnect_handle (n, BRIDGE_EVENT_JOINED, NULL, 23 * S + 1);
  g_assert_cmpint (st.wake_at, ==, backoff_end);
}

static void
test_stale_events_ignored (void)
{
  gint64 now;
  g_autoptr (BridgeReconnect) m = connected_machine (&now);

  BridgeStep st = bridge_reconnect_handle (m, BRIDGE_EVENT_JOIN_FAILED, "late", now);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_RESTART_FAILED, "late", now);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
  g_assert_cmpint (bridge_reconnect_get_state (m), ==, BRIDGE_STATE_CONNECTED);
  st = bridge_reconnect_tick (m, now + 1000 * S);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);

  /* While waiting out a backoff there is no session: media events from the old one are stale. */
  g_autoptr (BridgeReconnect) w = bridge_reconnect_new (&cfg);
  bridge_reconnect_handle (w, BRIDGE_EVENT_START, NULL, 0);
  bridge_reconnect_handle (w, BRIDGE_EVENT_JOIN_FAILED, "refused", 0);
  st = bridge_reconnect_handle (w, BRIDGE_EVENT_MEDIA_FLOWING, NULL, 1);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_REJOINING);
  st = bridge_reconnect_handle (w, BRIDGE_EVENT_ICE_FAILED, "old", 2);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
}

static void
test_stop (void)
{
  gint64 now;
  g_autoptr (BridgeReconnect) m = connected_machine (&now);
  BridgeStep st = bridge_reconnect_handle (m, BRIDGE_EVENT_STOP, NULL, now);

  g_assert_cmpint (st.state, ==, BRIDGE_STATE_STOPPED);
  g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_TEARDOWN);
  g_assert_cmpint (st.wake_at, ==, G_MAXINT64);
  for (int e = BRIDGE_EVENT_START; e <= BRIDGE_EVENT_STOP; e++) {
    st = bridge_reconnect_handle (m, (BridgeEvent) e, "after stop", now + S);
    g_assert_cmpint (st.actions, ==, BRIDGE_ACTION_NONE);
    g_assert_cmpint (st.state, ==, BRIDGE_STATE_STOPPED);
  }
}

static void
test_backoff_bounds (void)
{
  const double us[] = { 0.0, 0.25, 0.5, 0.999999, 1.0, -3.0, 7.0 };

  for (guint attempt = 0; attempt < 200; attempt++) {
    guint64 base = MIN (cfg.backoff_initial_us << MIN (attempt, 20u), cfg.backoff_max_us);
    for (gsize i = 0; i < G_N_ELEMENTS (us); i++) {
      guint64 d = bridge_backoff_delay (&cfg, attempt, us[i]);
      g_assert_cmpuint (d, <=, base);
      g_assert_cmpuint (d, >=, base / 2);
    }
    g_assert_cmpuint (bridge_backoff_delay (&cfg, attempt, 0.0), ==, base);
  }
  BridgeReconnectConfig no_jitter = cfg;
  no_jitter.backoff_jitter = 0;
  g_assert_cmpuint (bridge_backoff_delay (&no_jitter, 0, 0.9), ==, S / 2);
  g_assert_cmpuint (bridge_backoff_delay (&no_jitter, 1, 0.9), ==, S);
  g_assert_cmpuint (bridge_backoff_delay (&no_jitter, 3, 0.9), ==, 4 * S);
  g_assert_cmpuint (bridge_backoff_delay (&no_jitter, G_MAXUINT, 0.9), ==, 4 * S);
}

static void
test_jitter_is_seeded (void)
{
  g_autoptr (BridgeReconnect) a = bridge_reconnect_new (&cfg);
  g_autoptr (BridgeReconnect) b = bridge_reconnect_new (&cfg);
  BridgeReconnectConfig other = cfg;
  other.seed = 7;
  g_autoptr (BridgeReconnect) c = bridge_reconnect_new (&other);
  gboolean differs = FALSE;

  bridge_reconnect_handle (a, BRIDGE_EVENT_START, NULL, 0);
  bridge_reconnect_handle (b, BRIDGE_EVENT_START, NULL, 0);
  bridge_reconnect_handle (c, BRIDGE_EVENT_START, NULL, 0);
  for (int i = 0; i < 20; i++) {
    BridgeStep sa = bridge_reconnect_handle (a, BRIDGE_EVENT_JOIN_FAILED, "x", 0);
    BridgeStep sb = bridge_reconnect_handle (b, BRIDGE_EVENT_JOIN_FAILED, "x", 0);
    BridgeStep sc = bridge_reconnect_handle (c, BRIDGE_EVENT_JOIN_FAILED, "x", 0);
    g_assert_cmpint (sa.wake_at, ==, sb.wake_at);
    differs |= sa.wake_at != sc.wake_at;
    bridge_reconnect_tick (a, sa.wake_at);
    bridge_reconnect_tick (b, sb.wake_at);
    bridge_reconnect_tick (c, sc.wake_at);
  }
  g_assert_true (differs); /* two sites do not back off in lockstep */
}

/* ICE-TCP goes with UDP only after a failed UDP-only join, alternating while joins fail; once a session
 * connected, later joins first try the transport it ran over. */
static void
test_ice_tcp_fallback (void)
{
  g_autoptr (BridgeReconnect) m = bridge_reconnect_new (&cfg);
  gint64 now = 1000 * S;
  BridgeStep st = bridge_reconnect_handle (m, BRIDGE_EVENT_START, NULL, now);

  g_assert_true (st.actions & BRIDGE_ACTION_JOIN);
  g_assert_false (bridge_reconnect_get_ice_tcp (m));   /* the first join: UDP alone */
  /* UDP-only ICE fails (a network that blocks UDP): the next attempt gathers TCP too. */
  gboolean expect[] = { TRUE, FALSE, TRUE };
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++) {
    st = bridge_reconnect_handle (m, BRIDGE_EVENT_ICE_FAILED, "ICE failed", now);
    g_assert_cmpint (st.state, ==, BRIDGE_STATE_REJOINING);
    now = st.wake_at;
    st = bridge_reconnect_tick (m, now);
    g_assert_true (st.actions & BRIDGE_ACTION_JOIN);
    g_assert_cmpint (bridge_reconnect_get_ice_tcp (m), ==, expect[i]);
  }
  /* That join connects over TCP: after a cut, the re-join tries TCP first, then UDP alone. */
  bridge_reconnect_handle (m, BRIDGE_EVENT_JOINED, NULL, now);
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_FLOWING, NULL, now + S);
  g_assert_cmpint (st.state, ==, BRIDGE_STATE_CONNECTED);
  bridge_reconnect_note_transport (m, TRUE);
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_SEND_STALLED, "stalled", now + 2 * S);
  g_assert_true (st.actions & BRIDGE_ACTION_JOIN);
  g_assert_true (bridge_reconnect_get_ice_tcp (m));
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_JOIN_FAILED, "HTTP 503", now + 3 * S);
  st = bridge_reconnect_tick (m, st.wake_at);
  g_assert_true (st.actions & BRIDGE_ACTION_JOIN);
  g_assert_false (bridge_reconnect_get_ice_tcp (m));
  /* A session that connected over UDP (TCP gathered or not) puts UDP alone first again. */
  bridge_reconnect_handle (m, BRIDGE_EVENT_JOINED, NULL, st.wake_at);
  bridge_reconnect_handle (m, BRIDGE_EVENT_MEDIA_FLOWING, NULL, st.wake_at + S);
  bridge_reconnect_note_transport (m, FALSE);
  st = bridge_reconnect_handle (m, BRIDGE_EVENT_SEND_STALLED, "stalled", st.wake_at + 2 * S);
  g_assert_true (st.actions & BRIDGE_ACTION_JOIN);
  g_assert_false (bridge_reconnect_get_ice_tcp (m));
}

static void
test_state_names (void)
{
  g_assert_cmpstr (bridge_state_to_string (BRIDGE_STATE_CONNECTING), ==, "connecting");
  g_assert_cmpstr (bridge_state_to_string (BRIDGE_STATE_CONNECTED), ==, "connected");
  g_assert_cmpstr (bridge_state_to_string (BRIDGE_STATE_RESTARTING_ICE), ==, "restarting-ice");
  g_assert_cmpstr (bridge_state_to_string (BRIDGE_STATE_REJOINING), ==, "rejoining");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent/reconnect/first-join", test_first_join);
  g_test_add_func ("/agent/reconnect/ice-restart-recovers", test_ice_restart_recovers);
  g_test_add_func ("/agent/reconnect/send-stalled-rejoins", test_send_stalled_rejoins);
  g_test_add_func ("/agent/reconnect/restart-refused-rejoins", test_restart_refused_rejoins_at_once);
  g_test_add_func ("/agent/reconnect/restart-timeout-rejoins", test_restart_timeout_rejoins);
  g_test_add_func ("/agent/reconnect/rejoin-forever", test_rejoin_forever_with_backoff);
  g_test_add_func ("/agent/reconnect/connect-timeout", test_connect_timeout);
  g_test_add_func ("/agent/reconnect/slow-answer", test_slow_answer);
  g_test_add_func ("/agent/reconnect/stale-events", test_stale_events_ignored);
  g_test_add_func ("/agent/reconnect/stop", test_stop);
  g_test_add_func ("/agent/reconnect/backoff-bounds", test_backoff_bounds);
  g_test_add_func ("/agent/reconnect/jitter-seeded", test_jitter_is_seeded);
  g_test_add_func ("/agent/reconnect/ice-tcp-fallback", test_ice_tcp_fallback);
  g_test_add_func ("/agent/reconnect/state-names", test_state_names);
  return g_test_run ();
}
