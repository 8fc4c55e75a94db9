// The author's studio: upload, see the detected face, give the voice (a recording, or a script spoken and
// previewed here), render with a live progress bar, preview, add questions, publish.
// Every call carries the launch's session token (held by the page, never a cookie).
import { $, api, endedText, followRender, say, sizesFollowEngine } from './lti-client.js';
import { editQuestions } from './question-editor.js';
import { scriptFields } from './script-fields.js';

// Questions are the lesson's: they can be set once its first render exists.
const questions = editQuestions($('questions-section'));

const uploads = {};

async function upload(kind, file) {
  const form = new FormData();
  form.set('kind', kind);
  form.set('file', file, file.name);
  const res = await api('/api/assets', { method: 'POST', body: form });
  const body = await res.json();
  if (res.status !== 201) throw new Error(body.error || `${res.status}`);
  return body.sha256;
}

$('portrait').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  const status = $('face-status');
  delete uploads.portrait;
  if (!file) return;
  const preview = document.querySelector('.face-preview');
  const img = $('portrait-img');
  img.src = URL.createObjectURL(file);
  preview.hidden = false;
  $('face-box').hidden = true;
  status.textContent = say('Looking for the face…', '正在检测人脸…');
  try {
    const sha = await upload('portrait', file);
    const res = await api(`/api/studio/faces/${sha}`);
    const face = await res.json();
    if (!res.ok) throw new Error(face.error);
    const box = $('face-box');
    const pct = (v, of) => `${(100 * v) / of}%`;
    box.style.left = pct(face.face.x1, face.imageWidth);
    box.style.top = pct(face.face.y1, face.imageHeight);
    box.style.width = pct(face.face.x2 - face.face.x1, face.imageWidth);
    box.style.height = pct(face.face.y2 - face.face.y1, face.imageHeight);
    box.hidden = false;
    uploads.portrait = sha;
    status.textContent =
      say('Face found', '已检测到人脸') + (face.warnings.length ? ` · ${face.warnings.join(' ')}` : '');
    status.dataset.face = 'found';
  } catch (err) {
    status.textContent = `${say('This portrait cannot be used:', '此人像无法使用：')} ${err.message}`;
    status.dataset.face = 'none';
  }
});

$('audio').addEventListener('change', async (e) => {
  delete uploads.audio;
  const file = e.target.files[0];
  if (!file) return;
  try {
    uploads.audio = await upload('audio', file);
  } catch (err) {
    $('studio-error').textContent = `${say('This audio cannot be used:', '此音频无法使用：')} ${err.message}`;
  }
});

sizesFollowEngine($('engine'), $('size'));

// The voice: a recording, or a script spoken by the product.
const scriptMode = () => document.querySelector('input[name=voiceSource]:checked').value === 'script';
for (const radio of document.querySelectorAll('input[name=voiceSource]'))
  radio.addEventListener('change', () => {
    $('recording-fields').hidden = scriptMode();
    $('script-fields').hidden = !scriptMode();
  });

const { narration, problem: scriptProblem } = scriptFields();

/** A recording's transcript, when the author gave one: captions timed to the recording. */
const transcript = () =>
  $('transcript').value.trim()
    ? { transcript: { text: $('transcript').value, language: $('transcript-language').value } }
    : {};

$('studio').addEventListener('submit', async (e) => {
  e.preventDefault();
  const error = $('studio-error');
  error.textContent = '';
  const title = $('title').value.trim();
  if (!title) return void (error.textContent = say('Give the lesson a title.', '请填写课程标题。'));
  if (!uploads.portrait)
    return void (error.textContent = say('Choose a portrait with a face.', '请选择包含人脸的人像。'));
  const spoken = scriptMode();
  if (spoken && !$('script').value.trim())
    return void (error.textContent = say('Write the script to be spoken.', '请填写要朗读的讲稿。'));
  if (!spoken && !uploads.audio)
    return void (error.textContent = say('Choose a voice recording.', '请选择语音录音。'));
  const submit = e.target.querySelector('button[type=submit]');
  submit.disabled = true;
  if (spoken) $('studio-status').textContent = say('Speaking the script…', '正在朗读讲稿…');
  else if ($('transcript').value.trim())
    $('studio-status').textContent = say(
      'Timing the transcript to the recording…',
      '正在将文字稿与录音对齐…',
    );
  const res = await api('/api/renders', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      title,
      portrait: uploads.portrait,
      ...(spoken ? { narration: narration() } : { audio: uploads.audio, ...transcript() }),
      prompt: $('prompt').value,
      engine: $('engine').value,
      size: $('size').value,
    }),
  });
  const render = await res.json();
  $('studio-status').textContent = '';
  if (res.status !== 202) {
    submit.disabled = false;
    return void (error.textContent = scriptProblem(render));
  }
  $('progress-section').hidden = false;
  finished(await followRender(render.id, $('progress'), $('progress-text')), title);
});

function finished(render, title) {
  const text = $('progress-text');
  if (render.state !== 'done') {
    text.textContent = endedText(render);
    $('studio').querySelector('button[type=submit]').disabled = false;
    return;
  }
  text.textContent = say('Done. Preview the lesson, then publish it.', '完成。请预览后发布。');
  const video = $('preview');
  video.poster = render.media.poster;
  video.src = render.media.mp4;
  const form = $('publish');
  form.renderId.value = render.id;
  form.title.value = title;
  $('preview-section').hidden = false;
  void questions.load(render.lessonId);
  document.body.dataset.renderState = 'done';
}
