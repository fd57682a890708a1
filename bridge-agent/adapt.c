/* SPDX-License-Identifier: MIT */
/*
 * Send-side adaptation (see adapt.h for the rules). Why loss-based on top of REMB: the mcu's REMB says
 * what it wants for the tile, but on a lossy 3G link the loss and RTT say what the link can carry; the
 * lower wins. Why learn random loss: a loss-based controller (like GCC's) reads every lost packet as
 * congestion, and on a rural radio link that loses 10 % whatever is sent it would cut the picture down
 * to audio only; the link's own loss is what stays when the rate falls.
 *
 * Threads: the agent's main loop.
 */
#define G_LOG_DOMAIN "bridge-adapt"

#include "adapt.h"

#include <math.h>

#define RECOVER_US (5 * G_USEC_PER_SEC)
#define STEP_DOWN_DWELL_US (2 * G_USEC_PER_SEC)
#define STEP_UP_DWELL_US (8 * G_USEC_PER_SEC)
#define STEP_UP_MARGIN 1.2
#define RUN_GAP_US (10 * G_USEC_PER_SEC)  /* cuts further apart than this are separate runs */
#define LEARN_RATE_DROP 0.9              /* the sent rate fell to this share of the reference… */
#define LEARN_MIN_REPORTS 4              /* …over at least this many reports… */
#define LEARN_LOSS_KEPT 0.8              /* …and the loss kept this share of its level: not ours */
#define LEARN_MAX_LOSS 0.20              /* above this a link is treated as congested whatever */
#define LOSSY_ON 0.05                    /* smoothed loss that makes the ladder pick smaller frames */
#define LOSSY_OFF 0.03
#define QUEUE_DELAY_MS 100.0             /* RTT this far above its minimum: a queue is filling */
#define CUT_SPACING_US (2 * G_USEC_PER_SEC)  /* a cut waits for a report that saw the last one */
#define AUDIO_ONLY_LEARN_US (3 * G_USEC_PER_SEC)

typedef struct {
  double min_share;   /* of video-max-kbps */
  guint size_div, rate_div;
} LadderStep;

static const LadderStep ladder[] = {
  { 0.50, 1, 1 },  /* the full picture */
  { 0.30, 1, 2 },  /* half the frame rate: a talking head keeps its detail */
  { 0.15, 2, 2 },  /* half the size */
  { 0.00, 4, 2 },  /* a thumbnail, down to the floor */
};
#define N_STEPS G_N_ELEMENTS (ladder)

struct _BridgeAdapt {
  BridgeAdaptConfig config;
  double target_kbps;
  double smoothed_loss;
  gboolean lossy;
  double min_rtt_ms;      /* < 0 unknown; drifts up slowly so that a new path is learnt */
  /* random-loss learning: a run of cuts compares the loss before and after the rate fell */
  double random_loss;     /* learnt; 0 = none */
  gboolean in_run;
  gint64 last_cut;
  double ref_kbps, ref_loss;
  double window_sum;
  guint window_n;
  /* ladder */
  guint step;
  gint64 step_since;
  /* audio only */
  gboolean audio_only;
  gint64 audio_only_since;
  gint64 recover_since;   /* when the link first allowed 1.5 × floor while audio only; 0 = not yet */
  BridgeAdaptOutput out;
};

BridgeAdapt *
bridge_adapt_new (const BridgeAdaptConfig *config)
{
  BridgeAdapt *adapt = g_new0 (BridgeAdapt, 1);

  adapt->config = *config;
  adapt->config.max_kbps = MAX (config->max_kbps, 1u);
  adapt->config.min_kbps = MIN (config->min_kbps, adapt->config.max_kbps);
  bridge_adapt_reset (adapt);
  return adapt;
}

void
bridge_adapt_free (BridgeAdapt *adapt)
{
  g_free (adapt);
}

static guint
step_for_share (double share)
{
  for (guint i = 0; i < N_STEPS; i++)
    if (share >= ladder[i].min_share)
      return i;
  return N_STEPS - 1;
}

static void
fill_step (const BridgeAdaptConfig *config, guint step, BridgeAdaptOutput *out)
{
  out->step = step;
  out->width = MAX (config->width / ladder[step].size_div, 2u) & ~1u;
  out->height = MAX (config->height / ladder[step].size_div, 2u) & ~1u;
  out->framerate = MAX (config->framerate / ladder[step].rate_div, 1u);
}

void
bridge_adapt_reset (BridgeAdapt *adapt)
{
  const BridgeAdaptConfig *config = &adapt->config;

  double start = config->start_kbps > 0 ? config->start_kbps : config->max_kbps / 2.0;

  adapt->target_kbps = CLAMP (start, (double) config->min_kbps, (double) config->max_kbps);
  adapt->smoothed_loss = 0;
  adapt->lossy = FALSE;
  adapt->min_rtt_ms = -1;
  adapt->random_loss = 0;
  adapt->in_run = FALSE;
  adapt->last_cut = G_MININT64 / 4;
  adapt->window_sum = 0;
  adapt->window_n = 0;
  adapt->step = step_for_share (adapt->target_kbps / config->max_kbps);
  adapt->step_since = G_MININT64 / 4;  /* the first change may come at once */
  adapt->audio_only = FALSE;
  adapt->recover_since = 0;
  adapt->out = (BridgeAdaptOutput) { .video_kbps = (guint) adapt->target_kbps, .why = "start" };
  fill_step (config, adapt->step, &adapt->out);
}

