/* SPDX-License-Identifier: MIT */
/*
 * The video mixer. Between ticks the ticking thread sleeps until the media thread queues a frame of a
 * stream in view (on_frame_queued: an atomic flag, and an eventfd write only when the flag was clear:
 * the media thread never waits on a lock the low-priority video thread might hold while preempted)
 * and decodes it at once, so a picture is ready before the tick that shows it: the decode of every
 * visible site no longer sits between the tick and the composite leaving.
 * Each tick (at the fastest tier's frame rate) the ticking thread:
 *   1. takes a snapshot of the control state (sites, layout, talker, pins) under the control lock,
 *   2. seats the layout (presenter's content, main talker with hold time, pins, rotation),
 *   3. opens decoders for the streams in view and closes the others (only visible sites are decoded;
 *      a site coming into view is asked for a key frame and shown from it, its name until then),
 *   4. decodes what is still queued for visible streams (frames that came during the last tick's own
 *      work or just now), renders labels that changed (cached per tier),
 *   5. hands each active, due tier to its worker: compose once per tier, encode, packetize, on_packet,
 *      and time the pictures it shows for the first time (arrival of their frame → hand-over),
 *   6. advises senders of their tile's bitrate, publishes stats.
 * Composing per tier, rather than composing 1280x720 and scaling down, keeps every tile an exact-ratio
 * scale of its source (see tools/bench-video for both costs) and lets tiers run in parallel.
 * Threads: see video-mixer.h. Lock order: mixer->lock, then a worker's lock or a stream's queue lock
 * (the latter only to read its drop counter for stats); the media thread only ever takes a queue lock.
 */
#define _GNU_SOURCE /* ppoll */
#define G_LOG_DOMAIN "mcu-video"

#include "video-mixer.h"

#include <errno.h>
#include <gio/gio.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "video-stream.h"

#define SAMPLES 1024 /* ~40 s of frames at 25 fps */
#define LATENCY_SAMPLES 4096 /* pictures per tier: ~10 s of a 4x4 grid at 25 fps */
#define VIDEO_THREAD_NICE 5 /* CFS weight 335 against the media thread's 1024 */

typedef enum { LABEL_NAME, LABEL_WAITING, LABEL_NO_VIDEO, LABEL_N_KINDS } LabelKind;

typedef struct {
  McuVideoLabel *label;
  guint version;
  gint font_px, max_width;
} LabelCache;

struct _McuVideoSite {
  McuVideoMixer *mixer;
  guint id;
  McuVideoStream camera;
  McuVideoStream content;
  /* under mixer->lock */
  char *label_text;
  guint label_version;
  gboolean content_stopped;
  gboolean content_revoked;
  /* ticking thread */
  char *drawn_text;
  guint drawn_version;
  LabelCache labels[MCU_VIDEO_MAX_TIERS][2][LABEL_N_KINDS]; /* [tier][content tile][kind] */
  guint advised_bps;
  gboolean content_blocked; /* stopped or revoked: ignored until its content has been silent */
  McuVideoSiteStats published; /* under mixer->lock, refreshed every tick */
};

typedef struct {
  McuVideoMixer *mixer;
  guint index;
  McuVideoTier *tier;
  GThread *thread;
  GMutex lock;
  GCond cond;
  guint64 job, done;
  gboolean quit;
  gint64 now_us;
  gint64 tick_start_us; /* monotonic time at the start of the tick of now_us */
  McuVideoTileDraw draws[MCU_VIDEO_MAX_TILES];
  guint n_draws;
  gint64 duration_us, cpu_us;
  gint active;        /* atomic: has receivers */
  gboolean was_active;
  gboolean still;     /* the "audio only" still: redrawn every still_refresh_s, with its mark */
  McuVideoLabel *still_label;  /* rendered on the ticking thread, blended by the worker */
  gint64 still_taken_us;       /* 0: take the picture at the next frame */
  gint64 samples[SAMPLES];
  gint64 cpu_samples[SAMPLES];
  guint n_samples;
  /* the tier's thread during a job, the ticking thread between jobs */
  guint64 shown_serial;                 /* the newest picture this tier has shown */
  guint32 fresh_us[MCU_VIDEO_MAX_TILES]; /* latencies of the pictures the last job showed first */
  guint n_fresh;
  /* under mixer->lock */
  guint32 latency_us[LATENCY_SAMPLES];
  guint64 n_latency;
} TierWorker;

struct _McuVideoMixer {
  McuVideoMixerConfig config;
  char *no_video_text;
  McuVideoMixerCallbacks callbacks;
  gpointer user_data;
  TierWorker workers[MCU_VIDEO_MAX_TIERS];
  guint n_tiers;      /* outputs: the configured tiers and the extras */
  gint thumbnail_tier, still_tier;  /* -1: none */
  char *still_text;
  gint64 tick_interval_us;

  GMutex lock; /* control state below, up to the ticking thread's state */
  GPtrArray *sites;   /* McuVideoSite, owned */
  GPtrArray *removed; /* McuVideoSite, freed at the next tick */
  McuVideoLayoutKind layout;
  guint pins[MCU_VIDEO_MAX_PINS];
  guint n_pins;
  guint talker_request;
  gboolean talker_requested;
  gboolean revoke;
  McuVideoMixerStats stats;
  GThread *thread;

  /* frame arrivals: media threads → ticking thread (see on_frame_queued) */
  int arrival_fd;       /* eventfd, -1: none (then frames are decoded at the tick; stop waits a tick) */
  atomic_int arrivals;  /* a frame was queued since the ticking thread last looked */
  atomic_int running;
  atomic_ullong live_decoded, live_on_arrival; /* the ticking thread's counters, read without a lock */

  /* ticking thread */
  GPtrArray *tick_sites; /* borrowed snapshot */
  GArray *tick_ids;
  McuVideoLayoutKind tick_layout;
  guint tick_pins[MCU_VIDEO_MAX_PINS];
  guint tick_n_pins;
  McuVideoTalker talker;
  guint presenter;
  guint rotation;
  gint64 last_rotation_us;
  McuVideoSeats seats;
  gboolean have_seats;
  guint64 ticks, decoded, decoded_on_arrival, keyframe_requests;
  guint64 picture_serial; /* pictures decoded, all streams: numbers them */
  gint64 tick_start_us;
  gint64 tick_samples[SAMPLES];
  guint n_tick_samples;
};

