/* SPDX-License-Identifier: MIT */
/*
 * McuPeer: ICE (libnice, or ICE-lite on a room's shared port), DTLS-SRTP (dtls.c, srtp.c) and
 * demultiplexing for one site.
 *
 * ICE-lite (server role with config.ice_port, the mcu's default): no libnice agent. The room's
 * McuIcePort answers the site's checks with this peer's credentials and hands over what comes
 * from the addresses that passed; the candidates are the port's; the site's agent nominates and
 * the peer sends to the address it nominated (before any nomination: the last that checked), over
 * the port's UDP socket or its ICE-TCP connection. A site nothing came from for the port's
 * silence limit is DISCONNECTED until something comes again. The rest of this comment describes
 * the libnice agent, which the client role (load generator) and [ice] lite = false use.
 *
 * ICE: a full RFC 8445 agent with trickle, one stream with one component (BUNDLE + rtcp-mux);
 * controlled in the server role, controlling (regular nomination) in the client role. Host
 * candidates on the configured addresses, STUN/TURN from the config, optional ICE-TCP, a 1:1 NAT
 * public address advertised as an extra host candidate. ICE restart keeps the selected pair, so
 * media does not stop while the new checks run. With consent freshness (RFC 7675, default on)
 * libnice notices a site that went silent (30 s) and the peer reports DISCONNECTED; without it a
 * vanished site is only noticed by the media layer (no RTCP).
 * DTLS starts when ICE first connects (the client sends its ClientHello; the server answers the
 * first ClientHello even if its own checks have not finished). Retransmissions run from a
 * GSource re-armed from DTLSv1_get_timeout; a deadline GSource fails the peer if DTLS has not
 * finished dtls_timeout_ms after the remote description was set, or after ICE first connected
 * when that came later.
 * Receive path (libnice's recv callback, the peer's context): first byte → STUN (libnice already
 * answered real checks; counted), DTLS (handshake, alerts), SRTP/SRTCP (copied to a receive
 * buffer, unprotected in place, handed to on_rtp/on_rtcp with the kernel's receive time, see
 * arrival_time); anything else counted and dropped.
 * Send path: copy into a scratch buffer, protect, then straight to the selected UDP pair's socket
 * (udp-batch.c; in batches when the caller opens one) while ICE is connected on a UDP pair, else
 * nice_agent_send (TCP and relayed pairs). Neither allocates nor logs.
 * Threads: everything on the peer's GMainContext (see peer.h).
 */
#define G_LOG_DOMAIN "mcu-peer"

#include "peer.h"

#include "demux.h"
#include "dtls.h"
#include "ice.h"
#include "srtp.h"
#include "udp-batch.h"

#include <errno.h>
#include <linux/sockios.h>
#include <nice/agent.h>
#include <nice/interfaces.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#define COMPONENT 1
#define DEFAULT_STUN_PORT 3478
#define DEFAULT_DTLS_TIMEOUT_MS 10000
#define BUFFER_SIZE (MCU_PEER_MAX_PACKET + MCU_SRTP_TRAILER_SPACE)
#define MAX_SOURCE_SCAN 4096u  /* source ids looked at by let_socket_sources_recurse, at most */
#define MAX_REMOTE_CANDIDATES 32u /* lite: remote candidates kept to name the selected address's type */
#define ICE_MAX_RETRANSMISSIONS 4u   /* copies of each connectivity check (libnice: 3), see configure_agent */

struct _McuPeer {
  GMainContext *context;
  McuPeerRole role;
  McuCertificate *cert;
  McuPeerConfig config;
  McuPeerCallbacks callbacks;
  gpointer user_data;

  NiceAgent *agent;       /* NULL in lite mode */
  guint stream_id;
  gboolean lite;          /* ICE-lite on config.ice_port (server role) */
  McuIcePortEntry *lite_entry; /* our credentials on the port; NULL once shut down */
  GPtrArray *remote_candidates; /* lite: NiceCandidate*, to name the type of a checking address */
  gboolean nominated;     /* lite: the selected address came with USE-CANDIDATE */
  guint64 lite_tcp;       /* lite: the port's ICE-TCP connection in use; 0 = UDP */
  char *local_ufrag, *local_pwd;
  NiceComponentState ice_state;
  gboolean remote_set;
  gboolean ice_was_connected;
  gboolean closed;

  McuDtls *dtls;
  McuSrtp *srtp;
  McuSrtpProfile profile;
  GSource *dtls_timer;    /* DTLS retransmission */
  GSource *dtls_deadline; /* dtls_timeout_ms */

  int selected_fd;        /* the selected pair's UDP socket (kernel receive times), or -1 */
  struct sockaddr_storage selected_remote;  /* its remote address, for sending past libnice */
  socklen_t selected_remote_len;            /* 0: the pair is not plain UDP (TCP, relayed) */
  McuUdpBatch *udp;       /* direct sends on the selected pair while ICE is connected */
  guint source_scan_from; /* sources of peer->context from this id on may be libnice's sockets */
  gint64 arrival_us;      /* when the packet being delivered reached the socket */
  gint64 last_stamp_ns;   /* the kernel stamp arrival_us came from (a repeat is another socket's) */

  McuPeerState state;
  McuPeerStats stats;     /* counters; strings filled in by mcu_peer_get_stats */
  guint8 send_buf[BUFFER_SIZE];
  guint8 recv_buf[BUFFER_SIZE];
};

G_DEFINE_QUARK (mcu-peer-error-quark, mcu_peer_error)

/* ---- configuration ---- */

void
mcu_peer_config_init (McuPeerConfig *config)
{
  memset (config, 0, sizeof *config);
  config->stun_port = DEFAULT_STUN_PORT;
  config->turn_port = DEFAULT_STUN_PORT;
  config->dtls_timeout_ms = DEFAULT_DTLS_TIMEOUT_MS;
  config->consent_freshness = TRUE;
}

void
mcu_peer_config_clear (McuPeerConfig *config)
{
  g_clear_pointer (&config->ice_addresses, g_strfreev);
  g_clear_pointer (&config->public_address, g_free);
  g_clear_pointer (&config->stun_server, g_free);
  g_clear_pointer (&config->turn_server, g_free);
  g_clear_pointer (&config->turn_user, g_free);
  g_clear_pointer (&config->turn_pass, g_free);
  g_clear_pointer (&config->ice_port, mcu_ice_port_unref);
}

