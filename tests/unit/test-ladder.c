/* SPDX-License-Identifier: MIT */
/* The receiving site's degradation ladder (mcu/conference/ladder.c): moves down fast on loss, queueing,
 * shortfall and stale reports, up slowly with hysteresis, and treats a cut as a cut. */
#include <math.h>

#include "conference/ladder.h"

#define RUNGS 4   /* two tiers, the thumbnail, audio only */
#define AUDIO_ONLY (RUNGS - 1)
#define THUMBNAIL (RUNGS - 2)

static McuLadderSample
clean_sample (void)
{
  return (McuLadderSample) { .loss = 0.0, .rtt_ms = 100, .sent_bps = 500000, .delivered_bps = -1,
                             .report_age_s = 0.1, .reports = 10 };   /* Chromium: TWCC feedback and RRs */
}

static McuLadder *
new_ladder (guint start)
{
  McuLadderConfig config;

  mcu_ladder_config_init (&config);
  return mcu_ladder_new (&config, RUNGS, start);
}

/* Feeds @n copies of @s; returns the last move. */
static McuLadderMove
feed (McuLadder *ladder, const McuLadderSample *s, guint n)
{
  McuLadderMove move = MCU_LADDER_HOLD;

  for (guint i = 0; i < n; i++)
    move = mcu_ladder_step (ladder, s);
  return move;
}

static void
test_start (void)
{
  McuLadderConfig config;

  mcu_ladder_config_init (&config);
  g_autoptr (McuLadder) a = mcu_ladder_new (&config, RUNGS, 1);
  g_autoptr (McuLadder) b = mcu_ladder_new (&config, RUNGS, 99);
  g_autoptr (McuLadder) c = mcu_ladder_new (&config, 0, 5);
  g_assert_cmpuint (mcu_ladder_get_rung (a), ==, 1);
  g_assert_cmpuint (mcu_ladder_get_rung (b), ==, AUDIO_ONLY);
  g_assert_cmpuint (mcu_ladder_get_n_rungs (c), ==, 1);
  g_assert_cmpuint (mcu_ladder_get_rung (c), ==, 0);
  McuLadderSample s = clean_sample ();
  s.loss = 0.5;
  feed (c, &s, 10);
  g_assert_cmpuint (mcu_ladder_get_rung (c), ==, 0);   /* nowhere to go */
}

static void
test_loss_down_fast_stops_at_thumbnail (void)
{
  g_autoptr (McuLadder) ladder = new_ladder (0);
  McuLadderSample s = clean_sample ();

  s.loss = 0.12;
  g_assert_cmpint (mcu_ladder_step (ladder, &s), ==, MCU_LADDER_HOLD);   /* one noisy report */
  g_assert_cmpint (mcu_ladder_step (ladder, &s), ==, MCU_LADDER_DOWN_LOSS);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 1);
  /* the hold: the queue drains and the reports catch up (those of the hold describe the rung left and
   * are not counted), then two fresh bad reports move it again */
  g_assert_cmpint (mcu_ladder_step (ladder, &s), ==, MCU_LADDER_HOLD);
  g_assert_cmpint (mcu_ladder_step (ladder, &s), ==, MCU_LADDER_HOLD);
  g_assert_cmpint (mcu_ladder_step (ladder, &s), ==, MCU_LADDER_DOWN_LOSS);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, THUMBNAIL);
  /* random loss below 25 % never takes the picture away */
  feed (ladder, &s, 60);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, THUMBNAIL);
  /* reports swinging between 0 % and 50 % (a few packets a second, late retransmissions counted as
   * received) average out: a picture, not audio only */
  McuLadderSample zero = s;
  zero.loss = 0;
  s.loss = 0.5;
  for (guint i = 0; i < 30; i++) {
    mcu_ladder_step (ladder, &s);
    mcu_ladder_step (ladder, &zero);
  }
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, THUMBNAIL);
  s.loss = 0.4;
  feed (ladder, &s, 6);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, AUDIO_ONLY);
  feed (ladder, &s, 10);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, AUDIO_ONLY);
}

