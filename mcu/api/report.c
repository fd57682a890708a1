/* SPDX-License-Identifier: MIT */
/*
 * Meeting report: keeps each room's McuLinkHistory, sampled once a second, and serves it with the
 * attendance record as CSV at GET /api/rooms/{room}/report.csv (admin token). See report.h.
 *
 * Threads: control thread only — the sampler is a timeout on the default main context, the route
 * handler runs there too, and the room and seat objects it reads belong to that thread.
 */
#define G_LOG_DOMAIN "mcu-report"

#include "api/report.h"

#include "api/admin.h"
#include "conference/room.h"
#include "conference/seats.h"
#include "server.h"

typedef struct {
  McuServer *server;        /* not owned: the server outlives its HTTP front door, which owns us */
  GHashTable *histories;    /* room id → McuLinkHistory */
  guint capacity;
  guint timer_id;
} McuReport;

static void
report_free (gpointer data)
{
  McuReport *report = data;

  g_source_remove (report->timer_id);
  g_hash_table_unref (report->histories);
  g_free (report);
}

static void
sample_room (McuReport *report, McuRoom *room, gint64 now_mono_us, gint64 now_real_us)
{
  McuLinkHistory *history = g_hash_table_lookup (report->histories, mcu_room_get_id (room));
  GPtrArray *seats = mcu_seats_list (mcu_room_get_seats (room));

  if (history == NULL) {
    history = mcu_link_history_new (report->capacity);
    g_hash_table_insert (report->histories, g_strdup (mcu_room_get_id (room)), history);
  }
  mcu_room_refresh_links (room, now_mono_us);
  for (guint i = 0; i < seats->len; i++) {
    McuSite *site = g_ptr_array_index (seats, i);
    /* A seat nobody took yet has no history; once a site came, its absences are outages. */
    const McuSiteLink *link = mcu_site_get_link (site);
    if (mcu_site_get_first_joined (site) != 0)
      mcu_link_history_record_site (history, site, link->valid && mcu_site_is_connected (site) ? link->tier : -1,
                                    now_real_us);
  }
}

static gboolean
on_sample (gpointer data)
{
  McuReport *report = data;
  g_autoptr (GPtrArray) rooms = mcu_server_list_rooms (report->server);
  g_autoptr (GHashTable) live = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 mono = g_get_monotonic_time (), real = g_get_real_time ();
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < rooms->len; i++) {
    McuRoom *room = g_ptr_array_index (rooms, i);
    g_hash_table_add (live, (gpointer) mcu_room_get_id (room));
    sample_room (report, room, mono, real);
  }
  g_hash_table_iter_init (&iter, report->histories);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (live, key))
      g_hash_table_iter_remove (&iter);
  return G_SOURCE_CONTINUE;
}

/* ---- CSV ------------------------------------------------------------------------------------------ */

static void
append_time (GString *out, gint64 real_us)
{
  if (real_us <= 0)
    return;
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (real_us / G_USEC_PER_SEC);
  g_autofree char *text = t ? g_date_time_format (t, "%Y-%m-%dT%H:%M:%SZ") : NULL;
  g_string_append (out, text ? text : "");
}

static void
append_attendance_row (GString *out, McuSite *site, McuLinkHistory *history)
{
  McuLinkSummary sum = { .mean_rtt_ms = -1 };
  gboolean have = history && mcu_link_history_get_summary (history, mcu_site_get_id (site), &sum);

  mcu_csv_append_field (out, mcu_site_get_id (site));
  g_string_append_c (out, ',');
  mcu_csv_append_field (out, mcu_site_get_name (site));
  g_string_append_printf (out, ",%s,%s,", mcu_site_is_guest (site) ? "guest" : "token",
                          mcu_site_state_name (mcu_site_get_state (site)));
  append_time (out, mcu_site_get_first_joined (site));
  g_string_append_c (out, ',');
  append_time (out, mcu_site_get_left_at (site));
  g_string_append_printf (out, ",%u,%u", mcu_site_get_joins (site), mcu_site_get_reconnects (site));
  if (!have) {
    g_string_append (out, ",0,0,0,,,\r\n");
    return;
  }
  g_string_append_printf (out, ",%u,%u,%.0f,", sum.n_samples, sum.outages, sum.outage_s);
  if (sum.mean_rtt_ms >= 0)
    g_string_append_printf (out, "%.0f", sum.mean_rtt_ms);
  g_string_append_printf (out, ",%.1f,%.1f\r\n", sum.mean_loss_in * 100, sum.mean_loss_out * 100);
}

GString *
mcu_api_report_csv (McuRoom *room, McuLinkHistory *history)
{
  GString *out = g_string_new ("attendance\r\n"
                               "site_id,site_name,kind,state,first_joined,left_at,joins,reconnects,"
                               "seconds_sampled,outages,outage_s,mean_rtt_ms,mean_loss_in_pct,mean_loss_out_pct\r\n");
  GPtrArray *seats = mcu_seats_list (mcu_room_get_seats (room));

  for (guint i = 0; i < seats->len; i++) {
    McuSite *site = g_ptr_array_index (seats, i);
    if (mcu_site_get_first_joined (site) != 0)
      append_attendance_row (out, site, history);
  }
  g_string_append (out, "\r\n");
  if (history != NULL)
    mcu_link_history_append_csv (history, out);
  return out;
}

static void
handle_report (McuRequest *request, gpointer user_data)
{
  McuReport *report = user_data;

  if (!mcu_api_check_admin (report->server, request->msg, FALSE))
    return;
  McuRoom *room = mcu_server_lookup_room (report->server, request->params[0]);
  if (room == NULL) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "unknown-room", "there is no room '%s'",
                          request->params[0]);
    return;
  }
  g_autoptr (GString) csv = mcu_api_report_csv (room, g_hash_table_lookup (report->histories, request->params[0]));
  g_autofree char *disposition = g_strdup_printf ("attachment; filename=\"%s-report.csv\"", mcu_room_get_id (room));
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (request->msg);
  soup_message_headers_replace (headers, "Content-Disposition", disposition);
  soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);
  gsize len = csv->len;
  soup_server_message_set_response (request->msg, "text/csv; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_string_free (g_steal_pointer (&csv), FALSE), len);
}

static const McuRoute routes[] = {
  { "GET", "/api/rooms/{room}/report.csv", handle_report },
};

void
mcu_api_report_register (McuHttp *http, McuServer *server)
{
  McuReport *report = g_new0 (McuReport, 1);

  report->server = server;
  report->capacity = mcu_config_get_int (mcu_server_get_config (server), "server", "link-history-seconds");
  report->histories = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) mcu_link_history_free);
  report->timer_id = g_timeout_add (1000, on_sample, report);
  g_object_set_data_full (G_OBJECT (mcu_http_get_soup_server (http)), "mcu-report", report, report_free);
  mcu_http_add_routes (http, routes, G_N_ELEMENTS (routes), report);
}
