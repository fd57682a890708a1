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

static const SiteMetric site_metrics[] = {
  { "mcu_site_packets_received_total", "counter", "RTP packets received from the site (this session)", packets_in },
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
