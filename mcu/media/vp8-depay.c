/* SPDX-License-Identifier: MIT */
/*
 * VP8 RTP depacketizer (RFC 7741). Parses the payload descriptor (X/I/L/T/K, 7- or 15-bit picture id),
 * detects key frames from the VP8 payload header and assembles frames by RTP timestamp, marker bit and
 * sequence number into one buffer allocated at creation. A missing packet drops the frame and makes the
 * depacketizer wait for the next key frame, because a VP8 decoder fed a broken reference shows garbage.
 * Threads: an instance is used by one thread (the media thread); no locks, no allocation per packet.
 */
#define G_LOG_DOMAIN "mcu-vp8"

#include "vp8-depay.h"

#include <errno.h>
#include <string.h>

struct _McuVp8Depay {
  guint8 *buffer;
  gsize capacity;
  gsize size;
  guint32 ts;
  guint16 next_seq;
  gboolean have_seq;
  gboolean in_frame;     /* collecting a frame with timestamp ts */
  gboolean broken;       /* the frame in progress lost a packet */
  gboolean keyframe;     /* the frame in progress is a key frame */
  gboolean need_keyframe;
  gint last_picture_id;  /* of the last complete frame, -1 unknown */
  gint frame_picture_id;
  gboolean frame_pid_15;
  gboolean ready;        /* buffer holds a complete frame */
  McuVp8DepayStats stats;
};

int
mcu_vp8_parse_descriptor (const guint8 *p, gsize len, McuVp8Descriptor *d)
{
  gsize i = 1;

  if (len < 1)
    return -EINVAL;
  memset (d, 0, sizeof *d);
  d->picture_id = d->tl0picidx = d->tid = d->keyidx = -1;
  d->non_reference = (p[0] & 0x20) != 0;
  d->start = (p[0] & 0x10) != 0;
  d->partition = p[0] & 0x07;
  if (p[0] & 0x80) {
    if (len < 2)
      return -EINVAL;
    guint8 x = p[1];
    i = 2;
    if (x & 0x80) { /* I */
      if (i >= len)
        return -EINVAL;
      if (p[i] & 0x80) {
        if (i + 1 >= len)
          return -EINVAL;
        d->picture_id = ((p[i] & 0x7f) << 8) | p[i + 1];
        d->picture_id_15 = TRUE;
        i += 2;
      } else {
        d->picture_id = p[i] & 0x7f;
        i += 1;
      }
    }
    if (x & 0x40) { /* L */
      if (i >= len)
        return -EINVAL;
      d->tl0picidx = p[i++];
    }
    if (x & 0x30) { /* T or K share one byte */
      if (i >= len)
        return -EINVAL;
      if (x & 0x20)
        d->tid = p[i] >> 6;
      if (x & 0x10)
        d->keyidx = p[i] & 0x1f;
      i++;
    }
  }
  if (i >= len)
    return -EINVAL; /* a descriptor without payload */
  d->header_len = i;
  /* The P bit (0 = key frame) is bit 0 of the first VP8 byte at the start of partition 0. */
  d->keyframe = d->start && d->partition == 0 && (p[i] & 0x01) == 0;
  return 0;
}

gboolean
mcu_vp8_keyframe_size (const guint8 *f, gsize len, guint *width, guint *height)
{
  if (len < 10 || (f[0] & 0x01) != 0 || f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a)
    return FALSE;
  *width = (f[6] | (f[7] << 8)) & 0x3fff;
  *height = (f[8] | (f[9] << 8)) & 0x3fff;
  return *width > 0 && *height > 0;
}

McuVp8Depay *
mcu_vp8_depay_new (gsize max_frame_bytes)
{
  McuVp8Depay *depay = g_new0 (McuVp8Depay, 1);

  depay->capacity = MAX (max_frame_bytes, 1024);
  depay->buffer = g_malloc (depay->capacity);
  depay->need_keyframe = TRUE;
  depay->last_picture_id = -1;
  return depay;
}

void
mcu_vp8_depay_free (McuVp8Depay *depay)
{
  if (depay == NULL)
    return;
  g_free (depay->buffer);
  g_free (depay);
}

/* Drops the frame in progress: the decoder's references are now unknown. */
static void
drop_frame (McuVp8Depay *depay, guint64 *counter)
{
  if (depay->in_frame && counter != NULL)
    (*counter)++;
  depay->in_frame = FALSE;
  depay->broken = FALSE;
  depay->size = 0;
  depay->need_keyframe = TRUE;
}

