"""A local dashboard at ``/``: runs, a run page with outcome buttons, batches, the clock and a
"trigger a test run" form. Server-rendered (Jinja2, autoescaped), a little vanilla JS for
polling; no build step and nothing fetched from the network. Thin handlers over the engine."""

from __future__ import annotations

import hmac
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from .routing import Route
from starlette.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from ..core import ids, schemas, transitions
from ..core.wire_json import escape_surrogates, parse_json
from ..core.clock import iso
from ..core.durations import parse_duration_ms
from ..core.errors import ApiError
from ..core.records import PUBLIC_STATUS
from ..service import Services
from .snapshots import Batch as BatchView
from .snapshots import Run as RunView

def _printable(value: Any) -> Any:
    """Every ``{{ }}`` value: a lone surrogate (stored losslessly in a JSON packet) is shown
    as its ``\\udXXX`` escape, so any stored run renders."""
    return escape_surrogates(value) if isinstance(value, str) else value


templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")), autoescape=True, finalize=_printable)
)
STATUSES = sorted(set(PUBLIC_STATUS.values()))
_NEXT = {"DELAYED": "QUEUED", "PENDING": "EXPIRED"}


def _pretty(value: Any) -> str:
    return "" if value is None else json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


class CsrfRefused(ApiError):
    def __init__(self) -> None:
        super().__init__(403, body=b"CSRF token missing or invalid", media_type="text/plain")


async def posted_form(request: Request, engine: Any) -> Any:
    """The form of a dashboard POST, which must carry the page's CSRF token (a page on
    another site cannot read it); CsrfRefused otherwise."""
    form = await request.form()
    token = form.get("csrf_token")
    if not isinstance(token, str) or not hmac.compare_digest(token.encode(), engine.csrf_token.encode()):
        raise CsrfRefused()
    return form


