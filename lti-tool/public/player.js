// The lesson player. Browsers without HLS take the MP4 source; the keyboard controls are the video's own.
// A lesson with language versions has a language choice: switching keeps the learner's place (through
// each version's time map onto the lesson) and brings that language's captions and chapters.
// Learners are asked the lesson's questions at their times (lesson-questions.js).
// Instructors also get "Edit and re-render" and "Language versions": a new version rendered, followed
// live, previewed, then published to learners.
import { $, api, endedText, followRender, say, sizesFollowEngine, token } from './lti-client.js';
import { askQuestions } from './lesson-questions.js';
import { askTheTutor } from './tutor.js';
import { editQuestions } from './question-editor.js';
import { scriptFields } from './script-fields.js';
import { timeline } from './time-map.js';
import { trackWatching } from './watch-tracker.js';

const video = $('player');
if (video) {
  video.addEventListener('loadedmetadata', () => (document.body.dataset.player = 'ready'));
  video.addEventListener('playing', () => (document.body.dataset.player = 'playing'));
  video.addEventListener('error', () => (document.body.dataset.player = 'error'));
  // This module runs after the page is parsed: a quick server may have loaded the metadata already.
  if (video.error) document.body.dataset.player = 'error';
  else if (video.readyState >= HTMLMediaElement.HAVE_METADATA) document.body.dataset.player = 'ready';
  // Learners' watching goes to the gradebook; instructors' previews do not.
  const tracker = $('watch-status')
    ? trackWatching(video, $('watch-status'), token, timeline(JSON.parse(video.dataset.map || '[]')))
    : undefined;
  // Learners answer the lesson's questions as they reach them.
  if ($('question')) void askQuestions(video, $('watch-status').dataset.lesson);
  // Learners ask the lesson's tutor.
  if ($('tutor')) askTheTutor(video, $('tutor'));
  const chapters = document.querySelector('.chapters');
  chapters.addEventListener('click', (e) => {
    const button = e.target.closest('button[data-start]');
    if (!button) return;
    video.currentTime = Number(button.dataset.start);
    video.play().catch(() => {});
  });
  // Instructors set the lesson's questions; a question can sit at a chapter's end.
  if ($('questions-section'))
    editQuestions($('questions-section'), () => {
      const starts = [...document.querySelectorAll('.chapters button[data-start]')];
      return starts.map((b, i) => ({
        title: b.querySelector('span').textContent,
        end: i + 1 < starts.length ? Number(starts[i + 1].dataset.start) : video.duration || 0,
      }));
    });
  const choice = $('version-language');
  if (choice) choice.addEventListener('change', () => switchVersion(choice.selectedOptions[0], tracker));
}

/** Plays another language version from the same place in the lesson. */
function switchVersion(option, tracker) {
  const from = timeline(JSON.parse(video.dataset.map));
  const to = timeline(JSON.parse(option.dataset.map));
  const at = to.fromLesson(from.toLesson(video.currentTime));
  const playing = !video.paused;
  tracker?.switchTo(to);
  video.pause();
  video.dataset.map = option.dataset.map;
  const media = option.dataset.media;
  video.poster = `${media}poster.jpg`;
  const [hls, mp4] = video.querySelectorAll('source');
  hls.src = `${media}hls/index.m3u8`;
  mp4.src = `${media}lesson.mp4`;
  for (const track of video.querySelectorAll('track')) track.remove();
  if (option.dataset.captions) {
    const captions = Object.assign(document.createElement('track'), {
      kind: 'captions',
      src: `${media}${option.dataset.captions}`,
      srclang: option.value,
      label: option.textContent.trim(),
      default: true,
    });
    video.append(captions);
  }
  if (option.dataset.chaptersFile)
    video.append(
      Object.assign(document.createElement('track'), {
        kind: 'chapters',
        src: `${media}${option.dataset.chaptersFile}`,
        srclang: option.value,
      }),
    );
  showChapters(JSON.parse(option.dataset.chapters));
  video.addEventListener(
    'loadedmetadata',
    () => {
      video.currentTime = Math.min(at, Math.max(0, video.duration - 0.5));
      const captions = [...video.textTracks].find((t) => t.kind === 'captions');
      if (captions) captions.mode = 'showing';
      if (playing) video.play().catch(() => {});
      document.body.dataset.language = option.value;
    },
    { once: true },
  );
  video.load();
}

