/**
 * The syncer: one pass of read → render → write → hooks for one secret, returning a result value.
 * It never throws for Vault, template or file errors: failure is a value, and the old files stay.
 *
 * @module
 */
import { SpanStatusCode } from "@opentelemetry/api";
import { getLogger } from "@logtape/logtape";
import type { FilePlan, HookPlan, SecretPlan } from "../config/mod.ts";
import { type Span, type SpanAttributes, startSpan, withSpan } from "../observe/mod.ts";
import { type Clock, type Random, SYSTEM_CLOCK } from "../resilience/mod.ts";
import type { FileContent, HookResult } from "../sink/mod.ts";
import { isRepeatable, parse, type Template, TemplateError } from "../template/mod.ts";
import { errorKind, isMissingKind, type SecretData, type SecretRef } from "../vault/mod.ts";
import { SHARE_WINDOW_MS, SharedReads } from "./shared_reads.ts";
import { toConsulTemplateSecret, toPkiCert, toTemplateData } from "./template_data.ts";
import {
  DynamicSecrets,
  isWrite,
  type LeaseClient,
  type LeaseSummary,
  type VaultCall,
  vaultCallKey,
  writeBody,
} from "./dynamic_secrets.ts";
import { adoptCertificate, certificateRequest } from "./_certificates.ts";

/**
 * What the syncer needs from a Vault client (one per credential set): KV reads, and the reads,
 * writes and lease calls of templates' `secret`/`pkiCert`. A reader registers every value it
 * returns as sensitive (the Vault client does), so the syncer never walks the data for that.
 */
export interface SecretReader extends LeaseClient {
  readSecret(ref: SecretRef, options?: { signal?: AbortSignal }): Promise<SecretData>;
}

/** What the syncer needs from the file sink. */
export interface FileWriter {
  write(
    file: FilePlan,
    content: Uint8Array,
    options?: { signal?: AbortSignal },
  ): Promise<"written" | "unchanged">;
  remove(file: FilePlan): Promise<"removed" | "absent">;
  /**
   * The file's current bytes, `undefined` when absent or unreadable. Optional: without it a
   * restart never adopts the certificate a previous run wrote.
   */
  read?(file: FilePlan): Promise<FileContent | undefined>;
  /**
   * Whether the file still holds what this writer last put there (content, mode, owner), `false`
   * when unsure; never throws. Optional: without it every refresh renders and writes (the writer
   * then finds the content unchanged).
   */
  intact?(file: FilePlan): Promise<boolean>;
}

/** Runs on-change hooks; never throws. */
export type HookRunner = (
  hooks: HookPlan[],
  options: { secret: string; signal?: AbortSignal },
) => Promise<HookResult[]>;

/** Where a sync stopped. */
export type SyncStage = "auth" | "read" | "render" | "write" | "hooks";

/** The outcome of one sync of one secret. */
export type SyncResult =
  | {
    status: "ok";
    secret: string;
    /** Per file: what the sink did. */
    files: Array<{ path: string; result: "written" | "unchanged" }>;
    /** True when at least one file was written. */
    changed: boolean;
    hooks: HookResult[];
    version?: number;
    /** The leases and certificates the secret's templates hold, when there are any. */
    leases?: LeaseSummary;
    durationMs: number;
  }
  | {
    status: "failed";
    secret: string;
    stage: SyncStage;
    /** Classified error kind (a VaultError kind, "template", "write", …). */
    errorKind: string;
    /** The error; its message never holds a secret value. */
    error: Error;
    /** Files removed because the secret is gone and `onMissing: delete`. */
    removed?: string[];
    /** The server asked to wait this long (429 Retry-After). */
    retryAfterMs?: number;
    durationMs: number;
  };

