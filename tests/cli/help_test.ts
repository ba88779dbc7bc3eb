import { assert } from "../support/assert.ts";
import { helpText } from "../../src/cli/help.ts";
import { COMMANDS } from "../../src/cli/args.ts";
import { SETTINGS_ENV_VARIABLES, STORE_ENV_VARIABLES } from "../../src/config/mod.ts";

Deno.test("help names every command", () => {
  const text = helpText();
  for (const command of COMMANDS) {
    assert(new RegExp(`^  ${command}\\b`, "m").test(text), `help does not list "${command}"`);
  }
});

Deno.test("help names every environment variable the config reads", () => {
  const text = helpText();
  for (const name of [...STORE_ENV_VARIABLES, ...SETTINGS_ENV_VARIABLES, "CONFIG_FILE"]) {
    assert(text.includes(name), `help does not mention ${name}`);
  }
});
