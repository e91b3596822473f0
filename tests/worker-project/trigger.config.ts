import { defineConfig } from "@trigger.dev/sdk";

export default defineConfig({
  project: "proj_emulator",
  dirs: ["./src/trigger"],
  maxDuration: 300,
  retries: {
    enabledInDev: true,
    default: { maxAttempts: 1 },
  },
});
