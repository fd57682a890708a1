/* SPDX-License-Identifier: MIT */
/*
 * The persistent part of the agent's pipeline: capture (sources, echo-cancelled audio, encoders) and
 * the playback tail (mixer → echo probe → speakers), plus what adaptation changes in it. Sessions
 * (webrtcbin) are in session.c.
 *
 * Why a silence source in the mixer: the echo canceller needs a continuous far-end signal, and the
 * speakers must not stall while the site is between sessions.
 *
 * Threads: main loop (building, bus, adaptation, reading the counters); pad probes count on streaming
 * threads (atomics): what is sent, and what is received (bridge_media_watch_recv: the Opus decoder's
 * input for concealed frames, the VP8 decoder's output for freezes).
 */
#define G_LOG_DOMAIN "bridge-media"

#include "media-private.h"

#include <gst/video/video.h>
#include <string.h>

G_DEFINE_QUARK (bridge-media-error-quark, bridge_media_error)

GstPadProbeReturn
bridge_media_count_probe (GstPad *pad, GstPadProbeInfo *info, gpointer counter)
{
  guint n = 1;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    n = gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  g_atomic_int_add ((gint *) counter, (gint) n);
  return GST_PAD_PROBE_OK;
}

static char *
video_source (const BridgeMedia *media)
{
  const char *device = media->config.video_device;

  /* Moving colour bars: unlike a ball on black, they make the encoder spend its whole target, so a
   * test site loads its link like a camera does. */
  if (g_str_equal (media->config.source, "test"))
    return g_strdup_printf ("videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! "
                            "video/x-raw,framerate=%u/1", media->config.framerate);
  if (g_str_equal (media->config.source, "auto")) {
    if (*device == '\0' && !g_file_test ("/dev/video0", G_FILE_TEST_EXISTS)) {
      g_warning ("no camera found (/dev/video0): sending a black picture");
      return g_strdup ("videotestsrc is-live=true pattern=black");
    }
    g_autofree char *quoted = g_shell_quote (*device ? device : "/dev/video0");
    return g_strdup_printf ("v4l2src device=%s ! decodebin", quoted);
  }
  return g_strdup ("filedec. ! video/x-raw ! queue ! clocksync");
}

static char *
audio_source (const BridgeMedia *media)
{
  const char *device = media->config.audio_device;

  if (g_str_equal (media->config.source, "test"))
    return g_strdup ("audiotestsrc is-live=true wave=sine freq=440 volume=0.2");
  if (g_str_equal (media->config.source, "auto")) {
    if (*device == '\0')
      return g_strdup ("autoaudiosrc");
    g_autofree char *quoted = g_shell_quote (device);
    return g_strdup_printf ("pulsesrc device=%s", quoted);
  }
  return g_strdup ("filedec. ! audio/x-raw ! queue ! clocksync");
}

static char *
file_decoder (const BridgeMedia *media, GError **error)
{
  const char *source = media->config.source;

  if (g_str_equal (source, "test") || g_str_equal (source, "auto"))
    return g_strdup ("");
  if (!g_file_test (source, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "source '%s' is not test, auto or a readable file", source);
    return NULL;
  }
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (source);
  g_autofree char *uri = g_file_get_uri (file);
  g_autofree char *quoted = g_shell_quote (uri);
  return g_strdup_printf ("uridecodebin uri=%s name=filedec ", quoted);
}

static char *
audio_sink (const BridgeMedia *media)
{
  if (!media->config.headless)
    return g_strdup ("autoaudiosink");
  if (*media->config.audio_file == '\0')
    return g_strdup ("fakesink sync=true");
  g_autofree char *quoted = g_shell_quote (media->config.audio_file);
  return g_strdup_printf ("wavenc ! filesink location=%s", quoted);
}

/* The encoder's input for a ladder step. The capture is scaled to the top size first (a fixed
 * capsfilter), so a step change renegotiates only videorate → videoscale → vp8enc, never the camera. */
static char *
ladder_caps_text (guint width, guint height, guint framerate)
{
  return g_strdup_printf ("video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1,pixel-aspect-ratio=1/1",
                          width, height, framerate);
}

