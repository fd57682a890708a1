/* SPDX-License-Identifier: MIT */
/*
 * VP8 RTP depacketizer (RFC 7741): payload descriptor parsing and frame assembly.
 * Threads: one McuVp8Depay belongs to one thread (the room's media thread); nothing here locks.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The parsed VP8 payload descriptor of one RTP packet (RFC 7741 §4.2). */
typedef struct {
  gboolean start;          /* S: first packet of a partition */
  gboolean non_reference;  /* N */
  guint partition;         /* PID */
  gint picture_id;         /* -1 when absent; else 7- or 15-bit value */
  gboolean picture_id_15;  /* the M bit: 15-bit picture id */
  gint tl0picidx;          /* -1 when absent */
  gint tid;                /* -1 when absent */
  gint keyidx;             /* -1 when absent */
  gsize header_len;        /* bytes of descriptor before the VP8 payload */
  gboolean keyframe;       /* start of partition 0 and the VP8 header says key frame */
} McuVp8Descriptor;

/* Parses @payload; returns 0 or -EINVAL (truncated or malformed). No allocation. Any thread. */
int mcu_vp8_parse_descriptor (const guint8 *payload, gsize len, McuVp8Descriptor *out);

/* Width and height from a VP8 key frame header (@frame is the VP8 frame, not the RTP payload).
 * Returns FALSE when @frame is not a well-formed key frame start. */
gboolean mcu_vp8_keyframe_size (const guint8 *frame, gsize len, guint *width, guint *height);

typedef struct {
  guint64 packets;
  guint64 malformed;        /* descriptor could not be parsed */
  guint64 frames;           /* complete frames handed out */
  guint64 keyframes;
  guint64 dropped_gap;      /* frames dropped for a missing packet */
  guint64 dropped_overflow; /* frames larger than the buffer */
  guint64 dropped_waiting;  /* complete frames dropped while waiting for a key frame (or a base frame) */
  guint64 skipped_nonref;   /* losses that broke no reference: N bit, or only upper temporal layer frames */
} McuVp8DepayStats;

typedef struct _McuVp8Depay McuVp8Depay;

/* Result of mcu_vp8_depay_push, >= 0; errors are negative errno values. */
enum {
  MCU_VP8_DEPAY_PENDING = 0, /* packet taken, frame not complete yet (or frame dropped) */
  MCU_VP8_DEPAY_FRAME = 1,   /* a complete decodable frame is in the buffer: see mcu_vp8_depay_frame */
};

/* (transfer full) A depacketizer whose frame buffer holds @max_frame_bytes. Starts waiting for a key frame. */
McuVp8Depay *mcu_vp8_depay_new (gsize max_frame_bytes);
void mcu_vp8_depay_free (McuVp8Depay *depay);

/* Hot path: no allocation, no logging. Packets must arrive in sequence order (put them in order with
 * McuVideoReorder first). A gap in @seq drops the frame in progress and waits for the next key frame,
 * unless the picture ids show that no frame was lost, the lost frame had the N bit (skipped alone), or
 * TID/TL0PICIDX show only upper temporal layer frames were lost (frames skipped up to the next base frame).
 * Returns MCU_VP8_DEPAY_FRAME when a frame completed, MCU_VP8_DEPAY_PENDING, or -EINVAL for a malformed
 * payload (counted; the frame in progress is dropped). */
int mcu_vp8_depay_push (McuVp8Depay *depay, const guint8 *payload, gsize len, guint16 seq, guint32 ts,
                        gboolean marker);

/* (transfer none) The frame completed by the last push that returned MCU_VP8_DEPAY_FRAME; valid until the
 * next push or swap. */
const guint8 *mcu_vp8_depay_frame (McuVp8Depay *depay, gsize *len, guint32 *ts, gboolean *keyframe);

/* Exchanges the frame buffer with @buffer (same capacity, max_frame_bytes): hands the completed frame
 * out without copying. Returns the old buffer (transfer full) which now holds the frame. */
guint8 *mcu_vp8_depay_swap_buffer (McuVp8Depay *depay, guint8 *buffer);

/* True while no frame is handed out until the next key frame (after loss or at the start). */
gboolean mcu_vp8_depay_needs_keyframe (const McuVp8Depay *depay);
/* Forces waiting for a key frame (for example when the decoder was dropped). */
void mcu_vp8_depay_want_keyframe (McuVp8Depay *depay);
/* True while upper-layer frames are skipped until the next base-layer frame (no key frame needed). */
gboolean mcu_vp8_depay_needs_base_frame (const McuVp8Depay *depay);
gsize mcu_vp8_depay_capacity (const McuVp8Depay *depay);
const McuVp8DepayStats *mcu_vp8_depay_stats (const McuVp8Depay *depay);

G_END_DECLS
