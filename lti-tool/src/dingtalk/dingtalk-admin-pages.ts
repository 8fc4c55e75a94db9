import { adminNav } from '../admin/admin-nav.js';
import type { LessonSummary } from '../lessons/lesson-repository.js';
import { dataTable } from '../web/data-table.js';
import { html } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import { page } from '../web/page.js';
import type { AssignmentSummary } from './assignment-repository.js';
import type { Corp } from './corp-repository.js';

/**
 * Back from DingTalk's sign-in: the SameSite=Strict session cookie goes with the next same-site
 * navigation, not with the redirect chain that began at DingTalk, so this page takes one more step.
 */
export function signedInPage(lang: Lang, to: string): string {
  return page(
    lang,
    t(lang, { en: 'Signed in', zh: '已登录' }),
    html`<main>
      <p role="status"><a href="${to}">${t(lang, { en: 'Signed in — continue', zh: '已登录，继续' })}</a></p>
    </main>`,
    html`<meta http-equiv="refresh" content="0;url=${to}" />`,
  );
}

/** DingTalk confirmed nobody who administers a connected organisation. */
export function signInRefusedPage(lang: Lang, why: string): string {
  return page(
    lang,
    t(lang, { en: 'Sign-in refused', zh: '登录被拒绝' }),
    html`<main>
      <h1>${t(lang, { en: 'Sign-in refused', zh: '登录被拒绝' })}</h1>
      <p class="error" role="alert">
        ${t(lang, {
          en: 'DingTalk did not confirm you as an administrator of a connected organisation.',
          zh: '钉钉未确认你是已接入组织的管理员。',
        })}
        (${why})
      </p>
      <p>
        <small>${t(lang, { en: 'Problem', zh: '问题代码' })}: <code>SIGN_IN_REFUSED</code></small>
      </p>
      <p><a href="/admin/login">${t(lang, { en: 'Back to sign-in', zh: '返回登录' })}</a></p>
    </main>`,
  );
}

/** The tool admins' list of organisations, and the form that connects one. */
export function corpsPage(lang: Lang, corps: readonly Corp[], invalid?: string): string {
  const heading = t(lang, { en: 'DingTalk organisations', zh: '钉钉组织' });
  const field = (name: string, label: { en: string; zh: string }, type = 'text', required = true) =>
    html`<label for="${name}">${t(lang, label)}</label>
      <input
        id="${name}"
        name="${name}"
        type="${type}"
        ${required ? html`required` : ''}
        autocomplete="off"
      />`;
  return page(
    lang,
    heading,
    html`${adminNav(lang, '/admin/dingtalk')}
      <main>
        <h1>${heading}</h1>
        ${invalid ? html`<p class="error" role="alert">${t(lang, { en: 'Check these fields', zh: '请检查以下字段' })}: ${invalid}</p>` : ''}
        <ul>
          ${corps.map(
            (c) =>
              html`<li>
                <a href="/admin/dingtalk/corps/${c.corpId}">${c.name}</a> (${c.corpId}, ${c.tenantId})
                <form method="post" action="/admin/dingtalk/corps/${c.corpId}/disconnect">
                  <label>
                    <input type="checkbox" name="confirm" value="yes" required />
                    ${t(lang, {
                      en: `Disconnect ${c.name}: its assignments and unsent notices are deleted, watch records stay`,
                      zh: `断开 ${c.name}：删除其分配和未发送的通知，保留学习记录`,
                    })}
                  </label>
                  <button type="submit">${t(lang, { en: 'Disconnect', zh: '断开' })}</button>
                </form>
              </li>`,
          )}
        </ul>
        <h2>${t(lang, { en: 'Connect an organisation', zh: '接入组织' })}</h2>
        <form method="post" action="/admin/dingtalk/corps">
          ${field('corpId', { en: 'CorpId', zh: 'CorpId' })} ${field('name', { en: 'Name', zh: '名称' })}
          ${field('tenantId', { en: 'Tenant (whose lessons it sees)', zh: '租户（可见其课程）' })}
          ${field('appKey', { en: 'AppKey (Client ID)', zh: 'AppKey（Client ID）' })}
          ${field('appSecret', { en: 'AppSecret', zh: 'AppSecret' }, 'password')}
          ${field('agentId', { en: 'AgentId', zh: 'AgentId' })}
          ${field('callbackToken', { en: 'Event subscription token (optional)', zh: '事件订阅 Token（可选）' }, 'text', false)}
          ${field('callbackAesKey', { en: 'Event subscription aes_key (optional)', zh: '事件订阅 aes_key（可选）' }, 'text', false)}
          ${field('adminUserids', { en: 'Admins (DingTalk user ids, comma separated)', zh: '管理员（钉钉 userid，逗号分隔）' }, 'text', false)}
          <p><button type="submit">${t(lang, { en: 'Save', zh: '保存' })}</button></p>
        </form>
      </main>`,
  );
}

