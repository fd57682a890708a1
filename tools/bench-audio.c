/* SPDX-License-Identifier: MIT */
/*
 * bench-audio: what the audio mixer costs for K sites. Synthesizes speech-like audio at start (a
 * glottal pulse train through vowel formant resonators, syllable-rate envelope, talk spurts and
 * pauses; one voice per active talker), encodes it once with libopus like a browser would (32 kbit/s,
 * in-band FEC), and the near-silent rest as low-level noise with RFC 6464 levels (media-gen.c, the
 * same media as tools/loadgen sends). Then, for each K, a
 * mixer with K sites is fed those packets for --seconds of simulated time (as fast as possible, or in
 * real time with --realtime) and the tool prints CPU seconds per second of audio and the per-tick
 * time of mcu_audio_mixer_tick() over every tick of the run: wall time (p50/p99/max; on a busy
 * machine this includes preemption) and the thread's CPU time (p50/p99).
 *
 *   build/tools/bench-audio [--sites 10,50,100] [--active 3] [--seconds 30] [--realtime]
 *                           [--no-levels] [--loss PERCENT] [--talkers N] [--complexity C]
 *
 * Threads: one; the mixer runs on it as it would on a room's media thread.
 */
#include "media/audio-mixer.h"
#include "media-gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE 48000
#define FRAME 960
#define TICK_US 20000
#define LOOP_SECONDS 10
#define LOOP_FRAMES (LOOP_SECONDS * RATE / FRAME)

typedef struct {
  gchar *sites;
  int active;
  int seconds;
  gboolean realtime;
  gboolean no_levels;
  double loss;
  int talkers;
  int complexity;
} Options;

/* ---- the run ---- */

typedef struct {
  guint64 bytes, frames;
} Sink;

