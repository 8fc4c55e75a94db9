// Questions inside the lesson, for learners: the player stops at each question's time, asks it in a
// modal dialog and goes on once it is answered. The tool checks every answer (the page never knows
// what is right); a required question cannot be skipped, by seeking past it or by resuming beyond it.
// Times are on the lesson's timeline: a language version maps its own time through `timeline()`.
import { $, api, say } from './lti-client.js';
import { timeline } from './time-map.js';

/** Starts asking the lesson's questions in `video`; resolves once they are loaded. */
export async function askQuestions(video, lessonId) {
  // In the words of the language version being watched (its script's questions are translated).
  const language = () => {
    const v = $('version-language')?.value;
    return v && v !== 'original' ? v : '';
  };
  const fetchQuestions = async () => {
    const query = language() ? `?language=${encodeURIComponent(language())}` : '';
    const res = await api(`/lti/lessons/${lessonId}/questions${query}`).catch(() => undefined);
    return res && res.ok ? (await res.json()).questions : undefined;
  };
  const questions = await fetchQuestions();
  if (!questions || !questions.length) return;
  $('version-language')?.addEventListener('change', async () => {
    const worded = await fetchQuestions();
    for (const q of worded || []) {
      const mine = questions.find((x) => x.key === q.key);
      if (mine) Object.assign(mine, { prompt: q.prompt, choices: q.choices });
    }
  });
  const dialog = $('question');
  const skipped = new Set(); // optional questions passed over on this page
  let asking; // the question shown now
  let shownAt = 0;
  const map = () => timeline(JSON.parse(video.dataset.map || '[]'));
  const lessonTime = () => map().toLesson(video.currentTime);
  const open = (q) => !q.done && !skipped.has(q.key);
  document.body.dataset.questions = String(questions.length);

  // The first required question not yet answered before `t`: nobody gets past it.
  const blocking = (t) => questions.find((q) => q.required && !q.done && q.at < t - 0.25);

  video.addEventListener('seeking', () => {
    if (asking) return;
    const q = blocking(lessonTime());
    if (!q) return;
    video.currentTime = map().fromLesson(q.at);
    ask(q);
  });
  video.addEventListener('timeupdate', () => {
    if (asking || video.seeking) return;
    const t = lessonTime();
    // Reached in playback (or, for a required one, anywhere past it); an optional one only just passed.
    const q = questions.find((x) => open(x) && x.at <= t && (x.required || t - x.at < 1.5));
    if (!q) return;
    // A required question left far behind (the page resumed past it before the questions came): back to it.
    if (t - q.at > 1.5) video.currentTime = map().fromLesson(q.at);
    ask(q);
  });
  // Questions at the very end of the lesson come after its last frame.
  video.addEventListener('ended', () => {
    const q = questions.find((x) => open(x) && (x.required || x.at >= lessonTime() - 1.5));
    if (q && !asking) ask(q);
  });
  dialog.addEventListener('cancel', (e) => {
    // Escape: an optional question is skipped; a required one stays.
    if (asking?.required) e.preventDefault();
    else skip();
  });
  $('question-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void submit();
  });
  $('question-continue').addEventListener('click', () => close());
  $('question-skip').addEventListener('click', () => skip());

  function ask(q) {
    asking = q;
    shownAt = performance.now();
    video.pause();
    const n = questions.indexOf(q) + 1;
    const meta = $('question-meta');
    meta.textContent =
      `${meta.dataset.label} ${n}/${questions.length} · ` +
      say(`${q.points} point${q.points === 1 ? '' : 's'}`, `${q.points} 分`) +
      (q.required ? say(' · required', ' · 必答') : '');
    $('question-prompt').textContent = q.prompt;
    const fieldset = $('question-choices');
    const legend = fieldset.querySelector('legend');
    const options =
      q.kind === 'truefalse'
        ? [
            { id: 'true', text: say('True', '正确') },
            { id: 'false', text: say('False', '错误') },
          ]
        : q.choices || [];
    fieldset.replaceChildren(
      legend,
      ...options.map((c) => {
        const label = document.createElement('label');
        const input = Object.assign(document.createElement('input'), {
          type: q.kind === 'multiple' ? 'checkbox' : 'radio',
          name: 'choice',
          value: c.id,
        });
        label.append(input, ' ', c.text);
        return label;
      }),
    );
    fieldset.hidden = q.kind === 'text';
    $('question-typed').hidden = q.kind !== 'text';
    $('question-text').value = '';
    const feedback = $('question-feedback');
    feedback.textContent = '';
    delete feedback.dataset.correct;
    $('question-submit').hidden = false;
    $('question-submit').disabled = false;
    $('question-continue').hidden = true;
    $('question-skip').hidden = q.required;
    document.body.dataset.asking = q.key;
    if (!dialog.open) dialog.showModal();
    (fieldset.querySelector('input') && !fieldset.hidden
      ? fieldset.querySelector('input')
      : $('question-text')
    ).focus();
  }

  function answerOf(q) {
    const picked = [...$('question-choices').querySelectorAll('input:checked')].map((i) => i.value);
    if (q.kind === 'text')
      return $('question-text').value.trim() ? { text: $('question-text').value } : undefined;
    if (q.kind === 'multiple') return picked.length ? { choices: picked } : undefined;
    if (!picked.length) return undefined;
    return q.kind === 'truefalse' ? { value: picked[0] === 'true' } : { choice: picked[0] };
  }

  async function submit() {
    const q = asking;
    const feedback = $('question-feedback');
    const answer = answerOf(q);
    if (!answer) {
      feedback.textContent = say('Choose or type an answer first.', '请先选择或填写答案。');
      return;
    }
    $('question-submit').disabled = true;
    const res = await api(`/lti/lessons/${lessonId}/answers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        question: q.key,
        attempt: q.attemptsUsed + 1,
        answer,
        secondsToAnswer: Math.round((performance.now() - shownAt) / 100) / 10,
        ...(language() && { language: language() }),
      }),
    }).catch(() => undefined);
    $('question-submit').disabled = false;
    if (!res) {
      feedback.textContent = say('The answer was not sent; try again.', '答案未能发送，请重试。');
      return;
    }
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      feedback.textContent = body.detail || body.title || say('The answer was not taken.', '答案未被接受。');
      return;
    }
    q.attemptsUsed += 1;
    q.done = body.done;
    feedback.dataset.correct = String(body.correct);
    const verdict = body.correct ? say('Correct.', '回答正确。') : say('Not correct.', '回答不正确。');
    const more = !body.done
      ? say(`Try again (${body.attemptsLeft} left).`, `请再试一次（还剩 ${body.attemptsLeft} 次）。`)
      : '';
    feedback.textContent = [verdict, body.feedback, more].filter(Boolean).join(' ');
    document.body.dataset.answered = `${q.key}:${body.correct}`;
    if (body.completed) document.body.dataset.completed = 'true';
    if (body.done) {
      $('question-submit').hidden = true;
      $('question-continue').hidden = false;
      $('question-continue').focus();
    }
  }

  function skip() {
    if (asking) skipped.add(asking.key);
    close();
  }

  function close() {
    const q = asking;
    asking = undefined;
    delete document.body.dataset.asking;
    if (dialog.open) dialog.close();
    video.focus();
    // Questions at the same time come one after another; then the lesson goes on.
    const next = questions.find((x) => open(x) && x.at <= lessonTime() && x !== q);
    if (next) return ask(next);
    if (!video.ended) video.play().catch(() => {});
  }
}
