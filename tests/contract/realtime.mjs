// Realtime scenarios: subscriptions (run, tag, batch) driven step by step — each state change is
// made only after the SDK yielded the previous one, so every status arrives in its own poll — and
// realtime streams written with the SDK's own v1 writer and read with its SSE reader.

function summary(run) {
  return {
    id: run.id,
    status: run.status,
    finished: Boolean(run.finishedAt),
    isCompleted: run.isCompleted,
    isSuccess: run.isSuccess,
    tags: run.tags,
    output: run.output ?? null,
    error: run.error ?? null,
    payload: run.payload ?? null,
    realtimeStreams: run.realtimeStreams,
    createdAtIsDate: run.createdAt instanceof Date && !Number.isNaN(run.createdAt.getTime()),
  };
}

// Walk `subscription`, calling `onRun(run, seen)` after each yield; it returns "stop" to break.
async function drive(subscription, onRun) {
  const seen = [];
  for await (const run of subscription) {
    seen.push(summary(run));
    if (process.env.RT_DEBUG) console.error("yield", run.id, run.status);
    if ((await onRun(run, seen)) === "stop") return { seen, ended: "break" };
  }
  return { seen, ended: "itself" };
}

export function realtimeScenarios({ sdk, control, baseURL, old }) {
  const { runs, tasks, batch, auth, configure } = sdk;
  const unique = `rt${Date.now()}${Math.floor(Math.random() * 1e6)}`;

  return {
    // DELAYED -> (clock) QUEUED -> EXECUTING -> COMPLETED; 4.8.x ends by itself on completion.
    async realtime_run() {
      const handle = await tasks.trigger("realtime-task", { a: 1 }, { delay: "1m", tags: [unique] });
      const done = await drive(runs.subscribeToRun(handle.id), async (run) => {
        if (run.status === "DELAYED") await control("/__emulator/clock", { advance: "1m" });
        else if (run.status === "QUEUED") await control(`/__emulator/runs/${handle.id}/start`);
        else if (run.status === "EXECUTING") await control(`/__emulator/runs/${handle.id}/complete`, { output: { ok: true } });
        // SDK 4.0-4.7 never end the loop themselves (contract realtime.md §6): stop on finishedAt.
        if (old && run.finishedAt) return "stop";
      });
      return { id: handle.id, ...done };
    },

    // The same run subscribed with a public access token from the trigger response.
    async realtime_run_public_token() {
      const handle = await tasks.trigger("realtime-task", { b: 2 });
      configure({ baseURL, accessToken: handle.publicAccessToken });
      try {
        const done = await drive(runs.subscribeToRun(handle.id), async (run) => {
          if (run.status === "QUEUED") await control(`/__emulator/runs/${handle.id}/fail`, { error: { message: "nope" } });
          if (old && run.finishedAt) return "stop";
        });
        return { id: handle.id, ...done };
      } finally {
        configure({ baseURL, accessToken: process.env.TRIGGER_SECRET_KEY });
      }
    },

    // Two tagged runs in the snapshot, a third triggered while subscribed (an insert), then
    // outcomes for each; a token from auth.createPublicToken with read:tags:<tag>.
    async realtime_tag() {
      const tag = `${unique}-tag`;
      const a = await tasks.trigger("realtime-task", { n: "a" }, { tags: [tag, "other"] });
      const b = await tasks.trigger("realtime-task", { n: "b" }, { tags: [tag], delay: "1m" });
      const token = await auth.createPublicToken({ scopes: { read: { tags: [tag] } } });
      configure({ baseURL, accessToken: token });
      let c;
      try {
        const done = await drive(runs.subscribeToRunsWithTag(tag), async (run, seen) => {
          const key = `${run.id === a.id ? "a" : run.id === b.id ? "b" : "c"}:${run.status}`;
          if (key === "b:DELAYED" && seen.length === 2) await control("/__emulator/clock", { advance: "1m" });
          else if (key === "b:QUEUED") await control(`/__emulator/runs/${a.id}/start`);
          else if (key === "a:EXECUTING") await control(`/__emulator/runs/${a.id}/complete`, { output: "fine" });
          else if (key === "a:COMPLETED") {
            configure({ baseURL, accessToken: process.env.TRIGGER_SECRET_KEY });
            c = await tasks.trigger("realtime-task", { n: "c" }, { tags: [tag] });
            configure({ baseURL, accessToken: token });
          } else if (key === "c:QUEUED") await control(`/__emulator/runs/${b.id}/fail`, { error: "b failed" });
          else if (key === "b:FAILED") {
            configure({ baseURL, accessToken: process.env.TRIGGER_SECRET_KEY });
            await runs.cancel(c.id);
            configure({ baseURL, accessToken: token });
          } else if (key === "c:CANCELED") return "stop";
        });
        return { ids: { a: a.id, b: b.id, c: c?.id }, ...done };
      } finally {
        configure({ baseURL, accessToken: process.env.TRIGGER_SECRET_KEY });
      }
    },

    // A batch of two, subscribed with the batch's own public token (read:batch:<id>).
    async realtime_batch() {
      const handle = await tasks.batchTrigger("realtime-task", [{ payload: { i: 0 } }, { payload: { i: 1 } }]);
      const ids = (await batch.retrieve(handle.batchId)).runs;
      configure({ baseURL, accessToken: handle.publicAccessToken });
      try {
        const done = await drive(runs.subscribeToBatch(handle.batchId), async (run, seen) => {
          const queued = seen.filter((r) => r.status === "QUEUED").length;
          if (run.status === "QUEUED" && queued === 2) await control(`/__emulator/runs/${ids[0]}/complete`, { output: { i: 0 } });
          else if (run.id === ids[0] && run.status === "COMPLETED") await control(`/__emulator/runs/${ids[1]}/fail`, { error: "x" });
          else if (run.id === ids[1] && run.status === "FAILED") return "stop";
        });
        return { batchId: handle.batchId, ids, ...done };
      } finally {
        configure({ baseURL, accessToken: process.env.TRIGGER_SECRET_KEY });
      }
    },

    // A task-side writer (the SDK's StreamsWriterV1 via streams.pipe / streams.append, as a
    // task runs it) and a reader: streams.read, then subscribeToRun().withStreams().
    async realtime_streams() {
      const { StandardRealtimeStreamsManager } = await import("@trigger.dev/core/v3/workers");
      const { realtimeStreams, apiClientManager } = await import("@trigger.dev/core/v3");
      realtimeStreams.setGlobalManager(new StandardRealtimeStreamsManager(apiClientManager.clientOrThrow(), baseURL));
      const { streams } = sdk;
      const handle = await tasks.trigger("ai-task", { prompt: "hi" });
      await control(`/__emulator/runs/${handle.id}/start`);
      const tokens = ["Hel", "lo", ", ", "wor", "ld"];
      async function* source() {
        for (const t of tokens) yield { delta: t };
      }
      const { waitUntilComplete } = streams.pipe("ai", source(), { target: handle.id });
      await waitUntilComplete();
      await streams.append("ai", "[DONE]", { target: handle.id });
      const read = [];
      for await (const chunk of await streams.read(handle.id, "ai")) {
        read.push(chunk);
        if (read.length === tokens.length + 1) break;
      }
      const resumed = [];
      for await (const chunk of await streams.read(handle.id, "ai", { startIndex: 4 })) {
        resumed.push(chunk);
        if (resumed.length === 2) break;
      }
      const events = [];
      for await (const part of runs.subscribeToRun(handle.id).withStreams()) {
        events.push(part.type === "run" ? { type: "run", status: part.run.status, realtimeStreams: part.run.realtimeStreams } : { type: part.type, chunk: part.chunk });
        const chunks = events.filter((e) => e.type === "ai").length;
        if (part.type === "ai" && chunks === tokens.length + 1) await control(`/__emulator/runs/${handle.id}/complete`, { output: "Hello, world" });
        if (part.type === "run" && part.run.status === "COMPLETED") break;
      }
      return { id: handle.id, read, resumed, events };
    },
  };
}
