/* SPDX-License-Identifier: MIT */
/*
 * loadgen: S simulated sites against a real mcu over the real transport. Each site is a CLIENT-role
 * McuPeer + McuRtpSession (site.c) that joins through WHIP (POST /whip/ROOM?name=load-NNN), sends
 * pre-encoded speech-like Opus (RFC 6464 levels; --talkers of them talk, the others send low-level
 * hiss) and 640x360 VP8 of a moving pattern at 25 fps, and counts and samples what comes back. With
 * --follow-remb a site sends the same pattern at 320x180 while the mcu's REMB says its tile is small
 * (under 400 kbit/s), as the bridge agent and browsers under a bitrate cap do.
 *
 *   loadgen --url http://127.0.0.1:8080/ [--room demo] [--sites 10] [--talkers 3] [--duration 30]
 *           [--join-rate 20] [--loss-out PCT] [--loss-in PCT] [--seed 1] [--decode 2] [--decode-video N]
 *           [--video-kbps 500] [--follow-remb] [--ice-address 127.0.0.1] [--join-timeout 15] [--output FILE]
 *
 * Phases: sites are started --join-rate per second; when every site has connected or failed (or
 * --join-timeout passed) the meeting runs --duration seconds, then every site sends DELETE and the
 * JSON summary is written (stdout, or --output). Progress lines on stderr: "loadgen: meeting start"
 * and "loadgen: meeting end" (tools/bench times the mcu's CPU between them).
 *
 * Threads: one. A single 20 ms clock (absolute deadlines, no drift) sends every site's audio, every
 * second tick its video, and runs the RTP session timers; libnice, DTLS and libsoup run on the same
 * GMainContext. That keeps 100 sites far cheaper than the mcu they load.
 */
#define G_LOG_DOMAIN "loadgen"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "site.h"

#define TICK_US 20000

typedef struct {
  char *url, *room, *output, *ice_address, *dump_video;
  gboolean janus, audio_only, marker, follow_remb;
  int sites, talkers, duration, decode, decode_video, seed, video_kbps, join_timeout;
  double join_rate, loss_out, loss_in;
} Options;

typedef enum { PHASE_JOINING, PHASE_MEETING, PHASE_LEAVING, PHASE_DONE } Phase;

typedef struct {
  Options opt;
  LoadgenShared shared;
  GPtrArray *sites;
  GMainLoop *loop;
  GSource *clock;
  gint64 start_us, next_tick_us, meeting_start_us, meeting_end_us;
  guint started, ticks;
  Phase phase;
  double cpu_meeting_start, cpu_meeting;
  GArray *tick_late_ms; /* how late each meeting tick ran: the pace the mcu's jitter buffers see */
} Loadgen;

static double
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---- phases ---- */

static gboolean
on_site_left (gpointer data)
{
  Loadgen *lg = data;

  if (lg->shared.left == lg->sites->len) {
    lg->phase = PHASE_DONE;
    g_main_loop_quit (lg->loop);
  }
  return G_SOURCE_REMOVE;
}

static void
start_meeting (Loadgen *lg, gint64 now)
{
  lg->phase = PHASE_MEETING;
  lg->meeting_start_us = now;
  lg->cpu_meeting_start = cpu_seconds ();
  fprintf (stderr, "loadgen: meeting start (%u joined, %u failed, %.0f ms after the first join)\n",
           lg->shared.joined, lg->shared.failed, (now - lg->start_us) / 1000.0);
  fflush (stderr);
}

static void
end_meeting (Loadgen *lg, gint64 now)
{
  lg->phase = PHASE_LEAVING;
  lg->meeting_end_us = now;
  lg->cpu_meeting = cpu_seconds () - lg->cpu_meeting_start;
  fprintf (stderr, "loadgen: meeting end\n");
  fflush (stderr);
  for (guint i = 0; i < lg->sites->len; i++)
    loadgen_site_leave (g_ptr_array_index (lg->sites, i), on_site_left, lg);
}

