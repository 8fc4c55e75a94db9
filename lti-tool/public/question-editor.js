// The author's questions of a lesson: loaded from the tool, edited here, saved as a whole (the tool
// validates the set and says what to correct). Each question and choice is made from a <template> of
// the page, so its labels are in the page's language; ids are made unique per item for the labels.
import { $, api, say } from './lti-client.js';

let unique = 0;
const choiceId = () => `c${Date.now().toString(36)}${(unique++).toString(36)}`;

/** "1:05", "65" or "65.5" → seconds; NaN when it is neither. */
const seconds = (text) => {
  const m = /^\s*(?:(\d+):)?(\d+(?:\.\d+)?)\s*$/.exec(text);
  return m ? Number(m[1] || 0) * 60 + Number(m[2]) : NaN;
};
const clock = (sec) => {
  const whole = Math.floor(sec);
  const rest = Math.round((sec - whole) * 10) / 10;
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}${rest ? String(rest).slice(1) : ''}`;
};

/** Gives each [data-id] a unique id and its label (data-for) the matching for. */
function label(node) {
  const n = unique++;
  for (const el of node.querySelectorAll('[data-id]')) el.id = `${el.dataset.id}-${n}`;
  for (const el of node.querySelectorAll('label[data-for]')) el.htmlFor = `${el.dataset.for}-${n}`;
  return node;
}

/**
 * Starts the editor in `section` for its lesson (data-lesson). `chapters()` gives the lesson's chapter
 * ends, [{ title, end }], to place a question at; the studio calls `load(lessonId)` once it has one.
 */
export function editQuestions(section, chapters = () => []) {
  const form = $('questions');
  const list = $('question-list');
  const status = $('questions-status');
  const error = $('questions-error');

  $('add-question').addEventListener('click', () => {
    const item = addQuestion({ kind: 'single', at: 0, prompt: '', points: 1, required: true });
    item.querySelector('[name=at]').focus();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void save();
  });

  async function load(lessonId) {
    section.dataset.lesson = lessonId;
    section.hidden = false;
    const res = await api(`/api/lessons/${lessonId}/questions`);
    if (!res.ok) return;
    const set = await res.json();
    form.attempts.value = set.attempts.max;
    form.counts.value = set.attempts.counts;
    form.watching.value = Math.round(set.watchingWeight * 100);
    form.pass.value = Math.round(set.passThreshold * 100);
    list.replaceChildren();
    for (const q of set.questions) addQuestion(q);
    const script = $('script-questions');
    script.hidden = !set.fromScript.length;
    script
      .querySelector('ul')
      .replaceChildren(
        ...set.fromScript.map((q) =>
          Object.assign(document.createElement('li'), { textContent: `${clock(q.at)} · ${q.prompt}` }),
        ),
      );
    section.dataset.loaded = String(set.questions.length);
  }

  function addQuestion(q) {
    const item = label($('question-template').content.firstElementChild.cloneNode(true));
    const field = (name) => item.querySelector(`[name=${name}]`);
    field('at').value = clock(q.at);
    field('kind').value = q.kind;
    field('prompt').value = q.prompt;
    field('points').value = q.points;
    field('required').checked = q.required;
    field('feedbackCorrect').value = q.feedback?.correct || '';
    field('feedbackIncorrect').value = q.feedback?.incorrect || '';
    if (q.kind === 'truefalse') field('answer').value = String(q.answer);
    if (q.kind === 'text') field('accepted').value = q.accepted.join('\n');
    const choices = item.querySelector('.choice-list');
    for (const c of q.choices || [
      { text: '', correct: true },
      { text: '', correct: false },
    ])
      choices.append(choiceItem(c));
    const ends = chapters();
    const chapter = field('chapter');
    item.querySelector('.chapter-choice').hidden = ends.length === 0;
    for (const c of ends) chapter.append(new Option(`${c.title} (${clock(c.end)})`, String(c.end)));
    chapter.addEventListener(
      'change',
      () => chapter.value && (field('at').value = clock(Number(chapter.value))),
    );
    const showKind = () => {
      const kind = field('kind').value;
      item.querySelector('.for-choices').hidden = kind !== 'single' && kind !== 'multiple';
      item.querySelector('.for-truefalse').hidden = kind !== 'truefalse';
      item.querySelector('.for-text').hidden = kind !== 'text';
    };
    field('kind').addEventListener('change', showKind);
    showKind();
    item.querySelector('.add-choice').addEventListener('click', () => {
      const c = choiceItem({ text: '', correct: false });
      choices.append(c);
      c.querySelector('[name=text]').focus();
    });
    item.querySelector('.remove-question').addEventListener('click', () => {
      item.remove();
      number();
      $('add-question').focus();
    });
    list.append(item);
    number();
    return item;
  }

  function choiceItem(c) {
    const li = label($('choice-template').content.firstElementChild.cloneNode(true));
    li.dataset.choice = c.id || choiceId();
    li.querySelector('[name=text]').value = c.text;
    li.querySelector('[name=correct]').checked = c.correct;
    li.querySelector('[name=feedback]').value = c.feedback || '';
    li.querySelector('.remove-choice').addEventListener('click', () => li.remove());
    return li;
  }

  const number = () => list.querySelectorAll('.n').forEach((n, i) => (n.textContent = String(i + 1)));

  /** The set as the API takes it; undefined (with what to correct shown) if a time does not read. */
  function collect() {
    const questions = [];
    for (const [i, item] of [...list.children].entries()) {
      const field = (name) => item.querySelector(`[name=${name}]`);
      const at = seconds(field('at').value);
      if (Number.isNaN(at)) {
        error.textContent = say(
          `Question ${i + 1}: give its time as m:ss.`,
          `第 ${i + 1} 题：请按“分:秒”填写时间。`,
        );
        field('at').focus();
        return undefined;
      }
      const kind = field('kind').value;
      const feedback = {};
      if (field('feedbackCorrect').value.trim()) feedback.correct = field('feedbackCorrect').value;
      if (field('feedbackIncorrect').value.trim()) feedback.incorrect = field('feedbackIncorrect').value;
      const q = {
        kind,
        at,
        prompt: field('prompt').value,
        points: Number(field('points').value),
        required: field('required').checked,
        feedback,
      };
      if (kind === 'single' || kind === 'multiple')
        q.choices = [...item.querySelectorAll('.choice-item')].map((li) => ({
          id: li.dataset.choice,
          text: li.querySelector('[name=text]').value,
          correct: li.querySelector('[name=correct]').checked,
          ...(li.querySelector('[name=feedback]').value.trim() && {
            feedback: li.querySelector('[name=feedback]').value,
          }),
        }));
      if (kind === 'truefalse') q.answer = field('answer').value === 'true';
      if (kind === 'text')
        q.accepted = field('accepted')
          .value.split('\n')
          .map((s) => s.trim())
          .filter(Boolean);
      questions.push(q);
    }
    return {
      questions,
      attempts: { max: Number(form.attempts.value), counts: form.counts.value },
      watchingWeight: Number(form.watching.value) / 100,
      passThreshold: Number(form.pass.value) / 100,
    };
  }

  async function save() {
    error.textContent = '';
    status.textContent = '';
    const set = collect();
    if (!set) return;
    const res = await api(`/api/lessons/${section.dataset.lesson}/questions`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(set),
    }).catch(() => undefined);
    if (!res)
      return void (error.textContent = say('Not saved: the tool did not answer.', '未保存：系统无响应。'));
    const body = await res.json();
    if (!res.ok) {
      // Problems name their field by path (questions.0.choices): say which question, counted from 1.
      const problems = (body.problems || [body.detail]).map((p) =>
        String(p).replace(/questions\.(\d+)/g, (_, n) =>
          say(`question ${Number(n) + 1}`, `第 ${Number(n) + 1} 题`),
        ),
      );
      const ul = document.createElement('ul');
      ul.append(...problems.map((p) => Object.assign(document.createElement('li'), { textContent: p })));
      error.replaceChildren(ul);
      return;
    }
    list.replaceChildren();
    for (const q of body.questions) addQuestion(q);
    status.textContent = say(
      `Saved: ${body.questions.length} question(s). Learners get them from their next visit.`,
      `已保存 ${body.questions.length} 道题。学员下次打开时即可看到。`,
    );
    document.body.dataset.questionsSaved = String(body.questions.length);
  }

  if (section.dataset.lesson) void load(section.dataset.lesson);
  return { load };
}
