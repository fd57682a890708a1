/* SPDX-License-Identifier: MIT */
/* End-to-end tests of the audio mixer through Opus: sites send tones encoded with libopus, every
 * site decodes what the mixer hands it, and a Goertzel filter tells which tones each one hears.
 * Covers mix-minus, mute, N loudest, FEC recovery vs concealment, encodes per tick, silent-site
 * skipping, talking events, loss hints, RTP timestamps, malformed input and removal of a talker.
 * An explicit clock drives tick(); nothing sleeps. */
#include "media/audio-mixer.h"
#include "media/audio-jitter.h" /* mcu_audio_opus_has_fec */

#include <math.h>
#include <opus.h>
#include <string.h>

#define RATE 48000
#define FRAME 960
#define TICK_US 20000
#define MAX_PEERS 8

typedef struct {
  OpusEncoder *enc;
  double freq, amp;
  guint64 sample;
  guint16 seq;
  guint32 ts;
  int level;           /* RFC 6464 level to send, -1 none */
  gboolean sends;
  gboolean syllables;  /* 200 ms on, 100 ms off: speech-like enough for SILK's VAD (and so LBRR) */
} Sender;

typedef struct {
  McuAudioSite *site;
  Sender sender;
  OpusDecoder *dec;
  GArray *heard;       /* float */
  guint32 last_ts;
  guint frames, ts_jumps;
  gint64 last_wallclock;
} Peer;

typedef struct {
  McuAudioMixer *mixer;
  Peer peers[MAX_PEERS];
  guint n;
  gint64 now;
  int talking[MAX_PEERS]; /* last event: 1 started, -1 stopped, 0 none */
  guint n_events;
} Room;

static void
on_deliver (McuAudioSite *site, const guint8 *opus, gsize len, guint32 rtp_ts, gint64 wallclock_us,
            gpointer user_data)
{
  Room *room = user_data;
  Peer *peer = &room->peers[mcu_audio_site_get_id (site)];
  float pcm[FRAME];
  int n = opus_decode_float (peer->dec, opus, (opus_int32) len, pcm, FRAME, 0);

  g_assert_cmpint (n, ==, FRAME);
  g_array_append_vals (peer->heard, pcm, FRAME);
  if (peer->frames > 0 && rtp_ts != peer->last_ts + FRAME)
    peer->ts_jumps++;
  g_assert_cmpint (wallclock_us, ==, room->now);
  peer->last_ts = rtp_ts;
  peer->last_wallclock = wallclock_us;
  peer->frames++;
}

static void
on_talking (guint site_id, gboolean talking, gpointer user_data)
{
  Room *room = user_data;

  room->talking[site_id] = talking ? 1 : -1;
  room->n_events++;
}

static void
sender_init (Sender *sender, double freq, double amp, gboolean fec)
{
  int err;

  *sender = (Sender) { .freq = freq, .amp = amp, .seq = (guint16) (freq * 7), .ts = (guint32) freq * 1000,
                       .level = -1, .sends = TRUE };
  sender->enc = opus_encoder_create (RATE, 1, OPUS_APPLICATION_VOIP, &err);
  g_assert_nonnull (sender->enc);
  opus_encoder_ctl (sender->enc, OPUS_SET_BITRATE (fec ? 24000 : 32000));
  opus_encoder_ctl (sender->enc, OPUS_SET_INBAND_FEC (fec ? 1 : 0));
  opus_encoder_ctl (sender->enc, OPUS_SET_PACKET_LOSS_PERC (fec ? 20 : 0));
  if (fec) { /* LBRR exists only in SILK: keep the encoder there */
    opus_encoder_ctl (sender->enc, OPUS_SET_MAX_BANDWIDTH (OPUS_BANDWIDTH_WIDEBAND));
    opus_encoder_ctl (sender->enc, OPUS_SET_SIGNAL (OPUS_SIGNAL_VOICE));
  }
}

