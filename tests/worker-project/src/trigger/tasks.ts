import { logger, metadata, task, wait } from "@trigger.dev/sdk";

export const hello = task({
  id: "hello",
  run: async (payload: { name: string }) => {
    logger.info("saying hello", { name: payload.name });
    return { greeting: `Hello, ${payload.name}!` };
  },
});

export const typed = task({
  id: "typed",
  run: async () => ({ when: new Date("2025-01-01T00:00:00.000Z"), tags: new Set(["a", "b"]), n: 1 }),
});

export const parent = task({
  id: "parent",
  run: async (payload: { name: string }) => {
    const result = await hello.triggerAndWait({ name: payload.name });
    if (!result.ok) throw new Error("child failed");
    return { child: result.output, resumedAt: Date.now() };
  },
});

export const batchParent = task({
  id: "batch-parent",
  run: async (payload: { names: string[] }) => {
    const results = await hello.batchTriggerAndWait(payload.names.map((name) => ({ payload: { name } })));
    return { greetings: results.runs.map((r) => (r.ok ? r.output.greeting : null)), resumedAt: Date.now() };
  },
});

export const flaky = task({
  id: "flaky",
  retry: { maxAttempts: 2, minTimeoutInMs: 100, maxTimeoutInMs: 100, factor: 1 },
  run: async (_payload: unknown, { ctx }) => {
    if (ctx.attempt.number === 1) throw new Error("boom on attempt 1");
    return { attempt: ctx.attempt.number };
  },
});

export const broken = task({
  id: "broken",
  retry: { maxAttempts: 1 },
  run: async () => {
    throw new Error("always fails");
  },
});

export const sleeper = task({
  id: "sleeper",
  run: async () => {
    const started = Date.now();
    await wait.for({ hours: 24 });
    return { slept: true, wallMs: Date.now() - started, resumedAt: Date.now() };
  },
});

export const tokenWaiter = task({
  id: "token-waiter",
  run: async (payload: { tokenId: string }) => {
    const result = await wait.forToken<{ approved: boolean }>(payload.tokenId);
    if (!result.ok) return { timedOut: true, resumedAt: Date.now() };
    return { approved: result.output.approved, resumedAt: Date.now() };
  },
});

export const envReader = task({
  id: "env-reader",
  run: async () => ({ value: process.env.EMULATOR_TEST_SETTING ?? null }),
});

export const progress = task({
  id: "progress",
  run: async () => {
    metadata.set("progress", 0.5).set("stage", "halfway");
    metadata.increment("steps", 2);
    return { done: true };
  },
});

export const slow = task({
  id: "slow",
  run: async () => {
    await new Promise((resolve) => setTimeout(resolve, 60_000));
    return { finished: true };
  },
});
