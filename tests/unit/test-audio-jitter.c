/* SPDX-License-Identifier: MIT */
/* Unit tests for the audio jitter buffer: reordering, growth under jitter and its cap, slow shrinking,
 * late and duplicate packets, sequence/timestamp wrap, idle and resume, malformed input, the in-band
 * FEC flag. Real Opus packets from libopus; an explicit clock, no sleeping. */
#include "media/audio-jitter.h"

#include <errno.h>
#include <math.h>
#include <opus.h>
#include <string.h>

#define FRAME 960
#define TICK_US 20000

typedef struct {
  guint8 data[400];
  int len;
} Packet;

/* One 20 ms packet of a 440 Hz tone, encoded once and reused: the buffer never looks inside beyond
 * the TOC and the FEC flag. */
static Packet
tone_packet (gboolean fec)
{
  int err;
  OpusEncoder *enc = opus_encoder_create (48000, 1, OPUS_APPLICATION_VOIP, &err);
  float pcm[FRAME];
  Packet packet = { 0 };

  opus_encoder_ctl (enc, OPUS_SET_BITRATE (24000));
  opus_encoder_ctl (enc, OPUS_SET_MAX_BANDWIDTH (OPUS_BANDWIDTH_WIDEBAND));
  opus_encoder_ctl (enc, OPUS_SET_SIGNAL (OPUS_SIGNAL_VOICE));
  opus_encoder_ctl (enc, OPUS_SET_INBAND_FEC (fec ? 1 : 0));
  opus_encoder_ctl (enc, OPUS_SET_PACKET_LOSS_PERC (fec ? 20 : 0));
  for (int f = 0; f < 10; f++) {
    for (int i = 0; i < FRAME; i++)
      pcm[i] = 0.3f * sinf (2 * G_PI * 440 * (f * FRAME + i) / 48000.0f);
    packet.len = opus_encode_float (enc, pcm, FRAME, packet.data, sizeof packet.data);
    g_assert_cmpint (packet.len, >, 0);
  }
  opus_encoder_destroy (enc);
  return packet;
}

typedef struct {
  McuAudioJitter jb;
  Packet packet;
  guint leftover;      /* decoded samples not yet played, as the mixer would hold */
  gint64 now;
  guint plc, fec, played, stalls;
} Sim;

static void
sim_init (Sim *sim, guint min_ms, guint start_ms, guint max_ms)
{
  *sim = (Sim) { .packet = tone_packet (FALSE), .now = 1000000 };
  mcu_audio_jitter_init (&sim->jb, min_ms, start_ms, max_ms);
}

static int
sim_push (Sim *sim, guint16 seq, guint32 ts, gint64 arrival)
{
  return mcu_audio_jitter_push (&sim->jb, sim->packet.data, (gsize) sim->packet.len, seq, ts, -1, arrival);
}

/* What the mixer does each tick. */
static void
sim_tick (Sim *sim)
{
  McuAudioStep step;
  McuAudioTickPlan plan = mcu_audio_jitter_begin_tick (&sim->jb, sim->now, sim->leftover, TRUE);

  if (plan == MCU_AUDIO_TICK_STALL && sim->leftover < FRAME) {
    sim->leftover += FRAME;
    sim->stalls++;
  } else if (plan != MCU_AUDIO_TICK_IDLE) {
    while (sim->leftover < FRAME && mcu_audio_jitter_pull (&sim->jb, &step)) {
      sim->leftover += step.samples;
      sim->plc += step.kind == MCU_AUDIO_STEP_PLC;
      sim->fec += step.kind == MCU_AUDIO_STEP_FEC;
      sim->played += step.kind == MCU_AUDIO_STEP_PACKET;
    }
  }
  sim->leftover = sim->leftover >= FRAME ? sim->leftover - FRAME : 0;
  sim->now += TICK_US;
}

typedef struct {
  gint64 arrival;
  guint index;
} Arrival;

