# docs-test: script uses=nightly_load
# [START quickstart_emulator]
import os
import subprocess

from airflow_provider_whatsapp.testing.process import EmulatorProcess

# Steps 2 and 3 above in one script: the emulator (one person wrote in), the DAG's run
# (dags/nightly_load.py), then what the emulator accepted.
with EmulatorProcess("--open-window", "+1 650 555 1234") as emulator:
    env = {**os.environ, **emulator.connection_env()}  # AIRFLOW_CONN_WHATSAPP_DEFAULT
    run = subprocess.run(["airflow", "dags", "test", "nightly_load"], env=env)
    assert run.returncode != 0  # the task fails on purpose, so the run does
    assert [(m["to"], m["type"]) for m in emulator.messages()] == [("16505551234", "text")]
# [END quickstart_emulator]
