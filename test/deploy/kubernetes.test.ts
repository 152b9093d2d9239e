/**
 * deploy/kubernetes, checked offline: every object (as written and as `kubectl apply -k` renders
 * it) validates against the Kubernetes API schemas (kubernetes-models), every environment variable
 * the manifests set is one the gateway knows and the set loads as a valid configuration, and the
 * pod is wired as a drain needs (probes, preStop, grace period, security context, key file).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load-config';
import { CONFIG_VARIABLES } from '../../src/config/schema';
import { REPO_ROOT } from '../support/harness';

const ROOT = resolve(REPO_ROOT, 'deploy/kubernetes');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function docsOf(path: string): Obj[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Obj);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return path.endsWith('.yaml') ? [path] : [];
  });
}

const isKustomize = (path: string): boolean => path.endsWith('kustomization.yaml');
const isPatch = (path: string): boolean => path.endsWith('.patch.yaml');

/** JSON 6902 `add` (the only op the manifests use), on a copy. */
function applyPatch(target: Obj, ops: Obj[]): Obj {
  const copy = structuredClone(target);
  for (const op of ops) {
    if (op.op !== 'add') throw new Error(`unsupported patch op ${op.op}`);
    const parts = (op.path as string).split('/').slice(1);
    const last = parts.pop()!;
    let node: Obj = copy;
    for (const part of parts) node = node[part] as Obj;
    if (last === '-') (node as unknown as unknown[]).push(op.value);
    else node[last] = op.value;
  }
  return copy;
}

/**
 * What `kubectl kustomize <dir>` renders, for the features these manifests use: resources (files
 * or folders), components (which patch what their parent has gathered), JSON patches, image tags.
 */
function render(dir: string, inherited: Obj[] = []): Obj[] {
  const k = docsOf(join(dir, 'kustomization.yaml'))[0]!;
  let docs: Obj[] = [...inherited];
  for (const r of (k.resources ?? []) as string[]) {
    const path = join(dir, r);
    expect(existsSync(path)).toBe(true);
    docs.push(...(statSync(path).isDirectory() ? render(path) : docsOf(path)));
  }
  for (const c of (k.components ?? []) as string[]) docs = render(join(dir, c), docs);
  for (const p of (k.patches ?? []) as Obj[]) {
    const ops = docsOf(join(dir, p.path as string))[0] as Obj[];
    docs = docs.map((d) =>
      d.kind === p.target.kind && d.metadata.name === p.target.name ? applyPatch(d, ops) : d,
    );
  }
  for (const image of (k.images ?? []) as Obj[])
    for (const d of docs)
      for (const c of (d.spec?.template?.spec?.containers ?? []) as Obj[])
        if (String(c.image).split(':')[0] === image.name) c.image = `${image.name}:${image.newTag}`;
  return docs;
}

function validate(
  items: { source: string; doc: Obj }[],
): { source: string; kind: string; error: string | null }[] {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'validate-manifests.ts')], {
    cwd: REPO_ROOT,
    input: JSON.stringify(items),
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as { source: string; kind: string; error: string | null }[];
}

const rendered = render(ROOT);
const gateway = rendered.find((d) => d.kind === 'Deployment' && d.metadata.name === 'eventhubs-gateway')!;
const pod = gateway.spec.template.spec as Obj;
const container = pod.containers[0] as Obj;
const env = new Map<string, Obj>((container.env as Obj[]).map((e) => [e.name as string, e]));
const podLabels = gateway.spec.template.metadata.labels as Record<string, string>;

const matchesPod = (selector: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => podLabels[k] === v);

