def test_export_never_inherits_the_runs_quantization(tmp_path):
    """A QLoRA run loaded its base in 4 bit; merging it must not quantize the output."""
    from swift.arguments import ExportArguments, TrainArguments, save_args

    run = tmp_path / "run"
    save_args(TrainArguments(model="base/model", quant_method="bnb", quant_bits=4, template="chatml"), str(run))
    ckpt = run / "checkpoint-5"
    ckpt.mkdir()
    (ckpt / "adapter_config.json").write_text("{}")
    args = ExportArguments(ckpt_dir=str(ckpt), merge_lora=True)
    assert args.model == "base/model" and args.template == "chatml"
    assert args.quant_method is None and args.quant_bits is None
    assert args.output_dir.endswith("checkpoint-5-merged")
