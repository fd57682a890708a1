/* SPDX-License-Identifier: MIT */
/*
 * McuLadder: the degradation ladder of one receiving site, pure (no clock, no I/O): fed one sample a
 * second of what the receiver reports about our media, it answers the rung the site should receive.
 *
 * Rungs, best first: 0 .. n_rungs - 1. In a mix room they are the output tiers (0 = the largest), then
 * the low-fps thumbnail tier, then "audio only" (the last rung: a still frame, full audio). The ladder
 * knows only their count and that the last one is audio only.
 *
 * Down fast: two bad samples in a row (smoothed reported loss above loss_down, smoothed RTT well above the
 * receiver's own baseline — a capped link queueing —, delivered rate well below what we send) move one
 * rung down, then no further move for down_hold_s (the queue must drain and the reports catch up: loss
 * reports of that time, which describe the rung just left, are not counted).
 * The first 3 delivered-rate figures judge nothing (a session's first feedback misses what was sent
 * before it started). An RTT rise alone is not queueing while the receiver's transport-wide feedback says (within the last
 * 3 s) that at least 90 % of what we sent arrived and the loss is below loss_down: the queue is then on
 * the receiver's uplink, which carries its reports back (an agent sending more than its 3G uplink
 * takes), and cutting its downlink would cure nothing. Such samples count as clean.
 * Random loss alone stops at the last video rung: only loss above loss_audio_only, queueing or stale
 * reports reach audio only. Stale reports (none for stale_s, or for 2.5 of the receiver's own report
 * intervals when it reports less often — an RFC 3550 stack every 5 s, Chromium every second or faster —
 * its last 8 gaps between reports, at least 5 s during its first 20 s) move down one rung every
 * down_hold_s; when reports come back after a run of at least outage_s it was a cut, not the link's
 * capacity: the site goes back to the rung it had before and the first after_outage_s samples (whose
 * loss counts the cut) are not judged.
 * Up slowly: up_clean_s clean samples in a row (loss below loss_up, no queueing) move one rung up; a
 * move down within up_probe_s of a move up doubles that wait (up to up_clean_max_s), a probe that
 * holds resets it.
 *
 * Threads: none of its own; an McuLadder belongs to one thread (the room's media thread).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  double loss_down;        /* reported loss (0-1) above which a sample is bad */
  double loss_up;          /* below which it is clean */
  double loss_audio_only;  /* loss alone reaches audio only above this */
  double rtt_rise_ms;      /* smoothed RTT this far above the baseline is queueing ... */
  double rtt_rise_ratio;   /* ... or this share of the baseline, whichever is larger */
  double rate_ratio_down;  /* delivered below this share of what we sent is bad */
  double stale_s;          /* no receiver report for this long while we send: move down */
  double outage_s;         /* a stale run this long was a cut: restore the rung after it */
  guint down_hold_s;       /* no second move down sooner than this */
  guint up_clean_s;        /* clean samples in a row before a move up */
  guint up_clean_max_s;    /* the doubled wait's ceiling */
  guint up_probe_s;        /* a move down this soon after a move up doubles the wait */
  guint after_outage_s;    /* samples not judged after a cut */
  guint baseline_window_s; /* the RTT baseline is the smallest smoothed RTT over this window (<= 120) */
  gboolean last_is_audio_only; /* the last rung is audio only (random loss stops above it); default TRUE */
} McuLadderConfig;

typedef struct {
  double loss;             /* 0-1 from the receiver's latest report on our video; < 0 unknown */
  double rtt_ms;           /* latest RTT; < 0 unknown */
  double sent_bps;         /* what we sent the site over the last second (all media) */
  double delivered_bps;    /* what it says it received over the same second; < 0 unknown */
  double report_age_s;     /* seconds since its last receiver report (any RTCP); < 0 none yet */
  guint reports;           /* RTCP datagrams from it during this second */
} McuLadderSample;

typedef enum {
  MCU_LADDER_HOLD,         /* no move */
  MCU_LADDER_DOWN_LOSS,
  MCU_LADDER_DOWN_RTT,
  MCU_LADDER_DOWN_RATE,
  MCU_LADDER_DOWN_STALE,
  MCU_LADDER_UP_CLEAN,
  MCU_LADDER_UP_AFTER_OUTAGE,
} McuLadderMove;

typedef struct _McuLadder McuLadder;

/* Fills @config with the defaults (8 % / 5 % / 30 % loss, +150 ms or +30 % RTT, 70 % rate, 2 s stale,
 * 4 s outage, 2 s hold, 10 s clean (up to 80 s), 15 s probe, 3 s after an outage, 60 s baseline). */
void mcu_ladder_config_init (McuLadderConfig *config);

/* (transfer full) A ladder of @n_rungs (>= 1) starting at @start_rung (clamped). */
McuLadder *mcu_ladder_new (const McuLadderConfig *config, guint n_rungs, guint start_rung);
void mcu_ladder_free (McuLadder *ladder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuLadder, mcu_ladder_free)

/* Judges one second's @sample; returns the move made (the new rung is mcu_ladder_get_rung).
 * Non-finite figures count as unknown. No allocation. */
McuLadderMove mcu_ladder_step (McuLadder *ladder, const McuLadderSample *sample);

guint mcu_ladder_get_rung (const McuLadder *ladder);
guint mcu_ladder_get_n_rungs (const McuLadder *ladder);
/* The RTT baseline and smoothed RTT in ms, the smoothed loss 0-1 (< 0 unknown), for logs. */
double mcu_ladder_get_baseline_rtt (const McuLadder *ladder);
double mcu_ladder_get_smoothed_rtt (const McuLadder *ladder);
double mcu_ladder_get_smoothed_loss (const McuLadder *ladder);
/* Seconds without a report, while we send, after which the receiver counts as stale. */
double mcu_ladder_get_stale_after (const McuLadder *ladder);
/* "hold", "down-loss", ... (transfer none). */
const char *mcu_ladder_move_name (McuLadderMove move);

G_END_DECLS
