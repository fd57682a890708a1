/* SPDX-License-Identifier: MIT */
/*
 * BridgeReconnect: the agent's connection state machine, as a pure function of events and time.
 *
 * States (what /status.json calls them):
 *   connecting      first join: WHIP POST sent or waiting for media to flow both ways
 *   connected       media flowing BOTH ways (seen in inbound RTP and by the media watchdog)
 *   restarting-ice  media stopped: first an ICE restart (PATCH with new ufrag/pwd)
 *   rejoining       full re-join (fresh webrtcbin, new POST) with exponential backoff + jitter,
 *                   capped, forever
 *
 * The machine does no I/O and reads no clock: the caller feeds events with the current monotonic time
 * (µs) and carries out the returned actions (join, ICE restart, teardown) and calls
 * bridge_reconnect_tick() at or after BridgeStep.wake_at. This keeps every decision unit-testable
 * without sleeps. Randomness (the jitter) comes from a seeded generator inside the object.
 *
 * Threads: one thread (the agent's main loop) owns the object.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  BRIDGE_STATE_CONNECTING,
  BRIDGE_STATE_CONNECTED,
  BRIDGE_STATE_RESTARTING_ICE,
  BRIDGE_STATE_REJOINING,
  BRIDGE_STATE_STOPPED,
} BridgeState;

typedef enum {
  BRIDGE_EVENT_START,             /* begin the first join */
  BRIDGE_EVENT_JOINED,            /* WHIP 201 answered and the answer applied */
  BRIDGE_EVENT_JOIN_FAILED,       /* WHIP POST failed (network, 4xx, 5xx, bad answer) */
  BRIDGE_EVENT_MEDIA_FLOWING,     /* the watchdog sees packets arriving and leaving */
  BRIDGE_EVENT_MEDIA_STALLED,     /* the watchdog saw no incoming packets for media-timeout */
  BRIDGE_EVENT_ICE_FAILED,        /* ICE or DTLS failed, or the pipeline errored */
  BRIDGE_EVENT_RESTART_ANSWERED,  /* PATCH 200 answered and the server's fragment applied */
  BRIDGE_EVENT_RESTART_FAILED,    /* PATCH failed or ICE restart is not possible */
  BRIDGE_EVENT_SEND_STALLED,      /* our own sending stopped (a local fault, not the link): re-join now */
  BRIDGE_EVENT_STOP,              /* the agent is shutting down */
} BridgeEvent;

typedef enum {
  BRIDGE_ACTION_NONE = 0,
  BRIDGE_ACTION_TEARDOWN = 1 << 0,     /* DELETE the session (best effort), drop the webrtcbin */
  BRIDGE_ACTION_JOIN = 1 << 1,         /* fresh webrtcbin, POST the offer (after TEARDOWN if both) */
  BRIDGE_ACTION_RESTART_ICE = 1 << 2,  /* new local ICE credentials, PATCH them */
} BridgeAction;

typedef struct {
  guint64 connect_timeout_us;     /* the answer (JOINED) → media both ways */
  guint64 answer_timeout_us;      /* a join's POST → its answer: the WHIP client's own limits end the
                                   * POST by then; with connect_timeout_us a backstop from the start */
  guint64 ice_restart_timeout_us; /* restart → media back */
  guint64 backoff_initial_us;
  guint64 backoff_max_us;
  double backoff_jitter;          /* 0..1: the wait is base × (1 - jitter × U[0,1)) */
  guint32 seed;                   /* for the jitter; tests pass a fixed one */
} BridgeReconnectConfig;

typedef struct {
  BridgeAction actions;      /* to carry out now, in the order TEARDOWN, JOIN, RESTART_ICE */
  gboolean state_changed;    /* log one line: "state A → B: reason" */
  BridgeState from;
  BridgeState state;
  const char *reason;        /* (transfer none): valid until the next call */
  gint64 wake_at;            /* call tick() at this time (µs); G_MAXINT64 = no timer needed */
} BridgeStep;

typedef struct _BridgeReconnect BridgeReconnect;

/* (transfer full) */
BridgeReconnect *bridge_reconnect_new (const BridgeReconnectConfig *config);
void bridge_reconnect_free (BridgeReconnect *machine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeReconnect, bridge_reconnect_free)

/* Feeds @event at time @now (µs, monotonic); @detail says why (copied; may be NULL). */
BridgeStep bridge_reconnect_handle (BridgeReconnect *machine, BridgeEvent event, const char *detail, gint64 now);
/* Time passes: fires timeouts and backoff expiry. */
BridgeStep bridge_reconnect_tick (BridgeReconnect *machine, gint64 now);

BridgeState bridge_reconnect_get_state (const BridgeReconnect *machine);
/* When the current state was entered (µs). */
gint64 bridge_reconnect_get_since (const BridgeReconnect *machine);
/* How many times media came back after being lost (by ICE restart or by re-join). */
guint bridge_reconnect_get_reconnects (const BridgeReconnect *machine);
/* Failed re-join attempts in a row (the backoff exponent). */
guint bridge_reconnect_get_attempt (const BridgeReconnect *machine);
/* The last failure's reason, or NULL. (transfer none) */
const char *bridge_reconnect_get_last_error (const BridgeReconnect *machine);

/* ICE-TCP: whether the join the last step started (BRIDGE_ACTION_JOIN) gathers ICE-TCP candidates
 * besides UDP. A join first tries what carried the last session that connected (UDP until one connected
 * over TCP); each failed attempt in a row then switches, so a site whose network blocks UDP gets a TCP
 * attempt every other time (with UDP dropped both ways: media over TCP 15.5 s after the agent's start,
 * test_profiles_agent.py udp-blocked). Why not always both: the mcu offers passive TCP
 * candidates, and with ours gathered too libnice nominated the ICE-TCP pair in 2 of 19 joins on the
 * rural-3g link (600 kbit/s, 300 ms, 3 % loss) although UDP worked. TCP cannot carry the call there: its
 * send queue grew to ~75 kB, the mcu's reports gave a 5-6 s RTT and ~86 % loss, and the agent fell to
 * audio only (issue 10). */
gboolean bridge_reconnect_get_ice_tcp (const BridgeReconnect *machine);
/* The session that connected runs over ICE-TCP (@tcp TRUE) or UDP: later joins try that first. */
void bridge_reconnect_note_transport (BridgeReconnect *machine, gboolean tcp);

/* The wait before re-join attempt @attempt (0-based): min(max, initial × 2^attempt) × (1 - jitter × @u),
 * @u in [0,1). Pure; exposed for tests. */
guint64 bridge_backoff_delay (const BridgeReconnectConfig *config, guint attempt, double u);

/* "connecting", "connected", "restarting-ice", "rejoining", "stopped". (transfer none) */
const char *bridge_state_to_string (BridgeState state);

G_END_DECLS
