import type { LessonSummary } from '../lessons/lesson-repository.js';
import { LANGUAGE_NAMES, SCRIPT_LANGUAGES } from '../narration/languages.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import { page } from '../web/page.js';
import { engineAndSize, head, progressSection, questionEditor, scriptFields } from './page-parts.js';
import { msg } from '../messages/messages.js';

/** The lesson's voice: a recording, or a script the product speaks (previewed before rendering). */
function voiceFields(lang: Lang): SafeHtml {
  return html`<fieldset id="voice-source">
      <legend>${t(lang, msg.studioPage.voice)}</legend>
      <label
        ><input type="radio" name="voiceSource" value="recording" checked />
        ${t(lang, msg.studioPage.uploadARecording)}</label
      >
      <label
        ><input type="radio" name="voiceSource" value="script" />
        ${t(lang, msg.studioPage.writeAScriptToBe)}</label
      >
    </fieldset>
    <div id="recording-fields">
      <label for="audio">${t(lang, msg.studioPage.voiceRecording)}</label>
      <input id="audio" name="audio" type="file" accept="audio/*" />
      <label for="transcript">${t(lang, msg.studioPage.transcriptOptionalCaptionsTimedTo)}</label>
      <textarea id="transcript" name="transcript" rows="5"></textarea>
      <label for="transcript-language">${t(lang, msg.studioPage.languageOfTheTranscript)}</label>
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
  const title = t(lang, msg.studioPage.generateAvatarLesson);
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
              <h2 id="existing-h">${t(lang, msg.studioPage.lessonsOfThisCourse)}</h2>
              <ul>
                ${ready.map(
                  (l) =>
                    html`<li>
                      <form method="post" action="/lti/studio/publish" class="inline">
                        <input type="hidden" name="session" value="${o.token}" />
                        <input type="hidden" name="lessonId" value="${l.id}" />
                        <input type="hidden" name="title" value="${l.title}" />
                        <span>${l.title}</span>
                        <button type="submit">${t(lang, msg.studioPage.addToCourse)}</button>
                      </form>
                    </li>`,
                )}
              </ul>
            </section>`
          : html``
      }
      <form id="studio" novalidate>
        <h2>${t(lang, msg.studioPage.newLesson)}</h2>
        <label for="title">${t(lang, msg.studioPage.title)}</label>
        <input id="title" name="title" required maxlength="200" />
        <label for="portrait">${t(lang, msg.studioPage.portraitPhotoOfThePresenter)}</label>
        <input id="portrait" name="portrait" type="file" accept="image/png,image/jpeg,image/webp" required />
        <div class="face-preview" hidden>
          <img id="portrait-img" alt="${t(lang, msg.studioPage.portraitPreview)}" />
          <div id="face-box" aria-hidden="true"></div>
        </div>
        <p id="face-status" role="status" aria-live="polite"></p>
        ${voiceFields(lang)}
        <label for="prompt">${t(lang, msg.studioPage.scenePrompt)}</label>
        <textarea id="prompt" name="prompt" rows="3" maxlength="4000"></textarea>
        ${engineAndSize(lang, { online: o.online })}
        <p><button type="submit">${t(lang, msg.studioPage.renderLesson)}</button></p>
        <p id="studio-status" role="status" aria-live="polite"></p>
        <p id="studio-error" class="error" role="alert"></p>
      </form>
      ${progressSection(lang)}
      <section id="preview-section" hidden aria-labelledby="preview-h">
        <h2 id="preview-h">${t(lang, msg.studioPage.preview)}</h2>
        <video id="preview" controls playsinline preload="metadata"></video>
        <form id="publish" method="post" action="/lti/studio/publish">
          <input type="hidden" name="session" value="${o.token}" />
          <input type="hidden" name="renderId" />
          <input type="hidden" name="title" />
          <label for="text">${t(lang, msg.studioPage.descriptionForLearners)}</label>
          <textarea id="text" name="text" rows="2" maxlength="1000"></textarea>
          <label for="scoreMaximum">${t(lang, msg.studioPage.pointsInTheGradebook)}</label>
          <input id="scoreMaximum" name="scoreMaximum" type="number" min="1" max="1000" value="100" />
          <label for="completion">${t(lang, msg.studioPage.completedWhenWatched)}</label>
          <input id="completion" name="completion" type="number" min="1" max="100" value="90" />
          <p><button type="submit">${t(lang, msg.studioPage.publishToCourse)}</button></p>
        </form>
      </section>
      ${questionEditor(lang, { hidden: true })}
    </main>`,
    head(o.token, 'studio.js', lang),
  );
}
