"""Both clients show every call with its real parameters and a docstring (``help()``,
``inspect.signature``, IDEs, Sphinx), kept in step with the one description in ``api``."""

from __future__ import annotations

import inspect
import pydoc

import pytest

from airflow_provider_whatsapp.client import AsyncWhatsAppClient, WhatsAppClient, api

#: Every call in ``api``: its public generator functions.
CALLS = sorted(
    name
    for name, function in vars(api).items()
    if inspect.isgeneratorfunction(function) and not name.startswith("_")
)


def test_there_are_nineteen_calls() -> None:
    assert len(CALLS) == 19, CALLS


def call_parameters(name: str) -> list[inspect.Parameter]:
    """The generator's parameters without ``config``: what a client method must take."""
    config, *rest = inspect.signature(getattr(api, name)).parameters.values()
    assert config.name == "config"
    return rest


def call_result(name: str) -> str:
    """``T`` of the generator's ``Operation[T]`` annotation (a string: lazy annotations)."""
    annotation = inspect.signature(getattr(api, name)).return_annotation
    assert isinstance(annotation, str) and annotation.startswith("Operation["), annotation
    return annotation.removeprefix("Operation[").removesuffix("]")


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("client", [WhatsAppClient, AsyncWhatsAppClient])
def test_each_method_has_the_call_s_signature_and_a_docstring(client: type, name: str) -> None:
    method = getattr(client, name)
    assert inspect.isfunction(method), f"{client.__name__}.{name} is not a plain method"
    signature = inspect.signature(method)
    this, *parameters = signature.parameters.values()
    assert this.name == "self"
    assert parameters == call_parameters(name)  # names, kinds, defaults, annotations
    assert signature.return_annotation == call_result(name)
    assert inspect.iscoroutinefunction(method) is (client is AsyncWhatsAppClient)
    assert method.__doc__ and len(method.__doc__.strip()) > 20
    assert getattr(api, name).__doc__, f"api.{name} has no docstring"


@pytest.mark.parametrize("name", CALLS)
def test_both_clients_say_the_same(name: str) -> None:
    assert getattr(WhatsAppClient, name).__doc__ == getattr(AsyncWhatsAppClient, name).__doc__


def test_no_other_public_methods_than_the_calls() -> None:
    """A call added to ``api`` without its methods (or the reverse) fails here."""
    lifecycle = {"close", "aclose"}
    for client in (WhatsAppClient, AsyncWhatsAppClient):
        public = {
            n for n, v in vars(client).items() if inspect.isfunction(v) and not n.startswith("_")
        }
        assert public - lifecycle == set(CALLS), client.__name__


def test_help_shows_parameters_types_and_the_docstring() -> None:
    text = pydoc.render_doc(WhatsAppClient.send_message, renderer=pydoc.plaintext)
    assert "send_message(self, message: 'Message | Mapping[str, Any]', *, " in text
    assert "phone_number_id: 'str | None' = None) -> 'dict[str, Any]'" in text
    assert "validated into one before any request" in text
    text = pydoc.render_doc(AsyncWhatsAppClient.upload_media, renderer=pydoc.plaintext)
    assert (
        "async upload_media(self, file: 'str | os.PathLike[str] | bytes | IO[bytes]', "
        "mime_type: 'str | None' = None"
    ) in text
    assert "-> 'str'" in text and "streamed from disk" in text


def test_bound_methods_show_the_parameters_too(whatsapp_emulator: object) -> None:
    from tests.helpers import client_config

    with WhatsAppClient(client_config(whatsapp_emulator)) as client:
        assert list(inspect.signature(client.get_template).parameters) == [
            "name",
            "language",
            "waba_id",
        ]
