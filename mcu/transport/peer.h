/* SPDX-License-Identifier: MIT */
/*
 * McuPeer: one WebRTC transport (one site): ICE (libnice full agent, one stream, one component —
 * BUNDLE + rtcp-mux), DTLS-SRTP (McuDtls, McuSrtp) and RFC 7983 demultiplexing. Media goes in and
 * out as plaintext RTP/RTCP; everything on the wire is protected.
 *
 * Threads: a McuPeer is bound to the GMainContext given to mcu_peer_new () (the room's media
 * thread). Every function below, and the last unref, must be called on the thread that runs that
 * context; every callback runs there. Callbacks may also run synchronously from inside
 * mcu_peer_gather (), mcu_peer_set_remote (), mcu_peer_add_remote_candidate () and
 * mcu_peer_close (): do not hold a lock across them. A callback may call mcu_peer_close () or drop
 * its reference: the peer keeps itself alive until the callback returns.
 */
#pragma once

#include <glib.h>

#include "cert.h"
#include "ice-port.h"

G_BEGIN_DECLS

typedef struct _McuPeer McuPeer;

typedef enum {
  MCU_PEER_ROLE_SERVER, /* ICE controlled, DTLS server (a=setup:passive) — the WHIP answerer */
  MCU_PEER_ROLE_CLIENT, /* ICE controlling, DTLS client (a=setup:active) — load generator, cascading */
} McuPeerRole;

typedef enum {
  MCU_PEER_STATE_NEW,
  MCU_PEER_STATE_CONNECTING,   /* remote description set: ICE checks, then the DTLS handshake */
  MCU_PEER_STATE_CONNECTED,    /* DTLS done, SRTP keyed: media can flow */
  MCU_PEER_STATE_DISCONNECTED, /* ICE lost after being connected; may come back or be restarted */
  MCU_PEER_STATE_FAILED,       /* ICE failed before connecting, DTLS failed or timed out: final */
  MCU_PEER_STATE_CLOSED,       /* closed locally or by the remote's close_notify: final */
} McuPeerState;

typedef enum {
  MCU_PEER_ERROR_INVALID,     /* malformed argument (credentials, candidate, fingerprint) */
  MCU_PEER_ERROR_UNSUPPORTED, /* well-formed but not usable: mDNS ".local" candidate, component 2 */
  MCU_PEER_ERROR_STATE,       /* not allowed now (closed, remote not set yet) */
  MCU_PEER_ERROR_ICE,         /* libnice refused */
} McuPeerError;

#define MCU_PEER_ERROR (mcu_peer_error_quark ())
GQuark mcu_peer_error_quark (void);

/* Plain configuration with defaults (mcu_peer_config_init); the peer copies it. */
typedef struct {
  char **ice_addresses;  /* local IP addresses to gather on; NULL = all non-loopback (+127.0.0.1
                            when loopback_too) */
  gboolean loopback_too; /* also gather on 127.0.0.1 (libnice skips loopback unless told) */
  char *public_address;  /* 1:1 NAT: also advertise each host UDP candidate with this IP */
  char *stun_server;     /* IP address (not a name) of a STUN server, NULL = none */
  guint stun_port;       /* default 3478 */
  char *turn_server;     /* IP address of a TURN server (UDP), NULL = none */
  guint turn_port;       /* default 3478 */
  char *turn_user, *turn_pass;
  gboolean ice_tcp;      /* also gather ICE-TCP candidates (libnice: passive + active) */
  guint port_min, port_max; /* UDP port range for host candidates, 0 = any */
  guint dtls_timeout_ms; /* FAILED unless DTLS finishes this long after mcu_peer_set_remote () and
                            after ICE first connected, default 10000 */
  gboolean consent_freshness; /* RFC 7675: check the remote still answers (libnice: every ~5 s,
                                 lost after 30 s → DISCONNECTED); default TRUE */
  gboolean ice_lite;     /* server role: rooms make an McuIcePort and set ice_port (below) */
  McuIcePort *ice_port;  /* server role: ICE-lite on this shared port (the room's) instead of a
                            libnice agent; the candidates are the port's (ICE-TCP if it listens),
                            no STUN/TURN.
                            NULL = libnice. The peer holds a reference. */
} McuPeerConfig;

