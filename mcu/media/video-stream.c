/* SPDX-License-Identifier: MIT */
/*
 * A site's incoming stream inside the mixer. The media thread puts packets back in sequence order in
 * the reorder buffer (video-reorder.c: a hole waits for its NACK/RTX repair up to max(2.5 × RTT, 150 ms)
 * capped at 500 ms, 300 ms while the RTT is unknown), assembles frames into the depacketizer's buffer and, only while the stream is in view, swaps that buffer with a free queue slot (pointer swap
 * under a short lock: no copy, no allocation). The video thread swaps the oldest slot with its own
 * work buffer and decodes from it, so neither side ever holds the lock while working on frame data.
 * A full queue drops the oldest frame; the decoder then waits for a key frame (VP8 references broke).
 * After queuing a frame the media thread calls the mixer's notifier, which wakes the video thread to
 * decode it at once (the frame's decode is then off the tick's critical path).
 * Threads: see video-stream.h.
 */
#define G_LOG_DOMAIN "mcu-video"

#include "video-stream.h"

#include <errno.h>
#include <vpx/vp8dx.h>

static void on_packet (gpointer user_data, const McuVideoReorderPacket *packet);

void
mcu_video_stream_init (McuVideoStream *s, gsize max_frame_bytes, guint depth)
{
  s->reorder = mcu_video_reorder_new (MCU_VIDEO_REORDER_DEFAULT_SLOTS, MCU_VIDEO_REORDER_DEFAULT_SLOT_BYTES,
                                      on_packet, s);
  s->rtt_applied_ms = -1;
  atomic_init (&s->rtt_us, -1);
  atomic_init (&s->frames_late, 0);
  atomic_init (&s->frames_given_up, 0);
  atomic_init (&s->holes_given_up, 0);
  atomic_init (&s->skipped_nonref, 0);
  atomic_init (&s->packets_stale, 0);
  s->depay = mcu_vp8_depay_new (max_frame_bytes);
  max_frame_bytes = mcu_vp8_depay_capacity (s->depay);
  g_mutex_init (&s->lock);
  s->depth = MAX (depth, 1);
  s->slots = g_new0 (McuVideoQueuedFrame, s->depth);
  for (guint i = 0; i < s->depth; i++)
    s->slots[i].data = g_malloc (max_frame_bytes);
  s->work = g_malloc (max_frame_bytes);
  atomic_init (&s->visible, 0);
  atomic_init (&s->need_keyframe, 1);
  atomic_init (&s->last_packet_us, 0);
  atomic_init (&s->hidden_frames, 0);
  s->waiting_keyframe = TRUE;
  s->last_request_us = G_MININT64 / 2;
}

void
mcu_video_stream_clear (McuVideoStream *s)
{
  if (s->decoder_open)
    vpx_codec_destroy (&s->decoder);
  s->decoder_open = FALSE;
  for (guint i = 0; i < s->depth; i++)
    g_free (s->slots[i].data);
  g_free (s->slots);
  g_free (s->work);
  mcu_vp8_depay_free (s->depay);
  mcu_video_reorder_free (s->reorder);
  g_mutex_clear (&s->lock);
}

void
mcu_video_stream_set_notify (McuVideoStream *s, McuVideoStreamNotify func, gpointer user_data)
{
  s->frame_queued = func;
  s->frame_queued_data = user_data;
}

/* Media thread: hands the depacketizer's completed frame over without copying. */
static void
enqueue (McuVideoStream *s, gboolean keyframe, gint64 arrival_us)
{
  g_mutex_lock (&s->lock);
  if (s->count == s->depth) {
    s->head = (s->head + 1) % s->depth;
    s->count--;
    s->queue_dropped++;
    s->lost = TRUE;
  }
  McuVideoQueuedFrame *slot = &s->slots[(s->head + s->count) % s->depth];
  gsize len;
  mcu_vp8_depay_frame (s->depay, &len, NULL, NULL);
  slot->data = mcu_vp8_depay_swap_buffer (s->depay, slot->data);
  slot->len = len;
  slot->keyframe = keyframe;
  slot->arrival_us = arrival_us;
  s->count++;
  g_mutex_unlock (&s->lock);
  if (s->frame_queued != NULL)
    s->frame_queued (s->frame_queued_data);
}

