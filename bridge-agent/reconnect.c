/* SPDX-License-Identifier: MIT */
/*
 * The reconnection state machine (see reconnect.h): events + time in, actions out. No I/O, no clock,
 * no logging: the agent logs the returned step. Why the order "ICE restart first, then re-join": an ICE
 * restart keeps the DTLS session, the seat and the decoders at the mcu, and takes one round trip; a
 * re-join costs a new DTLS handshake and a keyframe, but also works when the mcu restarted.
 *
 * Threads: the agent's main loop only.
 */
#define G_LOG_DOMAIN "bridge-reconnect"

#include "reconnect.h"

struct _BridgeReconnect {
  BridgeReconnectConfig config;
  BridgeState state;
  gint64 since;
  gint64 deadline;       /* G_MAXINT64 = none */
  gboolean waiting;      /* rejoining: waiting out the backoff (no session exists) */
  gboolean answered;     /* the current join attempt has its answer (JOINED) */
  gboolean ever_connected;
  guint reconnects;
  guint attempt;
  gboolean ice_tcp;      /* the current join gathers ICE-TCP candidates */
  gboolean tcp_first;    /* the last session that connected ran over ICE-TCP */
  guint32 rng;
  char *last_error;
  char *reason;
};

static const char *const state_names[] = {
  [BRIDGE_STATE_CONNECTING] = "connecting",
  [BRIDGE_STATE_CONNECTED] = "connected",
  [BRIDGE_STATE_RESTARTING_ICE] = "restarting-ice",
  [BRIDGE_STATE_REJOINING] = "rejoining",
  [BRIDGE_STATE_STOPPED] = "stopped",
};

const char *
bridge_state_to_string (BridgeState state)
{
  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (state_names), "unknown");
  return state_names[state];
}

guint64
bridge_backoff_delay (const BridgeReconnectConfig *config, guint attempt, double u)
{
  guint64 base = config->backoff_initial_us;
  double jitter = CLAMP (config->backoff_jitter, 0.0, 1.0);

  for (guint i = 0; i < attempt && base < config->backoff_max_us; i++)
    base *= 2;
  base = MIN (base, config->backoff_max_us);
  u = CLAMP (u, 0.0, 1.0);
  return (guint64) ((double) base * (1.0 - jitter * u));
}

/* xorshift32: deterministic per seed, state kept in the object. */
static double
next_uniform (BridgeReconnect *machine)
{
  guint32 x = machine->rng;

  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  machine->rng = x;
  return (double) x / 4294967296.0;
}

BridgeReconnect *
bridge_reconnect_new (const BridgeReconnectConfig *config)
{
  BridgeReconnect *machine = g_new0 (BridgeReconnect, 1);

  machine->config = *config;
  machine->state = BRIDGE_STATE_CONNECTING;
  machine->deadline = G_MAXINT64;
  machine->rng = config->seed != 0 ? config->seed : 0x9e3779b9u;
  return machine;
}

void
bridge_reconnect_free (BridgeReconnect *machine)
{
  g_free (machine->last_error);
  g_free (machine->reason);
  g_free (machine);
}

static void
set_reason (BridgeReconnect *machine, char *reason)
{
  g_free (machine->reason);
  machine->reason = reason;
}

static BridgeStep
step (BridgeReconnect *machine, BridgeState from, BridgeAction actions)
{
  BridgeStep s = {
    .actions = actions,
    .state_changed = from != machine->state,
    .from = from,
    .state = machine->state,
    .reason = machine->reason,
    .wake_at = machine->deadline,
  };
  return s;
}

static void
enter (BridgeReconnect *machine, BridgeState state, gint64 now)
{
  if (machine->state != state)
    machine->since = now;
  machine->state = state;
}

static void
note_error (BridgeReconnect *machine, const char *detail)
{
  g_free (machine->last_error);
  machine->last_error = g_strdup (detail ? detail : "unknown");
}

/* A join attempt failed: drop it and wait out the backoff before the next one. */
static BridgeStep
fail_attempt (BridgeReconnect *machine, const char *detail, gint64 now)
{
  BridgeState from = machine->state;
  guint64 wait = bridge_backoff_delay (&machine->config, machine->attempt, next_uniform (machine));

  note_error (machine, detail);
  machine->attempt++;
  machine->waiting = TRUE;
  machine->deadline = now + (gint64) wait;
  enter (machine, BRIDGE_STATE_REJOINING, now);
  set_reason (machine, g_strdup_printf ("%s; re-join attempt %u in %.1f s", machine->last_error,
                                        machine->attempt, (double) wait / G_USEC_PER_SEC));
  return step (machine, from, BRIDGE_ACTION_TEARDOWN);
}