/* ---- random loss ---- */

/* The rate our video loads the link with: the target, or less when the encoder undershoots it (what
 * is sent also holds retransmission bursts, which are not the rate the loss is compared with). */
static double
sent_kbps (const BridgeAdapt *adapt, const BridgeAdaptInput *in)
{
  return in->send_kbps >= 0 ? MIN (in->send_kbps, adapt->target_kbps) : adapt->target_kbps;
}

static void
start_window (BridgeAdapt *adapt, double kbps, double loss)
{
  adapt->ref_kbps = kbps;
  adapt->ref_loss = loss;
  adapt->window_sum = 0;
  adapt->window_n = 0;
}

/* During a run of cuts: once the rate has fallen enough, either the loss fell with it (congestion:
 * compare again from here) or it stayed (the link's own: learn it and stop cutting for it). */
static gboolean
learn_random_loss (BridgeAdapt *adapt, const BridgeAdaptInput *in, gint64 now)
{
  if (adapt->in_run && now - adapt->last_cut > RUN_GAP_US)
    adapt->in_run = FALSE;
  if (!adapt->in_run)
    return FALSE;
  adapt->window_sum += in->loss;
  adapt->window_n++;
  double kbps = sent_kbps (adapt, in);
  if (kbps > LEARN_RATE_DROP * adapt->ref_kbps || adapt->window_n < LEARN_MIN_REPORTS)
    return FALSE;
  double mean = adapt->window_sum / adapt->window_n;
  if (adapt->ref_loss <= LEARN_MAX_LOSS && mean <= LEARN_MAX_LOSS && mean >= LEARN_LOSS_KEPT * adapt->ref_loss) {
    adapt->random_loss = mean;
    adapt->in_run = FALSE;
    return TRUE;
  }
  start_window (adapt, kbps, mean);
  return FALSE;
}

/* Audio only, video long gone: what is still lost is not our video's doing. Without this a site that
 * fell to audio only on a lossy link (cuts overshoot while a cap's queue drains) never came back. */
static void
learn_while_audio_only (BridgeAdapt *adapt, gint64 now)
{
  if (adapt->audio_only && now - adapt->audio_only_since >= AUDIO_ONLY_LEARN_US
      && adapt->smoothed_loss <= LEARN_MAX_LOSS && adapt->smoothed_loss > adapt->random_loss)
    adapt->random_loss = adapt->smoothed_loss;
}

static void
forget_random_loss (BridgeAdapt *adapt)
{
  if (adapt->smoothed_loss < adapt->random_loss - 0.02)
    adapt->random_loss = adapt->smoothed_loss < 0.01 ? 0 : adapt->smoothed_loss;
}

/* ---- bitrate ---- */

static void
cut (BridgeAdapt *adapt, const BridgeAdaptInput *in, gint64 now)
{
  double base = adapt->target_kbps;
  double excess = in->loss - adapt->random_loss;

  /* An encoder that undershoots its target would make the cuts bite only after many steps. */
  if (in->send_kbps > 0 && in->send_kbps < base)
    base = in->send_kbps;
  adapt->target_kbps = base * (1.0 - 0.5 * excess);
  if (!adapt->in_run) {
    adapt->in_run = TRUE;
    start_window (adapt, sent_kbps (adapt, in), in->loss);
  }
  adapt->last_cut = now;
}

/* Whether the RTT shows a queue building up on the path (a rate cap like tbf, a 3G buffer). */
static gboolean
queue_building (BridgeAdapt *adapt, double rtt_ms)
{
  if (rtt_ms < 0)
    return FALSE;
  if (adapt->min_rtt_ms < 0 || rtt_ms < adapt->min_rtt_ms)
    adapt->min_rtt_ms = rtt_ms;
  else
    adapt->min_rtt_ms += 0.01 * (rtt_ms - adapt->min_rtt_ms);
  return rtt_ms > adapt->min_rtt_ms + QUEUE_DELAY_MS;
}

static const char *
step_target (BridgeAdapt *adapt, const BridgeAdaptInput *in, gint64 now)
{
  gboolean queue = queue_building (adapt, in->rtt_ms);

  if (in->loss < 0)
    return "no receiver report yet";
  adapt->smoothed_loss = 0.7 * adapt->smoothed_loss + 0.3 * in->loss;
  if (learn_random_loss (adapt, in, now))
    return "the loss is the link's own: hold";
  learn_while_audio_only (adapt, now);
  forget_random_loss (adapt);
  double high = adapt->random_loss > 0 ? adapt->random_loss + 0.05 : 0.10;
  double low = adapt->random_loss > 0 ? adapt->random_loss + 0.02 : 0.02;
  gboolean may_cut = now - adapt->last_cut >= CUT_SPACING_US;
  if (in->loss > high && may_cut) {
    cut (adapt, in, now);
    return adapt->random_loss > 0 ? "loss above the link's own: cut" : "loss above 10 %: cut";
  }
  if (in->loss > low && queue && may_cut) {
    cut (adapt, in, now);
    return "loss and a growing queue: cut";
  }
  if (in->loss > high)
    return "loss: waiting for a report after the last cut";
  if (adapt->smoothed_loss <= low)
    adapt->in_run = FALSE;  /* a clean link ends a run of cuts (one report may be clean by chance) */
  if (in->loss > low)
    return "some loss: hold";
  if (in->rtt_ms > 1000)
    return "RTT above 1 s: hold";
  adapt->target_kbps *= 1.08;
  return "clean link: probe up";
}

