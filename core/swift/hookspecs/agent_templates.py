"""Hook specification of the ``agent_templates`` family: tool formats (``--tools_prompt``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import AgentTemplateRecord


@hookspec
def swift_register_agent_templates() -> Iterable[AgentTemplateRecord]:
    """Register tool formats: how a tool list, tool calls and tool results are written as text.

    Called the first time a command needs the ``agent_templates`` family.

    Yield one :class:`~swift.kernel.records.AgentTemplateRecord` per ``--tools_prompt`` name.
    ``load`` names a subclass of :class:`swift.template.agent.AgentTemplate`
    (:class:`swift.contracts.AgentTemplateLike`): ``tools_prompt(system, tools)``,
    ``format_calls(calls)``, ``format_result(content, call, index)``, ``parse_calls(text)`` and
    the attributes ``results``, ``stop_words``, ``call_separator``.

    Example::

        @hookimpl
        def swift_register_agent_templates():
            yield AgentTemplateRecord(name="acme_tools", load="swift_acme.tools:AcmeTools")
    """