static int
compare_arrivals (gconstpointer a, gconstpointer b)
{
  const Arrival *x = a, *y = b;
  return x->arrival < y->arrival ? -1 : (x->arrival > y->arrival ? 1 : (int) x->index - (int) y->index);
}

/* Sends @n packets (seq0 + i, ts0 + 960 i), packet i sent at start + 20 ms * i and arriving @delay[i]
 * later; ticks until @extra_ticks after the last arrival. @check runs after every tick. */
static void
sim_run (Sim *sim, guint n, guint16 seq0, guint32 ts0, const gint64 *delay, guint extra_ticks,
         void (*check) (Sim *sim, gpointer data), gpointer data)
{
  g_autofree Arrival *arrivals = g_new (Arrival, n);
  gint64 start = sim->now;
  guint next = 0;

  for (guint i = 0; i < n; i++)
    arrivals[i] = (Arrival) { start + (gint64) i * TICK_US + delay[i], i };
  qsort (arrivals, n, sizeof *arrivals, compare_arrivals);
  while (next < n || extra_ticks-- > 0) {
    while (next < n && arrivals[next].arrival <= sim->now) {
      guint i = arrivals[next++].index;
      sim_push (sim, (guint16) (seq0 + i), ts0 + i * FRAME, arrivals[next - 1].arrival);
    }
    sim_tick (sim);
    if (check)
      check (sim, data);
  }
}

/* Concealment counted until the stream's last packet is played (after that, the end of the stream
 * is rightly concealed until the buffer goes idle). */
typedef struct {
  guint n;
  guint64 concealed;
  gboolean done;
} Snapshot;

static void
check_snapshot (Sim *sim, gpointer data)
{
  Snapshot *snap = data;

  /* a frame skipped to bring the delay back down counts as done with: it came in time */
  if (!snap->done && sim->played + sim->jb.counters.dropped == snap->n) {
    snap->concealed = sim->jb.counters.concealed;
    snap->done = TRUE;
  }
}

static void
test_reorder (void)
{
  Sim sim;
  gint64 delay[250];
  Snapshot snap = { .n = G_N_ELEMENTS (delay) };

  sim_init (&sim, 20, 40, 200);
  for (guint i = 0; i < G_N_ELEMENTS (delay); i++)
    delay[i] = (i % 2) ? 1000 : 23000; /* each even packet overtaken by the next odd one */
  delay[0] = 45000;                     /* and the very first arrives after the second */
  sim_run (&sim, G_N_ELEMENTS (delay), 100, 5000, delay, 10, check_snapshot, &snap);
  g_assert_true (snap.done);
  g_assert_cmpuint (sim.jb.counters.late, ==, 0);
  g_assert_cmpuint (snap.concealed, ==, 0);
  /* the first packet came 45 ms late: once the 2 s hold has passed the buffer may skip a frame to
   * bring the delay back down (never more than one per 200 ms), nothing else is lost */
  g_assert_cmpuint (sim.jb.counters.dropped, <=, 3);
  g_assert_cmpuint (sim.jb.counters.played + sim.jb.counters.dropped, ==, G_N_ELEMENTS (delay));
  g_assert_cmpuint (sim.played, ==, sim.jb.counters.played);
  mcu_audio_jitter_clear (&sim.jb);
}

typedef struct {
  gint64 max_delay, max_target;
  guint ticks;
} Bounds;

static void
check_bounds (Sim *sim, gpointer data)
{
  Bounds *b = data;

  if (++b->ticks < 50)
    return;
  b->max_delay = MAX (b->max_delay, sim->jb.delay_us);
  b->max_target = MAX (b->max_target, sim->jb.target_us);
}

/* Snapshots of the buffer at given times of one run. */
typedef struct {
  gint64 at[3];
  gint64 target[3];
  guint64 late[3];
} Phases;

static void
check_phases (Sim *sim, gpointer data)
{
  Phases *p = data;

  for (guint i = 0; i < G_N_ELEMENTS (p->at); i++) {
    if (p->target[i] == 0 && sim->now >= p->at[i]) {
      p->target[i] = sim->jb.target_us;
      p->late[i] = sim->jb.counters.late;
    }
  }
}

