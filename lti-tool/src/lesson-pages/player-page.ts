import type { LanguageVersion } from '../lessons/language-versions.js';
import type { LessonSummary } from '../lessons/lesson-repository.js';
import { LANGUAGE_NAMES, SCRIPT_LANGUAGES } from '../narration/languages.js';
import type { NarrationRecord } from '../narration/narration-service.js';
import { captionsName } from '../narration/narration-tracks.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import { page } from '../web/page.js';
import { engineAndSize, head, progressSection, questionEditor, scriptFields } from './page-parts.js';
import { msg } from '../messages/messages.js';

export interface LessonEdit {
  readonly portrait: string;
  readonly audio: string;
  readonly prompt: string;
  readonly engine: string;
  readonly size: string;
  /** The engines some online render node offers now. */
  readonly online?: ReadonlySet<string>;
}

/** The instructor's edit of a published lesson: new title, prompt, engine or size; same presenter and voice. */
function rerenderForm(lang: Lang, lesson: LessonSummary, edit: LessonEdit): SafeHtml {
  return html`<form id="rerender" novalidate data-lesson="${lesson.id}">
    <h2>${t(lang, msg.playerPage.editAndReRender)}</h2>
    <input type="hidden" name="portrait" value="${edit.portrait}" />
    <input type="hidden" name="audio" value="${edit.audio}" />
    <label for="title">${t(lang, msg.playerPage.title)}</label>
    <input id="title" name="title" required maxlength="200" value="${lesson.title}" />
    <label for="prompt">${t(lang, msg.playerPage.scenePrompt)}</label>
    <textarea id="prompt" name="prompt" rows="3" maxlength="4000">${edit.prompt}</textarea>
    ${engineAndSize(lang, edit)}
    <p><button type="submit">${t(lang, msg.playerPage.reRender)}</button></p>
    <p id="rerender-error" class="error" role="alert"></p>
  </form>`;
}

/**
 * Dubbing: the lesson in another language, from its translated script, with the same presenter, scene
 * and size; and the language versions it has, each of which can be withdrawn.
 */
function dubForm(
  lang: Lang,
  lesson: LessonSummary,
  edit: LessonEdit,
  versions: readonly LanguageVersion[],
): SafeHtml {
  const own = versions[0]?.language;
  const addable = SCRIPT_LANGUAGES.filter((l) => l !== own);
  return html`<form id="dub" novalidate data-lesson="${lesson.id}" data-title="${lesson.title}">
    <h2>${t(lang, msg.playerPage.languageVersions)}</h2>
    <ul id="dubs">
      ${versions.slice(1).map(
        (v) =>
          html`<li>
            ${LANGUAGE_NAMES[v.language!]}
            <button type="button" data-withdraw="${v.language}">${t(lang, msg.playerPage.withdraw)}</button>
          </li>`,
      )}
    </ul>
    <p class="hint">${t(lang, msg.playerPage.addTheLessonInAnother)}</p>
    <input type="hidden" name="portrait" value="${edit.portrait}" />
    <input type="hidden" name="prompt" value="${edit.prompt}" />
    <input type="hidden" name="engine" value="${edit.engine}" />
    <input type="hidden" name="size" value="${edit.size}" />
    ${scriptFields(lang, { languages: addable, initial: addable[0] })}
    <p><button type="submit">${t(lang, msg.playerPage.renderLanguageVersion)}</button></p>
    <p id="dub-error" class="error" role="alert"></p>
  </form>`;
}

/** Where a new version (an edit or a language version) is followed, previewed and published. */
function newVersionSections(lang: Lang): SafeHtml {
  return html`${progressSection(lang)}
    <section id="preview-section" hidden aria-labelledby="preview-h">
      <h2 id="preview-h">${t(lang, msg.playerPage.newVersion)}</h2>
      <video id="preview" controls playsinline preload="metadata"></video>
      <p>
        <button type="button" id="publish-version">${t(lang, msg.playerPage.publishThisVersion)}</button>
        <button type="button" id="publish-language" hidden>
          ${t(lang, msg.playerPage.publishThisLanguageVersion)}
        </button>
      </p>
      <p id="publish-status" role="status" aria-live="polite"></p>
    </section>`;
}

