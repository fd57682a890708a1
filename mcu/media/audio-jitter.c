/* SPDX-License-Identifier: MIT */
/*
 * Adaptive jitter buffer for one site's Opus stream.
 *
 * Packets sit in a fixed ring indexed by sequence number (allocated once, at init). The playout point
 * advances 20 ms per tick; the buffer measures how late each packet is against the fastest one seen
 * (transit - min transit, the minimum kept over two 2 s windows so clock drift and route changes age
 * out) and keeps a peak of that lateness, held for 2 s after it was last reached and then decaying
 * (time constant ~2.5 s). The target delay is that peak plus half a frame, clamped to [min, max]: it
 * grows at once when packets come late and shrinks slowly once they stop. The delay actually played
 * is compared to the target every tick: short of it, the tick is concealed without consuming (the
 * delay grows by a frame); more than a frame (20 ms) over, one packet is skipped, preferably while the
 * site is not heard or pauses between words, at most one per 200 ms. The delay played always sits in
 * [target, target + 20 ms) once settled: the tick quantizes it, and a skip never takes it under the
 * target (no stall follows). What is over the target after a tick is its slack: the room may move its
 * clock earlier by the heard talkers' least slack (mix.c). Audio buffered beyond the cap is dropped.
 *
 * A missing frame whose successor is already here is rebuilt from the successor's in-band FEC when it
 * has some, else concealed (PLC); a missing frame with nothing behind it is concealed and, after 200 ms
 * of that, the stream goes idle until packets come back. Late and duplicate packets are counted and
 * dropped. Timestamps and sequence numbers are unwrapped around the playout point.
 *
 * Threads: the room's media thread. Only init/clear allocate; push, begin_tick and pull never do.
 */
#include "audio-jitter.h"

#include <errno.h>
#include <opus.h>
#include <string.h>

#define FRAME 960
#define US_PER_TS(ts) ((ts) * 125 / 6) /* 1e6 / 48000 */
#define TRANSIT_WINDOW_US (2 * G_USEC_PER_SEC)
#define GROW_BELOW_US 0           /* stall when the delay is under target */
#define SHRINK_ABOVE_US 20000     /* skip when more than a frame over target (still >= target after) ... */
#define SHRINK_FORCE_US 60000     /* ... even while the site is heard, when this much */
#define SHRINK_GAP_US 200000
#define TARGET_MARGIN_US 10000
#define PEAK_HOLD_US (2 * G_USEC_PER_SEC)
#define IDLE_AFTER_FRAMES 10
#define RESYNC_BACK 3000
#define NEW_CLOCK_US (10 * G_USEC_PER_SEC)          /* a jump this far back is a new stream, not a late packet */

void
mcu_audio_jitter_init (McuAudioJitter *jitter, guint min_ms, guint start_ms, guint max_ms)
{
  guint want = max_ms / 10 + 16;
  guint size = 16;

  while (size < want)
    size *= 2;
  *jitter = (McuAudioJitter) { 0 };
  jitter->slots = g_new (McuAudioSlot, size);
  jitter->mask = size - 1;
  for (guint i = 0; i < size; i++)
    jitter->slots[i].seq = -1;
  jitter->min_us = (gint64) min_ms * 1000;
  jitter->max_us = MAX ((gint64) max_ms * 1000, jitter->min_us);
  jitter->target_us = CLAMP ((gint64) start_ms * 1000, jitter->min_us, jitter->max_us);
  jitter->peak_us = MAX (jitter->target_us - TARGET_MARGIN_US, 0);
  jitter->last_samples = FRAME;
}

void
mcu_audio_jitter_clear (McuAudioJitter *jitter)
{
  g_clear_pointer (&jitter->slots, g_free);
}