/* Media thread, called by the reorder buffer with each packet in sequence order. */
static void
on_packet (gpointer user_data, const McuVideoReorderPacket *p)
{
  McuVideoStream *s = user_data;
  gboolean keyframe = FALSE;
  guint32 ts = 0;
  gsize frame_len;

  if (p->late) {
    s->late_ts = p->ts;
    s->late_pending = TRUE;
  }
  /* A frame is complete when its last packet to arrive is in: a repair, or the marker packet. */
  if (p->ts != s->frame_ts || s->frame_arrival_us == 0)
    s->frame_arrival_us = p->arrival_us;
  else
    s->frame_arrival_us = MAX (s->frame_arrival_us, p->arrival_us);
  s->frame_ts = p->ts;
  int r = mcu_vp8_depay_push (s->depay, p->payload, p->len, p->seq, p->ts, p->marker);
  if (mcu_vp8_depay_needs_keyframe (s->depay))
    atomic_store_explicit (&s->need_keyframe, 1, memory_order_relaxed);
  if (r != MCU_VP8_DEPAY_FRAME)
    return;
  mcu_vp8_depay_frame (s->depay, &frame_len, &ts, &keyframe);
  gint64 arrival_us = s->frame_arrival_us;
  s->frame_arrival_us = 0;
  s->frames_out++;
  if (s->late_pending && ts == s->late_ts)
    atomic_fetch_add_explicit (&s->frames_late, 1, memory_order_relaxed);
  s->late_pending = FALSE;
  if (keyframe)
    atomic_store_explicit (&s->need_keyframe, 0, memory_order_relaxed);
  if (!atomic_load_explicit (&s->visible, memory_order_acquire)) {
    atomic_fetch_add_explicit (&s->hidden_frames, 1, memory_order_relaxed);
    return;
  }
  enqueue (s, keyframe, arrival_us);
}

/* Media thread: follows the RTT another thread reported, when it moved by more than 10 ms. */
static void
apply_rtt (McuVideoStream *s)
{
  gint64 us = atomic_load_explicit (&s->rtt_us, memory_order_relaxed);
  double ms = us < 0 ? -1 : us / 1000.0;

  if ((ms < 0) != (s->rtt_applied_ms < 0) || ms - s->rtt_applied_ms > 10 || s->rtt_applied_ms - ms > 10) {
    mcu_video_reorder_set_rtt_ms (s->reorder, ms);
    s->rtt_applied_ms = ms;
  }
}

/* Media thread: copies the counters other threads may read. */
static void
publish_stats (McuVideoStream *s)
{
  const McuVideoReorderStats *rs = mcu_video_reorder_stats (s->reorder);
  const McuVp8DepayStats *ds = mcu_vp8_depay_stats (s->depay);

  atomic_store_explicit (&s->frames_given_up, (long long) ds->dropped_gap, memory_order_relaxed);
  atomic_store_explicit (&s->holes_given_up, (long long) rs->holes_given_up, memory_order_relaxed);
  atomic_store_explicit (&s->skipped_nonref, (long long) ds->skipped_nonref, memory_order_relaxed);
  atomic_store_explicit (&s->packets_stale, (long long) rs->stale, memory_order_relaxed);
}

int
mcu_video_stream_push_rtp (McuVideoStream *s, const guint8 *payload, gsize len, guint32 ssrc, guint16 seq,
                           guint32 ts, gboolean marker, gboolean retransmitted, gint64 arrival_us)
{
  McuVp8Descriptor d;
  gboolean bad = payload == NULL || mcu_vp8_parse_descriptor (payload, len, &d) < 0;

  atomic_store_explicit (&s->last_packet_us, MAX (arrival_us, 1), memory_order_relaxed);
  apply_rtt (s);
  s->frames_out = 0;
  /* A malformed packet still takes its place in the order: the depacketizer counts it and drops its
   * frame at once instead of the reorder buffer waiting for a repair of a hole that is not one. */
  mcu_video_reorder_push (s->reorder, payload, len, ssrc, seq, ts, marker, retransmitted, arrival_us);
  publish_stats (s);
  return bad ? -EINVAL : (int) s->frames_out;
}

int
mcu_video_stream_poll (McuVideoStream *s, gint64 now_us)
{
  apply_rtt (s);
  s->frames_out = 0;
  mcu_video_reorder_poll (s->reorder, now_us);
  publish_stats (s);
  return (int) s->frames_out;
}

void
mcu_video_stream_set_rtt_ms (McuVideoStream *s, double rtt_ms)
{
  gint64 us = rtt_ms >= 0 ? (gint64) (rtt_ms * 1000.0) : -1;

  atomic_store_explicit (&s->rtt_us, us, memory_order_relaxed);
}

void
mcu_video_stream_reorder_stats (McuVideoStream *s, McuVideoStreamReorderStats *out)
{
  out->frames_late = (guint64) atomic_load_explicit (&s->frames_late, memory_order_relaxed);
  out->frames_given_up = (guint64) atomic_load_explicit (&s->frames_given_up, memory_order_relaxed);
  out->holes_given_up = (guint64) atomic_load_explicit (&s->holes_given_up, memory_order_relaxed);
  out->skipped_nonref = (guint64) atomic_load_explicit (&s->skipped_nonref, memory_order_relaxed);
  out->packets_stale = (guint64) atomic_load_explicit (&s->packets_stale, memory_order_relaxed);
}