static void
test_grows_under_jitter (void)
{
  Sim sim;
  gint64 delay[750];
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  Phases phases;

  sim_init (&sim, 20, 40, 200);
  phases = (Phases) { .at = { sim.now + 5000000, sim.now + 15000000, G_MAXINT64 } };
  for (guint i = 0; i < G_N_ELEMENTS (delay); i++)
    delay[i] = g_rand_int_range (rand, 0, 80000);
  sim_run (&sim, G_N_ELEMENTS (delay), 0, 0, delay, 10, check_phases, &phases);
  /* after 5 s the target covers the jitter, and stays within bounds */
  g_assert_cmpint (phases.target[0], >=, 75000);
  g_assert_cmpint (phases.target[0], <=, 100000);
  g_assert_cmpint (phases.target[1], >=, 75000);
  g_assert_cmpint (phases.target[1], <=, 100000);
  /* only the first few packets, before it adapted, came late; none afterwards */
  g_assert_cmpuint (phases.late[0], <=, 6);
  g_assert_cmpuint (phases.late[1], ==, phases.late[0]);
  /* a frame skipped when the delay drifted more than a frame over the target is the only other loss */
  g_assert_cmpuint (sim.jb.counters.dropped, <=, 5);
  g_assert_cmpuint (sim.jb.counters.played + sim.jb.counters.late + sim.jb.counters.dropped, ==, 750);
  mcu_audio_jitter_clear (&sim.jb);
}

static void
test_capped (void)
{
  Sim sim;
  gint64 delay[1000];
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  Bounds bounds = { 0 };

  sim_init (&sim, 20, 40, 120);
  for (guint i = 0; i < G_N_ELEMENTS (delay); i++)
    delay[i] = g_rand_int_range (rand, 0, 400000);
  delay[500] = 3000000; /* and one stall of 3 s */
  for (guint i = 501; i < 600; i++)
    delay[i] = MAX (delay[i], 3000000 - (gint64) (i - 500) * TICK_US);
  sim_run (&sim, G_N_ELEMENTS (delay), 0, 0, delay, 0, check_bounds, &bounds);
  g_assert_cmpint (bounds.max_target, ==, 120000);
  g_assert_cmpint (bounds.max_delay, <=, 120000 + 40000);
  g_assert_cmpuint (sim.jb.counters.late, >, 0); /* 400 ms of jitter does not fit in 120 ms */
  mcu_audio_jitter_clear (&sim.jb);
}

static void
test_shrinks_slowly (void)
{
  Sim sim;
  gint64 delay[1250] = { 0 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);
  Phases phases;

  sim_init (&sim, 20, 40, 200);
  /* 5 s of jitter up to 100 ms, then 20 s of none */
  phases = (Phases) { .at = { sim.now + 5000000, sim.now + 6000000, sim.now + 24000000 } };
  for (guint i = 0; i < 250; i++)
    delay[i] = g_rand_int_range (rand, 0, 100000);
  sim_run (&sim, G_N_ELEMENTS (delay), 0, 0, delay, 0, check_phases, &phases);
  g_assert_cmpint (phases.target[0], >=, 90000);
  g_assert_cmpint (phases.target[1], >=, 90000); /* held: no shrinking within a second */
  g_assert_cmpint (phases.target[2], <=, 25000); /* but gone back down after a while */
  g_assert_cmpint (sim.jb.delay_us, <=, 25000 + 30000);
  g_assert_cmpuint (phases.late[2], ==, phases.late[0]);
  mcu_audio_jitter_clear (&sim.jb);
}

/* A clean stream settles within one frame of the target (the tick quantizes the delay to 20 ms), for
 * any phase of the sender's clock against the tick: the delay the buffer adds stays under 30 ms. */
