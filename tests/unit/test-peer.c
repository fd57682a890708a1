/* SPDX-License-Identifier: MIT */
/* Unit tests for McuPeer with real libnice, OpenSSL and libsrtp2 on 127.0.0.1: a SERVER-role and a
 * CLIENT-role peer on one GMainContext exchange candidates, connect (ICE + DTLS), carry RTP and
 * RTCP both ways; ICE restart mid-flow; garbage on the media port is counted and dropped; a client
 * that does ICE but never DTLS makes the server FAILED after dtls_timeout_ms; bad input gives
 * errors. Also the candidate-line parser. Waiting = iterating the context until a condition or a
 * deadline. */
#include "transport/ice.h"
#include "transport/peer.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>

#define WAIT_MS 10000

typedef struct _Side Side;
struct _Side {
  const char *name;
  McuPeer *peer;
  Side *other;
  GPtrArray *candidates;   /* local candidate lines, in order */
  gboolean gathered;
  gboolean trickle;        /* forward each local candidate to the other side at once */
  McuPeerState states[16]; /* every state reported, in order */
  guint n_states;
  char *last_reason;
  guint rtp, rtcp;         /* received */
  guint bad_content;       /* received packets whose bytes were not what was sent */
  guint16 last_seq;
  gint64 arrival_age_us;   /* now - mcu_peer_get_arrival_us () in the last on_rtp */
};

typedef struct {
  GMainContext *context;
  McuCertificate *cert_server, *cert_client;
  Side server, client;
  McuIcePort *port;        /* the lite variants: the server answers checks on this port */
} Fixture;

/* ---- helpers ---- */

static gboolean
wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

typedef gboolean (*Condition) (Fixture *f, gconstpointer data);

/* Runs the context until @cond holds or @ms pass; returns whether it held. A 20 ms wake-up source
 * makes the deadline checks happen even when nothing else is going on. */
