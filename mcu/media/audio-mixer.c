/* SPDX-License-Identifier: MIT */
/*
 * The room's audio mixer: per-site jitter buffer + Opus decoder, talker selection, mix, mix-minus,
 * limiter, N+1 shared Opus encoders.
 *
 * One tick = 20 ms:
 *   1. every site: the jitter buffer says what to decode; a site that is muted, or whose RFC 6464 level
 *      says silence while it is not selected, is not decoded at all (its decoder is reset before its
 *      next real decode, so no stale state leaks into new speech); its level is measured (RMS, dBov);
 *   2. talker bookkeeping (hangover, talking events) and selection of the N loudest (audio-select.c);
 *   3. selected talkers get a mix-minus stream slot (encoder + limiter), kept while they stay selected;
 *   4. mix = sum of the selected frames; each slot's input = mix - own frame; limiter per stream;
 *   5. encode the shared stream and each occupied slot (so encodes == selected + 1);
 *   6. hand every site the frame of the stream it listens to.
 * Packet-loss hints: the shared encoder gets the 90th percentile of its listeners' reported loss
 * (the worst when fewer than ten), a slot encoder its talker's loss; never below fec_min_loss_percent.
 *
 * A listener moving between the shared stream and its own mix-minus hears a different encoder's
 * packets under one SSRC; the slot encoder is reset when it is handed to a new talker so its first
 * packets do not predict from another talker's signal. RTP timestamps are common to all streams, so the
 * switch needs no timestamp jump.
 *
 * Threads: everything on the room's media thread; nothing here locks. add_site/remove_site/new/free
 * allocate; push and tick do not allocate or log.
 */
#define G_LOG_DOMAIN "mcu-audio"

#include "audio-mixer.h"

#include "audio-jitter.h"
#include "audio-limiter.h"
#include "audio-select.h"

#include <math.h>
#include <opus.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAME MCU_AUDIO_FRAME_SAMPLES
#define PCM_CAPACITY (FRAME + MCU_AUDIO_MAX_PACKET_SAMPLES)
#define MAX_OUT_PACKET 1500
#define TIMING_WINDOW 500
#define HINT_EVERY_TICKS 25
#define SKIP_MARGIN_DB 10.0   /* RFC 6464 levels are the sender's measure: decode a bit below the floor */
#define INCUMBENT_BONUS_DB 2.0
#define PAUSE_TICKS 3         /* a heard talker inactive this long pauses between words */
#define LOUD_DBOV -30.0       /* above this a site talks whatever its background */
#define SNR_DB 9.0            /* below it, a site talks when this far above its own background */
#define LIMITER_CEILING_DBFS -2.0  /* Opus overshoots dense loud mixes by ~1 dB: leave room */
#define LIMITER_KNEE_DB 5.0
#define LIMITER_RELEASE_MS 80.0

typedef struct {
  OpusEncoder *encoder;
  McuAudioLimiter limiter;
  McuAudioSite *talker;     /* slot streams: whose mix-minus this is; NULL when free */
  int loss_hint;
  float pcm[FRAME];
  guint8 packet[MAX_OUT_PACKET];
  int len;                  /* > 0 when encoded this tick */
} Stream;

struct _McuAudioSite {
  McuAudioMixer *mixer;
  guint id;
  McuAudioJitter jitter;
  OpusDecoder *decoder;
  gboolean decoder_stale;   /* reset before the next real decode */
  gboolean operator_muted, self_muted;
  double listener_loss;
  McuAudioTalker talker;
  int slot;                 /* index into mixer->slots while selected, else -1 */
  double level_dbov;
  gboolean decoded;         /* this tick's frame came from the decoder */
  double skipped_level;     /* loudest RFC 6464 level of the packets skipped this tick */
  guint64 skipped_silent, decode_errors;
  guint fill;
  float pcm[PCM_CAPACITY];
  float frame[FRAME];
};