static void
config_copy (McuPeerConfig *dst, const McuPeerConfig *src)
{
  *dst = *src;
  dst->ice_addresses = g_strdupv (src->ice_addresses);
  dst->public_address = g_strdup (src->public_address);
  dst->stun_server = g_strdup (src->stun_server);
  dst->turn_server = g_strdup (src->turn_server);
  dst->turn_user = g_strdup (src->turn_user);
  dst->turn_pass = g_strdup (src->turn_pass);
  dst->ice_port = src->ice_port != NULL ? mcu_ice_port_ref (src->ice_port) : NULL;
  if (dst->dtls_timeout_ms == 0)
    dst->dtls_timeout_ms = DEFAULT_DTLS_TIMEOUT_MS;
}

const char *
mcu_peer_state_name (McuPeerState state)
{
  static const char *const names[] = { "new", "connecting", "connected", "disconnected",
                                       "failed", "closed" };

  return (guint) state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

/* ---- state ---- */

static gboolean
is_final (McuPeerState state)
{
  return state == MCU_PEER_STATE_FAILED || state == MCU_PEER_STATE_CLOSED;
}

static gboolean
ice_is_connected (const McuPeer *peer)
{
  return peer->ice_state == NICE_COMPONENT_STATE_CONNECTED || peer->ice_state == NICE_COMPONENT_STATE_READY;
}

static void
set_state (McuPeer *peer, McuPeerState state, const char *reason)
{
  if (peer->state == state || is_final (peer->state))
    return;
  g_debug ("peer %p: %s -> %s (%s)", (void *) peer, mcu_peer_state_name (peer->state),
           mcu_peer_state_name (state), reason);
  peer->state = state;
  if (peer->callbacks.on_state != NULL)
    peer->callbacks.on_state (peer, state, reason, peer->user_data);
}

static void
clear_source (GSource **source)
{
  if (*source != NULL) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static GSource *
add_timeout (McuPeer *peer, guint ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, peer, NULL);
  g_source_attach (source, peer->context);
  return source;
}

static void stop_timers (McuPeer *peer);

static void
fail (McuPeer *peer, const char *reason)
{
  stop_timers (peer);
  set_state (peer, MCU_PEER_STATE_FAILED, reason);
}

/* One datagram to the site: on the selected UDP pair's socket when there is one (always so in
 * lite mode), else through libnice (TCP and relayed pairs; it refuses while no pair works). */
static int
send_datagram (McuPeer *peer, const guint8 *data, gsize len)
{
  if (peer->lite_tcp != 0) {
    return ice_is_connected (peer) && !peer->closed
               ? mcu_ice_port_send_tcp (peer->config.ice_port, peer->lite_tcp, data, len)
               : -ENOTCONN;
  }
  if (mcu_udp_batch_has_target (peer->udp))
    return mcu_udp_batch_send (peer->udp, data, len);
  if (peer->lite)
    return -ENOTCONN;
  return nice_agent_send (peer->agent, peer->stream_id, COMPONENT, (guint) len, (const gchar *) data);
}

/* ---- DTLS ---- */

static void
dtls_send (const guint8 *data, gsize len, gpointer user_data)
{
  McuPeer *peer = user_data;

  peer->stats.dtls_out++;
  if (send_datagram (peer, data, len) < 0)
    peer->stats.send_failures++; /* no pair yet: the DTLS timer sends the flight again */
}

static gboolean dtls_timer_fired (gpointer data);

static void
rearm_dtls_timer (McuPeer *peer)
{
  gint64 ms = mcu_dtls_get_timeout_ms (peer->dtls);

  clear_source (&peer->dtls_timer);
  if (ms >= 0)
    peer->dtls_timer = add_timeout (peer, (guint) MIN (ms, G_MAXUINT) + 1, dtls_timer_fired);
}

static void
dtls_connected (McuPeer *peer)
{
  McuSrtpKeys keys;
  g_autoptr (GError) error = NULL;

  clear_source (&peer->dtls_deadline);
  if (!mcu_dtls_get_srtp_keys (peer->dtls, &keys) ||
      (peer->srtp = mcu_srtp_new (&keys, &error)) == NULL) {
    fail (peer, error != NULL ? error->message : "no SRTP keys");
    return;
  }
  peer->profile = keys.profile;
  memset (&keys, 0, sizeof keys);
  if (peer->ice_state == NICE_COMPONENT_STATE_FAILED)
    set_state (peer, MCU_PEER_STATE_DISCONNECTED, "DTLS connected but ICE failed");
  else
    set_state (peer, MCU_PEER_STATE_CONNECTED, "DTLS connected, SRTP keyed");
}

/* Acts on the DTLS state after it may have changed. */
static void
dtls_update (McuPeer *peer)
{
  switch (mcu_dtls_get_state (peer->dtls)) {
  case MCU_DTLS_STATE_CONNECTED:
    if (peer->srtp == NULL)
      dtls_connected (peer);
    clear_source (&peer->dtls_timer);
    break;
  case MCU_DTLS_STATE_FAILED:
    fail (peer, mcu_dtls_get_error (peer->dtls));
    break;
  case MCU_DTLS_STATE_CLOSED:
    stop_timers (peer);
    set_state (peer, MCU_PEER_STATE_CLOSED, "remote closed DTLS (close_notify)");
    break;
  case MCU_DTLS_STATE_NEW:
  case MCU_DTLS_STATE_HANDSHAKING:
  default:
    rearm_dtls_timer (peer);
    break;
  }
}

static gboolean
dtls_timer_fired (gpointer data)
{
  McuPeer *peer = mcu_peer_ref (data);

  g_clear_pointer (&peer->dtls_timer, g_source_unref);
  mcu_dtls_handle_timeout (peer->dtls);
  dtls_update (peer);
  mcu_peer_unref (peer);
  return G_SOURCE_REMOVE;
}

static gboolean
dtls_deadline_fired (gpointer data)
{
  McuPeer *peer = mcu_peer_ref (data);
  g_autofree char *reason = g_strdup_printf ("DTLS did not finish within %u ms (%s)",
                                             peer->config.dtls_timeout_ms,
                                             ice_is_connected (peer) ? "ICE was connected"
                                                                     : "ICE never connected");

  g_clear_pointer (&peer->dtls_deadline, g_source_unref);
  if (mcu_dtls_get_state (peer->dtls) != MCU_DTLS_STATE_CONNECTED)
    fail (peer, reason);
  mcu_peer_unref (peer);
  return G_SOURCE_REMOVE;
}

static void
stop_timers (McuPeer *peer)
{
  clear_source (&peer->dtls_timer);
  clear_source (&peer->dtls_deadline);
}

/* ---- receive path ---- */

static void
receive_srtp (McuPeer *peer, const guint8 *data, gsize len, gboolean rtcp)
{
  int n;

  if (peer->srtp == NULL) {
    peer->stats.not_ready++;
    return;
  }
  if (len > sizeof peer->recv_buf) {
    peer->stats.malformed++;
    return;
  }
  memcpy (peer->recv_buf, data, len);
  n = rtcp ? mcu_srtp_unprotect_rtcp (peer->srtp, peer->recv_buf, len)
           : mcu_srtp_unprotect_rtp (peer->srtp, peer->recv_buf, len);
  if (n < 0) {
    if (n == -EALREADY)
      peer->stats.replayed++;
    else if (n == -EBADMSG)
      peer->stats.decrypt_failures++;
    else
      peer->stats.malformed++;
    return;
  }
  peer->stats.packets_in++;
  peer->stats.bytes_in += len;
  if (rtcp) {
    peer->stats.rtcp_in++;
    if (peer->callbacks.on_rtcp != NULL)
      peer->callbacks.on_rtcp (peer, peer->recv_buf, (gsize) n, peer->user_data);
  } else {
    peer->stats.rtp_in++;
    if (peer->callbacks.on_rtp != NULL)
      peer->callbacks.on_rtp (peer, peer->recv_buf, (gsize) n, peer->user_data);
  }
}

static void
receive_dtls (McuPeer *peer, const guint8 *data, gsize len)
{
  guint64 malformed = mcu_dtls_get_malformed (peer->dtls);

  peer->stats.dtls_in++;
  mcu_dtls_handle_datagram (peer->dtls, data, len);
  peer->stats.malformed += mcu_dtls_get_malformed (peer->dtls) - malformed;
  dtls_update (peer);
}

/* When the packet libnice just read reached its socket, on the monotonic clock: the kernel's receive
 * time (SIOCGSTAMPNS, the last packet read on the selected socket, which libnice reads one at a time
 * before calling us) when there is one, else now. What jitter buffers and transport-wide feedback
 * need: how late the network delivered, not how long this thread took to get to it. */
static gint64
arrival_time (McuPeer *peer)
{
  gint64 now = g_get_monotonic_time (), stamp_ns;
  struct timespec stamp, real;

  if (peer->selected_fd < 0 || ioctl (peer->selected_fd, SIOCGSTAMPNS, &stamp) < 0 ||
      clock_gettime (CLOCK_REALTIME, &real) < 0)
    return now;
  /* The same stamp again: this packet came on another socket (another pair during ICE checks). */
  stamp_ns = (gint64) stamp.tv_sec * 1000000000 + stamp.tv_nsec;
  if (stamp_ns == peer->last_stamp_ns)
    return now;
  peer->last_stamp_ns = stamp_ns;
  return mcu_ice_stamp_to_monotonic (&stamp, now, &real);
}

gint64
mcu_peer_get_arrival_us (McuPeer *peer)
{
  return peer->arrival_us;
}

/* One datagram from the site (RFC 7983 demultiplexing). @stamped: peer->arrival_us is already its
 * receive time (lite: the port read it with the datagram), else it is asked for here. */
static void
receive_datagram (McuPeer *peer, const guint8 *bytes, gsize len, gboolean stamped)
{
  if (peer->closed)
    return;
  mcu_peer_ref (peer);
  switch (mcu_demux_classify (bytes, len)) {
  case MCU_DEMUX_STUN:
    peer->stats.stun_in++;
    break;
  case MCU_DEMUX_DTLS:
    receive_dtls (peer, bytes, len);
    break;
  case MCU_DEMUX_RTP:
    if (!stamped)
      peer->arrival_us = arrival_time (peer);
    receive_srtp (peer, bytes, len, FALSE);
    break;
  case MCU_DEMUX_RTCP:
    if (!stamped)
      peer->arrival_us = arrival_time (peer);
    receive_srtp (peer, bytes, len, TRUE);
    break;
  case MCU_DEMUX_MALFORMED_RTP:
  case MCU_DEMUX_UNKNOWN:
  default:
    peer->stats.malformed++;
    break;
  }
  mcu_peer_unref (peer);
}

static void
ice_recv (NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *buf,
          gpointer data)
{
  receive_datagram (data, (const guint8 *) buf, len, FALSE);
}

/* ---- send path ---- */

static int
send_protected (McuPeer *peer, const guint8 *packet, gsize len, gboolean rtcp)
{
  int n, sent;

  if (peer->srtp == NULL || peer->closed)
    return -ENOTCONN;
  if (packet == NULL || len > MCU_PEER_MAX_PACKET)
    return packet == NULL ? -EINVAL : -EMSGSIZE;
  memcpy (peer->send_buf, packet, len);
  n = rtcp ? mcu_srtp_protect_rtcp (peer->srtp, peer->send_buf, len, sizeof peer->send_buf)
           : mcu_srtp_protect_rtp (peer->srtp, peer->send_buf, len, sizeof peer->send_buf);
  if (n < 0) {
    peer->stats.send_failures++;
    return n;
  }
  sent = send_datagram (peer, peer->send_buf, (gsize) n);
  if (sent < 0) {
    peer->stats.send_failures++;
    return -EAGAIN;
  }
  peer->stats.packets_out++;
  peer->stats.bytes_out += (guint64) n;
  if (rtcp)
    peer->stats.rtcp_out++;
  else
    peer->stats.rtp_out++;
  return n;
}

int
mcu_peer_send_rtp (McuPeer *peer, const guint8 *packet, gsize len)
{
  return send_protected (peer, packet, len, FALSE);
}

int
mcu_peer_send_rtcp (McuPeer *peer, const guint8 *packet, gsize len)
{
  return send_protected (peer, packet, len, TRUE);
}

void
mcu_peer_begin_batch (McuPeer *peer)
{
  mcu_udp_batch_begin (peer->udp);
}

void
mcu_peer_flush_batch (McuPeer *peer)
{
  peer->stats.send_failures += mcu_udp_batch_flush (peer->udp);
}

int
mcu_peer_send_raw (McuPeer *peer, const guint8 *data, gsize len)
{
  int sent;

  if (peer->closed)
    return -ENOTCONN;
  if (data == NULL || len == 0 || len > G_MAXUINT16)
    return -EINVAL;
  sent = send_datagram (peer, data, len);
  return sent < 0 ? -EAGAIN : sent;
}

/* ---- ICE signals ---- */

static void
emit_candidate (McuPeer *peer, NiceCandidate *candidate)
{
  g_autofree char *line = mcu_ice_candidate_to_string (candidate);

  if (peer->callbacks.on_local_candidate == NULL)
    return;
  peer->callbacks.on_local_candidate (peer, line, peer->user_data);
  if (peer->config.public_address != NULL && candidate->type == NICE_CANDIDATE_TYPE_HOST &&
      candidate->transport == NICE_CANDIDATE_TRANSPORT_UDP) {
    g_autofree char *extra =
        mcu_ice_candidate_to_string_with_address (candidate, peer->config.public_address);
    peer->callbacks.on_local_candidate (peer, extra, peer->user_data);
  }
}

static void
on_new_candidate (NiceAgent *agent, NiceCandidate *candidate, gpointer data)
{
  McuPeer *peer = mcu_peer_ref (data);

  if (!peer->closed && candidate->stream_id == peer->stream_id)
    emit_candidate (peer, candidate);
  mcu_peer_unref (peer);
}

static void
on_gathering_done (NiceAgent *agent, guint stream_id, gpointer data)
{
  McuPeer *peer = mcu_peer_ref (data);

  if (!peer->closed && peer->callbacks.on_gathering_done != NULL)
    peer->callbacks.on_gathering_done (peer, peer->user_data);
  mcu_peer_unref (peer);
}

static void
format_address (const NiceAddress *addr, char *out, gsize size)
{
  char ip[NICE_ADDRESS_STRING_LEN];

  nice_address_to_string (addr, ip);
  if (strchr (ip, ':') != NULL)
    g_snprintf (out, size, "[%s]:%u", ip, nice_address_get_port (addr));
  else
    g_snprintf (out, size, "%s:%u", ip, nice_address_get_port (addr));
}

/* The id the next source attached to @context will have (about: ids only grow, skipping those in use). */
static guint
next_source_id (GMainContext *context)
{
  GSource *probe = g_idle_source_new ();
  guint id = g_source_attach (probe, context);

  g_source_destroy (probe);
  g_source_unref (probe);
  return id + 1;
}

/* GLib 2.74 takes a dispatched source's descriptors out of the poll set and puts them back after,
 * waking its own context each time: two eventfd writes and a read for every packet libnice reads,
 * a third of the media thread's system calls at 100 sites. A source allowed to recurse is left in
 * place. libnice's socket sources ("GSocket") are never dispatched recursively: no media thread
 * runs a nested main loop. Scans the ids attached since the last scan (the agent's sockets, and
 * other peers' on the same context, which are the same kind). Peer's context thread. */
static void
let_socket_sources_recurse (McuPeer *peer)
{
  guint end = next_source_id (peer->context);

  /* A pair selected long after gathering: its socket is among the newest sources. */
  if (end - peer->source_scan_from > MAX_SOURCE_SCAN)
    peer->source_scan_from = end - MAX_SOURCE_SCAN;
  for (guint id = peer->source_scan_from; id < end; id++) {
    GSource *source = g_main_context_find_source_by_id (peer->context, id);
    const char *name = source != NULL ? g_source_get_name (source) : NULL;

    if (name != NULL && strcmp (name, "GSocket") == 0)
      g_source_set_can_recurse (source, TRUE);
  }
  peer->source_scan_from = end;
}

/* Sends go past libnice on a plain UDP pair while ICE is connected; otherwise (checking, failed,
 * consent lost, TCP or relayed pairs) through nice_agent_send, which refuses what it must. */
static void
update_direct_send (McuPeer *peer)
{
  if (ice_is_connected (peer) && !peer->closed && peer->selected_remote_len > 0)
    mcu_udp_batch_set_target (peer->udp, peer->selected_fd, (struct sockaddr *) &peer->selected_remote,
                              peer->selected_remote_len);
  else
    mcu_udp_batch_set_target (peer->udp, -1, NULL, 0);
}

static void
on_selected_pair (NiceAgent *agent, guint stream_id, guint component_id, NiceCandidate *local,
                  NiceCandidate *remote, gpointer data)
{
  McuPeer *peer = data;
  GSocket *socket = nice_agent_get_selected_socket (agent, stream_id, component_id);
  struct timespec unused;

  peer->selected_fd = socket != NULL ? g_socket_get_fd (socket) : -1;
  /* The first SIOCGSTAMPNS turns the kernel's receive stamps on (a moment later): do it now. */
  if (peer->selected_fd >= 0)
    (void) ioctl (peer->selected_fd, SIOCGSTAMPNS, &unused);
  g_clear_object (&socket);
  peer->selected_remote_len = 0;
  if (peer->selected_fd >= 0 && local->transport == NICE_CANDIDATE_TRANSPORT_UDP &&
      local->type != NICE_CANDIDATE_TYPE_RELAYED) {
    nice_address_copy_to_sockaddr (&remote->addr, (struct sockaddr *) &peer->selected_remote);
    peer->selected_remote_len = nice_address_ip_version (&remote->addr) == 6
                                    ? sizeof (struct sockaddr_in6) : sizeof (struct sockaddr_in);
  }
  update_direct_send (peer);
  let_socket_sources_recurse (peer);
  peer->stats.has_selected_pair = TRUE;
  format_address (&local->addr, peer->stats.local_address, sizeof peer->stats.local_address);
  format_address (&remote->addr, peer->stats.remote_address, sizeof peer->stats.remote_address);
  peer->stats.local_type = mcu_ice_candidate_type_name (local->type);
  peer->stats.remote_type = mcu_ice_candidate_type_name (remote->type);
  peer->stats.transport = local->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp";
}

static void
ice_connected (McuPeer *peer)
{
  McuDtlsState dtls = mcu_dtls_get_state (peer->dtls);

  /* DTLS gets its whole dtls_timeout_ms from ICE's first connection: on a long lossy link ICE
   * alone can take seconds of it. The deadline from the remote description still catches an ICE
   * that never connects. */
  if (!peer->ice_was_connected && peer->dtls_deadline != NULL && dtls != MCU_DTLS_STATE_CONNECTED) {
    clear_source (&peer->dtls_deadline);
    peer->dtls_deadline = add_timeout (peer, peer->config.dtls_timeout_ms, dtls_deadline_fired);
  }
  peer->ice_was_connected = TRUE;
  if (dtls == MCU_DTLS_STATE_NEW) {
    mcu_dtls_start (peer->dtls);
    dtls_update (peer);
  } else if (dtls == MCU_DTLS_STATE_CONNECTED) {
    set_state (peer, MCU_PEER_STATE_CONNECTED, "ICE connected again");
  }
}

static void
on_component_state (NiceAgent *agent, guint stream_id, guint component_id, guint state,
                    gpointer data)
{
  McuPeer *peer = data;

  if (peer->closed || stream_id != peer->stream_id)
    return;
  mcu_peer_ref (peer);
  g_debug ("peer %p: ICE %s", (void *) peer, nice_component_state_to_string ((NiceComponentState) state));
  peer->ice_state = (NiceComponentState) state;
  update_direct_send (peer);
  if (state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) {
    ice_connected (peer);
  } else if (state == NICE_COMPONENT_STATE_FAILED) {
    if (peer->srtp != NULL)
      set_state (peer, MCU_PEER_STATE_DISCONNECTED, "ICE failed (restart it to recover)");
    else
      fail (peer, "ICE failed: no candidate pair worked");
  }
  mcu_peer_unref (peer);
}

/* ---- ICE-lite (config.ice_port, server role) ---- */

static void
format_sockaddr (const struct sockaddr *addr, char *out, gsize size)
{
  NiceAddress nice;

  nice_address_set_from_sockaddr (&nice, addr);
  format_address (&nice, out, size);
}

/* What the site said a checking address is (its own candidates), else peer-reflexive. */
static const char *
remote_type_of (McuPeer *peer, const struct sockaddr *from)
{
  NiceAddress addr;

  nice_address_set_from_sockaddr (&addr, from);
  for (guint i = 0; i < peer->remote_candidates->len; i++) {
    NiceCandidate *c = g_ptr_array_index (peer->remote_candidates, i);
    if (nice_address_equal (&c->addr, &addr))
      return mcu_ice_candidate_type_name (c->type);
  }
  return mcu_ice_candidate_type_name (NICE_CANDIDATE_TYPE_PEER_REFLEXIVE);
}

/* @connection: the port's ICE-TCP connection, 0 for UDP. */
static void
lite_select (McuPeer *peer, int fd, guint64 connection, const struct sockaddr *from, socklen_t from_len)
{
  peer->selected_fd = fd;
  peer->lite_tcp = connection;
  memcpy (&peer->selected_remote, from, MIN (from_len, sizeof peer->selected_remote));
  /* Only a UDP pair is a target for the datagram batch; TCP goes through the port (framing). */
  peer->selected_remote_len = connection == 0 ? MIN (from_len, sizeof peer->selected_remote) : 0;
  peer->stats.has_selected_pair = TRUE;
  g_strlcpy (peer->stats.local_address, mcu_ice_port_get_local_address (peer->config.ice_port, fd),
             sizeof peer->stats.local_address);
  format_sockaddr (from, peer->stats.remote_address, sizeof peer->stats.remote_address);
  peer->stats.local_type = mcu_ice_candidate_type_name (NICE_CANDIDATE_TYPE_HOST);
  peer->stats.remote_type = remote_type_of (peer, from);
  peer->stats.transport = connection == 0 ? "udp" : "tcp";
}

/* ICE-lite has no checks of its own: connected once the site's checks pass, ready once it nominated. */
static void
lite_mark_connected (McuPeer *peer)
{
  peer->ice_state = peer->nominated ? NICE_COMPONENT_STATE_READY : NICE_COMPONENT_STATE_CONNECTED;
  update_direct_send (peer);
}

/* A check passed (the port answered it). The site's agent chooses: its USE-CANDIDATE address is
 * ours until it nominates another; before any nomination the last address that checked is used,
 * so the DTLS handshake can start. */
static void
lite_on_check (gpointer owner, int fd, guint64 connection, const struct sockaddr *from, socklen_t from_len,
               gboolean nominated)
{
  McuPeer *peer = owner;
  gboolean was_connected = ice_is_connected (peer);

  if (peer->closed)
    return;
  mcu_peer_ref (peer);
  peer->stats.stun_in++;
  if (nominated || !peer->nominated || !was_connected) {
    lite_select (peer, fd, connection, from, from_len);
    peer->nominated = peer->nominated || nominated;
  }
  lite_mark_connected (peer);
  if (!was_connected) {
    g_debug ("peer %p: ICE-lite %s from %s", (void *) peer, mcu_ice_component_state_name (peer->ice_state),
             peer->stats.remote_address);
    ice_connected (peer);
  }
  mcu_peer_unref (peer);
}

static void
lite_on_packet (gpointer owner, guint8 *data, gsize len, gint64 arrival_us)
{
  McuPeer *peer = owner;

  /* Media again after a silence: the site is back on the address it had. */
  if (G_UNLIKELY (peer->ice_state == NICE_COMPONENT_STATE_FAILED) && !peer->closed) {
    lite_mark_connected (peer);
    ice_connected (peer);
  }
  peer->arrival_us = arrival_us;
  receive_datagram (peer, data, len, TRUE);
}

static void
lite_on_silent (gpointer owner)
{
  McuPeer *peer = owner;

  if (peer->closed || peer->ice_state == NICE_COMPONENT_STATE_FAILED)
    return;
  mcu_peer_ref (peer);
  peer->ice_state = NICE_COMPONENT_STATE_FAILED;
  update_direct_send (peer);   /* nothing more goes to a site that went quiet */
  if (peer->srtp != NULL)
    set_state (peer, MCU_PEER_STATE_DISCONNECTED, "nothing came from the site for a while");
  mcu_peer_unref (peer);
}

/* ICE ufrag (8) and pwd (24) from the ice-chars: RFC 8839 asks for at least 24 bits and 128 bits
 * of randomness; these carry 48 and 144. */
static char *
random_ice_string (guint length)
{
  static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *out = g_malloc (length + 1);

  for (guint i = 0; i < length; i++)
    out[i] = chars[g_random_int_range (0, 64)];
  out[length] = '\0';
  return out;
}

static void
lite_new_credentials (McuPeer *peer)
{
  g_free (peer->local_ufrag);
  g_free (peer->local_pwd);
  peer->local_ufrag = random_ice_string (8);
  peer->local_pwd = random_ice_string (24);
}

static void
lite_start (McuPeer *peer)
{
  McuIcePortCallbacks callbacks = {
    .on_packet = lite_on_packet,
    .on_check = lite_on_check,
    .on_silent = lite_on_silent,
  };

  peer->lite = TRUE;
  peer->remote_candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) nice_candidate_free);
  lite_new_credentials (peer);
  peer->lite_entry = mcu_ice_port_add (peer->config.ice_port, peer->local_ufrag, peer->local_pwd,
                                       &callbacks, peer);
}