void
mcu_video_mixer_config_init (McuVideoMixerConfig *c)
{
  memset (c, 0, sizeof *c);
  c->tiers[0] = (McuVideoTierConfig) { 1280, 720, 25, 1200000 };
  c->tiers[1] = (McuVideoTierConfig) { 640, 360, 25, 500000 };
  c->tiers[2] = (McuVideoTierConfig) { 320, 180, 25, 150000 };
  c->n_tiers = 3;
  c->thumbnail = (McuVideoTierConfig) { 320, 180, 5, 60000 };
  c->still = (McuVideoTierConfig) { 320, 180, 1, 20000 };
  c->still_keyframe_s = 3;
  c->still_text = "chỉ âm thanh · audio only";
  c->still_refresh_s = 10;
  c->encoder.cpu_used = -6;
  c->encoder.keyframe_min_interval_us = G_USEC_PER_SEC;
  c->encoder.keyframe_period_s = 0;
  c->encoder.max_payload = 1200;
  c->layout = MCU_VIDEO_LAYOUT_AUTO;
  c->talker_hold_ms = 2000;
  c->rotation_interval_s = 15;
  c->keyframe_request_interval_ms = 1000;
  c->no_video_timeout_ms = 3000;
  c->content_timeout_ms = 5000;
  c->max_frame_bytes = 256 * 1024;
  c->queue_frames = 4;
  c->sender_min_bps = 150000;
  c->sender_max_bps = 1500000;
  c->sender_hidden_bps = 100000;
  c->compose_from_top = TRUE;
  c->decode_on_arrival = TRUE;
  c->no_video_text = "không có hình";
}

/* ---- sites ---------------------------------------------------------------------------------------- */

static void
site_free (McuVideoSite *site)
{
  mcu_video_stream_clear (&site->camera);
  mcu_video_stream_clear (&site->content);
  for (guint t = 0; t < MCU_VIDEO_MAX_TIERS; t++)
    for (guint c = 0; c < 2; c++)
      for (guint k = 0; k < LABEL_N_KINDS; k++)
        mcu_video_label_free (site->labels[t][c][k].label);
  g_free (site->label_text);
  g_free (site->drawn_text);
  g_free (site);
}

static McuVideoSite *
find_site_locked (McuVideoMixer *mixer, guint site_id)
{
  for (guint i = 0; i < mixer->sites->len; i++) {
    McuVideoSite *site = g_ptr_array_index (mixer->sites, i);
    if (site->id == site_id)
      return site;
  }
  return NULL;
}

/* Any thread: ends the ticking thread's wait (one syscall, never blocks; it only fails when 2^64 - 1
 * wake-ups are pending). */
static void
wake_ticking_thread (McuVideoMixer *mixer)
{
  const uint64_t one = 1;

  if (mixer->arrival_fd >= 0)
    (void) !write (mixer->arrival_fd, &one, sizeof one);
}

/* Media thread, per frame of a stream in view: wakes the ticking thread. Only the first frame since the
 * ticking thread last looked writes the eventfd, the others set the flag. */
static void
on_frame_queued (gpointer data)
{
  McuVideoMixer *mixer = data;

  if (atomic_exchange_explicit (&mixer->arrivals, 1, memory_order_acq_rel) == 0)
    wake_ticking_thread (mixer);
}

McuVideoSite *
mcu_video_mixer_add_site (McuVideoMixer *mixer, guint site_id, const char *label, GError **error)
{
  g_mutex_lock (&mixer->lock);
  gboolean taken = site_id == 0 || find_site_locked (mixer, site_id) != NULL;
  g_mutex_unlock (&mixer->lock);
  if (taken) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "video site id %u is 0 or already in the mixer",
                 site_id);
    return NULL;
  }
  McuVideoSite *site = g_new0 (McuVideoSite, 1);
  site->mixer = mixer;
  site->id = site_id;
  site->label_text = g_utf8_make_valid (label ? label : "", -1);
  site->label_version = 1;
  mcu_video_stream_init (&site->camera, mixer->config.max_frame_bytes, mixer->config.queue_frames);
  mcu_video_stream_init (&site->content, mixer->config.max_frame_bytes, mixer->config.queue_frames);
  if (mixer->config.decode_on_arrival && mixer->arrival_fd >= 0) {
    mcu_video_stream_set_notify (&site->camera, on_frame_queued, mixer);
    mcu_video_stream_set_notify (&site->content, on_frame_queued, mixer);
  }
  g_mutex_lock (&mixer->lock);
  g_ptr_array_add (mixer->sites, site);
  g_mutex_unlock (&mixer->lock);
  return site;
}

void
mcu_video_mixer_remove_site (McuVideoMixer *mixer, McuVideoSite *site)
{
  g_mutex_lock (&mixer->lock);
  guint index;
  if (g_ptr_array_find (mixer->sites, site, &index))
    g_ptr_array_add (mixer->removed, g_ptr_array_steal_index (mixer->sites, index));
  for (guint i = 0; i < mixer->n_pins; i++) {
    if (mixer->pins[i] == site->id) {
      memmove (&mixer->pins[i], &mixer->pins[i + 1], (mixer->n_pins - i - 1) * sizeof (guint));
      mixer->n_pins--;
      break;
    }
  }
  g_mutex_unlock (&mixer->lock);
}

void
mcu_video_site_set_label (McuVideoSite *site, const char *label)
{
  g_mutex_lock (&site->mixer->lock);
  g_free (site->label_text);
  site->label_text = g_utf8_make_valid (label ? label : "", -1);
  site->label_version++;
  g_mutex_unlock (&site->mixer->lock);
}

guint
mcu_video_site_get_id (const McuVideoSite *site)
{
  return site->id;
}

int
mcu_video_site_push_rtp (McuVideoSite *site, const guint8 *payload, gsize len, guint32 ssrc, guint16 seq,
                         guint32 ts, gboolean marker, gboolean retransmitted, gint64 arrival_us)
{
  if (payload == NULL)
    return -EINVAL;
  return mcu_video_stream_push_rtp (&site->camera, payload, len, ssrc, seq, ts, marker, retransmitted, arrival_us);
}