static void
test_clean_settles_low (void)
{
  for (gint64 phase = 0; phase < TICK_US; phase += 3000) {
    Sim sim;
    gint64 delay[750];

    sim_init (&sim, 10, 40, 200);
    for (guint i = 0; i < G_N_ELEMENTS (delay); i++)
      delay[i] = phase;
    sim_run (&sim, G_N_ELEMENTS (delay), 0, 0, delay, 0, NULL, NULL);
    g_assert_cmpint (sim.jb.target_us, <=, 20000);
    g_assert_cmpint (sim.jb.delay_us, >=, sim.jb.target_us);
    g_assert_cmpint (sim.jb.delay_us, <, sim.jb.target_us + TICK_US);
    g_assert_cmpint (sim.jb.delay_us, <, 30000);
    g_assert_cmpuint (sim.jb.counters.late, ==, 0);
    mcu_audio_jitter_clear (&sim.jb);
  }
}

static void
test_late_and_duplicate (void)
{
  Sim sim;
  gint64 delay[100] = { 0 };

  sim_init (&sim, 20, 40, 200);
  sim_run (&sim, 50, 0, 0, delay, 0, NULL, NULL);
  g_assert_cmpint (sim_push (&sim, 49, 49 * FRAME, sim.now), ==, -EALREADY);
  g_assert_cmpuint (sim.jb.counters.duplicate, ==, 1);
  /* packet 50 never comes in time; 51.. do */
  sim_push (&sim, 51, 51 * FRAME, sim.now);
  for (guint i = 0; i < 5; i++) {
    sim_push (&sim, (guint16) (52 + i), (52 + i) * FRAME, sim.now);
    sim_tick (&sim);
  }
  g_assert_cmpint (sim_push (&sim, 50, 50 * FRAME, sim.now), ==, -ETIME);
  g_assert_cmpuint (sim.jb.counters.late, ==, 1);
  g_assert_cmpuint (sim.jb.counters.concealed, ==, 1);
  g_assert_cmpuint (sim.plc, ==, 1);
  /* replaying an old packet long after is late, not a crash or a resync */
  g_assert_cmpint (sim_push (&sim, 3, 3 * FRAME, sim.now), ==, -ETIME);
  mcu_audio_jitter_clear (&sim.jb);
}

static void
test_wrap (void)
{
  Sim sim;
  gint64 delay[300];

  sim_init (&sim, 20, 40, 200);
  for (guint i = 0; i < G_N_ELEMENTS (delay); i++)
    delay[i] = (i * 7919) % 15000;
  Snapshot snap = { .n = G_N_ELEMENTS (delay) };

  sim_run (&sim, G_N_ELEMENTS (delay), 65400, 0xFFFF0000u, delay, 10, check_snapshot, &snap);
  g_assert_cmpuint (sim.jb.counters.played, ==, G_N_ELEMENTS (delay));
  g_assert_cmpuint (snap.concealed, ==, 0);
  g_assert_cmpuint (sim.jb.counters.late + sim.jb.counters.dropped, ==, 0);
  mcu_audio_jitter_clear (&sim.jb);
}

static void
test_idle_resume (void)
{
  Sim sim;
  gint64 delay[100] = { 0 };
  guint64 concealed;

  sim_init (&sim, 20, 40, 200);
  sim_run (&sim, 50, 0, 0, delay, 0, NULL, NULL);
  /* the sender goes quiet for 3 s (muted, DTX): a few frames concealed, then idle */
  for (guint i = 0; i < 150; i++)
    sim_tick (&sim);
  concealed = sim.jb.counters.concealed;
  g_assert_cmpuint (concealed, <=, 12);
  g_assert_false (sim.jb.playing);
  /* it comes back with the next sequence number and a timestamp 3 s on */
  Snapshot snap = { .n = 100 };
  sim_run (&sim, 50, 50, 50 * FRAME + 150 * FRAME, delay, 5, check_snapshot, &snap);
  g_assert_cmpuint (sim.jb.counters.played, ==, 100);
  g_assert_true (snap.done);
  g_assert_cmpuint (snap.concealed, ==, concealed);
  g_assert_cmpuint (sim.jb.counters.late, ==, 0);
  /* a new stream with unrelated numbers is picked up as well */
  sim_run (&sim, 50, 30000, 123456789u, delay, 5, NULL, NULL);
  g_assert_cmpuint (sim.jb.counters.played, ==, 150);
  mcu_audio_jitter_clear (&sim.jb);
}

