"""Command pipelines: orchestrate a command through the plugin registries."""
