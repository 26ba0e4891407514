"""Hook specifications, one module per plugin family.

The docstrings of the specs are the reference documentation for plugin authors.
"""

from swift.hookspecs import (
    agent_templates,
    arguments,
    commands,
    datasets,
    engines,
    eval_backends,
    losses,
    models,
    rewards,
    schedulers,
    services,
    templates,
    tools,
    trainers,
    tuners,
)

SPEC_MODULES = (
    models,
    templates,
    agent_templates,
    datasets,
    tuners,
    losses,
    rewards,
    schedulers,
    tools,
    engines,
    eval_backends,
    trainers,
    commands,
    arguments,
    services,
)