/** An organisation's page: assign a lesson to departments or people, and how assignments went. */
export function corpPage(
  lang: Lang,
  o: {
    readonly corp: Corp;
    /** Signed in as the organisation's admin (not a tool admin): the navigation shows less. */
    readonly scoped: boolean;
    readonly lessons: readonly LessonSummary[];
    readonly assignments: readonly AssignmentSummary[];
    /** The organisation's top departments; undefined when DingTalk could not be asked. */
    readonly departments?: readonly { id: number; name: string }[];
    readonly message?: string;
    readonly error?: boolean;
  },
): string {
  // DingTalk's root department (id 1) is the whole organisation.
  const whole = { id: 1, name: t(lang, { en: 'Whole organisation', zh: '全员' }) };
  const picker = o.departments && [whole, ...o.departments];
  const deptName = new Map([whole, ...(o.departments ?? [])].map((x) => [x.id, x.name]));
  const heading = `${t(lang, { en: 'DingTalk', zh: '钉钉' })}: ${o.corp.name}`;
  return page(
    lang,
    heading,
    html`${adminNav(lang, '/admin/dingtalk', o.scoped)}
      <main>
        <h1>${heading}</h1>
        ${o.message ? html`<p class="${o.error ? 'error' : ''}" role="${o.error ? 'alert' : 'status'}">${o.message}</p>` : ''}
        <h2>${t(lang, { en: 'Assign a lesson', zh: '分配课程' })}</h2>
        ${
          o.lessons.length
            ? html`<form method="post" action="/admin/dingtalk/corps/${o.corp.corpId}/assignments">
                <label for="lessonId">${t(lang, { en: 'Lesson', zh: '课程' })}</label>
                <select id="lessonId" name="lessonId" required>
                  ${o.lessons.map((l) => html`<option value="${l.id}">${l.title}</option>`)}
                </select>
                <fieldset>
                  <legend>
                    ${t(lang, { en: 'Departments (with their sub-departments)', zh: '部门（含下级部门）' })}
                  </legend>
                  ${
                    picker
                      ? picker.map(
                          (dep) =>
                            html`<label
                              ><input type="checkbox" name="deptIds" value="${dep.id}" /> ${dep.name}</label
                            >`,
                        )
                      : html`<p class="error">
                          ${t(lang, { en: 'DingTalk’s departments could not be read just now.', zh: '暂时无法读取钉钉部门。' })}
                        </p>`
                  }
                </fieldset>
                <label for="userids"
                  >${t(lang, { en: 'People (DingTalk user ids, comma separated)', zh: '人员（钉钉 userid，逗号分隔）' })}</label
                >
                <textarea id="userids" name="userids" rows="2" cols="60"></textarea>
                <p>
                  <button type="submit">
                    ${t(lang, { en: 'Assign and notify', zh: '分配并发送工作通知' })}
                  </button>
                </p>
              </form>`
            : html`<p role="status">
                ${t(lang, {
                  en: 'No published lessons yet. Publish one from the LMS (Generate avatar lesson), then assign it here.',
                  zh: '还没有已发布的课程。请先在 LMS 中生成并发布课程，再在此分配。',
                })}
              </p>`
        }
        <h2>${t(lang, { en: 'Assignments', zh: '已分配' })}</h2>
        ${
          o.assignments.length
            ? dataTable({
                caption: t(lang, { en: 'Assignments', zh: '已分配' }),
                rows: o.assignments,
                columns: [
                  { header: t(lang, { en: 'Lesson', zh: '课程' }), cell: (a) => a.title },
                  {
                    header: t(lang, { en: 'Assigned to', zh: '分配给' }),
                    cell: (a) =>
                      'deptId' in a.target
                        ? `${t(lang, { en: 'Department', zh: '部门' })} ${deptName.get(a.target.deptId) ?? a.target.deptId}`
                        : a.target.userid,
                  },
                  { header: t(lang, { en: 'People', zh: '人数' }), cell: (a) => a.assignees },
                  { header: t(lang, { en: 'Notified', zh: '已通知' }), cell: (a) => a.notified },
                  { header: t(lang, { en: 'Not delivered', zh: '未送达' }), cell: (a) => a.failed },
                  { header: t(lang, { en: 'Completed', zh: '已完成' }), cell: (a) => a.completed },
                ],
              })
            : html`<p>${t(lang, { en: 'Nothing assigned yet.', zh: '尚未分配任何课程。' })}</p>`
        }
        <p>
          <a href="/admin/progress?tenant=${encodeURIComponent(o.corp.tenantId)}"
            >${t(lang, { en: 'Completion dashboard', zh: '完成情况看板' })}</a
          >
        </p>
      </main>`,
  );
}
