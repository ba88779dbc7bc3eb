/**
 * PKI certificates from the real OpenBao PKI engine through the real sidecar process:
 * `secret "pki/issue/…" "k=v"` and `pkiCert`, re-issued at ~2/3 of their lifetime (never after
 * they expire), written as one set with the hook run once per new certificate, and a restart
 * keeping a still-valid certificate it finds in its files.
 */
import { X509Certificate } from "node:crypto";
import { assert, assertEquals, assertNoLeaks, auditRequests } from "./sync_support.ts";
import { configYaml } from "../support/config_yaml.ts";
import { type OpenBaoAdmin, startOpenBao } from "../support/openbao.ts";
import { sleep } from "../support/poll.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

/** A root CA at `pki/` and a role `web` issuing EC certificates for *.example.com. */
async function setUpPki(bao: OpenBaoAdmin): Promise<void> {
  await bao.api("POST", "sys/mounts/pki", { body: { type: "pki" } });
  await bao.api("POST", "sys/mounts/pki/tune", { body: { max_lease_ttl: "1h" } });
  const root = await bao.api("POST", "pki/root/generate/internal", {
    body: { common_name: "secrets-sync test root", ttl: "1h", key_type: "ec", key_bits: 256 },
  });
  assertEquals(root.status, 200, JSON.stringify(root.body));
  const role = await bao.api("POST", "pki/roles/web", {
    body: {
      allowed_domains: "example.com",
      allow_subdomains: true,
      key_type: "ec",
      key_bits: 256,
      max_ttl: "10m",
    },
  });
  assert(role.status === 200 || role.status === 204, JSON.stringify(role.body));
}

/** `pki/issue/web` requests the server saw (audit log). */
async function issues(audit: string): Promise<number> {
  return (await auditRequests(audit)).filter((e) =>
    e.request?.path === "pki/issue/web" && e.request.operation === "update"
  ).length;
}

/** A hook script that copies the set to `snap-<n>/` and records when it ran (epoch ms). */
async function snapshotHook(dir: string, files: string[]): Promise<string> {
  const script = `${dir}/snapshot.sh`;
  const copies = files.map((f) => `cp "${dir}/out/${f}" "$d/${f}"`).join("\n");
  await Deno.writeTextFile(
    script,
    `#!/bin/sh\nn=$(ls -d "${dir}"/snap-* 2>/dev/null | wc -l)\nd="${dir}/snap-$n"\nmkdir "$d"\n${copies}\ndate +%s%3N > "$d/at"\n`,
  );
  await Deno.chmod(script, 0o755);
  return script;
}

interface Snapshot {
  at: number;
  cert: X509Certificate;
  keyMatches: boolean;
  signedByCa: boolean;
}

async function snapshots(dir: string, certFile: string, keyFile: string, caFile: string) {
  const out: Snapshot[] = [];
  for (let n = 0;; n++) {
    const at = await readIfExists(`${dir}/snap-${n}/at`);
    if (at === undefined) break;
    const cert = new X509Certificate(await Deno.readTextFile(`${dir}/snap-${n}/${certFile}`));
    const { createPrivateKey } = await import("node:crypto");
    const key = createPrivateKey(await Deno.readTextFile(`${dir}/snap-${n}/${keyFile}`));
    const ca = new X509Certificate(await Deno.readTextFile(`${dir}/snap-${n}/${caFile}`));
    out.push({
      at: Number(at.trim()),
      cert,
      keyMatches: cert.checkPrivateKey(key),
      signedByCa: cert.verify(ca.publicKey),
    });
  }
  return out;
}

const ISSUE = '"pki/issue/web" "common_name=app.example.com" "ttl=20s"';

