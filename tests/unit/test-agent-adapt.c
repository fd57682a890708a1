/* SPDX-License-Identifier: MIT */
/* Unit tests for the agent's send-side adaptation: loss and REMB lower the video, a clean link raises it,
 * the resolution/frame-rate ladder (its dwell times and the smaller frames of a lossy link), audio-only
 * below the floor with hysteresis, the Opus loss hint, and on a simulated uplink (tbf-like cap plus
 * random loss) that random loss is learnt as the link's own while congestion is not. */
#include "adapt.h"

#define S G_USEC_PER_SEC

static const BridgeAdaptConfig cfg = { .max_kbps = 1500, .min_kbps = 100, .width = 1280, .height = 720, .framerate = 30 };

/* One report: loss, RTT and REMB as the old tests give them; what is sent is not known. */
static BridgeAdaptOutput
update (BridgeAdapt *a, double loss, double rtt_ms, guint remb_kbps, gint64 now)
{
  BridgeAdaptInput in = { .loss = loss, .rtt_ms = rtt_ms, .send_kbps = -1, .remb_kbps = remb_kbps };
  return bridge_adapt_update (a, &in, now);
}

static void
test_start_and_probe_up (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  BridgeAdaptOutput o = bridge_adapt_get (a);
  gint64 now = 0;

  g_assert_cmpuint (o.video_kbps, ==, 750);
  g_assert_false (o.audio_only);
  /* No report yet: hold. */
  o = update (a, -1, -1, 0, now);
  g_assert_cmpuint (o.video_kbps, ==, 750);
  for (int i = 0; i < 60; i++)
    o = update (a, 0.0, 20, 0, now += S);
  g_assert_cmpuint (o.video_kbps, ==, 1500); /* capped at the maximum */
  g_assert_cmpuint (o.width, ==, 1280);
  g_assert_cmpuint (o.height, ==, 720);
  g_assert_cmpuint (o.framerate, ==, 30);
  g_assert_cmpuint (o.opus_loss_percent, ==, 0);
}

/* The agent's start (start_kbps) is below a rural 3G uplink, climbs on a clean link and resets to it;
 * a start outside min..max is clamped. */
static void
test_start_below_the_link (void)
{
  BridgeAdaptConfig c = cfg;
  c.start_kbps = BRIDGE_ADAPT_START_KBPS;
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&c);
  BridgeAdaptOutput o = bridge_adapt_get (a);
  gint64 now = 0;

  g_assert_cmpuint (o.video_kbps, ==, BRIDGE_ADAPT_START_KBPS);
  g_assert_cmpuint (o.video_kbps, <, 600 - 64);   /* room for audio and resends under 600 kbit/s */
  g_assert_cmpuint (o.width, ==, 640);            /* 350/1500: under 30 %, half the size */
  for (int i = 0; i < 30; i++)
    o = update (a, 0.0, 20, 0, now += S);
  g_assert_cmpuint (o.video_kbps, >, 1000);
  bridge_adapt_reset (a);
  g_assert_cmpuint (bridge_adapt_get (a).video_kbps, ==, BRIDGE_ADAPT_START_KBPS);

  c.start_kbps = 5000;
  g_autoptr (BridgeAdapt) high = bridge_adapt_new (&c);
  g_assert_cmpuint (bridge_adapt_get (high).video_kbps, ==, 1500);
  c.start_kbps = 10;
  g_autoptr (BridgeAdapt) low = bridge_adapt_new (&c);
  g_assert_cmpuint (bridge_adapt_get (low).video_kbps, ==, 100);
}

static void
test_remb_caps (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  BridgeAdaptOutput o = update (a, 0.0, 20, 150, S);

  /* A small tile: the mcu asks for ~150 kbit/s. */
  g_assert_cmpuint (o.video_kbps, ==, 150);
  g_assert_cmpstr (o.why, ==, "REMB from the mcu");
  g_assert_cmpuint (o.width, ==, 320);
  g_assert_cmpuint (o.height, ==, 180);
  g_assert_cmpuint (o.framerate, ==, 15);
  g_assert_false (o.audio_only);
  /* Back to the main tile. */
  for (int i = 2; i < 40; i++)
    o = update (a, 0.0, 20, 1200, i * S);
  g_assert_cmpuint (o.video_kbps, ==, 1200);
  g_assert_cmpuint (o.width, ==, 1280);
}