static char *
describe (const BridgeMedia *media, GError **error)
{
  const BridgeMediaConfig *c = &media->config;
  g_autofree char *files = file_decoder (media, error);
  if (files == NULL)
    return NULL;
  g_autofree char *vsrc = video_source (media);
  g_autofree char *asrc = audio_source (media);
  g_autofree char *asink = audio_sink (media);
  g_autofree char *vcaps = ladder_caps_text (c->width, c->height, c->framerate);

  return g_strdup_printf (
    "%s"
    "%s ! queue leaky=downstream max-size-buffers=2 max-size-time=0 max-size-bytes=0 ! videoconvert ! "
    "videoscale ! video/x-raw,width=%u,height=%u,pixel-aspect-ratio=1/1 ! "
    "videorate drop-only=true ! videoscale ! capsfilter name=vcaps caps=%s ! "
    "valve name=vvalve ! vp8enc name=venc deadline=1 cpu-used=8 end-usage=cbr "
    "target-bitrate=%u error-resilient=default+partitions keyframe-max-dist=3000 lag-in-frames=0 threads=2 "
    "buffer-size=1000 buffer-initial-size=500 buffer-optimal-size=600 undershoot=95 max-quantizer=56 "
    "dropframe-threshold=30 resize-allowed=true ! rtpvp8pay pt=%u mtu=1200 picture-id-mode=15-bit ! "
    "tee name=vtee allow-not-linked=true "
    "%s ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1,format=S16LE ! "
    "webrtcdsp name=dsp probe=echoprobe echo-cancel=%s noise-suppression=%s gain-control=%s ! "
    "volume name=mic ! audioconvert ! opusenc name=aenc inband-fec=true packet-loss-percentage=0 "
    "bitrate=%u frame-size=20 audio-type=voice ! rtpopuspay pt=111 mtu=1200 ! "
    "tee name=atee allow-not-linked=true "
    "audiotestsrc is-live=true wave=silence ! audio/x-raw,rate=48000,channels=2,format=S16LE ! "
    "audiomixer name=amix min-upstream-latency=400000000 ! audioconvert ! audioresample ! "
    "webrtcechoprobe name=echoprobe ! %s",
    files, vsrc, c->width, c->height, vcaps, c->video_kbps * 1000, BRIDGE_VIDEO_PT, asrc,
    c->echo_cancel ? "true" : "false", c->noise_suppression ? "true" : "false",
    c->gain_control ? "true" : "false", c->audio_kbps * 1000, asink);
}

static gboolean
on_bus (GstBus *bus, GstMessage *message, gpointer user_data)
{
  BridgeMedia *media = user_data;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    bridge_session_handle_bus_error (media, message);
  else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_LATENCY)
    gst_bin_recalculate_latency (GST_BIN (media->pipeline));
  return G_SOURCE_CONTINUE;
}

static void
copy_config (BridgeMedia *media, const BridgeMediaConfig *config)
{
  media->config = *config;
  media->source = g_strdup (config->source);
  media->video_device = g_strdup (config->video_device ? config->video_device : "");
  media->audio_device = g_strdup (config->audio_device ? config->audio_device : "");
  media->audio_file = g_strdup (config->audio_file ? config->audio_file : "");
  media->config.source = media->source;
  media->config.video_device = media->video_device;
  media->config.audio_device = media->audio_device;
  media->config.audio_file = media->audio_file;
}

static gboolean
find_elements (BridgeMedia *media, GError **error)
{
  GstBin *bin = GST_BIN (media->pipeline);

  media->vtee = gst_bin_get_by_name (bin, "vtee");
  if (media->vtee != NULL) {
    g_autoptr (GstPad) captured = gst_element_get_static_pad (media->vtee, "sink");
    gst_pad_add_probe (captured, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, bridge_media_count_probe,
                       &media->video_packets_captured, NULL);
  }
  media->atee = gst_bin_get_by_name (bin, "atee");
  media->amix = gst_bin_get_by_name (bin, "amix");
  media->venc = gst_bin_get_by_name (bin, "venc");
  media->aenc = gst_bin_get_by_name (bin, "aenc");
  media->vcaps = gst_bin_get_by_name (bin, "vcaps");
  media->vvalve = gst_bin_get_by_name (bin, "vvalve");
  media->mic = gst_bin_get_by_name (bin, "mic");
  if (!media->vtee || !media->atee || !media->amix || !media->venc || !media->aenc || !media->vcaps
      || !media->vvalve || !media->mic) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "the capture pipeline is incomplete");
    return FALSE;
  }
  return TRUE;
}