gboolean
mcu_audio_opus_has_fec (const guint8 *data, gsize len)
{
  const guint8 *frames[48];
  opus_int16 sizes[48];
  int per_frame, silk_frames, lbrr;

  if (len < 2 || (data[0] >> 3) >= 16) /* empty, or CELT-only: no SILK layer, no LBRR */
    return FALSE;
  if (opus_packet_parse (data, (opus_int32) len, NULL, frames, sizes, NULL) <= 0 || sizes[0] == 0)
    return FALSE;
  per_frame = opus_packet_get_samples_per_frame (data, 48000);
  silk_frames = per_frame > FRAME ? per_frame / FRAME : 1;
  lbrr = (frames[0][0] >> (7 - silk_frames)) & 1;
  if (opus_packet_get_nb_channels (data) == 2)
    lbrr |= (frames[0][0] >> (6 - 2 * silk_frames)) & 1;
  return lbrr != 0;
}

static McuAudioSlot *
slot_at (McuAudioJitter *jitter, gint64 seq)
{
  McuAudioSlot *slot = &jitter->slots[seq & jitter->mask];

  return slot->seq == seq ? slot : NULL;
}

static void
flush (McuAudioJitter *jitter)
{
  for (guint i = 0; i <= jitter->mask; i++) {
    if (jitter->slots[i].seq >= 0)
      jitter->counters.dropped++;
    jitter->slots[i].seq = -1;
  }
  jitter->anchored = FALSE;
  jitter->playing = FALSE;
  jitter->empty_run = 0;
}

static void
anchor (McuAudioJitter *jitter, gint64 seq, gint64 ts)
{
  jitter->anchored = TRUE;
  jitter->next_seq = seq;
  jitter->next_ts = ts;
  jitter->high_seq = seq - 1;
}

static gint64
min_transit (const McuAudioJitter *jitter)
{
  return MIN (jitter->transit_min_cur, jitter->transit_min_prev);
}

static void
measure_transit (McuAudioJitter *jitter, gint64 ts, gint64 arrival_us)
{
  gint64 transit = arrival_us - US_PER_TS (ts);
  gint64 lateness;

  if (jitter->have_transit && ABS (transit - min_transit (jitter)) > NEW_CLOCK_US)
    jitter->have_transit = FALSE; /* a new stream with an unrelated timestamp origin */
  if (!jitter->have_transit || arrival_us >= jitter->window_end_us) {
    jitter->transit_min_prev = jitter->have_transit ? jitter->transit_min_cur : transit;
    jitter->transit_min_cur = transit;
    jitter->window_end_us = arrival_us + TRANSIT_WINDOW_US;
    jitter->have_transit = TRUE;
  }
  jitter->transit_min_cur = MIN (jitter->transit_min_cur, transit);
  lateness = transit - MIN (jitter->transit_min_cur, jitter->transit_min_prev);
  lateness = MIN (lateness, jitter->max_us);
  if (lateness >= jitter->peak_us) {
    jitter->peak_us = lateness;
    jitter->peak_hold_until_us = arrival_us + PEAK_HOLD_US;
  }
}

/* A packet behind the playout point: before playout began it moves the start back (reordering at the
 * start of a stream), afterwards it is late. */
static int
place_behind (McuAudioJitter *jitter, gint64 seq, gint64 ts)
{
  if (!jitter->playing && jitter->next_seq - seq <= (gint64) jitter->mask / 2 &&
      jitter->high_seq - seq <= (gint64) jitter->mask) {
    jitter->next_seq = seq;
    jitter->next_ts = ts;
    return 0;
  }
  return -ETIME;
}

