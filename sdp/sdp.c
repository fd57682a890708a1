/* SPDX-License-Identifier: MIT */
/*
 * SDP model, parser and writer (RFC 8866). The parser checks the grammar the WebRTC profile needs —
 * v= o= s= first, t= before any m=, known line types, well-formed m= lines and attribute names — and
 * bounds its work (size, line length, line and section counts) so any input ends in a McuSdp or a
 * GError naming the line. Meaning (ICE, DTLS, codecs) is checked by sdp-negotiate.c.
 *
 * Threads: none of its own; see sdp.h.
 */
#define G_LOG_DOMAIN "mcu-sdp"

#include "sdp-private.h"

#include <string.h>

G_DEFINE_QUARK (mcu-sdp-error-quark, mcu_sdp_error)

static void
line_clear (gpointer data)
{
  SdpLine *line = data;

  g_free (line->name);
  g_free (line->value);
}

static void
section_init (SdpSection *section)
{
  section->lines = g_array_new (FALSE, TRUE, sizeof (SdpLine));
  g_array_set_clear_func (section->lines, line_clear);
}

static void
section_clear (SdpSection *section)
{
  g_clear_pointer (&section->lines, g_array_unref);
  g_clear_pointer (&section->type, g_free);
  g_clear_pointer (&section->proto, g_free);
  g_clear_pointer (&section->formats, g_strfreev);
}

static void
section_free (gpointer data)
{
  section_clear (data);
  g_free (data);
}

static McuSdp *
sdp_alloc (void)
{
  McuSdp *sdp = g_new0 (McuSdp, 1);

  g_atomic_ref_count_init (&sdp->ref);
  section_init (&sdp->session);
  sdp->media = g_ptr_array_new_with_free_func (section_free);
  return sdp;
}

McuSdp *
mcu_sdp_ref (McuSdp *sdp)
{
  g_return_val_if_fail (sdp != NULL, NULL);
  g_atomic_ref_count_inc (&sdp->ref);
  return sdp;
}

void
mcu_sdp_unref (McuSdp *sdp)
{
  if (sdp == NULL || !g_atomic_ref_count_dec (&sdp->ref))
    return;
  section_clear (&sdp->session);
  g_ptr_array_unref (sdp->media);
  g_free (sdp);
}

const SdpSection *
sdp_section (const McuSdp *sdp, int media)
{
  if (media == MCU_SDP_SESSION)
    return &sdp->session;
  if (media < 0 || (guint) media >= sdp->media->len)
    return NULL;
  return g_ptr_array_index (sdp->media, media);
}

/* ---- reading ---- */

guint
mcu_sdp_get_n_media (const McuSdp *sdp)
{
  return sdp->media->len;
}

const char *
mcu_sdp_media_get_type (const McuSdp *sdp, guint media)
{
  const SdpSection *s = sdp_section (sdp, (int) media);
  return s ? s->type : NULL;
}

guint
mcu_sdp_media_get_port (const McuSdp *sdp, guint media)
{
  const SdpSection *s = sdp_section (sdp, (int) media);
  return s ? s->port : 0;
}

const char *
mcu_sdp_media_get_proto (const McuSdp *sdp, guint media)
{
  const SdpSection *s = sdp_section (sdp, (int) media);
  return s ? s->proto : NULL;
}

const char *const *
mcu_sdp_media_get_formats (const McuSdp *sdp, guint media)
{
  const SdpSection *s = sdp_section (sdp, (int) media);
  return s ? (const char *const *) s->formats : NULL;
}

guint
mcu_sdp_media_get_line (const McuSdp *sdp, guint media)
{
  const SdpSection *s = sdp_section (sdp, (int) media);
  return s ? g_array_index (s->lines, SdpLine, 0).line : 0;
}

static const SdpLine *
find_attribute (const McuSdp *sdp, int media, const char *name)
{
  const SdpSection *s = sdp_section (sdp, media);

  for (guint i = 0; s != NULL && i < s->lines->len; i++) {
    const SdpLine *l = &g_array_index (s->lines, SdpLine, i);
    if (l->type == 'a' && strcmp (l->name, name) == 0)
      return l;
  }
  return NULL;
}

const char *
mcu_sdp_get_attribute (const McuSdp *sdp, int media, const char *name)
{
  const SdpLine *l = find_attribute (sdp, media, name);

  if (l == NULL)
    return NULL;
  return l->value ? l->value : "";
}

guint
mcu_sdp_get_attribute_line (const McuSdp *sdp, int media, const char *name)
{
  const SdpLine *l = find_attribute (sdp, media, name);
  return l ? l->line : 0;
}