BridgeMedia *
bridge_media_new (const BridgeMediaConfig *config, const BridgeMediaHooks *hooks, gpointer user_data,
                  GError **error)
{
  g_autoptr (BridgeMedia) media = g_new0 (BridgeMedia, 1);

  copy_config (media, config);
  media->applied_kbps = config->video_kbps;
  media->applied_width = config->width;
  media->applied_height = config->height;
  media->applied_framerate = config->framerate;
  media->rtx_pt = -1;
  media->last_loss = -1;
  media->recv_epoch_us = g_get_monotonic_time ();
  media->recv_video_last_pts = GST_CLOCK_TIME_NONE;
  media->rtx_budget_kbps = bridge_rtx_budget_kbps (config->video_kbps);
  media->hooks = hooks;
  media->user_data = user_data;
  g_autofree char *description = describe (media, error);
  if (description == NULL)
    return NULL;
  g_debug ("pipeline: %s", description);
  media->pipeline = gst_parse_launch_full (description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (media->pipeline == NULL) {
    g_prefix_error (error, "cannot build the capture pipeline: ");
    return NULL;
  }
  if (!find_elements (media, error))
    return NULL;
  /* One clock for the life of the process: a re-selected clock when sessions come and go would leave
   * the live sources waiting on the old one. */
  g_autoptr (GstClock) clock = gst_system_clock_obtain ();
  gst_pipeline_use_clock (GST_PIPELINE (media->pipeline), clock);
  g_autoptr (GstBus) bus = gst_element_get_bus (media->pipeline);
  media->bus_watch = gst_bus_add_watch (bus, on_bus, media);
  if (gst_element_set_state (media->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, BRIDGE_MEDIA_ERROR, 0, "cannot start capture (camera or microphone busy or missing?)");
    return NULL;
  }
  return g_steal_pointer (&media);
}

void
bridge_media_shutdown (BridgeMedia *media)
{
  bridge_media_session_stop (media);
  if (media->pipeline == NULL || !media->config.headless || *media->config.audio_file == '\0')
    return;
  /* Finish the WAV header: EOS through the playback tail, bounded wait. */
  GstIterator *it = gst_bin_iterate_sources (GST_BIN (media->pipeline));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    gst_element_send_event (g_value_get_object (&item), gst_event_new_eos ());
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  g_autoptr (GstBus) bus = gst_element_get_bus (media->pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 2 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg != NULL)
    gst_message_unref (msg);
}

void
bridge_media_free (BridgeMedia *media)
{
  if (media->pipeline != NULL) {
    bridge_media_session_stop (media);
    gst_element_set_state (media->pipeline, GST_STATE_NULL);
  }
  if (media->bus_watch != 0)
    g_source_remove (media->bus_watch);
  g_clear_object (&media->vtee);
  g_clear_object (&media->atee);
  g_clear_object (&media->amix);
  g_clear_object (&media->venc);
  g_clear_object (&media->aenc);
  g_clear_object (&media->vcaps);
  g_clear_object (&media->vvalve);
  g_clear_object (&media->mic);
  g_clear_object (&media->pipeline);
  g_free (media->source);
  g_free (media->video_device);
  g_free (media->audio_device);
  g_free (media->audio_file);
  g_free (media);
}

static void get_recv (BridgeMedia *media, BridgeRecvStats *recv);

void
bridge_media_get_counters (BridgeMedia *media, BridgeMediaCounters *counters)
{
  guint raw[7] = {
    (guint) g_atomic_int_get ((gint *) &media->packets_received),
    (guint) g_atomic_int_get ((gint *) &media->packets_sent),
    (guint) g_atomic_int_get ((gint *) &media->frames_received),
    (guint) g_atomic_int_get ((gint *) &media->audio_buffers_received),
    (guint) g_atomic_int_get ((gint *) &media->rtx_dropped),
    (guint) g_atomic_int_get ((gint *) &media->video_packets_out),
    (guint) g_atomic_int_get ((gint *) &media->video_packets_captured),
  };

  for (guint i = 0; i < G_N_ELEMENTS (raw); i++) {
    media->totals[i] += (guint) (raw[i] - media->last_raw[i]); /* wraps correctly */
    media->last_raw[i] = raw[i];
  }
  counters->packets_received = media->totals[0];
  counters->packets_sent = media->totals[1];
  counters->frames_received = media->totals[2];
  counters->audio_buffers_received = media->totals[3];
  counters->rtx_dropped = media->totals[4];
  counters->video_packets_out = media->totals[5];
  counters->video_packets_captured = media->totals[6];
  get_recv (media, &counters->recv);
}

void
bridge_media_force_keyframe (BridgeMedia *media)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (media->venc, "sink");

  gst_pad_send_event (pad, gst_video_event_new_downstream_force_key_unit (GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE,
                                                                         GST_CLOCK_TIME_NONE, TRUE, 0));
}

