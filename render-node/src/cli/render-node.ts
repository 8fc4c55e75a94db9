#!/usr/bin/env node
import { pino } from 'pino';
import { hostname } from 'node:os';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { loadConfig } from '../config.js';
import type { EngineName } from '../contract/render-job.js';
import { probeLiveAvatar } from '../engines/liveavatar/liveavatar-rig.js';
import { startHealthServer } from '../node/health-server.js';
import { newNodeId, NodePresence } from '../node/node-presence.js';
import { startRenderWorkers } from '../node/render-worker.js';

const VERSION = '0.1.0';

const program = new Command()
  .name('render-node')
  .description('Virtual Tutor render node: takes render jobs from Redis');

program
  .command('start')
  .description(
    'connect to Redis, announce this node and render jobs until stopped (SIGTERM finishes the current jobs, ' +
      'or hands them back after VT_SHUTDOWN_GRACE_SEC; a second signal hands them back at once)',
  )
  .option('--node-id <id>', 'stable name of this node (default: hostname + random suffix)')
  .option('--concurrency <n>', 'jobs at a time (default: 1 per GPU, or 1 on CPU)')
  .action(async (o: { nodeId?: string; concurrency?: string }) => {
    const config = loadConfig();
    // Live Avatar is offered only where a plan fits the GPUs and the model's files are all here.
    const { inventory, availability, rig } = await probeLiveAvatar(config);
    const engines: EngineName[] = rig ? ['preview', 'liveavatar'] : ['preview'];
    const concurrency = Number(o.concurrency ?? Math.max(1, inventory.gpus.length));
    if (!Number.isInteger(concurrency) || concurrency < 1)
      program.error('--concurrency must be a whole number ≥ 1');
    const redis = new Redis(config.VT_REDIS_URL, { maxRetriesPerRequest: null });
    redis.on('error', () => {}); // ioredis reconnects by itself; the health endpoint reports the state
    const presence = new NodePresence(
      redis,
      {
        nodeId: o.nodeId ?? newNodeId(),
        hostname: hostname(),
        version: VERSION,
        engines,
        gpus: inventory.gpus,
        concurrency,
        startedAt: new Date().toISOString(),
      },
      `${config.VT_QUEUE_PREFIX}:`,
    );
    await presence.start();
    const farm = await startRenderWorkers({
      connection: redis,
      presence,
      config,
      prefix: config.VT_QUEUE_PREFIX,
      liveavatar: rig,
      log: pino({ base: { node: presence.identity.nodeId } }),
    });
    const health = config.VT_NODE_HEALTH_PORT
      ? await startHealthServer(
          { port: config.VT_NODE_HEALTH_PORT, host: config.VT_NODE_HEALTH_HOST },
          redis,
          presence,
        )
      : undefined;
    // Why Live Avatar is not offered comes first: "ready" is the last line of a start (whoever waits
    // for it has read everything before it).
    if (!rig) console.log(`render-node: liveavatar: ${availability.reasons.join(' ')}`);
    console.log(
      `render-node ${presence.identity.nodeId} ready: engines ${engines.join(', ')}, concurrency ${concurrency}, ` +
        `${inventory.gpus.length} GPU(s)` +
        (rig ? `; liveavatar: ${rig.plan.summary}` : '; liveavatar not offered here'),
    );
    let stopping = false;
    const stop = async (): Promise<void> => {
      if (stopping) {
        console.log('render-node: handing the current jobs back to the queue…');
        farm.handBack();
        return;
      }
      stopping = true;
      console.log('render-node: stopping; finishing the current jobs…');
      await farm.close(config.VT_SHUTDOWN_GRACE_SEC);
      health?.close();
      await presence.stop();
      await redis.quit();
      console.log('render-node: stopped');
    };
    process.on('SIGTERM', () => void stop());
    process.on('SIGINT', () => void stop());
  });

await program.parseAsync();
