/* SPDX-License-Identifier: MIT */
/*
 * McuLinkHistory: per-site rings of one-second link samples for a meeting, their outages, and the
 * CSV they are written out as. See link-history.h.
 *
 * Memory: one ring per site that ever joined, grown by doubling up to the capacity (McuLinkSample is
 * 40 bytes: a full three hours at one a second is ~430 kB a site, a one-hour meeting ~150 kB).
 *
 * Threads: the owner's only (the control thread in the server).
 */
#define G_LOG_DOMAIN "mcu-link-history"

#include "conference/link-history.h"

#include <string.h>

typedef struct {
  char *id;
  char *name;
  McuLinkSample *ring;       /* oldest at head; wraps only once allocated == capacity */
  guint head, count, allocated;
  guint64 dropped;
  guint outages;             /* runs that ended with the site back */
  double outage_s;
  gboolean in_outage;
  double run_s;              /* the current run so far */
  gint64 last_at_us;         /* 0 before the first sample */
  /* what record_site last saw, to tell a stall from a repeated measurement */
  char *session_id;
  gint64 link_sampled_us;
  guint64 packets_in;
  gboolean stalled;
} SiteRing;

struct _McuLinkHistory {
  guint capacity;
  GPtrArray *sites;          /* SiteRing, in order of first sample */
  GHashTable *by_id;         /* id → SiteRing (owned by sites) */
};

static void
site_ring_free (SiteRing *ring)
{
  g_free (ring->id);
  g_free (ring->name);
  g_free (ring->session_id);
  g_free (ring->ring);
  g_free (ring);
}

McuLinkHistory *
mcu_link_history_new (guint capacity)
{
  McuLinkHistory *history = g_new0 (McuLinkHistory, 1);

  history->capacity = MAX (capacity, 1);
  history->sites = g_ptr_array_new_with_free_func ((GDestroyNotify) site_ring_free);
  history->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  return history;
}

void
mcu_link_history_free (McuLinkHistory *history)
{
  if (history == NULL)
    return;
  g_hash_table_unref (history->by_id);
  g_ptr_array_unref (history->sites);
  g_free (history);
}

static SiteRing *
lookup_or_add (McuLinkHistory *history, const char *site_id, const char *site_name)
{
  SiteRing *ring = g_hash_table_lookup (history->by_id, site_id);

  if (ring == NULL) {
    ring = g_new0 (SiteRing, 1);
    ring->id = g_strdup (site_id);
    ring->allocated = MIN (history->capacity, 64);
    ring->ring = g_new0 (McuLinkSample, ring->allocated);
    g_ptr_array_add (history->sites, ring);
    g_hash_table_insert (history->by_id, ring->id, ring);
  }
  if (site_name != NULL && g_strcmp0 (ring->name, site_name) != 0) {
    g_free (ring->name);
    ring->name = g_strdup (site_name);
  }
  return ring;
}

/* A run only counts as an outage once the site is back: a run still open at the end is the site
 * leaving (or not back yet), not an interruption of the meeting. */
static void
count_outage (SiteRing *ring, McuLinkSample *sample)
{
  gboolean out = !sample->connected || sample->stalled;

  if (out) {
    gint64 span = ring->last_at_us > 0 ? sample->at_us - ring->last_at_us : G_USEC_PER_SEC;
    ring->run_s += (double) CLAMP (span, 0, 60 * G_USEC_PER_SEC) / G_USEC_PER_SEC;
  } else if (ring->in_outage) {
    ring->outages++;
    ring->outage_s += ring->run_s;
    ring->run_s = 0;
  }
  ring->in_outage = out;
  ring->last_at_us = sample->at_us;
  sample->outages = ring->outages;
}

void
mcu_link_history_record (McuLinkHistory *history, const char *site_id, const char *site_name,
                         const McuLinkSample *sample)
{
  g_return_if_fail (history != NULL && site_id != NULL && sample != NULL);
  SiteRing *ring = lookup_or_add (history, site_id, site_name);
  McuLinkSample copy = *sample;

  count_outage (ring, &copy);
  if (ring->count == ring->allocated && ring->allocated < history->capacity) {
    /* head is still 0: nothing has wrapped before the ring reached its capacity */
    ring->allocated = (guint) MIN ((guint64) ring->allocated * 2, history->capacity);
    ring->ring = g_renew (McuLinkSample, ring->ring, ring->allocated);
  }
  if (ring->count == history->capacity) {
    ring->head = (ring->head + 1) % history->capacity;
    ring->count--;
    ring->dropped++;
  }
  ring->ring[(ring->head + ring->count) % history->capacity] = copy;
  ring->count++;
}

/* Stalled: a new measurement of the same session shows no packet since the last one, after media
 * had started to flow. */
static gboolean
judge_stall (SiteRing *ring, const McuSiteLink *link, const char *session_id)
{
  if (link->sampled_us <= ring->link_sampled_us)
    return ring->stalled;  /* nothing new measured: keep the last judgement */
  gboolean same_session = g_strcmp0 (ring->session_id, session_id) == 0;
  /* Before the first packet of a session the site is joining, not stalled. */
  ring->stalled = same_session && ring->packets_in > 0 && link->packets_in <= ring->packets_in;
  ring->link_sampled_us = link->sampled_us;
  ring->packets_in = link->packets_in;
  if (!same_session) {
    g_free (ring->session_id);
    ring->session_id = g_strdup (session_id);
  }
  return ring->stalled;
}