/* A new size or frame rate: the capsfilter's new caps renegotiate videoscale and videorate, vp8enc
 * restarts its encoder at the new size and its next frame is a keyframe, which the mcu needs to
 * decode a VP8 stream whose size changed. The RTP caps after the payloader may change too
 * (a-framerate): webrtcbin only notes that and carries on with the negotiated session. */
static void
apply_ladder_step (BridgeMedia *media, const BridgeAdaptOutput *output)
{
  if (media->applied_width == output->width && media->applied_height == output->height
      && media->applied_framerate == output->framerate)
    return;
  media->applied_width = output->width;
  media->applied_height = output->height;
  media->applied_framerate = output->framerate;
  g_autofree char *text = ladder_caps_text (output->width, output->height, output->framerate);
  g_autoptr (GstCaps) caps = gst_caps_from_string (text);
  g_object_set (media->vcaps, "caps", caps, NULL);
}

void
bridge_media_apply (BridgeMedia *media, const BridgeAdaptOutput *output)
{
  /* Only touch the encoders on a change: their property calls wait for the encoder lock, which a busy
   * encoder holds for most of each frame on a loaded laptop. */
  if (media->applied_kbps != output->video_kbps) {
    media->applied_kbps = output->video_kbps;
    g_object_set (media->venc, "target-bitrate", output->video_kbps * 1000, NULL);
    g_atomic_int_set ((gint *) &media->rtx_budget_kbps, (gint) bridge_rtx_budget_kbps (output->video_kbps));
  }
  apply_ladder_step (media, output);
  if (media->applied_loss_percent != output->opus_loss_percent) {
    media->applied_loss_percent = output->opus_loss_percent;
    g_object_set (media->aenc, "packet-loss-percentage", (int) output->opus_loss_percent, NULL);
  }
  if (output->audio_only != media->audio_only) {
    media->audio_only = output->audio_only;
    g_object_set (media->vvalve, "drop", output->audio_only, NULL);
    if (!output->audio_only)
      bridge_media_force_keyframe (media); /* video resumes: the mcu can show it at once */
  }
}

void
bridge_media_set_muted (BridgeMedia *media, gboolean muted)
{
  g_object_set (media->mic, "mute", muted, NULL);
}

/* ---- receive side: audio continuity and video freezes (streaming threads, atomics only) ---- */

#define OPUS_FRAME_SAMPLES 960   /* 20 ms at 48 kHz */
#define FREEZE_MIN_MS 200        /* a gap counts as a freeze above max(this, 3 × the usual interval) */

/* RFC 6716 3.1: the TOC byte's configuration gives the frame duration, its code the frame count. */
static guint
opus_frame_samples (guint8 toc)
{
  static const guint silk[4] = { 480, 960, 1920, 2880 };   /* 10, 20, 40, 60 ms */
  static const guint celt[4] = { 120, 240, 480, 960 };     /* 2.5, 5, 10, 20 ms */
  guint config = toc >> 3;

  if (config < 12)
    return silk[config & 3];
  if (config < 16)
    return (config & 1) ? 960 : 480;                        /* hybrid: 10, 20 ms */
  return celt[config & 3];
}

guint
bridge_opus_packet_info (const guint8 *data, gsize len, gboolean *lbrr)
{
  *lbrr = FALSE;
  if (data == NULL || len < 1)
    return 0;
  guint8 toc = data[0];
  guint code = toc & 3, frames = code == 0 ? 1 : code < 3 ? 2 : 0;
  const guint8 *first = data + 1;
  gsize first_len = len - 1;

  if (code == 3) {
    if (len < 2 || (data[1] & 0x3f) == 0)
      return 0;
    frames = data[1] & 0x3f;
    first_len = 0;                     /* framing with padding and sizes: FEC not looked at */
  } else if (code == 1) {
    first_len = (len - 1) / 2;
  } else if (code == 2) {
    if (len < 2)
      return 0;
    gsize header = data[1] < 252 ? 1 : 2;
    first_len = data[1] < 252 ? data[1] : (len < 3 ? 0 : (gsize) data[2] * 4 + data[1]);
    first = data + 1 + header;
    if (len < 1 + header || first_len > len - 1 - header)
      return 0;
  }
  guint samples = frames * opus_frame_samples (toc);
  if (samples > 5760)                  /* 120 ms is the most a packet may hold */
    return 0;
  /* SILK or hybrid: the first bits of the range coder are the VAD flags (one per 20 ms SILK frame), then
   * the LBRR flag, per channel (as libopus' opus_packet_has_lbrr reads them). */
  if ((toc >> 3) < 16 && first_len > 0) {
    guint silk_frames = MAX (opus_frame_samples (toc) / 960, 1);
    gboolean flag = (first[0] >> (7 - silk_frames)) & 1;
    if (toc & 0x4)
      flag = flag || ((first[0] >> (6 - 2 * silk_frames)) & 1);
    *lbrr = flag;
  }
  return samples;
}

