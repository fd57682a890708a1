/* SPDX-License-Identifier: MIT */
/* Unit tests for McuUdpBatch on 127.0.0.1: single sends; a batch goes out at flush in one system
 * call, runs of equal sizes segmented by the kernel, every datagram intact, sized and in order; a
 * full batch flushes itself; a socket that refuses segmentation (SO_NO_CHECK) makes the batch send
 * one by one, losing nothing; a socket that refuses everything counts the refused packets; no
 * target, no sends. Reading = blocking recv with a timeout on the receiving socket. */
#include "transport/udp-batch.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct {
  int rx, tx;
  struct sockaddr_in to;
  McuUdpBatch *batch;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof f->to;
  struct timeval timeout = { .tv_sec = 5 };
  int big = 1 << 20;

  f->rx = socket (AF_INET, SOCK_DGRAM, 0);
  f->tx = socket (AF_INET, SOCK_DGRAM, 0);
  g_assert_cmpint (f->rx, >=, 0);
  g_assert_cmpint (f->tx, >=, 0);
  g_assert_cmpint (bind (f->rx, (struct sockaddr *) &any, sizeof any), ==, 0);
  g_assert_cmpint (getsockname (f->rx, (struct sockaddr *) &f->to, &len), ==, 0);
  setsockopt (f->rx, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt (f->rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  f->batch = mcu_udp_batch_new ();
  mcu_udp_batch_set_target (f->batch, f->tx, (struct sockaddr *) &f->to, sizeof f->to);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  mcu_udp_batch_free (f->batch);
  close (f->rx);
  close (f->tx);
}

/* Packet @i of a test: @len bytes, each (i * 7 + offset) & 0xff. */
static void
fill (guint8 *buf, guint i, gsize len)
{
  for (gsize k = 0; k < len; k++)
    buf[k] = (guint8) (i * 7 + k);
}

static void
queue (Fixture *f, guint i, gsize len)
{
  guint8 buf[2000];

  fill (buf, i, len);
  g_assert_cmpint (mcu_udp_batch_send (f->batch, buf, len), ==, (int) len);
}

/* Reads @n datagrams and checks each one's size and bytes against @lens (packet i = index i). */
static void
expect (Fixture *f, const gsize *lens, guint n)
{
  guint8 got[2000], want[2000];

  for (guint i = 0; i < n; i++) {
    ssize_t r = recv (f->rx, got, sizeof got, 0);
    g_assert_cmpint (r, ==, (ssize_t) lens[i]);
    fill (want, i, lens[i]);
    g_assert_cmpmem (got, (gsize) r, want, lens[i]);
  }
  g_assert_cmpint (recv (f->rx, got, sizeof got, MSG_DONTWAIT), <, 0);   /* nothing more */
}

static void
send_batch (Fixture *f, const gsize *lens, guint n)
{
  mcu_udp_batch_begin (f->batch);
  g_assert_true (mcu_udp_batch_is_open (f->batch));
  for (guint i = 0; i < n; i++)
    queue (f, i, lens[i]);
  g_assert_cmpuint (mcu_udp_batch_flush (f->batch), ==, 0);
  g_assert_false (mcu_udp_batch_is_open (f->batch));
}

static void
test_single (Fixture *f, gconstpointer data)
{
  McuUdpBatchStats stats;
  static const gsize lens[] = { 100, 1200 };

  queue (f, 0, lens[0]);
  queue (f, 1, lens[1]);
  expect (f, lens, 2);
  mcu_udp_batch_get_stats (f->batch, &stats);
  g_assert_cmpuint (stats.syscalls, ==, 2);
  g_assert_cmpuint (stats.packets, ==, 2);
  g_assert_cmpuint (stats.failures, ==, 0);
  g_assert_cmpint (mcu_udp_batch_send (f->batch, (const guint8 *) "x", 0), ==, -EMSGSIZE);
}

/* A frame (equal parts, a shorter last one), then mixed sizes: two batches, two system calls. */
static void
test_batch (Fixture *f, gconstpointer data)
{
  McuUdpBatchStats stats;
  static const gsize frame[] = { 1100, 1100, 1100, 1100, 1100, 830 };
  static const gsize mixed[] = { 500, 800, 800, 300, 900, 900, 900, 1000, 60 };
  guint8 buf[10];

  send_batch (f, frame, G_N_ELEMENTS (frame));
  expect (f, frame, G_N_ELEMENTS (frame));
  send_batch (f, mixed, G_N_ELEMENTS (mixed));
  expect (f, mixed, G_N_ELEMENTS (mixed));
  mcu_udp_batch_get_stats (f->batch, &stats);
  g_assert_cmpuint (stats.syscalls, ==, 2);
  g_assert_cmpuint (stats.packets, ==, G_N_ELEMENTS (frame) + G_N_ELEMENTS (mixed));
  g_assert_true (stats.gso);

  /* An empty batch sends nothing. */
  mcu_udp_batch_begin (f->batch);
  g_assert_cmpuint (mcu_udp_batch_flush (f->batch), ==, 0);
  mcu_udp_batch_get_stats (f->batch, &stats);
  g_assert_cmpuint (stats.syscalls, ==, 2);
  g_assert_cmpint (recv (f->rx, buf, sizeof buf, MSG_DONTWAIT), <, 0);
}

/* More than a batch holds: it flushes itself on the way and loses nothing. */
static void
test_overflow (Fixture *f, gconstpointer data)
{
  McuUdpBatchStats stats;
  gsize lens[150];

  for (guint i = 0; i < G_N_ELEMENTS (lens); i++)
    lens[i] = 1000;
  send_batch (f, lens, G_N_ELEMENTS (lens));
  expect (f, lens, G_N_ELEMENTS (lens));
  mcu_udp_batch_get_stats (f->batch, &stats);
  g_assert_cmpuint (stats.packets, ==, G_N_ELEMENTS (lens));
  g_assert_cmpuint (stats.syscalls, ==, 3);   /* 60 + 60 (the byte limit), then 30 */
}

/* A socket without UDP checksums cannot segment: the kernel says EINVAL, the batch resends the
 * same packets one by one and keeps doing so. */
static void
test_no_segmentation (Fixture *f, gconstpointer data)
{
  McuUdpBatchStats stats;
  static const gsize frame[] = { 1000, 1000, 1000, 700 };
  int one = 1;

  g_assert_cmpint (setsockopt (f->tx, SOL_SOCKET, SO_NO_CHECK, &one, sizeof one), ==, 0);
  send_batch (f, frame, G_N_ELEMENTS (frame));
  expect (f, frame, G_N_ELEMENTS (frame));
  mcu_udp_batch_get_stats (f->batch, &stats);
  g_assert_false (stats.gso);
  g_assert_cmpuint (stats.packets, ==, G_N_ELEMENTS (frame));
  g_assert_cmpuint (stats.failures, ==, 0);
  send_batch (f, frame, G_N_ELEMENTS (frame));
  expect (f, frame, G_N_ELEMENTS (frame));
}

/* A socket that takes nothing (a TCP socket, not connected): every packet counted as refused. */
static void
test_refused (Fixture *f, gconstpointer data)
{
  McuUdpBatchStats stats;
  int tcp = socket (AF_INET, SOCK_STREAM, 0);

  mcu_udp_batch_set_target (f->batch, tcp, (struct sockaddr *) &f->to, sizeof f->to);
  mcu_udp_batch_begin (f->batch);
  queue (f, 0, 1000);
  queue (f, 1, 1000);
  queue (f, 2, 500);
  queue (f, 3, 1200);
  g_assert_cmpuint (mcu_udp_batch_flush (f->batch), ==, 4);
  g_assert_cmpint (mcu_udp_batch_send (f->batch, (const guint8 *) "x", 1), <, 0);
  mcu_udp_batch_get_stats (f->batch, &stats);
  g_assert_cmpuint (stats.failures, ==, 5);
  g_assert_cmpuint (stats.packets, ==, 0);
  close (tcp);
}

/* Without a target nothing is sent, and queued packets are dropped when the target goes. */
static void
test_no_target (Fixture *f, gconstpointer data)
{
  McuUdpBatchStats stats;
  guint8 buf[10];

  mcu_udp_batch_begin (f->batch);
  queue (f, 0, 100);
  mcu_udp_batch_set_target (f->batch, -1, NULL, 0);
  g_assert_false (mcu_udp_batch_has_target (f->batch));
  g_assert_cmpuint (mcu_udp_batch_flush (f->batch), ==, 0);
  g_assert_cmpint (mcu_udp_batch_send (f->batch, (const guint8 *) "x", 1), ==, -ENOTCONN);
  mcu_udp_batch_get_stats (f->batch, &stats);
  g_assert_cmpuint (stats.syscalls, ==, 0);
  g_assert_cmpint (recv (f->rx, buf, sizeof buf, MSG_DONTWAIT), <, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/udp-batch/single", Fixture, NULL, fixture_setup, test_single, fixture_teardown);
  g_test_add ("/udp-batch/batch", Fixture, NULL, fixture_setup, test_batch, fixture_teardown);
  g_test_add ("/udp-batch/overflow", Fixture, NULL, fixture_setup, test_overflow, fixture_teardown);
  g_test_add ("/udp-batch/no-segmentation", Fixture, NULL, fixture_setup, test_no_segmentation,
              fixture_teardown);
  g_test_add ("/udp-batch/refused", Fixture, NULL, fixture_setup, test_refused, fixture_teardown);
  g_test_add ("/udp-batch/no-target", Fixture, NULL, fixture_setup, test_no_target, fixture_teardown);
  return g_test_run ();
}
