/* SPDX-License-Identifier: MIT */
/* Unit tests for the audio mixer's limiter (no clipping, quiet input untouched) and talker selection
 * (N loudest, noise floor, hangover, stable ties, talking events). No Opus involved. */
#include "media/audio-limiter.h"
#include "media/audio-select.h"

#include <math.h>

#define RATE 48000
#define FRAME 960

static void
limiter_default (McuAudioLimiter *limiter)
{
  mcu_audio_limiter_init (limiter, -1.0, 6.0, 80.0, RATE);
}

static void
test_limiter_no_clip (void)
{
  static const double freqs[] = { 440, 660, 880, 1000, 1250 };
  McuAudioLimiter limiter;
  float block[FRAME];
  float peak_in = 0.0f, peak_out = 0.0f;

  limiter_default (&limiter);
  for (guint b = 0; b < 50; b++) {
    for (guint i = 0; i < FRAME; i++) {
      double t = (double) (b * FRAME + i) / RATE;
      block[i] = 0.0f;
      for (guint f = 0; f < G_N_ELEMENTS (freqs); f++)
        block[i] += (float) sin (2 * G_PI * freqs[f] * t + f); /* each one full scale */
      peak_in = MAX (peak_in, fabsf (block[i]));
    }
    mcu_audio_limiter_process (&limiter, block, FRAME);
    for (guint i = 0; i < FRAME; i++) {
      long s = lrintf (block[i] * 32768.0f);
      g_assert_cmpint (s, <=, 32767);
      g_assert_cmpint (s, >=, -32768);
      peak_out = MAX (peak_out, fabsf (block[i]));
    }
  }
  g_assert_cmpfloat (peak_in, >, 3.0f);                     /* the input really was way over */
  g_assert_cmpfloat (peak_out, <=, limiter.ceiling + 1e-6f);
  g_assert_cmpfloat (peak_out, >, 0.5f);                    /* and is not just muted */
}

static void
test_limiter_quiet_passes (void)
{
  McuAudioLimiter limiter;
  float block[FRAME], copy[FRAME];

  limiter_default (&limiter);
  for (guint b = 0; b < 100; b++) {
    /* a loud burst first, then one second of quiet: the gain must come back to exactly 1 */
    float amp = b < 5 ? 3.0f : 0.3f;
    for (guint i = 0; i < FRAME; i++)
      block[i] = copy[i] = amp * (float) sin (2 * G_PI * 440 * (b * FRAME + i) / RATE);
    mcu_audio_limiter_process (&limiter, block, FRAME);
    if (b < 5)
      g_assert_cmpfloat (limiter.gain, <, 0.5f);
  }
  g_assert_cmpfloat (limiter.gain, ==, 1.0f);
  for (guint i = 0; i < FRAME; i++)
    g_assert_cmpfloat (block[i], ==, copy[i]);

  /* a fresh limiter never touches quiet input at all */
  limiter_default (&limiter);
  for (guint i = 0; i < FRAME; i++)
    block[i] = copy[i] = 0.4f * (float) sin (2 * G_PI * 300 * i / RATE);
  mcu_audio_limiter_process (&limiter, block, FRAME);
  g_assert_cmpmem (block, sizeof block, copy, sizeof copy);
}

