/* SPDX-License-Identifier: MIT */
/*
 * Prometheus metrics. Request counts come from SoupServer's request-finished signal; the rest is read
 * from the rooms at scrape time (links refreshed first), so nothing is counted twice and no per-packet
 * path is touched. Threads: control thread.
 */
#define G_LOG_DOMAIN "mcu-metrics"

#include "metrics.h"

#include "conference/room.h"
#include "conference/seats.h"
#include "server.h"

typedef struct {
  McuServer *server;
  GHashTable *requests;   /* status (GUINT_TO_POINTER) → count (guint64 *) */
} Metrics;

static void
metrics_free (gpointer data)
{
  Metrics *metrics = data;

  g_hash_table_unref (metrics->requests);
  g_free (metrics);
}

static void
on_request_finished (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  Metrics *metrics = user_data;
  gpointer key = GUINT_TO_POINTER (soup_server_message_get_status (msg));
  guint64 *count = g_hash_table_lookup (metrics->requests, key);

  if (count == NULL) {
    count = g_new0 (guint64, 1);
    g_hash_table_insert (metrics->requests, key, count);
  }
  (*count)++;
}

/* Label values escaped as the text format wants: backslash, double quote, newline. */
static void
append_label (GString *out, const char *value)
{
  for (const char *p = value; *p; p++) {
    if (*p == '\\' || *p == '"')
      g_string_append_c (out, '\\');
    if (*p == '\n')
      g_string_append (out, "\\n");
    else
      g_string_append_c (out, *p);
  }
}

