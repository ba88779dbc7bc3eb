/**
 * Run as a child process by logging_test.ts: logs through the default stdout writer.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { Redactor, setupLogging } from "../../src/observe/mod.ts";

const redactor = new Redactor();
redactor.register("child-secret-value");
await setupLogging({ level: "debug", format: "json", redactor });
const log = getLogger(["secrets-sync", "child"]);
for (let i = 0; i < 3; i++) log.debug("Line {i} holds child-secret-value", { i });
