// Real-network proof harness: network namespaces joined by veth pairs, a peer
// that vanishes without a word (nftables drops every frame on its wire), Node
// endpoints in child processes, and tcpdump as an outside witness.
//
// Nothing here touches the host's network: every address lives inside
// namespaces this file creates (10.201.x.y/30, no default route), every nft
// table lives inside one of them, and all of it is removed after each test,
// on exit and on SIGINT/SIGTERM. Namespaces left by a run that was killed with
// SIGKILL are removed by the next run (their names carry the dead pid).
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, it } from 'vitest';
import { detectionTime, type KeepAliveState } from '../../lib/index.js';
import { notRoot, requireOrSkip } from '../helpers/prerequisites.js';
import { type Packet, parsePcap, TCP_SYN } from './pcap.js';

export * from './pcap.js';

export const DIST_ENTRY = join(__dirname, '..', '..', 'dist', 'index.mjs');
const ENDPOINT_SCRIPT = join(__dirname, '..', 'fixtures', 'network-endpoint.mjs');

/** With this set to 1, capture files are kept and their paths printed. */
const KEEP_CAPTURES = process.env.TCP_KEEPALIVE_KEEP_CAPTURES === '1';

const NS_PREFIX = 'tka';
const TOOLS: Array<[string, string[]]> = [
  ['ip', ['-V']],
  ['nft', ['--version']],
  ['tcpdump', ['--version']],
  ['sysctl', ['--version']],
];

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 20 ms until it holds, at most timeoutMs (then fails naming `what`). */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(20)) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
  }
}
/** Wall-clock epoch seconds: the clock of tcpdump's -tt / pcap timestamps and of the endpoints' events. */
export const wallClock = () => (performance.timeOrigin + performance.now()) / 1000;

// ---------------------------------------------------------------------------
// Prerequisites: decided once per test file, synchronously, at collection time.

let unavailableReason: string | null | undefined;

/** Why the network tests cannot run here, or null when they can. */
export function networkUnavailableReason(): string | null {
  if (unavailableReason === undefined) unavailableReason = probeEnvironment();
  return unavailableReason;
}