def _same_site_path(referer: str | None, host: str | None) -> str:
    """Where to go back to after a form: the referring page when it is one of ours."""
    if not referer or not host:
        return "/"
    parts = urlsplit(referer)
    if parts.netloc.lower() != host.lower() or not parts.path.startswith("/"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def routes(services: Services) -> list[Route]:
    engine = services.engine
    batches = services.batches
    envs = engine.environments

    async def due_preview() -> list[dict[str, Any]]:
        upcoming = await engine.unit(lambda tx, now: tx.next_due(10), read=True)
        return [{"at": iso(r.due_at), "id": r.id, "task": r.task, "next": _NEXT.get(r.status, "")} for r in upcoming[:10]]

    async def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("message", request.query_params.get("message"))
        context = {"now": iso(engine.clock.now_ms()), "csrf_token": engine.csrf_token, **context}
        return templates.TemplateResponse(request, name, context, status_code=status)

    async def runs_page(request: Request) -> Response:
        environments = await envs()
        chosen = request.query_params.get("env")
        env = next((e for e in environments if e.id == chosen), environments[-1] if environments else None)
        filters = {k: request.query_params.get(k, "") for k in ("task", "status", "tag")}
        statuses = [s for s, public in PUBLIC_STATUS.items() if public == filters["status"]] or None
        records = await services.runs.all(
            [env.id], task=filters["task"] or None, tag=filters["tag"] or None,
            statuses=statuses if filters["status"] else None, newest=200,
        ) if env else []
        views = [RunView.from_record(r) for r in records]
        if request.query_params.get("partial") == "rows":
            return templates.TemplateResponse(request, "rows.html", {"runs": views})
        return await page(request, "runs.html", runs=views, envs=environments, env=env, filters=filters,
                          statuses=STATUSES, due=await due_preview())

    async def run_page(request: Request) -> Response:
        record = await services.runs.find(request.path_params["run_id"])
        if record is None:
            return await page(request, "batches.html", 404, batches=[], message="No such run.")
        view = RunView.from_record(record)
        chain = [{"status": x.status, "description": x.description, "attempt_number": x.attempt_number, "at": iso(x.created_at)}
                 for x in await services.worker_engine.history(record.id)]
        logs = [(iso(at), level, message) for at, level, message in await services.run_logs.of(record.id)]
        return await page(request, "run.html", run=view, payload=_pretty(view.payload), output=_pretty(view.output),
                          error=_pretty(view.error), options=_pretty(view.options), metadata=_pretty(view.metadata),
                          due=await due_preview(), snapshots=chain, logs=logs)

    async def run_action(request: Request) -> Response:
        run_id, action = request.path_params["run_id"], request.path_params["action"]
        form = await posted_form(request, engine)
        record = await services.runs.find(run_id)
        if record is None:
            return RedirectResponse("/?" + urlencode({"message": f"No run {run_id}"}), 303)
        env = await engine.environment_by_id(record.env_id)
        target = f"/runs/{run_id}"
        try:
            if action == "complete":
                raw = str(form.get("output", "")).strip()
                await services.runs.complete(run_id, parse_json(raw.encode()) if raw else None, env=env)
            elif action == "fail":
                message = str(form.get("message", "Failed"))
                await services.runs.fail(run_id, transitions.built_in_error(message), env=env)
            elif action == "cancel":
                await services.runs.cancel(env, run_id)
            elif action == "reschedule":
                await services.runs.reschedule(env, run_id, str(form.get("delay", "")))
            elif action == "replay":
                target = f"/runs/{(await services.runs.replay(env, run_id)).id}"
            else:
                raise ApiError(404, f"Unknown action {action}")
        except ApiError as exc:
            return RedirectResponse(f"/runs/{run_id}?" + urlencode({"message": exc.message}), 303)
        except ValueError as exc:
            return RedirectResponse(f"/runs/{run_id}?" + urlencode({"message": f"Output is not JSON: {exc}"}), 303)
        return RedirectResponse(target, 303)

    async def clock(request: Request) -> Response:
        form = await posted_form(request, engine)
        amount = str(form.get("advance", ""))
        delta = parse_duration_ms(amount)
        back = _same_site_path(request.headers.get("referer"), request.headers.get("host"))
        if delta is None:
            return RedirectResponse("/?" + urlencode({"message": f"Not a duration: {amount}"}), 303)
        try:
            await engine.advance_ms(delta)
        except ValueError as exc:
            return RedirectResponse("/?" + urlencode({"message": str(exc)}), 303)
        return RedirectResponse(back, 303)

    async def batches_page(request: Request) -> Response:
        views = [BatchView.from_view(v) for v in await batches.all(newest=200)]
        return await page(request, "batches.html", batches=views)

    async def batch_page(request: Request) -> Response:
        found = await batches.find(request.path_params["batch_id"])
        if found is None:
            return await page(request, "batches.html", 404, batches=[], message="No such batch.")
        view = BatchView.from_view(found)
        return await page(request, "batch.html", batch=view, errors=_pretty(view.errors))

    async def test_page(request: Request) -> Response:
        if request.method == "GET":
            return await page(request, "test.html", envs=await envs())
        form = await posted_form(request, engine)
        environments = await envs()
        env = next((e for e in environments if e.id == form.get("env")), None)
        if env is None:
            env = await engine.environment_for_key(ids.random_key("tr_dev_"))
        try:
            body = {"payload": parse_json(str(form.get("payload") or "null").encode()),
                    "options": parse_json(str(form.get("options") or "{}").encode())}
            run, _ = await services.runs.trigger(env, str(form.get("task", "")).strip() or "test-task", schemas.validate(schemas.TriggerBody, body))
        except (ValueError, ApiError) as exc:
            message = exc.message if isinstance(exc, ApiError) else str(exc)
            return await page(request, "test.html", 400, envs=environments, message=message)
        return RedirectResponse(f"/runs/{run.id}", 303)

    return [
        Route("/", runs_page, methods=["GET"]),
        Route("/runs/{run_id}", run_page, methods=["GET"]),
        Route("/runs/{run_id}/{action}", run_action, methods=["POST"]),
        Route("/clock", clock, methods=["POST"]),
        Route("/batches", batches_page, methods=["GET"]),
        Route("/batches/{batch_id}", batch_page, methods=["GET"]),
        Route("/test", test_page, methods=["GET", "POST"]),
    ]
