"""Tests of the WhatsApp emulator (airflow_provider_whatsapp.testing)."""
