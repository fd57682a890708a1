/* SPDX-License-Identifier: MIT */
/*
 * BridgeConfig: the site agent's INI configuration (configs/bridge-agent.conf), validated against a
 * schema, with command-line overrides.
 *
 * Only singleton groups ([agent], [media], [show], [reconnect], [status]). Every key has a type and a
 * default in the schema (config.c). An unknown group or key, a duplicate key or a bad value is an
 * error naming the file, the line and the key ("site.conf:7: unknown key 'sever' in [agent]").
 * Command-line flags go through bridge_config_set(), which validates the same way and names the flag.
 *
 * Threads: built on the main thread before anything starts; read-only afterwards (any thread).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BRIDGE_CONFIG_ERROR (bridge_config_error_quark ())
GQuark bridge_config_error_quark (void);

typedef enum {
  BRIDGE_CONFIG_ERROR_IO,
  BRIDGE_CONFIG_ERROR_SYNTAX,
  BRIDGE_CONFIG_ERROR_UNKNOWN_GROUP,
  BRIDGE_CONFIG_ERROR_UNKNOWN_KEY,
  BRIDGE_CONFIG_ERROR_DUPLICATE,
  BRIDGE_CONFIG_ERROR_VALUE,
} BridgeConfigError;

typedef enum {
  BRIDGE_CONFIG_STRING,
  BRIDGE_CONFIG_INT,
  BRIDGE_CONFIG_BOOL,
  BRIDGE_CONFIG_DOUBLE,
} BridgeConfigType;

typedef struct {
  const char *group;
  const char *key;
  BridgeConfigType type;
  const char *default_value;
  double min, max; /* for numbers; 0,0 = unbounded */
  const char *help;
} BridgeConfigKey;

typedef struct _BridgeConfig BridgeConfig;

/* (transfer full): every key at its default. */
BridgeConfig *bridge_config_new (void);
/* (transfer full): reads and validates @path. */
BridgeConfig *bridge_config_load_file (const char *path, GError **error);
/* (transfer full): validates @data; @origin names it in errors. */
BridgeConfig *bridge_config_load_data (const char *data, gsize len, const char *origin, GError **error);
void bridge_config_free (BridgeConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeConfig, bridge_config_free)

/* Overrides one key (a command-line flag); @origin ("--server") names it in the error. */
gboolean bridge_config_set (BridgeConfig *config, const char *group, const char *key, const char *value,
                            const char *origin, GError **error);

/* Values: a key not set gives its default. A key not in the schema is a programming error. */
const char *bridge_config_get_string (const BridgeConfig *config, const char *group, const char *key);
gint64 bridge_config_get_int (const BridgeConfig *config, const char *group, const char *key);
gboolean bridge_config_get_bool (const BridgeConfig *config, const char *group, const char *key);
double bridge_config_get_double (const BridgeConfig *config, const char *group, const char *key);
/* Where the value came from, for messages: "site.conf:7", "--room", or "default". (transfer none) */
const char *bridge_config_get_origin (const BridgeConfig *config, const char *group, const char *key);

/* The schema, for --help-config and the test that keeps configs/bridge-agent.conf complete. */
const BridgeConfigKey *bridge_config_schema (gsize *n_keys);

G_END_DECLS