static gboolean
wait_for (Fixture *f, Condition cond, gconstpointer data, guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  GSource *tick = g_timeout_source_new (20);
  gboolean ok;

  g_source_set_callback (tick, wake, NULL, NULL);
  g_source_attach (tick, f->context);
  while (!(ok = cond (f, data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (f->context, TRUE);
  g_source_destroy (tick);
  g_source_unref (tick);
  return ok;
}

static gboolean
never (Fixture *f, gconstpointer data)
{
  return FALSE;
}

static gboolean
both_gathered (Fixture *f, gconstpointer data)
{
  return f->server.gathered && f->client.gathered;
}

static gboolean
both_connected (Fixture *f, gconstpointer data)
{
  return mcu_peer_get_state (f->server.peer) == MCU_PEER_STATE_CONNECTED &&
         mcu_peer_get_state (f->client.peer) == MCU_PEER_STATE_CONNECTED;
}

static gboolean
side_in_state (Fixture *f, gconstpointer data)
{
  const Side *side = data;
  return side->n_states > 0 && (side->states[side->n_states - 1] == MCU_PEER_STATE_FAILED ||
                                side->states[side->n_states - 1] == MCU_PEER_STATE_CLOSED);
}

static gboolean
server_disconnected (Fixture *f, gconstpointer data)
{
  return mcu_peer_get_state (f->server.peer) == MCU_PEER_STATE_DISCONNECTED;
}

typedef struct {
  Side *side;
  guint rtp, rtcp;
} Counts;

static gboolean
received_at_least (Fixture *f, gconstpointer data)
{
  const Counts *want = data;
  return want->side->rtp >= want->rtp && want->side->rtcp >= want->rtcp;
}

/* ---- callbacks ---- */

static void
check_packet (Side *side, const guint8 *packet, gsize len, gboolean rtcp)
{
  /* Payload byte i is (seq + i) & 0xff, see make_rtp (); RTCP is a fixed RR. */
  if (rtcp) {
    if (len != 8 || packet[1] != 201)
      side->bad_content++;
    return;
  }
  guint16 seq = (guint16) (packet[2] << 8 | packet[3]);
  for (gsize i = 12; i < len; i++)
    if (packet[i] != (guint8) (seq + i))
      side->bad_content++;
  side->last_seq = seq;
}

static void
on_rtp (McuPeer *peer, guint8 *packet, gsize len, gpointer user_data)
{
  Side *side = user_data;

  side->rtp++;
  side->arrival_age_us = g_get_monotonic_time () - mcu_peer_get_arrival_us (peer);
  check_packet (side, packet, len, FALSE);
}

static void
on_rtcp (McuPeer *peer, guint8 *packet, gsize len, gpointer user_data)
{
  Side *side = user_data;

  side->rtcp++;
  check_packet (side, packet, len, TRUE);
}

static void
on_state (McuPeer *peer, McuPeerState state, const char *reason, gpointer user_data)
{
  Side *side = user_data;

  g_assert_nonnull (reason);
  if (side->n_states < G_N_ELEMENTS (side->states))
    side->states[side->n_states++] = state;
  g_free (side->last_reason);
  side->last_reason = g_strdup (reason);
}

static void
on_local_candidate (McuPeer *peer, const char *candidate, gpointer user_data)
{
  Side *side = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_str_has_prefix (candidate, "candidate:"));
  g_ptr_array_add (side->candidates, g_strdup (candidate));
  if (side->trickle) {
    mcu_peer_add_remote_candidate (side->other->peer, candidate, &error);
    g_assert_no_error (error);
  }
}

static void
on_gathering_done (McuPeer *peer, gpointer user_data)
{
  ((Side *) user_data)->gathered = TRUE;
}

static const McuPeerCallbacks callbacks = {
  .on_rtp = on_rtp,
  .on_rtcp = on_rtcp,
  .on_state = on_state,
  .on_local_candidate = on_local_candidate,
  .on_gathering_done = on_gathering_done,
};

/* ---- fixture ---- */

static McuPeer *
make_peer (Fixture *f, Side *side, McuPeerRole role, McuCertificate *cert, guint dtls_timeout_ms)
{
  McuPeerConfig config;
  g_autoptr (GError) error = NULL;
  McuPeer *peer;

  mcu_peer_config_init (&config);
  config.ice_addresses = g_strsplit ("127.0.0.1", ",", -1);
  if (dtls_timeout_ms != 0)
    config.dtls_timeout_ms = dtls_timeout_ms;
  if (role == MCU_PEER_ROLE_SERVER && f->port != NULL)
    config.ice_port = mcu_ice_port_ref (f->port);
  peer = mcu_peer_new (f->context, role, cert, &config, &callbacks, side, &error);
  g_assert_no_error (error);
  mcu_peer_config_clear (&config);
  return peer;
}

/* Replaces both peers by ones that also gather ICE-TCP candidates. */
static void
remake_peers_with_tcp (Fixture *f)
{
  McuPeerConfig config;
  g_autoptr (GError) error = NULL;

  mcu_peer_config_init (&config);
  config.ice_addresses = g_strsplit ("127.0.0.1", ",", -1);
  config.ice_tcp = TRUE;
  g_clear_pointer (&f->server.peer, mcu_peer_unref);
  g_clear_pointer (&f->client.peer, mcu_peer_unref);
  if (f->port != NULL) {
    /* lite: a port that also listens for ICE-TCP (passive candidates) */
    static const char *const loopback[] = { "127.0.0.1", NULL };
    mcu_ice_port_unref (f->port);
    f->port = mcu_ice_port_new (f->context, loopback, 0, 0, TRUE, 1000, &error);
    g_assert_no_error (error);
    config.ice_port = mcu_ice_port_ref (f->port);
  }
  f->server.peer = mcu_peer_new (f->context, MCU_PEER_ROLE_SERVER, f->cert_server, &config, &callbacks,
                                 &f->server, &error);
  g_clear_pointer (&config.ice_port, mcu_ice_port_unref);
  f->client.peer = mcu_peer_new (f->context, MCU_PEER_ROLE_CLIENT, f->cert_client, &config, &callbacks,
                                 &f->client, &error);
  g_assert_no_error (error);
  mcu_peer_config_clear (&config);
}

/* @lite: the server is ICE-lite on a port of its own that reports a site silent after 1 s. */
static void
fixture_make (Fixture *f, gconstpointer data, gboolean lite)
{
  static const char *const loopback[] = { "127.0.0.1", NULL };
  g_autoptr (GError) error = NULL;

  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  if (lite) {
    f->port = mcu_ice_port_new (f->context, loopback, 0, 0, FALSE, 1000, &error);
    g_assert_no_error (error);
  }
  f->cert_server = mcu_certificate_new_generated ("server", &error);
  f->cert_client = mcu_certificate_new_generated ("client", &error);
  g_assert_no_error (error);
  f->server = (Side){ .name = "server", .other = &f->client, .candidates = g_ptr_array_new_with_free_func (g_free) };
  f->client = (Side){ .name = "client", .other = &f->server, .candidates = g_ptr_array_new_with_free_func (g_free) };
  f->server.peer = make_peer (f, &f->server, MCU_PEER_ROLE_SERVER, f->cert_server,
                              GPOINTER_TO_UINT (data));
  f->client.peer = make_peer (f, &f->client, MCU_PEER_ROLE_CLIENT, f->cert_client, 0);
  g_assert_true (mcu_peer_is_lite (f->server.peer) == lite);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  fixture_make (f, data, FALSE);
}

static void
fixture_setup_lite (Fixture *f, gconstpointer data)
{
  fixture_make (f, data, TRUE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->server.peer, mcu_peer_unref);
  g_clear_pointer (&f->client.peer, mcu_peer_unref);
  g_clear_pointer (&f->port, mcu_ice_port_unref);
  /* Let libnice finish its asynchronous close before the context goes. */
  while (g_main_context_iteration (f->context, FALSE))
    ;
  g_ptr_array_unref (f->server.candidates);
  g_ptr_array_unref (f->client.candidates);
  g_free (f->server.last_reason);
  g_free (f->client.last_reason);
  mcu_certificate_unref (f->cert_server);
  mcu_certificate_unref (f->cert_client);
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
}

/* Offer/answer: credentials and fingerprints both ways, then the gathered candidates (those whose
 * line contains @only, all when NULL). */
static void
exchange_only (Fixture *f, const char *server_expects, const char *only)
{
  const char *ufrag, *pwd;
  g_autoptr (GError) error = NULL;

  g_assert_true (mcu_peer_gather (f->client.peer, &error));
  g_assert_true (mcu_peer_gather (f->server.peer, &error));
  g_assert_no_error (error);
  g_assert_true (wait_for (f, both_gathered, NULL, WAIT_MS));
  mcu_peer_get_local_credentials (f->client.peer, &ufrag, &pwd);
  g_assert_true (mcu_peer_set_remote (f->server.peer, ufrag, pwd, "sha-256", server_expects, &error));
  mcu_peer_get_local_credentials (f->server.peer, &ufrag, &pwd);
  g_assert_true (mcu_peer_set_remote (f->client.peer, ufrag, pwd, "sha-256",
                                      mcu_peer_get_local_fingerprint (f->server.peer), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->client.candidates->len, >=, 1);
  g_assert_cmpuint (f->server.candidates->len, >=, 1);
  for (guint i = 0; i < f->client.candidates->len; i++)
    if (only == NULL || strstr (f->client.candidates->pdata[i], only) != NULL)
      g_assert_true (mcu_peer_add_remote_candidate (f->server.peer, f->client.candidates->pdata[i], &error));
  for (guint i = 0; i < f->server.candidates->len; i++)
    if (only == NULL || strstr (f->server.candidates->pdata[i], only) != NULL)
      g_assert_true (mcu_peer_add_remote_candidate (f->client.peer, f->server.candidates->pdata[i], &error));
  g_assert_no_error (error);
  mcu_peer_end_of_candidates (f->client.peer);
  mcu_peer_end_of_candidates (f->server.peer);
}

static void
exchange_with (Fixture *f, const char *server_expects)
{
  exchange_only (f, server_expects, NULL);
}

static void
exchange (Fixture *f)
{
  exchange_with (f, mcu_certificate_get_fingerprint (f->cert_client));
}

static void
connect_peers (Fixture *f)
{
  exchange (f);
  g_assert_true (wait_for (f, both_connected, NULL, WAIT_MS));
}

static gsize
make_rtp (guint8 *buf, guint16 seq, gsize payload)
{
  buf[0] = 0x80;
  buf[1] = 96 | (seq % 7 == 0 ? 0x80 : 0); /* a marker now and then: still RTP */
  buf[2] = seq >> 8;
  buf[3] = seq & 0xff;
  memset (buf + 4, 0, 4);
  buf[8] = 0xde, buf[9] = 0xad, buf[10] = 0xbe, buf[11] = 0xef;
  for (gsize i = 12; i < 12 + payload; i++)
    buf[i] = (guint8) (seq + i);
  return 12 + payload;
}

static const guint8 rtcp_rr[8] = { 0x80, 201, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78 };

static void
send_burst (Side *from, guint16 first_seq, guint n)
{
  guint8 buf[MCU_PEER_MAX_PACKET];

  for (guint i = 0; i < n; i++) {
    gsize len = make_rtp (buf, (guint16) (first_seq + i), 100 + i * 13 % 1000);
    g_assert_cmpint (mcu_peer_send_rtp (from->peer, buf, len), >, (int) len);
  }
  g_assert_cmpint (mcu_peer_send_rtcp (from->peer, rtcp_rr, sizeof rtcp_rr), >, 8);
}

/* ---- tests ---- */

static void
test_connect_media (Fixture *f, gconstpointer data)
{
  McuPeerStats stats;
  guint8 buf[MCU_PEER_MAX_PACKET + 1];

  g_assert_cmpint (mcu_peer_get_state (f->server.peer), ==, MCU_PEER_STATE_NEW);
  g_assert_cmpint (mcu_peer_send_rtp (f->server.peer, buf, make_rtp (buf, 1, 10)), ==, -ENOTCONN);
  connect_peers (f);
  g_assert_cmpint (f->server.states[0], ==, MCU_PEER_STATE_CONNECTING);
  g_assert_cmpint (f->server.states[1], ==, MCU_PEER_STATE_CONNECTED);
  g_assert_cmpuint (f->server.n_states, ==, 2);

  send_burst (&f->client, 100, 50);
  send_burst (&f->server, 5000, 50);
  Counts at_server = { &f->server, 50, 1 }, at_client = { &f->client, 50, 1 };
  g_assert_true (wait_for (f, received_at_least, &at_server, WAIT_MS));
  g_assert_true (wait_for (f, received_at_least, &at_client, WAIT_MS));
  g_assert_cmpuint (f->server.bad_content + f->client.bad_content, ==, 0);

  /* Too big and not-RTP are refused before the wire. */
  g_assert_cmpint (mcu_peer_send_rtp (f->server.peer, buf, sizeof buf), ==, -EMSGSIZE);
  g_assert_cmpint (mcu_peer_send_rtp (f->server.peer, buf, 5), ==, -EINVAL);

  mcu_peer_get_stats (f->server.peer, &stats);
  g_assert_cmpuint (stats.rtp_in, ==, 50);
  g_assert_cmpuint (stats.rtcp_in, ==, 1);
  g_assert_cmpuint (stats.rtp_out, ==, 50);
  g_assert_cmpuint (stats.packets_in, ==, 51);
  g_assert_cmpuint (stats.bytes_out, >, 50 * 100);
  g_assert_cmpuint (stats.dtls_in, >=, 2);
  g_assert_cmpuint (stats.decrypt_failures + stats.replayed + stats.malformed, ==, 0);
  g_assert_cmpstr (stats.srtp_profile, ==, "AEAD_AES_128_GCM");
  g_assert_cmpstr (stats.dtls_state, ==, "connected");
  g_assert_true (stats.has_selected_pair);
  g_assert_true (g_str_has_prefix (stats.local_address, "127.0.0.1:"));
  g_assert_true (g_str_has_prefix (stats.remote_address, "127.0.0.1:"));
  g_assert_cmpstr (stats.transport, ==, "udp");
  g_assert_cmpint (stats.state, ==, MCU_PEER_STATE_CONNECTED);

  /* Closing the client sends close_notify: the server learns the site left. */
  mcu_peer_close (f->client.peer);
  g_assert_cmpint (mcu_peer_get_state (f->client.peer), ==, MCU_PEER_STATE_CLOSED);
  g_assert_true (wait_for (f, side_in_state, &f->server, WAIT_MS));
  g_assert_cmpint (mcu_peer_get_state (f->server.peer), ==, MCU_PEER_STATE_CLOSED);
  g_assert_nonnull (strstr (f->server.last_reason, "close_notify"));
  g_assert_cmpint (mcu_peer_send_rtp (f->client.peer, buf, make_rtp (buf, 1, 10)), ==, -ENOTCONN);
}

/* Sends one RTP packet from the client, keeps this thread busy for @busy_us (nothing reads the
 * socket meanwhile), then lets the server read it; returns how old the server said it was. */
static gint64
arrival_age_after (Fixture *f, guint16 seq, gulong busy_us)
{
  guint8 buf[MCU_PEER_MAX_PACKET];
  Counts at_server = { &f->server, f->server.rtp + 1, 0 };

  g_assert_cmpint (mcu_peer_send_rtp (f->client.peer, buf, make_rtp (buf, seq, 100)), >, 0);
  g_usleep (busy_us); /* the busy thread, not a wait for an event */
  g_assert_true (wait_for (f, received_at_least, &at_server, WAIT_MS));
  return f->server.arrival_age_us;
}

/* A packet read late carries the time it reached the socket. */
static void
test_arrival_time (Fixture *f, gconstpointer data)
{
  guint16 seq = 1;

  connect_peers (f);
  /* The kernel turns receive stamps on a moment after the first request: until then "now". */
  while (arrival_age_after (f, seq, 5000) < 4000)
    g_assert_cmpuint (seq++, <, 200);
  g_assert_cmpint (arrival_age_after (f, ++seq, 0), <, 50000);
  g_assert_cmpint (arrival_age_after (f, ++seq, 80000), >=, 79000);
  g_assert_cmpint (f->server.arrival_age_us, <, 1000000);
}

static void
test_trickle (Fixture *f, gconstpointer data)
{
  const char *ufrag, *pwd;
  g_autoptr (GError) error = NULL;

  /* Remote descriptions first, then candidates one by one as they are gathered. */
  mcu_peer_get_local_credentials (f->client.peer, &ufrag, &pwd);
  g_assert_true (mcu_peer_set_remote (f->server.peer, ufrag, pwd, "sha-256",
                                      mcu_certificate_get_fingerprint (f->cert_client), &error));
  mcu_peer_get_local_credentials (f->server.peer, &ufrag, &pwd);
  g_assert_true (mcu_peer_set_remote (f->client.peer, ufrag, pwd, "sha-256",
                                      mcu_certificate_get_fingerprint (f->cert_server), &error));
  f->server.trickle = f->client.trickle = TRUE;
  g_assert_true (mcu_peer_gather (f->server.peer, &error));
  g_assert_true (mcu_peer_gather (f->client.peer, &error));
  g_assert_no_error (error);
  g_assert_true (wait_for (f, both_connected, NULL, WAIT_MS));
  g_auto (GStrv) local = mcu_peer_get_local_candidates (f->server.peer);
  g_assert_cmpuint (g_strv_length (local), ==, f->server.candidates->len);
}

typedef struct {
  Fixture *f;
  guint16 seq;
} Flow;

static gboolean
flow_tick (gpointer data)
{
  Flow *flow = data;
  guint8 buf[300];
  gsize len = make_rtp (buf, flow->seq++, 200);

  mcu_peer_send_rtp (flow->f->client.peer, buf, len);
  mcu_peer_send_rtp (flow->f->server.peer, buf, len);
  return G_SOURCE_CONTINUE;
}

static gboolean
ice_ready_both (Fixture *f, gconstpointer data)
{
  McuPeerStats a, b;

  mcu_peer_get_stats (f->server.peer, &a);
  mcu_peer_get_stats (f->client.peer, &b);
  return g_str_equal (a.ice_state, "ready") && g_str_equal (b.ice_state, "ready");
}

/* On a UDP pair sends go straight to the socket; a batch goes out at flush, a run of equal-sized
 * packets (and one shorter after it) in one system call, every packet intact and in order. */
static void
test_batch (Fixture *f, gconstpointer data)
{
  McuPeerStats before, after;
  guint8 buf[MCU_PEER_MAX_PACKET];

  connect_peers (f);
  send_burst (&f->server, 1, 5);
  Counts first = { &f->client, 5, 1 };
  g_assert_true (wait_for (f, received_at_least, &first, WAIT_MS));
  mcu_peer_get_stats (f->server.peer, &before);
  /* DTLS flights sent once the pair was chosen went the same way (with ICE-lite all of them). */
  g_assert_cmpuint (before.direct_packets, >=, 6);
  g_assert_cmpuint (before.direct_packets, <=, 6 + before.dtls_out);
  if (f->port != NULL)
    g_assert_cmpuint (before.direct_packets, ==, 6 + before.dtls_out);
  g_assert_cmpuint (before.direct_syscalls, ==, before.direct_packets);

  mcu_peer_begin_batch (f->server.peer);
  for (guint16 seq = 100; seq < 110; seq++)
    g_assert_cmpint (mcu_peer_send_rtp (f->server.peer, buf, make_rtp (buf, seq, 1000)), >, 1000);
  g_assert_cmpint (mcu_peer_send_rtp (f->server.peer, buf, make_rtp (buf, 110, 400)), >, 400);
  g_assert_cmpint (mcu_peer_send_rtp (f->server.peer, buf, make_rtp (buf, 111, 1000)), >, 1000);
  mcu_peer_get_stats (f->server.peer, &after);
  g_assert_cmpuint (after.direct_syscalls, ==, before.direct_syscalls);   /* queued, not sent */
  mcu_peer_flush_batch (f->server.peer);
  mcu_peer_get_stats (f->server.peer, &after);
  g_assert_cmpuint (after.direct_packets - before.direct_packets, ==, 12);
  g_assert_cmpuint (after.direct_syscalls - before.direct_syscalls, ==, 1);
  g_assert_cmpuint (after.send_failures, ==, 0);

  Counts all = { &f->client, 17, 1 };
  g_assert_true (wait_for (f, received_at_least, &all, WAIT_MS));
  g_assert_cmpuint (f->client.rtp, ==, 17);
  g_assert_cmpuint (f->client.last_seq, ==, 111);
  g_assert_cmpuint (f->client.bad_content, ==, 0);

  /* Outside a batch: one at a time again. */
  g_assert_cmpint (mcu_peer_send_rtp (f->server.peer, buf, make_rtp (buf, 112, 10)), >, 10);
  mcu_peer_get_stats (f->server.peer, &before);
  g_assert_cmpuint (before.direct_syscalls - after.direct_syscalls, ==, 1);
}

/* An ICE-TCP pair: sends go through libnice (its framing), never straight to a socket; a batch
 * changes nothing there. */
static void
test_tcp_pair (Fixture *f, gconstpointer data)
{
  McuPeerStats stats;
  guint8 buf[MCU_PEER_MAX_PACKET];

  remake_peers_with_tcp (f);
  exchange_only (f, mcu_certificate_get_fingerprint (f->cert_client), " tcp ");
  g_assert_true (wait_for (f, both_connected, NULL, WAIT_MS));
  mcu_peer_begin_batch (f->server.peer);
  send_burst (&f->server, 1, 20);
  mcu_peer_flush_batch (f->server.peer);
  Counts all = { &f->client, 20, 1 };
  g_assert_true (wait_for (f, received_at_least, &all, WAIT_MS));
  g_assert_cmpuint (f->client.bad_content, ==, 0);
  mcu_peer_get_stats (f->server.peer, &stats);
  g_assert_cmpstr (stats.transport, ==, "tcp");
  g_assert_cmpuint (stats.rtp_out, ==, 20);
  g_assert_cmpuint (stats.direct_packets + stats.direct_syscalls + stats.send_failures, ==, 0);
  g_assert_cmpint (mcu_peer_send_rtp (f->server.peer, buf, make_rtp (buf, 21, 50)), >, 50);
}

static void
test_ice_restart (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *old_ufrag = NULL;
  const char *ufrag, *pwd;
  Flow flow = { f, 1 };
  GSource *sender = g_timeout_source_new (5);

  connect_peers (f);
  g_source_set_callback (sender, flow_tick, &flow, NULL);
  g_source_attach (sender, f->context);
  Counts before = { &f->server, 20, 0 };
  g_assert_true (wait_for (f, received_at_least, &before, WAIT_MS));

  /* The client restarts (new offer), the server answers, the client takes the answer. */
  mcu_peer_get_local_credentials (f->server.peer, &ufrag, NULL);
  old_ufrag = g_strdup (ufrag);
  g_assert_true (mcu_peer_restart_ice (f->client.peer, NULL, NULL, &error));
  mcu_peer_get_local_credentials (f->client.peer, &ufrag, &pwd);
  g_assert_true (mcu_peer_restart_ice (f->server.peer, ufrag, pwd, &error));
  mcu_peer_get_local_credentials (f->server.peer, &ufrag, &pwd);
  g_assert_cmpstr (ufrag, !=, old_ufrag);
  g_assert_true (mcu_peer_set_remote (f->client.peer, ufrag, pwd, NULL, NULL, &error));
  g_assert_no_error (error);
  guint server_rtp = f->server.rtp, client_rtp = f->client.rtp;
  g_auto (GStrv) server_cands = mcu_peer_get_local_candidates (f->server.peer);
  g_auto (GStrv) client_cands = mcu_peer_get_local_candidates (f->client.peer);
  for (guint i = 0; server_cands[i] != NULL; i++)
    g_assert_true (mcu_peer_add_remote_candidate (f->client.peer, server_cands[i], &error));
  for (guint i = 0; client_cands[i] != NULL; i++)
    g_assert_true (mcu_peer_add_remote_candidate (f->server.peer, client_cands[i], &error));
  g_assert_no_error (error);

  /* Media keeps flowing through and after the restart, and the new checks complete. */
  Counts after_server = { &f->server, server_rtp + 100, 0 };
  Counts after_client = { &f->client, client_rtp + 100, 0 };
  g_assert_true (wait_for (f, received_at_least, &after_server, WAIT_MS));
  g_assert_true (wait_for (f, received_at_least, &after_client, WAIT_MS));
  g_assert_true (wait_for (f, ice_ready_both, NULL, WAIT_MS));
  after_server.rtp = f->server.rtp + 50;
  g_assert_true (wait_for (f, received_at_least, &after_server, WAIT_MS));
  g_source_destroy (sender);
  g_source_unref (sender);
  g_assert_cmpint (mcu_peer_get_state (f->server.peer), ==, MCU_PEER_STATE_CONNECTED);
  g_assert_cmpuint (f->server.n_states, ==, 2); /* never left CONNECTED */
  g_assert_cmpuint (f->client.n_states, ==, 2);
  g_assert_cmpuint (f->server.bad_content + f->client.bad_content, ==, 0);
}

/* Fills @junk with one of the kinds of garbage and returns its length. */
static gsize
make_junk (guint8 *junk, gsize size, int kind)
{
  gsize len = 1 + (gsize) g_random_int_range (0, (gint32) size);

  for (gsize j = 0; j < size; j++)
    junk[j] = (guint8) g_random_int ();
  switch (kind % 4) {
  case 0: /* undemuxable first byte (64-127: neither STUN, DTLS nor RTP) */
    junk[0] = (guint8) g_random_int_range (64, 128);
    break;
  case 1: /* truncated RTP */
    junk[0] = 0x80, junk[1] = 96;
    len = 1 + (gsize) g_random_int_range (1, 11);
    break;
  case 2: /* DTLS-looking record, random inside */
    junk[0] = 22, junk[1] = 0xfe, junk[2] = 0xfd;
    break;
  default: /* RTP header, random "ciphertext": forged SRTP */
    junk[0] = 0x80, junk[1] = 96;
    len = MAX (len, 40);
    break;
  }
  return len;
}

/* Garbage on the media port: from a stranger's socket (libnice drops what does not come from a
 * checked remote candidate) and from the client's own 5-tuple (reaches the demultiplexer: counted
 * and dropped); a replayed SRTP packet; media keeps flowing. */
static void
test_garbage (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  McuPeerStats before, mid, after;
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                             G_SOCKET_PROTOCOL_UDP, &error);
  guint8 junk[400], buf[300];
  guint forged_srtp = 0, short_rtp = 0, undemuxable = 0;

  connect_peers (f);
  mcu_peer_get_stats (f->server.peer, &before);
  g_autoptr (GSocketAddress) target = g_inet_socket_address_new_from_string (
      "127.0.0.1", (guint) atoi (strrchr (before.local_address, ':') + 1));
  for (int i = 0; i < 40; i++) {
    gsize len = make_junk (junk, sizeof junk, i);
    g_socket_send_to (socket, target, (const gchar *) junk, len, NULL, &error);
    g_assert_no_error (error);
  }
  send_burst (&f->client, 100, 10);
  Counts first = { &f->server, 10, 1 };
  g_assert_true (wait_for (f, received_at_least, &first, WAIT_MS));
  mcu_peer_get_stats (f->server.peer, &mid);
  g_assert_cmpuint (mid.malformed + mid.decrypt_failures, ==, 0);

  for (int i = 0; i < 200; i++) {
    gsize len = make_junk (junk, sizeof junk, i);
    forged_srtp += i % 4 == 3;
    short_rtp += i % 4 == 1;
    undemuxable += i % 4 == 0;
    g_assert_cmpint (mcu_peer_send_raw (f->client.peer, junk, len), ==, (int) len);
    /* Loopback delivers at once; drain now and then so the socket buffer never overflows. */
    while (i % 10 == 9 && g_main_context_iteration (f->context, FALSE))
      ;
  }
  /* The same protected packet twice: what a replay on the wire looks like. The sender's SRTP
   * allows repeats (NACK answers without RTX); the receiver's replay window does not. */
  gsize len = make_rtp (buf, 777, 100);
  g_assert_cmpint (mcu_peer_send_rtp (f->client.peer, buf, len), >, 0);
  g_assert_cmpint (mcu_peer_send_rtp (f->client.peer, buf, len), >, 0);
  send_burst (&f->client, 800, 20);
  Counts want = { &f->server, 10 + 1 + 20, 2 };
  g_assert_true (wait_for (f, received_at_least, &want, WAIT_MS));
  mcu_peer_get_stats (f->server.peer, &after);
  g_test_message ("malformed %" G_GUINT64_FORMAT ", decrypt failures %" G_GUINT64_FORMAT
                  ", dtls in %" G_GUINT64_FORMAT, after.malformed, after.decrypt_failures,
                  after.dtls_in);
  g_assert_cmpuint (after.replayed, ==, 1);
  g_assert_cmpuint (after.decrypt_failures, ==, forged_srtp);
  /* Short RTP, undemuxable bytes and DTLS that is not whole records: all malformed. Random bytes
   * may form a whole record by chance, so the DTLS share is a lower bound. */
  g_assert_cmpuint (after.malformed, >=, short_rtp + undemuxable + 40);
  g_assert_cmpuint (f->server.rtp, ==, 31);
  g_assert_cmpuint (f->server.bad_content, ==, 0);
  g_assert_cmpint (mcu_peer_get_state (f->server.peer), ==, MCU_PEER_STATE_CONNECTED);
  /* And the server still sends fine. */
  send_burst (&f->server, 9000, 5);
  Counts back = { &f->client, 5, 1 };
  g_assert_true (wait_for (f, received_at_least, &back, WAIT_MS));
}

static void
test_wrong_fingerprint (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuCertificate) stranger = mcu_certificate_new_generated (NULL, &error);

  /* The server expects another certificate than the one the client presents (a man in the
   * middle, or an SDP that was tampered with). */
  exchange_with (f, mcu_certificate_get_fingerprint (stranger));
  g_assert_true (wait_for (f, side_in_state, &f->server, WAIT_MS));
  g_assert_cmpint (mcu_peer_get_state (f->server.peer), ==, MCU_PEER_STATE_FAILED);
  g_assert_nonnull (strstr (f->server.last_reason, "fingerprint"));
  g_assert_cmpint (mcu_peer_get_state (f->client.peer), !=, MCU_PEER_STATE_CONNECTED);
}

/* ---- a client that does ICE and never DTLS: a bare NiceAgent ---- */

typedef struct {
  GPtrArray *lines;
  gboolean done;
} BareGather;

static void
bare_candidate (NiceAgent *agent, NiceCandidate *candidate, gpointer data)
{
  g_ptr_array_add (((BareGather *) data)->lines, mcu_ice_candidate_to_string (candidate));
}

static void
bare_done (NiceAgent *agent, guint stream_id, gpointer data)
{
  ((BareGather *) data)->done = TRUE;
}

static gboolean
bare_gathered (Fixture *f, gconstpointer data)
{
  return ((const BareGather *) data)->done && f->server.gathered;
}

static void
bare_recv (NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *buf,
           gpointer data)
{
}

static void
test_dtls_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  NiceAgent *agent = nice_agent_new_full (f->context, NICE_COMPATIBILITY_RFC5245,
                                                     NICE_AGENT_OPTION_ICE_TRICKLE);
  BareGather gather = { g_ptr_array_new_with_free_func (g_free), FALSE };
  NiceAddress loopback;
  g_autofree char *ufrag = NULL, *pwd = NULL;
  const char *s_ufrag, *s_pwd;
  guint stream;
  gint64 start;

  g_object_set (agent, "controlling-mode", TRUE, NULL);
  nice_address_set_from_string (&loopback, "127.0.0.1");
  nice_agent_add_local_address (agent, &loopback);
  stream = nice_agent_add_stream (agent, 1);
  g_signal_connect (agent, "new-candidate-full", G_CALLBACK (bare_candidate), &gather);
  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (bare_done), &gather);
  nice_agent_attach_recv (agent, stream, 1, f->context, bare_recv, NULL);
  g_assert_true (nice_agent_gather_candidates (agent, stream));
  g_assert_true (mcu_peer_gather (f->server.peer, &error));
  g_assert_true (wait_for (f, bare_gathered, &gather, WAIT_MS));

  nice_agent_get_local_credentials (agent, stream, &ufrag, &pwd);
  start = g_get_monotonic_time ();
  g_assert_true (mcu_peer_set_remote (f->server.peer, ufrag, pwd, "sha-256",
                                      mcu_certificate_get_fingerprint (f->cert_client), &error));
  for (guint i = 0; i < gather.lines->len; i++)
    if (!mcu_peer_add_remote_candidate (f->server.peer, gather.lines->pdata[i], &error)) {
      /* The bare agent gathers TCP too; the peer has ICE-TCP off and says so. */
      g_assert_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_UNSUPPORTED);
      g_clear_error (&error);
    }
  /* The client learns the server's side 1 s late, so ICE connects ≥ 1 s after the remote
   * description: DTLS still gets its whole 1500 ms from then. */
  g_assert_false (wait_for (f, never, NULL, 1000));
  mcu_peer_get_local_credentials (f->server.peer, &s_ufrag, &s_pwd);
  nice_agent_set_remote_credentials (agent, stream, s_ufrag, s_pwd);
  for (guint i = 0; i < f->server.candidates->len; i++) {
    NiceCandidate *c = mcu_ice_candidate_parse (f->server.candidates->pdata[i], stream, &error);
    GSList list = { c, NULL };
    g_assert_no_error (error);
    g_assert_cmpint (nice_agent_set_remote_candidates (agent, stream, 1, &list), ==, 1);
    nice_candidate_free (c);
  }
  g_assert_true (wait_for (f, side_in_state, &f->server, WAIT_MS));
  gint64 took_ms = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("FAILED after %" G_GINT64_FORMAT " ms: %s", took_ms, f->server.last_reason);
  g_assert_cmpint (mcu_peer_get_state (f->server.peer), ==, MCU_PEER_STATE_FAILED);
  g_assert_nonnull (strstr (f->server.last_reason, "DTLS did not finish within 1500 ms"));
  g_assert_nonnull (strstr (f->server.last_reason, "ICE was connected"));
  g_assert_cmpint (took_ms, >=, 1000 + 1400);
  g_assert_cmpint (took_ms, <, 6000);
  nice_agent_attach_recv (agent, stream, 1, f->context, NULL, NULL);
  g_signal_handlers_disconnect_by_data (agent, &gather);
  g_object_unref (agent);
  g_ptr_array_unref (gather.lines);
}

