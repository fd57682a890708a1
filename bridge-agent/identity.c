/* SPDX-License-Identifier: MIT */
/*
 * Persistent site id (see identity.h). A malformed id file (truncated write, edited by hand) is
 * replaced rather than trusted: the id goes into URLs and logs.
 * Threads: main thread.
 */
#define G_LOG_DOMAIN "bridge-identity"

#include "identity.h"

#include <errno.h>
#include <glib/gstdio.h>

static gboolean
valid_id (const char *id)
{
  gsize n = 0;

  for (const char *p = id; *p; p++, n++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;
  return n >= 8 && n <= 64;
}

char *
bridge_site_identity_load (const char *state_dir, GError **error)
{
  g_autofree char *dir = state_dir && *state_dir ? g_strdup (state_dir)
                                                 : g_build_filename (g_get_user_state_dir (), "bridge-agent", NULL);
  g_autofree char *path = g_build_filename (dir, "site-id", NULL);
  g_autofree char *text = NULL;

  if (g_file_get_contents (path, &text, NULL, NULL)) {
    g_strstrip (text);
    if (valid_id (text))
      return g_steal_pointer (&text);
    g_warning ("%s does not hold a site id: making a new one", path);
  }
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    int saved = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot create %s: %s", dir,
                 g_strerror (saved));
    return NULL;
  }
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *line = g_strdup_printf ("%s\n", id);
  if (!g_file_set_contents_full (path, line, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error)) {
    g_prefix_error (error, "cannot store the site id: ");
    return NULL;
  }
  return g_steal_pointer (&id);
}
