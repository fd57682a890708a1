/* SPDX-License-Identifier: MIT */
/*
 * bench-udp: what handing packets to the kernel costs on this machine, the way the mcu's transport
 * can do it (mcu/transport/udp-batch.c): a video frame of --packets equal-sized datagrams to one
 * receiver on 127.0.0.1 as one sendmsg per packet, as one batch (sendmmsg, one message per packet)
 * and as one batch with UDP segmentation (one message for the run). Prints the sender's CPU time per
 * frame and per packet; on loopback that includes the kernel delivering into the receiving socket,
 * which a real network card would not put on the sender. The receiver drains with recv between
 * frames (not counted).
 *
 *   build/tools/bench-udp [--frames 20000] [--packets 6] [--size 1100]
 *
 * Threads: one.
 */
#include "bench-clock.h"
#include "transport/udp-batch.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef enum { ONE_BY_ONE, BATCH, BATCH_SEGMENTED, N_WAYS } Way;

static const char *const way_names[N_WAYS] = {
  "sendmsg per packet", "batch (sendmmsg)", "batch + UDP segmentation",
};

static void
drain (int fd)
{
  guint8 buf[2048];

  while (recv (fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
    ;
}

/* CPU ns per frame for @way; -1 when the socket could not be set up. */
static double
run (Way way, guint frames, guint packets, gsize size)
{
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof to;
  int rx = socket (AF_INET, SOCK_DGRAM, 0), tx = socket (AF_INET, SOCK_DGRAM, 0), big = 4 << 20, one = 1;
  guint8 packet[2048];
  double spent = 0;

  if (rx < 0 || tx < 0 || bind (rx, (struct sockaddr *) &to, sizeof to) < 0 ||
      getsockname (rx, (struct sockaddr *) &to, &len) < 0)
    return -1;
  setsockopt (rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (way == BATCH)   /* no UDP checksums: the kernel refuses segmentation, the batch sends one by one */
    setsockopt (tx, SOL_SOCKET, SO_NO_CHECK, &one, sizeof one);
  McuUdpBatch *batch = mcu_udp_batch_new ();
  mcu_udp_batch_set_target (batch, tx, (struct sockaddr *) &to, sizeof to);
  memset (packet, 0x5a, sizeof packet);
  for (guint f = 0; f < frames; f++) {
    double t0 = bench_thread_cpu_ns ();
    if (way != ONE_BY_ONE)
      mcu_udp_batch_begin (batch);
    for (guint p = 0; p < packets; p++)
      mcu_udp_batch_send (batch, packet, size);
    if (way != ONE_BY_ONE)
      mcu_udp_batch_flush (batch);
    spent += bench_thread_cpu_ns () - t0;
    drain (rx);
  }
  McuUdpBatchStats stats;
  mcu_udp_batch_get_stats (batch, &stats);
  if (stats.failures > 0)
    g_printerr ("%s: the kernel refused %" G_GUINT64_FORMAT " packets\n", way_names[way], stats.failures);
  mcu_udp_batch_free (batch);
  close (rx);
  close (tx);
  return spent / frames;
}

int
main (int argc, char **argv)
{
  gint frames = 20000, packets = 6, size = 1100;
  GOptionEntry entries[] = {
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "frames per way (20000)", "N" },
    { "packets", 0, 0, G_OPTION_ARG_INT, &packets, "packets per frame (6)", "N" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "bytes per packet (1100)", "N" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- cost of handing packets to the kernel");
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("bench-udp: %s\n", error->message);
    return 2;
  }
  if (frames < 1 || packets < 1 || packets > MCU_UDP_BATCH_MAX_PACKETS || size < 16 || size > 1500) {
    g_printerr ("bench-udp: --frames >= 1, --packets 1-%d, --size 16-1500\n", MCU_UDP_BATCH_MAX_PACKETS);
    return 2;
  }
  printf ("%d frames of %d x %d bytes to 127.0.0.1, sender CPU:\n", frames, packets, size);
  for (Way way = 0; way < N_WAYS; way++) {
    double ns = run (way, (guint) frames, (guint) packets, (gsize) size);
    if (ns < 0) {
      g_printerr ("bench-udp: cannot set up the sockets\n");
      return 1;
    }
    printf ("  %-26s %7.2f us a frame  %6.2f us a packet\n", way_names[way], ns / 1000, ns / 1000 / packets);
  }
  return 0;
}
