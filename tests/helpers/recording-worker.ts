import type { Job } from 'bullmq';
import pino from 'pino';
import type { JobRegistry } from '../../lti-tool/src/jobs/job-registry.js';
import { OutboxWorker } from '../../lti-tool/src/jobs/outbox-worker.js';
import type { GradeKey } from '../../lti-tool/src/grades/grade-key.js';

/** The smallest outbox worker, on the grades queue: records the payloads it was given. */
export class RecordingWorker extends OutboxWorker<'grades'> {
  readonly worked: GradeKey[] = [];
  constructor(r: JobRegistry) {
    super('grades', {
      registry: r,
      log: pino({ level: 'silent' }),
      backoffMs: 10,
      maxBackoffMs: 20,
      relaySec: 3600,
      concurrency: 1,
    });
  }
  /** Until the worker's connections are up and it waits for jobs. */
  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }
  protected async work(_job: Job<GradeKey>, key: GradeKey): Promise<void> {
    this.worked.push(key);
  }
  protected async relay(): Promise<void> {}
  protected async completed(): Promise<void> {}
  async backlog(): Promise<Record<string, number>> {
    return { pending: this.worked.length };
  }
}