static void
advance_phase (Loadgen *lg, gint64 now)
{
  if (lg->phase == PHASE_JOINING) {
    gboolean all = lg->started == lg->sites->len && lg->shared.joined + lg->shared.failed >= lg->sites->len;
    if (all && lg->shared.joined == 0) {
      start_meeting (lg, now);
      end_meeting (lg, now);
    } else if (all || now - lg->start_us > (gint64) lg->opt.join_timeout * G_USEC_PER_SEC)
      start_meeting (lg, now);
  } else if (lg->phase == PHASE_MEETING && now - lg->meeting_start_us >= (gint64) lg->opt.duration * G_USEC_PER_SEC) {
    end_meeting (lg, now);
  }
}

/* The one clock: joins due, audio every tick, video every second tick, RTP timers. */
static gboolean
on_tick (gpointer data)
{
  Loadgen *lg = data;
  gint64 now = g_get_monotonic_time ();

  if (lg->phase == PHASE_MEETING) {
    double late_ms = (now - lg->next_tick_us) / 1000.0;
    g_array_append_val (lg->tick_late_ms, late_ms);
  }

  while (lg->started < lg->sites->len &&
         now >= lg->start_us + (gint64) (lg->started * G_USEC_PER_SEC / lg->opt.join_rate))
    loadgen_site_join (g_ptr_array_index (lg->sites, lg->started++));
  /* Every site's audio first: each site is its own machine, whose audio does not wait behind the
   * other sites' video frames (up to a few ms of sends at S = 100). */
  for (guint i = 0; i < lg->sites->len; i++)
    loadgen_site_send_audio (g_ptr_array_index (lg->sites, i), now);
  for (guint i = 0; i < lg->sites->len; i++) {
    LoadgenSite *site = g_ptr_array_index (lg->sites, i);
    if (lg->ticks % 2 == 0)
      loadgen_site_send_video (site, now);
    loadgen_site_poll (site, now);
  }
  lg->ticks++;
  advance_phase (lg, now);
  lg->next_tick_us += TICK_US;
  if (lg->next_tick_us < now - 10 * TICK_US)   /* far behind (machine stalled): do not burst */
    lg->next_tick_us = now;
  g_source_set_ready_time (lg->clock, lg->phase >= PHASE_LEAVING ? -1 : lg->next_tick_us);
  return G_SOURCE_CONTINUE;
}

static gboolean
clock_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs clock_funcs = { .dispatch = clock_dispatch };

/* ---- summary ---- */

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void
add_percentiles (JsonBuilder *b, const char *name, double *values, guint n)
{
  json_builder_set_member_name (b, name);
  if (n == 0) {
    json_builder_add_null_value (b);
    return;
  }
  qsort (values, n, sizeof *values, compare_doubles);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "n");
  json_builder_add_int_value (b, n);
  json_builder_set_member_name (b, "p50");
  json_builder_add_double_value (b, values[(n - 1) / 2]);
  json_builder_set_member_name (b, "p99");
  json_builder_add_double_value (b, values[(gsize) ((n - 1) * 0.99 + 0.5)]);
  json_builder_set_member_name (b, "max");
  json_builder_add_double_value (b, values[n - 1]);
  json_builder_end_object (b);
}

static void
member_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
member_double (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, value);
}

/* The counters of one site, also summed into the totals object. */
#define SITE_COUNTERS(X) \
  X (audio_sent) X (video_sent) X (video_frames_sent) X (keyframes_sent) X (audio_in) X (video_in) \
  X (bytes_in) X (video_frames) X (video_keyframes) X (video_gaps) X (audio_decoded) \
  X (audio_decode_errors) X (audio_loud) X (video_decoded) X (video_decode_errors) X (dropped_out) \
  X (dropped_in) X (pli_received) X (size_switches)

typedef struct {
#define FIELD(name) guint64 name;
  SITE_COUNTERS (FIELD)
#undef FIELD
  gint64 lost_audio, lost_video;
  guint64 nack_sent, retransmitted_to_us, retransmitted_by_us, pli_sent;
} Totals;