static void
test_loss_lowers_then_audio_only (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  BridgeAdaptOutput o = bridge_adapt_get (a);
  guint previous = o.video_kbps;
  gint64 now = 0;
  int steps = 0;

  while (!o.audio_only && steps++ < 100) {
    o = update (a, 0.30, 300, 0, now += S);
    g_assert_cmpuint (o.video_kbps, <=, previous);
    previous = o.video_kbps;
  }
  g_assert_true (o.audio_only);
  g_assert_cmpstr (o.why, ==, "below the floor: audio only");
  g_assert_cmpuint (o.opus_loss_percent, >=, 20); /* FEC follows the loss */
  g_assert_cmpuint (o.opus_loss_percent, <=, 30);
  /* 2-10 % loss holds: still audio only. */
  for (int i = 0; i < 10; i++)
    o = update (a, 0.05, 300, 0, now += S);
  g_assert_true (o.audio_only);
}

static void
test_recovery_hysteresis (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  BridgeAdaptOutput o;
  gint64 now = 0;

  o = update (a, 0.0, 20, 60, now += S); /* REMB below the floor */
  g_assert_true (o.audio_only);
  o = update (a, 0.0, 20, 120, now += S); /* above the floor, below 1.5× */
  g_assert_true (o.audio_only);
  /* 1.5× the floor allowed: video comes back only after 5 s of it. */
  o = update (a, 0.0, 20, 400, now += S);
  gint64 start = now;
  while (o.audio_only && now - start < 20 * S)
    o = update (a, 0.0, 20, 400, now += S);
  g_assert_false (o.audio_only);
  g_assert_cmpint (now - start, >=, 5 * S);
  g_assert_cmpint (now - start, <=, 19 * S); /* the estimate climbs 8 %/s from the floor, then 5 s */
  g_assert_cmpstr (o.why, ==, "link recovered: video back");
  /* A dip in between restarts the wait. */
  o = update (a, 0.0, 20, 50, now += S);
  g_assert_true (o.audio_only);
}

static void
test_reset (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);

  update (a, 0.0, 20, 50, S);
  g_assert_true (bridge_adapt_get (a).audio_only);
  bridge_adapt_reset (a);
  g_assert_false (bridge_adapt_get (a).audio_only);
  g_assert_cmpuint (bridge_adapt_get (a).video_kbps, ==, 750);
}

/* ---- a simulated uplink: a rate cap (tbf) and random loss, as the integration test sets up ---- */

typedef struct {
  double capacity_kbps;  /* on the wire; 0 = none */
  double random_loss;    /* 0..1, whatever is sent */
  guint tick;
} Link;

#define AUDIO_KBPS 32.0
#define OVERHEAD_KBPS 40.0  /* RTP/SRTP/UDP/IP headers: on the wire, not in send_kbps */

/* What the encoders send for @o (an encoder meets its target here), and the loss the mcu reports. */
static BridgeAdaptInput
link_report (Link *link, const BridgeAdaptOutput *o, guint remb_kbps)
{
  double sent = AUDIO_KBPS + (o->audio_only ? 0 : o->video_kbps);
  double through = 1.0;
  /* Reports are noisy: ±5 % (a second of video is 40-90 packets), deterministic. */
  guint32 hash = ++link->tick * 2654435761u;
  double noise = link->random_loss > 0 ? ((double) (hash >> 24) / 255.0 - 0.5) * 0.10 : 0;

  if (link->capacity_kbps > 0 && sent + OVERHEAD_KBPS > link->capacity_kbps)
    through = link->capacity_kbps / (sent + OVERHEAD_KBPS);
  double loss = 1.0 - through * (1.0 - CLAMP (link->random_loss + noise, 0.0, 1.0));
  /* over the cap, tbf's queue is full: 200 ms more */
  double rtt = through < 1.0 ? 280 : 80;
  return (BridgeAdaptInput) { .loss = loss, .rtt_ms = rtt, .send_kbps = sent, .remb_kbps = remb_kbps };
}

static BridgeAdaptOutput
run_link (BridgeAdapt *a, Link *link, guint remb_kbps, gint64 *now, int seconds)
{
  BridgeAdaptOutput o = bridge_adapt_get (a);

  for (int i = 0; i < seconds; i++) {
    BridgeAdaptInput in = link_report (link, &o, remb_kbps);
    o = bridge_adapt_update (a, &in, *now += S);
  }
  return o;
}

/* The integration test's case: 640x360@15 up to 600 kbit/s (what the mcu asks for the main tile),
 * then 10 % random loss and a 400 kbit/s cap. The video goes below the cap with a smaller picture
 * and frame rate, the 10 % is learnt as the link's own (no slide to audio only), and all comes back
 * when the link is clean again. */
