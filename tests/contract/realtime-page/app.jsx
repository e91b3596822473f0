// A tiny frontend on @trigger.dev/react-hooks, bundled offline with esbuild by
// tests/test_realtime_browser.py and pointed at the emulator through the query string:
// ?api=<emulator URL>&run=<run id>&token=<public access token>&stream=<stream key>
import React from "react";
import { createRoot } from "react-dom/client";
import { useRealtimeRun, useRealtimeStream } from "@trigger.dev/react-hooks";

const query = new URLSearchParams(window.location.search);
const baseURL = query.get("api");
const accessToken = query.get("token");
const runId = query.get("run");
const streamKey = query.get("stream") || "ai";

function Run() {
  const { run, error } = useRealtimeRun(runId, {
    baseURL,
    accessToken,
    onComplete: (finished) => {
      document.getElementById("completed").textContent = finished.status;
    },
  });
  if (error) return <p id="error">{String(error.message ?? error)}</p>;
  if (!run) return <p id="status">LOADING</p>;
  return (
    <div>
      <p id="status">{run.status}</p>
      <p id="output">{JSON.stringify(run.output ?? null)}</p>
    </div>
  );
}

function Tokens() {
  const { parts, error } = useRealtimeStream(runId, streamKey, { baseURL, accessToken, throttleInMs: 0 });
  if (error) return <p id="stream-error">{String(error.message ?? error)}</p>;
  return <p id="text">{(parts ?? []).map((part) => part.delta ?? "").join("")}</p>;
}

function App() {
  return (
    <main>
      <Run />
      <Tokens />
      <p id="completed"></p>
    </main>
  );
}

createRoot(document.getElementById("root")).render(<App />);