static void
lite_gather (McuPeer *peer)
{
  g_auto (GStrv) lines = mcu_peer_get_local_candidates (peer);

  for (guint i = 0; lines[i] != NULL && peer->callbacks.on_local_candidate != NULL; i++)
    peer->callbacks.on_local_candidate (peer, lines[i], peer->user_data);
  if (peer->callbacks.on_gathering_done != NULL)
    peer->callbacks.on_gathering_done (peer, peer->user_data);
}

/* ---- construction ---- */

static gboolean
add_local_address (NiceAgent *agent, const char *text, GError **error)
{
  NiceAddress addr;

  if (!nice_address_set_from_string (&addr, text)) {
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_INVALID,
                 "ICE address '%s' is not an IP address", text);
    return FALSE;
  }
  nice_agent_add_local_address (agent, &addr);
  return TRUE;
}

/* libnice gathers on every non-loopback interface when given no address; once one is given
 * (127.0.0.1 for loopback_too) it uses only those, so the others are listed explicitly then. */
static gboolean
set_local_addresses (McuPeer *peer, GError **error)
{
  const McuPeerConfig *config = &peer->config;

  if (config->ice_addresses != NULL) {
    for (guint i = 0; config->ice_addresses[i] != NULL; i++)
      if (!add_local_address (peer->agent, config->ice_addresses[i], error))
        return FALSE;
    return TRUE;
  }
  if (!config->loopback_too)
    return TRUE;
  GList *ips = nice_interfaces_get_local_ips (FALSE);
  for (GList *l = ips; l != NULL; l = l->next)
    add_local_address (peer->agent, l->data, NULL);
  g_list_free_full (ips, g_free);
  return add_local_address (peer->agent, "127.0.0.1", error);
}