/** Options of {@linkcode Syncer}. */
export interface SyncerOptions {
  /** The reader for a credential set name. */
  reader: (credentials: string) => SecretReader;
  sink: FileWriter;
  runHooks: HookRunner;
  /** @default SYSTEM_CLOCK */
  clock?: Clock;
  /**
   * How long a successful read is shared with other secrets of the same path, at most. Each
   * secret narrows it to half its shortest period (`refreshInterval × (1 − jitter) / 2`), so its
   * next refresh never reuses its own previous read. @default SHARE_WINDOW_MS (250)
   */
  shareWindowMs?: number;
  /** Jitter of lease and certificate renewals. @default SYSTEM_RANDOM */
  random?: Random;
  /**
   * The held dynamic answers (leases, certificates). Pass the same one to the syncer of every
   * runtime so a reload keeps them. @default a new one
   */
  dynamic?: DynamicSecrets;
}

interface Compiled {
  fingerprint: string;
  /** The template list it was compiled from: the same array needs no fingerprint. */
  source: SecretPlan["templates"];
  templates: Map<string, Template>;
  /** Every `secret`/`pkiCert` call of the templates, once per function and arguments. */
  calls: VaultCall[];
  /** No template calls Vault or a function with a clock, randomness or salt. */
  repeatable: boolean;
  /** Settles when the libraries the templates' functions need are loaded. */
  ready: Promise<void>;
}

const ENCODER = new TextEncoder();
const log = getLogger(["secrets-sync", "sync"]);

/**
 * Syncs secrets. Templates are parsed once per secret (again only when they change).
 *
 * @example
 * ```ts
 * const syncer = new Syncer({ reader: () => client, sink, runHooks });
 * const result = await syncer.sync(plan.secrets[0], signal);
 * ```
 */
export class Syncer {
  #reader: SyncerOptions["reader"];
  #sink: FileWriter;
  #runHooks: HookRunner;
  #clock: Clock;
  #reads: SharedReads;
  #compiled = new Map<string, Compiled>();
  #dynamic: DynamicSecrets;
  /** The KV v2 version each secret's files were last rendered from (never go back one). */
  #rendered = new Map<string, { version: number; createdMs: number }>();
  /** Secrets that looked for a certificate of a previous run already (once per process). */
  #adoptionTried = new Set<string>();
  /**
   * What each secret's files were last written (or found unchanged) from, when that can be
   * rendered again without rendering: the plan and templates (same objects) and the KV version.
   */
  #lastWrite = new Map<string, { plan: SecretPlan; compiled: Compiled; version: string }>();

  constructor(options: SyncerOptions) {
    const {
      reader,
      sink,
      runHooks,
      clock = SYSTEM_CLOCK,
      shareWindowMs = SHARE_WINDOW_MS,
      random,
      dynamic,
    } = options;
    this.#dynamic = dynamic ?? new DynamicSecrets({ clock, ...(random ? { random } : {}) });
    this.#reader = reader;
    this.#sink = sink;
    this.#runHooks = runHooks;
    this.#clock = clock;
    this.#reads = new SharedReads({ clock, windowMs: shareWindowMs });
  }

  /**
   * Parses every template of `secret`; throws the first TemplateError (used by validation and to
   * fail early). Cached by content.
   */
  compile(secret: SecretPlan): Compiled {
    const cached = this.#compiled.get(secret.name);
    // Plans are not mutated: the same template list is the same templates (every sync asks).
    if (cached?.source === secret.templates) return cached;
    const fingerprint = JSON.stringify(secret.templates.map((t) => [t.name, t.source]));
    if (cached?.fingerprint === fingerprint) {
      cached.source = secret.templates;
      return cached;
    }
    const templates = new Map<string, Template>();
    const calls = new Map<string, VaultCall>();
    for (const t of secret.templates) {
      const template = parse(t.source, { name: t.name });
      templates.set(t.name, template);
      for (const call of vaultCallsOf(template)) {
        calls.set(vaultCallKey(call.fn, call.path, call.args), call);
      }
    }
    if (secret.key === undefined && calls.size === 0) {
      throw new Error(
        `Secret "${secret.name}" has no key and its templates call neither secret nor pkiCert: ` +
          `set key, or read with {{ secret "path" }}`,
      );
    }
    const ready = Promise.all([...templates.values()].map((t) => t.prepare())).then(() => {});
    ready.catch(() => {}); // reported by the sync that awaits it
    const compiled = {
      fingerprint,
      source: secret.templates,
      templates,
      calls: [...calls.values()],
      repeatable: calls.size === 0 && [...templates.values()].every(isRepeatable),
      ready,
    };
    this.#compiled.set(secret.name, compiled);
    return compiled;
  }