function probeEnvironment(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  const rootless = notRoot();
  if (rootless !== null) return rootless;
  for (const [tool, args] of TOOLS) {
    const result = spawnSync(tool, args, { stdio: 'ignore', timeout: 5000 });
    if (result.error) return `${tool} is not installed (${(result.error as NodeJS.ErrnoException).code})`;
  }
  removeLeftovers();
  // Try the exact things the tests need, once: a namespace, a veth pair with
  // both ends created inside namespaces, a netdev table with an egress hook
  // (Linux >= 5.16, nft >= 1.0.1), and conntrack with its per-namespace
  // sysctls (a ct rule makes the kernel load nf_conntrack if it is a module;
  // the net.netfilter.nf_conntrack_* sysctls exist only after that).
  const a = `${NS_PREFIX}-${process.pid}-probe-a`;
  const b = `${NS_PREFIX}-${process.pid}-probe-b`;
  const steps: Array<[string[], string?]> = [
    [['ip', 'netns', 'add', a]],
    [['ip', 'netns', 'add', b]],
    [['ip', '-n', a, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1', 'netns', b]],
    [['ip', 'netns', 'exec', b, 'nft', '-f', '-'], vanishRuleset('probe1')],
    [['ip', 'netns', 'exec', b, 'nft', '-f', '-'], 'table ip ct_probe {\n  chain forward { type filter hook forward priority 0; ct state established accept; }\n}\n'],
    [['ip', 'netns', 'exec', b, 'sysctl', '-q', '-w', 'net.netfilter.nf_conntrack_tcp_timeout_established=4']],
  ];
  try {
    for (const [argv, input] of steps) {
      const result = spawnSync(argv[0], argv.slice(1), { input, encoding: 'utf8', timeout: 10_000 });
      if (result.status !== 0) {
        return `\`${argv.join(' ')}\` failed: ${(result.stderr || String(result.error ?? '')).trim()}`;
      }
    }
    return null;
  } finally {
    for (const ns of [a, b]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
  }
}

// Names are tka-<pid>-... (namespaces) and tcp-keepalive-<pid>-... (capture
// directories); one whose pid is gone was left by a killed run.
function removeLeftovers(): void {
  for (const entry of readdirSync(tmpdir())) {
    const match = /^tcp-keepalive-(\d+)-/.exec(entry);
    if (match && Number(match[1]) !== process.pid && !isAlive(Number(match[1]))) {
      rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    }
  }
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
  for (const line of listed.split('\n')) {
    const name = line.split(' ')[0];
    const match = new RegExp(`^${NS_PREFIX}-(\\d+)-`).exec(name);
    if (!match || Number(match[1]) === process.pid || isAlive(Number(match[1]))) continue;
    deleteNamespaceSync(name);
  }
}

/**
 * Kills whatever still runs inside `ns` (a tcpdump orphaned by a killed test
 * process would otherwise capture forever), then deletes it.
 */
function deleteNamespaceSync(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * `describe` for tests that need root and the network tools. Without them the
 * tests are skipped and the reason printed, unless TCP_KEEPALIVE_REQUIRE_ROOT_TESTS=1,
 * where the missing prerequisite is a failure.
 */
export function describeNetwork(title: string, body: () => void): void {
  const skip = requireOrSkip(title, networkUnavailableReason());
  describe.skipIf(skip)(title, () => {
    if (!existsSync(DIST_ENTRY)) {
      it('has the library built', () => {
        throw new Error(`${DIST_ENTRY} is missing: the endpoints import the built library; run \`npm run build\` first`);
      });
      return;
    }
    body();
  });
}

// ---------------------------------------------------------------------------
// Commands, each bounded in time.

function run(argv: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      argv[0],
      argv.slice(1),
      { timeout: options.timeoutMs ?? 10_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`\`${argv.join(' ')}\` failed: ${String(stderr).trim() || error.message}`));
        else resolve(String(stdout));
      },
    );
    // Commands that never read stdin may close it first: ignore EPIPE there.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

/** Waits for a child to exit, at most timeoutMs; true if it did. */
function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

// ---------------------------------------------------------------------------
// The lab: namespaces, links and processes of one test, and their removal.

export interface Interface {
  ns: string;
  dev: string;
  ip: string;
  mac: string;
}

/** Drops every frame in and out of `dev` at the device, below IP: no FIN, RST, ICMP or ARP gets through. */
function vanishRuleset(dev: string): string {
  return `table netdev vanish {
  chain wire_in { type filter hook ingress device "${dev}" priority -500; policy drop; }
  chain wire_out { type filter hook egress device "${dev}" priority -500; policy drop; }
}
`;
}

const liveLabs = new Set<Lab>();
let signalsHooked = false;

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  process.once('exit', () => {
    for (const lab of liveLabs) lab.cleanupSync();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const lab of liveLabs) lab.cleanupSync();
      process.kill(process.pid, signal); // our handler is gone: the default action ends us
    });
  }
}

/** Creates a Lab for the tests of one describe block and removes what it made after each test. */
export function useLab(tag: string): Lab {
  const lab = new Lab(tag);
  afterEach(() => lab.cleanup(), 30_000);
  afterAll(() => lab.cleanup(), 30_000);
  return lab;
}

const NAT_RULESET = `
table ip lab_nat {
  counter forgotten {}
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "to-client" oifname "to-server" tcp flags & (fin | syn | rst | ack) == syn ct state new accept
    counter name "forgotten" drop
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "to-server" masquerade
  }
}
`;

export class Lab {
  private namespaces: string[] = [];
  private children = new Set<ChildProcess>();
  private captureDir: string | undefined;
  private serial = 0;

  constructor(private readonly tag: string) {}

