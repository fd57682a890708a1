/* SPDX-License-Identifier: MIT */
/*
 * The state file: what must survive a restart — rooms created through the admin API and the token
 * sites added through it (to any room), with their names. Tokens are kept only as SHA-256 digests, so
 * the file does not hold a secret that could be replayed. Meeting state (mute, hands, lock) is not kept.
 *
 * The file is JSON, written whole and atomically (g_file_set_contents: temp file + rename) after every
 * change, and read once at start; config rooms and persisted rooms are merged (a config room keeps its
 * config settings and gains the persisted sites).
 *
 * Threads: control thread.
 */
#pragma once

#include <gio/gio.h>

#include "config.h"

G_BEGIN_DECLS

typedef struct _McuServer McuServer;
typedef struct _McuRoom McuRoom;

/* The file for @config: [server] state-file, else next to the config file (NAME.conf →
 * NAME.state.json); NULL when the config is the built-in one and no state-file is set (nothing is
 * persisted then). (transfer full) */
char *mcu_store_path_for (McuConfig *config);

/* (transfer full): the document for @rooms (McuRoom). */
char *mcu_store_serialize (GPtrArray *rooms);
/* Writes @rooms to @path atomically. */
gboolean mcu_store_save (const char *path, GPtrArray *rooms, GError **error);

/* Reads @path (a missing file is an empty state) and adds its rooms and sites to @server. A file that
 * cannot be read or parsed is an error naming the file: the server does not start and silently lose
 * rooms. @grace_us is the seat grace of the rooms it creates. */
gboolean mcu_store_load (const char *path, McuServer *server, gint64 grace_us, GError **error);

G_END_DECLS