/* A sequence gap before the start of a new frame loses nothing when the picture ids are consecutive
 * (the missing packets were padding or a retransmission stream's leftovers). */
static gboolean
gap_lost_frame (const McuVp8Depay *depay, const McuVp8Descriptor *d)
{
  if (depay->in_frame || depay->last_picture_id < 0 || d->picture_id < 0)
    return TRUE;
  gint mod = d->picture_id_15 ? 0x8000 : 0x80;
  return d->picture_id != (depay->last_picture_id + 1) % mod;
}

static void
begin_frame (McuVp8Depay *depay, const McuVp8Descriptor *d, guint32 ts)
{
  depay->in_frame = TRUE;
  depay->broken = !(d->start && d->partition == 0); /* the first packet is missing */
  depay->keyframe = d->keyframe;
  depay->frame_picture_id = d->picture_id;
  depay->frame_pid_15 = d->picture_id_15;
  depay->ts = ts;
  depay->size = 0;
}

static int
finish_frame (McuVp8Depay *depay)
{
  depay->in_frame = FALSE;
  if (depay->broken) {
    drop_frame (depay, NULL);
    depay->stats.dropped_gap++;
    return MCU_VP8_DEPAY_PENDING;
  }
  depay->last_picture_id = depay->frame_picture_id;
  if (depay->need_keyframe && !depay->keyframe) {
    depay->stats.dropped_waiting++;
    return MCU_VP8_DEPAY_PENDING;
  }
  depay->need_keyframe = FALSE;
  depay->ready = TRUE;
  depay->stats.frames++;
  if (depay->keyframe)
    depay->stats.keyframes++;
  return MCU_VP8_DEPAY_FRAME;
}

int
mcu_vp8_depay_push (McuVp8Depay *depay, const guint8 *payload, gsize len, guint16 seq, guint32 ts,
                    gboolean marker)
{
  McuVp8Descriptor d;
  gboolean gap = depay->have_seq && seq != depay->next_seq;

  depay->stats.packets++;
  depay->ready = FALSE;
  depay->have_seq = TRUE;
  depay->next_seq = (guint16) (seq + 1);
  if (mcu_vp8_parse_descriptor (payload, len, &d) < 0) {
    depay->stats.malformed++;
    drop_frame (depay, &depay->stats.dropped_gap);
    return -EINVAL;
  }
  if (depay->in_frame && ts != depay->ts) {
    /* The previous frame's last packet (with the marker) never came. */
    drop_frame (depay, &depay->stats.dropped_gap);
  }
  if (gap && (depay->in_frame || gap_lost_frame (depay, &d))) {
    if (depay->in_frame)
      depay->broken = TRUE;
    else
      depay->need_keyframe = TRUE;
  }
  if (!depay->in_frame)
    begin_frame (depay, &d, ts);
  gsize n = len - d.header_len;
  if (depay->size + n > depay->capacity) {
    depay->stats.dropped_overflow++;
    drop_frame (depay, NULL);
    return MCU_VP8_DEPAY_PENDING;
  }
  memcpy (depay->buffer + depay->size, payload + d.header_len, n);
  depay->size += n;
  return marker ? finish_frame (depay) : MCU_VP8_DEPAY_PENDING;
}

const guint8 *
mcu_vp8_depay_frame (McuVp8Depay *depay, gsize *len, guint32 *ts, gboolean *keyframe)
{
  if (!depay->ready) {
    *len = 0;
    return NULL;
  }
  *len = depay->size;
  if (ts)
    *ts = depay->ts;
  if (keyframe)
    *keyframe = depay->keyframe;
  return depay->buffer;
}

guint8 *
mcu_vp8_depay_swap_buffer (McuVp8Depay *depay, guint8 *buffer)
{
  guint8 *old = depay->buffer;

  depay->buffer = buffer;
  depay->ready = FALSE;
  depay->size = 0;
  return old;
}

gboolean
mcu_vp8_depay_needs_keyframe (const McuVp8Depay *depay)
{
  return depay->need_keyframe;
}

void
mcu_vp8_depay_want_keyframe (McuVp8Depay *depay)
{
  depay->need_keyframe = TRUE;
}

gsize
mcu_vp8_depay_capacity (const McuVp8Depay *depay)
{
  return depay->capacity;
}

const McuVp8DepayStats *
mcu_vp8_depay_stats (const McuVp8Depay *depay)
{
  return &depay->stats;
}
