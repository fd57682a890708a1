/* SPDX-License-Identifier: MIT */
/*
 * BridgeAgent: the running site agent. Glues the pure parts (reconnect state machine, adaptation) to
 * the I/O parts (media pipeline, WHIP client, status server) and the clock.
 *
 * Threads: everything on the default main context's loop.
 */
#pragma once

#include <glib.h>

#include "config.h"

G_BEGIN_DECLS

typedef struct _BridgeAgent BridgeAgent;

/* (transfer full): validates the config (server URL, room), loads the site id, starts capture and the
 * status page. @config must outlive the agent. */
BridgeAgent *bridge_agent_new (const BridgeConfig *config, GError **error);
void bridge_agent_free (BridgeAgent *agent);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeAgent, bridge_agent_free)

/* (transfer none): the status page URL with the port actually bound. */
const char *bridge_agent_get_status_url (BridgeAgent *agent);

/* Joins and keeps the site in the meeting until SIGINT/SIGTERM; leaves cleanly.
 * Returns the exit status (0, or 1 when capture failed). */
int bridge_agent_run (BridgeAgent *agent);

G_END_DECLS
