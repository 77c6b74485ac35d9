"""Sending one message to many recipients.

- ``recipients``: reading recipients from a list, an XCom value or a CSV / JSON file.
- ``sender``: bounded concurrency, per-recipient results, and the delivery record that
  keeps a retry from messaging an accepted recipient twice (``record``, no Airflow import).
- ``storage``: where that record lives: the task state store (Airflow 3.3+) or Variables
  (Airflow is imported only when a record is opened).
"""