static void
test_limiter_garbage (void)
{
  McuAudioLimiter limiter;
  float block[4] = { NAN, INFINITY, -INFINITY, 1e30f };

  limiter_default (&limiter);
  mcu_audio_limiter_process (&limiter, block, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpfloat (fabsf (block[i]), <=, limiter.ceiling);
}

/* ---- selection ---- */

#define MAX_SITES 8

typedef struct {
  McuAudioSelectConfig config;
  McuAudioTalker talkers[MAX_SITES];
  McuAudioTalker *ptrs[MAX_SITES];
  McuAudioRank ranks[MAX_SITES];
  guint n;
  guint64 tick;
  int events[MAX_SITES]; /* +1/-1 seen last */
  guint n_events;
} Room;

static void
room_init (Room *room, guint n, guint max_talkers)
{
  *room = (Room) {
    .config = { .max_talkers = max_talkers, .noise_floor_dbov = -50, .loud_dbov = -30, .snr_db = 9,
                .hangover_ticks = 25,
                .talk_start_ticks = 5, .talk_stop_ticks = 40, .incumbent_bonus_db = 2.0 },
    .n = n,
  };
  for (guint i = 0; i < n; i++) {
    mcu_audio_talker_init (&room->talkers[i], i);
    room->ptrs[i] = &room->talkers[i];
  }
}

/* One tick with these levels; returns a bit mask of the selected sites. */
static guint
room_tick (Room *room, const double *levels)
{
  guint mask = 0;

  for (guint i = 0; i < room->n; i++) {
    int ev = mcu_audio_talker_update (&room->talkers[i], &room->config, levels[i], TRUE);
    if (ev != 0) {
      room->events[i] = ev;
      room->n_events++;
    }
  }
  mcu_audio_select (room->ptrs, room->n, room->ranks, &room->config, room->tick++);
  for (guint i = 0; i < room->n; i++)
    mask |= room->talkers[i].selected ? 1u << i : 0;
  return mask;
}

static void
test_select_loudest (void)
{
  Room room;
  const double levels[] = { -30, -10, -25, -15, -20 };
  guint mask = 0;

  room_init (&room, 5, 3);
  for (guint t = 0; t < 10; t++)
    mask = room_tick (&room, levels);
  g_assert_cmphex (mask, ==, (1u << 1) | (1u << 3) | (1u << 4));
}

static void
test_select_noise_floor (void)
{
  Room room;
  const double hiss[] = { -60, -55, -70 };
  const double one[] = { -60, -55, -22 };

  room_init (&room, 3, 3);
  for (guint t = 0; t < 50; t++)
    g_assert_cmphex (room_tick (&room, hiss), ==, 0);
  g_assert_cmphex (room_tick (&room, one), ==, 1u << 2);
  g_assert_cmpuint (room.n_events, ==, 0);
}

static void
test_select_steady_background (void)
{
  Room room;
  double levels[2];
  guint selected_0 = 0, selected_1 = 0;

  room_init (&room, 2, 3);
  for (guint t = 0; t < 500; t++) {
    levels[0] = -45;                             /* a fan: above the floor, never changing */
    levels[1] = (t / 5) % 2 ? -40 : -65;         /* quiet speech with pauses between syllables */
    guint mask = room_tick (&room, levels);
    selected_0 += mask & 1;
    selected_1 += (mask >> 1) & 1;
  }
  g_assert_cmpuint (selected_0, ==, 0);
  g_assert_cmpuint (selected_1, >=, 495);
  /* someone speaks over the fan */
  levels[0] = -35;
  g_assert_cmphex (room_tick (&room, levels) & 1, ==, 1);
}

static void
test_select_hangover (void)
{
  Room room;
  const double talk[] = { -20, -90 };
  const double pause[] = { -90, -90 };

  room_init (&room, 2, 3);
  for (guint t = 0; t < 20; t++)
    room_tick (&room, talk);
  /* a pause shorter than the hangover (25 ticks) keeps the talker */
  for (guint t = 0; t < 20; t++)
    g_assert_cmphex (room_tick (&room, pause), ==, 1);
  g_assert_cmphex (room_tick (&room, talk), ==, 1);
  /* a longer one drops it, exactly when the hangover runs out */
  for (guint t = 0; t < 24; t++)
    g_assert_cmphex (room_tick (&room, pause), ==, 1);
  g_assert_cmphex (room_tick (&room, pause), ==, 0);
}

static void
test_select_displaced_in_hangover (void)
{
  Room room;
  const double a_talks[] = { -20, -90 };
  const double b_talks[] = { -90, -20 };

  room_init (&room, 2, 1);
  for (guint t = 0; t < 10; t++)
    g_assert_cmphex (room_tick (&room, a_talks), ==, 1);
  /* N = 1: A pauses (in hangover, its score decays), B speaks as loud: B takes over quickly */
  guint switched_at = 0;
  for (guint t = 1; t <= 25 && switched_at == 0; t++) {
    if (room_tick (&room, b_talks) == 2)
      switched_at = t;
  }
  g_assert_cmpuint (switched_at, >, 0);
  g_assert_cmpuint (switched_at, <=, 6);
}

static void
test_select_ties (void)
{
  Room room;
  guint changes = 0, last;
  double levels[3];

  room_init (&room, 3, 1);
  levels[0] = levels[1] = levels[2] = -20;
  last = room_tick (&room, levels);
  g_assert_cmphex (last, ==, 1); /* equal from the start: the first to join wins */
  for (guint t = 0; t < 500; t++) {
    /* equal talkers wobbling by +-1 dB against each other must not flap */
    levels[0] = -20 + ((t % 2) ? 1 : -1);
    levels[1] = -20 + ((t % 2) ? -1 : 1);
    levels[2] = -20 + ((int) (t % 3) - 1);
    guint mask = room_tick (&room, levels);
    changes += mask != last;
    last = mask;
  }
  g_assert_cmpuint (changes, ==, 0);
  /* clearly louder wins */
  levels[0] = -30;
  levels[1] = -12;
  levels[2] = -30;
  g_assert_cmphex (room_tick (&room, levels), ==, 2);
}

static void
test_talking_events (void)
{
  Room room;
  const double talk[] = { -20 };
  const double quiet[] = { -90 };

  room_init (&room, 1, 3);
  for (guint t = 0; t < 4; t++)
    room_tick (&room, talk);
  g_assert_cmpuint (room.n_events, ==, 0); /* too short to count as talking */
  room_tick (&room, talk);
  g_assert_cmpuint (room.n_events, ==, 1);
  g_assert_cmpint (room.events[0], ==, 1);
  for (guint t = 0; t < 39; t++)
    room_tick (&room, quiet);
  room_tick (&room, talk); /* a short gap: still talking, no event */
  g_assert_cmpuint (room.n_events, ==, 1);
  for (guint t = 0; t < 40; t++)
    room_tick (&room, quiet);
  g_assert_cmpuint (room.n_events, ==, 2);
  g_assert_cmpint (room.events[0], ==, -1);

  /* muting a talking site ends its talking at once */
  for (guint t = 0; t < 5; t++)
    room_tick (&room, talk);
  g_assert_true (room.talkers[0].talking);
  g_assert_cmpint (mcu_audio_talker_update (&room.talkers[0], &room.config, -10, FALSE), ==, -1);
  g_assert_cmpuint (room.talkers[0].hang, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audio/limiter/no-clip", test_limiter_no_clip);
  g_test_add_func ("/audio/limiter/quiet-passes", test_limiter_quiet_passes);
  g_test_add_func ("/audio/limiter/garbage", test_limiter_garbage);
  g_test_add_func ("/audio/select/loudest", test_select_loudest);
  g_test_add_func ("/audio/select/noise-floor", test_select_noise_floor);
  g_test_add_func ("/audio/select/steady-background", test_select_steady_background);
  g_test_add_func ("/audio/select/hangover", test_select_hangover);
  g_test_add_func ("/audio/select/displaced-in-hangover", test_select_displaced_in_hangover);
  g_test_add_func ("/audio/select/ties", test_select_ties);
  g_test_add_func ("/audio/select/talking-events", test_talking_events);
  return g_test_run ();
}
