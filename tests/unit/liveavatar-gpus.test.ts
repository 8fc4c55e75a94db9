import { join } from 'node:path';
import {
  detectGpus,
  p2pUnreliable,
  parseQueryCsv,
  parseQueryXml,
  parseTopology,
} from '../../render-node/src/engines/liveavatar/gpu-detect.js';
import { scratchDir } from '../helpers/speech.js';
import { gpuFixture as fixture, nvidiaSmiStandIn } from '../helpers/standins.js';

describe('GPU detection from real nvidia-smi output (H100 80GB HBM3)', () => {
  it('reads the CSV query', () => {
    const { gpus, driverVersion } = parseQueryCsv(fixture('nvidia-smi-query-h100.csv'));
    expect(driverVersion).toBe('580.159.04');
    expect(gpus).toEqual([
      {
        index: 0,
        name: 'NVIDIA H100 80GB HBM3',
        uuid: 'GPU-1ea136d0-e23c-2815-2955-e0d140f53e6b',
        memoryTotalMiB: 81559,
        memoryFreeMiB: 81079,
        computeCapability: '9.0',
      },
    ]);
  });

  it('reads the XML report, with the CUDA version and architecture', () => {
    const inv = parseQueryXml(fixture('nvidia-smi-q-h100.xml'));
    expect(inv).toMatchObject({ source: 'xml', driverVersion: '580.159.04', cudaVersion: '13.0' });
    expect(inv.gpus).toEqual([
      expect.objectContaining({
        index: 0,
        name: 'NVIDIA H100 80GB HBM3',
        memoryTotalMiB: 81559,
        memoryFreeMiB: 81079,
        architecture: 'Hopper',
      }),
    ]);
  });

  it('refuses output it does not understand', () => {
    expect(() => parseQueryCsv('0, NVIDIA H100, 81559')).toThrow(/unexpected nvidia-smi CSV/);
    expect(() => parseQueryXml('<html></html>')).toThrow(/not nvidia-smi XML/);
  });

  it('reads the topology and spots cross-socket pairs', () => {
    expect(parseTopology(fixture('nvidia-smi-topo-h100.txt')).size).toBe(0);
    const four = [
      '\tGPU0\tGPU1\tGPU2\tGPU3\tCPU Affinity',
      'GPU0\t X \tNV18\tSYS\tSYS\t0-31',
      'GPU1\tNV18\t X \tSYS\tSYS\t0-31',
      'GPU2\tSYS\tSYS\t X \tPIX\t32-63',
      'GPU3\tSYS\tSYS\tPIX\t X \t32-63',
    ].join('\n');
    const links = parseTopology(four);
    expect(links.get('0-1')).toBe('NV18');
    expect(links.get('2-3')).toBe('PIX');
    expect(p2pUnreliable(links, [0, 1])).toBe(false);
    expect(p2pUnreliable(links, [2, 3])).toBe(false);
    expect(p2pUnreliable(links, [1, 2])).toBe(true);
  });
});

describe('detectGpus runs nvidia-smi (a stand-in script replaying the H100 fixtures)', () => {
  const standIn = nvidiaSmiStandIn;

  it('prefers the CSV query and takes the CUDA version from the XML report', async () => {
    const inv = await detectGpus(standIn(true));
    expect(inv).toMatchObject({ source: 'csv', driverVersion: '580.159.04', cudaVersion: '13.0' });
    expect(inv.gpus[0]).toMatchObject({ computeCapability: '9.0', memoryTotalMiB: 81559 });
  });

  it('falls back to the XML report when the CSV query fails (older drivers)', async () => {
    const inv = await detectGpus(standIn(false));
    expect(inv).toMatchObject({ source: 'xml', cudaVersion: '13.0' });
    expect(inv.gpus).toHaveLength(1);
  });

  it('finds no GPU where there is no nvidia-smi', async () => {
    expect(await detectGpus(join(scratchDir(), 'no-such-nvidia-smi'))).toEqual({ source: 'none', gpus: [] });
  });
});
