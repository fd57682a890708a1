/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the config reader must reject any input with an error, never crash or leak. */
#include "config.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  GError *error = NULL;
  McuConfig *config = mcu_config_load_data ((const char *) data, size, "fuzz", &error);

  g_assert ((config == NULL) == (error != NULL));
  if (config != NULL) {
    const char **rooms = mcu_config_list (config, "room");
    for (guint i = 0; rooms[i] != NULL; i++) {
      g_autofree char *group = g_strconcat ("room ", rooms[i], NULL);
      (void) mcu_config_get_int (config, group, "max-sites");
    }
    g_free (rooms);
    mcu_config_unref (config);
  }
  g_clear_error (&error);
  return 0;
}
