/* SPDX-License-Identifier: MIT */
/*
 * McuIcePort: ICE-lite on one port shared by a room's sites (see ice-port.h).
 *
 * Why: with a full agent per site (libnice) every site has its own socket, and the room thread
 * pays per packet for libnice's read loop (a recvmsg that returns the packet, another that says
 * EAGAIN), GLib's dispatch of one source per socket, and a poll over every site's descriptor.
 * Here a room has one socket per local address: one recvmmsg returns up to RECV_BATCH datagrams
 * of any sites with their kernel receive times, and a hash of the remote address finds the site.
 *
 * ICE-lite: the server only answers checks; the sites' agents (browsers, webrtcbin, libnice in the
 * load generator) are controlling and choose the pair. A site's address is learnt from a binding
 * request that names one of our ufrags and carries a MESSAGE-INTEGRITY made with its password;
 * only then are that address's other datagrams handed to the site. A check with USE-CANDIDATE is
 * the site's choice. Media goes only to addresses that passed a check (the peer sends only to
 * addresses on_check gave it); a bad check gets one error response no larger than itself, so the
 * port cannot be used to flood a third party.
 *
 * ICE-TCP (with tcp): a listening socket on the same port number per address; a connection is
 * tied to a site by a valid check on it, like an address, and carries RFC 4571 frames both ways.
 * Writes the kernel cannot take at once queue up to TCP_OUT_MAX, then whole packets are dropped.
 *
 * Silence: a timer each second looks for sites nothing came from for silent_ms (browsers send a
 * consent check every ~5 s, media flows far more often) and reports them once.
 *
 * Threads: the port's GMainContext only (see ice-port.h). The receive buffers live in the port
 * and are reused: the read path allocates nothing but a site's first addresses.
 */
#define _GNU_SOURCE   /* recvmmsg */
#define G_LOG_DOMAIN "mcu-ice-port"

#include "ice-port.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECV_BATCH 32             /* datagrams per recvmmsg */
#define RECV_ROUNDS 8             /* recvmmsg calls per wake-up at most, then the rest of the loop runs */
#define RECV_BUFFER 2048          /* a datagram larger than this is counted and dropped */
#define SOCKET_BUFFER (4 << 20)   /* a room's bursts (key frames to 100 sites) on one socket */
#define MAX_ADDRESSES 8           /* remote addresses remembered per site (its candidates that checked) */
#define MAX_UFRAG 256
#define STUN_REPLY_SIZE 1024
#define MAX_ARRIVAL_AGE_US (500 * 1000)
#define BIND_TRIES 20             /* port numbers tried for "any port" when not every address takes one */
#define HOST_TYPE_PREFERENCE 126u /* RFC 8445 §5.1.2.2 */
#define TCP_KEY 0x100             /* or-ed into AddrKey.family: an ICE-TCP connection's address */
#define TCP_BACKLOG 64
#define TCP_MAX_CONNECTIONS 512   /* per port; more are refused at accept */
#define TCP_FRAME_MAX RECV_BUFFER /* a longer RFC 4571 frame closes the connection */
#define TCP_OUT_MAX (512 * 1024)  /* queued for a slow connection; past it whole packets are dropped */
#define TCP_CHECK_WITHIN_US (10 * G_USEC_PER_SEC) /* a connection without a valid check by then is closed */

typedef struct {
  guint16 family;
  guint16 port;                   /* network order, as in the sockaddr */
  guint8 addr[16];
} AddrKey;

typedef struct {
  McuIcePort *port;
  int fd;
  int family;
  GSource *source;
  char ip[INET6_ADDRSTRLEN];
  char local[INET6_ADDRSTRLEN + 8]; /* "IP:port" or "[IP]:port" */
  gboolean tcp;                   /* a listening ICE-TCP socket */
} PortSocket;

/* An accepted ICE-TCP connection (RFC 6544, passive; RFC 4571 framing both ways). */
typedef struct {
  McuIcePort *port;
  PortSocket *listener;
  guint64 id;                     /* never reused: what a peer keeps to send on it */
  int fd;
  GSource *source;
  struct sockaddr_storage remote;
  socklen_t remote_len;
  McuIcePortEntry *entry;         /* after a valid check on it */
  gint64 accepted_us;
  guint8 in[2 + TCP_FRAME_MAX];
  gsize in_len;
  GByteArray *out;                /* framed bytes the kernel did not take yet */
  gboolean writing;               /* the source also waits for G_IO_OUT */
} TcpConn;

struct _McuIcePortEntry {
  McuIcePort *port;
  char *ufrag, *pwd;
  char *old_ufrag, *old_pwd;      /* before an ICE restart, until a check with the new ones */
  McuIcePortCallbacks callbacks;
  gpointer owner;
  GPtrArray *keys;                /* AddrKey*, owned; each is a key of port->by_address */
  gint64 last_heard_us;
  gboolean silent;
};

struct _McuIcePort {
  GMainContext *context;
  GPtrArray *sockets;             /* PortSocket*, UDP */
  GPtrArray *listeners;           /* PortSocket*, ICE-TCP (passive), one per address; empty without */
  gboolean tcp;
  GHashTable *conns;              /* id (guint64*) → TcpConn */
  guint64 next_conn_id;
  guint port_number;
  guint silent_ms;
  GHashTable *by_ufrag;           /* ufrag (an entry's string) → entry */
  GHashTable *by_address;         /* AddrKey* (an entry's) → entry */
  GPtrArray *entries;
  GSource *silence_timer;
  StunAgent stun;
  guint64 tie_breaker;
  McuIcePortStats stats;

