/* SPDX-License-Identifier: MIT */
/*
 * WebRTC offer/answer on top of the SDP model: reading a description's transport (ICE, DTLS), its
 * m-lines (codecs, RTX, rtcp-fb, extmap, SSRCs, directions) and BUNDLE group; building the MCU's answer
 * (JSEP §5.3) and the load generator's offer; reading an answer back. See sdp-negotiate.h for what is
 * kept. Interop choices, taken from what Chromium and webrtcbin do themselves: every accepted m-line
 * of the answer repeats the ICE and DTLS attributes and uses port 9 (or the default candidate's port
 * on the BUNDLE-tagged line), since a port 0 in an answer reads as a rejection to Chromium.
 *
 * Threads: pure functions; any thread.
 */
#define G_LOG_DOMAIN "mcu-sdp"

#include "sdp-private.h"

#include <stdlib.h>
#include <string.h>

#define PROTO_RTP "UDP/TLS/RTP/SAVPF"

/* The header extensions the server implements, by URI. */
static const struct {
  const char *uri;
  gsize offset;
  gboolean audio, video;
} extensions[] = {
  { "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    G_STRUCT_OFFSET (McuSdpNegotiatedMedia, extmap.audio_level), TRUE, FALSE },
  { "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    G_STRUCT_OFFSET (McuSdpNegotiatedMedia, extmap.abs_send_time), TRUE, TRUE },
  { "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    G_STRUCT_OFFSET (McuSdpNegotiatedMedia, extmap.transport_cc), TRUE, TRUE },
  { "urn:ietf:params:rtp-hdrext:sdes:mid",
    G_STRUCT_OFFSET (McuSdpNegotiatedMedia, extmap.mid), TRUE, TRUE },
};

/* The RTCP feedback the server implements. */
static const struct {
  const char *text;
  McuSdpFeedback bit;
} feedbacks[] = {
  { "goog-remb", MCU_SDP_FB_GOOG_REMB },
  { "transport-cc", MCU_SDP_FB_TRANSPORT_CC },
  { "ccm fir", MCU_SDP_FB_CCM_FIR },
  { "nack", MCU_SDP_FB_NACK },
  { "nack pli", MCU_SDP_FB_NACK_PLI },
};

static gboolean
fail_at (GError **error, McuSdpError code, guint line, const char *format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail_at (GError **error, McuSdpError code, guint line, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *raw = g_strdup_vprintf (format, args);
  /* Excerpts cut at a byte count may split a character: keep messages valid UTF-8 (they end up in JSON). */
  g_autofree char *what = g_utf8_make_valid (raw, -1);
  va_end (args);

  g_set_error (error, MCU_SDP_ERROR, code, "line %u: %s", line, what);
  return FALSE;
}

/* ---- small readers over one section ---- */

typedef gboolean (*LineFunc) (const SdpLine *line, gpointer user_data, GError **error);

/* Calls @func on each a=@name of section @media until it returns FALSE (error set or stop). */
static gboolean
foreach_attribute (const McuSdp *sdp, int media, const char *name, LineFunc func, gpointer user_data,
                   GError **error)
{
  const SdpSection *s = sdp_section (sdp, media);

  for (guint i = 0; s != NULL && i < s->lines->len; i++) {
    const SdpLine *l = &g_array_index (s->lines, SdpLine, i);
    if (l->type == 'a' && strcmp (l->name, name) == 0 && !func (l, user_data, error))
      return FALSE;
  }
  return TRUE;
}

static const SdpLine *
attribute_line (const McuSdp *sdp, int media, const char *name)
{
  const SdpSection *s = sdp_section (sdp, media);

  for (guint i = 0; s != NULL && i < s->lines->len; i++) {
    const SdpLine *l = &g_array_index (s->lines, SdpLine, i);
    if (l->type == 'a' && strcmp (l->name, name) == 0)
      return l;
  }
  return NULL;
}

/* Media level first, then session level (ICE, DTLS and extmap attributes may be at either). */
static const SdpLine *
inherited_line (const McuSdp *sdp, guint media, const char *name)
{
  const SdpLine *l = attribute_line (sdp, (int) media, name);
  return l ? l : attribute_line (sdp, MCU_SDP_SESSION, name);
}

static guint
section_line (const McuSdp *sdp, guint media)
{
  return mcu_sdp_media_get_line (sdp, media);
}

static const char *
media_mid (const McuSdp *sdp, guint media)
{
  return mcu_sdp_get_attribute (sdp, (int) media, "mid");
}

static gboolean
parse_number (const char *s, guint64 max, guint64 *out)
{
  return g_ascii_isdigit (*s) && g_ascii_string_to_unsigned (s, 10, 0, max, out, NULL);
}

/* Compared as numbers: "0100" in an m= line is payload type 100, as the rtpmap lookup reads it. */
static gboolean
has_format (const McuSdp *sdp, guint media, guint pt)
{
  const char *const *formats = mcu_sdp_media_get_formats (sdp, media);

  for (guint i = 0; formats != NULL && formats[i] != NULL; i++) {
    guint64 n = 0;
    if (parse_number (formats[i], 127, &n) && n == pt)
      return TRUE;
  }
  return FALSE;
}

/* ---- rtpmap / fmtp / rtcp-fb ---- */

typedef struct {
  guint pt, rate, channels;
  char encoding[32];
} Rtpmap;

/* "PT ENCODING/RATE[/CHANNELS]" */
static gboolean
parse_rtpmap (const SdpLine *l, Rtpmap *map, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (l->value ? l->value : "", " ", 2);
  g_auto (GStrv) codec = NULL;
  guint64 pt = 0, rate = 0, channels = 1;

  if (g_strv_length (parts) != 2 || !parse_number (parts[0], 127, &pt))
    return fail_at (error, MCU_SDP_ERROR_SYNTAX, l->line,
                    "a=rtpmap needs 'PAYLOAD-TYPE ENCODING/RATE' with a payload type 0-127");
  codec = g_strsplit (parts[1], "/", 4);
  if (g_strv_length (codec) < 2 || g_strv_length (codec) > 3 || *codec[0] == '\0' ||
      strlen (codec[0]) >= sizeof map->encoding || !parse_number (codec[1], G_MAXUINT32, &rate) ||
      rate == 0 || (codec[2] != NULL && !parse_number (codec[2], 255, &channels)))
    return fail_at (error, MCU_SDP_ERROR_SYNTAX, l->line,
                    "a=rtpmap:%u needs 'ENCODING/RATE[/CHANNELS]', got '%.60s'", (guint) pt, parts[1]);
  map->pt = (guint) pt;
  map->rate = (guint) rate;
  map->channels = (guint) channels;
  g_strlcpy (map->encoding, codec[0], sizeof map->encoding);
  return TRUE;
}

typedef struct {
  guint pt;
  gboolean found;
  Rtpmap map;
} RtpmapQuery;

static gboolean
rtpmap_match (const SdpLine *l, gpointer data, GError **error)
{
  RtpmapQuery *q = data;
  Rtpmap map;

  if (!parse_rtpmap (l, &map, error))
    return FALSE;
  if (map.pt == q->pt && !q->found) {
    q->found = TRUE;
    q->map = map;
  }
  return TRUE;
}

/* The rtpmap of @pt in @media. Fails only on a malformed a=rtpmap (all are checked). */
static gboolean
lookup_rtpmap (const McuSdp *sdp, guint media, guint pt, gboolean *found, Rtpmap *map, GError **error)
{
  RtpmapQuery q = { pt, FALSE, { 0 } };

  if (!foreach_attribute (sdp, (int) media, "rtpmap", rtpmap_match, &q, error))
    return FALSE;
  *found = q.found;
  *map = q.map;
  return TRUE;
}

/* The value of a=fmtp:@pt (the parameters after the payload type), NULL if none. */
static const char *
lookup_fmtp (const McuSdp *sdp, guint media, guint pt)
{
  const SdpSection *s = sdp_section (sdp, (int) media);
  char prefix[8];
  gsize n = (gsize) g_snprintf (prefix, sizeof prefix, "%u ", pt);

  for (guint i = 0; s != NULL && i < s->lines->len; i++) {
    const SdpLine *l = &g_array_index (s->lines, SdpLine, i);
    if (l->type == 'a' && strcmp (l->name, "fmtp") == 0 && l->value != NULL &&
        strncmp (l->value, prefix, n) == 0)
      return l->value + n;
  }
  return NULL;
}

/* Value of @key in "k=v;k=v" parameters, or NULL. Writes into @buf. */
static const char *
fmtp_param (const char *params, const char *key, char *buf, gsize size)
{
  g_auto (GStrv) parts = g_strsplit (params ? params : "", ";", 64);
  gsize klen = strlen (key);

  for (guint i = 0; parts[i] != NULL; i++) {
    const char *p = parts[i];
    while (*p == ' ')
      p++;
    if (g_ascii_strncasecmp (p, key, klen) == 0 && p[klen] == '=') {
      g_strlcpy (buf, p + klen + 1, size);
      return g_strstrip (buf);
    }
  }
  return NULL;
}

static gboolean
fmtp_flag (const char *params, const char *key)
{
  char buf[16];
  const char *v = fmtp_param (params, key, buf, sizeof buf);
  return v != NULL && strcmp (v, "1") == 0;
}

/* Feedback bits signalled for @pt (or "*") in @media, restricted to what the server does. */
static guint
lookup_feedback (const McuSdp *sdp, guint media, guint pt)
{
  const SdpSection *s = sdp_section (sdp, (int) media);
  char prefix[8];
  gsize n = (gsize) g_snprintf (prefix, sizeof prefix, "%u ", pt);
  guint bits = 0;

  for (guint i = 0; s != NULL && i < s->lines->len; i++) {
    const SdpLine *l = &g_array_index (s->lines, SdpLine, i);
    const char *fb;
    if (l->type != 'a' || strcmp (l->name, "rtcp-fb") != 0 || l->value == NULL)
      continue;
    if (strncmp (l->value, prefix, n) == 0)
      fb = l->value + n;
    else if (strncmp (l->value, "* ", 2) == 0)
      fb = l->value + 2;
    else
      continue;
    for (guint k = 0; k < G_N_ELEMENTS (feedbacks); k++)
      if (strcmp (fb, feedbacks[k].text) == 0)
        bits |= feedbacks[k].bit;
  }
  return bits;
}

/* The first format of @media (offerer's preference order) whose rtpmap is @encoding/@rate. */
static gboolean
find_codec (const McuSdp *sdp, guint media, const char *encoding, guint rate, Rtpmap *out,
            GError **error)
{
  const char *const *formats = mcu_sdp_media_get_formats (sdp, media);

  out->pt = G_MAXUINT;
  for (guint i = 0; formats[i] != NULL; i++) {
    guint64 pt = 0;
    gboolean found = FALSE;
    Rtpmap map;
    if (!parse_number (formats[i], 127, &pt))
      continue;
    if (!lookup_rtpmap (sdp, media, (guint) pt, &found, &map, error))
      return FALSE;
    if (found && g_ascii_strcasecmp (map.encoding, encoding) == 0 && map.rate == rate) {
      *out = map;
      return TRUE;
    }
  }
  return TRUE;
}

/* The rtx payload type whose fmtp says apt=@pt, 0 if none. */
static guint
find_rtx (const McuSdp *sdp, guint media, guint pt)
{
  const char *const *formats = mcu_sdp_media_get_formats (sdp, media);

  for (guint i = 0; formats[i] != NULL; i++) {
    guint64 rtx = 0, apt = 0;
    gboolean found = FALSE;
    Rtpmap map;
    char buf[8];
    const char *apt_text;
    if (!parse_number (formats[i], 127, &rtx) || rtx == 0 ||
        !lookup_rtpmap (sdp, media, (guint) rtx, &found, &map, NULL) || !found ||
        g_ascii_strcasecmp (map.encoding, "rtx") != 0)
      continue;
    apt_text = fmtp_param (lookup_fmtp (sdp, media, (guint) rtx), "apt", buf, sizeof buf);
    if (apt_text != NULL && parse_number (apt_text, 127, &apt) && apt == pt)
      return (guint) rtx;
  }
  return 0;
}

/* ---- extmap ---- */

typedef struct {
  McuSdpNegotiatedMedia *media;
  gboolean video;
} ExtmapQuery;

/* "ID[/DIRECTION] URI [ATTRIBUTES]" */
static gboolean
extmap_match (const SdpLine *l, gpointer data, GError **error)
{
  ExtmapQuery *q = data;
  g_auto (GStrv) parts = g_strsplit (l->value ? l->value : "", " ", 3);
  g_auto (GStrv) id_dir = NULL;
  guint64 id = 0;

  if (g_strv_length (parts) < 2)
    return fail_at (error, MCU_SDP_ERROR_SYNTAX, l->line, "a=extmap needs 'ID URI'");
  id_dir = g_strsplit (parts[0], "/", 2);   /* "" (a=extmap: URI) splits into no parts at all */
  if (id_dir[0] == NULL || !parse_number (id_dir[0], 255, &id) || id == 0 || id == 15)
    return fail_at (error, MCU_SDP_ERROR_SYNTAX, l->line,
                    "a=extmap id '%.20s' is not a number from 1 to 255 (15 is reserved)", parts[0]);
  /* A direction-limited extension (Firefox marks some "/recvonly") would need the mirrored direction
   * in the answer; none of the ones the server uses is sent that way, so such a line is not taken. */
  if (id_dir[1] != NULL && strcmp (id_dir[1], "sendrecv") != 0)
    return TRUE;
  for (guint k = 0; k < G_N_ELEMENTS (extensions); k++) {
    guint8 *slot = G_STRUCT_MEMBER_P (q->media, extensions[k].offset);
    if (strcmp (parts[1], extensions[k].uri) == 0 && *slot == 0 &&
        (q->video ? extensions[k].video : extensions[k].audio))
      *slot = (guint8) id;
  }
  return TRUE;
}

/* ---- SSRCs ---- */

typedef struct {
  McuSdpNegotiatedMedia *media;
} SsrcQuery;

static gboolean
parse_ssrc_value (const char *text, guint32 *ssrc)
{
  guint64 n = 0;
  char buf[16];
  gsize len = strcspn (text, " ");

  if (len == 0 || len >= sizeof buf)
    return FALSE;
  memcpy (buf, text, len);
  buf[len] = '\0';
  if (!parse_number (buf, G_MAXUINT32, &n))
    return FALSE;
  *ssrc = (guint32) n;
  return TRUE;
}

/* a=ssrc-group:FID PRIMARY RTX */
static gboolean
ssrc_group_match (const SdpLine *l, gpointer data, GError **error)
{
  SsrcQuery *q = data;
  const char *v = l->value ? l->value : "";
  guint32 primary = 0, rtx = 0;

  if (strncmp (v, "FID ", 4) != 0 || q->media->remote_ssrc != 0)
    return TRUE;
  v += 4;
  if (!parse_ssrc_value (v, &primary) || strchr (v, ' ') == NULL ||
      !parse_ssrc_value (strchr (v, ' ') + 1, &rtx))
    return fail_at (error, MCU_SDP_ERROR_SYNTAX, l->line, "a=ssrc-group:FID needs two SSRC numbers");
  q->media->remote_ssrc = primary;
  q->media->remote_rtx_ssrc = rtx;
  return TRUE;
}

/* a=ssrc:N cname:X / a=ssrc:N msid:S T. The first SSRC is the primary one unless FID said so. */
static gboolean
ssrc_match (const SdpLine *l, gpointer data, GError **error)
{
  SsrcQuery *q = data;
  const char *v = l->value ? l->value : "";
  const char *space = strchr (v, ' ');
  guint32 ssrc = 0;

  if (!parse_ssrc_value (v, &ssrc))
    return fail_at (error, MCU_SDP_ERROR_SYNTAX, l->line, "a=ssrc needs 'SSRC ATTRIBUTE[:VALUE]'");
  if (q->media->remote_ssrc == 0)
    q->media->remote_ssrc = ssrc;
  if (ssrc != q->media->remote_ssrc || space == NULL)
    return TRUE;
  if (g_str_has_prefix (space + 1, "cname:") && q->media->remote_cname == NULL)
    q->media->remote_cname = g_strdup (space + 7);
  if (g_str_has_prefix (space + 1, "msid:") && q->media->remote_msid == NULL)
    q->media->remote_msid = g_strdup (space + 6);
  return TRUE;
}

/* ---- directions ---- */

static const char *const direction_names[] = { "inactive", "sendonly", "recvonly", "sendrecv" };

/* The direction as written in @media (the writer's own view), sendrecv if absent. */
static McuSdpDirection
written_direction (const McuSdp *sdp, guint media)
{
  McuSdpDirection d = MCU_SDP_DIRECTION_SENDRECV;

  for (guint k = 0; k < G_N_ELEMENTS (direction_names); k++)
    if (mcu_sdp_get_attribute (sdp, (int) media, direction_names[k]) != NULL)
      d = (McuSdpDirection) k;
  return d;
}

static McuSdpDirection
reverse_direction (McuSdpDirection d)
{
  return (McuSdpDirection) (((d & 1) << 1) | ((d >> 1) & 1));
}

const char *
mcu_sdp_direction_to_string (McuSdpDirection direction)
{
  return direction_names[direction & 3];
}

const char *
mcu_sdp_media_kind_to_string (McuSdpMediaKind kind)
{
  static const char *const names[] = { "audio", "video", "content", "other" };
  return kind <= MCU_SDP_MEDIA_OTHER ? names[kind] : "other";
}

/* ---- one m-line ---- */

/* Reads codec, RTX, feedback, extmap and SSRC facts of @media in @sdp into @nm. Leaves
 * nm->accepted FALSE (no error) when the m-line has nothing the server can use. */
static gboolean
read_media (const McuSdp *sdp, guint media, McuSdpNegotiatedMedia *nm, GError **error)
{
  gboolean audio = nm->kind == MCU_SDP_MEDIA_AUDIO;
  Rtpmap codec;
  ExtmapQuery eq = { nm, !audio };
  SsrcQuery sq = { nm };
  const char *fmtp;
  char buf[16];

  nm->accepted = FALSE;
  if (nm->kind == MCU_SDP_MEDIA_OTHER || strcmp (mcu_sdp_media_get_proto (sdp, media), PROTO_RTP) != 0)
    return TRUE;
  if (!find_codec (sdp, media, audio ? "opus" : "VP8", audio ? 48000 : 90000, &codec, error))
    return FALSE;
  if (codec.pt == G_MAXUINT)
    return TRUE;
  nm->accepted = TRUE;
  nm->payload_type = (guint8) codec.pt;
  nm->clock_rate = codec.rate;
  nm->channels = audio ? 2 : 0;
  fmtp = lookup_fmtp (sdp, media, codec.pt);
  nm->opus.useinbandfec = audio && fmtp_flag (fmtp, "useinbandfec");
  nm->opus.usedtx = audio && fmtp_flag (fmtp, "usedtx");
  nm->opus.stereo = audio && fmtp_flag (fmtp, "stereo");
  if (audio && fmtp_param (fmtp, "minptime", buf, sizeof buf) != NULL)
    nm->opus.minptime = (guint) MIN (g_ascii_strtoull (buf, NULL, 10), 120);
  nm->rtx_payload_type = audio ? 0 : (guint8) find_rtx (sdp, media, codec.pt);
  nm->rtcp_fb = lookup_feedback (sdp, media, codec.pt);
  nm->rtcp_rsize = mcu_sdp_get_attribute (sdp, (int) media, "rtcp-rsize") != NULL;
  if (!foreach_attribute (sdp, (int) media, "extmap", extmap_match, &eq, error) ||
      !foreach_attribute (sdp, MCU_SDP_SESSION, "extmap", extmap_match, &eq, error) ||
      !foreach_attribute (sdp, (int) media, "ssrc-group", ssrc_group_match, &sq, error) ||
      !foreach_attribute (sdp, (int) media, "ssrc", ssrc_match, &sq, error))
    return FALSE;
  if (mcu_sdp_get_attribute (sdp, (int) media, "msid") != NULL) {
    g_free (nm->remote_msid);
    nm->remote_msid = g_strdup (mcu_sdp_get_attribute (sdp, (int) media, "msid"));
  }
  return TRUE;
}

/* Kinds by m-line order: the first audio, the first video, the second video = content. */
static McuSdpMediaKind
classify (const McuSdp *sdp, guint media, guint *n_audio, guint *n_video)
{
  const char *type = mcu_sdp_media_get_type (sdp, media);

  if (strcmp (type, "audio") == 0)
    return (*n_audio)++ == 0 ? MCU_SDP_MEDIA_AUDIO : MCU_SDP_MEDIA_OTHER;
  if (strcmp (type, "video") == 0) {
    guint n = (*n_video)++;
    return n == 0 ? MCU_SDP_MEDIA_VIDEO : n == 1 ? MCU_SDP_MEDIA_CONTENT : MCU_SDP_MEDIA_OTHER;
  }
  return MCU_SDP_MEDIA_OTHER;
}

/* ---- structure: mids and BUNDLE ---- */

static gboolean
valid_mid (const char *mid)
{
  gsize len = strlen (mid);

  if (len == 0 || len > 64)
    return FALSE;
  for (const char *p = mid; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("!#$%&'*+-.^_`{|}~", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* Every m-line that is not rejected needs a well-formed, unique a=mid. */
static gboolean
check_mids (const McuSdp *sdp, GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint m = 0; m < mcu_sdp_get_n_media (sdp); m++) {
    const char *mid = media_mid (sdp, m);
    guint line = mcu_sdp_get_attribute_line (sdp, (int) m, "mid");
    gboolean bundle_only = mcu_sdp_get_attribute (sdp, (int) m, "bundle-only") != NULL;
    if (mid == NULL && (mcu_sdp_media_get_port (sdp, m) != 0 || bundle_only))
      return fail_at (error, MCU_SDP_ERROR_MISSING, section_line (sdp, m),
                      "m=%s section has no a=mid (WebRTC needs one on every m-line)",
                      mcu_sdp_media_get_type (sdp, m));
    if (mid == NULL)
      continue;
    if (!valid_mid (mid))
      return fail_at (error, MCU_SDP_ERROR_SYNTAX, line, "a=mid '%.40s' is not 1-64 token characters",
                      mid);
    if (g_hash_table_contains (seen, mid))
      return fail_at (error, MCU_SDP_ERROR_INVALID, line, "duplicate a=mid:%s (mids must be unique)", mid);
    g_hash_table_add (seen, (gpointer) mid);
  }
  return TRUE;
}

static int
find_mid (const McuSdp *sdp, const char *mid)
{
  for (guint m = 0; m < mcu_sdp_get_n_media (sdp); m++) {
    const char *x = media_mid (sdp, m);
    if (x != NULL && strcmp (x, mid) == 0)
      return (int) m;
  }
  return -1;
}

/* The mids of the first a=group:BUNDLE (NULL if none). Each must name an m-line. */
static gboolean
read_bundle (const McuSdp *sdp, char ***mids, GError **error)
{
  const SdpSection *s = sdp_section (sdp, MCU_SDP_SESSION);

  *mids = NULL;
  for (guint i = 0; i < s->lines->len; i++) {
    const SdpLine *l = &g_array_index (s->lines, SdpLine, i);
    g_auto (GStrv) parts = NULL;
    if (l->type != 'a' || strcmp (l->name, "group") != 0 || l->value == NULL ||
        strncmp (l->value, "BUNDLE", 6) != 0 || (l->value[6] != ' ' && l->value[6] != '\0'))
      continue;
    parts = g_strsplit (l->value[6] ? l->value + 7 : "", " ", MCU_SDP_MAX_MEDIA + 1);
    gboolean any = FALSE;
    for (guint k = 0; parts[k] != NULL; k++) {
      if (*parts[k] != '\0' && find_mid (sdp, parts[k]) < 0)
        return fail_at (error, MCU_SDP_ERROR_INVALID, l->line,
                        "a=group:BUNDLE names mid '%.40s' but no m-line has it", parts[k]);
      any |= *parts[k] != '\0';
    }
    if (any)   /* an empty group bundles nothing: read as no group */
      *mids = g_steal_pointer (&parts);
    return TRUE;
  }
  return TRUE;
}

/* ---- transport: ICE and DTLS ---- */

static gboolean
valid_ice_chars (const char *s)
{
  for (; *s != '\0'; s++)
    if (!g_ascii_isalnum (*s) && *s != '+' && *s != '/')
      return FALSE;
  return TRUE;
}

static gboolean
read_ice (const McuSdp *sdp, guint media, McuSdpNegotiated *n, GError **error)
{
  const SdpLine *ufrag = inherited_line (sdp, media, "ice-ufrag");
  const SdpLine *pwd = inherited_line (sdp, media, "ice-pwd");
  const SdpLine *options = inherited_line (sdp, media, "ice-options");
  gsize ulen, plen;

  if (ufrag == NULL || pwd == NULL || ufrag->value == NULL || pwd->value == NULL)
    return fail_at (error, MCU_SDP_ERROR_MISSING, section_line (sdp, media),
                    "m=%s (mid %s) has no a=ice-ufrag and a=ice-pwd (nor at session level)",
                    mcu_sdp_media_get_type (sdp, media), media_mid (sdp, media));
  ulen = strlen (ufrag->value);
  plen = strlen (pwd->value);
  if (ulen < 4 || ulen > 256 || !valid_ice_chars (ufrag->value))
    return fail_at (error, MCU_SDP_ERROR_SYNTAX, ufrag->line,
                    "a=ice-ufrag must be 4-256 characters of A-Z a-z 0-9 + /");
  if (plen < 22 || plen > 256 || !valid_ice_chars (pwd->value))
    return fail_at (error, MCU_SDP_ERROR_SYNTAX, pwd->line,
                    "a=ice-pwd must be 22-256 characters of A-Z a-z 0-9 + /");
  n->remote_ice_ufrag = g_strdup (ufrag->value);
  n->remote_ice_pwd = g_strdup (pwd->value);
  if (options != NULL && options->value != NULL) {
    g_auto (GStrv) words = g_strsplit (options->value, " ", 16);
    n->remote_ice_trickle = g_strv_contains ((const char *const *) words, "trickle");
    n->remote_ice2 = g_strv_contains ((const char *const *) words, "ice2");
  }
  return TRUE;
}

/* "sha-256 AB:CD:..." with 32 hex pairs. */
static gboolean
valid_sha256 (const char *hex)
{
  if (strlen (hex) != 32 * 3 - 1)
    return FALSE;
  for (guint i = 0; i < 32 * 3 - 1; i++)
    if (i % 3 == 2 ? hex[i] != ':' : !g_ascii_isxdigit (hex[i]))
      return FALSE;
  return TRUE;
}

typedef struct {
  McuSdpNegotiated *n;
  gboolean any;
} FingerprintQuery;

static gboolean
fingerprint_match (const SdpLine *l, gpointer data, GError **error)
{
  FingerprintQuery *q = data;
  const char *v = l->value ? l->value : "";

  q->any = TRUE;
  if (g_ascii_strncasecmp (v, "sha-256 ", 8) != 0 || q->n->remote_fingerprint != NULL)
    return TRUE;
  if (!valid_sha256 (v + 8))
    return fail_at (error, MCU_SDP_ERROR_SYNTAX, l->line,
                    "a=fingerprint:sha-256 needs 32 hex bytes separated by ':'");
  q->n->remote_fingerprint_algorithm = g_strdup ("sha-256");
  q->n->remote_fingerprint = g_ascii_strup (v + 8, -1);
  return TRUE;
}

static gboolean
read_dtls (const McuSdp *sdp, guint media, McuSdpNegotiated *n, gboolean answer, GError **error)
{
  FingerprintQuery q = { n, FALSE };
  int where = attribute_line (sdp, (int) media, "fingerprint") ? (int) media : MCU_SDP_SESSION;
  const SdpLine *setup = inherited_line (sdp, media, "setup");
  const char *role = setup && setup->value ? setup->value : "actpass";

  if (!foreach_attribute (sdp, where, "fingerprint", fingerprint_match, &q, error))
    return FALSE;
  if (n->remote_fingerprint == NULL)
    return fail_at (error, q.any ? MCU_SDP_ERROR_UNSUPPORTED : MCU_SDP_ERROR_MISSING,
                    section_line (sdp, media), "m=%s (mid %s) has %s", mcu_sdp_media_get_type (sdp, media),
                    media_mid (sdp, media),
                    q.any ? "no sha-256 a=fingerprint (the only hash the MCU checks)"
                          : "no a=fingerprint (DTLS needs the peer's certificate hash)");
  if (strcmp (role, "actpass") == 0 && !answer) {
    n->remote_setup = MCU_SDP_SETUP_ACTPASS;
    n->local_dtls_role = MCU_SDP_DTLS_SERVER;
  } else if (strcmp (role, "active") == 0) {
    n->remote_setup = MCU_SDP_SETUP_ACTIVE;
    n->local_dtls_role = MCU_SDP_DTLS_SERVER;
  } else if (strcmp (role, "passive") == 0) {
    n->remote_setup = MCU_SDP_SETUP_PASSIVE;
    n->local_dtls_role = MCU_SDP_DTLS_CLIENT;
  } else {
    return fail_at (error, answer ? MCU_SDP_ERROR_MISMATCH : MCU_SDP_ERROR_UNSUPPORTED, setup->line,
                    "a=setup:%.20s is not %s", role, answer ? "active or passive (answers must choose)"
                                                             : "actpass, active or passive");
  }
  return TRUE;
}

static gboolean
is_token_like (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isalnum (*s))
      return FALSE;
  return TRUE;
}

/* "candidate:FOUNDATION COMPONENT TRANSPORT PRIORITY ADDRESS PORT typ TYPE ..." (RFC 8839 §5.1) */
static gboolean
valid_candidate (const char *value)
{
  g_auto (GStrv) f = g_strsplit (value, " ", 64);
  guint64 n = 0;

  return g_strv_length (f) >= 8 && g_str_has_prefix (f[0], "candidate:") && f[0][10] != '\0' &&
         parse_number (f[1], 256, &n) && n >= 1 && is_token_like (f[2]) &&
         parse_number (f[3], G_MAXUINT32, &n) && *f[4] != '\0' && parse_number (f[5], 65535, &n) &&
         strcmp (f[6], "typ") == 0 && *f[7] != '\0';
}

typedef struct {
  GPtrArray *candidates;
} CandidateQuery;

static gboolean
candidate_match (const SdpLine *l, gpointer data, GError **error)
{
  CandidateQuery *q = data;
  g_autofree char *full = g_strconcat ("candidate:", l->value ? l->value : "", NULL);

  if (!valid_candidate (full))
    return fail_at (error, MCU_SDP_ERROR_SYNTAX, l->line,
                    "a=candidate needs 'FOUNDATION COMPONENT TRANSPORT PRIORITY ADDRESS PORT typ TYPE'");
  if (q->candidates->len < 1000)
    g_ptr_array_add (q->candidates, g_steal_pointer (&full));
  return TRUE;
}

/* Candidates of the transport m-lines (the bundled ones, or the one). */
static gboolean
read_candidates (const McuSdp *sdp, McuSdpNegotiated *n, const guint *transport, guint n_transport,
                 GError **error)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  CandidateQuery q = { all };

  for (guint i = 0; i < n_transport; i++) {
    if (!foreach_attribute (sdp, (int) transport[i], "candidate", candidate_match, &q, error))
      return FALSE;
    n->remote_end_of_candidates |=
      mcu_sdp_get_attribute (sdp, (int) transport[i], "end-of-candidates") != NULL;
  }
  n->remote_end_of_candidates |= mcu_sdp_get_attribute (sdp, MCU_SDP_SESSION, "end-of-candidates") != NULL;
  g_ptr_array_add (all, NULL);
  n->remote_candidates = (char **) g_ptr_array_free (g_steal_pointer (&all), FALSE);
  return TRUE;
}

/* ---- McuSdpNegotiated ---- */

void
mcu_sdp_negotiated_free (McuSdpNegotiated *n)
{
  if (n == NULL)
    return;
  g_free (n->remote_ice_ufrag);
  g_free (n->remote_ice_pwd);
  g_free (n->remote_fingerprint_algorithm);
  g_free (n->remote_fingerprint);
  g_strfreev (n->remote_candidates);
  g_strfreev (n->bundle_mids);
  for (guint i = 0; i < n->n_media; i++) {
    g_free (n->media[i].mid);
    g_free (n->media[i].remote_cname);
    g_free (n->media[i].remote_msid);
  }
  g_free (n->media);
  g_free (n);
}

const McuSdpNegotiatedMedia *
mcu_sdp_negotiated_find (const McuSdpNegotiated *n, McuSdpMediaKind kind)
{
  for (guint i = 0; i < n->n_media; i++)
    if (n->media[i].kind == kind && n->media[i].accepted)
      return &n->media[i];
  return NULL;
}

static McuSdpNegotiated *
negotiated_new (const McuSdp *sdp)
{
  McuSdpNegotiated *n = g_new0 (McuSdpNegotiated, 1);
  guint n_audio = 0, n_video = 0;

  n->n_media = mcu_sdp_get_n_media (sdp);
  n->media = g_new0 (McuSdpNegotiatedMedia, MAX (n->n_media, 1));
  for (guint m = 0; m < n->n_media; m++) {
    n->media[m].index = m;
    n->media[m].mid = g_strdup (media_mid (sdp, m));
    n->media[m].kind = classify (sdp, m, &n_audio, &n_video);
  }
  return n;
}

/* Decides which accepted m-lines share the transport. With BUNDLE: the accepted mids of the group,
 * in group order (the first is the tag); m-lines outside it are rejected (one transport per site).
 * Without: only the first accepted m-line. Fills n->bundle_mids and @transport (m indexes). */
static guint
choose_transport (const McuSdp *sdp, McuSdpNegotiated *n, char **group, guint *transport)
{
  g_autoptr (GPtrArray) mids = g_ptr_array_new_with_free_func (g_free);
  guint count = 0;

  for (guint k = 0; group != NULL && group[k] != NULL; k++) {
    int m = *group[k] ? find_mid (sdp, group[k]) : -1;
    if (m >= 0 && n->media[m].accepted && !g_ptr_array_find_with_equal_func (mids, group[k], g_str_equal, NULL)) {
      transport[count++] = (guint) m;
      g_ptr_array_add (mids, g_strdup (group[k]));
    }
  }
  for (guint m = 0; m < n->n_media; m++) {
    gboolean in = FALSE;
    for (guint k = 0; k < count; k++)
      in |= transport[k] == m;
    if (n->media[m].accepted && !in && (group != NULL || count > 0))
      n->media[m].accepted = FALSE;
    else if (n->media[m].accepted && !in)
      transport[count++] = m;
  }
  n->bundle = group != NULL && count > 0;
  g_ptr_array_add (mids, NULL);
  n->bundle_mids = (char **) g_ptr_array_free (g_steal_pointer (&mids), FALSE);
  return count;
}

/* The checks and readings shared by the answerer (on the offer) and the offerer (on the answer). */
static McuSdpNegotiated *
read_description (const McuSdp *sdp, gboolean is_answer, guint *transport, guint *n_transport,
                  GError **error)
{
  g_autoptr (McuSdpNegotiated) n = NULL;
  g_auto (GStrv) group = NULL;

  if (!check_mids (sdp, error) || !read_bundle (sdp, &group, error))
    return NULL;
  n = negotiated_new (sdp);
  for (guint m = 0; m < n->n_media; m++) {
    McuSdpNegotiatedMedia *nm = &n->media[m];
    gboolean bundle_only = mcu_sdp_get_attribute (sdp, (int) m, "bundle-only") != NULL;
    if (mcu_sdp_media_get_port (sdp, m) == 0 && (is_answer || !bundle_only))
      continue;   /* rejected (or, in an offer, disabled) by the writer */
    if (!read_media (sdp, m, nm, error))
      return NULL;
    nm->direction = reverse_direction (written_direction (sdp, m));
  }
  *n_transport = choose_transport (sdp, n, group, transport);
  if (*n_transport == 0)
    return g_steal_pointer (&n);
  for (guint k = 0; k < *n_transport; k++)
    if (mcu_sdp_get_attribute (sdp, (int) transport[k], "rtcp-mux") == NULL)
      return fail_at (error, MCU_SDP_ERROR_UNSUPPORTED, section_line (sdp, transport[k]),
                      "m=%s (mid %s) has no a=rtcp-mux (the MCU sends RTP and RTCP on one port)",
                      mcu_sdp_media_get_type (sdp, transport[k]), media_mid (sdp, transport[k])),
             NULL;
  if (!read_ice (sdp, transport[0], n, error) || !read_dtls (sdp, transport[0], n, is_answer, error) ||
      !read_candidates (sdp, n, transport, *n_transport, error))
    return NULL;
  return g_steal_pointer (&n);
}

/* ---- writing m-lines ---- */

static const char *
extmap_uri_for (const McuSdpNegotiatedMedia *nm, guint k)
{
  const guint8 *slot = G_STRUCT_MEMBER_P (nm, extensions[k].offset);
  return *slot != 0 ? extensions[k].uri : NULL;
}

static void
add_extmaps (McuSdp *out, guint m, const McuSdpNegotiatedMedia *nm)
{
  for (guint k = 0; k < G_N_ELEMENTS (extensions); k++) {
    const guint8 *slot = G_STRUCT_MEMBER_P (nm, extensions[k].offset);
    if (extmap_uri_for (nm, k) != NULL) {
      g_autofree char *v = g_strdup_printf ("%u %s", *slot, extensions[k].uri);
      mcu_sdp_add_attribute (out, (int) m, "extmap", v);
    }
  }
}

static void
add_feedback (McuSdp *out, guint m, guint pt, guint bits)
{
  for (guint k = 0; k < G_N_ELEMENTS (feedbacks); k++) {
    if (bits & feedbacks[k].bit) {
      g_autofree char *v = g_strdup_printf ("%u %s", pt, feedbacks[k].text);
      mcu_sdp_add_attribute (out, (int) m, "rtcp-fb", v);
    }
  }
}

static void
add_codecs (McuSdp *out, guint m, const McuSdpNegotiatedMedia *nm)
{
  g_autofree char *map = NULL;

  if (nm->kind == MCU_SDP_MEDIA_AUDIO)
    map = g_strdup_printf ("%u opus/48000/2", nm->payload_type);
  else
    map = g_strdup_printf ("%u VP8/90000", nm->payload_type);
  mcu_sdp_add_attribute (out, (int) m, "rtpmap", map);
  add_feedback (out, m, nm->payload_type, nm->rtcp_fb);
  if (nm->kind == MCU_SDP_MEDIA_AUDIO) {
    /* What the MCU wants to receive: 10 ms allowed, in-band FEC on (sites' links lose packets). */
    g_autofree char *fmtp = g_strdup_printf ("%u minptime=10;useinbandfec=1", nm->payload_type);
    mcu_sdp_add_attribute (out, (int) m, "fmtp", fmtp);
  }
  if (nm->rtx_payload_type != 0) {
    g_autofree char *rtx = g_strdup_printf ("%u rtx/90000", nm->rtx_payload_type);
    g_autofree char *apt = g_strdup_printf ("%u apt=%u", nm->rtx_payload_type, nm->payload_type);
    mcu_sdp_add_attribute (out, (int) m, "rtpmap", rtx);
    mcu_sdp_add_attribute (out, (int) m, "fmtp", apt);
  }
}

typedef struct {
  guint32 ssrc, rtx_ssrc;
  const char *track;
} LocalStream;

static LocalStream
local_stream (const McuSdpLocal *local, McuSdpMediaKind kind)
{
  switch (kind) {
  case MCU_SDP_MEDIA_AUDIO:
    return (LocalStream) { local->audio_ssrc, 0, "audio" };
  case MCU_SDP_MEDIA_VIDEO:
    return (LocalStream) { local->video_ssrc, local->video_rtx_ssrc, "video" };
  case MCU_SDP_MEDIA_CONTENT:
    return (LocalStream) { local->content_ssrc, local->content_rtx_ssrc, "content" };
  case MCU_SDP_MEDIA_OTHER:
  default:
    return (LocalStream) { 0, 0, NULL };
  }
}

static void
add_ssrc_lines (McuSdp *out, guint m, guint32 ssrc, const char *cname, const char *msid)
{
  g_autofree char *c = g_strdup_printf ("%u cname:%s", ssrc, cname);
  g_autofree char *s = g_strdup_printf ("%u msid:%s", ssrc, msid);

  mcu_sdp_add_attribute (out, (int) m, "ssrc", c);
  mcu_sdp_add_attribute (out, (int) m, "ssrc", s);
}

/* a=msid, a=ssrc-group:FID and a=ssrc for what the local side sends on @nm. */
static void
add_local_streams (McuSdp *out, guint m, const McuSdpNegotiatedMedia *nm, const McuSdpLocal *local)
{
  LocalStream st = local_stream (local, nm->kind);
  const char *stream = local->stream_id ? local->stream_id : "mcu";
  const char *cname = local->cname ? local->cname : "mcu";
  /* Content is its own MediaStream so a browser shows it apart from the meeting video. */
  g_autofree char *msid = g_strdup_printf ("%s%s %s-%s", stream,
                                           nm->kind == MCU_SDP_MEDIA_CONTENT ? "-content" : "", stream,
                                           st.track);

  if (!(nm->direction & MCU_SDP_DIRECTION_SENDONLY) || st.ssrc == 0)
    return;
  mcu_sdp_add_attribute (out, (int) m, "msid", msid);
  if (st.rtx_ssrc != 0 && nm->rtx_payload_type != 0) {
    g_autofree char *fid = g_strdup_printf ("FID %u %u", st.ssrc, st.rtx_ssrc);
    mcu_sdp_add_attribute (out, (int) m, "ssrc-group", fid);
  }
  add_ssrc_lines (out, m, st.ssrc, cname, msid);
  if (st.rtx_ssrc != 0 && nm->rtx_payload_type != 0)
    add_ssrc_lines (out, m, st.rtx_ssrc, cname, msid);
}

/* Address and port of the first component-1 local candidate, for the m= and c= lines. */
static void
default_address (const McuSdpLocal *local, char **connection, guint *port)
{
  *connection = g_strdup ("IN IP4 0.0.0.0");
  *port = 9;
  for (guint i = 0; local->candidates != NULL && local->candidates[i] != NULL; i++) {
    g_auto (GStrv) f = g_strsplit (local->candidates[i], " ", 9);
    guint64 p = 0;
    if (g_strv_length (f) < 8 || strcmp (f[1], "1") != 0 || !parse_number (f[5], 65535, &p) ||
        g_str_has_suffix (f[4], ".local"))
      continue;
    g_free (*connection);
    *connection = g_strdup_printf ("IN %s %s", strchr (f[4], ':') ? "IP6" : "IP4", f[4]);
    *port = (guint) p;
    return;
  }
}

static void
add_transport (McuSdp *out, guint m, const McuSdpLocal *local, const char *setup, gboolean trickle)
{
  mcu_sdp_add_attribute (out, (int) m, "ice-ufrag", local->ice_ufrag);
  mcu_sdp_add_attribute (out, (int) m, "ice-pwd", local->ice_pwd);
  if (trickle)
    mcu_sdp_add_attribute (out, (int) m, "ice-options", "trickle");
  mcu_sdp_add_attribute (out, (int) m, "fingerprint", local->fingerprint);
  mcu_sdp_add_attribute (out, (int) m, "setup", setup);
}

static void
add_candidates (McuSdp *out, guint m, const McuSdpLocal *local)
{
  for (guint i = 0; local->candidates != NULL && local->candidates[i] != NULL; i++) {
    const char *c = local->candidates[i];
    mcu_sdp_add_attribute (out, (int) m, "candidate",
                           g_str_has_prefix (c, "candidate:") ? c + 10 : c);
  }
  if (local->end_of_candidates)
    mcu_sdp_add_attribute (out, (int) m, "end-of-candidates", NULL);
}

static void
add_rejected (McuSdp *out, const McuSdp *offer, guint m)
{
  const char *const *formats = mcu_sdp_media_get_formats (offer, m);
  guint index = mcu_sdp_add_media (out, mcu_sdp_media_get_type (offer, m), 0,
                                   mcu_sdp_media_get_proto (offer, m), formats[0]);

  mcu_sdp_add_line (out, (int) index, 'c', "IN IP4 0.0.0.0");
  if (media_mid (offer, m) != NULL)
    mcu_sdp_add_attribute (out, (int) index, "mid", media_mid (offer, m));
}

typedef struct {
  const McuSdpLocal *local;
  const char *setup;
  gboolean trickle;
  gboolean tagged;     /* carries the candidates and the default address */
} MediaWriter;

static void
add_accepted (McuSdp *out, const McuSdpNegotiatedMedia *nm, const char *type, const MediaWriter *w)
{
  g_autofree char *formats = nm->rtx_payload_type
    ? g_strdup_printf ("%u %u", nm->payload_type, nm->rtx_payload_type)
    : g_strdup_printf ("%u", nm->payload_type);
  g_autofree char *connection = NULL;
  guint port = 9, m;

  if (w->tagged)
    default_address (w->local, &connection, &port);
  m = mcu_sdp_add_media (out, type, port, PROTO_RTP, formats);
  mcu_sdp_add_line (out, (int) m, 'c', connection ? connection : "IN IP4 0.0.0.0");
  add_transport (out, m, w->local, w->setup, w->trickle);
  if (nm->mid != NULL)
    mcu_sdp_add_attribute (out, (int) m, "mid", nm->mid);
  add_extmaps (out, m, nm);
  mcu_sdp_add_attribute (out, (int) m, mcu_sdp_direction_to_string (nm->direction), NULL);
  add_local_streams (out, m, nm, w->local);
  mcu_sdp_add_attribute (out, (int) m, "rtcp-mux", NULL);
  if (nm->rtcp_rsize)
    mcu_sdp_add_attribute (out, (int) m, "rtcp-rsize", NULL);
  add_codecs (out, m, nm);
  if (w->tagged)
    add_candidates (out, m, w->local);
}

static gboolean
check_local (const McuSdpLocal *local, GError **error)
{
  if (local == NULL || local->ice_ufrag == NULL || local->ice_pwd == NULL || local->fingerprint == NULL) {
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_MISSING,
                 "line 0: the local ICE ufrag/pwd and DTLS fingerprint must be given");
    return FALSE;
  }
  return TRUE;
}

/* ---- answerer ---- */

McuSdp *
mcu_sdp_answer (const McuSdp *offer, const McuSdpLocal *local, McuSdpNegotiated **negotiated,
                GError **error)
{
  g_autoptr (McuSdpNegotiated) n = NULL;
  g_autoptr (McuSdp) out = NULL;
  guint transport[MCU_SDP_MAX_MEDIA], n_transport = 0;
  MediaWriter w = { local, "passive", FALSE, FALSE };

  g_return_val_if_fail (offer != NULL, NULL);
  if (!check_local (local, error) || (n = read_description (offer, FALSE, transport, &n_transport, error)) == NULL)
    return NULL;
  if (mcu_sdp_negotiated_find (n, MCU_SDP_MEDIA_AUDIO) == NULL) {
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_UNSUPPORTED,
                 "line %u: the offer has no usable audio m-line (Opus over UDP/TLS/RTP/SAVPF with rtcp-mux)",
                 n->n_media > 0 ? section_line (offer, 0) : 1);
    return NULL;
  }
  if (n->local_dtls_role == MCU_SDP_DTLS_CLIENT)
    w.setup = "active";
  w.trickle = n->remote_ice_trickle;
  out = mcu_sdp_new ();
  if (local->ice_lite)
    mcu_sdp_add_attribute (out, MCU_SDP_SESSION, "ice-lite", NULL);
  if (n->bundle) {
    g_autofree char *mids = g_strjoinv (" ", n->bundle_mids);
    g_autofree char *group = g_strdup_printf ("BUNDLE %s", mids);
    mcu_sdp_add_attribute (out, MCU_SDP_SESSION, "group", group);
  }
  mcu_sdp_add_attribute (out, MCU_SDP_SESSION, "msid-semantic", " WMS *");
  for (guint m = 0; m < n->n_media; m++) {
    McuSdpNegotiatedMedia *nm = &n->media[m];
    if (!nm->accepted) {
      add_rejected (out, offer, m);
      continue;
    }
    if (!(local_stream (local, nm->kind).ssrc))
      nm->direction &= ~MCU_SDP_DIRECTION_SENDONLY;
    w.tagged = m == transport[0];
    add_accepted (out, nm, mcu_sdp_media_get_type (offer, m), &w);
  }
  if (negotiated != NULL)
    *negotiated = g_steal_pointer (&n);
  return g_steal_pointer (&out);
}

/* ---- offerer (the load generator's side) ---- */

static void
fill_offer_media (McuSdpNegotiatedMedia *nm, McuSdpMediaKind kind, const char *mid, guint8 pt, guint8 rtx)
{
  gboolean audio = kind == MCU_SDP_MEDIA_AUDIO;

  nm->kind = kind;
  nm->mid = (char *) mid;
  nm->accepted = TRUE;
  nm->direction = MCU_SDP_DIRECTION_SENDRECV;
  nm->payload_type = pt;
  nm->rtx_payload_type = rtx;
  nm->rtcp_rsize = TRUE;
  nm->rtcp_fb = audio ? MCU_SDP_FB_TRANSPORT_CC
                      : MCU_SDP_FB_GOOG_REMB | MCU_SDP_FB_TRANSPORT_CC | MCU_SDP_FB_CCM_FIR |
                          MCU_SDP_FB_NACK | MCU_SDP_FB_NACK_PLI;
  nm->extmap.audio_level = audio ? 1 : 0;
  nm->extmap.abs_send_time = 2;
  nm->extmap.transport_cc = 3;
  nm->extmap.mid = 4;
}

McuSdp *
mcu_sdp_offer (const McuSdpLocal *local, gboolean with_content)
{
  static const char *const mids[] = { "0", "1", "2" };
  McuSdpNegotiatedMedia media[3] = { 0 };
  guint n_media = with_content ? 3 : 2;
  g_autoptr (McuSdp) out = NULL;
  MediaWriter w = { local, "actpass", TRUE, FALSE };

  g_return_val_if_fail (check_local (local, NULL), NULL);
  fill_offer_media (&media[0], MCU_SDP_MEDIA_AUDIO, mids[0], 111, 0);
  fill_offer_media (&media[1], MCU_SDP_MEDIA_VIDEO, mids[1], 96, 97);
  fill_offer_media (&media[2], MCU_SDP_MEDIA_CONTENT, mids[2], 98, 99);
  out = mcu_sdp_new ();
  mcu_sdp_add_attribute (out, MCU_SDP_SESSION, "group", with_content ? "BUNDLE 0 1 2" : "BUNDLE 0 1");
  mcu_sdp_add_attribute (out, MCU_SDP_SESSION, "msid-semantic", " WMS *");
  for (guint m = 0; m < n_media; m++) {
    w.tagged = m == 0;
    add_accepted (out, &media[m], m == 0 ? "audio" : "video", &w);
  }
  return g_steal_pointer (&out);
}

/* The answer's m-line @m must keep the offer's mid and use only the offer's codec numbering. */
static gboolean
check_answer_media (const McuSdp *offer, const McuSdp *answer, guint m, const McuSdpNegotiatedMedia *nm,
                    GError **error)
{
  const char *omid = media_mid (offer, m), *amid = media_mid (answer, m);
  Rtpmap offered;
  gboolean found = FALSE;

  if (strcmp (mcu_sdp_media_get_type (offer, m), mcu_sdp_media_get_type (answer, m)) != 0)
    return fail_at (error, MCU_SDP_ERROR_MISMATCH, section_line (answer, m),
                    "m-line %u is m=%s in the answer but m=%s in the offer", m,
                    mcu_sdp_media_get_type (answer, m), mcu_sdp_media_get_type (offer, m));
  if (amid != NULL && (omid == NULL || strcmp (omid, amid) != 0))
    return fail_at (error, MCU_SDP_ERROR_MISMATCH, mcu_sdp_get_attribute_line (answer, (int) m, "mid"),
                    "m-line %u has a=mid:%s in the answer but %s in the offer", m, amid,
                    omid ? omid : "none");
  if (!nm->accepted)
    return TRUE;
  if (!has_format (offer, m, nm->payload_type) ||
      !lookup_rtpmap (offer, m, nm->payload_type, &found, &offered, NULL) || !found ||
      g_ascii_strcasecmp (offered.encoding, nm->kind == MCU_SDP_MEDIA_AUDIO ? "opus" : "VP8") != 0)
    return fail_at (error, MCU_SDP_ERROR_MISMATCH, section_line (answer, m),
                    "payload type %u in the answer is not the offer's %s", nm->payload_type,
                    nm->kind == MCU_SDP_MEDIA_AUDIO ? "Opus" : "VP8");
  return TRUE;
}

gboolean
mcu_sdp_read_answer (const McuSdp *offer, const McuSdp *answer, McuSdpNegotiated **negotiated,
                     GError **error)
{
  g_autoptr (McuSdpNegotiated) n = NULL;
  guint transport[MCU_SDP_MAX_MEDIA], n_transport = 0;

  g_return_val_if_fail (offer != NULL && answer != NULL, FALSE);
  if (mcu_sdp_get_n_media (offer) != mcu_sdp_get_n_media (answer))
    return fail_at (error, MCU_SDP_ERROR_MISMATCH, 1, "the answer has %u m-lines, the offer %u",
                    mcu_sdp_get_n_media (answer), mcu_sdp_get_n_media (offer));
  n = read_description (answer, TRUE, transport, &n_transport, error);
  if (n == NULL)
    return FALSE;
  for (guint m = 0; m < n->n_media; m++) {
    if (!check_answer_media (offer, answer, m, &n->media[m], error))
      return FALSE;
    if (n->media[m].mid == NULL)
      n->media[m].mid = g_strdup (media_mid (offer, m));
  }
  if (n_transport == 0)
    return fail_at (error, MCU_SDP_ERROR_UNSUPPORTED, 1, "the answer rejects every m-line");
  if (negotiated != NULL)
    *negotiated = g_steal_pointer (&n);
  return TRUE;
}
