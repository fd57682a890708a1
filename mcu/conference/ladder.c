/* SPDX-License-Identifier: MIT */
/*
 * A receiving site's degradation ladder (see ladder.h for the rules). Pure: one sample a second in, the
 * rung out; the caller owns the clock. The RTT baseline is the smallest smoothed RTT over a sliding
 * window (a ring of one value per second), so a baseline measured while the link was already queueing
 * is forgotten once the queue has drained.
 * Threads: one owner (the room's media thread); nothing is shared.
 */
#define G_LOG_DOMAIN "mcu-ladder"

#include "ladder.h"

#include <math.h>

#define MAX_WINDOW 120
#define BAD_IN_A_ROW 2     /* bad samples in a row before a move down (one noisy report is not enough) */
#define RTT_SMOOTHING 0.3  /* weight of a new RTT in the smoothed RTT */
#define RTT_WARMUP 3      /* RTT samples that make no baseline (see update_rtt) */
#define LOSS_SMOOTHING 0.4 /* weight of a new report in the smoothed loss (one report may say 0 % or 50 %
                            * of a second's few packets, and retransmissions arriving late count as
                            * received: single reports swing wildly on a lossy link) */
#define MIN_RATE_BPS 32000 /* below this we send too little to judge a delivered rate */
#define REPORT_GAPS 8      /* the receiver's report interval: the mean of its last gaps between reports */
#define REPORT_LEARN_S 20  /* ... once reports were watched this long (an RTP stack's first reports come
                            * quicker than its steady pace); until then RFC 3550's 5 s at least */
#define RFC_INTERVAL_S 5.0
#define STALE_INTERVALS 2.5 /* reports missing for this many of its own intervals: stale */
#define DELIVERED_ALL 0.9  /* delivered at least this share of what we sent: the path to it carries it all */
#define DELIVERY_MEMORY_S 3 /* a delivery verdict holds this long through seconds without feedback */
#define RATE_WARMUP 3      /* delivered-rate figures that judge nothing (the first feedback of a session
                            * misses what was sent before it started: an agent went down a tier at once) */

struct _McuLadder {
  McuLadderConfig config;
  guint n_rungs;
  guint rung;
  guint64 now;              /* samples seen */
  guint bad_run, clean_run;
  guint severe_run;         /* samples in a row with loss above loss_audio_only */
  guint64 down_allowed_at;
  guint64 last_up_at;       /* 0: never */
  gboolean probing;         /* moved up, the probe period is not over */
  guint up_wait;
  /* stale reports */
  double report_gaps[REPORT_GAPS];  /* seconds between reports, outside stale runs */
  guint report_spans[REPORT_GAPS];  /* seconds from one second with reports to the next */
  guint report_pos, report_seen;
  guint since_report;       /* samples since the last one with a report */
  guint report_watched;     /* samples outside stale runs */
  double stale_after_s;     /* now: stale_s or STALE_INTERVALS of the receiver's own report interval */
  gboolean stale;
  guint64 stale_since;
  guint rung_before_stale;
  guint64 judge_from;       /* samples before this are not judged (after a cut) */
  double sloss;             /* smoothed reported loss, -1 unknown */
  guint64 loss_from;        /* reports before this sample are not counted (they describe the old rung) */
  /* RTT */
  double srtt;
  double window[MAX_WINDOW];
  guint window_len, window_pos;
  guint rtt_samples;   /* RTT samples seen; the first RTT_WARMUP make no baseline */
  /* delivered rate (transport-wide feedback) */
  guint64 delivery_at;      /* the sample of the last verdict; 0 none */
  gboolean delivers_all;    /* that verdict: delivered >= DELIVERED_ALL of what we sent */
  guint rate_samples;       /* delivered-rate figures seen; the first RATE_WARMUP judge nothing */
};

void
mcu_ladder_config_init (McuLadderConfig *c)
{
  *c = (McuLadderConfig) {
    .loss_down = 0.08, .loss_up = 0.05, .loss_audio_only = 0.30,
    .rtt_rise_ms = 150, .rtt_rise_ratio = 0.3, .rate_ratio_down = 0.7,
    .stale_s = 2.0, .outage_s = 4.0,
    .down_hold_s = 2, .up_clean_s = 10, .up_clean_max_s = 80, .up_probe_s = 15, .after_outage_s = 3,
    .baseline_window_s = 60, .last_is_audio_only = TRUE,
  };
}