static void
recv_add (BridgeMedia *media, guint index, guint n)
{
  g_atomic_int_add ((gint *) &media->recv_raw[index], (gint) n);
}

/* The audio decoder's sink pad: each packet plays its frames; a GAP (the jitter buffer gave a packet up)
 * leaves frames to make up, which the next packet's FEC rebuilds (one frame) or PLC conceals. */
static GstPadProbeReturn
watch_audio (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  BridgeMedia *media = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_GAP) {
      GstClockTime pts, duration;
      gst_event_parse_gap (event, &pts, &duration);
      guint64 samples = GST_CLOCK_TIME_IS_VALID (duration)
        ? gst_util_uint64_scale_round (duration, 48000, GST_SECOND) : OPUS_FRAME_SAMPLES;
      media->recv_gap_samples += (guint) MIN (samples, G_MAXUINT / 2);
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START) {
      media->recv_gap_samples = 0;     /* a new session: what the old one lost is not this one's */
    }
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  gboolean lbrr = FALSE;
  guint samples = 0;
  if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    samples = bridge_opus_packet_info (map.data, map.size, &lbrr);
    gst_buffer_unmap (buffer, &map);
  }
  guint lost = (media->recv_gap_samples + OPUS_FRAME_SAMPLES / 2) / OPUS_FRAME_SAMPLES;
  media->recv_gap_samples = 0;
  if (lost > 0) {
    guint fec = lbrr ? 1 : 0;
    recv_add (media, BRIDGE_RECV_AUDIO_FEC, fec);
    recv_add (media, BRIDGE_RECV_AUDIO_CONCEALED, lost - fec);
    recv_add (media, BRIDGE_RECV_AUDIO_FRAMES, lost);
  }
  recv_add (media, BRIDGE_RECV_AUDIO_FRAMES, (samples + OPUS_FRAME_SAMPLES / 2) / OPUS_FRAME_SAMPLES);
  return GST_PAD_PROBE_OK;
}

static gboolean
is_freeze (const BridgeMedia *media, guint gap_ms)
{
  return gap_ms > MAX (FREEZE_MIN_MS, 3 * media->recv_video_interval_ms);
}

/* One decoded frame: its gap to the previous one in the stream's own time (PTS) and by the clock. The
 * first frame of a new session (a new decoder) counts its gap by the clock in both. */
static void
video_frame (BridgeMedia *media, GstClockTime pts)
{
  gint now = (gint) ((g_get_monotonic_time () - media->recv_epoch_us) / 1000) + 1;
  gint last = g_atomic_int_get (&media->recv_video_last_ms);
  guint wall_gap = last == 0 ? 0 : (guint) MAX (now - last, 0);
  gboolean have_pts = GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (media->recv_video_last_pts)
                      && pts >= media->recv_video_last_pts;
  guint gap = have_pts ? (guint) ((pts - media->recv_video_last_pts) / GST_MSECOND) : wall_gap;

  if (last != 0 && is_freeze (media, wall_gap))
    recv_add (media, BRIDGE_RECV_VIDEO_ARRIVAL_GAPS_MS, wall_gap);
  if (last != 0 && is_freeze (media, gap))
    recv_add (media, BRIDGE_RECV_VIDEO_FROZEN_MS, gap);
  else if (last != 0)
    media->recv_video_interval_ms = media->recv_video_interval_ms == 0
      ? gap : (media->recv_video_interval_ms * 7 + gap) / 8;
  media->recv_video_last_pts = pts;
  g_atomic_int_set (&media->recv_video_last_ms, now);
  recv_add (media, BRIDGE_RECV_VIDEO_FRAMES, 1);
}

