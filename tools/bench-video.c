/* SPDX-License-Identifier: MIT */
/*
 * bench-video: the video mixer under load. S sites replay pre-encoded VP8 640x360 (made at start from a
 * moving synthetic pattern, 4 variants, by media-gen.c as tools/loadgen sends it) through the real depacketizer at 25 fps from one "media" thread
 * (real mode: in 8 groups spread over the 40 ms, so frames wait for the mixer's tick as independent sites' do);
 * the mixer runs its own threads with every tier active. For each layout and S it prints CPU seconds per
 * second (whole process: media thread + video threads), decodes per second, encodes per tier and the
 * compose+encode time per output frame (p50/p99), and the tick (decode + compose + encode) p50/p99; in real
 * mode also each tier's server-added latency p50/p99 (a site's frame in to the first composite showing it out).
 * Also compares composing each tier against composing 1280x720 and scaling it down.
 * Receivers are not simulated: every receiver of a tier gets the same payloads (only SRTP differs).
 *
 * Two modes per configuration: "sim" runs on a media clock in one thread (the sites' frames in 8 groups
 * over the 40 ms, tick, tiers one after the other) and measures CPU demand independent of other load on
 * the machine; "real" runs the mixer's threads against the wall clock and measures latency (which other
 * processes on the cores do affect). In sim mode the latency is the media clock's wait for the tick plus
 * the tick's own wall time (decode of what is left, compose, every tier's encode in turn).
 * --decode picks when the mixer decodes a visible site's frame: "arrival" (the mixer's default: the
 * media thread wakes the video thread, which decodes it at once; in sim mode after each group) or
 * "tick" (all at the tick, decode_on_arrival off); a list runs each in turn, e.g. arrival,tick,arrival,tick
 * for an A/B on a busy machine. --tiers 2 keeps 1280x720 + 640x360 only (the mcu's default outputs).
 *
 *   build-video/tools/bench-video [--seconds 30] [--sites 16,50,100] [--layouts 4x4,1+7] [--mode sim,real]
 *                                 [--decode arrival|tick,...] [--tiers 1-3] [--cpu-used N] [--png FILE]
 */
#include <cairo.h>
#include <libyuv.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#include "media/video-compose.h"
#include "media/video-mixer.h"
#include "media/vp8-depay.h"
#include "media/vp8-pay.h"
#include "media-gen.h"

#define W 640
#define H 360
#define FPS 25
#define FRAMES 100 /* 4 s loop; frame 0 is the only key frame */
#define VARIANTS 4
#define MAX_SITES 200
#define MAX_PAYLOAD 1200
#define MEDIA_SLOTS 8 /* real mode: the sites' frames come spread over the 40 ms, as independent sites send */

typedef struct {
  McuVideoSite *site;
  const MediaGenVideoSequence *seq;
  guint frame;
  guint16 rtp_seq;
  guint32 ts;
  gint keyframe_wanted;
} BenchSite;

typedef struct {
  BenchSite sites[MAX_SITES];
  guint n_sites;
  gint stop;
  guint64 bytes[MCU_VIDEO_MAX_TIERS];
  McuVideoMixer *mixer;
  guint8 *png_planes[3];
  gint png_w, png_h, png_stride;
  gint want_png;
  McuVp8Depay *png_depay;
  vpx_codec_ctx_t png_decoder;
  gint64 *tick_cpu;      /* sim: the CPU time of each tick (the critical path when alone on a core) */
  guint n_tick_cpu;
} Bench;

