import { assertEquals, assertMatch, assertRejects, assertStrictEquals } from "../support/assert.ts";
import { lookupId, resolveIds, UnknownIdError } from "../../src/sink/_owner.ts";
import { faultyFs } from "./_support.ts";

const PASSWD = [
  "# comment:x:9:9",
  "root:x:0:0:root:/root:/bin/bash",
  "app:x:1000:1001::/home/app:/bin/sh",
  "broken:x:notanumber:1::/:/bin/sh",
  "",
].join("\n");

Deno.test("lookupId() finds a name's id and ignores comments and malformed lines", () => {
  const cases: Array<[string, number | undefined]> = [
    ["root", 0],
    ["app", 1000],
    ["broken", undefined],
    ["# comment", undefined],
    ["ap", undefined],
    ["", undefined],
  ];
  for (const [name, id] of cases) assertStrictEquals(lookupId(PASSWD, name), id, name);
});

Deno.test("resolveIds() accepts numbers without reading passwd", async () => {
  const fs = faultyFs({ readTextFile: () => Promise.reject(new Error("must not be read")) });
  assertEquals(await resolveIds(fs, "1234", "0"), { uid: 1234, gid: 0 });
  assertEquals(await resolveIds(fs, undefined, ""), { uid: null, gid: null });
});

Deno.test("resolveIds() rejects an id that chown would read as 'unchanged'", async () => {
  await assertRejects(() => resolveIds(faultyFs({}), "4294967295", undefined), RangeError);
});

Deno.test("resolveIds() names the database when a name is unknown or unreadable", async () => {
  const fs = faultyFs({ readTextFile: () => Promise.resolve(PASSWD) });
  const err = await assertRejects(() => resolveIds(fs, "ghost", undefined), UnknownIdError);
  assertStrictEquals(err.message, `unknown user "ghost" (not in /etc/passwd)`);
  const unreadable = faultyFs({
    readTextFile: () => Promise.reject(new Deno.errors.NotFound("gone")),
  });
  const unread = await assertRejects(() => resolveIds(unreadable, undefined, "web"));
  assertMatch(unread.message, /cannot look up group "web" \(\/etc\/group unreadable\)/);
});
