/* SPDX-License-Identifier: MIT */
/*
 * McuServer: the whole server in one object — its configuration, HTTP front door and (as they land)
 * rooms, transport and mixers. main.c makes one; tests may make several in one process.
 *
 * Threads: created, used and freed on the control thread (the thread running the default main context).
 */
#pragma once

#include "config.h"
#include "api/http.h"

G_BEGIN_DECLS

typedef struct _McuServer McuServer;

/* (transfer full). @http_address overrides [server] http when not NULL. */
McuServer *mcu_server_new (McuConfig *config, const char *http_address, GError **error);
void mcu_server_free (McuServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuServer, mcu_server_free)

McuConfig *mcu_server_get_config (McuServer *server);   /* (transfer none) */
McuHttp *mcu_server_get_http (McuServer *server);       /* (transfer none) */
gint64 mcu_server_get_uptime_s (McuServer *server);

G_END_DECLS