static void
test_bad_input (Fixture *f, gconstpointer data)
{
  static const char *const invalid[] = {
    "", "candidate:", "a=candidate:1 1 udp", "garbage", "candidate:1 1 udp 1 127.0.0.1 5000 typ",
    "candidate:1 1 udp 1 127.0.0.1 5000 tip host", "candidate:1 1 sctp 1 127.0.0.1 5000 typ host",
    "candidate:1 1 udp 1 127.0.0.1 70000 typ host", "candidate:1 1 udp -1 127.0.0.1 5000 typ host",
    "candidate:1 1 udp 1 127.0.0.1 0 typ host", "candidate:1 1 udp 1 300.0.0.1 5000 typ host",
    "candidate:1 1 udp 1 127.0.0.1 5000 typ bogus", "candidate:1 0 udp 1 127.0.0.1 5000 typ host",
    "candidate:1 1 tcp 1 127.0.0.1 5000 typ host", "candidate:1 1 udp 1 127.0.0.1 5000 typ host raddr",
    "candidate:1 1 udp 1 127.0.0.1 5000 typ srflx raddr x rport 1",
    "candidate:1 1 udp 99999999999 127.0.0.1 5000 typ host", "candidate:f\x01 1 udp 1 1.2.3.4 5 typ host",
  };
  static const char *const unsupported[] = {
    "candidate:1 1 udp 2122260223 1f2b3c4d-aaaa-bbbb-cccc-0123456789ab.local 54321 typ host",
    "candidate:1 2 udp 2122260222 127.0.0.1 5001 typ host",
  };
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++) {
    g_assert_false (mcu_peer_add_remote_candidate (f->server.peer, invalid[i], &error));
    g_assert_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_INVALID);
    g_clear_error (&error);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (unsupported); i++) {
    g_assert_false (mcu_peer_add_remote_candidate (f->server.peer, unsupported[i], &error));
    g_assert_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_UNSUPPORTED);
    g_clear_error (&error);
  }
  g_assert_false (mcu_peer_set_remote (f->server.peer, "ab", "abcdefghijklmnopqrstuvwxyz", "sha-256",
                                       mcu_certificate_get_fingerprint (f->cert_client), &error));
  g_assert_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (mcu_peer_set_remote (f->server.peer, "abcd", "short", "sha-256",
                                       mcu_certificate_get_fingerprint (f->cert_client), &error));
  g_clear_error (&error);
  g_assert_false (mcu_peer_set_remote (f->server.peer, "abcd", "abcdefghijklmnopqrstuvwxyz",
                                       "sha-256", "12:34", &error));
  g_assert_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (mcu_peer_set_remote (f->server.peer, "abcd", "abcdefghijklmnopqrstuvwxyz", NULL,
                                       NULL, &error));
  g_clear_error (&error);
  g_assert_false (mcu_peer_restart_ice (f->server.peer, "abcd", NULL, &error));
  g_clear_error (&error);
  g_assert_cmpint (mcu_peer_get_state (f->server.peer), ==, MCU_PEER_STATE_NEW);
  /* A good one is taken (libnice accepts candidates before credentials with trickle). */
  g_assert_true (mcu_peer_add_remote_candidate (
      f->server.peer, "a=candidate:3 1 UDP 2122252543 127.0.0.1 40000 typ host generation 0", &error));
  g_assert_no_error (error);
  mcu_peer_close (f->server.peer);
  g_assert_cmpint (mcu_peer_get_state (f->server.peer), ==, MCU_PEER_STATE_CLOSED);
  g_assert_false (mcu_peer_gather (f->server.peer, &error));
  g_assert_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_STATE);
  mcu_peer_close (f->server.peer); /* idempotent */
  g_assert_cmpuint (f->server.n_states, ==, 1);

  McuPeerConfig config;
  mcu_peer_config_init (&config);
  config.stun_server = g_strdup ("stun.example.org");
  g_clear_error (&error);
  g_assert_null (mcu_peer_new (f->context, MCU_PEER_ROLE_SERVER, f->cert_server, &config, &callbacks,
                               &f->server, &error));
  g_assert_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_INVALID);
  mcu_peer_config_clear (&config);
}