static void
header (GString *out, const char *name, const char *type, const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

typedef struct {
  const char *name;
  const char *type;
  const char *help;
  double (*value) (const McuSiteLink *link);
} SiteMetric;

static double packets_in (const McuSiteLink *l) { return (double) l->packets_in; }
static double audio_packets_in (const McuSiteLink *l) { return (double) l->audio_packets_in; }
static double bytes_in (const McuSiteLink *l) { return (double) l->bytes_in; }
static double lost_in (const McuSiteLink *l) { return (double) l->lost_in; }
static double packets_out (const McuSiteLink *l) { return (double) l->packets_out; }
static double bytes_out (const McuSiteLink *l) { return (double) l->bytes_out; }
static double nacks_in (const McuSiteLink *l) { return (double) l->nacks_in; }
static double nacks_out (const McuSiteLink *l) { return (double) l->nacks_out; }
static double rtt (const McuSiteLink *l) { return l->rtt_ms >= 0 ? l->rtt_ms / 1000.0 : -1; }
static double loss (const McuSiteLink *l) { return l->loss_in; }
static double jitter (const McuSiteLink *l) { return l->jitter_ms / 1000.0; }
static double rate_in (const McuSiteLink *l) { return l->bitrate_in_bps; }
static double rate_out (const McuSiteLink *l) { return l->bitrate_out_bps; }
static double tier (const McuSiteLink *l) { return l->tier; }
static double decoded (const McuSiteLink *l) { return l->video_decoded ? 1 : 0; }
static double tile (const McuSiteLink *l) { return l->tier >= 0 ? l->video_tile : -1; }
static double frames_decoded (const McuSiteLink *l) { return (double) l->video_frames_decoded; }
static double malformed (const McuSiteLink *l) { return (double) l->malformed_in; }
static double decrypt_failures (const McuSiteLink *l) { return (double) l->decrypt_failures; }

static const SiteMetric site_metrics[] = {
  { "mcu_site_packets_received_total", "counter", "RTP packets received from the site (this session)", packets_in },
  { "mcu_site_audio_packets_received_total", "counter", "of those, the site's audio (its microphone)", audio_packets_in },
  { "mcu_site_bytes_received_total", "counter", "RTP payload bytes received from the site", bytes_in },
  { "mcu_site_packets_lost_total", "counter", "packets of the site's media lost on the way in", lost_in },
  { "mcu_site_packets_sent_total", "counter", "RTP packets sent to the site", packets_out },
  { "mcu_site_bytes_sent_total", "counter", "RTP bytes sent to the site", bytes_out },
  { "mcu_site_nacks_received_total", "counter", "NACKs the site sent us", nacks_in },
  { "mcu_site_nacks_sent_total", "counter", "NACKs we sent the site", nacks_out },
  { "mcu_site_rtt_seconds", "gauge", "round-trip time to the site (-1 until known)", rtt },
  { "mcu_site_loss_ratio", "gauge", "fraction of the site's media lost, last report interval", loss },
  { "mcu_site_jitter_seconds", "gauge", "interarrival jitter of the site's media", jitter },
  { "mcu_site_bitrate_in_bps", "gauge", "receive rate from the site", rate_in },
  { "mcu_site_bitrate_out_bps", "gauge", "send rate to the site", rate_out },
  { "mcu_site_tier", "gauge", "composite tier the site receives (0 = largest; -1 = none)", tier },
  { "mcu_site_video_decoding", "gauge", "1 when the site's camera is in view and decoded, else 0", decoded },
  { "mcu_site_video_tile", "gauge", "the site's tile in the layout (0 = the main tile of 1+N), -1 = not in view", tile },
  { "mcu_site_video_frames_decoded_total", "counter", "frames of the site's camera the mixer decoded", frames_decoded },
  { "mcu_site_malformed_total", "counter", "packets from the site dropped as malformed", malformed },
  { "mcu_site_decrypt_failures_total", "counter", "packets from the site that failed SRTP authentication", decrypt_failures },
};

static void
append_site_metric (GString *out, const SiteMetric *metric, GPtrArray *rooms)
{
  header (out, metric->name, metric->type, metric->help);
  for (guint r = 0; r < rooms->len; r++) {
    McuRoom *room = g_ptr_array_index (rooms, r);
    GPtrArray *sites = mcu_seats_list (mcu_room_get_seats (room));
    for (guint i = 0; i < sites->len; i++) {
      McuSite *site = g_ptr_array_index (sites, i);
      const McuSiteLink *link = mcu_site_get_link (site);
      if (!mcu_site_is_connected (site) || !link->valid)
        continue;
      g_string_append_printf (out, "%s{room=\"", metric->name);
      append_label (out, mcu_room_get_id (room));
      g_string_append (out, "\",site=\"");
      append_label (out, mcu_site_get_id (site));
      g_string_append_printf (out, "\"} %.6g\n", metric->value (link));
    }
  }
}

static void
append_rooms (GString *out, GPtrArray *rooms)
{
  static const McuSiteState states[] = { MCU_SITE_CONNECTED, MCU_SITE_HELD, MCU_SITE_ABSENT };
  guint sessions = 0;

  header (out, "mcu_rooms", "gauge", "rooms configured or created");
  g_string_append_printf (out, "mcu_rooms %u\n", rooms->len);
  header (out, "mcu_room_seats", "gauge", "seats by state: connected, held (dropped, in grace), absent");
  for (guint r = 0; r < rooms->len; r++) {
    McuRoom *room = g_ptr_array_index (rooms, r);
    GPtrArray *sites = mcu_seats_list (mcu_room_get_seats (room));
    for (guint s = 0; s < G_N_ELEMENTS (states); s++) {
      guint n = 0;
      for (guint i = 0; i < sites->len; i++)
        n += mcu_site_get_state (g_ptr_array_index (sites, i)) == states[s];
      g_string_append (out, "mcu_room_seats{room=\"");
      append_label (out, mcu_room_get_id (room));
      g_string_append_printf (out, "\",state=\"%s\"} %u\n", mcu_site_state_name (states[s]), n);
    }
    sessions += mcu_room_count_connected (room);
    mcu_room_refresh_links (room, g_get_monotonic_time ());
  }
  header (out, "mcu_sites_connected", "gauge", "sites with a live session, all rooms");
  g_string_append_printf (out, "mcu_sites_connected %u\n", sessions);
  header (out, "mcu_sessions", "gauge", "live WebRTC sessions");
  g_string_append_printf (out, "mcu_sessions %u\n", sessions);
}

static gint
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = GPOINTER_TO_UINT (*(gpointer *) a), y = GPOINTER_TO_UINT (*(gpointer *) b);

  return x < y ? -1 : x > y;
}

