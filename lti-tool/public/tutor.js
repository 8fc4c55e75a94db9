// "Ask the tutor" in the learner's player: the question pauses the lesson; the answer shows as text
// with its sources (a click seeks the lesson there, in the language version playing, or plays another
// lesson's video at its time in the answer panel) and as the presenter speaking it, which streams
// while it renders.
import { $, api, say } from './lti-client.js';
import { timeline } from './time-map.js';

const clock = (sec) => `${Math.floor(sec / 60)}:${String(Math.floor(sec % 60)).padStart(2, '0')}`;

/** Wires the tutor panel of lesson `lessonId` to the lesson's video. */
export function askTheTutor(video, panel) {
  const lessonId = panel.dataset.lesson;
  const form = $('tutor-form');
  const input = $('tutor-question');
  const status = $('tutor-status');
  const answer = $('tutor-answer');
  const clip = $('tutor-video');
  let shown;

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const question = input.value.trim();
    if (question.length < 2) return;
    video.pause();
    $('tutor-ask').disabled = true;
    status.textContent = say('The tutor is looking in the course…', '讲师正在课程中查找答案……');
    try {
      const res = await api(`/lti/lessons/${lessonId}/tutor/questions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ question }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) {
        status.textContent =
          res.status === 429
            ? say(
                `Too many questions; ask again in ${res.headers.get('retry-after')} s.`,
                `提问太频繁，请 ${res.headers.get('retry-after')} 秒后再问。`,
              )
            : body.detail || say('The tutor could not answer.', '讲师暂时无法回答。');
        return;
      }
      status.textContent = '';
      show(body);
      void history();
    } catch {
      status.textContent = say('The tutor could not be reached.', '无法连接讲师。');
    } finally {
      $('tutor-ask').disabled = false;
    }
  });

  for (const b of document.querySelectorAll('#tutor-rate button'))
    b.addEventListener('click', async () => {
      if (!shown) return;
      const helpful = b.dataset.helpful === 'true';
      const res = await api(`/lti/tutor/questions/${shown.id}/rating`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ helpful }),
      }).catch(() => undefined);
      if (res && res.ok) {
        status.textContent = say('Thank you for rating the answer.', '感谢你的评价。');
        panel.dataset.rated = String(helpful);
      }
    });

  /** Puts an answer in the panel; its clip plays at once (it streams while it renders). */
  function show(a) {
    shown = a;
    answer.hidden = false;
    panel.dataset.covered = String(a.covered);
    $('tutor-text').textContent = a.answer;
    const list = $('tutor-sources');
    list.replaceChildren(...a.sources.map(sourceItem));
    $('tutor-sources-h').hidden = !a.sources.length;
    $('tutor-rate').hidden = false;
    clip.hidden = !a.clipUrl;
    if (a.clipUrl) {
      clip.src = a.clipUrl;
      clip.play().catch(() => {});
    } else clip.removeAttribute('src');
  }

  function sourceItem(s) {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    const where = [s.lessonTitle, s.chapter, s.startSec !== undefined ? clock(s.startSec) : undefined];
    button.textContent = where.filter(Boolean).join(' · ');
    button.dataset.lesson = s.lessonId;
    if (s.startSec !== undefined) button.dataset.start = String(s.startSec);
    button.addEventListener('click', () => {
      const at = s.startSec ?? 0;
      if (s.lessonId === lessonId) {
        clip.pause();
        // Sources are timed on the lesson's timeline; the language version playing has its own.
        video.currentTime = timeline(JSON.parse(video.dataset.map || '[]')).fromLesson(at);
        video.play().catch(() => {});
      } else if (s.videoUrl) {
        // Another lesson of the course: its video plays here, from the passage.
        clip.hidden = false;
        clip.src = `${s.videoUrl}#t=${at}`;
        clip.play().catch(() => {});
      }
    });
    const quote = document.createElement('q');
    quote.textContent = s.text.length > 160 ? `${s.text.slice(0, 157)}…` : s.text;
    li.append(button, ' ', quote);
    return li;
  }

  async function history() {
    const res = await api(`/lti/lessons/${lessonId}/tutor/questions`).catch(() => undefined);
    if (!res || !res.ok) return;
    const { questions } = await res.json();
    $('tutor-history-list').replaceChildren(
      ...questions.map((q) => {
        const li = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = q.question;
        button.addEventListener('click', () => show(q));
        li.append(button);
        return li;
      }),
    );
  }
  void history();
}