McuLadder *
mcu_ladder_new (const McuLadderConfig *config, guint n_rungs, guint start_rung)
{
  McuLadder *ladder = g_new0 (McuLadder, 1);

  ladder->config = *config;
  ladder->config.baseline_window_s = CLAMP (config->baseline_window_s, 1, MAX_WINDOW);
  ladder->config.up_clean_s = MAX (config->up_clean_s, 1);
  ladder->config.up_clean_max_s = MAX (config->up_clean_max_s, ladder->config.up_clean_s);
  ladder->n_rungs = MAX (n_rungs, 1);
  ladder->rung = MIN (start_rung, ladder->n_rungs - 1);
  ladder->up_wait = ladder->config.up_clean_s;
  ladder->srtt = -1;
  ladder->sloss = -1;
  ladder->stale_after_s = MAX (config->stale_s, STALE_INTERVALS * RFC_INTERVAL_S);
  return ladder;
}

void
mcu_ladder_free (McuLadder *ladder)
{
  g_free (ladder);
}

static double
known (double value)
{
  return isfinite (value) && value >= 0 ? value : -1;
}

/* The first few RTT samples seed the smoothed RTT but not the baseline: a first report block can
 * describe the link before its delay settled (webrtcbin's first RR has been seen giving ~0 ms on a
 * 300 ms link, and every later sample then looked like a queue). */
static void
update_rtt (McuLadder *ladder, double rtt_ms)
{
  if (rtt_ms < 0)
    return;
  ladder->srtt = ladder->srtt < 0 ? rtt_ms : (1 - RTT_SMOOTHING) * ladder->srtt + RTT_SMOOTHING * rtt_ms;
  if (++ladder->rtt_samples <= RTT_WARMUP) {
    if (ladder->rtt_samples == RTT_WARMUP)
      ladder->srtt = rtt_ms;   /* judged from here on: start from what the link says now */
    return;
  }
  ladder->window[ladder->window_pos] = ladder->srtt;
  ladder->window_pos = (ladder->window_pos + 1) % ladder->config.baseline_window_s;
  ladder->window_len = MIN (ladder->window_len + 1, ladder->config.baseline_window_s);
}

double
mcu_ladder_get_baseline_rtt (const McuLadder *ladder)
{
  double low = -1;

  for (guint i = 0; i < ladder->window_len; i++)
    if (low < 0 || ladder->window[i] < low)
      low = ladder->window[i];
  return low;
}

double
mcu_ladder_get_smoothed_rtt (const McuLadder *ladder)
{
  return ladder->srtt;
}

static gboolean
queueing (const McuLadder *ladder)
{
  double base = mcu_ladder_get_baseline_rtt (ladder);

  if (base < 0 || ladder->srtt < 0)
    return FALSE;
  return ladder->srtt > base + MAX (ladder->config.rtt_rise_ms, ladder->config.rtt_rise_ratio * base);
}

static gboolean
short_delivery (const McuLadder *ladder, const McuLadderSample *s)
{
  double sent = known (s->sent_bps), delivered = known (s->delivered_bps);

  return delivered >= 0 && sent >= MIN_RATE_BPS && ladder->rate_samples > RATE_WARMUP
         && delivered < ladder->config.rate_ratio_down * sent;
}

static void
update_delivery (McuLadder *ladder, const McuLadderSample *s)
{
  double sent = known (s->sent_bps), delivered = known (s->delivered_bps);

  if (delivered < 0 || sent < MIN_RATE_BPS)
    return;
  ladder->rate_samples++;
  if (ladder->rate_samples <= RATE_WARMUP)
    return;
  ladder->delivers_all = delivered >= DELIVERED_ALL * sent;
  ladder->delivery_at = ladder->now;
}

/* The receiver's transport-wide feedback says lately that what we sent it arrived, all of it: an RTT
 * rise is then no queue on our path to it. Its own uplink carries its reports back, and an uplink
 * queue (a site sending more than its link takes) lifts the RTT just the same. */
static gboolean
delivers_all (const McuLadder *ladder)
{
  return ladder->delivery_at > 0 && ladder->now - ladder->delivery_at <= DELIVERY_MEMORY_S && ladder->delivers_all;
}

