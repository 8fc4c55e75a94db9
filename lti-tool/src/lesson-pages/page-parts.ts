import { LIVEAVATAR_SIZES, PREVIEW_SIZES } from '../../../render-node/src/contract/render-sizes.js';
import { LANGUAGE_NAMES, type ScriptLanguage } from '../narration/languages.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import { msg } from '../messages/messages.js';

/** What the studio's and the player's pages share. */

/** The page's session token, language, style sheet and script. */
export const head = (token: string, script: string, lang: Lang): SafeHtml =>
  html`<meta name="vt-session" content="${token}" />
    <meta name="vt-lang" content="${lang}" />
    <link rel="stylesheet" href="/static/lti.css" />
    <script type="module" src="/static/${script}"></script>`;

/**
 * The engine and size choices (sizes per engine in data attributes; lti-client.js keeps them in step).
 * An engine no online node offers is named so and, unless it is the preview engine (any machine runs
 * one), cannot be chosen: a Live Avatar render with no GPU node would only wait.
 */
export function engineAndSize(
  lang: Lang,
  o: { engine?: string; size?: string; online?: ReadonlySet<string> },
): SafeHtml {
  const online = (e: string): boolean => !o.online || o.online.has(e);
  const engine = o.engine === 'liveavatar' && online('liveavatar') ? 'liveavatar' : 'preview';
  const sizes: readonly string[] = engine === 'preview' ? PREVIEW_SIZES : LIVEAVATAR_SIZES;
  const size = o.size && sizes.includes(o.size) ? o.size : '688*368';
  const offline = (e: 'preview' | 'liveavatar'): SafeHtml =>
    online(e)
      ? html``
      : html` —
        ${t(lang, e === 'liveavatar' ? msg.pageParts.noGpuRenderNodeOnline : msg.pageParts.noRenderNodeOnline)}`;
  return html`<label for="engine">${t(lang, msg.pageParts.engine)}</label>
    <select id="engine" name="engine">
      <option value="preview" ${engine === 'preview' ? 'selected' : ''}>
        ${t(lang, msg.pageParts.previewFastAnyMachine)}${offline('preview')}
      </option>
      <option
        value="liveavatar"
        ${engine === 'liveavatar' ? 'selected' : ''}
        ${online('liveavatar') ? '' : 'disabled'}
      >
        ${t(lang, msg.pageParts.liveAvatarPhotorealGpu)}${offline('liveavatar')}
      </option>
    </select>
    <label for="size">${t(lang, msg.pageParts.size)}</label>
    <select
      id="size"
      name="size"
      data-preview="${PREVIEW_SIZES.join(',')}"
      data-liveavatar="${LIVEAVATAR_SIZES.join(',')}"
    >
      ${sizes.map((s) => html`<option ${s === size ? 'selected' : ''}>${s}</option>`)}
    </select>`;
}

/** The progress bar of a render, and where it says what happens. */
export function progressSection(lang: Lang): SafeHtml {
  return html`<section id="progress-section" hidden aria-labelledby="progress-h">
    <h2 id="progress-h">${t(lang, msg.pageParts.rendering)}</h2>
    <progress id="progress" max="100" value="0" aria-labelledby="progress-h"></progress>
    <p id="progress-text" role="status" aria-live="polite"></p>
    <p>
      <button type="button" id="cancel-render" hidden>${t(lang, msg.pageParts.cancelRender)}</button>
    </p>
  </section>`;
}

/**
 * A script to be spoken: the Markdown, its language (of `languages`) and speaker, and "Preview speech"
 * (script-fields.js gives them life).
 */
export function scriptFields(
  lang: Lang,
  o: { languages: readonly ScriptLanguage[]; initial?: string },
): SafeHtml {
  return html`<label for="script">${t(lang, msg.pageParts.scriptMarkdownHeadingsBecomeChapters)}</label>
    <textarea id="script" name="script" rows="10" aria-describedby="script-count"></textarea>
    <p id="script-count" class="hint"></p>
    <label for="language">${t(lang, msg.pageParts.language)}</label>
    <select id="language" name="language">
      ${o.languages.map(
        (l) => html`<option value="${l}" ${l === o.initial ? 'selected' : ''}>${LANGUAGE_NAMES[l]}</option>`,
      )}
    </select>
    <label for="voice">${t(lang, msg.pageParts.speaker)}</label>
    <select id="voice" name="voice"></select>
    <p>
      <button type="button" id="preview-speech">${t(lang, msg.pageParts.previewSpeech)}</button>
    </p>
    <audio id="speech-preview" controls hidden></audio>
    <p id="speech-status" role="status" aria-live="polite"></p> `;
}

/**
 * The author's questions of a lesson (question-editor.js gives it life): how answers are graded, and
 * the questions, each made from the template below so every label is in the page's language.
 * `lessonId` when the lesson is known; the studio sets it once its render is done.
 */
