/**
 * docs/troubleshooting.md against the messages in src/: every message a user can meet has a row, and
 * every row still matches a message. When a message changes, the failure lists what to add or
 * remove, with the file and line of each message (`deno run -A tests/support/user_messages.ts`
 * prints them all).
 */
import { assert, assertEquals } from "../support/assert.ts";
import { errorKinds, messagesOf, userMessages } from "../support/user_messages.ts";

const DOC = new URL("../../docs/troubleshooting.md", import.meta.url);

interface DocEntry {
  line: number;
  text: string;
  /** The table's first header cell: `message` or `kind`. */
  column: string;
}

/** Code spans in the first column of the doc's `message` and `kind` tables. */
function docEntries(doc: string): DocEntry[] {
  const out: DocEntry[] = [];
  let header: string | undefined;
  doc.split("\n").forEach((line, index) => {
    if (!line.startsWith("|")) {
      header = undefined;
      return;
    }
    // GFM tables: `\|` is a literal bar, also inside code spans.
    const cells = line.replace(/\\\|/g, "\u0000").split("|").slice(1, -1)
      .map((cell) => cell.replaceAll("\u0000", "|").trim());
    if (header === undefined) {
      header = cells[0] ?? "";
      return;
    }
    if (/^:?-+:?$/.test(cells[0] ?? "")) return; // the delimiter row
    if (header !== "message" && header !== "kind") return;
    for (const span of (cells[0] ?? "").matchAll(/`([^`]+)`/g)) {
      out.push({ line: index + 1, text: span[1]!, column: header });
    }
  });
  return out;
}

/** A message as a pattern: `…` (a part the program fills in) matches any text. */
function pattern(message: string): RegExp {
  const parts = message.split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join("[\\s\\S]*")}$`);
}

Deno.test("pattern() lets … stand for any filled-in part", () => {
  assert(
    pattern("Cannot …: … (HTTP …)").test('Cannot read secret "…": permission denied (HTTP 403)'),
  );
  assert(pattern('Unknown key "…"…').test('Unknown key "…"'));
  assert(
    !pattern('Cannot read secret "…": version deleted…').test('Cannot read secret "…": … (HTTP …)'),
  );
});

Deno.test("messagesOf() finds messages at each kind of site and skips the rest", () => {
  const source = `
    const log = getLogger(["x"]);
    log.warn("Cannot renew {what}: {error}", { what });
    log.info("Synced {secret}"); // info: not an error
    throw new VaultError(\`Cannot read secret "\${name}": \${detail}\`, { kind });
    throw new RangeError(\`Cannot share reads: windowMs must be >= 0, got \${ms}\`);
    ctx.issues.add([...path, "x"], "Must be at least 1");
    // log.error("Cannot in a comment");
    const re = /Cannot "x"/;
    if (message.startsWith("Cannot read config")) return;
    return \`Cannot write in \${v} (\${why}): \${lacks}\`;
    const s = { error: "error" };
  `;
  assertEquals(messagesOf("src/cli/x.ts", source).map((m) => [m.site, m.text]), [
    ["log", "Cannot renew …: …"],
    ["error", 'Cannot read secret "…": …'],
    ["config", "Must be at least 1"],
    ["other", "Cannot write in … (…): …"],
  ]);
});

Deno.test("docs/troubleshooting.md has a row for every message in src/, and no row for a message that is gone", async () => {
  const doc = await Deno.readTextFile(DOC);
  const entries = docEntries(doc).filter((e) => e.column === "message");
  const messages = await userMessages();
  assert(messages.length > 100, `only ${messages.length} messages found in src/`);
  assert(entries.length > 100, `only ${entries.length} rows found in the doc`);

  const missing = new Map<string, string[]>();
  for (const message of messages) {
    const re = pattern(message.text);
    if (entries.some((entry) => re.test(entry.text))) continue;
    const where = missing.get(message.text) ?? [];
    where.push(`${message.file}:${message.line}`);
    missing.set(message.text, where);
  }
  const patterns = [...new Set(messages.map((m) => m.text))].map(pattern);
  const stale = entries.filter((entry) => !patterns.some((re) => re.test(entry.text)));

  const report = [
    ...[...missing].map(([text, where]) =>
      `no row in docs/troubleshooting.md for \`${text}\` (${where.join(", ")})`
    ),
    ...stale.map((entry) =>
      `docs/troubleshooting.md:${entry.line}: \`${entry.text}\` matches no message in src/ (changed or removed?)`
    ),
  ];
  assertEquals(
    report,
    [],
    "Update docs/troubleshooting.md: a row per message (`…` for the parts the program fills in)",
  );
});

Deno.test("docs/troubleshooting.md explains exactly the error kinds the program reports", async () => {
  const doc = await Deno.readTextFile(DOC);
  const documented = docEntries(doc).filter((e) => e.column === "kind").map((e) => e.text);
  assertEquals([...documented].sort(), await errorKinds());
});

Deno.test("the README and docs/observability.md link the troubleshooting page and the Grafana dashboard", async () => {
  for (const page of ["../../README.md", "../../docs/observability.md"]) {
    const text = await Deno.readTextFile(new URL(page, import.meta.url));
    assert(
      /\]\((?:docs\/)?troubleshooting\.md\)/.test(text),
      `${page} does not link troubleshooting.md`,
    );
    assert(
      /\]\((?:\.\.\/)?examples\/grafana\/secrets-sync\.json\)/.test(text),
      `${page} does not link the Grafana dashboard`,
    );
  }
});
