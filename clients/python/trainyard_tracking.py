"""Trainyard run tracking client (Python standard library only).

Inside a Trainyard job nothing needs configuring: the run id, the server URL and the run's ingest
token come from TRAINYARD_RUN_ID, TRAINYARD_URL and TRAINYARD_RUN_TOKEN_FILE (or TRAINYARD_RUN_TOKEN).
Elsewhere pass ``url`` and ``token`` (the server's bearer token, or TRAINYARD_TOKEN); without a run id
a new run is created (``name``, ``project``). In a job ``name`` and ``project`` are not used (the run
is the job's, named after it), which a line on stderr says.

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
(4xx: a closed run, another run's token) raises, from the next call and from ``close()``, which still
tries to set the run's status.

Steps, values and config values may be what training loops hold: numpy / torch scalars and 0-d
arrays (anything with ``__index__`` or ``__float__``, or ``.item()``); arrays in configs via
``.tolist()``. What cannot be sent (a list as a metric value, a NaN step) raises ``TypeError`` or
``ValueError`` naming the key at the call, never later in the background thread.
"""

import datetime
import json
import math
import numbers
import operator
import os
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request

__all__ = ["Run", "TrackingError"]

MAX_POINTS_PER_REQUEST = 5000
MAX_BYTES_PER_REQUEST = 900 * 1024
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 30.0


class TrackingError(RuntimeError):
    """The server refused a request (status and its message) or could not be reached."""


MAX_SAFE_INTEGER = 2**53 - 1  # the server's limit on steps and int configs (JSON numbers are doubles)


def _json_number(value):
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _scalar(value):
    """A numpy / torch scalar or 0-d array as its Python value (``.item()``); anything else as is."""
    if isinstance(value, (bool, int, float, str, bytes)) or value is None:
        return value
    shape = getattr(value, "shape", None)
    item = getattr(value, "item", None)
    if callable(item) and shape is not None and tuple(shape) == ():
        return item()
    return value


def _step(step):
    """A point's step as a JSON number the server takes: an int (``__index__``) or finite float."""
    step = _scalar(step)
    if isinstance(step, bool) or isinstance(step, (str, bytes)):
        raise TypeError(f"step must be a number, not {type(step).__name__} {step!r}")
    try:
        if hasattr(step, "__index__"):
            step = operator.index(step)
        elif isinstance(step, numbers.Real) or hasattr(step, "__float__"):
            step = float(step)
        else:
            raise TypeError("not a number")
    except (TypeError, ValueError, OverflowError) as err:
        raise TypeError(f"step must be a number, not {type(step).__name__} {step!r} ({err})") from None
    if isinstance(step, float):
        if not math.isfinite(step):
            raise ValueError(f"step must be finite, not {step!r}")
        if step.is_integer():
            step = int(step)
    if abs(step) > MAX_SAFE_INTEGER:
        raise ValueError(f"step {step!r} is past ±(2^53 - 1), where a step is no longer exact")
    return step


def _metric_value(path, value):
    """A metric value as a JSON number ("NaN"/"Infinity" for the non-finite); TypeError names the path."""
    value = _scalar(value)
    if isinstance(value, (str, bytes)) or not (isinstance(value, numbers.Real) or hasattr(value, "__float__")):
        raise TypeError(
            f"metric {path!r}: the value must be a number, not {type(value).__name__} {value!r}"
            + (" (log strings with log_strings or log)" if isinstance(value, str) else "")
        )
    try:
        return _json_number(value)
    except (TypeError, ValueError, OverflowError) as err:
        raise type(err)(f"metric {path!r}: {value!r} is not a number the server takes ({err})") from None


def _json_plain(path, value):
    """A config value as a plain Python value that JSON can carry, as the server reads it: scalars and
    arrays as Python values (``.item()`` / ``.tolist()``), tuples as lists, floats as floats."""
    value = _scalar(value)
    if not isinstance(value, (list, tuple, dict, str, bytes)) and hasattr(value, "tolist") and hasattr(value, "shape"):
        value = value.tolist()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) or (hasattr(value, "__index__") and not isinstance(value, float)):
        value = operator.index(value)
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(
                f"config {path!r}: {value} is past ±(2^53 - 1), where a JSON number is no longer exact "
                "(log str(value) to keep it as text)"
            )
        return value
    if isinstance(value, numbers.Real) or hasattr(value, "__float__"):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_json_plain(path, v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_plain(f"{path}/{k}", v) for k, v in value.items()}
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