static void
on_packet (guint tier, const guint8 *payload, gsize len, guint32 ts, gboolean marker, gboolean key, gpointer user)
{
  Bench *b = user;

  __atomic_fetch_add (&b->bytes[tier], len, __ATOMIC_RELAXED);
  if (tier != 0 || !g_atomic_int_get (&b->want_png))
    return;
  /* Tier 0 is only ever called from its own worker: the snapshot decoder needs no lock. */
  guint16 seq = (guint16) mcu_vp8_depay_stats (b->png_depay)->packets;
  if (mcu_vp8_depay_push (b->png_depay, payload, len, seq, ts, marker) != MCU_VP8_DEPAY_FRAME)
    return;
  gsize flen;
  const guint8 *frame = mcu_vp8_depay_frame (b->png_depay, &flen, NULL, NULL);
  vpx_codec_iter_t iter = NULL;
  vpx_image_t *img;
  vpx_codec_decode (&b->png_decoder, frame, (unsigned) flen, NULL, 0);
  while ((img = vpx_codec_get_frame (&b->png_decoder, &iter)) != NULL) {
    b->png_w = (gint) img->d_w;
    b->png_h = (gint) img->d_h;
    for (guint p = 0; p < 3; p++) {
      gsize size = (gsize) img->stride[p] * (p ? (img->d_h + 1) / 2 : img->d_h);
      g_free (b->png_planes[p]);
      b->png_planes[p] = g_memdup2 (img->planes[p], size);
    }
    b->png_stride = img->stride[0]; /* the chroma stride is half of it in libvpx's buffers */
  }
}

static void
on_request_keyframe (guint site_id, gboolean content, gpointer user)
{
  Bench *b = user;

  if (site_id >= 1 && site_id <= b->n_sites)
    g_atomic_int_set (&b->sites[site_id - 1].keyframe_wanted, 1);
}

/* One frame of each site of @slot (of @n_slots: site i is in slot i % n_slots) through the real push path. */
static void
push_frames (Bench *b, gint64 now, guint slot, guint n_slots)
{
  for (guint i = slot; i < b->n_sites; i += n_slots) {
    BenchSite *s = &b->sites[i];
    if (g_atomic_int_compare_and_exchange (&s->keyframe_wanted, 1, 0))
      s->frame = 0;
    GArray *packets = s->seq->frames[s->frame];
    s->ts += 90000 / FPS;
    for (guint k = 0; k < packets->len; k++) {
      MediaGenVideoPacket *p = &g_array_index (packets, MediaGenVideoPacket, k);
      mcu_video_site_push_rtp (s->site, p->data, p->len, 0, s->rtp_seq++, s->ts, p->marker, FALSE, now);
    }
    s->frame = (s->frame + 1) % FRAMES;
  }
}

static gpointer
media_main (gpointer data)
{
  Bench *b = data;
  gint64 next = g_get_monotonic_time ();
  GMutex lock;
  GCond cond;

  g_mutex_init (&lock);
  g_cond_init (&cond);
  for (guint slot = 0; !g_atomic_int_get (&b->stop); slot = (slot + 1) % MEDIA_SLOTS) {
    push_frames (b, g_get_monotonic_time (), slot, MEDIA_SLOTS);
    next += G_USEC_PER_SEC / FPS / MEDIA_SLOTS;
    g_mutex_lock (&lock); /* pacing only: nothing signals this condition */
    while (!g_atomic_int_get (&b->stop) && g_cond_wait_until (&cond, &lock, next))
      ;
    g_mutex_unlock (&lock);
  }
  g_mutex_clear (&lock);
  g_cond_clear (&cond);
  return NULL;
}

static double
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void
write_png (Bench *b, const char *path)
{
  gint stride = b->png_stride, w = b->png_w, h = b->png_h;
  if (b->png_planes[0] == NULL)
    return;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cairo_surface_flush (surface);
  I420ToARGB (b->png_planes[0], stride, b->png_planes[1], stride / 2, b->png_planes[2], stride / 2,
              cairo_image_surface_get_data (surface), cairo_image_surface_get_stride (surface), w, h);
  cairo_surface_mark_dirty (surface);
  cairo_surface_write_to_png (surface, path);
  cairo_surface_destroy (surface);
}

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

typedef struct {
  McuVideoLayoutKind layout;
  guint n_sites, seconds, n_tiers;
  gboolean simulated, on_arrival;
  int cpu_used;
} RunSetup;

/* Sim mode: one 40 ms interval on the media clock ending at @now: the groups of sites send in turn (the
 * last one at the tick), each decoded as it arrives when @on_arrival, then the tick. */