static void
test_malformed (void)
{
  McuAudioJitter jb;
  guint8 big[MCU_AUDIO_MAX_PAYLOAD + 10] = { 0x78 };
  const guint8 bad_code3[] = { 0x03, 0x00 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  guint8 junk[64];
  McuAudioStep step;

  mcu_audio_jitter_init (&jb, 20, 40, 200);
  g_assert_cmpint (mcu_audio_jitter_push (&jb, NULL, 0, 1, 1, -1, 0), ==, -EINVAL);
  g_assert_cmpint (mcu_audio_jitter_push (&jb, big, 0, 1, 1, -1, 0), ==, -EINVAL);
  g_assert_cmpint (mcu_audio_jitter_push (&jb, bad_code3, sizeof bad_code3, 1, 1, -1, 0), ==, -EINVAL);
  g_assert_cmpint (mcu_audio_jitter_push (&jb, big, sizeof big, 1, 1, -1, 0), ==, -EMSGSIZE);
  g_assert_cmpuint (jb.counters.dropped, ==, 4);
  g_assert_cmpuint (jb.counters.packets, ==, 0);
  /* random bytes with random numbers: whatever is accepted must play out without trouble */
  for (guint i = 0; i < 20000; i++) {
    gsize len = (gsize) g_rand_int_range (rand, 1, sizeof junk);
    for (gsize b = 0; b < len; b++)
      junk[b] = (guint8) g_rand_int (rand);
    mcu_audio_jitter_push (&jb, junk, len, (guint16) g_rand_int (rand), g_rand_int (rand),
                           g_rand_int_range (rand, -5, 200), (gint64) i * 1000);
    if (i % 20 == 0 && mcu_audio_jitter_begin_tick (&jb, (gint64) i * 1000, 0, TRUE) == MCU_AUDIO_TICK_RUN) {
      for (guint s = 0; s < 3 && mcu_audio_jitter_pull (&jb, &step); s++)
        g_assert_cmpuint (step.samples, <=, MCU_AUDIO_MAX_PACKET_SAMPLES);
    }
  }
  mcu_audio_jitter_clear (&jb);
}

static void
test_fec_flag (void)
{
  Packet with = tone_packet (TRUE);
  Packet without = tone_packet (FALSE);
  const guint8 celt[] = { 0xF8, 0xFF, 0xFE };

  g_assert_true (mcu_audio_opus_has_fec (with.data, (gsize) with.len));
  g_assert_false (mcu_audio_opus_has_fec (without.data, (gsize) without.len));
  g_assert_false (mcu_audio_opus_has_fec (celt, sizeof celt));
  g_assert_false (mcu_audio_opus_has_fec (celt, 1));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audio/jitter/reorder", test_reorder);
  g_test_add_func ("/audio/jitter/grows-under-jitter", test_grows_under_jitter);
  g_test_add_func ("/audio/jitter/capped", test_capped);
  g_test_add_func ("/audio/jitter/shrinks-slowly", test_shrinks_slowly);
  g_test_add_func ("/audio/jitter/clean-settles-low", test_clean_settles_low);
  g_test_add_func ("/audio/jitter/late-and-duplicate", test_late_and_duplicate);
  g_test_add_func ("/audio/jitter/wrap", test_wrap);
  g_test_add_func ("/audio/jitter/idle-resume", test_idle_resume);
  g_test_add_func ("/audio/jitter/malformed", test_malformed);
  g_test_add_func ("/audio/jitter/fec-flag", test_fec_flag);
  return g_test_run ();
}