static void
test_loss_without_audio_only_rung (void)
{
  McuLadderConfig config;

  mcu_ladder_config_init (&config);
  config.last_is_audio_only = FALSE;   /* audio-only-tier = none: the last rung is a picture too */
  g_autoptr (McuLadder) ladder = mcu_ladder_new (&config, 3, 0);
  McuLadderSample s = clean_sample ();
  s.loss = 0.12;
  feed (ladder, &s, 20);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 2);
}

static void
test_alternating_loss_holds (void)
{
  g_autoptr (McuLadder) ladder = new_ladder (0);
  McuLadderSample bad = clean_sample (), ok = clean_sample ();

  bad.loss = 0.10;
  ok.loss = 0.05;   /* between the thresholds: neither bad nor clean */
  for (guint i = 0; i < 30; i++) {
    mcu_ladder_step (ladder, &bad);
    mcu_ladder_step (ladder, &ok);
  }
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);
}

static void
test_rtt_queueing (void)
{
  g_autoptr (McuLadder) ladder = new_ladder (0);
  McuLadderSample s = clean_sample ();

  feed (ladder, &s, 5);
  g_assert_cmpfloat_with_epsilon (mcu_ladder_get_baseline_rtt (ladder), 100, 1e-9);
  /* +100 ms is jitter, not queueing (the threshold is +150 ms at this baseline) */
  s.rtt_ms = 200;
  feed (ladder, &s, 20);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);
  /* a tbf queue: the RTT climbs well past the baseline, the site goes down, audio only at the end */
  s.rtt_ms = 500;
  McuLadderMove move = feed (ladder, &s, 2);
  g_assert_cmpint (move, ==, MCU_LADDER_DOWN_RTT);
  feed (ladder, &s, 8);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, AUDIO_ONLY);
  /* the queue drains: the RTT falls back, the site climbs slowly (not sooner than 10 clean seconds) */
  s.rtt_ms = 100;
  guint waited = 0;
  while (mcu_ladder_get_rung (ladder) == AUDIO_ONLY && waited < 100) {
    mcu_ladder_step (ladder, &s);
    waited++;
  }
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, THUMBNAIL);
  /* 10 clean seconds, plus the few the smoothed RTT takes to fall under the threshold */
  g_assert_cmpuint (waited, >=, 10);
  g_assert_cmpuint (waited, <=, 15);
}

/* A first report block that says ~0 ms on a 300 ms link (seen from webrtcbin) makes no baseline:
 * the link's real RTT is not taken for a queue. */
static void
test_first_rtt_not_baseline (void)
{
  g_autoptr (McuLadder) ladder = new_ladder (0);
  McuLadderSample s = clean_sample ();

  s.rtt_ms = 0.2;
  feed (ladder, &s, 1);
  s.rtt_ms = 300;
  feed (ladder, &s, 30);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);
  g_assert_cmpfloat (mcu_ladder_get_baseline_rtt (ladder), >, 290);
  /* and a real queue after that is still seen */
  s.rtt_ms = 700;
  feed (ladder, &s, 4);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), >=, 1);
}

static void
test_baseline_forgets (void)
{
  McuLadderConfig config;

  mcu_ladder_config_init (&config);
  config.baseline_window_s = 10;
  g_autoptr (McuLadder) ladder = mcu_ladder_new (&config, RUNGS, 0);
  McuLadderSample s = clean_sample ();
  s.rtt_ms = 50;
  feed (ladder, &s, 3);
  s.rtt_ms = 300;   /* the site moved to a slower route for good */
  feed (ladder, &s, 40);
  g_assert_cmpfloat (mcu_ladder_get_baseline_rtt (ladder), >, 290);
  /* at most one move down on the way: the window forgot the old baseline */
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), <=, 1);
}

static void
test_rate_shortfall (void)
{
  g_autoptr (McuLadder) ladder = new_ladder (0);
  McuLadderSample s = clean_sample ();

  /* the first three figures of a session judge nothing */
  g_autoptr (McuLadder) fresh = new_ladder (0);
  s.delivered_bps = 100000;
  g_assert_cmpint (feed (fresh, &s, 3), ==, MCU_LADDER_HOLD);
  g_assert_cmpint (feed (fresh, &s, 2), ==, MCU_LADDER_DOWN_RATE);
  s.delivered_bps = 450000;   /* 90 %: fine */
  feed (ladder, &s, 5);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);
  s.delivered_bps = 250000;
  g_assert_cmpint (feed (ladder, &s, 2), ==, MCU_LADDER_DOWN_RATE);
  /* too little sent to judge: no move */
  g_autoptr (McuLadder) quiet = new_ladder (0);
  s.sent_bps = 20000;
  s.delivered_bps = 1000;
  feed (quiet, &s, 10);
  g_assert_cmpuint (mcu_ladder_get_rung (quiet), ==, 0);
}

