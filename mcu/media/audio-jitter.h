/* SPDX-License-Identifier: MIT */
/*
 * McuAudioJitter: the adaptive jitter buffer of one site's inbound Opus stream. Internal to the audio
 * mixer (the mixer owns the decoder; this file decides what to decode when). Threads: the room's media
 * thread; only init/clear allocate.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MCU_AUDIO_MAX_PAYLOAD 1500
#define MCU_AUDIO_MAX_PACKET_SAMPLES 5760 /* 120 ms, Opus' longest packet */

typedef struct {
  gint64 seq;       /* extended sequence number; -1 when the slot is empty */
  gint64 ts;        /* extended RTP timestamp */
  guint samples;    /* duration at 48 kHz */
  guint16 len;
  gint16 level;     /* RFC 6464 (0 loud .. 127 silent), -1 when absent */
  gboolean fec;     /* carries in-band FEC (LBRR) of the previous frame */
  guint8 data[MCU_AUDIO_MAX_PAYLOAD];
} McuAudioSlot;

typedef enum {
  MCU_AUDIO_STEP_PACKET,  /* decode .slot */
  MCU_AUDIO_STEP_FEC,     /* decode .samples from .slot (the next packet) with decode_fec = 1 */
  MCU_AUDIO_STEP_PLC,     /* conceal .samples */
} McuAudioStepKind;

typedef struct {
  McuAudioStepKind kind;
  const McuAudioSlot *slot;
  guint samples;
} McuAudioStep;

typedef enum {
  MCU_AUDIO_TICK_IDLE,    /* nothing to play (no stream, or still filling to the target delay) */
  MCU_AUDIO_TICK_STALL,   /* play 20 ms of concealment without consuming: the delay grows */
  MCU_AUDIO_TICK_RUN,     /* pull steps until the tick's 20 ms are decoded */
} McuAudioTickPlan;

typedef struct {
  guint64 packets, played, concealed, recovered, late, duplicate, dropped, expanded;
} McuAudioJitterCounters;

typedef struct {
  McuAudioSlot *slots;
  guint mask;
  gint64 min_us, max_us;          /* bounds of the target delay */
  gboolean have_ref;              /* next_seq/next_ts hold a reference for unwrapping */
  gboolean anchored;              /* next_seq/next_ts are the playout point of a buffered stream */
  gboolean playing;
  gint64 next_seq, next_ts;       /* the next frame to decode */
  gint64 high_seq;                /* highest buffered */
  guint last_samples;             /* duration of the last packet, for concealment */
  guint empty_run;                /* consecutive concealments with nothing buffered */
  gboolean have_transit;
  gint64 transit_min_cur, transit_min_prev, window_end_us;
  gint64 peak_us;                 /* held, then decaying peak of (transit - min transit) */
  gint64 peak_hold_until_us;
  gint64 target_us, delay_us;
  gint64 slack_us;                /* after begin_tick: delay over target that is left once this tick ran
                                   * (0 when it stalled, skipped or is idle) */
  gint64 last_shrink_us;
  McuAudioJitterCounters counters;
} McuAudioJitter;

/* Control path: allocates a ring large enough for @max_ms at 10 ms packets. */
void mcu_audio_jitter_init (McuAudioJitter *jitter, guint min_ms, guint start_ms, guint max_ms);
void mcu_audio_jitter_clear (McuAudioJitter *jitter);

/* Per packet; see mcu_audio_site_push() for the return codes. */
int mcu_audio_jitter_push (McuAudioJitter *jitter, const guint8 *data, gsize len, guint16 seq,
                           guint32 rtp_ts, int level, gint64 arrival_us);

/* Once per tick, before pulling. @buffered_samples: decoded audio not yet played (it counts as delay).
 * @quiet: the site is not heard now (or pauses between words), a good moment to shrink the delay. */
McuAudioTickPlan mcu_audio_jitter_begin_tick (McuAudioJitter *jitter, gint64 now_us,
                                              guint buffered_samples, gboolean quiet);
/* How much earlier the next tick could come without this stream falling under its target (0 when this
 * tick stalled, skipped or was idle). */
gint64 mcu_audio_jitter_get_slack_us (const McuAudioJitter *jitter);
/* The next thing to decode; FALSE when the stream went idle (nothing buffered for a while). */
gboolean mcu_audio_jitter_pull (McuAudioJitter *jitter, McuAudioStep *step);

/* TRUE if an Opus packet carries LBRR (in-band FEC) for the frame before it: the SILK header's LBRR
 * flag, which follows the VAD flags at the top of the first frame's first byte. */
gboolean mcu_audio_opus_has_fec (const guint8 *data, gsize len);

G_END_DECLS
