/* SPDX-License-Identifier: MIT */
/*
 * Send-side adaptation (see adapt.h). Why loss-based on top of REMB: the mcu's REMB says what it wants
 * for the tile, but on a lossy 3G link the loss and RTT say what the link can carry; the lower wins.
 *
 * Threads: the agent's main loop.
 */
#define G_LOG_DOMAIN "bridge-adapt"

#include "adapt.h"

#include <math.h>

#define RECOVER_US (5 * G_USEC_PER_SEC)

struct _BridgeAdapt {
  BridgeAdaptConfig config;
  double target_kbps;
  double smoothed_loss;
  gboolean audio_only;
  gint64 recover_since;   /* when the link first allowed 1.5 × floor while audio only; 0 = not yet */
  BridgeAdaptOutput out;
};

BridgeAdapt *
bridge_adapt_new (const BridgeAdaptConfig *config)
{
  BridgeAdapt *adapt = g_new0 (BridgeAdapt, 1);

  adapt->config = *config;
  adapt->config.min_kbps = MIN (config->min_kbps, config->max_kbps);
  bridge_adapt_reset (adapt);
  return adapt;
}

void
bridge_adapt_free (BridgeAdapt *adapt)
{
  g_free (adapt);
}

/* Resolution and frame rate for a bitrate: full ≥ 55 % of max, half ≥ 25 %, else quarter; the frame
 * rate halves below 300 kbit/s (a smooth 15 fps beats a smeared 30). */
static void
fill_ladder (const BridgeAdaptConfig *config, double kbps, BridgeAdaptOutput *out)
{
  guint div = kbps >= 0.55 * config->max_kbps ? 1 : kbps >= 0.25 * config->max_kbps ? 2 : 4;

  out->width = MAX (config->width / div, 2u) & ~1u;
  out->height = MAX (config->height / div, 2u) & ~1u;
  out->framerate = kbps >= 300 ? config->framerate : MAX (config->framerate / 2, 5u);
}

void
bridge_adapt_reset (BridgeAdapt *adapt)
{
  adapt->target_kbps = MAX (adapt->config.max_kbps / 2.0, (double) adapt->config.min_kbps);
  adapt->smoothed_loss = 0;
  adapt->audio_only = FALSE;
  adapt->recover_since = 0;
  adapt->out = (BridgeAdaptOutput) { .video_kbps = (guint) adapt->target_kbps, .why = "start" };
  fill_ladder (&adapt->config, adapt->target_kbps, &adapt->out);
}

static const char *
step_target (BridgeAdapt *adapt, double loss, double rtt_ms)
{
  if (loss < 0)
    return "no receiver report yet";
  if (loss > 0.10) {
    adapt->target_kbps *= 1.0 - 0.5 * loss;
    return "loss above 10 %";
  }
  if (loss > 0.02)
    return "loss 2-10 %: hold";
  if (rtt_ms > 1000)
    return "RTT above 1 s: hold";
  adapt->target_kbps *= 1.08;
  return "clean link: probe up";
}

/* Audio-only with hysteresis: leave only after the link allowed 1.5 × floor for RECOVER_US. */
static gboolean
decide_audio_only (BridgeAdapt *adapt, double allowed_kbps, gint64 now)
{
  double floor_kbps = adapt->config.min_kbps;

  if (!adapt->audio_only) {
    adapt->recover_since = 0;
    return allowed_kbps < floor_kbps;
  }
  if (allowed_kbps < 1.5 * floor_kbps) {
    adapt->recover_since = 0;
    return TRUE;
  }
  if (adapt->recover_since == 0)
    adapt->recover_since = now;
  return now - adapt->recover_since < RECOVER_US;
}

BridgeAdaptOutput
bridge_adapt_update (BridgeAdapt *adapt, double loss, double rtt_ms, guint remb_kbps, gint64 now)
{
  const BridgeAdaptConfig *config = &adapt->config;
  const char *why = step_target (adapt, loss, rtt_ms);
  double cap = config->max_kbps;

  if (remb_kbps > 0 && remb_kbps < cap) {
    cap = remb_kbps;
    if (adapt->target_kbps > cap)
      why = "REMB from the mcu";
  }
  /* The link estimate may sink below the floor (that is how audio-only is reached), but not to 0. */
  adapt->target_kbps = CLAMP (adapt->target_kbps, config->min_kbps * 0.5, cap);
  if (loss >= 0)
    adapt->smoothed_loss = 0.7 * adapt->smoothed_loss + 0.3 * loss;

  gboolean was_audio_only = adapt->audio_only;
  adapt->audio_only = decide_audio_only (adapt, adapt->target_kbps, now);
  if (adapt->audio_only != was_audio_only)
    why = adapt->audio_only ? "below the floor: audio only" : "link recovered: video back";

  BridgeAdaptOutput *out = &adapt->out;
  out->video_kbps = (guint) MAX (adapt->target_kbps, (double) config->min_kbps);
  out->audio_only = adapt->audio_only;
  out->opus_loss_percent = (guint) CLAMP (lround (adapt->smoothed_loss * 100.0), 0, 100);
  out->why = why;
  fill_ladder (config, out->video_kbps, out);
  return *out;
}

BridgeAdaptOutput
bridge_adapt_get (const BridgeAdapt *adapt)
{
  return adapt->out;
}
