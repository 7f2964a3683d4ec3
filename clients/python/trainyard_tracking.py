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
"""

import datetime
import json
import math
import os
import threading
import time
import urllib.error
import urllib.request

__all__ = ["Run", "TrackingError"]

MAX_POINTS_PER_REQUEST = 5000
MAX_BYTES_PER_REQUEST = 900 * 1024


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
            out.update(_flatten(value, path))
        else:
            out[path] = value
    return out


class Run:
    """A tracking run on a Trainyard server; see the module docstring."""

    def __init__(self, run_id=None, url=None, token=None, name=None, project=None, flush_interval=1.0):
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
        """Sends everything queued and the final status (finished or failed); waits for it."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._lock.notify()
        self._thread.join()
        self._send({"status": status})
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
        while True:
            with self._lock:
                if not self._closed and len(self._metrics) + len(self._strings) < MAX_POINTS_PER_REQUEST:
                    self._lock.wait(self._interval)
                metrics, self._metrics = self._metrics, []
                strings, self._strings = self._strings, []
                configs, self._configs = self._configs, {}
                closing = self._closed
            try:
                self._send_all(metrics, strings, configs)
            except TrackingError as err:
                with self._lock:
                    self._error = err
                return
            if closing:
                return

    def _send_all(self, metrics, strings, configs):
        if configs:
            self._send({"configs": configs})
        points = [("metrics", p) for p in metrics] + [("strings", p) for p in strings]
        batch, size = {"metrics": [], "strings": []}, 0
        for kind, point in points:
            point_size = len(json.dumps(point)) + 1
            if batch["metrics"] or batch["strings"]:
                if len(batch["metrics"]) + len(batch["strings"]) >= MAX_POINTS_PER_REQUEST or size + point_size > MAX_BYTES_PER_REQUEST:
                    self._send(batch)
                    batch, size = {"metrics": [], "strings": []}, 0
            batch[kind].append(point)
            size += point_size
        if batch["metrics"] or batch["strings"]:
            self._send(batch)

    def _send(self, body, attempts=5):
        for attempt in range(attempts):
            try:
                return self._request("POST", f"/api/runs/{self.run_id}/log", body)
            except TrackingError as err:
                # Refusals (4xx) are final; a busy or unreachable server is retried with backoff.
                if getattr(err, "status", 500) < 500 or attempt == attempts - 1:
                    raise
                time.sleep(0.5 * 2**attempt)

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
