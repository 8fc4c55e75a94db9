import { LIVEAVATAR } from '../../../render-node/src/engines/liveavatar/cli-flags.js';
import { SUPPORTED_SIZES } from '../../../render-node/src/render-size.js';
import type { LessonSummary } from '../lessons/lesson-repository.js';
import type { NarrationRecord } from '../narration/narration-service.js';
import { captionsName } from '../narration/narration-tracks.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import { page } from '../web/page.js';

const head = (token: string, script: string, lang: Lang): SafeHtml =>
  html`<meta name="vt-session" content="${token}" />
    <meta name="vt-lang" content="${lang}" />
    <link rel="stylesheet" href="/static/lti.css" />
    <script type="module" src="/static/${script}"></script>`;

/** The engine and size choices (sizes per engine in data attributes; lti-client.js keeps them in step). */
function engineAndSize(lang: Lang, o: { engine?: string; size?: string }): SafeHtml {
  const engine = o.engine === 'liveavatar' ? 'liveavatar' : 'preview';
  const sizes: readonly string[] = engine === 'preview' ? SUPPORTED_SIZES : LIVEAVATAR.sizes;
  const size = o.size && sizes.includes(o.size) ? o.size : '688*368';
  return html`<label for="engine">${t(lang, { en: 'Engine', zh: '渲染引擎' })}</label>
    <select id="engine" name="engine">
      <option value="preview" ${engine === 'preview' ? 'selected' : ''}>
        ${t(lang, { en: 'Preview (fast, any machine)', zh: '预览（快速，任意机器）' })}
      </option>
      <option value="liveavatar" ${engine === 'liveavatar' ? 'selected' : ''}>
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
      ${sizes.map((s) => html`<option ${s === size ? 'selected' : ''}>${s}</option>`)}
    </select>`;
}

/** The progress bar of a render, and where it says what happens. */
function progressSection(lang: Lang): SafeHtml {
  return html`<section id="progress-section" hidden aria-labelledby="progress-h">
    <h2 id="progress-h">${t(lang, { en: 'Rendering', zh: '渲染中' })}</h2>
    <progress id="progress" max="100" value="0" aria-labelledby="progress-h"></progress>
    <p id="progress-text" role="status" aria-live="polite"></p>
  </section>`;
}

