"""The live-analysis framework: follow a run's documents, hand each frame to an analysis in a
worker thread, and publish its results while the scan runs.

The RunEngine thread only files document fields into dictionaries and a queue: reading frames
from the detector's HDF5 files, the analysis and the publishing all happen in the worker, so a
slow analysis cannot slow the scan (it only delays its own results). Results are published at
most every ``publish_period_s`` (figures at most every ``figure_period_s``: drawing one holds
Python's interpreter lock for about 0.2 s, time the RunEngine thread would lose), and once more
when the run stops:

* files in ``output_dir/<run uid>/``: ``<analysis>.h5`` (every array and scalar of the result)
  and ``<analysis>.png`` (its figure, drawn headless with matplotlib's Agg backend);
* a container ``<run uid>-<analysis>`` in Tiled (when a client is given), with the arrays and,
  in its metadata, the scalars, the raw run's uid and the analysis's name.

Every run gets its own copy of the analysis and its own worker, so a long final reconstruction
of one run never holds up the start of the next. An analysis that raises is logged, fed no
further frames, and published as failed (``status`` and ``error`` in the file's attributes and
the Tiled metadata); the scan and its data go on unaffected. Listeners given as ``on_final``
receive each run's start document and final result after a successful publication (the wiring
stores calibrations that way).
"""

from __future__ import annotations

import copy
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import h5py
import numpy as np
import numpy.typing as npt
from event_model import DocumentRouter
from matplotlib.figure import Figure

from .publication import save_figure, write_result_file, write_result_tiled

log = logging.getLogger(__name__)

#: How long the worker waits for a frame to appear in its file (s): SWMR readers see a frame
#: shortly after the writer flushes it.
FRAME_WAIT_S = 10.0


@dataclass(frozen=True)
class FrameItem:
    """One frame and what the run says about it.

    Attributes:
        frame: the detector's counts (Y, X).
        seq_num: its event number in the stream (from 1).
        positions: the event's other readings (motor readbacks, machine status), by data key.
        event_time_s: when the event was made (epoch s); for a fly scan, when its StreamDatum came.
    """

    frame: npt.NDArray
    seq_num: int
    positions: Mapping[str, Any]
    event_time_s: float


class LiveAnalysis(Protocol):
    """What a live analysis provides. ``add`` runs in the worker thread, one frame at a time.

    Each run works on a shallow copy of the analysis given to :class:`LiveCallback`, so ``start``
    must make every per-run attribute anew rather than change one in place.
    """

    name: str

    def start(self, start_doc: Mapping[str, Any]) -> None: ...

    def add(self, item: FrameItem) -> None: ...

    def result(self, final: bool) -> dict[str, Any]:
        """Arrays and scalars to publish; ``final`` at the run's stop (may add large arrays)."""
        ...

    def draw(self, figure: Figure) -> None: ...


@dataclass(frozen=True)
class _FrameRef:
    path: Path
    dataset: str
    index: int


#: A frame to read and analyse: (where it is, seq_num, the event's other data, event time).
_Pending = tuple[_FrameRef, int, dict[str, Any], float]

#: Called with a run's start document and its final result.
FinalListener = Callable[[Mapping[str, Any], dict[str, Any]], None]


class _RunFeed:
    """One run's documents, frame queue, analysis and worker."""

    def __init__(self, start: Mapping[str, Any], analysis: LiveAnalysis) -> None:
        self.start = dict(start)
        self.uid: str = self.start.get("uid", "no-run")
        self.analysis = analysis
        self.descriptors: dict[str, Any] = {}
        self.resources: dict[str, tuple[Path, str]] = {}
        self.frames_by_seq: dict[int, _FrameRef] = {}
        self.events_by_seq: dict[int, tuple[dict[str, Any], float]] = {}
        self.queue: queue.Queue[_Pending | None] = queue.Queue()
        self.failure: BaseException | None = None
        #: When the stop document came (monotonic s).
        self.stopped = 0.0


