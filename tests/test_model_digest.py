"""The model's digest (simulation.digest) names its code and presets: the same files give the
same digest, and a changed file of either kind another."""

from __future__ import annotations

from simulation.digest import model_digest


def test_the_digest_changes_with_the_code_or_a_preset_and_only_then(tmp_path):
    package, presets = tmp_path / "simulation", tmp_path / "regimes"
    (package / "kernels").mkdir(parents=True)
    presets.mkdir()
    (package / "model.py").write_text("x = 1\n")
    (package / "kernels" / "decide.py").write_text("y = 1\n")
    (presets / "strict.yaml").write_text("a: 1\n")
    (package / "notes.txt").write_text("not code\n")
    first = model_digest(package, presets)
    assert model_digest(package, presets) == first
    (package / "notes.txt").write_text("still not code\n")
    assert model_digest(package, presets) == first
    (package / "kernels" / "decide.py").write_text("y = 2\n")
    code = model_digest(package, presets)
    (presets / "strict.yaml").write_text("a: 2\n")
    preset = model_digest(package, presets)
    assert len({first, code, preset}) == 3


def test_the_shipped_model_has_a_digest():
    digest = model_digest()
    assert len(digest) == 16 and int(digest, 16) >= 0
