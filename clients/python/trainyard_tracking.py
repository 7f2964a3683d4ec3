"""Trainyard run tracking client (Python standard library only).

Inside a Trainyard job nothing needs configuring: the run id, the server URL and the run's ingest
token come from TRAINYARD_RUN_ID, TRAINYARD_URL and TRAINYARD_RUN_TOKEN_FILE (or TRAINYARD_RUN_TOKEN).
Elsewhere pass ``url`` and ``token`` (the server's bearer token, or TRAINYARD_TOKEN); without a run id
a new run is created (``name``, ``project``).

    from trainyard_tracking import Run
    with Run() as run:
        run.log_configs({"lr": 3e-4, "model": {"layers": 4}})
        for step in range(100):
            run.log_metrics({"train/loss": loss}, step=step)

Points are queued and sent by a background thread in batches (at most 5,000 points per request, well
under the server's 10,000-point / 1 MiB limits); ``close()`` sends the rest and the status.
Same path + step overwrites (goodseed semantics); NaN and +-Infinity are kept.

A busy or unreachable server (a restart, an outage) never stops the training: what could not be
sent is kept and sent again (every 0.5 s, backing off to 30 s) until the server takes it; at most
``max_pending_points`` are kept (the oldest go first, counted on stderr). ``close()`` waits up to
``close_timeout`` seconds for them, then says on stderr what it could not send. Only a refusal
(4xx: a bad value, a closed run) raises, from the next call.
"""

import datetime
import json
import math
import os
import sys
import threading
import time
import urllib.error
import urllib.request

__all__ = ["Run", "TrackingError"]

MAX_POINTS_PER_REQUEST = 5000
MAX_BYTES_PER_REQUEST = 900 * 1024
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 30.0


class TrackingError(RuntimeError):
    """The server refused a request (status and its message) or could not be reached."""


def _json_number(value):
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _config_value(value):
    """A config value with goodseed's type tag, as the server's `{type_tag, value}` form."""
    if isinstance(value, bool):
        return {"type_tag": "bool", "value": value}
    if isinstance(value, int):
        return {"type_tag": "int", "value": value}
    if isinstance(value, float):
        return {"type_tag": "float", "value": _json_number(value)}
    if isinstance(value, datetime.datetime):
        return {"type_tag": "datetime", "value": value.isoformat()}
    if value is None:
        return {"type_tag": "null", "value": None}
    if isinstance(value, (set, frozenset)):
        return {"type_tag": "string_set", "value": sorted(str(v) for v in value)}
    return {"type_tag": "str", "value": str(value)}


def _flatten(data, prefix=""):
    out = {}
    items = vars(data).items() if hasattr(data, "__dict__") and not isinstance(data, dict) else data.items()
    for key, value in items:
        path = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, dict) or (hasattr(value, "__dict__") and type(value).__name__ == "Namespace"):
            # An empty section is kept as the text {} (as the server keeps one sent nested), not dropped.
            out.update(_flatten(value, path) or {path: "{}"})
        else:
            out[path] = value
    return out


def _warn(message):
    print(f"trainyard_tracking: {message}", file=sys.stderr, flush=True)


def _points(requests):
    return sum(len(r.get("metrics", ())) + len(r.get("strings", ())) for r in requests)


def _requests(metrics, strings, configs):
    """The log requests for these points and configs: configs first, then batches under the limits."""
    requests = [{"configs": configs}] if configs else []
    batch, size = {"metrics": [], "strings": []}, 0
    for kind, point in [("metrics", p) for p in metrics] + [("strings", p) for p in strings]:
        point_size = len(json.dumps(point)) + 1
        count = len(batch["metrics"]) + len(batch["strings"])
        if count and (count >= MAX_POINTS_PER_REQUEST or size + point_size > MAX_BYTES_PER_REQUEST):
            requests.append(batch)
            batch, size = {"metrics": [], "strings": []}, 0
        batch[kind].append(point)
        size += point_size
    if batch["metrics"] or batch["strings"]:
        requests.append(batch)
    return requests