/* An RTT rise while the receiver's transport-wide feedback says all we sent arrived is its uplink's
 * queue (an agent over its 3G uplink), not ours: no cut, and the climb goes on. A rise with part of what
 * we sent missing, or with loss, still cuts; a verdict outlives 3 s without feedback, not more. */
static void
test_rtt_rise_with_full_delivery (void)
{
  g_autoptr (McuLadder) ladder = new_ladder (1);
  McuLadderSample s = clean_sample ();

  s.delivered_bps = s.sent_bps;
  feed (ladder, &s, 5);
  g_assert_cmpfloat_with_epsilon (mcu_ladder_get_baseline_rtt (ladder), 100, 1e-9);
  s.rtt_ms = 600;
  g_assert_cmpint (feed (ladder, &s, 3), ==, MCU_LADDER_HOLD);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 1);
  g_assert_cmpfloat (mcu_ladder_get_smoothed_rtt (ladder), >, 400);
  feed (ladder, &s, 10);   /* these samples count as clean: the climb goes on */
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);
  feed (ladder, &s, 30);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);

  /* 80 % delivered: above the shortfall rule's 70 %, but a queue on our side: the RTT rule cuts */
  g_autoptr (McuLadder) partly = new_ladder (0);
  s = clean_sample ();
  s.delivered_bps = s.sent_bps;
  feed (partly, &s, 5);
  s.rtt_ms = 600;
  s.delivered_bps = 0.8 * s.sent_bps;
  g_assert_cmpint (feed (partly, &s, 3), ==, MCU_LADDER_DOWN_RTT);

  /* all delivered, but 12 % lost on the way: loss and queue together cut */
  g_autoptr (McuLadder) lossy = new_ladder (0);
  s = clean_sample ();
  s.delivered_bps = s.sent_bps;
  feed (lossy, &s, 5);
  s.rtt_ms = 600;
  s.loss = 0.12;
  feed (lossy, &s, 4);   /* the smoothed loss passes 8 % at the third */
  g_assert_cmpuint (mcu_ladder_get_rung (lossy), ==, 1);

  /* feedback stops (delivered unknown): the verdict holds 3 s, then the RTT rise counts again */
  g_autoptr (McuLadder) quiet = new_ladder (0);
  s = clean_sample ();
  s.delivered_bps = s.sent_bps;
  feed (quiet, &s, 5);
  s.rtt_ms = 600;
  feed (quiet, &s, 1);
  s.delivered_bps = -1;
  g_assert_cmpint (feed (quiet, &s, 3), ==, MCU_LADDER_HOLD);
  g_assert_cmpuint (mcu_ladder_get_rung (quiet), ==, 0);
  g_assert_cmpint (feed (quiet, &s, 2), ==, MCU_LADDER_DOWN_RTT);
  g_assert_cmpuint (mcu_ladder_get_rung (quiet), ==, 1);
}

/* Clean samples until the rung changes (at most @limit). */
static guint
clean_until_move (McuLadder *ladder, guint limit)
{
  McuLadderSample ok = clean_sample ();
  guint rung = mcu_ladder_get_rung (ladder);

  for (guint n = 1; n <= limit; n++)
    if (mcu_ladder_step (ladder, &ok) != MCU_LADDER_HOLD || mcu_ladder_get_rung (ladder) != rung)
      return n;
  return G_MAXUINT;
}

/* Samples of @loss until the ladder moves down one rung: at most three (down fast). */
static void
lossy_until_down (McuLadder *ladder, double loss)
{
  McuLadderSample bad = clean_sample ();
  guint rung = mcu_ladder_get_rung (ladder), n = 0;

  bad.loss = loss;
  while (mcu_ladder_get_rung (ladder) == rung && n < 10) {
    mcu_ladder_step (ladder, &bad);
    n++;
  }
  g_assert_cmpuint (n, <=, 3);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, rung + 1);
}