int
mcu_audio_jitter_push (McuAudioJitter *jitter, const guint8 *data, gsize len, guint16 seq,
                       guint32 rtp_ts, int level, gint64 arrival_us)
{
  int samples;
  gint64 eseq, ets;
  McuAudioSlot *slot;
  int ret;

  if (len > MCU_AUDIO_MAX_PAYLOAD) {
    jitter->counters.dropped++;
    return -EMSGSIZE;
  }
  samples = data && len > 0 ? opus_packet_get_nb_samples (data, (opus_int32) len, 48000) : -1;
  if (samples <= 0 || samples > MCU_AUDIO_MAX_PACKET_SAMPLES) {
    jitter->counters.dropped++;
    return -EINVAL;
  }
  if (!jitter->have_ref) {
    jitter->next_seq = seq;
    jitter->next_ts = rtp_ts;
    jitter->have_ref = TRUE;
  }
  /* unwrap around the playout point (kept across idle periods so the timeline stays continuous) */
  eseq = jitter->next_seq + (gint16) (guint16) (seq - (guint16) jitter->next_seq);
  ets = jitter->next_ts + (gint32) (guint32) (rtp_ts - (guint32) jitter->next_ts);
  if (!jitter->anchored) {
    anchor (jitter, eseq, ets);
  } else if (eseq - jitter->next_seq > (gint64) jitter->mask || jitter->next_seq - eseq > RESYNC_BACK) {
    flush (jitter); /* a jump: restart the stream here */
    anchor (jitter, eseq, ets);
  }
  measure_transit (jitter, ets, arrival_us);
  ret = eseq < jitter->next_seq ? place_behind (jitter, eseq, ets) : 0;
  if (ret < 0) {
    jitter->counters.late++;
    return ret;
  }
  slot = &jitter->slots[eseq & jitter->mask];
  if (slot->seq == eseq) {
    jitter->counters.duplicate++;
    return -EALREADY;
  }
  if (slot->seq >= 0)
    jitter->counters.dropped++; /* a stale one left behind by a sequence jump */
  slot->seq = eseq;
  slot->ts = ets;
  slot->samples = (guint) samples;
  slot->len = (guint16) len;
  slot->level = (gint16) CLAMP (level, -1, 127);
  slot->fec = mcu_audio_opus_has_fec (data, len);
  memcpy (slot->data, data, len);
  jitter->high_seq = MAX (jitter->high_seq, eseq);
  jitter->counters.packets++;
  return 0;
}

/* Drops the frame at the playout point (present or not) to shorten the delay. */
static void
skip_one (McuAudioJitter *jitter)
{
  McuAudioSlot *slot = slot_at (jitter, jitter->next_seq);

  if (slot) {
    jitter->next_ts = slot->ts + slot->samples;
    slot->seq = -1;
    jitter->counters.dropped++;
  } else {
    jitter->next_ts += jitter->last_samples;
  }
  jitter->next_seq++;
}

static gint64
buffered_end_ts (McuAudioJitter *jitter)
{
  McuAudioSlot *slot = slot_at (jitter, jitter->high_seq);

  return slot ? slot->ts + slot->samples : jitter->next_ts;
}

static void
update_target (McuAudioJitter *jitter, gint64 now_us)
{
  if (now_us >= jitter->peak_hold_until_us)
    jitter->peak_us -= jitter->peak_us / 128;
  jitter->target_us = CLAMP (jitter->peak_us + TARGET_MARGIN_US, jitter->min_us, jitter->max_us);
}

McuAudioTickPlan
mcu_audio_jitter_begin_tick (McuAudioJitter *jitter, gint64 now_us, guint buffered_samples,
                             gboolean quiet)
{
  gint64 err;

  jitter->slack_us = 0;
  update_target (jitter, now_us);
  if (!jitter->anchored || !jitter->have_transit)
    return MCU_AUDIO_TICK_IDLE;
  /* never hold more than the cap */
  while (jitter->next_seq <= jitter->high_seq &&
         US_PER_TS (buffered_end_ts (jitter) - jitter->next_ts) > jitter->max_us + 20000)
    skip_one (jitter);
  jitter->delay_us = now_us - US_PER_TS (jitter->next_ts - (gint64) buffered_samples) - min_transit (jitter);
  err = jitter->delay_us - jitter->target_us;
  if (!jitter->playing) {
    if (err < -GROW_BELOW_US)
      return MCU_AUDIO_TICK_IDLE;
    jitter->playing = TRUE;
    jitter->empty_run = 0;
  }
  if (err < -GROW_BELOW_US) {
    jitter->counters.expanded++;
    return MCU_AUDIO_TICK_STALL;
  }
  if (err > SHRINK_ABOVE_US && now_us - jitter->last_shrink_us >= SHRINK_GAP_US &&
      (quiet || err > SHRINK_FORCE_US)) {
    skip_one (jitter);
    jitter->last_shrink_us = now_us;
    return MCU_AUDIO_TICK_RUN;
  }
  jitter->slack_us = err;
  return MCU_AUDIO_TICK_RUN;
}