struct _McuAudioMixer {
  McuAudioMixerConfig config;
  McuAudioMixerCallbacks callbacks;
  gpointer user_data;
  McuAudioSelectConfig select;
  GPtrArray *sites;                 /* McuAudioSite*, owned */
  guint scratch_size;
  McuAudioTalker **talkers;         /* scratch, one per site */
  McuAudioRank *ranks;
  double *losses;
  Stream shared;
  Stream slots[MCU_AUDIO_MAX_TALKERS];
  float mix[FRAME];
  guint64 next_order;
  guint64 ticks;
  guint32 ts_base;
  guint tick_us[TIMING_WINDOW];
  guint held_us[TIMING_WINDOW];     /* server-added latency of the ticks with talkers */
  guint64 held_ticks;
  guint selected;
  guint encodes_last, decodes_last;
  guint64 encodes_total, decodes_total;
};

G_DEFINE_QUARK (mcu-audio-error-quark, mcu_audio_error)

void
mcu_audio_mixer_config_init (McuAudioMixerConfig *config)
{
  *config = (McuAudioMixerConfig) {
    .talkers = 3,
    .noise_floor_dbov = -50.0,
    .hangover_ms = 500,
    .talk_start_ms = 100,
    .talk_stop_ms = 800,
    .jitter_min_ms = 10,   /* the target is the measured lateness + 10 ms anyway (audio-jitter.c) */
    .jitter_start_ms = 40,
    .jitter_max_ms = 200,
    .bitrate = 40000,
    .complexity = 8,
    .fec_min_loss_percent = 5,
  };
}

static void
clamp_config (McuAudioMixerConfig *c)
{
  c->talkers = CLAMP (c->talkers, 1, MCU_AUDIO_MAX_TALKERS);
  c->noise_floor_dbov = CLAMP (c->noise_floor_dbov, -127.0, 0.0);
  c->jitter_max_ms = CLAMP (c->jitter_max_ms, 20, 2000);
  c->jitter_min_ms = MIN (c->jitter_min_ms, c->jitter_max_ms);
  c->jitter_start_ms = CLAMP (c->jitter_start_ms, c->jitter_min_ms, c->jitter_max_ms);
  c->bitrate = CLAMP (c->bitrate, 6000, 510000);
  c->complexity = MIN (c->complexity, 10);
  c->fec_min_loss_percent = MIN (c->fec_min_loss_percent, 100);
}

static guint
ms_to_ticks (guint ms)
{
  return MAX (1, (ms + 10) / 20);
}

static gboolean
stream_init (Stream *stream, const McuAudioMixerConfig *config, GError **error)
{
  int err = 0;

  stream->encoder = opus_encoder_create (MCU_AUDIO_RATE, 1, OPUS_APPLICATION_VOIP, &err);
  if (stream->encoder == NULL ||
      opus_encoder_ctl (stream->encoder, OPUS_SET_BITRATE ((opus_int32) config->bitrate)) != OPUS_OK ||
      opus_encoder_ctl (stream->encoder, OPUS_SET_COMPLEXITY ((opus_int32) config->complexity)) != OPUS_OK ||
      opus_encoder_ctl (stream->encoder, OPUS_SET_INBAND_FEC (1)) != OPUS_OK ||
      opus_encoder_ctl (stream->encoder, OPUS_SET_DTX (0)) != OPUS_OK ||
      opus_encoder_ctl (stream->encoder, OPUS_SET_PACKET_LOSS_PERC (
                          (opus_int32) config->fec_min_loss_percent)) != OPUS_OK) {
    g_set_error (error, MCU_AUDIO_ERROR, MCU_AUDIO_ERROR_OPUS, "cannot set up an Opus encoder: %s",
                 opus_strerror (stream->encoder ? OPUS_BAD_ARG : err));
    return FALSE;
  }
  stream->loss_hint = (int) config->fec_min_loss_percent;
  mcu_audio_limiter_init (&stream->limiter, LIMITER_CEILING_DBFS, LIMITER_KNEE_DB, LIMITER_RELEASE_MS,
                          MCU_AUDIO_RATE);
  return TRUE;
}

static void
site_free (gpointer data)
{
  McuAudioSite *site = data;

  mcu_audio_jitter_clear (&site->jitter);
  opus_decoder_destroy (site->decoder);
  g_free (site);
}

