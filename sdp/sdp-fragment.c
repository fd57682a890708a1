/* SPDX-License-Identifier: MIT */
/*
 * Trickle-ICE SDP fragments (RFC 8840) for WHIP PATCH (RFC 9725 §4.3): parse what a client sends
 * (candidates, end-of-candidates, new ICE credentials on restart) and write the server's reply to an
 * ICE restart.
 *
 * Threads: pure functions; any thread.
 */
#define G_LOG_DOMAIN "mcu-sdp"

#include "sdp.h"

#include <string.h>

#define MAX_FRAGMENT (64 * 1024)
#define MAX_CANDIDATES 1000

void
mcu_sdp_fragment_free (McuSdpFragment *fragment)
{
  if (fragment == NULL)
    return;
  g_free (fragment->ice_ufrag);
  g_free (fragment->ice_pwd);
  for (guint i = 0; i < fragment->n_candidates; i++) {
    g_free (fragment->candidates[i].mid);
    g_free (fragment->candidates[i].candidate);
  }
  g_free (fragment->candidates);
  g_free (fragment);
}

typedef struct {
  McuSdpFragment *frag;
  GArray *candidates;   /* McuSdpFragmentCandidate */
  char *mid;            /* of the current m= section */
  int mline;            /* -1 at session level */
  guint line;
} FragParser;

static gboolean
frag_fail (GError **error, const FragParser *p, const char *what)
{
  g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_SYNTAX, "line %u: %s", p->line, what);
  return FALSE;
}

static gboolean
ice_chars (const char *s, gsize min, gsize max)
{
  gsize len = strlen (s);

  if (len < min || len > max)
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isalnum (*s) && *s != '+' && *s != '/')
      return FALSE;
  return TRUE;
}

/* "FOUNDATION COMPONENT TRANSPORT PRIORITY ADDRESS PORT typ TYPE ..." after "candidate:" */
static gboolean
candidate_ok (const char *value)
{
  g_auto (GStrv) f = g_strsplit (value, " ", 64);
  guint64 n = 0;

  return g_strv_length (f) >= 8 && *f[0] != '\0' && g_ascii_isdigit (*f[1]) &&
         g_ascii_string_to_unsigned (f[1], 10, 1, 256, &n, NULL) && *f[2] != '\0' &&
         g_ascii_isdigit (*f[3]) && g_ascii_string_to_unsigned (f[3], 10, 0, G_MAXUINT32, &n, NULL) &&
         *f[4] != '\0' && g_ascii_isdigit (*f[5]) &&
         g_ascii_string_to_unsigned (f[5], 10, 0, 65535, &n, NULL) && strcmp (f[6], "typ") == 0 &&
         *f[7] != '\0';
}

static gboolean
frag_attribute (FragParser *p, const char *name, const char *value, GError **error)
{
  if (strcmp (name, "ice-ufrag") == 0) {
    if (value == NULL || !ice_chars (value, 4, 256))
      return frag_fail (error, p, "a=ice-ufrag must be 4-256 characters of A-Z a-z 0-9 + /");
    g_free (p->frag->ice_ufrag);
    p->frag->ice_ufrag = g_strdup (value);
  } else if (strcmp (name, "ice-pwd") == 0) {
    if (value == NULL || !ice_chars (value, 22, 256))
      return frag_fail (error, p, "a=ice-pwd must be 22-256 characters of A-Z a-z 0-9 + /");
    g_free (p->frag->ice_pwd);
    p->frag->ice_pwd = g_strdup (value);
  } else if (strcmp (name, "ice-options") == 0 && value != NULL) {
    g_auto (GStrv) words = g_strsplit (value, " ", 16);
    p->frag->ice_trickle |= g_strv_contains ((const char *const *) words, "trickle");
    p->frag->ice2 |= g_strv_contains ((const char *const *) words, "ice2");
  } else if (strcmp (name, "mid") == 0 && value != NULL) {
    g_free (p->mid);
    p->mid = g_strdup (value);
  } else if (strcmp (name, "end-of-candidates") == 0) {
    p->frag->end_of_candidates = TRUE;
  } else if (strcmp (name, "candidate") == 0) {
    McuSdpFragmentCandidate c = { 0 };
    if (value == NULL || !candidate_ok (value))
      return frag_fail (error, p, "a=candidate needs 'FOUNDATION COMPONENT TRANSPORT PRIORITY "
                                  "ADDRESS PORT typ TYPE'");
    if (p->candidates->len >= MAX_CANDIDATES)
      return frag_fail (error, p, "more than 1000 candidates");
    c.mline_index = p->mline < 0 ? 0 : (guint) p->mline;
    c.candidate = g_strconcat ("candidate:", value, NULL);
    g_array_append_val (p->candidates, c);
  }
  return TRUE;   /* other attributes (group, ice-lite, ...) carry nothing for a PATCH */
}

