/* SPDX-License-Identifier: MIT */
/*
 * McuLinkHistory: the link history of one meeting room — per site, a bounded ring of one-second
 * samples (RTT, loss each way, bitrate each way, tier, connected) plus the site's outages — kept for
 * the meeting and written out as CSV with the attendance record after it.
 *
 * An outage is a run of samples in which the site was not connected, or was connected but sent us
 * no packet since the previous measurement, that ended with the site back: counted once each, with
 * their total seconds. A run still open (the site left, or is not back yet) is reported apart.
 * When a site's ring is full the oldest samples are overwritten (counted in the summary's dropped).
 *
 * Threads: one owner thread (the control thread: mcu/api/report.c feeds it once a second from the
 * roster's link refresh). Nothing here is thread-safe.
 */
#pragma once

#include <glib.h>

#include "conference/site.h"

G_BEGIN_DECLS

typedef struct _McuLinkHistory McuLinkHistory;

typedef struct {
  gint64 at_us;              /* real time (g_get_real_time) of the sample */
  float rtt_ms;              /* -1 unknown */
  float loss_in, loss_out;   /* 0-1: we lose of the site's media / the site reports losing of ours */
  guint32 bitrate_in_bps, bitrate_out_bps;
  gint16 tier;               /* the video tier the site receives; -1 unknown (echo room, no hook). In a
                              * mix room, the ladder's rung: after the configured tiers come the
                              * thumbnail and then audio only (see conference/ladder.h) */
  guint8 connected;          /* the site had a live session */
  guint8 stalled;            /* connected, but no packet from the site since the previous measurement */
  guint32 outages;           /* outages over (the site came back) up to this sample */
} McuLinkSample;

typedef struct {
  guint n_samples;           /* held now (at most the capacity) */
  guint64 dropped;           /* overwritten because the ring was full */
  guint outages;             /* runs without media that ended with the site back */
  double outage_s;           /* their seconds, from the samples' own times */
  double open_run_s;         /* seconds of the run still open at the last sample (left / not back) */
  double mean_rtt_ms;        /* over samples with a known RTT; -1 none */
  double mean_loss_in, mean_loss_out, max_loss_out;  /* over connected samples; 0-1 */
} McuLinkSummary;

/* (transfer full). @capacity: samples kept per site (>= 1; 10800 = three hours at one a second). */
McuLinkHistory *mcu_link_history_new (guint capacity);
void mcu_link_history_free (McuLinkHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuLinkHistory, mcu_link_history_free)

/* Records one sample of @site from its current McuSiteLink and connection state. @tier: -1 when
 * unknown. A link measurement older than or equal to the one recorded last carries the figures over
 * without judging a stall (nothing new was measured). */
void mcu_link_history_record_site (McuLinkHistory *history, McuSite *site, gint tier, gint64 now_real_us);
/* Records @sample for the site @site_id (named @site_name), deciding only the outage count; the
 * stalled and connected fields are taken as given. */
void mcu_link_history_record (McuLinkHistory *history, const char *site_id, const char *site_name,
                              const McuLinkSample *sample);

guint mcu_link_history_n_sites (McuLinkHistory *history);
/* FALSE when @site_id has no samples. */
gboolean mcu_link_history_get_summary (McuLinkHistory *history, const char *site_id, McuLinkSummary *summary);
/* The @index-th held sample of @site_id, oldest first (transfer none; valid until the next record). */
const McuLinkSample *mcu_link_history_get_sample (McuLinkHistory *history, const char *site_id, guint index);

/* Appends the "link history" section: a title row, a header row, then a row per held sample, site by
 * site in the order they were first recorded, oldest first. */
void mcu_link_history_append_csv (McuLinkHistory *history, GString *out);
/* Appends @text as one CSV field, quoted when it holds a comma, quote or line break. */
void mcu_csv_append_field (GString *out, const char *text);

G_END_DECLS
