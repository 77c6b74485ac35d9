"""Hooks. ``DEFAULT_CONN_ID`` lives here so operators name it without importing the hook."""

DEFAULT_CONN_ID = "whatsapp_default"
