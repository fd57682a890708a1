/* SPDX-License-Identifier: MIT */
/*
 * Reorder buffer for one incoming video RTP stream, in front of the VP8 depacketizer.
 *
 * The RTP session NACKs a lost packet at once and hands its RTX repair to the media code a round trip
 * later, out of order. Without this buffer the depacketizer saw the hole, dropped the frame and waited
 * for a key frame, so the repair was wasted (on a 10 % loss link: 1–2 fps decoded out of 7).
 *
 * Packets are kept in a ring indexed by extended sequence number (power-of-two slots, each a fixed
 * payload area; the ring is allocated once, on the first packet). Everything from `head` on that is
 * present is delivered in order at once, so a stream without loss passes straight through. While the
 * packet at `head` is missing the packets behind it are held until either the hole is filled, or
 *   - the oldest held packet has waited `wait_us` (max(2.5 × RTT, 150 ms) capped at 500 ms when the
 *     RTT is known, else 300 ms): long enough for one NACK/RTX round and a retry, or
 *   - `max_frames` complete frames (marker bits) are held behind it, or
 *   - the ring is full.
 * Then the hole is given up on: the next packet goes out with `discontinuity` set and the
 * depacketizer decides whether the reference chain broke (key frame) or not (non-reference frame).
 * A new SSRC or a sequence jump of more than RESET_JUMP delivers what is held and starts afresh.
 * Empty or oversized payloads are counted and stand in the ring as known holes (skipped at once,
 * never waited for).
 *
 * Threads: one thread (the room's media thread) calls everything; the deliver callback runs on it.
 * Options: none in the config file; the stream feeds the RTT (mcu_video_reorder_set_rtt_ms).
 */
#define G_LOG_DOMAIN "mcu-video-reorder"

#include "video-reorder.h"

#include <errno.h>
#include <string.h>

#define RESET_JUMP 1000           /* packets: ~7 s of video at 1.2 Mbit/s — a restart, not loss */
#define EXT_BASE ((gint64) 1 << 32) /* extended numbers start here so they never go negative */
#define MIN_WAIT_US (150 * 1000)
#define MAX_WAIT_US (500 * 1000)

typedef struct {
  gint64 ext;        /* extended sequence number held here, -1 = empty */
  gint64 arrival_us;
  guint32 ts;
  guint16 len;
  guint8 marker, late, rtx, invalid;
} Slot;

struct _McuVideoReorder {
  Slot *slots;
  guint8 *data;      /* size × slot_bytes */
  guint size, mask;
  gsize slot_bytes;
  McuVideoReorderDeliver deliver;
  gpointer user_data;
  gboolean started;
  gboolean have_ssrc;
  guint32 ssrc;
  gint64 head;       /* next extended sequence number to deliver */
  gint64 highest;    /* highest extended sequence number seen */
  guint held;
  gboolean discontinuity;
  gint64 wait_us;
  guint max_frames;
  McuVideoReorderStats stats;
};

McuVideoReorder *
mcu_video_reorder_new (guint slots, gsize slot_bytes, McuVideoReorderDeliver deliver, gpointer user_data)
{
  McuVideoReorder *r = g_new0 (McuVideoReorder, 1);
  guint size = 16;

  while (size < slots && size < 4096)
    size <<= 1;
  r->size = size;
  r->mask = size - 1;
  r->slot_bytes = CLAMP (slot_bytes, 16, G_MAXUINT16);
  r->deliver = deliver;
  r->user_data = user_data;
  r->wait_us = MCU_VIDEO_REORDER_DEFAULT_WAIT_US;
  r->max_frames = MCU_VIDEO_REORDER_DEFAULT_MAX_FRAMES;
  return r;
}

void
mcu_video_reorder_free (McuVideoReorder *r)
{
  if (r == NULL)
    return;
  g_free (r->slots);
  g_free (r->data);
  g_free (r);
}

void
mcu_video_reorder_set_rtt_ms (McuVideoReorder *r, double rtt_ms)
{
  if (!(rtt_ms >= 0)) {
    r->wait_us = MCU_VIDEO_REORDER_DEFAULT_WAIT_US;
    return;
  }
  r->wait_us = CLAMP ((gint64) (rtt_ms * 2500.0), MIN_WAIT_US, MAX_WAIT_US);
}

void
mcu_video_reorder_set_limits (McuVideoReorder *r, gint64 wait_us, guint max_frames)
{
  r->wait_us = MAX (wait_us, 1);
  r->max_frames = MAX (max_frames, 1);
}

gint64
mcu_video_reorder_get_wait_us (const McuVideoReorder *r)
{
  return r->wait_us;
}

static Slot *
slot_at (McuVideoReorder *r, gint64 ext)
{
  return &r->slots[(guint64) ext & r->mask];
}

static gboolean
present (McuVideoReorder *r, gint64 ext)
{
  return slot_at (r, ext)->ext == ext;
}

/* Hands out every packet present from head on; returns how many were real packets. */
static int
deliver_run (McuVideoReorder *r)
{
  int n = 0;

  while (r->held > 0 && present (r, r->head)) {
    Slot *slot = slot_at (r, r->head);
    if (slot->invalid) {
      r->discontinuity = TRUE;
    } else {
      McuVideoReorderPacket p = {
        .payload = r->data + ((guint64) r->head & r->mask) * r->slot_bytes, .len = slot->len,
        .seq = (guint16) r->head, .ts = slot->ts, .marker = slot->marker, .late = slot->late,
        .retransmitted = slot->rtx, .discontinuity = r->discontinuity, .arrival_us = slot->arrival_us,
      };
      r->discontinuity = FALSE;
      r->deliver (r->user_data, &p);
      n++;
    }
    slot->ext = -1;
    r->held--;
    r->head++;
  }
  return n;
}

