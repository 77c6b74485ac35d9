# docs-test: script stub-dag=my_dag
# [START emulator_process]
import os
import subprocess

from airflow_provider_whatsapp.testing.process import EmulatorProcess

with EmulatorProcess("--open-window", "+1 650 555 1234", "--review-delay", "2") as emulator:
    env = {**os.environ, **emulator.connection_env()}  # AIRFLOW_CONN_WHATSAPP_DEFAULT
    # my_dag: your DAG; here it sends one text to +1 650 555 1234
    subprocess.run(["airflow", "dags", "test", "my_dag"], env=env, check=True)
    assert [m["to"] for m in emulator.messages()] == ["16505551234"]
# [END emulator_process]
