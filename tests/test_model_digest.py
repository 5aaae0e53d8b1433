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


def test_the_shipped_model_has_the_digest_of_any_copy_of_it(tmp_path):
    """A clone elsewhere (another machine, CI) names the same model; an edit another."""
    import shutil

    from simulation.digest import PACKAGE
    from simulation.loading import preset_dir

    digest = model_digest()
    assert len(digest) == 16 and int(digest, 16) >= 0
    package = tmp_path / "elsewhere" / "simulation"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    presets = tmp_path / "elsewhere" / "regimes"
    shutil.copytree(preset_dir(), presets)
    assert model_digest(package, presets) == digest
    decide = package / "decision.py"
    decide.write_text(decide.read_text() + "\n# an edit\n")
    assert model_digest(package, presets) != digest
