# docs-test: skip reason="the notifier of the block above, sending the template instead: tests/notifications/test_hitl.py sends this one"
# [START approval_template]
WhatsAppNotifier(
    to=APPROVERS,
    template_name="airflow_approval",
    parameters=["{{ task.subject }}", "{{ task.options | join(' / ') }}"],
    link_button=0,  # the template's first button: its URL ends in {{1}}
)
# [END approval_template]
