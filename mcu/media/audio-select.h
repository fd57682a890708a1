/* SPDX-License-Identifier: MIT */
/*
 * Talker selection and talking detection, per 20 ms tick. Internal to the audio mixer; kept apart so it
 * can be tested without Opus. Threads: the mixer's media thread; no allocation after init.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MCU_AUDIO_SILENCE_DBOV (-127.0)

/* Per-site state the selector keeps (embedded in the site). */
typedef struct {
  double score;          /* smoothed level, dBov: instant attack, slow release */
  double noise;          /* the site's background level: follows minima at once, rises slowly */
  guint hang;            /* ticks of hangover left */
  guint64 selected_at;   /* tick it was last selected (ties: the longer-selected wins) */
  guint64 order;         /* join order (last tie-break) */
  gboolean selected;
  gboolean talking;      /* last event sent */
  guint talk_run;        /* consecutive active ticks */
  guint quiet_run;       /* consecutive inactive ticks */
} McuAudioTalker;

typedef struct {
  guint max_talkers;
  double noise_floor_dbov;    /* never talking below this */
  double loud_dbov;           /* always talking above this (when above the floor) */
  double snr_db;              /* in between: talking when this far above the site's own background */
  guint hangover_ticks;
  guint talk_start_ticks;
  guint talk_stop_ticks;
  double incumbent_bonus_db; /* a challenger must be this much louder to take a slot */
} McuAudioSelectConfig;

/* Scratch entry for the ranking (the caller provides an array with one per site). */
typedef struct {
  McuAudioTalker *talker;
  double key;
} McuAudioRank;

void mcu_audio_talker_init (McuAudioTalker *talker, guint64 order);

/* Feeds this tick's level of one site (@eligible FALSE when muted: it is then never selected and stops
 * talking). Returns +1 when the site starts talking, -1 when it stops, 0 otherwise. */
int mcu_audio_talker_update (McuAudioTalker *talker, const McuAudioSelectConfig *config,
                             double level_dbov, gboolean eligible);

/* Chooses at most max_talkers of @talkers (an array of @n pointers; @scratch has room for @n) and sets
 * their .selected; returns how many. @tick stamps newly selected ones. */
guint mcu_audio_select (McuAudioTalker **talkers, guint n, McuAudioRank *scratch,
                        const McuAudioSelectConfig *config, guint64 tick);

G_END_DECLS