/* The video decoder's source pad: frames (video_frame) and the decoded size. */
static GstPadProbeReturn
watch_video (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  BridgeMedia *media = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      GstCaps *caps;
      gint width = 0, height = 0;
      gst_event_parse_caps (event, &caps);
      const GstStructure *s = gst_caps_get_structure (caps, 0);
      if (gst_structure_get_int (s, "width", &width) && gst_structure_get_int (s, "height", &height)) {
        g_atomic_int_set ((gint *) &media->recv_video_width, width);
        g_atomic_int_set ((gint *) &media->recv_video_height, height);
      }
    }
    return GST_PAD_PROBE_OK;
  }
  video_frame (media, GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info)));
  return GST_PAD_PROBE_OK;
}

/* The video depayloader's sink pad: the jitter buffer's lost-packet events (one per packet, or per run
 * of packets when it gives up on several at once: counted as one each; a lower bound). */
static GstPadProbeReturn
watch_video_lost (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM && gst_event_has_name (event, "GstRTPPacketLost"))
    recv_add (user_data, BRIDGE_RECV_VIDEO_LOST, 1);
  return GST_PAD_PROBE_OK;
}

static GstElement *
find_by_factory (GstElement *bin, const char *factory)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (bin));
  GValue item = G_VALUE_INIT;
  GstElement *found = NULL;

  while (found == NULL && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *element = g_value_get_object (&item);
    GstElementFactory *f = gst_element_get_factory (element);
    if (f != NULL && g_str_equal (GST_OBJECT_NAME (f), factory))
      found = gst_object_ref (element);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

void
bridge_media_watch_recv (BridgeMedia *media, GstElement *bin, gboolean audio)
{
  g_autoptr (GstElement) decoder = find_by_factory (bin, audio ? "opusdec" : "vp8dec");

  if (decoder == NULL)
    return;
  GstPadProbeType types = GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM;
  if (audio) {
    /* The mcu's Opus carries in-band FEC: a lost packet's speech is rebuilt from the next one. */
    g_object_set (decoder, "use-inband-fec", TRUE, NULL);
    g_autoptr (GstPad) sink = gst_element_get_static_pad (decoder, "sink");
    gst_pad_add_probe (sink, types, watch_audio, media, NULL);
  } else {
    g_autoptr (GstPad) src = gst_element_get_static_pad (decoder, "src");
    media->recv_video_last_pts = GST_CLOCK_TIME_NONE;  /* before its first frame: the old decoder is gone */
    gst_pad_add_probe (src, types, watch_video, media, NULL);
    g_autoptr (GstElement) depay = find_by_factory (bin, "rtpvp8depay");
    g_autoptr (GstPad) depay_sink = depay ? gst_element_get_static_pad (depay, "sink") : NULL;
    if (depay_sink != NULL)
      gst_pad_add_probe (depay_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, watch_video_lost, media, NULL);
  }
}

static void
get_recv (BridgeMedia *media, BridgeRecvStats *recv)
{
  for (guint i = 0; i < G_N_ELEMENTS (media->recv_raw); i++) {
    guint raw = (guint) g_atomic_int_get ((gint *) &media->recv_raw[i]);
    media->recv_totals[i] += (guint) (raw - media->recv_last_raw[i]); /* wraps correctly */
    media->recv_last_raw[i] = raw;
  }
  recv->audio_frames = media->recv_totals[BRIDGE_RECV_AUDIO_FRAMES];
  recv->audio_concealed = media->recv_totals[BRIDGE_RECV_AUDIO_CONCEALED];
  recv->audio_fec = media->recv_totals[BRIDGE_RECV_AUDIO_FEC];
  recv->video_frames = media->recv_totals[BRIDGE_RECV_VIDEO_FRAMES];
  recv->video_frozen_ms = media->recv_totals[BRIDGE_RECV_VIDEO_FROZEN_MS];
  recv->video_arrival_gaps_ms = media->recv_totals[BRIDGE_RECV_VIDEO_ARRIVAL_GAPS_MS];
  recv->video_lost = media->recv_totals[BRIDGE_RECV_VIDEO_LOST];
  gint last = g_atomic_int_get (&media->recv_video_last_ms);
  gint64 now = (g_get_monotonic_time () - media->recv_epoch_us) / 1000 + 1;
  recv->video_last_frame_ms_ago = last == 0 ? -1 : MAX (now - last, 0);
  recv->video_width = (guint) g_atomic_int_get ((gint *) &media->recv_video_width);
  recv->video_height = (guint) g_atomic_int_get ((gint *) &media->recv_video_height);
}
