/* SPDX-License-Identifier: MIT */
/*
 * McuConfig: the server's INI configuration (GKeyFile syntax), validated against a schema.
 *
 * Groups are either singletons ("[server]") or named ("[room demo]", "[site xa-1]"): a named group has
 * a kind ("room") and a name ("demo"). Every key the server knows is listed in the schema in config.c
 * with its type and default; an unknown group or key, a duplicate key or a value of the wrong type is
 * an error that names the file, the line and the key (MCU_CONFIG_ERROR).
 *
 * Threads: immutable once loaded; any thread may read it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MCU_CONFIG_ERROR (mcu_config_error_quark ())
GQuark mcu_config_error_quark (void);

typedef enum {
  MCU_CONFIG_ERROR_IO,
  MCU_CONFIG_ERROR_SYNTAX,
  MCU_CONFIG_ERROR_UNKNOWN_GROUP,
  MCU_CONFIG_ERROR_UNKNOWN_KEY,
  MCU_CONFIG_ERROR_DUPLICATE,
  MCU_CONFIG_ERROR_VALUE,
} McuConfigError;

typedef struct _McuConfig McuConfig;

/* (transfer full): reads and validates @path. */
McuConfig *mcu_config_load_file (const char *path, GError **error);
/* (transfer full): validates @data; @origin names it in errors (e.g. "built-in mcu.conf"). */
McuConfig *mcu_config_load_data (const char *data, gsize len, const char *origin, GError **error);
McuConfig *mcu_config_ref (McuConfig *config);
void mcu_config_unref (McuConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuConfig, mcu_config_unref)

/* Where the config came from: a path, or the origin given to load_data. (transfer none) */
const char *mcu_config_get_origin (McuConfig *config);

/* Named groups of @kind ("room"), in file order. (transfer container): free with g_free, not g_strfreev. */
const char **mcu_config_list (McuConfig *config, const char *kind);

/*
 * Values. @group is "server" for a singleton, or kind + " " + name ("room demo") for a named group.
 * A key that is not set gives the schema's default. Asking for a key that is not in the schema is a
 * programming error (g_critical).
 */
const char *mcu_config_get_string (McuConfig *config, const char *group, const char *key);
gint64 mcu_config_get_int (McuConfig *config, const char *group, const char *key);
gboolean mcu_config_get_bool (McuConfig *config, const char *group, const char *key);
double mcu_config_get_double (McuConfig *config, const char *group, const char *key);
/* Whether the key was written in the file (not defaulted). */
gboolean mcu_config_has (McuConfig *config, const char *group, const char *key);
/* Line of the key in the file, or 0 when defaulted: for error messages about values. */
guint mcu_config_get_line (McuConfig *config, const char *group, const char *key);

/* The schema, for `mcu --help-config` and for the test that keeps configs/mcu.conf complete. */
typedef enum { MCU_CONFIG_STRING, MCU_CONFIG_INT, MCU_CONFIG_BOOL, MCU_CONFIG_DOUBLE } McuConfigType;
typedef struct {
  const char *kind;     /* "server", "room", ... */
  const char *key;
  McuConfigType type;
  const char *default_value;
  gint64 min, max;      /* for ints; 0,0 = unbounded */
  const char *help;
} McuConfigKey;
const McuConfigKey *mcu_config_schema (gsize *n_keys);

G_END_DECLS
