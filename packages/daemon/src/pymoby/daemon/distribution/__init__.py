"""pymoby.daemon.distribution: pull and push between registries and the local stores (Docker's ``distribution``).

:class:`Distribution` pulls (manifest -> config -> layers in parallel,
verified, applied on their chain -> image -> tag) and pushes (layers
found, mounted or uploaded -> config -> manifest), writing Docker's JSON
progress messages to a :class:`Job`. Layer transfers are shared between
concurrent operations (:class:`TransferManager`); :class:`Jobs` is the task
group they and the jobs run in.
"""

from ._jobs import Job, JobOutput, Jobs
from ._metadata import BlobRecord, DistributionMetadata
from ._progress import (
    ProgressOutput,
    Throttle,
    aux_message,
    encode_message,
    error_message,
    human_size,
    progress_bar,
    progress_message,
    short_id,
    status_message,
    update_message,
)
from ._pull import PlatformMismatch, RootFSMismatch
from ._push import NoSuchTag
from ._registry import LayerVerificationFailed, PullAccessDenied
from ._search import SEARCH_FILTERS, SearchUnsupported, split_search_term
from ._service import Distribution, EventLog
from ._xfer import Aborted, Transfer, TransferEvent, TransferManager, run_abortable

__all__ = [
    "SEARCH_FILTERS",
    "Aborted",
    "BlobRecord",
    "Distribution",
    "DistributionMetadata",
    "EventLog",
    "Job",
    "JobOutput",
    "Jobs",
    "LayerVerificationFailed",
    "NoSuchTag",
    "PlatformMismatch",
    "ProgressOutput",
    "PullAccessDenied",
    "RootFSMismatch",
    "SearchUnsupported",
    "Throttle",
    "Transfer",
    "TransferEvent",
    "TransferManager",
    "aux_message",
    "encode_message",
    "error_message",
    "human_size",
    "progress_bar",
    "progress_message",
    "run_abortable",
    "short_id",
    "split_search_term",
    "status_message",
    "update_message",
]
