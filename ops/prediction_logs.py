"""The prediction log an operator command works on: the stage's DynamoDB table, or
without a stage the local SQLite log in $PVP_HOME. Both adapters write (`record`) and
read a day (`read_day`), so every command reads and writes through them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OpenedLog:
    log: Any  # a PredictionLog and PredictionReader (chalice_app.ports)
    where: str  # the table or file, for messages
    clients: Any = None  # the stage's AwsClients (None locally)
    settings: Any = None  # AwsSettings on a stage, LocalSettings locally


def open_log(stage: str | None) -> OpenedLog:
    if stage is None:
        from chalice_app.config import load_local_settings
        from chalice_app.local.prediction_log import SqlitePredictionLog

        local = load_local_settings()
        path = local.prediction_log_path
        return OpenedLog(SqlitePredictionLog(path), str(path), settings=local)
    from chalice_app.aws.clients import AwsClients
    from chalice_app.aws.prediction_log import DynamoPredictionLog
    from chalice_app.config import load_aws_settings

    aws = load_aws_settings(os.environ, stage=stage)
    clients = AwsClients(aws)
    log = DynamoPredictionLog(clients.source("dynamodb"), aws.prediction_table)
    return OpenedLog(log, aws.prediction_table, clients, aws)