static void
append_requests (GString *out, Metrics *metrics)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, metrics->requests);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);

  g_ptr_array_sort (keys, compare_uint);
  header (out, "mcu_http_requests_total", "counter", "HTTP requests answered, by status");
  for (guint i = 0; i < keys->len; i++) {
    guint64 *count = g_hash_table_lookup (metrics->requests, keys->pdata[i]);
    g_string_append_printf (out, "mcu_http_requests_total{status=\"%u\"} %" G_GUINT64_FORMAT "\n",
                            GPOINTER_TO_UINT (keys->pdata[i]), *count);
  }
}

/* One gauge per mix room, read from McuMixStats by @value; @tier >= 0 adds a tier label. */
typedef struct {
  const char *name;
  const char *type;
  const char *help;
  gboolean per_tier;
  double (*value) (const McuMixStats *stats, guint tier);
} MixMetric;

static double tick_p50 (const McuMixStats *s, guint t) { return s->audio.tick_us_p50 / 1e6; }
static double tick_p99 (const McuMixStats *s, guint t) { return s->audio.tick_us_p99 / 1e6; }
static double held_p50 (const McuMixStats *s, guint t) { return s->audio.held_us_p50 / 1e6; }
static double held_p99 (const McuMixStats *s, guint t) { return s->audio.held_us_p99 / 1e6; }
static double encodes (const McuMixStats *s, guint t) { return s->audio.encodes_last_tick; }
static double audio_decodes (const McuMixStats *s, guint t) { return (double) s->audio.decodes_total; }
static double decoders (const McuMixStats *s, guint t) { return s->video.decoders_open; }
static double video_decodes (const McuMixStats *s, guint t) { return (double) s->video.decoded_frames; }
static double frame_p50 (const McuMixStats *s, guint t) { return s->video.tiers[t].time_p50_us / 1e6; }
static double frame_p99 (const McuMixStats *s, guint t) { return s->video.tiers[t].time_p99_us / 1e6; }
static double frame_cpu_p50 (const McuMixStats *s, guint t) { return s->video.tiers[t].cpu_p50_us / 1e6; }
static double frame_cpu_p99 (const McuMixStats *s, guint t) { return s->video.tiers[t].cpu_p99_us / 1e6; }
static double video_latency_p50 (const McuMixStats *s, guint t) { return s->video.tiers[t].latency_p50_us / 1e6; }
static double video_latency_p99 (const McuMixStats *s, guint t) { return s->video.tiers[t].latency_p99_us / 1e6; }
static double tier_frames (const McuMixStats *s, guint t) { return (double) s->video.tiers[t].frames; }
static double tier_receivers (const McuMixStats *s, guint t) { return s->receivers[t]; }