McuAudioMixer *
mcu_audio_mixer_new (const McuAudioMixerConfig *config, const McuAudioMixerCallbacks *callbacks,
                     gpointer user_data, GError **error)
{
  g_autoptr (McuAudioMixer) mixer = g_new0 (McuAudioMixer, 1);

  if (config)
    mixer->config = *config;
  else
    mcu_audio_mixer_config_init (&mixer->config);
  clamp_config (&mixer->config);
  if (callbacks)
    mixer->callbacks = *callbacks;
  mixer->user_data = user_data;
  mixer->select = (McuAudioSelectConfig) {
    .max_talkers = mixer->config.talkers,
    .noise_floor_dbov = mixer->config.noise_floor_dbov,
    .loud_dbov = LOUD_DBOV,
    .snr_db = SNR_DB,
    .hangover_ticks = ms_to_ticks (mixer->config.hangover_ms),
    .talk_start_ticks = ms_to_ticks (mixer->config.talk_start_ms),
    .talk_stop_ticks = ms_to_ticks (mixer->config.talk_stop_ms),
    .incumbent_bonus_db = INCUMBENT_BONUS_DB,
  };
  mixer->sites = g_ptr_array_new_with_free_func (site_free);
  mixer->ts_base = g_random_int ();
  if (!stream_init (&mixer->shared, &mixer->config, error))
    return NULL;
  for (guint i = 0; i < mixer->config.talkers; i++) {
    if (!stream_init (&mixer->slots[i], &mixer->config, error))
      return NULL;
  }
  return g_steal_pointer (&mixer);
}

void
mcu_audio_mixer_free (McuAudioMixer *mixer)
{
  if (mixer == NULL)
    return;
  g_clear_pointer (&mixer->sites, g_ptr_array_unref);
  opus_encoder_destroy (mixer->shared.encoder);
  for (guint i = 0; i < MCU_AUDIO_MAX_TALKERS; i++)
    opus_encoder_destroy (mixer->slots[i].encoder);
  g_free (mixer->talkers);
  g_free (mixer->ranks);
  g_free (mixer->losses);
  g_free (mixer);
}

static void
grow_scratch (McuAudioMixer *mixer)
{
  if (mixer->sites->len <= mixer->scratch_size)
    return;
  mixer->scratch_size = MAX (16, mixer->scratch_size * 2);
  mixer->talkers = g_renew (McuAudioTalker *, mixer->talkers, mixer->scratch_size);
  mixer->ranks = g_renew (McuAudioRank, mixer->ranks, mixer->scratch_size);
  mixer->losses = g_renew (double, mixer->losses, mixer->scratch_size);
}

McuAudioSite *
mcu_audio_mixer_add_site (McuAudioMixer *mixer, guint site_id)
{
  McuAudioSite *site = g_new0 (McuAudioSite, 1);
  int err = 0;

  site->mixer = mixer;
  site->id = site_id;
  site->slot = -1;
  site->level_dbov = MCU_AUDIO_SILENCE_DBOV;
  site->decoder = opus_decoder_create (MCU_AUDIO_RATE, 1, &err);
  g_assert (site->decoder != NULL); /* only fails on bad arguments or out of memory */
  mcu_audio_jitter_init (&site->jitter, mixer->config.jitter_min_ms, mixer->config.jitter_start_ms,
                         mixer->config.jitter_max_ms);
  mcu_audio_talker_init (&site->talker, mixer->next_order++);
  g_ptr_array_add (mixer->sites, site);
  grow_scratch (mixer);
  g_debug ("site %u: added (%u sites)", site_id, mixer->sites->len);
  return site;
}

void
mcu_audio_mixer_remove_site (McuAudioMixer *mixer, McuAudioSite *site)
{
  g_return_if_fail (site != NULL && site->mixer == mixer);

  if (site->slot >= 0)
    mixer->slots[site->slot].talker = NULL;
  g_debug ("site %u: removed", site->id);
  g_ptr_array_remove_fast (mixer->sites, site);
}