class Run:
    """A tracking run on a Trainyard server; see the module docstring."""

    def __init__(
        self,
        run_id=None,
        url=None,
        token=None,
        name=None,
        project=None,
        flush_interval=1.0,
        max_pending_points=1_000_000,
        close_timeout=120.0,
    ):
        env = os.environ
        self.url = (url or env.get("TRAINYARD_URL") or "http://127.0.0.1:8765").rstrip("/")
        self._token = token or env.get("TRAINYARD_RUN_TOKEN") or self._token_file() or env.get("TRAINYARD_TOKEN")
        self.run_id = run_id or env.get("TRAINYARD_RUN_ID")
        if not self.run_id:
            created = self._request("POST", "/api/runs", {k: v for k, v in (("name", name), ("project", project)) if v})
            self.run_id = created["run_id"]
        self._lock = threading.Condition()
        self._metrics = []
        self._strings = []
        self._configs = {}
        self._closed = False
        self._error = None
        self._interval = flush_interval
        self._max_pending = max_pending_points
        self._close_timeout = close_timeout
        # Requests the server has not taken yet (it was busy or unreachable), oldest first.
        self._unsent = []
        self._dropped = 0
        self._thread = threading.Thread(target=self._loop, name="trainyard-tracking", daemon=True)
        self._thread.start()

    @staticmethod
    def _token_file():
        path = os.environ.get("TRAINYARD_RUN_TOKEN_FILE")
        if not path:
            return None
        with open(path, encoding="utf-8") as f:
            return f.read().strip()

    # -- logging -------------------------------------------------------------------------------

    def log(self, path, value, step):
        """One point: numbers go to a metric series, strings to a string series."""
        if isinstance(value, str):
            self.log_strings({path: value}, step)
        else:
            self.log_metrics({path: value}, step)

    def log_metrics(self, data, step):
        """``{path: number}`` at ``step`` (int or float); values are coerced to float."""
        points = [{"path": str(p), "step": step, "value": _json_number(v)} for p, v in data.items()]
        self._enqueue(self._metrics, points)

    def log_strings(self, data, step):
        """``{path: str}`` at ``step``."""
        points = [{"path": str(p), "step": step, "value": str(v)} for p, v in data.items()]
        self._enqueue(self._strings, points)

    def log_configs(self, data, flatten=True):
        """Config values; nested dicts (and argparse.Namespace) become ``a/b`` paths when flatten."""
        flat = _flatten(data) if flatten else dict(data)
        with self._lock:
            self._check()
            self._configs.update({str(k): _config_value(v) for k, v in flat.items()})
            self._lock.notify()

    def close(self, status="finished"):
        """Sends everything queued and the final status (finished or failed), waiting up to
        ``close_timeout`` s while the server is unreachable; raises a refusal (4xx) met meanwhile."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._status = status
            self._lock.notify()
        self._thread.join()
        if self._error:
            raise self._error

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close("failed" if exc_type else "finished")
        return False

    # -- sending -------------------------------------------------------------------------------

    def _enqueue(self, queue, points):
        with self._lock:
            self._check()
            queue.extend(points)
            if len(self._metrics) + len(self._strings) >= MAX_POINTS_PER_REQUEST:
                self._lock.notify()

    def _check(self):
        if self._closed:
            raise TrackingError("the run is closed")
        if self._error:
            raise self._error

    def _loop(self):
        deadline = None  # set at close: how long the last requests may wait for the server
        delay = 0.0  # while the server is unreachable: the wait before trying again
        while True:
            with self._lock:
                full = len(self._metrics) + len(self._strings) >= MAX_POINTS_PER_REQUEST
                if not self._closed and not full:
                    self._lock.wait(delay or self._interval)
                metrics, self._metrics = self._metrics, []
                strings, self._strings = self._strings, []
                configs, self._configs = self._configs, {}
                if self._closed and deadline is None:
                    deadline = time.monotonic() + self._close_timeout
            self._unsent.extend(_requests(metrics, strings, configs))
            if deadline is not None:
                self._unsent.append({"status": self._status})
            try:
                while self._unsent:
                    self._request("POST", f"/api/runs/{self.run_id}/log", self._unsent[0])
                    self._unsent.pop(0)
                if delay:
                    _warn("the server takes this run's points again")
                delay = 0.0
            except TrackingError as err:
                if getattr(err, "status", 500) < 500:  # a refusal: final
                    with self._lock:
                        self._error = err
                    return
                if not delay:
                    _warn(f"keeping this run's points until the server answers again ({err})")
                delay = min(RETRY_MAX_S, delay * 2 if delay else RETRY_FIRST_S)
                self._keep_within_limit()
                if deadline is not None:
                    if time.monotonic() >= deadline:
                        _warn(f"gave up after {self._close_timeout:g} s: {_points(self._unsent)} points and the status not sent ({err})")
                        return
                    self._unsent.pop()  # the status, appended again on the next try
                    time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                continue
            if deadline is not None:
                return

    def _keep_within_limit(self):
        """Drops the oldest unsent points past ``max_pending_points`` (configs are kept)."""
        while _points(self._unsent) > self._max_pending:
            oldest = next(i for i, r in enumerate(self._unsent) if r.get("metrics") or r.get("strings"))
            self._dropped += _points([self._unsent.pop(oldest)])
            _warn(f"{self._dropped} points dropped so far: the server has been unreachable too long")

    def _request(self, method, path, body):
        data = json.dumps(body, allow_nan=False).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")
            error = TrackingError(f"{method} {path}: HTTP {err.code}: {detail}")
            error.status = err.code
            raise error from None
        except (urllib.error.URLError, OSError) as err:
            error = TrackingError(f"{method} {path}: {err}")
            error.status = 503
            raise error from None
