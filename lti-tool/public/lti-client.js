// What the studio and the instructor's player share: the session token the page holds (never a
// cookie), the page's language, API calls, and following a render's progress live.
export const token = document.querySelector('meta[name="vt-session"]').content;
const zh = document.querySelector('meta[name="vt-lang"]').content === 'zh';
export const say = (en, cn) => (zh ? cn : en);
export const $ = (id) => document.getElementById(id);
export const api = (path, init = {}) =>
  fetch(path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers || {}) } });

/** Keeps the size list to what the chosen engine renders (sizes per engine in data attributes). */
export function sizesFollowEngine(engine, size) {
  engine.addEventListener('change', () => {
    const sizes = size.dataset[engine.value].split(',');
    size.replaceChildren(...sizes.map((s) => new Option(s, s)));
  });
}

/** Why a render does not move, as the author reads it (the API says it in English). */
const WAITING = {
  liveavatar: [
    'Waiting for a GPU render node (none online). Cancel, or wait until one starts.',
    '正在等待 GPU 渲染节点（当前没有在线节点）。可以取消，或等待节点启动。',
  ],
  preview: [
    'Waiting for a render node (none online). Cancel, or wait until one starts.',
    '正在等待渲染节点（当前没有在线节点）。可以取消，或等待节点启动。',
  ],
};

/** What the author reads when a render ended without a video. */
export const endedText = (render) =>
  render.state === 'cancelled'
    ? say('The render was cancelled.', '渲染已取消。')
    : `${say('The render failed:', '渲染失败：')} ${render.error || render.state}`;

/**
 * Follows a render through its Server-Sent Events (read with fetch: EventSource cannot send the
 * token in a header), filling `bar` and `text`; resolves with the finished render. While it runs the
 * Cancel button (#cancel-render) cancels it.
 */
export async function followRender(id, bar, text) {
  let engine = 'preview';
  const cancel = $('cancel-render');
  const waiting = (w) => {
    if (w && w.reason) {
      text.textContent = say(...(WAITING[engine] || WAITING.preview));
      document.body.dataset.waiting = w.reason;
    } else delete document.body.dataset.waiting;
  };
  if (cancel) {
    cancel.hidden = false;
    cancel.disabled = false;
    cancel.onclick = async () => {
      cancel.disabled = true;
      const res = await api(`/api/renders/${id}/cancel`, { method: 'POST' }).catch(() => undefined);
      if (!res || !res.ok) cancel.disabled = false;
    };
  }
  try {
    return await stream(id, bar, text, (e) => (engine = e), waiting);
  } finally {
    if (cancel) cancel.hidden = true;
    delete document.body.dataset.waiting;
  }
}

/** The render's event stream, followed again after a break; resolves with the finished render. */
async function stream(id, bar, text, setEngine, waiting) {
  let lastEventId = '';
  // The stream can end before the render does (the tool or its database restarted): say so, and
  // follow again from where it was; the tool answers with the current state first.
  for (let attempt = 0; ; attempt++) {
    if (attempt) {
      text.textContent = say('Reconnecting…', '正在重新连接…');
      document.body.dataset.stream = 'reconnecting';
      await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * attempt)));
    }
    let res;
    try {
      res = await api(`/api/renders/${id}/events`, {
        headers: lastEventId ? { 'last-event-id': lastEventId } : {},
      });
    } catch {
      continue;
    }
    if (res.status === 404) return { state: 'failed', error: say('The render is gone.', '渲染已不存在。') };
    if (!res.ok || !res.body) continue;
    document.body.dataset.stream = 'open';
    try {
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
          lastEventId = /^id: (.*)$/m.exec(chunk)?.[1] ?? lastEventId;
          const event = /^event: (\w+)$/m.exec(chunk)?.[1];
          const data = /^data: (.*)$/m.exec(chunk)?.[1];
          if (!event || !data) continue;
          const body = JSON.parse(data);
          if (event === 'render') setEngine(body.engine);
          if (event === 'render' && body.waiting) waiting(body.waiting);
          else if (event === 'waiting') waiting(body);
          else if (event === 'render' && body.stalled)
            text.textContent = `${say('Stalled, waiting for a render node', '已停滞，正在等待渲染节点')} (${say('since', '自')} ${new Date(body.stalled.since).toLocaleTimeString()})`;
          else if (event === 'render' && body.progress) showProgress(bar, text, body.progress);
          else if (event === 'render') text.textContent = body.state;
          else if (event === 'progress') {
            waiting(undefined);
            showProgress(bar, text, body);
          } else if (event === 'state') text.textContent = body.message || body.state;
          else if (event === 'end') {
            if (body.state === 'done') bar.value = 100;
            return body;
          }
        }
      }
    } catch {
      // the connection broke mid-stream: reconnect
    }
  }
}

/** The render contract's stages (RENDER_STAGES), as an author reads them. */
const STAGES = {
  fetch: ['Fetching the inputs', '正在获取素材'],
  analyse: ['Analysing the voice and the face', '正在分析语音和人脸'],
  render: ['Rendering', '正在渲染'],
  encode: ['Encoding the video', '正在编码视频'],
  upload: ['Uploading', '正在上传'],
};

function showProgress(bar, text, p) {
  bar.value = p.percent;
  const stage = STAGES[p.stage] ? say(...STAGES[p.stage]) : p.stage;
  text.textContent = `${stage} · ${Math.round(p.percent)} %${p.etaSec ? ` · ${say('about', '约')} ${Math.ceil(p.etaSec)} s` : ''}`;
}