static gboolean
check_server_address (const char *what, const char *address, GError **error)
{
  if (address == NULL || g_hostname_is_ip_address (address))
    return TRUE;
  g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_INVALID,
               "%s '%s' must be an IP address (resolve names before creating peers)", what, address);
  return FALSE;
}

static gboolean
configure_agent (McuPeer *peer, GError **error)
{
  const McuPeerConfig *config = &peer->config;

  g_object_set (peer->agent, "controlling-mode", peer->role == MCU_PEER_ROLE_CLIENT, "ice-tcp",
                config->ice_tcp, "ice-udp", TRUE, NULL);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (peer->agent), "upnp") != NULL)
    g_object_set (peer->agent, "upnp", FALSE, NULL);
  /* libnice 0.1.21 sends a connectivity check at 0, 0.5 and 1.5 s and fails the pair at 2 s; on a
   * 600 ms round trip with 10 % loss each way (a rural site on a bad day) the third copy comes too
   * late to be answered and ICE failed in about one join in ten. Four transmissions (0, 0.5, 1.5,
   * 3.5 s; the pair fails at 5.5 s) give each check four chances. Only this property reaches the
   * checks (their first timeout is libnice's own 500 ms). */
  g_object_set (peer->agent, "stun-max-retransmissions", ICE_MAX_RETRANSMISSIONS, NULL);
  if (!check_server_address ("STUN server", config->stun_server, error) ||
      !check_server_address ("TURN server", config->turn_server, error) ||
      !check_server_address ("public address", config->public_address, error))
    return FALSE;
  if (config->stun_server != NULL)
    g_object_set (peer->agent, "stun-server", config->stun_server, "stun-server-port",
                  config->stun_port, NULL);
  if (!set_local_addresses (peer, error))
    return FALSE;
  peer->stream_id = nice_agent_add_stream (peer->agent, 1);
  if (peer->stream_id == 0) {
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_ICE, "nice_agent_add_stream failed");
    return FALSE;
  }
  if (config->port_min != 0 || config->port_max != 0)
    nice_agent_set_port_range (peer->agent, peer->stream_id, COMPONENT, config->port_min,
                               config->port_max);
  if (config->turn_server != NULL &&
      !nice_agent_set_relay_info (peer->agent, peer->stream_id, COMPONENT, config->turn_server,
                                  config->turn_port, config->turn_user ? config->turn_user : "",
                                  config->turn_pass ? config->turn_pass : "",
                                  NICE_RELAY_TYPE_TURN_UDP)) {
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_ICE, "TURN server %s:%u refused by libnice",
                 config->turn_server, config->turn_port);
    return FALSE;
  }
  return TRUE;
}