/** The captions (shown by default) and chapters of a version spoken from a script. */
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
function chapterList(lang: Lang, n: NarrationRecord | undefined): SafeHtml {
  const chapters = n?.chapterList ?? [];
  return html`<nav class="chapters" aria-labelledby="chapters-h" ${chapters.length ? '' : 'hidden'}>
    <h2 id="chapters-h">${t(lang, msg.playerPage.chapters)}</h2>
    <ol>
      ${chapters.map(
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

/**
 * The languages the lesson can be watched in. Each option carries what the player needs to switch to
 * it: the version's signed files, its captions and chapters, and its time map onto the lesson.
 */
function languageChoice(lang: Lang, versions: readonly LanguageVersion[], shown: LanguageVersion): SafeHtml {
  return html`<p class="language-choice">
    <label for="version-language">${t(lang, msg.playerPage.language)}</label>
    <select id="version-language">
      ${versions.map(
        (v) =>
          html`<option
            value="${v.language ?? 'original'}"
            ${v === shown ? 'selected' : ''}
            data-media="${v.media}"
            data-captions="${v.narration ? captionsName(v.narration) : ''}"
            data-chapters-file="${v.narration?.chapters ? 'chapters.vtt' : ''}"
            data-chapters="${JSON.stringify(v.narration?.chapterList ?? [])}"
            data-map="${JSON.stringify(v.timeMap)}"
          >
            ${v.language ? LANGUAGE_NAMES[v.language] : t(lang, msg.playerPage.original)}
          </option>`,
      )}
    </select>
  </p>`;
}

/**
 * Where the player asks a lesson's questions (lesson-questions.js fills it from the tool): a modal
 * dialog, so focus stays in it and a screen reader reads the question; the answer is checked by the
 * tool, and what it says back is announced.
 */
function questionDialog(lang: Lang): SafeHtml {
  return html`<dialog id="question" aria-labelledby="question-prompt" aria-describedby="question-meta">
    <form id="question-form" novalidate>
      <p id="question-meta" class="hint" data-label="${t(lang, msg.playerPage.question)}"></p>
      <h2 id="question-prompt" tabindex="-1"></h2>
      <fieldset id="question-choices">
        <legend class="visually-hidden">${t(lang, msg.playerPage.yourAnswer)}</legend>
      </fieldset>
      <p id="question-typed" hidden>
        <label for="question-text">${t(lang, msg.playerPage.yourAnswer)}</label>
        <input id="question-text" name="text" maxlength="500" autocomplete="off" />
      </p>
      <p id="question-feedback" role="status" aria-live="polite"></p>
      <p>
        <button type="submit" id="question-submit">${t(lang, msg.playerPage.answer)}</button>
        <button type="button" id="question-continue" hidden>${t(lang, msg.playerPage.continueLesson)}</button>
        <button type="button" id="question-skip" hidden>${t(lang, msg.playerPage.skipQuestion)}</button>
      </p>
    </form>
  </dialog>`;
}

/**
 * "Ask the tutor": the learner types a question (the video pauses); the answer comes as text with its
 * sources (a click seeks there) and as the presenter speaking it (tutor.js fills the panel).
 */
function tutorPanel(lang: Lang, lessonId: string): SafeHtml {
  return html`<section id="tutor" aria-labelledby="tutor-h" data-lesson="${lessonId}">
    <h2 id="tutor-h">${t(lang, msg.playerPage.askTheTutor)}</h2>
    <form id="tutor-form">
      <label for="tutor-question">${t(lang, msg.playerPage.yourQuestion)}</label>
      <textarea
        id="tutor-question"
        name="question"
        rows="2"
        minlength="2"
        maxlength="500"
        required
      ></textarea>
      <button type="submit" id="tutor-ask">${t(lang, msg.playerPage.ask)}</button>
    </form>
    <p id="tutor-status" role="status" aria-live="polite"></p>
    <article id="tutor-answer" hidden aria-live="polite">
      <video
        id="tutor-video"
        playsinline
        controls
        hidden
        aria-label="${t(lang, msg.playerPage.thePresenterAnswers)}"
      ></video>
      <p id="tutor-text"></p>
      <h3 id="tutor-sources-h">${t(lang, msg.playerPage.sources)}</h3>
      <ol id="tutor-sources" aria-labelledby="tutor-sources-h"></ol>
      <p id="tutor-rate">
        ${t(lang, msg.playerPage.wasThisHelpful)}
        <button type="button" data-helpful="true">${t(lang, msg.playerPage.helpful)}</button>
        <button type="button" data-helpful="false">${t(lang, msg.playerPage.notHelpful)}</button>
      </p>
    </article>
    <details id="tutor-history">
      <summary>${t(lang, msg.playerPage.yourEarlierQuestions)}</summary>
      <ol id="tutor-history-list"></ol>
    </details>
  </section>`;
}

/**
 * The lesson player, opened by a resource-link launch. A lesson with language versions starts in the
 * page's language when it has it; instructors also see the render status, and edit and dub.
 */
export function playerPage(
  lang: Lang,
  o: {
    token: string;
    role: 'instructor' | 'learner';
    lesson: LessonSummary;
    /** The published version (for instructors, else the newest finished), then its language versions. */
    versions: readonly LanguageVersion[];
    /** For instructors: the inputs and settings of the latest render, to render again from. */
    edit?: LessonEdit;
    /** For learners: what they watched so far (their player reports more), on the lesson's timeline. */
    standing?: { coverage: number; completed: boolean; position: number };
    /** In an exported package: the player tells the page around it (the package's) the standing. */
    reportToParent?: boolean;
  },
): string {
  const shown = o.versions.find((v) => v.language === lang) ?? o.versions[0];
  return page(
    lang,
    o.lesson.title,
    html`<main>
      <h1>${o.lesson.title}</h1>
      ${
        shown
          ? html`${o.versions.length > 1 ? languageChoice(lang, o.versions, shown) : html``}
              <div class="player">
                <video
                  id="player"
                  controls
                  playsinline
                  preload="metadata"
                  poster="${shown.media}poster.jpg"
                  data-map="${JSON.stringify(shown.timeMap)}"
                >
                  <source src="${shown.media}hls/index.m3u8" type="application/vnd.apple.mpegurl" />
                  <source src="${shown.media}lesson.mp4" type="video/mp4" />
                  ${shown.narration ? textTracks(shown.media, shown.narration) : html``}
                  ${t(lang, msg.playerPage.yourBrowserCannotPlayThis)}
                </video>
              </div>
              ${chapterList(lang, shown.narration)}
              ${
                o.role === 'learner'
                  ? html`<p
                        id="watch-status"
                        role="status"
                        aria-live="polite"
                        data-lesson="${o.lesson.id}"
                        ${o.reportToParent ? html`data-report="parent"` : ''}
                        data-resume="${o.standing?.completed ? 0 : (o.standing?.position ?? 0)}"
                        data-watched="${t(lang, msg.playerPage.watched)}"
                        data-completed="${t(lang, msg.playerPage.completed)}"
                      >
                        ${o.standing ? `${t(lang, msg.playerPage.watched)} ${Math.floor(o.standing.coverage * 100)} %` : ''}
                        ${o.standing?.completed ? ` · ${t(lang, msg.playerPage.completed)}` : ''}
                      </p>
                      ${questionDialog(lang)}
                      ${o.lesson.tutorEnabled !== false ? tutorPanel(lang, o.lesson.id) : ''}`
                  : html``
              }`
          : html`<p role="status">${t(lang, msg.playerPage.thisLessonIsNotReady)}</p>`
      }
      ${
        o.role === 'instructor'
          ? html`<section aria-labelledby="status-h" class="instructor">
              <h2 id="status-h">${t(lang, msg.playerPage.renderStatus)}</h2>
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
                <button type="submit">${t(lang, msg.playerPage.completionDashboard)}</button>
              </form>
              ${questionEditor(lang, { lessonId: o.lesson.id })}
              ${o.edit ? rerenderForm(lang, o.lesson, o.edit) : html``}
              ${o.edit && o.lesson.publishedRenderId ? dubForm(lang, o.lesson, o.edit, o.versions) : html``}
              ${o.edit ? newVersionSections(lang) : html``}
            </section>`
          : html``
      }
    </main>`,
    head(o.token, 'player.js', lang),
  );
}