def _config_value(path, value):
    """A config value as the server's ``{type_tag, value}`` form, tagged as ``POST /api/runs/{id}/log``
    tags a plain JSON value (bool, int, float, str, null; a list of strings → string_set, any other
    list → str of its JSON text, which the server writes); numpy / torch scalars as their Python
    numbers, arrays as lists. Raises TypeError / ValueError naming ``path`` for what cannot be sent."""
    value = _scalar(value)
    if isinstance(value, datetime.datetime):
        return {"type_tag": "datetime", "value": value.isoformat()}
    if isinstance(value, (set, frozenset)):
        return {"type_tag": "string_set", "value": sorted(str(v) for v in value)}
    plain = _json_plain(path, value)
    if isinstance(plain, (list, dict)):
        try:
            json.dumps(plain, allow_nan=False)
        except ValueError:  # NaN/Infinity inside: JSON cannot carry it, so its (Python) JSON text
            return {"type_tag": "str", "value": json.dumps(plain, separators=(",", ":"), ensure_ascii=False)}
        if isinstance(plain, dict):  # log_configs(flatten=False): kept whole, as its JSON text
            return {"type_tag": "str", "value": json.dumps(plain, separators=(",", ":"), ensure_ascii=False)}
        return plain  # the server tags it (string_set, or str of its JSON text) as from any client
    if isinstance(plain, bool):
        return {"type_tag": "bool", "value": plain}
    if isinstance(plain, int):
        return {"type_tag": "int", "value": plain}
    if isinstance(plain, float):
        return {"type_tag": "float", "value": _json_number(plain)}
    if plain is None:
        return {"type_tag": "null", "value": None}
    return {"type_tag": "str", "value": plain}


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
        if not run_id and self.run_id and (name or project):
            # Not silently: a job's run is made with the job, named and filed as the job is.
            given = " and ".join(f"{k}={v!r}" for k, v in (("name", name), ("project", project)) if v)
            _warn(
                f"{given} not used: inside a Trainyard job the run is the job's ({self.run_id}), "
                "named after the job (trainyard submit --name) and filed under its project config's project"
            )
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
        """``{path: number}`` at ``step`` (an int or a finite float; numpy / torch scalars too);
        values are coerced to float. TypeError / ValueError (naming the path) for what cannot be sent."""
        step = _step(step)
        points = [{"path": str(p), "step": step, "value": _metric_value(p, v)} for p, v in data.items()]
        self._enqueue(self._metrics, points)

    def log_strings(self, data, step):
        """``{path: str}`` at ``step``."""
        step = _step(step)
        points = [{"path": str(p), "step": step, "value": str(v)} for p, v in data.items()]
        self._enqueue(self._strings, points)

    def log_configs(self, data, flatten=True):
        """Config values; nested dicts (and argparse.Namespace) become ``a/b`` paths when flatten.
        Tagged as the server tags JSON values (see ``_config_value``)."""
        flat = _flatten(data) if flatten else dict(data)
        configs = {str(k): _config_value(str(k), v) for k, v in flat.items()}
        with self._lock:
            self._check()
            self._configs.update(configs)
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
            # The thread stopped early (a refusal, or an unexpected error): the run must still end.
            unsent = _points(self._unsent) + len(self._metrics) + len(self._strings)
            try:
                self._request("POST", f"/api/runs/{self.run_id}/log", {"status": status})
                ended = f"the run's status was set to {status}"
            except TrackingError as err:
                ended = f"its status ({status}) could not be set either: {err}"
            error = TrackingError(f"{self._error}; {unsent} points not sent; {ended}")
            error.status = getattr(self._error, "status", None)
            raise error from self._error

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
        """The sending thread: an unexpected error stops it, never silently — it is raised from the
        next call and from ``close()``, which still sets the run's status."""
        try:
            self._send_loop()
        except BaseException as exc:  # noqa: BLE001 - whatever it was, the caller must hear of it
            _warn("the sending thread stopped:\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip())
            error = TrackingError(f"the sending thread stopped: {type(exc).__name__}: {exc}")
            error.__cause__ = exc
            with self._lock:
                self._error = self._error or error

    def _send_loop(self):
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
