/* SPDX-License-Identifier: MIT */
/* Unit tests for the agent's send-side adaptation: loss and REMB lower the video, a clean link raises it,
 * the resolution/frame-rate ladder, audio-only below the floor with hysteresis, and the Opus loss hint. */
#include "adapt.h"

#define S G_USEC_PER_SEC

static const BridgeAdaptConfig cfg = { .max_kbps = 1500, .min_kbps = 100, .width = 1280, .height = 720, .framerate = 30 };

static void
test_start_and_probe_up (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  BridgeAdaptOutput o = bridge_adapt_get (a);
  gint64 now = 0;

  g_assert_cmpuint (o.video_kbps, ==, 750);
  g_assert_false (o.audio_only);
  /* No report yet: hold. */
  o = bridge_adapt_update (a, -1, -1, 0, now);
  g_assert_cmpuint (o.video_kbps, ==, 750);
  for (int i = 0; i < 60; i++)
    o = bridge_adapt_update (a, 0.0, 20, 0, now += S);
  g_assert_cmpuint (o.video_kbps, ==, 1500); /* capped at the maximum */
  g_assert_cmpuint (o.width, ==, 1280);
  g_assert_cmpuint (o.height, ==, 720);
  g_assert_cmpuint (o.framerate, ==, 30);
  g_assert_cmpuint (o.opus_loss_percent, ==, 0);
}

static void
test_remb_caps (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  BridgeAdaptOutput o = bridge_adapt_update (a, 0.0, 20, 150, S);

  /* A small tile: the mcu asks for ~150 kbit/s. */
  g_assert_cmpuint (o.video_kbps, ==, 150);
  g_assert_cmpstr (o.why, ==, "REMB from the mcu");
  g_assert_cmpuint (o.width, ==, 320);
  g_assert_cmpuint (o.height, ==, 180);
  g_assert_cmpuint (o.framerate, ==, 15);
  g_assert_false (o.audio_only);
  /* Back to the main tile. */
  for (int i = 2; i < 40; i++)
    o = bridge_adapt_update (a, 0.0, 20, 1200, i * S);
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
    o = bridge_adapt_update (a, 0.30, 300, 0, now += S);
    g_assert_cmpuint (o.video_kbps, <=, previous);
    previous = o.video_kbps;
  }
  g_assert_true (o.audio_only);
  g_assert_cmpstr (o.why, ==, "below the floor: audio only");
  g_assert_cmpuint (o.opus_loss_percent, >=, 20); /* FEC follows the loss */
  g_assert_cmpuint (o.opus_loss_percent, <=, 30);
  /* 2-10 % loss holds: still audio only. */
  for (int i = 0; i < 10; i++)
    o = bridge_adapt_update (a, 0.05, 300, 0, now += S);
  g_assert_true (o.audio_only);
}

static void
test_recovery_hysteresis (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);
  BridgeAdaptOutput o;
  gint64 now = 0;

  o = bridge_adapt_update (a, 0.0, 20, 60, now += S); /* REMB below the floor */
  g_assert_true (o.audio_only);
  o = bridge_adapt_update (a, 0.0, 20, 120, now += S); /* above the floor, below 1.5× */
  g_assert_true (o.audio_only);
  /* 1.5× the floor allowed: video comes back only after 5 s of it. */
  o = bridge_adapt_update (a, 0.0, 20, 400, now += S);
  gint64 start = now;
  while (o.audio_only && now - start < 20 * S)
    o = bridge_adapt_update (a, 0.0, 20, 400, now += S);
  g_assert_false (o.audio_only);
  g_assert_cmpint (now - start, >=, 5 * S);
  g_assert_cmpint (now - start, <=, 19 * S); /* the estimate climbs 8 %/s from the floor, then 5 s */
  g_assert_cmpstr (o.why, ==, "link recovered: video back");
  /* A dip in between restarts the wait. */
  o = bridge_adapt_update (a, 0.0, 20, 50, now += S);
  g_assert_true (o.audio_only);
}

static void
test_reset (void)
{
  g_autoptr (BridgeAdapt) a = bridge_adapt_new (&cfg);

  bridge_adapt_update (a, 0.0, 20, 50, S);
  g_assert_true (bridge_adapt_get (a).audio_only);
  bridge_adapt_reset (a);
  g_assert_false (bridge_adapt_get (a).audio_only);
  g_assert_cmpuint (bridge_adapt_get (a).video_kbps, ==, 750);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent/adapt/start-and-probe-up", test_start_and_probe_up);
  g_test_add_func ("/agent/adapt/remb-caps", test_remb_caps);
  g_test_add_func ("/agent/adapt/loss-lowers-then-audio-only", test_loss_lowers_then_audio_only);
  g_test_add_func ("/agent/adapt/recovery-hysteresis", test_recovery_hysteresis);
  g_test_add_func ("/agent/adapt/reset", test_reset);
  return g_test_run ();
}