/* Start a join now (first join, backoff expired, or ICE restart gave up). */
static BridgeStep
start_join (BridgeReconnect *machine, BridgeState state, BridgeAction extra, char *reason, gint64 now)
{
  BridgeState from = machine->state;

  machine->waiting = FALSE;
  machine->answered = FALSE;
  machine->ice_tcp = (machine->attempt % 2 == 1) != machine->tcp_first;
  machine->deadline = now + (gint64) (machine->config.answer_timeout_us + machine->config.connect_timeout_us);
  enter (machine, state, now);
  set_reason (machine, reason);
  return step (machine, from, extra | BRIDGE_ACTION_JOIN);
}

static BridgeStep
media_flowing (BridgeReconnect *machine, gint64 now)
{
  BridgeState from = machine->state;

  if (from == BRIDGE_STATE_CONNECTED || from == BRIDGE_STATE_STOPPED || machine->waiting)
    return step (machine, from, BRIDGE_ACTION_NONE);
  if (machine->ever_connected)
    machine->reconnects++;
  machine->ever_connected = TRUE;
  machine->attempt = 0;
  machine->deadline = G_MAXINT64;
  enter (machine, BRIDGE_STATE_CONNECTED, now);
  set_reason (machine, g_strdup (from == BRIDGE_STATE_RESTARTING_ICE ? "media flowing both ways again after ICE restart"
                                 : from == BRIDGE_STATE_REJOINING ? "media flowing both ways again after re-join"
                                                                  : "media flowing both ways"));
  return step (machine, from, BRIDGE_ACTION_NONE);
}

static BridgeStep
link_lost (BridgeReconnect *machine, BridgeEvent event, const char *detail, gint64 now)
{
  BridgeState from = machine->state;

  switch (from) {
    case BRIDGE_STATE_CONNECTED:
      note_error (machine, detail);
      machine->deadline = now + (gint64) machine->config.ice_restart_timeout_us;
      enter (machine, BRIDGE_STATE_RESTARTING_ICE, now);
      set_reason (machine, g_strdup (machine->last_error));
      return step (machine, from, BRIDGE_ACTION_RESTART_ICE);
    case BRIDGE_STATE_RESTARTING_ICE:
      if (event == BRIDGE_EVENT_MEDIA_STALLED)
        break; /* already restarting; the restart timeout decides */
      note_error (machine, detail);
      return start_join (machine, BRIDGE_STATE_REJOINING, BRIDGE_ACTION_TEARDOWN,
                         g_strdup_printf ("ICE restart failed: %s", machine->last_error), now);
    case BRIDGE_STATE_CONNECTING:
    case BRIDGE_STATE_REJOINING:
      if (event == BRIDGE_EVENT_MEDIA_STALLED || machine->waiting)
        break; /* no media yet is what connect-timeout is for */
      return fail_attempt (machine, detail, now);
    case BRIDGE_STATE_STOPPED:
      break;
  }
  return step (machine, from, BRIDGE_ACTION_NONE);
}

