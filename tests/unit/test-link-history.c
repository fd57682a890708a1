/* SPDX-License-Identifier: MIT */
/* Unit tests for McuLinkHistory: the per-site ring stays bounded and keeps the newest samples,
 * outages are counted once per run with their seconds, a stall is told from a repeated measurement
 * and from a new session, summaries, and the CSV (quoting, header, a row per held sample). */
#include "conference/link-history.h"

#include <string.h>

#define SEC G_USEC_PER_SEC

static McuLinkSample
sample_at (gint64 s, gboolean connected, gboolean stalled)
{
  return (McuLinkSample) { .at_us = s * SEC, .rtt_ms = 100, .connected = connected, .stalled = stalled, .tier = -1 };
}

static void
test_ring_bounded (void)
{
  g_autoptr (McuLinkHistory) h = mcu_link_history_new (3);
  McuLinkSummary sum;

  for (gint64 i = 1; i <= 5; i++) {
    McuLinkSample s = sample_at (i, TRUE, FALSE);
    s.bitrate_in_bps = (guint32) i * 1000;
    mcu_link_history_record (h, "a", "Site A", &s);
  }
  g_assert_true (mcu_link_history_get_summary (h, "a", &sum));
  g_assert_cmpuint (sum.n_samples, ==, 3);
  g_assert_cmpuint (sum.dropped, ==, 2);
  g_assert_cmpuint (mcu_link_history_get_sample (h, "a", 0)->bitrate_in_bps, ==, 3000);
  g_assert_cmpuint (mcu_link_history_get_sample (h, "a", 2)->bitrate_in_bps, ==, 5000);
  g_assert_null (mcu_link_history_get_sample (h, "a", 3));
  g_assert_null (mcu_link_history_get_sample (h, "nobody", 0));
  g_assert_false (mcu_link_history_get_summary (h, "nobody", &sum));
  g_assert_cmpuint (mcu_link_history_n_sites (h), ==, 1);
}

/* Past the first allocation (64) the ring grows, then wraps at its capacity, keeping order. */
static void
test_ring_grows (void)
{
  g_autoptr (McuLinkHistory) h = mcu_link_history_new (200);
  McuLinkSummary sum;

  for (gint64 i = 0; i < 450; i++) {
    McuLinkSample s = sample_at (i, TRUE, FALSE);
    mcu_link_history_record (h, "g", "G", &s);
  }
  g_assert_true (mcu_link_history_get_summary (h, "g", &sum));
  g_assert_cmpuint (sum.n_samples, ==, 200);
  g_assert_cmpuint (sum.dropped, ==, 250);
  for (guint k = 0; k < 200; k++)
    g_assert_cmpint (mcu_link_history_get_sample (h, "g", k)->at_us, ==, (250 + (gint64) k) * SEC);
}

