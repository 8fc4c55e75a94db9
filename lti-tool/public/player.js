// The lesson player. Browsers without HLS take the MP4 source; the keyboard controls are the video's own.
// Instructors also get "Edit and re-render": a new version from the same presenter and voice, followed
// live, previewed, then published to learners.
import { $, api, followRender, say, sizesFollowEngine, token } from './lti-client.js';
import { trackWatching } from './watch-tracker.js';

const video = $('player');
if (video) {
  video.addEventListener('loadedmetadata', () => (document.body.dataset.player = 'ready'));
  video.addEventListener('playing', () => (document.body.dataset.player = 'playing'));
  video.addEventListener('error', () => (document.body.dataset.player = 'error'));
  // Learners' watching goes to the gradebook; instructors' previews do not.
  if ($('watch-status')) trackWatching(video, $('watch-status'), token);
  // Chapters: a button per heading of the script moves the lesson there.
  for (const button of document.querySelectorAll('.chapters button[data-start]'))
    button.addEventListener('click', () => {
      video.currentTime = Number(button.dataset.start);
      video.play().catch(() => {});
    });
}

const form = $('rerender');
if (form) {
  sizesFollowEngine($('engine'), $('size'));
  let version;

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('rerender-error');
    error.textContent = '';
    const title = form.title.value.trim();
    if (!title) return void (error.textContent = say('Give the lesson a title.', '请填写课程标题。'));
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    const res = await api('/api/renders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        lessonId: form.dataset.lesson,
        title,
        portrait: form.portrait.value,
        audio: form.audio.value,
        prompt: form.prompt.value,
        engine: form.engine.value,
        size: form.size.value,
      }),
    });
    const render = await res.json();
    if (res.status !== 202) {
      submit.disabled = false;
      return void (error.textContent = (render.problems || [render.error]).join(' '));
    }
    $('progress-section').hidden = false;
    $('preview-section').hidden = true;
    const done = await followRender(render.id, $('progress'), $('progress-text'));
    submit.disabled = false;
    if (done.state !== 'done') {
      $('progress-text').textContent =
        `${say('The render failed:', '渲染失败：')} ${done.error || done.state}`;
      return;
    }
    version = { id: done.id, title, media: done.media };
    $('progress-text').textContent = say('Done. Preview it, then publish it.', '完成。请预览后发布。');
    $('preview').poster = done.media.poster;
    $('preview').src = done.media.mp4;
    $('preview-section').hidden = false;
    document.body.dataset.renderState = 'done';
  });

  $('publish-version').addEventListener('click', async () => {
    const status = $('publish-status');
    const res = await api(`/api/lessons/${form.dataset.lesson}/published`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ renderId: version.id, title: version.title }),
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
