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
#include "transport/cert.h"
#include "transport/peer.h"
#include "conference/mix.h"

G_BEGIN_DECLS

typedef struct _McuServer McuServer;

/* (transfer full). @http_address overrides [server] http when not NULL. */
McuServer *mcu_server_new (McuConfig *config, const char *http_address, GError **error);
void mcu_server_free (McuServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuServer, mcu_server_free)

McuConfig *mcu_server_get_config (McuServer *server);   /* (transfer none) */
McuHttp *mcu_server_get_http (McuServer *server);       /* (transfer none) */
gint64 mcu_server_get_uptime_s (McuServer *server);

typedef struct _McuRoom McuRoom;
McuRoom *mcu_server_lookup_room (McuServer *server, const char *id);   /* (transfer none), NULL if unknown */
McuCertificate *mcu_server_get_certificate (McuServer *server);        /* (transfer none) */
const McuPeerConfig *mcu_server_get_peer_config (McuServer *server);

/* Room registry (admin API, state file). add: (transfer full) of @room; MCU_ROOM_ERROR_EXISTS when
 * the id is taken. remove: closes the room's sessions; FALSE if unknown. list: (transfer container),
 * sorted by id. */
gboolean mcu_server_add_room (McuServer *server, McuRoom *room, GError **error);
gboolean mcu_server_remove_room (McuServer *server, const char *id);
GPtrArray *mcu_server_list_rooms (McuServer *server);
/* Writes the state file (API-created rooms, API-added sites); TRUE when there is none to write. */
gboolean mcu_server_save_state (McuServer *server, GError **error);
gint64 mcu_server_get_seat_grace_us (McuServer *server);
/* The mixers' settings from [audio] and [video], for rooms made after start. (transfer none) */
const McuMixConfig *mcu_server_get_mix_config (McuServer *server);

G_END_DECLS
