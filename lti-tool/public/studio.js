// The author's studio: upload, see the detected face, render with a live progress bar, preview, publish.
// Every call carries the launch's session token (held by the page, never a cookie).
const token = document.querySelector('meta[name="vt-session"]').content;
const zh = document.querySelector('meta[name="vt-lang"]').content === 'zh';
const say = (en, cn) => (zh ? cn : en);
const $ = (id) => document.getElementById(id);
const api = (path, init = {}) =>
  fetch(path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers || {}) } });
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

$('engine').addEventListener('change', (e) => {
  const sizes = $('size').dataset[e.target.value].split(',');
  $('size').replaceChildren(...sizes.map((s) => new Option(s, s)));
});

$('studio').addEventListener('submit', async (e) => {
  e.preventDefault();
  const error = $('studio-error');
  error.textContent = '';
  const title = $('title').value.trim();
  if (!title) return void (error.textContent = say('Give the lesson a title.', '请填写课程标题。'));
  if (!uploads.portrait)
    return void (error.textContent = say('Choose a portrait with a face.', '请选择包含人脸的人像。'));
  if (!uploads.audio) return void (error.textContent = say('Choose a voice recording.', '请选择语音录音。'));
  const res = await api('/api/renders', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      title,
      portrait: uploads.portrait,
      audio: uploads.audio,
      prompt: $('prompt').value,
      engine: $('engine').value,
      size: $('size').value,
    }),
  });
  const render = await res.json();
  if (res.status !== 202) return void (error.textContent = (render.problems || [render.error]).join(' '));
  e.target.querySelector('button[type=submit]').disabled = true;
  $('progress-section').hidden = false;
  await follow(render.id, title);
});

// Server-Sent Events over fetch (EventSource cannot send the session token in a header).
async function follow(id, title) {
  const bar = $('progress');
  const text = $('progress-text');
  const res = await api(`/api/renders/${id}/events`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const chunk = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (\w+)$/m.exec(chunk)?.[1];
      const data = /^data: (.*)$/m.exec(chunk)?.[1];
      if (!event || !data) continue;
      const body = JSON.parse(data);
      if (event === 'progress') {
        bar.value = body.percent;
        text.textContent = `${body.stage} · ${Math.round(body.percent)} %${body.etaSec ? ` · ${say('about', '约')} ${Math.ceil(body.etaSec)} s` : ''}`;
      } else if (event === 'state') {
        text.textContent = body.message || body.state;
      } else if (event === 'end') {
        return finished(body, title);
      }
    }
  }
}

function finished(render, title) {
  const text = $('progress-text');
  if (render.state !== 'done') {
    text.textContent = `${say('The render failed:', '渲染失败：')} ${render.error || render.state}`;
    $('studio').querySelector('button[type=submit]').disabled = false;
    return;
  }
  $('progress').value = 100;
  text.textContent = say('Done. Preview the lesson, then publish it.', '完成。请预览后发布。');
  const video = $('preview');
  video.poster = render.media.poster;
  video.src = render.media.mp4;
  const form = $('publish');
  form.renderId.value = render.id;
  form.title.value = title;
  $('preview-section').hidden = false;
  document.body.dataset.renderState = 'done';
}
