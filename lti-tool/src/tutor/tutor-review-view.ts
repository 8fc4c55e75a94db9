import { msg } from '../messages/messages.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Bilingual, type Lang } from '../web/i18n.js';
import type { LessonTutorReview, QuestionGroup } from './tutor-review.js';

/** Where the review's forms post: the dashboard, with the launch session and the lesson in view. */
export interface ReviewForm {
  readonly action: string;
  readonly session: string;
  readonly lessonId: string;
}

/**
 * A lesson's tutor on the instructor's dashboard: the switch, what the course does not cover, what
 * learners asked and were answered (grouped, with ratings), each with a form to pin an edited answer,
 * and the pinned answers.
 */
export function tutorReviewView(lang: Lang, r: LessonTutorReview, f: ReviewForm): SafeHtml {
  const hidden = html`<input type="hidden" name="session" value="${f.session}" />
    <input type="hidden" name="lesson" value="${f.lessonId}" />`;
  const group = (g: QuestionGroup, covered: boolean): SafeHtml =>
    html`<li>
      <p>
        <strong>${g.lead.question}</strong> · ${t(lang, msg.tutorReviewView.asked(g.count))}
        ${covered ? html` · ${t(lang, msg.tutorReviewView.ratings(g.helpful, g.notHelpful))}` : ''}
      </p>
      ${covered ? html`<p>${g.lead.answer}</p>` : ''}
      <details>
        <summary>${t(lang, msg.tutorReviewView.pinAnAnswer)}</summary>
        <form method="post" action="${f.action}">
          ${hidden}
          <input type="hidden" name="tutor_pin_question" value="${g.lead.id}" />
          <label for="pin-${g.lead.id}">${t(lang, msg.tutorReviewView.answerToPin)}</label>
          <textarea id="pin-${g.lead.id}" name="tutor_pin_answer" rows="3" maxlength="1000" required>
${covered ? g.lead.answer : ''}</textarea>
          <button type="submit">${t(lang, msg.tutorReviewView.pin)}</button>
        </form>
      </details>
    </li>`;
  /** A list of question groups under its heading, or what to say when it is empty. */
  const groups = (
    heading: Bilingual,
    list: readonly QuestionGroup[],
    covered: boolean,
    empty: Bilingual,
  ): SafeHtml =>
    html`<h3>${t(lang, heading)}</h3>
      ${
        list.length
          ? html`<ul class="${covered ? 'tutor-answered' : 'tutor-not-covered'}">
              ${list.map((g) => group(g, covered))}
            </ul>`
          : html`<p>${t(lang, empty)}</p>`
      }`;
  return html`<section aria-labelledby="tutor-h" class="tutor-review">
    <h2 id="tutor-h">${t(lang, msg.tutorReviewView.title)}</h2>
    <form method="post" action="${f.action}">
      ${hidden}
      <p>
        ${t(lang, r.enabled ? msg.tutorReviewView.isOn : msg.tutorReviewView.isOff)}
        <button type="submit" name="tutor_enabled" value="${r.enabled ? 'off' : 'on'}">
          ${t(lang, r.enabled ? msg.tutorReviewView.turnOff : msg.tutorReviewView.turnOn)}
        </button>
      </p>
    </form>
    ${groups(msg.tutorReviewView.notCovered, r.notCovered, false, msg.tutorReviewView.nothingUncovered)}
    ${groups(msg.tutorReviewView.answered, r.answered, true, msg.tutorReviewView.noQuestionsYet)}
    <h3>${t(lang, msg.tutorReviewView.pinned)}</h3>
    ${
      r.pins.length
        ? html`<ul class="tutor-pins">
            ${r.pins.map(
              (p) =>
                html`<li>
                  <p><strong>${p.question}</strong></p>
                  <p>${p.answer}</p>
                  <form method="post" action="${f.action}">
                    ${hidden}
                    <button type="submit" name="tutor_unpin" value="${p.id}">
                      ${t(lang, msg.tutorReviewView.unpin)}
                    </button>
                  </form>
                </li>`,
            )}
          </ul>`
        : html`<p>${t(lang, msg.tutorReviewView.noPins)}</p>`
    }
  </section>`;
}
