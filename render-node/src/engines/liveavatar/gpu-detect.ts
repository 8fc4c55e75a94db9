import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { XMLParser } from 'fast-xml-parser';

const run = promisify(execFile);

export interface Gpu {
  readonly index: number;
  readonly name: string;
  readonly uuid: string;
  readonly memoryTotalMiB: number;
  readonly memoryFreeMiB: number;
  /** e.g. "9.0" (Hopper); absent when nvidia-smi does not say. */
  readonly computeCapability?: string;
  /** e.g. "Hopper" (XML report only). */
  readonly architecture?: string;
}

export interface GpuInventory {
  readonly gpus: readonly Gpu[];
  readonly driverVersion?: string;
  readonly cudaVersion?: string;
  /** Which nvidia-smi output it came from. */
  readonly source: 'csv' | 'xml' | 'none';
}

/** The CSV query, in the order parseQueryCsv reads it. */
export const QUERY_FIELDS = [
  'index',
  'name',
  'uuid',
  'memory.total',
  'memory.used',
  'memory.free',
  'driver_version',
  'compute_cap',
  'pci.bus_id',
  'utilization.gpu',
  'temperature.gpu',
  'power.draw',
  'power.limit',
] as const;

/** Parses `nvidia-smi --query-gpu=<QUERY_FIELDS> --format=csv,noheader,nounits`. */
export function parseQueryCsv(text: string): { gpus: Gpu[]; driverVersion?: string } {
  const gpus: Gpu[] = [];
  let driverVersion: string | undefined;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line) continue;
    const f = line.split(',').map((v) => v.trim());
    if (f.length < QUERY_FIELDS.length) throw new Error(`unexpected nvidia-smi CSV line: ${line}`);
    const [index, name, uuid, total, , free, driver, cc] = f as string[];
    const number = (v: string | undefined, what: string): number => {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`nvidia-smi CSV: ${what} is "${v}"`);
      return n;
    };
    gpus.push({
      index: number(index, 'index'),
      name: name!,
      uuid: uuid!,
      memoryTotalMiB: number(total, 'memory.total'),
      memoryFreeMiB: number(free, 'memory.free'),
      computeCapability: cc && cc !== '[N/A]' ? cc : undefined,
    });
    driverVersion ??= driver;
  }
  return { gpus, driverVersion };
}

const mib = (v: unknown): number => Number(String(v).replace(/\s*MiB$/, ''));

/** Parses `nvidia-smi -q -x` (older drivers lack some CSV fields; it also names the CUDA version). */
export function parseQueryXml(xml: string): GpuInventory {
  const doc = new XMLParser({ ignoreAttributes: true, parseTagValue: false }).parse(xml) as {
    nvidia_smi_log?: {
      driver_version?: string;
      cuda_version?: string;
      gpu?: XmlGpu | XmlGpu[];
    };
  };
  const log = doc.nvidia_smi_log;
  if (!log) throw new Error('not nvidia-smi XML');
  const list = log.gpu === undefined ? [] : Array.isArray(log.gpu) ? log.gpu : [log.gpu];
  return {
    source: 'xml',
    driverVersion: log.driver_version,
    cudaVersion: log.cuda_version,
    gpus: list.map((g, i) => ({
      index: Number(g.minor_number ?? i),
      name: String(g.product_name ?? 'unknown GPU'),
      uuid: String(g.uuid ?? ''),
      memoryTotalMiB: mib(g.fb_memory_usage?.total),
      memoryFreeMiB: mib(g.fb_memory_usage?.free),
      architecture: g.product_architecture,
    })),
  };
}
interface XmlGpu {
  minor_number?: string;
  product_architecture?: string;
  product_name?: string;
  uuid?: string;
  fb_memory_usage?: { total?: string; free?: string };
}

/**
 * One inventory from what nvidia-smi printed: the CSV query when it parses, the XML report as fallback
 * (older drivers lack some CSV fields) and for the CUDA version, which only the XML names.
 */
export function inventoryFrom(csvText: string | undefined, xmlText: string | undefined): GpuInventory {
  let xml: GpuInventory | undefined;
  try {
    xml = xmlText ? parseQueryXml(xmlText) : undefined;
  } catch {
    xml = undefined;
  }
  try {
    if (csvText !== undefined) {
      const csv = parseQueryCsv(csvText);
      return {
        source: 'csv',
        gpus: csv.gpus,
        driverVersion: csv.driverVersion ?? xml?.driverVersion,
        cudaVersion: xml?.cudaVersion,
      };
    }
  } catch {
    // fall back to the XML report
  }
  return xml ?? { source: 'none', gpus: [] };
}

/** Asks nvidia-smi what GPUs this machine has. A machine without nvidia-smi has none. */
export async function detectGpus(nvidiaSmi = 'nvidia-smi'): Promise<GpuInventory> {
  const output = (args: string[]): Promise<string | undefined> =>
    run(nvidiaSmi, args, { timeout: 20_000, maxBuffer: 1 << 24 })
      .then((r) => r.stdout)
      .catch(() => undefined);
  const [csv, xml] = await Promise.all([
    output([`--query-gpu=${QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits']),
    output(['-q', '-x']),
  ]);
  return inventoryFrom(csv, xml);
}

/** `nvidia-smi topo -m`, or nothing where it cannot be had. */
export function readTopology(nvidiaSmi = 'nvidia-smi'): Promise<string> {
  return run(nvidiaSmi, ['topo', '-m'], { timeout: 20_000 })
    .then((r) => r.stdout)
    .catch(() => '');
}

/** How two GPUs are connected, from `nvidia-smi topo -m`: "NV4", "PIX", "PXB", "PHB", "NODE", "SYS". */
export type GpuLinks = ReadonlyMap<string, string>;

/** Parses the GPU×GPU part of `nvidia-smi topo -m`; keys are "0-1" (lower index first). */
export function parseTopology(text: string): GpuLinks {
  // nvidia-smi underlines the header with terminal escape codes.
  const clean = text.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
  const lines = clean.split('\n');
  const header = lines.find((l) => /^\s+GPU0/.test(l));
  const columns = header
    ? header
        .trim()
        .split(/\t+/)
        .filter((c) => /^GPU\d+$/.test(c))
    : [];
  const links = new Map<string, string>();
  for (const line of lines) {
    const m = /^GPU(\d+)\t(.*)$/.exec(line);
    if (!m) continue;
    const row = Number(m[1]);
    const cells = m[2]!.split('\t').map((c) => c.trim());
    columns.forEach((col, i) => {
      const other = Number(col.slice(3));
      if (other !== row && cells[i]) links.set(`${Math.min(row, other)}-${Math.max(row, other)}`, cells[i]!);
    });
  }
  return links;
}

/**
 * Peer-to-peer copies between GPUs on different CPU sockets (SYS) are where NCCL's P2P path is known to
 * fail or hang; there the launch sets NCCL_P2P_DISABLE=1.
 */
export function p2pUnreliable(links: GpuLinks, gpus: readonly number[]): boolean {
  for (let i = 0; i < gpus.length; i++)
    for (let j = i + 1; j < gpus.length; j++) {
      const a = Math.min(gpus[i]!, gpus[j]!);
      const b = Math.max(gpus[i]!, gpus[j]!);
      if (links.get(`${a}-${b}`) === 'SYS') return true;
    }
  return false;
}