static void
sim_interval (Bench *b, gint64 now, gboolean on_arrival)
{
  const gint64 step = G_USEC_PER_SEC / FPS / MEDIA_SLOTS;

  for (guint slot = 0; slot < MEDIA_SLOTS; slot++) {
    gint64 at = now - (gint64) (MEDIA_SLOTS - 1 - slot) * step;
    push_frames (b, at, slot, MEDIA_SLOTS);
    if (on_arrival)
      mcu_video_mixer_decode_arrived (b->mixer, at);
  }
  gint64 cpu = thread_cpu_us ();
  mcu_video_mixer_tick (b->mixer, now);
  b->tick_cpu[b->n_tick_cpu++] = thread_cpu_us () - cpu;
}

static int
compare_gint64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

/* Sim mode: the ticks' CPU time p50/p99 (decode of what is left, compose, the tiers' encodes in turn). */
static void
print_tick_cpu (Bench *b)
{
  guint n = b->n_tick_cpu;

  if (n == 0)
    return;
  qsort (b->tick_cpu, n, sizeof (gint64), compare_gint64);
  g_print ("    tick cpu p50/p99 %.1f/%.1f ms (one thread: what the tick adds to the latency on a quiet core)\n",
           b->tick_cpu[n / 2] / 1000.0, b->tick_cpu[MIN (n - 1, n * 99 / 100)] / 1000.0);
}