/* Skips the missing packets at head up to the next one held (head must be missing, held > 0). */
static void
give_up_hole (McuVideoReorder *r)
{
  gint64 ext = r->head;

  while (ext <= r->highest && !present (r, ext))
    ext++;
  r->stats.holes_given_up++;
  r->stats.packets_given_up += (guint64) (ext - r->head);
  r->head = ext;
  r->discontinuity = TRUE;
}

/* TRUE when the hole at head has waited long enough: the oldest packet behind it arrived wait_us ago,
 * or max_frames frames are complete behind it. */
static gboolean
hole_expired (McuVideoReorder *r, gint64 now_us)
{
  gint64 oldest = G_MAXINT64;
  guint frames = 0;

  for (gint64 ext = r->head + 1; ext <= r->highest; ext++) {
    Slot *slot = slot_at (r, ext);
    if (slot->ext != ext)
      continue;
    oldest = MIN (oldest, slot->arrival_us);
    frames += slot->marker;
  }
  return now_us - oldest >= r->wait_us || frames >= r->max_frames;
}

static int
release (McuVideoReorder *r, gint64 now_us)
{
  int n = deliver_run (r);

  while (r->held > 0 && hole_expired (r, now_us)) {
    give_up_hole (r);
    n += deliver_run (r);
  }
  return n;
}

/* Delivers everything held, giving up on every hole; the next packet starts afresh. */
static int
drain (McuVideoReorder *r)
{
  int n = deliver_run (r);

  while (r->held > 0) {
    give_up_hole (r);
    n += deliver_run (r);
  }
  if (r->started)
    r->discontinuity = TRUE;
  r->started = FALSE;
  return n;
}

void
mcu_video_reorder_flush (McuVideoReorder *r)
{
  drain (r);
}

static void
start (McuVideoReorder *r, guint32 ssrc, guint16 seq)
{
  if (r->slots == NULL) {
    r->slots = g_new (Slot, r->size);
    r->data = g_malloc ((gsize) r->size * r->slot_bytes);
    for (guint i = 0; i < r->size; i++)
      r->slots[i].ext = -1;
  }
  r->started = TRUE;
  r->have_ssrc = ssrc != 0;
  r->ssrc = ssrc;
  r->head = EXT_BASE + seq;
  r->highest = r->head - 1;
}

/* Makes the packet @ext fit in the ring: gives up holes at head (delivering what follows) until it
 * does; when nothing is held any more, jumps head forward (the skipped numbers were lost). */
static int
make_room (McuVideoReorder *r, gint64 ext)
{
  int n = 0;

  while (ext - r->head >= r->size && r->held > 0) {
    give_up_hole (r);
    n += deliver_run (r);
  }
  if (ext - r->head >= r->size) {
    r->stats.holes_given_up++;
    r->stats.packets_given_up += (guint64) (ext - r->head);
    r->head = ext;
    r->highest = MAX (r->highest, ext - 1);
    r->discontinuity = TRUE;
  }
  return n;
}

static void
store (McuVideoReorder *r, gint64 ext, const guint8 *payload, gsize len, guint32 ts, gboolean marker,
       gboolean rtx, gboolean invalid, gint64 now_us)
{
  Slot *slot = slot_at (r, ext);

  *slot = (Slot) {
    .ext = ext, .arrival_us = now_us, .ts = ts, .len = (guint16) (invalid ? 0 : len),
    .marker = marker != 0, .late = ext < r->highest, .rtx = rtx != 0, .invalid = invalid != 0,
  };
  if (!invalid)
    memcpy (r->data + ((guint64) ext & r->mask) * r->slot_bytes, payload, len);
  r->stats.late += slot->late;
  r->held++;
  r->stats.max_held = MAX (r->stats.max_held, r->held);
  r->highest = MAX (r->highest, ext);
}

int
mcu_video_reorder_push (McuVideoReorder *r, const guint8 *payload, gsize len, guint32 ssrc, guint16 seq,
                        guint32 ts, gboolean marker, gboolean retransmitted, gint64 now_us)
{
  gboolean invalid = payload == NULL || len == 0 || len > r->slot_bytes;
  int n = 0;

  r->stats.packets++;
  r->stats.retransmitted += retransmitted != 0;
  r->stats.invalid += invalid;
  if (r->started && ssrc != 0 && r->have_ssrc && ssrc != r->ssrc) {
    r->stats.resets++;
    n += drain (r);
  }
  if (!r->started)
    start (r, ssrc, seq);
  gint64 ext = r->highest + (gint16) (guint16) (seq - (guint16) r->highest);
  if (ext - r->head >= RESET_JUMP || r->head - ext >= RESET_JUMP) {
    r->stats.resets++;
    n += drain (r);
    start (r, ssrc, seq);
    ext = r->head;
  }
  if (ext < r->head) {
    r->stats.stale++;
    return invalid ? -EINVAL : n;
  }
  if (present (r, ext)) {
    r->stats.duplicates++;
    return invalid ? -EINVAL : n;
  }
  n += make_room (r, ext);
  store (r, ext, payload, len, ts, marker, retransmitted, invalid, now_us);
  n += release (r, now_us);
  return invalid ? -EINVAL : n;
}

int
mcu_video_reorder_poll (McuVideoReorder *r, gint64 now_us)
{
  return r->started ? release (r, now_us) : 0;
}

guint
mcu_video_reorder_held (const McuVideoReorder *r)
{
  return r->held;
}

const McuVideoReorderStats *
mcu_video_reorder_stats (const McuVideoReorder *r)
{
  return &r->stats;
}