int
mcu_video_site_push_content_rtp (McuVideoSite *site, const guint8 *payload, gsize len, guint32 ssrc,
                                 guint16 seq, guint32 ts, gboolean marker, gboolean retransmitted,
                                 gint64 arrival_us)
{
  if (payload == NULL)
    return -EINVAL;
  return mcu_video_stream_push_rtp (&site->content, payload, len, ssrc, seq, ts, marker, retransmitted, arrival_us);
}

void
mcu_video_site_set_rtt_ms (McuVideoSite *site, double rtt_ms)
{
  mcu_video_stream_set_rtt_ms (&site->camera, rtt_ms);
  mcu_video_stream_set_rtt_ms (&site->content, rtt_ms);
}

void
mcu_video_site_content_stop (McuVideoSite *site)
{
  g_mutex_lock (&site->mixer->lock);
  site->content_stopped = TRUE;
  g_mutex_unlock (&site->mixer->lock);
}

/* ---- control ------------------------------------------------------------------------------------- */

void
mcu_video_mixer_set_layout (McuVideoMixer *mixer, McuVideoLayoutKind kind)
{
  g_mutex_lock (&mixer->lock);
  mixer->layout = kind < MCU_VIDEO_LAYOUT_N_KINDS ? kind : MCU_VIDEO_LAYOUT_AUTO;
  g_mutex_unlock (&mixer->lock);
}

void
mcu_video_mixer_set_main_talker (McuVideoMixer *mixer, guint site_id)
{
  g_mutex_lock (&mixer->lock);
  mixer->talker_request = site_id;
  mixer->talker_requested = TRUE;
  g_mutex_unlock (&mixer->lock);
}

gboolean
mcu_video_mixer_pin (McuVideoMixer *mixer, guint site_id)
{
  gboolean ok = TRUE;

  g_mutex_lock (&mixer->lock);
  for (guint i = 0; i < mixer->n_pins; i++)
    if (mixer->pins[i] == site_id)
      goto out;
  if (mixer->n_pins == MCU_VIDEO_MAX_PINS)
    ok = FALSE;
  else
    mixer->pins[mixer->n_pins++] = site_id;
out:
  g_mutex_unlock (&mixer->lock);
  return ok;
}

void
mcu_video_mixer_unpin (McuVideoMixer *mixer, guint site_id)
{
  g_mutex_lock (&mixer->lock);
  for (guint i = 0; i < mixer->n_pins; i++) {
    if (mixer->pins[i] == site_id) {
      memmove (&mixer->pins[i], &mixer->pins[i + 1], (mixer->n_pins - i - 1) * sizeof (guint));
      mixer->n_pins--;
      break;
    }
  }
  g_mutex_unlock (&mixer->lock);
}

void
mcu_video_mixer_revoke_presenter (McuVideoMixer *mixer)
{
  g_mutex_lock (&mixer->lock);
  mixer->revoke = TRUE;
  g_mutex_unlock (&mixer->lock);
}

void
mcu_video_mixer_request_keyframe (McuVideoMixer *mixer, guint tier)
{
  if (tier < mixer->n_tiers)
    mcu_video_tier_request_keyframe (mixer->workers[tier].tier);
}

gint
mcu_video_mixer_get_thumbnail_tier (McuVideoMixer *mixer)
{
  return mixer->thumbnail_tier;
}

gint
mcu_video_mixer_get_still_tier (McuVideoMixer *mixer)
{
  return mixer->still_tier;
}

guint
mcu_video_mixer_get_n_outputs (McuVideoMixer *mixer)
{
  return mixer->n_tiers;
}

void
mcu_video_mixer_set_tier_active (McuVideoMixer *mixer, guint tier, gboolean has_receivers)
{
  if (tier < mixer->n_tiers)
    g_atomic_int_set (&mixer->workers[tier].active, has_receivers ? 1 : 0);
}

static int
compare_gint64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

/* Control thread: sorts a copy of the last samples. */
static void
percentiles (const gint64 *samples, guint count, gint64 *p50, gint64 *p99)
{
  guint n = MIN (count, SAMPLES);
  g_autofree gint64 *sorted = g_memdup2 (samples, n * sizeof (gint64));

  *p50 = *p99 = 0;
  if (n == 0)
    return;
  qsort (sorted, n, sizeof (gint64), compare_gint64);
  *p50 = sorted[MIN (n - 1, n * 50 / 100)];
  *p99 = sorted[MIN (n - 1, n * 99 / 100)];
}

gboolean
mcu_video_mixer_get_site_stats (McuVideoMixer *mixer, guint site_id, McuVideoSiteStats *stats)
{
  g_mutex_lock (&mixer->lock);
  McuVideoSite *site = find_site_locked (mixer, site_id);
  if (site != NULL)
    *stats = site->published;
  g_mutex_unlock (&mixer->lock);
  return site != NULL;
}

static int
compare_guint32 (const void *a, const void *b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
  return (x > y) - (x < y);
}

/* Control thread, without the lock: sorts @window (its @n samples, taken) in place. */
static void
latency_percentiles (guint32 *window, guint n, McuVideoTierSummary *summary)
{
  summary->latency_p50_us = summary->latency_p99_us = 0;
  if (n == 0)
    return;
  qsort (window, n, sizeof (guint32), compare_guint32);
  summary->latency_p50_us = window[MIN (n - 1, n * 50 / 100)];
  summary->latency_p99_us = window[MIN (n - 1, n * 99 / 100)];
}

void
mcu_video_mixer_get_stats (McuVideoMixer *mixer, McuVideoMixerStats *stats)
{
  guint32 *latency[MCU_VIDEO_MAX_TIERS] = { NULL };
  guint n_latency[MCU_VIDEO_MAX_TIERS] = { 0 };

  g_mutex_lock (&mixer->lock);
  *stats = mixer->stats;
  /* live: decodes between ticks show before the next tick publishes the rest */
  stats->decoded_frames = atomic_load_explicit (&mixer->live_decoded, memory_order_relaxed);
  stats->decoded_on_arrival = atomic_load_explicit (&mixer->live_on_arrival, memory_order_relaxed);
  percentiles (mixer->tick_samples, mixer->n_tick_samples, &stats->tick_p50_us, &stats->tick_p99_us);
  for (guint t = 0; t < mixer->n_tiers; t++) {
    TierWorker *w = &mixer->workers[t];
    percentiles (w->samples, w->n_samples, &stats->tiers[t].time_p50_us, &stats->tiers[t].time_p99_us);
    percentiles (w->cpu_samples, w->n_samples, &stats->tiers[t].cpu_p50_us, &stats->tiers[t].cpu_p99_us);
    stats->tiers[t].latency_samples = w->n_latency;
    n_latency[t] = (guint) MIN (w->n_latency, LATENCY_SAMPLES);
    latency[t] = n_latency[t] ? g_memdup2 (w->latency_us, n_latency[t] * sizeof (guint32)) : NULL;
  }
  g_mutex_unlock (&mixer->lock);
  for (guint t = 0; t < mixer->n_tiers; t++) {  /* sorted outside the lock the ticking thread takes */
    latency_percentiles (latency[t], n_latency[t], &stats->tiers[t]);
    g_free (latency[t]);
  }
}

