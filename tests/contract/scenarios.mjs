// Drives the official @trigger.dev/sdk against a running emulator and prints one JSON result.
// Usage: TRIGGER_API_URL=... TRIGGER_SECRET_KEY=... node scenarios.mjs <scenario>
// SDK_PACKAGE picks the SDK under test: "@trigger.dev/sdk" (4.8.3) or the "sdk-4.3.0" alias,
// the last release that batches through POST /api/v2/tasks/batch.
const sdkPackage = process.env.SDK_PACKAGE || "@trigger.dev/sdk";
const sdk = await import(sdkPackage);
const { batch, configure, envvars, idempotencyKeys, queues, runs, schedules, tasks, wait } = sdk;

const baseURL = process.env.TRIGGER_API_URL;
const accessToken = process.env.TRIGGER_SECRET_KEY;
configure({ baseURL, accessToken });

async function caught(fn) {
  try {
    await fn();
    return null;
  } catch (e) {
    return { name: e.constructor.name, status: e.status, message: e.message };
  }
}

async function control(path, body) {
  const res = await fetch(`${baseURL}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

const scenarios = {
  async trigger_all_options() {
    const handle = await tasks.trigger(
      "email-sender",
      { to: "a@example.com", when: new Date("2025-01-01T00:00:00Z"), n: 1 },
      {
        queue: "emails",
        concurrencyKey: "user-1",
        delay: "5m",
        ttl: 3600,
        idempotencyKey: "order-42",
        idempotencyKeyTTL: "1h",
        tags: ["user:1", "a"],
        maxAttempts: 3,
        maxDuration: 600,
        metadata: { source: "contract" },
        machine: "small-2x",
        priority: 10,
      },
    );
    const again = await tasks.trigger("email-sender", { other: true }, { idempotencyKey: "order-42" });
    const run = await runs.retrieve(handle.id);
    const plain = await tasks.trigger("plain-task", "just text");
    const plainRun = await runs.retrieve(plain.id);
    return { handle, againId: again.id, run, plainRun };
  },

  async delay_and_clock() {
    const handle = await tasks.trigger("later", { x: 1 }, { delay: "1h" });
    const before = await runs.retrieve(handle.id);
    await control("/__emulator/clock", { advance: "1h" });
    const after = await runs.retrieve(handle.id);
    return { before, after };
  },

  async reschedule_cancel_replay() {
    const delayed = await tasks.trigger("later", { x: 1 }, { delay: "1h" });
    const rescheduled = await runs.reschedule(delayed.id, { delay: "3h" });
    const c1 = await runs.cancel(delayed.id);
    const c2 = await runs.cancel(delayed.id);
    const canceled = await runs.retrieve(delayed.id);
    const replayed = await runs.replay(delayed.id);
    const replayRun = await runs.retrieve(replayed.id);
    return { rescheduled, c1, c2, canceled, replayed, replayRun };
  },

  async outcomes() {
    const ok = await tasks.trigger("work", { x: 1 });
    await control(`/__emulator/runs/${ok.id}/start`);
    await control(`/__emulator/runs/${ok.id}/complete`, { output: { done: true } });
    const completed = await runs.poll(ok.id, { pollIntervalMs: 10 });
    const bad = await tasks.trigger("work", { x: 2 });
    await control(`/__emulator/runs/${bad.id}/fail`, { error: { message: "boom" } });
    const failed = await runs.retrieve(bad.id);
    return { completed, failed };
  },

  async batch_small() {
    const handle = await tasks.batchTrigger("resize", [
      { payload: { n: 0 } },
      { payload: { n: 1 }, options: { tags: ["second"] } },
      { payload: "two" },
    ]);
    const retrieved = await batch.retrieve(handle.batchId);
    const items = [];
    for (const id of retrieved.runs) items.push(await runs.retrieve(id));
    return { handle, retrieved, items };
  },

  async batch_1000() {
    const items = Array.from({ length: 1000 }, (_, n) => ({ payload: { n } }));
    const handle = await tasks.batchTrigger("bulk", items);
    const retrieved = await batch.retrieve(handle.batchId);
    const first = await runs.retrieve(retrieved.runs[0]);
    const last = await runs.retrieve(retrieved.runs[999]);
    return { handle, runCount: retrieved.runCount, runs: retrieved.runs.length, distinct: new Set(retrieved.runs).size, first, last };
  },

  async batch_two_tasks() {
    const handle = await batch.trigger([
      { id: "task-a", payload: { a: 1 } },
      { id: "task-b", payload: { b: 2 } },
    ]);
    const retrieved = await batch.retrieve(handle.batchId);
    const items = [];
    for (const id of retrieved.runs) items.push(await runs.retrieve(id));
    return { handle, retrieved, items };
  },

  async batch_idempotent() {
    const first = await tasks.batchTrigger("idem", [{ payload: 1 }, { payload: 2 }], { idempotencyKey: "nightly" });
    const second = await tasks.batchTrigger("idem", [{ payload: 1 }, { payload: 2 }], { idempotencyKey: "nightly" });
    const retrieved = await batch.retrieve(first.batchId);
    return { first, second, retrieved };
  },

  async list_filters() {
    const tag = `list-${Date.now()}`;
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await tasks.trigger("listed", { i }, { tags: [tag] })).id);
    await tasks.trigger("listed", { other: true });
    await tasks.trigger("not-listed", { i: 9 }, { tags: [tag] });
    const page = await runs.list({ taskIdentifier: "listed", tag, status: ["QUEUED"] });
    return { made, listed: page.data.map((r) => r.id), sample: page.data[0] };
  },

  async list_paging() {
    const tag = `paging-${Date.now()}`;
    for (let i = 0; i < 35; i++) await tasks.trigger("paged", { i }, { tags: [tag] });
    const seen = [];
    for await (const run of runs.list({ limit: 10, tag })) seen.push(run.id);
    return { seen: seen.length, distinct: new Set(seen).size };
  },

  async large_payload() {
    const blob = "x".repeat(300 * 1024);
    const handle = await tasks.trigger("big", { blob, at: new Date("2025-01-01T00:00:00Z") });
    const run = await runs.retrieve(handle.id);
    return { length: run.payload?.blob?.length, at: run.payload?.at instanceof Date ? run.payload.at.toISOString() : run.payload?.at, url: Boolean(run.payloadPresignedUrl) };
  },

  async idempotency_reset() {
    const first = await tasks.trigger("once", { n: 1 }, { idempotencyKey: "reset-me" });
    const cached = await tasks.trigger("once", { n: 2 }, { idempotencyKey: "reset-me" });
    await idempotencyKeys.reset("once", "reset-me", { scope: "global" });
    const fresh = await tasks.trigger("once", { n: 3 }, { idempotencyKey: "reset-me" });
    return { first: first.id, cached: cached.id, fresh: fresh.id };
  },

  async retry_500_twice() {
    await control("/__emulator/faults", { api: "trigger", task: "retry-500", status: 500, times: 2 });
    const started = Date.now();
    const handle = await tasks.trigger("retry-500", { n: 1 });
    const elapsed = Date.now() - started;
    const page = await runs.list({ taskIdentifier: "retry-500" });
    return { id: handle.id, elapsed, listed: page.data.map((r) => r.id) };
  },

  async retry_429_reset() {
    await control("/__emulator/faults", { api: "trigger", task: "retry-429", status: 429, reset_in_ms: 1000, times: 1 });
    const started = Date.now();
    const handle = await tasks.trigger("retry-429", { n: 1 });
    const elapsed = Date.now() - started;
    const page = await runs.list({ taskIdentifier: "retry-429" });
    return { id: handle.id, elapsed, listed: page.data.map((r) => r.id) };
  },

  // Issue #19: a failed run keeps its idempotency key until a reset or the next trigger.
  async fidelity_key_after_failure() {
    const first = await tasks.trigger("key-after-failure", { n: 1 }, { idempotencyKey: "fail-me" });
    await control(`/__emulator/runs/${first.id}/fail`, { error: { message: "boom" } });
    const failed = await runs.retrieve(first.id);
    const page = await runs.list({ taskIdentifier: "key-after-failure" });
    const listed = page.data.find((r) => r.id === first.id);
    await idempotencyKeys.reset("key-after-failure", "fail-me", { scope: "global" });
    let resetAgain;
    try {
      await idempotencyKeys.reset("key-after-failure", "fail-me", { scope: "global" });
    } catch (e) {
      resetAgain = { name: e.constructor.name, status: e.status, message: e.message };
    }
    const second = await tasks.trigger("key-after-failure", { n: 2 }, { idempotencyKey: "fail-me" });
    const cached = await tasks.trigger("key-after-failure", { n: 3 }, { idempotencyKey: "fail-me" });
    return { first: first.id, failedKey: failed.idempotencyKey, listedKey: listed?.idempotencyKey, resetAgain,
             second: second.id, cached: cached.id };
  },

  // Issue #19: an item that cannot trigger is a created (pre-failed) run, not a batch error.
  async fidelity_batch_pre_failed() {
    const handle = await tasks.batchTrigger("pre-failed", [
      { payload: { n: 0 } },
      { payload: { n: 1 }, options: { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) } },
    ]);
    const retrieved = await batch.retrieve(handle.batchId);
    const items = [];
    for (const id of retrieved.runs) items.push(await runs.retrieve(id));
    return { handle, retrieved, items };
  },

  // Issue #19: delay strings are read by V8's new Date() first, durations second.
  async fidelity_dates() {
    const made = {};
    for (const [name, delay] of Object.entries({ rfc: "Tue, 01 Jan 2099 10:00:00 GMT", legacy: "Jan 1 2099 10:00 GMT+0100",
                                                  year: "49", junk: "20990101", duration: "1h" })) {
      made[name] = (await tasks.trigger("dated", { name }, { delay })).id;
    }
    const out = {};
    for (const [name, id] of Object.entries(made)) out[name] = await runs.retrieve(id);
    out.rescheduled = await runs.reschedule(made.duration, { delay: "25 Dec 2099 12:00" });
    for (const id of Object.values(made)) await runs.cancel(id);
    return out;
  },

  // Issue #19: debounce "0s" is valid (the run queues at once); the 422s come in the server's order.
  async fidelity_debounce() {
    const first = await tasks.trigger("debounced", { n: 1 }, { debounce: { key: "zero", delay: "0s" } });
    const second = await tasks.trigger("debounced", { n: 2 }, { debounce: { key: "zero", delay: "0s" } });
    const errors = [];
    for (const options of [{ debounce: { key: "k", delay: "abc" } }, { delay: "10s", debounce: { key: "k", delay: "abc" } }]) {
      try {
        await tasks.trigger("debounced", {}, options);
      } catch (e) {
        errors.push({ status: e.status, message: e.message });
      }
    }
    return { first: await runs.retrieve(first.id), second: second.id, errors };
  },

  // Issue #19: lockToVersion (the SDK's `version`) must name a deployed version.
  async fidelity_versions() {
    await control("/__emulator/versions", { versions: ["20250101.1"], replace: true });
    try {
      const ok = await tasks.trigger("versioned", { n: 1 }, { version: "20250101.1" });
      let rejected;
      try {
        await tasks.trigger("versioned", { n: 2 }, { version: "20240101.1" });
      } catch (e) {
        rejected = { name: e.constructor.name, status: e.status, message: e.message };
      }
      return { run: await runs.retrieve(ok.id), rejected };
    } finally {
      await control("/__emulator/versions", { versions: [], replace: true });
    }
  },

  // -- the management API (schedules, env vars, waitpoint tokens, queues) --------------------
  async schedules_crud() {
    const suffix = Date.now();
    await control("/__emulator/tasks", { id: "sdk-scheduled", scheduled: true });
    await control("/__emulator/tasks", { id: "sdk-plain" });
    const created = await schedules.create({
      task: "sdk-scheduled", cron: "0 * * * *", deduplicationKey: `dedup-${suffix}`,
      externalId: "user-1", timezone: "Europe/London", window: "30m",
    });
    const byId = await schedules.retrieve(created.id);
    const byKey = await schedules.retrieve(`dedup-${suffix}`);
    const again = await schedules.create({ task: "sdk-scheduled", cron: "0 0 * * *", deduplicationKey: `dedup-${suffix}` });
    const updated = await schedules.update(created.id, { task: "sdk-scheduled", cron: "30 6 * * 1-5", externalId: "user-2" });
    const deactivated = await schedules.deactivate(created.id);
    const activated = await schedules.activate(created.id);
    for (let i = 0; i < 3; i++) {
      await schedules.create({ task: "sdk-scheduled", cron: `${i} 1 * * *`, deduplicationKey: `page-${suffix}-${i}` });
    }
    const firstPage = await schedules.list({ perPage: 2 });
    const seen = [];
    for await (const s of schedules.list({ perPage: 2 })) seen.push(s.id);
    const timezones = await schedules.timezones();
    const noUtc = await schedules.timezones({ excludeUtc: true });
    const errors = {
      badCron: await caught(() => schedules.create({ task: "sdk-scheduled", cron: "61 * * * *", deduplicationKey: "x" })),
      badTimezone: await caught(() => schedules.create({ task: "sdk-scheduled", cron: "0 * * * *", deduplicationKey: "x", timezone: "Asia/Kolkata" })),
      notScheduled: await caught(() => schedules.create({ task: "sdk-plain", cron: "0 * * * *", deduplicationKey: "x" })),
      unknownTask: await caught(() => schedules.create({ task: "sdk-nope", cron: "0 * * * *", deduplicationKey: "x" })),
    };
    const deleted = await schedules.del(created.id);
    errors.missing = await caught(() => schedules.retrieve(created.id));
    return { created, byId, byKey, again, updated, deactivated, activated, firstPage, seen, deleted, errors,
             timezones: timezones.timezones, noUtc: noUtc.timezones };
  },

  async schedule_fires() {
    await control("/__emulator/tasks", { id: "sdk-hourly", scheduled: true });
    const schedule = await schedules.create({ task: "sdk-hourly", cron: "0 * * * *", deduplicationKey: `fires-${Date.now()}`, externalId: "ext-9" });
    await control("/__emulator/clock", { advance: "3h" });
    const page = await runs.list({ schedule: schedule.id });
    const listed = page.data.map((r) => r.id).reverse();
    const fired = [];
    for (const id of listed) fired.push(await runs.retrieve(id));
    return { schedule, fired };
  },

  async envvars_crud() {
    const ref = "proj_emulator";
    const out = {};
    out.upload = await envvars.upload(ref, "dev", { variables: { SDK_A: "1", SDK_B: "2" }, override: true });
    out.create = await envvars.create(ref, "dev", { name: "SDK_SECRET", value: "hidden", isSecret: true });
    out.list = await envvars.list(ref, "dev");
    out.retrieve = await envvars.retrieve(ref, "dev", "SDK_A");
    out.secret = await envvars.retrieve(ref, "dev", "SDK_SECRET");
    out.clash = await caught(() => envvars.upload(ref, "dev", { variables: { SDK_A: "9" } }));
    out.updateBug = await caught(() => envvars.update(ref, "dev", "SDK_A", { value: "3" }));
    out.del = await envvars.del(ref, "dev", "SDK_B");
    out.missing = await caught(() => envvars.retrieve(ref, "dev", "SDK_B"));
    out.after = await envvars.list(ref, "dev");
    return out;
  },

  async waitpoint_tokens() {
    const tag = `sdk-${Date.now()}`;
    const token = await wait.createToken({ timeout: "1h", idempotencyKey: `ik-${tag}`, idempotencyKeyTTL: "1d", tags: [tag, "b"] });
    const cached = await wait.createToken({ idempotencyKey: `ik-${tag}` });
    const short = await wait.createToken({ timeout: "10m", tags: [tag] });
    const before = await wait.retrieveToken(token.id);
    const completed = await wait.completeToken(token.id, { approved: true, at: new Date("2025-01-01T00:00:00Z") });
    const after = await wait.retrieveToken(token.id);
    await control("/__emulator/clock", { advance: "11m" });
    const timedOut = await wait.retrieveToken(short.id);
    const listed = [];
    for await (const t of wait.listTokens({ tags: [tag] })) listed.push({ id: t.id, status: t.status, tags: t.tags });
    const waiting = await wait.listTokens({ status: ["WAITING"], tags: [tag] });
    return { tag, token, cached, before, completed, after,
             timedOut: { status: timedOut.status, error: timedOut.error && { name: timedOut.error.constructor.name, message: timedOut.error.message } },
             listed, waiting: waiting.data.length };
  },

  async queue_ops() {
    const task = `sdk-queue-${Date.now()}`;
    await tasks.trigger(task, { n: 1 });
    await tasks.trigger(task, { n: 2 }, { queue: "sdk-custom-queue" });
    await control("/__emulator/tasks", { id: task, concurrencyLimit: 5 });
    const list = await queues.list({ perPage: 100 });
    const own = await queues.retrieve({ type: "task", name: task });
    const custom = await queues.retrieve({ type: "custom", name: "sdk-custom-queue" });
    const byId = await queues.retrieve(own.id);
    const paused = await queues.pause({ type: "task", name: task });
    const resumed = await queues.resume(own.id);
    const overridden = await queues.overrideConcurrencyLimit(own.id, 2);
    const reset = await queues.resetConcurrencyLimit(own.id);
    const missing = await caught(() => queues.retrieve({ type: "task", name: "no-such-task" }));
    return { names: list.data.map((q) => q.name), own, custom, byId, paused, resumed, overridden, reset, missing };
  },

  async errors() {
    const out = {};
    try {
      await tasks.trigger("t", {}, { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) });
    } catch (e) {
      out.tooManyTags = { name: e.constructor.name, status: e.status, message: e.message };
    }
    try {
      await runs.retrieve("run_cdoesnotexist000000000000", { retry: { maxAttempts: 1 } });
    } catch (e) {
      out.missing = { name: e.constructor.name, status: e.status, message: e.message };
    }
    try {
      await tasks.trigger("t", {}, { machine: "huge" });
    } catch (e) {
      out.badMachine = { name: e.constructor.name, status: e.status, message: e.message };
    }
    return out;
  },
};

// SDKs before 4.8 never end a finished run's subscription loop by themselves (realtime.md §6).
const { realtimeScenarios } = await import("./realtime.mjs");
Object.assign(scenarios, realtimeScenarios({ sdk, control, baseURL, old: sdkPackage !== "@trigger.dev/sdk" }));

const name = process.argv[2];
const scenario = scenarios[name];
if (!scenario) {
  console.error(`unknown scenario ${name}; one of: ${Object.keys(scenarios).join(", ")}`);
  process.exit(2);
}
try {
  const result = await scenario();
  process.stdout.write(JSON.stringify({ ok: true, result }));
} catch (error) {
  process.stdout.write(
    JSON.stringify({ ok: false, error: { name: error?.constructor?.name, message: String(error?.message ?? error), stack: String(error?.stack ?? "") } }),
  );
}
// A subscription left after `break` keeps polling in SDKs before 4.8 (forever for tag and
// batch feeds), which would keep Node alive: realtime scenarios exit once they have answered.
if (name.startsWith("realtime_")) process.exit(0);