  struct mmsghdr msgs[RECV_BATCH];
  struct iovec iov[RECV_BATCH];
  struct sockaddr_storage names[RECV_BATCH];
  union {
    char buf[CMSG_SPACE (sizeof (struct timespec))];
    struct cmsghdr align;
  } control[RECV_BATCH];
  guint8 bufs[RECV_BATCH][RECV_BUFFER];
};

/* The STUN attributes a binding request may carry that we understand (others of the
 * comprehension-required range get a 420): those of an ICE binding request (RFC 8445 §7.1). */
static const uint16_t known_attributes[] = {
  STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY, STUN_ATTRIBUTE_ERROR_CODE,
  STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, STUN_ATTRIBUTE_MAPPED_ADDRESS,
  STUN_ATTRIBUTE_SOFTWARE, STUN_ATTRIBUTE_FINGERPRINT, STUN_ATTRIBUTE_PRIORITY,
  STUN_ATTRIBUTE_USE_CANDIDATE, STUN_ATTRIBUTE_ICE_CONTROLLED, STUN_ATTRIBUTE_ICE_CONTROLLING,
  STUN_ATTRIBUTE_NOMINATION, 0
};

static void
drop_source (GSource **source)
{
  if (*source != NULL) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

/* ---- addresses ---- */

static gboolean
addr_key_from (AddrKey *key, const struct sockaddr_storage *from)
{
  memset (key, 0, sizeof *key);
  key->family = from->ss_family;
  if (from->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *) from;
    key->port = in->sin_port;
    memcpy (key->addr, &in->sin_addr, 4);
    return TRUE;
  }
  if (from->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) from;
    key->port = in6->sin6_port;
    memcpy (key->addr, &in6->sin6_addr, 16);
    return TRUE;
  }
  return FALSE;
}

static guint
addr_key_hash (gconstpointer data)
{
  const AddrKey *key = data;
  guint h = key->family * 31u + key->port;

  for (guint i = 0; i < sizeof key->addr; i++)
    h = h * 31u + key->addr[i];
  return h;
}

static gboolean
addr_key_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, sizeof (AddrKey)) == 0;
}

/* ---- entries' addresses ---- */

static void
forget_address (McuIcePortEntry *entry, AddrKey *key)
{
  g_hash_table_remove (entry->port->by_address, key);
  g_ptr_array_remove_fast (entry->keys, key); /* frees it */
}

/* @key's datagrams go to @entry from now on (a check from it passed). */
static void
learn_address (McuIcePortEntry *entry, const AddrKey *key)
{
  McuIcePort *port = entry->port;
  gpointer old_key = NULL, old_entry = NULL;

  if (g_hash_table_lookup_extended (port->by_address, key, &old_key, &old_entry)) {
    if (old_entry == entry)
      return;
    forget_address (old_entry, old_key); /* another site's old address, now this one's */
  }
  if (entry->keys->len >= MAX_ADDRESSES)
    forget_address (entry, g_ptr_array_index (entry->keys, 0));
  AddrKey *copy = g_memdup2 (key, sizeof *key);
  g_ptr_array_add (entry->keys, copy);
  g_hash_table_insert (port->by_address, copy, entry);
}

/* ---- STUN ---- */

typedef struct {
  McuIcePort *port;
  McuIcePortEntry *entry;
  gboolean old;                   /* matched the credentials from before an ICE restart */
} Validation;

/* libnice's STUN agent asks for the key of a USERNAME "ours:theirs". */
static bool
find_password (StunAgent *agent, StunMessage *message, uint8_t *username, uint16_t username_len,
               uint8_t **password, size_t *password_len, void *user_data)
{
  Validation *v = user_data;
  char ufrag[MAX_UFRAG + 1];
  guint16 n = 0;
  McuIcePortEntry *entry;

  while (n < username_len && n < MAX_UFRAG && username[n] != ':')
    n++;
  if (n == username_len || username[n] != ':')
    return false;
  memcpy (ufrag, username, n);
  ufrag[n] = '\0';
  entry = g_hash_table_lookup (v->port->by_ufrag, ufrag);
  if (entry == NULL)
    return false;
  v->entry = entry;
  v->old = entry->old_ufrag != NULL && strcmp (ufrag, entry->old_ufrag) == 0;
  *password = (uint8_t *) (v->old ? entry->old_pwd : entry->pwd);
  *password_len = strlen ((const char *) *password);
  return true;
}

static int tcp_send (TcpConn *conn, const guint8 *data, gsize len);

static void
send_reply (PortSocket *s, TcpConn *conn, const guint8 *data, gsize len, const struct sockaddr_storage *to,
            socklen_t to_len)
{
  /* A lost reply is a lost check: the site's agent sends it again. */
  if (conn != NULL)
    (void) tcp_send (conn, data, len);
  else
    (void) sendto (s->fd, data, len, MSG_DONTWAIT, (const struct sockaddr *) to, to_len);
}