class LiveCallback(DocumentRouter):
    """Feed one detector's frames of each run to ``analysis`` and publish its results.

    Args:
        analysis: the live analysis; each run works on a shallow copy of it, and ``analysis``
            is then the latest run's copy.
        detector: the detector's data key (its name, e.g. ``"camera"``).
        output_dir: folder for the result files; a sub-folder per run.
        tiled_client: a writable Tiled container for the derived results, or None.
        publish_period_s: the least time between two publications of the results (s).
        figure_period_s: the least time between two drawings of the figure (s).
        stream: the event stream that holds the frames.
        on_final: called in the worker with the start document and the final result of every
            run whose analysis succeeded.
        accepts: which runs to analyse, from their start document (default every run).
    """

    def __init__(
        self,
        analysis: LiveAnalysis,
        detector: str,
        output_dir: str | Path,
        tiled_client: Any = None,
        publish_period_s: float = 1.0,
        figure_period_s: float = 5.0,
        stream: str = "primary",
        on_final: Sequence[FinalListener] = (),
        accepts: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> None:
        super().__init__()
        if publish_period_s < 0 or figure_period_s < 0:
            raise ValueError(
                f"publish_period_s={publish_period_s} and figure_period_s={figure_period_s} must be >= 0 s"
            )
        self.figure_period_s = figure_period_s
        self._template = analysis
        self.analysis = analysis
        self.detector = detector
        self.output_dir = Path(output_dir)
        self.tiled_client = tiled_client
        self.publish_period_s = publish_period_s
        self.stream = stream
        self.on_final = list(on_final)
        self.accepts = accepts
        #: Seconds from each frame's event to the publication that first included it.
        self.latencies_s: list[float] = []
        #: Seconds from each run's stop document to its final publication.
        self.final_latencies_s: dict[str, float] = {}
        #: Seconds the RunEngine's thread spent in this callback, per run uid: what the live
        #: analysis costs the scan (filing documents; the analysis itself is in the worker).
        self.dispatch_s: dict[str, float] = {}
        self._dispatch_uid = ""
        #: Files written, Tiled keys made and the status ("ok" or "failed"), per run uid.
        self.published: dict[str, dict[str, Any]] = {}
        self.errors: list[BaseException] = []
        self._feed: _RunFeed | None = None
        self._workers: list[threading.Thread] = []

    # --- RunEngine thread: file the documents, queue the frames ----------------------------

    def __call__(self, name, doc, validate=False):
        began = time.perf_counter()
        try:
            return super().__call__(name, doc, validate)
        finally:
            if name == "start":
                self._dispatch_uid = doc.get("uid", "no-run")
            spent = time.perf_counter() - began
            self.dispatch_s[self._dispatch_uid] = self.dispatch_s.get(self._dispatch_uid, 0.0) + spent

    def start(self, doc):
        self._feed = None
        if self.accepts is not None and not self.accepts(doc):
            return doc
        analysis = copy.copy(self._template)
        feed = _RunFeed(doc, analysis)
        try:
            analysis.start(doc)
        except Exception as error:
            log.exception("live analysis %s could not start on run %s", analysis.name, feed.uid)
            self._fail(feed, error)
        self.analysis = analysis
        self._feed = feed
        worker = threading.Thread(
            target=self._work, args=(feed,), name=f"live-{analysis.name}-{feed.uid[:8]}", daemon=True
        )
        self._workers = [w for w in self._workers if w.is_alive()] + [worker]
        worker.start()
        return doc

    def descriptor(self, doc):
        if self._feed is not None and doc.get("name") == self.stream:
            self._feed.descriptors[doc["uid"]] = doc
        return doc

    def stream_resource(self, doc):
        if self._feed is not None and doc.get("data_key") == self.detector:
            self._feed.resources[doc["uid"]] = (_path_of(doc["uri"]), doc["parameters"]["dataset"])
        return doc

    def stream_datum(self, doc):
        feed = self._feed
        if feed is None:
            return doc
        resource = feed.resources.get(doc["stream_resource"])
        descriptor = feed.descriptors.get(doc["descriptor"])
        if resource is None or descriptor is None:
            return doc
        indices = range(doc["indices"]["start"], doc["indices"]["stop"])
        seq_nums = range(doc["seq_nums"]["start"], doc["seq_nums"]["stop"])
        # A stream whose every key is external (a fly scan's collected frames) has no events.
        has_events = any("external" not in key for key in descriptor["data_keys"].values())
        for index, seq_num in zip(indices, seq_nums, strict=True):
            ref = _FrameRef(resource[0], resource[1], index)
            if not has_events:
                feed.queue.put((ref, seq_num, {}, time.time()))
            elif seq_num in feed.events_by_seq:
                data, event_time = feed.events_by_seq.pop(seq_num)
                feed.queue.put((ref, seq_num, data, event_time))
            else:
                feed.frames_by_seq[seq_num] = ref
        return doc

    def event(self, doc):
        feed = self._feed
        if feed is None or doc["descriptor"] not in feed.descriptors:
            return doc
        data = {key: value for key, value in doc["data"].items() if key != self.detector}
        ref = feed.frames_by_seq.pop(doc["seq_num"], None)
        if ref is None:
            feed.events_by_seq[doc["seq_num"]] = (data, doc["time"])
        else:
            feed.queue.put((ref, doc["seq_num"], data, doc["time"]))
        return doc

    def stop(self, doc):
        if self._feed is not None:
            self._feed.stopped = time.monotonic()
            self._feed.queue.put(None)
            self._feed = None
        return doc

    def wait(self, timeout: float | None = None) -> None:
        """Block until every run's frames are analysed and its final results published."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for worker in self._workers:
            worker.join(None if deadline is None else max(deadline - time.monotonic(), 0.0))
            if worker.is_alive():
                raise TimeoutError(f"live analysis {self.analysis.name!r} still busy after {timeout} s")
        self._workers = []

    # --- worker threads, one per run -------------------------------------------------------

    def _work(self, feed: _RunFeed) -> None:
        last_publish = 0.0
        unpublished: list[float] = []
        while True:
            entry: _Pending | None = None
            try:
                entry = feed.queue.get(timeout=max(self.publish_period_s, 0.05))
                if entry is None:
                    break
            except queue.Empty:
                pass
            if entry is not None and feed.failure is None:
                ref, seq_num, data, event_time = entry
                try:
                    frame = _read_frame(ref)
                    feed.analysis.add(FrameItem(frame, seq_num, data, event_time))
                    unpublished.append(event_time)
                except Exception as error:
                    log.exception("live analysis %s failed on frame %s", feed.analysis.name, seq_num)
                    self._fail(feed, error)
            due = time.monotonic() - last_publish >= self.publish_period_s
            if feed.failure is None and unpublished and due:
                self._publish(feed, final=False, frame_times=unpublished)
                unpublished = []
                last_publish = time.monotonic()
        if feed.failure is None:
            result = self._publish(feed, final=True, frame_times=unpublished)
            if result is not None:
                self._tell_listeners(feed, result)
        if feed.failure is not None:
            self._publish_failure(feed)
        self.final_latencies_s[feed.uid] = time.monotonic() - feed.stopped

    def _fail(self, feed: _RunFeed, error: BaseException) -> None:
        feed.failure = error
        self.errors.append(error)

    def _publish(self, feed: _RunFeed, final: bool, frame_times: list[float]) -> dict[str, Any] | None:
        name = feed.analysis.name
        try:
            result = feed.analysis.result(final)
            folder = self.output_dir / feed.uid
            folder.mkdir(parents=True, exist_ok=True)
            h5_path = folder / f"{name}.h5"
            write_result_file(h5_path, result, _attrs(feed, {"status": "ok", "final": final}))
            record = self.published.setdefault(feed.uid, {})
            record.update(h5=h5_path, final=final, status="ok")
            if final or time.monotonic() - self._last_figure_of(feed) >= self.figure_period_s:
                png_path = folder / f"{name}.png"
                save_figure(png_path, feed.analysis.draw)
                record["png"] = png_path
                record["figure_time"] = time.monotonic()
            if final and self.tiled_client is not None:
                record["tiled_key"] = _write_tiled(self.tiled_client, feed, result, {"status": "ok"})
        except Exception as error:
            log.exception("live analysis %s failed to publish run %s", name, feed.uid)
            self._fail(feed, error)
            return None
        now = time.time()
        self.latencies_s.extend(now - t for t in frame_times)
        return result

    def _last_figure_of(self, feed: _RunFeed) -> float:
        return self.published.get(feed.uid, {}).get("figure_time", -float("inf"))

    def _publish_failure(self, feed: _RunFeed) -> None:
        """The failure where the results would have gone: the file and Tiled say what went wrong."""
        name = feed.analysis.name
        error = f"{type(feed.failure).__name__}: {feed.failure}"
        record = self.published.setdefault(feed.uid, {})
        record.update(status="failed", error=error, final=True)
        try:
            folder = self.output_dir / feed.uid
            folder.mkdir(parents=True, exist_ok=True)
            h5_path = folder / f"{name}.h5"
            write_result_file(h5_path, {}, _attrs(feed, {"status": "failed", "error": error, "final": True}))
            record["h5"] = h5_path
            record.pop("png", None)
            (folder / f"{name}.png").unlink(missing_ok=True)
            if self.tiled_client is not None:
                record["tiled_key"] = _write_tiled(
                    self.tiled_client, feed, {}, {"status": "failed", "error": error}
                )
        except Exception:
            log.exception("could not publish the failure of %s on run %s", name, feed.uid)

    def _tell_listeners(self, feed: _RunFeed, result: dict[str, Any]) -> None:
        for listener in self.on_final:
            try:
                listener(feed.start, result)
            except Exception as error:
                log.exception("a listener of %s failed on run %s", feed.analysis.name, feed.uid)
                self.errors.append(error)


def _path_of(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme not in ("file", ""):
        raise ValueError(f"frames at {uri!r}: only file:// URIs are read directly")
    return Path(parsed.path)


def _read_frame(ref: _FrameRef) -> npt.NDArray:
    """The frame at ``ref``, waiting up to FRAME_WAIT_S for the writer to flush it."""
    deadline = time.monotonic() + FRAME_WAIT_S
    while True:
        try:
            with h5py.File(ref.path, "r", swmr=True, locking=False) as f:
                dataset = f[ref.dataset]
                if isinstance(dataset, h5py.Dataset) and dataset.shape[0] > ref.index:
                    return np.asarray(dataset[ref.index])
        except (OSError, KeyError):
            pass  # not created or not flushed yet
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"frame {ref.index} of {ref.path}:{ref.dataset} not there after {FRAME_WAIT_S} s"
            )
        time.sleep(0.02)


def _attrs(feed: _RunFeed, status: Mapping[str, Any]) -> dict[str, Any]:
    """The result file's attributes: the status, the analysis and the raw run."""
    return {
        **status,
        "analysis": feed.analysis.name,
        "raw_uid": feed.start.get("uid", ""),
        "plan_name": feed.start.get("plan_name", ""),
    }


def _write_tiled(client: Any, feed: _RunFeed, result: Mapping[str, Any], status: Mapping[str, Any]) -> str:
    metadata = {"raw_uid": feed.uid, "analysis": feed.analysis.name, **status}
    return write_result_tiled(client, f"{feed.uid}-{feed.analysis.name}", result, metadata)
