/* SPDX-License-Identifier: MIT */
/*
 * GET /health → 200 {"status": "ok", "version": "...", "uptime_s": N}. Monitoring probes and the
 * README's first command use it to know the server is up. Threads: control thread.
 */
#define G_LOG_DOMAIN "mcu-api"

#include "health.h"

#include "mcu-build-config.h"
#include "server.h"

static void
handle_health (McuRequest *request, gpointer user_data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ok");
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, MCU_VERSION);
  json_builder_set_member_name (builder, "uptime_s");
  json_builder_add_int_value (builder, mcu_server_get_uptime_s (user_data));
  json_builder_end_object (builder);
  mcu_http_reply_json (request->msg, SOUP_STATUS_OK, json_builder_get_root (builder));
}

static const McuRoute routes[] = {
  { "GET", "/health", handle_health },
};

void
mcu_api_health_register (McuHttp *http, McuServer *server)
{
  mcu_http_add_routes (http, routes, G_N_ELEMENTS (routes), server);
}