gboolean
mcu_sdp_get_attribute_at (const McuSdp *sdp, int media, guint i, const char **name, const char **value)
{
  const SdpSection *s = sdp_section (sdp, media);
  guint seen = 0;

  for (guint k = 0; s != NULL && k < s->lines->len; k++) {
    const SdpLine *l = &g_array_index (s->lines, SdpLine, k);
    if (l->type != 'a')
      continue;
    if (seen++ == i) {
      *name = l->name;
      *value = l->value;
      return TRUE;
    }
  }
  return FALSE;
}

/* ---- building ---- */

static void
append_line (SdpSection *s, char type, const char *name, const char *value, guint line)
{
  SdpLine l = { type, g_strdup (name), g_strdup (value), line };
  g_array_append_val (s->lines, l);
}

McuSdp *
mcu_sdp_new (void)
{
  McuSdp *sdp = sdp_alloc ();
  g_autofree char *origin = g_strdup_printf ("- %" G_GUINT64_FORMAT " 2 IN IP4 127.0.0.1",
                                             ((guint64) g_random_int () << 30) ^ g_random_int ());

  append_line (&sdp->session, 'v', NULL, "0", 0);
  append_line (&sdp->session, 'o', NULL, origin, 0);
  append_line (&sdp->session, 's', NULL, "-", 0);
  append_line (&sdp->session, 't', NULL, "0 0", 0);
  return sdp;
}

guint
mcu_sdp_add_media (McuSdp *sdp, const char *type, guint port, const char *proto, const char *formats)
{
  SdpSection *s = g_new0 (SdpSection, 1);
  g_autofree char *mline = g_strdup_printf ("%s %u %s %s", type, port, proto, formats);

  section_init (s);
  s->type = g_strdup (type);
  s->port = port;
  s->proto = g_strdup (proto);
  s->formats = g_strsplit (formats, " ", -1);
  append_line (s, 'm', NULL, mline, 0);
  g_ptr_array_add (sdp->media, s);
  return sdp->media->len - 1;
}

void
mcu_sdp_add_attribute (McuSdp *sdp, int media, const char *name, const char *value)
{
  SdpSection *s = (SdpSection *) sdp_section (sdp, media);

  g_return_if_fail (s != NULL && name != NULL);
  append_line (s, 'a', name, value, 0);
}

void
mcu_sdp_add_line (McuSdp *sdp, int media, char type, const char *value)
{
  SdpSection *s = (SdpSection *) sdp_section (sdp, media);

  g_return_if_fail (s != NULL && type != 'a' && type != 'm');
  append_line (s, type, NULL, value, 0);
}

/* ---- writing ---- */

static void
write_section (GString *out, const SdpSection *s)
{
  for (guint i = 0; i < s->lines->len; i++) {
    const SdpLine *l = &g_array_index (s->lines, SdpLine, i);
    if (l->type == 'a' && l->value != NULL)
      g_string_append_printf (out, "a=%s:%s\r\n", l->name, l->value);
    else if (l->type == 'a')
      g_string_append_printf (out, "a=%s\r\n", l->name);
    else
      g_string_append_printf (out, "%c=%s\r\n", l->type, l->value);
  }
}

char *
mcu_sdp_to_string (const McuSdp *sdp)
{
  GString *out = g_string_sized_new (2048);

  write_section (out, &sdp->session);
  for (guint i = 0; i < sdp->media->len; i++)
    write_section (out, g_ptr_array_index (sdp->media, i));
  return g_string_free (out, FALSE);
}

/* ---- parsing ---- */

typedef struct {
  McuSdp *sdp;
  SdpSection *current;
  guint line;           /* number of the line being parsed */
  guint n_lines;
  gboolean have_time;
} Parser;

/* A short, printable excerpt of a bad line for error messages. */
static char *
excerpt (const char *text, gsize len)
{
  g_autofree char *cut = g_strndup (text, MIN (len, 40));
  g_autofree char *escaped = g_strescape (cut, NULL);

  return g_strdup_printf ("'%s%s'", escaped, len > 40 ? "..." : "");
}