static void
run (const MediaGenVideoSequence *seqs, const RunSetup *setup, const char *png)
{
  McuVideoLayoutKind layout = setup->layout;
  guint n_sites = setup->n_sites, seconds = setup->seconds;
  gboolean simulated = setup->simulated;
  int cpu_used = setup->cpu_used;
  Bench *b = g_new0 (Bench, 1);
  McuVideoMixerConfig config;
  McuVideoMixerCallbacks cb = { on_packet, on_request_keyframe, NULL, NULL };
  g_autoptr (GError) error = NULL;
  McuVideoMixerStats s0, s1;

  mcu_video_mixer_config_init (&config);
  config.layout = layout;
  if (cpu_used != 0)
    config.encoder.cpu_used = cpu_used;
  config.n_tiers = CLAMP (setup->n_tiers, 1, config.n_tiers);
  config.decode_on_arrival = setup->on_arrival;
  b->n_sites = n_sites;
  b->tick_cpu = g_new0 (gint64, (gsize) seconds * FPS + 1);
  b->want_png = png != NULL;
  b->png_depay = mcu_vp8_depay_new (1 << 20);
  vpx_codec_dec_cfg_t dcfg = { .threads = 1 };
  vpx_codec_dec_init (&b->png_decoder, vpx_codec_vp8_dx (), &dcfg, 0);
  b->mixer = mcu_video_mixer_new (&config, &cb, b, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n_sites; i++) {
    g_autofree char *name = g_strdup_printf ("Trường THCS số %u", i + 1);
    b->sites[i].site = mcu_video_mixer_add_site (b->mixer, i + 1, name, NULL);
    b->sites[i].seq = &seqs[i % VARIANTS];
    b->sites[i].frame = (i * 7) % FRAMES;
    b->sites[i].rtp_seq = (guint16) (i * 1000);
  }
  mcu_video_mixer_set_main_talker (b->mixer, 1);
  GThread *media = NULL;
  if (!simulated) {
    mcu_video_mixer_start (b->mixer, &error);
    g_assert_no_error (error);
    media = g_thread_new ("bench-media", media_main, b);
  }
  mcu_video_mixer_get_stats (b->mixer, &s0);
  double cpu0 = cpu_seconds ();
  gint64 t0 = g_get_monotonic_time ();
  gint64 now = t0;
  for (guint sec = 0; sec < seconds; sec++) {
    if (simulated) {
      /* Media time, not wall time: one thread pushes and ticks (tiers run one after the other), so the
       * CPU time used per media second is the demand, whatever else the machine is doing. */
      for (guint k = 0; k < FPS; k++) {
        now += G_USEC_PER_SEC / FPS;
        sim_interval (b, now, setup->on_arrival);
      }
    } else {
      g_usleep (G_USEC_PER_SEC); /* the run's clock, not a stand-in for an event */
    }
    if (sec % 3 == 2) /* the talker changes every 3 s (hold time 2 s) */
      mcu_video_mixer_set_main_talker (b->mixer, 1 + g_random_int_range (0, (gint) n_sites));
  }
  double wall = simulated ? seconds : (g_get_monotonic_time () - t0) / 1e6;
  double cpu = cpu_seconds () - cpu0;
  mcu_video_mixer_get_stats (b->mixer, &s1);
  g_atomic_int_set (&b->stop, 1);
  if (media)
    g_thread_join (media);
  g_print ("%s layout %-4s S=%3u  decode at %-7s  cpu %.2f s/s  decodes %.0f/s (%.0f %% on arrival)  decoders %u  ticks %" G_GUINT64_FORMAT
           "  tick p50/p99 %.1f/%.1f ms  dropped %" G_GUINT64_FORMAT "  PLIs %" G_GUINT64_FORMAT "\n",
           simulated ? "sim " : "real", mcu_video_layout_name (layout), n_sites, setup->on_arrival ? "arrival" : "tick",
           cpu / wall, (s1.decoded_frames - s0.decoded_frames) / wall,
           100.0 * (s1.decoded_on_arrival - s0.decoded_on_arrival) / MAX (s1.decoded_frames - s0.decoded_frames, 1),
           s1.decoders_open, s1.ticks - s0.ticks, s1.tick_p50_us / 1000.0, s1.tick_p99_us / 1000.0,
           s1.queue_dropped, s1.keyframe_requests);
  for (guint t = 0; t < s1.n_tiers; t++) {
    /* after the configured sizes come the ladder's thumbnail and still tiers */
    const McuVideoTierConfig *size = t < config.n_tiers ? &config.tiers[t]
                                     : t == config.n_tiers ? &config.thumbnail : &config.still;
    g_print ("    tier %u %4dx%-4d encodes %.1f/s (%" G_GUINT64_FORMAT " key)  %.0f kbit/s  compose+encode p50/p99 %.1f/%.1f ms (cpu %.1f/%.1f)",
             t, size->width, size->height, (s1.tiers[t].frames - s0.tiers[t].frames) / wall,
             s1.tiers[t].keyframes, (s1.tiers[t].bytes - s0.tiers[t].bytes) * 8 / wall / 1000,
             s1.tiers[t].time_p50_us / 1000.0, s1.tiers[t].time_p99_us / 1000.0,
             s1.tiers[t].cpu_p50_us / 1000.0, s1.tiers[t].cpu_p99_us / 1000.0);
    /* frame in to composite out (sim: on the media clock plus the tick's wall time, tiers in turn) */
    g_print ("  latency p50/p99 %.1f/%.1f ms", s1.tiers[t].latency_p50_us / 1000.0, s1.tiers[t].latency_p99_us / 1000.0);
    g_print ("\n");
  }
  print_tick_cpu (b);
  mcu_video_mixer_free (b->mixer);
  if (png)
    write_png (b, png);
  for (guint p = 0; p < 3; p++)
    g_free (b->png_planes[p]);
  vpx_codec_destroy (&b->png_decoder);
  mcu_vp8_depay_free (b->png_depay);
  g_free (b->tick_cpu);
  g_free (b);
}