gint64
mcu_audio_jitter_get_slack_us (const McuAudioJitter *jitter)
{
  return jitter->slack_us;
}

/* The first buffered packet after the playout point, or NULL. */
static McuAudioSlot *
next_present (McuAudioJitter *jitter)
{
  for (gint64 seq = jitter->next_seq + 1; seq <= jitter->high_seq; seq++) {
    McuAudioSlot *slot = slot_at (jitter, seq);
    if (slot)
      return slot;
  }
  return NULL;
}

static guint
plc_size (gint64 samples)
{
  samples = CLAMP (samples, 120, MCU_AUDIO_MAX_PACKET_SAMPLES);
  return (guint) (samples - samples % 120); /* Opus decodes in multiples of 2.5 ms */
}

static void
conceal (McuAudioJitter *jitter, McuAudioStep *step, gint64 samples)
{
  step->kind = MCU_AUDIO_STEP_PLC;
  step->slot = NULL;
  step->samples = plc_size (samples);
  jitter->next_ts += step->samples;
  jitter->counters.concealed++;
}

static void
play (McuAudioJitter *jitter, McuAudioSlot *slot, McuAudioStep *step)
{
  step->kind = MCU_AUDIO_STEP_PACKET;
  step->slot = slot;
  step->samples = slot->samples;
  jitter->next_seq = slot->seq + 1;
  jitter->next_ts = slot->ts + slot->samples;
  jitter->last_samples = slot->samples;
  jitter->empty_run = 0;
  slot->seq = -1; /* the data stays readable until the next push into this slot */
  jitter->counters.played++;
}

/* The frame at next_seq is missing but @after (a later one) is here. */
static gboolean
fill_gap (McuAudioJitter *jitter, McuAudioSlot *after, McuAudioStep *step)
{
  gint64 missing = after->seq - jitter->next_seq;
  gint64 gap = after->ts - jitter->next_ts;

  jitter->next_seq++;
  if (gap <= 0)
    return FALSE; /* sequence gap without a time gap: nothing to make up */
  if (missing == 1 && after->fec && gap <= MCU_AUDIO_MAX_PACKET_SAMPLES) {
    step->kind = MCU_AUDIO_STEP_FEC;
    step->slot = after;
    step->samples = plc_size (gap);
    jitter->next_ts += step->samples;
    jitter->counters.recovered++;
    return TRUE;
  }
  conceal (jitter, step, gap / missing);
  return TRUE;
}

gboolean
mcu_audio_jitter_pull (McuAudioJitter *jitter, McuAudioStep *step)
{
  if (!jitter->playing)
    return FALSE;
  for (;;) {
    McuAudioSlot *slot = slot_at (jitter, jitter->next_seq);
    McuAudioSlot *after;
    gint64 gap;

    if (slot) {
      gap = slot->ts - jitter->next_ts;
      if (gap >= 120 && gap <= MCU_AUDIO_MAX_PACKET_SAMPLES) { /* time gap before it: conceal first */
        conceal (jitter, step, MIN (gap, (gint64) jitter->last_samples));
        return TRUE;
      }
      play (jitter, slot, step);
      return TRUE;
    }
    after = next_present (jitter);
    if (after) {
      if (fill_gap (jitter, after, step))
        return TRUE;
      continue;
    }
    if (++jitter->empty_run > IDLE_AFTER_FRAMES) {
      flush (jitter);
      return FALSE;
    }
    jitter->next_seq++;
    conceal (jitter, step, jitter->last_samples);
    return TRUE;
  }
}
