"""Vision-language models: image loading, the families' image processors, templates that expand media tags.

Public for other plugins: :func:`swift_transformers.vision.media.load_image` and
:class:`swift_transformers.vision.template.VisionTemplate` (through ``swift_transformers.api``).
"""
