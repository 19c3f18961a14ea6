"""The Unix port as a target: one process per run, models and data as files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import EarshotError
from ..infer import PlacedModel
from ..model_spec import ModelSource
from ..runner import Progress
from ..runner.unix import UnixRunner
from ..session import OnMessage, Session, device_argv, listen_code
from .base import Listening, Target, frozen_expressions


class UnixTarget(Target):
    """build/unix/micropython: reads the WAV itself (--wav), protocol lines on stdin."""

    runner: UnixRunner

    def put_model(self, source: ModelSource, progress: Progress | None = None) -> PlacedModel:
        if source.frozen and source.name in self.info().frozen:
            buffer, model = frozen_expressions(source.name)
            return PlacedModel(buffer, "frozen", ("--model", source.name), model)
        name = "model.esm"
        buffer = self.upload(name, source.blob, progress)
        path = str(self.runner.workdir / name)
        return PlacedModel(
            buffer, "file", ("--model-file", path), f"earshot.Model.from_file({path!r})"
        )

    def session(self, request: Listening) -> Session:
        firmware = str(self.runner.firmware)
        args = self.model_args(request.model)
        if request.wav is None:  # protocol lines on standard input, as a board's console
            code = listen_code(args, request.device_args)
            lines = request.lines or ()
            return self._session([firmware, "-c", code], None, b"".join(lines))
        # The firmware reads the WAV itself (and checks its rate).
        source = ["--wav", str(Path(request.wav).resolve())]
        source += ["--realtime"] if request.realtime else []
        argv = device_argv(args, request.device_args, source)
        return self._session([firmware, "-m", "earshot", *argv], request.on_message)

    def _session(
        self, args: list[str], on_message: OnMessage | None, stdin: bytes | None = None
    ) -> Session:
        session = Session()
        try:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.runner.workdir,
            )
        except OSError as err:
            raise EarshotError(f"{self.name}: cannot run {args[0]}: {err.strerror}") from err
        with proc:
            assert proc.stdout is not None and proc.stderr is not None
            if stdin is not None:
                # Small streams in tests; a long one would go through a writer thread.
                out, err = proc.communicate(stdin)
                for line in out.decode(errors="replace").splitlines():
                    session.take(line, on_message)
                session.error = err.decode(errors="replace")
                return session
            for raw in proc.stdout:
                session.take(raw.decode(errors="replace"), on_message)
            session.error = proc.stderr.read().decode(errors="replace")
        return session
