/* SPDX-License-Identifier: MIT */
/*
 * netimpair-delay: delay and jitter for one direction of a link, since this kernel has no netem.
 *
 * An nft rule hands the link's packets to NFQUEUE number N ("queue num N bypass"); this program holds
 * each one for delay ± jitter milliseconds and then lets it go (NF_ACCEPT). Jitter is drawn uniformly
 * from [-jitter, +jitter] per packet, but a packet is never released before the one queued ahead of
 * it: a real congested or radio link delays in order, and reordering would measure the receivers'
 * reorder handling instead of the delay. Only packet metadata is copied to us (NFQNL_COPY_META).
 *
 *   netimpair-delay --queue 0 --delay 150 --jitter 40 [--seed 1] [--max-held 8192]
 *
 * Prints "ready queue=N" on stdout once bound (callers wait for that line rather than sleeping) and a
 * one-line summary on stderr at exit. SIGTERM/SIGINT release every held packet and exit 0. When more
 * than --max-held packets are held, the newest goes through undelayed (counted as "overflow").
 *
 * Threads: one; a poll loop over the queue socket and a signalfd, with a timeout to the next release.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <endian.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

typedef struct {
  uint32_t id;
  int64_t release_us;
} Held;

typedef struct {
  unsigned queue;
  int64_t delay_us, jitter_us;
  uint64_t rng;
  Held *held;            /* a ring, oldest first; release times never decrease */
  size_t capacity, head, count;
  int64_t last_release_us;
  struct nfq_q_handle *qh;
  uint64_t packets, overflow, max_count, verdict_errors;
} Delay;

static int64_t
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* xorshift64*: enough for jitter, and reproducible with --seed. */
static uint64_t
next_random (Delay *d)
{
  d->rng ^= d->rng >> 12;
  d->rng ^= d->rng << 25;
  d->rng ^= d->rng >> 27;
  return d->rng * 2685821657736338717ULL;
}

static int64_t
draw_delay_us (Delay *d)
{
  int64_t delay = d->delay_us;

  if (d->jitter_us > 0)
    delay += (int64_t) (next_random (d) % (uint64_t) (2 * d->jitter_us + 1)) - d->jitter_us;
  return delay > 0 ? delay : 0;
}

static void
accept_packet (Delay *d, uint32_t id)
{
  if (nfq_set_verdict (d->qh, id, NF_ACCEPT, 0, NULL) < 0)
    d->verdict_errors++;
}

static int
on_packet (struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data)
{
  Delay *d = data;
  struct nfqnl_msg_packet_hdr *hdr = nfq_get_msg_packet_hdr (nfa);
  int64_t release;

  if (hdr == NULL)
    return 0;
  uint32_t id = be32toh (hdr->packet_id);
  d->packets++;
  if (d->count == d->capacity) {
    d->overflow++;
    accept_packet (d, id);
    return 0;
  }
  release = now_us () + draw_delay_us (d);
  if (release < d->last_release_us)
    release = d->last_release_us;
  d->last_release_us = release;
  d->held[(d->head + d->count) % d->capacity] = (Held) { id, release };
  d->count++;
  if (d->count > d->max_count)
    d->max_count = d->count;
  return 0;
}

/* Releases what is due (everything when @all); returns the poll timeout in ms to the next one. */
static int
release_due (Delay *d, int all)
{
  int64_t now = now_us ();

  while (d->count > 0 && (all || d->held[d->head].release_us <= now)) {
    accept_packet (d, d->held[d->head].id);
    d->head = (d->head + 1) % d->capacity;
    d->count--;
  }
  if (d->count == 0)
    return -1;
  int64_t wait = d->held[d->head].release_us - now;
  return (int) ((wait + 999) / 1000);
}

static void
usage (FILE *out)
{
  fputs ("usage: netimpair-delay --queue N --delay MS [--jitter MS] [--seed S] [--max-held N]\n"
         "Holds the packets of nft 'queue num N' for delay ± jitter ms (in order), then accepts them.\n",
         out);
}

