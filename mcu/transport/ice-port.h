/* SPDX-License-Identifier: MIT */
/*
 * McuIcePort: the server side of ICE-lite (RFC 8445 §2.5) on one UDP socket per local address,
 * shared by every site of a room. Sites' full ICE agents send their connectivity checks to it; the
 * port answers them itself (short-term credentials, XOR-MAPPED-ADDRESS, FINGERPRINT; libnice's
 * STUN library builds and checks the messages), learns each site's address from its checks and
 * hands that address's other packets (DTLS, SRTP, SRTCP) to the site's peer. It reads many
 * datagrams per system call (recvmmsg) with the kernel's receive time (SO_TIMESTAMPNS) and never
 * wakes per packet. See ice-port.c.
 * Threads: a port is bound to the GMainContext given to mcu_ice_port_new () (a room's media
 * thread): everything below except ref/unref, and every callback, runs there.
 */
#pragma once

#include <glib.h>
#include <sys/socket.h>
#include <time.h>

G_BEGIN_DECLS

typedef struct _McuIcePort McuIcePort;
typedef struct _McuIcePortEntry McuIcePortEntry;

typedef struct {
  /* A datagram that is not STUN from one of the entry's addresses: DTLS or SRTP/SRTCP. @data may
   * be modified in place and is only valid during the call; @arrival_us is the kernel's receive
   * time on the monotonic clock. */
  void (*on_packet) (gpointer owner, guint8 *data, gsize len, gint64 arrival_us);
  /* A valid connectivity check from @from, already answered. UDP (@connection 0): @fd is the
   * socket it came on (send from it to reach @from). ICE-TCP: @connection names the connection
   * for mcu_ice_port_send_tcp (@fd is its socket, for stats only). @nominated: it carried
   * USE-CANDIDATE. */
  void (*on_check) (gpointer owner, int fd, guint64 connection, const struct sockaddr *from,
                    socklen_t from_len, gboolean nominated);
  /* Nothing came from any of the entry's addresses for the port's silence limit (once, until
   * something comes again). */
  void (*on_silent) (gpointer owner);
} McuIcePortCallbacks;

typedef struct {
  guint64 datagrams;        /* read from the sockets */
  guint64 syscalls;         /* recvmmsg calls that returned datagrams */
  guint64 checks;           /* valid binding requests answered */
  guint64 unauthorized;     /* binding requests with an unknown ufrag or a bad MESSAGE-INTEGRITY */
  guint64 bad_stun;         /* malformed STUN, or STUN we do not take (other methods, responses) */
  guint64 unknown_source;   /* non-STUN datagrams from an address no check came from */
  guint64 truncated;        /* datagrams larger than the receive buffer */
  guint64 tcp_connections;  /* ICE-TCP connections accepted */
  guint64 tcp_refused;      /* ... refused: TCP_MAX_CONNECTIONS open already */
  guint64 tcp_dropped;      /* packets dropped for a connection whose queue was full */
} McuIcePortStats;

/* Binds one UDP socket on each of @addresses (IPv4 or IPv6 literals), all on one port number
 * taken from @port_min..@port_max (0, 0 = any), with @tcp also a listening ICE-TCP socket on each
 * (passive candidates, RFC 6544: for sites whose networks block UDP), and starts reading them on
 * @context. Sites that send nothing for @silent_ms get on_silent. (transfer full) */
McuIcePort *mcu_ice_port_new (GMainContext *context, const char *const *addresses, guint port_min,
                              guint port_max, gboolean tcp, guint silent_ms, GError **error);
McuIcePort *mcu_ice_port_ref (McuIcePort *port);
void mcu_ice_port_unref (McuIcePort *port);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuIcePort, mcu_ice_port_unref)

/* The UDP port number the sockets share. */
guint mcu_ice_port_get_port (McuIcePort *port);
/* One host candidate line ("candidate:..." without "a=") per socket, and with @public_address
 * (1:1 NAT, may be NULL) one more on that address and the same port. (transfer full) */
char **mcu_ice_port_get_candidates (McuIcePort *port, const char *public_address);
gboolean mcu_ice_port_has_tcp (McuIcePort *port);
/* A kernel receive stamp (@stamp, CLOCK_REALTIME, from SO_TIMESTAMPNS or SIOCGSTAMPNS) on the
 * monotonic clock, given the two clocks read together (@now_us, @real); @now_us when the stamp is
 * older than 500 ms or in the future (a clock step, a packet from before a pair change). Any thread. */
gint64 mcu_ice_stamp_to_monotonic (const struct timespec *stamp, gint64 now_us, const struct timespec *real);
/* Sends @data as one RFC 4571 frame on ICE-TCP connection @connection (from on_check). Returns
 * @len, -ENOTCONN when the connection is gone, -ENOBUFS when its queue is full. */
int mcu_ice_port_send_tcp (McuIcePort *port, guint64 connection, const guint8 *data, gsize len);
/* "IP:port" of the socket @fd, for stats; "" if it is not one of the port's. (transfer none) */
const char *mcu_ice_port_get_local_address (McuIcePort *port, int fd);
void mcu_ice_port_get_stats (McuIcePort *port, McuIcePortStats *stats);
/* Handles @data as if the first socket had read it from @from (tests, fuzzing). @data may be
 * modified. */
void mcu_ice_port_inject (McuIcePort *port, guint8 *data, gsize len, const struct sockaddr *from,
                          socklen_t from_len);

/* Registers a site: checks whose USERNAME starts with "@ufrag:" are answered with @pwd as the
 * key. @callbacks is copied. The entry holds a reference on the port. (transfer full) */
McuIcePortEntry *mcu_ice_port_add (McuIcePort *port, const char *ufrag, const char *pwd,
                                   const McuIcePortCallbacks *callbacks, gpointer owner);
/* ICE restart: new local credentials. The old ones are still answered until the first check
 * with the new ones (checks already under way when the answer went out). */
void mcu_ice_port_entry_set_credentials (McuIcePortEntry *entry, const char *ufrag, const char *pwd);
/* Forgets the site (its addresses, its credentials); no callback after this. */
void mcu_ice_port_remove (McuIcePortEntry *entry);

G_END_DECLS