guint
mcu_audio_site_get_id (const McuAudioSite *site)
{
  return site->id;
}

int
mcu_audio_site_push (McuAudioSite *site, const guint8 *opus_payload, gsize len, guint16 seq,
                     guint32 rtp_ts, int audio_level_dbov, gint64 arrival_us)
{
  return mcu_audio_jitter_push (&site->jitter, opus_payload, len, seq, rtp_ts, audio_level_dbov,
                                arrival_us);
}

void
mcu_audio_site_set_muted (McuAudioSite *site, gboolean operator_muted, gboolean self_muted)
{
  site->operator_muted = operator_muted;
  site->self_muted = self_muted;
}

void
mcu_audio_site_set_listener_loss (McuAudioSite *site, double loss_fraction)
{
  site->listener_loss = isfinite (loss_fraction) ? CLAMP (loss_fraction, 0.0, 1.0) : 0.0;
}

/* ---- per tick: decoding ---- */

static gboolean
site_eligible (const McuAudioSite *site)
{
  return !site->operator_muted && !site->self_muted;
}

/* Not worth decoding: muted, or the sender says silence and the site is not being heard. */
static gboolean
site_may_skip (const McuAudioSite *site, const McuAudioSlot *slot)
{
  if (!site_eligible (site))
    return TRUE;
  if (slot->level < 0 || site->talker.selected || site->talker.hang > 0)
    return FALSE;
  return -slot->level < site->mixer->config.noise_floor_dbov - SKIP_MARGIN_DB;
}

static int
run_decoder (McuAudioSite *site, const guint8 *data, int len, guint samples, int fec)
{
  int n;

  site->mixer->decodes_last++;
  n = opus_decode_float (site->decoder, data, len, site->pcm + site->fill, (int) samples, fec);
  if (n < 0) {
    site->decode_errors++;
    site->decoder_stale = TRUE;
    return 0;
  }
  site->decoded = TRUE;
  return n;
}

static void
append_silence (McuAudioSite *site, guint samples)
{
  memset (site->pcm + site->fill, 0, samples * sizeof (float));
  site->fill += samples;
}

static void
decode_packet (McuAudioSite *site, const McuAudioSlot *slot)
{
  int n;

  if (site_may_skip (site, slot)) {
    if (site_eligible (site)) {
      site->skipped_silent++;
      site->skipped_level = MAX (site->skipped_level, -(double) slot->level);
    }
    site->decoder_stale = TRUE;
    append_silence (site, slot->samples);
    return;
  }
  if (site->decoder_stale) {
    opus_decoder_ctl (site->decoder, OPUS_RESET_STATE);
    site->decoder_stale = FALSE;
  }
  n = run_decoder (site, slot->data, slot->len, MCU_AUDIO_MAX_PACKET_SAMPLES, 0);
  if (n == 0)
    append_silence (site, slot->samples);
  else
    site->fill += (guint) n;
}

/* FEC or PLC: only meaningful while the decoder follows the stream. */
static void
decode_repair (McuAudioSite *site, const McuAudioSlot *fec_slot, guint samples)
{
  int n = 0;

  if (!site->decoder_stale && site_eligible (site)) {
    n = fec_slot ? run_decoder (site, fec_slot->data, fec_slot->len, samples, 1)
                 : run_decoder (site, NULL, 0, samples, 0);
  }
  if (n == 0)
    append_silence (site, samples);
  else
    site->fill += (guint) n;
}

static void
decode_step (McuAudioSite *site, const McuAudioStep *step)
{
  switch (step->kind) {
  case MCU_AUDIO_STEP_PACKET:
    decode_packet (site, step->slot);
    break;
  case MCU_AUDIO_STEP_FEC:
    decode_repair (site, step->slot, step->samples);
    break;
  case MCU_AUDIO_STEP_PLC:
    decode_repair (site, NULL, step->samples);
    break;
  }
}

static double
measure_level (const float *pcm, guint n)
{
  double sum = 0.0;

  for (guint i = 0; i < n; i++)
    sum += (double) pcm[i] * pcm[i];
  if (sum <= 0.0)
    return MCU_AUDIO_SILENCE_DBOV;
  return MAX (10.0 * log10 (sum / n), MCU_AUDIO_SILENCE_DBOV);
}

