import { adminPage } from '../admin/admin-page.js';
import type { LessonSummary } from '../lessons/lesson-repository.js';
import { dataTable } from '../web/data-table.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang, type Bilingual } from '../web/i18n.js';
import { page } from '../web/page.js';
import type { AssignmentSummary } from './assignment-repository.js';
import type { Corp } from './corp-repository.js';
import type { MonthUsage } from './api-usage.js';
import { msg } from '../messages/messages.js';

/**
 * Back from DingTalk's sign-in: the SameSite=Strict session cookie goes with the next same-site
 * navigation, not with the redirect chain that began at DingTalk, so this page takes one more step.
 */
export function signedInPage(lang: Lang, to: string): string {
  return page(
    lang,
    t(lang, msg.dingtalkAdminPages.signedIn),
    html`<main>
      <p role="status"><a href="${to}">${t(lang, msg.dingtalkAdminPages.signedInContinue)}</a></p>
    </main>`,
    html`<meta http-equiv="refresh" content="0;url=${to}" />`,
  );
}

/** DingTalk confirmed nobody who administers a connected organisation. */
export function signInRefusedPage(lang: Lang, why: string): string {
  return page(
    lang,
    t(lang, msg.dingtalkAdminPages.signInRefused),
    html`<main>
      <h1>${t(lang, msg.dingtalkAdminPages.signInRefused)}</h1>
      <p class="error" role="alert">${t(lang, msg.dingtalkAdminPages.dingtalkDidNotConfirmYou)} (${why})</p>
      <p>
        <small>${t(lang, msg.dingtalkAdminPages.problem)}: <code>SIGN_IN_REFUSED</code></small>
      </p>
      <p><a href="/admin/login">${t(lang, msg.dingtalkAdminPages.backToSignIn)}</a></p>
    </main>`,
  );
}

