/* SPDX-License-Identifier: MIT */
/*
 * A seat in a room. Holds what must survive the site's connection dropping: name, mute, raised hand,
 * join history; plus the last link measurement. Plain data with no policy: the seat rules (grace,
 * admission, moderation) are in seats.c. Threads: control thread.
 */
#define G_LOG_DOMAIN "mcu-site"

#include "site.h"

struct _McuSite {
  gatomicrefcount rc;
  char *id;
  char *name;
  gboolean token_site;
  char *session_id;        /* live session, or NULL */
  guint joins;
  gint64 connected_since;
  gint64 first_joined;
  gint64 left_at;
  gint64 hold_deadline;    /* monotonic µs; 0 = not held */
  gboolean muted;
  gboolean talking;
  gint64 hand_raised;
  guint64 hand_order;
  McuSiteLink link;
};

McuSite *
mcu_site_new (const char *id, const char *name, gboolean token_site)
{
  McuSite *site = g_new0 (McuSite, 1);

  g_atomic_ref_count_init (&site->rc);
  site->id = g_strdup (id);
  site->name = g_strdup (name);
  site->token_site = token_site;
  site->link.rtt_ms = -1;
  return site;
}

McuSite *
mcu_site_ref (McuSite *site)
{
  g_atomic_ref_count_inc (&site->rc);
  return site;
}

void
mcu_site_unref (McuSite *site)
{
  if (!g_atomic_ref_count_dec (&site->rc))
    return;
  g_free (site->id);
  g_free (site->name);
  g_free (site->session_id);
  g_free (site);
}

const char *
mcu_site_get_id (McuSite *site)
{
  return site->id;
}

const char *
mcu_site_get_name (McuSite *site)
{
  return site->name;
}

void
mcu_site_set_name (McuSite *site, const char *name)
{
  g_free (site->name);
  site->name = g_strdup (name);
}

gboolean
mcu_site_is_guest (McuSite *site)
{
  return !site->token_site;
}

gboolean
mcu_site_is_connected (McuSite *site)
{
  return site->session_id != NULL;
}

const char *
mcu_site_get_session_id (McuSite *site)
{
  return site->session_id;
}

void
mcu_site_set_connected (McuSite *site, const char *session_id)
{
  g_free (site->session_id);
  site->session_id = g_strdup (session_id);
  site->joins++;
  site->connected_since = g_get_real_time ();
  if (site->first_joined == 0)
    site->first_joined = site->connected_since;
  site->hold_deadline = 0;
  site->link = (McuSiteLink) { .rtt_ms = -1 };
}

void
mcu_site_set_disconnected (McuSite *site, const char *session_id)
{
  if (g_strcmp0 (site->session_id, session_id) != 0)
    return;
  g_clear_pointer (&site->session_id, g_free);
  site->connected_since = 0;
  site->left_at = g_get_real_time ();
  site->talking = FALSE;
}

guint
mcu_site_get_joins (McuSite *site)
{
  return site->joins;
}

guint
mcu_site_get_reconnects (McuSite *site)
{
  return site->joins > 0 ? site->joins - 1 : 0;
}

gint64
mcu_site_get_connected_since (McuSite *site)
{
  return site->connected_since;
}

gint64
mcu_site_get_first_joined (McuSite *site)
{
  return site->first_joined;
}

gint64
mcu_site_get_left_at (McuSite *site)
{
  return site->left_at;
}

void
mcu_site_hold (McuSite *site, gint64 deadline_us)
{
  site->hold_deadline = deadline_us;
}

gint64
mcu_site_get_hold_deadline (McuSite *site)
{
  return site->hold_deadline;
}

McuSiteState
mcu_site_get_state (McuSite *site)
{
  if (site->session_id != NULL)
    return MCU_SITE_CONNECTED;
  return site->hold_deadline != 0 ? MCU_SITE_HELD : MCU_SITE_ABSENT;
}

const char *
mcu_site_state_name (McuSiteState state)
{
  static const char *names[] = { "absent", "connected", "held" };

  return (guint) state < G_N_ELEMENTS (names) ? names[state] : "absent";
}

gboolean
mcu_site_get_muted (McuSite *site)
{
  return site->muted;
}

void
mcu_site_set_muted (McuSite *site, gboolean muted)
{
  site->muted = muted;
}

gint64
mcu_site_get_hand_raised (McuSite *site)
{
  return site->hand_raised;
}

guint64
mcu_site_get_hand_order (McuSite *site)
{
  return site->hand_order;
}

void
mcu_site_set_hand (McuSite *site, gint64 raised_at, guint64 order)
{
  site->hand_raised = raised_at;
  site->hand_order = order;
}

gboolean
mcu_site_get_talking (McuSite *site)
{
  return site->talking;
}

void
mcu_site_set_talking (McuSite *site, gboolean talking)
{
  site->talking = talking;
}

const McuSiteLink *
mcu_site_get_link (McuSite *site)
{
  return &site->link;
}

void
mcu_site_set_link (McuSite *site, const McuSiteLink *link)
{
  site->link = *link;
}