/* ---- the tick: snapshot and seating ---------------------------------------------------------------- */

/* Control state → ticking thread. Allocates only when a label changed (control-rate events). */
static void
take_snapshot (McuVideoMixer *mixer, gint64 now_us, guint *talker, gboolean *talker_requested)
{
  g_mutex_lock (&mixer->lock);
  g_ptr_array_set_size (mixer->removed, 0); /* frees them: no tick uses them any more */
  g_ptr_array_set_size (mixer->tick_sites, 0);
  g_array_set_size (mixer->tick_ids, 0);
  for (guint i = 0; i < mixer->sites->len; i++) {
    McuVideoSite *site = g_ptr_array_index (mixer->sites, i);
    g_ptr_array_add (mixer->tick_sites, site);
    g_array_append_val (mixer->tick_ids, site->id);
    if (site->drawn_version != site->label_version) {
      g_free (site->drawn_text);
      site->drawn_text = g_strdup (site->label_text);
      site->drawn_version = site->label_version;
    }
    if (site->content_stopped)
      site->content_blocked = TRUE; /* until its content stream has been silent for the timeout */
    site->content_stopped = FALSE;
    if (mixer->revoke && site->id == mixer->presenter)
      site->content_blocked = TRUE;
  }
  mixer->revoke = FALSE;
  mixer->tick_layout = mixer->layout;
  memcpy (mixer->tick_pins, mixer->pins, sizeof mixer->pins);
  mixer->tick_n_pins = mixer->n_pins;
  *talker = mixer->talker_request;
  *talker_requested = mixer->talker_requested;
  mixer->talker_requested = FALSE;
  g_mutex_unlock (&mixer->lock);
}

static McuVideoSite *
tick_site (McuVideoMixer *mixer, guint site_id)
{
  for (guint i = 0; site_id != 0 && i < mixer->tick_sites->len; i++) {
    McuVideoSite *site = g_ptr_array_index (mixer->tick_sites, i);
    if (site->id == site_id)
      return site;
  }
  return NULL;
}

static gboolean
content_active (McuVideoMixer *mixer, McuVideoSite *site, gint64 now_us)
{
  gint64 last = mcu_video_stream_last_packet_us (&site->content);
  gboolean recent = last > 0 && now_us - last < (gint64) mixer->config.content_timeout_ms * 1000;

  if (!recent)
    site->content_blocked = FALSE; /* stopped: it may present again when it restarts */
  return recent && !site->content_blocked;
}

/* One presenter at a time: the current one keeps the floor while its content flows. */
static void
choose_presenter (McuVideoMixer *mixer, gint64 now_us)
{
  McuVideoSite *current = tick_site (mixer, mixer->presenter);

  for (guint i = 0; i < mixer->tick_sites->len; i++)
    content_active (mixer, g_ptr_array_index (mixer->tick_sites, i), now_us);
  if (current != NULL && content_active (mixer, current, now_us))
    return;
  mixer->presenter = 0;
  for (guint i = 0; i < mixer->tick_sites->len; i++) {
    McuVideoSite *site = g_ptr_array_index (mixer->tick_sites, i);
    if (content_active (mixer, site, now_us)) {
      mixer->presenter = site->id;
      return;
    }
  }
}

static void
seat (McuVideoMixer *mixer, McuVideoSeats *seats)
{
  McuVideoSeating seating = {
    .kind = mixer->tick_layout,
    .site_ids = (const guint *) mixer->tick_ids->data,
    .n_sites = mixer->tick_ids->len,
    .main_talker = mixer->talker.current,
    .pins = mixer->tick_pins,
    .n_pins = mixer->tick_n_pins,
    .presenter = mixer->presenter,
    .rotation = mixer->rotation,
  };
  mcu_video_layout_seat (&seating, seats);
}

static void
update_seats (McuVideoMixer *mixer, gint64 now_us)
{
  McuVideoSeats seats;
  gint64 interval = (gint64) mixer->config.rotation_interval_s * G_USEC_PER_SEC;

  seat (mixer, &seats);
  if (interval > 0 && seats.n_rotating > seats.n_rotating_tiles && seats.n_rotating_tiles > 0 &&
      now_us - mixer->last_rotation_us >= interval) {
    mixer->rotation = (mixer->rotation + seats.n_rotating_tiles) % seats.n_rotating;
    mixer->last_rotation_us = now_us;
    seat (mixer, &seats);
  }
  if (!mixer->have_seats || memcmp (&seats, &mixer->seats, sizeof seats) != 0) {
    mixer->seats = seats;
    mixer->have_seats = TRUE;
    if (mixer->callbacks.layout_changed)
      mixer->callbacks.layout_changed (&mixer->seats, mixer->user_data);
  }
}

static gint
seat_of (const McuVideoSeats *seats, guint site_id, gboolean content)
{
  for (guint i = 0; i < seats->n_tiles; i++)
    if (seats->tiles[i].site_id == site_id && seats->tiles[i].content == content)
      return (gint) i;
  return -1;
}

/* ---- the tick: decoding ---------------------------------------------------------------------------- */

static void
request_keyframe (McuVideoMixer *mixer, McuVideoSite *site, McuVideoStream *stream, gboolean content,
                  gint64 now_us)
{
  gint64 interval = (gint64) mixer->config.keyframe_request_interval_ms * 1000;

  if (!mcu_video_stream_want_keyframe (stream, now_us, interval))
    return;
  mixer->keyframe_requests++;
  if (mixer->callbacks.request_keyframe)
    mixer->callbacks.request_keyframe (site->id, content, mixer->user_data);
}