void
mcu_link_history_record_site (McuLinkHistory *history, McuSite *site, gint tier, gint64 now_real_us)
{
  g_return_if_fail (history != NULL && site != NULL);
  const McuSiteLink *link = mcu_site_get_link (site);
  SiteRing *ring = lookup_or_add (history, mcu_site_get_id (site), mcu_site_get_name (site));
  McuLinkSample sample = { .at_us = now_real_us, .rtt_ms = -1, .tier = (gint16) CLAMP (tier, -1, G_MAXINT16) };

  sample.connected = mcu_site_is_connected (site);
  if (sample.connected && link->valid) {
    sample.rtt_ms = (float) link->rtt_ms;
    sample.loss_in = (float) link->loss_in;
    sample.loss_out = (float) link->loss_out;
    sample.bitrate_in_bps = link->bitrate_in_bps;
    sample.bitrate_out_bps = link->bitrate_out_bps;
    sample.stalled = judge_stall (ring, link, mcu_site_get_session_id (site));
  }
  mcu_link_history_record (history, ring->id, NULL, &sample);
}

guint
mcu_link_history_n_sites (McuLinkHistory *history)
{
  return history->sites->len;
}

static const McuLinkSample *
ring_at (McuLinkHistory *history, SiteRing *ring, guint index)
{
  return &ring->ring[(ring->head + index) % history->capacity];
}

const McuLinkSample *
mcu_link_history_get_sample (McuLinkHistory *history, const char *site_id, guint index)
{
  SiteRing *ring = g_hash_table_lookup (history->by_id, site_id);

  return ring != NULL && index < ring->count ? ring_at (history, ring, index) : NULL;
}

gboolean
mcu_link_history_get_summary (McuLinkHistory *history, const char *site_id, McuLinkSummary *summary)
{
  SiteRing *ring = g_hash_table_lookup (history->by_id, site_id);
  double rtt_sum = 0;
  guint n_rtt = 0, n_connected = 0;

  if (ring == NULL || ring->count == 0)
    return FALSE;
  *summary = (McuLinkSummary) { .n_samples = ring->count, .dropped = ring->dropped, .outages = ring->outages,
                                .outage_s = ring->outage_s, .open_run_s = ring->in_outage ? ring->run_s : 0,
                                .mean_rtt_ms = -1 };
  for (guint i = 0; i < ring->count; i++) {
    const McuLinkSample *s = ring_at (history, ring, i);
    if (s->rtt_ms >= 0) {
      rtt_sum += s->rtt_ms;
      n_rtt++;
    }
    if (!s->connected)
      continue;
    n_connected++;
    summary->mean_loss_in += s->loss_in;
    summary->mean_loss_out += s->loss_out;
    summary->max_loss_out = MAX (summary->max_loss_out, s->loss_out);
  }
  if (n_rtt > 0)
    summary->mean_rtt_ms = rtt_sum / n_rtt;
  if (n_connected > 0) {
    summary->mean_loss_in /= n_connected;
    summary->mean_loss_out /= n_connected;
  }
  return TRUE;
}

/* ---- CSV ------------------------------------------------------------------------------------------ */

void
mcu_csv_append_field (GString *out, const char *text)
{
  if (text == NULL)
    return;
  if (strpbrk (text, ",\"\r\n") == NULL) {
    g_string_append (out, text);
    return;
  }
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++) {
    if (*p == '"')
      g_string_append_c (out, '"');
    g_string_append_c (out, *p);
  }
  g_string_append_c (out, '"');
}

static void
append_time (GString *out, gint64 real_us)
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (real_us / G_USEC_PER_SEC);
  g_autofree char *text = t ? g_date_time_format (t, "%Y-%m-%dT%H:%M:%SZ") : NULL;

  g_string_append (out, text ? text : "");
}

static void
append_sample (GString *out, SiteRing *ring, const McuLinkSample *s)
{
  mcu_csv_append_field (out, ring->id);
  g_string_append_c (out, ',');
  mcu_csv_append_field (out, ring->name);
  g_string_append_c (out, ',');
  append_time (out, s->at_us);
  if (s->rtt_ms >= 0)
    g_string_append_printf (out, ",%.0f", s->rtt_ms);
  else
    g_string_append (out, ",");
  g_string_append_printf (out, ",%.1f,%.1f,%u,%u,", s->loss_in * 100.0, s->loss_out * 100.0,
                          s->bitrate_in_bps / 1000, s->bitrate_out_bps / 1000);
  if (s->tier >= 0)
    g_string_append_printf (out, "%d", s->tier);
  g_string_append_printf (out, ",%d,%d,%u\r\n", s->connected, s->stalled, s->outages);
}

void
mcu_link_history_append_csv (McuLinkHistory *history, GString *out)
{
  g_string_append (out, "link history\r\n"
                   "site_id,site_name,time,rtt_ms,loss_in_pct,loss_out_pct,bitrate_in_kbps,bitrate_out_kbps,"
                   "tier,connected,stalled,outages\r\n");
  for (guint i = 0; i < history->sites->len; i++) {
    SiteRing *ring = g_ptr_array_index (history->sites, i);
    for (guint k = 0; k < ring->count; k++)
      append_sample (out, ring, ring_at (history, ring, k));
  }
}
