"""docs/plugins/hooks.md is exactly what ``python -m swift_sdk.docs_gen`` makes of the hookspec docstrings."""

from __future__ import annotations

from pathlib import Path

from swift_sdk import docs_gen

HOOKS_MD = Path(__file__).resolve().parents[2] / "docs" / "plugins" / "hooks.md"


def test_the_committed_hook_reference_matches_the_docstrings():
    assert HOOKS_MD.read_text(encoding="utf-8") == docs_gen.render(), (
        "docs/plugins/hooks.md is stale: run python -m swift_sdk.docs_gen docs/plugins/hooks.md"
    )


def test_every_hook_is_documented_with_its_record_fields():
    from swift.kernel.families import FAMILIES

    text = docs_gen.render()
    for family in FAMILIES.values():
        assert f"## {family.hook}\n" in text
        assert f"#### `{family.record_type.__name__}`" in text


def test_check_mode_reports_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "hooks.md"
    stale.write_text("old\n")

    assert docs_gen.main([str(stale), "--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    assert docs_gen.main([str(stale)]) == 0 and docs_gen.main([str(stale), "--check"]) == 0
