/* SPDX-License-Identifier: MIT */
/*
 * VP8 RTP depacketizer (RFC 7741). Parses the payload descriptor (X/I/L/T/K, 7- or 15-bit picture id),
 * detects key frames from the VP8 payload header and assembles frames by RTP timestamp, marker bit and
 * sequence number into one buffer allocated at creation. A missing packet drops the frame. When that frame
 * was a reference the depacketizer waits for the next key frame, because a VP8 decoder fed a broken
 * reference shows garbage. Not every loss breaks the chain: a frame with the N bit is skipped alone, and
 * with temporal layers (TID and TL0PICIDX present) a lost upper-layer frame only costs the frames up to
 * the next base-layer frame whose TL0PICIDX follows the last base frame handed out. Packets must come
 * in sequence order: mcu/media/video-reorder.c puts them back in order and decides when a hole is lost.
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
  gboolean frame_non_ref;  /* the frame in progress has the N bit */
  gint frame_tid, frame_tl0;
  gint last_base_tl0;    /* TL0PICIDX of the last base-layer (TID 0) frame handed out, -1 unknown */
  gboolean need_base;    /* upper-layer frames are skipped until a base frame follows last_base_tl0 */
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
  depay->last_base_tl0 = -1;
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

/* What losing a frame with these properties costs: nothing beyond the frame itself for a non-reference
 * frame; the frames up to the next base frame for an upper temporal layer frame (when the base layer
 * is being tracked); otherwise the reference chain broke and only a key frame repairs it. */
static void
lose_frame (McuVp8Depay *depay, gboolean non_ref, gint tid, gint tl0)
{
  if (depay->need_keyframe)
    return;
  if (non_ref) {
    depay->stats.skipped_nonref++;
    return;
  }
  if (tid > 0 && tl0 >= 0 && depay->last_base_tl0 >= 0) {
    depay->need_base = TRUE;
    return;
  }
  depay->need_keyframe = TRUE;
}

/* Drops the frame in progress (its loss judged by lose_frame); @counter counts it. A malformed or
 * oversized frame (@counter NULL) always breaks the chain. */
static void
drop_frame (McuVp8Depay *depay, guint64 *counter)
{
  gboolean was_in_frame = depay->in_frame;

  if (was_in_frame && counter != NULL) {
    (*counter)++;
    lose_frame (depay, depay->frame_non_ref, depay->frame_tid, depay->frame_tl0);
    if (depay->frame_picture_id >= 0)
      depay->last_picture_id = depay->frame_picture_id;
  } else {
    depay->need_keyframe = TRUE;
  }
  depay->in_frame = FALSE;
  depay->broken = FALSE;
  depay->size = 0;
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

/* Whole frames vanished between the last frame and @d, which starts a new one. A base frame whose
 * TL0PICIDX follows the last base frame handed out still decodes; an upper-layer frame waits for the
 * next such base frame; anything else needs a key frame. */
static void
lost_between_frames (McuVp8Depay *depay, const McuVp8Descriptor *d)
{
  if (d->tid < 0 || d->tl0picidx < 0 || depay->last_base_tl0 < 0) {
    depay->need_keyframe = TRUE;
    return;
  }
  if (d->tid == 0 && d->tl0picidx == ((depay->last_base_tl0 + 1) & 0xff)) {
    depay->stats.skipped_nonref++;
    return;
  }
  if (d->tid > 0 && d->tl0picidx == depay->last_base_tl0) {
    depay->need_base = TRUE;
    return;
  }
  depay->need_keyframe = TRUE;
}

static void
begin_frame (McuVp8Depay *depay, const McuVp8Descriptor *d, guint32 ts)
{
  depay->in_frame = TRUE;
  depay->broken = !(d->start && d->partition == 0); /* the first packet is missing */
  depay->keyframe = d->keyframe;
  depay->frame_picture_id = d->picture_id;
  depay->frame_pid_15 = d->picture_id_15;
  depay->frame_non_ref = d->non_reference;
  depay->frame_tid = d->tid;
  depay->frame_tl0 = d->tl0picidx;
  depay->ts = ts;
  depay->size = 0;
}

/* While waiting for a base frame: TRUE when this complete frame must still be skipped. */
static gboolean
skip_for_base (McuVp8Depay *depay)
{
  if (!depay->need_base || depay->keyframe)
    return FALSE;
  if (depay->frame_tid != 0)
    return TRUE;
  if (depay->frame_tl0 == ((depay->last_base_tl0 + 1) & 0xff)) {
    depay->need_base = FALSE;
    return FALSE;
  }
  depay->need_keyframe = TRUE; /* a base frame is missing too */
  return TRUE;
}

static int
finish_frame (McuVp8Depay *depay)
{
  if (depay->broken) {
    drop_frame (depay, &depay->stats.dropped_gap);
    return MCU_VP8_DEPAY_PENDING;
  }
  depay->in_frame = FALSE;
  depay->last_picture_id = depay->frame_picture_id;
  if ((depay->need_keyframe && !depay->keyframe) || skip_for_base (depay)) {
    depay->stats.dropped_waiting++;
    return MCU_VP8_DEPAY_PENDING;
  }
  depay->need_keyframe = FALSE;
  depay->need_base = FALSE;
  if (depay->frame_tid == 0 && depay->frame_tl0 >= 0)
    depay->last_base_tl0 = depay->frame_tl0;
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
    depay->need_keyframe = TRUE; /* what the bad packet carried is unknown */
    return -EINVAL;
  }
  if (depay->in_frame && ts != depay->ts) {
    /* The previous frame's last packet (with the marker) never came. */
    drop_frame (depay, &depay->stats.dropped_gap);
  }
  if (gap && (depay->in_frame || gap_lost_frame (depay, &d))) {
    if (depay->in_frame)
      depay->broken = TRUE;
    else if (!depay->need_keyframe)
      lost_between_frames (depay, &d);
  }
  if (!depay->in_frame)
    begin_frame (depay, &d, ts);
  gsize n = len - d.header_len;
  if (depay->size + n > depay->capacity) {
    depay->stats.dropped_overflow++;
    depay->in_frame = FALSE;
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

gboolean
mcu_vp8_depay_needs_base_frame (const McuVp8Depay *depay)
{
  return depay->need_base;
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
