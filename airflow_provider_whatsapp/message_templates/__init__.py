"""WhatsApp message templates (not Airflow's Jinja templating): definitions, loading, send pre-flight and sync planning.

Pure pydantic + the standard library (PyYAML and tabulate are imported only when used), so a
DAG file importing an operator that imports this stays cheap.

Import each name from its module (nothing is re-exported here, so
importing one module, such as ``status`` for the sensor, stays cheap):

- ``TemplateDefinition`` (``definition.py``; components in ``components.py``, buttons in
  ``buttons.py``): the create-template body with Meta's limits.
- ``load_template_files`` (``loading.py``): folders/files of YAML or JSON -> ``LoadResult``.
- ``template_placeholders``, ``check_send_components``, ``check_template_usable``,
  ``check_template_recipient`` (``sending.py``): what a send must supply, and to whom it
  may go, checked before sending.
- ``plan_sync``, ``SyncPlan``, ``edit_payload`` (``sync.py``): local vs remote.
- ``StatusWatch`` (``status.py``): what a template's review status means for a sensor
  and its trigger (wait, done, or fail with the reason).
- ``whatsapp-templates lint`` (``cli.py``, not imported here): the loader's checks on files,
  one line per problem, for pre-commit and CI.
"""
