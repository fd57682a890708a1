/* SPDX-License-Identifier: MIT */
/*
 * VP8 RTP packetizer (RFC 7741) for the mixer's output: a 4-byte descriptor with a 15-bit picture id.
 * Threads: an instance is used by one thread at a time (a tier's encoder thread). No allocation.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MCU_VP8_PAY_DESCRIPTOR_LEN 4

typedef struct {
  const guint8 *frame;
  gsize len;
  gsize offset;
  gsize part;         /* payload bytes per packet, fixed at the first one (the last may be less) */
  guint16 picture_id; /* 15-bit */
  gboolean keyframe;
} McuVp8Pay;

/* Starts packetizing @frame (borrowed until the last packet was taken). */
void mcu_vp8_pay_init (McuVp8Pay *pay, const guint8 *frame, gsize len, guint16 picture_id,
                       gboolean keyframe);
/* Writes the next RTP payload (descriptor + data) of at most @max_payload bytes into @out.
 * Returns its length, 0 when the frame is done, or -EINVAL when @max_payload is too small.
 * *@marker is TRUE on the frame's last packet. */
int mcu_vp8_pay_next (McuVp8Pay *pay, guint8 *out, gsize max_payload, gboolean *marker);

G_END_DECLS