function showChapters(list) {
  const nav = document.querySelector('.chapters');
  nav.hidden = list.length === 0;
  const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  nav.querySelector('ol').replaceChildren(
    ...list.map((c) => {
      const li = document.createElement('li');
      const button = Object.assign(document.createElement('button'), { type: 'button' });
      button.dataset.start = String(c.start);
      const title = Object.assign(document.createElement('span'), { textContent: c.title });
      const time = Object.assign(document.createElement('time'), { textContent: clock(c.start) });
      button.append(title, ' ', time);
      li.append(button);
      return li;
    }),
  );
}

// ——— instructors: a new version (an edit, or a language version), previewed, then published ———

let version;

/** Follows a submitted render to its preview; `language` when it is a language version. */
async function follow(res, error, submit, title, language) {
  const render = await res.json();
  if (res.status !== 202) {
    submit.disabled = false;
    return void (error.textContent = problem(render));
  }
  $('progress-section').hidden = false;
  $('preview-section').hidden = true;
  const done = await followRender(render.id, $('progress'), $('progress-text'));
  submit.disabled = false;
  if (done.state !== 'done') {
    $('progress-text').textContent = endedText(done);
    return;
  }
  version = { id: done.id, title, media: done.media, language };
  $('progress-text').textContent = say('Done. Preview it, then publish it.', '完成。请预览后发布。');
  $('preview').poster = done.media.poster;
  $('preview').src = done.media.mp4;
  $('publish-version').hidden = Boolean(language);
  $('publish-language').hidden = !language;
  $('preview-section').hidden = false;
  document.body.dataset.renderState = 'done';
}

const post = (path, body) =>
  api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

let problem = (body) => (body.problems || [body.error]).join(' ');

const form = $('rerender');
if (form) {
  sizesFollowEngine($('engine'), $('size'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('rerender-error');
    error.textContent = '';
    const title = form.title.value.trim();
    if (!title) return void (error.textContent = say('Give the lesson a title.', '请填写课程标题。'));
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    const res = await post('/api/renders', {
      lessonId: form.dataset.lesson,
      title,
      portrait: form.portrait.value,
      audio: form.audio.value,
      prompt: form.prompt.value,
      engine: form.engine.value,
      size: form.size.value,
    });
    await follow(res, error, submit, title);
  });

  $('publish-version').addEventListener('click', async () => {
    const status = $('publish-status');
    const res = await post(`/api/lessons/${form.dataset.lesson}/published`, {
      renderId: version.id,
      title: version.title,
    });
    const body = await res.json();
    if (!res.ok) return void (status.textContent = body.error);
    status.textContent = say(
      'Published: learners see this version from now on.',
      '已发布：学员今后看到此版本。',
    );
    document.querySelector('h1').textContent = version.title;
    document.body.dataset.published = version.id;
  });
}

const dub = $('dub');
if (dub) {
  const script = scriptFields();
  problem = script.problem;
  dub.addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('dub-error');
    error.textContent = '';
    if (!$('script').value.trim())
      return void (error.textContent = say('Paste the translated script.', '请粘贴翻译后的讲稿。'));
    const submit = dub.querySelector('button[type=submit]');
    submit.disabled = true;
    $('speech-status').textContent = say('Speaking the script…', '正在朗读讲稿…');
    const narration = script.narration();
    const res = await post('/api/renders', {
      lessonId: dub.dataset.lesson,
      title: dub.dataset.title,
      portrait: dub.portrait.value,
      narration,
      prompt: dub.prompt.value,
      engine: dub.engine.value,
      size: dub.size.value,
    });
    await follow(res, error, submit, dub.dataset.title, narration.language);
  });

  $('publish-language').addEventListener('click', async () => {
    const status = $('publish-status');
    const res = await post(`/api/lessons/${dub.dataset.lesson}/languages`, { renderId: version.id });
    const body = await res.json();
    if (!res.ok) return void (status.textContent = body.error);
    status.textContent = say(
      'Published: learners can choose this language from their next visit.',
      '已发布：学员下次打开时可选择此语言。',
    );
    document.body.dataset.publishedLanguage = body.language;
  });

  $('dubs').addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-withdraw]');
    if (!button) return;
    const res = await api(`/api/lessons/${dub.dataset.lesson}/languages/${button.dataset.withdraw}`, {
      method: 'DELETE',
    });
    if (res.ok) button.closest('li').remove();
  });
}