static const MixMetric mix_metrics[] = {
  { "mcu_audio_tick_p50_seconds", "gauge", "time of one 20 ms audio mix tick, median of the last 10 s", FALSE, tick_p50 },
  { "mcu_audio_tick_p99_seconds", "gauge", "time of one 20 ms audio mix tick, 99th percentile", FALSE, tick_p99 },
  { "mcu_audio_latency_p50_seconds", "gauge", "server-added audio latency (jitter buffer + tick) of the heard talkers, median of the last 500 ticks with talkers", FALSE, held_p50 },
  { "mcu_audio_latency_p99_seconds", "gauge", "server-added audio latency, 99th percentile", FALSE, held_p99 },
  { "mcu_audio_encodes_per_tick", "gauge", "Opus encodes in the last tick (talkers + 1)", FALSE, encodes },
  { "mcu_audio_decodes_total", "counter", "Opus decodes (incl. FEC and concealment)", FALSE, audio_decodes },
  { "mcu_video_decoders_open", "gauge", "sites' cameras being decoded now (only those in view)", FALSE, decoders },
  { "mcu_video_decoded_frames_total", "counter", "frames decoded from the sites", FALSE, video_decodes },
  { "mcu_video_frame_p50_seconds", "gauge", "compose + encode of one output frame, median (wall)", TRUE, frame_p50 },
  { "mcu_video_frame_p99_seconds", "gauge", "compose + encode of one output frame, 99th percentile (wall)", TRUE, frame_p99 },
  { "mcu_video_frame_cpu_p50_seconds", "gauge", "compose + encode of one output frame, median (CPU)", TRUE, frame_cpu_p50 },
  { "mcu_video_frame_cpu_p99_seconds", "gauge", "compose + encode of one output frame, 99th percentile (CPU)", TRUE, frame_cpu_p99 },
  { "mcu_video_latency_p50_seconds", "gauge", "server-added video latency: a site's frame in (its last packet) to the first composite showing it handed to the tier's senders, median of the last 4096 pictures (0: none yet)", TRUE, video_latency_p50 },
  { "mcu_video_latency_p99_seconds", "gauge", "server-added video latency, 99th percentile", TRUE, video_latency_p99 },
  { "mcu_video_tier_frames_total", "counter", "composite frames encoded for the tier", TRUE, tier_frames },
  { "mcu_video_tier_receivers", "gauge", "sites receiving the tier", TRUE, tier_receivers },
};

static void
append_mix_metrics (GString *out, GPtrArray *rooms)
{
  g_autofree McuMixStats *stats = g_new0 (McuMixStats, rooms->len);

  for (guint r = 0; r < rooms->len; r++) {
    McuMix *mix = mcu_room_get_mix (g_ptr_array_index (rooms, r));
    if (mix != NULL)
      mcu_mix_get_stats (mix, &stats[r]);
  }
  for (guint i = 0; i < G_N_ELEMENTS (mix_metrics); i++) {
    const MixMetric *metric = &mix_metrics[i];
    header (out, metric->name, metric->type, metric->help);
    for (guint r = 0; r < rooms->len; r++) {
      McuRoom *room = g_ptr_array_index (rooms, r);
      if (mcu_room_get_mix (room) == NULL)
        continue;
      for (guint t = 0; t < (metric->per_tier ? stats[r].video.n_tiers : 1); t++) {
        g_string_append_printf (out, "%s{room=\"", metric->name);
        append_label (out, mcu_room_get_id (room));
        if (metric->per_tier)
          g_string_append_printf (out, "\",tier=\"%u", t);
        g_string_append_printf (out, "\"} %.6g\n", metric->value (&stats[r], t));
      }
    }
  }
}

static void
handle_metrics (McuRequest *request, gpointer user_data)
{
  Metrics *metrics = user_data;
  g_autoptr (GPtrArray) rooms = mcu_server_list_rooms (metrics->server);
  GString *out = g_string_new (NULL);

  header (out, "mcu_uptime_seconds", "gauge", "seconds since the server started");
  g_string_append_printf (out, "mcu_uptime_seconds %" G_GINT64_FORMAT "\n", mcu_server_get_uptime_s (metrics->server));
  append_rooms (out, rooms);
  for (guint i = 0; i < G_N_ELEMENTS (site_metrics); i++)
    append_site_metric (out, &site_metrics[i], rooms);
  append_mix_metrics (out, rooms);
  append_requests (out, metrics);
  gsize len = out->len;
  soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (request->msg, "text/plain; version=0.0.4; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_string_free (out, FALSE), len);
}

static const McuRoute routes[] = {
  { "GET", "/metrics", handle_metrics },
};

void
mcu_api_metrics_register (McuHttp *http, McuServer *server)
{
  SoupServer *soup = mcu_http_get_soup_server (http);
  Metrics *metrics = g_new0 (Metrics, 1);

  metrics->server = server;
  metrics->requests = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_object_set_data_full (G_OBJECT (soup), "mcu-metrics", metrics, metrics_free);
  g_signal_connect (soup, "request-finished", G_CALLBACK (on_request_finished), metrics);
  mcu_http_add_routes (http, routes, G_N_ELEMENTS (routes), metrics);
}
