import { assertEquals } from "../support/assert.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { shutdownSignal } from "../../src/cli/shutdown_signal.ts";

/** The signal handlers shutdownSignal() installs, and the exits it asks for. */
function harness() {
  const handlers = new Map<Deno.Signal, () => void>();
  const exits: number[] = [];
  const clock = new FakeClock();
  const signal = shutdownSignal({
    listen: (name, handler) => void handlers.set(name, handler),
    exit: (code) => void exits.push(code),
    clock,
  });
  const send = (name: Deno.Signal) => handlers.get(name)!();
  return { signal, exits, clock, send };
}

Deno.test("shutdownSignal() aborts on the first SIGTERM or SIGINT", () => {
  for (const name of ["SIGTERM", "SIGINT"] as const) {
    const { signal, exits, send } = harness();
    assertEquals(signal.aborted, false);
    send(name);
    assertEquals(signal.aborted, true);
    assertEquals((signal.reason as Error).message, name);
    assertEquals(exits, []);
  }
});

Deno.test("shutdownSignal() takes a second signal right after the first as the same Ctrl-C", async () => {
  // Ctrl-C without a terminal reaches the whole process group, and `deno task` (like `timeout` or
  // systemd's control-group kill) forwards it to the sidecar again a few ms later.
  const { signal, exits, clock, send } = harness();
  send("SIGINT");
  await clock.tick(20);
  send("SIGINT");
  await clock.tick(500);
  send("SIGTERM");
  assertEquals(signal.aborted, true);
  assertEquals(exits, []);
});

Deno.test("shutdownSignal() exits 130 at once on a signal after the first one's window", async () => {
  const { exits, clock, send } = harness();
  send("SIGINT");
  await clock.tick(1000);
  send("SIGINT");
  assertEquals(exits, [130]);
});