/* Decodes what @stream has queued (nothing when it has no decoder: not in view) and asks for a key
 * frame when it needs one. Returns the number of frames decoded. */
static guint
decode_stream (McuVideoMixer *mixer, McuVideoSite *site, McuVideoStream *stream, gboolean content, gint64 now_us)
{
  if (!stream->decoder_open)
    return 0;
  guint n = mcu_video_stream_decode (stream, &mixer->picture_serial);
  mixer->decoded += n;
  atomic_store_explicit (&mixer->live_decoded, mixer->decoded, memory_order_relaxed);
  request_keyframe (mixer, site, stream, content, now_us);
  return n;
}

/* The tick: opens and closes decoders by the new seating, then decodes what is still queued. */
static void
decode_visible (McuVideoMixer *mixer, gint64 now_us)
{
  for (guint i = 0; i < mixer->tick_sites->len; i++) {
    McuVideoSite *site = g_ptr_array_index (mixer->tick_sites, i);

    mcu_video_stream_set_visible (&site->camera, seat_of (&mixer->seats, site->id, FALSE) >= 0);
    mcu_video_stream_set_visible (&site->content, seat_of (&mixer->seats, site->id, TRUE) >= 0);
    decode_stream (mixer, site, &site->camera, FALSE, now_us);
    decode_stream (mixer, site, &site->content, TRUE, now_us);
  }
}

/* Between ticks, woken by the media thread: decodes the frames queued for the streams in view (by the
 * last tick's seating; sites removed since stay alive until the next snapshot). */
static guint
decode_arrived (McuVideoMixer *mixer, gint64 now_us)
{
  guint n = 0;

  atomic_store_explicit (&mixer->arrivals, 0, memory_order_release);
  for (guint i = 0; i < mixer->tick_sites->len; i++) {
    McuVideoSite *site = g_ptr_array_index (mixer->tick_sites, i);
    n += decode_stream (mixer, site, &site->camera, FALSE, now_us);
    n += decode_stream (mixer, site, &site->content, TRUE, now_us);
  }
  if (n == 0)
    return 0;
  mixer->decoded_on_arrival += n;
  atomic_store_explicit (&mixer->live_on_arrival, mixer->decoded_on_arrival, memory_order_relaxed);
  return n;
}

guint
mcu_video_mixer_decode_arrived (McuVideoMixer *mixer, gint64 now_us)
{
  g_return_val_if_fail (mixer->thread == NULL, 0);
  return decode_arrived (mixer, now_us);
}

/* The bitrate a tile is worth: the smallest tile's rate scaled by area (at the top tier), capped. */
static void
advise_senders (McuVideoMixer *mixer)
{
  const McuVideoTierConfig *top = &mixer->config.tiers[0];
  const guint64 small_px = 320 * 180;

  for (guint i = 0; i < mixer->tick_sites->len; i++) {
    McuVideoSite *site = g_ptr_array_index (mixer->tick_sites, i);
    gint tile = seat_of (&mixer->seats, site->id, FALSE);
    McuVideoRect r;
    guint bps = mixer->config.sender_hidden_bps;

    if (tile >= 0 && mcu_video_layout_tile_rect (mixer->seats.kind, tile, top->width, top->height, &r)) {
      guint64 v = (guint64) mixer->config.sender_min_bps * r.width * r.height / small_px;
      bps = (guint) CLAMP (v, mixer->config.sender_min_bps, mixer->config.sender_max_bps);
    }
    if (bps != site->advised_bps && mixer->callbacks.sender_bitrate) {
      site->advised_bps = bps;
      mixer->callbacks.sender_bitrate (site->id, bps, mixer->user_data);
    }
  }
}

/* ---- the tick: drawing ----------------------------------------------------------------------------- */

/* Labels live until the next change of their tile size or text: a site shown twice (camera and content)
 * has one cache per tile so that neither frees the other's label during a tick. */
static const McuVideoLabel *
get_label (McuVideoMixer *mixer, McuVideoSite *site, guint tier, gboolean content, LabelKind kind,
           const McuVideoRect *r)
{
  LabelCache *cache = &site->labels[tier][content ? 1 : 0][kind];
  gboolean centred = kind != LABEL_NAME;
  gint font_px = CLAMP (r->height / (centred ? 8 : 11), 8, 36);
  gint max_width = r->width - (centred ? 8 : 2 * MAX (2, r->width / 64));

  if (cache->version != site->drawn_version || cache->font_px != font_px || cache->max_width != max_width) {
    mcu_video_label_free (cache->label);
    cache->label = mcu_video_label_render (site->drawn_text, kind == LABEL_NO_VIDEO ? mixer->no_video_text : NULL,
                                           font_px, max_width);
    cache->version = site->drawn_version;
    cache->font_px = font_px;
    cache->max_width = max_width;
  }
  return cache->label;
}

static void
draw_tile (McuVideoMixer *mixer, guint tier, const McuVideoTile *tile, McuVideoTileDraw *d, gint64 now_us)
{
  McuVideoSite *site = tick_site (mixer, tile->site_id);
  McuVideoStream *stream = site == NULL ? NULL : tile->content ? &site->content : &site->camera;

  d->kind = MCU_VIDEO_TILE_EMPTY;
  d->label = NULL;
  if (stream == NULL)
    return;
  gint64 last = mcu_video_stream_last_packet_us (stream);
  gboolean silent = last == 0 || now_us - last >= (gint64) mixer->config.no_video_timeout_ms * 1000;
  if (!silent && mcu_video_stream_picture (stream, &d->picture)) {
    d->kind = tile->content ? MCU_VIDEO_TILE_CONTENT : MCU_VIDEO_TILE_PICTURE;
    d->serial = stream->image_serial;
    d->arrival_us = stream->image_arrival_us;
    d->label = get_label (mixer, site, tier, tile->content, LABEL_NAME, &d->rect);
    return;
  }
  d->kind = MCU_VIDEO_TILE_PLACEHOLDER;
  d->label = get_label (mixer, site, tier, tile->content, silent ? LABEL_NO_VIDEO : LABEL_WAITING, &d->rect);
}