static gboolean
server_gathered (Fixture *f, gconstpointer data)
{
  return ((const Side *) data)->gathered;
}

/* Config paths: loopback_too with no address list, a port range, a 1:1 NAT public address. */
static void
test_config_candidates (Fixture *f, gconstpointer data)
{
  McuPeerConfig config;
  g_autoptr (GError) error = NULL;
  Side side = { .name = "configured", .candidates = g_ptr_array_new_with_free_func (g_free) };
  gboolean loopback = FALSE, public = FALSE;

  mcu_peer_config_init (&config);
  g_assert_cmpuint (config.dtls_timeout_ms, ==, 10000);
  g_assert_cmpuint (config.stun_port, ==, 3478);
  g_assert_true (config.consent_freshness);
  config.loopback_too = TRUE;
  config.port_min = 47000;
  config.port_max = 47999;
  config.public_address = g_strdup ("192.0.2.1");
  side.peer = mcu_peer_new (f->context, MCU_PEER_ROLE_SERVER, f->cert_server, &config, &callbacks,
                            &side, &error);
  g_assert_no_error (error);
  mcu_peer_config_clear (&config);
  g_assert_true (mcu_peer_gather (side.peer, &error));
  g_assert_true (wait_for (f, server_gathered, &side, WAIT_MS));
  for (guint i = 0; i < side.candidates->len; i++) {
    g_auto (GStrv) t = g_strsplit (side.candidates->pdata[i], " ", -1);
    guint64 port = g_ascii_strtoull (t[5], NULL, 10);
    g_assert_cmpuint (port, >=, 47000);
    g_assert_cmpuint (port, <=, 47999);
    loopback |= g_str_equal (t[4], "127.0.0.1");
    public |= g_str_equal (t[4], "192.0.2.1");
  }
  g_assert_true (loopback);
  g_assert_true (public);
  g_auto (GStrv) again = mcu_peer_get_local_candidates (side.peer);
  g_assert_cmpuint (g_strv_length (again), ==, side.candidates->len);
  mcu_peer_unref (side.peer);
  g_ptr_array_unref (side.candidates);
  g_free (side.last_reason);
}