  /** Forgets a removed secret's compiled templates and what its templates held. */
  forget(name: string): void {
    this.#compiled.delete(name);
    this.#dynamic.forget(name);
    this.#adoptionTried.delete(name);
    this.#rendered.delete(name);
    this.#lastWrite.delete(name);
  }

  /**
   * Revokes the leases `secret`'s templates hold (`revokeOnStop`, or the secret removed); best
   * effort, never throws.
   */
  async revokeLeases(secret: SecretPlan, signal?: AbortSignal): Promise<void> {
    try {
      await this.#dynamic.revoke(secret.name, this.#reader(secret.credentials), {
        ...(signal ? { signal } : {}),
        ...nsOption(secret.namespace),
      });
    } catch {
      // Revocation is best effort: the leases then end by their TTL.
    }
  }

  /**
   * One sync of `secret`. Never throws. Traced as a `sync` span with `read`, `render`, `write` and
   * `hooks` children; attributes carry names and results, never values.
   */
  sync(secret: SecretPlan, signal?: AbortSignal): Promise<SyncResult> {
    return withSpan("sync", { "secret.name": secret.name }, async (span) => {
      const result = await this.#sync(secret, signal);
      span.setAttribute("sync.status", result.status);
      if (result.status === "ok") {
        span.setAttribute("sync.changed", result.changed);
      } else {
        span.setAttribute("sync.stage", result.stage);
        span.setAttribute("error.type", result.errorKind);
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.errorKind });
      }
      return result;
    });
  }

  /** The steps in order; each returns its value or throws, and the stage names the failure. */
  async #sync(secret: SecretPlan, signal?: AbortSignal): Promise<SyncResult> {
    const started = this.#clock.now();
    const failed = (stage: SyncStage, error: unknown, removed?: string[]): SyncResult =>
      failedResult(secret.name, stage, error, this.#clock.now() - started, removed);
    let compiled: Compiled;
    try {
      compiled = this.compile(secret);
    } catch (error) {
      return failed("render", error);
    }
    try {
      await compiled.ready;
    } catch (error) {
      return failed("render", error);
    }
    const adoption = await this.#adopt(secret, compiled);
    const ok = (files: FileOutcome[], hooks: HookResult[], version?: number): SyncResult => {
      const result: SyncResult = {
        status: "ok",
        secret: secret.name,
        files,
        changed: files.some((f) => f.result === "written"),
        hooks,
        durationMs: this.#clock.now() - started,
      };
      if (version !== undefined) result.version = version;
      const leases = this.#dynamic.summary(secret.name);
      if (leases.count > 0) result.leases = leases;
      return result;
    };
    let read: ReadOutput;
    let rendered: RenderedFile[];
    for (let attempt = 0;; attempt++) {
      try {
        read = await this.#read(secret, compiled, signal);
      } catch (error) {
        const removed = isMissingKind(errorKind(error)) && secret.onMissing === "delete"
          ? await this.#removeFiles(secret)
          : undefined;
        return failed("read", error, removed);
      }
      // Nothing changed since the last write: neither render nor write.
      if (await this.#unchanged(secret, compiled, read.data)) {
        return ok(unchangedFiles(secret), [], read.data.version);
      }
      try {
        rendered = this.#render(secret, compiled, read);
      } catch (error) {
        if (adoption && attempt === 0) {
          this.#dynamic.forget(secret.name, adoption.key);
          continue;
        }
        return failed("render", error);
      }
      // A certificate read back from the files is kept only when it renders those very files.
      if (adoption && attempt === 0 && !sameFiles(rendered, adoption.files)) {
        this.#dynamic.forget(secret.name, adoption.key);
        continue;
      }
      break;
    }
    const older = this.#olderThanRendered(secret, read.data);
    if (older !== undefined) {
      log.info(
        "{secret}: read version {version}, older than version {rendered} its files hold " +
          "(a standby behind the leader?); files kept",
        { secret: secret.name, version: read.data.version, rendered: older },
      );
      return ok(unchangedFiles(secret), [], older);
    }
    let files: FileOutcome[];
    this.#lastWrite.delete(secret.name);
    try {
      files = await this.#write(secret, rendered, signal);
    } catch (error) {
      return failed("write", error);
    }
    this.#remember(secret, read.data);
    const version = versionOf(read.data);
    if (compiled.repeatable && version !== undefined) {
      this.#lastWrite.set(secret.name, { plan: secret, compiled, version });
    }
    const changed = files.some((f) => f.result === "written");
    const hooks = changed ? await this.#hooks(secret, signal) : [];
    return ok(files, hooks, read.data.version);
  }

  /**
   * Whether this refresh can be answered without rendering: the same plan and templates as the
   * last write, templates that render the same text from the same data, the same KV version (a
   * KV v2 version's data never changes), and every file still as written (one lstat each; the
   * sink re-reads a file at least once a minute). KV v1 has no version: always rendered.
   */
  async #unchanged(secret: SecretPlan, compiled: Compiled, data: SecretData): Promise<boolean> {
    const last = this.#lastWrite.get(secret.name);
    if (
      last === undefined || last.plan !== secret || last.compiled !== compiled ||
      last.version !== versionOf(data) || this.#sink.intact === undefined
    ) {
      return false;
    }
    for (const file of secret.files) if (!(await this.#sink.intact(file))) return false;
    return true;
  }

  /**
   * The version the files hold when `data` is an older version of the same secret (a standby or
   * replica behind the leader); `undefined` when it may be written. A lower version created
   * later is a secret deleted and created again, and is written.
   */
  #olderThanRendered(secret: SecretPlan, data: SecretData): number | undefined {
    if (secret.version !== undefined || data.version === undefined) return undefined;
    const last = this.#rendered.get(secret.name);
    if (!last || data.version >= last.version) return undefined;
    const created = Date.parse(String(data.metadata?.created_time ?? ""));
    return Number.isNaN(created) || created <= last.createdMs ? last.version : undefined;
  }

  #remember(secret: SecretPlan, data: SecretData): void {
    if (secret.version !== undefined || data.version === undefined) return;
    const created = Date.parse(String(data.metadata?.created_time ?? ""));
    this.#rendered.set(secret.name, {
      version: data.version,
      createdMs: Number.isNaN(created) ? -Infinity : created,
    });
  }

  /**
   * On a secret's first sync in this process: when its templates make exactly one write (a
   * `pki/issue` or `pkiCert`) and its files hold a certificate with its key, holds that as the
   * answer so a restart does not issue a new certificate while the old one is good (the sync
   * then checks it renders the same files).
   */
  async #adopt(
    secret: SecretPlan,
    compiled: Compiled,
  ): Promise<{ key: string; files: Map<string, Uint8Array> } | undefined> {
    if (this.#adoptionTried.has(secret.name)) return undefined;
    this.#adoptionTried.add(secret.name);
    const writes = compiled.calls.filter(isWrite);
    const read = this.#sink.read?.bind(this.#sink);
    if (writes.length !== 1 || !read || !this.#dynamic.isEmpty(secret.name)) return undefined;
    const files = new Map<string, Uint8Array>();
    let writtenAt = -Infinity;
    for (const file of secret.files) {
      const found = await read(file);
      if (found === undefined) return undefined;
      files.set(file.path, found.content);
      writtenAt = Math.max(writtenAt, found.modifiedAt ?? -Infinity);
    }
    const decoder = new TextDecoder();
    const call = writes[0]!;
    const found = await adoptCertificate(
      [...files.values()].map((b) => decoder.decode(b)),
      certificateRequest(call.args),
    );
    const now = this.#clock.now();
    if (!found || found.validity.notAfter <= now) return undefined;
    // The files were last written when the certificate was issued: its lifetime counts from
    // then (a certificate's notBefore is back-dated, 30 s by default in OpenBao).
    const issuedAt = Math.min(now, Math.max(found.validity.notBefore, writtenAt));
    this.#dynamic.adopt(secret.name, call, found.body, found.validity, issuedAt);
    if (this.#dynamic.summary(secret.name).dueAt! <= this.#clock.now()) {
      this.#dynamic.forget(secret.name);
      return undefined;
    }
    return { key: vaultCallKey(call.fn, call.path, call.args), files };
  }

  /**
   * Reads the secret and every path its templates name (shared with other secrets reading the
   * same within a short window), and registers every value read as sensitive.
   */
  async #read(secret: SecretPlan, compiled: Compiled, signal?: AbortSignal): Promise<ReadOutput> {
    const reader = this.#reader(secret.credentials);
    const ref: SecretRef = {
      mountPath: secret.mountPath,
      key: secret.key ?? "",
      kvVersion: secret.kvVersion,
    };
    if (secret.version !== undefined) ref.version = secret.version;
    if (secret.namespace !== undefined) ref.namespace = secret.namespace;
    const options = signal ? { signal } : {};
    const readKey = JSON.stringify([
      secret.credentials,
      ref.namespace ?? null,
      ref.mountPath,
      ref.key,
      ref.kvVersion,
      ref.version ?? null,
    ]);
    // Below half of this secret's shortest period, so its own next refresh never reuses the read
    // it made last time (intervals go down to 100 ms).
    const shareWindow = secret.refreshIntervalMs * (1 - secret.jitter) / 2;
    const sharedRead = (path: string) =>
      this.#reads.get(
        JSON.stringify([secret.credentials, ref.namespace ?? null, "path", path]),
        () => reader.readPath(path, { ...options, ...nsOption(ref.namespace) }),
        shareWindow,
      );
    const [main, extra] = await step(
      "read",
      { "secret.name": secret.name },
      () =>
        Promise.all([
          secret.key === undefined
            ? Promise.resolve(NO_KV_DATA)
            : this.#reads.get(readKey, () => reader.readSecret(ref, options), shareWindow),
          compiled.calls.length === 0 ? Promise.resolve(new Map()) : this.#dynamic.resolve(
            secret.name,
            compiled.calls,
            reader,
            { ...options, ...nsOption(ref.namespace) },
            sharedRead,
          ),
        ]),
    );
    return { data: main, extra };
  }

  /** `onMissing: delete`: removes the files of a secret that is gone; best effort. */
  async #removeFiles(secret: SecretPlan): Promise<string[]> {
    const removed: string[] = [];
    for (const file of secret.files) {
      try {
        if ((await this.#sink.remove(file)) === "removed") removed.push(file.path);
      } catch {
        // Removing is best effort; the read failure is what gets reported.
      }
    }
    return removed;
  }

  /** Renders every file before any is written: a render error leaves every file as it was. */
  #render(secret: SecretPlan, compiled: Compiled, read: ReadOutput): RenderedFile[] {
    const span = startSpan("render", { "secret.name": secret.name });
    try {
      const templateData = toTemplateData(read.data.data);
      const answer = (fn: string, path: unknown, args: unknown[]) => {
        const key = vaultCallKey(fn, String(path), args.map(String));
        const body = read.extra.get(key);
        if (!body) {
          throw new Error(`${fn} ${JSON.stringify(path)} was not fetched before the render`);
        }
        return body;
      };
      const functions = {
        secret: (path: unknown, ...args: unknown[]) =>
          toConsulTemplateSecret(answer("secret", path, args)),
        pkiCert: (path: unknown, ...args: unknown[]) => toPkiCert(answer("pkiCert", path, args)),
      };
      return secret.files.map((file) => {
        const template = compiled.templates.get(file.template);
        if (!template) {
          throw new Error(`Cannot render "${file.path}": no template named "${file.template}"`);
        }
        const text = template.execute(templateData, { missingKey: secret.missingKey, functions });
        return { file, content: ENCODER.encode(text) };
      });
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorKind(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  /** Writes the rendered files in order; the sink skips those whose content is unchanged. */
  #write(
    secret: SecretPlan,
    rendered: RenderedFile[],
    signal?: AbortSignal,
  ): Promise<FileOutcome[]> {
    return step(
      "write",
      { "secret.name": secret.name, "files": rendered.length },
      async () => {
        const files: FileOutcome[] = [];
        for (const { file, content } of rendered) {
          const result = await this.#sink.write(file, content, signal ? { signal } : {});
          files.push({ path: file.path, result });
        }
        return files;
      },
    );
  }

  /** Runs the on-change hooks (only called when a file was written). */
  #hooks(secret: SecretPlan, signal?: AbortSignal): Promise<HookResult[]> {
    if (secret.onChange.length === 0) return Promise.resolve([]);
    return step(
      "hooks",
      { "secret.name": secret.name, "hooks.count": secret.onChange.length },
      async (span) => {
        const results = await this.#runHooks(secret.onChange, {
          secret: secret.name,
          ...(signal ? { signal } : {}),
        });
        span.setAttribute("hooks.failed", results.filter((r) => r.status !== "ok").length);
        return results;
      },
    );
  }
}

