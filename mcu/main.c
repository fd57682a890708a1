/* SPDX-License-Identifier: MIT */
/*
 * mcu: the district video-conferencing server.
 *
 *   mcu [--config FILE] [--http ADDR:PORT]
 *
 * Without --config it reads configs/mcu.conf from the current directory, or else the copy of it
 * built into the binary. Exit status: 0 after a clean stop (SIGINT/SIGTERM), 1 when it cannot start
 * (port taken, ...), 2 for a bad command line or a bad config.
 */
#define G_LOG_DOMAIN "mcu"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include "config.h"
#include "mcu-build-config.h"
#include "mcu-resources.h"
#include "server.h"

#define DEFAULT_CONFIG "configs/mcu.conf"

typedef struct {
  char *config_path;
  char *http_address;
  gboolean version;
} Options;

static gboolean
on_stop_signal (gpointer user_data)
{
  g_message ("stopping on signal");
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_options (int *argc, char ***argv, Options *options, GError **error)
{
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options->config_path,
      "Configuration file (default: " DEFAULT_CONFIG ", else the built-in copy)", "FILE" },
    { "http", 0, 0, G_OPTION_ARG_STRING, &options->http_address,
      "Listen address of the HTTP API and console (default: [server] http, 127.0.0.1:8080)",
      "ADDR:PORT" },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &options->version, "Print the version and exit", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- district video-conferencing server");

  g_option_context_set_summary (context,
      "Mixes the audio and video of up to ~100 bridge points (WebRTC: browsers, bridge-agent, "
      "GStreamer)\ninto one meeting. Open the printed URL for the operator console.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (*argc > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument '%s'", (*argv)[1]);
    return FALSE;
  }
  return TRUE;
}

static McuConfig *
load_config (const char *path, GError **error)
{
  if (path != NULL)
    return mcu_config_load_file (path, error);
  if (g_file_test (DEFAULT_CONFIG, G_FILE_TEST_EXISTS))
    return mcu_config_load_file (DEFAULT_CONFIG, error);

  g_autoptr (GBytes) bytes = g_resources_lookup_data ("/org/mcu/configs/mcu.conf", 0, error);
  if (bytes == NULL)
    return NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  return mcu_config_load_data (data, len, "built-in mcu.conf", error);
}

int
main (int argc, char **argv)
{
  Options options = { 0 };
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");
  if (!parse_options (&argc, &argv, &options, &error)) {
    fprintf (stderr, "mcu: %s\nTry 'mcu --help'.\n", error->message);
    return 2;
  }
  if (options.version) {
    printf ("mcu %s\n", MCU_VERSION);
    return 0;
  }
  g_autoptr (McuConfig) config = load_config (options.config_path, &error);
  if (config == NULL) {
    fprintf (stderr, "mcu: bad configuration: %s\n", error->message);
    return 2;
  }
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (McuServer) server = mcu_server_new (config, options.http_address, &error);
  if (server == NULL) {
    fprintf (stderr, "mcu: cannot start: %s\n", error->message);
    return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT) ? 2 : 1;
  }
  g_autofree char *url = mcu_http_get_url (mcu_server_get_http (server));
  g_unix_signal_add (SIGINT, on_stop_signal, loop);
  g_unix_signal_add (SIGTERM, on_stop_signal, loop);
  printf ("mcu %s ready (config %s): open %s\n", MCU_VERSION, mcu_config_get_origin (config), url);
  fflush (stdout);
  g_main_loop_run (loop);
  g_free (options.config_path);
  g_free (options.http_address);
  return 0;
}