static int
parse_args (int argc, char **argv, Delay *d)
{
  static const struct option options[] = {
    { "queue", required_argument, NULL, 'q' }, { "delay", required_argument, NULL, 'd' },
    { "jitter", required_argument, NULL, 'j' }, { "seed", required_argument, NULL, 's' },
    { "max-held", required_argument, NULL, 'm' }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int have_queue = 0, c;

  while ((c = getopt_long (argc, argv, "q:d:j:s:m:h", options, NULL)) != -1) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = c == 'h' ? 0 : strtoull (optarg ? optarg : "", &end, 10);
    if (c == 'h') {
      usage (stdout);
      exit (0);
    }
    if (c == '?' || errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-') {
      fprintf (stderr, "netimpair-delay: bad value for an option\n");
      return -EINVAL;
    }
    switch (c) {
    case 'q': d->queue = (unsigned) v; have_queue = v <= 65535; break;
    case 'd': if (v > 60000) return -EINVAL; d->delay_us = (int64_t) v * 1000; break;
    case 'j': if (v > 60000) return -EINVAL; d->jitter_us = (int64_t) v * 1000; break;
    case 's': d->rng = v ? v : 1; break;
    case 'm': if (v == 0 || v > 1000000) return -EINVAL; d->capacity = (size_t) v; break;
    default: return -EINVAL;
    }
  }
  if (!have_queue || optind != argc) {
    fprintf (stderr, "netimpair-delay: --queue N (0-65535) is required and nothing else may follow\n");
    return -EINVAL;
  }
  return 0;
}

static int
open_signals (void)
{
  sigset_t mask;

  sigemptyset (&mask);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  return signalfd (-1, &mask, SFD_CLOEXEC);
}

static int
run (Delay *d, struct nfq_handle *h)
{
  char buf[4096] __attribute__ ((aligned));
  struct pollfd fds[2] = { { .fd = nfq_fd (h), .events = POLLIN }, { .fd = open_signals (), .events = POLLIN } };
  int timeout = -1;

  if (fds[1].fd < 0)
    return -errno;
  printf ("ready queue=%u\n", d->queue);
  fflush (stdout);
  for (;;) {
    if (poll (fds, 2, timeout) < 0 && errno != EINTR)
      return -errno;
    if (fds[1].revents & POLLIN)
      break;
    if (fds[0].revents & POLLIN) {
      ssize_t n = recv (fds[0].fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0)
        nfq_handle_packet (h, buf, (int) n);
      /* ENOBUFS: the kernel queue outran us; those packets were dropped by the kernel, carry on. */
    }
    timeout = release_due (d, 0);
  }
  release_due (d, 1);
  return 0;
}

int
main (int argc, char **argv)
{
  Delay d = { .capacity = 8192, .rng = 0x9e3779b97f4a7c15ULL };
  struct nfq_handle *h;
  int rc;

  if (parse_args (argc, argv, &d) < 0) {
    usage (stderr);
    return 2;
  }
  d.held = calloc (d.capacity, sizeof *d.held);
  h = nfq_open ();
  if (d.held == NULL || h == NULL) {
    fprintf (stderr, "netimpair-delay: cannot open NFQUEUE (needs root/CAP_NET_ADMIN): %s\n", strerror (errno));
    return 1;
  }
  d.qh = nfq_create_queue (h, (uint16_t) d.queue, on_packet, &d);
  if (d.qh == NULL || nfq_set_mode (d.qh, NFQNL_COPY_META, 0) < 0) {
    fprintf (stderr, "netimpair-delay: cannot bind queue %u (is another program on it?): %s\n", d.queue,
             strerror (errno));
    nfq_close (h);
    return 1;
  }
  nfq_set_queue_maxlen (d.qh, (uint32_t) d.capacity);
  nfnl_rcvbufsiz (nfq_nfnlh (h), 4 * 1024 * 1024);
  rc = run (&d, h);
  fprintf (stderr, "netimpair-delay queue=%u: packets=%llu overflow=%llu max_held=%llu verdict_errors=%llu\n",
           d.queue, (unsigned long long) d.packets, (unsigned long long) d.overflow,
           (unsigned long long) d.max_count, (unsigned long long) d.verdict_errors);
  nfq_destroy_queue (d.qh);
  nfq_close (h);
  free (d.held);
  if (rc < 0)
    fprintf (stderr, "netimpair-delay: %s\n", strerror (-rc));
  return rc < 0 ? 1 : 0;
}