static void
prepare_tier (McuVideoMixer *mixer, TierWorker *w, gint64 now_us)
{
  const McuVideoTierConfig *c = mcu_video_tier_config (w->tier);

  w->n_draws = mixer->seats.n_tiles;
  w->now_us = now_us;
  for (guint i = 0; i < w->n_draws; i++) {
    McuVideoTileDraw *d = &w->draws[i];
    memset (d, 0, sizeof *d);
    if (!mcu_video_layout_tile_rect (mixer->seats.kind, i, c->width, c->height, &d->rect))
      continue;
    draw_tile (mixer, w->index, &mixer->seats.tiles[i], d, now_us);
  }
}

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* The still's mark, centred (the picture under it stays unchanged until the next refresh, so the
 * frames between cost next to nothing). */
static void
blend_still_mark (TierWorker *w, McuVideoCanvas *canvas)
{
  const McuVideoLabel *label = w->still_label;

  w->still_taken_us = MAX (w->now_us, 1);
  if (label == NULL)
    return;
  gint x = MAX (0, (canvas->width - label->width) / 2) & ~1;
  gint y = MAX (0, (canvas->height - label->height) / 2) & ~1;
  mcu_video_label_blend (label, canvas->planes, canvas->strides, x, y, 0, 0, canvas->width, canvas->height);
}

/* Tier thread: the latency of each picture this composite shows for the first time, now that its packets
 * were handed over at @out_us (on the tick's clock). Pictures are numbered in decode order, so the ones
 * newer than the newest this tier showed before are the new ones. */
static void
measure_latency (TierWorker *w, const McuVideoTileDraw *draws, guint n, gint64 out_us)
{
  guint64 newest = w->shown_serial;

  w->n_fresh = 0;
  for (guint i = 0; i < n; i++) {
    const McuVideoTileDraw *d = &draws[i];
    if ((d->kind != MCU_VIDEO_TILE_PICTURE && d->kind != MCU_VIDEO_TILE_CONTENT) || d->serial <= w->shown_serial ||
        d->arrival_us <= 0)
      continue;
    w->fresh_us[w->n_fresh++] = (guint32) CLAMP (out_us - d->arrival_us, 0, (gint64) G_MAXUINT32);
    newest = MAX (newest, d->serial);
  }
  w->shown_serial = newest;
}

/* Tier thread (or the ticking thread in manual mode). With compose_from_top, tier 0's canvas was composed
 * by the ticking thread and the lower tiers scale it down (read-only while every tier runs). */
static void
run_tier (TierWorker *w)
{
  McuVideoMixer *mixer = w->mixer;
  gint64 start = g_get_monotonic_time (), cpu_start = thread_cpu_us ();
  McuVideoCanvas *canvas = mcu_video_tier_canvas (w->tier);
  gboolean draw = !w->still || w->still_taken_us == 0 ||
                  w->now_us - w->still_taken_us >= (gint64) mixer->config.still_refresh_s * G_USEC_PER_SEC;

  if (draw && !mixer->config.compose_from_top)
    mcu_video_compose (canvas, w->draws, w->n_draws);
  else if (draw && w->index > 0)
    mcu_video_canvas_scale (mcu_video_tier_canvas (mixer->workers[0].tier), canvas);
  if (draw && w->still)
    blend_still_mark (w, canvas);
  int packets = mcu_video_tier_encode (w->tier, w->now_us, mixer->callbacks.on_packet, mixer->user_data);
  gint64 handed = g_get_monotonic_time ();
  w->n_fresh = 0;
  if (draw && packets > 0) {
    const TierWorker *source = mixer->config.compose_from_top ? &mixer->workers[0] : w;
    measure_latency (w, source->draws, source->n_draws, w->now_us + (handed - w->tick_start_us));
  }
  w->duration_us = g_get_monotonic_time () - start;
  w->cpu_us = thread_cpu_us () - cpu_start;
}

/* Video yields to audio: the mixer's threads run at a lower priority than the room's media thread
 * (sockets, audio tick), so on a loaded machine composites come late before audio does. Raising a
 * thread's own nice value needs no privilege; failing is harmless. */
static void
lower_thread_priority (void)
{
  (void) setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), VIDEO_THREAD_NICE);
}

static gpointer
worker_main (gpointer data)
{
  TierWorker *w = data;

  lower_thread_priority ();
  g_mutex_lock (&w->lock);
  for (;;) {
    while (w->job == w->done && !w->quit)
      g_cond_wait (&w->cond, &w->lock);
    if (w->quit)
      break;
    g_mutex_unlock (&w->lock);
    run_tier (w);
    g_mutex_lock (&w->lock);
    w->done = w->job;
    g_cond_broadcast (&w->cond);
  }
  g_mutex_unlock (&w->lock);
  return NULL;
}