static void
move_down (McuLadder *ladder, guint floor)
{
  if (ladder->rung >= floor)
    return;
  ladder->rung++;
  ladder->down_allowed_at = ladder->now + ladder->config.down_hold_s;
  /* The next reports still describe the rung just left: judge the new one on its own reports. */
  ladder->sloss = -1;
  ladder->loss_from = ladder->now + ladder->config.down_hold_s;
  ladder->bad_run = ladder->clean_run = 0;
  if (ladder->probing && ladder->now - ladder->last_up_at <= ladder->config.up_probe_s)
    ladder->up_wait = MIN (ladder->up_wait * 2, ladder->config.up_clean_max_s);
  ladder->probing = FALSE;
}

static void
move_up (McuLadder *ladder, guint rung)
{
  ladder->rung = rung;
  ladder->clean_run = ladder->bad_run = 0;
  ladder->last_up_at = ladder->now;
  ladder->probing = TRUE;
}

static void
forget_cut (McuLadder *ladder)
{
  ladder->judge_from = ladder->now + ladder->config.after_outage_s;
  ladder->bad_run = ladder->clean_run = 0;
  ladder->sloss = -1;
}

/* Chromium reports every second or faster, an RTP stack with RFC 3550 timing every 5 s or so: the
 * receiver's own interval (learnt outside stale runs) sets when its silence counts as stale. */
static void
learn_report_interval (McuLadder *ladder, guint reports)
{
  double sum = 0, longest = 0;

  ladder->since_report++;
  ladder->report_watched = MIN (ladder->report_watched + 1, REPORT_LEARN_S);
  if (reports == 0)
    return;
  /* A silence far longer than the receiver's habit that was not (yet) judged stale was a cut all the
   * same: its first reports count the cut's loss, do not judge them. */
  guint habit = 0;
  for (guint i = 0; i < ladder->report_seen; i++)
    habit = MAX (habit, ladder->report_spans[i]);
  if (ladder->report_seen >= 2 && ladder->since_report >= MAX (ladder->config.outage_s, 2.0 * habit))
    forget_cut (ladder);
  /* A second with n reports after k silent ones: n gaps of (k + 1) / n seconds, taken as one mean. */
  ladder->report_gaps[ladder->report_pos] = (double) ladder->since_report / reports;
  ladder->report_spans[ladder->report_pos] = ladder->since_report;
  ladder->report_pos = (ladder->report_pos + 1) % REPORT_GAPS;
  ladder->report_seen = MIN (ladder->report_seen + 1, REPORT_GAPS);
  ladder->since_report = 0;
  for (guint i = 0; i < ladder->report_seen; i++) {
    sum += ladder->report_gaps[i];
    longest = MAX (longest, ladder->report_spans[i]);
  }
  /* RTCP timing is randomised (RFC 3550: 0.5 to 1.5 of the interval) and some stacks send in bursts:
   * the longest recent gap counts too. */
  double interval = MAX (sum / ladder->report_seen, longest * 0.6);
  if (ladder->report_watched < REPORT_LEARN_S)
    interval = MAX (interval, RFC_INTERVAL_S);
  ladder->stale_after_s = MAX (ladder->config.stale_s, STALE_INTERVALS * MIN (interval, RFC_INTERVAL_S * 2));
}

double
mcu_ladder_get_stale_after (const McuLadder *ladder)
{
  return ladder->stale_after_s;
}

/* Reports stopped while we send: down one rung per hold; back from a long run: the rung before it. */
static McuLadderMove
step_stale (McuLadder *ladder, gboolean stale)
{
  if (stale && !ladder->stale) {
    ladder->stale = TRUE;
    ladder->stale_since = ladder->now;
    ladder->rung_before_stale = ladder->rung;
  }
  if (stale) {
    if (ladder->now < ladder->down_allowed_at || ladder->rung + 1 >= ladder->n_rungs)
      return MCU_LADDER_HOLD;
    move_down (ladder, ladder->n_rungs - 1);
    return MCU_LADDER_DOWN_STALE;
  }
  /* Reports are back. The stale run began stale_after_s before it was noticed. */
  ladder->stale = FALSE;
  if ((double) (ladder->now - ladder->stale_since) + ladder->stale_after_s < ladder->config.outage_s)
    return MCU_LADDER_HOLD;
  forget_cut (ladder);
  ladder->down_allowed_at = 0;
  ladder->probing = FALSE;
  if (ladder->rung_before_stale >= ladder->rung)
    return MCU_LADDER_HOLD;
  ladder->rung = ladder->rung_before_stale;
  return MCU_LADDER_UP_AFTER_OUTAGE;
}