static void
add_site (JsonBuilder *b, LoadgenSite *site, guint index, Totals *t)
{
  LoadgenSiteStats s;

  loadgen_site_get_stats (site, &s);
  json_builder_begin_object (b);
  member_int (b, "index", index);
  json_builder_set_member_name (b, "joined");
  json_builder_add_boolean_value (b, s.joined);
  if (s.error != NULL) {
    json_builder_set_member_name (b, "error");
    json_builder_add_string_value (b, s.error);
  }
  json_builder_set_member_name (b, "talker");
  json_builder_add_boolean_value (b, loadgen_site_is_talker (site));
  json_builder_set_member_name (b, "decoding");
  json_builder_add_boolean_value (b, loadgen_site_is_decoding (site));
  member_double (b, "join_ms", s.join_ms);
  member_double (b, "whip_ms", s.whip_ms);
#define EMIT(name) member_int (b, #name, (gint64) s.name); t->name += s.name;
  SITE_COUNTERS (EMIT)
#undef EMIT
  member_int (b, "lost_audio", s.rtp.recv[MCU_MEDIA_AUDIO].lost);
  member_int (b, "lost_video", s.rtp.recv[MCU_MEDIA_VIDEO].lost);
  member_int (b, "nack_sent", (gint64) s.rtp.recv[MCU_MEDIA_VIDEO].nack_sent);
  member_int (b, "recovered", (gint64) s.rtp.recv[MCU_MEDIA_VIDEO].recovered);
  member_int (b, "retransmitted", (gint64) s.rtp.send[MCU_MEDIA_VIDEO].retransmitted);
  member_int (b, "pli_sent", (gint64) s.rtp.recv[MCU_MEDIA_VIDEO].pli_sent);
  member_int (b, "decrypt_failures", (gint64) s.peer.decrypt_failures);
  member_double (b, "rtt_ms", s.rtp.rtt_ms);
  if (s.video_width > 0) {
    member_int (b, "video_width", s.video_width);
    member_int (b, "video_height", s.video_height);
  }
  json_builder_end_object (b);
  t->lost_audio += s.rtp.recv[MCU_MEDIA_AUDIO].lost;
  t->lost_video += s.rtp.recv[MCU_MEDIA_VIDEO].lost;
  t->nack_sent += s.rtp.recv[MCU_MEDIA_VIDEO].nack_sent;
  t->retransmitted_to_us += s.rtp.recv[MCU_MEDIA_VIDEO].recovered;
  t->retransmitted_by_us += s.rtp.send[MCU_MEDIA_VIDEO].retransmitted;
  t->pli_sent += s.rtp.recv[MCU_MEDIA_VIDEO].pli_sent;
}

static void
add_totals (JsonBuilder *b, const Totals *t)
{
  json_builder_set_member_name (b, "totals");
  json_builder_begin_object (b);
#define EMIT_TOTAL(name) member_int (b, #name, (gint64) t->name);
  SITE_COUNTERS (EMIT_TOTAL)
#undef EMIT_TOTAL
  member_int (b, "lost_audio", t->lost_audio);
  member_int (b, "lost_video", t->lost_video);
  member_int (b, "nack_sent", (gint64) t->nack_sent);
  member_int (b, "recovered", (gint64) t->retransmitted_to_us);
  member_int (b, "retransmitted", (gint64) t->retransmitted_by_us);
  member_int (b, "pli_sent", (gint64) t->pli_sent);
  json_builder_end_object (b);
}

static void
add_latency (JsonBuilder *b, Loadgen *lg)
{
  const char *names[2] = { "latency_audio_ms", "latency_video_ms" };

  for (guint k = 0; k < 2; k++) {
    guint n = lg->shared.n_latency[k];
    g_autofree double *ms = g_new (double, MAX (n, 1));
    for (guint i = 0; i < n; i++)
      ms[i] = lg->shared.latency[k][i] / 1000.0;
    add_percentiles (b, names[k], ms, n);
  }
}

static char *
summary (Loadgen *lg)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree double *join = g_new (double, lg->sites->len + 1);
  guint n_join = 0;
  Totals totals = { 0 };
  double meeting_s = (lg->meeting_end_us - lg->meeting_start_us) / 1e6;

  json_builder_begin_object (b);
  member_int (b, "sites", lg->sites->len);
  member_int (b, "talkers", MIN (lg->opt.talkers, lg->opt.sites));
  member_int (b, "joined", lg->shared.joined);
  member_int (b, "failed", lg->shared.failed);
  member_double (b, "meeting_seconds", meeting_s);
  member_double (b, "loadgen_cpu_per_second", meeting_s > 0 ? lg->cpu_meeting / meeting_s : 0);
  add_percentiles (b, "tick_late_ms", (double *) (void *) lg->tick_late_ms->data, lg->tick_late_ms->len);
  json_builder_set_member_name (b, "per_site");
  json_builder_begin_array (b);
  for (guint i = 0; i < lg->sites->len; i++) {
    LoadgenSiteStats s;
    loadgen_site_get_stats (g_ptr_array_index (lg->sites, i), &s);
    if (s.joined)
      join[n_join++] = s.join_ms;
    add_site (b, g_ptr_array_index (lg->sites, i), i, &totals);
  }
  json_builder_end_array (b);
  add_totals (b, &totals);
  add_percentiles (b, "join_ms", join, n_join);
  add_latency (b, lg);
  json_builder_end_object (b);

  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