/* CPU time of decoding one pre-encoded 640x360 frame (the sequence, packets reassembled). */
static void
measure_decode (const MediaGenVideoSequence *seq)
{
  vpx_codec_ctx_t decoder;
  vpx_codec_dec_cfg_t cfg = { .threads = 1 };
  guint8 *frame = g_malloc (1 << 20);
  gint64 cpu = 0;
  gsize total = 0;

  vpx_codec_dec_init (&decoder, vpx_codec_vp8_dx (), &cfg, 0);
  for (guint n = 0; n < FRAMES; n++) {
    gsize len = 0;
    for (guint k = 0; k < seq->frames[n]->len; k++) {
      MediaGenVideoPacket *p = &g_array_index (seq->frames[n], MediaGenVideoPacket, k);
      memcpy (frame + len, p->data + MCU_VP8_PAY_DESCRIPTOR_LEN, p->len - MCU_VP8_PAY_DESCRIPTOR_LEN);
      len += p->len - MCU_VP8_PAY_DESCRIPTOR_LEN;
    }
    total += len;
    gint64 t0 = thread_cpu_us ();
    vpx_codec_decode (&decoder, frame, (unsigned) len, NULL, 0);
    vpx_codec_iter_t iter = NULL;
    while (vpx_codec_get_frame (&decoder, &iter) != NULL)
      ;
    cpu += thread_cpu_us () - t0;
  }
  g_print ("decode 640x360 VP8 (%.0f kbit/s at 25 fps): %.2f ms CPU per frame\n",
           total * 8.0 * FPS / FRAMES / 1000, cpu / 1000.0 / FRAMES);
  vpx_codec_destroy (&decoder);
  g_free (frame);
}

/* Composing each tier from the sources vs composing 1280x720 once and scaling it down to the others. */
static void
compare_compose (void)
{
  const gint sizes[3][2] = { { 1280, 720 }, { 640, 360 }, { 320, 180 } };
  McuVideoCanvas *canvas[3];
  vpx_image_t *img = vpx_img_alloc (NULL, VPX_IMG_FMT_I420, W, H, 16);
  McuVideoTileDraw tiles[3][16];
  const guint rounds = 200;

  media_gen_draw_pattern (img, 0, 0);
  for (guint c = 0; c < 3; c++) {
    canvas[c] = mcu_video_canvas_new (sizes[c][0], sizes[c][1]);
    for (guint i = 0; i < 16; i++) {
      McuVideoTileDraw *t = &tiles[c][i];
      memset (t, 0, sizeof *t);
      t->kind = MCU_VIDEO_TILE_PICTURE;
      mcu_video_layout_tile_rect (MCU_VIDEO_LAYOUT_4X4, i, sizes[c][0], sizes[c][1], &t->rect);
      for (guint p = 0; p < 3; p++) {
        t->picture.planes[p] = img->planes[p];
        t->picture.strides[p] = img->stride[p];
      }
      t->picture.width = W;
      t->picture.height = H;
    }
  }
  gint64 t0 = g_get_monotonic_time ();
  for (guint r = 0; r < rounds; r++)
    for (guint c = 0; c < 3; c++)
      mcu_video_compose (canvas[c], tiles[c], 16);
  gint64 t1 = g_get_monotonic_time ();
  for (guint r = 0; r < rounds; r++) {
    mcu_video_compose (canvas[0], tiles[0], 16);
    for (guint c = 1; c < 3; c++)
      I420Scale (canvas[0]->planes[0], canvas[0]->strides[0], canvas[0]->planes[1], canvas[0]->strides[1],
                 canvas[0]->planes[2], canvas[0]->strides[2], 1280, 720, canvas[c]->planes[0],
                 canvas[c]->strides[0], canvas[c]->planes[1], canvas[c]->strides[1], canvas[c]->planes[2],
                 canvas[c]->strides[2], sizes[c][0], sizes[c][1], kFilterBox);
  }
  gint64 t2 = g_get_monotonic_time ();
  g_print ("compose 4x4 of 640x360 sources, all 3 tiers: per tier %.2f ms; 1280x720 + scale down %.2f ms "
           "(per output frame set)\n", (t1 - t0) / 1000.0 / rounds, (t2 - t1) / 1000.0 / rounds);
  for (guint c = 0; c < 3; c++)
    mcu_video_canvas_free (canvas[c]);
  vpx_img_free (img);
}

