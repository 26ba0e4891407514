"""Every label of the interfaces in English and Chinese (``--lang en|zh``).

Flags keep their names in both languages (they are what the command line takes); their
help texts come from the argument dataclasses. Argument groups are titled from
:data:`GROUPS` when a translation exists, else from the group's docstring.
"""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    # chat (swift app, and the chat tab of swift web-ui)
    "chat": ("Chat", "对话"),
    "message": ("Message", "输入"),
    "message_hint": ("Type a message and press Enter", "输入内容后按回车发送"),
    "send": ("Send", "发送"),
    "clear": ("Clear", "清空对话"),
    "regenerate": ("Regenerate", "重新生成"),
    "system": ("System prompt", "系统提示词"),
    "model_choice": ("Model / adapter", "模型 / 适配器"),
    "settings": ("Generation settings", "生成参数"),
    "temperature": ("Temperature", "温度 (temperature)"),
    "top_p": ("Top-p", "Top-p"),
    "top_k": ("Top-k (0 = off)", "Top-k（0 = 关闭）"),
    "max_new_tokens": ("Max new tokens", "最大生成长度 (max_new_tokens)"),
    "repetition_penalty": ("Repetition penalty", "重复惩罚 (repetition_penalty)"),
    "served_by": ("Served by", "服务地址"),
    "chat_error": ("The server refused the request", "服务端拒绝了请求"),
    # web-ui
    "title": ("swift web UI", "swift 网页界面"),
    "tab_sft": ("Train (sft / pt)", "训练 (sft / pt)"),
    "tab_rlhf": ("Align (rlhf)", "人类对齐 (rlhf)"),
    "tab_infer": ("Chat", "推理对话"),
    "tab_export": ("Export", "导出"),
    "tab_eval": ("Evaluate", "评测"),
    "tab_runs": ("Runs", "运行记录"),
    "command": ("Command", "命令"),
    "preview": ("Preview command", "预览命令"),
    "run": ("Run", "开始运行"),
    "config_path": ("Config file (YAML)", "配置文件 (YAML)"),
    "save_config": ("Save config", "保存配置"),
    "load_config": ("Load config", "加载配置"),
    "status": ("Status", "状态"),
    "more_groups": ("More argument groups", "更多参数组"),
    "runs": ("Runs", "运行记录"),
    "refresh": ("Refresh", "刷新"),
    "job": ("Job", "任务"),
    "log": ("Log (last lines)", "日志（最后若干行）"),
    "loss_chart": ("Loss", "损失 (loss)"),
    "lr_chart": ("Learning rate", "学习率 (learning rate)"),
    "stop": ("Stop", "停止"),
    "chat_ckpt": ("Chat with this checkpoint", "与该检查点对话"),
    "merge_ckpt": ("Merge this checkpoint", "合并该检查点"),
    "checkpoint": ("Checkpoint", "检查点"),
    "model_or_ckpt": ("Model or checkpoint folder", "模型或检查点目录"),
    "load": ("Load", "加载"),
    "more_flags": ("More `swift app` flags (--infer_backend …)", "其他 `swift app` 参数（--infer_backend 等）"),
    "unload": ("Unload", "卸载"),
    "no_model": ("Load a model or a checkpoint first", "请先加载模型或检查点"),
    "loaded": ("Loaded", "已加载"),
    "started": ("Started", "已启动"),
    "saved": ("Saved", "已保存"),
    "loaded_config": ("Loaded", "已加载"),
    "error": ("Error", "错误"),
    "running": ("running", "运行中"),
    "finished": ("finished", "已完成"),
    "failed": ("failed", "失败"),
    "stopped": ("stopped", "已停止"),
    "lost": ("ended (exit status unknown)", "已结束（退出码未知）"),
    "no_runs": ("No runs yet", "暂无运行记录"),
}

GROUPS: dict[str, tuple[str, str]] = {
    "ModelArguments": ("Model", "模型参数"),
    "TemplateArguments": ("Template", "模板参数"),
    "DataArguments": ("Data", "数据集参数"),
    "QuantizeArguments": ("Quantization", "量化参数"),
    "GenerationArguments": ("Generation", "生成参数"),
    "BaseArguments": ("Base", "基本参数"),
    "LoraArguments": ("LoRA", "LoRA 参数"),
    "HfSeq2SeqTrainingArguments": ("Training", "训练参数"),
    "SwiftTrainingFields": ("Swift training", "swift 训练参数"),
    "RLHFArguments": ("RLHF", "人类对齐参数"),
    "GRPOArguments": ("GRPO", "GRPO 参数"),
    "PPOArguments": ("PPO", "PPO 参数"),
    "RewardModelArguments": ("Reward models", "奖励模型参数"),
    "GaLoreArguments": ("GaLore", "GaLore 参数"),
    "ExportArguments": ("Export", "导出参数"),
    "EvalArguments": ("Evaluation", "评测参数"),
    "InferArguments": ("Inference", "推理参数"),
}


class Texts:
    """The labels of one language: ``texts["send"]``, ``texts.group(klass, fallback)``."""

    def __init__(self, lang: str):
        self.index = 1 if lang == "zh" else 0

    def __getitem__(self, key: str) -> str:
        return LABELS[key][self.index]

    def group(self, name: str, fallback: str) -> str:
        """The title of an argument group: translated when known, else ``fallback`` (from its docstring)."""
        return GROUPS[name][self.index] if name in GROUPS else fallback