static const BridgeAdaptConfig small = { .max_kbps = 600, .min_kbps = 100, .width = 640, .height = 360, .framerate = 15 };

static void
test_random_loss_and_cap (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&small);
  Link link = { 0 };
  gint64 now = 0;
  BridgeAdaptOutput o = run_link (a, &link, 600, &now, 15);

  g_assert_cmpuint (o.video_kbps, ==, 600);
  g_assert_cmpuint (o.width, ==, 640);
  g_assert_cmpuint (o.framerate, ==, 15);

  link = (Link) { .capacity_kbps = 400, .random_loss = 0.10 };
  int adapted_after = -1;
  double sum_kbps = 0;
  for (int i = 1; i <= 90; i++) {
    o = run_link (a, &link, 600, &now, 1);
    g_assert_false (o.audio_only);
    if (adapted_after < 0 && o.video_kbps + AUDIO_KBPS < 400 && o.width < 640 && o.framerate < 15)
      adapted_after = i;
    if (i > 30)
      sum_kbps += o.video_kbps;
  }
  g_test_message ("adapted after %d s; then %.0f kbit/s on average; link loss learnt %u %%", adapted_after,
                  sum_kbps / 60, o.random_loss_percent);
  g_assert_cmpint (adapted_after, >, 0);
  g_assert_cmpint (adapted_after, <=, 10);
  g_assert_cmpfloat (sum_kbps / 60, >=, 200);  /* not starved by the random loss */
  g_assert_cmpfloat (sum_kbps / 60, <=, 400 - AUDIO_KBPS);
  g_assert_cmpuint (o.random_loss_percent, >=, 7);
  g_assert_cmpuint (o.random_loss_percent, <=, 13);
  g_assert_cmpuint (o.width, ==, 320);  /* lossy: smaller frames arrive whole more often */
  g_assert_cmpuint (o.height, ==, 180);
  g_assert_cmpuint (o.framerate, ==, 7);
  g_assert_cmpuint (o.opus_loss_percent, >=, 7);  /* Opus FEC follows */

  link = (Link) { 0 };
  int back_after = -1;
  for (int i = 1; i <= 40 && back_after < 0; i++) {
    o = run_link (a, &link, 600, &now, 1);
    if (o.video_kbps == 600 && o.width == 640 && o.framerate == 15)
      back_after = i;
  }
  g_test_message ("back to 640x360@15, 600 kbit/s after %d s", back_after);
  g_assert_cmpint (back_after, >, 0);
  g_assert_cmpuint (o.random_loss_percent, ==, 0);
  g_assert_cmpuint (o.opus_loss_percent, <=, 1);
}

/* Congestion alone: the loss falls when the rate falls, so nothing is learnt as the link's own and the
 * rate settles under the cap. */
static void
test_congestion_is_not_random_loss (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  Link link = { 0 };
  gint64 now = 0;
  BridgeAdaptOutput o = run_link (a, &link, 0, &now, 5);  /* the RTT of an empty queue is learnt */
  guint above = 0;

  link.capacity_kbps = 300;
  for (int i = 0; i < 60; i++) {
    o = run_link (a, &link, 0, &now, 1);
    g_assert_cmpuint (o.random_loss_percent, ==, 0);
    if (i >= 20 && o.video_kbps + AUDIO_KBPS + OVERHEAD_KBPS > 300 * 1.1)
      above++;
  }
  g_assert_cmpuint (above, <=, 4);  /* probing over the cap now and then, cut back at once */
  g_assert_false (o.audio_only);
  g_assert_cmpuint (o.video_kbps, >=, 150);
}

/* Heavy random loss (30 %) is not learnt: video that loses a third of its packets is useless, and the
 * site goes audio only (see loss-lowers-then-audio-only). Here: the same with the sent rate known. */
static void
test_heavy_loss_not_learnt (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  Link link = { .random_loss = 0.30 };
  gint64 now = 0;
  BridgeAdaptOutput o = run_link (a, &link, 0, &now, 40);

  g_assert_true (o.audio_only);
  g_assert_cmpuint (o.random_loss_percent, ==, 0);
}

/* Audio only on a link that keeps losing 10 % with the video off: that loss is the link's own, so the
 * rate estimate climbs again and the video comes back instead of waiting for a clean link forever. */