static gboolean
fail (GError **error, McuSdpError code, const Parser *p, const char *format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (GError **error, McuSdpError code, const Parser *p, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *raw = g_strdup_vprintf (format, args);
  /* Excerpts cut at a byte count may split a character: keep messages valid UTF-8 (they end up in JSON). */
  g_autofree char *what = g_utf8_make_valid (raw, -1);
  va_end (args);

  g_set_error (error, MCU_SDP_ERROR, code, "line %u: %s", p->line, what);
  return FALSE;
}

static gboolean
is_token_char (char c)
{
  /* RFC 8866 token-char: visible ASCII except specials ("(),/:;<=>?@[\]{}, etc.). */
  return g_ascii_isalnum (c) || strchr ("!#$%&'*+-.^_`{|}~", c) != NULL;
}

static gboolean
is_token (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!is_token_char (*s))
      return FALSE;
  return TRUE;
}

/* Whole decimal number in [0, max]; no sign, no spaces. */
static gboolean
parse_uint (const char *s, guint64 max, guint64 *out)
{
  if (!g_ascii_isdigit (*s))
    return FALSE;
  return g_ascii_string_to_unsigned (s, 10, 0, max, out, NULL);
}

static gboolean
parse_media_line (Parser *p, const char *value, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (value, " ", -1);
  g_auto (GStrv) port_parts = NULL;
  guint64 port = 0, n_ports = 1;
  SdpSection *s;

  if (g_strv_length (parts) < 4 || *parts[0] == '\0' || *parts[1] == '\0' || *parts[2] == '\0')
    return fail (error, MCU_SDP_ERROR_SYNTAX, p,
                 "m= line needs 'MEDIA PORT PROTO FORMAT...', got 'm=%.60s'", value);
  if (!is_token (parts[0]))
    return fail (error, MCU_SDP_ERROR_SYNTAX, p, "media type '%.40s' is not a token", parts[0]);
  port_parts = g_strsplit (parts[1], "/", 2);
  if (!parse_uint (port_parts[0], 65535, &port) ||
      (port_parts[1] != NULL && !parse_uint (port_parts[1], 65535, &n_ports)))
    return fail (error, MCU_SDP_ERROR_SYNTAX, p, "port '%.40s' is not a number from 0 to 65535",
                 parts[1]);
  for (guint i = 3; parts[i] != NULL; i++)
    if (!is_token (parts[i]))
      return fail (error, MCU_SDP_ERROR_SYNTAX, p, "format '%.40s' in the m= line is not a token",
                   parts[i]);
  if (p->sdp->media->len >= MCU_SDP_MAX_MEDIA)
    return fail (error, MCU_SDP_ERROR_TOO_LARGE, p, "more than %d m= sections", MCU_SDP_MAX_MEDIA);

  s = g_new0 (SdpSection, 1);
  section_init (s);
  s->type = g_strdup (parts[0]);
  s->port = (guint) port;
  s->proto = g_strdup (parts[2]);
  s->formats = g_strdupv (parts + 3);
  append_line (s, 'm', NULL, value, p->line);
  g_ptr_array_add (p->sdp->media, s);
  p->current = s;
  return TRUE;
}

static gboolean
parse_attribute (Parser *p, const char *value, GError **error)
{
  const char *colon = strchr (value, ':');
  g_autofree char *name = colon ? g_strndup (value, colon - value) : g_strdup (value);

  if (!is_token (name))
    return fail (error, MCU_SDP_ERROR_SYNTAX, p, "attribute name in 'a=%.40s' is not a token", value);
  append_line (p->current, 'a', name, colon ? colon + 1 : NULL, p->line);
  return TRUE;
}

static gboolean
parse_origin (Parser *p, const char *value, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (value, " ", -1);
  guint64 n = 0;

  if (g_strv_length (parts) != 6)
    return fail (error, MCU_SDP_ERROR_SYNTAX, p,
                 "o= line needs 6 fields 'USER SESS-ID SESS-VERSION IN IP4 ADDRESS', got 'o=%.60s'",
                 value);
  if (!parse_uint (parts[1], G_MAXUINT64, &n) || !parse_uint (parts[2], G_MAXUINT64, &n))
    return fail (error, MCU_SDP_ERROR_SYNTAX, p, "o= session id and version must be numbers");
  return TRUE;
}

static gboolean
parse_connection (Parser *p, const char *value, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (value, " ", -1);

  if (g_strv_length (parts) != 3 || *parts[2] == '\0')
    return fail (error, MCU_SDP_ERROR_SYNTAX, p, "c= line needs 'IN IP4|IP6 ADDRESS', got 'c=%.60s'",
                 value);
  return TRUE;
}

/* Line types RFC 8866 allows, and where. */
static gboolean
type_allowed (char type, gboolean in_media)
{
  return strchr (in_media ? "icbka" : "iuepcbtrzka", type) != NULL;
}

