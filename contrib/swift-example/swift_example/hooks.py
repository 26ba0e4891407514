"""Registration hooks of swift-example.

Imported by `swift --help` and `swift plugins list`, so it holds records only: no
torch, transformers or peft. Each ``load`` names the implementation, imported on use.
"""

from swift.kernel import ModelRecord, RewardRecord, TemplateRecord, TunerRecord, hookimpl


@hookimpl
def swift_register_models():
    yield ModelRecord(
        name="example-tiny",
        load="swift_example.model:load_example_tiny",
        template="example",
        architectures=("LlamaForCausalLM",),
        model_ids=("example/tiny*",),
        summary="Tiny Llama-architecture demo model; chats with the 'example' template",
        tags=("demo",),
    )


@hookimpl
def swift_register_templates():
    yield TemplateRecord(
        name="example",
        load="swift_example.template:EXAMPLE",
        summary="<|user|> … <|bot|> … <|end|> turns with a default system prompt",
    )


@hookimpl
def swift_register_rewards():
    yield RewardRecord(
        name="example_politeness",
        load="swift_example.rewards:politeness",
        summary="1.0 when the completion says please or thank you, else 0.0",
    )


@hookimpl
def swift_register_tuners():
    yield TunerRecord(
        name="example-lora",
        load="swift_example.tuner:EXAMPLE_LORA",
        summary="swift-peft LoRA with other defaults: rank 4, alpha 8, all-linear",
    )
