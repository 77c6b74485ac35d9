"""WhatsApp message templates: definitions, loading, send pre-flight and sync planning.

Pure pydantic + the standard library (PyYAML and tabulate are imported only when used), so a
DAG file importing an operator that imports this stays cheap.

- ``TemplateDefinition`` (``definition.py``; components in ``components.py``, buttons in
  ``buttons.py``): the create-template body with Meta's limits.
- ``load_template_files`` (``loading.py``): folders/files of YAML or JSON -> ``LoadResult``.
- ``template_placeholders``, ``check_send_components``, ``check_template_usable``
  (``sending.py``): what a send must supply, checked before sending.
- ``plan_sync``, ``SyncPlan``, ``edit_payload`` (``sync.py``): local vs remote.
- ``whatsapp-templates lint`` (``cli.py``, not imported here): the loader's checks on files,
  one line per problem, for pre-commit and CI.
"""

from __future__ import annotations

from .buttons import (
    ButtonsComponent,
    CatalogButton,
    CopyCodeButton,
    FlowButton,
    MpmButton,
    OtpButton,
    OtpSupportedApp,
    PhoneNumberButton,
    QuickReplyButton,
    SpmButton,
    UrlButton,
    VoiceCallButton,
)
from .components import (
    COMPONENT_TYPES,
    UNCHECKED_COMPONENT_TYPES,
    BodyComponent,
    CarouselCard,
    CarouselComponent,
    FooterComponent,
    HeaderComponent,
    LimitedTimeOfferComponent,
    UncheckedComponent,
)
from .definition import (
    TemplateDefinition,
    TemplateDefinitionError,
    describe_validation_error,
    parse_template_definition,
)
from .loading import LoadError, LoadResult, load_template_files, validate_templates
from .sending import (
    ParameterSlot,
    TemplateNotUsableError,
    TemplateParameterError,
    check_send_components,
    check_template_usable,
    parameter_slots,
    template_placeholders,
)
from .sync import (
    CREATIONS_PER_HOUR,
    SYNC_ACTIONS,
    SyncAction,
    SyncActionKind,
    SyncPlan,
    edit_payload,
    plan_sync,
    template_changes,
)

__all__ = [
    "COMPONENT_TYPES",
    "CREATIONS_PER_HOUR",
    "SYNC_ACTIONS",
    "UNCHECKED_COMPONENT_TYPES",
    "BodyComponent",
    "ButtonsComponent",
    "CarouselCard",
    "CarouselComponent",
    "CatalogButton",
    "CopyCodeButton",
    "FlowButton",
    "FooterComponent",
    "HeaderComponent",
    "LimitedTimeOfferComponent",
    "LoadError",
    "LoadResult",
    "MpmButton",
    "OtpButton",
    "OtpSupportedApp",
    "ParameterSlot",
    "PhoneNumberButton",
    "QuickReplyButton",
    "SpmButton",
    "SyncAction",
    "SyncActionKind",
    "SyncPlan",
    "TemplateDefinition",
    "TemplateDefinitionError",
    "TemplateNotUsableError",
    "TemplateParameterError",
    "UncheckedComponent",
    "UrlButton",
    "VoiceCallButton",
    "check_send_components",
    "check_template_usable",
    "describe_validation_error",
    "edit_payload",
    "load_template_files",
    "parameter_slots",
    "parse_template_definition",
    "plan_sync",
    "template_changes",
    "template_placeholders",
    "validate_templates",
]