static void
update_loss (McuLadder *ladder, double loss)
{
  if (loss < 0 || ladder->now < ladder->loss_from)
    return;
  ladder->sloss = ladder->sloss < 0 ? loss : (1 - LOSS_SMOOTHING) * ladder->sloss + LOSS_SMOOTHING * loss;
}

double
mcu_ladder_get_smoothed_loss (const McuLadder *ladder)
{
  return ladder->sloss;
}

static McuLadderMove
judge (McuLadder *ladder, const McuLadderSample *s)
{
  double loss = ladder->sloss;
  gboolean lossy = loss > ladder->config.loss_down;
  gboolean queued = queueing (ladder) && (lossy || !delivers_all (ladder));
  gboolean short_rate = short_delivery (ladder, s);

  ladder->severe_run = loss > ladder->config.loss_audio_only ? ladder->severe_run + 1 : 0;
  if (lossy || queued || short_rate) {
    ladder->clean_run = 0;
    if (++ladder->bad_run < BAD_IN_A_ROW || ladder->now < ladder->down_allowed_at)
      return MCU_LADDER_HOLD;
    /* Random loss is not ours to cure below the last video rung; queueing and shortfall are. */
    guint floor = queued || short_rate || ladder->severe_run >= BAD_IN_A_ROW || !ladder->config.last_is_audio_only
                    ? ladder->n_rungs - 1
                    : MAX (ladder->n_rungs, 2) - 2;
    guint before = ladder->rung;
    move_down (ladder, floor);
    if (ladder->rung == before)
      return MCU_LADDER_HOLD;
    return queued ? MCU_LADDER_DOWN_RTT : short_rate ? MCU_LADDER_DOWN_RATE : MCU_LADDER_DOWN_LOSS;
  }
  ladder->bad_run = 0;
  if (loss >= ladder->config.loss_up) {
    ladder->clean_run = 0;
    return MCU_LADDER_HOLD;
  }
  ladder->clean_run++;
  if (ladder->probing && ladder->now - ladder->last_up_at > ladder->config.up_probe_s) {
    ladder->probing = FALSE;
    ladder->up_wait = ladder->config.up_clean_s;   /* the last move up held */
  }
  if (ladder->rung == 0 || ladder->clean_run < ladder->up_wait)
    return MCU_LADDER_HOLD;
  move_up (ladder, ladder->rung - 1);
  return MCU_LADDER_UP_CLEAN;
}

McuLadderMove
mcu_ladder_step (McuLadder *ladder, const McuLadderSample *sample)
{
  double age = known (sample->report_age_s);
  gboolean sending = known (sample->sent_bps) > 0;
  gboolean stale = sending && age > ladder->stale_after_s;

  ladder->now++;
  if (!stale && !ladder->stale)
    learn_report_interval (ladder, sample->reports);
  else
    ladder->since_report = 0;   /* the gap that ends a cut is the cut, not the receiver's habit */
  if (stale || ladder->stale)
    return step_stale (ladder, stale);
  if (ladder->now < ladder->judge_from)
    return MCU_LADDER_HOLD;
  update_rtt (ladder, known (sample->rtt_ms));
  update_loss (ladder, known (sample->loss));
  update_delivery (ladder, sample);
  return judge (ladder, sample);
}

guint
mcu_ladder_get_rung (const McuLadder *ladder)
{
  return ladder->rung;
}

guint
mcu_ladder_get_n_rungs (const McuLadder *ladder)
{
  return ladder->n_rungs;
}

const char *
mcu_ladder_move_name (McuLadderMove move)
{
  static const char *const names[] = {
    [MCU_LADDER_HOLD] = "hold",
    [MCU_LADDER_DOWN_LOSS] = "down-loss",
    [MCU_LADDER_DOWN_RTT] = "down-rtt",
    [MCU_LADDER_DOWN_RATE] = "down-rate",
    [MCU_LADDER_DOWN_STALE] = "down-stale",
    [MCU_LADDER_UP_CLEAN] = "up-clean",
    [MCU_LADDER_UP_AFTER_OUTAGE] = "up-after-outage",
  };

  return (guint) move < G_N_ELEMENTS (names) && names[move] ? names[move] : "unknown";
}