/** Every file of `secret`, left as it is. */
function unchangedFiles(secret: SecretPlan): FileOutcome[] {
  return secret.files.map((f) => ({ path: f.path, result: "unchanged" }));
}

/**
 * A KV v2 read's version and creation time (a secret deleted and created again restarts at
 * version 1), or `undefined` without a version (KV v1).
 */
function versionOf(data: SecretData): string | undefined {
  if (data.version === undefined) return undefined;
  return `${data.version}@${String(data.metadata?.created_time ?? "")}`;
}

/** A span of a sync step whose failure is recorded with its error kind. */
function step<T>(name: string, attributes: SpanAttributes, fn: (span: Span) => Promise<T>) {
  return withSpan(name, attributes, fn, errorKind);
}

/** What the read step returns: the secret, and the answers of its templates' Vault calls. */
interface ReadOutput {
  data: SecretData;
  /** By {@linkcode vaultCallKey}. */
  extra: Map<string, Record<string, unknown>>;
}

/** The KV data of a secret without `key` (its templates read everything with `secret`). */
const NO_KV_DATA: SecretData = { data: {} };

/** True when every rendered file has exactly the bytes in `files`. */
function sameFiles(rendered: readonly RenderedFile[], files: Map<string, Uint8Array>): boolean {
  return rendered.every(({ file, content }) => {
    const old = files.get(file.path);
    return old !== undefined && old.length === content.length &&
      old.every((b, i) => b === content[i]);
  });
}