/* Candidates seen before their section's a=mid get the mid when the section ends. */
static void
frag_close_section (FragParser *p, guint first)
{
  for (guint i = first; i < p->candidates->len; i++) {
    McuSdpFragmentCandidate *c = &g_array_index (p->candidates, McuSdpFragmentCandidate, i);
    if (c->mid == NULL && p->mline >= 0 && p->mid != NULL)
      c->mid = g_strdup (p->mid);
  }
  g_clear_pointer (&p->mid, g_free);
}

static gboolean
frag_line (FragParser *p, const char *text, gsize len, guint *section_start, GError **error)
{
  g_autofree char *line = g_strndup (text, len);
  char *colon;

  if (!g_utf8_validate (line, -1, NULL))
    return frag_fail (error, p, "not valid UTF-8");
  if (len < 2 || line[1] != '=')
    return frag_fail (error, p, "expected 'x=value'");
  if (line[0] == 'm') {
    frag_close_section (p, *section_start);
    *section_start = p->candidates->len;
    p->mline++;
    return TRUE;
  }
  if (line[0] != 'a')
    return TRUE;   /* c= and other lines carry nothing a PATCH needs */
  colon = strchr (line + 2, ':');
  if (colon != NULL)
    *colon = '\0';
  return frag_attribute (p, line + 2, colon ? colon + 1 : NULL, error);
}

gboolean
mcu_sdp_fragment_parse (const char *text, gssize len, McuSdpFragment **out, GError **error)
{
  g_autoptr (McuSdpFragment) frag = g_new0 (McuSdpFragment, 1);
  g_autoptr (GArray) candidates = g_array_new (FALSE, TRUE, sizeof (McuSdpFragmentCandidate));
  FragParser p = { frag, candidates, NULL, -1, 0 };
  gsize size = len < 0 ? strlen (text) : (gsize) len;
  guint section_start = 0;
  gboolean ok = TRUE;

  if (size > MAX_FRAGMENT) {
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_TOO_LARGE, "line 1: fragment is larger than 64 KiB");
    return FALSE;
  }
  for (gsize pos = 0; ok && pos < size;) {
    const char *start = text + pos, *nl = memchr (start, '\n', size - pos);
    gsize n = nl ? (gsize) (nl - start) : size - pos;
    p.line++;
    pos += n + (nl ? 1 : 0);
    if (memchr (start, '\0', n) != NULL)
      ok = frag_fail (error, &p, "contains a NUL byte");
    else if ((n > 0 && start[n - 1] == '\r' ? n - 1 : n) > 0)
      ok = frag_line (&p, start, n > 0 && start[n - 1] == '\r' ? n - 1 : n, &section_start, error);
  }
  frag_close_section (&p, section_start);
  if (ok) {
    frag->n_candidates = candidates->len;
    frag->candidates = (McuSdpFragmentCandidate *) g_array_free (g_steal_pointer (&candidates), FALSE);
    *out = g_steal_pointer (&frag);
  } else {
    for (guint i = 0; i < candidates->len; i++) {
      g_free (g_array_index (candidates, McuSdpFragmentCandidate, i).mid);
      g_free (g_array_index (candidates, McuSdpFragmentCandidate, i).candidate);
    }
  }
  return ok;
}

char *
mcu_sdp_fragment_write (const char *ice_ufrag, const char *ice_pwd, const char *mid,
                        const char *const *candidates, gboolean end_of_candidates)
{
  GString *out = g_string_new (NULL);

  if (ice_ufrag != NULL)
    g_string_append_printf (out, "a=ice-ufrag:%s\r\n", ice_ufrag);
  if (ice_pwd != NULL)
    g_string_append_printf (out, "a=ice-pwd:%s\r\n", ice_pwd);
  g_string_append (out, "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n");
  g_string_append_printf (out, "a=mid:%s\r\n", mid ? mid : "0");
  for (guint i = 0; candidates != NULL && candidates[i] != NULL; i++)
    g_string_append_printf (out, "a=%s%s\r\n", g_str_has_prefix (candidates[i], "candidate:") ? "" : "candidate:",
                            candidates[i]);
  if (end_of_candidates)
    g_string_append (out, "a=end-of-candidates\r\n");
  return g_string_free (out, FALSE);
}