typedef struct {
  /* Decrypted RTP / compound RTCP. @packet is the peer's receive buffer: it may be modified in
   * place and is only valid during the call. */
  void (*on_rtp) (McuPeer *peer, guint8 *packet, gsize len, gpointer user_data);
  void (*on_rtcp) (McuPeer *peer, guint8 *packet, gsize len, gpointer user_data);
  /* Each state change once. @reason is a short human text (for logs), never NULL. */
  void (*on_state) (McuPeer *peer, McuPeerState state, const char *reason, gpointer user_data);
  /* A trickled local candidate: "candidate:..." without "a=" (for the SDP or a trickle PATCH). */
  void (*on_local_candidate) (McuPeer *peer, const char *candidate, gpointer user_data);
  void (*on_gathering_done) (McuPeer *peer, gpointer user_data);
} McuPeerCallbacks;

/* Inside on_rtp/on_rtcp, the peer's thread: when the packet reached the socket, on the monotonic
 * clock (g_get_monotonic_time): the kernel's receive time on the selected UDP pair, else when it
 * was read. */
gint64 mcu_peer_get_arrival_us (McuPeer *peer);

/* Largest plaintext RTP/RTCP packet accepted by send and delivered by on_rtp/on_rtcp. */
#define MCU_PEER_MAX_PACKET 1500

typedef struct {
  guint64 packets_in, bytes_in;   /* SRTP/SRTCP packets that decrypted, and their wire bytes */
  guint64 packets_out, bytes_out; /* SRTP/SRTCP packets sent, wire bytes */
  guint64 rtp_in, rtcp_in, rtp_out, rtcp_out;
  guint64 decrypt_failures;       /* authentication failed */
  guint64 replayed;               /* rejected by the SRTP replay window */
  guint64 malformed;              /* too short/long, undemuxable first byte, bad DTLS framing */
  guint64 not_ready;              /* SRTP arrived before DTLS finished */
  guint64 stun_in;                /* STUN that libnice passed up (it answers real checks itself); lite: checks answered */
  guint64 dtls_in, dtls_out;      /* DTLS datagrams */
  guint64 send_failures;          /* protect or socket send failed */
  guint64 direct_packets;         /* sent on the selected UDP pair's socket past libnice */
  guint64 direct_syscalls;        /* the system calls they took (fewer: batches) */
  McuPeerState state;
  const char *ice_state;          /* libnice component state: "connecting", "ready", ... */
  const char *dtls_state;         /* "new", "handshaking", "connected", "failed", "closed" */
  const char *srtp_profile;       /* "AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80", "none" */
  gboolean has_selected_pair;
  char local_address[64];         /* selected pair, "IP:port" ("[v6]:port") */
  char remote_address[64];
  const char *local_type;         /* "host", "srflx", "prflx", "relay" */
  const char *remote_type;
  const char *transport;          /* "udp", "tcp" */
} McuPeerStats;

/* Any thread. */
void mcu_peer_config_init (McuPeerConfig *config);
void mcu_peer_config_clear (McuPeerConfig *config);
const char *mcu_peer_state_name (McuPeerState state);

/* Creates the ICE agent (not yet gathering) and the DTLS endpoint. @callbacks is copied;
 * @cert is referenced. (transfer full) */
McuPeer *mcu_peer_new (GMainContext *context, McuPeerRole role, McuCertificate *cert,
                       const McuPeerConfig *config, const McuPeerCallbacks *callbacks,
                       gpointer user_data, GError **error);
McuPeer *mcu_peer_ref (McuPeer *peer);
void mcu_peer_unref (McuPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuPeer, mcu_peer_unref)