/* Moves the tick's 20 ms out of the site's decoded FIFO into site->frame. */
static void
take_frame (McuAudioSite *site)
{
  guint n = MIN (site->fill, (guint) FRAME);

  memcpy (site->frame, site->pcm, n * sizeof (float));
  memset (site->frame + n, 0, (FRAME - n) * sizeof (float));
  memmove (site->pcm, site->pcm + n, (site->fill - n) * sizeof (float));
  site->fill -= n;
}

/* A good moment to drop 20 ms to shorten the site's delay: it is not heard, or its talker pauses between
 * words (inactive for PAUSE_TICKS ticks: the dropped frame only shortens the pause). */
static gboolean
site_in_pause (const McuAudioSite *site)
{
  return !site->talker.selected || site->talker.quiet_run >= PAUSE_TICKS;
}

static void
site_produce (McuAudioSite *site, gint64 now_us)
{
  McuAudioStep step;
  McuAudioTickPlan plan;

  site->decoded = FALSE;
  site->skipped_level = MCU_AUDIO_SILENCE_DBOV;
  plan = mcu_audio_jitter_begin_tick (&site->jitter, now_us, site->fill, site_in_pause (site));
  if (plan == MCU_AUDIO_TICK_IDLE) {
    site->decoder_stale = TRUE;
  } else if (plan == MCU_AUDIO_TICK_STALL && site->fill < FRAME) {
    decode_repair (site, NULL, FRAME);
  } else {
    while (site->fill < FRAME && mcu_audio_jitter_pull (&site->jitter, &step))
      decode_step (site, &step);
  }
  take_frame (site);
  if (site->decoded)
    site->level_dbov = measure_level (site->frame, FRAME);
  else
    site->level_dbov = site->skipped_level;
}

/* ---- per tick: selection and streams ---- */

static void
update_talkers (McuAudioMixer *mixer)
{
  for (guint i = 0; i < mixer->sites->len; i++) {
    McuAudioSite *site = g_ptr_array_index (mixer->sites, i);
    int change = mcu_audio_talker_update (&site->talker, &mixer->select, site->level_dbov,
                                          site_eligible (site));

    mixer->talkers[i] = &site->talker;
    if (change != 0 && mixer->callbacks.on_talking)
      mixer->callbacks.on_talking (site->id, change > 0, mixer->user_data);
  }
}

static void
set_loss_hint (Stream *stream, int percent)
{
  if (stream->loss_hint == percent)
    return;
  stream->loss_hint = percent;
  opus_encoder_ctl (stream->encoder, OPUS_SET_PACKET_LOSS_PERC (percent));
}

static int
loss_percent (const McuAudioMixer *mixer, double loss)
{
  return MAX ((int) ceil (loss * 100.0 - 1e-9), (int) mixer->config.fec_min_loss_percent);
}

static int
compare_doubles (const void *pa, const void *pb)
{
  double a = *(const double *) pa;
  double b = *(const double *) pb;

  return a < b ? -1 : (a > b ? 1 : 0);
}

/* The shared stream's hint: its listeners' loss at the 90th percentile (the worst under ten). */
static void
update_loss_hints (McuAudioMixer *mixer)
{
  guint n = 0;
  double loss = 0.0;

  for (guint i = 0; i < mixer->sites->len; i++) {
    McuAudioSite *site = g_ptr_array_index (mixer->sites, i);
    if (site->slot < 0)
      mixer->losses[n++] = site->listener_loss;
  }
  if (n > 0) {
    qsort (mixer->losses, n, sizeof (double), compare_doubles);
    loss = mixer->losses[n - 1 - n / 10];
  }
  set_loss_hint (&mixer->shared, loss_percent (mixer, loss));
  for (guint k = 0; k < mixer->config.talkers; k++) {
    if (mixer->slots[k].talker)
      set_loss_hint (&mixer->slots[k], loss_percent (mixer, mixer->slots[k].talker->listener_loss));
  }
}