/* ICE-lite: a site nothing comes from is DISCONNECTED after the port's silence limit (1 s here),
 * and nothing more is sent to it; its next packet brings it back and the server sends again. */
static void
test_lite_silent (Fixture *f, gconstpointer data)
{
  guint8 buf[MCU_PEER_MAX_PACKET];

  connect_peers (f);
  g_assert_true (wait_for (f, server_disconnected, NULL, WAIT_MS));
  g_assert_nonnull (strstr (f->server.last_reason, "nothing came"));
  g_assert_cmpint (mcu_peer_send_rtp (f->server.peer, buf, make_rtp (buf, 1, 10)), ==, -EAGAIN);

  send_burst (&f->client, 10, 5);
  Counts back = { &f->server, 5, 1 };
  g_assert_true (wait_for (f, received_at_least, &back, WAIT_MS));
  g_assert_cmpint (mcu_peer_get_state (f->server.peer), ==, MCU_PEER_STATE_CONNECTED);
  send_burst (&f->server, 500, 5);
  Counts at_client = { &f->client, 5, 1 };
  g_assert_true (wait_for (f, received_at_least, &at_client, WAIT_MS));
  g_assert_cmpuint (f->server.bad_content + f->client.bad_content, ==, 0);
}

/* A binding request as a site's agent sends it, USERNAME "@ufrag:site", MESSAGE-INTEGRITY with
 * @pwd (NULL: none); returns its length. */
