"""Sending one message to many recipients, with no Airflow import.

- ``recipients``: reading recipients from a list, an XCom value or a CSV / JSON file.
- ``sender``: bounded concurrency, per-recipient results, and the delivery record that
  keeps a retry from messaging an accepted recipient twice.
"""
