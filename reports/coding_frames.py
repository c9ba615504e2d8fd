"""The frames a coding instrument's report is computed from: every submitted segment code, every
segment a code set applies to, and the session summaries each coder's codes give."""

import numpy as np
import pandas as pd

from ratings.models import Segment, SegmentCode, Study

CODE_COLUMNS = ["target", "segment", "position", "speaker", "rater", "rater_kind", "code_set", "code"]


def codes_frame(study: Study, *, instrument_version) -> pd.DataFrame:
    """One row per submitted segment code; ``segment`` is ``target/segment id`` (unique)."""
    rows = (SegmentCode.objects
            .filter(rating__target__study=study, rating__instrument_version=instrument_version,
                    rating__status="submitted")
            .values_list("rating__target__external_id", "segment__external_id", "segment__position",
                         "segment__speaker", "rating__rater__name", "rating__rater__kind", "code_set", "code"))
    frame = pd.DataFrame(list(rows), columns=CODE_COLUMNS)
    frame["segment"] = frame["target"] + "/" + frame["segment"]
    return frame


def applicable_frame(study: Study, *, spec) -> pd.DataFrame:
    """One row per (segment, code set that applies to its speaker): the segments a coder of that
    set is asked about. A segment no set applies to has no row, so it is never missing."""
    rows = []
    for target, segment, speaker in Segment.objects.filter(target__study=study).values_list(
            "target__external_id", "external_id", "speaker"):
        rows += [(target, f"{target}/{segment}", code_set.code) for code_set in spec.code_sets_for(speaker)]
    return pd.DataFrame(rows, columns=["target", "segment", "code_set"])


def summaries_frame(codes: pd.DataFrame, *, spec) -> pd.DataFrame:
    """Each (target, coder) whose codes were submitted, with each summary's value (NaN where a
    ratio's denominator is 0: undefined, never 0). Long: target, rater, rater_kind, summary, score."""
    columns = ["target", "rater", "rater_kind", "summary", "score"]
    if codes.empty:
        return pd.DataFrame(columns=columns)
    counts = codes.groupby(["target", "rater", "rater_kind", "code_set", "code"]).size()
    rows = []
    for (target, rater, kind), group in counts.groupby(level=[0, 1, 2]):
        tally = {(s, c): int(n) for (_, _, _, s, c), n in group.items()}
        for summary in spec.summaries:
            value = summary.value(tally)
            rows.append((target, rater, kind, summary.code, np.nan if value is None else value))
    return pd.DataFrame(rows, columns=columns)
