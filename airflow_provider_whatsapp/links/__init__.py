"""Extra links: buttons on a task in the Airflow UI."""
