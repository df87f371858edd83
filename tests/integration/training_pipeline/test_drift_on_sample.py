"""Drift against a model trained on the sample (its profile.json from training): a week
drawn from the training distribution is stable, a week with shifted areas and a new
sector drifts on exactly those features, and ten rows are not enough data."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.synthetic_log import NEW_SECTOR, SHIFTED, week
from training_pipeline.drift import DRIFTED, NOT_ENOUGH_DATA, STABLE, compare, format_report
from training_pipeline.profile import PREDICTION, Profile, read_profile
from training_pipeline.registry import LocalRegistry

WEEK_ROWS = 2100  # 300 a day


@pytest.fixture(scope="module")
def deployed(trained_home: Path) -> tuple[object, Profile]:
    registry = LocalRegistry(trained_home)
    location = registry.deployed_location()
    found = registry.deployed_model()
    assert location is not None and found is not None
    profile = read_profile(location[1])
    assert profile is not None, "training wrote no profile.json beside the model"
    return found[1], profile


def test_training_writes_the_profile_of_its_own_data(deployed: tuple[object, Profile]) -> None:
    _, profile = deployed
    assert profile.rows == 1600  # the sample's training split
    assert set(profile.categorical["type"].shares) == {"casa", "departamento"}
    assert sum(profile.numeric["net_area"].shares) == pytest.approx(1.0)
    assert 7 < profile.numeric[PREDICTION].median < 10  # log UF: thousands of UF


def test_a_week_from_the_training_distribution_is_stable(
    deployed: tuple[object, Profile],
) -> None:
    model, profile = deployed
    frame, values = week(model, WEEK_ROWS, seed=21)
    report = compare(profile, frame.to_dict("records"), values.tolist(), model_version="v0001")
    print(format_report(report))
    assert report.status == STABLE
    assert all(f.status == STABLE and f.rows == WEEK_ROWS for f in report.features)
    assert {f.unseen_share for f in report.features if f.kind == "categorical"} == {0.0}


def test_shifted_areas_and_a_new_sector_drift_on_exactly_those_features(
    deployed: tuple[object, Profile],
) -> None:
    model, profile = deployed
    frame, values = week(model, WEEK_ROWS, seed=22, shifted=True)
    report = compare(profile, frame.to_dict("records"), values.tolist(), model_version="v0001")
    print(format_report(report))
    assert report.status == DRIFTED
    assert sorted(report.drifted_features) == sorted(SHIFTED)
    by_name = {f.feature: f for f in report.features}
    assert by_name["sector"].unseen == [NEW_SECTOR]
    assert by_name["sector"].unseen_share == pytest.approx(0.2, abs=0.03)
    assert by_name["net_area"].outside_share is not None and by_name["net_area"].outside_share > 0
    # Bigger properties are priced higher: the prediction moves too, and says so.
    assert by_name[PREDICTION].psi is not None and by_name[PREDICTION].psi > 0.1


def test_ten_rows_are_not_enough_data(deployed: tuple[object, Profile]) -> None:
    model, profile = deployed
    frame, values = week(model, 10, seed=23, shifted=True)
    report = compare(profile, frame.to_dict("records"), values.tolist())
    assert report.status == NOT_ENOUGH_DATA
    assert {f.status for f in report.features} == {NOT_ENOUGH_DATA}
    assert report.drifted_features == [] and report.rows == 10