static void
test_audio_only_learns_link_loss (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  gint64 now = 0;
  BridgeAdaptOutput o = update (a, 0.10, 80, 60, now += S);  /* the mcu asks for less than the floor */

  g_assert_true (o.audio_only);
  int back_after = -1;
  for (int i = 1; i <= 60 && back_after < 0; i++) {
    o = update (a, 0.10, 80, 0, now += S);
    if (!o.audio_only)
      back_after = i;
  }
  g_test_message ("video back after %d s of audio only at 10 %% loss", back_after);
  g_assert_cmpint (back_after, >, 5);  /* the floor's hysteresis still holds */
  g_assert_cmpint (back_after, <=, 30);
  g_assert_cmpuint (o.random_loss_percent, ==, 10);
}

/* Every step change costs a keyframe: down at most every 2 s, up every 8 s, one step at a time and
 * only with 1.2 × the step's share. */
static void
test_ladder_dwell (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  gint64 now = 0, last_change = -100 * S;
  BridgeAdaptOutput o = bridge_adapt_get (a);
  guint step = o.step;

  g_assert_cmpuint (step, ==, 0);
  o = update (a, 0.0, 20, 400, now += S);  /* 27 % of the maximum: half size */
  g_assert_cmpuint (o.step, ==, 2);
  g_assert_cmpuint (o.width, ==, 640);
  g_assert_cmpuint (o.framerate, ==, 15);
  last_change = now;
  step = o.step;
  o = update (a, 0.0, 20, 150, now += S);  /* a thumbnail is wanted, but not 1 s after a change */
  g_assert_cmpuint (o.step, ==, 2);
  o = update (a, 0.0, 20, 150, now += S);
  g_assert_cmpuint (o.step, ==, 3);
  g_assert_cmpuint (o.width, ==, 320);
  last_change = now;
  step = o.step;
  /* The tile grows: the rate climbs 8 %/s, the picture follows one step at a time, 8 s apart. */
  for (int i = 0; i < 60; i++) {
    o = update (a, 0.0, 20, 1500, now += S);
    if (o.step != step) {
      g_assert_cmpuint (o.step, ==, step - 1);
      g_assert_cmpint (now - last_change, >=, 8 * S);
      g_assert_cmpfloat (o.video_kbps, >=, 1.2 * 1500 * (o.step == 0 ? 0.5 : o.step == 1 ? 0.3 : 0.15));
      last_change = now;
      step = o.step;
    }
  }
  g_assert_cmpuint (o.step, ==, 0);
  g_assert_cmpuint (o.width, ==, 1280);
  g_assert_cmpuint (o.framerate, ==, 30);
}

/* A lossy link picks smaller frames at the same bitrate, with hysteresis (on at 5 %, off below 3 %). */
static void
test_lossy_ladder (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  gint64 now = 0;
  BridgeAdaptOutput o = bridge_adapt_get (a);

  for (int i = 0; i < 10; i++)
    o = update (a, 0.06, 50, 0, now += S);  /* 2-10 %: the bitrate holds */
  g_assert_cmpuint (o.video_kbps, ==, 750);
  g_assert_cmpuint (o.width, ==, 640);     /* 750/1500 halved: 25 % → half size */
  g_assert_cmpuint (o.framerate, ==, 15);
  for (int i = 0; i < 3; i++)
    o = update (a, 0.04, 50, 0, now += S);  /* 4 %: still lossy (hysteresis) */
  g_assert_cmpuint (o.width, ==, 640);
  for (int i = 0; i < 30; i++)
    o = update (a, 0.0, 50, 0, now += S);
  g_assert_cmpuint (o.width, ==, 1280);
  g_assert_cmpuint (o.framerate, ==, 30);
}

/* An encoder that sends less than its target (a still picture): a cut starts from what is sent. */
static void
test_cut_from_what_is_sent (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  BridgeAdaptInput in = { .loss = 0.30, .rtt_ms = 50, .send_kbps = 200, .remb_kbps = 0 };
  BridgeAdaptOutput o = bridge_adapt_update (a, &in, S);

  g_assert_cmpuint (o.video_kbps, ==, 170);  /* 200 × (1 - 0.30 / 2), not 750 × 0.85 */
  g_assert_cmpstr (o.why, ==, "loss above 10 %: cut");
}

#define MS 1000

