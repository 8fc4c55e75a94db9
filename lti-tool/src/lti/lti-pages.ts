import { LIVEAVATAR } from '../../../render-node/src/engines/liveavatar/cli-flags.js';
import { SUPPORTED_SIZES } from '../../../render-node/src/render-size.js';
import type { LessonSummary } from '../lessons/lesson-repository.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import { page } from '../web/page.js';

const head = (token: string, script: string, lang: Lang): SafeHtml =>
  html`<meta name="vt-session" content="${token}" />
    <meta name="vt-lang" content="${lang}" />
    <link rel="stylesheet" href="/static/lti.css" />
    <script type="module" src="/static/${script}"></script>`;

/** The author's studio, opened by a deep-linking launch. */
export function studioPage(
  lang: Lang,
  o: { token: string; context?: { title?: string; label?: string }; lessons: readonly LessonSummary[] },
): string {
  const title = t(lang, { en: 'Generate avatar lesson', zh: '生成数字人课程' });
  const ready = o.lessons.filter((l) => l.publishedRenderId ?? l.latestDoneRenderId);
  return page(
    lang,
    title,
    html`<main>
      <h1>${title}</h1>
      <p>${o.context?.title ?? ''}</p>
      ${
        ready.length
          ? html`<section aria-labelledby="existing-h">
              <h2 id="existing-h">${t(lang, { en: 'Lessons of this course', zh: '本课程已有课程' })}</h2>
              <ul>
                ${ready.map(
                  (l) =>
                    html`<li>
                      <form method="post" action="/lti/studio/publish" class="inline">
                        <input type="hidden" name="session" value="${o.token}" />
                        <input type="hidden" name="lessonId" value="${l.id}" />
                        <input type="hidden" name="title" value="${l.title}" />
                        <span>${l.title}</span>
                        <button type="submit">${t(lang, { en: 'Add to course', zh: '添加到课程' })}</button>
                      </form>
                    </li>`,
                )}
              </ul>
            </section>`
          : html``
      }
      <form id="studio" novalidate>
        <h2>${t(lang, { en: 'New lesson', zh: '新课程' })}</h2>
        <label for="title">${t(lang, { en: 'Title', zh: '标题' })}</label>
        <input id="title" name="title" required maxlength="200" />
        <label for="portrait"
          >${t(lang, { en: 'Portrait (photo of the presenter)', zh: '人像（讲师照片）' })}</label
        >
        <input id="portrait" name="portrait" type="file" accept="image/png,image/jpeg,image/webp" required />
        <div class="face-preview" hidden>
          <img id="portrait-img" alt="${t(lang, { en: 'Portrait preview', zh: '人像预览' })}" />
          <div id="face-box" aria-hidden="true"></div>
        </div>
        <p id="face-status" role="status" aria-live="polite"></p>
        <label for="audio">${t(lang, { en: 'Voice recording', zh: '语音录音' })}</label>
        <input id="audio" name="audio" type="file" accept="audio/*" required />
        <label for="prompt">${t(lang, { en: 'Scene prompt', zh: '场景描述' })}</label>
        <textarea id="prompt" name="prompt" rows="3" maxlength="4000"></textarea>
        <label for="engine">${t(lang, { en: 'Engine', zh: '渲染引擎' })}</label>
        <select id="engine" name="engine">
          <option value="preview">
            ${t(lang, { en: 'Preview (fast, any machine)', zh: '预览（快速，任意机器）' })}
          </option>
          <option value="liveavatar">
            ${t(lang, { en: 'Live Avatar (photoreal, GPU)', zh: 'Live Avatar（写实，需 GPU）' })}
          </option>
        </select>
        <label for="size">${t(lang, { en: 'Size', zh: '尺寸' })}</label>
        <select
          id="size"
          name="size"
          data-preview="${SUPPORTED_SIZES.join(',')}"
          data-liveavatar="${LIVEAVATAR.sizes.join(',')}"
        >
          ${SUPPORTED_SIZES.map((s) => html`<option ${s === '688*368' ? 'selected' : ''}>${s}</option>`)}
        </select>
        <p><button type="submit">${t(lang, { en: 'Render lesson', zh: '开始渲染' })}</button></p>
        <p id="studio-error" class="error" role="alert"></p>
      </form>
      <section id="progress-section" hidden aria-labelledby="progress-h">
        <h2 id="progress-h">${t(lang, { en: 'Rendering', zh: '渲染中' })}</h2>
        <progress id="progress" max="100" value="0" aria-labelledby="progress-h"></progress>
        <p id="progress-text" role="status" aria-live="polite"></p>
      </section>
      <section id="preview-section" hidden aria-labelledby="preview-h">
        <h2 id="preview-h">${t(lang, { en: 'Preview', zh: '预览' })}</h2>
        <video id="preview" controls playsinline preload="metadata"></video>
        <form id="publish" method="post" action="/lti/studio/publish">
          <input type="hidden" name="session" value="${o.token}" />
          <input type="hidden" name="renderId" />
          <input type="hidden" name="title" />
          <label for="text">${t(lang, { en: 'Description for learners', zh: '给学员的说明' })}</label>
          <textarea id="text" name="text" rows="2" maxlength="1000"></textarea>
          <label for="scoreMaximum">${t(lang, { en: 'Points in the gradebook', zh: '成绩册分值' })}</label>
          <input id="scoreMaximum" name="scoreMaximum" type="number" min="1" max="1000" value="100" />
          <p><button type="submit">${t(lang, { en: 'Publish to course', zh: '发布到课程' })}</button></p>
        </form>
      </section>
    </main>`,
    head(o.token, 'studio.js', lang),
  );
}

/** The lesson player, opened by a resource-link launch; instructors also see the render status. */
export function playerPage(
  lang: Lang,
  o: { token: string; role: 'instructor' | 'learner'; lesson: LessonSummary; media?: string },
): string {
  return page(
    lang,
    o.lesson.title,
    html`<main>
      <h1>${o.lesson.title}</h1>
      ${
        o.media
          ? html`<div class="player">
              <video id="player" controls playsinline preload="metadata" poster="${o.media}poster.jpg">
                <source src="${o.media}hls/index.m3u8" type="application/vnd.apple.mpegurl" />
                <source src="${o.media}lesson.mp4" type="video/mp4" />
                ${t(lang, { en: 'Your browser cannot play this video.', zh: '您的浏览器无法播放此视频。' })}
              </video>
            </div>`
          : html`<p role="status">
              ${t(lang, { en: 'This lesson is not ready yet.', zh: '本课程尚未准备好。' })}
            </p>`
      }
      ${
        o.role === 'instructor'
          ? html`<section aria-labelledby="status-h" class="instructor">
              <h2 id="status-h">${t(lang, { en: 'Render status', zh: '渲染状态' })}</h2>
              <p data-render-state="${o.lesson.latest?.state ?? 'none'}">
                ${o.lesson.latest?.state ?? '—'}
                ${
                  o.lesson.latest?.percent !== undefined && o.lesson.latest.state !== 'done'
                    ? html` · ${Math.round(o.lesson.latest.percent)} %`
                    : html``
                }
              </p>
              <p>
                ${t(lang, {
                  en: 'To re-render or edit, open “Generate avatar lesson” in this course and pick this lesson.',
                  zh: '如需重新渲染或编辑，请在本课程中打开“生成数字人课程”并选择此课程。',
                })}
              </p>
            </section>`
          : html``
      }
    </main>`,
    head(o.token, 'player.js', lang),
  );
}
