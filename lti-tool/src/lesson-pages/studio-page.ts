import type { LessonSummary } from '../lessons/lesson-repository.js';
import { LANGUAGE_NAMES, SCRIPT_LANGUAGES } from '../narration/languages.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import { page } from '../web/page.js';
import { engineAndSize, head, progressSection, scriptFields } from './page-parts.js';

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
      <label for="transcript"
        >${t(lang, {
          en: 'Transcript (optional): captions timed to the recording; # headings become chapters',
          zh: '文字稿（可选）：按录音自动对齐生成字幕；# 标题将成为章节',
        })}</label
      >
      <textarea id="transcript" name="transcript" rows="5"></textarea>
      <label for="transcript-language"
        >${t(lang, { en: 'Language of the transcript', zh: '文字稿语言' })}</label
      >
      <select id="transcript-language" name="transcriptLanguage">
        ${SCRIPT_LANGUAGES.map(
          (l) => html`<option value="${l}" ${l === lang ? 'selected' : ''}>${LANGUAGE_NAMES[l]}</option>`,
        )}
      </select>
    </div>
    <div id="script-fields" hidden>
      ${scriptFields(lang, { languages: SCRIPT_LANGUAGES, initial: lang })}
    </div>`;
}

/** The author's studio, opened by a deep-linking launch. */
export function studioPage(
  lang: Lang,
  o: {
    token: string;
    context?: { title?: string; label?: string };
    lessons: readonly LessonSummary[];
    /** The engines some online render node offers now. */
    online?: ReadonlySet<string>;
  },
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
        ${engineAndSize(lang, { online: o.online })}
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