/* Resends past a quarter of the video rate (1 s of it in a burst) are dropped; the budget refills. */
static void
test_rtx_budget (void)
{
  BridgeRtxBudget b = { 0 };
  guint rate = bridge_rtx_budget_kbps (400);  /* 100 kbit/s: 12500 bytes/s */
  guint sent = 0;

  g_assert_cmpuint (rate, ==, 100);
  g_assert_cmpuint (bridge_rtx_budget_kbps (50), ==, BRIDGE_RTX_BUDGET_MIN_KBPS);
  /* A storm: 1000 different packets of 1200 bytes asked for within 1 s. */
  for (guint i = 0; i < 1000; i++)
    sent += bridge_rtx_budget_take (&b, (guint16) i, 1200, rate, 100 * MS, S + i * MS) == BRIDGE_RTX_SEND;
  g_assert_cmpuint (sent, >=, 18);  /* the full bucket (10) and what 1 s refills (10) */
  g_assert_cmpuint (sent, <=, 22);
  /* Quiet for 2 s: a burst of one bucket again, not more. */
  sent = 0;
  for (guint i = 0; i < 30; i++)
    sent += bridge_rtx_budget_take (&b, (guint16) (2000 + i), 1200, rate, 100 * MS, 4 * S) == BRIDGE_RTX_SEND;
  g_assert_cmpuint (sent, ==, 10);
  /* The clock going back (a new session) starts afresh instead of stalling. */
  g_assert_cmpint (bridge_rtx_budget_take (&b, 7, 1200, rate, 100 * MS, S), ==, BRIDGE_RTX_SEND);
  /* A packet larger than the whole budget never passes. */
  g_assert_cmpint (bridge_rtx_budget_take (&b, 8, 20000, rate, 100 * MS, 10 * S), ==, BRIDGE_RTX_OVER_BUDGET);
}

/* The same packet asked for again within the RTT is not resent (the first resend is still on its
 * way); after the RTT it is. Repeats take nothing from the budget. */
static void
test_rtx_repeats (void)
{
  BridgeRtxBudget b = { 0 };
  gint64 now = 10 * S;

  g_assert_cmpint (bridge_rtx_budget_take (&b, 500, 1000, 1000, 200 * MS, now), ==, BRIDGE_RTX_SEND);
  for (int i = 1; i < 10; i++)  /* a NACK retry every 20 ms */
    g_assert_cmpint (bridge_rtx_budget_take (&b, 500, 1000, 1000, 200 * MS, now + i * 20 * MS), ==, BRIDGE_RTX_REPEAT);
  g_assert_cmpint (bridge_rtx_budget_take (&b, 501, 1000, 1000, 200 * MS, now + 190 * MS), ==, BRIDGE_RTX_SEND);
  g_assert_cmpint (bridge_rtx_budget_take (&b, 500, 1000, 1000, 200 * MS, now + 200 * MS), ==, BRIDGE_RTX_SEND);
  /* Older entries are overwritten: 64 others later, 500 is forgotten. */
  for (guint i = 0; i < BRIDGE_RTX_RECENT; i++)
    g_assert_cmpint (bridge_rtx_budget_take (&b, (guint16) (1000 + i), 10, 1000, 200 * MS, now + 210 * MS), ==, BRIDGE_RTX_SEND);
  g_assert_cmpint (bridge_rtx_budget_take (&b, 500, 10, 1000, 200 * MS, now + 220 * MS), ==, BRIDGE_RTX_SEND);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent/adapt/start-and-probe-up", test_start_and_probe_up);
  g_test_add_func ("/agent/adapt/start-below-the-link", test_start_below_the_link);
  g_test_add_func ("/agent/adapt/remb-caps", test_remb_caps);
  g_test_add_func ("/agent/adapt/loss-lowers-then-audio-only", test_loss_lowers_then_audio_only);
  g_test_add_func ("/agent/adapt/recovery-hysteresis", test_recovery_hysteresis);
  g_test_add_func ("/agent/adapt/reset", test_reset);
  g_test_add_func ("/agent/adapt/random-loss-and-cap", test_random_loss_and_cap);
  g_test_add_func ("/agent/adapt/congestion-is-not-random-loss", test_congestion_is_not_random_loss);
  g_test_add_func ("/agent/adapt/heavy-loss-not-learnt", test_heavy_loss_not_learnt);
  g_test_add_func ("/agent/adapt/ladder-dwell", test_ladder_dwell);
  g_test_add_func ("/agent/adapt/audio-only-learns-link-loss", test_audio_only_learns_link_loss);
  g_test_add_func ("/agent/adapt/lossy-ladder", test_lossy_ladder);
  g_test_add_func ("/agent/adapt/cut-from-what-is-sent", test_cut_from_what_is_sent);
  g_test_add_func ("/agent/adapt/rtx-budget", test_rtx_budget);
  g_test_add_func ("/agent/adapt/rtx-repeats", test_rtx_repeats);
  return g_test_run ();
}
