"""``swift plugins new`` / ``swift_sdk.scaffold``: names, families, files, and the CLI's errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import tomllib

from swift.kernel import UsageError
from swift_sdk.conformance import check_hooks_light, check_records, load_plugin
from swift_sdk.scaffold import FAMILIES, PluginNames, create_plugin, parse_families, render_plugin


def swift(*argv: str, cwd=None, code: str = "pass") -> subprocess.CompletedProcess:
    """``swift <argv>`` in a subprocess of this interpreter (``code`` runs first)."""
    program = f"import sys; {code}; from swift.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", program, *argv], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("raw", ["acme-tools", "swift-acme-tools", "Swift_Acme-Tools"])
def test_a_plugin_name_gives_every_name_it_goes_by(raw):
    names = PluginNames.of(raw)

    assert names.dist == "swift-acme-tools" and names.pkg.startswith("swift_acme")
    assert names.camel in ("AcmeTools",)


@pytest.mark.parametrize("raw", ["", "9lives", "acme tools", "acme--x", "ACME!"])
def test_a_bad_plugin_name_is_refused_with_the_rule(raw):
    with pytest.raises(UsageError, match="lowercase letters, digits"):
        PluginNames.of(raw)


def test_families_are_repeatable_comma_separated_and_singular_works():
    assert parse_families(["reward,tuners", "loss", "rewards"]) == ["tuners", "losses", "rewards"]
    with pytest.raises(UsageError, match="unknown family 'tunes'; choose from models, templates"):
        parse_families(["tunes"])


def test_the_pyproject_quotes_one_group_per_family_and_names_the_hooks_module():
    files = render_plugin("acme", ["rewards", "tuners"])
    project = tomllib.loads(files["swift-acme/pyproject.toml"])["project"]

    assert project["name"] == "swift-acme"
    assert project["entry-points"] == {
        "swift.tuners": {"acme": "swift_acme.hooks"},
        "swift.rewards": {"acme": "swift_acme.hooks"},
    }
    assert '[project.entry-points."swift.rewards"]' in files["swift-acme/pyproject.toml"]
    assert "peft>=0.17" in project["dependencies"]
    assert sorted(p.rsplit("/", 1)[-1] for p in files if "/swift_acme/" in p) == [
        "__init__.py",
        "hooks.py",
        "rewards.py",
        "tuners.py",
    ]


def test_every_family_renders_a_light_hooks_module_with_valid_records(fake_dist):
    files = render_plugin("everything", FAMILIES)
    modules = {p.split("/", 1)[1]: text for p, text in files.items() if "/swift_everything/" in p}
    groups = tomllib.loads(files["swift-everything/pyproject.toml"])["project"]["entry-points"]
    fake_dist("swift-everything", entry_points=groups, modules=modules)

    check_hooks_light("swift_everything.hooks", also=["swift_everything.command_args"])
    plugin = load_plugin("swift_everything.hooks", distribution="swift-everything")
    check_records(plugin)
    assert {f for f, records in plugin.records.items() if records} == set(FAMILIES)


def test_create_plugin_writes_the_package_and_refuses_to_overwrite(tmp_path):
    root = create_plugin("acme", ["templates"], tmp_path)

    assert root == tmp_path / "swift-acme"
    assert (root / "swift_acme" / "templates.py").read_text().startswith('"""The ``acme`` chat template')
    assert "class TestAcmeConformance(PluginConformance)" in (root / "tests" / "test_conformance.py").read_text()
    with pytest.raises(UsageError, match="already exists and is not empty"):
        create_plugin("acme", ["templates"], tmp_path)
    create_plugin("acme", ["templates", "rewards"], tmp_path, force=True)
    assert (root / "swift_acme" / "rewards.py").is_file()


def test_swift_plugins_new_creates_the_package(tmp_path):
    proc = swift(
        "plugins",
        "new",
        "acme",
        "--family",
        "rewards",
        "--family",
        "schedulers",
        "--output",
        str(tmp_path),
    )

    assert proc.returncode == 0, proc.stderr
    assert f"created {tmp_path / 'swift-acme'}" in proc.stdout
    assert (tmp_path / "swift-acme" / "swift_acme" / "schedulers.py").is_file()


def test_swift_plugins_new_reports_bad_input_without_a_traceback(tmp_path):
    bad_family = swift("plugins", "new", "acme", "--family", "widgets", "--output", str(tmp_path))
    assert bad_family.returncode == 2
    assert "unknown family 'widgets'" in bad_family.stderr and "Traceback" not in bad_family.stderr

    missing = swift("plugins", "new", "acme", "--output", str(tmp_path))
    assert missing.returncode == 2 and "--family" in missing.stderr


def test_swift_plugins_new_without_the_sdk_says_what_to_install(tmp_path):
    # sys.modules[name] = None makes `import name` fail, as when the package is absent
    proc = swift(
        "plugins",
        "new",
        "acme",
        "--family",
        "rewards",
        "--output",
        str(tmp_path),
        # as when the package is absent: its module cannot be imported, its plugin is not there
        code="sys.modules['swift_sdk'] = None; import os; os.environ['SWIFT_DISABLE_PLUGINS'] = 'sdk'",
    )

    assert proc.returncode == 2
    assert "swift-sdk, which is not installed" in proc.stderr and "pip install swift-sdk" in proc.stderr
    assert not os.listdir(tmp_path)


def test_the_generated_package_is_lint_clean_and_formatted(tmp_path):
    ruff = [sys.executable, "-m", "ruff"]
    if subprocess.run([*ruff, "--version"], capture_output=True).returncode != 0:
        pytest.skip("ruff is not installed in this environment")
    root = create_plugin("acme", FAMILIES, tmp_path)
    options = ["--isolated", "--line-length", "100"]

    # run from the package folder, as its author would: swift_acme is then first-party
    lint = subprocess.run(
        [*ruff, "check", *options, "--select", "E,F,W,I,B,UP", "."],
        capture_output=True,
        text=True,
        cwd=root,
    )
    form = subprocess.run([*ruff, "format", "--check", *options, "."], capture_output=True, text=True, cwd=root)

    assert lint.returncode == 0, lint.stdout
    assert form.returncode == 0, form.stdout