static void
connect_agent (McuPeer *peer)
{
  g_signal_connect (peer->agent, "component-state-changed", G_CALLBACK (on_component_state), peer);
  g_signal_connect (peer->agent, "new-candidate-full", G_CALLBACK (on_new_candidate), peer);
  g_signal_connect (peer->agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done), peer);
  g_signal_connect (peer->agent, "new-selected-pair-full", G_CALLBACK (on_selected_pair), peer);
  nice_agent_attach_recv (peer->agent, peer->stream_id, COMPONENT, peer->context, ice_recv, peer);
}

static void
refresh_credentials (McuPeer *peer)
{
  g_clear_pointer (&peer->local_ufrag, g_free);
  g_clear_pointer (&peer->local_pwd, g_free);
  nice_agent_get_local_credentials (peer->agent, peer->stream_id, &peer->local_ufrag,
                                    &peer->local_pwd);
}

McuPeer *
mcu_peer_new (GMainContext *context, McuPeerRole role, McuCertificate *cert,
              const McuPeerConfig *config, const McuPeerCallbacks *callbacks, gpointer user_data,
              GError **error)
{
  McuPeerConfig defaults;
  McuPeer *peer = g_atomic_rc_box_new0 (McuPeer);
  NiceAgentOption options = NICE_AGENT_OPTION_ICE_TRICKLE;

  mcu_peer_config_init (&defaults);
  peer->context = g_main_context_ref (context != NULL ? context : g_main_context_default ());
  peer->role = role;
  peer->selected_fd = -1;
  peer->udp = mcu_udp_batch_new ();
  peer->source_scan_from = next_source_id (peer->context);
  peer->cert = mcu_certificate_ref (cert);
  config_copy (&peer->config, config != NULL ? config : &defaults);
  if (callbacks != NULL)
    peer->callbacks = *callbacks;
  peer->user_data = user_data;
  peer->closed = TRUE; /* until fully built: nothing to close, no callbacks */
  if (role == MCU_PEER_ROLE_CLIENT)
    options |= NICE_AGENT_OPTION_REGULAR_NOMINATION;
  if (peer->config.consent_freshness)
    options |= NICE_AGENT_OPTION_CONSENT_FRESHNESS;
  if (role == MCU_PEER_ROLE_SERVER && peer->config.ice_port != NULL) {
    lite_start (peer);
  } else {
    peer->agent = nice_agent_new_full (peer->context, NICE_COMPATIBILITY_RFC5245, options);
    if (!configure_agent (peer, error)) {
      mcu_peer_unref (peer);
      return NULL;
    }
  }
  peer->dtls = mcu_dtls_new (cert, role == MCU_PEER_ROLE_CLIENT ? MCU_DTLS_ROLE_CLIENT
                                                                : MCU_DTLS_ROLE_SERVER,
                             NULL, dtls_send, peer, error);
  if (peer->dtls == NULL) {
    mcu_peer_unref (peer);
    return NULL;
  }
  if (!peer->lite) {
    connect_agent (peer);
    refresh_credentials (peer);
  }
  peer->closed = FALSE;
  return peer;
}

