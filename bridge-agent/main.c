/* SPDX-License-Identifier: MIT */
/*
 * bridge-agent: keeps one site (điểm cầu) in a district meeting.
 *
 *   bridge-agent [--config FILE] [--server URL] [--room ROOM] [--token T | --name NAME]
 *                [--source test|auto|FILE] [--headless] [--status-listen ADDR:PORT]
 *   bridge-agent status [--config FILE] [--status-listen ADDR:PORT]   prints /status.json
 *
 * Flags override the config file. Without --config, /etc/bridge-agent/bridge-agent.conf is read if it
 * exists. Exit status: 0 stopped by a signal; 1 capture failed or `status` could not reach the agent;
 * 2 bad command line or configuration (the message names file:line:key or the flag). An unreachable
 * server is not an error: the agent keeps retrying.
 *
 * Threads: main thread; the agent runs the default main context.
 */
#define G_LOG_DOMAIN "bridge-agent"

#include <gst/gst.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <stdio.h>

#include "agent.h"
#include "config.h"
#include "status.h"

#define DEFAULT_CONFIG "/etc/bridge-agent/bridge-agent.conf"

typedef struct {
  char *config, *server, *room, *token, *name, *source, *status_listen;
  gboolean headless;
} Flags;

static void
flags_clear (Flags *f)
{
  g_free (f->config);
  g_free (f->server);
  g_free (f->room);
  g_free (f->token);
  g_free (f->name);
  g_free (f->source);
  g_free (f->status_listen);
}

static gboolean
parse_flags (int *argc, char ***argv, Flags *f, GError **error)
{
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &f->config, "Configuration file (default " DEFAULT_CONFIG " if it exists)", "FILE" },
    { "server", 0, 0, G_OPTION_ARG_STRING, &f->server, "Base URL of the mcu, e.g. http://10.10.0.1:8080", "URL" },
    { "room", 0, 0, G_OPTION_ARG_STRING, &f->room, "Meeting room to join", "ROOM" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &f->token, "This site's token (Authorization: Bearer)", "TOKEN" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &f->name, "Guest name, when the room allows guests", "NAME" },
    { "source", 0, 0, G_OPTION_ARG_STRING, &f->source, "auto (camera+mic), test (pattern+tone) or a media file", "SOURCE" },
    { "headless", 0, 0, G_OPTION_ARG_NONE, &f->headless, "No window, no loudspeakers", NULL },
    { "status-listen", 0, 0, G_OPTION_ARG_STRING, &f->status_listen, "Address of the local status page (default 127.0.0.1:8089)", "ADDR:PORT" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("[status] — keep this site in the meeting");

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
    "With 'status', prints the running agent's /status.json.\n"
    "Every option can also be set in the config file; see configs/bridge-agent.conf.\n"
    "Exit status 2: bad command line or configuration.");
  return g_option_context_parse (context, argc, argv, error);
}

typedef struct {
  const char *group, *key, *flag;
  const char *value;
} Override;

static BridgeConfig *
load_config (const Flags *f, GError **error)
{
  g_autoptr (BridgeConfig) config = NULL;

  if (f->config != NULL)
    config = bridge_config_load_file (f->config, error);
  else if (g_file_test (DEFAULT_CONFIG, G_FILE_TEST_EXISTS))
    config = bridge_config_load_file (DEFAULT_CONFIG, error);
  else
    config = bridge_config_new ();
  if (config == NULL)
    return NULL;
  const Override overrides[] = {
    { "agent", "server", "--server", f->server },
    { "agent", "room", "--room", f->room },
    { "agent", "token", "--token", f->token },
    { "agent", "name", "--name", f->name },
    { "media", "source", "--source", f->source },
    { "show", "headless", "--headless", f->headless ? "true" : NULL },
    { "status", "listen", "--status-listen", f->status_listen },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (overrides); i++)
    if (overrides[i].value != NULL
        && !bridge_config_set (config, overrides[i].group, overrides[i].key, overrides[i].value, overrides[i].flag, error))
      return NULL;
  guint16 port = 0;
  const char *listen = bridge_config_get_string (config, "status", "listen");
  g_autofree char *host = bridge_parse_listen (listen, &port, error);
  if (host == NULL) {
    g_prefix_error (error, "%s: key 'listen' in [status]: ", bridge_config_get_origin (config, "status", "listen"));
    return NULL;
  }
  return g_steal_pointer (&config);
}

static int
print_status (const BridgeConfig *config)
{
  guint16 port = 0;
  g_autofree char *host = bridge_parse_listen (bridge_config_get_string (config, "status", "listen"), &port, NULL);
  g_autofree char *url = g_strdup_printf (strchr (host, ':') ? "http://[%s]:%u/status.json" : "http://%s:%u/status.json",
                                          host, port);
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 5, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read (session, msg, NULL, &error);

  if (body == NULL || soup_message_get_status (msg) != SOUP_STATUS_OK) {
    fprintf (stderr, "bridge-agent: no agent answers on %s: %s\n", url,
             error ? error->message : soup_status_get_phrase (soup_message_get_status (msg)));
    return 1;
  }
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);
  fwrite (data, 1, len, stdout);
  fputc ('\n', stdout);
  return 0;
}

int
main (int argc, char **argv)
{
  Flags flags = { 0 };
  g_autoptr (GError) error = NULL;
  int status = 2;

  setlocale (LC_ALL, "");
  gst_init (&argc, &argv);
  gboolean subcommand_status = argc > 1 && g_str_equal (argv[1], "status");
  if (!parse_flags (&argc, &argv, &flags, &error)) {
    fprintf (stderr, "bridge-agent: %s (see --help)\n", error->message);
  } else if (argc > (subcommand_status ? 2 : 1)) {
    fprintf (stderr, "bridge-agent: unexpected argument '%s' (see --help)\n", argv[subcommand_status ? 2 : 1]);
  } else {
    g_autoptr (BridgeConfig) config = load_config (&flags, &error);
    if (config == NULL) {
      fprintf (stderr, "bridge-agent: bad configuration: %s\n", error->message);
    } else if (subcommand_status) {
      status = print_status (config);
    } else {
      g_autoptr (BridgeAgent) agent = bridge_agent_new (config, &error);
      if (agent == NULL) {
        gboolean config_error = error->domain == BRIDGE_CONFIG_ERROR || error->domain == G_IO_ERROR;
        fprintf (stderr, "bridge-agent: %s%s\n", config_error ? "bad configuration: " : "", error->message);
        status = config_error ? 2 : 1;
      } else {
        printf ("bridge-agent: status on %s\n", bridge_agent_get_status_url (agent));
        fflush (stdout);
        status = bridge_agent_run (agent);
      }
    }
  }
  flags_clear (&flags);
  return status;
}
