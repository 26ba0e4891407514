"""Agent conformance: tool formats write and read back calls; tools are callable; loss scales split replies."""

from __future__ import annotations

from swift_sdk.conformance.errors import fail
from swift_sdk.conformance.plugin import PluginUnderTest

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather of a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
REPLY = 'Thought: check.\nAction: get_weather\nAction Input: {"city": "Paris"}\nObservation: 18C\nFinal Answer: 18C.'


def check_agent_template(plugin: PluginUnderTest, name: str) -> None:
    """Build the tool format ``name`` as ``--tools_prompt`` does and use it like training and serving.

    Checks: ``results`` is ``tool`` or ``assistant``; ``tools_in_user`` is ``""``,
    ``"first"`` or ``"last"``; the tool list lands in the system prompt, or with a user
    message for ``tools_in_user`` formats (the text kept, the tool's name present in the
    message or before its turn); ``parse_calls`` reads back what
    ``format_calls`` wrote (name and arguments) and leaves plain text alone; ``call_prefix``
    returns text.

    Raises:
        ConformanceError: Naming the format and what is wrong.
    """
    from swift.contracts import load_agent_template
    from swift.template.conversation import ToolCall

    def problem(text: str) -> Exception:
        return fail(plugin.label, text, family="agent_templates", record=name)

    with plugin.active():
        try:
            agent = load_agent_template(name)
        except Exception as exc:  # noqa: BLE001 - reported to the author
            raise problem(f"cannot be built: {type(exc).__name__}: {exc}") from exc
    if agent.results not in ("tool", "assistant"):
        raise problem(f"results is {agent.results!r}; it must be 'tool' or 'assistant'")
    where_tools = getattr(agent, "tools_in_user", "")
    if where_tools not in ("", "first", "last"):
        raise problem(f"tools_in_user is {where_tools!r}; it must be '', 'first' or 'last'")
    if where_tools:
        where, kept = "before_user(tools) + user_prompt('Hi.', tools)", "Hi."
        listed = agent.before_user(TOOLS) + agent.user_prompt("Hi.", TOOLS)
    else:
        where, kept, listed = "tools_prompt('Be brief.', tools)", "Be brief.", agent.tools_prompt("Be brief.", TOOLS)
    named = "get_weather" in listed if getattr(agent, "lists_tools", True) else True
    if not isinstance(listed, str) or kept not in listed or not named:
        raise problem(f"{where} gave {listed!r}; it must keep the text and name the tool")
    call = ToolCall("get_weather", {"city": "Paris"})
    written = agent.format_calls([call])
    content, calls = agent.parse_calls(written)
    if [(c.name, c.arguments) for c in calls] != [(call.name, call.arguments)]:
        raise problem(f"parse_calls(format_calls(call)) read {calls!r} from {written!r}; expected the call back")
    plain = "The weather is fine."
    if agent.parse_calls(plain) != (plain, []):
        raise problem(f"parse_calls({plain!r}) must return the text whole with no calls")
    for named in (None, "get_weather"):
        if not isinstance(agent.call_prefix(named), str):
            raise problem(f"call_prefix({named!r}) must return text")


def check_tool(plugin: PluginUnderTest, name: str) -> None:
    """The tool ``name`` loads as a callable (its arguments are the model's, so it is not called).

    Raises:
        ConformanceError: When it does not load or is not callable.
    """
    from swift.contracts import load_tool

    with plugin.active():
        try:
            fn = load_tool(name)
        except Exception as exc:  # noqa: BLE001 - reported to the author
            raise fail(plugin.label, f"does not load: {exc}", family="tools", record=name) from exc
    if not callable(fn):
        raise fail(plugin.label, "is not callable", family="tools", record=name)


def check_loss_scale(plugin: PluginUnderTest, name: str) -> None:
    """The ``loss_scale`` strategy ``name`` splits a reply into pieces that join back to it, weights >= 0.

    Raises:
        ConformanceError: Naming the strategy and what is wrong.
    """
    from swift.contracts import load_loss_scale_object

    def problem(text: str) -> Exception:
        return fail(plugin.label, text, family="losses", record=name)

    with plugin.active():
        scale = load_loss_scale_object(name)
    if scale.rounds not in ("every", "last", "all"):
        raise problem(f"rounds is {scale.rounds!r}; it must be every, last or all")
    pieces = scale.split(REPLY, "What is the weather?")
    if "".join(text for text, _ in pieces) != REPLY:
        raise problem("split(reply) pieces do not join back to the reply")
    weights = [w for _, w in pieces]
    if any(not isinstance(w, (int, float)) or w < 0 for w in weights):
        raise problem(f"split(reply) gave weights {weights}; weights are numbers >= 0")
    if scale.binary and any(w not in (0, 1) for w in weights):
        raise problem(f"binary is True but split(reply) gave weights {weights}")
