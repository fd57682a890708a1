/* SPDX-License-Identifier: MIT */
/*
 * One incoming video stream of a site (camera or content), private to the mixer: the reorder buffer and
 * the depacketizer (media thread), a bounded frame queue (media thread → video thread), and the decoder
 * (video thread).
 * Threads: stream_push / push_rtp / poll on the media thread (which calls the frame_queued notifier);
 * set_rtt_ms and reorder_stats on any thread; everything else on the video (ticking) thread, except
 * init/set_notify/clear (control thread, when no other thread uses the stream).
 */
#pragma once

#include <glib.h>
#include <stdatomic.h>
#include <vpx/vpx_decoder.h>

#include "video-compose.h"
#include "video-reorder.h"
#include "vp8-depay.h"

G_BEGIN_DECLS

typedef struct {
  guint8 *data;
  gsize len;
  gboolean keyframe;
  gint64 arrival_us;           /* the latest arrival among the frame's packets */
} McuVideoQueuedFrame;

/* What the reorder buffer made of the stream's losses (a snapshot; counters only grow). */
typedef struct {
  guint64 frames_late;     /* frames completed by a packet that filled a hole (RTX repair or reordering) */
  guint64 frames_given_up; /* frames dropped because a packet never came within the wait */
  guint64 holes_given_up;  /* runs of missing packets abandoned */
  guint64 skipped_nonref;  /* of those losses, the ones that needed no key frame (N bit, upper layer) */
  guint64 packets_stale;   /* packets that came after their hole was given up on */
} McuVideoStreamReorderStats;

/* (media thread) A frame was queued for the video thread: wake it. Must not block for long. */
typedef void (*McuVideoStreamNotify) (gpointer user_data);

typedef struct {
  /* media thread */
  McuVideoReorder *reorder;
  McuVp8Depay *depay;
  double rtt_applied_ms;       /* the RTT the reorder buffer's wait was last set from */
  guint frames_out;            /* frames completed during the current push */
  guint32 late_ts;             /* timestamp of the last frame a late packet went into */
  gboolean late_pending;
  guint32 frame_ts;            /* the frame being assembled, and the latest arrival of its packets */
  gint64 frame_arrival_us;
  McuVideoStreamNotify frame_queued; /* set before the first push, then read-only */
  gpointer frame_queued_data;
  /* shared: atomics */
  atomic_llong rtt_us;         /* set_rtt_ms, -1 unknown */
  atomic_llong frames_late, frames_given_up, holes_given_up, skipped_nonref, packets_stale;
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
  gint64 image_arrival_us;     /* when the packet that completed its frame arrived */
  guint64 image_serial;        /* its number among the mixer's pictures (see decode), 0: none yet */
  gint64 last_request_us;
  guint64 decoded, decode_errors, skipped_waiting;
} McuVideoStream;

void mcu_video_stream_init (McuVideoStream *stream, gsize max_frame_bytes, guint depth);
void mcu_video_stream_clear (McuVideoStream *stream);
/* Control thread, before the media thread pushes: @func (nullable) is called on the media thread after
 * each frame queued for decoding (so the video thread decodes it on arrival rather than at its tick). */
void mcu_video_stream_set_notify (McuVideoStream *stream, McuVideoStreamNotify func, gpointer user_data);
/* Media thread, hot path. Packets may come in any order (late RTX repairs included: @retransmitted is
 * McuRtpInfo.retransmitted, @ssrc McuRtpInfo.ssrc or 0); they are put back in sequence order first.
 * Returns the number of frames completed (>= 0), or -EINVAL for a malformed payload (counted). */
int mcu_video_stream_push_rtp (McuVideoStream *stream, const guint8 *payload, gsize len, guint32 ssrc,
                               guint16 seq, guint32 ts, gboolean marker, gboolean retransmitted,
                               gint64 arrival_us);
/* Media thread: gives up on holes that waited too long, so frames behind one do not wait for the next
 * packet (call from a timer, e.g. every 50 ms). Returns the number of frames completed. */
int mcu_video_stream_poll (McuVideoStream *stream, gint64 now_us);
/* Any thread: the round-trip time to the site (McuRtpSendStats.rtt_ms; < 0 unknown). A missing packet is
 * waited for max(2.5 × RTT, 150 ms), at most 500 ms; 300 ms while unknown. */
void mcu_video_stream_set_rtt_ms (McuVideoStream *stream, double rtt_ms);
/* Any thread. */
void mcu_video_stream_reorder_stats (McuVideoStream *stream, McuVideoStreamReorderStats *stats);
/* Video thread: opens or closes the decoder and tells the media thread whether to queue frames. */
void mcu_video_stream_set_visible (McuVideoStream *stream, gboolean visible);
/* Video thread (between ticks as frames arrive, and at the tick): decodes every queued frame. A new
 * picture is numbered ++*@serial (one counter for all the mixer's streams, so a tier can tell the
 * pictures it has not shown yet). Returns the number decoded. */
guint mcu_video_stream_decode (McuVideoStream *stream, guint64 *serial);
/* Video thread: TRUE when a key frame should be requested now (and records the request). */
gboolean mcu_video_stream_want_keyframe (McuVideoStream *stream, gint64 now_us, gint64 interval_us);
/* Video thread: the last decoded picture; FALSE when there is none to show. */
gboolean mcu_video_stream_picture (const McuVideoStream *stream, McuVideoPicture *picture);
gint64 mcu_video_stream_last_packet_us (McuVideoStream *stream);
guint64 mcu_video_stream_queue_dropped (McuVideoStream *stream);

G_END_DECLS