McuPeer *
mcu_peer_ref (McuPeer *peer)
{
  return g_atomic_rc_box_acquire (peer);
}

/* Stops everything without callbacks; safe while the refcount is already zero. */
static void
shut_down (McuPeer *peer)
{
  if (peer->closed)
    return;
  peer->closed = TRUE;
  mcu_udp_batch_set_target (peer->udp, -1, NULL, 0);
  stop_timers (peer);
  mcu_dtls_close (peer->dtls);
  if (peer->lite) {
    g_clear_pointer (&peer->lite_entry, mcu_ice_port_remove);
    return;
  }
  nice_agent_attach_recv (peer->agent, peer->stream_id, COMPONENT, peer->context, NULL, NULL);
  g_signal_handlers_disconnect_by_data (peer->agent, peer);
  nice_agent_close_async (peer->agent, NULL, NULL);
}

static void
peer_clear (gpointer data)
{
  McuPeer *peer = data;

  shut_down (peer);
  g_clear_pointer (&peer->lite_entry, mcu_ice_port_remove); /* a peer that never opened */
  g_clear_pointer (&peer->remote_candidates, g_ptr_array_unref);
  if (peer->agent != NULL) {
    g_signal_handlers_disconnect_by_data (peer->agent, peer);
    g_object_unref (peer->agent);
  }
  mcu_dtls_free (peer->dtls);
  mcu_srtp_free (peer->srtp);
  mcu_udp_batch_free (peer->udp);
  mcu_certificate_unref (peer->cert);
  mcu_peer_config_clear (&peer->config);
  g_free (peer->local_ufrag);
  g_free (peer->local_pwd);
  g_main_context_unref (peer->context);
}

