from __future__ import annotations

import pytest

from core import training
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.training import registry
from tests.core.test_training import make_split, run


@pytest.fixture
def versions(store):
    pid, sid = make_split(store)
    runs = [run(store, pid, sid, params={"C": c}) for c in (0.1, 1.0, 10.0)]
    return store, pid, [registry.register(store, r, "tester") for r in runs]


def test_versions_are_numbered(versions):
    store, _pid, ids = versions
    assert [registry.get_version(store, i).version for i in ids] == [1, 2, 3]
    with pytest.raises(registry.RegistryError, match="registered already"):
        registry.register(store, registry.get_version(store, ids[0]).run_id, "tester")


def test_one_champion_at_a_time(versions):
    store, pid, ids = versions
    for vid in ids:
        registry.set_alias(store, vid, "champion", "tester")
        champions = [v for v in registry.list_versions(store, pid) if v.alias == "champion"]
        assert [v.id for v in champions] == [vid]
    registry.set_alias(store, ids[0], "challenger", "tester")
    assert registry.get_challenger(store, pid).id == ids[0]
    assert registry.get_champion(store, pid).id == ids[2]
    registry.set_alias(store, ids[0], "champion", "tester")  # the challenger is promoted
    assert registry.get_champion(store, pid).id == ids[0]
    assert registry.get_challenger(store, pid) is None
    audit = projects_db.list_audit(store, pid)
    assert (audit["action"] == "set_alias").sum() == 5


def test_archive_clears_alias_and_blocks_new_alias(versions):
    store, pid, ids = versions
    registry.set_alias(store, ids[1], "champion", "tester")
    registry.archive(store, ids[1], "tester")
    assert registry.get_champion(store, pid) is None
    with pytest.raises(registry.RegistryError, match="archived"):
        registry.set_alias(store, ids[1], "champion", "tester")
    registry.restore(store, ids[1], "tester")
    registry.set_alias(store, ids[1], "champion", "tester")
    with pytest.raises(registry.RegistryError, match="Unknown alias"):
        registry.set_alias(store, ids[1], "production", "tester")


def test_loaded_model_predicts_from_raw_features(versions):
    store, _pid, ids = versions
    model = registry.load_model(store, ids[0])
    r = training.get_run(store, registry.get_version(store, ids[0]).run_id)
    frame = datasets_db.dataset_frame(store, r.dataset_id)
    proba = model.predict_proba(frame[r.features].head(5))
    assert proba.shape == (5, 2) and list(model.classes_) == ["0", "1"]


def test_tampered_artifact_refuses_to_load(versions):
    store, _pid, ids = versions
    mv = registry.get_version(store, ids[0])
    path = registry.artifact_root() / mv.artifact_path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(registry.ArtifactIntegrityError, match="does not match the hash"):
        registry.load_model(store, ids[0])
    path.unlink()
    with pytest.raises(registry.RegistryError, match="missing"):
        registry.load_model(store, ids[0])


def test_failed_or_unsaved_runs_cannot_be_registered(store):
    pid, sid = make_split(store)
    bad = run(store, pid, sid, params={"C": -1})
    with pytest.raises(registry.RegistryError, match="no saved model"):
        registry.register(store, bad, "tester")
    unsaved = run(store, pid, sid, save_model=False)
    with pytest.raises(registry.RegistryError, match="no saved model"):
        registry.register(store, unsaved, "tester")