/* ---- setup ---- */

static gboolean
parse_options (Options *opt, int *argc, char ***argv, GError **error)
{
  GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &opt->url, "mcu base URL (http://127.0.0.1:8080/)", "URL" },
    { "room", 0, 0, G_OPTION_ARG_STRING, &opt->room, "room to join (default demo)", "ID" },
    { "sites", 0, 0, G_OPTION_ARG_INT, &opt->sites, "simulated sites (default 10)", "S" },
    { "talkers", 0, 0, G_OPTION_ARG_INT, &opt->talkers, "sites sending speech (default 3)", "N" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &opt->duration, "seconds of meeting after the joins (default 30)", "S" },
    { "join-rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt->join_rate, "sites started per second (default 20)", "R" },
    { "join-timeout", 0, 0, G_OPTION_ARG_INT, &opt->join_timeout, "seconds to wait for joins (default 15)", "S" },
    { "loss-out", 0, 0, G_OPTION_ARG_DOUBLE, &opt->loss_out, "percent of sent RTP dropped", "PCT" },
    { "loss-in", 0, 0, G_OPTION_ARG_DOUBLE, &opt->loss_in, "percent of received RTP dropped", "PCT" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &opt->seed, "random seed (default 1)", "N" },
    { "decode", 0, 0, G_OPTION_ARG_INT, &opt->decode, "sites that decode what they get (default 2)", "N" },
    { "decode-video", 0, 0, G_OPTION_ARG_INT, &opt->decode_video,
      "of those, sites that also decode the video (default: all of them; every receiver of a tier gets the "
      "same composite, and a 720p decode costs ~2 ms a frame)", "N" },
    { "video-kbps", 0, 0, G_OPTION_ARG_INT, &opt->video_kbps, "VP8 target bitrate (default 500)", "K" },
    { "ice-address", 0, 0, G_OPTION_ARG_STRING, &opt->ice_address, "local address for ICE (127.0.0.1)", "IP" },
    { "dump-video", 0, 0, G_OPTION_ARG_FILENAME, &opt->dump_video,
      "write the VP8 RTP payloads every site sends (variant 0) to FILE and exit (for tools/bench's "
      "GStreamer comparison): per packet u32 frame, u8 marker, u16 length (big endian), payload", "FILE" },
    { "janus", 0, 0, G_OPTION_ARG_NONE, &opt->janus,
      "--url is Janus's HTTP API (http://host:port/janus), --room an AudioBridge room number; audio only", NULL },
    { "marker", 0, 0, G_OPTION_ARG_NONE, &opt->marker,
      "site 0 sends a 6 kHz tone burst every 2 s instead of speech; decoding sites time its onset in the mix "
      "(server-added audio latency in mix rooms)", NULL },
    { "audio-only", 0, 0, G_OPTION_ARG_NONE, &opt->audio_only, "send no video", NULL },
    { "follow-remb", 0, 0, G_OPTION_ARG_NONE, &opt->follow_remb,
      "a site whose REMB from the mcu is under 400 kbit/s (a small tile) sends 320x180 at 150 kbit/s, as the "
      "bridge agent does; without it every site sends 640x360 whatever the mcu asks", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt->output, "write the JSON summary here", "FILE" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- simulated sites against an mcu");

  *opt = (Options) { .sites = 10, .talkers = 3, .duration = 30, .join_rate = 20, .join_timeout = 15,
                     .seed = 1, .decode = 2, .decode_video = -1, .video_kbps = 500 };
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (opt->dump_video != NULL)
    return TRUE;
  if (opt->url == NULL || opt->sites < 1 || opt->sites > 1000 || opt->duration < 0 || opt->join_rate <= 0 ||
      opt->loss_out < 0 || opt->loss_out > 100 || opt->loss_in < 0 || opt->loss_in > 100 || opt->talkers < 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "need --url, 1 <= --sites <= 1000, --join-rate > 0, losses 0-100");
    return FALSE;
  }
  return TRUE;
}