static gsize
make_check (guint8 *buf, gsize size, const char *ufrag, const char *pwd)
{
  static const uint16_t attributes[] = { STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
                                         STUN_ATTRIBUTE_PRIORITY, STUN_ATTRIBUTE_ICE_CONTROLLING,
                                         STUN_ATTRIBUTE_FINGERPRINT, 0 };
  StunAgent agent;
  StunMessage msg;
  g_autofree char *username = g_strconcat (ufrag, ":site", NULL);

  stun_agent_init (&agent, attributes, STUN_COMPATIBILITY_RFC5389,
                   STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
  g_assert_true (stun_agent_init_request (&agent, &msg, buf, size, STUN_BINDING));
  g_assert_cmpint (stun_message_append_string (&msg, STUN_ATTRIBUTE_USERNAME, username), ==, STUN_MESSAGE_RETURN_SUCCESS);
  g_assert_cmpint (stun_message_append32 (&msg, STUN_ATTRIBUTE_PRIORITY, 12345), ==, STUN_MESSAGE_RETURN_SUCCESS);
  g_assert_cmpint (stun_message_append64 (&msg, STUN_ATTRIBUTE_ICE_CONTROLLING, 42), ==, STUN_MESSAGE_RETURN_SUCCESS);
  return stun_agent_finish_message (&agent, &msg, (const uint8_t *) pwd, pwd != NULL ? strlen (pwd) : 0);
}

/* Sends @len bytes of @buf from @socket to the port; returns the STUN class of the answer, or -1
 * when none came within 300 ms (the port answers at once on loopback). */
static int
check_answer (Fixture *f, GSocket *socket, GSocketAddress *port, const guint8 *buf, gsize len)
{
  g_autoptr (GError) error = NULL;
  guint8 reply[1500];
  gint64 deadline = g_get_monotonic_time () + 300 * 1000;

  g_socket_send_to (socket, port, (const gchar *) buf, len, NULL, &error);
  g_assert_no_error (error);
  while (g_get_monotonic_time () < deadline) {
    gssize n = g_socket_receive (socket, (gchar *) reply, sizeof reply, NULL, NULL);
    if (n >= 20)
      return (reply[0] & 0x01) << 1 | (reply[1] & 0x10) >> 4; /* the class bits C1 C0 */
    g_main_context_iteration (f->context, FALSE);
  }
  return -1;
}

/* ICE-lite on bad STUN: an unknown ufrag, a wrong password or no MESSAGE-INTEGRITY get an error
 * response (class 3) and teach the port nothing; broken STUN and non-STUN from strangers get no
 * answer; the right credentials get a success response (class 2) — from any address, as a site's
 * new candidate would. The connected site is not disturbed. */
static void
test_lite_stun (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_autoptr (GSocketAddress) port = g_inet_socket_address_new_from_string ("127.0.0.1", mcu_ice_port_get_port (f->port));
  const char *ufrag, *pwd;
  McuIcePortStats before, after;
  guint8 buf[600];
  gsize len;

  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  connect_peers (f);
  mcu_peer_get_local_credentials (f->server.peer, &ufrag, &pwd);
  mcu_ice_port_get_stats (f->port, &before);

  len = make_check (buf, sizeof buf, "nosuchufrag", pwd);
  g_assert_cmpint (check_answer (f, socket, port, buf, len), ==, 3);
  len = make_check (buf, sizeof buf, ufrag, "wrongpasswordwrongpassword");
  g_assert_cmpint (check_answer (f, socket, port, buf, len), ==, 3);
  len = make_check (buf, sizeof buf, ufrag, NULL);
  g_assert_cmpint (check_answer (f, socket, port, buf, len), ==, 3);
  len = make_check (buf, sizeof buf, ufrag, pwd);
  buf[len - 1] ^= 1;   /* a broken FINGERPRINT */
  g_assert_cmpint (check_answer (f, socket, port, buf, len), ==, -1);
  g_assert_cmpint (check_answer (f, socket, port, buf, 19), ==, -1);
  mcu_ice_port_get_stats (f->port, &after);
  g_assert_cmpuint (after.unauthorized - before.unauthorized, ==, 3);
  g_assert_cmpuint (after.bad_stun - before.bad_stun, ==, 2);
  g_assert_cmpuint (after.checks, ==, before.checks);

  /* Not yet checked: its SRTP-looking datagrams are nobody's. */
  buf[0] = 0x80;
  g_assert_cmpint (check_answer (f, socket, port, buf, 100), ==, -1);
  mcu_ice_port_get_stats (f->port, &after);
  g_assert_cmpuint (after.unknown_source - before.unknown_source, ==, 1);

  len = make_check (buf, sizeof buf, ufrag, pwd);
  g_assert_cmpint (check_answer (f, socket, port, buf, len), ==, 2);
  mcu_ice_port_get_stats (f->port, &after);
  g_assert_cmpuint (after.checks - before.checks, ==, 1);

  /* A keepalive (binding indication, no credentials) is taken quietly: no answer, nothing counted. */
  StunAgent agent;
  StunMessage msg;
  static const uint16_t fingerprint_only[] = { STUN_ATTRIBUTE_FINGERPRINT, 0 };
  stun_agent_init (&agent, fingerprint_only, STUN_COMPATIBILITY_RFC5389, STUN_AGENT_USAGE_USE_FINGERPRINT);
  g_assert_true (stun_agent_init_indication (&agent, &msg, buf, sizeof buf, STUN_BINDING));
  len = stun_agent_finish_message (&agent, &msg, NULL, 0);
  g_assert_cmpint (check_answer (f, socket, port, buf, len), ==, -1);
  mcu_ice_port_get_stats (f->port, &before);
  g_assert_cmpuint (before.unauthorized, ==, after.unauthorized);
  g_assert_cmpuint (before.bad_stun, ==, after.bad_stun);

  /* The site's own pair (it was nominated) is still the one in use. */
  send_burst (&f->server, 700, 5);
  Counts at_client = { &f->client, 5, 1 };
  g_assert_true (wait_for (f, received_at_least, &at_client, WAIT_MS));
  g_assert_cmpint (mcu_peer_get_state (f->server.peer), ==, MCU_PEER_STATE_CONNECTED);
}

/* Reads from @socket until it has @want bytes or the server closed it (returns what came). */
static gsize
tcp_read (Fixture *f, GSocket *socket, guint8 *buf, gsize want)
{
  gsize got = 0;
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  while (got < want && g_get_monotonic_time () < deadline) {
    gssize n = g_socket_receive (socket, (gchar *) buf + got, want - got, NULL, NULL);
    if (n == 0)
      break;
    if (n > 0)
      got += (gsize) n;
    g_main_context_iteration (f->context, FALSE);
  }
  return got;
}

/* ICE-lite's TCP side on bad input: a check with an unknown ufrag gets a framed error response on
 * the connection; a frame longer than any datagram ends the connection (its framing cannot be
 * trusted after it). The connected site is not disturbed. */
static void
test_lite_tcp_garbage (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) port = NULL;
  const char *pwd;
  guint8 buf[600], reply[1500];
  static const guint8 huge[] = { 0xff, 0xff, 0x80, 0x60 };
  McuIcePortStats before, after;
  gsize len;

  remake_peers_with_tcp (f);
  exchange_only (f, mcu_certificate_get_fingerprint (f->cert_client), " tcp ");
  g_assert_true (wait_for (f, both_connected, NULL, WAIT_MS));
  mcu_ice_port_get_stats (f->port, &before);
  port = g_inet_socket_address_new_from_string ("127.0.0.1", mcu_ice_port_get_port (f->port));
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_connect (socket, port, NULL, &error));
  g_socket_set_blocking (socket, FALSE);

  mcu_peer_get_local_credentials (f->server.peer, NULL, &pwd);
  len = make_check (buf + 2, sizeof buf - 2, "nosuchufrag", pwd);
  buf[0] = (guint8) (len >> 8), buf[1] = (guint8) len;
  g_assert_cmpint (g_socket_send (socket, (const gchar *) buf, len + 2, NULL, &error), ==, (gssize) len + 2);
  g_assert_cmpuint (tcp_read (f, socket, reply, 2 + 20), ==, 2 + 20);
  g_assert_cmpuint ((reply[2] & 0x01) << 1 | (reply[3] & 0x10) >> 4, ==, 3);  /* an error response */

  g_socket_send (socket, (const gchar *) huge, sizeof huge, NULL, &error);
  g_assert_no_error (error);
  while (tcp_read (f, socket, reply, sizeof reply) == sizeof reply)
    ;   /* the rest of the error response, then the end */
  g_assert_cmpint (g_socket_receive (socket, (gchar *) reply, sizeof reply, NULL, NULL), ==, 0); /* closed */
  mcu_ice_port_get_stats (f->port, &after);
  g_assert_cmpuint (after.tcp_connections - before.tcp_connections, ==, 1);
  g_assert_cmpuint (after.unauthorized - before.unauthorized, ==, 1);
  g_assert_cmpuint (after.bad_stun - before.bad_stun, ==, 1);

  send_burst (&f->server, 1, 5);
  Counts at_client = { &f->client, 5, 1 };
  g_assert_true (wait_for (f, received_at_least, &at_client, WAIT_MS));
  g_assert_cmpint (mcu_peer_get_state (f->server.peer), ==, MCU_PEER_STATE_CONNECTED);
}