export function questionEditor(lang: Lang, o: { lessonId?: string; hidden?: boolean }): SafeHtml {
  return html`<section
    id="questions-section"
    aria-labelledby="questions-h"
    data-lesson="${o.lessonId ?? ''}"
    ${o.hidden ? 'hidden' : ''}
  >
    <h2 id="questions-h">${t(lang, msg.pageParts.questions)}</h2>
    <p class="hint">${t(lang, msg.pageParts.questionsHint)}</p>
    <form id="questions" novalidate>
      <label for="q-attempts">${t(lang, msg.pageParts.attempts)}</label>
      <input id="q-attempts" name="attempts" type="number" min="1" max="10" value="1" />
      <label for="q-counts">${t(lang, msg.pageParts.counts)}</label>
      <select id="q-counts" name="counts">
        <option value="best">${t(lang, msg.pageParts.bestAnswer)}</option>
        <option value="last">${t(lang, msg.pageParts.lastAnswer)}</option>
      </select>
      <label for="q-watching">${t(lang, msg.pageParts.watchingWeight)}</label>
      <input id="q-watching" name="watching" type="number" min="0" max="100" value="30" />
      <label for="q-pass">${t(lang, msg.pageParts.passThreshold)}</label>
      <input id="q-pass" name="pass" type="number" min="0" max="100" value="60" />
      <div id="script-questions" hidden>
        <p>${t(lang, msg.pageParts.fromScript)}</p>
        <ul></ul>
      </div>
      <ol id="question-list"></ol>
      <p>
        <button type="button" id="add-question">${t(lang, msg.pageParts.addQuestion)}</button>
        <button type="submit">${t(lang, msg.pageParts.saveQuestions)}</button>
      </p>
      <p id="questions-status" role="status" aria-live="polite"></p>
      <div id="questions-error" class="error" role="alert"></div>
    </form>
    <template id="question-template">
      <li>
        <fieldset class="question-item">
          <legend>${t(lang, msg.pageParts.question)} <span class="n"></span></legend>
          <label data-for="at">${t(lang, msg.pageParts.at)}</label>
          <input data-id="at" name="at" required autocomplete="off" />
          <span class="chapter-choice" hidden>
            <label data-for="chapter">${t(lang, msg.pageParts.atChapterEnd)}</label>
            <select data-id="chapter" name="chapter">
              <option value="">${t(lang, msg.pageParts.atATime)}</option>
            </select>
          </span>
          <label data-for="kind">${t(lang, msg.pageParts.kind)}</label>
          <select data-id="kind" name="kind">
            <option value="single">${t(lang, msg.pageParts.single)}</option>
            <option value="multiple">${t(lang, msg.pageParts.multiple)}</option>
            <option value="truefalse">${t(lang, msg.pageParts.trueFalse)}</option>
            <option value="text">${t(lang, msg.pageParts.typed)}</option>
          </select>
          <label data-for="prompt">${t(lang, msg.pageParts.prompt)}</label>
          <textarea data-id="prompt" name="prompt" rows="2" maxlength="1000" required></textarea>
          <div class="for-choices">
            <p class="hint">${t(lang, msg.pageParts.choices)}</p>
            <ol class="choice-list"></ol>
            <button type="button" class="add-choice">${t(lang, msg.pageParts.addChoice)}</button>
          </div>
          <div class="for-truefalse">
            <label data-for="answer">${t(lang, msg.pageParts.statementIs)}</label>
            <select data-id="answer" name="answer">
              <option value="true">${t(lang, msg.pageParts.true)}</option>
              <option value="false">${t(lang, msg.pageParts.false)}</option>
            </select>
          </div>
          <div class="for-text">
            <label data-for="accepted">${t(lang, msg.pageParts.accepted)}</label>
            <textarea data-id="accepted" name="accepted" rows="2"></textarea>
          </div>
          <label data-for="points">${t(lang, msg.pageParts.points)}</label>
          <input data-id="points" name="points" type="number" min="0" max="100" value="1" />
          <label><input type="checkbox" name="required" checked /> ${t(lang, msg.pageParts.required)}</label>
          <label data-for="feedback-right">${t(lang, msg.pageParts.feedbackRight)}</label>
          <input data-id="feedback-right" name="feedbackCorrect" maxlength="1000" />
          <label data-for="feedback-wrong">${t(lang, msg.pageParts.feedbackWrong)}</label>
          <input data-id="feedback-wrong" name="feedbackIncorrect" maxlength="1000" />
          <p>
            <button type="button" class="remove-question">${t(lang, msg.pageParts.removeQuestion)}</button>
          </p>
        </fieldset>
      </li>
    </template>
    <template id="choice-template">
      <li class="choice-item">
        <label data-for="text">${t(lang, msg.pageParts.choice)}</label>
        <input data-id="text" name="text" maxlength="500" />
        <label><input type="checkbox" name="correct" /> ${t(lang, msg.pageParts.rightAnswer)}</label>
        <label data-for="feedback">${t(lang, msg.pageParts.feedbackWhenChosen)}</label>
        <input data-id="feedback" name="feedback" maxlength="1000" />
        <button type="button" class="remove-choice">${t(lang, msg.pageParts.removeChoice)}</button>
      </li>
    </template>
  </section>`;
}