static void
worker_post (TierWorker *w)
{
  g_mutex_lock (&w->lock);
  w->job++;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

static void
worker_wait (TierWorker *w)
{
  g_mutex_lock (&w->lock);
  while (w->done != w->job)
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
}

/* Ticking thread (Pango's font map is per thread: labels are all rendered here). */
static void
render_still_label (McuVideoMixer *mixer, TierWorker *w)
{
  const McuVideoTierConfig *c = mcu_video_tier_config (w->tier);

  w->still_label = mcu_video_label_render (mixer->still_text, NULL, CLAMP (c->height / 8, 8, 36), c->width - 8);
}

/* Which tiers run this tick; asks for a key frame on tiers that just got receivers. */
static guint
due_tiers (McuVideoMixer *mixer, gint64 now_us)
{
  guint due = 0;

  for (guint t = 0; t < mixer->n_tiers; t++) {
    TierWorker *w = &mixer->workers[t];
    gboolean active = g_atomic_int_get (&w->active);
    if (active && !w->was_active) {
      mcu_video_tier_request_keyframe (w->tier); /* new receivers need a key frame to start */
      w->still_taken_us = 0;                      /* and the still a fresh picture */
      w->shown_serial = mixer->picture_serial;    /* older pictures came before anyone received it */
    }
    if (active && w->still && w->still_label == NULL)
      render_still_label (mixer, w);
    w->was_active = active;
    if (active && mcu_video_tier_due (w->tier, now_us))
      due |= 1u << t;
  }
  return due;
}

/* Composes and encodes every active, due tier; in parallel when the workers run. Returns a mask. */
static guint
run_tiers (McuVideoMixer *mixer, gint64 now_us)
{
  guint due = due_tiers (mixer, now_us);
  gboolean from_top = mixer->config.compose_from_top;

  if (due == 0)
    return 0;
  if (from_top) {
    TierWorker *top = &mixer->workers[0];
    prepare_tier (mixer, top, now_us);
    mcu_video_compose (mcu_video_tier_canvas (top->tier), top->draws, top->n_draws);
  }
  for (guint t = 0; t < mixer->n_tiers; t++) {
    TierWorker *w = &mixer->workers[t];
    if (!(due & (1u << t)))
      continue;
    if (!from_top)
      prepare_tier (mixer, w, now_us);
    w->now_us = now_us;
    w->tick_start_us = mixer->tick_start_us;
    if (w->thread)
      worker_post (w);
    else
      run_tier (w);
  }
  for (guint t = 0; t < mixer->n_tiers; t++)
    if ((due & (1u << t)) && mixer->workers[t].thread)
      worker_wait (&mixer->workers[t]);
  return due;
}

/* ---- the tick: statistics ------------------------------------------------------------------------- */

static void
publish_stats (McuVideoMixer *mixer, guint ran, gint64 tick_us)
{
  McuVideoMixerStats *s = &mixer->stats;

  g_mutex_lock (&mixer->lock);
  mixer->tick_samples[mixer->n_tick_samples++ % SAMPLES] = tick_us;
  s->ticks = mixer->ticks;
  s->decoded_frames = mixer->decoded;
  s->decoded_on_arrival = mixer->decoded_on_arrival;
  s->keyframe_requests = mixer->keyframe_requests;
  s->decoders_open = 0;
  s->decode_errors = s->queue_dropped = s->skipped_waiting = 0;
  for (guint i = 0; i < mixer->tick_sites->len; i++) {
    McuVideoSite *site = g_ptr_array_index (mixer->tick_sites, i);
    McuVideoStream *streams[2] = { &site->camera, &site->content };
    McuVideoSiteStats *p = &site->published;
    memset (p, 0, sizeof *p);
    for (guint k = 0; k < 2; k++) {
      guint64 dropped = mcu_video_stream_queue_dropped (streams[k]);
      s->decoders_open += streams[k]->decoder_open;
      s->decode_errors += streams[k]->decode_errors;
      s->skipped_waiting += streams[k]->skipped_waiting;
      s->queue_dropped += dropped;
      p->decoded_frames += streams[k]->decoded;
      p->hidden_frames += (guint64) atomic_load_explicit (&streams[k]->hidden_frames, memory_order_relaxed);
      p->queue_dropped += dropped;
    }
    p->decoding = site->camera.decoder_open;
    p->showing_content = site->content.decoder_open;
    p->tile = seat_of (&mixer->seats, site->id, FALSE);
    p->advised_bps = site->advised_bps;
  }
  s->layout = mixer->seats.kind;
  s->presenter = mixer->presenter;
  s->main_talker = mixer->talker.current;
  s->n_tiers = mixer->n_tiers;
  for (guint t = 0; t < mixer->n_tiers; t++) {
    TierWorker *w = &mixer->workers[t];
    McuVideoTierStats ts;
    if (ran & (1u << t)) {
      w->cpu_samples[w->n_samples % SAMPLES] = w->cpu_us;
      w->samples[w->n_samples++ % SAMPLES] = w->duration_us;
      for (guint i = 0; i < w->n_fresh; i++)
        w->latency_us[w->n_latency++ % LATENCY_SAMPLES] = w->fresh_us[i];
      w->n_fresh = 0;
    }
    mcu_video_tier_get_stats (w->tier, &ts);
    s->tiers[t] = (McuVideoTierSummary) { .frames = ts.frames, .keyframes = ts.keyframes, .bytes = ts.bytes, .errors = ts.errors };
  }
  g_mutex_unlock (&mixer->lock);
}

void
mcu_video_mixer_tick (McuVideoMixer *mixer, gint64 now_us)
{
  gint64 start = g_get_monotonic_time ();
  gint64 hold = (gint64) mixer->config.talker_hold_ms * 1000;
  guint talker;
  gboolean talker_requested;

  mixer->tick_start_us = start;
  take_snapshot (mixer, now_us, &talker, &talker_requested);
  if (mixer->ticks++ == 0) {
    mixer->last_rotation_us = now_us;
    for (guint t = 0; t < mixer->n_tiers; t++)   /* one RTP time line for all tiers: see set_epoch */
      mcu_video_tier_set_epoch (mixer->workers[t].tier, now_us);
  }
  if (talker_requested)
    mcu_video_talker_request (&mixer->talker, talker, now_us, hold);
  mcu_video_talker_tick (&mixer->talker, now_us, hold);
  choose_presenter (mixer, now_us);
  update_seats (mixer, now_us);
  decode_visible (mixer, now_us);
  advise_senders (mixer);
  guint ran = run_tiers (mixer, now_us);
  publish_stats (mixer, ran, g_get_monotonic_time () - start);
}

/* ---- life cycle ------------------------------------------------------------------------------------ */

/* Ticking thread: sleeps until a frame arrives (TRUE) or @deadline, the next tick, passes (FALSE).
 * Frames that keep coming do not hold the tick back: it decodes what is left itself. */
static gboolean
wait_for_arrivals (McuVideoMixer *mixer, gint64 deadline)
{
  struct pollfd fd = { .fd = mixer->arrival_fd, .events = POLLIN };
  uint64_t count;

  for (;;) {
    gint64 left = deadline - g_get_monotonic_time ();
    if (!atomic_load (&mixer->running) || left <= 0)
      return FALSE;
    if (atomic_load_explicit (&mixer->arrivals, memory_order_acquire))
      return TRUE;
    struct timespec timeout = { left / G_USEC_PER_SEC, (left % G_USEC_PER_SEC) * 1000 };
    if (ppoll (fd.fd >= 0 ? &fd : NULL, fd.fd >= 0 ? 1 : 0, &timeout, NULL) > 0)
      (void) !read (fd.fd, &count, sizeof count);  /* resets it; the flag says whether frames came */
  }
}

static gpointer
tick_main (gpointer data)
{
  McuVideoMixer *mixer = data;
  gint64 next = g_get_monotonic_time ();

  lower_thread_priority ();
  while (atomic_load (&mixer->running)) {
    mcu_video_mixer_tick (mixer, g_get_monotonic_time ());
    next += mixer->tick_interval_us;
    if (next < g_get_monotonic_time ())
      next = g_get_monotonic_time () + mixer->tick_interval_us / 4; /* overloaded: skip, do not burst */
    while (wait_for_arrivals (mixer, next))
      decode_arrived (mixer, g_get_monotonic_time ());
  }
  return NULL;
}

static gboolean
check_config (const McuVideoMixerConfig *c, GError **error)
{
  if (c->n_tiers == 0 || c->n_tiers > MCU_VIDEO_MAX_SIZED_TIERS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "video tiers: %u, must be 1 to %u",
                 c->n_tiers, MCU_VIDEO_MAX_SIZED_TIERS);
    return FALSE;
  }
  if (c->encoder.cpu_used < -16 || c->encoder.cpu_used > 16) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "video cpu-used %d: must be -16 to 16",
                 c->encoder.cpu_used);
    return FALSE;
  }
  return TRUE;
}