/* An ICE address the machine does not have (192.0.2.0/24 is documentation-only) is left out of
 * the room's port, not a reason to have none; with no usable address at all it is an error. */
static void
test_lite_missing_address (void)
{
  static const char *const some[] = { "192.0.2.99", "127.0.0.1", NULL };
  static const char *const none[] = { "192.0.2.99", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (McuIcePort) port = mcu_ice_port_new (NULL, some, 0, 0, TRUE, 1000, &error);
  g_auto (GStrv) lines = NULL;

  g_assert_no_error (error);
  lines = mcu_ice_port_get_candidates (port, NULL);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);   /* 127.0.0.1: UDP and TCP */
  g_assert_nonnull (strstr (lines[0], " udp 2130706431 127.0.0.1 "));
  g_assert_nonnull (strstr (lines[1], " tcp "));
  g_assert_null (mcu_ice_port_new (NULL, none, 0, 0, FALSE, 1000, &error));
  g_assert_nonnull (error);
}

static void
test_candidate_lines (void)
{
  static const struct {
    const char *in, *out;
  } cases[] = {
    { "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.2 rport 46154 generation 0 ufrag EsAw network-cost 999",
      "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.2 rport 46154" },
    { "a=candidate:1 1 TCP 1518280447 192.168.1.5 9 typ host tcptype active generation 0",
      "candidate:1 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active" },
    { "candidate:2 1 tcp 1518280447 192.168.1.5 443 typ host tcptype passive",
      "candidate:2 1 tcp 1518280447 192.168.1.5 443 typ host tcptype passive" },
    { "candidate:3 1 udp 2122262783 2001:db8::1 50000 typ host",
      "candidate:3 1 udp 2122262783 2001:db8::1 50000 typ host" },
    { "candidate:4 1 udp 41885439 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 50000",
      "candidate:4 1 udp 41885439 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 50000" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    NiceCandidate *c = mcu_ice_candidate_parse (cases[i].in, 7, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (c->stream_id, ==, 7);
    g_autofree char *out = mcu_ice_candidate_to_string (c);
    g_assert_cmpstr (out, ==, cases[i].out);
    if (i == 0) {
      g_autofree char *nat = mcu_ice_candidate_to_string_with_address (c, "192.0.2.1");
      g_assert_true (g_str_has_prefix (nat, "candidate:842163049n 1 udp 1677729535 192.0.2.1 46154"));
    }
    nice_candidate_free (c);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/peer/candidate-lines", test_candidate_lines);
  g_test_add_func ("/peer/lite/missing-address", test_lite_missing_address);
  g_test_add ("/peer/connect-media-close", Fixture, NULL, fixture_setup, test_connect_media, fixture_teardown);
  g_test_add ("/peer/arrival-time", Fixture, NULL, fixture_setup, test_arrival_time, fixture_teardown);
  g_test_add ("/peer/trickle", Fixture, NULL, fixture_setup, test_trickle, fixture_teardown);
  g_test_add ("/peer/batch", Fixture, NULL, fixture_setup, test_batch, fixture_teardown);
  g_test_add ("/peer/tcp-pair", Fixture, NULL, fixture_setup, test_tcp_pair, fixture_teardown);
  g_test_add ("/peer/ice-restart", Fixture, NULL, fixture_setup, test_ice_restart, fixture_teardown);
  g_test_add ("/peer/garbage", Fixture, NULL, fixture_setup, test_garbage, fixture_teardown);
  g_test_add ("/peer/wrong-fingerprint", Fixture, NULL, fixture_setup, test_wrong_fingerprint, fixture_teardown);
  g_test_add ("/peer/dtls-timeout", Fixture, GUINT_TO_POINTER (1500), fixture_setup, test_dtls_timeout, fixture_teardown);
  g_test_add ("/peer/config-candidates", Fixture, NULL, fixture_setup, test_config_candidates, fixture_teardown);
  g_test_add ("/peer/bad-input", Fixture, NULL, fixture_setup, test_bad_input, fixture_teardown);
  /* The same with an ICE-lite server on a shared port (the mcu's [ice] lite). */
  g_test_add ("/peer/lite/connect-media-close", Fixture, NULL, fixture_setup_lite, test_connect_media, fixture_teardown);
  g_test_add ("/peer/lite/arrival-time", Fixture, NULL, fixture_setup_lite, test_arrival_time, fixture_teardown);
  g_test_add ("/peer/lite/trickle", Fixture, NULL, fixture_setup_lite, test_trickle, fixture_teardown);
  g_test_add ("/peer/lite/batch", Fixture, NULL, fixture_setup_lite, test_batch, fixture_teardown);
  g_test_add ("/peer/lite/tcp-pair", Fixture, NULL, fixture_setup_lite, test_tcp_pair, fixture_teardown);
  g_test_add ("/peer/lite/ice-restart", Fixture, NULL, fixture_setup_lite, test_ice_restart, fixture_teardown);
  g_test_add ("/peer/lite/garbage", Fixture, NULL, fixture_setup_lite, test_garbage, fixture_teardown);
  g_test_add ("/peer/lite/wrong-fingerprint", Fixture, NULL, fixture_setup_lite, test_wrong_fingerprint, fixture_teardown);
  g_test_add ("/peer/lite/bad-input", Fixture, NULL, fixture_setup_lite, test_bad_input, fixture_teardown);
  g_test_add ("/peer/lite/silent", Fixture, NULL, fixture_setup_lite, test_lite_silent, fixture_teardown);
  g_test_add ("/peer/lite/stun", Fixture, NULL, fixture_setup_lite, test_lite_stun, fixture_teardown);
  g_test_add ("/peer/lite/tcp-garbage", Fixture, NULL, fixture_setup_lite, test_lite_tcp_garbage, fixture_teardown);
  return g_test_run ();
}
