/* SPDX-License-Identifier: MIT */
/*
 * Demultiplexing what arrives on a WebRTC 5-tuple by its first byte (RFC 7983) and RTP from RTCP by
 * the payload type octet (RFC 5761 §4: 192-223, i.e. PT 64-95 with the marker bit, is RTCP).
 * Pure functions; any thread; per-packet safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  MCU_DEMUX_UNKNOWN, /* empty, ZRTP, TURN channel data, anything else: drop and count */
  MCU_DEMUX_STUN,    /* 0-3 */
  MCU_DEMUX_DTLS,    /* 20-63 */
  MCU_DEMUX_RTP,     /* 128-191, payload type octet outside 192-223 */
  MCU_DEMUX_RTCP,    /* 128-191, payload type octet 192-223 */
  MCU_DEMUX_MALFORMED_RTP, /* 128-191 but shorter than the smallest RTCP/RTP header */
} McuDemuxClass;

static inline McuDemuxClass
mcu_demux_classify (const guint8 *data, gsize len)
{
  if (len == 0)
    return MCU_DEMUX_UNKNOWN;
  if (data[0] <= 3)
    return MCU_DEMUX_STUN;
  if (data[0] >= 20 && data[0] <= 63)
    return MCU_DEMUX_DTLS;
  if (data[0] >= 128 && data[0] <= 191) {
    if (len < 8)
      return MCU_DEMUX_MALFORMED_RTP;
    if (data[1] >= 192 && data[1] <= 223)
      return MCU_DEMUX_RTCP;
    return len < 12 ? MCU_DEMUX_MALFORMED_RTP : MCU_DEMUX_RTP;
  }
  return MCU_DEMUX_UNKNOWN;
}

G_END_DECLS
