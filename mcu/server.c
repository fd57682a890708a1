/* SPDX-License-Identifier: MIT */
/*
 * The server object: wires configuration, HTTP API modules and (as they land) rooms together.
 * Threads: control thread.
 */
#define G_LOG_DOMAIN "mcu-server"

#include "server.h"

#include "api/health.h"

struct _McuServer {
  McuConfig *config;
  McuHttp *http;
  gint64 started_us;
};

McuServer *
mcu_server_new (McuConfig *config, const char *http_address, GError **error)
{
  g_autoptr (McuServer) server = g_new0 (McuServer, 1);
  const char *address = http_address ? http_address : mcu_config_get_string (config, "server", "http");

  server->config = mcu_config_ref (config);
  server->started_us = g_get_monotonic_time ();
  server->http = mcu_http_new (address, error);
  if (server->http == NULL)
    return NULL;
  mcu_api_health_register (server->http, server);
  return g_steal_pointer (&server);
}

void
mcu_server_free (McuServer *server)
{
  g_clear_pointer (&server->http, mcu_http_free);
  g_clear_pointer (&server->config, mcu_config_unref);
  g_free (server);
}

McuConfig *
mcu_server_get_config (McuServer *server)
{
  return server->config;
}

McuHttp *
mcu_server_get_http (McuServer *server)
{
  return server->http;
}

gint64
mcu_server_get_uptime_s (McuServer *server)
{
  return (g_get_monotonic_time () - server->started_us) / G_USEC_PER_SEC;
}