  /** A fresh namespace with loopback up and IPv6 off (no router solicitations or DAD in the captures). */
  async namespace(role: string): Promise<string> {
    hookSignals();
    liveLabs.add(this);
    const name = `${NS_PREFIX}-${process.pid}-${this.tag}-${role}`;
    await run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    await this.sysctl(name, { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
    await run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /**
   * Joins two namespaces with a veth pair on the /30 starting at `subnet`
   * (a gets .1, b gets .2 above it). Neighbour entries are static, so after a
   * vanish the kernel keeps putting segments on the wire instead of failing
   * ARP and reporting EHOSTUNREACH.
   */
  async link(
    a: { ns: string; dev: string },
    b: { ns: string; dev: string },
    subnet: string,
  ): Promise<[Interface, Interface]> {
    const octets = subnet.split('.').map(Number);
    const ipA = [...octets.slice(0, 3), octets[3] + 1].join('.');
    const ipB = [...octets.slice(0, 3), octets[3] + 2].join('.');
    // Both ends are created inside their namespaces: no name in the host namespace can collide.
    await run(['ip', '-n', a.ns, 'link', 'add', a.dev, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
    const ends: Interface[] = [];
    for (const [end, ip] of [[a, ipA], [b, ipB]] as const) {
      await run(['ip', '-n', end.ns, 'addr', 'add', `${ip}/30`, 'dev', end.dev]);
      await run(['ip', '-n', end.ns, 'link', 'set', end.dev, 'up']);
      const shown = JSON.parse(await run(['ip', '-n', end.ns, '-j', 'link', 'show', 'dev', end.dev])) as Array<{ address: string }>;
      ends.push({ ns: end.ns, dev: end.dev, ip, mac: shown[0].address });
    }
    const [endA, endB] = ends;
    await run(['ip', '-n', endA.ns, 'neigh', 'replace', endB.ip, 'lladdr', endB.mac, 'dev', endA.dev, 'nud', 'permanent']);
    await run(['ip', '-n', endB.ns, 'neigh', 'replace', endA.ip, 'lladdr', endA.mac, 'dev', endB.dev, 'nud', 'permanent']);
    return [endA, endB];
  }

  /**
   * client — nat — server: the middle namespace routes with masquerade, a
   * conntrack established-TCP timeout of `timeoutS` (per-namespace sysctl), no
   * mid-stream pickup (nf_conntrack_tcp_loose=0) and a forward policy that
   * drops every packet of no tracked connection (counted in
   * `counter ip lab_nat forgotten`), as a home router or cloud NAT gateway does.
   * `base` is the first of two /30s: client–nat, then nat–server.
   */
  async natLab(base: string, timeoutS: number): Promise<{ clientNs: string; natNs: string; serverNs: string; clientIf: Interface; serverIf: Interface }> {
    const clientNs = await this.namespace('client');
    const natNs = await this.namespace('nat');
    const serverNs = await this.namespace('server');
    const octets = base.split('.').map(Number);
    const second = [...octets.slice(0, 3), octets[3] + 4].join('.');
    const [clientIf, natClientIf] = await this.link({ ns: clientNs, dev: 'to-nat' }, { ns: natNs, dev: 'to-client' }, base);
    const [, serverIf] = await this.link({ ns: natNs, dev: 'to-server' }, { ns: serverNs, dev: 'to-nat' }, second);
    // The client reaches the server's /30 through the NAT; the server needs no
    // route back, since masquerade makes every client look like the NAT's own address.
    await this.route(clientNs, `${second}/30`, natClientIf.ip);
    // The ruleset first: its ct expressions load nf_conntrack, which creates the sysctls below.
    await this.nft(natNs, NAT_RULESET);
    await this.sysctl(natNs, {
      'net.ipv4.ip_forward': 1,
      'net.netfilter.nf_conntrack_tcp_loose': 0,
      'net.netfilter.nf_conntrack_tcp_timeout_established': timeoutS,
    });
    return { clientNs, natNs, serverNs, clientIf, serverIf };
  }

  /** A route to a /30 in another namespace (never a default route: nothing may leave the lab). */
  async route(ns: string, destination: string, via: string): Promise<void> {
    await run(['ip', '-n', ns, 'route', 'add', destination, 'via', via]);
  }

  async sysctl(ns: string, settings: Record<string, string | number>): Promise<void> {
    const pairs = Object.entries(settings).map(([key, value]) => `${key}=${value}`);
    await run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', ...pairs]);
  }

  async nft(ns: string, ruleset: string): Promise<void> {
    await run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], { input: ruleset });
  }

  /** `nft list <object>` inside `ns`, e.g. nftList(ns, 'counter ip lab_nat forgotten'). */
  async nftList(ns: string, object: string): Promise<string> {
    return run(['ip', 'netns', 'exec', ns, 'nft', 'list', ...object.split(' ')]);
  }

  /**
   * The host behind `end` vanishes: from now on nothing enters or leaves its
   * interface, exactly like a pulled cable or a powered-off machine, while the
   * other side still has carrier and keeps transmitting. Returns the time.
   */
  async vanish(end: Interface): Promise<number> {
    await this.nft(end.ns, vanishRuleset(end.dev));
    return wallClock();
  }

  /**
   * Starts an endpoint (test/fixtures/network-endpoint.mjs) inside `ns`; `nodeArgs` and `env`
   * run it as an unmodified program under a preload, for example.
   */
  async endpoint(
    ns: string,
    label: string,
    launch: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; script?: string; args?: string[] } = {},
  ): Promise<Endpoint> {
    const script = launch.script ?? ENDPOINT_SCRIPT;
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...(launch.nodeArgs ?? []), script, ...(launch.args ?? [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...launch.env },
    });
    this.children.add(child);
    const endpoint = new Endpoint(label, child);
    await endpoint.waitFor((e) => e.event === 'ready', 10_000, 'the endpoint to start');
    return endpoint;
  }

  /** Starts tcpdump on `end`, writing pcap unbuffered (-U), and waits until it listens. */
  async capture(end: Interface): Promise<Capture> {
    this.captureDir ??= mkdtempSync(join(tmpdir(), `tcp-keepalive-${process.pid}-${this.tag}-`));
    // The .pcap suffix matters: Ubuntu's AppArmor profile for tcpdump lets it write only such files.
    const file = join(this.captureDir, `${end.dev}-${++this.serial}.pcap`);
    // --immediate-mode: hand each packet over at once; otherwise TPACKET_V3
    // holds packets in a kernel block until it fills or times out, and a
    // SIGINT can end tcpdump with the last packets (the RST) never read.
    // -U: write each packet to the file at once. -Z root: keep writing to our
    // private directory (tcpdump drops to its own user otherwise).
    const child = spawn(
      'ip',
      ['netns', 'exec', end.ns, 'tcpdump', '-i', end.dev, '-n', '--immediate-mode', '-U', '-s', '200', '-Z', 'root', '-w', file, 'tcp'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.children.add(child);
    const capture = new Capture(child, file, end);
    await capture.started();
    return capture;
  }

  /** Ends every process, removes every namespace (and with it its links and nft tables). */
  async cleanup(): Promise<void> {
    const children = [...this.children];
    this.children.clear();
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map((child) => waitForExit(child, 5000)));
    const namespaces = this.namespaces.splice(0);
    for (const ns of namespaces) {
      // Anything our children started and left behind goes too.
      const pids = await run(['ip', 'netns', 'pids', ns]).catch(() => '');
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await run(['ip', 'netns', 'del', ns]).catch(() => undefined);
    }
    this.removeCaptures();
    liveLabs.delete(this);
  }

  /** The same, synchronously, for exit and signal handlers. */
  cleanupSync(): void {
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
    for (const ns of this.namespaces.splice(0)) deleteNamespaceSync(ns);
    this.removeCaptures();
  }

  private removeCaptures(): void {
    if (!this.captureDir) return;
    if (KEEP_CAPTURES) console.log(`[network] captures kept in ${this.captureDir}`);
    else rmSync(this.captureDir, { recursive: true, force: true });
    this.captureDir = undefined;
  }
}

// ---------------------------------------------------------------------------
// Endpoints: a Node process per host, driven with JSON lines.

export interface EndpointEvent {
  event: string;
  /** Wall-clock epoch seconds. */
  t: number;
  id?: string;
  [key: string]: unknown;
}

export type { KeepAliveState };

export interface ConnectionInfo {
  id: string;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

export class Endpoint {
  readonly events: EndpointEvent[] = [];
  private stderr = '';
  private waiters = new Set<() => void>();
  private nextRequest = 1;

  constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as EndpointEvent);
      } catch {
        this.stderr += `(stdout) ${line}\n`;
      }
      this.notify();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    child.on('exit', () => this.notify());
    child.stdin!.on('error', () => undefined); // the endpoint may already be gone
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** The endpoint's process (ip netns exec runs node in its place): for reading it from outside. */
  get pid(): number {
    return this.child.pid!;
  }

  /** What the endpoint wrote on stderr so far (a preload's report lines, for example). */
  get errorOutput(): string {
    return this.stderr;
  }

  private get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The first event (from index `from`) matching `predicate`, waiting at most timeoutMs for it. */
  waitFor(
    predicate: (event: EndpointEvent) => boolean,
    timeoutMs: number,
    what: string,
    from = 0,
  ): Promise<EndpointEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.slice(from).find(predicate);
        if (found) return finish(() => resolve(found));
        if (this.exited) return finish(() => reject(this.failure(`exited while waiting for ${what}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(this.failure(`timed out after ${timeoutMs} ms waiting for ${what}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  find(predicate: (event: EndpointEvent) => boolean): EndpointEvent | undefined {
    return this.events.find(predicate);
  }

  /** What the process wrote to stderr so far. */
  get stderrText(): string {
    return this.stderr;
  }

  private failure(message: string): Error {
    const recent = this.events.slice(-8).map((e) => JSON.stringify(e)).join('\n  ');
    return new Error(`${this.label} endpoint ${message}\n  last events:\n  ${recent}\n  stderr: ${this.stderr.trim()}`);
  }

  /** Sends a command and returns its result; throws the endpoint's error if it failed. */
  async request<T = unknown>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 5000): Promise<T> {
    const req = this.nextRequest++;
    this.child.stdin!.write(JSON.stringify({ cmd, req, ...args }) + '\n');
    const reply = await this.waitFor((e) => e.event === 'reply' && e.req === req, timeoutMs, `the reply to ${cmd}`);
    if (!reply.ok) throw new Error(`${this.label} ${cmd} failed: ${String(reply.code)} ${String(reply.message)}`);
    return reply.result as T;
  }

  async listen(host: string, port: number, options: { echo?: boolean } = {}): Promise<void> {
    const from = this.events.length;
    this.child.stdin!.write(JSON.stringify({ cmd: 'listen', host, port, echo: options.echo ?? false }) + '\n');
    await this.waitFor((e) => e.event === 'listening' || e.event === 'server-error', 5000, 'listening', from).then(
      (e) => {
        if (e.event !== 'listening') throw this.failure(`could not listen: ${String(e.code)}`);
      },
    );
  }

  setKeepAlive(id: string, options: Record<string, unknown> | boolean): Promise<KeepAliveState> {
    return this.request<KeepAliveState>('setKeepAlive', { id, options });
  }

  getKeepAlive(id: string): Promise<KeepAliveState> {
    return this.request<KeepAliveState>('getKeepAlive', { id });
  }

  /** Node's own socket.setKeepAlive(enable, initialDelay); returns getKeepAlive after it. */
  nodeSetKeepAlive(id: string, enable: boolean, initialDelay: number): Promise<KeepAliveState> {
    return this.request<KeepAliveState>('nodeSetKeepAlive', { id, enable, initialDelay });
  }

  state(id: string): Promise<{ destroyed: boolean; readyState: string; errored: string | null }> {
    return this.request('state', { id });
  }

  write(id: string, text: string): Promise<unknown> {
    return this.request('write', { id, text });
  }

  /** Waits for `text` to arrive on connection `id`, after event index `from`. */
  received(id: string, text: string, timeoutMs: number, from = 0): Promise<EndpointEvent> {
    return this.waitFor((e) => e.event === 'data' && e.id === id && String(e.text).includes(text), timeoutMs, `"${text}" on ${id}`, from);
  }

  /** Asks the endpoint to exit as a program does (its 'exit' handlers run) and waits until it has, its output read. */
  async exit(timeoutMs = 5000): Promise<void> {
    const closed = new Promise<boolean>((resolve) => {
      if (this.child.exitCode !== null && this.child.stdout!.readableEnded) return resolve(true);
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.child.once('close', () => (clearTimeout(timer), resolve(true)));
    });
    this.child.stdin!.write(`${JSON.stringify({ cmd: 'exit' })}\n`);
    if (!(await closed)) throw this.failure(`did not exit within ${timeoutMs} ms`);
  }

  /** The 'error' event of connection `id`, if any so far. */
  errorOf(id: string): EndpointEvent | undefined {
    return this.find((e) => e.event === 'error' && e.id === id);
  }
}

/**
 * Opens a connection from `client` to `server` (already listening on host:port)
 * and waits for both ends to report it. Returns the client's id and the id the
 * server gave the accepted socket, with the addresses seen from each side.
 */
export async function openConnection(
  client: Endpoint,
  server: Endpoint,
  host: string,
  port: number,
  id: string,
): Promise<{ client: ConnectionInfo; server: ConnectionInfo }> {
  const from = client.events.length;
  const serverFrom = server.events.length;
  await client.request('connect', { id, host, port });
  const connected = await client.waitFor((e) => (e.event === 'connect' || e.event === 'error') && e.id === id, 5000, `${id} to connect`, from);
  if (connected.event === 'error') throw new Error(`${id} could not connect: ${String(connected.code)}`);
  // Connections are opened one at a time, so the next accept is this one
  // (matching on ports would fail behind NAT, which may change them).
  const accepted = await server.waitFor((e) => e.event === 'accept', 5000, `the server to accept ${id}`, serverFrom);
  return { client: connected as unknown as ConnectionInfo, server: accepted as unknown as ConnectionInfo };
}

// ---------------------------------------------------------------------------
// tcpdump and the pcap it writes.

export class Capture {
  private stderr = '';

  constructor(
    private readonly child: ChildProcess,
    readonly file: string,
    private readonly end: Interface,
  ) {
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  /** The packets in the file so far (tcpdump writes each as it comes): polled until `done` holds for them, at most timeoutMs. */
  async until(done: (packets: Packet[]) => boolean, what: string, timeoutMs = 5000): Promise<Packet[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const packets = parsePcap(readFileSync(this.file));
      if (done(packets)) return packets;
      if (Date.now() > deadline) throw new Error(`the capture on ${this.end.dev} showed no ${what} within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  /**
   * Waits until everything sent on the interface so far is in the file: a
   * marker SYN to the discard port of the other end of the link, sent now,
   * is captured after every earlier packet, in order (no fixed wait for
   * tcpdump to catch up, whatever the machine's load).
   */
  async flush(): Promise<void> {
    const octets = this.end.ip.split('.').map(Number);
    // The other address of the /30: .1 <-> .2.
    const other = [...octets.slice(0, 3), octets[3] % 4 === 1 ? octets[3] + 1 : octets[3] - 1].join('.');
    const marker = spawn('ip', ['netns', 'exec', this.end.ns, 'timeout', '5', 'bash', '-c', `exec 3<>/dev/tcp/${other}/9`], { stdio: 'ignore' });
    try {
      await this.until((packets) => packets.some((p) => p.src === this.end.ip && p.dst === other && p.dport === 9 && (p.flags & TCP_SYN) !== 0), 'marker SYN');
    } finally {
      marker.kill('SIGKILL');
    }
  }

  /** Resolves once tcpdump says it is listening (its socket is open and filtering). */
  started(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump did not start in ${timeoutMs} ms: ${this.stderr}`)), timeoutMs);
      const check = () => {
        if (this.stderr.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.child.stderr!.on('data', check);
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tcpdump exited (${code}): ${this.stderr}`));
      });
      check();
    });
  }

  /**
   * Stops tcpdump the polite way (SIGINT: it flushes and closes the file),
   * once everything sent so far is in the file (flush), and returns every
   * packet (with the marker SYN to port 9, which no connection's trace
   * includes). Fails if the kernel dropped any packet, because then the
   * witness is incomplete.
   */
  async stop(): Promise<Packet[]> {
    await this.flush();
    this.child.kill('SIGINT');
    if (!(await waitForExit(this.child, 5000))) {
      this.child.kill('SIGKILL');
      throw new Error(`tcpdump did not stop within 5 s after SIGINT: ${this.stderr}`);
    }
    const packets = parsePcap(readFileSync(this.file));
    const captured = /(\d+) packets? captured/.exec(this.stderr);
    const dropped = /(\d+) packets? dropped by kernel/.exec(this.stderr);
    if (dropped && Number(dropped[1]) > 0) throw new Error(`tcpdump lost packets: ${this.stderr}`);
    if (captured && Number(captured[1]) !== packets.length) {
      throw new Error(`tcpdump captured ${captured[1]} packets but the file holds ${packets.length}`);
    }
    return packets;
  }
}

// ---------------------------------------------------------------------------
// Expected times and the one-line reports.

/**
 * Linux timers fire late, never early, by up to 1/8 of their length (the
 * timer wheel's granularity; 1 s became 1.024 s at HZ=250), and the kernel
 * keeps times in jiffies, so the packet's jiffy can round the start up to one
 * tick (10 ms at HZ=100, the coarsest). Plus 250 ms for the wake-up of the
 * Node process and scheduling on a busy CI machine.
 */
export const JIFFY_S = 0.01;
export function detectionWindow(idleMs: number, intervalMs: number, count: number) {
  // The library's own formula (detectionTime) is what every scenario checks against.
  const expected = detectionTime({ enabled: true, idle: idleMs, interval: intervalMs, count, userTimeout: 0, retries2: 15 }).idle! / 1000;
  return { expected, earliest: expected - JIFFY_S, latest: expected * (9 / 8) + 0.25 };
}

/** "2.020/3.044/4.068": times in seconds after `base`. */
export function offsets(base: number, times: number[]): string {
  return times.map((time) => (time - base).toFixed(3)).join('/');
}

/** The gaps between consecutive times, in seconds. */
export function gaps(times: number[]): number[] {
  return times.slice(1).map((time, index) => time - times[index]);
}
