import WebSocket from 'ws';

/** Where a process spent its CPU while profiled: self time by function and by package. */
export interface ProfileSummary {
  process: string;
  durationMs: number;
  sampledMs: number;
  topFunctions: { name: string; where: string; selfMs: number; share: number }[];
  byPackage: { name: string; selfMs: number; share: number }[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const INSPECTOR_PORT = 9229;

/** Which package (or part of Node) a script URL belongs to. */
export function packageOf(url: string): string {
  if (!url) return '(native or VM)';
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const service = /\/(services|packages)\/([^/]+)\//.exec(url);
  return service ? `${service[1]}/${service[2]} (own code)` : url;
}

/** Summarises a V8 CPU profile into the functions and packages with the most self time. */
export function summariseProfile(processName: string, profile: CpuProfile, top = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const packages = new Map<string, number>();
  let sampled = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    sampled += us;
    const where = frame.url
      ? `${frame.url.replace(/^file:\/\/.*?\/(node_modules|services|packages)\//, '$1/')}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame.functionName}@${where}`;
    const entry = functions.get(key) ?? { name: frame.functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const pkg = frame.url ? packageOf(frame.url) : frame.functionName || '(native or VM)';
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const share = (us: number) => (sampled ? Math.round((us / sampled) * 1000) / 10 : 0);
  return {
    process: processName,
    durationMs: Math.round((profile.endTime - profile.startTime) / 1000),
    sampledMs: Math.round(sampled / 1000),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: Math.round(f.us / 1000), share: share(f.us) })),
    byPackage: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: Math.round(us / 1000), share: share(us) })),
  };
}

/** Sends one DevTools protocol command to the inspected process and resolves with its result. */
export type InspectorCall = (method: string, params?: object) => Promise<unknown>;

/**
 * Opens a running Node process's inspector (SIGUSR1 opens it on loopback), drives it over the
 * DevTools protocol while `use` runs, and closes it again. `expectedScript` guards against
 * talking to another process's inspector on the same port.
 */
export async function withInspector<T>(
  pid: number,
  processName: string,
  expectedScript: string,
  use: (call: InspectorCall) => Promise<T>,
): Promise<T> {
  process.kill(pid, 'SIGUSR1');
  type InspectorTarget = { webSocketDebuggerUrl: string; url?: string; title?: string };
  let target: InspectorTarget | undefined;
  for (let i = 0; i < 50 && !target; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      const list = (await (
        await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`)
      ).json()) as InspectorTarget[];
      target = list.find((t) => `${t.url ?? ''}${t.title ?? ''}`.includes(expectedScript));
    } catch {
      // Not listening yet.
    }
  }
  if (!target) throw new Error(`the inspector of ${processName} did not come up on port ${INSPECTOR_PORT}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let nextId = 1;
  const replies = new Map<number, (result: unknown) => void>();
  ws.on('message', (data: WebSocket.RawData) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
    if (message.id) replies.get(message.id)?.(message.result);
  });
  const call: InspectorCall = (method, params = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      replies.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    return await use(call);
  } finally {
    // Close the inspector again, so the process no longer listens on its port.
    await Promise.race([
      call('Runtime.evaluate', { expression: "process.getBuiltinModule('node:inspector').close()" }),
      new Promise((resolve) => setTimeout(resolve, 1_000)),
    ]);
    ws.close();
  }
}

/** Profiles a running Node process while `during` runs (see `withInspector`). */
export function profileProcess(
  pid: number,
  processName: string,
  expectedScript: string,
  during: () => Promise<unknown>,
  keep?: (profile: CpuProfile) => void,
): Promise<ProfileSummary> {
  return withInspector(pid, processName, expectedScript, async (call) => {
    await call('Profiler.enable');
    await call('Profiler.setSamplingInterval', { interval: 500 });
    await call('Profiler.start');
    await during();
    const { profile } = (await call('Profiler.stop')) as { profile: CpuProfile };
    keep?.(profile);
    return summariseProfile(processName, profile);
  });
}
