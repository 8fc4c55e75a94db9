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