/**
 * The `secret`/`pkiCert` calls of a parsed template, as the syncer fetches them before each render.
 * @throws {TemplateError} at the call when an argument is computed (not a quoted string) or a
 *   write's argument is not `key=value`.
 */
export function vaultCallsOf(template: Template): VaultCall[] {
  return template.secretCalls().map((site) => {
    const fail = (message: string) =>
      new TemplateError(`template: ${template.name}:${site.line}: ${message}`, {
        line: site.line,
        column: 0,
        templateName: template.name,
      });
    if (site.args === null) {
      throw fail(
        `${site.fn} needs quoted string arguments (the path and "key=value" pairs): a computed ` +
          `or piped argument cannot be fetched before the render`,
      );
    }
    const [path = "", ...args] = site.args;
    const call = { fn: site.fn, path, args };
    if (isWrite(call)) {
      try {
        writeBody(call);
      } catch (error) {
        throw fail((error as Error).message);
      }
    }
    return call;
  });
}

interface RenderedFile {
  file: FilePlan;
  content: Uint8Array;
}

type FileOutcome = { path: string; result: "written" | "unchanged" };

function failedResult(
  secret: string,
  stage: SyncStage,
  error: unknown,
  durationMs: number,
  removed: string[] | undefined,
): SyncResult {
  const err = error instanceof Error ? error : new Error(String(error));
  const result: SyncResult = {
    status: "failed",
    secret,
    stage,
    errorKind: errorKind(err),
    error: err,
    durationMs,
    ...(removed ? { removed } : {}),
  };
  const retryAfter = (err as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof retryAfter === "number") result.retryAfterMs = retryAfter;
  return result;
}

function nsOption(namespace: string | undefined): { namespace?: string } {
  return namespace === undefined ? {} : { namespace };
}
