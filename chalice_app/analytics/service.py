"""What the analytics functions do, as plain functions over their dependencies.

Every night `start_nightly` starts two SageMaker Processing jobs on the model image:
the export of yesterday's log to Parquet, and the drift of the last days against the
served model's profile. When a drift job completes, `publish_drift` reads its report
from the bucket and writes its figures as EMF metrics: a processing job's own output
goes to CloudWatch Logs without EMF's header, so metrics it printed would stay text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalice_app import observability
from chalice_app.aws.clients import ClientSource
from chalice_app.aws.processing import ProcessingJobs
from contract import drift
from contract.resources import DRIFT_JOB, EXPORT_JOB, StageNames

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Analytics:
    jobs: ProcessingJobs
    drift_days: int


def start_nightly(analytics: Analytics, now: datetime) -> dict[str, str]:
    """Start yesterday's export and the drift of the `drift_days` days ending yesterday."""
    yesterday = (now.date() - timedelta(days=1)).isoformat()
    jobs = analytics.jobs
    started = {
        EXPORT_JOB: jobs.start(EXPORT_JOB, ["--day", yesterday], now),
        DRIFT_JOB: jobs.start(
            DRIFT_JOB,
            ["--day", yesterday, "--days", str(analytics.drift_days)],
            now,
            name_flag="--job-name",
        ),
    }
    log.info("analytics jobs started", extra={"jobs": started, "day": yesterday})
    return started


def publish_drift(
    s3: ClientSource, bucket: str, names: StageNames, detail: Mapping[str, Any]
) -> dict[str, Any]:
    """A completed drift job's report as metrics; other jobs' events are not ours."""
    job = str(detail.get("ProcessingJobName", ""))
    if detail.get("ProcessingJobStatus") != "Completed" or not job.startswith(
        names.analytics_job_prefix(DRIFT_JOB)
    ):
        return {"ignored": job}
    key = names.drift_report_key(job)
    report = json.loads(s3().get_object(Bucket=bucket, Key=key)["Body"].read())
    status = report[drift.STATUS_FIELD]
    if status in (drift.NO_REFERENCE, drift.NOT_ENOUGH_DATA):
        # No figure is better than a figure on noise: the alarm sees missing data.
        log.warning("drift not measured", extra={"job": job, "status": status})
        return {"job": job, "status": status, "published": 0}
    psi = {
        str(f[drift.FEATURE_NAME_FIELD]): float(f[drift.PSI_FIELD])
        for f in report[drift.FEATURES_FIELD]
        if f[drift.PSI_FIELD] is not None
    }
    drifted = list(report[drift.DRIFTED_FEATURES_FIELD])
    observability.drift_metrics(names.stage, psi, len(drifted))
    log.info("drift published", extra={"job": job, "status": status, "drifted": drifted})
    return {"job": job, "status": status, "published": len(psi), "drifted": drifted}