static gboolean
make_media (LoadgenShared *shared, guint video_kbps, gboolean small_too, GError **error)
{
  for (guint v = 0; v < LOADGEN_VOICES; v++)
    if (!media_gen_audio_track_init (&shared->voices[v], 10, (int) v, error))
      return FALSE;
  if (!media_gen_audio_track_init (&shared->quiet, 10, MEDIA_GEN_VOICE_QUIET, error) ||
      !media_gen_audio_track_init (&shared->marker, 2, MEDIA_GEN_VOICE_MARKER, error))
    return FALSE;
  shared->n_video = 2;
  shared->video = g_new0 (MediaGenVideoSequence, shared->n_video);
  for (guint v = 0; v < shared->n_video; v++)
    if (!media_gen_video_sequence_init (&shared->video[v], 5 * MEDIA_GEN_VIDEO_FPS, v, video_kbps, LOADGEN_MAX_VIDEO_PAYLOAD, error))
      return FALSE;
  if (!small_too)
    return TRUE;
  shared->video_small = g_new0 (MediaGenVideoSequence, shared->n_video);
  for (guint v = 0; v < shared->n_video; v++)
    if (!media_gen_video_sequence_init_sized (&shared->video_small[v], 5 * MEDIA_GEN_VIDEO_FPS, v, LOADGEN_SMALL_WIDTH,
                                              LOADGEN_SMALL_HEIGHT, MIN (video_kbps, LOADGEN_SMALL_KBPS),
                                              LOADGEN_MAX_VIDEO_PAYLOAD, error))
      return FALSE;
  return TRUE;
}

static gboolean
setup (Loadgen *lg, GError **error)
{
  const Options *opt = &lg->opt;
  LoadgenShared *shared = &lg->shared;
  g_autofree char *base = g_str_has_suffix (opt->url, "/") ? g_strdup (opt->url) : g_strconcat (opt->url, "/", NULL);

  shared->context = g_main_context_default ();
  shared->http = soup_session_new_with_options ("max-conns", 64, "max-conns-per-host", 64, "timeout", 15, NULL);
  shared->whip_url = g_strdup_printf ("%swhip/%s", base, opt->room ? opt->room : "demo");
  shared->audio_only = opt->audio_only || opt->janus;
  shared->marker_mode = opt->marker;
  if (opt->janus) {
    shared->janus_url = g_strndup (base, strlen (base) - 1);
    shared->janus_room = g_strdup (opt->room ? opt->room : "1234");
  }
  shared->loss_out = opt->loss_out / 100.0;
  shared->loss_in = opt->loss_in / 100.0;
  for (guint k = 0; k < 2; k++)
    shared->latency[k] = g_new (gint64, LOADGEN_LATENCY_SAMPLES);
  mcu_peer_config_init (&shared->peer_config);
  shared->peer_config.loopback_too = TRUE;
  shared->peer_config.ice_tcp = FALSE;
  shared->peer_config.ice_addresses = g_new0 (char *, 2);
  shared->peer_config.ice_addresses[0] = g_strdup (opt->ice_address ? opt->ice_address : "127.0.0.1");
  shared->certificate = mcu_certificate_new_generated ("loadgen", error);
  if (shared->certificate == NULL || !make_media (shared, (guint) opt->video_kbps, opt->follow_remb && !shared->audio_only, error))
    return FALSE;
  lg->sites = g_ptr_array_new_with_free_func ((GDestroyNotify) loadgen_site_free);
  for (int i = 0; i < opt->sites; i++)
    g_ptr_array_add (lg->sites, loadgen_site_new (shared, (guint) i, i < opt->talkers, i < opt->decode,
                                                  i < (opt->decode_video < 0 ? opt->decode : opt->decode_video),
                                                  (guint) opt->seed));
  return TRUE;
}