/** The lesson's voice: a recording, or a script the product speaks (previewed before rendering). */
function voiceFields(lang: Lang): SafeHtml {
  return html`<fieldset id="voice-source">
      <legend>${t(lang, { en: 'Voice', zh: '语音' })}</legend>
      <label
        ><input type="radio" name="voiceSource" value="recording" checked />
        ${t(lang, { en: 'Upload a recording', zh: '上传录音' })}</label
      >
      <label
        ><input type="radio" name="voiceSource" value="script" />
        ${t(lang, { en: 'Write a script to be spoken', zh: '编写讲稿，由系统朗读' })}</label
      >
    </fieldset>
    <div id="recording-fields">
      <label for="audio">${t(lang, { en: 'Voice recording', zh: '语音录音' })}</label>
      <input id="audio" name="audio" type="file" accept="audio/*" />
    </div>
    <div id="script-fields" hidden>
      <label for="script"
        >${t(lang, {
          en: 'Script (Markdown: # headings become chapters)',
          zh: '讲稿（Markdown 格式：# 标题将成为章节）',
        })}</label
      >
      <textarea id="script" name="script" rows="10" aria-describedby="script-count"></textarea>
      <p id="script-count" class="hint"></p>
      <label for="language">${t(lang, { en: 'Language', zh: '语言' })}</label>
      <select id="language" name="language">
        <option value="en" ${lang === 'en' ? 'selected' : ''}>English</option>
        <option value="zh" ${lang === 'zh' ? 'selected' : ''}>中文（普通话）</option>
      </select>
      <label for="voice">${t(lang, { en: 'Speaker', zh: '发音人' })}</label>
      <select id="voice" name="voice"></select>
      <p>
        <button type="button" id="preview-speech">${t(lang, { en: 'Preview speech', zh: '试听' })}</button>
      </p>
      <audio id="speech-preview" controls hidden></audio>
      <p id="speech-status" role="status" aria-live="polite"></p>
    </div>`;
}

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
        ${voiceFields(lang)}
        <label for="prompt">${t(lang, { en: 'Scene prompt', zh: '场景描述' })}</label>
        <textarea id="prompt" name="prompt" rows="3" maxlength="4000"></textarea>
        ${engineAndSize(lang, {})}
        <p><button type="submit">${t(lang, { en: 'Render lesson', zh: '开始渲染' })}</button></p>
        <p id="studio-status" role="status" aria-live="polite"></p>
        <p id="studio-error" class="error" role="alert"></p>
      </form>
      ${progressSection(lang)}
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
          <label for="completion"
            >${t(lang, { en: 'Completed when watched (%)', zh: '观看达到多少（%）算完成' })}</label
          >
          <input id="completion" name="completion" type="number" min="1" max="100" value="90" />
          <p><button type="submit">${t(lang, { en: 'Publish to course', zh: '发布到课程' })}</button></p>
        </form>
      </section>
    </main>`,
    head(o.token, 'studio.js', lang),
  );
}

export interface LessonEdit {
  readonly portrait: string;
  readonly audio: string;
  readonly prompt: string;
  readonly engine: string;
  readonly size: string;
}

/** The instructor's edit of a published lesson: new title, prompt, engine or size; same presenter and voice. */
function rerenderForm(lang: Lang, lesson: LessonSummary, edit: LessonEdit): SafeHtml {
  return html`<form id="rerender" novalidate data-lesson="${lesson.id}">
      <h2>${t(lang, { en: 'Edit and re-render', zh: '编辑并重新渲染' })}</h2>
      <input type="hidden" name="portrait" value="${edit.portrait}" />
      <input type="hidden" name="audio" value="${edit.audio}" />
      <label for="title">${t(lang, { en: 'Title', zh: '标题' })}</label>
      <input id="title" name="title" required maxlength="200" value="${lesson.title}" />
      <label for="prompt">${t(lang, { en: 'Scene prompt', zh: '场景描述' })}</label>
      <textarea id="prompt" name="prompt" rows="3" maxlength="4000">${edit.prompt}</textarea>
      ${engineAndSize(lang, edit)}
      <p><button type="submit">${t(lang, { en: 'Re-render', zh: '重新渲染' })}</button></p>
      <p id="rerender-error" class="error" role="alert"></p>
    </form>
    ${progressSection(lang)}
    <section id="preview-section" hidden aria-labelledby="preview-h">
      <h2 id="preview-h">${t(lang, { en: 'New version', zh: '新版本' })}</h2>
      <video id="preview" controls playsinline preload="metadata"></video>
      <p>
        <button type="button" id="publish-version">
          ${t(lang, { en: 'Publish this version', zh: '发布此版本' })}
        </button>
      </p>
      <p id="publish-status" role="status" aria-live="polite"></p>
    </section>`;
}

const LANGUAGE_NAMES = { en: 'English', zh: '中文' } as const;

/** The captions (shown by default) and chapters of a lesson spoken from a script. */
function textTracks(media: string, n: NarrationRecord): SafeHtml {
  return html`<track
      kind="captions"
      src="${media}${captionsName(n)}"
      srclang="${n.language}"
      label="${LANGUAGE_NAMES[n.language]}"
      default
    />
    ${n.chapters ? html`<track kind="chapters" src="${media}chapters.vtt" srclang="${n.language}" />` : html``}`;
}

const clock = (sec: number): string =>
  `${Math.floor(sec / 60)}:${String(Math.floor(sec % 60)).padStart(2, '0')}`;

/** The chapters as buttons that move the player there (browsers show chapter tracks nowhere). */
function chapterList(lang: Lang, n: NarrationRecord): SafeHtml {
  return html`<nav class="chapters" aria-labelledby="chapters-h">
    <h2 id="chapters-h">${t(lang, { en: 'Chapters', zh: '章节' })}</h2>
    <ol>
      ${n.chapterList.map(
        (c) =>
          html`<li>
            <button type="button" data-start="${c.start}">
              <span>${c.title}</span> <time>${clock(c.start)}</time>
            </button>
          </li>`,
      )}
    </ol>
  </nav>`;
}

/** The lesson player, opened by a resource-link launch; instructors also see the render status. */
export function playerPage(
  lang: Lang,
  o: {
    token: string;
    role: 'instructor' | 'learner';
    lesson: LessonSummary;
    media?: string;
    /** When the lesson is spoken from a script: its captions and chapters. */
    narration?: NarrationRecord;
    /** For instructors: the inputs and settings of the latest render, to render again from. */
    edit?: LessonEdit;
    /** For learners: what they watched so far (their player reports more). */
    standing?: { coverage: number; completed: boolean; position: number };
  },
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
                  ${o.narration ? textTracks(o.media, o.narration) : html``}
                  ${t(lang, { en: 'Your browser cannot play this video.', zh: '您的浏览器无法播放此视频。' })}
                </video>
              </div>
              ${o.narration?.chapterList.length ? chapterList(lang, o.narration) : html``}
              ${
                o.role === 'learner'
                  ? html`<p
                      id="watch-status"
                      role="status"
                      aria-live="polite"
                      data-lesson="${o.lesson.id}"
                      data-resume="${o.standing?.completed ? 0 : (o.standing?.position ?? 0)}"
                      data-watched="${t(lang, { en: 'Watched', zh: '已观看' })}"
                      data-completed="${t(lang, { en: 'Completed', zh: '已完成' })}"
                    >
                      ${o.standing ? `${t(lang, { en: 'Watched', zh: '已观看' })} ${Math.floor(o.standing.coverage * 100)} %` : ''}
                      ${o.standing?.completed ? ` · ${t(lang, { en: 'Completed', zh: '已完成' })}` : ''}
                    </p>`
                  : html``
              }`
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
              <form method="post" action="/lti/dashboard">
                <input type="hidden" name="session" value="${o.token}" />
                <input type="hidden" name="lesson" value="${o.lesson.id}" />
                <button type="submit">${t(lang, { en: 'Completion dashboard', zh: '完成情况看板' })}</button>
              </form>
              ${o.edit ? rerenderForm(lang, o.lesson, o.edit) : html``}
            </section>`
          : html``
      }
    </main>`,
    head(o.token, 'player.js', lang),
  );
}
