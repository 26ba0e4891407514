"""Chat templates.

:class:`TemplateMeta` (a family's layout, plain data) and :class:`Template` (a meta bound to a tokenizer: render,
encode with a loss mask, encode prompts, stop words, decode).

Pure Python: no tokenizer library is imported; the tokenizer is duck-typed.

Example::

    from swift.template import get_template
    template = get_template("qwen2_5", tokenizer, max_length=2048)
    template.encode({"messages": [{"role": "user", "content": "hi"},
                                  {"role": "assistant", "content": "hello"}]})
    # {"input_ids": [...], "labels": [-100, ..., <ids of "hello<|im_end|>">]}
"""

from swift.template.conversation import Conversation, Message, parse_messages, parse_row
from swift.template.errors import MaxLengthError, TemplateError
from swift.template.loading import get_template, model_template, template_options
from swift.template.meta import TemplateMeta, ThinkingFormat, ToolFormat, fill
from swift.template.render import Segment
from swift.template.template import IGNORE_INDEX, LOSS_SCALES, TRUNCATION_STRATEGIES, Template

__all__ = [
    "IGNORE_INDEX",
    "LOSS_SCALES",
    "TRUNCATION_STRATEGIES",
    "Conversation",
    "MaxLengthError",
    "Message",
    "Segment",
    "Template",
    "TemplateError",
    "TemplateMeta",
    "ThinkingFormat",
    "ToolFormat",
    "fill",
    "get_template",
    "model_template",
    "parse_messages",
    "parse_row",
    "template_options",
]