static void
test_outages (void)
{
  g_autoptr (McuLinkHistory) h = mcu_link_history_new (100);
  /* up, down 2 s, up, stalled 1 s, up, down 1 s (still down at the end) */
  const gboolean connected[] = { 1, 0, 0, 1, 1, 1, 0 };
  const gboolean stalled[] = { 0, 0, 0, 0, 1, 0, 0 };
  McuLinkSummary sum;

  for (guint i = 0; i < G_N_ELEMENTS (connected); i++) {
    McuLinkSample s = sample_at (10 + i, connected[i], stalled[i]);
    mcu_link_history_record (h, "b", "B", &s);
  }
  g_assert_true (mcu_link_history_get_summary (h, "b", &sum));
  /* the last run is still open: the site left or is not back, not counted as an outage */
  g_assert_cmpuint (sum.outages, ==, 2);
  g_assert_cmpfloat_with_epsilon (sum.outage_s, 3.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (sum.open_run_s, 1.0, 1e-9);
  g_assert_cmpuint (mcu_link_history_get_sample (h, "b", 0)->outages, ==, 0);
  g_assert_cmpuint (mcu_link_history_get_sample (h, "b", 2)->outages, ==, 0);
  g_assert_cmpuint (mcu_link_history_get_sample (h, "b", 3)->outages, ==, 1);
  g_assert_cmpuint (mcu_link_history_get_sample (h, "b", 4)->outages, ==, 1);
  g_assert_cmpuint (mcu_link_history_get_sample (h, "b", 5)->outages, ==, 2);
  g_assert_cmpuint (mcu_link_history_get_sample (h, "b", 6)->outages, ==, 2);
}

static void
test_summary (void)
{
  g_autoptr (McuLinkHistory) h = mcu_link_history_new (10);
  McuLinkSample a = sample_at (1, TRUE, FALSE), b = sample_at (2, TRUE, FALSE), c = sample_at (3, FALSE, FALSE);
  McuLinkSummary sum;

  a.rtt_ms = 100, a.loss_out = 0.1f, a.loss_in = 0.02f;
  b.rtt_ms = 300, b.loss_out = 0.3f;
  c.rtt_ms = -1, c.loss_out = 0.9f;  /* not connected: no loss figures counted */
  mcu_link_history_record (h, "s", "S", &a);
  mcu_link_history_record (h, "s", "S", &b);
  mcu_link_history_record (h, "s", "S", &c);
  g_assert_true (mcu_link_history_get_summary (h, "s", &sum));
  g_assert_cmpfloat_with_epsilon (sum.mean_rtt_ms, 200, 1e-3);
  g_assert_cmpfloat_with_epsilon (sum.mean_loss_out, 0.2, 1e-6);
  g_assert_cmpfloat_with_epsilon (sum.max_loss_out, 0.3, 1e-6);
  g_assert_cmpfloat_with_epsilon (sum.mean_loss_in, 0.01, 1e-6);
}

static void
set_link (McuSite *site, gint64 sampled_s, guint64 packets_in, double rtt)
{
  McuSiteLink link = { .valid = TRUE, .rtt_ms = rtt, .loss_out = 0.05, .packets_in = packets_in,
                       .bitrate_in_bps = 64000, .sampled_us = sampled_s * SEC };
  mcu_site_set_link (site, &link);
}

static void
test_record_site (void)
{
  g_autoptr (McuLinkHistory) h = mcu_link_history_new (100);
  g_autoptr (McuSite) site = mcu_site_new ("ha-giang", "Hà Giang", TRUE);
  McuLinkSummary sum;
  const McuLinkSample *s;

  mcu_link_history_record_site (h, site, -1, 1 * SEC);       /* [0] not connected: a run opens */
  mcu_site_set_connected (site, "session-1");
  set_link (site, 2, 0, -1);
  mcu_link_history_record_site (h, site, -1, 2 * SEC);       /* [1] joined, no media yet */
  set_link (site, 3, 0, -1);
  mcu_link_history_record_site (h, site, -1, 3 * SEC);       /* [2] still none: joining, not a stall */
  set_link (site, 4, 100, 150);
  mcu_link_history_record_site (h, site, 1, 4 * SEC);        /* [3] media */
  set_link (site, 5, 150, 160);
  mcu_link_history_record_site (h, site, 1, 5 * SEC);        /* [4] more */
  mcu_link_history_record_site (h, site, 1, 6 * SEC);        /* [5] same measurement again: not a stall */
  set_link (site, 7, 150, 170);
  mcu_link_history_record_site (h, site, 2, 7 * SEC);        /* [6] no packet since: stalled */
  mcu_site_set_connected (site, "session-2");
  set_link (site, 8, 20, 180);
  mcu_link_history_record_site (h, site, 2, 8 * SEC);        /* [7] fewer packets, but a new session */

  s = mcu_link_history_get_sample (h, "ha-giang", 0);
  g_assert_false (s->connected);
  g_assert_cmpfloat (s->rtt_ms, <, 0);
  g_assert_false (mcu_link_history_get_sample (h, "ha-giang", 1)->stalled);
  g_assert_false (mcu_link_history_get_sample (h, "ha-giang", 2)->stalled);
  s = mcu_link_history_get_sample (h, "ha-giang", 3);
  g_assert_true (s->connected);
  g_assert_false (s->stalled);
  g_assert_cmpfloat_with_epsilon (s->rtt_ms, 150, 1e-3);
  g_assert_cmpfloat_with_epsilon (s->loss_out, 0.05, 1e-6);
  g_assert_cmpuint (s->bitrate_in_bps, ==, 64000);
  g_assert_cmpint (s->tier, ==, 1);
  g_assert_false (mcu_link_history_get_sample (h, "ha-giang", 4)->stalled);
  g_assert_false (mcu_link_history_get_sample (h, "ha-giang", 5)->stalled);
  g_assert_true (mcu_link_history_get_sample (h, "ha-giang", 6)->stalled);
  g_assert_false (mcu_link_history_get_sample (h, "ha-giang", 7)->stalled);
  g_assert_true (mcu_link_history_get_summary (h, "ha-giang", &sum));
  g_assert_cmpuint (sum.outages, ==, 2);   /* the absence before the join, the stall */
  g_assert_cmpfloat_with_epsilon (sum.outage_s, 2.0, 1e-9);
  g_assert_cmpuint (sum.n_samples, ==, 8);
}

static void
test_csv (void)
{
  g_autoptr (McuLinkHistory) h = mcu_link_history_new (10);
  g_autoptr (GString) out = g_string_new (NULL);
  McuLinkSample s = sample_at (1700000000, TRUE, FALSE);

  s.rtt_ms = 312.4f, s.loss_in = 0.031f, s.loss_out = 0.1f, s.bitrate_in_bps = 280000, s.bitrate_out_bps = 150500;
  s.tier = 1;
  mcu_link_history_record (h, "x", "Xã \"Bản\", Lào Cai", &s);
  s.at_us += SEC, s.connected = FALSE, s.rtt_ms = -1, s.tier = -1;
  mcu_link_history_record (h, "y", "Y", &s);
  mcu_link_history_append_csv (h, out);
  g_auto (GStrv) lines = g_strsplit (out->str, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);  /* title, header, 2 rows, "" after the last CRLF */
  g_assert_cmpstr (lines[0], ==, "link history");
  g_assert_true (g_str_has_prefix (lines[1], "site_id,site_name,time,rtt_ms,"));
  g_assert_cmpstr (lines[2], ==,
                   "x,\"Xã \"\"Bản\"\", Lào Cai\",2023-11-14T22:13:20Z,312,3.1,10.0,280,150,1,1,0,0");
  g_assert_cmpstr (lines[3], ==, "y,Y,2023-11-14T22:13:21Z,,3.1,10.0,280,150,,0,0,0");
  g_assert_cmpstr (lines[4], ==, "");

  g_string_truncate (out, 0);
  mcu_csv_append_field (out, "plain");
  mcu_csv_append_field (out, NULL);
  mcu_csv_append_field (out, "a\nb");
  g_assert_cmpstr (out->str, ==, "plain\"a\nb\"");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/link-history/ring-bounded", test_ring_bounded);
  g_test_add_func ("/link-history/ring-grows", test_ring_grows);
  g_test_add_func ("/link-history/outages", test_outages);
  g_test_add_func ("/link-history/summary", test_summary);
  g_test_add_func ("/link-history/record-site", test_record_site);
  g_test_add_func ("/link-history/csv", test_csv);
  return g_test_run ();
}
