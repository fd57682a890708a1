/* SPDX-License-Identifier: MIT */
/*
 * One incoming video stream of a site (camera or content), private to the mixer: the depacketizer
 * (media thread), a bounded frame queue (media thread → video thread), and the decoder (video thread).
 * Threads: stream_push on the media thread; everything else on the video (ticking) thread, except
 * new/free (control thread, when no other thread uses the stream).
 */
#pragma once

#include <glib.h>
#include <stdatomic.h>
#include <vpx/vpx_decoder.h>

#include "video-compose.h"
#include "vp8-depay.h"

G_BEGIN_DECLS

typedef struct {
  guint8 *data;
  gsize len;
  gboolean keyframe;
} McuVideoQueuedFrame;

typedef struct {
  /* media thread */
  McuVp8Depay *depay;
  /* shared: atomics */
  atomic_int visible;          /* the video thread wants frames */
  atomic_int need_keyframe;    /* the depacketizer lost sync */
  atomic_llong last_packet_us; /* arrival time of the last packet, 0: never */
  atomic_llong hidden_frames;  /* frames not queued because the stream is not in view */
  /* shared under lock */
  GMutex lock;
  McuVideoQueuedFrame *slots;
  guint depth, head, count;
  gboolean lost;               /* a queued frame was dropped: the decoder needs a key frame */
  guint64 queue_dropped;
  /* video thread */
  guint8 *work;                /* buffer exchanged with a slot when a frame is taken */
  vpx_codec_ctx_t decoder;
  gboolean decoder_open;
  gboolean waiting_keyframe;
  vpx_image_t *image;          /* the decoder's last picture, valid until the next decode */
  gint64 last_request_us;
  guint64 decoded, decode_errors, skipped_waiting;
} McuVideoStream;

void mcu_video_stream_init (McuVideoStream *stream, gsize max_frame_bytes, guint depth);
void mcu_video_stream_clear (McuVideoStream *stream);
/* Media thread, hot path. */
int mcu_video_stream_push (McuVideoStream *stream, const guint8 *payload, gsize len, guint16 seq,
                           guint32 ts, gboolean marker, gint64 arrival_us);
/* Video thread: opens or closes the decoder and tells the media thread whether to queue frames. */
void mcu_video_stream_set_visible (McuVideoStream *stream, gboolean visible);
/* Video thread: decodes every queued frame. Returns the number decoded. */
guint mcu_video_stream_decode (McuVideoStream *stream);
/* Video thread: TRUE when a key frame should be requested now (and records the request). */
gboolean mcu_video_stream_want_keyframe (McuVideoStream *stream, gint64 now_us, gint64 interval_us);
/* Video thread: the last decoded picture; FALSE when there is none to show. */
gboolean mcu_video_stream_picture (const McuVideoStream *stream, McuVideoPicture *picture);
gint64 mcu_video_stream_last_packet_us (McuVideoStream *stream);
guint64 mcu_video_stream_queue_dropped (McuVideoStream *stream);

G_END_DECLS