static void
on_deliver (McuAudioSite *site, const guint8 *opus, gsize len, guint32 rtp_ts, gint64 wallclock_us,
            gpointer user_data)
{
  Sink *sink = user_data;

  sink->bytes += len;
  sink->frames++;
}

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static gint64
clock_ns (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static gint64
monotonic_ns (void)
{
  return clock_ns (CLOCK_MONOTONIC);
}

static int
compare_ints (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

static void
wait_until (gint64 deadline_ns)
{
  struct timespec ts = { deadline_ns / 1000000000, deadline_ns % 1000000000 };

  while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
    ;
}

static void
run (const Options *opt, guint k, const MediaGenAudioTrack *voices, const MediaGenAudioTrack *quiet)
{
  McuAudioMixerConfig config;
  McuAudioMixerCallbacks callbacks = { .deliver = on_deliver };
  Sink sink = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (k);
  guint ticks = (guint) opt->seconds * (RATE / FRAME);
  g_autofree int *tick_us = g_new (int, ticks);
  g_autofree int *tick_cpu_us = g_new (int, ticks);
  g_autofree McuAudioSite **sites = g_new (McuAudioSite *, k);
  gint64 now = 1700000000000000, start_ns = monotonic_ns ();
  guint64 decodes = 0, recovered = 0, concealed = 0;
  McuAudioMixerStats stats;
  double cpu;

  mcu_audio_mixer_config_init (&config);
  if (opt->talkers > 0)
    config.talkers = (guint) opt->talkers;
  if (opt->complexity >= 0)
    config.complexity = (guint) opt->complexity;
  g_autoptr (McuAudioMixer) mixer = mcu_audio_mixer_new (&config, &callbacks, &sink, &error);
  g_assert_no_error (error);
  for (guint s = 0; s < k; s++)
    sites[s] = mcu_audio_mixer_add_site (mixer, s);

  cpu = cpu_seconds ();
  for (guint t = 0; t < ticks; t++) {
    for (guint s = 0; s < k; s++) {
      const MediaGenAudioTrack *track = s < (guint) opt->active ? &voices[s] : quiet;
      guint frame = (t + s * 37) % LOOP_FRAMES;
      const MediaGenAudioPacket *p = &track->packets[frame];
      gint64 jitter = (gint64) ((s * 7919u + t * 104729u) % 15000u);
      if (opt->loss > 0 && g_rand_double (rand) * 100 < opt->loss)
        continue;
      mcu_audio_site_push (sites[s], p->data, p->len, (guint16) (t + s * 1000), t * FRAME + s * 48000u,
                           opt->no_levels ? -1 : p->level, now - 15000 + jitter);
    }
    gint64 t0 = monotonic_ns (), c0 = clock_ns (CLOCK_THREAD_CPUTIME_ID);
    mcu_audio_mixer_tick (mixer, now);
    tick_us[t] = (int) ((monotonic_ns () - t0) / 1000);
    tick_cpu_us[t] = (int) ((clock_ns (CLOCK_THREAD_CPUTIME_ID) - c0) / 1000);
    now += TICK_US;
    if (opt->realtime)
      wait_until (start_ns + (gint64) (t + 1) * TICK_US * 1000);
  }
  cpu = cpu_seconds () - cpu;

  mcu_audio_mixer_get_stats (mixer, &stats);
  decodes = stats.decodes_total;
  for (guint s = 0; s < k; s++) {
    McuAudioSiteStats ss;
    mcu_audio_site_get_stats (sites[s], &ss);
    recovered += ss.recovered;
    concealed += ss.concealed;
  }
  qsort (tick_us, ticks, sizeof (int), compare_ints);
  qsort (tick_cpu_us, ticks, sizeof (int), compare_ints);
  printf ("%5u  %8.4f  %11d  %11d  %11d  %10d  %10d  %12.1f  %12.2f  %9" G_GUINT64_FORMAT "  %9"
          G_GUINT64_FORMAT "  %8.1f\n",
          k, cpu / opt->seconds, tick_us[ticks / 2], tick_us[MIN (ticks - 1, ticks * 99 / 100)],
          tick_us[ticks - 1], tick_cpu_us[ticks / 2], tick_cpu_us[MIN (ticks - 1, ticks * 99 / 100)], (double) decodes / ticks, (double) stats.encodes_total / ticks, recovered,
          concealed, sink.bytes * 8.0 / sink.frames * (RATE / FRAME) / 1000);
}

int
main (int argc, char **argv)
{
  Options opt = { .active = 3, .seconds = 30, .talkers = 0, .complexity = -1 };
  GOptionEntry entries[] = {
    { "sites", 0, 0, G_OPTION_ARG_STRING, &opt.sites, "Comma-separated site counts (10,50,100)", "K,..." },
    { "active", 0, 0, G_OPTION_ARG_INT, &opt.active, "Sites that talk (3); the rest are near-silent", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &opt.seconds, "Simulated seconds per run (30)", "S" },
    { "realtime", 0, 0, G_OPTION_ARG_NONE, &opt.realtime, "Tick every 20 ms of wall time", NULL },
    { "no-levels", 0, 0, G_OPTION_ARG_NONE, &opt.no_levels, "Send no RFC 6464 levels (all decoded)", NULL },
    { "loss", 0, 0, G_OPTION_ARG_DOUBLE, &opt.loss, "Random inbound packet loss, percent (0)", "P" },
    { "talkers", 0, 0, G_OPTION_ARG_INT, &opt.talkers, "Talkers mixed, N (mixer default 3)", "N" },
    { "complexity", 0, 0, G_OPTION_ARG_INT, &opt.complexity, "Outbound Opus complexity (mixer default)", "C" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- benchmark the audio mixer");
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) counts = NULL;
  g_autofree MediaGenAudioTrack *voices = NULL;
  MediaGenAudioTrack quiet = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || opt.seconds <= 0 || opt.active < 0) {
    fprintf (stderr, "bench-audio: %s\n", error ? error->message : "bad --seconds or --active");
    return 2;
  }
  counts = g_strsplit (opt.sites ? opt.sites : "10,50,100", ",", -1);

  voices = g_new0 (MediaGenAudioTrack, MAX (opt.active, 1));
  for (int v = 0; v < opt.active; v++) {
    if (!media_gen_audio_track_init (&voices[v], LOOP_SECONDS, v, &error))
      break;
  }
  if (error != NULL || !media_gen_audio_track_init (&quiet, LOOP_SECONDS, MEDIA_GEN_VOICE_QUIET, &error)) {
    fprintf (stderr, "bench-audio: %s\n", error->message);
    return 1;
  }

  printf ("bench-audio: %d s of audio per run, %d talking sites, the rest near-silent (%s RFC 6464 levels),"
          " %.1f %% loss%s\n", opt.seconds, opt.active, opt.no_levels ? "without" : "with", opt.loss,
          opt.realtime ? ", real time" : "");
  printf ("%5s  %8s  %11s  %11s  %11s  %10s  %10s  %12s  %12s  %9s  %9s  %8s\n", "sites", "cpu_s/s",
          "tick_p50_us", "tick_p99_us", "tick_max_us", "cpu_p50_us", "cpu_p99_us", "decodes/tick", "encodes/tick", "recovered", "concealed", "kbit/s");
  for (guint i = 0; counts[i]; i++) {
    guint64 k;
    if (!g_ascii_string_to_unsigned (counts[i], 10, 1, 1000, &k, NULL)) {
      fprintf (stderr, "bench-audio: '%s' is not a site count (1-1000)\n", counts[i]);
      return 2;
    }
    if ((guint64) opt.active > k)
      fprintf (stderr, "bench-audio: note: only %u of %d talkers fit in %u sites\n", (guint) k, opt.active,
               (guint) k);
    run (&opt, (guint) k, voices, &quiet);
  }
  for (int v = 0; v < opt.active; v++)
    media_gen_audio_track_clear (&voices[v]);
  media_gen_audio_track_clear (&quiet);
  g_free (opt.sites);
  return 0;
}