static gboolean
parse_header (Parser *p, char type, const char *value, GError **error)
{
  static const char expected[] = { 'v', 'o', 's' };
  guint index = p->n_lines - 1;

  if (type != expected[index])
    return fail (error, MCU_SDP_ERROR_SYNTAX, p, "expected the '%c=' line here, got '%c='",
                 expected[index], type);
  if (type == 'v' && strcmp (value, "0") != 0)
    return fail (error, MCU_SDP_ERROR_SYNTAX, p, "unsupported SDP version 'v=%.20s' (only v=0)", value);
  if (type == 'o' && !parse_origin (p, value, error))
    return FALSE;
  append_line (&p->sdp->session, type, NULL, value, p->line);
  return TRUE;
}

static gboolean
parse_line (Parser *p, const char *text, gsize len, GError **error)
{
  g_autofree char *value = NULL;
  char type;

  if (len > MCU_SDP_MAX_LINE)
    return fail (error, MCU_SDP_ERROR_TOO_LARGE, p, "line is longer than %d bytes", MCU_SDP_MAX_LINE);
  if (!g_utf8_validate_len (text, len, NULL))
    return fail (error, MCU_SDP_ERROR_SYNTAX, p, "not valid UTF-8");
  if (len < 2 || text[1] != '=' || !g_ascii_islower (text[0])) {
    g_autofree char *bad = excerpt (text, len);
    return fail (error, MCU_SDP_ERROR_SYNTAX, p, "expected 'x=value', got %s", bad);
  }
  if (++p->n_lines > MCU_SDP_MAX_LINES)
    return fail (error, MCU_SDP_ERROR_TOO_LARGE, p, "more than %d lines", MCU_SDP_MAX_LINES);
  type = text[0];
  value = g_strndup (text + 2, len - 2);
  if (p->n_lines <= 3)
    return parse_header (p, type, value, error);
  if (type == 'm') {
    if (!p->have_time)
      return fail (error, MCU_SDP_ERROR_MISSING, p, "no t= line before the first m= line");
    return parse_media_line (p, value, error);
  }
  if (!type_allowed (type, p->current != &p->sdp->session))
    return fail (error, MCU_SDP_ERROR_SYNTAX, p, "line type '%c=' is not allowed %s", type,
                 p->current != &p->sdp->session ? "in a media section" : "at session level");
  if (type == 'a')
    return parse_attribute (p, value, error);
  if (type == 'c' && !parse_connection (p, value, error))
    return FALSE;
  p->have_time |= type == 't';
  append_line (p->current, type, NULL, value, p->line);
  return TRUE;
}

McuSdp *
mcu_sdp_parse (const char *text, gssize len, GError **error)
{
  g_autoptr (McuSdp) sdp = NULL;
  Parser p = { 0 };
  gsize size;
  const char *nul;

  g_return_val_if_fail (text != NULL || len == 0, NULL);
  size = len < 0 ? strlen (text) : (gsize) len;
  if (size > MCU_SDP_MAX_SIZE) {
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_TOO_LARGE,
                 "line 1: description is %" G_GSIZE_FORMAT " bytes, more than the %d allowed", size,
                 MCU_SDP_MAX_SIZE);
    return NULL;
  }
  sdp = sdp_alloc ();
  p.sdp = sdp;
  p.current = &sdp->session;
  nul = size > 0 ? memchr (text, '\0', size) : NULL;
  for (gsize pos = 0; pos < size;) {
    const char *start = text + pos;
    const char *nl = memchr (start, '\n', size - pos);
    gsize line_len = nl ? (gsize) (nl - start) : size - pos;

    p.line++;
    pos += line_len + (nl ? 1 : 0);
    if (nul != NULL && nul < start + line_len + 1) {
      fail (error, MCU_SDP_ERROR_SYNTAX, &p, "contains a NUL byte");
      return NULL;
    }
    if (line_len > 0 && start[line_len - 1] == '\r')
      line_len--;
    if (line_len == 0)
      continue;   /* tolerate blank lines (a trailing one is common) */
    if (!parse_line (&p, start, line_len, error))
      return NULL;
  }
  if (p.n_lines < 3) {
    p.line = MAX (p.line, 1);
    fail (error, MCU_SDP_ERROR_MISSING, &p, "description ends before its v=, o= and s= lines");
    return NULL;
  }
  if (!p.have_time) {
    fail (error, MCU_SDP_ERROR_MISSING, &p, "no t= line in the session section");
    return NULL;
  }
  return g_steal_pointer (&sdp);
}