/* Frees the slots of talkers no longer selected, then gives free slots to the newly selected. */
static gboolean
assign_slots (McuAudioMixer *mixer)
{
  gboolean changed = FALSE;

  for (guint k = 0; k < mixer->config.talkers; k++) {
    McuAudioSite *talker = mixer->slots[k].talker;
    if (talker && !talker->talker.selected) {
      talker->slot = -1;
      mixer->slots[k].talker = NULL;
      changed = TRUE;
    }
  }
  for (guint i = 0; i < mixer->sites->len; i++) {
    McuAudioSite *site = g_ptr_array_index (mixer->sites, i);
    if (!site->talker.selected || site->slot >= 0)
      continue;
    for (guint k = 0; k < mixer->config.talkers; k++) {
      Stream *slot = &mixer->slots[k];
      if (slot->talker)
        continue;
      slot->talker = site;
      site->slot = (int) k;
      opus_encoder_ctl (slot->encoder, OPUS_RESET_STATE);
      slot->limiter.gain = mixer->shared.limiter.gain;
      changed = TRUE;
      break;
    }
  }
  return changed;
}

static void
encode_stream (McuAudioMixer *mixer, Stream *stream)
{
  mcu_audio_limiter_process (&stream->limiter, stream->pcm, FRAME);
  stream->len = opus_encode_float (stream->encoder, stream->pcm, FRAME, stream->packet, MAX_OUT_PACKET);
  mixer->encodes_last++;
}

static void
mix_and_encode (McuAudioMixer *mixer)
{
  memset (mixer->mix, 0, sizeof mixer->mix);
  for (guint k = 0; k < mixer->config.talkers; k++) {
    const McuAudioSite *talker = mixer->slots[k].talker;
    for (guint s = 0; talker && s < FRAME; s++)
      mixer->mix[s] += talker->frame[s];
  }
  memcpy (mixer->shared.pcm, mixer->mix, sizeof mixer->mix);
  encode_stream (mixer, &mixer->shared);
  for (guint k = 0; k < mixer->config.talkers; k++) {
    Stream *slot = &mixer->slots[k];
    slot->len = 0;
    if (slot->talker == NULL)
      continue;
    for (guint s = 0; s < FRAME; s++)
      slot->pcm[s] = mixer->mix[s] - slot->talker->frame[s];
    encode_stream (mixer, slot);
  }
}

static void
deliver_all (McuAudioMixer *mixer, gint64 now_us)
{
  guint32 rtp_ts = mixer->ts_base + (guint32) (mixer->ticks * FRAME);

  if (mixer->callbacks.deliver == NULL)
    return;
  for (guint i = 0; i < mixer->sites->len; i++) {
    McuAudioSite *site = g_ptr_array_index (mixer->sites, i);
    const Stream *stream = site->slot >= 0 ? &mixer->slots[site->slot] : &mixer->shared;
    if (stream->len > 0)
      mixer->callbacks.deliver (site, stream->packet, (gsize) stream->len, rtp_ts, now_us,
                                mixer->user_data);
  }
}

/* The longest any heard talker's audio waited in this tick: its jitter buffer delay + the tick. */
static void
record_held (McuAudioMixer *mixer, guint tick_us)
{
  gint64 held = -1;

  for (guint k = 0; k < mixer->config.talkers; k++) {
    const McuAudioSite *talker = mixer->slots[k].talker;
    if (talker != NULL && talker->decoded)
      held = MAX (held, MAX (talker->jitter.delay_us, 0));
  }
  if (held < 0)
    return;
  mixer->held_us[mixer->held_ticks % TIMING_WINDOW] = (guint) MIN (held + tick_us, (gint64) G_MAXUINT);
  mixer->held_ticks++;
}

static gint64
monotonic_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

gint64
mcu_audio_mixer_get_tick_slack_us (const McuAudioMixer *mixer)
{
  gint64 slack = -1;

  for (guint k = 0; k < mixer->config.talkers; k++) {
    const McuAudioSite *talker = mixer->slots[k].talker;
    if (talker == NULL || !talker->decoded)
      continue;
    gint64 s = mcu_audio_jitter_get_slack_us (&talker->jitter);
    slack = slack < 0 ? s : MIN (slack, s);
  }
  return slack;
}

