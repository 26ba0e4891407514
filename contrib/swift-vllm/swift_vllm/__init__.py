"""swift-vllm: the ``vllm`` inference engine (``--infer_backend vllm``) and vLLM's argument group.

:mod:`swift_vllm.hooks` registers them without importing vLLM; the engine lives in
:mod:`swift_vllm.engine` and is imported only when a command uses it.
"""
