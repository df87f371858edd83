"""The drift report's words, shared by the drift job (training_pipeline.drift writes the
report) and the function that turns a report into metrics (chalice_app.analytics).

PSI bands are the usual ones: < 0.1 stable, 0.1-0.25 watch, > 0.25 drifted.
"""

from __future__ import annotations

from typing import Final

STABLE_BELOW: Final = 0.1
DRIFTED_ABOVE: Final = 0.25
STABLE: Final = "stable"
WATCH: Final = "watch"
DRIFTED: Final = "drifted"
NOT_ENOUGH_DATA: Final = "not enough data"
NO_REFERENCE: Final = "no reference"
# A report's fields the metrics function reads (DriftReport.as_dict writes them).
STATUS_FIELD: Final = "status"
ROWS_FIELD: Final = "rows"
FEATURES_FIELD: Final = "features"
DRIFTED_FEATURES_FIELD: Final = "drifted_features"
FEATURE_NAME_FIELD: Final = "feature"
PSI_FIELD: Final = "psi"