static void
test_up_with_hysteresis (void)
{
  g_autoptr (McuLadder) ladder = new_ladder (0);
  guint n;

  lossy_until_down (ladder, 0.2);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 1);
  /* 10 clean seconds once the smoothed loss is under 5 % */
  n = clean_until_move (ladder, 100);
  g_assert_cmpuint (n, >=, 10);
  g_assert_cmpuint (n, <=, 18);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);
  /* the probe fails: down again, and the next try waits twice as long */
  lossy_until_down (ladder, 0.2);
  n = clean_until_move (ladder, 100);
  g_assert_cmpuint (n, >=, 20);
  g_assert_cmpuint (n, <=, 28);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);
  /* that probe holds past the probe period: the wait is back to 10 s */
  feed (ladder, &(McuLadderSample) { .loss = 0, .rtt_ms = 100, .sent_bps = 500000, .report_age_s = 0.1, .reports = 10,
                                     .delivered_bps = -1 }, 20);
  lossy_until_down (ladder, 0.2);
  n = clean_until_move (ladder, 100);
  g_assert_cmpuint (n, >=, 10);
  g_assert_cmpuint (n, <=, 18);
  /* each wait is bounded: the doubled wait never passes up_clean_max_s */
  for (guint i = 0; i < 6; i++) {
    lossy_until_down (ladder, 0.2);
    n = clean_until_move (ladder, 200);
  }
  g_assert_cmpuint (n, <=, 80 + 8);
  g_assert_cmpuint (n, >=, 80);
}

static void
test_stale_then_cut_restores (void)
{
  g_autoptr (McuLadder) ladder = new_ladder (0);
  McuLadderSample s = clean_sample ();

  feed (ladder, &s, 20);   /* long enough to learn that it reports ten times a second */
  g_assert_cmpfloat_with_epsilon (mcu_ladder_get_stale_after (ladder), 2.0, 1e-9);
  /* the link is cut: no reports while we keep sending */
  s.reports = 0;
  for (guint i = 1; i <= 10; i++) {
    s.report_age_s = i;
    mcu_ladder_step (ladder, &s);
  }
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, AUDIO_ONLY);
  /* back: the rung it had, and the first reports (their loss counts the cut) are not judged */
  s.report_age_s = 0.2;
  s.reports = 10;
  s.loss = 0.9;
  g_assert_cmpint (mcu_ladder_step (ladder, &s), ==, MCU_LADDER_UP_AFTER_OUTAGE);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);
  feed (ladder, &s, 2);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);
  s.loss = 0.0;
  feed (ladder, &s, 5);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);
}

static void
test_short_stale_stays_down (void)
{
  g_autoptr (McuLadder) ladder = new_ladder (0);
  McuLadderSample s = clean_sample ();

  feed (ladder, &s, 20);
  s.report_age_s = 2.5;   /* reports lost on a congested link */
  s.reports = 0;
  g_assert_cmpint (mcu_ladder_step (ladder, &s), ==, MCU_LADDER_DOWN_STALE);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 1);
  s.report_age_s = 0.3;
  s.reports = 3;
  g_assert_cmpint (mcu_ladder_step (ladder, &s), ==, MCU_LADDER_HOLD);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 1);
  /* nothing sent: an old report is not stale */
  g_autoptr (McuLadder) idle = new_ladder (0);
  s.sent_bps = 0;
  s.report_age_s = 30;
  s.reports = 0;
  feed (idle, &s, 10);
  g_assert_cmpuint (mcu_ladder_get_rung (idle), ==, 0);
}

/* An RTP stack with RFC 3550 timing (webrtcbin, the agent) reports every 5 s: its silence between
 * reports is not stale, a long one is; before its interval is learnt 5 s is assumed. */