/* Frames queued before a visibility change reference pictures the new decoder never saw. */
static void
flush_queue (McuVideoStream *s)
{
  g_mutex_lock (&s->lock);
  s->head = s->count = 0;
  s->lost = FALSE;
  g_mutex_unlock (&s->lock);
}

void
mcu_video_stream_set_visible (McuVideoStream *s, gboolean visible)
{
  if (!visible) {
    atomic_store_explicit (&s->visible, 0, memory_order_release);
    if (s->decoder_open) {
      flush_queue (s);
      vpx_codec_destroy (&s->decoder);
      s->decoder_open = FALSE;
      s->image = NULL;
    }
    return;
  }
  if (!s->decoder_open) {
    vpx_codec_dec_cfg_t cfg = { .threads = 1 };
    flush_queue (s);
    s->decoder_open = vpx_codec_dec_init (&s->decoder, vpx_codec_vp8_dx (), &cfg, 0) == VPX_CODEC_OK;
    s->waiting_keyframe = TRUE;
    s->image = NULL;
  }
  atomic_store_explicit (&s->visible, s->decoder_open, memory_order_release);
}

/* Takes the oldest queued frame into s->work; FALSE when the queue is empty. */
static gboolean
dequeue (McuVideoStream *s, gsize *len, gboolean *keyframe, gint64 *arrival_us)
{
  gboolean have = FALSE;

  g_mutex_lock (&s->lock);
  if (s->lost) {
    s->lost = FALSE;
    s->waiting_keyframe = TRUE;
  }
  if (s->count > 0) {
    McuVideoQueuedFrame *slot = &s->slots[s->head];
    guint8 *data = slot->data;
    slot->data = s->work;
    s->work = data;
    *len = slot->len;
    *keyframe = slot->keyframe;
    *arrival_us = slot->arrival_us;
    s->head = (s->head + 1) % s->depth;
    s->count--;
    have = TRUE;
  }
  g_mutex_unlock (&s->lock);
  return have;
}

/* TRUE when a new picture came out. */
static gboolean
decode_one (McuVideoStream *s, gsize len)
{
  vpx_codec_iter_t iter = NULL;
  vpx_image_t *img;

  if (vpx_codec_decode (&s->decoder, s->work, (unsigned int) len, NULL, 0) != VPX_CODEC_OK) {
    s->decode_errors++;
    s->waiting_keyframe = TRUE;
    s->image = NULL;
    return FALSE;
  }
  s->decoded++;
  gboolean picture = FALSE;
  while ((img = vpx_codec_get_frame (&s->decoder, &iter)) != NULL) {
    if (img->fmt == VPX_IMG_FMT_I420) {
      s->image = img;
      picture = TRUE;
    }
  }
  return picture;
}

guint
mcu_video_stream_decode (McuVideoStream *s, guint64 *serial)
{
  gsize len;
  gboolean keyframe, picture = FALSE;
  gint64 arrival_us;
  guint n = 0;

  if (!s->decoder_open)
    return 0;
  while (dequeue (s, &len, &keyframe, &arrival_us)) {
    if (s->waiting_keyframe && !keyframe) {
      s->skipped_waiting++;
      continue;
    }
    s->waiting_keyframe = FALSE;
    if (decode_one (s, len)) {
      s->image_arrival_us = arrival_us;
      picture = TRUE;
    }
    n++;
  }
  if (picture && s->image != NULL)   /* only the last picture is ever shown: one number per call */
    s->image_serial = ++*serial;
  return n;
}

gboolean
mcu_video_stream_want_keyframe (McuVideoStream *s, gint64 now_us, gint64 interval_us)
{
  gboolean lost = s->waiting_keyframe || atomic_load_explicit (&s->need_keyframe, memory_order_relaxed);

  if (!s->decoder_open || !lost || now_us - s->last_request_us < interval_us)
    return FALSE;
  s->last_request_us = now_us;
  return TRUE;
}

gboolean
mcu_video_stream_picture (const McuVideoStream *s, McuVideoPicture *p)
{
  const vpx_image_t *img = s->image;

  if (img == NULL || img->d_w < 2 || img->d_h < 2)
    return FALSE;
  for (guint i = 0; i < 3; i++) {
    p->planes[i] = img->planes[i];
    p->strides[i] = img->stride[i];
  }
  p->width = (gint) img->d_w;
  p->height = (gint) img->d_h;
  return TRUE;
}

gint64
mcu_video_stream_last_packet_us (McuVideoStream *s)
{
  return atomic_load_explicit (&s->last_packet_us, memory_order_relaxed);
}

guint64
mcu_video_stream_queue_dropped (McuVideoStream *s)
{
  g_mutex_lock (&s->lock);
  guint64 n = s->queue_dropped;
  g_mutex_unlock (&s->lock);
  return n;
}
