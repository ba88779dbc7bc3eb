import assert from "node:assert/strict";
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
  for (const [name, id] of cases) assert.equal(lookupId(PASSWD, name), id, name);
});

Deno.test("resolveIds() accepts numbers without reading passwd", async () => {
  const fs = faultyFs({ readTextFile: () => Promise.reject(new Error("must not be read")) });
  assert.deepEqual(await resolveIds(fs, "1234", "0"), { uid: 1234, gid: 0 });
  assert.deepEqual(await resolveIds(fs, undefined, ""), { uid: null, gid: null });
});

Deno.test("resolveIds() rejects an id that chown would read as 'unchanged'", async () => {
  await assert.rejects(resolveIds(faultyFs({}), "4294967295", undefined), RangeError);
});

Deno.test("resolveIds() names the database when a name is unknown or unreadable", async () => {
  const fs = faultyFs({ readTextFile: () => Promise.resolve(PASSWD) });
  await assert.rejects(resolveIds(fs, "ghost", undefined), (err: unknown) => {
    assert.ok(err instanceof UnknownIdError);
    assert.equal(err.message, `unknown user "ghost" (not in /etc/passwd)`);
    return true;
  });
  const unreadable = faultyFs({
    readTextFile: () => Promise.reject(new Deno.errors.NotFound("gone")),
  });
  await assert.rejects(
    resolveIds(unreadable, undefined, "web"),
    /cannot look up group "web" \(\/etc\/group unreadable\)/,
  );
});