/* The next 20 ms packet; advances seq/ts whether or not it is then delivered. */
static int
sender_next (Sender *sender, guint8 *out, int size)
{
  float pcm[FRAME];

  for (guint i = 0; i < FRAME; i++, sender->sample++) {
    gboolean on = !sender->syllables || (sender->sample / 4800) % 3 != 2;
    pcm[i] = on ? (float) (sender->amp * sin (2 * G_PI * sender->freq * sender->sample / RATE)) : 0.0f;
  }
  sender->seq++;
  sender->ts += FRAME;
  return opus_encode_float (sender->enc, pcm, FRAME, out, size);
}

static void
room_init (Room *room, const McuAudioMixerConfig *config, guint n)
{
  McuAudioMixerCallbacks callbacks = { .deliver = on_deliver, .on_talking = on_talking };
  g_autoptr (GError) error = NULL;

  *room = (Room) { .n = n, .now = 1700000000000000 };
  room->mixer = mcu_audio_mixer_new (config, &callbacks, room, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++) {
    Peer *peer = &room->peers[i];
    int err;
    peer->site = mcu_audio_mixer_add_site (room->mixer, i);
    peer->dec = opus_decoder_create (RATE, 1, &err);
    peer->heard = g_array_new (FALSE, FALSE, sizeof (float));
  }
}

static void
room_clear (Room *room)
{
  mcu_audio_mixer_free (room->mixer);
  for (guint i = 0; i < room->n; i++) {
    opus_decoder_destroy (room->peers[i].dec);
    g_array_unref (room->peers[i].heard);
    if (room->peers[i].sender.enc)
      opus_encoder_destroy (room->peers[i].sender.enc);
  }
}

/* One 20 ms step: every sending peer pushes its packet (unless it is the one @drop_peer loses), then
 * the mixer ticks. */
static void
room_step (Room *room, int drop_peer)
{
  guint8 packet[1500];

  for (guint i = 0; i < room->n; i++) {
    Sender *s = &room->peers[i].sender;
    if (s->enc == NULL || !s->sends)
      continue;
    int len = sender_next (s, packet, sizeof packet);
    g_assert_cmpint (len, >, 0);
    if ((int) i != drop_peer)
      mcu_audio_site_push (room->peers[i].site, packet, (gsize) len, s->seq, s->ts, s->level, room->now);
  }
  mcu_audio_mixer_tick (room->mixer, room->now);
  room->now += TICK_US;
  /* on every tick, not just at the end: one shared encode plus one per selected talker */
  McuAudioMixerStats stats;
  mcu_audio_mixer_get_stats (room->mixer, &stats);
  g_assert_cmpuint (stats.encodes_last_tick, ==, stats.selected + 1);
}

static void
room_run (Room *room, guint ticks)
{
  for (guint t = 0; t < ticks; t++)
    room_step (room, -1);
}

