"""CSV lines in, one answer line per line out: the model server's Batch Transform path.

SageMaker Batch Transform with `ContentType=text/csv` and `SplitType=Line` posts
mini-batches of whole lines of the input file to `/invocations`, and with
`AssembleWith=Line` and `JoinSource=Input` appends each answer line to its input line
(https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html).
So every line, whatever it holds, gets exactly one answer line, in order:
- a header (the model's columns by name) gets the names of the answer's columns, so the
  joined file keeps a header: Batch Transform never skips one, it is one more line;
- a property gets `predicted_price,predicted_price_low,predicted_price_high,` (UF, one
  decimal, as `python -m training_pipeline predict` writes them);
- a line the model cannot score gets empty prices and `prediction_error` says why
  (an unknown category, a field that is not a number, the wrong number of fields): one
  bad line never fails the job.
Lines carry the model's columns in the training data's order (`schema.FEATURES`); the
job's `InputFilter` sends only those, so a file may carry more columns after them
(the price, an id) and keep them in the output.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from training_pipeline.schema import FEATURES

CSV = "text/csv"
ANSWER_COLUMNS = (
    "predicted_price",
    "predicted_price_low",
    "predicted_price_high",
    "prediction_error",
)

# A line as read: the header (None), why it cannot be a record (str), or the record.
Line = dict[str, str] | str | None


@dataclass(frozen=True)
class CsvLines:
    lines: list[Line]


@dataclass(frozen=True)
class CsvAnswer:
    rows: list[tuple[str, ...]]


def read_lines(body: bytes | str) -> CsvLines:
    """Each line of the body as a record, the header or a problem; ValueError when the
    body is not UTF-8 text (no line of it can be read then)."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    raw_lines = text.split("\n")
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()  # the last line's own end, not an empty line
    return CsvLines([_line(raw.removesuffix("\r")) for raw in raw_lines])


def _line(raw: str) -> Line:
    if not raw.strip():
        return "empty line"
    try:
        (fields,) = list(csv.reader([raw]))
    except (csv.Error, ValueError) as exc:
        return f"not a CSV line: {exc}"
    if [field.strip().lower() for field in fields] == list(FEATURES):
        return None
    if len(fields) != len(FEATURES):
        return f"expected {len(FEATURES)} fields ({', '.join(FEATURES)}), got {len(fields)}"
    return dict(zip(FEATURES, (field.strip() for field in fields), strict=True))


def score(lines: CsvLines, model: Any) -> CsvAnswer:
    """One answer row per line, the records priced together (`PriceModel.estimate_frame`)."""
    import pandas as pd

    records = [line for line in lines.lines if isinstance(line, dict)]
    priced: Any = iter(())
    if records:
        frame = pd.DataFrame(records, columns=list(FEATURES), dtype=object)
        priced = zip(*model.estimate_frame(frame), strict=True)
    rows: list[tuple[str, ...]] = []
    for line in lines.lines:
        if line is None:
            rows.append(ANSWER_COLUMNS)
        elif isinstance(line, str):
            rows.append(("", "", "", line))
        else:
            value, low, high, problem = next(priced)
            if problem is None:
                rows.append((f"{value:.1f}", f"{low:.1f}", f"{high:.1f}", ""))
            else:
                rows.append(("", "", "", problem))
    return CsvAnswer(rows)


def render(answer: CsvAnswer) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(answer.rows)
    return out.getvalue().encode()
