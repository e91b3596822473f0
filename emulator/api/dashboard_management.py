"""Dashboard pages of the management API: schedules (next runs on the emulator clock, activate /
deactivate), waitpoint tokens (complete one), queues (pause / resume) and env vars (set, delete).
Server-rendered like ``dashboard.py``; thin handlers over the services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from .routing import Route

from ..core.clock import iso
from ..core.errors import ApiError
from ..service import Services
from ..service.schedules import ScheduleService
from ..core.wire_json import parse_json
from .dashboard import posted_form, templates


def routes(services: Services) -> list[Route]:
    engine = services.engine

    async def page(request: Request, name: str, **context: Any) -> Response:
        context.setdefault("message", request.query_params.get("message"))
        context = {"now": iso(engine.clock.now_ms()), "csrf_token": engine.csrf_token, **context}
        return templates.TemplateResponse(request, name, context)

    def back(path: str, message: str | None = None) -> Response:
        return RedirectResponse(path + ("?" + urlencode({"message": message}) if message else ""), 303)

    async def chosen_env(request: Request):
        environments = await engine.environments()
        wanted = request.query_params.get("env")
        env = next((e for e in environments if e.id == wanted), environments[-1] if environments else None)
        return environments, env

    async def schedules_page(request: Request) -> Response:
        now = engine.clock.now_ms()
        envs = {e.id: e for e in await engine.environments()}
        rows = []
        for schedule in await services.schedules.all():
            env = envs.get(schedule.env_id or "")
            upcoming = [iso(n) for n, _ in ScheduleService.next_runs(schedule, now, 5)] if schedule.active else []
            rows.append({"s": schedule, "env": env.slug if env else "", "upcoming": upcoming,
                         "last": iso(schedule.last_fired) if schedule.last_fired is not None else ""})
        return await page(request, "schedules.html", rows=rows)

    async def schedule_action(request: Request) -> Response:
        schedule_id, action = request.path_params["schedule_id"], request.path_params["action"]
        await posted_form(request, engine)
        if action not in ("activate", "deactivate"):
            return back("/schedules", f"Unknown action {action}")
        try:
            await services.schedules.set_active(None, schedule_id, action == "activate")
        except ApiError as exc:
            return back("/schedules", exc.message)
        return back("/schedules")

    async def waitpoints_page(request: Request) -> Response:
        envs = {e.id: e.slug for e in await engine.environments()}
        tokens = await services.waitpoints.all(newest=200)
        return await page(request, "waitpoints.html", tokens=tokens, envs=envs, iso=iso)

    async def complete_token(request: Request) -> Response:
        token_id = request.path_params["token_id"]
        raw = str((await posted_form(request, engine)).get("data", "")).strip()
        try:
            data = parse_json(raw.encode("utf-8", "surrogatepass")) if raw else None
            await services.waitpoints.complete(None, token_id, data, bool(raw))
        except ValueError as exc:
            return back("/waitpoints", f"Data is not JSON: {exc}")
        except ApiError as exc:
            return back("/waitpoints", exc.message)
        return back("/waitpoints")

    async def queues_page(request: Request) -> Response:
        environments, env = await chosen_env(request)
        found = await services.queues.all(env) if env else []
        return await page(request, "queues.html", queues=found, envs=environments, env=env)

    async def queue_action(request: Request) -> Response:
        form = await posted_form(request, engine)
        environments = {e.id: e for e in await engine.environments()}
        env = environments.get(str(form.get("env", "")))
        target = "/queues?" + urlencode({"env": env.id}) if env else "/queues"
        if env is None:
            return back("/queues", "No such environment")
        if request.path_params["action"] not in ("pause", "resume"):
            return back(target, "Unknown action")
        try:
            await services.queues.pause(env, str(form.get("id", "")), "id", request.path_params["action"] == "pause")
        except ApiError as exc:
            return RedirectResponse(target + "&" + urlencode({"message": exc.message}), 303)
        return RedirectResponse(target, 303)

    async def envvars_page(request: Request) -> Response:
        environments, env = await chosen_env(request)
        variables = await services.envvars.all(env) if env else []
        return await page(request, "envvars.html", variables=variables, envs=environments, env=env)

    async def envvar_action(request: Request) -> Response:
        form = await posted_form(request, engine)
        environments = {e.id: e for e in await engine.environments()}
        env = environments.get(str(form.get("env", "")))
        if env is None:
            return back("/envvars", "No such environment")
        target = "/envvars?" + urlencode({"env": env.id})
        name = str(form.get("name", ""))
        try:
            if request.path_params["action"] == "delete":
                await services.envvars.delete(env, name)
            else:
                await services.envvars.create(env, name, str(form.get("value", "")), form.get("secret") == "on")
        except ApiError as exc:
            return RedirectResponse(target + "&" + urlencode({"message": exc.message}), 303)
        return RedirectResponse(target, 303)

    return [
        Route("/schedules", schedules_page, methods=["GET"]),
        Route("/schedules/{schedule_id}/{action}", schedule_action, methods=["POST"]),
        Route("/waitpoints", waitpoints_page, methods=["GET"]),
        Route("/waitpoints/{token_id}/complete", complete_token, methods=["POST"]),
        Route("/queues", queues_page, methods=["GET"]),
        Route("/queues/{action:str}", queue_action, methods=["POST"]),
        Route("/envvars", envvars_page, methods=["GET"]),
        Route("/envvars/{action:str}", envvar_action, methods=["POST"]),
    ]