/* Amplitude of the @freq component of the last second a peer heard (Goertzel, 1 Hz bins). */
static double
heard_amplitude (const Peer *peer, double freq)
{
  const guint n = RATE;
  const float *x;
  double c = 2 * cos (2 * G_PI * freq / RATE), s1 = 0, s2 = 0;

  g_assert_cmpuint (peer->heard->len, >=, n);
  x = &g_array_index (peer->heard, float, peer->heard->len - n);
  for (guint i = 0; i < n; i++) {
    double s = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return 2 * sqrt (MAX (s1 * s1 + s2 * s2 - c * s1 * s2, 0)) / n;
}

#define HEARS(peer, f, amp) g_assert_cmpfloat (heard_amplitude (peer, f), >, 0.4 * (amp))
#define NOT_HEARS(peer, f, amp) g_assert_cmpfloat (heard_amplitude (peer, f), <, 0.03 * (amp))

static void
test_tones_mix_minus (void)
{
  Room room;
  McuAudioMixerStats stats;
  const double f[3] = { 440, 660, 880 };

  room_init (&room, NULL, 4);
  for (guint i = 0; i < 3; i++)
    sender_init (&room.peers[i].sender, f[i], 0.2, FALSE);
  room_run (&room, 150);
  /* the listener (peer 3, sending nothing) hears all three */
  for (guint i = 0; i < 3; i++)
    HEARS (&room.peers[3], f[i], 0.2);
  /* each talker hears the other two and not itself */
  for (guint t = 0; t < 3; t++) {
    for (guint i = 0; i < 3; i++) {
      if (i == t)
        NOT_HEARS (&room.peers[t], f[i], 0.2);
      else
        HEARS (&room.peers[t], f[i], 0.2);
    }
  }
  mcu_audio_mixer_get_stats (room.mixer, &stats);
  g_assert_cmpuint (stats.selected, ==, 3);
  g_assert_cmpuint (stats.encodes_last_tick, ==, stats.selected + 1);
  g_assert_cmpuint (stats.decodes_last_tick, ==, 3);
  g_assert_cmpuint (stats.ticks, ==, 150);
  g_assert_cmpuint (stats.tick_us_p50, >, 0);               /* four Opus encodes take time */
  g_assert_cmpuint (stats.tick_us_p99, >=, stats.tick_us_p50);
  g_assert_cmpuint (stats.tick_us_max, >=, stats.tick_us_p99);
  /* server-added latency: packets come at the tick instants, so a frame waits at least until the next
   * tick (target >= 10 ms), at most the starting target rounded up to a tick (40 ms: heard talkers are
   * not skipped) plus the tick itself */
  g_assert_cmpuint (stats.held_us_p50, >=, 20000);
  g_assert_cmpuint (stats.held_us_p50, <=, 40000 + stats.tick_us_max);
  g_assert_cmpuint (stats.held_us_p99, >=, stats.held_us_p50);
  g_assert_cmpuint (stats.held_us_p99, <=, 40000 + stats.tick_us_max);
  /* one encode per tick until the talkers are through their jitter buffers (~40 ms), four after */
  g_assert_cmpuint (stats.encodes_total, <=, 150 * 4);
  g_assert_cmpuint (stats.encodes_total, >=, 150 + 3 * 145);
  for (guint i = 0; i < 4; i++) {
    g_assert_cmpuint (room.peers[i].frames, ==, 150);
    g_assert_cmpuint (room.peers[i].ts_jumps, ==, 0); /* continuous across the shared/own switch */
  }
  room_clear (&room);
}

static void
test_muted_never_heard (void)
{
  Room room;
  McuAudioMixerStats stats;
  McuAudioSiteStats site_stats;
  const double f[3] = { 440, 660, 880 };

  room_init (&room, NULL, 4);
  for (guint i = 0; i < 3; i++)
    sender_init (&room.peers[i].sender, f[i], 0.2, FALSE);
  mcu_audio_site_set_muted (room.peers[2].site, TRUE, FALSE);  /* operator mute */
  mcu_audio_site_set_muted (room.peers[1].site, FALSE, TRUE);  /* the site muted itself */
  room_run (&room, 100);
  for (guint p = 0; p < 4; p++) {
    NOT_HEARS (&room.peers[p], 880, 0.2);
    NOT_HEARS (&room.peers[p], 660, 0.2);
  }
  HEARS (&room.peers[3], 440, 0.2);
  HEARS (&room.peers[2], 440, 0.2); /* muted sites still hear the meeting */
  NOT_HEARS (&room.peers[0], 440, 0.2);
  mcu_audio_mixer_get_stats (room.mixer, &stats);
  g_assert_cmpuint (stats.selected, ==, 1);
  g_assert_cmpuint (stats.encodes_last_tick, ==, 2);
  g_assert_cmpuint (stats.decodes_last_tick, ==, 1); /* muted sites are not even decoded */
  g_assert_cmpuint (room.talking[2], ==, 0);
  mcu_audio_site_get_stats (room.peers[2].site, &site_stats);
  g_assert_false (site_stats.selected);
  g_assert_cmpuint (site_stats.played, >, 90);

  /* unmuted, the operator-muted site comes in */
  mcu_audio_site_set_muted (room.peers[2].site, FALSE, FALSE);
  room_run (&room, 60);
  HEARS (&room.peers[3], 880, 0.2);
  room_clear (&room);
}

static void
test_five_talkers_three_loudest (void)
{
  Room room;
  McuAudioMixerStats stats;
  const double f[5] = { 300, 500, 700, 900, 1100 };
  const double amp[5] = { 0.06, 0.25, 0.05, 0.2, 0.15 };

  room_init (&room, NULL, 6);
  for (guint i = 0; i < 5; i++)
    sender_init (&room.peers[i].sender, f[i], amp[i], FALSE);
  room_run (&room, 150);
  HEARS (&room.peers[5], 500, 0.25);
  HEARS (&room.peers[5], 900, 0.2);
  HEARS (&room.peers[5], 1100, 0.15);
  NOT_HEARS (&room.peers[5], 300, 0.06);
  NOT_HEARS (&room.peers[5], 700, 0.05);
  /* a quiet talker hears the same as the listener: it is not selected */
  HEARS (&room.peers[0], 500, 0.25);
  NOT_HEARS (&room.peers[0], 700, 0.05);
  mcu_audio_mixer_get_stats (room.mixer, &stats);
  g_assert_cmpuint (stats.selected, ==, 3);
  g_assert_cmpuint (stats.encodes_last_tick, ==, 4);
  room_clear (&room);
}

/* One talker loses one packet after the start; with @fec the lost one is chosen so that the next
 * packet carries LBRR (SILK codes it only while its VAD hears speech, so not for every tone frame). */
static void
run_loss (gboolean fec, McuAudioSiteStats *stats)
{
  Room room;
  Sender *s;
  guint8 pending[1500], next[1500];
  int pending_len, next_len;
  gboolean dropped = FALSE;

  room_init (&room, NULL, 2);
  s = &room.peers[0].sender;
  sender_init (s, 440, 0.2, fec);
  pending_len = sender_next (s, pending, sizeof pending);
  for (guint t = 0; t < 100; t++) {
    next_len = sender_next (s, next, sizeof next);
    if (!dropped && t >= 20 && (!fec || mcu_audio_opus_has_fec (next, (gsize) next_len)))
      dropped = TRUE;
    else
      mcu_audio_site_push (room.peers[0].site, pending, (gsize) pending_len, (guint16) (s->seq - 1),
                           s->ts - FRAME, -1, room.now);
    memcpy (pending, next, (gsize) next_len);
    pending_len = next_len;
    mcu_audio_mixer_tick (room.mixer, room.now);
    room.now += TICK_US;
  }
  g_assert_true (dropped);
  mcu_audio_site_get_stats (room.peers[0].site, stats);
  HEARS (&room.peers[1], 440, 0.2);
  room_clear (&room);
}

static void
test_fec_or_plc (void)
{
  McuAudioSiteStats stats;

  run_loss (TRUE, &stats);
  g_assert_cmpuint (stats.recovered, ==, 1);
  g_assert_cmpuint (stats.concealed, ==, 0);
  g_assert_cmpuint (stats.played, >=, 95);
  run_loss (FALSE, &stats);
  g_assert_cmpuint (stats.recovered, ==, 0);
  g_assert_cmpuint (stats.concealed, ==, 1);
}

typedef struct {
  guint8 data[400];
  int len;
  guint16 seq;
  guint32 ts;
  gint64 arrival;
} InFlight;

/* A talker on a bad link: 10 % loss, 0-60 ms of jitter (so reordering), FEC on. The listener still
 * hears the tone; losses are recovered or concealed, the buffer grows to cover the jitter. */
static void
test_bad_link (void)
{
  Room room;
  Sender *s;
  InFlight flight[32];
  guint n_flight = 0;
  g_autoptr (GRand) rand = g_rand_new_with_seed (21);
  McuAudioSiteStats stats;

  room_init (&room, NULL, 2);
  s = &room.peers[0].sender;
  sender_init (s, 440, 0.2, TRUE);
  s->syllables = TRUE;
  for (guint t = 0; t < 500; t++) {
    InFlight *f = &flight[n_flight];
    f->len = sender_next (s, f->data, sizeof f->data);
    f->seq = s->seq;
    f->ts = s->ts;
    f->arrival = room.now + g_rand_int_range (rand, 0, 60000);
    if (g_rand_double (rand) >= 0.10)
      n_flight++;
    for (guint i = 0; i < n_flight;) {
      if (flight[i].arrival <= room.now) {
        mcu_audio_site_push (room.peers[0].site, flight[i].data, (gsize) flight[i].len, flight[i].seq,
                             flight[i].ts, -1, flight[i].arrival);
        flight[i] = flight[--n_flight];
      } else {
        i++;
      }
    }
    mcu_audio_mixer_tick (room.mixer, room.now);
    room.now += TICK_US;
  }
  mcu_audio_site_get_stats (room.peers[0].site, &stats);
  HEARS (&room.peers[1], 440, 0.2);
  g_assert_cmpuint (stats.recovered, >, 10);        /* most losses come back from FEC */
  g_assert_cmpuint (stats.concealed, >, 0);
  g_assert_cmpuint (stats.late, <=, 10);
  g_assert_cmpuint (stats.jitter_target_ms, >=, 55);
  g_assert_cmpuint (stats.jitter_target_ms, <=, 200);
  g_assert_cmpuint (stats.played + stats.late + stats.duplicate, <=, stats.packets + stats.late);
  g_assert_cmpuint (stats.played + stats.recovered + stats.concealed, >=, 480);
  room_clear (&room);
}

/* Runs @ticks ticks; each tick, every sender's packet arrives @phase_us before *@send_us (the senders'
 * own 20 ms clock, which the mixer's clock room->now may be moved against). */
static void
run_phased (Room *room, const gint64 *phase_us, gint64 *send_us, guint ticks)
{
  guint8 packet[1500];

  for (guint t = 0; t < ticks; t++) {
    for (guint i = 0; i < room->n; i++) {
      Sender *s = &room->peers[i].sender;
      if (s->enc == NULL)
        continue;
      int len = sender_next (s, packet, sizeof packet);
      mcu_audio_site_push (room->peers[i].site, packet, (gsize) len, s->seq, s->ts, s->level,
                           *send_us - phase_us[i]);
    }
    mcu_audio_mixer_tick (room->mixer, room->now);
    room->now += TICK_US;
    *send_us += TICK_US;
  }
}

/* Two talkers whose packets come 3 and 12 ms before the tick: each waits its jitter target (10 ms here,
 * the floor: no jitter) plus its phase to the tick. The slack is what the least-waiting one can spare;
 * a clock moved that much earlier leaves that one exactly at its target, the other 11 ms above (its
 * packets come 9 ms later in the 20 ms cycle), and neither stalls or skips. */
static void
test_tick_follows_talkers (void)
{
  Room room;
  const gint64 phase[3] = { 3000, 12000, 0 };
  McuAudioSiteStats a0, a1, b0, b1;
  gint64 send;

  room_init (&room, NULL, 3);
  send = room.now;
  sender_init (&room.peers[0].sender, 440, 0.2, FALSE);
  sender_init (&room.peers[1].sender, 660, 0.2, FALSE);
  room.peers[0].sender.syllables = room.peers[1].sender.syllables = TRUE;   /* they pause: delays settle */
  g_assert_cmpint (mcu_audio_mixer_get_tick_slack_us (room.mixer), ==, -1);   /* nobody heard */
  run_phased (&room, phase, &send, 1000);   /* 20 s: the start target (40 ms) has decayed to the floor */
  mcu_audio_site_get_stats (room.peers[0].site, &a0);
  mcu_audio_site_get_stats (room.peers[1].site, &a1);
  g_assert_true (a0.selected && a1.selected);
  g_assert_cmpuint (a0.jitter_target_ms, ==, 10);
  g_assert_cmpuint (a1.jitter_target_ms, ==, 10);
  g_assert_cmpuint (a0.jitter_delay_ms, <, 30);
  g_assert_cmpuint (a1.jitter_delay_ms, <, 30);
  /* the phases differ by 9 ms: the later one waits 20 - 9 = 11 ms less (modulo the 20 ms tick) */
  g_assert_cmpint (((gint) a0.jitter_delay_ms - (gint) a1.jitter_delay_ms + 40) % 20, ==, 11);
  gint64 slack = mcu_audio_mixer_get_tick_slack_us (room.mixer);
  /* (the stats are whole ms and the targets a little over 10 ms, still decaying) */
  g_assert_cmpint (slack, >, ((gint64) MIN (a0.jitter_delay_ms, a1.jitter_delay_ms) - 12) * 1000);
  g_assert_cmpint (slack, <, ((gint64) MIN (a0.jitter_delay_ms, a1.jitter_delay_ms) - 9) * 1000);

  room.now -= slack;   /* what the room does (mix.c advance_tick) */
  run_phased (&room, phase, &send, 100);
  mcu_audio_site_get_stats (room.peers[0].site, &b0);
  mcu_audio_site_get_stats (room.peers[1].site, &b1);
  g_test_message ("before: %u/%u ms (targets %u/%u), slack %" G_GINT64_FORMAT " us; after: %u/%u ms", a0.jitter_delay_ms, a1.jitter_delay_ms, a0.jitter_target_ms, a1.jitter_target_ms, slack, b0.jitter_delay_ms, b1.jitter_delay_ms);
  g_assert_cmpuint (MIN (b0.jitter_delay_ms, b1.jitter_delay_ms), ==, 10);
  g_assert_cmpuint (MAX (b0.jitter_delay_ms, b1.jitter_delay_ms), >=, 20);
  g_assert_cmpuint (MAX (b0.jitter_delay_ms, b1.jitter_delay_ms), <=, 22);
  g_assert_cmpint (mcu_audio_mixer_get_tick_slack_us (room.mixer), <, 1000);
  g_assert_cmpuint (b0.concealed + b1.concealed, ==, a0.concealed + a1.concealed);
  g_assert_cmpuint (b0.expanded + b1.expanded, ==, a0.expanded + a1.expanded);
  g_assert_cmpuint (b0.dropped + b1.dropped, ==, a0.dropped + a1.dropped);
  HEARS (&room.peers[2], 440, 0.2);
  HEARS (&room.peers[2], 660, 0.2);
  room_clear (&room);
}

/* A talker that never stops being heard but pauses between words (200 ms on, 100 ms off) still sheds
 * the delay it started with (the 40 ms start target) once its jitter target has fallen: a 20 ms frame
 * is dropped inside a pause. */
static void
test_delay_shrinks_in_pauses (void)
{
  Room room;
  const gint64 phase[2] = { 5000, 0 };
  McuAudioSiteStats st;
  gint64 send;

  room_init (&room, NULL, 2);
  send = room.now;
  sender_init (&room.peers[0].sender, 440, 0.2, FALSE);
  room.peers[0].sender.syllables = TRUE;
  run_phased (&room, phase, &send, 50);
  mcu_audio_site_get_stats (room.peers[0].site, &st);
  g_assert_cmpuint (st.jitter_delay_ms, >=, 40);     /* started at the start target */
  run_phased (&room, phase, &send, 1000);                    /* 20 s */
  mcu_audio_site_get_stats (room.peers[0].site, &st);
  g_assert_true (st.selected);
  g_assert_cmpuint (st.jitter_target_ms, ==, 10);
  g_assert_cmpuint (st.jitter_delay_ms, <, 30);
  g_assert_cmpuint (st.dropped, >=, 1);
  g_assert_cmpuint (st.concealed, ==, 0);
  HEARS (&room.peers[1], 440, 0.2);
  room_clear (&room);
}

static void
test_silent_sites_not_decoded (void)
{
  Room room;
  McuAudioMixerStats stats;
  McuAudioSiteStats site_stats;

  room_init (&room, NULL, 3);
  sender_init (&room.peers[0].sender, 440, 0.2, FALSE);
  sender_init (&room.peers[1].sender, 660, 0.2, FALSE);
  room.peers[1].sender.level = 110; /* says: -110 dBov, silence (even though it is not) */
  room_run (&room, 100);
  mcu_audio_mixer_get_stats (room.mixer, &stats);
  g_assert_cmpuint (stats.decodes_last_tick, ==, 1);
  mcu_audio_site_get_stats (room.peers[1].site, &site_stats);
  g_assert_cmpuint (site_stats.skipped_silent, >, 90);
  NOT_HEARS (&room.peers[2], 660, 0.2);
  /* it starts to speak: decoded (from a fresh decoder state) and heard */
  room.peers[1].sender.level = 20;
  room_run (&room, 60);
  mcu_audio_mixer_get_stats (room.mixer, &stats);
  g_assert_cmpuint (stats.decodes_last_tick, ==, 2);
  HEARS (&room.peers[2], 660, 0.2);
  room_clear (&room);
}

static void
test_talking_events (void)
{
  Room room;

  room_init (&room, NULL, 2);
  sender_init (&room.peers[0].sender, 440, 0.2, FALSE);
  room_run (&room, 3);
  g_assert_cmpuint (room.n_events, ==, 0);
  room_run (&room, 10);
  g_assert_cmpint (room.talking[0], ==, 1);
  g_assert_cmpuint (room.n_events, ==, 1);
  room.peers[0].sender.amp = 0.0;  /* silence, still sending */
  room_run (&room, 30);
  g_assert_cmpuint (room.n_events, ==, 1); /* a short pause is not the end */
  room_run (&room, 40);
  g_assert_cmpint (room.talking[0], ==, -1);
  g_assert_cmpuint (room.n_events, ==, 2);
  room_clear (&room);
}

static void
test_loss_hints (void)
{
  Room room;
  McuAudioMixerStats stats;
  McuAudioSiteStats site_stats;
  const double loss[5] = { 0.0, 0.15, 0.3, 0.02, 0.0 };

  room_init (&room, NULL, 5);
  sender_init (&room.peers[1].sender, 440, 0.2, FALSE);
  for (guint i = 0; i < 5; i++)
    mcu_audio_site_set_listener_loss (room.peers[i].site, loss[i]);
  room_run (&room, 60);
  mcu_audio_mixer_get_stats (room.mixer, &stats);
  g_assert_cmpuint (stats.loss_hint_shared, ==, 30); /* the worst listener of the shared mix */
  mcu_audio_site_get_stats (room.peers[1].site, &site_stats);
  g_assert_true (site_stats.selected);
  g_assert_cmpuint (site_stats.loss_hint, ==, 15);  /* its own mix-minus: its own loss */
  mcu_audio_site_set_listener_loss (room.peers[2].site, 0.0);
  mcu_audio_site_set_listener_loss (room.peers[1].site, NAN);
  room_run (&room, 30);
  mcu_audio_mixer_get_stats (room.mixer, &stats);
  g_assert_cmpuint (stats.loss_hint_shared, ==, 5); /* 2 % is below the FEC floor of 5 % */
  mcu_audio_site_get_stats (room.peers[1].site, &site_stats);
  g_assert_cmpuint (site_stats.loss_hint, ==, 5);
  room_clear (&room);
}

static void
test_loud_talkers_do_not_clip (void)
{
  Room room;
  const double f[3] = { 440, 660, 880 };
  float peak = 0.0f;

  room_init (&room, NULL, 4);
  for (guint i = 0; i < 3; i++)
    sender_init (&room.peers[i].sender, f[i], 0.9, FALSE); /* three near full-scale talkers */
  room_run (&room, 100);
  for (guint i = 0; i < room.peers[3].heard->len; i++)
    peak = MAX (peak, fabsf (g_array_index (room.peers[3].heard, float, i)));
  g_assert_cmpfloat (peak, <, 0.98f);  /* the sum would reach 2.7; even after Opus it stays in range */
  g_assert_cmpfloat (peak, >, 0.5f);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpfloat (heard_amplitude (&room.peers[3], f[i]), >, 0.1);
  room_clear (&room);
}

static void
test_garbage_and_removal (void)
{
  Room room;
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  guint8 junk[200];
  McuAudioMixerStats stats;

  room_init (&room, NULL, 4);
  sender_init (&room.peers[0].sender, 440, 0.2, FALSE);
  sender_init (&room.peers[1].sender, 660, 0.2, FALSE);
  for (guint t = 0; t < 100; t++) {
    for (guint k = 0; k < 5; k++) {
      gsize len = (gsize) g_rand_int_range (rand, 0, sizeof junk);
      for (gsize b = 0; b < len; b++)
        junk[b] = (guint8) g_rand_int (rand);
      mcu_audio_site_push (room.peers[2].site, junk, len, (guint16) g_rand_int (rand), g_rand_int (rand),
                           g_rand_int_range (rand, -3, 300), room.now);
    }
    room_step (&room, -1);
  }
  HEARS (&room.peers[3], 440, 0.2);
  HEARS (&room.peers[3], 660, 0.2);
  /* a selected talker leaves: its slot is freed, the others carry on */
  mcu_audio_mixer_remove_site (room.mixer, room.peers[0].site);
  room.peers[0].sender.sends = FALSE;
  room_run (&room, 60);
  mcu_audio_mixer_get_stats (room.mixer, &stats);
  g_assert_cmpuint (stats.sites, ==, 3);
  g_assert_cmpuint (stats.encodes_last_tick, ==, stats.selected + 1);
  NOT_HEARS (&room.peers[3], 440, 0.2);
  HEARS (&room.peers[3], 660, 0.2);
  NOT_HEARS (&room.peers[1], 660, 0.2);
  room_clear (&room);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audio/mixer/tones-mix-minus", test_tones_mix_minus);
  g_test_add_func ("/audio/mixer/muted-never-heard", test_muted_never_heard);
  g_test_add_func ("/audio/mixer/five-talkers-three-loudest", test_five_talkers_three_loudest);
  g_test_add_func ("/audio/mixer/fec-or-plc", test_fec_or_plc);
  g_test_add_func ("/audio/mixer/bad-link", test_bad_link);
  g_test_add_func ("/audio/mixer/silent-sites-not-decoded", test_silent_sites_not_decoded);
  g_test_add_func ("/audio/mixer/tick-follows-talkers", test_tick_follows_talkers);
  g_test_add_func ("/audio/mixer/delay-shrinks-in-pauses", test_delay_shrinks_in_pauses);
  g_test_add_func ("/audio/mixer/talking-events", test_talking_events);
  g_test_add_func ("/audio/mixer/loss-hints", test_loss_hints);
  g_test_add_func ("/audio/mixer/loud-talkers-do-not-clip", test_loud_talkers_do_not_clip);
  g_test_add_func ("/audio/mixer/garbage-and-removal", test_garbage_and_removal);
  return g_test_run ();
}