/* Adds the next output; on failure frees the mixer. The ladder's extras start without receivers. */
static gboolean
add_tier (McuVideoMixer *mixer, const McuVideoTierConfig *config, gboolean active, guint *max_fps, GError **error)
{
  guint t = mixer->n_tiers;
  TierWorker *w = &mixer->workers[t];

  w->mixer = mixer;
  w->index = t;
  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  g_atomic_int_set (&w->active, active ? 1 : 0);
  McuVideoEncoderConfig encoder = mixer->config.encoder;
  if (w->still)   /* a receiver that missed the still's key frame must not wait for a PLI round trip */
    encoder.keyframe_period_s = mixer->config.still_keyframe_s;
  w->tier = mcu_video_tier_new (t, config, &encoder, error);
  mixer->n_tiers = t + 1;
  if (w->tier == NULL) {
    mcu_video_mixer_free (mixer);
    return FALSE;
  }
  *max_fps = MAX (*max_fps, config->fps);
  return TRUE;
}

McuVideoMixer *
mcu_video_mixer_new (const McuVideoMixerConfig *config, const McuVideoMixerCallbacks *callbacks,
                     gpointer user_data, GError **error)
{
  if (!check_config (config, error))
    return NULL;
  McuVideoMixer *mixer = g_new0 (McuVideoMixer, 1);
  guint max_fps = 1;

  mixer->config = *config;
  mixer->no_video_text = g_strdup (config->no_video_text ? config->no_video_text : "no video");
  mixer->config.no_video_text = NULL;
  if (callbacks)
    mixer->callbacks = *callbacks;
  mixer->user_data = user_data;
  g_mutex_init (&mixer->lock);
  /* without it (out of descriptors), frames are decoded at the tick: later, but shown all the same */
  mixer->arrival_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  atomic_init (&mixer->arrivals, 0);
  atomic_init (&mixer->running, 0);
  atomic_init (&mixer->live_decoded, 0);
  atomic_init (&mixer->live_on_arrival, 0);
  mixer->sites = g_ptr_array_new_with_free_func ((GDestroyNotify) site_free);
  mixer->removed = g_ptr_array_new_with_free_func ((GDestroyNotify) site_free);
  mixer->tick_sites = g_ptr_array_new ();
  mixer->tick_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  mixer->layout = config->layout;
  mixer->still_text = g_strdup (config->still_text ? config->still_text : "audio only");
  mixer->config.still_text = NULL;
  mixer->thumbnail_tier = mixer->still_tier = -1;
  for (guint t = 0; t < config->n_tiers; t++)
    if (!add_tier (mixer, &config->tiers[t], TRUE, &max_fps, error))
      return NULL;
  if (config->thumbnail.width > 0) {
    mixer->thumbnail_tier = (gint) mixer->n_tiers;
    if (!add_tier (mixer, &config->thumbnail, FALSE, &max_fps, error))
      return NULL;
  }
  if (config->still.width > 0) {
    mixer->still_tier = (gint) mixer->n_tiers;
    mixer->workers[mixer->n_tiers].still = TRUE;
    if (!add_tier (mixer, &config->still, FALSE, &max_fps, error))
      return NULL;
  }
  mixer->tick_interval_us = G_USEC_PER_SEC / max_fps;
  return mixer;
}

gboolean
mcu_video_mixer_start (McuVideoMixer *mixer, GError **error)
{
  if (mixer->thread != NULL)
    return TRUE;
  for (guint t = 0; t < mixer->n_tiers; t++) {
    g_autofree char *name = g_strdup_printf ("video-tier%u", t);
    mixer->workers[t].thread = g_thread_try_new (name, worker_main, &mixer->workers[t], error);
    if (mixer->workers[t].thread == NULL)
      return FALSE;
  }
  atomic_store (&mixer->running, 1);
  mixer->thread = g_thread_try_new ("video-mixer", tick_main, mixer, error);
  return mixer->thread != NULL;
}

static void
stop_threads (McuVideoMixer *mixer)
{
  atomic_store (&mixer->running, 0);
  wake_ticking_thread (mixer);  /* the flag is checked before each wait: no lost wake-up */
  g_clear_pointer (&mixer->thread, g_thread_join);
  for (guint t = 0; t < mixer->n_tiers; t++) {
    TierWorker *w = &mixer->workers[t];
    if (w->thread == NULL)
      continue;
    g_mutex_lock (&w->lock);
    w->quit = TRUE;
    g_cond_broadcast (&w->cond);
    g_mutex_unlock (&w->lock);
    g_clear_pointer (&w->thread, g_thread_join);
  }
}

void
mcu_video_mixer_free (McuVideoMixer *mixer)
{
  if (mixer == NULL)
    return;
  stop_threads (mixer);
  for (guint t = 0; t < mixer->n_tiers; t++) {
    mcu_video_tier_free (mixer->workers[t].tier);
    mcu_video_label_free (mixer->workers[t].still_label);
    g_mutex_clear (&mixer->workers[t].lock);
    g_cond_clear (&mixer->workers[t].cond);
  }
  g_ptr_array_unref (mixer->tick_sites);
  g_array_unref (mixer->tick_ids);
  g_ptr_array_unref (mixer->sites);
  g_ptr_array_unref (mixer->removed);
  g_mutex_clear (&mixer->lock);
  if (mixer->arrival_fd >= 0)
    close (mixer->arrival_fd);
  g_free (mixer->no_video_text);
  g_free (mixer->still_text);
  g_free (mixer);
}