BridgeStep
bridge_reconnect_handle (BridgeReconnect *machine, BridgeEvent event, const char *detail, gint64 now)
{
  BridgeState from = machine->state;
  gboolean attempting = (from == BRIDGE_STATE_CONNECTING || from == BRIDGE_STATE_REJOINING) && !machine->waiting;

  switch (event) {
    case BRIDGE_EVENT_START:
      if (from != BRIDGE_STATE_CONNECTING || machine->deadline != G_MAXINT64)
        break;
      machine->since = now;
      return start_join (machine, BRIDGE_STATE_CONNECTING, BRIDGE_ACTION_NONE, g_strdup ("starting"), now);
    case BRIDGE_EVENT_JOINED:
      /* connect-timeout counts from the answer: the POST has its own timeouts (whip.c), and a slow
       * answer on a long round trip must not eat the time ICE and DTLS need. */
      if (attempting) {
        machine->answered = TRUE;
        machine->deadline = now + (gint64) machine->config.connect_timeout_us;
      }
      break;
    case BRIDGE_EVENT_RESTART_ANSWERED:
      break;
    case BRIDGE_EVENT_JOIN_FAILED:
      if (attempting)
        return fail_attempt (machine, detail, now);
      break;
    case BRIDGE_EVENT_MEDIA_FLOWING:
      return media_flowing (machine, now);
    case BRIDGE_EVENT_MEDIA_STALLED:
    case BRIDGE_EVENT_ICE_FAILED:
      return link_lost (machine, event, detail, now);
    case BRIDGE_EVENT_RESTART_FAILED:
      if (from != BRIDGE_STATE_RESTARTING_ICE)
        break;
      note_error (machine, detail);
      return start_join (machine, BRIDGE_STATE_REJOINING, BRIDGE_ACTION_TEARDOWN,
                         g_strdup_printf ("ICE restart failed: %s", machine->last_error), now);
    case BRIDGE_EVENT_SEND_STALLED:
      /* An ICE restart cannot mend our own pipeline: a fresh session can. */
      if (from != BRIDGE_STATE_CONNECTED)
        break;
      note_error (machine, detail);
      return start_join (machine, BRIDGE_STATE_REJOINING, BRIDGE_ACTION_TEARDOWN, g_strdup (machine->last_error), now);
    case BRIDGE_EVENT_STOP:
      if (from == BRIDGE_STATE_STOPPED)
        break;
      machine->deadline = G_MAXINT64;
      enter (machine, BRIDGE_STATE_STOPPED, now);
      set_reason (machine, g_strdup (detail ? detail : "stopping"));
      return step (machine, from, BRIDGE_ACTION_TEARDOWN);
  }
  return step (machine, from, BRIDGE_ACTION_NONE);
}

BridgeStep
bridge_reconnect_tick (BridgeReconnect *machine, gint64 now)
{
  BridgeState from = machine->state;
  double secs;

  if (now < machine->deadline)
    return step (machine, from, BRIDGE_ACTION_NONE);
  switch (from) {
    case BRIDGE_STATE_CONNECTING:
    case BRIDGE_STATE_REJOINING:
      if (machine->waiting)
        return start_join (machine, from, BRIDGE_ACTION_NONE,
                           g_strdup_printf ("re-join attempt %u", machine->attempt), now);
      if (machine->answered) {
        secs = (double) machine->config.connect_timeout_us / G_USEC_PER_SEC;
        g_autofree char *detail = g_strdup_printf ("no media both ways within %.0f s of the answer", secs);
        return fail_attempt (machine, detail, now);
      } else {
        secs = (double) (machine->config.answer_timeout_us + machine->config.connect_timeout_us) / G_USEC_PER_SEC;
        g_autofree char *detail = g_strdup_printf ("no answer to the join within %.0f s", secs);
        return fail_attempt (machine, detail, now);
      }
    case BRIDGE_STATE_RESTARTING_ICE:
      secs = (double) machine->config.ice_restart_timeout_us / G_USEC_PER_SEC;
      return start_join (machine, BRIDGE_STATE_REJOINING, BRIDGE_ACTION_TEARDOWN,
                         g_strdup_printf ("ICE restart brought no media back within %.0f s", secs), now);
    case BRIDGE_STATE_CONNECTED:
    case BRIDGE_STATE_STOPPED:
      break;
  }
  machine->deadline = G_MAXINT64;
  return step (machine, from, BRIDGE_ACTION_NONE);
}

BridgeState
bridge_reconnect_get_state (const BridgeReconnect *machine)
{
  return machine->state;
}

gint64
bridge_reconnect_get_since (const BridgeReconnect *machine)
{
  return machine->since;
}

guint
bridge_reconnect_get_reconnects (const BridgeReconnect *machine)
{
  return machine->reconnects;
}

guint
bridge_reconnect_get_attempt (const BridgeReconnect *machine)
{
  return machine->attempt;
}

const char *
bridge_reconnect_get_last_error (const BridgeReconnect *machine)
{
  return machine->last_error;
}

gboolean
bridge_reconnect_get_ice_tcp (const BridgeReconnect *machine)
{
  return machine->ice_tcp;
}

void
bridge_reconnect_note_transport (BridgeReconnect *machine, gboolean tcp)
{
  machine->tcp_first = tcp;
}