/** The tool admins' list of organisations, and the form that connects one. */
export function corpsPage(lang: Lang, corps: readonly Corp[], invalid?: string): string {
  const heading = t(lang, msg.dingtalkAdminPages.dingtalkOrganisations);
  const field = (name: string, label: Bilingual, type = 'text', required = true) =>
    html`<label for="${name}">${t(lang, label)}</label>
      <input
        id="${name}"
        name="${name}"
        type="${type}"
        ${required ? html`required` : ''}
        autocomplete="off"
      />`;
  return adminPage(
    lang,
    {
      current: '/admin/dingtalk',
      heading,
      error: invalid ? `${t(lang, msg.dingtalkAdminPages.checkTheseFields)}: ${invalid}` : undefined,
    },
    html`<ul>
        ${corps.map(
          (c) =>
            html`<li>
              <a href="/admin/dingtalk/corps/${c.corpId}">${c.name}</a> (${c.corpId}, ${c.tenantId})
              <form method="post" action="/admin/dingtalk/corps/${c.corpId}/disconnect">
                <label>
                  <input type="checkbox" name="confirm" value="yes" required />
                  ${t(lang, msg.dingtalkAdminPages.disconnectItsAssignmentsAndUnsent(c.name))}
                </label>
                <button type="submit">${t(lang, msg.dingtalkAdminPages.disconnect)}</button>
              </form>
            </li>`,
        )}
      </ul>
      <h2>${t(lang, msg.dingtalkAdminPages.connectAnOrganisation)}</h2>
      <form method="post" action="/admin/dingtalk/corps">
        ${field('corpId', msg.dingtalkAdminPages.corpid)} ${field('name', msg.dingtalkAdminPages.name)}
        ${field('tenantId', msg.dingtalkAdminPages.tenantWhoseLessonsItSees)}
        ${field('appKey', msg.dingtalkAdminPages.appkeyClientId)}
        ${field('appSecret', msg.dingtalkAdminPages.appsecret, 'password')}
        ${field('agentId', msg.dingtalkAdminPages.agentid)}
        <fieldset>
          <legend>${t(lang, msg.dingtalkAdminPages.eventsReachTheTool)}</legend>
          <label
            ><input type="radio" name="eventChannel" value="stream" checked />
            ${t(lang, msg.dingtalkAdminPages.streamMode)}</label
          >
          <label
            ><input type="radio" name="eventChannel" value="http" />
            ${t(lang, msg.dingtalkAdminPages.httpPush)}</label
          >
        </fieldset>
        ${field('callbackToken', msg.dingtalkAdminPages.eventSubscriptionTokenOptional, 'text', false)}
        ${field('callbackAesKey', msg.dingtalkAdminPages.eventSubscriptionAesKeyOptional, 'text', false)}
        ${field('adminUserids', msg.dingtalkAdminPages.adminsDingtalkUserIdsComma, 'text', false)}
        <p><button type="submit">${t(lang, msg.dingtalkAdminPages.save)}</button></p>
      </form>`,
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
    /** This month's calls against DingTalk's quota. */
    readonly usage: MonthUsage;
    readonly message?: string;
    readonly error?: boolean;
  },
): string {
  // DingTalk's root department (id 1) is the whole organisation.
  const whole = { id: 1, name: t(lang, msg.dingtalkAdminPages.wholeOrganisation) };
  const picker = o.departments && [whole, ...o.departments];
  const deptName = new Map([whole, ...(o.departments ?? [])].map((x) => [x.id, x.name]));
  const heading = `${t(lang, msg.dingtalkAdminPages.dingtalk)}: ${o.corp.name}`;
  return adminPage(
    lang,
    {
      current: '/admin/dingtalk',
      heading,
      scoped: o.scoped,
      notice: o.error ? undefined : o.message,
      error: o.error ? o.message : undefined,
    },
    html`<h2>${t(lang, msg.dingtalkAdminPages.assignALesson)}</h2>
      ${
        o.lessons.length
          ? html`<form method="post" action="/admin/dingtalk/corps/${o.corp.corpId}/assignments">
              <label for="lessonId">${t(lang, msg.dingtalkAdminPages.lesson)}</label>
              <select id="lessonId" name="lessonId" required>
                ${o.lessons.map((l) => html`<option value="${l.id}">${l.title}</option>`)}
              </select>
              <fieldset>
                <legend>${t(lang, msg.dingtalkAdminPages.departmentsWithTheirSubDepartments)}</legend>
                ${
                  picker
                    ? picker.map(
                        (dep) =>
                          html`<label
                            ><input type="checkbox" name="deptIds" value="${dep.id}" /> ${dep.name}</label
                          >`,
                      )
                    : html`<p class="error">
                        ${t(lang, msg.dingtalkAdminPages.dingtalksDepartmentsCouldNotBe)}
                      </p>`
                }
              </fieldset>
              <label for="userids">${t(lang, msg.dingtalkAdminPages.peopleDingtalkUserIdsComma)}</label>
              <textarea id="userids" name="userids" rows="2" cols="60"></textarea>
              <p>
                <button type="submit">${t(lang, msg.dingtalkAdminPages.assignAndNotify)}</button>
              </p>
            </form>`
          : html`<p role="status">${t(lang, msg.dingtalkAdminPages.noPublishedLessonsYetPublish)}</p>`
      }
      <h2>${t(lang, msg.dingtalkAdminPages.assignments)}</h2>
      ${
        o.assignments.length
          ? dataTable({
              caption: t(lang, msg.dingtalkAdminPages.assignments),
              rows: o.assignments,
              columns: [
                { header: t(lang, msg.dingtalkAdminPages.lesson), cell: (a) => a.title },
                {
                  header: t(lang, msg.dingtalkAdminPages.assignedTo),
                  cell: (a) =>
                    'deptId' in a.target
                      ? `${t(lang, msg.dingtalkAdminPages.department)} ${deptName.get(a.target.deptId) ?? a.target.deptId}`
                      : a.target.userid,
                },
                { header: t(lang, msg.dingtalkAdminPages.people), cell: (a) => a.assignees },
                { header: t(lang, msg.dingtalkAdminPages.notified), cell: (a) => a.notified },
                { header: t(lang, msg.dingtalkAdminPages.notDelivered), cell: (a) => a.failed },
                { header: t(lang, msg.dingtalkAdminPages.completed), cell: (a) => a.completed },
              ],
            })
          : html`<p>${t(lang, msg.dingtalkAdminPages.nothingAssignedYet)}</p>`
      }
      <p>
        <a href="/admin/progress?tenant=${encodeURIComponent(o.corp.tenantId)}"
          >${t(lang, msg.dingtalkAdminPages.completionDashboard)}</a
        >
      </p>
      ${quotaSection(lang, o.usage)}`,
  );
}

/**
 * The month's DingTalk calls against the organisation's quota: a meter, and what the bridge does
 * about it when calls run short or out.
 */
function quotaSection(lang: Lang, u: MonthUsage): SafeHtml {
  const left = Math.max(0, u.quota - u.calls);
  const until = u.exhaustedUntil && u.exhaustedUntil.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  return html`<h2 id="quota">${t(lang, msg.dingtalkAdminPages.apiCallsThisMonth)}</h2>
    <p>
      <label for="quota-meter">${t(lang, msg.dingtalkAdminPages.callsUsed(u.month, u.calls, u.quota))}</label>
      <meter
        id="quota-meter"
        min="0"
        max="${u.quota}"
        low="${u.quota * 0.6}"
        high="${u.quota * 0.8}"
        optimum="0"
        value="${Math.min(u.calls, u.quota)}"
      ></meter>
    </p>
    ${
      until
        ? html`<p class="error" role="alert">${t(lang, msg.dingtalkAdminPages.quotaUsedUp(until))}</p>`
        : u.tight
          ? html`<p class="error" role="alert">${t(lang, msg.dingtalkAdminPages.quotaTight(left))}</p>`
          : ''
    }
    <p><small>${t(lang, msg.dingtalkAdminPages.quotaExplained)}</small></p>
    <p><small>${t(lang, msg.dingtalkAdminPages.whyPersonByPerson)}</small></p>`;
}
