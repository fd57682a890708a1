/* SPDX-License-Identifier: MIT */
/*
 * The site's persistent identity: a random id generated on first start and kept in a file
 * (STATE_DIR/site-id), so the mcu and the operator see the same site across restarts and re-joins.
 * Threads: main thread, at start.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* (transfer full): the id stored in @state_dir (created 0700 if needed; "" = $XDG_STATE_HOME/bridge-agent),
 * generating and storing one the first time. */
char *bridge_site_identity_load (const char *state_dir, GError **error);

G_END_DECLS
