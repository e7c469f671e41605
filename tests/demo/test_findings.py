"""The demo's verdict comes from the loaded data: it matches the generator's answer key for other seeds too."""
import pytest

from jitbench.demo import generate
from jitbench.demo.findings import find_culprit
from jitbench.store import Store


@pytest.mark.parametrize("seed", [2, 5])
def test_the_culprit_deployment_is_found_from_traces_and_logs(tmp_path, seed):
    inc = generate(tmp_path, seed=seed, traces_per_minute=12, baseline_minutes=30, incident_minutes=20)
    store = Store()
    try:
        store.load(str(inc.traces_path))
        store.load(str(inc.logs_path))
        found = find_culprit(store, inc.window, inc.baseline)
    finally:
        store.close()
    assert (found.service, found.version, found.region) == (inc.service, inc.version, inc.region)
    assert found.baseline_version == inc.previous_version
    assert "PoolTimeout" in found.evidence
    assert found.new_log_template.startswith(inc.log_template)
    assert found.headline().startswith(f"{inc.service} v{inc.version} in {inc.region} (was v{inc.previous_version})")


def test_nothing_failing_is_no_finding(tmp_path):
    inc = generate(tmp_path, seed=1, traces_per_minute=5, baseline_minutes=5, incident_minutes=5)
    store = Store()
    try:
        store.load(str(inc.traces_path))
        # a window before any data: no failing trace in it
        assert find_culprit(store, ("2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z"),
                            ("2026-11-29T09:00:00Z", "2026-11-29T10:00:00Z")) is None
    finally:
        store.close()