void
mcu_audio_mixer_tick (McuAudioMixer *mixer, gint64 now_us)
{
  gint64 start = monotonic_ns ();

  mixer->encodes_last = 0;
  mixer->decodes_last = 0;
  for (guint i = 0; i < mixer->sites->len; i++)
    site_produce (g_ptr_array_index (mixer->sites, i), now_us);
  update_talkers (mixer);
  mixer->selected = mcu_audio_select (mixer->talkers, mixer->sites->len, mixer->ranks, &mixer->select,
                                      mixer->ticks);
  if (assign_slots (mixer) || mixer->ticks % HINT_EVERY_TICKS == 0)
    update_loss_hints (mixer);
  mix_and_encode (mixer);
  deliver_all (mixer, now_us);
  mixer->encodes_total += mixer->encodes_last;
  mixer->decodes_total += mixer->decodes_last;
  mixer->tick_us[mixer->ticks % TIMING_WINDOW] = (guint) ((monotonic_ns () - start + 500) / 1000);
  record_held (mixer, mixer->tick_us[mixer->ticks % TIMING_WINDOW]);
  mixer->ticks++;
}

/* ---- stats ---- */

static int
compare_uints (const void *pa, const void *pb)
{
  guint a = *(const guint *) pa;
  guint b = *(const guint *) pb;

  return a < b ? -1 : (a > b ? 1 : 0);
}

void
mcu_audio_mixer_get_stats (McuAudioMixer *mixer, McuAudioMixerStats *stats)
{
  guint sorted[TIMING_WINDOW];
  guint n = (guint) MIN (mixer->ticks, (guint64) TIMING_WINDOW);

  *stats = (McuAudioMixerStats) {
    .ticks = mixer->ticks,
    .sites = mixer->sites->len,
    .encodes_last_tick = mixer->encodes_last,
    .decodes_last_tick = mixer->decodes_last,
    .encodes_total = mixer->encodes_total,
    .decodes_total = mixer->decodes_total,
    .selected = mixer->selected,
    .loss_hint_shared = (guint) mixer->shared.loss_hint,
  };
  if (n == 0)
    return;
  memcpy (sorted, mixer->tick_us, n * sizeof (guint));
  qsort (sorted, n, sizeof (guint), compare_uints);
  stats->tick_us_p50 = sorted[n / 2];
  stats->tick_us_p99 = sorted[MIN (n - 1, n * 99 / 100)];
  stats->tick_us_max = sorted[n - 1];
  n = (guint) MIN (mixer->held_ticks, (guint64) TIMING_WINDOW);
  if (n == 0)
    return;
  memcpy (sorted, mixer->held_us, n * sizeof (guint));
  qsort (sorted, n, sizeof (guint), compare_uints);
  stats->held_us_p50 = sorted[n / 2];
  stats->held_us_p99 = sorted[MIN (n - 1, n * 99 / 100)];
}

void
mcu_audio_site_get_stats (const McuAudioSite *site, McuAudioSiteStats *stats)
{
  const McuAudioJitterCounters *c = &site->jitter.counters;

  *stats = (McuAudioSiteStats) {
    .site_id = site->id,
    .packets = c->packets,
    .played = c->played,
    .concealed = c->concealed,
    .recovered = c->recovered,
    .late = c->late,
    .duplicate = c->duplicate,
    .dropped = c->dropped,
    .expanded = c->expanded,
    .skipped_silent = site->skipped_silent,
    .decode_errors = site->decode_errors,
    .jitter_target_ms = (guint) (site->jitter.target_us / 1000),
    .jitter_delay_ms = (guint) MAX (site->jitter.delay_us / 1000, 0),
    .level_dbov = site->level_dbov,
    .selected = site->talker.selected,
    .talking = site->talker.talking,
    .loss_hint = site->slot >= 0 ? (guint) site->mixer->slots[site->slot].loss_hint : 0,
  };
}
