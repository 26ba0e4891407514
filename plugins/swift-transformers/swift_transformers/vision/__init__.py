"""Vision-language models: image loading, the families' image processors, templates that expand media tags.

Other plugins reach a vision model only through the core's contracts: its template record (a
factory, :class:`swift.contracts.TemplateFactory`), the media layout of rows and requests
(:mod:`swift.template.media`) and the parts attached to the model (:mod:`swift.contracts.parts`);
batching keys are exported by ``swift_transformers.api`` (``MEDIA_TENSOR_KEYS``, ``TOKEN_TYPE_KEYS``).
"""
