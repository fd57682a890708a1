/* SPDX-License-Identifier: MIT */
/*
 * VP8 RTP packetizer (RFC 7741). Every packet carries X=1, I=1 with a 15-bit picture id so receivers can
 * tell a lost frame from a lost padding packet; S=1 and PID=0 on the frame's first packet. Packets are cut
 * into equal sizes, only the last one a little shorter (never a runt): equal sizes let the transport
 * hand a frame to the kernel as one segmented send (udp-batch.c). Threads: the caller's (a tier thread); no allocation.
 */
#define G_LOG_DOMAIN "mcu-vp8"

#include "vp8-pay.h"

#include <errno.h>
#include <string.h>

void
mcu_vp8_pay_init (McuVp8Pay *pay, const guint8 *frame, gsize len, guint16 picture_id, gboolean keyframe)
{
  pay->frame = frame;
  pay->len = len;
  pay->offset = 0;
  pay->picture_id = picture_id & 0x7fff;
  pay->keyframe = keyframe;
}

int
mcu_vp8_pay_next (McuVp8Pay *pay, guint8 *out, gsize max_payload, gboolean *marker)
{
  if (max_payload <= MCU_VP8_PAY_DESCRIPTOR_LEN)
    return -EINVAL;
  if (pay->offset >= pay->len)
    return 0;
  gsize room = max_payload - MCU_VP8_PAY_DESCRIPTOR_LEN;
  if (pay->offset == 0) {
    gsize packets = (pay->len + room - 1) / room;
    pay->part = (pay->len + packets - 1) / packets;
  }
  gsize n = MIN (MIN (pay->part, room), pay->len - pay->offset);

  out[0] = 0x80 | (pay->offset == 0 ? 0x10 : 0x00); /* X, S, PID 0 */
  out[1] = 0x80;                                     /* I */
  out[2] = 0x80 | (pay->picture_id >> 8);            /* M: 15-bit picture id */
  out[3] = pay->picture_id & 0xff;
  memcpy (out + MCU_VP8_PAY_DESCRIPTOR_LEN, pay->frame + pay->offset, n);
  pay->offset += n;
  *marker = pay->offset >= pay->len;
  return (int) (n + MCU_VP8_PAY_DESCRIPTOR_LEN);
}