int
main (int argc, char **argv)
{
  gint seconds = 30, cpu_used = 0;
  g_autofree char *sites = g_strdup ("16,50,100");
  g_autofree char *layouts = g_strdup ("4x4,1+7");
  g_autofree char *png = NULL;
  g_autofree char *mode = g_strdup ("sim,real");
  g_autofree char *decode = g_strdup ("arrival");
  gint tiers = 3;
  GOptionEntry entries[] = {
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "seconds per run (30)", "N" },
    { "sites", 0, 0, G_OPTION_ARG_STRING, &sites, "site counts (16,50,100)", "LIST" },
    { "layouts", 0, 0, G_OPTION_ARG_STRING, &layouts, "layouts (4x4,1+7)", "LIST" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode, "sim (media clock, CPU demand), real (threads, wall clock) or both", "LIST" },
    { "decode", 0, 0, G_OPTION_ARG_STRING, &decode, "when visible sites are decoded: arrival, tick, or a list run in turn (arrival)", "LIST" },
    { "tiers", 0, 0, G_OPTION_ARG_INT, &tiers, "sized tiers: 3 (1280x720, 640x360, 320x180), 2 or 1 (3)", "N" },
    { "cpu-used", 0, 0, G_OPTION_ARG_INT, &cpu_used, "the encoder's speed, -16 (fastest) to -1 (default: the mcu's)", "N" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &png, "write the last tier-0 composite of the last run", "FILE" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- video mixer benchmark");
  g_autoptr (GError) error = NULL;
  MediaGenVideoSequence seqs[VARIANTS] = { { 0 } };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("bench-video: %s\n", error->message);
    return 2;
  }
  for (guint v = 0; v < VARIANTS; v++) {
    if (!media_gen_video_sequence_init (&seqs[v], FRAMES, v, 500, MAX_PAYLOAD, &error)) {
      g_printerr ("bench-video: %s\n", error->message);
      return 1;
    }
  }
  g_auto (GStrv) decode_list = g_strsplit (decode, ",", -1);
  for (guint d = 0; decode_list[d]; d++) {
    if (strcmp (decode_list[d], "arrival") != 0 && strcmp (decode_list[d], "tick") != 0) {
      g_printerr ("bench-video: --decode takes arrival or tick, not '%s'\n", decode_list[d]);
      return 2;
    }
  }
  if (tiers < 1 || tiers > 3) {
    g_printerr ("bench-video: --tiers must be 1 to 3\n");
    return 2;
  }
  measure_decode (&seqs[0]);
  compare_compose ();
  g_auto (GStrv) layout_list = g_strsplit (layouts, ",", -1);
  g_auto (GStrv) site_list = g_strsplit (sites, ",", -1);
  for (guint l = 0; layout_list[l]; l++) {
    McuVideoLayoutKind kind;
    if (!mcu_video_layout_parse (layout_list[l], &kind)) {
      g_printerr ("bench-video: unknown layout '%s'\n", layout_list[l]);
      return 2;
    }
    for (guint s = 0; site_list[s]; s++) {
      guint64 n = 0;
      if (!g_ascii_string_to_unsigned (site_list[s], 10, 1, MAX_SITES, &n, NULL)) {
        g_printerr ("bench-video: site count '%s' must be 1 to %d\n", site_list[s], MAX_SITES);
        return 2;
      }
      gboolean last = !layout_list[l + 1] && !site_list[s + 1];
      RunSetup setup = { kind, (guint) n, (guint) seconds, (guint) tiers, TRUE, TRUE, cpu_used };
      for (guint d = 0; decode_list[d]; d++) {
        setup.on_arrival = strcmp (decode_list[d], "arrival") == 0;
        setup.simulated = TRUE;
        if (strstr (mode, "sim"))
          run (seqs, &setup, NULL);
        setup.simulated = FALSE;
        if (strstr (mode, "real"))
          run (seqs, &setup, last && !decode_list[d + 1] ? png : NULL);
      }
    }
  }
  for (guint v = 0; v < VARIANTS; v++)
    media_gen_video_sequence_clear (&seqs[v]);
  return 0;
}
