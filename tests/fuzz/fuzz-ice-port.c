/* SPDX-License-Identifier: MIT */
/* libFuzzer target: McuIcePort (the ICE-lite server) fed arbitrary datagrams. The first byte picks
 * the source: a site address that passed a check (the valid check from the corpus is sent from it
 * first) or a stranger. The rest is one datagram: STUN (validation with libnice's STUN library,
 * USERNAME lookup, MESSAGE-INTEGRITY, FINGERPRINT, the reply) or anything else (handed to the
 * site, or counted as from an unknown source). Any input must be refused or handled without a
 * crash, leak or out-of-bounds access. */
#include <netinet/in.h>
#include <string.h>

#include "transport/ice-port.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define UFRAG "fuzzU"
#define PWD "fuzzpasswordfuzzpassword"

/* A binding request "fuzzU:site" with MESSAGE-INTEGRITY (key PWD), PRIORITY, ICE-CONTROLLING,
 * USE-CANDIDATE and FINGERPRINT: corpus/fuzz-ice-port/check. */
static const guint8 valid_check[] = {
  0x00, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0x66, 0x75, 0x7a, 0x7a, 0x74, 0x72, 0x61, 0x6e,
  0x73, 0x61, 0x63, 0x74, 0x00, 0x06, 0x00, 0x0a, 0x66, 0x75, 0x7a, 0x7a, 0x55, 0x3a, 0x73, 0x69,
  0x74, 0x65, 0x00, 0x00, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x7f, 0x1e, 0xff, 0x80, 0x2a, 0x00, 0x08,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x25, 0x00, 0x00, 0x00, 0x08, 0x00, 0x14,
  0xe8, 0x33, 0xc4, 0xd8, 0x3b, 0x35, 0x3a, 0xbc, 0x35, 0xc4, 0xf6, 0xa0, 0xc8, 0x50, 0xc9, 0xa9,
  0x8a, 0x94, 0x40, 0x44, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xba, 0xf3, 0xbc,
};

static void
on_packet (gpointer owner, guint8 *data, gsize len, gint64 arrival_us)
{
  (*(guint *) owner)++;
}

static void
on_check (gpointer owner, int fd, guint64 connection, const struct sockaddr *from, socklen_t from_len,
          gboolean nominated)
{
  (*(guint *) owner)++;
}

static void
on_silent (gpointer owner)
{
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const char *const loopback[] = { "127.0.0.1", NULL };
  const McuIcePortCallbacks callbacks = { on_packet, on_check, on_silent };
  struct sockaddr_in site = { .sin_family = AF_INET, .sin_port = htons (9), .sin_addr.s_addr = htonl (0x7f000001) };
  struct sockaddr_in stranger = site;
  guint8 buf[2048], check[sizeof valid_check];
  McuIcePort *port;
  McuIcePortEntry *entry;
  guint calls = 0;

  if (size < 1 || size - 1 > sizeof buf)
    return 0;
  port = mcu_ice_port_new (NULL, loopback, 0, 0, FALSE, 30000, NULL);
  if (port == NULL)
    return 0;
  entry = mcu_ice_port_add (port, UFRAG, PWD, &callbacks, &calls);
  memcpy (check, valid_check, sizeof check);
  mcu_ice_port_inject (port, check, sizeof check, (struct sockaddr *) &site, sizeof site);
  g_assert_cmpuint (calls, ==, 1); /* the check passed: the site's address is known */
  stranger.sin_port = htons (10);
  memcpy (buf, data + 1, size - 1);
  mcu_ice_port_inject (port, buf, size - 1, (struct sockaddr *) (data[0] & 1 ? &stranger : &site),
                       sizeof site);
  mcu_ice_port_remove (entry);
  mcu_ice_port_unref (port);
  return 0;
}
