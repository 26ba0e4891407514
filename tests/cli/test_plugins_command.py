"""`swift plugins list`: the table, --json, --check and -v, with fake distributions."""

import json
import os
import subprocess
import sys
import textwrap

GOOD = """
from swift.kernel import hookimpl, RewardRecord, TunerRecord

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="acme_reward", load="acme_hooks:f")

@hookimpl
def swift_register_tuners():
    yield TunerRecord(name="acme_tuner", load="acme_hooks:f")
"""

BROKEN = "import not_installed_anywhere_pkg\n"

CLASH = """
from swift.kernel import hookimpl, RewardRecord

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="acme_reward", load="clash_hooks:f")
"""


def write_dist(root, name, version, entry_points, modules):
    dist = root / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = []
    for group, eps in entry_points.items():
        lines += [f"[{group}]", *(f"{k} = {v}" for k, v in eps.items()), ""]
    (dist / "entry_points.txt").write_text("\n".join(lines))
    for rel, source in modules.items():
        (root / rel).write_text(textwrap.dedent(source))


def plugins(site, *argv, strict="0"):
    env = {
        **os.environ,
        "PYTHONPATH": f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "SWIFT_PLUGINS_STRICT": strict,
    }
    return subprocess.run(
        [sys.executable, "-m", "swift.cli.main", "plugins", "list", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def make_site(tmp_path, *, broken=False, clash=False):
    site = tmp_path / "site"
    site.mkdir()
    write_dist(
        site,
        "swift-acme",
        "1.4.0",
        {"swift.rewards": {"acme": "acme_hooks"}, "swift.tuners": {"acme": "acme_hooks"}},
        {"acme_hooks.py": GOOD},
    )
    if broken:
        write_dist(
            site, "swift-broken", "0.0.1", {"swift.rewards": {"broken": "broken_hooks"}}, {"broken_hooks.py": BROKEN}
        )
    if clash:
        write_dist(site, "swift-clash", "2.0.0", {"swift.rewards": {"clash": "clash_hooks"}}, {"clash_hooks.py": CLASH})
    return site


def test_table_shows_each_plugin_aligned(tmp_path):
    result = plugins(make_site(tmp_path, broken=True))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines[0]
    assert header.split() == ["NAME", "DISTRIBUTION", "VERSION", "STATUS", "PROVIDES"]
    acme = next(ln for ln in lines if ln.startswith("acme "))
    assert "swift-acme" in acme and "1.4.0" in acme and "active" in acme
    assert "rewards 1" in acme and "tuners 1" in acme
    assert acme.index("swift-acme") == header.index("DISTRIBUTION")
    broken = next(ln for ln in lines if ln.startswith("broken "))
    assert "failed" in broken
    assert any("not_installed_anywhere_pkg" in ln for ln in lines)


def test_json_is_stable_and_on_stdout_only(tmp_path):
    site = make_site(tmp_path, broken=True)
    first, second = plugins(site, "--json"), plugins(site, "--json")
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    rows = {row["name"]: row for row in data["plugins"]}
    assert rows["acme"]["provides"] == {"rewards": ["acme_reward"], "tuners": ["acme_tuner"]}
    assert rows["acme"]["distribution"] == "swift-acme" and rows["acme"]["version"] == "1.4.0"
    assert rows["broken"]["status"] == "failed"
    assert "not_installed_anywhere_pkg" in rows["broken"]["error"]
    assert rows["builtin:commands"]["provides"]["commands"][:2] == ["app", "deploy"]


def test_check_fails_on_a_failed_plugin(tmp_path):
    assert plugins(make_site(tmp_path, broken=True), "--check").returncode == 1


def test_check_fails_on_a_conflict_naming_both_plugins(tmp_path):
    result = plugins(make_site(tmp_path, clash=True), "--check")
    assert result.returncode == 1
    assert "conflict: rewards 'acme_reward' is provided by acme, clash" in result.stdout


def test_check_passes_when_everything_loads(tmp_path):
    result = plugins(make_site(tmp_path), "--check", strict="1")
    assert result.returncode == 0, result.stdout + result.stderr


def test_verbose_shows_module_paths_names_and_tracebacks(tmp_path):
    result = plugins(make_site(tmp_path, broken=True), "-v")
    assert "acme_hooks.py" in result.stdout
    assert "acme_reward" in result.stdout
    assert "Traceback (most recent call last)" in result.stdout


def test_plugin_files_are_listed_with_external_plugins(tmp_path):
    plugin = tmp_path / "file_plugin.py"
    plugin.write_text(textwrap.dedent(GOOD.replace("acme_hooks", "file_plugin")))
    env = {**os.environ, "SWIFT_PLUGINS_STRICT": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "swift.cli.main", "plugins", "list", "--json", "--external_plugins", str(plugin)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["plugins"]}
    assert rows[str(plugin)]["provides"]["rewards"] == ["acme_reward"]