void
mcu_peer_unref (McuPeer *peer)
{
  if (peer != NULL)
    g_atomic_rc_box_release_full (peer, peer_clear);
}

/* ---- control API ---- */

McuPeerRole
mcu_peer_get_role (McuPeer *peer)
{
  return peer->role;
}

gboolean
mcu_peer_is_lite (McuPeer *peer)
{
  return peer->lite;
}

McuPeerState
mcu_peer_get_state (McuPeer *peer)
{
  return peer->state;
}

void
mcu_peer_get_local_credentials (McuPeer *peer, const char **ufrag, const char **pwd)
{
  if (ufrag != NULL)
    *ufrag = peer->local_ufrag;
  if (pwd != NULL)
    *pwd = peer->local_pwd;
}

const char *
mcu_peer_get_local_fingerprint (McuPeer *peer)
{
  return mcu_certificate_get_fingerprint (peer->cert);
}

static gboolean
check_open (McuPeer *peer, GError **error)
{
  if (!peer->closed && !is_final (peer->state))
    return TRUE;
  g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_STATE, "the peer is %s",
               mcu_peer_state_name (peer->state));
  return FALSE;
}

gboolean
mcu_peer_gather (McuPeer *peer, GError **error)
{
  if (!check_open (peer, error))
    return FALSE;
  if (peer->lite) {
    lite_gather (peer);
    return TRUE;
  }
  if (!nice_agent_gather_candidates (peer->agent, peer->stream_id)) {
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_ICE,
                 "ICE gathering failed (no usable local address or port?)");
    return FALSE;
  }
  let_socket_sources_recurse (peer);   /* the host candidates' sockets, made just now */
  return TRUE;
}

char **
mcu_peer_get_local_candidates (McuPeer *peer)
{
  GSList *candidates;
  GPtrArray *lines;

  if (peer->lite)
    return mcu_ice_port_get_candidates (peer->config.ice_port, peer->config.public_address);
  candidates = nice_agent_get_local_candidates (peer->agent, peer->stream_id, COMPONENT);
  lines = g_ptr_array_new ();

  for (GSList *l = candidates; l != NULL; l = l->next) {
    NiceCandidate *candidate = l->data;
    g_ptr_array_add (lines, mcu_ice_candidate_to_string (candidate));
    if (peer->config.public_address != NULL && candidate->type == NICE_CANDIDATE_TYPE_HOST &&
        candidate->transport == NICE_CANDIDATE_TRANSPORT_UDP)
      g_ptr_array_add (lines, mcu_ice_candidate_to_string_with_address (
                                  candidate, peer->config.public_address));
  }
  g_slist_free_full (candidates, (GDestroyNotify) nice_candidate_free);
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}

