/* SPDX-License-Identifier: MIT */
/*
 * Per-stream reorder buffer for incoming video RTP: holds packets by sequence number in a fixed ring so
 * a packet repaired a round trip later (NACK → RTX) or merely reordered still completes its frame, and
 * hands them out strictly in sequence order through a callback.
 * Threads: one McuVideoReorder belongs to one thread (the room's media thread); nothing here locks.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One packet handed out in sequence order; @payload is valid during the callback only. */
typedef struct {
  const guint8 *payload;
  gsize len;
  guint16 seq;
  guint32 ts;
  gboolean marker;
  gboolean late;           /* it filled a hole: arrived after a later packet (RTX repair or reordering) */
  gboolean retransmitted;  /* the transport said it came through RTX */
  gboolean discontinuity;  /* packets just before it were given up on, or the stream was reset */
  gint64 arrival_us;       /* the @now_us it was pushed with (for server-added latency) */
} McuVideoReorderPacket;

typedef void (*McuVideoReorderDeliver) (gpointer user_data, const McuVideoReorderPacket *packet);

typedef struct {
  guint64 packets;         /* pushed */
  guint64 invalid;         /* empty or larger than a slot: not held (the hole is given up later) */
  guint64 duplicates;      /* already held */
  guint64 stale;           /* arrived after its place was handed out or given up on */
  guint64 late;            /* filled a hole */
  guint64 retransmitted;   /* flagged as RTX by the transport */
  guint64 holes_given_up;  /* runs of missing packets abandoned (timeout, frame bound or ring full) */
  guint64 packets_given_up;/* sequence numbers skipped over in those runs */
  guint64 resets;          /* new SSRC or a sequence jump too large to be loss */
  guint64 max_held;        /* most packets ever held at once */
} McuVideoReorderStats;

typedef struct _McuVideoReorder McuVideoReorder;

/* Defaults the video stream uses: ~1 s at 1.2 Mbit/s of 1200-byte packets; any UDP payload fits a slot. */
#define MCU_VIDEO_REORDER_DEFAULT_SLOTS 128
#define MCU_VIDEO_REORDER_DEFAULT_SLOT_BYTES 1500
#define MCU_VIDEO_REORDER_DEFAULT_MAX_FRAMES 16
#define MCU_VIDEO_REORDER_DEFAULT_WAIT_US (300 * 1000)   /* while the RTT is unknown */

/* (transfer full) A buffer of @slots packets (rounded up to a power of two, 16–4096) of up to
 * @slot_bytes payload bytes each. The ring is allocated on the first push, not here, so streams that
 * never carry video (most content streams) cost nothing. @deliver is called from push/poll/flush. */
McuVideoReorder *mcu_video_reorder_new (guint slots, gsize slot_bytes, McuVideoReorderDeliver deliver,
                                        gpointer user_data);
void mcu_video_reorder_free (McuVideoReorder *reorder);

/* How long a missing packet is waited for: max(2.5 × @rtt_ms, 150 ms), at most 500 ms; @rtt_ms < 0
 * (unknown) restores the 300 ms default. */
void mcu_video_reorder_set_rtt_ms (McuVideoReorder *reorder, double rtt_ms);
/* Overrides the wait (µs, > 0) and the bound on complete frames held behind a hole (>= 1). */
void mcu_video_reorder_set_limits (McuVideoReorder *reorder, gint64 wait_us, guint max_frames);
gint64 mcu_video_reorder_get_wait_us (const McuVideoReorder *reorder);

/* Hot path: no allocation (except the ring, once), no logging. @ssrc 0 = unknown (no SSRC check).
 * Delivers every packet that is now in order, and gives up on holes older than the wait.
 * Returns the number of packets delivered, or -EINVAL for an empty or oversized payload (counted). */
int mcu_video_reorder_push (McuVideoReorder *reorder, const guint8 *payload, gsize len, guint32 ssrc,
                            guint16 seq, guint32 ts, gboolean marker, gboolean retransmitted, gint64 now_us);
/* Gives up on holes that waited too long and delivers what follows. For a timer, so frames behind a
 * hole do not wait for the next packet. Returns the number of packets delivered. */
int mcu_video_reorder_poll (McuVideoReorder *reorder, gint64 now_us);
/* Delivers everything held, skipping the holes, and forgets the sequence state. */
void mcu_video_reorder_flush (McuVideoReorder *reorder);
/* Packets held behind a hole right now. */
guint mcu_video_reorder_held (const McuVideoReorder *reorder);
/* (transfer none) Counters, valid as long as @reorder. */
const McuVideoReorderStats *mcu_video_reorder_stats (const McuVideoReorder *reorder);

G_END_DECLS