/* ---- ladder ---- */

static void
update_step (BridgeAdapt *adapt, double kbps, gint64 now)
{
  double share = kbps / adapt->config.max_kbps;

  if (adapt->smoothed_loss >= LOSSY_ON)
    adapt->lossy = TRUE;
  else if (adapt->smoothed_loss < LOSSY_OFF)
    adapt->lossy = FALSE;
  if (adapt->lossy)
    share *= 0.5;
  guint want = step_for_share (share);
  if (want > adapt->step && now - adapt->step_since >= STEP_DOWN_DWELL_US) {
    adapt->step = want;
    adapt->step_since = now;
  } else if (want < adapt->step && now - adapt->step_since >= STEP_UP_DWELL_US
             && share >= STEP_UP_MARGIN * ladder[adapt->step - 1].min_share) {
    adapt->step--;  /* one step at a time */
    adapt->step_since = now;
  }
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
bridge_adapt_update (BridgeAdapt *adapt, const BridgeAdaptInput *in, gint64 now)
{
  const BridgeAdaptConfig *config = &adapt->config;
  const char *why = step_target (adapt, in, now);
  double cap = config->max_kbps;

  if (in->remb_kbps > 0 && in->remb_kbps < cap) {
    cap = in->remb_kbps;
    if (adapt->target_kbps > cap)
      why = "REMB from the mcu";
  }
  /* The link estimate may sink below the floor (that is how audio-only is reached), but not to 0. */
  adapt->target_kbps = CLAMP (adapt->target_kbps, config->min_kbps * 0.5, cap);

  gboolean was_audio_only = adapt->audio_only;
  adapt->audio_only = decide_audio_only (adapt, adapt->target_kbps, now);
  if (adapt->audio_only != was_audio_only) {
    why = adapt->audio_only ? "below the floor: audio only" : "link recovered: video back";
    adapt->audio_only_since = now;
  }

  BridgeAdaptOutput *out = &adapt->out;
  out->video_kbps = (guint) MAX (adapt->target_kbps, (double) config->min_kbps);
  out->audio_only = adapt->audio_only;
  out->opus_loss_percent = (guint) CLAMP (lround (adapt->smoothed_loss * 100.0), 0, 100);
  out->random_loss_percent = (guint) lround (adapt->random_loss * 100.0);
  out->why = why;
  update_step (adapt, out->video_kbps, now);
  fill_step (config, adapt->step, out);
  return *out;
}

BridgeAdaptOutput
bridge_adapt_get (const BridgeAdapt *adapt)
{
  return adapt->out;
}

/* ---- retransmission budget ---- */

guint
bridge_rtx_budget_kbps (guint video_kbps)
{
  return MAX ((guint) (video_kbps * BRIDGE_RTX_BUDGET_SHARE), (guint) BRIDGE_RTX_BUDGET_MIN_KBPS);
}

static gboolean
resent_lately (BridgeRtxBudget *budget, guint16 seq, gint64 repeat_us, gint64 now_us)
{
  for (guint i = 0; i < BRIDGE_RTX_RECENT; i++)
    if (budget->recent_us[i] != 0 && budget->recent_seq[i] == seq && now_us - budget->recent_us[i] < repeat_us
        && now_us >= budget->recent_us[i])
      return TRUE;
  return FALSE;
}

BridgeRtxVerdict
bridge_rtx_budget_take (BridgeRtxBudget *budget, guint16 seq, guint bytes, guint rate_kbps, gint64 repeat_us,
                        gint64 now_us)
{
  double rate = rate_kbps * 1000.0 / 8.0;  /* bytes per second, and the bucket's depth */

  if (budget->last_us == 0 || now_us < budget->last_us)
    budget->tokens = rate;  /* a fresh (or restarted) stream starts with a full bucket */
  else
    budget->tokens = MIN (rate, budget->tokens + rate * (double) (now_us - budget->last_us) / G_USEC_PER_SEC);
  budget->last_us = now_us;
  if (resent_lately (budget, seq, repeat_us, now_us))
    return BRIDGE_RTX_REPEAT;
  if (budget->tokens < bytes)
    return BRIDGE_RTX_OVER_BUDGET;
  budget->tokens -= bytes;
  budget->recent_seq[budget->next] = seq;
  budget->recent_us[budget->next] = now_us;
  budget->next = (budget->next + 1) % BRIDGE_RTX_RECENT;
  return BRIDGE_RTX_SEND;
}