/* RFC 8839 §5.4: ufrag 4-256 and pwd 22-256 ice-chars (ALPHA / DIGIT / "+" / "/"). */
static gboolean
ice_chars_ok (const char *text, gsize min, gsize max)
{
  gsize len = text ? strlen (text) : 0;

  if (len < min || len > max)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
      return FALSE;
  return TRUE;
}

static gboolean
set_remote_credentials (McuPeer *peer, const char *ufrag, const char *pwd, GError **error)
{
  if (!ice_chars_ok (ufrag, 4, 256) || !ice_chars_ok (pwd, 22, 256)) {
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_INVALID,
                 "ICE ufrag must be 4-256 and pwd 22-256 characters of [A-Za-z0-9+/]");
    return FALSE;
  }
  if (peer->lite) {  /* a lite agent sends no checks: the remote credentials are not needed */
    if (peer->ice_state == NICE_COMPONENT_STATE_DISCONNECTED)
      peer->ice_state = NICE_COMPONENT_STATE_CONNECTING;
    return TRUE;
  }
  if (!nice_agent_set_remote_credentials (peer->agent, peer->stream_id, ufrag, pwd)) {
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_ICE, "libnice refused the credentials");
    return FALSE;
  }
  return TRUE;
}

gboolean
mcu_peer_set_remote (McuPeer *peer, const char *ufrag, const char *pwd,
                     const char *fingerprint_algorithm, const char *fingerprint, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!check_open (peer, error))
    return FALSE;
  if (fingerprint == NULL && !peer->remote_set) {
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_INVALID, "the remote fingerprint is missing");
    return FALSE;
  }
  if (fingerprint != NULL &&
      !mcu_dtls_set_remote_fingerprint (peer->dtls, fingerprint_algorithm, fingerprint, &local)) {
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_INVALID, "%s", local->message);
    return FALSE;
  }
  if (!set_remote_credentials (peer, ufrag, pwd, error))
    return FALSE;
  if (!peer->remote_set) {
    peer->remote_set = TRUE;
    peer->dtls_deadline = add_timeout (peer, peer->config.dtls_timeout_ms, dtls_deadline_fired);
    set_state (peer, MCU_PEER_STATE_CONNECTING, "remote description set");
  }
  return TRUE;
}

gboolean
mcu_peer_add_remote_candidate (McuPeer *peer, const char *candidate, GError **error)
{
  NiceCandidate *parsed;
  GSList list = { 0 };
  int added;

  if (!check_open (peer, error))
    return FALSE;
  parsed = mcu_ice_candidate_parse (candidate, peer->stream_id, error);
  if (parsed == NULL)
    return FALSE;
  if (parsed->transport != NICE_CANDIDATE_TRANSPORT_UDP && !peer->config.ice_tcp) {
    nice_candidate_free (parsed);
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_UNSUPPORTED,
                 "TCP candidate ignored: ICE-TCP is off");
    return FALSE;
  }
  if (peer->lite) {
    /* The site's checks bring its addresses; its candidates only name their types in stats. */
    if (parsed->transport != NICE_CANDIDATE_TRANSPORT_UDP && !mcu_ice_port_has_tcp (peer->config.ice_port)) {
      nice_candidate_free (parsed);
      g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_UNSUPPORTED,
                   "TCP candidate ignored: the room's ICE-lite port takes no ICE-TCP");
      return FALSE;
    }
    if (peer->remote_candidates->len < MAX_REMOTE_CANDIDATES)
      g_ptr_array_add (peer->remote_candidates, parsed);
    else
      nice_candidate_free (parsed);
    return TRUE;
  }
  list.data = parsed;
  added = nice_agent_set_remote_candidates (peer->agent, peer->stream_id, COMPONENT, &list);
  nice_candidate_free (parsed);
  if (added < 1) {
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_ICE, "libnice did not take candidate '%.200s'",
                 candidate);
    return FALSE;
  }
  return TRUE;
}

void
mcu_peer_end_of_candidates (McuPeer *peer)
{
  if (!peer->closed && !peer->lite)
    nice_agent_peer_candidate_gathering_done (peer->agent, peer->stream_id);
}

gboolean
mcu_peer_restart_ice (McuPeer *peer, const char *remote_ufrag, const char *remote_pwd,
                      GError **error)
{
  if (!check_open (peer, error))
    return FALSE;
  if ((remote_ufrag == NULL) != (remote_pwd == NULL) ||
      (remote_ufrag != NULL && (!ice_chars_ok (remote_ufrag, 4, 256) ||
                                !ice_chars_ok (remote_pwd, 22, 256)))) {
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_INVALID,
                 "ICE restart needs both remote ufrag and pwd (valid), or neither");
    return FALSE;
  }
  if (peer->lite) {
    /* New credentials; the selected address stays in use until the site nominates another. */
    lite_new_credentials (peer);
    mcu_ice_port_entry_set_credentials (peer->lite_entry, peer->local_ufrag, peer->local_pwd);
    return remote_ufrag == NULL || set_remote_credentials (peer, remote_ufrag, remote_pwd, error);
  }
  if (!nice_agent_restart_stream (peer->agent, peer->stream_id)) {
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_ICE, "libnice could not restart ICE");
    return FALSE;
  }
  refresh_credentials (peer);
  if (remote_ufrag != NULL && !set_remote_credentials (peer, remote_ufrag, remote_pwd, error))
    return FALSE;
  return TRUE;
}

void
mcu_peer_get_stats (McuPeer *peer, McuPeerStats *stats)
{
  McuUdpBatchStats udp;

  *stats = peer->stats;
  stats->state = peer->state;
  stats->ice_state = mcu_ice_component_state_name (peer->ice_state);
  stats->dtls_state = mcu_dtls_state_name (mcu_dtls_get_state (peer->dtls));
  stats->srtp_profile = mcu_srtp_profile_name (peer->profile);
  mcu_udp_batch_get_stats (peer->udp, &udp);
  stats->direct_packets = udp.packets;
  stats->direct_syscalls = udp.syscalls;
  if (!stats->has_selected_pair)
    stats->local_type = stats->remote_type = stats->transport = "none";
}

void
mcu_peer_close (McuPeer *peer)
{
  if (peer->closed)
    return;
  mcu_peer_ref (peer);
  shut_down (peer);
  set_state (peer, MCU_PEER_STATE_CLOSED, "closed locally");
  mcu_peer_unref (peer);
}
