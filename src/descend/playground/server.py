"""The playground served on this computer, which reads the formulas typed into its page.

:class:`PlaygroundServer` listens on 127.0.0.1 only (a free port unless told otherwise) and
answers two requests:

``GET /``
    The page (:func:`descend.playground.page` with ``served=True``).
``GET /formula.js?text=...``
    A script for the page: ``descendPlayground.addFunction(...)`` with the formula's value and
    gradient as JavaScript, the very script a page written with ``--formula`` holds, or
    ``descendPlayground.formulaError(text, message)`` with the parser's message.

The page loads the answer as a script, so the function arrives as code the page runs like its
own, and nothing in the page ever evaluates text. The formula is read by
:func:`descend.formula.parse`, whose checks refuse anything but arithmetic and a few
functions; SymPy's algebra on a few crafted formulas can still run for very long, so each is
read in a worker process (:class:`FormulaWorker`) that is stopped past a time limit. The
worker is a fresh interpreter talking over pipes, so a script may create the server at its
top level (no ``if __name__ == "__main__":`` needed), and Ctrl-C in a terminal stops the
server, which then ends the worker, with nothing printed by the worker.

Requests naming another host than this one are refused, so that a web page elsewhere
cannot reach the server by pointing a name of its own at 127.0.0.1.

Examples
--------
>>> import threading, urllib.request
>>> from descend.playground.server import PlaygroundServer
>>> server = PlaygroundServer(port=0)
>>> thread = threading.Thread(target=server.serve_forever, daemon=True); thread.start()
>>> with urllib.request.urlopen(server.url) as answer:
...     answer.status, answer.headers["Content-Type"]
(200, 'text/html; charset=utf-8')
>>> server.shutdown(); server.server_close()
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["FormulaWorker", "PlaygroundServer"]

#: Seconds a formula may take to be read before its worker is stopped.
TIME_LIMIT = 10.0
#: The longest query accepted, in characters (a formula is at most 1000 characters long,
#: three times that once escaped for the address).
MAX_QUERY = 4000


#: The worker's program: the parent's import path (so that it finds descend, and the same
#: SymPy, wherever the parent found them), then :func:`_serve_formulas`.
_WORKER = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from descend.playground.server import _serve_formulas; _serve_formulas()"
)


def _serve_formulas() -> None:
    """The worker process: read formulas from stdin, one JSON string a line, and answer each
    on stdout with a JSON line ``["ok", script]`` or ``["error", message]``.

    It ignores Ctrl-C: a terminal sends SIGINT to the whole process group, and the parent,
    which stops on it, ends the worker by closing its stdin (or kills it). It ends quietly
    when its stdin closes or its stdout breaks, which is how it learns that the parent has
    gone, however the parent died.
    """
    import json
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answers = sys.stdout
    sys.stdout = sys.stderr  # whatever else prints cannot garble the answers

    from descend.formula import FormulaError
    from descend.playground.javascript import compile_formula, script

    try:
        for line in sys.stdin:
            text = json.loads(line)
            try:
                answer = ["ok", script(compile_formula(text))]
            except FormulaError as error:
                answer = ["error", str(error)]
            except Exception as error:  # whatever else goes wrong is still this formula's fault
                answer = ["error", f"formula {text!r} cannot be used ({type(error).__name__})"]
            answers.write(json.dumps(answer) + "\n")
            answers.flush()
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the parent has gone (or a Ctrl-C came before the signal was ignored)
    finally:
        # Python's own flush at exit would raise BrokenPipeError again: write nowhere instead.
        with contextlib.suppress(OSError):
            answers.close()


def _read_answers(stream, answers: queue.Queue) -> None:
    """Put each line of ``stream`` into ``answers``, and ``None`` at its end (the worker
    stopped), from a thread: a queue's get can wait with a time limit where reading a pipe
    cannot, on every system."""
    try:
        for line in stream:
            answers.put(line)
    except (OSError, ValueError):  # the pipe was closed under us, by _stop
        pass
    answers.put(None)


class FormulaWorker:
    """Reads formulas in a process of its own, each under a time limit.

    The process starts with the first formula (or :meth:`start`) and serves the formulas
    after it; one that runs past ``limit`` seconds is stopped with its process, and the next
    formula starts a new one. Formulas are read one at a time.

    The process is a fresh Python interpreter (:mod:`subprocess`, not :mod:`multiprocessing`):
    it imports nothing of the program that made the worker, so a script may create a
    :class:`PlaygroundServer` at its top level, with no ``if __name__ == "__main__":`` guard,
    and it starts the same whatever threads the program runs.

    Parameters
    ----------
    limit : float
        Seconds a formula may take.

    Examples
    --------
    >>> from descend.playground.server import FormulaWorker
    >>> worker = FormulaWorker()
    >>> worker.script("x*y")[:30]
    'descendPlayground.addFunction('
    >>> print(worker.script("x.real")[:73])
    descendPlayground.formulaError("x.real", "attribute access is not allowed
    >>> worker.close()
    """

    def __init__(self, limit: float = TIME_LIMIT):
        if not limit > 0:
            raise ValueError(f"Invalid time limit: {limit!r}; expected a positive number")
        self.limit = float(limit)
        self._lock = threading.Lock()
        self._process = None
        self._answers = None

    def start(self) -> None:
        """Start the process now, so that the first formula does not wait for it."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self._stop()  # reap a process that died, if any
        self._process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, json.dumps(sys.path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, encoding="utf-8",
        )  # fmt: skip
        self._answers = queue.Queue()
        reader = threading.Thread(
            target=_read_answers, args=(self._process.stdout, self._answers), daemon=True
        )
        reader.start()

    def script(self, text: str) -> str:
        """The page's script for the formula ``text``: it adds the function, or shows why
        the formula cannot be used."""
        from descend.playground.javascript import script_json

        with self._lock:
            try:
                self._start()
                self._process.stdin.write(json.dumps(text) + "\n")  # JSON: ASCII either way
                self._process.stdin.flush()
                line = self._answers.get(timeout=self.limit)
            except queue.Empty:
                self._stop()
                line = json.dumps(["error", (
                    f"reading formula {text!r} took longer than {self.limit:g} s and was "
                    "stopped; try a simpler one"
                )])  # fmt: skip
            except OSError:  # it died before it read the formula
                line = None
            if line is None:  # it died (out of memory, killed)
                self._stop()
                line = json.dumps(["error", f"reading formula {text!r} failed; try again"])
        outcome, answer = json.loads(line)
        if outcome == "ok":
            return answer
        return f"descendPlayground.formulaError({script_json(text)}, {script_json(answer)});"

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()  # reaped: no zombie is left behind
            for pipe in (self._process.stdin, self._process.stdout):
                with contextlib.suppress(OSError):
                    pipe.close()
        self._process = self._answers = None

    def close(self) -> None:
        """Stop the process: its stdin closes, so it ends on its own, or it is killed after
        two seconds."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                try:
                    self._process.stdin.close()
                    self._process.wait(timeout=2)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            self._stop()


class PlaygroundServer(ThreadingHTTPServer):
    """The playground on ``http://127.0.0.1:PORT/``.

    Parameters
    ----------
    port : int
        The port; 0 takes a free one (see :attr:`url`).
    function, formulas :
        As for :func:`descend.playground.page`.
    limit : float
        Seconds a typed formula may take to be read.

    Run it with ``serve_forever()``; ``shutdown()`` (from another thread) stops it and
    ``server_close()`` releases the port and the formula worker.
    """

    daemon_threads = True

    def __init__(self, port: int = 0, function: str = "rosenbrock", formulas=(), *,
                 limit: float = TIME_LIMIT):  # fmt: skip
        from descend.playground import page

        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"Invalid port: {port!r}; expected a whole number from 0 to 65535")
        self.page = page(function, formulas, served=True).encode("utf-8")
        self.worker = FormulaWorker(limit)
        super().__init__(("127.0.0.1", port), _Handler)
        self.worker.start()

    @property
    def url(self) -> str:
        """The page's address."""
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def server_close(self) -> None:
        super().server_close()
        self.worker.close()


class _Handler(BaseHTTPRequestHandler):
    server: PlaygroundServer
    server_version = "descend-playground"

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.headers.get("Host") not in (f"127.0.0.1:{port}", f"localhost:{port}"):
            self._answer(HTTPStatus.FORBIDDEN, "text/plain", b"this server answers 127.0.0.1 only")
            return
        parts = urlsplit(self.path)
        if parts.path in ("/", "/index.html"):
            self._answer(HTTPStatus.OK, "text/html", self.server.page)
        elif parts.path == "/formula.js" and self.headers.get("Sec-Fetch-Site") == "cross-site":
            # another site's page may load a script from here and make SymPy work for it;
            # browsers say where a request comes from, and only the playground's page asks
            self._answer(HTTPStatus.FORBIDDEN, "text/plain", b"formulas from this page only")
        elif parts.path == "/formula.js" and len(parts.query) <= MAX_QUERY:
            text = parse_qs(parts.query).get("text", [""])[0]
            script = self.server.worker.script(text)
            self._answer(HTTPStatus.OK, "text/javascript", script.encode("utf-8"))
        else:
            self._answer(HTTPStatus.NOT_FOUND, "text/plain", b"not found")

    def _answer(self, status, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        """Quiet: the terminal shows the address and Ctrl-C, not every request."""
