/**
 * Work-notice benchmark (issue: DingTalk bridge). One lesson assigned to a department of `--people`
 * (10,000) against the DINGTALK API SIMULATOR, with DingTalk's limits as documented: the per-app,
 * per-API calls a second (`--qps`, 20), 5,000 recipients an app a minute (past it DingTalk answers
 * "sent" and delivers nothing), the same card once a day per person. The tool runs with its default
 * DingTalk settings. Reported: the sends, how long until everyone was sent to and settled, the most
 * calls in any second and recipients in any minute, and how many DingTalk dropped (it should be 0).
 *   npx tsx bench/dingtalk-notices.ts [--people 10000] [--qps 20]
 * A real lesson is rendered and published first (a render node and the reference platform), as the
 * assignment needs one.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ReferencePlatform } from '../reference-platform/src/reference-platform.js';
import { DingTalkSimulator } from '../dingtalk-simulator/src/dingtalk-simulator.js';
import { createTestDatabase, startTestTool, toolConfig } from '../tests/helpers/farm.js';
import { publishLesson, registerManually } from '../tests/helpers/lti.js';
import { makeSpeech } from '../tests/helpers/speech.js';
import { recordFigures } from './bench-results.js';
import { arg } from './bench-args.js';

const PEOPLE = Number(arg('--people', '10000'));
const QPS = Number(arg('--qps', '20'));
const CORP = 'ding-corp-bench';

const sim = await new DingTalkSimulator().start();
sim.addApp({ corpId: CORP, appKey: 'ding-app-bench', appSecret: 'bench-secret-0123', agentId: '4001' });
sim.addDepartment({ corpId: CORP, id: 2, name: 'Everyone', parentId: 1 });
for (let i = 0; i < PEOPLE; i++)
  sim.addUser({ corpId: CORP, userid: `p${i}`, unionid: `u${i}`, name: `Person ${i}`, deptIds: [2] });
sim.perSecondLimit = QPS;

const db = await createTestDatabase();
const config = await toolConfig({
  VT_DATABASE_URL: db.url,
  VT_DINGTALK_OAPI_URL: sim.url,
  VT_DINGTALK_API_URL: sim.url,
  VT_DINGTALK_LOGIN_URL: sim.url,
  VT_DINGTALK_CHECK_AFTER_MS: '1000',
});
const tool = await startTestTool(config);
const platform = await new ReferencePlatform().start();
const sql = new pg.Client({ connectionString: db.url });
await sql.connect();
try {
  const reg = await registerManually(tool, platform);
  const speech = await makeSpeech([{ say: 'Welcome to the quarterly safety briefing.' }]);
  const { lessonId } = await publishLesson(tool, platform, reg, {
    queuePrefix: config.VT_QUEUE_PREFIX,
    title: `Safety briefing ${randomBytes(2).toString('hex')}`,
    audio: speech.path,
  });
  const { rows } = await sql.query<{ tenant_id: string }>('SELECT tenant_id FROM lessons WHERE id = $1', [
    lessonId,
  ]);
  await tool.dingtalk.corps.save({
    corpId: CORP,
    tenantId: rows[0]!.tenant_id,
    name: 'Bench Co',
    appKey: 'ding-app-bench',
    appSecret: 'bench-secret-0123',
    agentId: '4001',
    eventChannel: 'http',
  });
  const corp = (await tool.dingtalk.corps.get(CORP))!;

  const started = Date.now();
  const { assignees } = await tool.dingtalk.assignments.assign(corp, {
    lessonId,
    deptIds: [2],
    userids: [],
    assignedBy: 'bench',
  });
  const assigned = Date.now() - started;
  const count = async (status: string): Promise<number> =>
    Number(
      (
        await sql.query<{ n: string }>('SELECT count(*) AS n FROM dingtalk_notices WHERE status = $1', [
          status,
        ])
      ).rows[0]!.n,
    );
  let allSent = 0;
  for (const deadline = Date.now() + 10 * 60_000; Date.now() < deadline;) {
    const [pending, sent] = [await count('pending'), await count('sent')];
    if (!allSent && pending === 0) allSent = Date.now() - started;
    if (pending === 0 && sent === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const settled = Date.now() - started;
  const [delivered, failed] = [await count('delivered'), await count('failed')];

  const at = sim.sends.map((s) => s.at).sort((a, b) => a - b);
  const mostIn = (ms: number, weight: (i: number) => number): number => {
    let best = 0;
    for (let i = 0, j = 0, sum = 0; j < at.length; j++) {
      sum += weight(j);
      while (at[j]! - at[i]! >= ms) sum -= weight(i++);
      best = Math.max(best, sum);
    }
    return best;
  };
  const sizes = [...sim.sends].sort((a, b) => a.at - b.at).map((s) => s.userids.length);
  const limited = sim.calls.filter((c) => c.errcode === 90018).length;
  const dropped = PEOPLE - new Set(sim.sends.flatMap((s) => s.userids)).size + failed;

  console.log(
    `DingTalk work notices: ${assignees} people in one department, DingTalk at ${QPS} calls/s per API`,
  );
  console.log(`  assign (resolve the department, write the outbox): ${(assigned / 1000).toFixed(2)} s`);
  console.log(`  sends: ${sim.sends.length} (at most ${Math.max(...sizes)} people each)`);
  console.log(
    `  everyone sent to after ${(allSent / 1000).toFixed(1)} s; all settled after ${(settled / 1000).toFixed(1)} s`,
  );
  console.log(`  most sends in any second: ${mostIn(1000, () => 1)} (limit ${QPS})`);
  console.log(
    `  most recipients in any minute: ${mostIn(60_000, (i) => sizes[i]!)} (DingTalk's limit 5,000)`,
  );
  console.log(`  delivered ${delivered}, failed ${failed}; dropped by DingTalk's limits: ${dropped}`);
  console.log(`  rate-limit answers (90018) on any API: ${limited}`);

  // The monthly quota (5,000 calls for a standard-edition organisation): what the assignment cost,
  // then what 1,000 completions cost (the learners' notices and the admins' daily summary).
  const assignmentCalls = sim.countedCalls(CORP);
  const DONE = Math.min(1000, PEOPLE);
  await sql.query(`UPDATE dingtalk_corps SET admin_userids = '{bench}' WHERE corp_id = $1`, [CORP]);
  await sql.query(
    `INSERT INTO dingtalk_users (corp_id, userid, user_key, name)
     SELECT $1, 'p' || i, 'dt:' || $1 || ':p' || i, 'Person ' || i FROM generate_series(0, $2 - 1) i`,
    [CORP, DONE],
  );
  await sql.query(
    `INSERT INTO watch_progress (lesson_id, user_id, tenant_id, context_id, platform_id, user_name, intervals,
       duration_sec, coverage, completed_at)
     SELECT l.id, 'dt:' || $2 || ':p' || i, l.tenant_id, l.context_id, 'bench', 'Person ' || i, '[]', 60, 1,
       now() - interval '1 day'
     FROM lessons l, generate_series(0, $3 - 1) i WHERE l.id = $1`,
    [lessonId, CORP, DONE],
  );
  const before = sim.countedCalls(CORP);
  await tool.dingtalk.reports.report();
  await tool.dingtalk.reports.summarize(tool.dingtalk.reports.yesterday());
  for (const deadline = Date.now() + 5 * 60_000; Date.now() < deadline;) {
    if ((await count('pending')) === 0 && (await count('sent')) === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const completionCalls = sim.countedCalls(CORP) - before;
  const per100 = (100 * assignmentCalls) / assignees;
  console.log('  monthly quota (calls that count; 5,000 a month for a standard-edition organisation):');
  console.log(
    `    ${assignees} people in one department: ${assignmentCalls} calls = ${per100.toFixed(2)} per 100 people` +
      ' (one send and one result per 100: target ≤ 2.1 per 100 one by one)',
  );
  console.log(
    `    ${DONE} completions (learners' notices and the daily summary): ${completionCalls} calls` +
      ` = ${((100 * completionCalls) / 5000).toFixed(1)} % of the month`,
  );
  await recordFigures('dingtalk', [
    { name: 'everyone sent to', figure: allSent / 1000, unit: 's' },
    { name: 'dropped by DingTalk’s limits', figure: dropped, unit: 'people' },
    { name: 'quota calls per 100 people assigned', figure: per100, unit: 'calls' },
    { name: `quota calls for ${DONE} completions`, figure: completionCalls, unit: 'calls' },
  ]);
} finally {
  await sql.end();
  await platform.close();
  await tool.close();
  await sim.close();
  await db.drop();
}