static void
teardown (Loadgen *lg)
{
  LoadgenShared *shared = &lg->shared;

  g_clear_pointer (&lg->sites, g_ptr_array_unref);
  g_clear_pointer (&lg->tick_late_ms, g_array_unref);
  for (guint v = 0; v < LOADGEN_VOICES; v++)
    media_gen_audio_track_clear (&shared->voices[v]);
  media_gen_audio_track_clear (&shared->quiet);
  media_gen_audio_track_clear (&shared->marker);
  for (guint v = 0; shared->video != NULL && v < shared->n_video; v++)
    media_gen_video_sequence_clear (&shared->video[v]);
  g_free (shared->video);
  for (guint v = 0; shared->video_small != NULL && v < shared->n_video; v++)
    media_gen_video_sequence_clear (&shared->video_small[v]);
  g_free (shared->video_small);
  for (guint k = 0; k < 2; k++)
    g_free (shared->latency[k]);
  g_clear_pointer (&shared->certificate, mcu_certificate_unref);
  g_clear_object (&shared->http);
  mcu_peer_config_clear (&shared->peer_config);
  g_free (shared->whip_url);
  g_free (shared->janus_url);
  g_free (shared->janus_room);
  g_free (lg->opt.url);
  g_free (lg->opt.room);
  g_free (lg->opt.output);
  g_free (lg->opt.ice_address);
  g_free (lg->opt.dump_video);
}

static gboolean
dump_video (const MediaGenVideoSequence *seq, const char *path, GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  for (guint n = 0; n < seq->n_frames; n++)
    for (guint i = 0; i < seq->frames[n]->len; i++) {
      const MediaGenVideoPacket *p = &g_array_index (seq->frames[n], MediaGenVideoPacket, i);
      guint8 head[7] = { n >> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, p->marker, p->len >> 8,
                         p->len & 0xff };
      g_byte_array_append (out, head, sizeof head);
      g_byte_array_append (out, p->data, p->len);
    }
  return g_file_set_contents (path, (const char *) out->data, out->len, error);
}

static gboolean
run (Loadgen *lg, GError **error)
{
  if (lg->opt.dump_video != NULL) {
    MediaGenVideoSequence seq = { 0 };
    gboolean ok = media_gen_video_sequence_init (&seq, 5 * MEDIA_GEN_VIDEO_FPS, 0, (guint) lg->opt.video_kbps, LOADGEN_MAX_VIDEO_PAYLOAD, error) &&
                  dump_video (&seq, lg->opt.dump_video, error);
    if (seq.frames != NULL)
      media_gen_video_sequence_clear (&seq);
    lg->shared.joined = ok;
    return ok;
  }
  if (!setup (lg, error))
    return FALSE;
  lg->loop = g_main_loop_new (NULL, FALSE);
  lg->tick_late_ms = g_array_sized_new (FALSE, FALSE, sizeof (double), (guint) lg->opt.duration * 50 + 64);
  lg->clock = g_source_new (&clock_funcs, sizeof (GSource));
  g_source_set_callback (lg->clock, on_tick, lg, NULL);
  /* Before the receive sources: the sites' sending pace is what the mcu's jitter buffers measure. */
  g_source_set_priority (lg->clock, G_PRIORITY_HIGH);
  lg->start_us = lg->next_tick_us = g_get_monotonic_time ();
  g_source_set_ready_time (lg->clock, lg->next_tick_us);
  g_source_attach (lg->clock, NULL);
  g_main_loop_run (lg->loop);
  g_source_destroy (lg->clock);
  g_source_unref (lg->clock);
  g_main_loop_unref (lg->loop);

  g_autofree char *json = summary (lg);
  if (lg->opt.output != NULL)
    return g_file_set_contents (lg->opt.output, json, -1, error);
  printf ("%s\n", json);
  return TRUE;
}

int
main (int argc, char **argv)
{
  Loadgen lg = { 0 };
  g_autoptr (GError) error = NULL;
  gboolean ok = parse_options (&lg.opt, &argc, &argv, &error) && run (&lg, &error);

  if (!ok)
    fprintf (stderr, "loadgen: %s\n", error->message);
  teardown (&lg);
  return ok ? (lg.shared.joined > 0 ? 0 : 2) : 1;
}