Deno.test("a 20-second certificate is re-issued at ~2/3 of its life, before it expires, as one matching set", async () => {
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  const audit = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: audit });
  await setUpPki(bao);
  const hook = await snapshotHook(dir.path, ["cert.pem", "key.pem", "ca.pem"]);
  const config = dir.join("config.yaml");
  await Deno.writeTextFile(
    config,
    configYaml([{
      name: "tls",
      template: {
        cert: `{{ with secret ${ISSUE} }}{{ .Data.certificate }}{{ end }}\n`,
        key: `{{ with secret ${ISSUE} }}{{ .Data.private_key }}{{ end }}\n`,
        ca: `{{ (secret ${ISSUE}).Data.issuing_ca }}\n`,
      },
      files: ["cert.pem", "key.pem", "ca.pem"].map((f) => ({
        path: dir.join("out", f),
        template: f.replace(".pem", ""),
      })),
      onChange: [{ command: [hook] }],
    }], { settings: { statusFile: dir.join("status") } }),
  );
  await using sidecar = startSidecar({
    args: ["run", "--config", config],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken },
    permissions: ["-P=sidecar", `--allow-write=${dir.path}`, `--allow-run=${hook}`],
  });
  // Three certificates: the first and two replacements (about 13 s apart).
  await sidecar.waitFor(
    async () => (await readIfExists(dir.join("snap-2", "at"))) !== undefined,
    "two re-issued certificates",
    45_000,
  );
  await sleep(300);
  const snaps = await snapshots(dir.path, "cert.pem", "key.pem", "ca.pem");
  const serials = snaps.map((s) => s.cert.serialNumber);
  assertEquals(new Set(serials).size, snaps.length, "the hook ran once per new certificate");
  for (const snap of snaps) {
    assert(snap.keyMatches, "the key in the set is the certificate's key");
    assert(snap.signedByCa, "the CA in the set signed the certificate");
  }
  const fractions: string[] = [];
  for (let i = 1; i < snaps.length; i++) {
    const previous = snaps[i - 1]!;
    const notAfter = Date.parse(previous.cert.validTo);
    const lifetime = notAfter - previous.at;
    const replacedAfter = snaps[i]!.at - previous.at;
    assert(snaps[i]!.at < notAfter, `certificate ${i} replaced before the old one expired`);
    assert(
      replacedAfter > lifetime * 0.5,
      `not re-issued early: ${replacedAfter} ms of ${lifetime} ms`,
    );
    fractions.push(
      `${replacedAfter} ms of ${lifetime} ms (${(replacedAfter / lifetime).toFixed(2)})`,
    );
  }
  const issued = await issues(audit);
  assertEquals(issued, snaps.length, "one pki/issue request per certificate written");
  console.log(`certificate re-issued after: ${fractions.join(", ")}`);
  const key = await Deno.readTextFile(dir.join("out", "key.pem"));
  assertNoLeaks(sidecar, [key.split("\n")[1]!]);
});

Deno.test("pkiCert: a restart keeps the still-valid certificate in its files; once issues none either", async () => {
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  const audit = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: audit });
  await setUpPki(bao);
  const hook = await snapshotHook(dir.path, ["bundle.pem"]);
  const pki = '"pki/issue/web" "common_name=api.example.com" "ttl=5m"';
  const config = dir.join("config.yaml");
  await Deno.writeTextFile(
    config,
    configYaml([{
      name: "tls",
      template: {
        bundle: `{{ with pkiCert ${pki} }}{{ .Cert }}{{ .Key }}{{ end }}`,
        ca: `{{ (pkiCert ${pki}).Data.CA }}`,
      },
      files: [
        { path: dir.join("out", "bundle.pem"), template: "bundle" },
        { path: dir.join("out", "ca.pem"), template: "ca" },
      ],
      onChange: [{ command: [hook] }],
    }], { settings: { statusFile: dir.join("status") } }),
  );
  const env = { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken };
  const permissions = ["-P=sidecar", `--allow-write=${dir.path}`, `--allow-run=${hook}`];
  {
    await using once = startSidecar({ args: ["once", "--config", config], env, permissions });
    assertEquals((await once.status).code, 0, once.stderr());
  }
  const bundle = await Deno.readTextFile(dir.join("out", "bundle.pem"));
  const cert = new X509Certificate(bundle);
  const { createPrivateKey } = await import("node:crypto");
  const keyPem = bundle.slice(bundle.indexOf("-----BEGIN EC PRIVATE KEY-----"));
  assert(cert.checkPrivateKey(createPrivateKey(keyPem)), "bundle holds the cert and its key");
  assertEquals(await issues(audit), 1);

  {
    await using again = startSidecar({ args: ["once", "--config", config], env, permissions });
    assertEquals((await again.status).code, 0, again.stderr());
    assertEquals(await issues(audit), 1, "once with a good certificate on disk issues none");
  }
  await using run = startSidecar({ args: ["run", "--config", config], env, permissions });
  await run.waitFor(
    () => run.logs().some((l) => String(l.message).includes("kept the certificate")),
    "the certificate to be adopted",
    15_000,
  );
  await sleep(2_000);
  assertEquals(await issues(audit), 1, "run with a good certificate on disk issues none");
  assertEquals(await Deno.readTextFile(dir.join("out", "bundle.pem")), bundle);
  assertEquals(
    await readIfExists(dir.join("snap-1", "at")),
    undefined,
    "hook ran only for the first",
  );
});