static void
send_error (PortSocket *s, TcpConn *conn, StunMessage *req, StunError code, const struct sockaddr_storage *from,
            socklen_t from_len)
{
  McuIcePort *port = s->port;
  guint8 reply[STUN_REPLY_SIZE];
  StunMessage msg;
  size_t len;

  if (stun_message_get_class (req) != STUN_REQUEST ||
      !stun_agent_init_error (&port->stun, &msg, reply, sizeof reply, req, code))
    return;
  len = stun_agent_finish_message (&port->stun, &msg, NULL, 0);
  if (len > 0)
    send_reply (s, conn, reply, len, from, from_len);
}

static void
drop_old_credentials (McuIcePortEntry *entry)
{
  if (entry->old_ufrag == NULL)
    return;
  g_hash_table_remove (entry->port->by_ufrag, entry->old_ufrag);
  g_clear_pointer (&entry->old_ufrag, g_free);
  g_clear_pointer (&entry->old_pwd, g_free);
}

/* A valid binding request: answer, learn the address, tell the site. */
static void
answer_check (PortSocket *s, TcpConn *conn, StunMessage *req, Validation *v, const struct sockaddr_storage *from,
              socklen_t from_len, const AddrKey *key, gint64 arrival_us)
{
  McuIcePort *port = s->port;
  McuIcePortEntry *entry = v->entry;
  guint8 reply[STUN_REPLY_SIZE];
  StunMessage msg;
  size_t len = sizeof reply;
  bool control = false;  /* a lite agent is always controlled */
  StunUsageIceReturn ret;

  ret = stun_usage_ice_conncheck_create_reply (&port->stun, req, &msg, reply, &len, from, from_len,
                                               &control, port->tie_breaker,
                                               STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
  if (ret != STUN_USAGE_ICE_RETURN_SUCCESS) {
    /* A site that also thinks it is controlled gets the 487 built above and switches roles. */
    if (ret == STUN_USAGE_ICE_RETURN_ROLE_CONFLICT && len > 0)
      send_reply (s, conn, reply, len, from, from_len);
    port->stats.bad_stun++;
    return;
  }
  send_reply (s, conn, reply, len, from, from_len);
  port->stats.checks++;
  if (!v->old)
    drop_old_credentials (entry);
  learn_address (entry, key);
  entry->last_heard_us = arrival_us;
  entry->silent = FALSE;
  if (conn != NULL)
    conn->entry = entry;
  entry->callbacks.on_check (entry->owner, conn != NULL ? conn->fd : s->fd, conn != NULL ? conn->id : 0,
                             (const struct sockaddr *) from, from_len,
                             stun_usage_ice_conncheck_use_candidate (req));
}

static void
handle_stun (PortSocket *s, TcpConn *conn, guint8 *data, gsize len, const struct sockaddr_storage *from,
             socklen_t from_len, const AddrKey *key, McuIcePortEntry *known, gint64 arrival_us)
{
  McuIcePort *port = s->port;
  Validation v = { port, NULL, FALSE };
  StunMessage req;
  StunValidationStatus status;

  status = stun_agent_validate (&port->stun, &req, data, len, find_password, &v);
  if (status == STUN_VALIDATION_UNAUTHORIZED || status == STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST) {
    port->stats.unauthorized++;
    send_error (s, conn, &req, status == STUN_VALIDATION_UNAUTHORIZED ? STUN_ERROR_UNAUTHORIZED
                                                               : STUN_ERROR_BAD_REQUEST, from, from_len);
    return;
  }
  if (status == STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE) {
    guint8 reply[STUN_REPLY_SIZE];
    StunMessage msg;
    size_t n = stun_agent_build_unknown_attributes_error (&port->stun, &msg, reply, sizeof reply, &req);
    port->stats.bad_stun++;
    if (n > 0)
      send_reply (s, conn, reply, n, from, from_len);
    return;
  }
  if (status != STUN_VALIDATION_SUCCESS || stun_message_get_method (&req) != STUN_BINDING) {
    port->stats.bad_stun++;
    return;
  }
  switch (stun_message_get_class (&req)) {
  case STUN_REQUEST:
    if (v.entry == NULL) {          /* no USERNAME: not an ICE check */
      port->stats.unauthorized++;
      send_error (s, conn, &req, STUN_ERROR_BAD_REQUEST, from, from_len);
      return;
    }
    answer_check (s, conn, &req, &v, from, from_len, key, arrival_us);
    return;
  case STUN_INDICATION:            /* a keepalive (RFC 8445 §11) from a site's address */
    if (known != NULL) {
      known->last_heard_us = arrival_us;
      known->silent = FALSE;
    }
    return;
  case STUN_RESPONSE:
  case STUN_ERROR:
  default:
    port->stats.bad_stun++;        /* we send no requests: nothing to answer */
    return;
  }
}

/* ---- receive path ---- */

gint64
mcu_ice_stamp_to_monotonic (const struct timespec *stamp, gint64 now_us, const struct timespec *real)
{
  gint64 age = (gint64) (real->tv_sec - stamp->tv_sec) * G_USEC_PER_SEC + (real->tv_nsec - stamp->tv_nsec) / 1000;

  return age >= 0 && age < MAX_ARRIVAL_AGE_US ? now_us - age : now_us;
}

/* The kernel's receive time of message @i on the monotonic clock; @now_us/@real: read once per
 * batch. */
static gint64
arrival_of (McuIcePort *port, guint i, gint64 now_us, const struct timespec *real)
{
  struct msghdr *hdr = &port->msgs[i].msg_hdr;

  for (struct cmsghdr *c = CMSG_FIRSTHDR (hdr); c != NULL; c = CMSG_NXTHDR (hdr, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec stamp;

      memcpy (&stamp, CMSG_DATA (c), sizeof stamp);
      return mcu_ice_stamp_to_monotonic (&stamp, now_us, real);
    }
  }
  return now_us;
}

/* One datagram (UDP), or one RFC 4571 frame of the ICE-TCP connection @conn. */
static void
handle_datagram (PortSocket *s, TcpConn *conn, guint8 *data, gsize len, const struct sockaddr_storage *from,
                 socklen_t from_len, gint64 arrival_us)
{
  McuIcePort *port = s->port;
  AddrKey key;
  McuIcePortEntry *entry;

  if (len == 0 || !addr_key_from (&key, from)) {
    port->stats.bad_stun++;
    return;
  }
  if (conn != NULL)
    key.family |= TCP_KEY;
  entry = g_hash_table_lookup (port->by_address, &key);
  if (data[0] < 4) {               /* RFC 7983: STUN */
    handle_stun (s, conn, data, len, from, from_len, &key, entry, arrival_us);
    return;
  }
  if (entry == NULL) {
    port->stats.unknown_source++;
    return;
  }
  entry->last_heard_us = arrival_us;
  entry->silent = FALSE;
  entry->callbacks.on_packet (entry->owner, data, len, arrival_us);
}

static void
prepare_batch (McuIcePort *port)
{
  for (guint i = 0; i < RECV_BATCH; i++) {
    struct msghdr *hdr = &port->msgs[i].msg_hdr;

    port->iov[i].iov_base = port->bufs[i];
    port->iov[i].iov_len = RECV_BUFFER;
    hdr->msg_name = &port->names[i];
    hdr->msg_namelen = sizeof port->names[i];
    hdr->msg_iov = &port->iov[i];
    hdr->msg_iovlen = 1;
    hdr->msg_control = port->control[i].buf;
    hdr->msg_controllen = sizeof port->control[i].buf;
    hdr->msg_flags = 0;
  }
}

/* Reads what the socket has, RECV_BATCH datagrams a call; stops at a short batch (the socket is
 * empty: no extra call to learn it) or after RECV_ROUNDS calls (the rest waits for the next poll,
 * so timers and sends are not starved). */
static gboolean
on_readable (gint fd, GIOCondition condition, gpointer data)
{
  PortSocket *s = data;
  McuIcePort *port = mcu_ice_port_ref (s->port);

  for (guint round = 0; round < RECV_ROUNDS; round++) {
    struct timespec real;
    gint64 now_us;
    int n;

    prepare_batch (port);
    n = recvmmsg (fd, port->msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
      break;
    port->stats.syscalls++;
    port->stats.datagrams += (guint) n;
    now_us = g_get_monotonic_time ();
    clock_gettime (CLOCK_REALTIME, &real);
    for (int i = 0; i < n; i++) {
      struct msghdr *hdr = &port->msgs[i].msg_hdr;

      if (hdr->msg_flags & MSG_TRUNC)
        port->stats.truncated++;
      else
        handle_datagram (s, NULL, port->bufs[i], port->msgs[i].msg_len, &port->names[i], hdr->msg_namelen,
                         arrival_of (port, (guint) i, now_us, &real));
    }
    if (n < RECV_BATCH)
      break;
  }
  mcu_ice_port_unref (port);
  return G_SOURCE_CONTINUE;
}

/* ---- ICE-TCP (passive: the sites connect; RFC 6544 with RFC 4571 framing) ---- */

typedef struct {
  GSource source;
  TcpConn *conn;
  gpointer tag;
} ConnSource;

static void
conn_free (gpointer data)
{
  TcpConn *conn = data;
  AddrKey key;
  gpointer old_key, owner;

  if (conn->entry != NULL && addr_key_from (&key, &conn->remote)) {
    key.family |= TCP_KEY;
    if (g_hash_table_lookup_extended (conn->port->by_address, &key, &old_key, &owner) && owner == conn->entry)
      forget_address (conn->entry, old_key);
  }
  drop_source (&conn->source);
  close (conn->fd);
  g_byte_array_unref (conn->out);
  g_free (conn);
}

static void
tcp_close (TcpConn *conn)
{
  g_hash_table_remove (conn->port->conns, &conn->id); /* frees it */
}

static void
set_writing (TcpConn *conn, gboolean writing)
{
  ConnSource *cs = (ConnSource *) conn->source;

  if (conn->writing == writing)
    return;
  conn->writing = writing;
  g_source_modify_unix_fd (conn->source, cs->tag, G_IO_IN | (writing ? G_IO_OUT : 0));
}

/* Queues @len bytes of @data for the connection (the kernel's buffer was full); FALSE when over
 * the limit (the caller drops the packet). */
static gboolean
queue_out (TcpConn *conn, const guint8 *data, gsize len)
{
  if (conn->out->len + len > TCP_OUT_MAX)
    return FALSE;
  g_byte_array_append (conn->out, data, (guint) len);
  set_writing (conn, TRUE);
  return TRUE;
}

/* One frame: the 2-byte length, then @data. Goes out at once when nothing is queued before it. */
static int
tcp_send (TcpConn *conn, const guint8 *data, gsize len)
{
  guint8 header[2] = { (guint8) (len >> 8), (guint8) len };
  struct iovec iov[2] = { { header, 2 }, { (void *) data, len } };
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
  ssize_t sent = 0;

  if (len == 0 || len > G_MAXUINT16)
    return -EMSGSIZE;
  if (conn->out->len + 2 + len > TCP_OUT_MAX) {
    conn->port->stats.tcp_dropped++;
    return -ENOBUFS;
  }
  if (conn->out->len == 0) {
    sent = sendmsg (conn->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return -errno;   /* the read side sees the connection end and closes it */
    sent = MAX (sent, 0);
  }
  if ((gsize) sent < 2) {
    queue_out (conn, header + sent, 2 - (gsize) sent);
    queue_out (conn, data, len);
  } else if ((gsize) sent < 2 + len) {
    queue_out (conn, data + (sent - 2), len - (gsize) (sent - 2));
  }
  return (int) len;
}

static gboolean
flush_out (TcpConn *conn)
{
  ssize_t sent = send (conn->fd, conn->out->data, conn->out->len, MSG_DONTWAIT | MSG_NOSIGNAL);

  if (sent < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  g_byte_array_remove_range (conn->out, 0, (guint) sent);
  if (conn->out->len == 0)
    set_writing (conn, FALSE);
  return TRUE;
}

/* Hands the whole frames in conn->in on; FALSE when a frame is malformed (the connection is then
 * closed: its framing is lost). */
static gboolean
take_frames (TcpConn *conn)
{
  gsize used = 0;

  while (conn->in_len - used >= 2) {
    gsize len = (gsize) conn->in[used] << 8 | conn->in[used + 1];

    if (len == 0 || len > TCP_FRAME_MAX) {
      conn->port->stats.bad_stun++;
      return FALSE;
    }
    if (conn->in_len - used < 2 + len)
      break;
    handle_datagram (conn->listener, conn, conn->in + used + 2, len, &conn->remote, conn->remote_len,
                     g_get_monotonic_time ());
    used += 2 + len;
  }
  memmove (conn->in, conn->in + used, conn->in_len - used);
  conn->in_len -= used;
  return TRUE;
}

/* FALSE: close the connection (ended, broken, malformed). */
static gboolean
conn_ready (TcpConn *conn, GIOCondition condition)
{
  if ((condition & G_IO_OUT) && !flush_out (conn))
    return FALSE;
  if (!(condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
    return TRUE;
  for (guint round = 0; round < RECV_ROUNDS; round++) {
    ssize_t n = recv (conn->fd, conn->in + conn->in_len, sizeof conn->in - conn->in_len, MSG_DONTWAIT);

    if (n == 0)
      return FALSE;
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    conn->in_len += (gsize) n;
    if (!take_frames (conn))
      return FALSE;
  }
  return TRUE;
}

static gboolean
conn_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  ConnSource *cs = (ConnSource *) source;
  TcpConn *conn = cs->conn;
  McuIcePort *port = mcu_ice_port_ref (conn->port);

  if (!conn_ready (conn, g_source_query_unix_fd (source, cs->tag)))
    tcp_close (conn);
  mcu_ice_port_unref (port);
  return G_SOURCE_CONTINUE;
}

static const GSourceFuncs conn_source_funcs = { NULL, NULL, conn_dispatch, NULL, NULL, NULL };

static void
add_connection (PortSocket *listener, int fd, const struct sockaddr_storage *remote, socklen_t remote_len)
{
  McuIcePort *port = listener->port;
  TcpConn *conn = g_new0 (TcpConn, 1);
  ConnSource *cs;
  int one = 1;

  (void) setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  conn->port = port;
  conn->listener = listener;
  conn->id = ++port->next_conn_id;
  conn->fd = fd;
  conn->remote = *remote;
  conn->remote_len = remote_len;
  conn->accepted_us = g_get_monotonic_time ();
  conn->out = g_byte_array_new ();
  conn->source = g_source_new ((GSourceFuncs *) &conn_source_funcs, sizeof (ConnSource));
  cs = (ConnSource *) conn->source;
  cs->conn = conn;
  cs->tag = g_source_add_unix_fd (conn->source, fd, G_IO_IN);
  g_source_set_name (conn->source, "mcu-ice-port-tcp");
  g_source_attach (conn->source, port->context);
  g_hash_table_insert (port->conns, &conn->id, conn);
  port->stats.tcp_connections++;
}

static gboolean
on_accept (gint fd, GIOCondition condition, gpointer data)
{
  PortSocket *listener = data;
  McuIcePort *port = listener->port;

  for (guint i = 0; i < TCP_BACKLOG; i++) {
    struct sockaddr_storage remote;
    socklen_t len = sizeof remote;
    int conn = accept4 (fd, (struct sockaddr *) &remote, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (conn < 0)
      break;
    if (g_hash_table_size (port->conns) >= TCP_MAX_CONNECTIONS) {
      port->stats.tcp_refused++;
      close (conn);
      continue;
    }
    add_connection (listener, conn, &remote, len);
  }
  return G_SOURCE_CONTINUE;
}

/* Connections that never passed a check are closed after a while. */
static void
close_idle_connections (McuIcePort *port)
{
  gint64 limit = g_get_monotonic_time () - TCP_CHECK_WITHIN_US;
  GHashTableIter iter;
  TcpConn *conn;

  g_hash_table_iter_init (&iter, port->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
    if (conn->entry == NULL && conn->accepted_us < limit)
      g_hash_table_iter_remove (&iter);
}

/* ---- silence ---- */

static gboolean
check_silence (gpointer data)
{
  McuIcePort *port = data;
  gint64 limit = g_get_monotonic_time () - (gint64) port->silent_ms * 1000;

  mcu_ice_port_ref (port);
  close_idle_connections (port);
  for (guint i = 0; i < port->entries->len; i++) {
    McuIcePortEntry *entry = g_ptr_array_index (port->entries, i);

    if (entry->silent || entry->keys->len == 0 || entry->last_heard_us > limit)
      continue;
    entry->silent = TRUE;
    entry->callbacks.on_silent (entry->owner);
    /* The callback may have removed entries: start again (those told are marked); the
     * loop's increment wraps this to 0. */
    i = G_MAXUINT;
  }
  mcu_ice_port_unref (port);
  return G_SOURCE_CONTINUE;
}

/* ---- sockets ---- */

static void
close_socket (gpointer data)
{
  PortSocket *s = data;

  drop_source (&s->source);
  if (s->fd >= 0)
    close (s->fd);
  g_free (s);
}

static void
set_buffer (int fd, int force, int plain, int size)
{
  /* The FORCE variant passes rmem_max/wmem_max when the mcu may (CAP_NET_ADMIN). */
  if (setsockopt (fd, SOL_SOCKET, force, &size, sizeof size) < 0)
    (void) setsockopt (fd, SOL_SOCKET, plain, &size, sizeof size);
}

/* Prepares a socket of @s's kind before bind: receive times for UDP, address reuse (TIME_WAIT of
 * an earlier run) for a TCP listener. */
static int
prepare_socket (PortSocket *s)
{
  int one = 1;

  if (s->family == AF_INET6)
    (void) setsockopt (s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (s->tcp)
    return setsockopt (s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  return setsockopt (s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
}

/* A UDP socket (@tcp: a listening TCP one) on @ip:@port_number (0 = any); NULL with @error set
 * (and *@err_out the system's errno when the system refused). */
static PortSocket *
open_socket (const char *ip, guint port_number, gboolean tcp, int *err_out, GError **error)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (ip);
  g_autoptr (GSocketAddress) bind_address = NULL;
  struct sockaddr_storage native;
  socklen_t native_len = sizeof native;
  PortSocket *s;

  if (address == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "ICE address '%s' is not an IP address", ip);
    return NULL;
  }
  bind_address = g_inet_socket_address_new (address, (guint16) port_number);
  if (!g_socket_address_to_native (bind_address, &native, sizeof native, error))
    return NULL;
  s = g_new0 (PortSocket, 1);
  s->family = native.ss_family;
  s->tcp = tcp;
  s->fd = socket (s->family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0 || prepare_socket (s) < 0 ||
      bind (s->fd, (struct sockaddr *) &native, (socklen_t) g_socket_address_get_native_size (bind_address)) < 0 ||
      getsockname (s->fd, (struct sockaddr *) &native, &native_len) < 0 ||
      (tcp && listen (s->fd, TCP_BACKLOG) < 0)) {
    int err = errno;
    *err_out = err;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "%s port %u on %s: %s", tcp ? "TCP" : "UDP",
                 port_number, ip, g_strerror (err));
    close_socket (s);
    return NULL;
  }
  set_buffer (s->fd, SO_RCVBUFFORCE, SO_RCVBUF, SOCKET_BUFFER);
  set_buffer (s->fd, SO_SNDBUFFORCE, SO_SNDBUF, SOCKET_BUFFER);
  g_strlcpy (s->ip, ip, sizeof s->ip);
  return s;
}

static guint
socket_port (const PortSocket *s)
{
  struct sockaddr_storage local;
  socklen_t len = sizeof local;

  if (getsockname (s->fd, (struct sockaddr *) &local, &len) < 0)
    return 0;
  return g_ntohs (local.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &local)->sin6_port
                                              : ((struct sockaddr_in *) &local)->sin_port);
}

/* Every address on @port_number (0: the first address picks one), UDP and with port->tcp a TCP
 * listener too; FALSE if one refused the port. An address the machine no longer has (an interface
 * gone since the list was made: a VPN, a DHCP lease) is left out, unless none is left. */
static gboolean
bind_all (McuIcePort *port, const char *const *addresses, guint port_number, GError **error)
{
  for (guint k = 0; k < (port->tcp ? 2u : 1u); k++) {
    for (guint i = 0; addresses[i] != NULL; i++) {
      g_autoptr (GError) local = NULL;
      int err = 0;
      PortSocket *s = open_socket (addresses[i], port_number, k == 1, &err, &local);

      if (s == NULL && err == EADDRNOTAVAIL) {
        g_message ("ICE address %s is not on this machine any more: left out", addresses[i]);
        continue;
      }
      if (s == NULL) {
        g_propagate_error (error, g_steal_pointer (&local));
        g_ptr_array_set_size (port->sockets, 0);
        g_ptr_array_set_size (port->listeners, 0);
        return FALSE;
      }
      s->port = port;
      g_ptr_array_add (k == 1 ? port->listeners : port->sockets, s);
      if (port_number == 0)
        port_number = socket_port (s);
    }
  }
  if (port->sockets->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "none of the ICE addresses is on this machine");
    return FALSE;
  }
  port->port_number = port_number;
  return TRUE;
}

static gboolean
bind_sockets (McuIcePort *port, const char *const *addresses, guint port_min, guint port_max,
              GError **error)
{
  if (addresses == NULL || addresses[0] == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no ICE address to listen on");
    return FALSE;
  }
  if (port_min == 0 && port_max == 0) {
    for (guint t = 0; t < BIND_TRIES; t++) {
      g_clear_error (error);
      if (bind_all (port, addresses, 0, error))
        return TRUE;
    }
    return FALSE;
  }
  if (port_max == 0)
    port_max = 65535;
  for (guint p = MAX (port_min, 1); p <= port_max && p <= 65535; p++) {
    g_clear_error (error);
    if (bind_all (port, addresses, p, error))
      return TRUE;
  }
  g_prefix_error (error, "no free UDP port in %u-%u: ", port_min, port_max);
  return FALSE;
}

static void
start_socket (McuIcePort *port, PortSocket *s)
{
  if (s->family == AF_INET6)
    g_snprintf (s->local, sizeof s->local, "[%s]:%u", s->ip, port->port_number);
  else
    g_snprintf (s->local, sizeof s->local, "%s:%u", s->ip, port->port_number);
  s->source = g_unix_fd_source_new (s->fd, G_IO_IN);
  g_source_set_callback (s->source, s->tcp ? G_SOURCE_FUNC (on_accept) : G_SOURCE_FUNC (on_readable), s, NULL);
  g_source_set_can_recurse (s->source, TRUE); /* see peer.c let_socket_sources_recurse */
  g_source_set_name (s->source, s->tcp ? "mcu-ice-port-listen" : "mcu-ice-port");
  g_source_attach (s->source, port->context);
}

static void
start_reading (McuIcePort *port)
{
  for (guint i = 0; i < port->sockets->len; i++)
    start_socket (port, g_ptr_array_index (port->sockets, i));
  for (guint i = 0; i < port->listeners->len; i++)
    start_socket (port, g_ptr_array_index (port->listeners, i));
  port->silence_timer = g_timeout_source_new_seconds (1);
  g_source_set_callback (port->silence_timer, check_silence, port, NULL);
  g_source_attach (port->silence_timer, port->context);
}

/* ---- construction ---- */

static void
port_clear (gpointer data)
{
  McuIcePort *port = data;

  drop_source (&port->silence_timer);
  g_hash_table_unref (port->conns);     /* before the tables their entries' addresses are in */
  g_ptr_array_unref (port->listeners);
  g_ptr_array_unref (port->sockets);
  g_hash_table_unref (port->by_ufrag);
  g_hash_table_unref (port->by_address);
  g_ptr_array_unref (port->entries);
  g_main_context_unref (port->context);
}

McuIcePort *
mcu_ice_port_new (GMainContext *context, const char *const *addresses, guint port_min, guint port_max,
                  gboolean tcp, guint silent_ms, GError **error)
{
  McuIcePort *port = g_atomic_rc_box_new0 (McuIcePort);

  port->context = g_main_context_ref (context != NULL ? context : g_main_context_default ());
  port->sockets = g_ptr_array_new_with_free_func (close_socket);
  port->listeners = g_ptr_array_new_with_free_func (close_socket);
  port->tcp = tcp;
  port->conns = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, conn_free);
  port->by_ufrag = g_hash_table_new (g_str_hash, g_str_equal);
  port->by_address = g_hash_table_new (addr_key_hash, addr_key_equal);
  port->entries = g_ptr_array_new ();
  port->silent_ms = MAX (silent_ms, 1000);
  port->tie_breaker = ((guint64) g_random_int () << 32) | g_random_int ();
  stun_agent_init (&port->stun, known_attributes, STUN_COMPATIBILITY_RFC5389,
                   STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT |
                       STUN_AGENT_USAGE_NO_INDICATION_AUTH);  /* keepalives carry no credentials */
  if (port_max != 0 && port_min > port_max) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "UDP port range %u-%u is empty", port_min,
                 port_max);
    mcu_ice_port_unref (port);
    return NULL;
  }
  if (!bind_sockets (port, addresses, port_min, port_max, error)) {
    mcu_ice_port_unref (port);
    return NULL;
  }
  start_reading (port);
  return port;
}

McuIcePort *
mcu_ice_port_ref (McuIcePort *port)
{
  return g_atomic_rc_box_acquire (port);
}

void
mcu_ice_port_unref (McuIcePort *port)
{
  if (port != NULL)
    g_atomic_rc_box_release_full (port, port_clear);
}

guint
mcu_ice_port_get_port (McuIcePort *port)
{
  return port->port_number;
}

static char *
host_candidate (guint index, const char *ip, guint port_number)
{
  guint32 priority = (HOST_TYPE_PREFERENCE << 24) | ((65535u - MIN (index, 65535u)) << 8) | 255u;

  return g_strdup_printf ("candidate:%u 1 udp %u %s %u typ host", index + 1, priority, ip, port_number);
}

/* RFC 6544 §4.2: a passive host candidate's local preference carries the direction preference
 * (passive: 2) in its top bits; below every UDP candidate's, so sites prefer UDP. */
static char *
tcp_candidate (guint index, const char *ip, guint port_number)
{
  guint32 local = (2u << 13) | (8191u - MIN (index, 8191u));
  guint32 priority = (HOST_TYPE_PREFERENCE << 24) | (local << 8) | 255u;

  return g_strdup_printf ("candidate:%u 1 tcp %u %s %u typ host tcptype passive", index + 1, priority, ip,
                          port_number);
}

gboolean
mcu_ice_port_has_tcp (McuIcePort *port)
{
  return port->listeners->len > 0;
}

int
mcu_ice_port_send_tcp (McuIcePort *port, guint64 connection, const guint8 *data, gsize len)
{
  TcpConn *conn = g_hash_table_lookup (port->conns, &connection);

  return conn != NULL ? tcp_send (conn, data, len) : -ENOTCONN;
}

char **
mcu_ice_port_get_candidates (McuIcePort *port, const char *public_address)
{
  GPtrArray *lines = g_ptr_array_new ();
  guint n = port->sockets->len;

  for (guint i = 0; i < n; i++) {
    PortSocket *s = g_ptr_array_index (port->sockets, i);
    g_ptr_array_add (lines, host_candidate (i, s->ip, port->port_number));
  }
  if (public_address != NULL && *public_address != '\0')
    g_ptr_array_add (lines, host_candidate (n, public_address, port->port_number));
  for (guint i = 0; i < port->listeners->len; i++) {
    PortSocket *s = g_ptr_array_index (port->listeners, i);
    g_ptr_array_add (lines, tcp_candidate (n + 1 + i, s->ip, port->port_number));
  }
  if (public_address != NULL && *public_address != '\0' && port->listeners->len > 0)
    g_ptr_array_add (lines, tcp_candidate (n + 1 + port->listeners->len, public_address, port->port_number));
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}

const char *
mcu_ice_port_get_local_address (McuIcePort *port, int fd)
{
  GHashTableIter iter;
  TcpConn *conn;

  for (guint i = 0; i < port->sockets->len; i++) {
    PortSocket *s = g_ptr_array_index (port->sockets, i);
    if (s->fd == fd)
      return s->local;
  }
  g_hash_table_iter_init (&iter, port->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
    if (conn->fd == fd)
      return conn->listener->local;
  return "";
}

void
mcu_ice_port_get_stats (McuIcePort *port, McuIcePortStats *stats)
{
  *stats = port->stats;
}

void
mcu_ice_port_inject (McuIcePort *port, guint8 *data, gsize len, const struct sockaddr *from, socklen_t from_len)
{
  struct sockaddr_storage address = { 0 };

  g_return_if_fail (port->sockets->len > 0 && from_len <= sizeof address);
  memcpy (&address, from, from_len);
  mcu_ice_port_ref (port);
  port->stats.datagrams++;
  handle_datagram (g_ptr_array_index (port->sockets, 0), NULL, data, len, &address, from_len, g_get_monotonic_time ());
  mcu_ice_port_unref (port);
}

/* ---- entries ---- */

McuIcePortEntry *
mcu_ice_port_add (McuIcePort *port, const char *ufrag, const char *pwd, const McuIcePortCallbacks *callbacks,
                  gpointer owner)
{
  McuIcePortEntry *entry = g_new0 (McuIcePortEntry, 1);

  entry->port = mcu_ice_port_ref (port);
  entry->ufrag = g_strdup (ufrag);
  entry->pwd = g_strdup (pwd);
  entry->callbacks = *callbacks;
  entry->owner = owner;
  entry->keys = g_ptr_array_new_with_free_func (g_free);
  entry->last_heard_us = g_get_monotonic_time ();
  g_hash_table_insert (port->by_ufrag, entry->ufrag, entry);
  g_ptr_array_add (port->entries, entry);
  return entry;
}

void
mcu_ice_port_entry_set_credentials (McuIcePortEntry *entry, const char *ufrag, const char *pwd)
{
  McuIcePort *port = entry->port;

  drop_old_credentials (entry);   /* a second restart before any check: the first's are void */
  g_hash_table_remove (port->by_ufrag, entry->ufrag);
  entry->old_ufrag = entry->ufrag;
  entry->old_pwd = entry->pwd;
  g_hash_table_insert (port->by_ufrag, entry->old_ufrag, entry);
  entry->ufrag = g_strdup (ufrag);
  entry->pwd = g_strdup (pwd);
  g_hash_table_insert (port->by_ufrag, entry->ufrag, entry);
}

void
mcu_ice_port_remove (McuIcePortEntry *entry)
{
  McuIcePort *port;

  if (entry == NULL)
    return;
  port = entry->port;
  GHashTableIter iter;
  TcpConn *conn;
  g_hash_table_iter_init (&iter, port->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
    if (conn->entry == entry)
      conn->entry = NULL;   /* its address goes with the entry's below */
  drop_old_credentials (entry);
  g_hash_table_remove (port->by_ufrag, entry->ufrag);
  for (guint i = 0; i < entry->keys->len; i++)
    g_hash_table_remove (port->by_address, g_ptr_array_index (entry->keys, i));
  g_ptr_array_remove_fast (port->entries, entry);
  g_ptr_array_unref (entry->keys);
  g_free (entry->ufrag);
  g_free (entry->pwd);
  g_free (entry);
  mcu_ice_port_unref (port);
}