static void
test_slow_reporter (void)
{
  g_autoptr (McuLadder) ladder = new_ladder (0);
  McuLadderSample s = clean_sample ();

  for (guint i = 0; i < 60; i++) {
    s.reports = i % 5 == 0;
    s.report_age_s = i % 5;
    mcu_ladder_step (ladder, &s);
  }
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);
  g_assert_cmpfloat_with_epsilon (mcu_ladder_get_stale_after (ladder), 12.5, 1e-9);
  s.reports = 0;
  for (guint i = 1; i <= 16; i++) {
    s.report_age_s = i;
    mcu_ladder_step (ladder, &s);
  }
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), >=, 1);
  /* reports in bursts (two close together, then 5 s of silence): the long gap sets the pace */
  g_autoptr (McuLadder) bursty = new_ladder (0);
  static const guint pattern[6] = { 2, 0, 0, 0, 0, 0 };
  for (guint i = 0; i < 60; i++) {
    s.reports = pattern[i % 6];
    s.report_age_s = i % 6;
    mcu_ladder_step (bursty, &s);
  }
  g_assert_cmpuint (mcu_ladder_get_rung (bursty), ==, 0);
  g_assert_cmpfloat (mcu_ladder_get_stale_after (bursty), >=, 6 * 0.6 * 2.5 - 1e-9);
  /* a cut early in the call (not yet stale: still learning) is still a cut: the loss its first reports
   * count does not move the site down */
  g_autoptr (McuLadder) early = new_ladder (0);
  McuLadderSample c = clean_sample ();
  feed (early, &c, 6);
  c.reports = 0;
  for (guint i = 1; i <= 10; i++) {
    c.report_age_s = i;
    mcu_ladder_step (early, &c);
  }
  g_assert_cmpuint (mcu_ladder_get_rung (early), ==, 0);
  c.reports = 10;
  c.report_age_s = 0.1;
  c.loss = 0.6;
  feed (early, &c, 1);
  c.loss = 0;
  feed (early, &c, 8);
  g_assert_cmpuint (mcu_ladder_get_rung (early), ==, 0);
  /* a new receiver: 3 s without a report in its first seconds is not stale yet */
  g_autoptr (McuLadder) fresh = new_ladder (0);
  s.report_age_s = 3;
  feed (fresh, &s, 3);
  g_assert_cmpuint (mcu_ladder_get_rung (fresh), ==, 0);
}

static void
test_unknown_inputs (void)
{
  g_autoptr (McuLadder) ladder = new_ladder (1);
  McuLadderSample s = { .loss = NAN, .rtt_ms = INFINITY, .sent_bps = -INFINITY, .delivered_bps = NAN,
                        .report_age_s = NAN };

  g_assert_cmpint (feed (ladder, &s, 9), ==, MCU_LADDER_HOLD);
  g_assert_cmpfloat (mcu_ladder_get_baseline_rtt (ladder), <, 0);
  /* nothing known counts as clean: the usual wait, then one rung up */
  feed (ladder, &s, 1);
  g_assert_cmpuint (mcu_ladder_get_rung (ladder), ==, 0);
  g_assert_cmpstr (mcu_ladder_move_name (MCU_LADDER_DOWN_RTT), ==, "down-rtt");
  g_assert_cmpstr (mcu_ladder_move_name ((McuLadderMove) 99), ==, "unknown");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ladder/start", test_start);
  g_test_add_func ("/ladder/loss/down-fast-stops-at-thumbnail", test_loss_down_fast_stops_at_thumbnail);
  g_test_add_func ("/ladder/loss/alternating-holds", test_alternating_loss_holds);
  g_test_add_func ("/ladder/loss/no-audio-only-rung", test_loss_without_audio_only_rung);
  g_test_add_func ("/ladder/rtt/queueing", test_rtt_queueing);
  g_test_add_func ("/ladder/rtt/baseline-forgets", test_baseline_forgets);
  g_test_add_func ("/ladder/rtt/first-not-baseline", test_first_rtt_not_baseline);
  g_test_add_func ("/ladder/rate/shortfall", test_rate_shortfall);
  g_test_add_func ("/ladder/rtt/rise-with-full-delivery", test_rtt_rise_with_full_delivery);
  g_test_add_func ("/ladder/up/hysteresis", test_up_with_hysteresis);
  g_test_add_func ("/ladder/stale/cut-restores", test_stale_then_cut_restores);
  g_test_add_func ("/ladder/stale/short-stays-down", test_short_stale_stays_down);
  g_test_add_func ("/ladder/stale/slow-reporter", test_slow_reporter);
  g_test_add_func ("/ladder/unknown-inputs", test_unknown_inputs);
  return g_test_run ();
}
