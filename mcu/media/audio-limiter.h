/* SPDX-License-Identifier: MIT */
/*
 * McuAudioLimiter: a peak limiter without look-ahead for the mixed audio (float, full scale = 1.0).
 * Internal to the audio mixer. Threads: the caller's (the room's media thread); no allocation.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  float gain;        /* current gain, 1.0 when idle */
  float knee;        /* above this the soft knee starts */
  float ceiling;     /* output never exceeds this */
  float release;     /* per-sample step of the gain back toward 1 (fraction of the gap) */
} McuAudioLimiter;

/* @ceiling_dbfs: the highest output level (e.g. -1); @knee_db: how far below the ceiling compression
 * begins (e.g. 6); @release_ms: time constant of the gain recovering after a peak. */
void mcu_audio_limiter_init (McuAudioLimiter *limiter, double ceiling_dbfs, double knee_db,
                             double release_ms, guint rate);
/* In place; |output| <= ceiling for any finite input. */
void mcu_audio_limiter_process (McuAudioLimiter *limiter, float *samples, gsize n);

G_END_DECLS