McuPeerRole mcu_peer_get_role (McuPeer *peer);
/* TRUE when the peer answers checks on an McuIcePort (its description says a=ice-lite). */
gboolean mcu_peer_is_lite (McuPeer *peer);
McuPeerState mcu_peer_get_state (McuPeer *peer);
/* Our ICE ufrag/pwd for the SDP; they change with mcu_peer_restart_ice (). (transfer none) */
void mcu_peer_get_local_credentials (McuPeer *peer, const char **ufrag, const char **pwd);
/* Our a=fingerprint value (sha-256). (transfer none) */
const char *mcu_peer_get_local_fingerprint (McuPeer *peer);

/* Starts gathering; candidates come through on_local_candidate, then on_gathering_done. */
gboolean mcu_peer_gather (McuPeer *peer, GError **error);
/* Everything gathered so far, as "candidate:..." strings. (transfer full) */
char **mcu_peer_get_local_candidates (McuPeer *peer);

/* The remote a=ice-ufrag, a=ice-pwd and a=fingerprint (algorithm "sha-256" etc., value
 * "AB:CD:..."). The first call starts the DTLS deadline and moves NEW to CONNECTING. After an ICE
 * restart offer/answer, call it again with the new credentials and NULL fingerprint (kept). */
gboolean mcu_peer_set_remote (McuPeer *peer, const char *ufrag, const char *pwd,
                              const char *fingerprint_algorithm, const char *fingerprint,
                              GError **error);
/* One remote candidate, "candidate:..." (with or without "a="). Malformed → MCU_PEER_ERROR_INVALID;
 * mDNS names, RTCP components, TCP while ice_tcp is off → MCU_PEER_ERROR_UNSUPPORTED (safe to
 * ignore). */
gboolean mcu_peer_add_remote_candidate (McuPeer *peer, const char *candidate, GError **error);
/* The remote said a=end-of-candidates. */
void mcu_peer_end_of_candidates (McuPeer *peer);
/* ICE restart (RFC 8445 §9): new local ufrag/pwd (read them back with
 * mcu_peer_get_local_credentials ()), remote candidates forgotten except the pair in use, so media
 * keeps flowing; DTLS and SRTP are kept. With @remote_ufrag/@remote_pwd NULL (we are the one
 * restarting, the answer comes later) pass them to mcu_peer_set_remote () when they arrive. */
gboolean mcu_peer_restart_ice (McuPeer *peer, const char *remote_ufrag, const char *remote_pwd,
                               GError **error);

/* Per-packet path. Plaintext in (up to MCU_PEER_MAX_PACKET bytes, not modified), protected into
 * the peer's scratch buffer (no allocation) and sent on the selected pair. Returns the bytes sent
 * on the wire, or -ENOTCONN (SRTP not keyed or closed), -EMSGSIZE, -EINVAL (not RTP/RTCP),
 * -EIO (protect failed), -EAGAIN (the socket refused). */
int mcu_peer_send_rtp (McuPeer *peer, const guint8 *packet, gsize len);
int mcu_peer_send_rtcp (McuPeer *peer, const guint8 *packet, gsize len);

/* A batch: sends between begin and flush are queued and go out together at flush, in as few system
 * calls as the kernel allows (one per run of equal-sized packets), when the selected pair is plain
 * UDP; otherwise each goes at once as usual. For a burst to one receiver, e.g. a video frame's
 * packets. Packets the kernel refuses at flush count in send_failures. */
void mcu_peer_begin_batch (McuPeer *peer);
void mcu_peer_flush_batch (McuPeer *peer);

/* Sends @data as it is (no SRTP) on the selected pair: for tests, fault injection and tools, never
 * for media. Returns the bytes sent, -ENOTCONN when closed, -EAGAIN when there is no pair yet. */
int mcu_peer_send_raw (McuPeer *peer, const guint8 *data, gsize len);

void mcu_peer_get_stats (McuPeer *peer, McuPeerStats *stats);

/* Sends close_notify if DTLS is up, stops ICE (releasing TURN allocations) and timers, and
 * reports CLOSED (unless already FAILED or CLOSED). Idempotent; the peer stays valid until unref. */
void mcu_peer_close (McuPeer *peer);

G_END_DECLS