describe('deploy/kubernetes', () => {
  it('when validated against the Kubernetes schemas, then every object of every file and of the rendered kustomization is valid (and a broken one is not)', () => {
    const files = yamlFiles(ROOT).filter((p) => !isKustomize(p) && !isPatch(p));
    const items = [
      ...files.flatMap((path) => docsOf(path).map((doc) => ({ source: path.slice(ROOT.length + 1), doc }))),
      ...rendered.map((doc) => ({ source: `rendered ${doc.kind}/${doc.metadata.name}`, doc })),
    ];
    const broken = structuredClone(gateway);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eight thousand';
    const results = validate([...items, { source: 'negative control', doc: broken }]);
    const control = results.pop()!;
    expect(control.error).toMatch(/containerPort must be integer/);
    expect(results.filter((r) => r.error !== null)).toEqual([]);
    expect(new Set(results.map((r) => r.kind))).toEqual(
      new Set([
        'Deployment',
        'Service',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
        'NetworkPolicy',
        'Secret',
      ]),
    );
  });

  it('when the environment the manifests set is read, then every variable is in the config schema and it loads as a valid configuration', () => {
    const names = [...env.keys()];
    expect(names.filter((n) => !(n in CONFIG_VARIABLES))).toEqual([]);
    // Secrets replaced with well-formed placeholders; the rest exactly as the manifest sets it.
    const placeholders: Record<string, string> = {
      EVENTHUB_CONNECTION_STRING:
        'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=gateway-send;SharedAccessKey=eA==',
      SAS_SEND_KEY_NAME: 'partner-send',
      SAS_SEND_KEY: 'eA==',
    };
    const values = Object.fromEntries(names.map((n) => [n, env.get(n)!.value ?? placeholders[n]]));
    expect(Object.values(values).every((v) => typeof v === 'string')).toBe(true);
    const config = loadConfig(values);
    expect(config.nodeEnv).toBe('production');
    expect(config.security.rateLimit.redis?.url).toBe('redis://eventhubs-gateway-redis:6379');
  });

  it('when the pod is stopped or probed, then probes, preStop, grace period, security context and the key file are as a drain needs', () => {
    const opsPort = Number(env.get('METRICS_PORT')!.value);
    const ports = new Map(
      (container.ports as Obj[]).map((p) => [p.name as string, p.containerPort as number]),
    );
    expect(ports.get(container.readinessProbe.httpGet.port as string)).toBe(opsPort);
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(ports.get(container.livenessProbe.httpGet.port as string)).toBe(opsPort);
    expect(ports.get('http')).toBe(Number(env.get('PORT')!.value));

    const preStop = container.lifecycle.preStop.exec.command as string[];
    expect(preStop[0]).toBe('/bin/sleep');
    const shutdownSeconds = Number(env.get('SHUTDOWN_DEADLINE_MS')!.value) / 1000;
    // preStop pause + the drain's deadline + the primary's 2 s margin for its workers.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(preStop[1]) + shutdownSeconds + 2);

    expect(pod.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true });
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests).toBeDefined();
    expect(Number(env.get('WORKERS')!.value)).toBeLessThanOrEqual(Number(container.resources.limits.cpu));

    // The key file comes from a Secret volume mounted as a directory (subPath never updates).
    const keyFile = env.get('API_KEYS_FILE')!.value as string;
    const mount = (container.volumeMounts as Obj[]).find((m) => keyFile.startsWith(`${m.mountPath}/`))!;
    expect(mount.subPath).toBeUndefined();
    expect((pod.volumes as Obj[]).find((v) => v.name === mount.name)?.secret?.secretName).toBeDefined();
    expect(env.get('EVENTHUB_CONNECTION_STRING')!.valueFrom.secretKeyRef).toBeDefined();
  });

  it('when the other objects select pods, then each selects the gateway pods it is meant for', () => {
    const of = (kind: string, name = 'eventhubs-gateway'): Obj =>
      rendered.find((d) => d.kind === kind && d.metadata.name === name)!;
    expect(matchesPod(of('Service').spec.selector as Record<string, string>)).toBe(true);
    expect(matchesPod(of('PodDisruptionBudget').spec.selector.matchLabels as Record<string, string>)).toBe(
      true,
    );
    expect(matchesPod(of('NetworkPolicy').spec.podSelector.matchLabels as Record<string, string>)).toBe(true);
    expect(of('HorizontalPodAutoscaler').spec.scaleTargetRef).toMatchObject({
      kind: 'Deployment',
      name: 'eventhubs-gateway',
    });
    expect(of('HorizontalPodAutoscaler').spec.minReplicas).toBeGreaterThanOrEqual(2);
    const targetPort = of('Service').spec.ports[0].targetPort as string;
    expect((container.ports as Obj[]).some((p) => p.name === targetPort)).toBe(true);
    const redis = of('Deployment', 'eventhubs-gateway-redis');
    const redisPolicy = of('NetworkPolicy', 'eventhubs-gateway-redis');
    expect(
      matchesPod(redisPolicy.spec.ingress[0].from[0].podSelector.matchLabels as Record<string, string>),
    ).toBe(true);
    expect(redis.spec.template.spec.containers[0].securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
    });
  });
});
